#!/usr/bin/env bash
# Peer installer: aria2c -j 8 downloads every bottle, sha256sum verifies them, bsdtar extracts
# them into $POUR_BENCH_PREFIX/Cellar (verification and extraction spread over the cores).
# Input: $POUR_BENCH_URLS, lines "NAME SHA256 URL"; $POUR_BENCH_TOKEN for the registry.
set -euo pipefail
cache="$POUR_BENCH_CACHE/peer-aria2" cellar="$POUR_BENCH_PREFIX/Cellar"
mkdir -p "$cache" "$cellar"
cores="$(nproc)"
input="$cache/aria2.input" sums="$cache/SHA256SUMS"
: >"$input"; : >"$sums"
while read -r name sha url; do
  printf '%s\n  out=%s.tar.gz\n' "$url" "$name" >>"$input"
  printf '%s  %s/%s.tar.gz\n' "$sha" "$cache" "$name" >>"$sums"
done <"$POUR_BENCH_URLS"
aria2c -j 8 -x 1 -i "$input" -d "$cache" --header="Authorization: Bearer $POUR_BENCH_TOKEN" \
  --file-allocation=none --allow-overwrite=true --auto-file-renaming=false \
  --console-log-level=error --summary-interval=0 --download-result=hide --quiet=true
split -n "l/$cores" "$sums" "$cache/sums."
for part in "$cache"/sums.*; do [ -s "$part" ] || continue; sha256sum --quiet -c "$part" & done
wait_all() { local rc=0; for job in $(jobs -p); do wait "$job" || rc=1; done; return $rc; }
wait_all
cut -d' ' -f3- "$sums" | xargs -P "$cores" -n 1 bsdtar -x -C "$cellar" -f
