#!/usr/bin/env python3
"""Phase timeline of one pour install: runs `pour install --json` with the environment the
harness sets (registry, prefix, cache, optional netns prefix) and timestamps every NDJSON event as
it arrives, then prints when resolution, downloads, extractions and commits started and ended.

    trace.py [--netns NS] -- POUR_BINARY install NAMES... --prefix P --cache C [flags]
"""
import json
import subprocess
import sys
import time


def main():
    argv = sys.argv[1:]
    prefix = []
    if argv[:1] == ["--netns"]:
        prefix = ["ip", "netns", "exec", argv[1]]
        argv = argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    start = time.perf_counter()
    process = subprocess.Popen(prefix + argv + ["--json"], stdout=subprocess.PIPE, text=True, bufsize=1)
    first, last = {}, {}
    per_bottle = {}
    for line in process.stdout:
        t = time.perf_counter() - start
        try:
            event = json.loads(line)
        except ValueError:
            continue
        kind = event.get("event")
        if kind == "download_progress":
            # The first one marks the first bottle byte (metadata critical path ends there).
            if event.get("received_bytes", 0) > 0:
                first.setdefault("first_bottle_byte", t)
                last.setdefault("first_bottle_byte", t)
            continue
        first.setdefault(kind, t)
        last[kind] = t
        name = event.get("name")
        if name:
            per_bottle.setdefault(name, {})[kind] = t
    rc = process.wait()
    end = time.perf_counter() - start
    order = ["resolving", "planned", "download_started", "first_bottle_byte", "download_finished", "extracting", "extracted",
             "committed", "linked", "installed", "summary"]
    print(f"exit {rc}, wall {end:.2f} s (event arrival times, seconds from start)")
    print(f"{'event':<20} {'first':>8} {'last':>8}")
    for kind in order:
        if kind in first:
            print(f"{kind:<20} {first[kind]:8.2f} {last[kind]:8.2f}")
    extract = [(b.get("extracted", 0) - b.get("extracting", 0), n) for n, b in per_bottle.items() if "extracted" in b]
    if extract:
        extract.sort(reverse=True)
        print("longest extractions (extracting→extracted, s): " +
              ", ".join(f"{n} {d:.2f}" for d, n in extract[:5]))
        print(f"sum of extraction spans: {sum(d for d, _ in extract):.2f} s")
    tail = [(b.get("installed", 0) - b.get("download_finished", 0), n) for n, b in per_bottle.items()
            if "installed" in b and "download_finished" in b]
    if tail:
        tail.sort(reverse=True)
        print("download_finished→installed, longest: " + ", ".join(f"{n} {d:.2f}" for d, n in tail[:5]))


if __name__ == "__main__":
    main()
