"""The one place that decides what an authorized request carries and how a refused token is
replaced, shared by ``devtoken.aio``, ``devtoken.httpx`` and ``devtoken.requests``.

Every Apple server API devtoken signs for takes ``Authorization: Bearer <token>``: the developer
token APIs, the Maps Server API's access token, the OAuth access tokens of Apple School and
Business Manager and Apple Ads, and APNs (``authorization: bearer``; the scheme is
case-insensitive, RFC 9110 section 11.1). A service with another scheme would be decided here.
"""

from __future__ import annotations

from typing import Union

from ._devtoken import MapsTokenProvider, OAuthTokenProvider, RefreshTooSoonError, TokenProvider

SCHEME = "Bearer"
"""The ``Authorization`` scheme of every Apple server API devtoken serves."""

AnyProvider = Union[TokenProvider, MapsTokenProvider, OAuthTokenProvider]
"""What ``DevTokenAuth`` and the ``devtoken.aio`` wrappers are built from."""


REFUSED = 401
"""The status after which the token is replaced and the request sent once more."""


def authorization(token: str) -> str:
    """The ``Authorization`` header's value for ``token``."""
    return f"{SCHEME} {token}"


def fresh(provider: AnyProvider) -> str | None:
    """The cached token while fresh, else None: never signs, never exchanges, never waits."""
    if isinstance(provider, TokenProvider):
        return provider.fresh_token()
    return provider.fresh_access_token()


def current(provider: AnyProvider) -> str:
    """The token to send now; may sign or exchange (and so wait)."""
    if isinstance(provider, TokenProvider):
        return provider.token()
    return provider.access_token()


def replace(provider: AnyProvider, rejected: str) -> str:
    """The token to retry with after the API refused ``rejected``: a new one when ``rejected``
    is still the current one, else the one another caller already obtained. However many
    callers report one refused token, it is replaced once. May wait; an APNs token younger than
    the rule table's floor raises ``RefreshTooSoonError``."""
    if isinstance(provider, TokenProvider):
        return provider.refresh_rejected(rejected)
    provider.invalidate(rejected)
    return provider.access_token()


def retry_token(provider: AnyProvider, rejected: str) -> str | None:
    """The token to send the refused request again with, or None when there is none to try: an
    APNs token younger than the floor (``RefreshTooSoonError``) or no new token."""
    try:
        replacement = replace(provider, rejected)
    except RefreshTooSoonError:
        return None
    return None if replacement == rejected else replacement
