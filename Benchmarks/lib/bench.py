#!/usr/bin/env python3
"""pour benchmark harness (issue #7). Started by Benchmarks/run.sh, which builds the binaries.

For each workload × link it serves a generated registry, runs every contender cold N times
(interleaved), and writes results.md / results.json / chart.png under Benchmarks/results/<ts>/.
Python 3 standard library only (matplotlib is optional, for the chart).
"""
import argparse
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)
TOKEN = "QQ=="
CLI_NS, SRV_NS = "pourbench-cli", "pourbench-srv"

WORKLOADS = {
    # name: (recipe, formulae to install: None = every formula of the registry)
    "ffmpeg-like": ("ffmpeg-like", ["ffmpeg"]),
    # ~230 bottles, dependency depth 9, 4 KB–32 MB (~240 MB): the metadata critical path of a real closure.
    "deep-closure": ("deep-closure", ["deep-root"]),
    "many-small": ("many-small", None),
    "one-huge": ("one-huge", ["huge"]),
}
# link: rate bytes/s (None = unlimited), RTT seconds, per-connection cap bytes/s
LINKS = {
    "loopback": (None, 0.0, None),
    "cdn": (100_000_000 / 8, 0.040, None),
    "cdn-capped": (100_000_000 / 8, 0.040, 4 * 1024 * 1024),
}
POUR_MODES = {
    "sequential": ["--jobs", "1", "--no-overlap"],
    "unbounded": ["--jobs", "1000"],
    "bounded": ["--jobs", "8", "--no-overlap"],
    "bounded+overlap": [],
    # The same with the formula index already built (`pour update`, untimed, before the timed
    # install): the closure is read locally, so no formula JSON is fetched.
    "bounded+overlap+index": [],
}
PEERS = {
    "curl": os.path.join(HERE, "peer-curl.sh"),
    "aria2": os.path.join(HERE, "peer-aria2.sh"),
}
DEFAULT_CONTENDERS = list(POUR_MODES) + list(PEERS)


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sh(command, **kwargs):
    return subprocess.run(command, shell=isinstance(command, str), check=True, text=True,
                          capture_output=True, **kwargs).stdout


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def uptime():
    try:
        return sh(["uptime"]).strip()
    except Exception:
        return "load average: %.2f, %.2f, %.2f" % tuple(loadavg())


# ---------------------------------------------------------------------------------------------
# Workloads

class Workload:
    def __init__(self, name, directory, names_override, bottle_tag):
        self.name = name
        self.directory = directory
        with open(os.path.join(directory, "manifest.json")) as f:
            manifest = json.load(f)["formulae"]
        with open(os.path.join(directory, "api", "formula.json")) as f:
            api = json.load(f)
        self.names = names_override or sorted(manifest)
        # The install closure: every formula reachable from the requested names.
        closure, stack = set(), list(self.names)
        while stack:
            n = stack.pop()
            if n in closure:
                continue
            closure.add(n)
            stack.extend(manifest[n].get("dependencies", []))
        self.closure = sorted(closure)
        self.bottles = []  # (name, sha256, size, path of the blob, url path on the registry)
        by_name = {f["name"]: f for f in api}
        for n in self.closure:
            files = by_name[n]["bottle"]["stable"]["files"]
            entry = files.get(bottle_tag) or files.get("all") or next(iter(files.values()))
            url = entry["url"]
            path = url.split("://", 1)[1].split("/", 1)[1]  # v2/homebrew/core/<name>/blobs/sha256:...
            sha = entry["sha256"]
            self.bottles.append((n, sha, manifest[n]["size"], os.path.join(directory, "blobs", "sha256:" + sha),
                                 "/" + path))
        self.total_bytes = sum(b[2] for b in self.bottles)
        self.largest = max(self.bottles, key=lambda b: b[2])


def ensure_workload(args, name):
    recipe, names = WORKLOADS[name]
    extra, suffix = [], ""
    if name == "one-huge" and args.size_mb != 1024:
        extra, suffix = ["--size-mb", str(args.size_mb)], f"-{args.size_mb}mb"
    if name == "many-small" and args.count != 1000:
        extra, suffix = ["--count", str(args.count)], f"-{args.count}"
    directory = os.path.join(args.cache_dir, "workloads", name + suffix)
    if not os.path.exists(os.path.join(directory, "manifest.json")):
        log(f"generating workload {name}{suffix} into {directory} (once; reused afterwards)")
        shutil.rmtree(directory, ignore_errors=True)
        subprocess.run([os.path.join(args.bin, "pour-registry"), "generate", "--recipe", recipe, "--out", directory]
                       + extra, check=True, stdout=sys.stderr)
    return Workload(name + suffix, directory, names, args.bottle_tag)


# ---------------------------------------------------------------------------------------------
# Links: kernel emulation (netns + TUN delay + tbf) or the registry server's own throttling

def netem_probe():
    """Whether sch_netem works in a scratch namespace (it does not on this machine kind)."""
    ns = "pourbench-probe"
    subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    if subprocess.run(["ip", "netns", "add", ns], capture_output=True).returncode != 0:
        return False, "cannot create network namespaces"
    try:
        r = subprocess.run(["ip", "netns", "exec", ns, "tc", "qdisc", "add", "dev", "lo", "root", "netem",
                            "delay", "1ms"], capture_output=True, text=True)
        return r.returncode == 0, (r.stderr.strip() or "ok")
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


class Link:
    def __init__(self, name, args, state_dir):
        self.name = name
        self.rate, self.rtt, self.per_connection = LINKS[name]
        self.args = args
        self.state_dir = state_dir
        self.kernel = False
        self.description = "none (plain 127.0.0.1)"
        self.server_flags = []

    def up(self):
        if self.name == "loopback":
            return
        mode = self.args.emulation
        netem_ok, netem_note = netem_probe() if mode in ("auto", "kernel") else (False, "not tried")
        if mode in ("auto", "kernel"):
            rate_mbit = int(self.rate * 8 / 1_000_000)
            r = subprocess.run(["bash", os.path.join(HERE, "netem.sh"), "up", self.state_dir,
                                str(self.rtt * 1000 / 2), str(rate_mbit)], capture_output=True, text=True)
            if r.returncode == 0 and self._reachable_check():
                self.kernel = True
                self.description = (
                    f"kernel: netns {CLI_NS} <-> {SRV_NS} over two TUN devices, userspace delay "
                    f"{self.rtt * 500:.0f} ms each way (RTT {self.rtt * 1000:.0f} ms, lib/tundelay.py) "
                    f"because sch_netem is unavailable ({netem_note}); tc tbf rate {rate_mbit}mbit burst 32kb "
                    f"latency 50ms on both tunnel ends; MTU 1500")
            else:
                log(f"kernel emulation unavailable ({r.stderr.strip()}); falling back to server throttling")
                self.down()
                if mode == "kernel":
                    raise SystemExit("--emulation kernel requested but unavailable")
        if not self.kernel:
            self.server_flags = ["--rate", str(int(self.rate)), "--latency-ms", str(int(self.rtt * 1000))]
            self.description = (f"server: pour-registry serve --rate {int(self.rate)} B/s (aggregate) "
                                f"--latency-ms {int(self.rtt * 1000)} (delay before each response head)")
        if self.per_connection:
            self.server_flags += ["--per-connection-rate", str(self.per_connection)]
            self.description += f"; per-connection cap {self.per_connection} B/s by the server (--per-connection-rate)"

    def _reachable_check(self):
        return subprocess.run(["ip", "netns", "exec", CLI_NS, "true"], capture_output=True).returncode == 0

    def down(self):
        subprocess.run(["bash", os.path.join(HERE, "netem.sh"), "down", self.state_dir], capture_output=True)

    def client_prefix(self):
        return ["ip", "netns", "exec", CLI_NS] if self.kernel else []

    def server_prefix(self):
        return ["ip", "netns", "exec", SRV_NS] if self.kernel else []


class Server:
    def __init__(self, args, workload, link, work):
        self.ready = os.path.join(work, "server.ready")
        self.logfile = os.path.join(work, "server.log")
        command = link.server_prefix() + [os.path.join(args.bin, "pour-registry"), "serve", workload.directory,
                                          "--ready-file", self.ready] + link.server_flags
        if os.path.exists(self.ready):
            os.unlink(self.ready)
        self.process = subprocess.Popen(command, stdout=open(self.logfile, "w"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        for _ in range(200):
            if os.path.exists(self.ready):
                break
            if self.process.poll() is not None:
                raise SystemExit(f"registry server exited; see {self.logfile}")
            time.sleep(0.05)
        else:
            raise SystemExit(f"registry server did not start; see {self.logfile}")
        with open(self.ready) as f:
            words = f.read().split()
        self.registry, self.blobs = words[1], words[3]

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------
# Contenders

def contender_command(args, name, workload, prefix, cache):
    if name in POUR_MODES:
        return [args.pour, "install", *workload.names, "--prefix", prefix, "--cache", cache,
                "--quiet", *POUR_MODES[name]]
    if name in PEERS:
        return ["bash", PEERS[name]]
    for peer_name, peer_command in args.peer:
        if peer_name == name:
            return ["bash", "-c", peer_command]
    raise SystemExit(f"unknown contender {name}")


def run_once(args, contender, workload, link, server, work, index):
    run_dir = os.path.join(work, "run")
    shutil.rmtree(run_dir, ignore_errors=True)  # cache, staging and prefix: nothing else is dropped
    prefix, cache = os.path.join(run_dir, "prefix"), os.path.join(run_dir, "cache")
    os.makedirs(prefix)
    os.makedirs(cache)
    urls = os.path.join(work, "urls.txt")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEBREW_")}
    env.update({
        "HOMEBREW_API_DOMAIN": server.registry + "/api",
        "HOMEBREW_ARTIFACT_DOMAIN": server.registry,
        "HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK": "1",
        "HOMEBREW_DOCKER_REGISTRY_TOKEN": TOKEN,
        "HOMEBREW_PREFIX": prefix,
        "HOMEBREW_CACHE": cache,
        "HOMEBREW_NO_AUTO_UPDATE": "1",
        "POUR_BENCH_REGISTRY": server.registry,
        "POUR_BENCH_BLOBS": server.blobs,
        "POUR_BENCH_TOKEN": TOKEN,
        "POUR_BENCH_PREFIX": prefix,
        "POUR_BENCH_CACHE": cache,
        "POUR_BENCH_NAMES": " ".join(workload.names),
        "POUR_BENCH_URLS": urls,
        "POUR_BENCH_BIN": args.bin,
    })
    timefile = os.path.join(work, "time.txt")
    command = link.client_prefix() + ["/usr/bin/time", "-f", "%e %U %S %M", "-o", timefile] + \
        contender_command(args, contender, workload, prefix, cache)
    if contender.endswith("+index"):
        # Untimed: build the index from the registry's formula.json (unsigned, allowed on loopback).
        subprocess.run(link.client_prefix() + [args.pour, "update", "--prefix", prefix,
                                               "--cache", cache, "-q"],
                       env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, cwd=run_dir)
    load = loadavg()
    with open(os.path.join(work, f"{contender.replace('/', '_')}.{index}.log"), "w") as out:
        rc = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=run_dir).returncode
    with open(timefile) as f:
        last = [line for line in f.read().splitlines() if line.strip()][-1].split()
    wall, user, system, rss_kb = float(last[0]), float(last[1]), float(last[2]), int(last[3])
    kegs = 0
    cellar = os.path.join(prefix, "Cellar")
    if os.path.isdir(cellar):
        kegs = sum(len(os.listdir(os.path.join(cellar, d))) for d in os.listdir(cellar))
    ok = rc == 0 and kegs == len(workload.bottles)
    shutil.rmtree(run_dir, ignore_errors=True)
    return {"run": index, "wall": wall, "cpu": user + system, "user": user, "sys": system,
            "rss_mb": rss_kb / 1024, "exit": rc, "kegs": kegs, "ok": ok, "load1": load[0]}


# ---------------------------------------------------------------------------------------------
# Bounds

def timed(command, repeat=3, env=None):
    """CPU seconds (user+sys of the whole pipeline; robust to other load on the machine, unlike
    wall time), the minimum of `repeat` runs."""
    import resource
    best = None
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, shell=True, check=True, env=env, stdout=subprocess.DEVNULL,
                       executable="/bin/bash")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = cpu if best is None else min(best, cpu)
    return best


def measure_cpu(workload, scratch):
    """Single-core CPU seconds for SHA-256 (openssl), decompression alone (gzip/zstd -dc, for
    reference) and a full bsdtar extraction (decompress + write) of every bottle into tmpfs, and
    the same for the largest bottle alone."""
    blobs = [b[3] for b in workload.bottles]
    listfile = os.path.join(scratch, "blobs.list")
    with open(listfile, "w") as f:
        f.write("\0".join(blobs))
    out = os.path.join(scratch, "extract")
    decompress = "zstd -dc" if open(blobs[0], "rb").read(4) == b"\x28\xb5\x2f\xfd" else "gzip -dc"
    def extract_cmd(lst):
        return (f"rm -rf {out} && mkdir -p {out} && xargs -0 -n 64 sh -c "
                f"'for f; do bsdtar -x -C {out} -f \"$f\"; done' _ < {lst}")
    largest = workload.largest[3]
    one = os.path.join(scratch, "largest.list")
    with open(one, "w") as f:
        f.write(largest)
    result = {
        "sha256_s": timed(f"xargs -0 cat < {listfile} | openssl dgst -sha256"),
        "decompress_s": timed(f"xargs -0 -n 64 {decompress} < {listfile} > /dev/null"),
        "extract_s": timed(extract_cmd(listfile)),
        "largest_sha256_s": timed(f"openssl dgst -sha256 {shlex.quote(largest)}"),
        "largest_extract_s": timed(extract_cmd(one)),
        "decompressor": decompress.split()[0],
    }
    shutil.rmtree(out, ignore_errors=True)
    return result


# tc tbf on a TUN device meters whole IP packets: with MTU 1500 and Linux's default TCP
# timestamps a full segment carries 1448 payload bytes (1500 - 20 IP - 20 TCP - 12 options), so
# the most a 100 Mbit/s tbf link can deliver to an application is 1448/1500 of it. The
# server-side fallback (`--rate`) meters payload bytes, so it has no such overhead.
TCP_GOODPUT_FRACTION = 1448 / 1500


def bound_for(workload, link_name, cpu, cores, kernel_emulation=True):
    rate, rtt, cap = LINKS[link_name]
    if rate is not None and kernel_emulation:
        rate = rate * TCP_GOODPUT_FRACTION
    cpu_total = cpu["sha256_s"] + cpu["extract_s"]
    cpu_bound = max(cpu_total / cores, cpu["largest_sha256_s"] + cpu["largest_extract_s"])
    if rate is None:
        return {"seconds": cpu_bound, "kind": "cpu",
                "formula": f"max((sha {cpu['sha256_s']:.2f} + extract {cpu['extract_s']:.2f}) / {cores} cores, "
                           f"largest sha+extract {cpu['largest_sha256_s'] + cpu['largest_extract_s']:.2f})"}
    transfer = workload.total_bytes / rate
    single = workload.largest[2] / cap if cap else 0.0
    setup = 3 * rtt
    net = max(transfer, single) + setup + cpu["largest_extract_s"]
    return {"seconds": max(net, cpu_bound), "kind": "network" if net >= cpu_bound else "cpu",
            "formula": f"max({workload.total_bytes / 1e6:.1f} MB / {rate * 8 / 1e6:.1f} Mbit/s of goodput = {transfer:.2f}"
                       + (f", largest {workload.largest[2] / 1e6:.1f} MB / {cap / 1048576:.0f} MiB/s = {single:.2f}" if cap else "")
                       + f") + 3 RTT {setup:.2f} + extract largest {cpu['largest_extract_s']:.2f}"
                       + f" (cpu bound {cpu_bound:.2f})"}


# ---------------------------------------------------------------------------------------------
# Reporting

def machine_description(args):
    def first_line(command):
        try:
            out = subprocess.run(command, capture_output=True, text=True, shell=True)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except Exception:
            return "unavailable"
    mem_kb = int([l for l in open("/proc/meminfo") if l.startswith("MemTotal")][0].split()[1])
    cpu_model = ([l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
                 or [platform.processor()])[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model,
        "memory_gb": round(mem_kb / 1048576, 1),
        "kernel": platform.release(),
        "os": first_line(". /etc/os-release && echo \"$PRETTY_NAME\""),
        "load_at_start": uptime(),
        "swift": first_line("swift --version 2>&1 | grep -i 'swift version'"),
        "libcurl": first_line("curl --version"),
        "aria2": first_line("aria2c --version"),
        "bsdtar": first_line("bsdtar --version"),
        "pour_commit": first_line(f"git -C {ROOT} rev-parse --short HEAD"),
        "tmpfs_work_dir": args.work_root,
    }


def summarize(runs):
    ok = [r for r in runs if r["ok"]]
    use = ok or runs
    wall = [r["wall"] for r in use]
    return {
        "runs": len(runs), "ok_runs": len(ok),
        "median_s": statistics.median(wall), "min_s": min(wall), "max_s": max(wall),
        "cpu_s": statistics.median(r["cpu"] for r in use),
        "rss_mb": statistics.median(r["rss_mb"] for r in use), "rss_max_mb": max(r["rss_mb"] for r in use),
        "load1": statistics.median(r["load1"] for r in use),
    }


def markdown(results):
    lines = []
    m = results["machine"]
    lines.append(f"# pour benchmark — {results['timestamp']}\n")
    lines.append(f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gb']} GB, {m['os']}, kernel {m['kernel']}; "
                 f"{m['swift']}; {m['libcurl']}; {m['aria2']}; {m['bsdtar']}; pour {m['pour_commit']}.  ")
    lines.append(f"Load at start: `{m['load_at_start']}`; at end: `{results['load_at_end']}`.  ")
    lines.append(f"Every run cold: cache, staging and prefix (tmpfs under {m['tmpfs_work_dir']}) wiped; nothing else "
                 f"dropped. Runs of the contenders are interleaved. Wall, CPU (user+sys) and peak RSS from "
                 f"`/usr/bin/time` (for the shell peers: the largest single process).\n")
    for session in results["sessions"]:
        w, l = session["workload"], session["link"]
        lines.append(f"## {w} × {l}\n")
        lines.append(f"{session['bottles']} bottles, {session['total_bytes'] / 1e6:.1f} MB compressed, largest "
                     f"{session['largest_bytes'] / 1e6:.1f} MB.  ")
        lines.append(f"Emulation: {session['emulation']}.  ")
        lines.append(f"Bound: **{session['bound']['seconds']:.2f} s** ({session['bound']['kind']}: "
                     f"{session['bound']['formula']}).  ")
        lines.append(f"Load during the runs: `{session['uptime_before']}` → `{session['uptime_after']}`\n")
        lines.append("| contender | median s | min s | max s | × bound | CPU s | peak RSS MB (max) | ok runs | load1 |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, s in session["summary"].items():
            lines.append(f"| {name} | {s['median_s']:.2f} | {s['min_s']:.2f} | {s['max_s']:.2f} | "
                         f"{s['median_s'] / session['bound']['seconds']:.2f} | {s['cpu_s']:.2f} | "
                         f"{s['rss_mb']:.1f} ({s['rss_max_mb']:.1f}) | {s['ok_runs']}/{s['runs']} | {s['load1']:.2f} |")
        lines.append("")
    if results.get("one_huge_rss"):
        lines.append(f"**Peak RSS of `pour install` (bounded+overlap) of the one-huge bottle:** "
                     f"{results['one_huge_rss']}\n")
    return "\n".join(lines)


def chart(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing (pip install matplotlib): no chart")
        return False
    sessions = results["sessions"]
    fig, axes = plt.subplots(1, len(sessions), figsize=(max(5.5 * len(sessions), 7), 4.8), squeeze=False)
    for ax, session in zip(axes[0], sessions):
        names = list(session["summary"])
        med = [session["summary"][n]["median_s"] for n in names]
        lo = [m - session["summary"][n]["min_s"] for n, m in zip(names, med)]
        hi = [session["summary"][n]["max_s"] - m for n, m in zip(names, med)]
        colors = ["#2b6cb0" if n in POUR_MODES else "#a0aec0" for n in names]
        ax.bar(range(len(names)), med, yerr=[lo, hi], color=colors, capsize=3)
        ax.axhline(session["bound"]["seconds"], color="#c53030", linestyle="--", linewidth=1,
                   label=f"bound {session['bound']['seconds']:.2f} s")
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=35, ha="right", fontsize=8)
        ax.set_title(f"{session['workload']} × {session['link']}", fontsize=10)
        ax.set_ylabel("wall seconds (median, min–max)")
        ax.legend(fontsize=8)
    fig.suptitle(f"pour benchmark {results['timestamp']} — {results['machine']['nproc']} cores, "
                 f"load {results['machine']['load_at_start'].split('load average:')[-1].strip()}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


# ---------------------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(prog="Benchmarks/run.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", default=None, help="comma list: ffmpeg-like, deep-closure, many-small, one-huge")
    p.add_argument("--link", default=None, help="comma list: loopback, cdn, cdn-capped")
    p.add_argument("--runs", type=int, default=None, help="runs per contender (default 5)")
    p.add_argument("--contenders", default=None,
                   help="comma list of " + ", ".join(DEFAULT_CONTENDERS) + " and --peer names")
    p.add_argument("--peer", action="append", default=[],
                   help="'COMMAND' or 'NAME=COMMAND': time an external installer against the same registry")
    p.add_argument("--full", action="store_true", help="every workload × every link")
    p.add_argument("--size-mb", type=int, default=1024, help="one-huge bottle size (default 1024)")
    p.add_argument("--count", type=int, default=1000, help="many-small bottle count (default 1000)")
    p.add_argument("--emulation", choices=["auto", "kernel", "server"], default="auto")
    p.add_argument("--bin", required=True, help="directory of pour-registry (and of pour unless --pour)")
    p.add_argument("--pour", default=None, help="the pour binary (default BIN/pour)")
    p.add_argument("--cache-dir", default=os.path.join(BENCH, ".cache"))
    p.add_argument("--out", default=None, help="results directory (default Benchmarks/results/<timestamp>)")
    p.add_argument("--work-root", default="/dev/shm" if os.path.isdir("/dev/shm") else "/tmp")
    args = p.parse_args()
    args.pour = args.pour or os.path.join(args.bin, "pour")

    peers = []
    for i, spec in enumerate(args.peer):
        name, _, command = spec.partition("=")
        if not command or " " in name or not name:
            name, command = f"peer{i + 1}", spec
        peers.append((name, command))
    args.peer = peers
    machine = platform.machine()
    args.bottle_tag = os.environ.get("POUR_BOTTLE_TAG") or ("arm64_linux" if machine in ("aarch64", "arm64")
                                                              else "x86_64_linux")
    workloads = (args.workload or ("ffmpeg-like,deep-closure,many-small,one-huge" if args.full
                                   else "ffmpeg-like,deep-closure")).split(",")
    links = (args.link or ("loopback,cdn,cdn-capped" if args.full else "loopback,cdn")).split(",")
    runs = args.runs or 5
    contenders = (args.contenders.split(",") if args.contenders else DEFAULT_CONTENDERS) + \
        [n for n, _ in peers if not args.contenders or n not in args.contenders.split(",")]
    for w in workloads:
        if w not in WORKLOADS:
            raise SystemExit(f"unknown workload {w}")
    for l in links:
        if l not in LINKS:
            raise SystemExit(f"unknown link {l}")
    if any(c in PEERS for c in contenders):
        missing = [t for t in ("curl", "aria2c", "bsdtar", "sha256sum") if not shutil.which(t)]
        if missing:
            raise SystemExit(f"missing tools for the peers: {missing} (apt-get install curl aria2 libarchive-tools)")

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or os.path.join(BENCH, "results", stamp)
    os.makedirs(out, exist_ok=True)
    work = os.path.join(args.work_root, f"pourbench-{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    args.work_root = work
    cores = os.cpu_count()
    results = {"timestamp": stamp, "machine": machine_description(args), "sessions": [],
               "args": {"workloads": workloads, "links": links, "runs": runs, "contenders": contenders,
                        "peers": dict(peers)}}
    log(f"results → {out}; machine: {results['machine']['load_at_start']}")

    link = None
    server = None

    def cleanup(*_):
        if server:
            server.stop()
        if link:
            link.down()

    signal.signal(signal.SIGTERM, lambda *_: (cleanup(), sys.exit(143)))
    try:
        for wname in workloads:
            workload = ensure_workload(args, wname)
            log(f"{workload.name}: {len(workload.bottles)} bottles, {workload.total_bytes / 1e6:.1f} MB; "
                f"measuring the CPU bound")
            cpu = measure_cpu(workload, work)
            log(f"cpu (single core): {json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in cpu.items()})}")
            for lname in links:
                link = Link(lname, args, os.path.join(work, "netem"))
                link.up()
                session_dir = os.path.join(work, f"{workload.name}.{lname}")
                os.makedirs(session_dir, exist_ok=True)
                server = Server(args, workload, link, session_dir)
                with open(os.path.join(session_dir, "urls.txt"), "w") as f:
                    for name, sha, _, _, path in workload.bottles:
                        f.write(f"{name} {sha} {server.registry}{path}\n")
                bound = bound_for(workload, lname, cpu, cores, kernel_emulation=link.kernel)
                log(f"{workload.name} × {lname}: {link.description}; bound {bound['seconds']:.2f} s")
                session = {"workload": workload.name, "link": lname, "bottles": len(workload.bottles),
                           "total_bytes": workload.total_bytes, "largest_bytes": workload.largest[2],
                           "emulation": link.description, "bound": bound, "cpu_measurements": cpu,
                           "uptime_before": uptime(), "runs": {c: [] for c in contenders}}
                for index in range(1, runs + 1):
                    for contender in contenders:
                        r = run_once(args, contender, workload, link, server, session_dir, index)
                        session["runs"][contender].append(r)
                        log(f"  {workload.name} × {lname} {contender} #{index}: {r['wall']:.2f} s, cpu {r['cpu']:.2f} s, "
                            f"rss {r['rss_mb']:.1f} MB, load {r['load1']:.2f}" + ("" if r["ok"] else
                            f"  FAILED (exit {r['exit']}, {r['kegs']}/{len(workload.bottles)} kegs; "
                            f"see {session_dir})"))
                session["uptime_after"] = uptime()
                session["summary"] = {c: summarize(session["runs"][c]) for c in contenders}
                results["sessions"].append(session)
                server.stop()
                server = None
                link.down()
                link = None
                if workload.name.startswith("one-huge") and "bounded+overlap" in session["summary"]:
                    s = session["summary"]["bounded+overlap"]
                    results["one_huge_rss"] = (f"{s['rss_mb']:.1f} MB median, {s['rss_max_mb']:.1f} MB max "
                                               f"({workload.total_bytes / 1e6:.0f} MB bottle, {lname})")
                # Write what we have after every session, so an interrupted run still leaves results.
                results["load_at_end"] = uptime()
                write_outputs(results, out)
    finally:
        cleanup()
    results["load_at_end"] = uptime()
    write_outputs(results, out, final=True)
    shutil.rmtree(work, ignore_errors=True)
    print(open(os.path.join(out, "results.md")).read())
    log(f"wrote {out}/results.md, results.json" + (", chart.png" if os.path.exists(os.path.join(out, "chart.png")) else ""))


def write_outputs(results, out, final=False):
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(markdown(results))
    if results["sessions"]:
        chart(results, os.path.join(out, "chart.png"))


if __name__ == "__main__":
    main()
