"""Signer.from_external and Signer.from_pkcs11: keys devtoken never holds.

The independent signer is `cryptography`'s EC key; every token is verified by PyJWT. The PKCS#11
test needs the SoftHSM2 tokens of tests/pkcs11/setup.sh (skipped without them, failing under
CI=true).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from conftest import APPLE_TEST_KEY
from devtoken import (
    Claims,
    ExternalSignerError,
    ManualClock,
    Service,
    Signer,
    TokenError,
    TokenProvider,
)

TEAM = "DEF123GHIJ"
ISSUER = "57246542-96fe-1a63-e053-0824d011072a"
T0 = 1_700_000_000
PREHASHED = ec.ECDSA(Prehashed(hashes.SHA256()))


def public_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def der_signer_fn(key: ec.EllipticCurvePrivateKey) -> Callable[[bytes], bytes]:
    def sign(digest: bytes) -> bytes:
        return key.sign(digest, PREHASHED)

    return sign


def der_signer(key: ec.EllipticCurvePrivateKey) -> Signer:
    return Signer.from_external(public_pem(key), "ABC123DEFG", der_signer_fn(key))


def pyjwt_claims(token: str, key: ec.EllipticCurvePrivateKey) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(
        token,
        key.public_key(),
        algorithms=["ES256"],
        options={"verify_aud": False, "verify_iat": False, "verify_exp": False},
    )
    return claims


def test_a_signer_returning_der_gives_tokens_pyjwt_accepts() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signer = der_signer(key)
    apns = signer.sign_token(Service.APNS, Claims(TEAM))
    assert pyjwt_claims(apns, key)["iss"] == TEAM
    assert jwt.get_unverified_header(apns)["kid"] == "ABC123DEFG"
    connect = signer.sign_token(Service.APP_STORE_CONNECT, Claims(ISSUER))
    assert pyjwt_claims(connect, key)["aud"] == "appstoreconnect-v1"


def test_a_signer_returning_raw_r_s_works_too() -> None:
    key = ec.generate_private_key(ec.SECP256R1())

    def sign(digest: bytes) -> bytearray:
        r, s = decode_dss_signature(key.sign(digest, PREHASHED))
        return bytearray(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    signer = Signer.from_external(public_pem(key), "ABC123DEFG", sign)
    assert pyjwt_claims(signer.sign_token(Service.APPLE_MUSIC, Claims(TEAM)), key)["iss"] == TEAM


def rule_of(signer: Signer) -> str | None:
    with pytest.raises(ExternalSignerError) as caught:
        signer.sign_token(Service.APPLE_MUSIC, Claims(TEAM))
    assert caught.value.kind == "external_signer"
    assert caught.value.field == "signer"
    return caught.value.rule


def test_wrong_key_garbage_and_non_bytes_are_typed() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    other = ec.generate_private_key(ec.SECP256R1())
    pem = public_pem(key)
    assert rule_of(Signer.from_external(pem, "ABC123DEFG", der_signer_fn(other))) == "wrong_key"
    assert rule_of(Signer.from_external(pem, "ABC123DEFG", lambda _: b"\x30garbage")) == (
        "signature_shape"
    )
    assert rule_of(Signer.from_external(pem, "ABC123DEFG", lambda _: b"")) == "signature_shape"
    not_bytes = Signer.from_external(pem, "ABC123DEFG", lambda _: "a string")  # type: ignore[arg-type, return-value]
    assert rule_of(not_bytes) == "signature_shape"


def test_an_exception_in_the_callable_is_the_cause() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    original = RuntimeError("KMS throttled the request")

    def sign(digest: bytes) -> bytes:
        raise original

    signer = Signer.from_external(public_pem(key), "ABC123DEFG", sign)
    with pytest.raises(ExternalSignerError) as caught:
        signer.sign_token(Service.APNS, Claims(TEAM))
    assert isinstance(caught.value, TokenError)
    assert caught.value.rule == "failed"
    assert caught.value.__cause__ is original
    assert "KMS throttled the request" in str(caught.value)


def test_a_hanging_callable_times_out() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    release = threading.Event()

    def sign(digest: bytes) -> bytes:
        # Waits without the GIL; released once the test has seen the timeout.
        release.wait(60)
        return key.sign(digest, PREHASHED)

    signer = Signer.from_external(public_pem(key), "ABC123DEFG", sign, timeout=0.2)
    try:
        assert rule_of(signer) == "timeout"
    finally:
        release.set()


def test_the_gil_is_released_while_other_threads_sign() -> None:
    # Several Python threads signing through a Python callable at once: each callable needs the
    # GIL, so a sign_token that kept it would stall them until the timeout.
    key = ec.generate_private_key(ec.SECP256R1())
    signer = Signer.from_external(public_pem(key), "ABC123DEFG", der_signer_fn(key), timeout=60)

    def work(_: int) -> list[str]:
        return [signer.sign_token(Service.APNS, Claims(TEAM)) for _ in range(10)]

    with ThreadPoolExecutor(4) as pool:
        tokens = [token for batch in pool.map(work, range(4)) for token in batch]
    assert len(tokens) == 40
    for token in tokens:
        pyjwt_claims(token, key)


def test_a_bad_timeout_or_callable_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(TokenError):
        Signer.from_external(public_pem(key), "ABC123DEFG", der_signer_fn(key), timeout=-1)
    with pytest.raises(TypeError):
        Signer.from_external(public_pem(key), "ABC123DEFG", b"not callable")  # type: ignore[arg-type]


def test_a_provider_keeps_its_valid_token_while_the_signer_is_down() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    down = threading.Event()

    def sign(digest: bytes) -> bytes:
        if down.is_set():
            raise ConnectionError("KMS unreachable")
        return key.sign(digest, PREHASHED)

    signer = Signer.from_external(public_pem(key), "ABC123DEFG", sign)
    clock = ManualClock(T0)
    provider = TokenProvider(signer, Service.APPLE_MUSIC, Claims(TEAM, ttl=3600), clock=clock)
    first = provider.token()
    down.set()
    # Past the renewal margin but before exp: the failed renewal is absorbed.
    clock.advance(3000)
    assert provider.token() == first
    # Once the token has expired, the failure reaches the caller, typed, with its cause.
    clock.advance(700)
    with pytest.raises(ExternalSignerError) as caught:
        provider.token()
    assert caught.value.rule == "failed"
    assert isinstance(caught.value.__cause__, ConnectionError)
    down.clear()
    clock.advance(120)
    assert pyjwt_claims(provider.token(), key)["iss"] == TEAM


def softhsm_uri() -> str:
    module = os.environ.get("DEVTOKEN_PKCS11_MODULE")
    pin_file = os.environ.get("DEVTOKEN_PKCS11_PIN_FILE")
    if module and pin_file and os.environ.get("SOFTHSM2_CONF"):
        return (
            "pkcs11:token=devtoken;object=AuthKey_ABC123DEFG"
            f"?module-path={module}&pin-source=file:{pin_file}"
        )
    if os.environ.get("CI") == "true":
        pytest.fail('no SoftHSM2 fixture under CI=true: run `eval "$(bash tests/pkcs11/setup.sh)"`')
    pytest.skip("no SoftHSM2 fixture (Debian package softhsm2, then tests/pkcs11/setup.sh)")


def test_a_key_inside_softhsm_signs_tokens_pyjwt_accepts() -> None:
    uri = softhsm_uri()
    signer = Signer.from_pkcs11(uri)
    assert signer.key_id == "ABC123DEFG"
    apple = load_pem_private_key(Path(APPLE_TEST_KEY).read_bytes(), password=None)
    assert isinstance(apple, ec.EllipticCurvePrivateKey)
    assert signer.public_key_pem() == public_pem(apple)
    for service, claims in [
        (Service.APNS, Claims(TEAM)),
        (Service.APP_STORE_CONNECT, Claims(ISSUER)),
    ]:
        token = signer.sign_token(service, claims)
        pyjwt_claims(token, apple)
    with pytest.raises(ExternalSignerError) as caught:
        Signer.from_pkcs11(uri.replace("AuthKey_ABC123DEFG", "AuthKey_NOSUCHKEY0"))
    assert caught.value.rule == "key_not_found"
    with pytest.raises(ExternalSignerError) as caught:
        Signer.from_pkcs11(uri + "&pin-value=1234")
    assert caught.value.rule == "config"
