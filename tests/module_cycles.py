"""No import cycles, and cli's layers used top-down only: the layering check of
tests/run-all.sh (docs/architecture.md).

Finds cycles between the files (modules) of each crate from the `crate::` and `super::`
paths of non-test code, comments left out (a child naming its parent module is not an
edge). Prints each cycle (strongly connected component) with its edges, and exits 1 if
there is one."""
import re, os, glob, sys

def modpath(f, root):
    parts = os.path.relpath(f, root)[:-3].split('/')
    return tuple(parts[:-1] if parts[-1] in ('mod', 'lib', 'main') else parts)

def code(src):
    src = re.split(r'#\[cfg\(test\)\]', src)[0]
    return '\n'.join(l.split('//')[0] for l in src.splitlines())

edges = {}
for crate, root in [('cli', 'cli/src'), ('tracer', 'tracer/src'), ('model', 'model/src'), ('render', 'render/src')]:
    files = glob.glob(root + '/**/*.rs', recursive=True)
    mods = {modpath(f, root) for f in files}
    for f in files:
        me = modpath(f, root)
        parent = me if os.path.basename(f) in ('mod.rs', 'lib.rs', 'main.rs') else me[:-1]
        for m in re.finditer(r'\b(crate|super)((?:::\w+)+)', code(open(f).read())):
            segs = m.group(2).split('::')[1:]
            base = () if m.group(1) == 'crate' else parent
            while segs and segs[0] == 'super':
                base, segs = base[:-1], segs[1:]
            target = next((base + tuple(segs[:i]) for i in range(len(segs), 0, -1) if base + tuple(segs[:i]) in mods), base)
            if target in ((), me) or me[:len(target)] == target or target[:len(me)] == me:
                continue
            edges.setdefault((crate, me), set()).add((crate, target))

# The layers of cli/src, top to bottom (docs/architecture.md): a module may use only
# those of a lower rank (and itself).
CLI_RANKS = {
    'main': 10, 'commands': 9, 'args': 8.5,
    'serve': 8,
    'record': 7,
    'integrations': 6, 'revert': 6,
    'formats': 5,
    'receipt': 4,
    'collect': 3,
    'store': 2,
    'escape': 1, 'time': 1,
}
upward = []
for (crate, a), targets in edges.items():
    if crate != 'cli':
        continue
    for _, b in targets:
        ra, rb = CLI_RANKS.get(a[0] if a else 'main'), CLI_RANKS.get(b[0] if b else 'main')
        if a[:1] != b[:1] and (ra is None or rb is None or rb >= ra):
            upward.append('::'.join(a) + ' -> ' + '::'.join(b))
for line in sorted(upward):
    print('cli: against the layers: ' + line)

sys.setrecursionlimit(10000)
index, low, stack, on, out = {}, {}, [], set(), []
def strong(v):
    index[v] = low[v] = len(index); stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index: strong(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: out.append(comp)
for v in set(edges) | {t for s in edges.values() for t in s}:
    if v not in index: strong(v)
for c in out:
    print(c[0][0] + ': ' + ', '.join(sorted('::'.join(x[1]) for x in c)))
    for a in c:
        for b in sorted(edges.get(a, ())):
            if b in c: print('    ' + '::'.join(a[1]) + ' -> ' + '::'.join(b[1]))
sys.exit(1 if out or upward else 0)
