#!/usr/bin/env bash
# Where crates and Maven artifacts come from: the registries when they answer, otherwise the
# vendored sets in ../shared/vendor (or $DEVTOKEN_VENDOR), unpacked under target/ at run time.
# Decided by trying (a `cargo fetch`, a request to Maven Central), never by the machine's name.
#
#   source tests/sources.sh              # then devtoken_cargo_sources (exports CARGO_HOME when
#                                        # offline) and devtoken_maven_sources (sets MVN_ARGS)
#   bash tests/sources.sh cargo run ...  # run one command with the chosen crate sources
#
# Offline, cargo gets a CARGO_HOME under target/ whose config.toml replaces crates.io with the
# vendored directory (the user's own ~/.cargo is left alone), and Maven gets `-o` with the
# vendored local repository. Nothing from the vendored sets is copied into the tracked tree.

_devtoken_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_devtoken_vendor=${DEVTOKEN_VENDOR:-$_devtoken_top/../shared/vendor}
_devtoken_scratch=$_devtoken_top/target/vendored

devtoken_cargo_sources() {
  local top=$_devtoken_top vendor=$_devtoken_vendor scratch=$_devtoken_scratch

  # Already chosen in this process tree (run-all.sh, then a script it calls): keep it.
  if [[ ${CARGO_HOME:-} == "$scratch/cargo-home" ]]; then
    return 0
  fi
  # cargo: a locked fetch either fills the registry cache or fails at once without a network.
  if CARGO_NET_RETRY=1 timeout 300 cargo fetch --locked --manifest-path "$top/Cargo.toml" >/dev/null 2>&1; then
    echo "sources: crates from the crate registry" >&2
  elif [[ -f $vendor/crates.tar.zst ]]; then
    if [[ ! -f $scratch/crates.stamp || $vendor/crates.tar.zst -nt $scratch/crates.stamp ]]; then
      rm -rf "$scratch/crates" && mkdir -p "$scratch/crates"
      zstd -q -dc "$vendor/crates.tar.zst" | tar -x -C "$scratch/crates"
      touch "$scratch/crates.stamp"
    fi
    mkdir -p "$scratch/cargo-home"
    {
      printf '[source.crates-io]\nreplace-with = "vendored"\n\n'
      printf '[source.vendored]\ndirectory = "%s"\n\n[net]\noffline = true\n' "$scratch/crates/vendor"
    } >"$scratch/cargo-home/config.toml"
    export CARGO_HOME=$scratch/cargo-home
    echo "sources: crate registry unreachable; crates from $vendor/crates.tar.zst" >&2
  else
    echo "sources: crate registry unreachable and no vendored crates at $vendor: cargo cannot build" >&2
    return 1
  fi
}

devtoken_maven_sources() {
  local vendor=$_devtoken_vendor scratch=$_devtoken_scratch
  MVN_ARGS=()
  # Maven: Central answers, or the vendored local repository is used offline.
  if curl -sf -o /dev/null --max-time 15 \
    https://repo.maven.apache.org/maven2/org/apache/maven/plugins/maven-metadata.xml; then
    echo "sources: Maven artifacts from Maven Central" >&2
  elif compgen -G "$vendor/maven-repo.tar.zst.part*" >/dev/null; then
    if [[ ! -f $scratch/m2.stamp || $vendor/maven-repo.tar.zst.part00 -nt $scratch/m2.stamp ]]; then
      rm -rf "$scratch/maven" && mkdir -p "$scratch/maven"
      cat "$vendor"/maven-repo.tar.zst.part* | zstd -q -dc | tar -x -C "$scratch/maven"
      touch "$scratch/m2.stamp"
    fi
    MVN_ARGS=(-o "-Dmaven.repo.local=$scratch/maven/m2")
    echo "sources: Maven Central unreachable; Maven artifacts from $vendor/maven-repo.tar.zst.*" >&2
  else
    echo "sources: Maven Central unreachable and no vendored Maven repository at $vendor" >&2
    MVN_ARGS=(-o)
  fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  devtoken_cargo_sources
  exec "$@"
fi
