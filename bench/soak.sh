#!/usr/bin/env bash
# bench/soak.sh — memory and correctness over a long run with bad traffic mixed in (issue 18):
# sipp UAC -> siplb -> 3 sipp UAS at RATE calls/s for MINUTES minutes (default 500 cps, 30 min),
# plus MALFORMED_PCT % of that rate (default 10 %) in malformed requests from another socket
# (bench/soak-malformed.mjs: what siplb must answer 400/416/420/505, and what it must drop).
# siplb's VmRSS is sampled every SAMPLE_S seconds (default 10) from /proc.
# Prints the run's JSON line (harness run.sh: failed calls are in it), the malformed sender's
# JSON line (answers by status), then one JSON line: RSS samples per minute, the peak, and the
# slope over the run after the first minute (MB per minute; flat memory is ~0).
# Duration: MINUTES=30 (default) or SECONDS_TOTAL=150 for a short run.
# Ports (loopback only): LB_PORT=43060, ADMIN_PORT=43061, BACKEND_PORTS="43071 43072 43073",
# UAC_PORT=43090. Bounded by the call count and sipp's -timeout; processes stopped by PID.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$HERE/harness"
RATE="${RATE:-500}"; MINUTES="${MINUTES:-30}"; MALFORMED_PCT="${MALFORMED_PCT:-10}"; SAMPLE_S="${SAMPLE_S:-10}"
SECONDS_TOTAL="${SECONDS_TOTAL:-$((MINUTES * 60))}"
export LB_PORT="${LB_PORT:-43060}" ADMIN_PORT="${ADMIN_PORT:-43061}" UAC_PORT="${UAC_PORT:-43090}"
export BACKEND_PORTS="${BACKEND_PORTS:-43071 43072 43073}"
export LB_ADDR="127.0.0.1:$LB_PORT" SIPLB_ADMIN="127.0.0.1:$ADMIN_PORT"
export RESULTS="${RESULTS:-$PWD/results/results.jsonl}"
mkdir -p out run
STAMP="$(date +%Y%m%d-%H%M%S)"
SAMPLES="$PWD/out/soak-rss-$STAMP.csv"
export SIPLB_CONFIG="$PWD/run/soak-siplb-$STAMP.yaml"
{
  echo "sip:"; echo "  listen: 127.0.0.1:$LB_PORT"; echo "backends:"
  i=0; for p in $BACKEND_PORTS; do i=$((i + 1)); echo "  - { id: gw$i, address: 127.0.0.1:$p }"; done
  echo "health: { interval: 1s, timeout: 500ms, fall: 2, rise: 2 }"
  echo "admin: { listen: 127.0.0.1:$ADMIN_PORT }"
  echo "log: { level: warn }"
} > "$SIPLB_CONFIG"
BAD_RATE=$(( RATE * MALFORMED_PCT / 100 ))
trap './lb-siplb.sh stop >/dev/null 2>&1; ./backends.sh stop >/dev/null 2>&1; [ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null; [ -n "${BAD:-}" ] && kill "$BAD" 2>/dev/null' EXIT
./backends.sh start >&2 || exit 1
./lb-siplb.sh start >&2 || exit 1
PID=$(cat run/lb.pid)
( t0=$(date +%s); while kill -0 "$PID" 2>/dev/null; do
    echo "$(( $(date +%s) - t0 )),$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null)"; sleep "$SAMPLE_S"; done ) > "$SAMPLES" &
SAMPLER=$!
NODE="${NODE_BIN:-$HERE/../node_modules/.bin/node}"
"$NODE" "$HERE/soak-malformed.mjs" 127.0.0.1 "$LB_PORT" "$BAD_RATE" "$SECONDS_TOTAL" > "out/soak-malformed-$STAMP.json" &
BAD=$!
LABEL=siplb-soak RATE=$RATE CALLS=$((RATE * SECONDS_TOTAL)) QUIET_WAIT_S=5 ./run.sh
wait "$BAD"; BAD=
cat "out/soak-malformed-$STAMP.json"
./lb-siplb.sh stop >&2
kill "$SAMPLER" 2>/dev/null; SAMPLER=
python3 - "$SAMPLES" "$RATE" "$SECONDS_TOTAL" "$MALFORMED_PCT" <<'PY'
import json, sys
rows = [tuple(map(int, l.split(','))) for l in open(sys.argv[1]) if l.strip() and l.strip().split(',')[1]]
mb = lambda kb: round(kb / 1024, 1)
after = [(t, kb) for t, kb in rows if t >= 60]
slope = None
if len(after) >= 3:
    n = len(after); mt = sum(t for t, _ in after) / n; mk = sum(k for _, k in after) / n
    cov = sum((t - mt) * (k - mk) for t, k in after); var = sum((t - mt) ** 2 for t, _ in after)
    slope = round(cov / var * 60 / 1024, 2) if var else None
print(json.dumps({"soak": True, "rate": int(sys.argv[2]), "seconds": int(sys.argv[3]), "malformed_pct": int(sys.argv[4]),
                  "samples": len(rows), "rss_mb_samples": [[t, mb(k)] for t, k in rows],
                  "rss_peak_mb": mb(max(k for _, k in rows)) if rows else None,
                  "rss_slope_mb_per_min_after_1min": slope, "samples_csv": sys.argv[1]}))
PY
