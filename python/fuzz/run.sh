#!/usr/bin/env bash
# Fuzzes the Python face of devtoken with atheris (issue #17).
#
#   bash python/fuzz/run.sh RUNS|SECONDSs [extra libFuzzer flags...]
#   bash python/fuzz/run.sh --minimize [N]    # keep the N inputs (200) that cover most edges
#
# `bash python/fuzz/run.sh 1100000` runs 1.1 million inputs, `bash python/fuzz/run.sh 600s` ten
# minutes. The extension is built with the SanitizerCoverage flags of fuzz/run.sh (debug
# assertions and overflow checks on) into a wheel of its own and installed into its own venv,
# target/fuzz-venv (atheris, PyJWT, cryptography), so libFuzzer is guided by the Rust core's
# coverage as well as the harness's, and neither the test venv nor python/devtoken/ is touched.
# The corpus is python/fuzz/corpus (grown in place; minimize with -merge=1 before committing);
# a crash is written to python/fuzz/artifacts/ and replayed by python/tests/test_fuzz_corpus.py.
# DEVTOKEN_FUZZ_PLAIN=1 skips the instrumented build and fuzzes the devtoken the venv has.
set -euo pipefail

amount=${1:?usage: python/fuzz/run.sh RUNS|SECONDSs [libFuzzer flags...] | --minimize [N]}
shift
case $amount in
  --minimize) ;;
  *s) limit=(-max_total_time="${amount%s}") ;;
  *) limit=(-runs="$amount") ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
venv=${DEVTOKEN_FUZZ_VENV:-$top/target/fuzz-venv}

if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q atheris "PyJWT>=2.8" "cryptography>=42" "maturin>=1.7,<2"

if [[ $amount == --minimize ]]; then
  # libFuzzer's merge records which edges each input reaches (the control file); the inputs are
  # then picked greedily, most new edges first (the smaller on a tie), up to N. The merge runs
  # the harness as a program (a shebang; the venv's python first on PATH).
  keep=${1:-200}
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir "$work/out"
  PATH="$venv/bin:$PATH" "$here/fuzz_devtoken.py" -merge=1 -use_counters=0 -use_value_profile=0 \
    -use_cmp=0 -merge_control_file="$work/control" "$work/out" "$here/corpus" 2>&1 |
    grep -a 'MERGE-OUTER: [0-9]* new' || true
  "$venv/bin/python" - "$work/control" "$here/corpus" "$keep" <<'PICK'
import os, shutil, sys

control, corpus, keep = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(control).read().splitlines()
count = int(lines[0])
files = lines[2 : 2 + count]
edges = {}
for line in lines[2 + count :]:
    if line.startswith("COV "):
        number, *found = line.split()[1:]
        edges[int(number)] = set(found)
everything = set().union(*edges.values())
picked, covered = [], set()
while len(picked) < keep:
    best = max(edges, key=lambda i: (len(edges[i] - covered), -os.path.getsize(files[i])))
    if not edges[best] - covered:
        break
    covered |= edges.pop(best)
    picked.append(files[best])
kept = os.path.join(os.path.dirname(control), "kept")
os.mkdir(kept)
for path in picked:
    shutil.copy(path, kept)
shutil.rmtree(corpus)
shutil.move(kept, corpus)
print(f"kept {len(picked)} of {count} inputs: {len(covered)} of {len(everything)} edges")
PICK
  exit 0
fi

if [[ -z ${DEVTOKEN_FUZZ_PLAIN:-} ]]; then
  export RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
-Cdebug-assertions -Coverflow-checks"
  export CARGO_TARGET_DIR=${DEVTOKEN_FUZZ_TARGET_DIR:-$top/target/fuzz-python}
  if [[ -z ${DEVTOKEN_VENDOR:-} && ! -d $top/../shared/vendor && -d /work/shared/vendor ]]; then
    export DEVTOKEN_VENDOR=/work/shared/vendor
  fi
  # An explicit --target keeps RUSTFLAGS (and the instrumentation) off the build scripts.
  host=$(rustc -vV | sed -n 's/^host: //p')
  rm -rf "$CARGO_TARGET_DIR/wheels"
  bash "$top/tests/sources.sh" "$venv/bin/maturin" build --release -q --target "$host" \
    -m "$top/python/Cargo.toml" -o "$CARGO_TARGET_DIR/wheels"
  "$venv/bin/python" -m pip install -q --force-reinstall --no-deps "$CARGO_TARGET_DIR"/wheels/*.whl
fi

mkdir -p "$here/corpus" "$here/artifacts"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
("$venv/bin/python" "$here/fuzz_devtoken.py" \
  "${limit[@]}" \
  -timeout=30 \
  -rss_limit_mb=4096 \
  -artifact_prefix="$here/artifacts/" \
  -print_final_stats=1 \
  "$@" \
  "$here/corpus") 2>&1 | tee "$log" | grep -av '^#[0-9]*[[:space:]]*\(NEW\|REDUCE\|pulse\)'
status=${PIPESTATUS[0]}
set -e
echo "---- python: $(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') executions"
grep -aE '^#[0-9]+' "$log" | tail -1 || true
exit "$status"
