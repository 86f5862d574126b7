"""Every option left out takes the core's default, as core_defaults() reports it (read from the
core, never retyped here), and every bad number raises the core's InvalidOptionError."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import devtoken
from conftest import KEYS
from devtoken import (
    Claims,
    InvalidOptionError,
    ManualClock,
    MapsTokenProvider,
    Service,
    Signer,
    TokenProvider,
)

T0 = 1_700_000_000
TEAM = "DEF123GHIJ"
DEFAULTS = devtoken.core_defaults()


def test_core_defaults_names_every_option() -> None:
    assert set(DEFAULTS) == {
        "clock_skew_secs",
        "provider_margin_fraction",
        "provider_min_margin_secs",
        "provider_reuse_per_request_tokens",
        "apns_renew_after_secs",
        "device_check_renew_after_secs",
        "maps_margin_fraction",
        "maps_min_margin_secs",
        "connect_timeout_secs",
        "read_timeout_secs",
        "user_agent",
        "max_retries",
        "deadline_secs",
    }
    assert DEFAULTS["user_agent"] == f"devtoken/{devtoken.__version__}"
    assert devtoken.core_defaults() == DEFAULTS  # a fresh dict, the same values


def test_signer_clock_skew_defaults_to_the_core(tmp_path: Path) -> None:
    path = tmp_path / "AuthKey_ABC123DEFG.p8"
    shutil.copy(KEYS / "p256.pem", path)
    pem = path.read_text()
    for signer in (
        Signer.generate("ABC123DEFG"),
        Signer.from_pem(pem, "ABC123DEFG"),
        Signer.from_file(path),
        Signer.generate("ABC123DEFG", clock_skew=None),
    ):
        assert signer.clock_skew == DEFAULTS["clock_skew_secs"]
        token = signer.sign_token(Service.APNS, Claims(TEAM), now=T0)
        assert devtoken.decode_token(token)["claims"]["iat"] == T0 - DEFAULTS["clock_skew_secs"]
    assert Signer.generate("ABC123DEFG", clock_skew=0).clock_skew == 0
    assert Signer.from_file(path, clock_skew=7).clock_skew == 7
    assert Signer.generate("ABC123DEFG", clock_skew=timedelta(seconds=30)).clock_skew == 30


def test_token_provider_options_default_to_the_core() -> None:
    signer = Signer.generate("ABC123DEFG")
    provider = TokenProvider(signer, Service.APPLE_MUSIC, Claims(TEAM, ttl=3600))
    assert provider.options == {
        "margin_fraction": DEFAULTS["provider_margin_fraction"],
        "min_margin_secs": DEFAULTS["provider_min_margin_secs"],
        "renew_after_secs": None,  # the rule table's age
        "reuse_per_request_tokens": DEFAULTS["provider_reuse_per_request_tokens"],
        "aligned": None,  # the rule table's choice
    }
    given = TokenProvider(
        signer,
        Service.APNS,
        Claims(TEAM),
        margin_fraction=0.5,
        min_margin=10,
        renew_after=1500,
        reuse_per_request_tokens=True,
        aligned=False,
    )
    assert given.options == {
        "margin_fraction": 0.5,
        "min_margin_secs": 10,
        "renew_after_secs": 1500,
        "reuse_per_request_tokens": True,
        "aligned": False,
    }


@pytest.mark.parametrize(
    ("service", "renew_after"),
    [
        (Service.APNS, DEFAULTS["apns_renew_after_secs"]),
        (Service.DEVICE_CHECK, DEFAULTS["device_check_renew_after_secs"]),
    ],
)
def test_provider_tokens_renew_at_the_rule_tables_age(service: Service, renew_after: int) -> None:
    # A point of the aligned grid, whose period is the rule table's age.
    clock = ManualClock(T0 // renew_after * renew_after)
    provider = TokenProvider(Signer.generate("ABC123DEFG"), service, Claims(TEAM), clock=clock)
    first = provider.token()
    clock.advance(renew_after - 1)
    assert provider.token() == first
    clock.advance(1)
    assert provider.token() != first


def test_maps_provider_options_default_to_the_core() -> None:
    signer = Signer.generate("ABC123DEFG")
    maps = MapsTokenProvider(signer, Claims(TEAM))
    assert maps.options == {
        "margin_fraction": DEFAULTS["maps_margin_fraction"],
        "min_margin_secs": DEFAULTS["maps_min_margin_secs"],
        "base_url": None,
        "connect_timeout_secs": DEFAULTS["connect_timeout_secs"],
        "read_timeout_secs": DEFAULTS["read_timeout_secs"],
        "user_agent": DEFAULTS["user_agent"],
        "max_retries": DEFAULTS["max_retries"],
        "deadline_secs": DEFAULTS["deadline_secs"],
    }
    given = MapsTokenProvider(
        signer,
        Claims(TEAM),
        "http://127.0.0.1:9",
        margin_fraction=0.5,
        min_margin=10,
        connect_timeout=1.5,
        read_timeout=3,
        user_agent="test/1",
        max_retries=0,
        deadline=2.5,
    )
    assert given.options == {
        "margin_fraction": 0.5,
        "min_margin_secs": 10,
        "base_url": "http://127.0.0.1:9",
        "connect_timeout_secs": 1.5,
        "read_timeout_secs": 3.0,
        "user_agent": "test/1",
        "max_retries": 0,
        "deadline_secs": 2.5,
    }


def signer_with(**kwargs: Any) -> object:
    return Signer.generate("ABC123DEFG", **kwargs)


def provider_with(**kwargs: Any) -> object:
    return TokenProvider(Signer.generate("ABC123DEFG"), Service.APNS, Claims(TEAM), **kwargs)


def maps_with(**kwargs: Any) -> object:
    return MapsTokenProvider(Signer.generate("ABC123DEFG"), Claims(TEAM), **kwargs)


def probe_with(**kwargs: Any) -> object:
    # The options are checked before any request; the port is closed all the same.
    return devtoken.probe(Service.APPLE_MUSIC, "a.b.c", "http://127.0.0.1:9", **kwargs)


@pytest.mark.parametrize(
    ("make", "argument", "value", "field"),
    [
        (signer_with, "clock_skew", -1, "clock_skew_secs"),
        (signer_with, "clock_skew", -(2**62), "clock_skew_secs"),
        (provider_with, "min_margin", -1, "min_margin_secs"),
        (provider_with, "renew_after", -1, "renew_after_secs"),
        (provider_with, "margin_fraction", -0.5, "margin_fraction"),
        (provider_with, "margin_fraction", float("nan"), "margin_fraction"),
        (maps_with, "min_margin", -1, "min_margin_secs"),
        (maps_with, "connect_timeout", -1.0, "connect_timeout"),
        (maps_with, "read_timeout", float("inf"), "read_timeout"),
        (maps_with, "max_retries", -1, "max_retries"),
        (maps_with, "max_retries", 2**40, "max_retries"),
        (probe_with, "connect_timeout", -0.5, "connect_timeout"),
        (probe_with, "read_timeout", 0, "read_timeout"),
        (probe_with, "max_retries", -1, "max_retries"),
        (probe_with, "deadline", -1.0, "deadline"),
        (maps_with, "deadline", 0, "deadline"),
        (maps_with, "deadline", 86_400.0, "deadline"),
    ],
)
def test_bad_numbers_raise_the_cores_range_error(
    make: Callable[..., object], argument: str, value: float, field: str
) -> None:
    with pytest.raises(InvalidOptionError) as raised:
        make(**{argument: value})
    error = raised.value
    assert (error.kind, error.field, error.rule) == ("invalid_option", field, "range")
