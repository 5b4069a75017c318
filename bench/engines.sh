#!/usr/bin/env bash
# bench/engines.sh — siplb on its two UDP engines side by side (issue 20): the native accelerator
# (sip.udpEngine: native) and node:dgram (sip.udpEngine: dgram), ALTERNATING (native, dgram,
# native, ...) so a busy machine hurts both alike. Each run: the harness's sipp UAC -> siplb -> 3
# sipp UAS at RATE calls/s for SECS s; one JSON line per run (harness/run.sh: CPU s per 1000
# calls, peak RSS, failed calls), then the medians per engine.
# Env: RATE (1000) SECS (20) REPS (3) LB_PORT (5060) BACKEND_PORTS ("5071 5072 5073")
#      UAC_PORT (5090) ADMIN (127.0.0.1:8061) PAUSE_S (2) QUIET_WAIT_S (run.sh, 60)
# Needs `npm run build` and `npm run build:native`. Loopback only; every run bounded by run.sh;
# every process started here is stopped by PID (harness scripts, trap on EXIT).
set -u
BENCH_ROOT="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$BENCH_ROOT/.." && pwd)"
cd "$BENCH_ROOT/harness" || exit 1
RATE="${RATE:-1000}"; SECS="${SECS:-20}"; REPS="${REPS:-3}"; PAUSE_S="${PAUSE_S:-2}"
export LB_PORT="${LB_PORT:-5060}" BACKEND_PORTS="${BACKEND_PORTS:-5071 5072 5073}" UAC_PORT="${UAC_PORT:-5090}"
export SIPLB_ADMIN="${ADMIN:-127.0.0.1:8061}"
[ -f "$REPO/native/udp/build/Release/siplb_udp.node" ] || { echo "engines.sh: run npm run build:native first" >&2; exit 1; }
STAMP="$(date +%Y%m%d-%H%M%S)"
export RESULTS="${RESULTS:-$PWD/results/engines-$STAMP.jsonl}"
CONF_DIR="$(mktemp -d)"
trap './lb-siplb.sh stop >/dev/null 2>&1; ./backends.sh stop >/dev/null 2>&1; rm -rf "$CONF_DIR"' EXIT

write_config() { # ENGINE -> path of a siplb config: bench/siplb-bench.yaml with these ports and engine
  local f="$CONF_DIR/siplb-$1.yaml" i=0 p
  {
    printf 'sip:\n  listen: 127.0.0.1:%s\n  udpEngine: %s\nbackends:\n' "$LB_PORT" "$1"
    for p in $BACKEND_PORTS; do i=$((i + 1)); printf '  - { id: gw%s, address: 127.0.0.1:%s }\n' "$i" "$p"; done
    printf 'health:\n  interval: 1s\n  timeout: 500ms\n  fall: 2\n  rise: 2\nadmin:\n  listen: %s\nlog:\n  level: warn\n' "$SIPLB_ADMIN"
  } > "$f"
  echo "$f"
}

./backends.sh start >&2 || exit 1
for i in $(seq "$REPS"); do
  for engine in native dgram; do
    SIPLB_CONFIG="$(write_config "$engine")" ./lb-siplb.sh start >&2 || exit 1
    used=$(python3 -c "import json,urllib.request;print(json.load(urllib.request.urlopen('http://$SIPLB_ADMIN/status')).get('udpEngine'))")
    [ "$used" = "$engine" ] || { echo "engines.sh: asked for $engine, siplb reports $used" >&2; exit 1; }
    LB_ADDR="127.0.0.1:$LB_PORT" LABEL="siplb-$engine" RATE=$RATE CALLS=$((RATE * SECS)) ./run.sh
    ./lb-siplb.sh stop >&2
    sleep "$PAUSE_S"
  done
done
python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for eng in ("native", "dgram"):
    rs = [r for r in rows if r.get("label") == f"siplb-{eng}"]
    if not rs: continue
    cpu = [r["lb_cpu_s_per_1k_calls"] for r in rs if r.get("lb_cpu_s_per_1k_calls") is not None]
    rss = [r["lb_rss_sum_peak_kb"] / 1024 for r in rs if r.get("lb_rss_sum_peak_kb")]
    print(json.dumps({"engine": eng, "runs": len(rs), "ok": sum(1 for r in rs if r.get("ok")),
                      "cpu_s_per_1k_calls": cpu, "median_cpu_s_per_1k_calls": statistics.median(cpu) if cpu else None,
                      "rss_peak_mb": [round(x, 1) for x in rss], "machine_busy_pct": [r.get("machine_busy_pct") for r in rs],
                      "invite_p50_ms": [r.get("rt_invite_p50_ms") for r in rs]}))
PY
