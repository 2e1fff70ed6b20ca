#!/usr/bin/env bash
# Peer installer: curl --parallel (8 at once) downloads every bottle, sha256sum verifies them,
# bsdtar extracts them into $POUR_BENCH_PREFIX/Cellar (verification and extraction spread over
# the cores with xargs -P). No relocation, receipts or links: strictly less work than pour.
# Input: $POUR_BENCH_URLS, lines "NAME SHA256 URL"; $POUR_BENCH_TOKEN for the registry.
set -euo pipefail
cache="$POUR_BENCH_CACHE/peer-curl" cellar="$POUR_BENCH_PREFIX/Cellar"
mkdir -p "$cache" "$cellar"
cores="$(nproc)"
config="$cache/curl.config" sums="$cache/SHA256SUMS"
: >"$config"; : >"$sums"
while read -r name sha url; do
  printf 'url = "%s"\noutput = "%s/%s.tar.gz"\n' "$url" "$cache" "$name" >>"$config"
  printf '%s  %s/%s.tar.gz\n' "$sha" "$cache" "$name" >>"$sums"
done <"$POUR_BENCH_URLS"
curl --parallel --parallel-max 8 --parallel-immediate -sS --fail -L \
  -H "Authorization: Bearer $POUR_BENCH_TOKEN" -K "$config"
split -n "l/$cores" "$sums" "$cache/sums."
for part in "$cache"/sums.*; do [ -s "$part" ] || continue; sha256sum --quiet -c "$part" & done
wait_all() { local rc=0; for job in $(jobs -p); do wait "$job" || rc=1; done; return $rc; }
wait_all
cut -d' ' -f3- "$sums" | xargs -P "$cores" -n 1 bsdtar -x -C "$cellar" -f
