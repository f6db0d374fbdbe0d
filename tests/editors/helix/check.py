#!/usr/bin/env python3
"""Helix cannot be installed on this project's machines (no release in Debian 12
or on any registry CI reaches), so its shipped config is only checked here: it
parses as TOML and says what Helix needs to start flakelens for Nix files."""

import sys
import tomllib
from pathlib import Path

path = Path(__file__).resolve().parents[3] / "editors" / "helix" / "languages.toml"
config = tomllib.loads(path.read_text())
problems = []
server = config.get("language-server", {}).get("flakelens")
if server != {"command": "flakelens", "args": ["lsp"]}:
    problems.append(f"[language-server.flakelens] should run `flakelens lsp`, is {server!r}")
nix = [lang for lang in config.get("language", []) if lang.get("name") == "nix"]
if len(nix) != 1:
    problems.append(f"expected one [[language]] named nix, found {len(nix)}")
elif "flakelens" not in nix[0].get("language-servers", []):
    problems.append(f"nix's language-servers lacks flakelens: {nix[0]!r}")
for problem in problems:
    print(f"FAIL {path}: {problem}")
if problems:
    sys.exit(1)
print(f"PASS {path} parses; nix uses {nix[0]['language-servers']}")
