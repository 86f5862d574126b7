"""Clock offset from Python: measured from the `Date` of the loopback stand-in of
tests/independent/apple_stand_in.py running 90 s behind, recorded by the providers, and used to
back-date the next token."""

from __future__ import annotations

import pytest
from apple_stand_in import AppleStandIn

import devtoken
from devtoken import Claims, ManualClock, MapsTokenProvider, Service, Signer, TokenProvider, aio

BEHIND = 90


@pytest.fixture(autouse=True)
def behind(server: AppleStandIn) -> None:
    """The stand-in's `Date` runs BEHIND seconds behind the local clock."""
    server.clock_behind = BEHIND


def assert_about_behind(offset: tuple[int, int] | None) -> None:
    assert offset is not None
    offset_millis, uncertainty_millis = offset
    assert abs(offset_millis + BEHIND * 1000) <= uncertainty_millis
    assert 500 <= uncertainty_millis < 5000


def test_measure_clock_offset_within_the_round_trip_bound(server: AppleStandIn) -> None:
    assert_about_behind(devtoken.measure_clock_offset(server.base_url))


def test_maps_provider_records_the_offset_of_each_exchange(
    signer: Signer, server: AppleStandIn
) -> None:
    maps = MapsTokenProvider(signer, Claims(issuer="DEF123GHIJ"), base_url=server.base_url)
    assert maps.clock_offset is None
    maps.access_token()
    assert_about_behind(maps.clock_offset)
    assert maps.clock_corrections == 0
    wrapped = aio.MapsTokenProvider(maps)
    assert (wrapped.clock_offset, wrapped.clock_corrections) == (maps.clock_offset, 0)


def test_observed_offset_back_dates_the_next_token(signer: Signer) -> None:
    now = 1_700_000_000
    clock = ManualClock(now)
    provider = TokenProvider(signer, Service.APPLE_MUSIC, Claims("DEF123GHIJ"), clock=clock)
    before = devtoken.decode_token(provider.token())["claims"]["iat"]
    assert before == now - signer.clock_skew
    assert provider.clock_offset is None and provider.clock_corrections == 0
    assert provider.observe_clock_offset((-BEHIND * 1000, 600))
    assert provider.clock_offset == (-BEHIND * 1000, 600)
    assert not provider.observe_clock_offset((-BEHIND * 1000, 600))
    corrected = devtoken.decode_token(provider.force_refresh())["claims"]["iat"]
    assert now - BEHIND - signer.clock_skew <= corrected <= now - BEHIND + 1
    assert provider.clock_corrections == 1
    wrapped = aio.TokenProvider(provider)
    assert (wrapped.clock_offset, wrapped.clock_corrections) == ((-BEHIND * 1000, 600), 1)
