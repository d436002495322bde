#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ndjson_check.py FILE...: every line of each FILE (flowctl -j output:
one JSON value a line) must parse and be valid against Documentation/flowctl.schema.json, with python3-
jsonschema.  Prints (as TAP diagnostics) the first errors and exits 1,
or how many objects were valid."""
import json
import os
import sys

import jsonschema

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "..", "..", "Documentation", "flowctl.schema.json")


def main():
    schema = json.load(open(SCHEMA))
    validator = jsonschema.Draft202012Validator(schema)
    bad, good = [], 0
    for path in sys.argv[1:]:
        for n, line in enumerate(open(path), 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError as e:
                bad.append("%s:%d: not JSON: %s" % (path, n, e))
                continue
            errors = list(validator.iter_errors(value))
            if errors:
                best = jsonschema.exceptions.best_match(errors)
                bad.append("%s:%d: %s at %s" % (
                    path, n, best.message,
                    "/".join(map(str, best.absolute_path)) or "top"))
            else:
                good += len(value) if isinstance(value, list) else 1
    for line in bad[:5] or ["%d objects valid against the schema" % good]:
        print("# " + line)
    sys.exit(1 if bad or not good else 0)


if __name__ == "__main__":
    main()
