#!/usr/bin/env bash
# Every signing ratio of the README in one run on this machine, peers measured beside devtoken:
#   1. OpenSSL's raw ECDSA P-256 sign and verify (`openssl speed`), before and after the rest;
#   2. criterion (benches/signing.rs): sign_token, the comb, stock p256, verify_token and the
#      breakdown of one signature, with the ratios to OpenSSL's figures;
#   3. Python (python/benchmarks/bench_sign.py): the wheel against PyJWT + cryptography;
#   4. Kotlin (bindings/kotlin, `mvn -Pbench verify`, tests skipped): JMH against Nimbus JOSE+JWT.
# Everything is built before anything is timed. On a shared machine the absolute times move with
# the load; compare within one run, as ratios.
#
#   bash benches/compare.sh [--rust-only]
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/sources.sh
devtoken_cargo_sources
rust_only=false
[[ ${1:-} == --rust-only ]] && rust_only=true

openssl_speed() {
  # "256 bits ecdsa (nistp256)   0.0000s   0.0001s  51793.5  16832.6" -> sign/s verify/s
  openssl speed -elapsed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ {print $(NF-1), $NF}'
}

echo "==> build"
cargo bench --bench signing --no-run 2>&1 | tail -1
if ! $rust_only; then
  venv=target/bench-venv
  [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q -r tests/requirements.txt
  rm -rf target/bench-wheels
  "$venv/bin/maturin" build --release -q -m python/Cargo.toml -o target/bench-wheels
  "$venv/bin/python" -m pip install -q --force-reinstall --no-deps target/bench-wheels/devtoken-*.whl
  devtoken_maven_sources
  (cd bindings/kotlin && mvn -B -q "${MVN_ARGS[@]}" -DskipTests package)
fi

echo "==> machine"
echo "processor: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"

echo "==> OpenSSL $(openssl version | cut -d' ' -f2) speed ecdsap256 (before)"
read -r ossl_sign_before ossl_verify_before < <(openssl_speed)
echo "sign/s $ossl_sign_before verify/s $ossl_verify_before"

echo "==> criterion (benches/signing.rs)"
cargo bench --bench signing -- '^(es256|breakdown)/' --warm-up-time 1 --measurement-time 4 2>&1 |
  grep -E '^(es256|breakdown)/|time:' | paste - - | sed -E 's/ +/ /g'

echo "==> OpenSSL speed ecdsap256 (after)"
read -r ossl_sign_after ossl_verify_after < <(openssl_speed)
echo "sign/s $ossl_sign_after verify/s $ossl_verify_after"

python3 - "$ossl_sign_before" "$ossl_verify_before" "$ossl_sign_after" "$ossl_verify_after" <<'EOF'
import json, sys
sign_before, verify_before, sign_after, verify_after = map(float, sys.argv[1:])
# OpenSSL's per-operation time: the mean of the two runs around criterion.
ossl_sign = 2e6 / (sign_before + sign_after)
ossl_verify = 2e6 / (verify_before + verify_after)

def us(group, name):
    with open(f"target/criterion/{group}/{name}/new/estimates.json") as f:
        return json.load(f)["median"]["point_estimate"] / 1000

sign_token = us("es256", "sign_token")
comb = us("es256", "fast_comb_sign")
raw = us("es256", "raw_p256_sign")
stock_token = us("es256", "sign_token_stock_p256")
verify = us("es256", "verify_token")
raw_verify = us("es256", "raw_p256_verify")
print("==> ratios (criterion medians; OpenSSL mean of before/after)")
print(f"sign_token / OpenSSL raw sign           {sign_token / ossl_sign:5.2f}  (goal <= 1.3)")
print(f"comb sign_fast / OpenSSL raw sign       {comb / ossl_sign:5.2f}")
print(f"stock p256 sign / comb sign_fast        {raw / comb:5.2f}")
print(f"sign_token stock backend / sign_token   {stock_token / sign_token:5.2f}")
print(f"verify_token / OpenSSL verify           {verify / ossl_verify:5.2f}  (goal <= 2)")
print(f"stock p256 verify / verify_token       {raw_verify / verify:5.2f}")
print(f"OpenSSL sign/s drift after / before     {sign_after / sign_before:5.2f}")
# k⁻¹ as the signer computes it (modinv); scalar_invert_ct is p256's own, for comparison.
parts = ["sha256_180_bytes", "rfc6979_nonce", "comb_x_of_kG", "scalar_invert_modinv"]
print("where sign_fast's time goes (share of its median):")
for part in parts:
    print(f"  {part:<24} {us('breakdown', part) / comb:6.1%}")
print(
    "mixed addition, p256 0.14 / 0.13        "
    f"{us('breakdown', 'mixed_add_p256_0_14') / us('breakdown', 'mixed_add_p256_0_13'):5.2f}"
)
print(
    "to_affine (0.13 inversion) / mixed add  "
    f"{us('breakdown', 'to_affine_p256_0_13') / us('breakdown', 'mixed_add_p256_0_13'):5.1f}"
)
print(
    "p256 Scalar::invert / modinv k⁻¹         "
    f"{us('breakdown', 'scalar_invert_ct') / us('breakdown', 'scalar_invert_modinv'):5.2f}"
)
EOF

if ! $rust_only; then
  echo "==> Python (python/benchmarks/bench_sign.py)"
  target/bench-venv/bin/python python/benchmarks/bench_sign.py --repeat 9 --number 2000
  echo "==> Kotlin JMH (bindings/kotlin, -Pbench)"
  (cd bindings/kotlin && mvn -B -q "${MVN_ARGS[@]}" -Pbench -DskipTests verify) |
    grep -vE '^(# |$|Iteration|WARNING)' | tail -20
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
