//! The uniffi face of devtoken: `libdevtoken.so` for Kotlin (over JNA) and Swift.
//!
//! Conversions only. The core's `Service`, `Claims` and `Level` are described to uniffi with
//! `#[uniffi::remote]`, so they are not mirrored by hand; errors become one `TokenError` whose
//! variants carry the core's full message. Every rule lives in the core.

use std::sync::Arc;

use devtoken_core as core;
use devtoken_core::{Claims, Level, Service};
use zeroize::Zeroizing;

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
}

impl std::fmt::Display for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer(keyId={})", self.inner.key_id())
    }
}

impl Signer {
    fn wrap(signer: core::Signer, clock_skew_secs: i64) -> Result<Arc<Self>> {
        Ok(Arc::new(Signer {
            inner: Arc::new(signer.with_clock_skew(clock_skew(clock_skew_secs)?)),
        }))
    }
}

#[uniffi::export]
impl Signer {
    /// Parses a PEM (any pasted form: CRLF, literal `\n`, one line, SEC1 or PKCS#8).
    #[uniffi::constructor(default(clock_skew_secs = 60))]
    pub fn from_pem(pem: String, key_id: String, clock_skew_secs: i64) -> Result<Arc<Self>> {
        let pem = Zeroizing::new(pem);
        Self::wrap(core::Signer::from_pem(&pem, &key_id)?, clock_skew_secs)
    }

    /// Reads a key file; the key id comes from an `AuthKey_<KEYID>.p8` name when not given.
    #[uniffi::constructor(default(key_id = None, clock_skew_secs = 60))]
    pub fn from_file(
        path: String,
        key_id: Option<String>,
        clock_skew_secs: i64,
    ) -> Result<Arc<Self>> {
        Self::wrap(
            core::Signer::from_file(path, key_id.as_deref())?,
            clock_skew_secs,
        )
    }

    /// A signer over a fresh random key (for tests and local use).
    #[uniffi::constructor(default(clock_skew_secs = 60))]
    pub fn generate(key_id: String, clock_skew_secs: i64) -> Result<Arc<Self>> {
        let key = core::PrivateKey::generate()?;
        Self::wrap(core::Signer::new(key, &key_id)?, clock_skew_secs)
    }

    /// The key id sent as `kid`.
    pub fn key_id(&self) -> String {
        self.inner.key_id().to_string()
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
    inner: core::TokenProvider,
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
        let clock: Arc<dyn core::clock::Clock> = match clock {
            Some(clock) => clock.inner.clone(),
            None => Arc::new(core::clock::SystemClock),
        };
        let inner = core::TokenProvider::with_clock(
            Arc::clone(&signer.inner),
            service,
            claims,
            core_options,
            clock,
        )?;
        Ok(Arc::new(TokenProvider { inner }))
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
        .map(|f| Finding {
            level: f.level,
            code: f.code.to_string(),
            message: f.message,
        })
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
