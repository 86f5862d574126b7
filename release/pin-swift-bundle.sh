#!/usr/bin/env bash
# Points Package.swift at a released Swift bundle: writes releasedBundleVersion and
# releasedBundleChecksum, so that `swift build` of a package depending on this release downloads
# DevTokenFFI-VERSION.artifactbundle.zip from the GitHub release instead of building Rust.
#
#   bash release/pin-swift-bundle.sh dist/DevTokenFFI-0.1.0.artifactbundle.zip
#
# Run by .github/workflows/release.yml in the commit it tags; the version must be Cargo.toml's.
set -euo pipefail
cd "$(dirname "$0")/.."
zip=$1
version=$(bash release/version.sh)
[[ $(basename "$zip") == "DevTokenFFI-$version.artifactbundle.zip" ]] || {
  echo "pin-swift-bundle.sh: $zip is not the bundle of version $version" >&2
  exit 1
}
checksum=$(swift package compute-checksum "$zip")
sed -i \
  -e "s/^let releasedBundleVersion: String? = .*/let releasedBundleVersion: String? = \"$version\"/" \
  -e "s/^let releasedBundleChecksum = .*/let releasedBundleChecksum = \"$checksum\"/" Package.swift
grep -q "^let releasedBundleChecksum = \"$checksum\"" Package.swift
bash release/version.sh --check
echo "Package.swift: the prebuilt bundle of $version, checksum $checksum"
