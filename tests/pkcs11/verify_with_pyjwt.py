"""Tokens signed inside SoftHSM2 from every face, verified by PyJWT (issue 28).

Apple's test key exists only inside the SoftHSM2 token of tests/pkcs11/setup.sh. This signs with
it from the CLI (`devtoken sign --key pkcs11:...`), reads the tokens the Kotlin and Swift suites
signed with it before (Pkcs11Test.kt, Pkcs11Tests.swift write target/pkcs11-tokens/*.tsv; the
Python suite verifies its own with PyJWT in test_external_signer.py), and checks every one with
PyJWT and pyca/cryptography against the public half of Apple's `.p8`: signature, `alg`, `kid`
and `iss`. A token with one signature byte changed must fail, so the check can fail.

    eval "$(bash tests/pkcs11/setup.sh)"
    python tests/pkcs11/verify_with_pyjwt.py --cli 'target/debug/devtoken' [--without swift]

Exits 1 on a failed check or a face that wrote no token.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.utils import base64url_decode, base64url_encode

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "pkcs11-tokens"
APPLE_KEY = Path(
    os.environ.get("DEVTOKEN_APPLE_TEST_KEY")
    or ROOT.parent / "shared" / "fixtures" / "apple-testSigningKey.p8"
)
KEY_ID = "ABC123DEFG"


def apple_public_key() -> ec.EllipticCurvePublicKey:
    private = serialization.load_pem_private_key(APPLE_KEY.read_bytes(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return private.public_key()


def cli_tokens(cli: list[str]) -> list[tuple[str, str]]:
    """(service, token) signed by the CLI with the key inside SoftHSM2."""
    module, pin_file = os.environ["DEVTOKEN_PKCS11_MODULE"], os.environ["DEVTOKEN_PKCS11_PIN_FILE"]
    uri = (
        f"pkcs11:token=devtoken;object=AuthKey_{KEY_ID}"
        f"?module-path={module}&pin-source=file:{pin_file}"
    )
    tokens = []
    for service in ("apns", "apple-music"):
        signed = subprocess.run(
            [*cli, "sign", "--service", service, "--key", uri, "--issuer", "DEF123GHIJ"],
            capture_output=True,
            text=True,
            check=False,
        )
        if signed.returncode != 0:
            sys.exit(f"devtoken sign --key pkcs11:... failed: {signed.stderr.strip()}")
        tokens.append((service, signed.stdout.strip()))
    return tokens


def face_tokens(face: str) -> list[tuple[str, str]]:
    """(service, token) lines the face's suite wrote."""
    path = OUT / f"{face}.tsv"
    if not path.exists():
        sys.exit(f"{path.relative_to(ROOT)}: missing; the {face} suite signed nothing in SoftHSM2")
    rows = [tuple(line.split("\t")) for line in path.read_text().splitlines() if line]
    if not rows or any(len(row) != 2 for row in rows):
        sys.exit(f"{path.relative_to(ROOT)}: expected lines of service<TAB>token")
    return [(row[0], row[1]) for row in rows]


def check(token: str, key: ec.EllipticCurvePublicKey) -> str | None:
    """Why PyJWT refuses `token`, or why its header or issuer is wrong; None when all is fine."""
    try:
        claims = jwt.decode(token, key, algorithms=["ES256"], options={"verify_aud": False})
    except jwt.PyJWTError as error:
        return f"PyJWT: {type(error).__name__}: {error}"
    header = jwt.get_unverified_header(token)
    if header.get("alg") != "ES256" or header.get("kid") != KEY_ID:
        return f"header {header}"
    if claims.get("iss") != "DEF123GHIJ":
        return f"iss {claims.get('iss')!r}"
    return None


def tampered(token: str) -> str:
    """`token` with the first byte of its signature changed."""
    head, payload, signature = token.split(".")
    raw = bytearray(base64url_decode(signature))
    raw[0] ^= 0x01
    return ".".join([head, payload, base64url_encode(bytes(raw)).decode()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", required=True, help="the devtoken command: target/debug/devtoken")
    parser.add_argument("--without", action="append", default=[], choices=["kotlin", "swift"])
    args = parser.parse_args()
    key = apple_public_key()
    tokens = {"cli": cli_tokens(shlex.split(args.cli))}
    for face in ("kotlin", "swift"):
        if face not in args.without:
            tokens[face] = face_tokens(face)
    failures = 0
    for face, signed in tokens.items():
        before = failures
        for service, token in signed:
            problem = check(token, key)
            if problem is not None:
                failures += 1
                print(f"FAIL {face} {service}: {problem}")
            if check(tampered(token), key) is None:
                failures += 1
                print(f"FAIL {face} {service}: PyJWT accepted a token with a changed signature")
        if failures == before:
            services = ", ".join(service for service, _ in signed)
            print(f"{face}: {len(signed)} tokens from SoftHSM2 verified by PyJWT ({services})")
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
