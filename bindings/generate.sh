#!/usr/bin/env bash
# Regenerates the uniffi Kotlin and Swift sources from libdevtoken.so (library mode).
#
#   bash bindings/generate.sh            # write into bindings/kotlin and the Swift package
#   bash bindings/generate.sh --check    # fail when the committed copies are stale
#
# Swift: the generated Swift goes to swift/Sources/DevTokenUniFFI/ and the C header to
# swift/Sources/DevTokenFFI/include/, the two targets of Package.swift that compile them (the
# module map beside the header is hand-written, not generated).
set -euo pipefail
cd "$(dirname "$0")/.."

# The library in release form (what the Kotlin jar ships); the generator itself in debug form
# (its build is large and speed does not matter for it).
cargo build -q --release -p devtoken-uniffi
cargo build -q -p uniffi-bindgen
library=target/release/libdevtoken.so
bindgen=target/debug/uniffi-bindgen
kotlin_out=bindings/kotlin/src/main/kotlin
swift_file=swift/Sources/DevTokenUniFFI/DevTokenUniFFI.swift
header_file=swift/Sources/DevTokenFFI/include/DevTokenFFI.h

# Writes the Kotlin tree under $1 and the Swift file and header as $2/DevTokenUniFFI.swift and
# $2/DevTokenFFI.h (uniffi writes both into one directory).
generate() {
  local kotlin_dir=$1 swift_dir=$2
  "$bindgen" generate --no-format --library "$library" \
    --language kotlin --out-dir "$kotlin_dir"
  "$bindgen" generate --no-format --library "$library" \
    --language swift --out-dir "$swift_dir"
  local written
  written=$(cd "$swift_dir" && ls)
  if [[ $written != $'DevTokenFFI.h\nDevTokenUniFFI.swift' ]]; then
    echo "uniffi wrote unexpected Swift files into $swift_dir: $written" >&2
    return 1
  fi
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if [[ ${1:-} == --check ]]; then
  generate "$scratch/kotlin" "$scratch/swift"
  stale=0
  diff -ru "$scratch/kotlin/dev/devtoken/ffi" "$kotlin_out/dev/devtoken/ffi" || stale=1
  diff -u "$scratch/swift/DevTokenUniFFI.swift" "$swift_file" || stale=1
  diff -u "$scratch/swift/DevTokenFFI.h" "$header_file" || stale=1
  if ((stale)); then
    echo "generated bindings are stale: run bash bindings/generate.sh and commit the result" >&2
    exit 1
  fi
  echo "generated Kotlin and Swift bindings are current"
else
  rm -rf "$kotlin_out/dev/devtoken/ffi"
  generate "$kotlin_out" "$scratch/swift"
  mkdir -p "$(dirname "$swift_file")" "$(dirname "$header_file")"
  cp "$scratch/swift/DevTokenUniFFI.swift" "$swift_file"
  cp "$scratch/swift/DevTokenFFI.h" "$header_file"
  echo "wrote $kotlin_out/dev/devtoken/ffi, $swift_file and $header_file"
fi
