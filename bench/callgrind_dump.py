#!/usr/bin/env python3
"""Reading callgrind dumps, shared by bench/callgrind.sh, callgrind-split.py and callgrind-cold.sh.

  callgrind_dump.py largest DIR   prints "<dump path> <Ir>" of the dump with the largest summary in
                                  DIR: call-path.mjs's measured loop (node calls getuid/getgid at
                                  start-up too, which make tiny dumps), or nothing.
self_costs(path) -> (events, {function: [cost per event]}): each function's self cost, the cost
lines under its fn= (not the inclusive line that follows each calls=; trailing zero events may be
left out of a line).
"""
import glob
import re
import sys
from collections import defaultdict


def largest(directory):
    best, best_ir = None, 0
    for path in glob.glob(f"{directory}/callgrind.out.*"):
        with open(path, encoding="latin1") as f:
            for line in f:
                if line.startswith("summary:"):
                    ir = int(line.split()[1])
                    if ir > best_ir:
                        best, best_ir = path, ir
                    break
    return best, best_ir


def self_costs(path):
    events, names, fn, skip = ["Ir"], {}, "???", False
    costs = {}
    with open(path, encoding="latin1") as f:
        for line in f:
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith("fn="):
                m = re.match(r"fn=\((\d+)\)(?: (.*))?", line.rstrip("\n"))
                if m:
                    if m.group(2) is not None:
                        names[m.group(1)] = m.group(2)
                    fn = names.get(m.group(1), "???")
                else:
                    fn = line[3:].rstrip("\n")
            elif line.startswith("calls="):
                skip = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                if skip:
                    skip = False
                    continue
                v = costs.setdefault(fn, [0] * len(events))
                for i, p in enumerate(line.split()[1:]):
                    v[i] += int(p)
            elif line.startswith("cfn="):
                # name compression: a function's name may first appear as a callee
                m = re.match(r"cfn=\((\d+)\) (.*)", line.rstrip("\n"))
                if m:
                    names[m.group(1)] = m.group(2)
            elif line.strip() and not line.startswith(("cfi=", "cfl=", "cob=")):
                skip = False
    return events, costs


def totals(path):
    """The dump's last totals:/summary: figure (Ir)."""
    last = 0
    with open(path, encoding="latin1") as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                last = int(line.split()[1])
    return last


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "largest":
        path, ir = largest(sys.argv[2])
        if path:
            print(path, ir)
    else:
        sys.exit(__doc__)
