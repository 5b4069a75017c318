#!/usr/bin/env bash
# lb-siplb.sh start|stop|status — siplb as the LB under test, plugged into the harness the way
# lb-kamailio.sh is: started in the background from the repo's build, PID (the node process
# itself, so its whole tree is sampled) in run/lb.pid, ready when an OPTIONS through it returns.
# Env: SIPLB_CONFIG (default ../siplb-bench.yaml), NODE_OPTS (extra node flags, e.g. --cpu-prof).
set -u
. "$(dirname "$0")/lib/common.sh"
PIDF="$RUN_DIR/lb.pid"
REPO="$(cd "$BENCH/../.." && pwd)"
CONFIG="${SIPLB_CONFIG:-$REPO/bench/siplb-bench.yaml}"

start() {
  if [ -f "$PIDF" ] && pid_alive "$(cat "$PIDF")"; then echo "LB already running pid $(cat "$PIDF")"; return 0; fi
  [ -f "$REPO/dist/cli/index.js" ] || (cd "$REPO" && npm run --silent build) || return 1
  # shellcheck disable=SC2086
  setsid node ${NODE_OPTS:-} "$REPO/dist/cli/index.js" start --config "$CONFIG" \
      </dev/null >"$OUT_DIR/siplb.log" 2>&1 &
  echo $! > "$PIDF"
  if python3 "$BENCH/lib/sip_ping.py" 127.0.0.1 5060 10 >/dev/null; then
    echo "siplb started pid $(cat "$PIDF") config=$CONFIG"
  else
    echo "siplb did not answer; log:" >&2; tail -20 "$OUT_DIR/siplb.log" >&2; stop; return 1
  fi
}

stop() {
  [ -f "$PIDF" ] || return 0
  stop_pid "$(cat "$PIDF")" "dist/cli/index.js" || true
  rm -f "$PIDF"
  echo "siplb stopped"
}

case "${1:-}" in
  start) start;;
  stop) stop;;
  status) if [ -f "$PIDF" ] && pid_alive "$(cat "$PIDF")"; then echo "up pid $(cat "$PIDF")"; else echo down; fi;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2;;
esac
