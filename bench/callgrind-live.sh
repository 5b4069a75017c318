#!/usr/bin/env bash
# Instructions per datagram of a LIVE siplb (native UDP engine), counted by valgrind's callgrind:
# unlike bench/callgrind.sh (the proxy core in-process, no sockets), this counts everything the
# running process does per datagram relayed: libuv's loop turn, Node's callback machinery, the
# addon's napi calls, the syscall wrappers, JS per batch and the proxy core.
#
# Under the shared live lock (/tmp/siplb-live.lock, bench ports 5060/5071-5073/5090/8061): starts
# the harness backends (bench/harness/backends.sh), siplb from this checkout's dist under
# callgrind with SIPLB_CONFIG (default bench/siplb-bench-native.yaml), sends WARM calls at RATE
# (JIT warm-up, not counted), zeroes the counters (callgrind_control -z), sends CALLS calls at
# RATE, dumps (callgrind_control -d), then stops everything it started (by PID).
# Datagrams received in the window = the delta of siplb_requests_forwarded_total +
# siplb_responses_forwarded_total + health-probe answers (siplb_probe_rtt_seconds_count), read
# from GET /metrics just before the zero and just after the dump (so the admin requests are not
# in the count). Wake-ups with data = calls of on_poll (callgrind's call count).
# Prints one JSON line (Ir per datagram, per wake-up) and writes OUT_DIR/split.txt
# (bench/callgrind-split.py) and OUT_DIR/inclusive.txt (callgrind_annotate --inclusive=yes).
#
# Usage: npm run build && npm run build:native && bench/callgrind-live.sh
# Env: RATE (50 calls/s: valgrind keeps up), WARM (1500 calls), CALLS (3000), OUT_DIR (default a
# temp dir, kept), NODE_FLAGS (extra node flags, e.g. --predictable; default none: production's
# concurrent JIT/GC threads then count too, the split separates compiler and gc),
# SIPLB_CONFIG, NODE_BIN. Takes ~2.5 min at the defaults (valgrind start-up ~30 s).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RATE=${RATE:-30}
WARM=${WARM:-3000}
CALLS=${CALLS:-1500}
NODE_BIN=${NODE_BIN:-$REPO/node_modules/.bin/node}
SIPLB_CONFIG=${SIPLB_CONFIG:-$REPO/bench/siplb-bench-native-callgrind.yaml}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/siplb-cglive.XXXXXX)}
ADMIN=${ADMIN:-127.0.0.1:8061}
H=$REPO/bench/harness
mkdir -p "$OUT_DIR"
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
[ -f dist/cli/index.js ] || { echo "no dist/: run npm run build first" >&2; exit 2; }
[ -f native/udp/build/Release/siplb_udp.node ] || { echo "no addon: npm run build:native" >&2; exit 2; }

if [ -z "${CGLIVE_LOCKED:-}" ]; then
  exec env CGLIVE_LOCKED=1 OUT_DIR="$OUT_DIR" flock /tmp/siplb-live.lock "$0" "$@"
fi

metric_sum() {   # the sum of the datagrams received, from GET /metrics
  python3 - "$ADMIN" <<'PY'
import re, sys, urllib.request
text = urllib.request.urlopen(f"http://{sys.argv[1]}/metrics", timeout=30).read().decode()
total = 0.0
for line in text.splitlines():
    m = re.match(r'(siplb_requests_forwarded_total|siplb_responses_forwarded_total|siplb_probe_rtt_seconds_count)(\{[^}]*\})? ([0-9.e+]+)$', line)
    if m:
        total += float(m.group(3))
print(int(total))
PY
}

VG=""
cleanup() {
  if [ -n "$VG" ] && kill -0 "$VG" 2>/dev/null; then
    kill -TERM "$VG" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$VG" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$VG" 2>/dev/null && kill -KILL "$VG" 2>/dev/null || true
  fi
  "$H/backends.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$H/backends.sh" start >/dev/null
# shellcheck disable=SC2086
setsid valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="$OUT_DIR/callgrind.out.%p" \
  "$NODE_BIN" --max-semi-space-size=4 ${NODE_FLAGS:-} "$REPO/dist/cli/index.js" start --config "$SIPLB_CONFIG" \
  </dev/null >"$OUT_DIR/siplb.log" 2>&1 &
VG=$!
for _ in $(seq 120); do
  python3 "$H/lib/sip_ping.py" 127.0.0.1 5060 1 >/dev/null 2>&1 && break
  kill -0 "$VG" 2>/dev/null || { echo "siplb under valgrind died: $OUT_DIR/siplb.log" >&2; exit 1; }
done
python3 "$H/lib/sip_ping.py" 127.0.0.1 5060 2 >/dev/null || { echo "siplb not answering" >&2; exit 1; }
sleep 3 # health probes mark the backends up (rise 2)

RESULTS="$OUT_DIR/results.jsonl" QUIET_WAIT_S=3 QUIET_PCT=100 LB_PID=none LABEL=cg-warm RATE=$RATE CALLS=$WARM \
  OUT_DIR="$OUT_DIR/run" "$H/run.sh" >/dev/null
sleep 1
D0=$(metric_sum)
callgrind_control -z "$VG" >/dev/null
RESULTS="$OUT_DIR/results.jsonl" QUIET_WAIT_S=3 QUIET_PCT=100 LB_PID=none LABEL=cg-count RATE=$RATE CALLS=$CALLS \
  OUT_DIR="$OUT_DIR/run" "$H/run.sh" >/dev/null
callgrind_control -d "$VG" >/dev/null
D1=$(metric_sum)
cleanup
VG=""

# the counted dump: the one callgrind_control -d wrote (the exit dump has the highest number)
DUMP=$(ls "$OUT_DIR"/callgrind.out.*.1 2>/dev/null | head -1)
[ -n "$DUMP" ] || { echo "no dump from callgrind_control -d in $OUT_DIR" >&2; exit 1; }
DGRAMS=$((D1 - D0))
python3 bench/callgrind-split.py "$DUMP" "$DGRAMS" >"$OUT_DIR/split.txt" 2>&1 || true
callgrind_annotate --inclusive=yes "$DUMP" 2>/dev/null | head -400 >"$OUT_DIR/inclusive.txt" || true
python3 - "$DUMP" "$DGRAMS" "$OUT_DIR" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$RATE" "$CALLS" <<'PY'
import json, re, sys
dump, dgrams = sys.argv[1], int(sys.argv[2])
ir, wakes, fn = 0, 0, None
names = {}
with open(dump) as f:
    for line in f:
        if line.startswith('summary:'):
            ir = int(line.split()[1])
        m = re.match(r'(c?)fn=\((\d+)\)(?: (.*))?', line)
        if m:
            if m.group(3): names[m.group(2)] = m.group(3)
            fn = names.get(m.group(2)) if m.group(1) else None
            continue
        m = re.match(r'calls=(\d+)', line)
        if m and fn == 'on_poll':
            wakes += int(m.group(1))
print(json.dumps({"bench": "callgrind-live", "ir_window": ir, "datagrams": dgrams,
                  "ir_per_datagram": round(ir / max(dgrams, 1)), "on_poll_calls": wakes,
                  "datagrams_per_wake": round(dgrams / max(wakes, 1), 2),
                  "rate": int(sys.argv[5]), "calls": int(sys.argv[6]), "commit": sys.argv[4],
                  "dump": dump, "split": f"{sys.argv[3]}/split.txt"}))
PY
