#!/usr/bin/env bash
# Runs every devtoken test: formatting and lints, the Rust suites (unit, integration, property,
# known-answer vectors, CLI), the independent checks in Python (PyJWT + cryptography), the Python
# wheel's suite, the staleness check of the generated uniffi bindings, and the Kotlin/JVM suite.
# Needs Rust, Python 3 (venv), Java 17+ and Maven; Python tools go into target/ venvs.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "cargo test"
cargo test --workspace --all-features

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --all-features --no-deps -q

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
(cd / && MYPYPATH="$OLDPWD/tests/independent" "$OLDPWD/$fresh/bin/python" -m mypy --strict "$OLDPWD/python/tests" "$OLDPWD/python/examples" "$OLDPWD/python/benchmarks")
"$venv/bin/ruff" check --config python/pyproject.toml python tests/independent
"$venv/bin/ruff" format --check --config python/pyproject.toml python tests/independent
"$fresh/bin/python" python/examples/typed_usage.py >/dev/null

step "uniffi bindings: generated Kotlin and Swift are current"
bash bindings/generate.sh --check

step "Kotlin/JVM: mvn verify (cargo build, Kotlin + Java tests vs Nimbus JOSE+JWT, packaged-jar run)"
(cd bindings/kotlin && mvn -B -q verify)

printf '\nall tests passed\n'
