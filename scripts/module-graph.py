#!/usr/bin/env python3
"""Checks the direction of shared/src's imports, file by file (what `cargo modules
dependencies --acyclic` would refuse, plus the project's layering rules):

- no circle: no file reaches itself through `crate::`/`super::` paths;
- `functions.rs` → capabilities → `runtime/`, `clients/`, `common/`, `migrations/`:
  `runtime/` imports no capability, no `migrations/` and not `functions.rs`; `clients/` and
  `common/` import nothing of ours outside themselves (`clients/` may use `common/`);
- a capability uses another capability only through that one's `service.rs`;
- SQL text appears only in store files (`store.rs`, `store/`) and the migration runner.

Prints the graph's size and every breach; exits 1 on a breach. `--dot` prints the graph.
"""
import os
import re
import sys

ROOT = os.environ.get("SHARED_SRC") or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "shared", "src")
BASES = {"runtime", "clients", "common", "migrations"}
PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^}]*)\}")
CHILD = re.compile(r"(?<![:A-Za-z0-9_])([a-z_][a-z0-9_]*)(?:::[A-Za-z_][A-Za-z0-9_]*)+")
SQL = re.compile(r"\"\s*(SELECT|INSERT INTO|UPDATE [a-z_]+\s+SET|DELETE FROM|WITH [a-z_]+ AS|CREATE |ALTER |LOCK TABLE|SET LOCAL)\b")


def files():
    out = {}
    for d, _, names in os.walk(ROOT):
        for n in names:
            if n.endswith(".rs"):
                full = os.path.join(d, n)
                rel = os.path.relpath(full, ROOT)
                out[module_of(rel)] = rel
    return out


def module_of(rel):
    parts = rel[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return tuple(parts)


def strip_tests(text):
    """The file without its `#[cfg(test)]` modules (tests may reach anywhere)."""
    i = text.find("#[cfg(test)]\nmod ")
    return text if i < 0 else text[:i]


def strip_comments(text):
    return "\n".join(re.sub(r"//.*$", "", line) for line in text.splitlines())


def resolve(mods, here, kind, segs):
    """The longest module prefix of the path that is a file."""
    if kind == "crate":
        base = ()
    else:
        # `super` from a file `a/b.rs` (module a::b) is `a`; from `a/mod.rs` (module a) is ().
        n_super = 1
        while segs and segs[0] == "super":
            segs = segs[1:]
            n_super += 1
        base = here[: max(0, len(here) - n_super)]
    full = base + tuple(segs)
    for k in range(len(full), -1, -1):
        if full[:k] in mods:
            return full[:k]
    return None


def edges(mods):
    out = {m: set() for m in mods}
    for m, rel in mods.items():
        text = strip_comments(strip_tests(open(os.path.join(ROOT, rel)).read()))
        refs = []
        for g in GROUP.finditer(text):
            prefix = [s for s in g.group(2).split("::") if s]
            for item in g.group(3).split(","):
                item = item.strip().split(" as ")[0]
                if item and item != "self":
                    refs.append((g.group(1), prefix + [s for s in item.split("::") if s]))
                elif item == "self":
                    refs.append((g.group(1), prefix))
        for p in PATH.finditer(text):
            refs.append((p.group(1), [s for s in p.group(2).split("::") if s]))
        # A child module named without a prefix (`handler::initiate` in a mod.rs).
        for c in CHILD.finditer(text):
            if m + (c.group(1),) in mods:
                refs.append(("crate", list(m) + [s for s in c.group(0).split("::") if s]))
        for kind, segs in refs:
            target = resolve(mods, m, kind, list(segs))
            if target is not None and target != m and not is_ancestor(target, m):
                out[m].add(target)
    return out


def is_ancestor(a, b):
    """A parent module reached from its child (`super::X` where X is defined in mod.rs) is a
    real edge; but the root `()` (lib.rs) is not a module anyone imports."""
    return a == ()


def area(m):
    if not m:
        return "lib"
    if m[0] == "functions":
        return "functions"
    return m[0] if m[0] in BASES else "capability"


def cycles(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
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
                out.append(comp)

    for v in graph:
        if v not in index:
            visit(v)
    return out


def name(m):
    return "/".join(m) or "lib"


def main():
    mods = files()
    graph = edges(mods)
    breaches = []
    for comp in cycles(graph):
        breaches.append("circle: " + ", ".join(sorted(name(m) for m in comp)))
    for a, targets in graph.items():
        for b in sorted(targets):
            la, lb = area(a), area(b)
            if la == "runtime" and lb in ("capability", "functions", "migrations"):
                breaches.append(f"runtime imports {lb}: {name(a)} -> {name(b)}")
            if la == "clients" and lb not in ("clients", "common"):
                breaches.append(f"a client imports {lb}: {name(a)} -> {name(b)}")
            if la == "common" and lb != "common":
                breaches.append(f"common imports {lb}: {name(a)} -> {name(b)}")
            if la == "migrations" and lb in ("capability", "functions"):
                breaches.append(f"migrations import {lb}: {name(a)} -> {name(b)}")
            if la == "capability" and lb == "functions":
                breaches.append(f"a capability imports the list: {name(a)} -> {name(b)}")
            if la == "capability" and lb == "capability" and a[0] != b[0] and b[1:] != ("service",):
                breaches.append(f"{a[0]} reaches into {b[0]} past its service: {name(a)} -> {name(b)}")
    for m, rel in mods.items():
        is_store = os.path.basename(rel) == "store.rs" or "store" in rel.split(os.sep)[:-1]
        if is_store or m[:1] == ("migrations",):
            continue
        text = strip_tests(open(os.path.join(ROOT, rel)).read())
        for n, line in enumerate(text.splitlines(), 1):
            if SQL.search(line) and not line.strip().startswith("//"):
                breaches.append(f"SQL outside a store: {rel}:{n}")
    if "--dot" in sys.argv:
        print("digraph shared {")
        for a, ts in sorted(graph.items()):
            for b in sorted(ts):
                print(f'  "{name(a)}" -> "{name(b)}";')
        print("}")
        return 0
    n_edges = sum(len(t) for t in graph.values())
    for b in breaches:
        print(b)
    print(f"module graph: {len(mods)} files, {n_edges} imports, {len(breaches)} breaches")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
