#!/usr/bin/env python3
"""Validate the multi-file `.nixfixture` pattern fixtures in this directory.

Usage:
    python3 tests/data/patterns/validate.py [-v] [FIXTURE ...]
    python3 tests/data/patterns/validate.py --tree tests/fixtures/poglets

With no FIXTURE arguments every `*.nixfixture` next to this script is checked.
`-v` prints every annotation with the text its carets cover. `--tree DIR`
checks a real directory fixture instead: every .nix file parses and every
relative path literal in it exists.

Fixture format (what the flakelens test runner reads):

* Lines before the first header are a description; each must start with `#`
  (blank lines are tolerated).  One of them must be `# expect: N ...` where N
  is the number of annotations in the fixture.
* `#- /absolute/path` starts a file; the lines up to the next header are its
  content.  Paths are absolute in a virtual root `/`.
* An annotation is a line whose first non-space character is `#`, followed by
  optional spaces, one or more `^`, one space, then `error[code]` or
  `warning[code]`.  Its carets give a column range in the previous
  non-annotation line of the same file.

Checks made here:

1. structure: description, `# expect:` count, unique normalised paths, ASCII
   only, no tabs, at least one file, a `/flake.nix` unless the fixture name
   contains `non-flake`;
2. annotations: well-formed (anything that looks like an attempted
   annotation but does not match is an error), a known code with its
   severity, pointing at a non-empty span of the previous code line, the span
   neither starting nor ending with whitespace nor cutting an identifier,
   number or path in two (the `#` is at or before the first caret by
   construction);
3. every `.nix` file is written to a temp dir and parsed with
   `nix-instantiate --parse`: files carrying a `syntax-error` annotation must
   fail to parse, every other file must parse, and must parse to the same
   expression with its annotation lines removed (so an annotation can never
   sit inside a string);
4. relative path literals (`./x`, `../y`) in the `.nix` files must exist in
   the fixture (as a file or a directory), except where an annotation with a
   `missing-*` code points at the literal, and except paths containing an
   interpolation; a path annotated `missing-*` must really be missing (for
   missing-import / missing-package-file a directory without default.nix
   counts as missing);
5. a `.toml` file (only /flakelens.toml so far) must be valid TOML; any
   other non-.nix file is rejected.

Exit status 0 when everything passes.  Needs python3 (3.11+, for tomllib)
and nix-instantiate on PATH (Debian: `apt-get install nix-bin`).
"""

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

HEADER_RE = re.compile(r"^#- (\S+)\s*$")
ANNOTATION_RE = re.compile(r"^(\s*)#(\s*)(\^+) (error|warning)\[([a-z-]+)\]\s*$")
# Anything that looks like an attempt at an annotation.
ANNOTATION_LIKE_RE = re.compile(r"^\s*#\s*\^")
EXPECT_RE = re.compile(r"^#\s*expect:\s*(\d+)\b")

CODES = {
    "type-mismatch": "error",
    "unknown-option": "error",
    "option-not-imported": "error",
    "missing-import": "error",
    "syntax-error": "error",
    "missing-package-file": "error",
    "duplicate-declaration": "warning",
    "missing-host-file": "warning",
    "duplicate-package": "warning",
    "inactive-definition": "warning",
    "duplicate-attribute": "error",
    "undefined-variable": "error",
}
# Characters that make up identifiers, numbers and path literals: a span must
# not start or end in the middle of a run of them.
TOKEN_CHAR = re.compile(r"[A-Za-z0-9_'.\-/]")
MISSING_CODES = {"missing-import", "missing-host-file", "missing-package-file"}
# Codes for what `nix-instantiate --parse` rejects: the file must not parse.
# In a file no host uses they are warnings.
PARSE_REJECTED = {"syntax-error", "duplicate-attribute", "undefined-variable"}

# A relative path literal: ./x, ../x, ./., ../.. ; stops at whitespace and
# delimiters.  An interpolation right after it (`./hosts/${name}`) makes it
# computed.
PATH_RE = re.compile(r"(?<![\w./\-+$}])(\.\.?/[A-Za-z0-9._\-+/]*)")


class Failure(Exception):
    pass


def parse_fixture(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError as err:
        raise Failure(f"non-ASCII byte at offset {err.start} (columns must be unambiguous)")
    if "\t" in text:
        raise Failure("contains a tab character (columns must be unambiguous)")
    if "\r" in text:
        raise Failure("contains a carriage return")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    description = []
    files = []  # list of (vpath, [ (fixture_lineno, text) ])
    for lineno, line in enumerate(lines, 1):
        m = HEADER_RE.match(line)
        if m:
            files.append((m.group(1), []))
            continue
        if line.startswith("#-"):
            raise Failure(f"line {lineno}: malformed header {line!r}")
        if not files:
            if line.strip() and not line.startswith("#"):
                raise Failure(f"line {lineno}: description line does not start with '#'")
            description.append(line)
            continue
        files[-1][1].append((lineno, line))
    return description, files


def normalise(vpath):
    if not vpath.startswith("/"):
        return None
    parts = []
    for part in vpath.split("/")[1:]:
        if part in ("", "."):
            return None
        if part == "..":
            return None
        parts.append(part)
    return "/" + "/".join(parts)


def check_annotations(name, vpath, body, errors):
    """Returns (annotations, code_lines) for one file.

    annotations: list of dicts with lineno (of the annotation in the fixture),
      code, severity, start/end (column range, end exclusive), target (index
      into code_lines), target_lineno (fixture line of the target) and span
      (the text the carets cover).
    code_lines: the file's lines with annotation lines removed, as
      (fixture_lineno, text).
    """
    annotations = []
    code_lines = []
    last_code = None  # index into code_lines
    for lineno, line in body:
        m = ANNOTATION_RE.match(line)
        if m:
            lead, gap, carets, severity, code = m.groups()
            hash_col = len(lead)
            start = hash_col + 1 + len(gap)
            end = start + len(carets)
            where = f"{name}:{lineno} ({vpath})"
            if code not in CODES:
                errors.append(f"{where}: unknown code {code!r}")
            elif CODES[code] != severity and not (
                    code in PARSE_REJECTED and severity == "warning"):
                article = "an" if CODES[code] == "error" else "a"
                errors.append(f"{where}: {code} must be {article} {CODES[code]}, not a(n) {severity}")
            if last_code is None:
                errors.append(f"{where}: annotation has no code line above it in this file")
                continue
            target_lineno, target = code_lines[last_code]
            span = target[start:end]
            if end > len(target):
                errors.append(
                    f"{where}: carets {start}..{end} run past the end of line {target_lineno} "
                    f"(length {len(target)}): {target!r}")
            elif not span.strip():
                errors.append(f"{where}: carets point at blank text in line {target_lineno}")
            elif span != span.strip():
                errors.append(
                    f"{where}: span {span!r} starts or ends with whitespace (line {target_lineno})")
            else:
                before = target[start - 1] if start > 0 else " "
                after = target[end] if end < len(target) else " "
                if code == "undefined-variable" and after == ".":
                    # The variable of a selection `lib.mkForce`.
                    after = " "
                if (TOKEN_CHAR.match(span[0]) and TOKEN_CHAR.match(before)) or (
                        TOKEN_CHAR.match(span[-1]) and TOKEN_CHAR.match(after)):
                    errors.append(
                        f"{where}: span {span!r} cuts a token in two (line {target_lineno}: "
                        f"{target.strip()!r})")
            annotations.append(dict(lineno=lineno, code=code, severity=severity, start=start,
                                    end=end, target=last_code, span=span,
                                    target_lineno=target_lineno))
            continue
        if ANNOTATION_LIKE_RE.match(line):
            errors.append(f"{name}:{lineno} ({vpath}): malformed annotation line {line!r}")
            continue
        code_lines.append((lineno, line))
        last_code = len(code_lines) - 1
    return annotations, code_lines


def nix_parse(path):
    try:
        proc = subprocess.run(["nix-instantiate", "--parse", path],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        sys.exit("validate.py: nix-instantiate not found (apt-get install nix-bin)")
    return proc.returncode, proc.stdout, proc.stderr


def string_mask(text):
    """Marks the characters of `text` that are inside "..." or ''...'' strings
    (but not inside their ${...} interpolations) or inside comments.
    Rough lexer, good enough for fixtures."""
    mask = [False] * len(text)
    i = 0
    n = len(text)
    mode = "code"     # "code", "str" ("...") or "ind" (''...'')
    stack = []        # modes to return to when a string / interpolation ends
    depth_stack = []  # brace depth at which each open string / interpolation began
    depth = 0         # brace depth in code
    while i < n:
        ch = text[i]
        if mode == "code":
            if ch == "#":
                j = text.find("\n", i)
                j = n if j < 0 else j
                for k in range(i, j):
                    mask[k] = True
                i = j
                continue
            if text.startswith("/*", i):
                j = text.find("*/", i + 2)
                j = n if j < 0 else j + 2
                for k in range(i, j):
                    mask[k] = True
                i = j
                continue
            if ch == '"':
                stack.append("code")
                depth_stack.append(depth)
                mode = "str"
                mask[i] = True
                i += 1
                continue
            if text.startswith("''", i):
                stack.append("code")
                depth_stack.append(depth)
                mode = "ind"
                mask[i] = mask[i + 1] = True
                i += 2
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                if depth_stack and depth == depth_stack[-1]:
                    # end of an interpolation: back to the string
                    mode = stack.pop()
                    depth_stack.pop()
                    mask[i] = True
                    i += 1
                    continue
                depth -= 1
            i += 1
            continue
        # inside a string
        mask[i] = True
        if mode == "str":
            if ch == "\\":
                if i + 1 < n:
                    mask[i + 1] = True
                i += 2
                continue
            if ch == '"':
                mode = stack.pop()
                depth_stack.pop()
                i += 1
                continue
        else:  # indented string
            if text.startswith("'''", i) or text.startswith("''$", i) or text.startswith("''\\", i):
                for k in range(i, min(n, i + 3)):
                    mask[k] = True
                i += 3
                continue
            if text.startswith("''", i):
                mask[i + 1] = True
                mode = stack.pop()
                depth_stack.pop()
                i += 2
                continue
        if text.startswith("${", i):
            mask[i + 1] = True
            stack.append(mode)
            depth_stack.append(depth)
            mode = "code"
            i += 2
            continue
        i += 1
    return mask


def check_paths(name, files, annotations_by_file, errors):
    present = set(files)

    def exists(p):
        if p in present:
            return "file"
        prefix = p.rstrip("/") + "/"
        if p == "/" or any(f.startswith(prefix) for f in present):
            return "dir"
        return None

    for vpath, code_lines in files.items():
        if not vpath.endswith(".nix"):
            continue
        text = "\n".join(line for _, line in code_lines)
        mask = string_mask(text)
        # offsets of line starts
        starts = []
        off = 0
        for _, line in code_lines:
            starts.append(off)
            off += len(line) + 1
        missing_spans = {}
        for ann in annotations_by_file.get(vpath, []):
            if ann["code"] in MISSING_CODES:
                missing_spans[(ann["target"], ann["start"], ann["end"])] = ann
        for m in PATH_RE.finditer(text):
            if mask[m.start()]:
                continue
            lit = m.group(1)
            after = text[m.end():m.end() + 2]
            computed = after.startswith("${")
            line_idx = max(i for i, s in enumerate(starts) if s <= m.start())
            col = m.start() - starts[line_idx]
            end_col = col + len(lit)
            ann = None
            for (t, s, e), a in missing_spans.items():
                if t == line_idx and s <= col and end_col <= e:
                    ann = a
            base = os.path.dirname(vpath)
            joined = os.path.normpath(os.path.join(base, lit.rstrip("/") or "."))
            kind = exists(joined)
            where = f"{name}:{code_lines[line_idx][0]} ({vpath})"
            if ann is not None:
                if computed:
                    continue
                if ann["code"] in ("missing-import", "missing-package-file") and kind == "dir":
                    if exists(joined + "/default.nix") == "file":
                        errors.append(f"{where}: {lit} is annotated missing but {joined}/default.nix exists")
                    continue
                if kind is not None:
                    errors.append(f"{where}: {lit} is annotated {ann['code']} but {joined} exists")
                continue
            if computed:
                continue
            if kind is None:
                errors.append(f"{where}: path {lit} -> {joined} does not exist in the fixture")


def check_fixture(path, verbose):
    name = os.path.basename(path)
    errors = []
    try:
        description, files = parse_fixture(path)
    except Failure as err:
        return [f"{name}: {err}"], []

    if not any(l.startswith("#") and l.strip("# ") for l in description):
        errors.append(f"{name}: no description comment before the first header")
    expects = [EXPECT_RE.match(l) for l in description]
    expects = [m for m in expects if m]
    if len(expects) != 1:
        errors.append(f"{name}: description needs exactly one '# expect: N ...' line")
    if not files:
        errors.append(f"{name}: no files")
        return errors, []

    seen = {}
    for vpath, _ in files:
        norm = normalise(vpath)
        if norm is None or norm != vpath:
            errors.append(f"{name}: header path {vpath!r} is not an absolute normalised path")
        if vpath in seen:
            errors.append(f"{name}: file {vpath} appears twice")
        seen[vpath] = True
    if "/flake.nix" not in seen and "non-flake" not in name:
        errors.append(f"{name}: no /flake.nix (name the fixture *non-flake* if that is deliberate)")

    all_annotations = []
    annotations_by_file = {}
    code_by_file = {}
    for vpath, body in files:
        anns, code_lines = check_annotations(name, vpath, body, errors)
        annotations_by_file[vpath] = anns
        code_by_file[vpath] = code_lines
        for a in anns:
            all_annotations.append((vpath, a))

    if len(expects) == 1 and int(expects[0].group(1)) != len(all_annotations):
        errors.append(
            f"{name}: '# expect: {expects[0].group(1)}' but the fixture has "
            f"{len(all_annotations)} annotation(s)")

    with tempfile.TemporaryDirectory(prefix="nixfixture-") as tmp:
        for vpath, body in files:
            if not vpath.endswith(".nix"):
                continue
            full = os.path.join(tmp, "with", vpath.lstrip("/"))
            bare = os.path.join(tmp, "bare", vpath.lstrip("/"))
            for target, lines in ((full, [l for _, l in body]),
                                  (bare, [l for _, l in code_by_file[vpath]])):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "w") as fh:
                    fh.write("\n".join(lines) + "\n")
            broken = any(a["code"] in PARSE_REJECTED for a in annotations_by_file[vpath])
            rc, out, err = nix_parse(full)
            if broken:
                if rc == 0:
                    errors.append(f"{name}: {vpath} is annotated as rejected by the parser but parses")
                continue
            if rc != 0:
                first = err.strip().splitlines()[0] if err.strip() else "?"
                errors.append(f"{name}: {vpath} does not parse: {first}")
                continue
            rc2, out2, err2 = nix_parse(bare)
            # Paths in the output are absolute, so make them comparable.
            out_n = out.replace(os.path.join(tmp, "with"), "")
            out2_n = out2.replace(os.path.join(tmp, "bare"), "")
            if rc2 != 0 or out_n != out2_n:
                errors.append(
                    f"{name}: {vpath} parses differently without its annotation lines "
                    f"(an annotation is inside a string?)")

        for vpath, body in files:
            if vpath.endswith(".toml"):
                import tomllib
                try:
                    tomllib.loads("\n".join(l for _, l in body) + "\n")
                except tomllib.TOMLDecodeError as err:
                    errors.append(f"{name}: {vpath} is not valid TOML: {err}")
            elif not vpath.endswith(".nix"):
                errors.append(f"{name}: {vpath}: only .nix and .toml files are expected in fixtures")

    check_paths(name, code_by_file, annotations_by_file, errors)

    if verbose:
        for vpath, a in all_annotations:
            print(f"  {name}:{a['lineno']} {a['severity']}[{a['code']}] {vpath}:"
                  f"{a['target_lineno']} cols {a['start']}..{a['end']} -> {a['span']!r}")
    return errors, all_annotations


def check_tree(root):
    """Checks a real fixture directory (e.g. tests/fixtures/poglets): every
    .nix file parses and every relative path literal exists."""
    root = os.path.abspath(root)
    name = os.path.basename(root)
    files = {}
    for dirpath, _, filenames in os.walk(root):
        for fn in filenames:
            full = os.path.join(dirpath, fn)
            vpath = "/" + os.path.relpath(full, root).replace(os.sep, "/")
            with open(full, encoding="utf-8") as fh:
                files[vpath] = [(i, l) for i, l in enumerate(fh.read().split("\n"), 1)]
    errors = []
    for vpath in sorted(files):
        if vpath.endswith(".nix"):
            rc, _, err = nix_parse(os.path.join(root, vpath.lstrip("/")))
            if rc != 0:
                errors.append(f"{name}: {vpath} does not parse: {err.strip().splitlines()[0]}")
    check_paths(name, files, {}, errors)
    print(f"{'ok' if not errors else 'FAIL':4} {root} ({len(files)} files)")
    for e in errors:
        print(f"     {e}")
    return len(errors)


def main(argv):
    verbose = False
    args = []
    trees = []
    it = iter(argv[1:])
    for arg in it:
        if arg in ("-v", "--verbose"):
            verbose = True
        elif arg == "--tree":
            trees.append(next(it))
        else:
            args.append(arg)
    if trees:
        return 1 if sum(check_tree(t) for t in trees) else 0
    if not args:
        args = sorted(os.path.join(HERE, f) for f in os.listdir(HERE) if f.endswith(".nixfixture"))
    if not args:
        print("no fixtures found", file=sys.stderr)
        return 1
    total_errors = 0
    total_annotations = 0
    for path in args:
        errors, anns = check_fixture(path, verbose)
        total_annotations += len(anns)
        status = "ok" if not errors else "FAIL"
        print(f"{status:4} {os.path.basename(path)} ({len(anns)} expected diagnostic(s))")
        for e in errors:
            print(f"     {e}")
        total_errors += len(errors)
    print(f"{len(args)} fixture(s), {total_annotations} annotation(s), {total_errors} problem(s)")
    return 1 if total_errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
