"""Apple School Manager, Apple Business Manager and Apple Ads access tokens from Python, against
the loopback stand-in of tests/independent/apple_stand_in.py, whose token endpoint checks the
form fields and the assertion with pyca/cryptography; PyJWT verifies the assertions here too.
No test leaves 127.0.0.1."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import jwt
import pytest
from apple_stand_in import AppleStandIn
from cryptography.hazmat.primitives import serialization

import devtoken
from devtoken import (
    AppleRejectedError,
    InvalidClaimsError,
    InvalidOptionError,
    MalformedResponseError,
    ManualClock,
    NetworkError,
    OAuthTokenProvider,
    QuotaExceededError,
    Service,
    Signer,
)

KEY_ID = "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b"
UUID = "27478e71-3bb0-4588-998c-182e2b405577"
CLIENTS = {
    Service.SCHOOL_MANAGER: (f"SCHOOLAPI.{UUID}", None),
    Service.BUSINESS_MANAGER: (f"BUSINESSAPI.{UUID}", None),
    Service.APPLE_ADS: (f"SEARCHADS.{UUID}", f"SEARCHADS.{UUID}"),
}


@pytest.fixture
def signer() -> Signer:
    return Signer.generate(KEY_ID)


@pytest.fixture
def server(signer: Signer) -> Iterator[AppleStandIn]:
    server = AppleStandIn(signer.public_key_pem()).start()
    yield server
    server.shutdown()


def provider(
    signer: Signer,
    server: AppleStandIn,
    service: Service,
    *,
    clock: ManualClock | None = None,
    max_retries: int | None = None,
) -> OAuthTokenProvider:
    client_id, team_id = CLIENTS[service]
    return OAuthTokenProvider(
        signer,
        service,
        client_id,
        team_id,
        base_url=server.base_url,
        clock=clock,
        max_retries=max_retries,
    )


def run_threads(count: int, work: Callable[[], set[str]]) -> set[str]:
    barrier = threading.Barrier(count)
    seen: set[str] = set()
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
            seen.update(tokens)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return seen


def test_apple_ads_access_token_in_three_lines(signer: Signer, server: AppleStandIn) -> None:
    ads = OAuthTokenProvider(
        signer, Service.APPLE_ADS, f"SEARCHADS.{UUID}", f"SEARCHADS.{UUID}", server.base_url
    )
    assert ads.access_token() == "oauth-1"
    assert ads.access_token() == "oauth-1"
    assert server.requests == 1
    shown = repr(ads) + str(ads)
    assert "SEARCHADS" in shown and "oauth-1" not in shown and ads.assertion() not in shown


@pytest.mark.parametrize("service", list(CLIENTS), ids=lambda s: s.value)
def test_each_service_posts_apples_form_with_a_pyjwt_verified_assertion(
    signer: Signer, server: AppleStandIn, service: Service
) -> None:
    oauth = provider(signer, server, service)
    assert oauth.access_token() == "oauth-1"
    form = server.forms[0]
    client_id, team_id = CLIENTS[service]
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == client_id
    if service is Service.APPLE_ADS:
        assertion = form["client_secret"]
        audience = "https://appleid.apple.com"
    else:
        assert form["client_assertion_type"] == (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        )
        assertion = form["client_assertion"]
        audience = "https://account.apple.com/auth/oauth2/v2/token"
    assert assertion == oauth.assertion()
    public_key = serialization.load_pem_public_key(signer.public_key_pem().encode())
    claims = jwt.decode(assertion, public_key, algorithms=["ES256"], audience=audience)  # type: ignore[arg-type]
    assert jwt.get_unverified_header(assertion) == {"alg": "ES256", "kid": KEY_ID}
    assert claims["sub"] == client_id
    assert claims["iss"] == (team_id or client_id)
    assert ("jti" in claims) is (service is not Service.APPLE_ADS)
    assert claims["exp"] - claims["iat"] <= 180 * 86400


def test_sixteen_threads_across_a_renewal_make_one_exchange(
    signer: Signer, server: AppleStandIn
) -> None:
    clock = ManualClock(int(time.time()))
    oauth = provider(signer, server, Service.BUSINESS_MANAGER, clock=clock)
    oauth.access_token()
    # Inside the 360 s margin, the old token still valid: one thread exchanges, the others may
    # keep "oauth-1" meanwhile (which ones is up to the scheduler and not asserted).
    clock.advance(3600 - 100)
    expires_at = oauth.expires_at()
    assert expires_at is not None and expires_at > clock.now()
    seen = run_threads(16, lambda: {oauth.access_token() for _ in range(10)})
    assert server.requests == 2, "one exchange per renewal"
    assert seen <= {"oauth-1", "oauth-2"}
    assert "oauth-2" in seen, "the thread that exchanged returns the new token"
    assert oauth.exchange_count == 2
    # All threads joined: the renewal is over and every caller gets the new token.
    assert run_threads(16, lambda: {oauth.access_token()}) == {"oauth-2"}
    assert server.requests == 2


def test_invalidate_after_a_401_forces_exactly_one_exchange(
    signer: Signer, server: AppleStandIn
) -> None:
    oauth = provider(signer, server, Service.SCHOOL_MANAGER)
    rejected = oauth.access_token()

    forgot: list[bool] = []

    def after_401() -> set[str]:
        forgot.append(oauth.invalidate(rejected))  # list.append is atomic
        return {oauth.access_token()}

    # After its own invalidate a thread never sees the rejected token again, whichever runs first.
    assert run_threads(16, after_401) == {"oauth-2"}
    assert forgot.count(True) == 1, "only one thread forgets the rejected token"
    assert server.requests == 2
    assert oauth.invalidate() is True
    assert oauth.invalidate() is False
    assert oauth.access_token() == "oauth-3"


def test_an_assertion_near_its_180_days_is_renewed(signer: Signer, server: AppleStandIn) -> None:
    clock = ManualClock(int(time.time()))
    oauth = provider(signer, server, Service.SCHOOL_MANAGER, clock=clock)
    oauth.access_token()
    first = devtoken.decode_token(oauth.assertion())["claims"]
    clock.advance(170 * 86400)
    oauth.access_token()
    second = devtoken.decode_token(server.forms[1]["client_assertion"])["claims"]
    assert second["jti"] != first["jti"]
    assert second["exp"] - clock.now() > 170 * 86400


def test_apples_answers_become_typed_errors(signer: Signer, server: AppleStandIn) -> None:
    server.script.append(
        (400, '{"error": "invalid_client", "error_description": "bad assertion"}', {})
    )
    with pytest.raises(AppleRejectedError, match="invalid_client: bad assertion") as rejected:
        provider(signer, server, Service.APPLE_ADS).access_token()
    assert rejected.value.status == 400
    assert rejected.value.kind == "apple_rejected"

    server.script.append((429, "slow down", {"Retry-After": "30"}))
    with pytest.raises(QuotaExceededError) as quota:
        provider(signer, server, Service.APPLE_ADS).access_token()
    assert quota.value.retry_after == 30

    server.script.append((500, "down", {}))
    assert provider(signer, server, Service.APPLE_ADS).access_token().startswith("oauth-")

    server.script.extend([(503, "down", {})] * 3)
    with pytest.raises(NetworkError) as network:
        provider(signer, server, Service.APPLE_ADS, max_retries=2).access_token()
    assert network.value.attempts == 3

    server.script.append((200, '{"access_token": "x"}', {}))
    with pytest.raises(MalformedResponseError, match="expires_in"):
        provider(signer, server, Service.APPLE_ADS).access_token()


def test_another_key_is_refused_by_apple(server: AppleStandIn) -> None:
    other = Signer.generate(KEY_ID)
    with pytest.raises(AppleRejectedError, match="invalid_client: bad signature"):
        provider(other, server, Service.SCHOOL_MANAGER).access_token()


def test_bad_ids_fail_before_any_request(signer: Signer, server: AppleStandIn) -> None:
    with pytest.raises(InvalidClaimsError) as bare:
        OAuthTokenProvider(signer, Service.APPLE_ADS, UUID, f"SEARCHADS.{UUID}", server.base_url)
    assert (bare.value.field, bare.value.rule) == ("sub", "format")
    with pytest.raises(InvalidOptionError) as team:
        OAuthTokenProvider(
            signer, Service.SCHOOL_MANAGER, f"SCHOOLAPI.{UUID}", "SEARCHADS.x", server.base_url
        )
    assert (team.value.field, team.value.rule) == ("team_id", "not_applicable")
    with pytest.raises(InvalidOptionError) as music:
        OAuthTokenProvider(signer, Service.APPLE_MUSIC, f"SEARCHADS.{UUID}", None, server.base_url)
    assert (music.value.field, music.value.rule) == ("service", "not_applicable")
    with pytest.raises(InvalidClaimsError) as kid:
        OAuthTokenProvider(
            Signer.generate("ABC123DEFG"),
            Service.APPLE_ADS,
            f"SEARCHADS.{UUID}",
            f"SEARCHADS.{UUID}",
            server.base_url,
        )
    assert (kid.value.field, kid.value.rule) == ("kid", "format")
    assert server.requests == 0


def test_defaults_come_from_the_core(signer: Signer, server: AppleStandIn) -> None:
    options = provider(signer, server, Service.APPLE_ADS).options
    defaults = devtoken.core_defaults()
    assert options["margin_fraction"] == defaults["maps_margin_fraction"]
    assert options["max_retries"] == defaults["max_retries"]
