#!/usr/bin/env python3
"""Where the real-editor tests point the cursor, found by text search in the
poglets fixture (never hard-coded line numbers), printed as shell `export`s.

Usage: eval "$(python3 tests/editors/positions.py FIXTURE_DIR)"

Lines are 1-based, columns 0-based byte offsets (all the text involved is
ASCII, so they are also UTF-16 offsets). Every client test reads these:
  FL_HOST                 the host file the tests open (relative to the fixture)
  FL_ENABLE_LINE/_COL     `enable` in `services = { poglets = { enable = true; ... } }`
  FL_PORT_LINE/_COL       the start of the key `port` in that block (`|port = 8420;`)
  FL_PORT_VALUE_COL       the start of `8420` on that line
  FL_DECL_FILE            the module that declares services.poglets
  FL_DECL_ENABLE_LINE/_COL  `enable` in its `enable = mkEnableOption ...`
  FL_PORT_DEFAULT         the declared default of services.poglets.port
"""

import re
import shlex
import sys
from pathlib import Path

HOST = "hosts/neptune/configuration.nix"
DECL = "hosts/modules/servers/poglets.nix"


def find(lines, pattern, start=0, stop=None):
    """(index, match) of the first line in lines[start:stop] matching pattern."""
    rx = re.compile(pattern)
    for i in range(start, len(lines) if stop is None else stop):
        m = rx.search(lines[i])
        if m:
            return i, m
    raise SystemExit(f"positions.py: /{pattern}/ not found after line {start + 1}")


def block_end(lines, start):
    """Index of the line closing the `{` opened on lines[start]."""
    depth = 0
    for i in range(start, len(lines)):
        depth += lines[i].count("{") - lines[i].count("}")
        if depth <= 0:
            return i
    raise SystemExit(f"positions.py: unclosed block at line {start + 1}")


def main():
    root = Path(sys.argv[1])
    host = (root / HOST).read_text().splitlines()
    decl = (root / DECL).read_text().splitlines()

    # The `poglets = {` block nested in `services = {`.
    services, _ = find(host, r"^\s*services = \{")
    poglets, _ = find(host, r"^\s*poglets = \{", services, block_end(host, services))
    end = block_end(host, poglets)
    enable, m_enable = find(host, r"\benable = true;", poglets, end)
    port, m_port = find(host, r"\bport = (\d+);", poglets, end)

    # The declaration: `options.services.poglets = { enable = mkEnableOption ...`.
    opts, _ = find(decl, r"options\.services\.poglets = \{")
    decl_end = block_end(decl, opts)
    decl_enable, m_decl = find(decl, r"\benable = mkEnableOption\b", opts, decl_end)
    port_opt, _ = find(decl, r"^\s*port = mkOption \{", opts, decl_end)
    _, m_default = find(decl, r"^\s*default = (\d+);", port_opt, block_end(decl, port_opt))

    out = {
        "FL_HOST": HOST,
        "FL_ENABLE_LINE": enable + 1,
        "FL_ENABLE_COL": m_enable.start(),
        "FL_PORT_LINE": port + 1,
        "FL_PORT_COL": m_port.start(),
        "FL_PORT_VALUE_COL": m_port.start(1),
        "FL_DECL_FILE": DECL,
        "FL_DECL_ENABLE_LINE": decl_enable + 1,
        "FL_DECL_ENABLE_COL": m_decl.start(),
        "FL_PORT_DEFAULT": m_default.group(1),
    }
    for key, value in out.items():
        print(f"export {key}={shlex.quote(str(value))}")


if __name__ == "__main__":
    main()
