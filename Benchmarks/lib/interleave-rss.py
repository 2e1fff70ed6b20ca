#!/usr/bin/env python3
"""Cold installs of a cached workload, several pour binaries alternating, with peak RSS and CPU:

    <bin>/pour-registry serve WORKLOAD_DIR --ready-file READY &
    lib/interleave-rss.py READY WORKLOAD_DIR RUNS index|noindex NAME=POUR[@ENV=VALUE,...] ...

One line per run (wall, user, sys, `ru_maxrss` from wait4 — so the process's exit counts —, and
the anonymous / file-backed split of the highest VmRSS seen by sampling /proc/PID/status every
2 ms), then the medians per binary. `NAME=POUR@MALLOC_ARENA_MAX=16` runs POUR with that
environment added. Each run gets a fresh prefix and cache under /dev/shm; `index` builds the
formula index first (untimed). Used for "Fourth pass: RSS of an install" in Docs/Performance.md.
"""
import json, os, re, subprocess, sys, tempfile, time, shutil, statistics
ready, workload, runs, mode = sys.argv[1:5]
bins = []
for spec in sys.argv[5:]:
    name, rest = spec.split("=", 1)
    env = {}
    if "@" in rest:
        rest, e = rest.split("@", 1)
        for kv in e.split(","):
            k, v = kv.split("=", 1); env[k] = v
    bins.append((name, rest, env))
registry = open(ready).read().split()[1]
names = sorted(json.load(open(f"{workload}/manifest.json"))["formulae"])
base_env = dict(os.environ, HOMEBREW_API_DOMAIN=f"{registry}/api", HOMEBREW_ARTIFACT_DOMAIN=registry,
    HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK="1", HOMEBREW_DOCKER_REGISTRY_TOKEN="QQ==", HOMEBREW_NO_AUTO_UPDATE="1")
res = {b[0]: [] for b in bins}
for r in range(int(runs)):
    for name, pour, env in bins:
        work = tempfile.mkdtemp(dir="/dev/shm", prefix="rss2.")
        os.makedirs(f"{work}/prefix"); os.makedirs(f"{work}/cache")
        e = dict(base_env, HOMEBREW_PREFIX=f"{work}/prefix", HOMEBREW_CACHE=f"{work}/cache", **env)
        if mode == "index":
            subprocess.run([pour, "update", "--prefix", f"{work}/prefix", "--cache", f"{work}/cache", "-q"], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        load = open("/proc/loadavg").read().split()[0]
        t0 = time.time()
        p = subprocess.Popen([pour, "install", *names, "--prefix", f"{work}/prefix", "--cache", f"{work}/cache", "--quiet"], env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak = (0, 0, 0, 0); maxthreads = 0
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid: break
            try:
                s = open(f"/proc/{p.pid}/status").read()
                f = lambda k: int(re.search(rf"{k}:\s+(\d+)", s).group(1))
                smp = (f("VmRSS"), f("RssAnon"), f("RssFile"), f("Threads"))
                maxthreads = max(maxthreads, smp[3])
                if smp[0] > peak[0]: peak = smp
            except Exception: pass
            time.sleep(0.002)
        wall = time.time() - t0
        row = (wall, ru.ru_utime, ru.ru_stime, ru.ru_maxrss / 1024, peak[1] / 1024, peak[2] / 1024, maxthreads)
        res[name].append(row)
        print(f"{name:10s} wall {row[0]:.2f} user {row[1]:.2f} sys {row[2]:.2f} cpu {row[1]+row[2]:.2f} maxrss {row[3]:.1f} anon {row[4]:.1f} file {row[5]:.1f} thr {maxthreads} rc {status>>8} load {load}", flush=True)
        shutil.rmtree(work)
for name in res:
    rows = res[name]
    med = lambda i: statistics.median(x[i] for x in rows)
    print(f"MEDIAN {name:10s} wall {med(0):.2f} cpu {statistics.median(x[1]+x[2] for x in rows):.2f} (user {med(1):.2f} sys {med(2):.2f}) maxrss {med(3):.1f} (max {max(x[3] for x in rows):.1f}) anon {med(4):.1f} file {med(5):.1f}")
