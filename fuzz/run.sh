#!/usr/bin/env bash
# Builds one fuzz target with libFuzzer on the STABLE toolchain and runs it.
#
#   bash fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]
#
# Targets: keys, tokens, claims, http_answers, lean_request (fuzz/fuzz_targets/). The corpus is
# fuzz/corpus/TARGET (grown in place; minimize with `-merge=1` before committing), crash
# reproducers go to fuzz/artifacts/TARGET/ and are replayed by `cargo test` (tests/fuzz_corpus.rs).
# Crates come through tests/sources.sh (the registry, or the vendored set offline).
set -euo pipefail

target=${1:?usage: fuzz/run.sh TARGET SECONDS [libFuzzer flags...]}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS [libFuzzer flags...]}
shift 2

fuzz=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$fuzz")

# Stable rustc: SanitizerCoverage through LLVM's own pass instead of `-Z sanitizer`; the
# `fuzzing` cfg is the one cargo-fuzz sets. Debug assertions and overflow checks stay on (also
# set in fuzz/Cargo.toml's release profile) so an overflow is a crash.
export RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
--cfg fuzzing -Cdebug-assertions -Coverflow-checks -Cforce-frame-pointers=yes"
export CARGO_TARGET_DIR=${DEVTOKEN_FUZZ_TARGET_DIR:-$top/target/fuzz}

if [[ -z ${DEVTOKEN_VENDOR:-} && ! -d $top/../shared/vendor && -d /work/shared/vendor ]]; then
  export DEVTOKEN_VENDOR=/work/shared/vendor
fi

# An explicit --target keeps RUSTFLAGS (and the instrumentation) off the build scripts.
host=$(rustc -vV | sed -n 's/^host: //p')
(cd "$fuzz" && bash "$top/tests/sources.sh" cargo build --release --locked --target "$host" --bin "$target")

mkdir -p "$fuzz/corpus/$target" "$fuzz/artifacts/$target"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
"$CARGO_TARGET_DIR/$host/release/$target" \
  -max_total_time="$seconds" \
  -artifact_prefix="$fuzz/artifacts/$target/" \
  -print_final_stats=1 \
  "$@" \
  "$fuzz/corpus/$target" 2>&1 | tee "$log" | grep -v '^#[0-9]*[[:space:]]*\(NEW\|REDUCE\|pulse\)'
status=${PIPESTATUS[0]}
set -e
echo "---- $target: $(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') executions"
grep -E '^#[0-9]+' "$log" | tail -1 || true
exit "$status"
