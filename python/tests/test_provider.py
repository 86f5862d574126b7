"""TokenProvider from Python: the same reuse rules as the core, checked with a manual clock."""

from __future__ import annotations

import threading
from collections.abc import Callable

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
    generate_private_key_pem,
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


# A point of APNs' 40-minute grid: an aligned provider started there renews 40 minutes on.
GRID_T0 = 1_699_999_200


def test_apns_forty_minutes_and_twenty_minute_floor() -> None:
    clock = ManualClock(GRID_T0)
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


def run_threads(count: int, work: Callable[[], list[str]]) -> list[str]:
    """Every result of ``work`` run on ``count`` threads released together; a failure in any
    thread fails the test."""
    barrier = threading.Barrier(count)
    results: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            tokens = work()
        except BaseException as error:  # noqa: BLE001
            with lock:
                failures.append(error)
            return
        with lock:
            results.extend(tokens)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return results


def test_sixteen_threads_across_a_renewal_share_one_signature() -> None:
    """One signature per renewal; during it only the old (still valid) or the new token; once
    it is over, the new token for every caller. Which threads saw the old token is up to the
    scheduler (stale-while-revalidate), so it is not asserted."""
    signer = Signer.generate("ABC123DEFG")
    public_key = serialization.load_pem_public_key(signer.public_key_pem().encode())

    def exp(token: str) -> int:
        claims = jwt.decode(
            token,
            public_key,  # type: ignore[arg-type]
            algorithms=["ES256"],
            options={"verify_exp": False},
        )
        return int(claims["exp"])

    clock = ManualClock(T0)
    provider = TokenProvider(signer, Service.APPLE_MUSIC, Claims(TEAM, ttl=3600), clock=clock)
    old = provider.token()
    for round_ in (1, 2, 3):
        clock.set(T0 + round_ * 2700)  # past the renewal point, the old token still valid
        assert exp(old) > clock.now()
        results = run_threads(16, lambda: [provider.token() for _ in range(50)])
        assert len(results) == 16 * 50
        assert provider.signature_count == 1 + round_, "one signature however many threads ask"
        # All threads joined: the renewal is over and every caller gets the new token.
        renewed = provider.token()
        assert renewed != old
        assert provider.token() == renewed
        assert exp(renewed) > clock.now()
        assert set(results) <= {old, renewed}
        assert renewed in results, "the thread that signed returns the new token"
        assert provider.signature_count == 1 + round_
        old = renewed


def test_system_clock_provider_hands_out_valid_tokens() -> None:
    signer = Signer.generate("ABC123DEFG")
    provider = TokenProvider(signer, Service.MAPS, Claims(TEAM, ttl=1800, scope="server_api"))
    token = provider.token()
    assert provider.token() == token
    public_key = serialization.load_pem_public_key(signer.public_key_pem().encode())
    claims = jwt.decode(token, public_key, algorithms=["ES256"])  # type: ignore[arg-type]
    assert claims["scope"] == "server_api"
    assert repr(provider) == "TokenProvider(service='maps')"


def test_a_fleet_signs_one_token_per_period() -> None:
    """Processes that load the same key and start at different times within a period hand out
    the same bytes (grid ``iat``, RFC 6979) and renew together; no store, no leader."""
    pem = generate_private_key_pem()
    period = DEFAULTS["apns_renew_after_secs"]
    start = T0 // period * period
    early_clock, late_clock = ManualClock(start + 1), ManualClock(start + period - 1)
    early, late = (
        TokenProvider(Signer.from_pem(pem, "ABC123DEFG"), Service.APNS, Claims(TEAM), clock=clock)
        for clock in (early_clock, late_clock)
    )
    assert early.alignment_period == late.alignment_period == period
    assert early.token() == late.token()
    early_clock.advance(period)
    late_clock.advance(2)
    assert early.token() == late.token()
    music = TokenProvider(
        Signer.from_pem(pem, "ABC123DEFG"), Service.APPLE_MUSIC, Claims(TEAM), aligned=True
    )
    assert music.alignment_period is not None
    with pytest.raises(InvalidOptionError, match="new token for each request") as refused:
        TokenProvider(
            Signer.from_pem(pem, "ABC123DEFG"),
            Service.APP_STORE_SERVER,
            Claims("57246542-96fe-1a63-e053-0824d011072a", bundle_id="com.example.app"),
            aligned=True,
        )
    assert (refused.value.field, refused.value.rule) == ("aligned", "not_applicable")
