#!/usr/bin/env bash
# memwatch.sh — one live memory session of siplb under load (bench/MEMORY.md), repeatable:
# starts the backends and siplb, samples every second (until the run ends) the LB's
# VmRSS / RssAnon / RssFile from /proc/PID/status and nodejs_heap_size_total_bytes,
# nodejs_heap_size_used_bytes and nodejs_external_memory_bytes from the admin /metrics, runs
# `run.sh` (RATE, CALLS as there), stops both, and prints the peaks (MB) plus the run's
# lb_rss_sum_peak_kb and lb_cpu_s_per_1k_calls as one JSON line.
# Takes the shared live lock itself (/tmp/siplb-live.lock: one live session on the box at a time).
# Env: RATE=1000 CALLS=20000, SIPLB_CONFIG (default ../siplb-bench-native.yaml), NODE_OPTS and
#      MALLOC_ARENA_MAX (as lb-siplb.sh), SIPLB_ADMIN=127.0.0.1:8061, MEMWATCH_OUT (samples, default out/memwatch-<time>.tsv),
#      LABEL (recorded in the JSON and passed to run.sh), SMAPS=1 (keep /proc/PID/smaps of the last
#      sample next to the samples, as <samples>.smaps), UAS_SCENARIO=ring-uas.xml (backends.sh: callees
#      that ring 3 s, so every call's INVITE is held that long).
set -u
H="${HARNESS:-$(cd "$(dirname "$0")" && pwd)}"   # HARNESS: another checkout's bench/harness (e.g. a "before" build)
. "$H/lib/common.sh"
export RATE="${RATE:-1000}" CALLS="${CALLS:-20000}"
export SIPLB_CONFIG="${SIPLB_CONFIG:-$H/../siplb-bench-native.yaml}"
export LABEL="${LABEL:-mem}"
SIPLB_ADMIN="${SIPLB_ADMIN:-127.0.0.1:8061}"
OUT="${MEMWATCH_OUT:-$OUT_DIR/memwatch-$(date +%Y%m%d-%H%M%S)-$$.tsv}"

if [ "${MEMWATCH_LOCKED:-0}" != 1 ]; then
  MEMWATCH_LOCKED=1 exec flock /tmp/siplb-live.lock "$(cd "$(dirname "$0")" && pwd)/$(basename "$0")" "$@"
fi

# sample PID every second into $OUT until PID dies or this sampler is killed
sample() {
  local pid="$1" t0 now
  t0=$(date +%s.%N)
  printf 't_s\tvmrss_kb\trss_anon_kb\trss_file_kb\theap_total\theap_used\texternal\n' > "$OUT"
  while kill -0 "$pid" 2>/dev/null; do
    now=$(date +%s.%N)
    local st m
    st=$(awk '/^VmRSS|^RssAnon|^RssFile/ {printf "%s\t", $2}' "/proc/$pid/status" 2>/dev/null)
    m=$(curl -s -m 0.8 "http://$SIPLB_ADMIN/metrics" 2>/dev/null | awk '
      /^nodejs_heap_size_total_bytes[{ ]/ {t=$NF} /^nodejs_heap_size_used_bytes[{ ]/ {u=$NF}
      /^nodejs_external_memory_bytes[{ ]/ {e=$NF} END {printf "%s\t%s\t%s", t, u, e}')
    printf '%.1f\t%s%s\n' "$(echo "$now - $t0" | bc)" "$st" "$m" >> "$OUT"
    # the mappings at the last sample (where anonymous memory is: heap, malloc arenas, code)
    [ "${SMAPS:-0}" = 1 ] && cp "/proc/$pid/smaps" "$OUT.smaps" 2>/dev/null
    sleep 1
  done
}

"$H/backends.sh" start >/dev/null || exit 1
if ! "$H/lb-siplb.sh" start >/dev/null; then "$H/backends.sh" stop >/dev/null; exit 1; fi
LBPID=$(cat "$RUN_DIR/lb.pid")
sample "$LBPID" & SAMPLER=$!
RUNJSON=$("$H/run.sh" | tail -1)
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null
"$H/lb-siplb.sh" stop >/dev/null
"$H/backends.sh" stop >/dev/null

python3 - "$OUT" "$RUNJSON" "$LABEL" <<'PY'
import json, sys
out, runjson, label = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [l.rstrip('\n').split('\t') for l in open(out)][1:]
def col(i, scale):
    v = [float(r[i]) for r in rows if len(r) > i and r[i] not in ('', None)]
    return round(max(v) / scale, 1) if v else None
try: run = json.loads(runjson)
except Exception: run = {}
print(json.dumps({"label": label, "samples": out,
  "peak_vmrss_mb": col(1, 1024), "peak_rss_anon_mb": col(2, 1024), "peak_rss_file_mb": col(3, 1024),
  "peak_heap_total_mb": col(4, 1048576), "peak_heap_used_mb": col(5, 1048576), "peak_external_mb": col(6, 1048576),
  "lb_rss_sum_peak_kb": run.get("lb_rss_sum_peak_kb"), "lb_cpu_s_per_1k_calls": run.get("lb_cpu_s_per_1k_calls"),
  "failed": run.get("failed", run.get("calls_failed"))}))
PY
