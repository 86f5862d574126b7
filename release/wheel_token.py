"""Signs a token with an installed devtoken wheel, or verifies one with PyJWT (release/check.sh).

    python wheel_token.py sign KEY.p8       # prints "<machine> <devtoken version> <token>"
    python wheel_token.py verify KEY.p8 TOKEN

`sign` runs on the wheel under test (the aarch64 one under qemu, with an arm64 CPython); `verify`
runs on the host with PyJWT and cryptography, which share no code with devtoken.
"""

from __future__ import annotations

import platform
import sys
from datetime import timedelta

ISSUER = "57246542-96fe-1a63-e053-0824d011072a"
KEY_ID = "ABC123DEFG"
BUNDLE_ID = "com.example.app"


def sign(key_path: str) -> None:
    import devtoken

    with open(key_path) as key_file:
        signer = devtoken.Signer.from_pem(key_file.read(), KEY_ID)
    claims = devtoken.Claims(issuer=ISSUER, bundle_id=BUNDLE_ID, ttl=timedelta(minutes=5))
    token = signer.sign_token(devtoken.Service.APP_STORE_SERVER, claims)
    print(platform.machine(), devtoken.__version__, token)


def verify(key_path: str, token: str) -> None:
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    with open(key_path, "rb") as key_file:
        private_key = serialization.load_pem_private_key(key_file.read(), password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise SystemExit(f"{key_path} is not an EC private key")
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(
        token, private_key.public_key(), algorithms=["ES256"], audience="appstoreconnect-v1"
    )
    if header.get("kid") != KEY_ID or claims["iss"] != ISSUER or claims["bid"] != BUNDLE_ID:
        raise SystemExit(f"unexpected header {header} or claims {claims}")
    print(f"PyJWT verifies the token: kid {header['kid']}, claims {claims}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["sign"] and len(sys.argv) == 3:
        sign(sys.argv[2])
    elif sys.argv[1:2] == ["verify"] and len(sys.argv) == 4:
        verify(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
