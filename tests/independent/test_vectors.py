"""The shared vectors, checked by code that shares nothing with devtoken.

PyJWT verifies every vector token and decodes its header and claims; pyca/cryptography
(OpenSSL) recomputes each signature with RFC 6979 deterministic ECDSA, so the exact bytes of
every token are confirmed by a second, independent implementation.
"""

import base64
import json
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "tokens.json").read_text())
PRIVATE_KEY = serialization.load_pem_private_key(VECTORS["key"]["pem"].encode(), password=None)
PUBLIC_KEY = PRIVATE_KEY.public_key()
CASES = VECTORS["tokens"]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_pyjwt_verifies_and_decodes(case):
    token = case["token"]
    claims = jwt.decode(
        token,
        PUBLIC_KEY,
        algorithms=["ES256"],
        options={
            "verify_exp": False,
            "verify_iat": False,
            "verify_aud": False,
            "verify_nbf": False,
        },
    )
    assert claims == case["payload"]
    assert jwt.get_unverified_header(token) == case["header"]
    assert case["header"]["alg"] == "ES256"
    assert case["header"]["kid"] == case.get("key_id", VECTORS["key"]["key_id"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_openssl_rfc6979_gives_the_same_bytes(case):
    signing_input, _, signature = case["token"].rpartition(".")
    der = PRIVATE_KEY.sign(
        signing_input.encode(), ec.ECDSA(hashes.SHA256(), deterministic_signing=True)
    )
    r, s = decode_dss_signature(der)
    assert b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big")) == signature


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_json_is_compact_and_in_documented_order(case):
    header_part, payload_part, _ = case["token"].split(".")
    header_order = ["alg", "kid", "typ", "id"]
    payload_order = ["iss", "iat", "exp", "aud", "sub", "jti", "bid", "origin", "scope"]
    for part, order in ((header_part, header_order), (payload_part, payload_order)):
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        members = list(json.loads(raw))
        assert members == [m for m in order if m in members]
        assert raw == json.dumps(json.loads(raw), separators=(",", ":")).encode()
