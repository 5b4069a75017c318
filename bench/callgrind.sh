#!/usr/bin/env bash
# Instructions per SIP message through siplb's proxy core, counted by valgrind's callgrind:
# repeatable whatever else the machine does (the count does not depend on time, only on the
# code a message runs, the JIT's decisions and the garbage collector's work).
#
# Runs bench/micro/call-path.mjs (whole UDP calls, INVITE/100/180/200/ACK/BYE/200, through the
# proxy core wired as a node with the shipped defaults; no sockets) twice under callgrind: with
# CALLS=N1 and CALLS=N2 calls measured, both after the same PREP=N2 calls of preparation and
# JIT warm-up. The figure is the difference over the extra messages:
#     (Ir(N2) - Ir(N1)) / ((N2 - N1) * 7)
# so node's start-up, module loading, the preparation, the warm-up and exit cancel out. Node
# runs with its normal JIT (no --no-opt: that is not what production runs) and the production
# flag --max-semi-space-size=4; callgrind counts every thread, so the GC's helper threads count
# too (a message's garbage is part of its cost). --smc-check=all-non-file: V8 writes and patches
# machine code at run time, valgrind must see those changes.
#
# Usage: npm run build && bench/callgrind.sh            (N1=1024 N2=3072 calls, multiples of
# call-path.mjs BURST: ~10-20 min on a busy 2-core VM)
# Env: N1, N2, OUT_DIR (callgrind.out files; default a temp dir, kept), NODE_BIN.
# Per function: callgrind_annotate --inclusive=no $OUT_DIR/callgrind.out.N2 | head -60
# (JIT-compiled JavaScript shows as ??? addresses: use node --cpu-prof for the JS split.)
set -euo pipefail
cd "$(dirname "$0")/.."
N1=${N1:-1024}
N2=${N2:-3072}
NODE_BIN=${NODE_BIN:-node_modules/.bin/node}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/siplb-callgrind.XXXXXX)}
mkdir -p "$OUT_DIR"
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install -y valgrind)" >&2; exit 2; }
[ -f dist/proxy/dispatcher.js ] || { echo "no dist/: run npm run build first" >&2; exit 2; }
[ "$N2" -gt "$N1" ] || { echo "N2 must be larger than N1" >&2; exit 2; }

count() { # $1 = calls measured; prints the instruction count
  local calls=$1 out="$OUT_DIR/callgrind.out.$1"
  CALLS=$calls PREP=$N2 ROUNDS=1 valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="$out" \
    "$NODE_BIN" --max-semi-space-size=4 bench/micro/call-path.mjs >"$OUT_DIR/stdout.$calls" 2>"$OUT_DIR/stderr.$calls"
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$OUT_DIR/stderr.$calls" | tail -1
}
I1=$(count "$N1")
I2=$(count "$N2")
python3 - "$I1" "$I2" "$N1" "$N2" "$OUT_DIR" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'EOF'
import json, sys
i1, i2, n1, n2 = (int(x) for x in sys.argv[1:5])
print(json.dumps({"bench": "callgrind-call-path", "instructions_per_msg": round((i2 - i1) / ((n2 - n1) * 7)),
                  "ir_n1": i1, "ir_n2": i2, "n1_calls": n1, "n2_calls": n2, "msgs_per_call": 7,
                  "commit": sys.argv[6], "out_dir": sys.argv[5]}))
EOF
