"""StoreKit in-app signatures from Python: the vectors of tests/vectors/storekit.json byte for
byte, the refused inputs of tests/vectors/storekit_errors.json with the core's field and rule,
the V1 check, and the JWS kinds verified by PyJWT (independent of devtoken)."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timezone
from typing import Any, Union

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import STOREKIT, STOREKIT_ERRORS
from devtoken import (
    InvalidClaimsError,
    PromotionalOfferV1Signature,
    Signer,
    TokenError,
    verify_promotional_offer_v1,
)

Signed = Union[str, PromotionalOfferV1Signature]


def vector_of(kind: str) -> dict[str, Any]:
    return next(case for case in STOREKIT if case["kind"] == kind)


def signer_for(case: dict[str, Any], *, stock_p256: bool = False) -> Signer:
    return Signer.from_pem(case["key"]["pem"], case["key"]["key_id"], stock_p256=stock_p256)


def sign_kind(signer: Signer, kind: str, given: dict[str, Any], now: int | None) -> Signed:
    """Signs `given` (a vector's input; optional members may be absent) as `kind`."""
    if kind == "promotional-offer":
        return signer.promotional_offer(
            given["issuer_id"],
            given["bundle_id"],
            given["product_id"],
            given["offer_id"],
            transaction_id=given.get("transaction_id"),
            nonce=given.get("nonce"),
            now=now,
        )
    if kind == "intro-eligibility":
        return signer.intro_offer_eligibility(
            given["issuer_id"],
            given["bundle_id"],
            given["product_id"],
            given["allow_introductory_offer"],
            given["transaction_id"],
            nonce=given.get("nonce"),
            now=now,
        )
    if kind == "advanced-commerce":
        return signer.advanced_commerce_request(
            given["issuer_id"],
            given["bundle_id"],
            given["request"].encode(),
            nonce=given.get("nonce"),
            now=now,
        )
    if kind == "promotional-offer-v1":
        return signer.promotional_offer_v1(
            given["bundle_id"],
            given["product_id"],
            given["offer_id"],
            application_username=given.get("application_username"),
            nonce=given.get("nonce"),
            timestamp_ms=given.get("timestamp_ms"),
        )
    raise AssertionError(f"unknown kind {kind}")


def test_every_kind_has_a_vector() -> None:
    assert {case["kind"] for case in STOREKIT} == {
        "promotional-offer",
        "intro-eligibility",
        "advanced-commerce",
        "promotional-offer-v1",
    }


@pytest.mark.parametrize("stock_p256", [False, True], ids=["comb", "stock"])
@pytest.mark.parametrize("case", STOREKIT, ids=[c["name"] for c in STOREKIT])
def test_storekit_vector_is_reproduced_byte_for_byte(
    case: dict[str, Any], stock_p256: bool
) -> None:
    signer = signer_for(case, stock_p256=stock_p256)
    signed = sign_kind(signer, case["kind"], case["input"], case.get("now"))
    if isinstance(signed, str):
        assert signed == case["token"]
        public_key = signer.public_key_pem()
        claims = jwt.decode(
            signed, public_key, algorithms=["ES256"], audience=case["payload"]["aud"]
        )
        assert claims == case["payload"]
        assert jwt.get_unverified_header(signed) == case["header"]
    else:
        assert signed.signature == case["signature"]
        assert signed.nonce == case["nonce"]
        assert signed.timestamp_ms == case["timestamp_ms"]
        assert signed.key_id == case["key"]["key_id"]
        key = serialization.load_pem_public_key(signer.public_key_pem().encode())
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(
            base64.b64decode(signed.signature),
            case["signed_string"].encode(),
            ec.ECDSA(hashes.SHA256()),
        )


ERROR_CASES: list[dict[str, Any]] = STOREKIT_ERRORS["cases"]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c["name"] for c in ERROR_CASES])
def test_storekit_bad_input_is_refused_with_field_and_rule(case: dict[str, Any]) -> None:
    vector = vector_of(case["kind"])
    given = dict(vector["input"])
    for member, value in case["change"].items():
        if value is None:
            given.pop(member, None)
        else:
            given[member] = value
    with pytest.raises(TokenError) as caught:
        sign_kind(signer_for(vector), case["kind"], given, vector.get("now"))
    expect = case["expect"]
    assert isinstance(caught.value, InvalidClaimsError)
    assert (caught.value.kind, caught.value.field, caught.value.rule) == (
        expect["kind"],
        expect["field"],
        expect["rule"],
    )


def test_every_kind_has_error_cases() -> None:
    assert {case["kind"] for case in ERROR_CASES} == {case["kind"] for case in STOREKIT}


def v1_check(case: dict[str, Any], signature: str, **change: Any) -> bool:
    given = {**case["input"], **change}
    return verify_promotional_offer_v1(
        signer_for(case).public_key_pem(),
        signature,
        key_id=case["key"]["key_id"],
        bundle_id=given["bundle_id"],
        product_id=given["product_id"],
        offer_id=given["offer_id"],
        nonce=given["nonce"],
        timestamp_ms=given["timestamp_ms"],
        application_username=given["application_username"],
    )


def test_v1_check_accepts_the_vector_and_refuses_any_change() -> None:
    case = vector_of("promotional-offer-v1")
    assert v1_check(case, case["signature"])
    assert not v1_check(case, case["signature"], offer_id="SAVE60")
    assert not v1_check(case, case["signature"], timestamp_ms=case["timestamp_ms"] + 1)
    other = Signer.generate(case["key"]["key_id"]).promotional_offer_v1(
        "com.example.app",
        "com.example.monthly",
        "SAVE50",
        nonce=case["input"]["nonce"],
        timestamp_ms=case["timestamp_ms"],
    )
    assert not v1_check(case, other.signature)
    assert not v1_check(case, "not base64 DER")
    with pytest.raises(InvalidClaimsError) as caught:
        v1_check(case, case["signature"], nonce="123")
    assert (caught.value.field, caught.value.rule) == ("nonce", "format")


def test_defaults_are_a_fresh_nonce_and_the_current_time() -> None:
    signer = Signer.generate("ABC123DEFG")
    before = int(datetime.now(timezone.utc).timestamp() * 1000)
    first = signer.promotional_offer_v1("com.example.app", "com.example.monthly", "SAVE50")
    second = signer.promotional_offer_v1("com.example.app", "com.example.monthly", "SAVE50")
    assert first.nonce != second.nonce
    assert uuid.UUID(first.nonce).version == 4
    assert before <= first.timestamp_ms <= second.timestamp_ms
    token = signer.promotional_offer(
        "57246542-96fe-1a63-e053-0824d011072a", "com.example.app", "com.example.monthly", "SAVE50"
    )
    claims = jwt.decode(
        token, signer.public_key_pem(), algorithms=["ES256"], audience="promotional-offer"
    )
    assert uuid.UUID(claims["nonce"]).version == 4
    assert before // 1000 - 1 <= claims["iat"]
    assert "exp" not in claims and "transactionId" not in claims


def test_now_may_be_a_datetime_and_request_a_str() -> None:
    case = vector_of("advanced-commerce")
    given = case["input"]
    token = signer_for(case).advanced_commerce_request(
        given["issuer_id"],
        given["bundle_id"],
        given["request"],
        nonce=given["nonce"],
        now=datetime.fromtimestamp(case["now"], timezone.utc),
    )
    assert token == case["token"]


def test_wrong_python_types_are_type_errors() -> None:
    signer = Signer.generate("ABC123DEFG")
    issuer = "57246542-96fe-1a63-e053-0824d011072a"
    with pytest.raises(TypeError):
        signer.advanced_commerce_request(issuer, "com.example.app", {"a": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        signer.intro_offer_eligibility(
            issuer,
            "com.example.app",
            "p",
            "yes",  # type: ignore[arg-type]
            "1",
        )


def test_repr_shows_what_the_app_needs() -> None:
    case = vector_of("promotional-offer-v1")
    signed = sign_kind(signer_for(case), case["kind"], case["input"], None)
    assert isinstance(signed, PromotionalOfferV1Signature)
    assert repr(signed) == (
        f"PromotionalOfferV1Signature(signature='{case['signature']}', nonce='{case['nonce']}',"
        f" timestamp_ms={case['timestamp_ms']}, key_id='{case['key']['key_id']}')"
    )
