#!/usr/bin/env bash
# Link use over one cold `pour install`: the client tunnel device's received bytes every 0.1 s
# (IP bytes, so headers included), printed for the first 3 s and the last 1.2 s of the run.
#
#   lib/netem.sh up STATE 20 100                     # the emulated link (as bench.py sets it up)
#   ip netns exec pourbench-srv <bin>/pour-registry serve WORKLOAD --ready-file READY &
#   lib/link-use.sh POUR READY NAME [index]          # index: `pour update` first, untimed
#
# Used for the "link use" figures of Docs/Performance.md ("Issue 16, second pass").
set -euo pipefail
pour="$1" ready="$2" name="$3"
registry="$(cut -d' ' -f2 "$ready")"
work="$(mktemp -d /dev/shm/pour-link-use.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export HOMEBREW_API_DOMAIN="$registry/api" HOMEBREW_ARTIFACT_DOMAIN="$registry" HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK=1
export HOMEBREW_DOCKER_REGISTRY_TOKEN=QQ== POUR_BOTTLE_TAG="${POUR_BOTTLE_TAG:-x86_64_linux}"
unset HOMEBREW_PREFIX
if [ "${4:-}" = index ]; then
  ip netns exec pourbench-cli "$pour" update --prefix "$work/p" --cache "$work/c" -q
else
  export HOMEBREW_NO_AUTO_UPDATE=1
fi
ip netns exec pourbench-cli python3 - "$pour" "$name" "$work" <<'PY'
import subprocess, sys, time
pour, name, work = sys.argv[1:4]
rx = lambda: int(open("/sys/class/net/pbtc/statistics/rx_bytes").read())
start_bytes, start = rx(), time.time()
process = subprocess.Popen([pour, "install", name, "--prefix", work + "/p", "--cache", work + "/c", "--quiet"],
                           stdout=subprocess.DEVNULL)
samples = []
while process.poll() is None:
    samples.append((time.time() - start, (rx() - start_bytes) / 1e6))
    time.sleep(0.1)
print("exit %d, wall %.2f s (seconds:MB received)" % (process.returncode, time.time() - start))
print("first:", " ".join("%.1f:%.1f" % s for s in samples[:30]))
print("last: ", " ".join("%.1f:%.1f" % s for s in samples[-12:]))
PY
