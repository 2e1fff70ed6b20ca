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
# A private CA for the certificate-store check: its certificate is the ca-certificates bottle's
# bundle, and ca-certificates/openssl@3 get post_install bodies of homebrew-core's shape.
pki="$sandbox/pki"
chain=()
if command -v openssl >/dev/null; then
  mkdir -p "$pki"
  (
    cd "$pki"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 \
      -subj "/CN=pour demo CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
    printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
  ) >/dev/null 2>&1 && chain=(--ca-bundle "$pki/ca.pem")
fi
"$bin/pour-registry" generate --recipe sample "${chain[@]}" --out "$sandbox/registry" >&2
"$bin/pour-registry" serve "$sandbox/registry" --ready-file "$sandbox/ready" >"$sandbox/server.log" 2>&1 &
server=$!
tls=""
trap 'kill $server $tls 2>/dev/null || true' EXIT
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

# The certificate store pour's post-install set up: etc/openssl@3/cert.pem → ../ca-certificates/cert.pem.
if [ ${#chain[@]} -gt 0 ] && [ -e "$sandbox/prefix/etc/openssl@3/cert.pem" ]; then
  echo "==> $sandbox/prefix/etc/openssl@3/cert.pem -> $(readlink "$sandbox/prefix/etc/openssl@3/cert.pem")" >&2
  port=$((40000 + RANDOM % 20000))
  sleep 30 | openssl s_server -accept "127.0.0.1:$port" -cert "$pki/server.pem" -key "$pki/server.key" -naccept 1 \
    >"$sandbox/tls.log" 2>&1 &
  tls=$!
  for _ in $(seq 1 50); do grep -q ACCEPT "$sandbox/tls.log" 2>/dev/null && break; sleep 0.1; done
  echo "==> openssl s_client (system binary) verifying https://127.0.0.1:$port with -CAfile <prefix>/etc/openssl@3/cert.pem:" >&2
  openssl s_client -connect "127.0.0.1:$port" -verify_return_error -verify_ip 127.0.0.1 \
    -CAfile "$sandbox/prefix/etc/openssl@3/cert.pem" </dev/null 2>&1 | grep -E "Verify return code" >&2
fi
