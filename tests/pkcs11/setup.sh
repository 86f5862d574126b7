#!/usr/bin/env bash
# A throwaway SoftHSM2 for the PKCS#11 tests: its own config and tokens under target/pkcs11 (the
# machine's /etc/softhsm is left alone), rebuilt from nothing on every run.
#
#   eval "$(bash tests/pkcs11/setup.sh)"   # exports what tests/pkcs11.rs and the face tests read
#
# Tokens (one user PIN, random, in a 0600 file; never on a devtoken command line):
#   devtoken          AuthKey_ABC123DEFG (Apple's public test key, id 01), P384Key (P-384, id 02)
#   devtoken-pin      AuthKey_ABC123DEFG: only the wrong-PIN test logs in to it (a login lasts as
#                     long as the process, so a wrong PIN must meet a token nobody else opened)
#   devtoken-removed  AuthKey_ABC123DEFG: deleted by the removed-token test while a signer uses it
# Prints `export NAME=value` lines: DEVTOKEN_PKCS11_MODULE, SOFTHSM2_CONF, DEVTOKEN_PKCS11_PIN_FILE.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
command -v softhsm2-util >/dev/null ||
  { echo "tests/pkcs11/setup.sh: softhsm2-util not found: install Debian's softhsm2 package" >&2; exit 1; }
module=
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so \
  /usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
  if [[ -f $candidate ]]; then module=$candidate; break; fi
done
[[ -n $module ]] || { echo "tests/pkcs11/setup.sh: libsofthsm2.so not found" >&2; exit 1; }

apple_key=${DEVTOKEN_APPLE_TEST_KEY:-$top/../shared/fixtures/apple-testSigningKey.p8}
[[ -f $apple_key ]] || { echo "tests/pkcs11/setup.sh: Apple's test key is not at $apple_key" >&2; exit 1; }

dir=$top/target/pkcs11
rm -rf "$dir"
mkdir -p "$dir/tokens"
chmod 700 "$dir"
export SOFTHSM2_CONF=$dir/softhsm2.conf
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
  "$dir/tokens" >"$SOFTHSM2_CONF"

umask 077
pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
so_pin=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$pin" >"$dir/pin"
chmod 600 "$dir/pin"

# softhsm2-util --import wants PKCS#8 PEM: Apple's .p8 already is; the P-384 key is made here.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 2>/dev/null |
  openssl pkcs8 -topk8 -nocrypt -out "$dir/p384.p8"

for token in devtoken devtoken-pin devtoken-removed; do
  softhsm2-util --init-token --free --label "$token" --so-pin "$so_pin" --pin "$pin" >/dev/null
  softhsm2-util --import "$apple_key" --token "$token" --label AuthKey_ABC123DEFG --id 01 --pin "$pin" >/dev/null
done
softhsm2-util --import "$dir/p384.p8" --token devtoken --label P384Key --id 02 --pin "$pin" >/dev/null

printf 'export DEVTOKEN_PKCS11_MODULE=%q\nexport SOFTHSM2_CONF=%q\nexport DEVTOKEN_PKCS11_PIN_FILE=%q\n' \
  "$module" "$SOFTHSM2_CONF" "$dir/pin" | tee "$dir/env.sh"
