#!/usr/bin/env bash
# Cold installs of a cached workload, several pour binaries alternating, one line per run:
#   <binary> <wall s> <user s> <sys s> <peak RSS KB> load=<1-min load>
#
#   <bin>/pour-registry serve WORKLOAD_DIR --ready-file READY &
#   lib/interleave-install.sh READY WORKLOAD_DIR RUNS index|noindex POUR...
#
# Each run gets a fresh prefix and cache under /dev/shm; `index` builds the formula index first
# (untimed). Alternating the binaries run by run keeps a shared machine's load drift out of the
# comparison. Used for the "Third pass: tiny bottles" figures of Docs/Performance.md.
set -euo pipefail
ready="$1" workload="$2" runs="$3" mode="$4"
shift 4
registry="$(cut -d' ' -f2 "$ready")"
names="$(python3 -c "import json,sys; print(' '.join(sorted(json.load(open(sys.argv[1]))['formulae'])))" "$workload/manifest.json")"
export HOMEBREW_API_DOMAIN="$registry/api" HOMEBREW_ARTIFACT_DOMAIN="$registry" HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK=1
export HOMEBREW_DOCKER_REGISTRY_TOKEN=QQ== HOMEBREW_NO_AUTO_UPDATE=1
for _ in $(seq "$runs"); do
  for pour in "$@"; do
    work="$(mktemp -d /dev/shm/pour-interleave.XXXXXX)"
    mkdir -p "$work/prefix" "$work/cache"
    if [ "$mode" = index ]; then "$pour" update --prefix "$work/prefix" --cache "$work/cache" -q >/dev/null 2>&1; fi
    load="$(cut -d' ' -f1 /proc/loadavg)"
    # shellcheck disable=SC2086
    HOMEBREW_PREFIX="$work/prefix" HOMEBREW_CACHE="$work/cache" /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
      "$pour" install $names --prefix "$work/prefix" --cache "$work/cache" --quiet >/dev/null 2>&1 || echo "$pour: install failed" >&2
    echo "$(basename "$pour") $(tail -1 "$work/time") load=$load"
    rm -rf "$work"
  done
done
