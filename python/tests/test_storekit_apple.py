"""devtoken's StoreKit signatures against Apple's own App Store Server Library
(`app-store-server-library` from PyPI): the same inputs give what Apple's creators give.

V1: the string Apple's creator signs is ours, our signature verifies over it with
`cryptography`, and Apple's signature verifies with devtoken's V1 check. JWS kinds: Apple's token
and ours have the same header and the same claims apart from `nonce` and `iat` (fresh in Apple's),
and ours verify with PyJWT."""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import jwt
import pytest
from appstoreserverlibrary.jws_signature_creator import (
    AdvancedCommerceAPIInAppSignatureCreator,
    IntroductoryOfferEligibilitySignatureCreator,
    PromotionalOfferV2SignatureCreator,
)
from appstoreserverlibrary.models.AdvancedCommerceOneTimeChargeCreateRequest import (
    AdvancedCommerceOneTimeChargeCreateRequest,
)
from appstoreserverlibrary.models.AdvancedCommerceOneTimeChargeItem import (
    AdvancedCommerceOneTimeChargeItem,
)
from appstoreserverlibrary.models.AdvancedCommerceRequestInfo import AdvancedCommerceRequestInfo
from appstoreserverlibrary.promotional_offer import PromotionalOfferSignatureCreator
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import STOREKIT
from devtoken import Signer, verify_promotional_offer_v1

KEY = STOREKIT[0]["key"]
PEM: bytes = KEY["pem"].encode()
KEY_ID: str = KEY["key_id"]
ISSUER = "57246542-96fe-1a63-e053-0824d011072a"
BUNDLE = "com.example.app"


def public_key() -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_public_key(Signer.from_pem(PEM, KEY_ID).public_key_pem().encode())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


class RecordingKey:
    """Stands in for the key inside Apple's V1 creator: records what it is asked to sign."""

    def __init__(self, key: Any) -> None:
        self.key = key
        self.signed: list[bytes] = []

    def sign(self, data: bytes, algorithm: ec.ECDSA) -> bytes:
        self.signed.append(data)
        signature: bytes = self.key.sign(data, algorithm)
        return signature


V1_INPUTS = [
    ("com.example.monthly", "SAVE50", "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D"),
    ("com.example.yearly", "WINBACK", ""),
    ("com.example.weekly", "ÉTÉ-2026", "user@Example.COM"),
]


@pytest.mark.parametrize(("product", "offer", "username"), V1_INPUTS)
def test_v1_matches_apples_promotional_offer_signature_creator(
    product: str, offer: str, username: str
) -> None:
    nonce = uuid.UUID("3D5F7A9B-2C4E-4F60-9182-A3B4C5D6E7F8")
    timestamp = 1_700_000_000_123
    apple = PromotionalOfferSignatureCreator(PEM, KEY_ID, BUNDLE)
    recorder = RecordingKey(apple._signing_key)
    apple._signing_key = recorder  # type: ignore[assignment]
    apple_signature = apple.create_signature(product, offer, username, nonce, timestamp)
    (apple_signed,) = recorder.signed

    ours = Signer.from_pem(PEM, KEY_ID).promotional_offer_v1(
        BUNDLE,
        product,
        offer,
        application_username=username,
        nonce=str(nonce).upper(),
        timestamp_ms=timestamp,
    )
    assert (ours.nonce, ours.timestamp_ms, ours.key_id) == (str(nonce), timestamp, KEY_ID)

    # The same string is signed, and each signature verifies over it.
    key = public_key()
    key.verify(base64.b64decode(ours.signature), apple_signed, ec.ECDSA(hashes.SHA256()))
    key.verify(base64.b64decode(apple_signature), apple_signed, ec.ECDSA(hashes.SHA256()))

    def devtoken_check(timestamp_ms: int) -> bool:
        return verify_promotional_offer_v1(
            PEM,
            apple_signature,
            key_id=KEY_ID,
            bundle_id=BUNDLE,
            product_id=product,
            offer_id=offer,
            nonce=str(nonce),
            timestamp_ms=timestamp_ms,
            application_username=username,
        )

    assert devtoken_check(timestamp)
    # ... and for the string Apple signs, not another: one changed field fails the check.
    assert not devtoken_check(timestamp + 1)


def decoded(token: str, audience: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims, the signature checked by PyJWT."""
    claims = jwt.decode(token, public_key(), algorithms=["ES256"], audience=audience)
    return jwt.get_unverified_header(token), claims


def assert_same_apart_from_nonce_and_iat(apple: str, ours: str, audience: str) -> None:
    apple_header, apple_claims = decoded(apple, audience)
    our_header, our_claims = decoded(ours, audience)
    assert our_header == apple_header
    for claims in (apple_claims, our_claims):
        assert uuid.UUID(claims.pop("nonce")).version == 4
        assert abs(claims.pop("iat") - time.time()) < 120
    assert our_claims == apple_claims


@pytest.mark.parametrize("transaction_id", ["2000000123456789", None])
def test_promotional_offer_v2_matches_apple(transaction_id: str | None) -> None:
    apple = PromotionalOfferV2SignatureCreator(PEM, KEY_ID, ISSUER, BUNDLE).create_signature(
        "com.example.monthly", "SAVE50", transaction_id
    )
    ours = Signer.from_pem(PEM, KEY_ID).promotional_offer(
        ISSUER, BUNDLE, "com.example.monthly", "SAVE50", transaction_id=transaction_id
    )
    assert_same_apart_from_nonce_and_iat(apple, ours, "promotional-offer")


@pytest.mark.parametrize("allow", [True, False])
def test_intro_offer_eligibility_matches_apple(allow: bool) -> None:
    creator = IntroductoryOfferEligibilitySignatureCreator(PEM, KEY_ID, ISSUER, BUNDLE)
    apple = creator.create_signature("com.example.monthly", allow, "2000000123456789")
    ours = Signer.from_pem(PEM, KEY_ID).intro_offer_eligibility(
        ISSUER, BUNDLE, "com.example.monthly", allow, "2000000123456789"
    )
    assert_same_apart_from_nonce_and_iat(apple, ours, "introductory-offer-eligibility")


def test_advanced_commerce_request_matches_apple() -> None:
    request = AdvancedCommerceOneTimeChargeCreateRequest(
        requestInfo=AdvancedCommerceRequestInfo(
            requestReferenceId=uuid.UUID("a1b2c3d4-0000-4000-8000-000000000001")
        ),
        currency="USD",
        item=AdvancedCommerceOneTimeChargeItem(
            SKU="com.example.sku", description="A thing", displayName="Thing", price=4990
        ),
        taxCode="C003-00-2",
    )
    creator = AdvancedCommerceAPIInAppSignatureCreator(PEM, KEY_ID, ISSUER, BUNDLE)
    apple = creator.create_signature(request)
    # The request's JSON exactly as Apple's library serialized it, given to devtoken as bytes.
    _, apple_claims = decoded(apple, "advanced-commerce-api")
    request_json = base64.b64decode(apple_claims["request"], validate=True)
    assert b'"operation": "CREATE_ONE_TIME_CHARGE"' in request_json
    ours = Signer.from_pem(PEM, KEY_ID).advanced_commerce_request(ISSUER, BUNDLE, request_json)
    assert_same_apart_from_nonce_and_iat(apple, ours, "advanced-commerce-api")
