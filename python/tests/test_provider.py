"""TokenProvider from Python: the same reuse rules as the core, checked with a manual clock."""

from __future__ import annotations

import threading

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from devtoken import (
    Claims,
    InvalidClaimsError,
    InvalidOptionError,
    ManualClock,
    RefreshTooSoonError,
    Service,
    Signer,
    TokenProvider,
    core_defaults,
)

T0 = 1_700_000_000
TEAM = "DEF123GHIJ"
ISSUER = "57246542-96fe-1a63-e053-0824d011072a"
DEFAULTS = core_defaults()


def test_long_lived_token_is_reused_until_the_margin() -> None:
    clock = ManualClock(T0)
    skew = DEFAULTS["clock_skew_secs"]
    music = TokenProvider(
        Signer.generate("ABC123DEFG"), Service.APPLE_MUSIC, Claims(TEAM, ttl=3600), clock=clock
    )
    first = music.token()
    exp = T0 - skew + 3600
    margin = int(
        max(3600 * DEFAULTS["provider_margin_fraction"], DEFAULTS["provider_min_margin_secs"])
    )
    assert music.expires_at() == exp
    clock.set(exp - margin - 1)
    assert music.token() == first
    assert music.seconds_left() == margin + 1
    clock.set(exp - margin)
    assert music.token() != first
    assert music.signature_count == 2
    assert music.claims is not None and music.claims["iat"] == exp - margin - skew


def test_app_store_server_is_per_call_unless_reuse_is_asked_for() -> None:
    clock = ManualClock(T0)
    claims = Claims(ISSUER, bundle_id="com.example.app")
    per_call = TokenProvider(
        Signer.generate("ABC123DEFG"), Service.APP_STORE_SERVER, claims, clock=clock
    )
    a = per_call.token()
    clock.advance(1)
    assert per_call.token() != a
    assert per_call.signature_count == 2
    reused = TokenProvider(
        Signer.generate("ABC123DEFG"),
        Service.APP_STORE_SERVER,
        claims,
        clock=clock,
        reuse_per_request_tokens=True,
    )
    first = reused.token()
    clock.advance(60)
    assert reused.token() == first


def test_apns_forty_minutes_and_twenty_minute_floor() -> None:
    clock = ManualClock(T0)
    apns = TokenProvider(Signer.generate("ABC123DEFG"), Service.APNS, Claims(TEAM), clock=clock)
    first = apns.token()
    clock.advance(DEFAULTS["apns_renew_after_secs"] - 1)
    assert apns.token() == first
    clock.advance(1)
    second = apns.token()
    assert second != first
    clock.advance(19 * 60)
    with pytest.raises(RefreshTooSoonError, match="at most every 1200 s") as raised:
        apns.force_refresh()
    assert raised.value.wait_secs == 60
    assert (raised.value.kind, raised.value.field, raised.value.rule) == (
        "refresh_too_soon",
        None,
        None,
    )
    clock.advance(60)
    assert apns.force_refresh() != second
    with pytest.raises(InvalidOptionError, match="renew_after") as invalid:
        TokenProvider(Signer.generate("ABC123DEFG"), Service.APNS, Claims(TEAM), renew_after=600)
    assert (invalid.value.field, invalid.value.rule) == ("renew_after_secs", "range")


def test_template_is_checked_up_front() -> None:
    signer = Signer.generate("ABC123DEFG")
    with pytest.raises(InvalidClaimsError) as raised:
        TokenProvider(signer, Service.APP_STORE_SERVER, Claims(ISSUER))
    assert raised.value.field == "bid"
    with pytest.raises(InvalidOptionError, match="issued_at") as invalid:
        TokenProvider(signer, Service.APPLE_MUSIC, Claims(TEAM, issued_at=T0))
    assert (invalid.value.field, invalid.value.rule) == ("claims", "conflict")


def test_sixteen_threads_across_a_renewal_share_one_signature() -> None:
    signer = Signer.generate("ABC123DEFG")
    public_key = serialization.load_pem_public_key(signer.public_key_pem().encode())
    clock = ManualClock(T0)
    provider = TokenProvider(signer, Service.APPLE_MUSIC, Claims(TEAM, ttl=3600), clock=clock)
    provider.token()
    clock.set(T0 + 2700)  # past the renewal point, the old token still valid
    barrier = threading.Barrier(16)
    results: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        tokens = [provider.token() for _ in range(50)]
        with lock:
            results.extend(tokens)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert provider.signature_count == 2
    assert len(set(results)) <= 2
    for token in set(results):
        claims = jwt.decode(token, public_key, algorithms=["ES256"], options={"verify_exp": False})  # type: ignore[arg-type]
        assert claims["exp"] > clock.now()


def test_system_clock_provider_hands_out_valid_tokens() -> None:
    signer = Signer.generate("ABC123DEFG")
    provider = TokenProvider(signer, Service.MAPS, Claims(TEAM, ttl=1800, scope="server_api"))
    token = provider.token()
    assert provider.token() == token
    public_key = serialization.load_pem_public_key(signer.public_key_pem().encode())
    claims = jwt.decode(token, public_key, algorithms=["ES256"])  # type: ignore[arg-type]
    assert claims["scope"] == "server_api"
    assert repr(provider) == "TokenProvider(service='maps')"
