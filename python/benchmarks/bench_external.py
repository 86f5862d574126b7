"""Tokens per second through signers whose key is held elsewhere, beside the in-memory signer, in
one run: a Python `sign(digest)` callback over pyca/cryptography (what a KMS client plugs in),
SoftHSM2 over PKCS#11 (`Signer.from_pkcs11`), and the same key in memory; plus the callback and
the verification step alone, so what devtoken adds around an external signer shows.

    eval "$(bash tests/pkcs11/setup.sh)"      # SoftHSM2 tokens (skipped when absent)
    python python/benchmarks/bench_external.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

import devtoken
from devtoken import Claims, Service, Signer

ROOT = Path(__file__).resolve().parents[2]
APPLE_TEST_KEY = ROOT.parent / "shared" / "fixtures" / "apple-testSigningKey.p8"
CLAIMS = Claims(issuer="DEF123GHIJ", ttl=3600)


def rate(call: Callable[[], object], seconds: float) -> float:
    """Calls per second of `call`, over about `seconds` of wall time."""
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(20):
            call()
        count += 20
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    pem = APPLE_TEST_KEY.read_text()
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    def sign(digest: bytes) -> bytes:
        return key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))

    in_memory = Signer.from_pem(pem, "ABC123DEFG")
    external = Signer.from_external(public_pem, "ABC123DEFG", sign)
    token = in_memory.sign_token(Service.APPLE_MUSIC, CLAIMS)
    rows: list[tuple[str, float]] = [
        (
            "in-memory signer (RFC 6979, devtoken)",
            rate(lambda: in_memory.sign_token(Service.APPLE_MUSIC, CLAIMS), args.seconds),
        ),
        (
            "callback alone: cryptography sign(digest)",
            rate(lambda: sign(b"\x07" * 32), args.seconds),
        ),
        (
            "external signer over that callback",
            rate(lambda: external.sign_token(Service.APPLE_MUSIC, CLAIMS), args.seconds),
        ),
        (
            "verification step alone: verify_token",
            rate(lambda: devtoken.verify_token(token, public_pem), args.seconds),
        ),
    ]
    module, pin_file = (
        os.environ.get("DEVTOKEN_PKCS11_MODULE"),
        os.environ.get("DEVTOKEN_PKCS11_PIN_FILE"),
    )
    if module and pin_file:
        hsm = Signer.from_pkcs11(
            f"pkcs11:token=devtoken;object=AuthKey_ABC123DEFG?module-path={module}&pin-source=file:{pin_file}"
        )
        rows.append(
            (
                "SoftHSM2 over PKCS#11",
                rate(lambda: hsm.sign_token(Service.APPLE_MUSIC, CLAIMS), args.seconds),
            )
        )
    else:
        print("SoftHSM2: skipped (run tests/pkcs11/setup.sh first)")
    base = rows[0][1]
    for name, per_second in rows:
        print(
            f"{name:45} {per_second:9.0f} tokens/s   {base / per_second:5.2f}x the in-memory time"
        )


if __name__ == "__main__":
    main()
