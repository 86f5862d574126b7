"""Type stubs for the native module (pyo3 does not generate exception types)."""

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from os import PathLike
from typing import Any, Final, Literal, TypedDict, final

__version__: Final[str]

_ServiceLike = str  # a devtoken.Service member (a str enum) or a service name
_Time = int | datetime
_Duration = int | timedelta
_Strings = str | Sequence[str]

class TokenError(Exception):
    """Base class of every devtoken error.

    ``kind``, ``field`` and ``rule`` are the core's stable codes, the same in every language
    (see tests/vectors/errors.json). A file that cannot be read raises ``OSError`` instead, with
    ``kind == "io"`` and ``field`` and ``rule`` None.
    """

    kind: str
    """The core's error kind: ``invalid_key``, ``invalid_claim``, ``invalid_option``, ..."""
    field: str | None
    """The field or option at fault (``exp``, ``margin_fraction``, ``key``), or None."""
    rule: str | None
    """The rule's code (``max_lifetime``, ``range``, ``encrypted``, ...), or None."""

class InvalidKeyError(TokenError):
    """The key is not a usable P-256 private (or public) key."""

    field: str
    """Always ``key``."""
    rule: str
    """What is wrong with the key: ``encrypted``, ``wrong_curve``, ``truncated``, ..."""

class InvalidClaimsError(TokenError):
    """A claim or header field breaks a rule of the service."""

    field: str
    """The JWT member at fault: ``iss``, ``exp``, ``kid``, ..."""
    rule: str
    """The rule's code: ``max_lifetime``, ``format``, ``required``, ``unsupported_claim``,
    ``whole_seconds`` (a ``ttl`` timedelta with a fraction of a second), ..."""

class MalformedTokenError(TokenError):
    """The text is not a compact JWS."""

class InvalidOptionError(TokenError):
    """An option (clock skew, margins, network settings) or a provider template is not usable."""

    field: str
    """The option at fault, under the core's name: ``clock_skew_secs``, ``min_margin_secs``,
    ``connect_timeout``, ``max_retries``, ``claims``, ..."""
    rule: str
    """``range``, ``format``, ``conflict``, ``not_applicable`` or ``whole_seconds``."""

class RefreshTooSoonError(TokenError):
    """A forced refresh would replace a provider token sooner than Apple allows."""

    wait_secs: int
    """Seconds until a refresh is allowed."""

class AppleRejectedError(TokenError):
    """Apple refused the token (HTTP 401/403)."""

    status: int
    message: str
    """Apple's error message (or the raw body when it is not an ErrorResponse)."""
    details: list[str]
    findings: list[Finding]
    """What inspect_token finds wrong with the token that was sent."""

class QuotaExceededError(TokenError):
    """Apple answered 429: the daily call quota is used up. Not retried."""

    retry_after: int | None

class NetworkError(TokenError):
    """The server could not be reached, or kept answering 5xx, after every retry."""

    attempts: int

class MalformedResponseError(TokenError):
    """A 2xx answer whose body is not what Apple documents."""

    status: int

class SignatureError(TokenError):
    """The signature is not a valid ES256 signature by the given key."""

class ExternalSignerError(TokenError):
    """An external signer (PKCS#11, a KMS, a callback) failed, timed out or answered something
    that is not a signature by its declared key; ``rule`` says which (``failed``, ``timeout``,
    ``busy``, ``signature_shape``, ``wrong_key``, ...). A callback's own exception is the
    ``__cause__``."""

@final
class Claims:
    """The payload of a token. Times are UNIX seconds (int) or timezone-aware datetimes; ``ttl``
    is int seconds or a timedelta of whole seconds (a fraction raises the core's
    ``InvalidClaimsError``, field ``exp``, rule ``whole_seconds``)."""

    def __init__(
        self,
        issuer: str | None = None,
        *,
        issued_at: _Time | None = None,
        expires_at: _Time | None = None,
        ttl: _Duration | None = None,
        origins: _Strings | None = None,
        bundle_id: str | None = None,
        subject: str | None = None,
        scope: _Strings | None = None,
        jwt_id: str | None = None,
    ) -> None: ...
    @property
    def issuer(self) -> str | None: ...
    @property
    def issued_at(self) -> int | None: ...
    @property
    def expires_at(self) -> int | None: ...
    @property
    def ttl(self) -> int | None: ...
    @property
    def origins(self) -> list[str]: ...
    @property
    def bundle_id(self) -> str | None: ...
    @property
    def subject(self) -> str | None: ...
    @property
    def scope(self) -> list[str]: ...
    @property
    def jwt_id(self) -> str | None:
        """``jti`` (OAuth client assertions); default: a fresh random UUID per token."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Signer:
    """Signs ES256 developer tokens with one parsed key; safe to share between threads."""

    @staticmethod
    def from_pem(
        pem: str | bytes,
        key_id: str,
        *,
        clock_skew: _Duration | None = None,
        stock_p256: bool = False,
    ) -> Signer: ...
    @staticmethod
    def from_file(
        path: str | PathLike[str],
        key_id: str | None = None,
        *,
        clock_skew: _Duration | None = None,
        stock_p256: bool = False,
    ) -> Signer: ...
    @staticmethod
    def generate(
        key_id: str, *, clock_skew: _Duration | None = None, stock_p256: bool = False
    ) -> Signer: ...
    @staticmethod
    def from_external(
        public_key_pem: str | bytes,
        key_id: str,
        sign: Callable[[bytes], bytes | bytearray],
        *,
        timeout: float | None = None,
        clock_skew: _Duration | None = None,
    ) -> Signer:
        """A signer whose key is held elsewhere (a KMS, an HSM library): ``sign`` gets the 32-byte
        SHA-256 digest and returns DER or 64 bytes r||s, called on devtoken's signing thread with
        the GIL held only for the call. Each answer is checked against ``public_key_pem``; an
        exception in ``sign`` raises ``ExternalSignerError`` (rule ``failed``) with it as
        ``__cause__``. ``timeout`` in seconds (the core's ``DEFAULT_EXTERNAL_TIMEOUT`` unless
        given). Tokens are valid but not byte-identical from run to run (random nonces)."""
    @staticmethod
    def from_pkcs11(
        uri: str,
        *,
        key_id: str | None = None,
        timeout: float | None = None,
        clock_skew: _Duration | None = None,
    ) -> Signer:
        """A signer over a key inside an HSM, from an RFC 7512 URI:
        ``pkcs11:token=T;object=AuthKey_KEYID?module-path=/path/lib.so&pin-source=file:/path``
        (or ``pin-source=env:VARIABLE``; a ``pin-value`` is refused). Without ``key_id``, a key
        labelled ``AuthKey_<KEYID>`` gives it."""
    @property
    def key_id(self) -> str: ...
    @property
    def clock_skew(self) -> int:
        """Seconds ``iat`` is back-dated (``core_defaults()["clock_skew_secs"]`` unless given)."""
    def public_key_pem(self) -> str: ...
    def _time_core_signing(
        self, service: _ServiceLike, claims: Claims, count: int, *, now: int
    ) -> float:
        """Benchmark aid: seconds taken to sign `count` tokens inside Rust."""
    def sign_token(
        self, service: _ServiceLike, claims: Claims, *, now: int | None = None
    ) -> str: ...
    def promotional_offer(
        self,
        issuer_id: str,
        bundle_id: str,
        product_id: str,
        offer_id: str,
        *,
        transaction_id: str | None = None,
        nonce: str | None = None,
        now: _Time | None = None,
    ) -> str:
        """A StoreKit promotional offer V2 (compact JWS, ``aud`` = ``promotional-offer``).

        ``nonce`` None: a fresh random UUID v4; ``now`` None: the system clock. With both given,
        the same inputs give the same bytes (RFC 6979).
        """
    def intro_offer_eligibility(
        self,
        issuer_id: str,
        bundle_id: str,
        product_id: str,
        allow_introductory_offer: bool,
        transaction_id: str,
        *,
        nonce: str | None = None,
        now: _Time | None = None,
    ) -> str:
        """A StoreKit introductory-offer eligibility (compact JWS)."""
    def advanced_commerce_request(
        self,
        issuer_id: str,
        bundle_id: str,
        request: bytes | str,
        *,
        nonce: str | None = None,
        now: _Time | None = None,
    ) -> str:
        """A StoreKit Advanced Commerce in-app request (compact JWS).

        ``request`` is the request's JSON object, encoded byte for byte (standard base64).
        """
    def promotional_offer_v1(
        self,
        bundle_id: str,
        product_id: str,
        offer_id: str,
        *,
        application_username: str | None = None,
        nonce: str | None = None,
        timestamp_ms: int | None = None,
    ) -> PromotionalOfferV1Signature:
        """A StoreKit promotional offer V1: DER ECDSA signature over the U+2063-joined fields.

        Left out: an empty application username, a fresh nonce, the current time (milliseconds).
        """

@final
class PromotionalOfferV1Signature:
    """A signed promotional offer V1: what the app passes to StoreKit."""

    @property
    def signature(self) -> str:
        """The DER ECDSA signature, standard base64."""
    @property
    def nonce(self) -> str:
        """The nonce signed (lower-cased UUID)."""
    @property
    def timestamp_ms(self) -> int:
        """The timestamp signed, UNIX milliseconds."""
    @property
    def key_id(self) -> str:
        """The key id signed."""
    def __eq__(self, other: object) -> bool: ...

def verify_promotional_offer_v1(
    public_key_pem: str | bytes,
    signature: str,
    *,
    key_id: str,
    bundle_id: str,
    product_id: str,
    offer_id: str,
    nonce: str,
    timestamp_ms: int,
    application_username: str | None = None,
) -> bool:
    """True when the V1 ``signature`` verifies over the fields; InvalidClaimsError for bad ones."""

@final
class ManualClock:
    """A clock that moves only when told to, for tests of TokenProvider."""

    def __init__(self, now: int) -> None: ...
    def now(self) -> int: ...
    def set(self, now: int) -> None: ...
    def advance(self, secs: int) -> None: ...

@final
class TokenProvider:
    """A cached, self-renewing token following the service's reuse rule.

    Long-lived tokens are reused until ``margin_fraction`` of their life (at least
    ``min_margin`` seconds) is left; APNs/DeviceCheck tokens are renewed after ``renew_after``
    seconds (the rule table's age unless given, ``core_defaults()["apns_renew_after_secs"]``;
    the rule table's floor and limit for provider tokens bound it); App Store Server / External
    Purchase Server tokens are new for every call unless ``reuse_per_request_tokens`` is set.
    ``aligned`` puts ``iat`` on the grid every process shares, so a fleet signs one token per
    period (None: the rule table's choice, on for APNs/DeviceCheck; True where tokens must be
    unique raises ``InvalidOptionError``, rule ``not_applicable``). An option left out (None)
    takes the core's default (``core_defaults()``); ``options`` reports the options in effect.
    """

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
    def token(self) -> str: ...
    def fresh_token(self) -> str | None:
        """The cached token while it is fresh, else None: never signs, never waits."""
    def refresh_rejected(self, rejected: str) -> str:
        """A new token when ``rejected`` (refused by Apple) is still the current one, else the
        current token: one refused token is replaced once however many callers report it (the
        APNs floor still holds: ``RefreshTooSoonError``)."""
    def force_refresh(self) -> str: ...
    def expires_at(self) -> int | None: ...
    def seconds_left(self) -> int | None: ...
    @property
    def claims(self) -> dict[str, Any] | None: ...
    @property
    def options(self) -> _ProviderOptions:
        """The options in effect, under the core's names."""
    @property
    def signature_count(self) -> int: ...
    @property
    def alignment_period(self) -> int | None:
        """The period of the shared ``iat`` grid in seconds, or None when not aligned."""
    def observe_clock_offset(self, offset: tuple[int, int]) -> bool:
        """Record Apple's clock offset measured elsewhere (``measure_clock_offset()``'s pair).

        Later tokens are back-dated when the local clock is ahead of Apple's by more than the
        clock skew covers (bounded by the core). Returns whether the correction changed.
        """
    @property
    def clock_offset(self) -> tuple[int, int] | None:
        """The last measured ``(offset_millis, uncertainty_millis)`` of Apple's clock, or None."""
    @property
    def clock_corrections(self) -> int:
        """How many tokens were back-dated by a measured clock offset."""

@final
class MapsTokenProvider:
    """The Maps Server API access token from GET /v1/token, cached and renewed.

    ``claims`` are Maps claims (issuer, optional origins); scope defaults to ``server_api``.
    Timeouts are in seconds. An option left out (None) takes the core's default
    (``core_defaults()``); ``options`` reports the options in effect.
    """

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
    def access_token(self) -> str: ...
    def fresh_access_token(self) -> str | None:
        """The cached access token while it is fresh, else None: never exchanges, never waits."""
    def invalidate(self, rejected: str | None = None) -> bool:
        """Forget the cached access token after a Maps Server API call answered 401.

        With ``rejected`` (the token the API refused) only that token is forgotten, so many
        callers getting the same 401 cause one new exchange. Returns whether one was forgotten.
        """
    def expires_at(self) -> int | None: ...
    def maps_token(self) -> str: ...
    @property
    def options(self) -> _MapsOptions:
        """The options in effect, under the core's names (timeouts in seconds)."""
    @property
    def clock_offset(self) -> tuple[int, int] | None:
        """Apple's clock offset ``(offset_millis, uncertainty_millis)`` from the last exchange."""
    @property
    def clock_corrections(self) -> int:
        """How many signed tokens were back-dated by a measured clock offset."""
    @property
    def exchange_count(self) -> int: ...

@final
class OAuthTokenProvider:
    """An OAuth access token for Apple School Manager, Apple Business Manager or Apple Ads.

    The signed client assertion (Apple Ads: client secret; its lifetime is the rule table's) is
    kept and renewed well before it expires; the access token is exchanged at Apple's token
    endpoint and cached until a margin before ``expires_in``, one exchange however many threads ask.
    ``client_id`` is ``SCHOOLAPI.<uuid>``, ``BUSINESSAPI.<uuid>`` or ``SEARCHADS.<uuid>``;
    ``team_id`` is Apple Ads' ``iss``. Options left out take the core's defaults.

    ::

        ads = OAuthTokenProvider(Signer.from_file("private-key.pem", key_id), Service.APPLE_ADS,
                                 client_id, team_id=team_id)
        headers = {"Authorization": f"Bearer {ads.access_token()}", "X-AP-Context": f"orgId={org}"}
    """

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
    def access_token(self) -> str:
        """The access token to send now (``Authorization: Bearer ...``)."""
    def fresh_access_token(self) -> str | None:
        """The cached access token while it is fresh, else None: never exchanges, never waits."""
    def invalidate(self, rejected: str | None = None) -> bool:
        """Forget the cached access token after an API call answered 401.

        With ``rejected`` (the token the API refused) only that token is forgotten, so many
        threads getting the same 401 cause one new exchange. Returns whether one was forgotten.
        """
    def expires_at(self) -> int | None: ...
    def assertion(self) -> str:
        """The signed client assertion (Apple Ads: client secret) that is exchanged."""
    @property
    def options(self) -> _MapsOptions:
        """The options in effect, under the core's names (timeouts in seconds)."""
    @property
    def clock_offset(self) -> tuple[int, int] | None:
        """Apple's clock offset ``(offset_millis, uncertainty_millis)`` from the last exchange."""
    @property
    def clock_corrections(self) -> int:
        """How many signed tokens were back-dated by a measured clock offset."""
    @property
    def exchange_count(self) -> int: ...

@final
class ProbeVerdict:
    """What a service's test endpoint said of a token."""

    @property
    def accepted(self) -> bool: ...
    @property
    def status(self) -> int: ...
    @property
    def url(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def findings(self) -> list[Finding]: ...

@final
class Check:
    """One item of ``doctor``'s checklist."""

    @property
    def name(self) -> str:
        """``key_file``, ``key_id``, ``identifiers``, ``clock``, ``token`` or ``probe``."""
    @property
    def status(self) -> Literal["ok", "warning", "error", "skipped"]: ...
    @property
    def message(self) -> str: ...
    @property
    def fix(self) -> str | None:
        """For a warning or an error: what to do, in one line."""

def doctor(
    key_path: str | PathLike[str],
    service: _ServiceLike,
    claims: Claims,
    *,
    key_id: str | None = None,
    offline: bool = False,
    base_url: str | None = None,
) -> list[Check]:
    """The causes of a 401 outside the token: key file, key id, identifiers, clock, a token
    signed and inspected locally, and Apple's verdict where it has a test endpoint. Run it at
    startup and log the result; ``offline=True`` skips the network checks."""

def measure_clock_offset(base_url: str | None = None) -> tuple[int, int]:
    """Apple's clock minus this one in milliseconds, and the bound of the measurement."""

def probe(
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
    """Timeouts and ``deadline`` (the longest the whole call may take, retries included) are in
    seconds; an option left out (None) takes the core's default."""

@final
class Finding:
    """One reason (or note) why Apple would reject a token."""

    @property
    def level(self) -> str:
        """``"error"``, ``"warning"`` or ``"info"``."""
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def verify_token(token: str, public_key_pem: str | bytes) -> dict[str, dict[str, Any]]: ...
def decode_token(token: str) -> dict[str, dict[str, Any]]: ...
def inspect_token(
    token: str,
    service: _ServiceLike | None = None,
    public_key_pem: str | bytes | None = None,
    *,
    now: int | None = None,
) -> list[Finding]: ...
def lifetime_warnings(token: str, service: _ServiceLike) -> list[Finding]:
    """The warnings for a signed token of ``service`` that Apple's pages allow but Apple has
    refused in the field (``lifetime_over_field_limit``): what the CLI prints after signing."""

def generate_private_key_pem() -> str: ...
def service_names() -> list[str]: ...
def core_defaults() -> _CoreDefaults:
    """The core's defaults, read from the core: what each option left out (None) takes."""

# Typing only: the dicts that ``core_defaults()`` and the providers' ``options`` return.

class _CoreDefaults(TypedDict):
    clock_skew_secs: int
    provider_margin_fraction: float
    provider_min_margin_secs: int
    provider_reuse_per_request_tokens: bool
    apns_renew_after_secs: int
    device_check_renew_after_secs: int
    maps_margin_fraction: float
    maps_min_margin_secs: int
    connect_timeout_secs: float
    read_timeout_secs: float
    user_agent: str
    max_retries: int
    deadline_secs: float

class _ProviderOptions(TypedDict):
    margin_fraction: float
    min_margin_secs: int
    renew_after_secs: int | None
    """None: the rule table's age (``core_defaults()["apns_renew_after_secs"]``)."""
    reuse_per_request_tokens: bool
    aligned: bool | None
    """None: the rule table's choice (on for APNs and DeviceCheck)."""

class _MapsOptions(TypedDict):
    margin_fraction: float
    min_margin_secs: int
    base_url: str | None
    connect_timeout_secs: float
    read_timeout_secs: float
    user_agent: str
    max_retries: int
    deadline_secs: float
