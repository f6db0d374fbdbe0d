"""Compares bench/upstream-compare's two dumps and prints the tables.

Type names: 2020 nixpkgs calls some types by their constructor
(`separatedString` for lines/commas, `unsignedInt16` for port, `loaOf`),
flakelens by the type function; the pairs below are the same constructor."""
import json, os, sys
from collections import Counter, defaultdict

work, tree = sys.argv[1], sys.argv[2]
np = os.path.join(work, "np") + "/"
SAME = {
    ("lines", "separatedString"), ("commas", "separatedString"), ("envVar", "separatedString"),
    ("str", "string"), ("port", "unsignedInt16"), ("unsigned", "unsignedInt"),
    ("positive", "positiveInt"), ("between", "intBetween"), ("u8", "unsignedInt8"),
    ("u16", "unsignedInt16"), ("u32", "unsignedInt32"), ("s8", "signedInt8"),
    ("s16", "signedInt16"), ("s32", "signedInt32"), ("attrsOf", "loaOf"),
    ("either", "oneOf"),
    # loaOf is "attrsOf or listOf" (flakelens models it as that either).
    ("either", "loaOf"), ("nonEmptyStr", "str"), ("singleLineStr", "str"),
}

def key(loc):
    # 2020's loaOf names its elements `<name?>`; flakelens says `<name>`.
    return tuple("<name>" if part == "<name?>" else part for part in loc)

ev = {}
for o in json.load(open(os.path.join(work, "eval.json"))):
    # _module.* (and the _module.args/_module.check every submodule has).
    if "_module" in o["loc"]:
        continue
    k = key(o["loc"])
    if k in ev:
        continue
    ev[k] = o
fl = defaultdict(list)
for o in json.load(open(os.path.join(work, "flakelens.json")))["options"]:
    fl[key(o["loc"])].append(o)

def norm(p):
    # `imports = [ ./dir ]` is recorded as the directory.
    return p if p.endswith(".nix") else p + "/default.nix"

def rel(p):
    p = p or ""
    for prefix in (np, tree + "/"):
        if p.startswith(prefix):
            return p[len(prefix):]
    return p

found = [k for k in ev if k in fl]
missing = [k for k in ev if k not in fl]
extra = [k for k in fl if k not in ev and "_module" not in k]
type_same = 0
type_miss = Counter()
decl_same = 0
line_same = 0
positioned = 0
file_same = 0
decl_miss = Counter()
for k in found:
    e, f = ev[k], fl[k]
    et = e["type"]
    fts = {o["typeConstructor"] for o in f}
    if (et == "unspecified" and all(o["kind"] in ("alias", "removed") for o in f)) or et in fts or any((ft, et) in SAME for ft in fts):
        type_same += 1
    else:
        type_miss[(sorted(fts)[0], et)] += 1
    # Positions the evaluator gives inside lib/ come from lib helpers that
    # build the attribute (setAttrByPath for aliases, genAttrs, …): they
    # name no place in a module, so the declaring file is compared instead.
    epos = {tuple(p.rsplit(":", 2)[:2]) for p in e["positions"] if p}
    epos = {(rel(a), b) for a, b in epos}
    usable = {(a, b) for a, b in epos if not a.startswith("lib/")}
    efiles = {norm(rel(d)) for d in e["declarations"]}
    fpos = {tuple(o["declaredAt"].rsplit(":", 2)[:2]) for o in f}
    ffiles = {a for a, _ in fpos}
    if efiles <= ffiles:
        file_same += 1
    if usable:
        positioned += 1
        if usable <= fpos:
            decl_same += 1
            line_same += 1
        else:
            decl_miss["same file, other line" if {a for a, _ in usable} <= ffiles else "other file"] += 1
    elif efiles <= ffiles:
        decl_same += 1
    else:
        decl_miss["no usable evaluator position, other file"] += 1

def pct(a, b):
    return f"{100.0 * a / max(b, 1):.2f} %"

print(f"\n| measure | flakelens | evaluator | ratio |\n|---|---|---|---|")
print(f"| options (excl. _module.*) | {len(found)} found | {len(ev)} | recall {pct(len(found), len(ev))} |")
print(f"| same type constructor | {type_same} | {len(found)} | {pct(type_same, len(found))} |")
print(f"| declaration file + line equal (evaluator gives a module position) | {line_same} | {positioned} | {pct(line_same, positioned)} |")
print(f"| declaration equal (file + line, else file where the evaluator has no module position) | {decl_same} | {len(found)} | {pct(decl_same, len(found))} |")
print(f"| evaluator's `declarations` files equal (2020 names a submodule option by its outer option's file) | {file_same} | {len(found)} | {pct(file_same, len(found))} |")
print(f"| options only flakelens has | {len(extra)} | | |")
def t(name):
    secs, kb = open(os.path.join(work, name)).read().split()[-2:]
    return float(secs), int(kb) / 1024
es, em = t("eval.time"); cs, cm = t("cold.time"); ws, wm = t("warm.time")
print(f"\n| run | wall | peak RSS |\n|---|---|---|")
print(f"| evaluator dump | {es:.2f} s | {em:.0f} MB |")
print(f"| flakelens cold index | {cs:.2f} s ({cs/es:.2f}x) | {cm:.0f} MB ({cm/em:.2f}x) |")
print(f"| flakelens from cache | {ws*1000:.0f} ms | {wm:.0f} MB |")
print("\nmissed options by top-level namespace / owning file:")
by_file = Counter()
for k in missing:
    files = ev[k]["declarations"]
    by_file[rel(files[0]) if files else "?"] += 1
for f, n in by_file.most_common(25):
    print(f"  {n:5d}  {f}")
print("\ntype differences (flakelens, evaluator):")
for (a, b), n in type_miss.most_common(20):
    print(f"  {n:5d}  {a} vs {b}")
print("\ndeclaration misses:", dict(decl_miss))
with open(os.path.join(work, "missing.txt"), "w") as out:
    for k in sorted(missing):
        out.write(".".join(k) + "  " + " ".join(rel(d) for d in ev[k]["declarations"]) + "\n")
with open(os.path.join(work, "extra.txt"), "w") as out:
    for k in sorted(extra):
        out.write(".".join(k) + "  " + fl[k][0]["declaredAt"] + "\n")
print(f"(all missed options: {os.path.join(work, 'missing.txt')}, flakelens-only: extra.txt)")
