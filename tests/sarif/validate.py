#!/usr/bin/env python3
"""Validates SARIF logs against the vendored official SARIF 2.1.0 schema.

Usage: validate.py LOG.sarif...  Exit 0 when every log is valid, 1 with the
errors listed otherwise, 3 when the `jsonschema` package is missing.
"""
import json
import pathlib
import sys

try:
    import jsonschema
except ImportError:
    print("python package jsonschema is not installed", file=sys.stderr)
    sys.exit(3)

schema_path = pathlib.Path(__file__).with_name("sarif-schema-2.1.0.json")
schema = json.loads(schema_path.read_text(encoding="utf-8"))
validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
failed = False
for name in sys.argv[1:]:
    log = json.loads(pathlib.Path(name).read_text(encoding="utf-8"))
    for error in sorted(validator.iter_errors(log), key=lambda e: list(e.path)):
        failed = True
        where = "/".join(str(part) for part in error.path)
        print(f"{name}: {where}: {error.message}")
sys.exit(1 if failed else 0)
