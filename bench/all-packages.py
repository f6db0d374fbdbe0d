#!/usr/bin/env python3
"""Writes one huge nixpkgs `all-packages.nix`-style file (a function
returning an attrset of `callPackage` entries, overrides, nested sets,
comments), deterministic, of about SIZE bytes. For measuring requests on
big files (documentSymbol, completion, hover); not a test.

usage: all-packages.py OUT.nix SIZE   (SIZE like 1300000, 1.3M or 4.6M)
"""
import sys


def parse_size(text):
    scale = 1
    if text[-1] in "kK":
        scale, text = 1000, text[:-1]
    elif text[-1] in "mM":
        scale, text = 1000 * 1000, text[:-1]
    return int(float(text) * scale)


out, size = sys.argv[1], parse_size(sys.argv[2])
parts = [
    "{ lib, noSysDirs, config, overlays }:\nres: pkgs: super:\n\nwith pkgs;\n\n{\n",
    "  # Top-level helpers\n  inherit (lib) recurseIntoAttrs;\n\n",
]
length = sum(map(len, parts))
i = 0
while length < size - 200:
    name = f"pkg{i}"
    kind = i % 10
    if kind == 0:
        entry = f"  ### SECTION {i}\n\n  {name} = callPackage ../by-name/{name[:2]}/{name}/package.nix {{ }};\n"
    elif kind == 1:
        entry = f"  {name} = callPackage ../tools/misc/{name} {{\n    inherit (darwin.apple_sdk.frameworks) Security;\n  }};\n"
    elif kind == 2:
        entry = f"  {name}_2 = {name}.override {{ withFeature = true; }};\n"
    elif kind == 3:
        entry = (
            f"  {name}Packages = recurseIntoAttrs {{\n"
            f"    a = callPackage ../development/{name}/a.nix {{ }};\n"
            f"    b = callPackage ../development/{name}/b.nix {{ }};\n  }};\n"
        )
    elif kind == 4:
        entry = f"  {name} = let\n    base = callPackage ../servers/{name} {{ }};\n  in base.overrideAttrs (old: {{ doCheck = false; }});\n"
    elif kind == 5:
        entry = f"  inherit ({name}Packages) {name}-cli {name}-lib;\n"
    elif kind == 6:
        entry = f"  {name} = if stdenv.isDarwin then null else callPackage ../os-specific/linux/{name} {{ }};\n"
    elif kind == 7:
        entry = f'  {name} = throw "{name} was removed (2024-01-01)"; # Added 2024-01-01\n'
    elif kind == 8:
        entry = f"  {name} = with python3Packages; toPythonApplication {name}-py;\n"
    else:
        entry = f"  {name} = callPackage ../applications/{name} {{ lua = lua5_4; }};\n"
    parts.append(entry)
    length += len(entry)
    i += 1
parts.append("}\n")
with open(out, "w") as f:
    f.write("".join(parts))
