//! The uniffi face of devtoken: `libdevtoken.so` for Kotlin (over JNA) and Swift.
//!
//! Conversions only. The core's `Service`, `Claims` and `Level` are described to uniffi with
//! `#[uniffi::remote]`, so they are not mirrored by hand; errors become one `TokenError` whose
//! variants carry the core's full message. Every rule lives in the core.

use std::sync::Arc;

use devtoken_core as core;
use devtoken_core::{Claims, Level, Service, SigningBackend};
use zeroize::Zeroizing;

mod lean;

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

/// Every devtoken failure; `reason` is the core's full sentence (named so that it does not
/// clash with the `message` of Kotlin and Swift errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TokenError {
    /// The key is not a usable P-256 key.
    #[error("{reason}")]
    InvalidKey { reason: String },
    /// A claim or header field breaks a rule of the service.
    #[error("{reason}")]
    InvalidClaim {
        reason: String,
        /// The JWT member at fault (`iss`, `exp`, `kid`, ...).
        field: String,
        /// The rule's code (`max_lifetime`, `format`, `required`, `unsupported_claim`, ...).
        rule: String,
    },
    /// The text is not a compact JWS.
    #[error("{reason}")]
    MalformedToken { reason: String },
    /// The signature is not a valid ES256 signature by the given key.
    #[error("{reason}")]
    BadSignature { reason: String },
    /// A file could not be read.
    #[error("{reason}")]
    Io { reason: String },
    /// A TokenProvider option or claims template is not usable.
    #[error("{reason}")]
    InvalidOption { reason: String },
    /// A forced refresh would replace a provider token sooner than Apple allows.
    #[error("{reason}")]
    RefreshTooSoon {
        reason: String,
        /// Seconds until a refresh is allowed.
        wait_secs: i64,
    },
    /// Apple refused the token (HTTP 401/403).
    #[error("{reason}")]
    AppleRejected {
        reason: String,
        /// The HTTP status.
        status: i32,
        /// Apple's error message.
        apple_message: String,
        /// Apple's error details.
        details: Vec<String>,
        /// What inspect_token finds wrong with the token that was sent.
        findings: Vec<Finding>,
    },
    /// Apple answered 429: the daily quota is used up. Not retried.
    #[error("{reason}")]
    QuotaExceeded {
        reason: String,
        /// The Retry-After header in seconds, when Apple sent one.
        retry_after_secs: Option<i64>,
    },
    /// The server could not be reached, or kept answering 5xx, after every retry.
    #[error("{reason}")]
    Network {
        reason: String,
        /// How many requests were made.
        attempts: i32,
    },
    /// A 2xx answer whose body is not what Apple documents.
    #[error("{reason}")]
    MalformedResponse { reason: String },
}

impl From<core::Error> for TokenError {
    fn from(error: core::Error) -> Self {
        let reason = error.to_string();
        match error {
            core::Error::InvalidKey { .. } => TokenError::InvalidKey { reason },
            core::Error::InvalidClaim { field, rule, .. } => TokenError::InvalidClaim {
                reason,
                field: field.to_string(),
                rule: rule.code().to_string(),
            },
            core::Error::UnsupportedClaim { field, .. } => TokenError::InvalidClaim {
                reason,
                field: field.to_string(),
                rule: "unsupported_claim".to_string(),
            },
            core::Error::MalformedToken { .. } => TokenError::MalformedToken { reason },
            core::Error::BadSignature { .. } => TokenError::BadSignature { reason },
            core::Error::InvalidOption { .. } => TokenError::InvalidOption { reason },
            core::Error::RefreshTooSoon { wait_secs, .. } => {
                TokenError::RefreshTooSoon { reason, wait_secs }
            }
            core::Error::AppleRejected {
                status,
                message,
                details,
                findings,
                ..
            } => TokenError::AppleRejected {
                reason,
                status: i32::from(status),
                apple_message: message,
                details,
                findings: findings.into_iter().map(Finding::from).collect(),
            },
            core::Error::QuotaExceeded {
                retry_after_secs, ..
            } => TokenError::QuotaExceeded {
                reason,
                retry_after_secs: retry_after_secs.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
            },
            core::Error::Network { attempts, .. } => TokenError::Network {
                reason,
                attempts: i32::try_from(attempts).unwrap_or(i32::MAX),
            },
            core::Error::MalformedResponse { .. } => TokenError::MalformedResponse { reason },
            // `Io`, and any variant a later core adds before this face learns of it.
            _ => TokenError::Io { reason },
        }
    }
}

type Result<T> = std::result::Result<T, TokenError>;

fn clock_skew(secs: i64) -> Result<u64> {
    u64::try_from(secs).map_err(|_| TokenError::InvalidClaim {
        reason: format!("clock skew is {secs} s; it must be zero or more"),
        field: "iat".to_string(),
        rule: "time_range".to_string(),
    })
}

/// Signs ES256 developer tokens with one parsed key; safe to share between threads.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct Signer {
    inner: Arc<core::Signer>,
    lean: lean::Registration<core::Signer>,
}

impl std::fmt::Display for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer(keyId={})", self.inner.key_id())
    }
}

impl Signer {
    fn wrap(
        signer: core::Signer,
        clock_skew_secs: i64,
        backend: Option<SigningBackend>,
    ) -> Result<Arc<Self>> {
        let inner = Arc::new(
            signer
                .with_clock_skew(clock_skew(clock_skew_secs)?)
                .with_backend(backend.unwrap_or_default()),
        );
        Ok(Arc::new(Signer {
            lean: lean::SIGNERS.register(Arc::clone(&inner)),
            inner,
        }))
    }
}

#[uniffi::export]
impl Signer {
    /// Parses a PEM (any pasted form: CRLF, literal `\n`, one line, SEC1 or PKCS#8).
    /// `backend`: None (or `FixedBaseComb`) for the default signer, `StockP256` to compare.
    #[uniffi::constructor(default(clock_skew_secs = 60, backend = None))]
    pub fn from_pem(
        pem: String,
        key_id: String,
        clock_skew_secs: i64,
        backend: Option<SigningBackend>,
    ) -> Result<Arc<Self>> {
        let pem = Zeroizing::new(pem);
        Self::wrap(
            core::Signer::from_pem(&pem, &key_id)?,
            clock_skew_secs,
            backend,
        )
    }

    /// Reads a key file; the key id comes from an `AuthKey_<KEYID>.p8` name when not given.
    #[uniffi::constructor(default(key_id = None, clock_skew_secs = 60, backend = None))]
    pub fn from_file(
        path: String,
        key_id: Option<String>,
        clock_skew_secs: i64,
        backend: Option<SigningBackend>,
    ) -> Result<Arc<Self>> {
        Self::wrap(
            core::Signer::from_file(path, key_id.as_deref())?,
            clock_skew_secs,
            backend,
        )
    }

    /// A signer over a fresh random key (for tests and local use).
    #[uniffi::constructor(default(clock_skew_secs = 60, backend = None))]
    pub fn generate(
        key_id: String,
        clock_skew_secs: i64,
        backend: Option<SigningBackend>,
    ) -> Result<Arc<Self>> {
        let key = core::PrivateKey::generate()?;
        Self::wrap(core::Signer::new(key, &key_id)?, clock_skew_secs, backend)
    }

    /// The key id sent as `kid`.
    pub fn key_id(&self) -> String {
        self.inner.key_id().to_string()
    }

    /// This signer's id for `devtoken_lean_sign_token`, the Structure-free entry point the
    /// Kotlin layer signs through (uniffi calls cost more than a signature over JNA). Valid
    /// until the signer is closed; other bindings can ignore it.
    pub fn lean_call_id(&self) -> u64 {
        self.lean.id()
    }

    /// The public key as SPKI PEM.
    pub fn public_key_pem(&self) -> String {
        self.inner.public_key().to_pem()
    }

    /// Validates the claims against the service's rules and signs, at the system clock's time.
    pub fn sign_token(&self, service: Service, claims: Claims) -> Result<String> {
        Ok(self.inner.sign_token(service, &claims)?)
    }

    /// Like `sign_token` at a given UNIX time: same key, claims and time give the same token.
    pub fn sign_token_at(&self, service: Service, claims: Claims, now: i64) -> Result<String> {
        Ok(self.inner.sign_token_at(service, &claims, now)?)
    }
}

/// A clock that moves only when told to, for tests of `TokenProvider`.
#[derive(uniffi::Object)]
pub struct ManualClock {
    inner: Arc<core::clock::ManualClock>,
}

#[uniffi::export]
impl ManualClock {
    /// A clock standing at `now` (UNIX seconds).
    #[uniffi::constructor]
    pub fn new(now: i64) -> Arc<Self> {
        Arc::new(ManualClock {
            inner: Arc::new(core::clock::ManualClock::new(now)),
        })
    }

    /// The current time.
    pub fn now(&self) -> i64 {
        core::clock::Clock::now(self.inner.as_ref())
    }

    /// Sets the time.
    pub fn set(&self, now: i64) {
        self.inner.set(now)
    }

    /// Moves the time by `secs`.
    pub fn advance(&self, secs: i64) {
        self.inner.advance(secs)
    }
}

/// The given manual clock, or the system clock.
fn clock_or_system(clock: Option<Arc<ManualClock>>) -> Arc<dyn core::clock::Clock> {
    match clock {
        Some(clock) => clock.inner.clone(),
        None => Arc::new(core::clock::SystemClock),
    }
}

/// How a `TokenProvider` renews (see the core's `ProviderOptions`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ProviderOptions {
    /// Renew when less than this fraction of the lifetime is left.
    #[uniffi(default = 0.25)]
    pub margin_fraction: f64,
    /// ... but with at least this many seconds left.
    #[uniffi(default = 60)]
    pub min_margin_secs: i64,
    /// APNs/DeviceCheck: renew this long after signing (1200 to 3599; default 2400).
    #[uniffi(default = None)]
    pub renew_after_secs: Option<i64>,
    /// App Store Server / External Purchase Server: reuse instead of a token per call.
    #[uniffi(default = false)]
    pub reuse_per_request_tokens: bool,
}

fn non_negative(value: i64, option: &str) -> Result<u64> {
    u64::try_from(value).map_err(|_| TokenError::InvalidOption {
        reason: format!("invalid {option}: {value} is negative"),
    })
}

/// A cached, self-renewing token following the service's reuse rule.
#[derive(uniffi::Object)]
pub struct TokenProvider {
    inner: Arc<core::TokenProvider>,
    lean: lean::Registration<core::TokenProvider>,
}

#[uniffi::export]
impl TokenProvider {
    /// A provider for `service` and the claims template `claims` (no issued_at/expires_at).
    #[uniffi::constructor(default(options = None, clock = None))]
    pub fn new(
        signer: Arc<Signer>,
        service: Service,
        claims: Claims,
        options: Option<ProviderOptions>,
        clock: Option<Arc<ManualClock>>,
    ) -> Result<Arc<Self>> {
        let options = options.unwrap_or(ProviderOptions {
            margin_fraction: 0.25,
            min_margin_secs: 60,
            renew_after_secs: None,
            reuse_per_request_tokens: false,
        });
        let core_options = core::ProviderOptions {
            margin_fraction: options.margin_fraction,
            min_margin_secs: non_negative(options.min_margin_secs, "min_margin_secs")?,
            renew_after_secs: options
                .renew_after_secs
                .map(|secs| non_negative(secs, "renew_after_secs"))
                .transpose()?,
            reuse_per_request_tokens: options.reuse_per_request_tokens,
        };
        let clock = clock_or_system(clock);
        let inner = core::TokenProvider::with_clock(
            Arc::clone(&signer.inner),
            service,
            claims,
            core_options,
            clock,
        )?;
        let inner = Arc::new(inner);
        Ok(Arc::new(TokenProvider {
            lean: lean::PROVIDERS.register(Arc::clone(&inner)),
            inner,
        }))
    }

    /// This provider's id for `devtoken_lean_provider_token`, the Structure-free entry point
    /// the Kotlin layer reads tokens through. Valid until the provider is closed; other bindings
    /// can ignore it.
    pub fn lean_call_id(&self) -> u64 {
        self.lean.id()
    }

    /// The token to send now.
    pub fn token(&self) -> Result<String> {
        Ok(self.inner.token()?.to_string())
    }

    /// Signs a new token now (the APNs 20-minute floor still holds).
    pub fn force_refresh(&self) -> Result<String> {
        Ok(self.inner.force_refresh()?.to_string())
    }

    /// When the current token expires, if one has been signed.
    pub fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at()
    }

    /// Seconds until the current token expires, if one has been signed.
    pub fn seconds_left(&self) -> Option<i64> {
        self.inner.seconds_left()
    }

    /// The current token's claims as JSON, for logging.
    pub fn current_claims_json(&self) -> Option<String> {
        self.inner
            .current_claims()
            .map(|claims| serde_json::to_string(&claims).unwrap_or_default())
    }

    /// How many tokens this provider has signed.
    pub fn signature_count(&self) -> i64 {
        i64::try_from(self.inner.signature_count()).unwrap_or(i64::MAX)
    }
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

/// How HTTP requests to Apple are made (all fields have defaults).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NetworkOptions {
    /// Replaces Apple's base URL (e.g. a local test server).
    #[uniffi(default = None)]
    pub base_url: Option<String>,
    /// Time allowed to connect, in milliseconds.
    #[uniffi(default = 5000)]
    pub connect_timeout_ms: i64,
    /// Time allowed for the answer, in milliseconds.
    #[uniffi(default = 10000)]
    pub read_timeout_ms: i64,
    /// The User-Agent header (default devtoken/<version>).
    #[uniffi(default = None)]
    pub user_agent: Option<String>,
    /// Extra CA certificates (PEM) trusted besides Mozilla's root store.
    #[uniffi(default = None)]
    pub extra_ca_pem: Option<String>,
    /// Retries after a 5xx answer or a connection failure.
    #[uniffi(default = 2)]
    pub max_retries: i32,
}

fn http_options(options: Option<NetworkOptions>) -> Result<core::HttpOptions> {
    let defaults = core::HttpOptions::default();
    let Some(options) = options else {
        return Ok(defaults);
    };
    let millis = |value: i64, option: &str| {
        non_negative(value, option).map(std::time::Duration::from_millis)
    };
    Ok(core::HttpOptions {
        base_url: options.base_url,
        connect_timeout: millis(options.connect_timeout_ms, "connect_timeout_ms")?,
        read_timeout: millis(options.read_timeout_ms, "read_timeout_ms")?,
        user_agent: options.user_agent.unwrap_or(defaults.user_agent),
        extra_ca_pem: options.extra_ca_pem,
        max_retries: u32::try_from(non_negative(i64::from(options.max_retries), "max_retries")?)
            .unwrap_or(u32::MAX),
        retry_backoff: defaults.retry_backoff,
    })
}

/// The Maps Server API access token from `GET /v1/token`, cached and renewed.
#[derive(uniffi::Object)]
pub struct MapsTokenProvider {
    inner: Arc<core::MapsTokenProvider>,
    lean: lean::Registration<core::MapsTokenProvider>,
}

#[uniffi::export]
impl MapsTokenProvider {
    /// A provider for Maps `claims` (issuer, optional origins; scope defaults to server_api).
    #[uniffi::constructor(default(network = None, margin_fraction = 0.1, min_margin_secs = 60, clock = None))]
    pub fn new(
        signer: Arc<Signer>,
        claims: Claims,
        network: Option<NetworkOptions>,
        margin_fraction: f64,
        min_margin_secs: i64,
        clock: Option<Arc<ManualClock>>,
    ) -> Result<Arc<Self>> {
        let options = core::MapsOptions {
            margin_fraction,
            min_margin_secs: non_negative(min_margin_secs, "min_margin_secs")?,
            http: http_options(network)?,
        };
        let clock = clock_or_system(clock);
        let inner = Arc::new(core::MapsTokenProvider::with_clock(
            Arc::clone(&signer.inner),
            claims,
            options,
            clock,
        )?);
        Ok(Arc::new(MapsTokenProvider {
            lean: lean::MAPS_PROVIDERS.register(Arc::clone(&inner)),
            inner,
        }))
    }

    /// This provider's id for `devtoken_lean_maps_access_token`, the Structure-free entry point
    /// the Kotlin layer reads fresh access tokens through. Valid until the provider is closed;
    /// other bindings can ignore it.
    pub fn lean_call_id(&self) -> u64 {
        self.lean.id()
    }

    /// The access token to send to Maps Server API calls now.
    pub fn access_token(&self) -> Result<String> {
        Ok(self.inner.access_token()?.to_string())
    }

    /// When the current access token expires (UNIX seconds), if one has been obtained.
    pub fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at()
    }

    /// The signed Maps token that is exchanged.
    pub fn maps_token(&self) -> Result<String> {
        Ok(self.inner.maps_token()?.to_string())
    }

    /// How many exchanges succeeded.
    pub fn exchange_count(&self) -> i64 {
        i64::try_from(self.inner.exchange_count()).unwrap_or(i64::MAX)
    }
}

/// What a service's test endpoint said of a token.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProbeVerdict {
    /// True when the endpoint answered 2xx.
    pub accepted: bool,
    /// The HTTP status.
    pub status: i32,
    /// The URL that was called.
    pub url: String,
    /// Apple's message on refusal.
    pub message: String,
    /// On refusal, what inspect_token finds wrong with the token.
    pub findings: Vec<Finding>,
}

/// Calls the service's documented test endpoint with `token` and reports the verdict.
#[uniffi::export(default(network = None))]
pub fn probe(
    service: Service,
    token: String,
    network: Option<NetworkOptions>,
) -> Result<ProbeVerdict> {
    let verdict = core::probe(service, &token, http_options(network)?)?;
    Ok(ProbeVerdict {
        accepted: verdict.accepted,
        status: i32::from(verdict.status),
        url: verdict.url,
        message: verdict.message,
        findings: verdict.findings.into_iter().map(Finding::from).collect(),
    })
}
