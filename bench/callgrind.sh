#!/usr/bin/env bash
# Instructions per SIP message through siplb's proxy core, counted by valgrind's callgrind:
# repeatable whatever else the machine does (the count depends on the code a message runs, the
# JIT's decisions and the garbage collector's work, not on time).
#
# Runs bench/micro/call-path.mjs under callgrind: PREP calls are built and run once (JIT warm-up),
# then CALLS whole UDP calls (ROUNDS times, each on a fresh proxy; the last round is counted) (INVITE/100/180/200/ACK/BYE/200, in bursts of 32 overlapping calls)
# go through a fresh proxy core wired as a node with the shipped defaults (no sockets). The
# script calls getuid() just before that loop and getgid() just after it; callgrind zeroes its
# counters on entering getuid and dumps them on entering getgid (--zero-before/--dump-before), so
# the dump holds the instructions of the measured loop only: node's start-up, module loading,
# the preparation, the warm-up and exit are not in it. Figure = Ir(dump) / (CALLS * 7).
# Node runs with its normal JIT (no --no-opt: that is not what production runs) and the
# production flag --max-semi-space-size=4; callgrind counts every thread, so the GC's helper
# threads count too (a message's garbage is part of its cost), and so do JIT compilations and
# GC pauses that fall in the loop: those vary a little between runs (see bench/PERF-NOTES.md for
# the spread). --smc-check=all-non-file: V8 writes and patches machine code at run time.
#
# Usage: npm run build && bench/callgrind.sh       (~8-15 min on a busy 2-core VM)
# Env: CALLS (3072, a multiple of 32), ROUNDS (1), PREP (= CALLS), OUT_DIR (callgrind files; default a temp
# dir, kept), NODE_BIN, NODE_FLAGS (extra node flags; `--predictable` makes the count repeatable to
# ~0.1 %: JIT compilation and GC on the main thread, at fixed points, see bench/PERF-NOTES.md).
# Dumps are read by bench/callgrind_dump.py (shared with callgrind-split.py and callgrind-cold.sh).
# Per function: callgrind_annotate --inclusive=no $OUT_DIR/callgrind.out.1 | head -60
# (JIT-compiled JavaScript shows as ??? addresses: node --cpu-prof, PROFILE= in call-path.mjs,
# splits it by JS function.)
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${CALLS:-3072}
ROUNDS=${ROUNDS:-1}
PREP=${PREP:-$CALLS}
NODE_BIN=${NODE_BIN:-node_modules/.bin/node}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/siplb-callgrind.XXXXXX)}
mkdir -p "$OUT_DIR"
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install -y valgrind)" >&2; exit 2; }
[ -f dist/proxy/dispatcher.js ] || { echo "no dist/: run npm run build first" >&2; exit 2; }

CALLS=$CALLS PREP=$PREP ROUNDS=$ROUNDS CALLGRIND_MARKS=1 valgrind --tool=callgrind --smc-check=all-non-file \
  --zero-before='*getuid' --dump-before='*getgid' --callgrind-out-file="$OUT_DIR/callgrind.out" \
  "$NODE_BIN" --max-semi-space-size=4 ${NODE_FLAGS:-} bench/micro/call-path.mjs >"$OUT_DIR/stdout" 2>"$OUT_DIR/stderr"
# node calls getuid/getgid itself at start-up (environment checks): those make tiny dumps; the
# measured loop's is the largest.
read -r DUMP IR < <(python3 bench/callgrind_dump.py largest "$OUT_DIR") || true
[ -n "$DUMP" ] || { echo "callgrind wrote no dump at getgid (see $OUT_DIR/stderr)" >&2; exit 1; }
python3 - "$IR" "$CALLS" "$OUT_DIR" "$DUMP" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'PY'
import json, sys
ir, calls = int(sys.argv[1]), int(sys.argv[2])
print(json.dumps({"bench": "callgrind-call-path", "instructions_per_msg": round(ir / (calls * 7)), "ir_loop": ir,
                  "calls": calls, "msgs_per_call": 7, "commit": sys.argv[5], "dump": sys.argv[4]}))
PY
