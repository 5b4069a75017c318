#!/usr/bin/env bash
# Cache lines a SIP message pulls from memory when it runs cold, counted by callgrind's cache
# simulator: a repeatable figure for what a live node pays per datagram.
#
# Why: a live siplb at 1000 calls/s spends ~14-17 us of user CPU per datagram relayed, the same
# proxy core in a warm loop ~3 us, and both run about the same instructions (bench/PERF-NOTES.md,
# s11-wake). Between two wake-ups of a live node the kernel, the sleep and the other processes on
# the core (here sipp's) evict its caches, so most of a datagram's time is cache (and TLB) misses.
# `COLD=<MB> bench/micro/call-path.mjs` reproduces that in-process and times it (8 MB of eviction
# between datagrams: ~8 us p50; 16 MB: ~11 us; none: ~3 us); this script counts it instead.
#
# call-path.mjs runs under callgrind with --cache-sim: PREP calls warm the JIT up, then CALLS calls
# go through a fresh proxy core (the last of ROUNDS is counted, between call-path's getuid/getgid
# marks, as in bench/callgrind.sh), and before each datagram a COLD-MB buffer is written (one
# memset) so the simulated caches hold none of the previous datagram's lines. The simulated caches
# are a core's private ones: I1 and D1 32 KiB 8-way, LL 1 MiB 16-way (an EPYC core's L2; the
# shared L3 is what the other processes fight over). The memset's own accesses are left out:
# figures per datagram = (totals - memset's) / (CALLS * 7).
#   I1mr  instruction-fetch misses in I1 (the code the datagram runs that I1 no longer held);
#   D1m   data misses in D1 (reads + writes);
#   LLm   misses in LL, instruction + data: lines that came from memory (L3 or DRAM) — the
#         footprint a cold datagram pays for. A smaller figure is a cheaper live datagram.
# COLD=0 prints the same counts for a warm loop (no eviction) to compare.
# The TLB is not simulated (each 4 KiB page a cold datagram touches costs a page walk too, more in
# a VM); the figure is the lines, not the time.
#
# Usage: npm run build && bench/callgrind-cold.sh      (~3-6 min)
# Env: CALLS (256, a multiple of 32), PREP (2048), ROUNDS (2), COLD (4, MB), OUT_DIR, NODE_BIN,
#      NODE_FLAGS (e.g. --predictable).
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${CALLS:-256}
PREP=${PREP:-2048}
ROUNDS=${ROUNDS:-2}
COLD=${COLD:-4}
NODE_BIN=${NODE_BIN:-node_modules/.bin/node}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/siplb-callgrind-cold.XXXXXX)}
mkdir -p "$OUT_DIR"
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install -y valgrind)" >&2; exit 2; }
[ -f dist/proxy/dispatcher.js ] || { echo "no dist/: run npm run build first" >&2; exit 2; }
CALLS=$CALLS PREP=$PREP ROUNDS=$ROUNDS COLD=$COLD CALLGRIND_MARKS=1 valgrind --tool=callgrind --smc-check=all-non-file \
  --cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 --LL=1048576,16,64 \
  --zero-before='*getuid' --dump-before='*getgid' --callgrind-out-file="$OUT_DIR/callgrind.out" \
  "$NODE_BIN" --max-semi-space-size=4 ${NODE_FLAGS:-} bench/micro/call-path.mjs >"$OUT_DIR/stdout" 2>"$OUT_DIR/stderr"
# The measured loop's dump is the largest (node calls getuid/getgid at start-up too).
read -r DUMP IR < <(python3 bench/callgrind_dump.py largest "$OUT_DIR") || true
[ -n "$DUMP" ] || { echo "callgrind wrote no dump at getgid (see $OUT_DIR/stderr)" >&2; exit 1; }
python3 - "$DUMP" "$CALLS" "$COLD" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'PY'
import json, sys
sys.path.insert(0, "bench")
from callgrind_dump import self_costs
dump, calls, cold, commit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
events, costs = self_costs(dump)
msgs = calls * 7
e = {k: i for i, k in enumerate(events)}
tot = dict.fromkeys(events, 0)
evict_ir = 0
for name, v in costs.items():
    if "memset" in name:
        evict_ir += v[e["Ir"]]
        continue
    for k, i in e.items():
        tot[k] += v[i]
per = lambda *ks: round(sum(tot[k] for k in ks) / msgs)
print(json.dumps({"bench": "callgrind-cold", "cold_mb": cold, "per_datagram": {
    "Ir": per("Ir"), "I1mr": per("I1mr"), "D1m": per("D1mr", "D1mw"), "LLm": per("ILmr", "DLmr", "DLmw"),
    "ILmr": per("ILmr"), "DLm": per("DLmr", "DLmw")},
    "memset_Ir_per_datagram": round(evict_ir / msgs), "calls": calls, "commit": commit, "dump": dump}))
PY
