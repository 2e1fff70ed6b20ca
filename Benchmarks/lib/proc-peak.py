#!/usr/bin/env python3
"""Peak memory and thread count of one command, sampled from /proc every 5 ms while it runs.

    proc-peak.py -- COMMAND [ARGS...]

Prints the sample with the highest VmRSS (with its RssAnon / RssFile split and thread count)
and the highest thread count seen, and which thread names held the most threads then. Used for
the RSS and thread figures in Docs/Performance.md (one cold `pour install deep-root` against
`pour-registry serve` of the deep-closure workload on loopback, with the environment the
benchmark harness sets).
"""
import collections
import os
import re
import subprocess
import sys
import time


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        raise SystemExit(__doc__)
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    peak = (0, 0, 0, 0)
    most_threads, names_then = 0, collections.Counter()
    while process.poll() is None:
        try:
            status = open(f"/proc/{process.pid}/status").read()
            field = lambda key: int(re.search(rf"{key}:\s+(\d+)", status).group(1))
            sample = (field("VmRSS"), field("RssAnon"), field("RssFile"), field("Threads"))
            if sample[0] > peak[0]:
                peak = sample
            if sample[3] > most_threads:
                tasks = os.listdir(f"/proc/{process.pid}/task")
                most_threads = sample[3]
                names_then = collections.Counter(open(f"/proc/{process.pid}/task/{t}/comm").read().strip() for t in tasks)
        except (OSError, AttributeError):
            pass
        time.sleep(0.005)
    print(f"exit {process.returncode}; peak RSS {peak[0]} KB (anon {peak[1]}, file {peak[2]}), {peak[3]} threads then")
    print(f"most threads: {most_threads}: {names_then.most_common(4)}")


if __name__ == "__main__":
    main()
