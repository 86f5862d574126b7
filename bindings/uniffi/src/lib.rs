//! The uniffi face of devtoken: `libdevtoken.so` / `libdevtoken.a` for Kotlin (over JNA) and
//! Swift.
//!
//! Conversions only, laid out by concern: [`error`] (the core's error kinds, exhaustively),
//! [`signer`] (with [`external`], signers written in Kotlin or Swift), [`storekit`],
//! [`providers`], [`network`], and the lean JNA entry points in `lean`. The core's `Service`,
//! `Claims` and `Level` are described to uniffi with `#[uniffi::remote]`, so they are not
//! mirrored by hand. Every rule and default lives in the core; options a caller leaves out arrive
//! here as `None` and take the core's value.
//!
//! The core crate is depended on as `devtoken_core` (see `Cargo.toml`) because this crate's own
//! library is named `devtoken` (the `libdevtoken.so` the bindings load), and two crates of one
//! name cannot be told apart in `use` paths.
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

use devtoken_core as core;
use devtoken_core::{Claims, DurationInput, ErrorKind, Level, Service, SigningBackend};

pub mod error;
pub mod external;
#[cfg(feature = "fuzzing")]
#[allow(unsafe_code)]
pub mod fuzzing;
#[allow(unsafe_code)]
mod lean;
pub mod network;
pub mod providers;
pub mod signer;
pub mod storekit;

pub use error::{Result, TokenError};

uniffi::setup_scaffolding!("devtoken");

/// An Apple server API that takes an ES256 developer token.
#[uniffi::remote(Enum)]
pub enum Service {
    Maps,
    AppleMusic,
    AppStoreServer,
    ExternalPurchaseServer,
    AppsAndBooks,
    AppStoreConnect,
    EnterpriseProgram,
    WeatherKit,
    SignInWithApple,
    Apns,
    DeviceCheck,
    SchoolManager,
    BusinessManager,
    AppleAds,
}

/// The payload of a token; every field has a default so named arguments read naturally.
#[uniffi::remote(Record)]
pub struct Claims {
    #[uniffi(default)]
    pub issuer: Option<String>,
    #[uniffi(default)]
    pub issued_at: Option<i64>,
    #[uniffi(default)]
    pub expires_at: Option<i64>,
    #[uniffi(default)]
    pub ttl: Option<i64>,
    #[uniffi(default)]
    pub origins: Vec<String>,
    #[uniffi(default)]
    pub bundle_id: Option<String>,
    #[uniffi(default)]
    pub subject: Option<String>,
    #[uniffi(default)]
    pub scope: Vec<String>,
    #[uniffi(default)]
    pub jwt_id: Option<String>,
}

/// How the ECDSA signature is computed; both give the same bytes in constant time.
#[uniffi::remote(Enum)]
pub enum SigningBackend {
    /// p256's arithmetic with a precomputed fixed-base comb for k·G; the default.
    FixedBaseComb,
    /// p256's own `SigningKey::sign`, kept selectable for comparison.
    StockP256,
}

/// How serious a finding is.
#[uniffi::remote(Enum)]
pub enum Level {
    Error,
    Warning,
    Info,
}

/// One observation of `inspect_token`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Finding {
    /// How serious it is.
    pub level: Level,
    /// A stable snake_case code, e.g. `signature_der`.
    pub code: String,
    /// A sentence that explains it.
    pub message: String,
}

impl From<core::Finding> for Finding {
    fn from(finding: core::Finding) -> Self {
        Finding {
            level: finding.level,
            code: finding.code.to_string(),
            message: finding.message,
        }
    }
}

/// A token's header and claims as JSON object text (members in token order).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DecodedToken {
    /// The JOSE header, as JSON.
    pub header_json: String,
    /// The payload claims, as JSON.
    pub claims_json: String,
}

fn decoded(token: core::DecodedToken) -> DecodedToken {
    // Serializing a map decoded from JSON cannot fail.
    DecodedToken {
        header_json: serde_json::to_string(&token.header).unwrap_or_default(),
        claims_json: serde_json::to_string(&token.claims).unwrap_or_default(),
    }
}

/// Checks the signature, alg and structure of a token.
#[uniffi::export]
pub fn verify_token(token: String, public_key_pem: String) -> Result<DecodedToken> {
    let key = core::PublicKey::from_pem(&public_key_pem)?;
    Ok(decoded(core::verify_token(&token, &key)?))
}

/// Decodes a token's header and claims without checking the signature.
#[uniffi::export]
pub fn decode_token(token: String) -> Result<DecodedToken> {
    Ok(decoded(core::decode_token(&token)?))
}

/// Lists every reason Apple would reject the token, at the system clock's time.
#[uniffi::export(default(service = None, public_key_pem = None))]
pub fn inspect_token(
    token: String,
    service: Option<Service>,
    public_key_pem: Option<String>,
) -> Result<Vec<Finding>> {
    inspect_token_at(token, service, public_key_pem, core::unix_now())
}

/// Lists every reason Apple would reject the token at UNIX time `now`.
#[uniffi::export]
pub fn inspect_token_at(
    token: String,
    service: Option<Service>,
    public_key_pem: Option<String>,
    now: i64,
) -> Result<Vec<Finding>> {
    let key = public_key_pem
        .map(|pem| core::PublicKey::from_pem(&pem))
        .transpose()?;
    Ok(core::inspect_token_at(&token, service, key.as_ref(), now)
        .into_iter()
        .map(Finding::from)
        .collect())
}

/// A fresh P-256 private key as PKCS#8 PEM, for local testing.
#[uniffi::export]
pub fn generate_private_key_pem() -> Result<String> {
    Ok(core::PrivateKey::generate()?.to_pkcs8_pem().to_string())
}

/// The command-line names of every service, in rule-table order.
#[uniffi::export]
pub fn service_names() -> Vec<String> {
    Service::ALL
        .iter()
        .map(|s| s.cli_name().to_string())
        .collect()
}

/// Every service, in rule-table order (what `service_names` names).
#[uniffi::export]
pub fn all_services() -> Vec<Service> {
    Service::ALL.to_vec()
}

/// The service with this command-line name (`app-store-server`) or display name, if any.
#[uniffi::export]
pub fn service_named(name: String) -> Option<Service> {
    name.parse().ok()
}

/// The command-line name of `service` (`app-store-server`).
#[uniffi::export]
pub fn service_name(service: Service) -> String {
    service.cli_name().to_string()
}

/// The core's defaults (`devtoken::core_defaults()`), durations in this face's units.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct CoreDefaults {
    /// How far `iat` is back-dated, in seconds.
    pub clock_skew_secs: i64,
    /// `TokenProvider`: renew when less than this fraction of the lifetime is left.
    pub provider_margin_fraction: f64,
    /// `TokenProvider`: ... but with at least this many seconds left.
    pub provider_min_margin_secs: i64,
    /// `TokenProvider`: whether App Store Server / External Purchase Server tokens are reused.
    pub provider_reuse_per_request_tokens: bool,
    /// `TokenProvider` for APNs: renew this long after signing (the rule table's value).
    pub apns_renew_after_secs: Option<i64>,
    /// `TokenProvider` for DeviceCheck: renew this long after signing (the rule table's value).
    pub device_check_renew_after_secs: Option<i64>,
    /// `MapsTokenProvider`: exchange again when less than this fraction is left.
    pub maps_margin_fraction: f64,
    /// `MapsTokenProvider`: ... but with at least this many seconds left.
    pub maps_min_margin_secs: i64,
    /// Network: time allowed to connect, in milliseconds.
    pub connect_timeout_ms: i64,
    /// Network: time allowed for the answer, in milliseconds.
    pub read_timeout_ms: i64,
    /// Network: the User-Agent header.
    pub user_agent: String,
    /// Network: retries after a 5xx answer or a connection failure.
    pub max_retries: i64,
    /// Network: the overall deadline of one call, retries and waits included, in milliseconds.
    pub deadline_ms: i64,
}

/// The core's defaults (read from the core, never restated in a binding).
#[uniffi::export]
pub fn core_defaults() -> CoreDefaults {
    let defaults = core::core_defaults();
    let secs = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    CoreDefaults {
        clock_skew_secs: secs(defaults.clock_skew_secs),
        provider_margin_fraction: defaults.provider_margin_fraction,
        provider_min_margin_secs: secs(defaults.provider_min_margin_secs),
        provider_reuse_per_request_tokens: defaults.provider_reuse_per_request_tokens,
        apns_renew_after_secs: defaults.apns_renew_after_secs.map(secs),
        device_check_renew_after_secs: defaults.device_check_renew_after_secs.map(secs),
        maps_margin_fraction: defaults.maps_margin_fraction,
        maps_min_margin_secs: secs(defaults.maps_min_margin_secs),
        connect_timeout_ms: network::millis_i64(defaults.connect_timeout),
        read_timeout_ms: network::millis_i64(defaults.read_timeout),
        user_agent: defaults.user_agent,
        max_retries: i64::from(defaults.max_retries),
        deadline_ms: network::millis_i64(defaults.deadline),
    }
}

/// The kind of a devtoken error: one exception class (or enum case) per kind in each face.
#[uniffi::remote(Enum)]
pub enum ErrorKind {
    InvalidKey,
    InvalidClaim,
    MalformedToken,
    BadSignature,
    InvalidOption,
    RefreshTooSoon,
    AppleRejected,
    QuotaExceeded,
    Network,
    MalformedResponse,
    Io,
    ExternalSigner,
}

/// The core's stable code of `kind` (`invalid_claim`), as `TokenError`'s `kind` carries it.
#[uniffi::export]
pub fn error_kind_code(kind: ErrorKind) -> String {
    kind.code().to_string()
}

/// A duration a face takes in its own type where the core counts whole seconds.
#[uniffi::remote(Enum)]
pub enum DurationInput {
    /// `Claims.ttl` (refused as an invalid `exp`).
    Ttl,
    /// A signer's clock skew (`clock_skew_secs`).
    ClockSkew,
    /// A provider's smallest renewal margin (`min_margin_secs`).
    MinMargin,
}

/// The whole seconds of the duration `seconds + nanos · 10⁻⁹`, or the core's error for `input`
/// (rule `whole_seconds` for a fraction of a second): what the Swift layer's `Duration`s go
/// through.
#[uniffi::export]
pub fn whole_seconds(input: DurationInput, seconds: i64, nanos: i64) -> Result<i64> {
    Ok(input.whole_seconds(seconds, nanos)?)
}

/// The warnings for a signed token of `service` that Apple's pages allow but Apple has refused
/// in the field (`devtoken::field::lifetime_warning`): what the CLI prints after signing.
#[uniffi::export]
pub fn lifetime_warnings(token: String, service: Service) -> Result<Vec<Finding>> {
    Ok(core::lifetime_warnings(&token, service)?
        .into_iter()
        .map(Finding::from)
        .collect())
}
