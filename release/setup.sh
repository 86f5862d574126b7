#!/usr/bin/env bash
# Installs what release/build.sh and release/check.sh need, and does nothing when it is there:
#
#   bash release/setup.sh
#
# - Debian packages (root, or sudo): Debian's Rust (rustc-web, cargo-web) with the arm64 standard
#   library through multiarch; the aarch64 cross gcc, binutils and C headers (the linker of the
#   aarch64 tests, and ring, a test dependency, compiles C); libc6:arm64 and qemu-user (aarch64
#   programs run under emulation); zip.
# - target/release-venv: zig, cargo-zigbuild, maturin and auditwheel (release/requirements.txt).
# - target/arm64-root: an arm64 CPython and Java runtime, unpacked from Debian's packages (never
#   installed), for running the aarch64 wheel and jar under qemu.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(rustc-web cargo-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu
  libc6-dev-arm64-cross binutils-aarch64-linux-gnu libc6:arm64 qemu-user zip unzip)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q ' installed$' || missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  echo "setup: installing ${missing[*]}" >&2
  dpkg --print-foreign-architectures | grep -qx arm64 || "${sudo[@]}" dpkg --add-architecture arm64
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

venv=target/release-venv
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
if [[ ! -f $venv/requirements.stamp || release/requirements.txt -nt $venv/requirements.stamp ]]; then
  "$venv/bin/python" -m pip install -q -r release/requirements.txt
  touch "$venv/requirements.stamp"
fi

# The arm64 runtimes for the tests: the packages and their libraries, unpacked into one folder
# that qemu-aarch64 -L uses as the root.
arm64_packages=(python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libexpat1 zlib1g
  libffi8 libssl3 openjdk-17-jre-headless libjpeg62-turbo liblcms2-2 libgcc-s1 libstdc++6
  libc6 libzstd1 liblzma5 libbz2-1.0 libsqlite3-0 libuuid1 libtinfo6 libncursesw6 libreadline8
  libdb5.3 libnsl2 libtirpc3 libcrypt1)
arm64_root=target/arm64-root
if [[ ! -f $arm64_root.stamp || release/setup.sh -nt $arm64_root.stamp ]]; then
  downloads=target/arm64-debs
  rm -rf "$arm64_root" "$downloads" && mkdir -p "$arm64_root" "$downloads"
  (cd "$downloads" && apt-get download -q -o APT::Sandbox::User=root "${arm64_packages[@]/%/:arm64}" >/dev/null)
  for deb in "$downloads"/*.deb; do
    dpkg-deb -x "$deb" "$arm64_root"
  done
  rm -rf "$downloads"
  touch "$arm64_root.stamp"
fi
echo "setup: Debian's Rust $(/usr/bin/rustc -V | cut -d' ' -f2), $("$venv/bin/maturin" -V)," \
  "zig $("$venv/bin/python" -m ziglang version), arm64 runtimes in $arm64_root"
