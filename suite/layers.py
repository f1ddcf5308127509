#!/usr/bin/python3
"""The runner's layers: no cycle among its compilation units, no file over 900 lines.

Reads the object files' symbols (nm): a unit that uses a symbol another unit defines depends
on it; a cycle of such dependencies (a strongly connected set of units) is a knot in the
layers and is listed with the symbols that tie it. Usage: layers.py [BUILD_DIR] (default
build; run `make h1xx` first). Exit 1 when a cycle or a long file is found."""
import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_LINES = 900


def graph(build):
    defs, uses = {}, {}
    for o in sorted(glob.glob(os.path.join(build, "*.o"))):
        unit = os.path.basename(o)[:-2]
        out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "TDBRVWCG":
                defs[f[2]] = unit
            elif len(f) == 2 and f[0] == "U":
                uses.setdefault(unit, set()).add(f[1])
    edges, why = {u: set() for u in set(defs.values()) | set(uses)}, {}
    for unit, syms in uses.items():
        for s in syms:
            d = defs.get(s)
            if d and d != unit:
                edges[unit].add(d)
                why.setdefault((unit, d), []).append(s)
    return edges, why


def cycles(edges):
    """Tarjan's strongly connected components with more than one unit."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    edges, why = graph(build)
    if not edges:
        raise SystemExit("layers: no object files in %s (make h1xx first)" % build)
    bad = 0
    for comp in cycles(edges):
        bad += 1
        print("cycle: " + " <-> ".join(comp))
        for a in comp:
            for b in sorted(edges[a] & set(comp)):
                print("    %s uses %s: %s" % (a, b, ", ".join(sorted(why[(a, b)])[:8])))
    for path in sorted(glob.glob(os.path.join(ROOT, "runner", "*.[ch]"))):
        with open(path, encoding="utf-8") as f:
            n = sum(1 for _ in f)
        if n > MAX_LINES:
            bad += 1
            print("too long: %s has %d lines (at most %d)" % (os.path.relpath(path, ROOT), n,
                                                               MAX_LINES))
    print("layers: %d units, %d problems" % (len(edges), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
