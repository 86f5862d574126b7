"""``DevTokenAuth``: devtoken's tokens as an ``httpx.Auth``, for ``httpx.Client`` and
``httpx.AsyncClient`` alike (``pip install devtoken[httpx]``)::

    maps = devtoken.MapsTokenProvider(signer, Claims(issuer=team_id))
    with httpx.Client(auth=DevTokenAuth(maps)) as client:
        places = client.get("https://maps-api.apple.com/v1/geocode", params={"q": "Cupertino"})

Each request gets ``Authorization: Bearer <token>`` from the provider (a ``TokenProvider``,
``MapsTokenProvider`` or ``OAuthTokenProvider``, or their ``devtoken.aio`` forms). When the API
answers 401, exactly the refused token is replaced (``refresh_rejected``, or ``invalidate`` of
that token and a new exchange: one new token however many requests were refused at once) and the
request is sent once more; a second 401 is the caller's response, never retried again. In
``AsyncClient`` a fresh cached token is set without leaving the event loop's thread; signing and
exchanging run off the loop (``devtoken.aio``), so requests keep flowing meanwhile (asyncio only).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

import httpx

from . import _bearer, aio

__all__ = ["DevTokenAuth"]


class DevTokenAuth(httpx.Auth):
    """Sets ``Authorization: Bearer <token>`` and retries once with a new token after a 401."""

    def __init__(
        self,
        provider: aio.AuthProvider,
    ) -> None:
        self.provider = aio.unwrap(provider)

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        token = _bearer.current(self.provider)
        request.headers["Authorization"] = _bearer.authorization(token)
        response = yield request
        if response.status_code != _bearer.REFUSED:
            return
        replacement = _bearer.retry_token(self.provider, token)
        if replacement is not None:
            request.headers["Authorization"] = _bearer.authorization(replacement)
            yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await aio.token_for(self.provider)
        request.headers["Authorization"] = _bearer.authorization(token)
        response = yield request
        if response.status_code != _bearer.REFUSED:
            return
        replacement = await aio.retry_token(self.provider, token)
        if replacement is not None:
            request.headers["Authorization"] = _bearer.authorization(replacement)
            yield request
