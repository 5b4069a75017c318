#!/usr/bin/env bash
# bench/tcp.sh — SIP over TCP, siplb beside Kamailio on the same harness (issue 16):
#   1. CPU-seconds per 1000 calls at RATE (1000) calls/s for SECS (20) s with the sipp caller on
#      one TCP connection (-t t1; UAC_TRANSPORT=tn for one per call), the three sipp UAS backends
#      on UDP; Kamailio (tuned: fm, 4 MB buffers, 2 UDP + 2 TCP workers) and siplb alternate,
#      REPS (3) times each. One JSON line per run (harness/run.sh), medians are for the reader.
#   2. RSS per 1000 idle TCP connections: siplb's RSS before and after IDLE (1000) connections
#      that each sent a CRLF ping, then held idle (bench/idle-conns.mjs).
# Loopback only; every process is started and stopped by PID; every run is bounded (run.sh).
set -u
cd "$(dirname "$0")/harness"
. lib/common.sh
RATE="${RATE:-1000}"; SECS="${SECS:-20}"; REPS="${REPS:-3}"; IDLE="${IDLE:-1000}"
export UAC_TRANSPORT="${UAC_TRANSPORT:-t1}"
export RESULTS="${RESULTS:-$PWD/results/tcp-$(date +%Y%m%d-%H%M%S).jsonl}"
REPO="$(cd ../.. && pwd)"
export SIPLB_CONFIG="$REPO/bench/siplb-bench-tcp.yaml"
trap './lb-siplb.sh stop >/dev/null 2>&1; ./lb-kamailio.sh stop >/dev/null 2>&1; ./backends.sh stop >/dev/null 2>&1' EXIT
./backends.sh start >&2 || exit 1
for i in $(seq "$REPS"); do
  KAM_TCP=1 KAM_MEM=fm KAM_MAXBUFFER=4194304 ./lb-kamailio.sh start >&2 || exit 1
  LABEL=kam-tuned-tcp RATE=$RATE CALLS=$((RATE * SECS)) ./run.sh
  ./lb-kamailio.sh stop >&2
  ./lb-siplb.sh start >&2 || exit 1
  LABEL=siplb-tcp RATE=$RATE CALLS=$((RATE * SECS)) ./run.sh
  ./lb-siplb.sh stop >&2
done

# RSS per 1000 idle connections (siplb).
./lb-siplb.sh start >&2 || exit 1
PID=$(cat run/lb.pid)
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
BEFORE=$(rss "$PID")
"$REPO/node_modules/.bin/node" "$REPO/bench/idle-conns.mjs" 5060 "$IDLE" 6 > run/idle.json &
CLIENT=$!
sleep $(( IDLE / 500 + 3 ))
AFTER=$(rss "$PID")
OPEN=$(curl -s "http://127.0.0.1:8061/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"]["open"].get("tcp/in",0))')
wait "$CLIENT"
./lb-siplb.sh stop >&2
python3 - "$BEFORE" "$AFTER" "$OPEN" "$IDLE" "$(cat run/idle.json)" <<'PY'
import json, sys
before, after, open_, idle, client = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5])
print(json.dumps({"label": "siplb-idle-tcp", "connections_asked": idle, "connections_open": open_, "client": client,
                  "rss_before_kb": before, "rss_after_kb": after,
                  "rss_per_1000_kb": round((after - before) * 1000 / max(1, open_), 1)}))
PY
