#!/usr/bin/env bash
# Builds the Rust library the Swift package links, and stages it where Package.swift looks:
#
#   bash swift/build-rust.sh     # then: swift build, swift test
#
# cargo build --release -p devtoken-uniffi (crates from the registry or the vendored set, as
# tests/sources.sh decides), then libdevtoken.a alone into target/swift/lib/. Alone, because a
# linker given -ldevtoken prefers libdevtoken.so when both sit in one directory, and the package
# links the static library: a Swift binary then needs no libdevtoken.so at run time.
#
# Run it after every change to the Rust code, and regenerate the Swift bindings
# (bash bindings/generate.sh) after every change to the uniffi interface: the generated Swift
# checks the library's API checksums when it first calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

source tests/sources.sh
devtoken_cargo_sources

# The path cargo reports, so a CARGO_TARGET_DIR or build.target-dir setting is honoured.
library=$(cargo build --release -p devtoken-uniffi --message-format=json-render-diagnostics |
  grep -o '"[^"]*/libdevtoken\.a"' | tr -d '"' | tail -n 1)
if [[ -z $library || ! -f $library ]]; then
  echo "build-rust.sh: cargo did not report a libdevtoken.a (crate-type staticlib)" >&2
  exit 1
fi

staged=target/swift/lib
mkdir -p "$staged"
# Unchanged bytes keep their timestamp (no needless relink); changed ones replace it atomically.
if ! cmp -s "$library" "$staged/libdevtoken.a"; then
  cp "$library" "$staged/libdevtoken.a.tmp"
  mv "$staged/libdevtoken.a.tmp" "$staged/libdevtoken.a"
  # SwiftPM does not see a library that linker flags name, so it would keep binaries linked
  # against the old one: remove the linked products (executables and .xctest files directly in
  # .build/<triple>/<configuration>/, of this package and of the example packages in
  # swift/Examples/) so the next swift build links them again.
  find .build swift/Examples/*/.build -mindepth 3 -maxdepth 3 -type f -perm -u+x \
    \( -path '*.build/*-*/debug/*' -o -path '*.build/*-*/release/*' \) -print -delete 2>/dev/null |
    sed 's/^/build-rust.sh: removed stale /' >&2 || true
fi
echo "staged $staged/libdevtoken.a (from $library)"
