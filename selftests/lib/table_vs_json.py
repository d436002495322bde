#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""table_vs_json.py TEXT JSON PM TABLE: hold flowctl stats's text view
of the table TABLE of instance PM (TEXT) to its JSON view (JSON, flowctl
-j stats of the same flow, read when nothing changed it).

The text view is a line "TABLE:", a line naming the columns, then a line
per row, each value under its column's name: a counter ends where its
name ends, any other value starts where its name starts.  Prints (as
TAP diagnostics) what differs and exits 1, or the rows compared.
"""
import json
import sys


def spans(header):
    """Each column name of header, with where it starts and ends."""
    out, i = [], 0
    for name in header.split():
        i = header.index(name, i)
        out.append((name, i, i + len(name)))
        i += len(name)
    return out


def text_rows(lines, table):
    """The rows of the table, as dicts of the text under each name."""
    start = next(i for i, line in enumerate(lines)
                 if line.strip() == table + ":")
    indent = len(lines[start]) - len(lines[start].lstrip())
    header = lines[start + 1]
    rows = []
    for line in lines[start + 2:]:
        if len(line) - len(line.lstrip()) <= indent:
            break
        cells = line.split()
        names = spans(header)
        if len(cells) != len(names):
            raise ValueError("row %r has %d values for %d columns"
                             % (line, len(cells), len(names)))
        row, at = {}, 0
        for (name, begin, end), cell in zip(names, cells):
            at = line.index(cell, at)
            if at != begin and at + len(cell) != end:
                raise ValueError("%s=%s is not under its name in %r"
                                 % (name, cell, line))
            row[name] = cell
            at += len(cell)
        rows.append(row)
    return header.split(), rows


def main():
    text, stats, pm, table = sys.argv[1:5]
    lines = open(text).read().splitlines()
    want = [p for p in json.load(open(stats))["pms"]
            if p["name"] == pm][0]["results"][table]
    names, got = text_rows(lines, table)
    bad = [] if want else ["the JSON view has no rows to compare"]
    if want and names != list(want[0]):
        bad.append("columns %s, JSON's %s" % (names, list(want[0])))
    if len(got) != len(want):
        bad.append("%d rows, JSON has %d" % (len(got), len(want)))
    for g, w in zip(got, want):
        w = {k: str(v) for k, v in w.items()}
        if g != w:
            bad.append("row %s, JSON's %s" % (g, w))
    agree = "%d rows of %d columns agree" % (len(got), len(names))
    for line in bad[:3] or [agree]:
        print("# " + line)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
