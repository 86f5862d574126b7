#!/usr/bin/env bash
# Runs every devtoken test: formatting and lints, the Rust suites (unit, integration, property,
# known-answer vectors, CLI), the independent checks in Python (PyJWT + cryptography), the Python
# wheel's suite, every code example of the docs (tests/doc_examples.py), the staleness check of
# the generated uniffi bindings, the Kotlin/JVM suite and, when a Swift toolchain is present, the
# Swift package. Needs Rust, Python 3 (venv), Java 17+ and Maven; Python tools go into target/
# venvs. Crates and Maven artifacts come from the registries when they answer, else from
# ../shared/vendor (tests/sources.sh). A step that cannot run here says why on one line; none is
# dropped silently.
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

step "Python wheel: maturin build --release (abi3, LTO)"
rm -rf target/wheels
"$venv/bin/maturin" build --release -m python/Cargo.toml -o target/wheels
wheel=$(ls target/wheels/devtoken-*.whl)

step "Python wheel in a fresh virtual environment"
fresh=target/wheel-venv
rm -rf "$fresh"
python3 -m venv "$fresh"
"$fresh/bin/python" -m pip install -q "$wheel"
(cd / && "$OLDPWD/$fresh/bin/python" -c "import devtoken; print('import devtoken', devtoken.__version__, 'OK with nothing else installed')")
"$fresh/bin/python" -m pip install -q -r tests/requirements.txt

step "Python tests (pytest), types (mypy --strict), lint (ruff)"
(cd python/tests && "$OLDPWD/$fresh/bin/python" -m pytest -q .)
(cd / && MYPYPATH="$OLDPWD/tests/independent" "$OLDPWD/$fresh/bin/python" -m mypy --strict "$OLDPWD/python/tests" "$OLDPWD/python/examples" "$OLDPWD/python/benchmarks" "$OLDPWD/python/fuzz" "$OLDPWD/tests/doc_examples.py")
"$venv/bin/ruff" check --config python/pyproject.toml python tests/independent tests/doc_examples.py
"$venv/bin/ruff" format --check --config python/pyproject.toml python tests/independent tests/doc_examples.py
"$fresh/bin/python" python/examples/typed_usage.py >/dev/null

step "the docs' Python examples, run with the installed wheel against the loopback stand-in (tests/doc_examples.py)"
"$fresh/bin/python" tests/doc_examples.py python

step "uniffi bindings: generated Kotlin and Swift are current"
bash bindings/generate.sh --check

step "Kotlin/JVM: mvn verify (cargo build, the docs' Kotlin examples compiled, Kotlin + Java tests vs Nimbus JOSE+JWT, packaged-jar run)"
(cd bindings/kotlin && mvn -B -q "${MVN_ARGS[@]}" verify)
python3 tests/surefire_summary.py bindings/kotlin/target/surefire-reports

if ! command -v swift >/dev/null; then
  cannot "Swift package: no Swift toolchain (swift) on PATH"
elif [[ ! -f Package.swift ]]; then
  cannot "Swift package: there is no Package.swift yet"
else
  step "Swift package: build the Rust static library, swift build, swift test"
  bash swift/build-rust.sh
  swift build
  swift test

  step "the docs' Swift examples as a package of their own, built in Swift 6 mode and run (tests/doc_examples.py)"
  "$venv/bin/python" tests/doc_examples.py swift --out target/doc-examples/swift --run

  step "Swift example package (swift/Examples/ServerExample, devtoken by path) as one static binary; the CLI verifies its token"
  example=swift/Examples/ServerExample
  example_key=target/swift-example/AuthKey_ABC123DEFG.p8
  mkdir -p "$(dirname "$example_key")"
  cp tests/vectors/keys/p256.pem "$example_key"
  swift build -c release --static-swift-stdlib --package-path "$example"
  example_output=$("$(swift build -c release --static-swift-stdlib --package-path "$example" --show-bin-path)/ServerExample" "$example_key")
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

printf '\nall tests passed\n'
