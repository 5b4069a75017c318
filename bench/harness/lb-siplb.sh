#!/usr/bin/env bash
# lb-siplb.sh start|stop|status — siplb as the LB under test, plugged into the harness the way
# lb-kamailio.sh is: started in the background from the repo's build, PID (the node process
# itself, so its whole tree is sampled) in run/lb.pid, ready when an OPTIONS through it returns
# and its admin API reports every backend eligible.
# Env: SIPLB_CONFIG (default ../siplb-bench.yaml), NODE_BIN (default the repo's node_modules/.bin/node), NODE_OPTS (node flags; default --max-semi-space-size=4 as npm start and the systemd unit use),
#      MALLOC_ARENA_MAX (glibc; default 2 as npm start and the systemd unit set it, bench/MEMORY.md
#      "Session 12"; set it empty to run with glibc's default of one arena per thread),
#      SIPLB_LOG_LEVEL (read by siplb itself; overrides log.level of the config),
#      SIPLB_ADMIN (127.0.0.1:8061: where readiness asks GET /backends; "none" to skip),
#      LB_PORT (5060).
# Safe to alternate with lb-kamailio.sh: both use run/lb.pid; start refuses while run/lb.pid is a
# live process that is not siplb (and while LB_PORT is still bound); stop only ever signals a
# PID whose cmdline is siplb's and waits until LB_PORT is free again.
set -u
. "$(dirname "$0")/lib/common.sh"
PIDF="$RUN_DIR/lb.pid"
REPO="$(cd "$BENCH/../.." && pwd)"
CONFIG="${SIPLB_CONFIG:-$REPO/bench/siplb-bench.yaml}"
MARK="dist/cli/index.js"
# siplb runs on the Node.js 24 that `npm ci` put in node_modules/.bin, as npm start and the tests
# do; NODE_BIN overrides it (e.g. to compare runtimes).
NODE_BIN="${NODE_BIN:-$REPO/node_modules/.bin/node}"
LB_PORT="${LB_PORT:-5060}"
SIPLB_ADMIN="${SIPLB_ADMIN:-127.0.0.1:8061}"

is_siplb() { tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$MARK"; }
udp_bound() { [ -n "$(ss -Hlun "( sport = :$1 )" 2>/dev/null)" ]; }
wait_port_free() {   # bounded: 10 s
  local i
  for i in $(seq 100); do udp_bound "$LB_PORT" || return 0; sleep 0.1; done
  return 1
}

# every backend of the config eligible (health up/failing, admin enabled) per GET /backends
wait_backends_eligible() {
  [ "$SIPLB_ADMIN" = none ] && return 0
  python3 - "$SIPLB_ADMIN" <<'PY'
import json, sys, time, urllib.request
url = f"http://{sys.argv[1]}/backends"
deadline, last = time.time() + 10, "no answer"
while time.time() < deadline:
    try:
        bs = json.load(urllib.request.urlopen(url, timeout=1))
        if bs and all(b.get("eligible") for b in bs):
            sys.exit(0)
        last = ", ".join(f"{b.get('id')}={b.get('health')}/{b.get('admin')}" for b in bs)
    except Exception as e:  # not listening yet
        last = str(e)
    time.sleep(0.2)
print(f"siplb backends not all eligible after 10 s: {last}", file=sys.stderr)
sys.exit(1)
PY
}

start() {
  if [ -f "$PIDF" ] && pid_alive "$(cat "$PIDF")"; then
    if is_siplb "$(cat "$PIDF")"; then echo "LB already running pid $(cat "$PIDF")"; return 0; fi
    echo "run/lb.pid is pid $(cat "$PIDF"), which is not siplb: stop that LB first" >&2; return 1
  fi
  # the previous LB (e.g. Kamailio) may still be releasing the port; an OPTIONS ping would
  # otherwise be answered by it and look like siplb being ready
  wait_port_free || { echo "udp 127.0.0.1:$LB_PORT still bound by another process" >&2; return 1; }
  [ -x "$NODE_BIN" ] || { echo "no Node.js at $NODE_BIN: run npm ci in $REPO (or set NODE_BIN)" >&2; return 1; }
  [ -f "$REPO/dist/cli/index.js" ] || (cd "$REPO" && npm run --silent build) || return 1
  # MALLOC_ARENA_MAX=2 and --max-semi-space-size=4: what the shipped launchers (npm start, systemd
  # unit) set, so the harness measures what is shipped
  if [ -n "${MALLOC_ARENA_MAX-2}" ]; then export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX-2}"; else unset MALLOC_ARENA_MAX; fi
  # shellcheck disable=SC2086
  setsid "$NODE_BIN" ${NODE_OPTS:---max-semi-space-size=4} "$REPO/dist/cli/index.js" start --config "$CONFIG" \
      </dev/null >"$OUT_DIR/siplb.log" 2>&1 &
  local pid=$!
  echo "$pid" > "$PIDF"
  sleep 0.1
  # setsid execs in place when it is not a process-group leader (always the case in a script);
  # if it had forked, $! would be a short-lived setsid and run.sh would sample nothing
  if pid_alive "$pid" && ! is_siplb "$pid"; then
    echo "pid $pid is not the node process (setsid forked?): $(tr '\0' ' ' < "/proc/$pid/cmdline")" >&2
  fi
  if python3 "$BENCH/lib/sip_ping.py" 127.0.0.1 "$LB_PORT" 10 >/dev/null && pid_alive "$pid" \
     && wait_backends_eligible; then
    echo "siplb started pid $pid config=$CONFIG log=${SIPLB_LOG_LEVEL:-config}"
  else
    echo "siplb did not become ready; log:" >&2; tail -20 "$OUT_DIR/siplb.log" >&2; stop; return 1
  fi
}

stop() {
  [ -f "$PIDF" ] || return 0
  local pid; pid=$(cat "$PIDF")
  if pid_alive "$pid" && ! is_siplb "$pid"; then
    echo "run/lb.pid is pid $pid, which is not siplb: not touching it" >&2; return 1
  fi
  stop_pid "$pid" "$MARK" || return 1
  rm -f "$PIDF"
  wait_port_free || echo "warning: udp :$LB_PORT still bound after siplb stopped" >&2
  echo "siplb stopped"
}

case "${1:-}" in
  start) start;;
  stop) stop;;
  status) if [ -f "$PIDF" ] && pid_alive "$(cat "$PIDF")" && is_siplb "$(cat "$PIDF")"; then echo "up pid $(cat "$PIDF")"; else echo down; fi;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2;;
esac
