#!/usr/bin/env bash
# bench/compare.sh — ONE command for the side-by-side table: Kamailio as packaged (2 children),
# Kamailio tuned (KAM_MEM=fm KAM_MAXBUFFER=4194304, 2 children), siplb on its native UDP accelerator
# (sip.udpEngine: native; `npm run build:native` first) and siplb on node:dgram, on this machine,
# in the same run, ALTERNATING the LBs (kam-packaged, kam-tuned, siplb, siplb-dgram, kam-packaged, ...).
# Writes every run's JSON line to harness/results/compare-<timestamp>.jsonl, then bench/RESULTS.md
# via bench/report.py (which also prints the table).
#
# Phases (each LB is started before and stopped after every single run):
#   cpu       RATE=CPU_RATE (1000) for CPU_SECS (20) s, REPS times    -> CPU s/1k calls, memory
#   pcap      same rate, PCAP_RUN_SECS (10) s with PCAP=1, REPS times -> time inside the LB (µs)
#   sweep     RATES at SECS s each, SWEEP_REPS per rate; an LB leaves the sweep after the first
#             rate with no ok repetition                               -> highest passing rate
#   failover  FO_RATE (1000) for FO_SECS (30) s, backend 5072 SIGKILLed at KILL_AT (10) s, REPS
#             times (the backend is restarted after each run)
#   overload  1.5 x the LB's own highest passing rate for OVERLOAD_SECS (20) s, OVERLOAD_REPS
#             (= REPS) times; 503s reaching the UAC counted on the wire, health 'down' events
#             counted in the LB log
#
# Env: REPS (3) RATES ("1000 1500 2000 3000 4000 5000 6000") SECS (10) SWEEP_REPS (2)
#      SKIP_CPU=1 SKIP_PCAP=1 SKIP_SWEEP=1 SKIP_FAILOVER=1 SKIP_OVERLOAD=1
#      QUICK=1      smoke run with tiny numbers (REPS=1, 200 cps for 3 s, sweep "200 400", ...)
#      LBS          subset/order of "kam-packaged kam-tuned siplb siplb-dgram"
#      OVERLOAD_BASE  "lb=rate ..." base rates for the overload phase when the sweep is skipped
#                     (or to override it), e.g. OVERLOAD_BASE="kam-packaged=1500 siplb=3000"
#      WARMUP_S (0 = off) WARMUP_RATE (200): unrecorded warm-up load after every LB start
#      CPU_RATE CPU_SECS PCAP_RUN_SECS FO_REPS FO_RATE FO_SECS KILL_PORT KILL_AT OVERLOAD_SECS
#      OVERLOAD_FACTOR (1.5) OVERLOAD_REPS PAUSE_S (2, between runs) QUIET_WAIT_S (run.sh: wait
#      up to this long for a quiet machine before each run, 60) OUT (results file) NO_REPORT=1
# Loopback only. Every process is started by this script or the harness scripts, recorded by PID
# and stopped by PID (trap on EXIT); every run is bounded by run.sh (sipp -m, -timeout, timeout).
set -u
BENCH_ROOT="$(cd "$(dirname "$0")" && pwd)"
H="$BENCH_ROOT/harness"
cd "$H" || exit 1
. "$H/lib/common.sh"
# the command line as typed, with the env this script reads (before defaults are applied)
CMDLINE=""
for v in QUICK LBS REPS RATES SECS SWEEP_REPS SKIP_CPU SKIP_PCAP SKIP_SWEEP SKIP_FAILOVER SKIP_OVERLOAD \
         CPU_RATE CPU_SECS PCAP_RUN_SECS PCAP_START PCAP_SECS FO_REPS FO_RATE FO_SECS KILL_PORT KILL_AT \
         OVERLOAD_SECS OVERLOAD_FACTOR OVERLOAD_REPS OVERLOAD_BASE PAUSE_S QUIET_WAIT_S WARMUP_S WARMUP_RATE \
         SIPLB_CONFIG SIPLB_LOG_LEVEL OUT RESULTS_MD NO_REPORT; do
  [ -n "${!v+x}" ] && CMDLINE+="$v=$(printf '%q' "${!v}") "
done
CMDLINE+="$0${*:+ $*}"

if [ "${QUICK:-0}" = 1 ]; then
  : "${REPS:=1}" "${RATES:=200 400}" "${SECS:=3}" "${SWEEP_REPS:=1}"
  : "${CPU_RATE:=200}" "${CPU_SECS:=3}" "${PCAP_RUN_SECS:=4}" "${PCAP_START:=1}" "${PCAP_SECS:=2}"
  : "${FO_RATE:=200}" "${FO_SECS:=8}" "${KILL_AT:=3}" "${OVERLOAD_SECS:=4}" "${QUIET_WAIT_S:=3}"
  : "${PAUSE_S:=0}"
fi
REPS="${REPS:-3}"; RATES="${RATES:-1000 1500 2000 3000 4000 5000 6000}"
SECS="${SECS:-10}"; SWEEP_REPS="${SWEEP_REPS:-2}"
CPU_RATE="${CPU_RATE:-1000}"; CPU_SECS="${CPU_SECS:-20}"
PCAP_RUN_SECS="${PCAP_RUN_SECS:-10}"; PCAP_START="${PCAP_START:-5}"; PCAP_SECS="${PCAP_SECS:-3}"
FO_REPS="${FO_REPS:-$REPS}"; FO_RATE="${FO_RATE:-1000}"; FO_SECS="${FO_SECS:-30}"; KILL_PORT="${KILL_PORT:-5072}"; KILL_AT="${KILL_AT:-10}"
OVERLOAD_SECS="${OVERLOAD_SECS:-20}"; OVERLOAD_FACTOR="${OVERLOAD_FACTOR:-1.5}"
OVERLOAD_REPS="${OVERLOAD_REPS:-$REPS}"; OVERLOAD_BASE="${OVERLOAD_BASE:-}"
PAUSE_S="${PAUSE_S:-2}"; QUIET_WAIT_S="${QUIET_WAIT_S:-60}"
LBS="${LBS:-kam-packaged kam-tuned siplb siplb-dgram}"
UAC_PORT="${UAC_PORT:-5090}"
export PCAP_START PCAP_SECS QUIET_WAIT_S UAC_PORT

STAMP="$(date +%Y%m%d-%H%M%S)"
COMPARE_ID="compare-$STAMP"
OUT="${OUT:-$H/results/$COMPARE_ID.jsonl}"
mkdir -p "$(dirname "$OUT")"
T0=$(date +%s)

log() { printf '%s [compare +%ss] %s\n' "$(date +%T)" "$(( $(date +%s) - T0 ))" "$*" >&2; }

for lb in $LBS; do
  case "$lb" in kam-packaged|kam-tuned|siplb|siplb-dgram) ;; *) echo "unknown LB '$lb' in LBS" >&2; exit 2;; esac
done

# ---------------------------------------------------------------- refuse to share the harness
busy=""
for f in "$RUN_DIR"/lb.pid "$RUN_DIR"/backend-*.pid; do
  [ -f "$f" ] && pid_alive "$(cat "$f")" && busy+=" $(basename "$f")=$(cat "$f")"
done
for p in 5060 $BACKEND_PORTS "$UAC_PORT"; do
  [ -n "$(ss -Hlun "( sport = :$p )" 2>/dev/null)" ] && busy+=" udp:$p"
done
[ -n "$(ss -Hltn '( sport = :8061 )' 2>/dev/null)" ] && busy+=" tcp:8061"
if [ -n "$busy" ]; then
  echo "compare.sh: the harness is in use (${busy# }); stop that bench first" >&2; exit 1
fi

# ---------------------------------------------------------------- cleanup: by PID, on EXIT
TD_PID=""
BACKENDS_STARTED=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$TD_PID" ] && pid_alive "$TD_PID"; then kill -TERM "$TD_PID" 2>/dev/null; wait "$TD_PID" 2>/dev/null; fi
  lb_stop_any
  [ "$BACKENDS_STARTED" = 1 ] && ./backends.sh stop >&2
  log "done (rc=$rc); results: $OUT"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- the three LBs
lb_start() {
  case "$1" in
    kam-packaged) env -u KAM_MEM -u KAM_MAXBUFFER KAM_CHILDREN=2 ./lb-kamailio.sh start;;
    kam-tuned)    KAM_CHILDREN=2 KAM_MEM=fm KAM_MAXBUFFER=4194304 ./lb-kamailio.sh start;;
    # info: health transitions ('backend health changed') are logged; nothing per call is
    siplb)        SIPLB_CONFIG="${SIPLB_CONFIG:-$BENCH_ROOT/siplb-bench-native.yaml}" SIPLB_LOG_LEVEL="${SIPLB_LOG_LEVEL:-info}" ./lb-siplb.sh start;;
    # the same config forced onto node:dgram (the fallback when the accelerator is not built)
    siplb-dgram)  SIPLB_CONFIG="${SIPLB_DGRAM_CONFIG:-$BENCH_ROOT/siplb-bench-dgram.yaml}" SIPLB_LOG_LEVEL="${SIPLB_LOG_LEVEL:-info}" ./lb-siplb.sh start;;
  esac
}
lb_stop() {
  case "$1" in
    kam-*) ./lb-kamailio.sh stop;;
    siplb*) ./lb-siplb.sh stop;;
  esac
}
lb_stop_any() {   # whatever run/lb.pid holds (only ever an LB this script started)
  local pid
  [ -f "$RUN_DIR/lb.pid" ] || return 0
  pid=$(cat "$RUN_DIR/lb.pid")
  if ! pid_alive "$pid"; then rm -f "$RUN_DIR/lb.pid"; return 0; fi
  if tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF kamailio; then ./lb-kamailio.sh stop >&2
  else ./lb-siplb.sh stop >&2; fi
}
lb_log() { case "$1" in kam-*) echo "$OUT_DIR/kamailio.log";; siplb*) echo "$OUT_DIR/siplb.log";; esac; }
# health transitions to 'down' in the LB's log, from line $2 on
count_down() {
  local f; f=$(lb_log "$1")
  [ -f "$f" ] || { echo 0; return; }
  case "$1" in
    kam-*) tail -n +"$2" "$f" | grep -c 'DS-EVENT down';;
    siplb*) tail -n +"$2" "$f" | grep -F 'backend health changed' | grep -c '"to":"down"';;
  esac
}

# ---------------------------------------------------------------- machine / version header
python3 - "$COMPARE_ID" "$CMDLINE" "$BENCH_ROOT" > "$OUT" <<PY
import json, os, platform, subprocess, sys, time
cid, cmd, root = sys.argv[1:4]
def sh(c):
    try: return subprocess.run(c, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception as e: return f"? ({e})"
cpu = "?"
for l in open("/proc/cpuinfo"):
    if l.startswith("model name"): cpu = l.split(":", 1)[1].strip(); break
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), None)
repo = os.path.dirname(root)
dist = os.path.join(repo, "dist/cli/index.js")
dist_m = os.path.getmtime(dist) if os.path.exists(dist) else None
src_newer = sh(f"find {repo}/src -name '*.ts' -newer {dist} | head -5") if dist_m else "no dist"
print(json.dumps({
  "type": "compare-meta", "compare_id": cid, "command": cmd,
  "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "date_local": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
  "nproc": os.cpu_count(), "nproc_online": sh("nproc"), "cpu_model": cpu, "mem_total_kb": int(mem) if mem else None,
  "kernel": platform.release(), "uname": sh("uname -srvm"),
  "node": sh(os.environ.get("NODE_BIN", f"{repo}/node_modules/.bin/node") + " -v"), "kamailio": sh("kamailio -v 2>&1 | head -1"), "sipp": sh("$SIPP -v 2>&1 | grep -m1 SIPp"),
  "tcpdump": sh("tcpdump --version 2>&1 | head -1"),
  "git_commit": sh(f"git -C {repo} rev-parse HEAD"), "git_describe": sh(f"git -C {repo} log -1 --format='%h %s'"),
  "git_dirty_files": len([l for l in sh(f"git -C {repo} status --porcelain").splitlines() if l.strip()]),
  "siplb_dist_mtime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(dist_m)) if dist_m else None,
  "siplb_src_newer_than_dist": [l for l in src_newer.splitlines() if l] if dist_m else None,
  "siplb_config": os.environ.get("SIPLB_CONFIG", "siplb-bench-native.yaml + siplb-bench-dgram.yaml"),
  "params": {
    "LBS": "$LBS", "REPS": $REPS, "RATES": "$RATES", "SECS": $SECS, "SWEEP_REPS": $SWEEP_REPS,
    "CPU_RATE": $CPU_RATE, "CPU_SECS": $CPU_SECS, "PCAP_RUN_SECS": $PCAP_RUN_SECS,
    "PCAP_START": $PCAP_START, "PCAP_SECS": $PCAP_SECS,
    "FO_REPS": $FO_REPS, "FO_RATE": $FO_RATE, "FO_SECS": $FO_SECS, "KILL_PORT": $KILL_PORT, "KILL_AT": $KILL_AT,
    "OVERLOAD_SECS": $OVERLOAD_SECS, "OVERLOAD_FACTOR": $OVERLOAD_FACTOR, "OVERLOAD_REPS": $OVERLOAD_REPS,
    "OVERLOAD_BASE": "$OVERLOAD_BASE", "QUICK": "${QUICK:-0}", "QUIET_WAIT_S": $QUIET_WAIT_S,
    "WARMUP_S": ${WARMUP_S:-0}, "WARMUP_RATE": ${WARMUP_RATE:-200}, "SIPLB_LOG_LEVEL": "${SIPLB_LOG_LEVEL:-info}",
    "SKIP": " ".join(p for p in ("CPU", "PCAP", "SWEEP", "FAILOVER", "OVERLOAD") if os.environ.get("SKIP_" + p) == "1"),
  },
}))
PY
[ -s "$OUT" ] || { echo "could not write $OUT" >&2; exit 1; }
log "results -> $OUT"

./backends.sh start >&2 || exit 1
BACKENDS_STARTED=1

# ---------------------------------------------------------------- optional warm-up (not recorded)
# WARMUP_S>0: after each LB start, WARMUP_RATE cps for WARMUP_S s through it (same for every LB),
# so that the measured run does not include a cold start (Node's JIT, first allocations)
warmup() {
  [ "${WARMUP_S:-0}" -gt 0 ] || return 0
  local r="${WARMUP_RATE:-200}"
  ( cd "$OUT_DIR" && exec timeout -k 5 $((WARMUP_S + 25)) "$SIPP" 127.0.0.1:5060 -sf "$H/scenarios/uac.xml" \
      -i "$BIND_IP" -p "$UAC_PORT" -t u1 -r "$r" -m $((r * WARMUP_S)) -d 0 -nostdin -buff_size "$SIPP_BUFF" \
      -timeout "$((WARMUP_S + 20))s" > /dev/null 2>&1 )
  sleep 1
}

# ---------------------------------------------------------------- one run
# one PHASE LB REP RATE CALLS [VAR=value ...]  (extra env for run.sh)
# Appends the run's JSON line (+ compare fields) to $OUT; sets LAST_OK=1 if run.sh said ok.
NRUN=0
LAST_OK=0
XJSON=""   # extra fields for the next run's line
one() {
  local phase=$1 lb=$2 rep=$3 rate=$4 calls=$5; shift 5
  local label="$lb-$phase" line logf log0 downs pc=""
  LAST_OK=0; NRUN=$((NRUN + 1))
  log "run $NRUN: $phase $lb rep $rep at $rate cps ($calls calls)"
  if ! lb_start "$lb" >&2; then
    record "{\"phase\":\"$phase\",\"lb\":\"$lb\",\"rep\":$rep,\"rate\":$rate,\"label\":\"$label\",\"error\":\"LB did not start\"}" ""
    lb_stop_any; return 1
  fi
  warmup
  logf=$(lb_log "$lb"); log0=$(( $(wc -l < "$logf") + 1 ))
  if [ "$phase" = overload ]; then   # 503s arriving at the UAC, counted in the kernel (BPF)
    pc="$OUT_DIR/$COMPARE_ID-uac503-$NRUN.pcap"
    timeout -k 2 $(( calls / rate + 120 )) tcpdump -i lo -n -U --immediate-mode -s 96 -B 4096 -w "$pc" \
      "udp and dst port $UAC_PORT and udp[8:4] = 0x5349502f and udp[12:4] = 0x322e3020 and udp[16:4] = 0x35303320" \
      2> "$pc.log" &
    TD_PID=$!
    local i; for i in $(seq 50); do grep -q listening "$pc.log" 2>/dev/null && break; sleep 0.1; done
    sleep 0.5
  fi
  line=$(env "$@" RESULTS=/dev/null LABEL="$label" RATE="$rate" CALLS="$calls" ./run.sh)
  # extra fields for the line: counted in the LB log of this run, on the wire, in sipp's errors
  local kv=() rid n
  kv+=("\"lb_health_down_events\": $(count_down "$lb" "$log0")")
  [ "${lb%-dgram}" = siplb ] && kv+=("\"lb_shed_events\": $(tail -n +"$log0" "$logf" | grep -c 'overloaded: shedding')")
  if [ -n "$pc" ]; then
    sleep 1; kill -TERM "$TD_PID" 2>/dev/null; wait "$TD_PID" 2>/dev/null; TD_PID=""
    n=$(tcpdump -r "$pc" -n 2>/dev/null | wc -l)
    kv+=("\"uac_rx_503\": $n" "\"uac_503_capture\": \"$(tail -3 "$pc.log" | tr '\n' ';' | tr -d '"\\')\"")
  fi
  rid=$(printf '%s' "$line" | python3 -c 'import json,sys
try: print(json.loads(sys.stdin.read())["run_id"])
except Exception: pass')
  if [ -n "$rid" ] && [ -d "$OUT_DIR/$rid" ]; then
    # 503s sipp did not expect (uac.xml has no 503 branch; each aborts a call): cross-checks the wire count
    n=$(grep -c "received 'SIP/2.0 503" "$OUT_DIR/$rid/errors.log" 2>/dev/null || true)
    kv+=("\"uac_unexpected_503\": ${n:-0}")
    tail -n +"$log0" "$logf" > "$OUT_DIR/$rid/lb.log" 2>/dev/null   # the LB log of this run, with its raw files
    [ -n "$pc" ] && mv "$pc" "$pc.log" "$OUT_DIR/$rid/" 2>/dev/null
  fi
  local extra; extra="{$(IFS=,; echo "${kv[*]}")}"
  lb_stop "$lb" >&2 || lb_stop_any
  if [ -z "$rid" ]; then
    record "{\"phase\":\"$phase\",\"lb\":\"$lb\",\"rep\":$rep,\"rate\":$rate,\"label\":\"$label\",\"error\":\"run.sh printed no JSON\"}" "$extra"
  else
    record "$line" "$extra" "{\"phase\":\"$phase\",\"lb\":\"$lb\",\"rep\":$rep,\"compare_id\":\"$COMPARE_ID\"}" "$XJSON"
  fi
  printf '%s' "$line" | grep -q '"ok": true' && LAST_OK=1
  [ "$PAUSE_S" != 0 ] && sleep "$PAUSE_S"
  return 0
}
# record JSON [EXTRA_JSON [MORE_JSON]]: merge and append one line to $OUT, short summary to stderr
record() {
  python3 -c '
import json, sys
try:
    d = json.loads(sys.argv[1])
    for x in sys.argv[2:]:
        if x: d.update(json.loads(x))
except ValueError as e:
    d = {"error": f"could not merge the run line: {e}", "raw": sys.argv[1:]}
print(json.dumps(d))
s = " ".join(f"{k}={d.get(k)}" for k in ("ok", "failed_pct", "retrans_per_call", "achieved_cps",
      "lb_cpu_s_per_1k_calls", "lb_pss_sum_peak_kb", "lb_health_down_events", "uac_rx_503", "error") if k in d)
print("   -> " + s, file=sys.stderr)' "$@" >> "$OUT"
}

# ---------------------------------------------------------------- phases
if [ "${SKIP_CPU:-0}" != 1 ]; then
  log "phase cpu: $CPU_RATE cps for $CPU_SECS s, $REPS reps"
  for rep in $(seq "$REPS"); do for lb in $LBS; do
    one cpu "$lb" "$rep" "$CPU_RATE" $((CPU_RATE * CPU_SECS))
  done; done
fi

if [ "${SKIP_PCAP:-0}" != 1 ]; then
  log "phase pcap: $CPU_RATE cps for $PCAP_RUN_SECS s with a ${PCAP_SECS}s capture, $REPS reps"
  for rep in $(seq "$REPS"); do for lb in $LBS; do
    one pcap "$lb" "$rep" "$CPU_RATE" $((CPU_RATE * PCAP_RUN_SECS)) PCAP=1
  done; done
fi

declare -A BEST=()
if [ "${SKIP_SWEEP:-0}" != 1 ]; then
  log "phase sweep: rates $RATES, $SECS s each, $SWEEP_REPS reps"
  declare -A ACTIVE=() OKN=()
  for lb in $LBS; do ACTIVE[$lb]=1; done
  for r in $RATES; do
    left=""; for lb in $LBS; do [ "${ACTIVE[$lb]}" = 1 ] && left+=" $lb"; done
    [ -n "$left" ] || break
    for lb in $left; do OKN[$lb]=0; done
    for rep in $(seq "$SWEEP_REPS"); do for lb in $left; do
      one sweep "$lb" "$rep" "$r" $((r * SECS)) && [ "$LAST_OK" = 1 ] && OKN[$lb]=$(( ${OKN[$lb]} + 1 ))
    done; done
    for lb in $left; do
      if [ "${OKN[$lb]}" -gt 0 ]; then BEST[$lb]=$r
      else ACTIVE[$lb]=0; log "sweep: $lb stops, no ok run at $r cps"; fi
    done
  done
fi
for kv in $OVERLOAD_BASE; do BEST[${kv%%=*}]=${kv#*=}; done

if [ "${SKIP_FAILOVER:-0}" != 1 ]; then
  log "phase failover: $FO_RATE cps for $FO_SECS s, backend $KILL_PORT SIGKILLed at ${KILL_AT}s, $FO_REPS reps"
  for rep in $(seq "$FO_REPS"); do for lb in $LBS; do
    one failover "$lb" "$rep" "$FO_RATE" $((FO_RATE * FO_SECS)) KILL_PORT="$KILL_PORT" KILL_AT="$KILL_AT"
    ./backends.sh start-one "$KILL_PORT" >&2
    python3 lib/sip_ping.py "$BIND_IP" "$KILL_PORT" 10 >/dev/null || { log "backend $KILL_PORT did not come back"; exit 1; }
  done; done
fi

if [ "${SKIP_OVERLOAD:-0}" != 1 ]; then
  log "phase overload: ${OVERLOAD_FACTOR} x highest passing rate for $OVERLOAD_SECS s, $OVERLOAD_REPS reps"
  for rep in $(seq "$OVERLOAD_REPS"); do for lb in $LBS; do
    base="${BEST[$lb]:-}"
    if [ -z "$base" ]; then log "overload: no passing rate known for $lb (sweep skipped or nothing passed): skipped"; continue; fi
    r=$(python3 -c "print(int(round($base * $OVERLOAD_FACTOR)))")
    XJSON="{\"overload_base_rate\": $base, \"overload_factor\": $OVERLOAD_FACTOR}"
    one overload "$lb" "$rep" "$r" $((r * OVERLOAD_SECS))
    XJSON=""
  done; done
fi

echo "{\"type\": \"compare-end\", \"compare_id\": \"$COMPARE_ID\", \"date_utc\": \"$(date -u +%FT%TZ)\", \"duration_s\": $(( $(date +%s) - T0 )), \"runs\": $NRUN}" >> "$OUT"
log "all phases done ($NRUN runs)"
if [ "${NO_REPORT:-0}" != 1 ]; then
  python3 "$BENCH_ROOT/report.py" "$OUT" --out "${RESULTS_MD:-$BENCH_ROOT/RESULTS.md}"
fi
