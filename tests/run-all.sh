#!/usr/bin/env bash
# Runs every devtoken test: formatting and lints, the Rust suites (unit, integration, property,
# known-answer vectors, CLI), and the independent checks in Python (PyJWT + cryptography).
# Works on a fresh machine with Rust and Python 3: Python tools go into target/test-venv.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test"
cargo test --workspace

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps -q

step "Python test environment"
venv=target/test-venv
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q -r tests/requirements.txt

step "vectors checked by PyJWT + cryptography (independent of devtoken)"
"$venv/bin/python" -m pytest -q tests/independent

printf '\nall tests passed\n'
