"""The Maps /v1/token exchange and probe from Python, against the loopback stand-in of
tests/independent/apple_stand_in.py, which verifies tokens with pyca/cryptography (independent of
devtoken). No test leaves 127.0.0.1."""

from __future__ import annotations

import threading
import time

import pytest
from apple_stand_in import AppleStandIn

import devtoken
from devtoken import (
    AppleRejectedError,
    Claims,
    MalformedResponseError,
    ManualClock,
    MapsTokenProvider,
    NetworkError,
    QuotaExceededError,
    Service,
    Signer,
    TokenError,
)


def test_access_token_in_three_lines(signer: Signer, server: AppleStandIn) -> None:
    maps = MapsTokenProvider(signer, Claims(issuer="DEF123GHIJ"), base_url=server.base_url)
    assert maps.access_token() == "access-1"
    assert maps.access_token() == "access-1"
    assert server.requests == 1
    expires_at = maps.expires_at()
    assert expires_at is not None
    claims = devtoken.decode_token(maps.maps_token())["claims"]
    assert claims["scope"] == "server_api"
    shown = repr(maps) + str(maps)
    assert "access-1" not in shown and maps.maps_token() not in shown


def test_renewal_with_sixteen_threads_is_one_exchange(signer: Signer, server: AppleStandIn) -> None:
    clock = ManualClock(int(time.time()))
    maps = MapsTokenProvider(
        signer, Claims(issuer="DEF123GHIJ"), base_url=server.base_url, clock=clock
    )
    maps.access_token()
    expires_at = maps.expires_at()
    assert expires_at is not None
    expires_in = expires_at - clock.now()  # the stand-in's expiresInSeconds
    options = maps.options
    margin = max(expires_in * options["margin_fraction"], options["min_margin_secs"])
    # Inside the margin, the old token still valid: one thread exchanges, the others may keep
    # "access-1" meanwhile (which ones is up to the scheduler and not asserted).
    clock.advance(int(expires_in - margin / 2))
    assert expires_at > clock.now()
    barrier = threading.Barrier(16)
    seen: set[str] = set()
    failures: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            tokens = {maps.access_token() for _ in range(10)}
        except BaseException as error:  # noqa: BLE001
            with lock:
                failures.append(error)
            return
        with lock:
            seen.update(tokens)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert server.requests == 2, "one exchange per renewal"
    assert maps.exchange_count == 2
    assert seen <= {"access-1", "access-2"}
    assert "access-2" in seen, "the thread that exchanged returns the new token"
    # All threads joined: the renewal is over and every caller gets the new token.
    assert maps.access_token() == "access-2"
    assert server.requests == 2


def test_errors_are_typed(signer: Signer, server: AppleStandIn) -> None:
    server.script.append((500, '{"error": {"message": "boom"}}', {}))
    maps = MapsTokenProvider(signer, Claims(issuer="DEF123GHIJ"), base_url=server.base_url)
    assert maps.access_token() == "access-2"  # one retry

    server.script.append((429, '{"error": {"message": "quota"}}', {"Retry-After": "60"}))
    quota = MapsTokenProvider(signer, Claims(issuer="DEF123GHIJ"), base_url=server.base_url)
    with pytest.raises(QuotaExceededError) as raised:
        quota.access_token()
    assert raised.value.retry_after == 60
    assert isinstance(raised.value, TokenError)
    assert (raised.value.kind, raised.value.field, raised.value.rule) == (
        "quota_exceeded",
        None,
        None,
    )

    attempts = devtoken.core_defaults()["max_retries"] + 1
    server.script.extend([(500, "down", {})] * attempts)
    with pytest.raises(NetworkError, match=f"after {attempts} attempt") as network:
        MapsTokenProvider(
            signer, Claims(issuer="DEF123GHIJ"), base_url=server.base_url
        ).access_token()
    assert network.value.attempts == attempts
    assert (network.value.kind, network.value.field, network.value.rule) == ("network", None, None)

    server.script.append((200, "not json", {}))
    with pytest.raises(MalformedResponseError) as malformed:
        MapsTokenProvider(
            signer, Claims(issuer="DEF123GHIJ"), base_url=server.base_url
        ).access_token()
    assert (malformed.value.kind, malformed.value.status) == ("malformed_response", 200)


def test_rejection_lists_findings(server: AppleStandIn) -> None:
    stranger = Signer.generate("ABC123DEFG")
    maps = MapsTokenProvider(stranger, Claims(issuer="DEF123GHIJ"), base_url=server.base_url)
    with pytest.raises(AppleRejectedError) as raised:
        maps.access_token()
    error = raised.value
    assert (error.kind, error.field, error.rule, error.status) == (
        "apple_rejected",
        None,
        None,
        401,
    )
    assert error.message == "Not Authorized"
    assert error.details == ["bad signature"]
    assert any(f.code == "signature_not_checked" for f in error.findings)
    assert maps.maps_token() not in str(error)


@pytest.mark.parametrize(
    ("service", "claims"),
    [
        (Service.MAPS, Claims("DEF123GHIJ", scope="server_api")),
        (Service.APPLE_MUSIC, Claims("DEF123GHIJ")),
        (Service.APPS_AND_BOOKS, Claims("DEF123GHIJ")),
    ],
)
def test_probe(signer: Signer, server: AppleStandIn, service: Service, claims: Claims) -> None:
    accepted = devtoken.probe(service, signer.sign_token(service, claims), server.base_url)
    assert accepted.accepted and accepted.status == 200
    stranger = Signer.generate("ABC123DEFG")
    rejected = devtoken.probe(service, stranger.sign_token(service, claims), server.base_url)
    assert not rejected.accepted and rejected.status == 401
    assert "Not Authorized" in rejected.message
