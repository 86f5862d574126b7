"""asyncio forms of every devtoken call that may wait: ``await provider.access_token()``.

The classes here carry the names, constructors and methods of the blocking ones
(``aio.TokenProvider``, ``aio.MapsTokenProvider``, ``aio.OAuthTokenProvider``, ``aio.probe``), each
method awaitable where the blocking one may wait, the way ``redis.asyncio`` mirrors ``redis``. A
separate module rather than ``*_async`` methods: the native classes stay as they are (frozen, one
method per core call), an ``import devtoken`` pulls in no asyncio, and code moving to asyncio
changes an import instead of every call::

    maps = devtoken.aio.MapsTokenProvider(signer, claims)
    token = await maps.access_token()

Given a blocking provider alone (``aio.MapsTokenProvider(blocking)``), one wraps it instead, so a
service that mixes threads and asyncio shares one cache, one signature and one exchange; ``sync``
is the blocking provider behind each.

A token that is cached and fresh is returned on the event loop's thread, without a thread hop
(the core's ``fresh_*`` reads never sign, exchange or wait). Only a real wait (the first
signature, a renewal, an exchange with Apple, ``probe``) runs in the loop's default executor
(``asyncio.to_thread``), where the extension releases the GIL; the loop keeps running meanwhile.
Cancelling an ``await`` abandons the wait, not the work: the exchange under way finishes on its
thread and is cached, so the provider stays usable and the next call gets its token.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Generic, TypeVar, Union, overload

from . import _bearer, _devtoken
from ._devtoken import Claims, ManualClock, ProbeVerdict, Signer

if TYPE_CHECKING:
    from ._devtoken import _Duration, _ServiceLike

__all__ = ["MapsTokenProvider", "OAuthTokenProvider", "TokenProvider", "probe"]


async def token_for(provider: _bearer.AnyProvider) -> str:
    """The token to send now: the fresh cached one at once, else obtained off the loop."""
    token = _bearer.fresh(provider)
    if token is not None:
        return token
    return await asyncio.to_thread(_bearer.current, provider)


async def retry_token(provider: _bearer.AnyProvider, rejected: str) -> str | None:
    """``devtoken._bearer.retry_token`` off the loop: the token to retry with after a 401."""
    return await asyncio.to_thread(_bearer.retry_token, provider, rejected)


Blocking = TypeVar(
    "Blocking", _devtoken.TokenProvider, _devtoken.MapsTokenProvider, _devtoken.OAuthTokenProvider
)


def adopt(cls: type[Blocking], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Blocking:
    """The blocking provider given alone, else a new one built from the constructor's arguments."""
    if len(args) == 1 and not kwargs and isinstance(args[0], cls):
        return args[0]
    return cls(*args, **kwargs)


class TokenProvider:
    """Awaitable form of ``devtoken.TokenProvider`` (developer tokens, APNs provider tokens)."""

    @overload
    def __init__(self, provider: _devtoken.TokenProvider, /) -> None: ...
    @overload
    def __init__(
        self,
        signer: Signer,
        service: _ServiceLike,
        claims: Claims,
        *,
        margin_fraction: float | None = None,
        min_margin: _Duration | None = None,
        renew_after: int | None = None,
        reuse_per_request_tokens: bool | None = None,
        aligned: bool | None = None,
        clock: ManualClock | None = None,
    ) -> None: ...
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sync = adopt(_devtoken.TokenProvider, args, kwargs)
        """The blocking provider this one wraps (same cache)."""

    async def token(self) -> str:
        """The token to send now; signs off the loop only when no fresh one is cached."""
        return await token_for(self.sync)

    def fresh_token(self) -> str | None:
        """The cached token while it is fresh, else None: never signs, never waits."""
        return self.sync.fresh_token()

    async def refresh_rejected(self, rejected: str) -> str:
        """A new token when ``rejected`` is still the current one, else the current one."""
        return await asyncio.to_thread(self.sync.refresh_rejected, rejected)

    async def force_refresh(self) -> str:
        """Signs a new token now (the rule table's floor for APNs still holds)."""
        return await asyncio.to_thread(self.sync.force_refresh)

    def expires_at(self) -> int | None:
        return self.sync.expires_at()

    @property
    def signature_count(self) -> int:
        return self.sync.signature_count

    @property
    def alignment_period(self) -> int | None:
        return self.sync.alignment_period

    def observe_clock_offset(self, offset: tuple[int, int]) -> bool:
        """Record Apple's clock offset measured elsewhere (never waits)."""
        return self.sync.observe_clock_offset(offset)

    @property
    def clock_offset(self) -> tuple[int, int] | None:
        return self.sync.clock_offset

    @property
    def clock_corrections(self) -> int:
        return self.sync.clock_corrections

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"


Exchanging = TypeVar("Exchanging", _devtoken.MapsTokenProvider, _devtoken.OAuthTokenProvider)


class _ExchangedToken(Generic[Exchanging]):
    """What the Maps and OAuth forms share: an access token obtained by an exchange."""

    sync: Exchanging
    """The blocking provider this one wraps (same cache)."""

    async def access_token(self) -> str:
        """The access token to send now; exchanges off the loop only when none is fresh."""
        return await token_for(self.sync)

    def fresh_access_token(self) -> str | None:
        """The cached access token while it is fresh, else None: never exchanges, never waits."""
        return self.sync.fresh_access_token()

    async def invalidate(self, rejected: str | None = None) -> bool:
        """Forget ``rejected`` (or whatever is cached) after an API call answered 401; waits
        while an exchange is under way, so it runs off the loop."""
        return await asyncio.to_thread(self.sync.invalidate, rejected)

    def expires_at(self) -> int | None:
        return self.sync.expires_at()

    @property
    def exchange_count(self) -> int:
        return self.sync.exchange_count

    @property
    def clock_offset(self) -> tuple[int, int] | None:
        return self.sync.clock_offset

    @property
    def clock_corrections(self) -> int:
        return self.sync.clock_corrections

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"


class MapsTokenProvider(_ExchangedToken[_devtoken.MapsTokenProvider]):
    """Awaitable form of ``devtoken.MapsTokenProvider`` (the ``GET /v1/token`` exchange)."""

    @overload
    def __init__(self, provider: _devtoken.MapsTokenProvider, /) -> None: ...
    @overload
    def __init__(
        self,
        signer: Signer,
        claims: Claims,
        base_url: str | None = None,
        *,
        margin_fraction: float | None = None,
        min_margin: _Duration | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        user_agent: str | None = None,
        extra_ca_pem: str | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
        clock: ManualClock | None = None,
    ) -> None: ...
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sync = adopt(_devtoken.MapsTokenProvider, args, kwargs)

    async def maps_token(self) -> str:
        """The signed Maps token that is exchanged."""
        return await asyncio.to_thread(self.sync.maps_token)


class OAuthTokenProvider(_ExchangedToken[_devtoken.OAuthTokenProvider]):
    """Awaitable form of ``devtoken.OAuthTokenProvider`` (School, Business Manager, Apple Ads)."""

    @overload
    def __init__(self, provider: _devtoken.OAuthTokenProvider, /) -> None: ...
    @overload
    def __init__(
        self,
        signer: Signer,
        service: _ServiceLike,
        client_id: str,
        team_id: str | None = None,
        base_url: str | None = None,
        *,
        margin_fraction: float | None = None,
        min_margin: _Duration | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        user_agent: str | None = None,
        extra_ca_pem: str | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
        clock: ManualClock | None = None,
    ) -> None: ...
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sync = adopt(_devtoken.OAuthTokenProvider, args, kwargs)

    async def assertion(self) -> str:
        """The signed client assertion (Apple Ads: client secret) that is exchanged."""
        return await asyncio.to_thread(self.sync.assertion)


async def probe(
    service: _ServiceLike,
    token: str,
    base_url: str | None = None,
    *,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
    extra_ca_pem: str | None = None,
    max_retries: int | None = None,
    deadline: float | None = None,
) -> ProbeVerdict:
    """``devtoken.probe`` off the loop: calls the service's test endpoint with ``token``."""
    return await asyncio.to_thread(
        _devtoken.probe,
        service,
        token,
        base_url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        extra_ca_pem=extra_ca_pem,
        max_retries=max_retries,
        deadline=deadline,
    )


AuthProvider = Union[_bearer.AnyProvider, TokenProvider, MapsTokenProvider, OAuthTokenProvider]
"""What ``devtoken.httpx.DevTokenAuth`` and ``devtoken.requests.DevTokenAuth`` are built from."""


def unwrap(provider: AuthProvider) -> _bearer.AnyProvider:
    """The blocking provider behind ``provider`` (itself when it is one)."""
    if isinstance(provider, (TokenProvider, MapsTokenProvider, OAuthTokenProvider)):
        return provider.sync
    return provider
