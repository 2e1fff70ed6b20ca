#!/usr/bin/env bash
# The main job on a fresh machine, offline: build pour, generate a sample registry, serve it on
# 127.0.0.1 (ghcr-style, with auth and a redirect to a second "blob host"), and install a sample
# formula with its dependencies into a sandbox prefix, with live progress.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/setup.sh
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"

formula="${1:-wget}"
sandbox="${POUR_SANDBOX:-$PWD/.sandbox}"
echo "==> building (release)" >&2
swift build -c release --product pour-registry >&2
swift build -c release --product pour >&2
bin="$(swift build -c release --show-bin-path)"

rm -rf "$sandbox"
mkdir -p "$sandbox"
"$bin/pour-registry" generate --recipe sample --out "$sandbox/registry" >&2
"$bin/pour-registry" serve "$sandbox/registry" --ready-file "$sandbox/ready" >"$sandbox/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$sandbox/ready" ] && break; sleep 0.1; done
[ -s "$sandbox/ready" ] || { echo "registry server did not start; see $sandbox/server.log" >&2; exit 1; }
registry="$(awk '{print $2}' "$sandbox/ready")"
echo "==> registry at $registry (blobs redirect to $(awk '{print $4}' "$sandbox/ready"))" >&2

export HOMEBREW_API_DOMAIN="$registry/api"
export HOMEBREW_ARTIFACT_DOMAIN="$registry"
export HOMEBREW_ARTIFACT_DOMAIN_NO_FALLBACK=1
"$bin/pour" install "$formula" hello --prefix "$sandbox/prefix" --cache "$sandbox/cache"

echo "==> $sandbox/prefix/bin/hello-hello says:" >&2
"$sandbox/prefix/bin/hello-hello"
