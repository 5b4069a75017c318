#!/usr/bin/env python3
"""Split a callgrind dump of bench/callgrind.sh by kind of code, per message.

Usage: bench/callgrind-split.py CALLGRIND_OUT [MESSAGES]
MESSAGES defaults to CALLS*7 read from the dump's 'cmd:' line when CALLS= is not known: pass it
(bench/callgrind.sh: CALLS * 7). Sums each function's self cost (callgrind_dump.self_costs) and groups the names:
JIT-compiled JavaScript (addresses: 0x...), V8 builtins (Builtins_*), GC, the optimizing compiler
in the loop (TurboFan/Maglev: an artefact of the bench's fresh proxy per round, see
bench/PERF-NOTES.md), and the rest (V8 runtime, Node's C++ bindings, libc, the kernel boundary).
The JS-code, builtins and compiler columns repeat to < 1 % between runs with --predictable; the
GC column moves with whether a major GC falls in the counted loop.
"""
import os
import re
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from callgrind_dump import self_costs, totals  # noqa: E402

GC = re.compile(r'Scaveng|MarkCompact|Marking|Sweeper|IterateObjectCache|Heap::|Evacuat|Minor|Mark|Sweep|GCTracer|MemoryAllocator|ConcurrentMarking|RememberedSet|SlotSet')
COMPILER = re.compile(r'compiler::|maglev|Maglev|Zone::|turboshaft|Turboshaft|CodeGenerator|RegisterAllocator|Assembler')


def kind(name: str) -> str:
    if name.startswith('0x') or name.startswith('???'):
        return 'js'
    if name.startswith('Builtins_'):
        return 'builtins'
    if COMPILER.search(name):
        return 'compiler'
    if GC.search(name):
        return 'gc'
    return 'other'


def main() -> None:
    path = sys.argv[1]
    msgs = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    events, costs = self_costs(path)
    ir = events.index('Ir')
    self_cost = {name: v[ir] for name, v in costs.items()}
    total_line = totals(path)
    groups: dict[str, int] = defaultdict(int)
    for name, cost in self_cost.items():
        groups[kind(name)] += cost
    summed = sum(groups.values())
    div = msgs if msgs > 0 else 1
    unit = 'Ir/msg' if msgs > 0 else 'Ir'
    print(f'total {total_line / div:,.0f} {unit} (self costs summed: {summed / div:,.0f})')
    for k in ('js', 'builtins', 'other', 'gc', 'compiler'):
        print(f'  {k:9s} {groups[k] / div:10,.0f}')
    top = sorted(self_cost.items(), key=lambda kv: -kv[1])[:25]
    print('top self costs (non-JIT names):')
    for name, cost in [kv for kv in top if not kv[0].startswith('0x')][:20]:
        print(f'  {cost / div:9,.0f}  {name[:110]}')


if __name__ == '__main__':
    main()
