# SPDX-License-Identifier: GPL-2.0
"""tshark's output for a capture, run once per capture and arguments.

tshark takes seconds to start in a guest (it registers every dissector
it has), and several truths of one test read the same capture: the
first run's output is kept beside the capture, named by a hash of the
arguments and of the capture's size and time, so that a capture
written again is read again.
"""
import hashlib
import os
import subprocess
import tempfile


def tshark(pcap, *args):
    st = os.stat(pcap)
    key = "\0".join([*args, str(st.st_ino), str(st.st_size),
                     str(st.st_mtime_ns), str(st.st_ctime_ns)])
    cache = "%s.tshark-%s" % (pcap, hashlib.sha1(key.encode()).hexdigest()[:16])
    try:
        with open(cache) as f:
            return f.read()
    except FileNotFoundError:
        pass
    out = subprocess.run(["tshark", "-r", pcap, *args], check=True,
                         capture_output=True, text=True).stdout
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(cache)))
    with os.fdopen(fd, "w") as f:
        f.write(out)
    os.replace(tmp, cache)
    return out


def fields(pcap, names, *args, cache=True):
    """One dict per packet (of those *args filter) of tshark's first
    occurrence of each field of names: "" where the packet has none.
    Without cache, nothing is written beside pcap (a capture of the
    source tree)."""
    cmd = [*args, "-T", "fields", "-E", "occurrence=f"]
    for name in names:
        cmd += ["-e", name]
    if cache:
        out = tshark(pcap, *cmd)
    else:
        out = subprocess.run(["tshark", "-r", pcap, *cmd], check=True,
                             capture_output=True, text=True).stdout
    return [dict(zip(names, line.split("\t"))) for line in out.splitlines()]
