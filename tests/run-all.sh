#!/usr/bin/env bash
# Runs every devtoken test: formatting and lints, the Rust suites (unit, integration, property,
# known-answer vectors, CLI), the independent checks in Python (PyJWT + cryptography), the Python
# wheel's suite, every code example of the docs (tests/doc_examples.py), the staleness check of
# the generated uniffi bindings, the Kotlin/JVM suite and, when a Swift toolchain is present, the
# Swift package. Unless DEVTOKEN_RELEASE=0, the release artifacts (release/build.sh: wheels, jar,
# CLI and Swift bundle for Linux x86-64 and aarch64) are also built once and tested as shipped
# (release/check.sh, aarch64 under qemu). Needs Rust, Python 3 (venv), Java 17+ and Maven
# (release/setup.sh installs the release tools); Python tools go into target/ venvs. Crates and
# Maven artifacts come from the registries when they answer, else from ../shared/vendor
# (tests/sources.sh). A step that cannot run here says why on one line; none is dropped silently.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
cannot() { printf '\n==> SKIPPED: %s\n' "$*"; }

step "sources of crates and Maven artifacts"
source tests/sources.sh
devtoken_cargo_sources
devtoken_maven_sources

step "docs/apple-token-rules.md is the shared spec, verbatim"
if [[ -f ../shared/apple-token-rules.md ]]; then
  cmp docs/apple-token-rules.md ../shared/apple-token-rules.md ||
    { echo "docs/apple-token-rules.md differs from ../shared/apple-token-rules.md: copy it again" >&2; exit 1; }
else
  cannot "the spec copy check: ../shared/apple-token-rules.md is not beside this checkout"
fi

if cargo fmt --version >/dev/null 2>&1; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
else
  cannot "cargo fmt --check: the rustfmt component is not installed and could not be installed"
fi

if cargo clippy --version >/dev/null 2>&1; then
  step "cargo clippy --all-targets -D warnings"
  cargo clippy --workspace --all-targets --all-features -- -D warnings
else
  cannot "cargo clippy: the clippy component is not installed and could not be installed"
fi

if command -v softhsm2-util >/dev/null; then
  step "SoftHSM2 tokens for the PKCS#11 tests (tests/pkcs11/setup.sh, under target/pkcs11)"
  # Exports DEVTOKEN_PKCS11_MODULE, SOFTHSM2_CONF and DEVTOKEN_PKCS11_PIN_FILE for every suite below.
  pkcs11_env=$(bash tests/pkcs11/setup.sh)
  eval "$pkcs11_env"
else
  # The PKCS#11 tests print SKIPPED (and fail under CI=true, where .ci/run installs softhsm2).
  cannot "SoftHSM2 tokens for the PKCS#11 tests: softhsm2-util not found (Debian package softhsm2)"
fi

step "cargo test"
cargo test --workspace --all-features

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps -q

step "the docs' Rust examples, compiled and run by rustdoc (tests/doc_examples.py)"
python3 tests/doc_examples.py rust

step "Python tools (target/test-venv)"
venv=target/test-venv
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q -r tests/requirements.txt

step "vectors checked by PyJWT + cryptography (independent of devtoken)"
"$venv/bin/python" -m pytest -q tests/independent

# The release artifacts, built once: the x86-64 wheel tested below is the one in dist/.
if [[ ${DEVTOKEN_RELEASE:-1} != 1 ]]; then
  cannot "release artifacts (release/build.sh and release/check.sh): DEVTOKEN_RELEASE=0 leaves them out;" \
    "testing a development wheel instead"
  step "Python wheel: maturin build --release (abi3, LTO)"
  rm -rf target/wheels
  "$venv/bin/maturin" build --release -m python/Cargo.toml -o target/wheels
  wheel=$(ls target/wheels/devtoken-*.whl)
elif [[ $(uname -sm) == "Linux x86_64" ]] && command -v apt-get >/dev/null; then
  step "release artifacts: bash release/build.sh (Linux x86-64 and aarch64, glibc 2.17, into dist/)"
  release_start=$SECONDS
  bash release/build.sh
  echo "release/build.sh took $((SECONDS - release_start)) s"
  wheel=$(ls dist/devtoken-*-manylinux*_x86_64.whl)
else
  cannot "release artifacts: release/build.sh needs Linux x86-64 with Debian's packages (here: $(uname -sm));" \
    "testing a development wheel instead"
  step "Python wheel: maturin build --release (abi3, LTO)"
  rm -rf target/wheels
  "$venv/bin/maturin" build --release -m python/Cargo.toml -o target/wheels
  wheel=$(ls target/wheels/devtoken-*.whl)
fi

step "Python wheel in a fresh virtual environment"
fresh=target/wheel-venv
rm -rf "$fresh"
python3 -m venv "$fresh"
"$fresh/bin/python" -m pip install -q "$wheel"
(cd / && "$OLDPWD/$fresh/bin/python" -c \
  "import devtoken; print('import devtoken', devtoken.__version__, 'OK with nothing else installed')")
"$fresh/bin/python" -m pip install -q -r tests/requirements.txt

step "Python tests (pytest), types (mypy --strict), lint (ruff)"
(cd python/tests && "$OLDPWD/$fresh/bin/python" -m pytest -q .)
(cd / && MYPYPATH="$OLDPWD/tests/independent:$OLDPWD/tests/fleet" "$OLDPWD/$fresh/bin/python" -m mypy --strict \
  "$OLDPWD/python/tests" "$OLDPWD/tests/fleet" "$OLDPWD/tests/pkcs11" "$OLDPWD/python/examples" \
  "$OLDPWD/python/benchmarks" "$OLDPWD/python/fuzz" "$OLDPWD/tests/doc_examples.py" "$OLDPWD/release")
"$venv/bin/ruff" check --config python/pyproject.toml python tests/independent tests/fleet tests/pkcs11 \
  tests/doc_examples.py release
"$venv/bin/ruff" format --check --config python/pyproject.toml \
  python tests/independent tests/fleet tests/pkcs11 tests/doc_examples.py release
"$fresh/bin/python" python/examples/typed_usage.py >/dev/null

step "the docs' Python examples, run with the installed wheel against the loopback stand-in (tests/doc_examples.py)"
"$fresh/bin/python" tests/doc_examples.py python

step "uniffi bindings: generated Kotlin and Swift are current"
bash bindings/generate.sh --check

# The fleet test's Kotlin and Swift processes, and their PKCS#11 tests, write here; a run never
# reads an earlier run's.
rm -rf target/fleet target/pkcs11-tokens

step "Kotlin/JVM: mvn verify (cargo build, the docs' Kotlin examples compiled," \
  "Kotlin + Java tests vs Nimbus JOSE+JWT, packaged-jar run)"
(cd bindings/kotlin && mvn -B -q "${MVN_ARGS[@]}" verify)
python3 tests/surefire_summary.py bindings/kotlin/target/surefire-reports

if ! command -v swift >/dev/null; then
  cannot "Swift package: no Swift toolchain (swift) on PATH"
elif [[ ! -f Package.swift ]]; then
  cannot "Swift package: there is no Package.swift yet"
else
  step "Swift package: build the Rust static library, swift build, swift test"
  # libdevtoken.a from this checkout, not a prebuilt bundle (Package.swift).
  export DEVTOKEN_SWIFT_FFI=source
  bash swift/build-rust.sh
  swift build
  swift test

  step "the docs' Swift examples as a package of their own, built in Swift 6 mode and run (tests/doc_examples.py)"
  "$venv/bin/python" tests/doc_examples.py swift --out target/doc-examples/swift --run

  step "Swift example package (swift/Examples/ServerExample, devtoken by path) as one static binary;" \
    "the CLI verifies its token"
  example=swift/Examples/ServerExample
  example_key=target/swift-example/AuthKey_ABC123DEFG.p8
  mkdir -p "$(dirname "$example_key")"
  cp tests/vectors/keys/p256.pem "$example_key"
  swift build -c release --static-swift-stdlib --package-path "$example"
  example_output=$("$(swift build -c release --static-swift-stdlib --package-path "$example" \
    --show-bin-path)/ServerExample" "$example_key")
  printf '%s\n' "$example_output"
  example_token=$(sed -n 's/^app-store-server: //p' <<<"$example_output")
  [[ -n $example_token ]] || { echo "ServerExample printed no 'app-store-server: <token>' line" >&2; exit 1; }
  cargo run -q -p devtoken-cli -- verify --key "$example_key" "$example_token" >/dev/null
  echo "devtoken verify --key $example_key: the App Store Server API token is valid"

  step "Swift package: release build with the Swift runtime linked in (--static-swift-stdlib) runs"
  # Every executable: DevTokenSmoke, run here, and DevTokenBenchmark, only built (it is run by hand).
  swift build -c release --static-swift-stdlib
  "$(swift build -c release --static-swift-stdlib --show-bin-path)/DevTokenSmoke"
fi

step "fleet: 8 processes (6 Python, 1 Kotlin, 1 Swift) sign one APNs token per period (tests/fleet/check.py)"
fleet_without=()
if ! command -v swift >/dev/null || [[ ! -f Package.swift ]]; then fleet_without=(--without swift); fi
"$fresh/bin/python" tests/fleet/check.py "${fleet_without[@]}"

if [[ -n ${DEVTOKEN_PKCS11_MODULE:-} ]]; then
  step "PKCS#11: tokens signed inside SoftHSM2 by the CLI, Kotlin and Swift verify with PyJWT" \
    "(tests/pkcs11/verify_with_pyjwt.py)"
  cargo build -q -p devtoken-cli
  "$fresh/bin/python" tests/pkcs11/verify_with_pyjwt.py --cli "$(pwd)/target/debug/devtoken" \
    "${fleet_without[@]}"
fi

if [[ -d dist ]] && [[ -n ${release_start:-} ]]; then
  step "release artifacts as shipped: bash release/check.sh"
  check_start=$SECONDS
  bash release/check.sh
  echo "release/check.sh took $((SECONDS - check_start)) s"
fi

printf '\nall tests passed\n'
