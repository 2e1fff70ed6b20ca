#!/usr/bin/env bash
# pour benchmark (issue #7): builds pour and pour-registry (release), installs the peer tools if
# missing, then runs lib/bench.py. Needs root for the kernel link emulation (network namespaces);
# without it the registry server's own throttling is used.
#
#   bash Benchmarks/run.sh                      # quick: ffmpeg-like + deep-closure × loopback+cdn, 5 runs (~25 min)
#   bash Benchmarks/run.sh --full               # every workload × loopback, cdn, cdn-capped
#   bash Benchmarks/run.sh --workload one-huge --size-mb 256 --link loopback --runs 3
#   bash Benchmarks/run.sh --contenders bounded+overlap,curl --peer 'mytool=brew install $POUR_BENCH_NAMES'
#
# Results: Benchmarks/results/<UTC timestamp>/{results.md,results.json,chart.png}. Generated
# registries are cached in Benchmarks/.cache/workloads and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v curl >/dev/null || need+=(curl)
command -v bsdtar >/dev/null || need+=(libarchive-tools)
command -v aria2c >/dev/null || need+=(aria2)
command -v zstd >/dev/null || need+=(zstd)
command -v openssl >/dev/null || need+=(openssl)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  echo "==> installing ${need[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -c 'import matplotlib' 2>/dev/null || pip install -q matplotlib >&2 || echo "(no matplotlib: no chart)" >&2

if [ -z "${POUR_BENCH_NO_BUILD:-}" ]; then
  echo "==> building pour and pour-registry (release)" >&2
  swift build -c release --product pour-registry >&2
  # pour itself with the Swift runtime and Foundation linked statically (what a release of pour
  # ships: far less dynamic binding at start-up; Docs/Performance.md "Issue 16"), in its own scratch path so the
  # two builds do not invalidate each other.
  swift build -c release --static-swift-stdlib --scratch-path .build-static --product pour >&2
fi
bin="$(swift build -c release --show-bin-path)"
pour="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/pour"
exec python3 Benchmarks/lib/bench.py --bin "$bin" --pour "$pour" "$@"
