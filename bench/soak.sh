#!/usr/bin/env bash
# bench/soak.sh — memory over a long run: sipp UAC -> siplb -> 3 sipp UAS at RATE calls/s for
# MINUTES minutes (default 1000 cps, 10 min), siplb's VmRSS sampled every 10 s from /proc.
# Prints the run's JSON line (harness run.sh), then one JSON line: RSS per minute, the peak, and
# the slope over the run after the first minute (MB per minute; flat memory is ~0).
# Loopback only; bounded by the call count and sipp's -timeout; processes stopped by PID.
set -u
cd "$(dirname "$0")/harness"
RATE="${RATE:-1000}"; MINUTES="${MINUTES:-10}"
export RESULTS="${RESULTS:-$PWD/results/results.jsonl}"
SAMPLES="$PWD/out/soak-rss-$(date +%Y%m%d-%H%M%S).csv"
mkdir -p out
trap './lb-siplb.sh stop >/dev/null 2>&1; ./backends.sh stop >/dev/null 2>&1; [ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null' EXIT
./backends.sh start >&2 || exit 1
./lb-siplb.sh start >&2 || exit 1
PID=$(cat run/lb.pid)
( t0=$(date +%s); while kill -0 "$PID" 2>/dev/null; do
    echo "$(( $(date +%s) - t0 )),$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null)"; sleep 10; done ) > "$SAMPLES" &
SAMPLER=$!
LABEL=siplb-soak RATE=$RATE CALLS=$((RATE * MINUTES * 60)) QUIET_WAIT_S=5 ./run.sh
./lb-siplb.sh stop >&2
kill "$SAMPLER" 2>/dev/null; SAMPLER=
python3 - "$SAMPLES" "$RATE" "$MINUTES" <<'PY'
import json, sys
rows = [tuple(map(int, l.split(','))) for l in open(sys.argv[1]) if l.strip() and l.strip().split(',')[1]]
mb = lambda kb: round(kb / 1024, 1)
per_min = {}
for t, kb in rows:
    per_min[t // 60] = kb
after = [(t, kb) for t, kb in rows if t >= 60]
slope = None
if len(after) >= 3:
    n = len(after); mt = sum(t for t, _ in after) / n; mk = sum(k for _, k in after) / n
    cov = sum((t - mt) * (k - mk) for t, k in after); var = sum((t - mt) ** 2 for t, _ in after)
    slope = round(cov / var * 60 / 1024, 2) if var else None
print(json.dumps({"soak": True, "rate": int(sys.argv[2]), "minutes": int(sys.argv[3]), "samples": len(rows),
                  "rss_mb_by_minute": {m: mb(k) for m, k in sorted(per_min.items())},
                  "rss_peak_mb": mb(max(k for _, k in rows)) if rows else None,
                  "rss_slope_mb_per_min_after_1min": slope, "samples_csv": sys.argv[1]}))
PY
