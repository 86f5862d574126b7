#!/usr/bin/env bash
# Tests the artifacts release/build.sh put in dist/ (not the development build), on this x86-64
# machine and, for aarch64, under qemu-user:
#
#   bash release/check.sh      # after bash release/build.sh; tests/run-all.sh runs both
#
# - SHA256SUMS matches; the version agrees everywhere (release/version.sh --check).
# - Every native file (wheels, CLI, jar, Swift bundle): the ELF machine its name promises, no
#   debug info, and (linked files) no glibc symbol newer than 2.17.
# - x86-64 wheel: `auditwheel show` says manylinux_2_17 (manylinux2014); its Python suite runs in
#   tests/run-all.sh, from a fresh venv. aarch64 wheel: the same auditwheel check, then an arm64
#   CPython (Debian's, unpacked by release/setup.sh) imports it and signs a token under qemu, and
#   PyJWT verifies that token on the host.
# - The core's Rust tests built for aarch64 (Debian's cargo) and run under qemu.
# - The jar: every class Java 11 (major 55) or lower; its smoke test (bindings/kotlin/src/it) on
#   the host JVM and on an arm64 JVM under qemu, with nothing but the jar and its dependencies.
# - The Swift bundle: an example package builds and runs from the .zip with no cargo or rustc and
#   no target/ (release/check-swift.sh).
# - The hosted workflow for the other platforms (.github/workflows/release.yml): actionlint.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

step() { printf '\n==> release check: %s\n' "$*"; }
cannot() { printf '\n==> SKIPPED: %s\n' "$*"; }

version=$(bash release/version.sh)
venv=target/release-venv
arm64_root=$top/target/arm64-root
scratch=target/release-check
rm -rf "$scratch" && mkdir -p "$scratch"
glibc_floor=2.17

source tests/sources.sh
devtoken_cargo_sources
devtoken_maven_sources

# PyJWT and cryptography for verifying on the host: the test command's tools venv.
if [[ ! -x target/test-venv/bin/python ]]; then
  python3 -m venv target/test-venv
  target/test-venv/bin/python -m pip install -q -r tests/requirements.txt
fi

step "SHA256SUMS and the version"
(cd dist && sha256sum --quiet -c SHA256SUMS) && echo "dist/SHA256SUMS: every file matches"
bash release/version.sh --check

only() {
  # The one file in dist/ that matches a pattern.
  local matches
  matches=$(compgen -G "dist/$1" || true)
  if [[ -z $matches || $matches == *$'\n'* ]]; then
    echo "release check: expected one dist/$1, found: ${matches:-none}" >&2
    return 1
  fi
  echo "$matches"
}

# check_native FILE ARCH: ELF machine, no debug sections and, for a linked file, the highest
# GLIBC_ symbol version at most the floor.
check_native() {
  local file=$1 arch=$2 machine objdump highest
  case $arch in
    x86_64) machine="Advanced Micro Devices X86-64" objdump=objdump ;;
    aarch64) machine="AArch64" objdump=aarch64-linux-gnu-objdump ;;
  esac
  # An archive has one header per member: all of them must name the machine.
  if readelf -h "$file" | grep '^ *Machine:' | grep -qv "Machine: *$machine\$"; then
    echo "$file: not all $arch ($machine): $(readelf -h "$file" | grep -m1 '^ *Machine:')" >&2
    return 1
  fi
  if readelf -S -W "$file" | grep -q ' \.debug_'; then
    echo "$file: carries debug info (.debug_* sections)" >&2
    return 1
  fi
  if [[ $file == *.a ]]; then
    echo "ok $arch $(du -h "$file" | cut -f1) $file (static library: machine, no debug info)"
    return 0
  fi
  highest=$("$objdump" -T "$file" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)
  if [[ -z $highest ]] ||
    [[ $(printf '%s\n%s\n' "$highest" "$glibc_floor" | sort -V | tail -n 1) != "$glibc_floor" ]]; then
    echo "$file: needs glibc ${highest:-(none found)}, more than $glibc_floor" >&2
    return 1
  fi
  echo "ok $arch $(du -h "$file" | cut -f1) $file (glibc $highest at most)"
}

step "native files: ELF machine, no debug info, glibc $glibc_floor at most"
for arch in x86_64 aarch64; do
  triple=$arch-unknown-linux-gnu
  wheel=$(only "devtoken-$version-cp39-abi3-*manylinux*_$arch.whl")
  mkdir -p "$scratch/$arch/wheel" "$scratch/$arch/cli" "$scratch/$arch/jar"
  unzip -q -o "$wheel" -d "$scratch/$arch/wheel"
  check_native "$scratch/$arch/wheel/devtoken/_devtoken.abi3.so" "$arch"
  tar -xzf "$(only "devtoken-cli-$version-$triple.tar.gz")" -C "$scratch/$arch/cli"
  check_native "$scratch/$arch/cli/devtoken-cli-$version-$triple/devtoken" "$arch"
  jna_folder=linux-${arch/_/-}
  unzip -q -o "dist/devtoken-$version.jar" "$jna_folder/libdevtoken.so" -d "$scratch/$arch/jar"
  check_native "$scratch/$arch/jar/$jna_folder/libdevtoken.so" "$arch"
done
unzip -q -o "$(only "DevTokenFFI-$version.artifactbundle.zip")" -d "$scratch/swift"
for arch in x86_64 aarch64; do
  check_native "$scratch/swift/DevTokenFFI.artifactbundle/$arch-unknown-linux-gnu/libdevtoken.a" "$arch"
done

step "wheels: auditwheel show"
for arch in x86_64 aarch64; do
  wheel=$(only "devtoken-$version-cp39-abi3-*manylinux*_$arch.whl")
  report=$("$venv/bin/auditwheel" show "$wheel")
  if ! grep -q "\"manylinux_2_17_$arch\"" <<<"$report"; then
    printf '%s\n' "$report" >&2
    echo "$wheel: auditwheel does not find it consistent with manylinux_2_17_$arch (manylinux2014)" >&2
    exit 1
  fi
  echo "$(basename "$wheel"): auditwheel: consistent with manylinux_2_17_$arch (manylinux2014)"
done

step "aarch64 wheel: an arm64 CPython under qemu signs a token, PyJWT verifies it on the host"
key=tests/vectors/keys/p256.pem
signed=$(PYTHONPATH=$scratch/aarch64/wheel qemu-aarch64 -L "$arm64_root" \
  "$arm64_root/usr/bin/python3.11" release/wheel_token.py sign "$key")
echo "$signed" | cut -c1-80
read -r machine signed_version token <<<"$signed"
[[ $machine == aarch64 && $signed_version == "$version" ]] || {
  echo "expected aarch64 and devtoken $version, got $machine $signed_version" >&2
  exit 1
}
target/test-venv/bin/python release/wheel_token.py verify "$key" "$token"

step "jar: class-file versions (Java 11 = major 55 at most)"
jar=dist/devtoken-$version.jar
python3 release/class_versions.py "$jar" 55

step "jar: the packaged-jar smoke test on the host JVM and on an arm64 JVM under qemu"
(cd bindings/kotlin && mvn -B -q "${MVN_ARGS[@]}" dependency:build-classpath -Dmdep.includeScope=runtime \
  "-Dmdep.outputFile=$top/$scratch/runtime-classpath.txt" >/dev/null)
mkdir -p "$scratch/smoke"
javac --release 11 -d "$scratch/smoke" -cp "$jar:$(cat "$scratch/runtime-classpath.txt")" \
  bindings/kotlin/src/it/java/PackagedJarSmoke.java
classpath=$top/$jar:$(cat "$scratch/runtime-classpath.txt"):$top/$scratch/smoke
echo "host: $(java -version 2>&1 | head -n 1)"
env -u LD_LIBRARY_PATH java -cp "$classpath" PackagedJarSmoke
arm64_java=$arm64_root/usr/lib/jvm/java-17-openjdk-arm64/bin/java
echo "arm64 under qemu: $(qemu-aarch64 -L "$arm64_root" "$arm64_java" -version 2>&1 | head -n 1)"
env -u LD_LIBRARY_PATH qemu-aarch64 -L "$arm64_root" "$arm64_java" -Xshare:off -cp "$classpath" PackagedJarSmoke

step "core's Rust tests for aarch64 (Debian's cargo, first on PATH as in release/build.sh), run under qemu"
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
  CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64 \
  CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
  PATH=$top/target/debian-rust-bin:$PATH \
  DEVTOKEN_PKCS11_UNAVAILABLE="the host's x86-64 SoftHSM2 cannot be loaded by an aarch64 test under qemu" \
  cargo test -q --target aarch64-unknown-linux-gnu -p devtoken --all-features --lib --tests

step "the hosted workflow: actionlint .github/workflows/release.yml"
"$venv/bin/actionlint" .github/workflows/release.yml && echo "actionlint: no findings"

if command -v swift >/dev/null; then
  step "Swift: an example package from the bundle's .zip, with no Rust toolchain and no target/"
  bash release/check-swift.sh
else
  cannot "Swift bundle consumer: no Swift toolchain (swift) on PATH"
fi

printf '\nrelease check: every artifact in dist/ passed\n'
