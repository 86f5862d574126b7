#!/usr/bin/env bash
# The Swift artifact bundle as a user gets it: an example package (swift/Examples/ServerExample)
# builds and runs against devtoken with libdevtoken.a from dist/'s .zip, with no cargo, rustc or
# rustup reachable and no target/ folder. Run by release/check.sh; needs swift on PATH.
#
# devtoken's tracked files are copied to a fresh folder outside this checkout (a user's checkout
# has no target/), the .zip beside its Package.swift, DEVTOKEN_SWIFT_FFI names it. cargo, rustc
# and rustup are replaced on PATH by stand-ins that fail and leave a mark; the token the example
# prints is verified with the released CLI of this machine's architecture.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(bash release/version.sh)
zip=dist/DevTokenFFI-$version.artifactbundle.zip

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/devtoken" "$work/no-rust"
git ls-files -z | tar --null -T - -cf - | tar -x -C "$work/devtoken"
cp "$zip" "$work/devtoken/"
for tool in cargo rustc rustup; do
  printf '#!/bin/sh\necho "check-swift: %s was called: $*" >&2\ntouch "%s/rust-was-called"\nexit 1\n' \
    "$tool" "$work" >"$work/no-rust/$tool"
  chmod +x "$work/no-rust/$tool"
done
# PATH without rustup's folder, behind the stand-ins (Debian's /usr/bin/cargo stays shadowed).
path=$work/no-rust:$(tr ':' '\n' <<<"$PATH" | grep -v '/\.cargo/bin$' | paste -sd:)
[[ ! -e $work/devtoken/target ]] || { echo "check-swift: the copy has a target/" >&2; exit 1; }

example=$work/devtoken/swift/Examples/ServerExample
key=$work/AuthKey_ABC123DEFG.p8
cp tests/vectors/keys/p256.pem "$key"
echo "swift build of ServerExample with DEVTOKEN_SWIFT_FFI=$(basename "$zip") (no cargo, rustc, rustup)"
PATH=$path DEVTOKEN_SWIFT_FFI=$(basename "$zip") swift build -q --package-path "$example"
output=$(PATH=$path DEVTOKEN_SWIFT_FFI=$(basename "$zip") \
  "$(PATH=$path DEVTOKEN_SWIFT_FFI=$(basename "$zip") swift build --package-path "$example" \
    --show-bin-path)/ServerExample" "$key")
printf '%s\n' "$output" | cut -c1-100
if [[ -e $work/rust-was-called ]]; then
  echo "check-swift: the build called a Rust tool" >&2
  exit 1
fi
token=$(sed -n 's/^app-store-server: //p' <<<"$output")
[[ -n $token ]] || { echo "check-swift: ServerExample printed no 'app-store-server: <token>' line" >&2; exit 1; }
tar -xzf "dist/devtoken-cli-$version-$(uname -m)-unknown-linux-gnu.tar.gz" -C "$work"
cli=$work/devtoken-cli-$version-$(uname -m)-unknown-linux-gnu/devtoken
"$cli" verify --key "$key" "$token" >/dev/null
echo "the released CLI verifies the token ServerExample signed with the prebuilt bundle"
