#!/usr/bin/env bash
# Regenerates Scripts/pour.order, the symbol order lld applies to release builds of `pour`
# (Package.swift, `releaseLinking`; Docs/Performance.md, "Issue 16, third pass: RSS").
#
# Runs the release `pour` under valgrind's callgrind against `pour-registry serve` of the
# benchmark workloads (ffmpeg-like: install, list, uninstall, update, search, info, deps,
# install with the index, outdated; deep-closure: install; many-small: install of 150) and
# writes every function of the `pour` binary that executed, one mangled name a line, sorted.
# Needs valgrind. Workloads come from Benchmarks/.cache/workloads (generated when missing).
#
#   Scripts/generate-link-order.sh [CACHE_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
cache="${1:-$root/Benchmarks/.cache}"
cd "$root"
swift build -c release --product pour-registry >/dev/null
registry_tool="$(swift build -c release --show-bin-path)/pour-registry"
swift build -c release --static-swift-stdlib --scratch-path .build-static --product pour >/dev/null
pour="$(swift build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)/pour"
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
vg=(valgrind --tool=callgrind --demangle=no --dump-instr=no --collect-jumps=no
    "--callgrind-out-file=$work/profiles/cg.%p" -q)
mkdir -p "$work/profiles"

# serve WORKLOAD: starts the registry for one workload and sets the HOMEBREW_* environment.
serve() {
  local dir="$cache/workloads/$1"
  if [ ! -f "$dir/manifest.json" ]; then
    "$registry_tool" generate --recipe "$1" --out "$dir" >&2
  fi
  rm -f "$work/ready"
  "$registry_tool" serve "$dir" --ready-file "$work/ready" >/dev/null 2>&1 &
  server=$!
  while [ ! -s "$work/ready" ]; do sleep 0.05; done
  local url; url="$(awk '{print $2}' "$work/ready")"
  export HOMEBREW_API_DOMAIN="$url/api" HOMEBREW_ARTIFACT_DOMAIN="$url" HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK=1
  export HOMEBREW_DOCKER_REGISTRY_TOKEN=QQ== HOMEBREW_NO_AUTO_UPDATE=1
  rm -rf "$work/prefix" "$work/cache"; mkdir -p "$work/prefix" "$work/cache"
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }
run() { "${vg[@]}" "$pour" "$@" --prefix "$work/prefix" >/dev/null 2>&1 || true; }

"${vg[@]}" "$pour" --version >/dev/null
serve ffmpeg-like
run install ffmpeg --cache "$work/cache" --quiet
run list
run uninstall ffmpeg
run update --cache "$work/cache" -q
run search lib
run info ffmpeg
run deps --tree ffmpeg
run install ffmpeg --cache "$work/cache" --quiet
run outdated
stop
serve deep-closure
run install deep-root --cache "$work/cache" --quiet
stop
serve many-small
run install $(python3 -c "import json,sys; print(' '.join(sorted(json.load(open(sys.argv[1]))['formulae'])[:150]))" \
  "$cache/workloads/many-small/manifest.json") --cache "$work/cache" --quiet
stop

# Every function name the profiles mention (callgrind's `fn=`/`cfn=` lines; a "'N" suffix marks
# a recursion level), kept when the binary defines it.
sed -n "s/^c\{0,1\}fn=([0-9]*) \(.*\)$/\1/p" "$work"/profiles/cg.* | sed "s/'[0-9]*$//" | sort -u > "$work/executed"
nm --defined-only "$pour" | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u > "$work/defined"
comm -12 "$work/executed" "$work/defined" > "$root/Scripts/pour.order"
echo "$(wc -l < "$root/Scripts/pour.order") functions written to Scripts/pour.order" >&2
