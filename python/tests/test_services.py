"""Every service signs a token that PyJWT + cryptography (independent of devtoken) verify."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import devtoken
from conftest import VECTORS
from devtoken import Claims, Service, Signer

TEAM = "DEF123GHIJ"
ISSUER = "57246542-96fe-1a63-e053-0824d011072a"
UUID_KEY_ID = "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b"
SCHOOL = f"SCHOOLAPI.{ISSUER}"
BUSINESS = f"BUSINESSAPI.{ISSUER}"
ADS = f"SEARCHADS.{ISSUER}"
OAUTH_SERVICES = (Service.SCHOOL_MANAGER, Service.BUSINESS_MANAGER, Service.APPLE_ADS)

# Claims each service accepts and the exact header and payload members it must produce
# (besides alg/kid and iat/exp, which are checked for every service).
CASES: dict[Service, tuple[Claims, dict[str, Any], dict[str, Any]]] = {
    Service.MAPS: (
        Claims(issuer=TEAM, ttl=1800, origins="https://*.example.com", scope="server_api"),
        {"typ": "JWT"},
        {"iss": TEAM, "origin": "https://*.example.com", "scope": "server_api"},
    ),
    Service.APPLE_MUSIC: (
        Claims(issuer=TEAM, ttl=3600, origins=["https://example.com", "https://music.example.com"]),
        {},
        {"iss": TEAM, "origin": ["https://example.com", "https://music.example.com"]},
    ),
    Service.APP_STORE_SERVER: (
        Claims(issuer=ISSUER, ttl=1800, bundle_id="com.example.app"),
        {"typ": "JWT"},
        {"iss": ISSUER, "aud": "appstoreconnect-v1", "bid": "com.example.app"},
    ),
    Service.EXTERNAL_PURCHASE_SERVER: (
        Claims(issuer=ISSUER, ttl=3600, bundle_id="com.example.app"),
        {"typ": "JWT"},
        {"iss": ISSUER, "aud": "appstoreconnect-v1", "bid": "com.example.app"},
    ),
    Service.APPS_AND_BOOKS: (Claims(issuer=TEAM, ttl=3600), {}, {"iss": TEAM}),
    Service.APP_STORE_CONNECT: (
        Claims(issuer=ISSUER, ttl=1200),
        {"typ": "JWT"},
        {"iss": ISSUER, "aud": "appstoreconnect-v1"},
    ),
    Service.ENTERPRISE_PROGRAM: (
        Claims(issuer=ISSUER, ttl=1200),
        {"typ": "JWT"},
        {"iss": ISSUER, "aud": "apple-developer-enterprise-v1"},
    ),
    Service.WEATHERKIT: (
        Claims(issuer=TEAM, ttl=3600, subject="com.example.weatherkit-client"),
        {"id": f"{TEAM}.com.example.weatherkit-client"},
        {"iss": TEAM, "sub": "com.example.weatherkit-client"},
    ),
    Service.SIGN_IN_WITH_APPLE: (
        Claims(issuer=TEAM, ttl=86400, subject="com.example.web"),
        {},
        {"iss": TEAM, "aud": "https://appleid.apple.com", "sub": "com.example.web"},
    ),
    Service.APNS: (Claims(issuer=TEAM), {}, {"iss": TEAM}),
    Service.DEVICE_CHECK: (Claims(issuer=TEAM), {}, {"iss": TEAM}),
    Service.SCHOOL_MANAGER: (
        Claims(issuer=SCHOOL, ttl=86400, jwt_id="jti-1"),
        {},
        {
            "iss": SCHOOL,
            "sub": SCHOOL,
            "aud": "https://account.apple.com/auth/oauth2/v2/token",
            "jti": "jti-1",
        },
    ),
    Service.BUSINESS_MANAGER: (
        Claims(issuer=BUSINESS, ttl=15552000, jwt_id="jti-2"),
        {},
        {
            "iss": BUSINESS,
            "sub": BUSINESS,
            "aud": "https://account.apple.com/auth/oauth2/v2/token",
            "jti": "jti-2",
        },
    ),
    Service.APPLE_ADS: (
        Claims(issuer=ADS, subject=ADS, ttl=86400),
        {},
        {"iss": ADS, "sub": ADS, "aud": "https://appleid.apple.com"},
    ),
}


def test_every_service_is_covered() -> None:
    assert set(CASES) == set(Service)
    assert [s.value for s in Service] == devtoken.service_names()


@pytest.mark.parametrize("service", list(Service), ids=lambda s: s.value)
def test_pyjwt_verifies(service: Service) -> None:
    key_id = UUID_KEY_ID if service in OAUTH_SERVICES else "ABC123DEFG"
    signer = Signer.generate(key_id)
    claims, header_extra, payload_extra = CASES[service]
    before = int(time.time())
    token = signer.sign_token(service, claims)
    after = int(time.time())

    public_key = serialization.load_pem_public_key(signer.public_key_pem().encode())
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    payload = jwt.decode(
        token,
        public_key,
        algorithms=["ES256"],
        options={"verify_aud": False, "require": ["iat"]},
    )
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "kid": key_id, **header_extra}

    iat = payload.pop("iat")
    skew = devtoken.core_defaults()["clock_skew_secs"]
    assert before - skew <= iat <= after - skew  # back-dated by the default clock skew
    exp = payload.pop("exp", None)
    if service in (Service.APNS, Service.DEVICE_CHECK):
        assert exp is None
    else:
        assert exp - iat == claims.ttl
    assert payload == payload_extra


def test_apple_test_key_from_shared_fixtures() -> None:
    from conftest import APPLE_TEST_KEY

    if not APPLE_TEST_KEY.exists():
        pytest.skip("../shared is not beside this checkout")
    signer = Signer.from_file(APPLE_TEST_KEY, key_id="ABC123DEFG")
    token = signer.sign_token(
        Service.APP_STORE_SERVER, Claims(issuer=ISSUER, bundle_id="com.example.app")
    )
    private_key = serialization.load_pem_private_key(APPLE_TEST_KEY.read_bytes(), password=None)
    assert isinstance(private_key, ec.EllipticCurvePrivateKey)
    claims = jwt.decode(
        token, private_key.public_key(), algorithms=["ES256"], audience="appstoreconnect-v1"
    )
    assert claims["bid"] == "com.example.app"


def test_vector_key_public_pem_matches_cryptography() -> None:
    key = VECTORS["key"]
    signer = Signer.from_pem(key["pem"], key["key_id"])
    private_key = serialization.load_pem_private_key(key["pem"].encode(), password=None)
    expected = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert signer.public_key_pem() == expected.decode()


def test_verify_and_decode() -> None:
    signer = Signer.generate("ABC123DEFG")
    token = signer.sign_token(Service.APPLE_MUSIC, Claims(issuer=TEAM))
    verified = devtoken.verify_token(token, signer.public_key_pem())
    assert verified == devtoken.decode_token(token)
    assert verified["header"]["kid"] == "ABC123DEFG"
    assert devtoken.verify_token(token, signer.public_key_pem().encode()) == verified
    other = Signer.generate("ABC123DEFG")
    with pytest.raises(devtoken.SignatureError, match="does not match"):
        devtoken.verify_token(token, other.public_key_pem())
    with pytest.raises(devtoken.MalformedTokenError, match="3 dot-separated parts"):
        devtoken.verify_token("abc.def", signer.public_key_pem())


def test_inspect_token_findings() -> None:
    signer = Signer.generate("ABC123DEFG")
    claims = Claims(issuer=TEAM, issued_at=1_700_000_000, ttl=3600)
    token = signer.sign_token(Service.APPLE_MUSIC, claims, now=1_700_000_000)
    findings = devtoken.inspect_token(token, Service.APPLE_MUSIC, now=1_700_000_000 + 7200)
    errors = [f for f in findings if f.level == "error"]
    assert [f.code for f in errors] == ["expired"]
    assert "expired 3600 s ago" in errors[0].message
    assert str(errors[0]).startswith("error[expired]: ")
    checked = devtoken.inspect_token(
        token, "apple-music", signer.public_key_pem(), now=1_700_000_000
    )
    assert any(f.code == "signature_ok" for f in checked)
    assert not any(f.level == "error" for f in checked)
    hs256 = jwt.encode({"iss": TEAM}, "a-secret-of-at-least-32-bytes!!!", algorithm="HS256")
    codes = {f.code for f in devtoken.inspect_token(hs256, Service.APPLE_MUSIC)}
    assert {"alg", "kid_missing", "iat_missing", "exp_missing"} <= codes


def test_lifetime_warnings_are_the_cores_field_warning() -> None:
    signer = Signer.generate("ABC123DEFG")
    now = 1_700_000_000

    def music(days: int) -> str:
        claims = Claims(issuer=TEAM, issued_at=now, ttl=days * 86_400)
        return signer.sign_token(Service.APPLE_MUSIC, claims, now=now)

    assert devtoken.lifetime_warnings(music(180), Service.APPLE_MUSIC) == []
    warnings = devtoken.lifetime_warnings(music(182), "apple-music")
    assert [(f.level, f.code) for f in warnings] == [("warning", "lifetime_over_field_limit")]
    # The same finding inspect_token reports for that token.
    inspected = devtoken.inspect_token(music(182), Service.APPLE_MUSIC, now=now)
    assert warnings[0] in inspected
    with pytest.raises(devtoken.MalformedTokenError):
        devtoken.lifetime_warnings("not-a-token", Service.APPLE_MUSIC)
