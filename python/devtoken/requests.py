"""``DevTokenAuth``: devtoken's tokens as a ``requests`` auth (``pip install devtoken[requests]``)::

    maps = devtoken.MapsTokenProvider(signer, Claims(issuer=team_id))
    with requests.Session() as session:
        session.auth = DevTokenAuth(maps)
        places = session.get("https://maps-api.apple.com/v1/geocode", params={"q": "Cupertino"})

Each request gets ``Authorization: Bearer <token>`` from the provider (a ``TokenProvider``,
``MapsTokenProvider`` or ``OAuthTokenProvider``). When the API answers 401, a response hook
replaces exactly the refused token (``refresh_rejected``, or ``invalidate`` of that token and a
new exchange: one new token however many threads were refused at once) and sends the request once
more; a second 401 is the caller's response (with the first in ``history``), never retried again.
A request whose body is a stream that was already read cannot be sent again; give bytes instead.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.auth import AuthBase

from . import _bearer, aio

__all__ = ["DevTokenAuth"]


class DevTokenAuth(AuthBase):
    """Sets ``Authorization: Bearer <token>`` and retries once with a new token after a 401."""

    def __init__(self, provider: aio.AuthProvider) -> None:
        self.provider = aio.unwrap(provider)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = _bearer.current(self.provider)
        request.headers["Authorization"] = _bearer.authorization(token)

        def retry_once(response: requests.Response, **send: Any) -> requests.Response:
            # Only the answer to the request sent with `token`: the retry carries another one.
            sent = response.request.headers.get("Authorization")
            if response.status_code != _bearer.REFUSED or sent != _bearer.authorization(token):
                return response
            replacement = _bearer.retry_token(self.provider, token)
            if replacement is None:
                return response
            response.content  # noqa: B018  (read, so the connection can be reused)
            response.close()
            again = response.request.copy()
            again.headers["Authorization"] = _bearer.authorization(replacement)
            retried: requests.Response = response.connection.send(again, **send)
            retried.history.append(response)
            retried.request = again
            return retried

        request.hooks["response"].append(retry_once)
        return request
