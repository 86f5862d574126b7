"""One signer shared by many threads gives only valid tokens (sign_token releases the GIL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import jwt
from cryptography.hazmat.primitives import serialization

from devtoken import Claims, Service, Signer


def test_sixteen_threads_share_one_signer() -> None:
    signer = Signer.generate("ABC123DEFG")
    public_key = serialization.load_pem_public_key(signer.public_key_pem().encode())

    def sign(i: int) -> tuple[int, str]:
        return i, signer.sign_token(Service.APPLE_MUSIC, Claims(issuer="DEF123GHIJ", ttl=600 + i))

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(sign, range(400)))
    for i, token in results:
        claims = jwt.decode(token, public_key, algorithms=["ES256"])  # type: ignore[arg-type]
        assert claims["exp"] - claims["iat"] == 600 + i
