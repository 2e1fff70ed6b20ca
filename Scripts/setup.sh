#!/usr/bin/env bash
# Installs the system packages pour builds and tests against (Debian/Ubuntu), if any is missing.
set -euo pipefail
packages=(libcurl4-openssl-dev libssl-dev libzstd-dev libarchive-dev libsqlite3-dev pkg-config libarchive-tools zstd gcc binutils patchelf openssl python3 docker-registry nginx curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "swift not found (expected on PATH or in /opt/swift/usr/bin)" >&2; exit 1; }
