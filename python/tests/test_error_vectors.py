"""The cross-language error contract (tests/vectors/errors.json) from Python: every bad input
raises the exception class of the core's kind, with the core's kind, field and rule (and message,
where the file gives one). Each op runs as tests/error_vectors.rs runs it in Rust."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import devtoken
from conftest import ERRORS, KEYS, VECTORS
from devtoken import (
    AppleRejectedError,
    Claims,
    InvalidClaimsError,
    InvalidKeyError,
    InvalidOptionError,
    MalformedResponseError,
    MalformedTokenError,
    ManualClock,
    MapsTokenProvider,
    NetworkError,
    QuotaExceededError,
    RefreshTooSoonError,
    Service,
    SignatureError,
    Signer,
    TokenError,
    TokenProvider,
)

NOW = 1_700_000_000
LOAD_KEY_ID = "VEC0KEY001"
# A probe must never reach Apple from a test: a closed loopback port.
CLOSED_PORT = "http://127.0.0.1:9"

CLASSES: dict[str, type[Exception]] = {
    "invalid_key": InvalidKeyError,
    "invalid_claim": InvalidClaimsError,
    "malformed_token": MalformedTokenError,
    "bad_signature": SignatureError,
    "invalid_option": InvalidOptionError,
    "refresh_too_soon": RefreshTooSoonError,
    "apple_rejected": AppleRejectedError,
    "quota_exceeded": QuotaExceededError,
    "network": NetworkError,
    "malformed_response": MalformedResponseError,
    "io": OSError,
}

CASES: list[dict[str, Any]] = ERRORS["cases"]


def vector_signer(key_id: str | None = None) -> Signer:
    key = VECTORS["key"]
    return Signer.from_pem(key["pem"], key_id or key["key_id"])


def network(given: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of the network options a case gives (Python takes seconds)."""
    kwargs: dict[str, Any] = {"base_url": CLOSED_PORT}
    for name in ("connect_timeout", "read_timeout"):
        if f"{name}_ms" in given:
            kwargs[name] = given[f"{name}_ms"] / 1000
    for name in ("max_retries", "extra_ca_pem"):
        if name in given:
            kwargs[name] = given[name]
    return kwargs


def margins(given: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments of the provider options a case gives (Python's names)."""
    names = {
        "margin_fraction": "margin_fraction",
        "min_margin_secs": "min_margin",
        "renew_after_secs": "renew_after",
    }
    return {names[name]: value for name, value in given.items()}


def run(case: dict[str, Any]) -> None:
    """Runs the case's operation, which must raise."""
    op = case["op"]
    if op == "sign":
        vector_signer(case.get("key_id")).sign_token(
            Service(case["service"]), Claims(**case["claims"]), now=case["now"]
        )
    elif op == "load_key":
        pem = (KEYS / case["key_file"]).read_text() if "key_file" in case else case["pem"]
        Signer.from_pem(pem, LOAD_KEY_ID)
    elif op == "signer":
        Signer.from_pem(
            VECTORS["key"]["pem"],
            case.get("key_id", LOAD_KEY_ID),
            clock_skew=case.get("clock_skew_secs"),
        )
    elif op == "decode":
        devtoken.decode_token(case["token"])
    elif op == "verify":
        public_key = case.get("public_key_pem") or vector_signer().public_key_pem()
        devtoken.verify_token(case["token"], public_key)
    elif op == "provider":
        TokenProvider(
            vector_signer(),
            Service(case["service"]),
            Claims(**case["claims"]),
            clock=ManualClock(NOW),
            **margins(case["options"]),
        )
    elif op == "maps_provider":
        MapsTokenProvider(
            vector_signer(),
            Claims(**case["claims"]),
            clock=ManualClock(NOW),
            **margins(case["options"]),
            **network(case["network"]),
        )
    elif op == "oauth_provider":
        devtoken.OAuthTokenProvider(
            vector_signer(case.get("key_id")),
            Service(case["service"]),
            case["client_id"],
            case.get("team_id"),
            clock=ManualClock(NOW),
            **margins(case["options"]),
            **network(case["network"]),
        )
    elif op == "probe":
        devtoken.probe(Service(case["service"]), case["token"], **network(case["network"]))
    elif op == "duration":
        given = timedelta(seconds=case["seconds"], microseconds=case["nanos"] // 1000)
        if case["input"] == "ttl":
            Claims(issuer="DEF123GHIJ", ttl=given)
        elif case["input"] == "clock_skew":
            Signer.from_pem(VECTORS["key"]["pem"], LOAD_KEY_ID, clock_skew=given)
        elif case["input"] == "min_margin":
            TokenProvider(
                vector_signer(),
                Service.APPLE_MUSIC,
                Claims(issuer="DEF123GHIJ"),
                clock=ManualClock(NOW),
                min_margin=given,
            )
        else:
            raise AssertionError(f"unknown duration input {case['input']}")
    else:
        raise AssertionError(f"unknown op {op}")


def test_the_contract_covers_every_op_and_many_inputs() -> None:
    assert len(CASES) >= 40
    ops = {case["op"] for case in CASES}
    assert ops == {
        "sign",
        "load_key",
        "signer",
        "decode",
        "verify",
        "provider",
        "maps_provider",
        "oauth_provider",
        "probe",
        "duration",
    }


def codes(error: BaseException) -> tuple[str, str | None, str | None]:
    """kind, field and rule, which every raised devtoken exception carries (OSError too)."""
    attributes = vars(error)
    return attributes["kind"], attributes["field"], attributes["rule"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_error_vector(case: dict[str, Any]) -> None:
    expect = case["expect"]
    with pytest.raises((TokenError, OSError)) as raised:
        run(case)
    error = raised.value
    assert type(error) is CLASSES[expect["kind"]], f"{type(error).__name__}: {error}"
    assert codes(error) == (expect["kind"], expect["field"], expect["rule"]), str(error)
    if "message" in expect:
        assert str(error) == expect["message"]


def test_io_errors_carry_the_codes_too(tmp_path: Path) -> None:
    with pytest.raises(OSError) as raised:
        Signer.from_file(tmp_path / "AuthKey_ABC123DEFG.p8")
    assert type(raised.value) is CLASSES["io"]
    assert codes(raised.value) == ("io", None, None)
