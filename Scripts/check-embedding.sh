#!/usr/bin/env bash
# Builds Examples/PluginManager as an outside package that depends on this one, so it sees only
# PourCore's public API — once in the Swift 6 and once in the Swift 5 language mode.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Sources/App"
cp "$root"/Examples/PluginManager/*.swift "$work/Sources/App/"
for mode in v6 v5; do
  cat > "$work/Package.swift" <<MANIFEST
// swift-tools-version:6.0
import PackageDescription
let package = Package(name: "embedder", dependencies: [.package(path: "$root")],
  targets: [.executableTarget(name: "App", dependencies: [.product(name: "PourCore", package: "$(basename "$root")")],
                              path: "Sources/App")],
  swiftLanguageModes: [.$mode])
MANIFEST
  echo "==> building the example outside the package, Swift language mode $mode" >&2
  (cd "$work" && swift build 2>&1 | grep -E "error|warning: .*App/|Compiling App|Build complete" || true)
  (cd "$work" && swift build >/dev/null)
done
