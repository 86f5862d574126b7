"""Keys in every pasted form, precise errors, no key material in text, Claims conversions."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import devtoken
from conftest import KEYS, VECTORS
from devtoken import Claims, InvalidClaimsError, InvalidKeyError, Service, Signer


def key_body(pem: str) -> list[str]:
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def test_pem_with_literal_newline_escapes_loads(vector_pem: str) -> None:
    escaped = vector_pem.replace("\n", "\\n")  # as an environment variable holds it
    a = Signer.from_pem(escaped, "ABC123DEFG")
    b = Signer.from_pem(vector_pem.encode(), "ABC123DEFG")
    c = Signer.from_pem("  " + vector_pem.replace("\n", "\r\n") + "\r\n", "ABC123DEFG")
    d = Signer.from_pem(vector_pem.replace("\n", " "), "ABC123DEFG")
    assert a.public_key_pem() == b.public_key_pem() == c.public_key_pem() == d.public_key_pem()


def test_der_bytes_load() -> None:
    der = (KEYS / "p256.der").read_bytes()
    pem = (KEYS / "p256.pem").read_text()
    assert (
        Signer.from_pem(der, "ABC123DEFG").public_key_pem()
        == Signer.from_pem(pem, "ABC123DEFG").public_key_pem()
    )


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("p256-encrypted.pem", "encrypted"),
        ("p256-sec1-encrypted.pem", "encrypted"),
        ("p256-public.pem", "public key"),
        ("p256-cert.pem", "certificate"),
        ("p384.pem", "P-384"),
        ("secp256k1.pem", "secp256k1"),
        ("rsa.pem", "RSA"),
        ("rsa-traditional.pem", "RSA"),
        ("ed25519.pem", "Ed25519"),
    ],
)
def test_wrong_keys_raise_invalid_key_error(name: str, words: str) -> None:
    with pytest.raises(InvalidKeyError, match=words):
        Signer.from_pem((KEYS / name).read_text(), "ABC123DEFG")


def test_garbage_and_truncated_keys() -> None:
    pem = (KEYS / "p256.pem").read_text()
    for text in ["", "hello", pem[: len(pem) // 2], pem.replace("-----END PRIVATE KEY-----", "")]:
        with pytest.raises(InvalidKeyError) as raised:
            Signer.from_pem(text, "ABC123DEFG")
        message = str(raised.value)
        assert all(
            chunk not in message for line in key_body(pem) for chunk in (line[:12], line[-12:])
        )
    with pytest.raises(TypeError):
        Signer.from_pem(123, "ABC123DEFG")  # type: ignore[arg-type]


def test_key_id_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "AuthKey_ABC123DEFG.p8"
    shutil.copy(KEYS / "p256.pem", path)
    assert Signer.from_file(path).key_id == "ABC123DEFG"
    assert Signer.from_file(str(path), key_id="ABC123DEFG").key_id == "ABC123DEFG"
    with pytest.raises(InvalidClaimsError, match="does not match the file name") as raised:
        Signer.from_file(path, key_id="ZZZ999ZZZZ")
    assert raised.value.field == "kid"
    with pytest.raises(InvalidClaimsError, match="kid is required"):
        Signer.from_file(KEYS / "p256.pem")
    with pytest.raises(OSError):
        Signer.from_file(tmp_path / "AuthKey_NOPE000000.p8")


def test_bad_key_id() -> None:
    with pytest.raises(InvalidClaimsError, match="not a key id") as raised:
        Signer.generate("ABC-123")
    assert (raised.value.field, raised.value.rule) == ("kid", "format")
    # A UUID key id (Apple Ads, School and Business Manager keys) is refused only where a
    # service wants the 10-character id.
    uuid_signer = Signer.generate("57246542-96fe-1a63-e053-0824d011072a")
    with pytest.raises(InvalidClaimsError, match="is a UUID") as music:
        uuid_signer.sign_token(devtoken.Service.APPLE_MUSIC, devtoken.Claims(issuer="DEF123GHIJ"))
    assert (music.value.field, music.value.rule) == ("kid", "format")


def test_repr_and_errors_hide_the_key(vector_pem: str) -> None:
    signer = Signer.from_pem(vector_pem, "ABC123DEFG")
    assert repr(signer) == "Signer(key_id='ABC123DEFG')"
    text = repr(signer) + str(signer) + repr(signer.__class__)
    for line in key_body(vector_pem):
        assert line[:12] not in text


def test_exception_hierarchy() -> None:
    for cls in (
        devtoken.InvalidKeyError,
        devtoken.InvalidClaimsError,
        devtoken.MalformedTokenError,
        devtoken.SignatureError,
    ):
        assert issubclass(cls, devtoken.TokenError)
    assert issubclass(devtoken.TokenError, Exception)


def test_unsupported_claim_names_field_and_service() -> None:
    signer = Signer.generate("ABC123DEFG")
    with pytest.raises(InvalidClaimsError) as raised:
        signer.sign_token(Service.APPLE_MUSIC, Claims(issuer="DEF123GHIJ", bundle_id="com.x.y"))
    assert (raised.value.field, raised.value.rule) == ("bid", "unsupported_claim")
    assert "Apple Music API" in str(raised.value)


def test_claims_accept_datetime_and_timedelta() -> None:
    at = datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc)  # 1_700_000_000
    claims = Claims(issuer="DEF123GHIJ", issued_at=at, expires_at=at + timedelta(hours=1))
    assert (claims.issued_at, claims.expires_at) == (1_700_000_000, 1_700_003_600)
    assert Claims(issuer="DEF123GHIJ", ttl=timedelta(minutes=30)).ttl == 1800
    with pytest.raises(ValueError, match="naive datetime"):
        Claims(issued_at=datetime(2023, 1, 1))
    # Whole seconds are the core's rule: the same error as a Swift Duration of 1.5 s.
    with pytest.raises(InvalidClaimsError) as fraction:
        Claims(ttl=timedelta(seconds=1.5))
    assert (fraction.value.kind, fraction.value.field, fraction.value.rule) == (
        "invalid_claim",
        "exp",
        "whole_seconds",
    )
    assert Claims(ttl=timedelta(seconds=-2)).ttl == -2  # its range is checked when signing
    with pytest.raises(TypeError, match="not bool"):
        Claims(ttl=True)
    with pytest.raises(TypeError):
        Claims(issued_at="2023-01-01")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Claims(issuer="DEF123GHIJ", bogus=1)  # type: ignore[call-arg]


def test_claims_repr_equality_and_lists() -> None:
    a = Claims(issuer="DEF123GHIJ", ttl=1800, origins="https://example.com", scope=["server_api"])
    b = Claims("DEF123GHIJ", ttl=1800, origins=["https://example.com"], scope="server_api")
    assert a == b and hash(a) == hash(b)
    assert a != Claims(issuer="DEF123GHIJ")
    assert repr(a) == (
        "Claims(issuer='DEF123GHIJ', ttl=1800, "
        "origins=['https://example.com'], scope=['server_api'])"
    )
    assert a.origins == ["https://example.com"] and a.bundle_id is None


def test_service_accepts_names_and_rejects_unknown() -> None:
    signer = Signer.generate("ABC123DEFG")
    claims = Claims(issuer="DEF123GHIJ")
    assert signer.sign_token("apns", claims, now=1_700_000_000) == signer.sign_token(
        Service.APNS, claims, now=1_700_000_000
    )
    with pytest.raises(ValueError, match="apple-music"):
        signer.sign_token("music", claims)
    assert str(Service.APPLE_MUSIC) == "apple-music"
    assert Service("app-store-server") is Service.APP_STORE_SERVER


def test_vectors_file_is_the_shared_one() -> None:
    assert len(VECTORS["tokens"]) >= len(Service)
