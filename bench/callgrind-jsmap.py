#!/usr/bin/env python3
"""JIT-compiled JavaScript in a callgrind dump of bench/callgrind.sh, by JS function.

Usage: NODE_FLAGS="--predictable --perf-basic-prof" OUT_DIR=/tmp/x bench/callgrind.sh
       bench/callgrind-jsmap.py /tmp/x/callgrind.out.N /tmp/perf-PID.map MESSAGES [CALLEE-REGEX]
(PID: valgrind's, the ==PID== of OUT_DIR/stderr; MESSAGES: CALLS * 7.) callgrind names JIT code by
address; node's perf map names the code object at each address. Prints the self cost per JS
function (Ir per message), and with CALLEE-REGEX the callers of the matching functions (builtins
such as 'RecordWriteSaveFP', or JS names), with calls and inclusive Ir per message: e.g. who pays
the write barrier. An address V8 reused for later code is named after the last code object there
(a function compiled after the loop can take an earlier one's name: read odd rows with care).
Prefixes: JS:* TurboFan, JS:+ Maglev, JS:^ Sparkplug (baseline), JS:~ interpreter.
EVENTS=ILmr,DLmr,DLmw (env) sums those event columns instead of Ir: with a dump of
bench/callgrind-cold.sh (--cache-sim), the cache lines each JS function pulls from memory.
"""
import os
import re, sys, bisect
from collections import defaultdict
dump, pmap, msgs = sys.argv[1], sys.argv[2], int(sys.argv[3])
callee_re = re.compile(sys.argv[4]) if len(sys.argv) > 4 else None
ranges = []
for line in open(pmap):
    parts = line.rstrip('\n').split(' ', 2)
    if len(parts) < 3: continue
    ranges.append((int(parts[0], 16), int(parts[1], 16), parts[2]))
ranges.sort()
starts = [r[0] for r in ranges]
def name_of(addr):
    i = bisect.bisect_right(starts, addr) - 1
    # latest entry containing addr (code can be re-used: take the last one that contains it)
    while i >= 0:
        s, n, nm = ranges[i]
        if s <= addr < s + n: return nm
        if s + 0x100000 < addr: break
        i -= 1
    return '?'
names = {}
selfc = defaultdict(int)
callsto = defaultdict(lambda: [0, 0])  # caller -> [calls, inclusive]
cur = None; pending_call = None; skip = False
want = os.environ.get('EVENTS', 'Ir').split(',')
cols = [1]
def fname(idn, nm):
    if nm: names[idn] = nm
    return names.get(idn, idn)
for line in open(dump):
    if line.startswith('events:'):
        evs = line.split()[1:]
        cols = [1 + evs.index(w) for w in want]
        continue
    if line.startswith('fn='):
        m = re.match(r'fn=\((\d+)\)(?: (.*))?', line.rstrip('\n'))
        cur = fname(m.group(1), m.group(2)); continue
    if line.startswith('cfn='):
        m = re.match(r'cfn=\((\d+)\)(?: (.*))?', line.rstrip('\n'))
        pending_call = fname(m.group(1), m.group(2)); continue
    if line.startswith('calls='):
        ncalls = int(line.split('=')[1].split()[0]); skip = True; continue
    if line[:1].isdigit() or line[:1] in '+-*':
        parts = line.split()
        if len(parts) < 2: continue
        try: c = sum(int(parts[i]) for i in cols if i < len(parts))
        except ValueError: continue
        if skip:
            skip = False
            pc = name_of(int(pending_call.split("'")[0], 16)) if pending_call and pending_call.startswith('0x') else pending_call
            if callee_re and pc and callee_re.search(pc):
                k = name_of(int(cur.split("'")[0], 16)) if cur.startswith('0x') else cur
                callsto[k][0] += ncalls; callsto[k][1] += c
            continue
        selfc[cur] += c
js = defaultdict(int)
for fn, c in selfc.items():
    if fn.startswith('0x'): js[name_of(int(fn.split("'")[0], 16))] += c
tot = sum(js.values())
print(f'JIT code: {tot/msgs:,.0f} {"+".join(want)}/msg')
for nm, c in sorted(js.items(), key=lambda kv: -kv[1])[:60]:
    print(f'{c/msgs:8,.0f}  {nm[:120]}')
if callee_re:
    print(f'\ncallers of /{callee_re.pattern}/: calls/msg, inclusive {"+".join(want)}/msg')
    for nm, (n, c) in sorted(callsto.items(), key=lambda kv: -kv[1][1])[:40]:
        print(f'{n/msgs:6.2f} {c/msgs:8,.0f}  {nm[:120]}')
