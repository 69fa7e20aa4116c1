#!/usr/bin/env python3
"""Import circles between the files of src/: which files refer to each other, directly or
through others. An edge is a `crate::`, `super::` or `self::` path in code (or `child::` for a
module the file declares), comments ignored and `use` groups expanded, resolved to the file that
defines the module; each strongly connected component of more than one file is printed.

    scripts/import-circles.py [SRC]     # default: src

Method calls do not show here: a type whose methods are split across files (the ingest load)
is one circle, as it is one concept.
"""
import re, sys, os
from pathlib import Path
root = Path(sys.argv[1] if len(sys.argv) > 1 else "src")
files = {}
for p in root.rglob("*.rs"):
    rel = p.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    files[tuple(parts)] = p
def module_file(path):
    # longest prefix of path that is a module file
    for n in range(len(path), -1, -1):
        if tuple(path[:n]) in files:
            return tuple(path[:n])
    return None
def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(l.split("//")[0] for l in text.splitlines())
def expand_use(body):
    # a::b::{c, d::{e}} -> list of paths
    body = body.strip()
    m = re.match(r"^(.*?)\{(.*)\}$", body, re.S)
    if not m:
        return [body]
    prefix, inner = m.group(1), m.group(2)
    items, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "{": depth += 1
        if ch == "}": depth -= 1
        if ch == "," and depth == 0:
            items.append(cur); cur = ""
        else:
            cur += ch
    items.append(cur)
    out = []
    for it in items:
        if it.strip():
            out += expand_use(prefix + it.strip())
    return out
edges = {}
for mod, p in files.items():
    text = strip_comments(p.read_text())
    is_dir_mod = p.stem in ("mod", "lib", "main")
    here = list(mod) if is_dir_mod else list(mod[:-1])  # the module that `self::` children live in
    parent_of_self = list(mod[:-1])
    # An inline `mod tests { ... }` is one level down: its `super` is the file's own module.
    split = re.search(r"\bmod tests\s*\{", text)
    parts = [(text, False)] if not split else [(text[:split.start()], False), (text[split.end():], True)]
    paths = []
    for part, inner in parts:
        found = []
        for m in re.finditer(r"\buse\s+([^;]+);", part):
            found += expand_use(m.group(1))
        found += re.findall(r"\b((?:crate|super|self)(?:::[A-Za-z_*][A-Za-z0-9_]*)+)", part)
        if inner:
            found = ["self" + f[len("super"):] if f.startswith("super") else f for f in found]
        # `use child::…` for a module this file declares (`mod child;`) is `self::child::…`.
        children = set(re.findall(r"\bmod\s+([a-z_][a-z0-9_]*)\s*;", text))
        found = ["self::" + f if f.split("::")[0] in children else f for f in found]
        paths += found
    targets = set()
    for path in paths:
        segs = [s.strip() for s in re.split(r"::", path.split(" as ")[0]) if s.strip()]
        if not segs: continue
        if segs[0] == "crate":
            base = []
            segs = segs[1:]
        elif segs[0] == "self":
            base = list(mod)
            segs = segs[1:]
        elif segs[0] == "super":
            base = list(mod)
            while segs and segs[0] == "super":
                base = base[:-1]; segs = segs[1:]
        else:
            continue
        t = module_file(base + segs)
        if t is not None and t != mod and t != ():
            # a file's own ancestors (mod.rs) are not edges to itself
            targets.add(t)
    edges[mod] = targets
# Tarjan SCC
index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def strong(v):
    index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: comps.append(comp)
for v in list(edges):
    if v not in index: strong(v)
for c in comps:
    print("circle:", " ".join("/".join(x) for x in sorted(c)))
print(f"{len(comps)} circles over {sum(len(c) for c in comps)} files")
