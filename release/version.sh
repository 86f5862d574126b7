#!/usr/bin/env bash
# The version of a release, from its one source: `version` in [workspace.package] of Cargo.toml.
#
#   bash release/version.sh           # prints it
#   bash release/version.sh --check   # fails unless every other place agrees
#
# Every crate takes it by `version.workspace = true`; the Python package by maturin from the
# crate (`dynamic = ["version"]` in python/pyproject.toml); the jar from bindings/kotlin/pom.xml,
# which must repeat it; the Swift artifact bundle from release/build.sh, which writes it into
# info.json.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+].*)?$ ]]; then
  echo "version.sh: no version in [workspace.package] of Cargo.toml (found '$version')" >&2
  exit 1
fi
if [[ ${1:-} != --check ]]; then
  echo "$version"
  exit 0
fi

status=0
disagree() {
  echo "version.sh: $1 says $2, Cargo.toml's [workspace.package] says $version" >&2
  status=1
}
# Each member's manifest inherits the workspace's version instead of naming one.
members=$(python3 -c 'import tomllib; print(*tomllib.load(open("Cargo.toml", "rb"))["workspace"]["members"])')
for member in $members; do
  file=$member/Cargo.toml
  sed -n '/^\[package\]/,/^\[/p' "$file" | grep -qx 'version.workspace = true' ||
    disagree "$file" "a version of its own (not version.workspace = true)"
done
# The version of the project itself: the first <version> after </parent> or the opening tags.
pom=$(sed -n '/<dependencies>/q;s/^  <version>\(.*\)<\/version>$/\1/p' bindings/kotlin/pom.xml)
[[ $pom == "$version" ]] || disagree bindings/kotlin/pom.xml "'$pom'"
grep -qx 'dynamic = \["version"\]' python/pyproject.toml ||
  disagree python/pyproject.toml "a version of its own (not dynamic = [\"version\"], from Cargo)"
if grep -q '^version = ' python/pyproject.toml; then
  disagree python/pyproject.toml "$(grep '^version = ' python/pyproject.toml)"
fi
# Package.swift names the release whose prebuilt bundle it downloads, once there is one.
swift=$(sed -n 's/^let releasedBundleVersion: String? = "\(.*\)"$/\1/p' Package.swift)
if [[ -n $swift && $swift != "$version" ]]; then
  disagree Package.swift "'$swift' (releasedBundleVersion)"
fi
((status == 0)) && echo "version $version: Cargo workspace, pyproject (from Cargo), pom.xml and Package.swift agree"
exit "$status"
