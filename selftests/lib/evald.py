# SPDX-License-Identifier: GPL-2.0
"""One Python for a whole selftest: evaluates lib.sh's pm_eval,
truth_eval and json_eval expressions over JSON files, on requests from
the test's shell.

A Python start costs about 0.6 s of a TCG guest's CPU, and a test
compares dozens of figures, each a Python expression on each side: one
process that lives as long as the test does most of them for the price
of one start.

    evald.py DIR SHELL_PID       serve the FIFOs DIR/req and DIR/ans
    evald.py --once KIND FILE NAME EXPR
                                 answer one request, as print() would

Protocol, over the FIFOs that lib.sh's evald_start makes: a request is
four fields, each ended by a NUL byte: the kind ("pm", "truth" or
"json"), the JSON file, the PM instance's name (pm; empty otherwise)
and the expression.  The answer is a status digit, then for 0 what
print() would have written, for 1 the traceback, and a NUL byte (a NUL
in the text is written as \\0, so that the answers never get out of
step); the shell reads it with "read -d ''".  Requests come from the
test's shell one at a time: lib.sh never asks from two processes.
Expressions must not change what they read: a truth file is parsed
once and shared by every request on it.

It ends when the test's shell does: the kernel sends it SIGTERM then
(PR_SET_PDEATHSIG; the shell keeps the FIFOs open read-write, so they
never reach end of file), and it removes DIR.
"""
import ctypes
import json
import os
import select
import shutil
import signal
import sys
import traceback


def load(path, cache):
    """The JSON in path; with a cache, parsed once per version of the
    file: a truth file is read by many checks."""
    if cache is None:
        with open(path) as f:
            return json.load(f)
    st = os.stat(path)
    key = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    hit = cache.get(path)
    if hit and hit[0] == key:
        return hit[1]
    with open(path) as f:
        doc = json.load(f)
    cache[path] = (key, doc)
    return doc


def evaluate(kind, path, name, expr, cache):
    if kind == "truth":
        scope = {"t": load(path, cache)}
    elif kind == "json":
        scope = {"d": load(path, None)}
    elif kind == "pm":
        # A stats file is new every time, and may be written again
        # within the file system's clock tick: never cached (nor is
        # a json one).
        doc = load(path, None)
        p = [p for p in doc["pms"] if p["name"] == name][0]
        scope = {"p": p, "r": p["results"]}
    else:
        raise ValueError("evald: no kind %r" % kind)
    # Globals, not locals: a comprehension in expr sees only globals.
    return eval(expr, {"json": json, "sys": sys, **scope})


def answer(fields, cache):
    """The answer to one request (its fields as bytes), never raising."""
    try:
        kind, path, name, expr = (f.decode(errors="surrogateescape")
                                  for f in fields)
        out = "0%s\n" % (evaluate(kind, path, name, expr, cache),)
    except Exception:  # the shell's caller gets status 1 and this
        out = "1" + traceback.format_exc()
    return out.replace("\0", "\\0").encode(errors="backslashreplace") + b"\0"


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def requests(fd, shell):
    """Each request's four fields, as they come, until shell is gone."""
    pending = b""
    while True:
        fields = pending.split(b"\0")
        while len(fields) > 4:
            yield fields[:4]
            fields = fields[4:]
        pending = b"\0".join(fields)
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            if not alive(shell):
                return
            continue
        data = os.read(fd, 65536)
        if not data:
            return
        pending += data


def serve(req_fd, ans_fd, shell):
    cache = {}
    for fields in requests(req_fd, shell):
        out = answer(fields, cache)
        while out:
            out = out[os.write(ans_fd, out):]


def end_with_parent(shell):
    """SIGTERM, as SystemExit, when the process that started this ends;
    and SystemExit now if it is gone already (it may end before this
    process gets here: a test that sources lib.sh and is soon done)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    # Its parent may be a wrapper (pyenv's python3 is a script): the
    # shell itself is what must still run.
    if not alive(shell):
        sys.exit(0)


def once(fields):
    """--once: as one request, but printed, and the status as exit code."""
    out = answer([f.encode(errors="surrogateescape") for f in fields], None)
    text = out[1:-1].decode(errors="surrogateescape")
    if out[:1] == b"0":
        sys.stdout.write(text)
        return 0
    sys.stderr.write(text)
    return 1


def main():
    if sys.argv[1] == "--once":
        sys.exit(once(sys.argv[2:6]))
    run, shell = sys.argv[1], int(sys.argv[2])
    try:
        end_with_parent(shell)
        # Read-write, as the shell opens them: an open that never waits
        # for the other end, which may be gone.
        req_fd = os.open(os.path.join(run, "req"), os.O_RDWR)
        ans_fd = os.open(os.path.join(run, "ans"), os.O_RDWR)
        serve(req_fd, ans_fd, shell)
    finally:
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main()
