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
# Prints one JSON line: Ir per datagram (all threads and the main loop), the main loop's share by
# phase per datagram (the batch's JS, on_poll's napi scaffolding, timers, check phase, platform
# tasks, other threads), napi costs per wake-up and per send, timer fires and loop iterations;
# writes OUT_DIR/split.txt (bench/callgrind-split.py) and OUT_DIR/inclusive.txt. Compare runs
# whose datagrams_per_wake and failed calls (OUT_DIR/results.jsonl) match: a busy machine makes
# the valgrind'd node lag, and a lagging window batches more datagrams per wake-up.
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
from collections import defaultdict
dump, dgrams = sys.argv[1], int(sys.argv[2])
# Inclusive cost and calls of the functions named below, summed over their call sites (none is
# recursive), from the dump's calls= lines.
WANT = {
    'uv_run': 'uv_run', 'uv__io_poll': 'uv__io_poll', 'on_poll': 'on_poll',
    'napi_call_function': 'batch_js', 'napi_make_callback': 'batch_js',
    'uv__run_timers': 'timers', 'node::Environment::RunTimers(uv_timer_s*)': 'timers_js',
    'uv__run_check': 'check', 'uv__async_io': 'platform_tasks',
    'js_send_bound': 'send', 'js_flush': 'flush_js',
    'napi_open_callback_scope': 'callback_scope', 'napi_close_callback_scope': 'callback_scope',
}
ir, names, fn = 0, {}, None
incl, calls = defaultdict(int), defaultdict(int)
pending = None
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
        if m:
            pending = WANT.get(fn or '')
            if pending: calls[pending] += int(m.group(1))
            continue
        if pending:
            parts = line.split()
            if len(parts) >= 2: incl[pending] += int(parts[1])
            pending = None
wakes = calls['on_poll']
per = lambda k: round(incl[k] / max(dgrams, 1))
breakdown = {
    'batch_js (napi call of #receive: JS, GC on the main thread)': per('batch_js'),
    'on_poll minus batch_js (napi scaffolding, recvmmsg, memcpy, sendmmsg)': round((incl['on_poll'] - incl['batch_js']) / max(dgrams, 1)),
    'timers (uv__run_timers)': per('timers'),
    'check phase (uv__run_check: CheckImmediate)': per('check'),
    'platform tasks (uv__async_io: GC/JIT foreground tasks)': per('platform_tasks'),
    'rest of uv_run': round((incl['uv_run'] - incl['on_poll'] - incl['timers'] - incl['check'] - incl['platform_tasks']) / max(dgrams, 1)),
    'other threads (compiler, concurrent GC)': round((ir - incl['uv_run']) / max(dgrams, 1)),
}
print(json.dumps({"bench": "callgrind-live", "ir_window": ir, "datagrams": dgrams,
                  "ir_per_datagram": round(ir / max(dgrams, 1)), "main_loop_ir_per_datagram": per('uv_run'),
                  "on_poll_calls": wakes, "datagrams_per_wake": round(dgrams / max(wakes, 1), 2),
                  "timer_fires": calls['timers_js'], "loop_iterations": calls['check'],
                  "per_datagram": breakdown,
                  "per_wake": {"on_poll_minus_batch_js": round((incl['on_poll'] - incl['batch_js']) / max(wakes, 1)),
                               "callback_scope": round(incl['callback_scope'] / max(wakes, 1)),
                               "send_per_call": round(incl['send'] / max(calls['send'], 1))},
                  "rate": int(sys.argv[5]), "calls": int(sys.argv[6]), "commit": sys.argv[4],
                  "dump": dump, "split": f"{sys.argv[3]}/split.txt"}))
PY
