#!/usr/bin/env bash
# Regenerates the uniffi Kotlin and Swift sources from libdevtoken.so (library mode).
#
#   bash bindings/generate.sh            # write into bindings/kotlin and bindings/swift
#   bash bindings/generate.sh --check    # fail when the committed copies are stale
set -euo pipefail
cd "$(dirname "$0")/.."

# The library in release form (what the Kotlin jar ships); the generator itself in debug form
# (its build is large and speed does not matter for it).
cargo build -q --release -p devtoken-uniffi
cargo build -q -p uniffi-bindgen
library=target/release/libdevtoken.so
bindgen=target/debug/uniffi-bindgen
kotlin_out=bindings/kotlin/src/main/kotlin
swift_out=bindings/swift/Sources

generate() {
  local kotlin_dir=$1 swift_dir=$2
  "$bindgen" generate --no-format --library "$library" \
    --language kotlin --out-dir "$kotlin_dir"
  "$bindgen" generate --no-format --library "$library" \
    --language swift --out-dir "$swift_dir"
}

if [[ ${1:-} == --check ]]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  generate "$scratch/kotlin" "$scratch/swift"
  stale=0
  diff -ru "$scratch/kotlin/dev/devtoken/ffi" "$kotlin_out/dev/devtoken/ffi" || stale=1
  diff -ru "$scratch/swift" "$swift_out" || stale=1
  if ((stale)); then
    echo "generated bindings are stale: run bash bindings/generate.sh and commit the result" >&2
    exit 1
  fi
  echo "generated Kotlin and Swift bindings are current"
else
  rm -rf "$kotlin_out/dev/devtoken/ffi" "$swift_out"
  generate "$kotlin_out" "$swift_out"
  echo "wrote $kotlin_out/dev/devtoken/ffi and $swift_out"
fi
