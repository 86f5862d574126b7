#!/usr/bin/env bash
# Builds every release artifact of devtoken for Linux x86-64 and aarch64 (glibc 2.17 and later)
# into dist/, from a clean checkout:
#
#   bash release/build.sh      # then: bash release/check.sh tests what it built
#
# Installs its tools first (release/setup.sh), checks the version (release/version.sh --check),
# then builds each target once, in Cargo's `dist` profile (fat LTO, one codegen unit, debug info
# stripped) with zig as the linker for the glibc 2.17 floor: x86-64 with rustup's Rust, aarch64
# with Debian's (/usr/bin/cargo, which has the arm64 standard library). From those builds:
#   devtoken-VERSION-cp39-abi3-manylinux_2_17_{x86_64,aarch64}.manylinux2014_*.whl, and the sdist
#   devtoken-cli-VERSION-{x86_64,aarch64}-unknown-linux-gnu.tar.gz   the CLI
#   devtoken-VERSION.jar (+ -sources, -javadoc)   linux-x86-64/ and linux-aarch64/libdevtoken.so
#   DevTokenFFI-VERSION.artifactbundle.zip (+ .checksum)   libdevtoken.a for Swift (SE-0482)
#   SHA256SUMS
# Crates and Maven artifacts come from the registries or the vendored sets (tests/sources.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

bash release/setup.sh
bash release/version.sh --check
version=$(bash release/version.sh)

source tests/sources.sh
devtoken_cargo_sources
devtoken_maven_sources
export PATH=$top/target/release-venv/bin:$PATH

triples=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu)
glibc=2.17
# Which Rust builds for a triple: rustup's has only the host's standard library here, Debian's
# (/usr/bin, one release later) has arm64's. Debian's is put first on PATH for aarch64 through a
# folder of links to it alone, so the venv's python (with zig) stays the one found.
debian_rust=$top/target/debian-rust-bin
mkdir -p "$debian_rust"
for tool in cargo rustc rustdoc; do
  ln -sf "/usr/bin/$tool" "$debian_rust/$tool"
done
rust_env() {
  case $1 in
    aarch64-*) echo "PATH=$debian_rust:$PATH" ;;
    *) echo "PATH=$PATH" ;;
  esac
}
out() { echo "$top/target/$1/dist"; }
step() { printf '\n==> release: %s\n' "$*"; }

rm -rf dist
mkdir -p dist

for triple in "${triples[@]}"; do
  rust=$(rust_env "$triple")

  step "$triple: libdevtoken (.so for the jar, .a for Swift) and the CLI, glibc $glibc"
  env "$rust" cargo-zigbuild build --profile dist --target "$triple.$glibc" \
    -p devtoken-uniffi -p devtoken-cli

  step "$triple: the abi3 wheel, manylinux2014 (glibc $glibc)"
  # In a target folder of its own: maturin and cargo-zigbuild pass different flags, and in one
  # folder each would rebuild every crate after the other, on every run.
  env "$rust" CARGO_TARGET_DIR="$top/target/wheels-build" maturin build --profile dist --zig \
    --compatibility manylinux2014 --target "$triple" -m python/Cargo.toml -o dist

  step "$triple: the CLI as a .tar.gz"
  staging=target/release-staging/devtoken-cli-$version-$triple
  rm -rf "$staging" && mkdir -p "$staging"
  cp "$(out "$triple")/devtoken" README.md "$staging/"
  tar -C "$(dirname "$staging")" --owner=0 --group=0 --numeric-owner -czf \
    "dist/devtoken-cli-$version-$triple.tar.gz" "$(basename "$staging")"
done

step "Python sdist (builds with cargo)"
maturin sdist -m python/Cargo.toml -o dist

step "jar: both libdevtoken.so, Java 11 bytecode, sources and docs jars"
natives=target/jar-natives
# Only the Linux folders: the hosted workflow puts darwin-* and win32-* ones beside them first.
rm -rf "$natives/linux-x86-64" "$natives/linux-aarch64"
mkdir -p "$natives/linux-x86-64" "$natives/linux-aarch64"
cp "$(out x86_64-unknown-linux-gnu)/libdevtoken.so" "$natives/linux-x86-64/"
cp "$(out aarch64-unknown-linux-gnu)/libdevtoken.so" "$natives/linux-aarch64/"
# No clean plugin in the vendored set: remove what an earlier build compiled or copied.
rm -rf bindings/kotlin/target/classes
(cd bindings/kotlin && mvn -B -q "${MVN_ARGS[@]}" -Prelease -Dmaven.test.skip=true package)
for classifier in "" -sources -javadoc; do
  cp "bindings/kotlin/target/devtoken-$version$classifier.jar" dist/
done

step "Swift: artifact bundle DevTokenFFI (SE-0482), libdevtoken.a stripped of debug info"
bundle=target/release-staging/DevTokenFFI.artifactbundle
rm -rf "$bundle" && mkdir -p "$bundle/include"
cp swift/Sources/DevTokenFFI/include/DevTokenFFI.h swift/Sources/DevTokenFFI/include/module.modulemap \
  "$bundle/include/"
# One entry of info.json's variants: the library's path and its triples (a JSON list).
variant() {
  local metadata='{"headerPaths": ["include"], "moduleMapPath": "include/module.modulemap"}'
  printf '{"path": "%s", "supportedTriples": %s, "staticLibraryMetadata": %s}' "$1" "$2" "$metadata"
}
variants=()
for triple in "${triples[@]}"; do
  mkdir -p "$bundle/$triple"
  strip=strip
  [[ $triple == aarch64-* ]] && strip=aarch64-linux-gnu-strip
  "$strip" --strip-debug -o "$bundle/$triple/libdevtoken.a" "$(out "$triple")/libdevtoken.a"
  variants+=("$(variant "$triple/libdevtoken.a" "[\"$triple\"]")")
done
# Variants built elsewhere (the hosted workflow's macOS one): target/swift-variants/NAME/ with
# libdevtoken.a and supported-triples (one triple a line).
for extra in target/swift-variants/*/; do
  [[ -f $extra/libdevtoken.a ]] || continue
  name=$(basename "$extra")
  mkdir -p "$bundle/$name"
  cp "$extra/libdevtoken.a" "$bundle/$name/"
  supported=$(python3 -c 'import json, sys; print(json.dumps(sys.stdin.read().split()))' <"$extra/supported-triples")
  variants+=("$(variant "$name/libdevtoken.a" "$supported")")
done
joined=$(IFS=,; echo "${variants[*]}")
info_json="{\"schemaVersion\": \"1.0\", \"artifacts\": {\"DevTokenFFI\": {\"type\": \"staticLibrary\", "
info_json+="\"version\": \"$version\", \"variants\": [$joined]}}}"
python3 -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1]), indent=2))' \
  "$info_json" \
  >"$bundle/info.json"
zip_file=dist/DevTokenFFI-$version.artifactbundle.zip
find "$bundle" -exec touch -d "@$(git log -1 --format=%ct)" {} +
(cd "$(dirname "$bundle")" && zip -q -X -r "$top/$zip_file" "$(basename "$bundle")")
if command -v swift >/dev/null; then
  checksum=$(swift package compute-checksum "$zip_file")
else
  checksum=$(sha256sum "$zip_file" | cut -d' ' -f1)
fi
echo "$checksum" >"$zip_file.checksum"

step "SHA256SUMS"
(cd dist && sha256sum -- * >SHA256SUMS)
ls -l dist
