//! `Signer` and the test clock.

use std::sync::Arc;

use devtoken_core as core;
use devtoken_core::{Claims, Service, SigningBackend};
use zeroize::Zeroizing;

use crate::error::Result;
use crate::external::{ExternalDigestSigner, ForeignSigner};
use crate::lean;

/// Signs ES256 developer tokens with one parsed key; safe to share between threads.
#[derive(uniffi::Object)]
#[uniffi::export(Display)]
pub struct Signer {
    pub(crate) inner: Arc<core::Signer>,
    lean: Option<lean::Registration<core::Signer>>,
}

impl std::fmt::Display for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer(keyId={})", self.inner.key_id())
    }
}

impl Signer {
    /// Applies the optional settings; what is not given keeps the core's default.
    fn wrap(
        mut signer: core::Signer,
        clock_skew_secs: Option<i64>,
        backend: Option<SigningBackend>,
    ) -> Result<Arc<Self>> {
        if let Some(secs) = clock_skew_secs {
            signer = signer.with_clock_skew(secs)?;
        }
        if let Some(backend) = backend {
            signer = signer.with_backend(backend);
        }
        let inner = Arc::new(signer);
        Ok(Arc::new(Signer {
            lean: lean::SIGNERS.register_unless_external(inner.is_external(), Arc::clone(&inner)),
            inner,
        }))
    }
}

#[uniffi::export]
impl Signer {
    /// Parses a PEM (any pasted form: CRLF, literal `\n`, one line, SEC1 or PKCS#8).
    /// `clock_skew_secs` and `backend`: None for the core's defaults.
    #[uniffi::constructor(default(clock_skew_secs = None, backend = None))]
    pub fn from_pem(
        pem: String,
        key_id: String,
        clock_skew_secs: Option<i64>,
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
    #[uniffi::constructor(default(key_id = None, clock_skew_secs = None, backend = None))]
    pub fn from_file(
        path: String,
        key_id: Option<String>,
        clock_skew_secs: Option<i64>,
        backend: Option<SigningBackend>,
    ) -> Result<Arc<Self>> {
        Self::wrap(
            core::Signer::from_file(path, key_id.as_deref())?,
            clock_skew_secs,
            backend,
        )
    }

    /// A signer over a fresh random key (for tests and local use).
    #[uniffi::constructor(default(clock_skew_secs = None, backend = None))]
    pub fn generate(
        key_id: String,
        clock_skew_secs: Option<i64>,
        backend: Option<SigningBackend>,
    ) -> Result<Arc<Self>> {
        let key = core::PrivateKey::generate()?;
        Self::wrap(core::Signer::new(key, &key_id)?, clock_skew_secs, backend)
    }

    /// A signer whose key is held by foreign code (a KMS client, an HSM): `signer` is asked to
    /// sign each SHA-256 digest, and every answer (DER or r||s) is checked against
    /// `public_key_pem` before a token is returned; a failure, a wrong key or garbage is a
    /// `TokenError::ExternalSigner` naming the cause (rule `failed`, `wrong_key`,
    /// `signature_shape`, `timeout`, `busy`). `timeout_ms`: the longest wait for one signature
    /// (None: the core's default); `clock_skew_secs` as for `from_pem`. Tokens are not
    /// deterministic: the signer picks its own nonces.
    #[uniffi::constructor(default(timeout_ms = None, clock_skew_secs = None))]
    pub fn from_external(
        public_key_pem: String,
        key_id: String,
        signer: Box<dyn ExternalDigestSigner>,
        timeout_ms: Option<i64>,
        clock_skew_secs: Option<i64>,
    ) -> Result<Arc<Self>> {
        let public_key = core::PublicKey::from_pem(&public_key_pem)?;
        let foreign = ForeignSigner { signer, public_key };
        let inner = core::Signer::from_external(Arc::new(foreign), &key_id)?;
        Self::wrap(with_timeout(inner, timeout_ms)?, clock_skew_secs, None)
    }

    /// A signer over a key inside an HSM, from an RFC 7512 `pkcs11:` URI (`module-path=`, the
    /// token, the key by `object=` or `id=`, the PIN only from `pin-source=file:...` or
    /// `env:...`). Without `key_id`, a key labelled `AuthKey_<KEYID>` gives it. Failures are a
    /// `TokenError::ExternalSigner` naming the cause (wrong PIN, missing key, wrong curve,
    /// missing token). `timeout_ms` and `clock_skew_secs` as for `from_external`.
    #[uniffi::constructor(default(key_id = None, timeout_ms = None, clock_skew_secs = None))]
    pub fn from_pkcs11(
        uri: String,
        key_id: Option<String>,
        timeout_ms: Option<i64>,
        clock_skew_secs: Option<i64>,
    ) -> Result<Arc<Self>> {
        let config = core::Pkcs11Config::from_uri(&uri)?;
        let inner = core::Signer::from_pkcs11(config, key_id.as_deref())?;
        Self::wrap(with_timeout(inner, timeout_ms)?, clock_skew_secs, None)
    }

    /// The longest wait for one signature of an external signer, in milliseconds; None for a
    /// signer that holds its key.
    pub fn external_timeout_ms(&self) -> Option<i64> {
        self.inner
            .external_timeout()
            .map(crate::network::millis_i64)
    }

    /// The key id sent as `kid`.
    pub fn key_id(&self) -> String {
        self.inner.key_id().to_string()
    }

    /// How far `iat` is back-dated when claims carry no `issued_at`, in seconds.
    pub fn clock_skew_secs(&self) -> i64 {
        // At most MAX_CLOCK_SKEW_SECS (600), so the conversion is exact.
        self.inner.clock_skew_secs() as i64
    }

    /// This signer's id for `devtoken_lean_sign_token`, the Structure-free entry point the
    /// Kotlin layer signs through (uniffi calls cost more than a signature over JNA). Valid
    /// until the signer is closed; 0 (declined by every lean call) for an external signer.
    /// Other bindings can ignore it.
    pub fn lean_call_id(&self) -> u64 {
        lean::lean_id(&self.lean)
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

/// An external signer with its longest wait set, when given.
fn with_timeout(signer: core::Signer, timeout_ms: Option<i64>) -> Result<core::Signer> {
    Ok(match timeout_ms {
        Some(ms) => signer.with_external_timeout(core::options::millis("external_timeout", ms)?)?,
        None => signer,
    })
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
pub(crate) fn clock_or_system(clock: Option<Arc<ManualClock>>) -> Arc<dyn core::clock::Clock> {
    match clock {
        Some(clock) => clock.inner.clone(),
        None => Arc::new(core::clock::SystemClock),
    }
}
