#!/usr/bin/env bash
# Formula index benchmark: on a generated 8,300-formula (~30 MB) signed catalogue, medians of
# repeated runs of `pour update` from a local file (file:// API domain, full rebuild each run),
# a 304-equivalent `pour update` (unchanged file), `pour search`, `pour info` and
# `pour --version`, all in a release build.
#
# Usage: Benchmarks/index-bench.sh [runs]   (default 10; at least 5)
#        pour is built as released: Swift runtime and Foundation linked statically
#        (--static-swift-stdlib, own scratch path .build-static). STATIC=0 measures the plain
#        dynamically linked build instead, to show how much of start-up is dynamic loading.
# Uses hyperfine when installed (apt-get install hyperfine), else a date +%s%N loop.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
[ "$runs" -lt 5 ] && runs=5

swift build -c release --product pour-registry >/dev/null
tool="$(swift build -c release --show-bin-path)"
flags=(-c release)
[ "${STATIC:-1}" = 1 ] && flags+=(--static-swift-stdlib --scratch-path .build-static)
swift build "${flags[@]}" --product pour >/dev/null
bin="$(swift build "${flags[@]}" --show-bin-path)"

work="$(mktemp -d /tmp/pour-index-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
"$tool/pour-registry" generate-catalogue --out "$work/registry" --count 8300 >/dev/null

export HOMEBREW_API_DOMAIN="file://$work/registry/api"
export POUR_API_PUBLIC_KEY="$work/registry/api/pour-test-key.pem"
export HOMEBREW_CACHE="$work/cache"
export HOMEBREW_PREFIX="$work/prefix"
export POUR_BOTTLE_TAG="${POUR_BOTTLE_TAG:-x86_64_linux}"
pour="$bin/pour"

"$pour" update --force >/dev/null   # the index the query benchmarks read

echo "build: release$([ "${STATIC:-1}" = 1 ] && echo ' (static Swift runtime)'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "catalogue: $(stat -c %s "$work/registry/api/formula.jws.json") bytes (formula.jws.json), 8300 formulae; tag $POUR_BOTTLE_TAG; $(nproc) cores"

names=("update --force (full verify + rebuild)" "update (unchanged: no work)" "search wget" "search 'json processor'" "info openssl" "deps --tree python" "--version")
cmds=("$pour update --force -q" "$pour update -q" "$pour search wget" "$pour search json processor" "$pour info openssl" "$pour deps --tree python" "$pour --version")

if command -v hyperfine >/dev/null; then
  for i in "${!cmds[@]}"; do
    hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/h.json" "${cmds[$i]}" >/dev/null 2>&1
    read -r median cpu < <(python3 -c "import json;r=json.load(open('$work/h.json'))['results'][0];print('%.1f %.1f' % (r['median']*1000,(r['user']+r['system'])*1000))")
    printf '%-42s median %8s ms wall, %7s ms CPU (user+sys mean)  (%d runs, hyperfine)\n' "${names[$i]}" "$median" "$cpu" "$runs"
  done
else
  for i in "${!cmds[@]}"; do
    times=()
    for _ in $(seq "$runs"); do
      start=$(date +%s%N); ${cmds[$i]} >/dev/null; end=$(date +%s%N)
      times+=($(( (end - start) / 1000 )))
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)/1000}')
    printf '%-42s median %8s ms  (%d runs, date loop)\n' "${names[$i]}" "$median" "$runs"
  done
fi
