#!/usr/bin/env python3
"""The top frames of a JFR recording's CPU samples (jdk.ExecutionSample), through the JDK's jfr tool.

Usage: jfr-top.py FILE.jfr [N]   prints the N (default 15) most sampled top frames, and the N most sampled
                                 frames anywhere in the stack (inclusive), as a share of all samples.
"""
import collections
import json
import subprocess
import sys


def frame_name(f):
    m = f["method"]
    return f"{m['type']['name']}.{m['name']}"


def main():
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    raw = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", "jdk.ExecutionSample", path],
                         check=True, capture_output=True, text=True).stdout
    events = json.loads(raw)["recording"]["events"]
    top = collections.Counter()
    incl = collections.Counter()
    for e in events:
        frames = e["values"]["stackTrace"]["frames"] if e["values"].get("stackTrace") else []
        if not frames:
            continue
        top[frame_name(frames[0])] += 1
        for name in {frame_name(f) for f in frames}:
            incl[name] += 1
    total = sum(top.values()) or 1
    print(f"{total} samples in {path}\n\ntop frames (self):")
    for name, c in top.most_common(n):
        print(f"  {100 * c / total:5.1f} %  {name}")
    print("\nframes anywhere in the stack (inclusive):")
    for name, c in incl.most_common(n * 3):
        if name.startswith(("java.lang.Thread.run", "io.netty.util.concurrent.FastThreadLocalRunnable",
                            "io.netty.util.internal.ThreadExecutorMap")):
            continue
        print(f"  {100 * c / total:5.1f} %  {name}")


if __name__ == "__main__":
    main()
