"""Validated ES256 developer tokens for Apple's server APIs.

One Rust core (the ``devtoken`` crate) checks every claim against the service's rules and signs
with a constant-time P-256 implementation, deterministically (RFC 6979)::

    from devtoken import Claims, Service, Signer

    signer = Signer.from_file("AuthKey_ABC123DEFG.p8")      # key id from the file name
    token = signer.sign_token(
        Service.APP_STORE_SERVER,
        Claims(issuer="57246542-96fe-1a63-e053-0824d011072a", bundle_id="com.example.app", ttl=300),
    )

Errors are ``TokenError`` subclasses (``OSError`` for a file that cannot be read) whose ``kind``,
``field`` and ``rule`` are the core's codes. Every option left out takes the core's default;
``core_defaults()`` reports them.

Imported only when asked for: ``devtoken.aio`` (awaitable providers and ``probe``),
``devtoken.httpx`` and ``devtoken.requests`` (``DevTokenAuth`` for those HTTP clients, extras of
the same names).
"""

from __future__ import annotations

import enum

from ._devtoken import (
    AppleRejectedError,
    Check,
    Claims,
    ExternalSignerError,
    Finding,
    InvalidClaimsError,
    InvalidKeyError,
    InvalidOptionError,
    MalformedResponseError,
    MalformedTokenError,
    ManualClock,
    MapsTokenProvider,
    NetworkError,
    OAuthTokenProvider,
    ProbeVerdict,
    PromotionalOfferV1Signature,
    QuotaExceededError,
    RefreshTooSoonError,
    SignatureError,
    Signer,
    TokenError,
    TokenProvider,
    __version__,
    core_defaults,
    decode_token,
    doctor,
    generate_private_key_pem,
    inspect_token,
    lifetime_warnings,
    measure_clock_offset,
    probe,
    service_names,
    verify_promotional_offer_v1,
    verify_token,
)

__all__ = [
    "AppleRejectedError",
    "Check",
    "Claims",
    "ExternalSignerError",
    "Finding",
    "InvalidClaimsError",
    "InvalidKeyError",
    "InvalidOptionError",
    "MalformedResponseError",
    "MalformedTokenError",
    "ManualClock",
    "MapsTokenProvider",
    "NetworkError",
    "OAuthTokenProvider",
    "ProbeVerdict",
    "PromotionalOfferV1Signature",
    "QuotaExceededError",
    "RefreshTooSoonError",
    "Service",
    "SignatureError",
    "Signer",
    "TokenError",
    "TokenProvider",
    "__version__",
    "core_defaults",
    "decode_token",
    "doctor",
    "generate_private_key_pem",
    "inspect_token",
    "lifetime_warnings",
    "measure_clock_offset",
    "probe",
    "service_names",
    "verify_promotional_offer_v1",
    "verify_token",
]


class Service(str, enum.Enum):
    """An Apple server API that takes an ES256 developer token.

    Each value is the service's command-line name, so ``Service("apple-music")`` works too.
    The rules of each service live in the Rust core's rule table.
    """

    MAPS = "maps"
    """Maps Server API and MapKit JS."""
    APPLE_MUSIC = "apple-music"
    """Apple Music API / MusicKit."""
    APP_STORE_SERVER = "app-store-server"
    """App Store Server API (also Retention Messaging, Advanced Commerce)."""
    EXTERNAL_PURCHASE_SERVER = "external-purchase-server"
    """External Purchase Server API."""
    APPS_AND_BOOKS = "apps-and-books"
    """Apps and Books Metadata for Organizations API."""
    APP_STORE_CONNECT = "app-store-connect"
    """App Store Connect API (team keys: issuer ID; individual keys: subject="user")."""
    ENTERPRISE_PROGRAM = "enterprise-program"
    """Enterprise Program API."""
    WEATHERKIT = "weatherkit"
    """WeatherKit REST API."""
    SIGN_IN_WITH_APPLE = "sign-in-with-apple"
    """Sign in with Apple client secret."""
    APNS = "apns"
    """APNs provider token."""
    DEVICE_CHECK = "device-check"
    """DeviceCheck / App Attest."""
    SCHOOL_MANAGER = "school-manager"
    """Apple School Manager API (OAuth client assertion, see ``OAuthTokenProvider``)."""
    BUSINESS_MANAGER = "business-manager"
    """Apple Business Manager API (OAuth client assertion, see ``OAuthTokenProvider``)."""
    APPLE_ADS = "apple-ads"
    """Apple Ads API (OAuth client secret, see ``OAuthTokenProvider``)."""

    def __str__(self) -> str:
        return self.value
