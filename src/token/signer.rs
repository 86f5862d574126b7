//! The [`Signer`]: a parsed key plus its key id, signing validated tokens for any service.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use p256::ecdsa::Signature;

use crate::contract::error::{Error, Result, Rule};
use crate::crypto::external::{ExternalKey, ExternalSigner};
pub use crate::crypto::jwt::SigningBackend;
use crate::crypto::jwt::{encode_and_sign, sign_in_memory};
use crate::crypto::keys::{PrivateKey, PublicKey};
use crate::rules::service::Service;
use crate::token::claims::{build_token_json, check_key_id, Claims};

pub use crate::base::clock::unix_now;
pub use crate::contract::options::DEFAULT_CLOCK_SKEW_SECS;

/// Signs ES256 developer tokens with one key. Parse the key once; share the signer freely
/// (`Send + Sync`, no interior state).
///
/// ```
/// use devtoken::{Claims, PrivateKey, Service, Signer};
/// let signer = Signer::new(PrivateKey::generate().unwrap(), "ABC123DEFG").unwrap();
/// let claims = Claims::new("57246542-96fe-1a63-e053-0824d011072a")
///     .bundle_id("com.example.app")
///     .ttl(300);
/// let token = signer.sign_token(Service::AppStoreServer, &claims).unwrap();
/// assert_eq!(token.split('.').count(), 3);
/// ```
#[derive(Clone)]
pub struct Signer {
    key: KeySource,
    key_id: String,
    clock_skew_secs: u64,
    backend: SigningBackend,
}

/// Where signatures come from: a parsed key, or a key held elsewhere.
#[derive(Clone)]
enum KeySource {
    InMemory(PrivateKey),
    External(ExternalKey),
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Signer");
        debug
            .field("key_id", &self.key_id)
            .field("clock_skew_secs", &self.clock_skew_secs);
        if let KeySource::External(external) = &self.key {
            debug.field("external", &external.name());
        }
        debug.finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer for `key` under the `key_id` Apple shows for it: 10 characters, or a UUID for
    /// Apple School and Business Manager and Apple Ads keys (checked per service when signing).
    pub fn new(key: PrivateKey, key_id: &str) -> Result<Self> {
        Self::with_source(KeySource::InMemory(key), key_id)
    }

    /// A signer whose key is held elsewhere (an HSM, a KMS, a callback): every token is checked
    /// exactly as with an in-memory key, and every signature is verified against
    /// `external.public_key()` before the token is returned. Signatures come with the signer's
    /// own (usually random) nonces, so tokens are not byte-identical from run to run; each call
    /// waits at most [`DEFAULT_EXTERNAL_TIMEOUT`](crate::crypto::external::DEFAULT_EXTERNAL_TIMEOUT)
    /// (see [`with_external_timeout`](Self::with_external_timeout)). See [`ExternalSigner`].
    pub fn from_external(external: Arc<dyn ExternalSigner>, key_id: &str) -> Result<Self> {
        Self::with_source(KeySource::External(ExternalKey::new(external)), key_id)
    }

    /// A signer over a key inside a PKCS#11 token (feature `pkcs11`): opens
    /// [`Pkcs11Signer`](crate::Pkcs11Signer) and builds [`from_external`](Self::from_external) on
    /// it. Without `key_id`, the id is taken from a key label of the form `AuthKey_<KEYID>`; a
    /// `key_id` that contradicts such a label is refused.
    ///
    /// ```no_run
    /// use devtoken::{Pkcs11Config, Signer};
    /// let config = Pkcs11Config::from_uri(
    ///     "pkcs11:token=devtoken;object=AuthKey_ABC123DEFG\
    ///      ?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/pin",
    /// )?;
    /// let signer = Signer::from_pkcs11(config, None)?;
    /// assert_eq!(signer.key_id(), "ABC123DEFG");
    /// # Ok::<(), devtoken::Error>(())
    /// ```
    #[cfg(feature = "pkcs11")]
    pub fn from_pkcs11(
        config: crate::crypto::pkcs11::Pkcs11Config,
        key_id: Option<&str>,
    ) -> Result<Self> {
        let key_id = match (key_id, config.apple_key_id()) {
            (Some(given), Some(from_label)) if given != from_label => {
                return Err(Error::external(
                    "PKCS#11",
                    crate::contract::error::SignerProblem::Config,
                    format!("key id {given} contradicts the key's label AuthKey_{from_label}: the wrong key?"),
                    None,
                ))
            }
            (Some(key_id), _) => key_id.to_string(),
            (None, Some(from_label)) => from_label,
            (None, None) => return Err(Error::external(
                "PKCS#11",
                crate::contract::error::SignerProblem::Config,
                "no key id: give one, or label the key AuthKey_<KEYID> as Apple names the .p8 file",
                None,
            )),
        };
        let signer = crate::crypto::pkcs11::Pkcs11Signer::open(config)?;
        Self::from_external(Arc::new(signer), &key_id)
    }

    fn with_source(key: KeySource, key_id: &str) -> Result<Self> {
        check_key_id(key_id)?;
        Ok(Signer {
            key,
            key_id: key_id.to_string(),
            clock_skew_secs: DEFAULT_CLOCK_SKEW_SECS,
            backend: SigningBackend::default(),
        })
    }

    /// Parses a PEM (any pasted form, see [`PrivateKey::from_pem`]) and checks the key id.
    pub fn from_pem(pem: &str, key_id: &str) -> Result<Self> {
        Self::new(PrivateKey::from_pem(pem)?, key_id)
    }

    /// Like [`from_pem`](Self::from_pem) for bytes (PEM or DER).
    pub fn from_pem_bytes(pem: &[u8], key_id: &str) -> Result<Self> {
        Self::new(PrivateKey::from_bytes(pem)?, key_id)
    }

    /// Reads a key file. Without `key_id`, the id is taken from an `AuthKey_<KEYID>.p8` file name;
    /// a `key_id` that contradicts the file name is refused (the classic key mix-up).
    pub fn from_file(path: impl AsRef<Path>, key_id: Option<&str>) -> Result<Self> {
        let path = path.as_ref();
        let from_name = key_id_from_file_name(path);
        let key_id = match (key_id, from_name.as_deref()) {
            (Some(given), Some(named)) if given != named => {
                return Err(Error::claim(
                    "kid",
                    Rule::Format,
                    format!("kid '{}' does not match the file name {} (key id {named}); is this the right key?",
                        crate::base::text::shorten(given, 60),
                        crate::base::text::shorten(
                            &path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                            100
                        )),
                ))
            }
            (Some(given), _) => given.to_string(),
            (None, Some(named)) => named.to_string(),
            (None, None) => {
                return Err(Error::claim(
                    "kid",
                    Rule::Required,
                    format!("kid is required: {} is not named AuthKey_<KEYID>.p8, so give the key \
                        id", crate::base::text::shorten(&path.display().to_string(), 300)),
                ))
            }
        };
        Self::new(PrivateKey::from_file(path)?, &key_id)
    }

    /// Sets how far `iat` is back-dated when claims carry no `issued_at` (default
    /// [`DEFAULT_CLOCK_SKEW_SECS`]); 0 to [`MAX_CLOCK_SKEW_SECS`](crate::contract::options::MAX_CLOCK_SKEW_SECS)
    /// seconds, else [`Error::InvalidOption`] for `clock_skew_secs` with rule `range`.
    ///
    /// ```
    /// # use devtoken::{PrivateKey, Signer};
    /// let signer = Signer::new(PrivateKey::generate()?, "ABC123DEFG")?;
    /// assert_eq!(signer.clone().with_clock_skew(5)?.clock_skew_secs(), 5);
    /// assert!(signer.with_clock_skew(-1).is_err());
    /// # Ok::<(), devtoken::Error>(())
    /// ```
    pub fn with_clock_skew(mut self, secs: i64) -> Result<Self> {
        let secs = crate::contract::options::seconds("clock_skew_secs", secs)?;
        self.clock_skew_secs = crate::contract::options::check_range(
            "clock_skew_secs",
            secs,
            0,
            crate::contract::options::MAX_CLOCK_SKEW_SECS,
            " s",
        )?;
        Ok(self)
    }

    /// Sets how long one call to an external signer may take (1 ms to
    /// [`MAX_EXTERNAL_TIMEOUT_MILLIS`](crate::contract::options::MAX_EXTERNAL_TIMEOUT_MILLIS));
    /// else [`Error::InvalidOption`] for `external_timeout` with rule `range`, and with rule
    /// `not_applicable` for a signer with an in-memory key.
    pub fn with_external_timeout(mut self, timeout: Duration) -> Result<Self> {
        let millis = crate::contract::options::check_range(
            "external_timeout",
            u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
            1,
            crate::contract::options::MAX_EXTERNAL_TIMEOUT_MILLIS,
            " ms",
        )?;
        match &mut self.key {
            KeySource::External(external) => {
                *external = external.clone().with_timeout(Duration::from_millis(millis));
                Ok(self)
            }
            KeySource::InMemory(_) => Err(Error::option(
                "external_timeout",
                crate::contract::error::OptionRule::NotApplicable,
                "external_timeout applies to external signers only; this signer holds its key",
            )),
        }
    }

    /// The bound on one external signature, or `None` for an in-memory key.
    pub fn external_timeout(&self) -> Option<Duration> {
        match &self.key {
            KeySource::External(external) => Some(external.timeout()),
            KeySource::InMemory(_) => None,
        }
    }

    /// Whether the key is held by an external signer (whose tokens are not deterministic).
    pub fn is_external(&self) -> bool {
        matches!(self.key, KeySource::External(_))
    }

    /// Chooses how signatures are computed (the tokens are the same either way).
    pub fn with_backend(mut self, backend: SigningBackend) -> Self {
        self.backend = backend;
        self
    }

    /// The signing backend in use.
    pub fn backend(&self) -> SigningBackend {
        self.backend
    }

    /// The key id sent as `kid`.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The back-dating applied to `iat`, in seconds.
    pub fn clock_skew_secs(&self) -> u64 {
        self.clock_skew_secs
    }

    /// Signs `message` (SHA-256, ECDSA P-256) with the key, wherever it is held (crate-internal:
    /// the JWS and StoreKit signers use it).
    pub(crate) fn sign_message(&self, message: &[u8]) -> Result<Signature> {
        match &self.key {
            KeySource::InMemory(key) => Ok(sign_in_memory(key, self.backend, message)),
            KeySource::External(external) => external.sign(message),
        }
    }

    /// The public half of the key, to verify tokens or give to others.
    pub fn public_key(&self) -> PublicKey {
        match &self.key {
            KeySource::InMemory(key) => key.public_key(),
            KeySource::External(external) => external.public_key(),
        }
    }

    /// Validates `claims` against `service`'s rules and signs a token, at the system clock's time.
    pub fn sign_token(&self, service: Service, claims: &Claims) -> Result<String> {
        self.sign_token_at(service, claims, unix_now())
    }

    /// Like [`sign_token`](Self::sign_token) at a given "now" (UNIX seconds): same key, claims
    /// and time give the same bytes (RFC 6979).
    pub fn sign_token_at(&self, service: Service, claims: &Claims, now: i64) -> Result<String> {
        let json = build_token_json(
            service.rules(),
            claims,
            &self.key_id,
            now,
            self.clock_skew_secs,
        )?;
        encode_and_sign(&json.header, &json.payload, |message| {
            self.sign_message(message)
        })
    }
}

/// `AuthKey_ABC123DEFG.p8` (or an In-App Purchase key's `SubscriptionKey_ABC123DEFG.p8`) →
/// `ABC123DEFG`, when the name has that shape.
pub fn key_id_from_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".p8").unwrap_or(name);
    let id = stem
        .strip_prefix("AuthKey_")
        .or_else(|| stem.strip_prefix("SubscriptionKey_"))?;
    crate::rules::identifiers::is_ten_character_id(id).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Signer>();
    }

    #[test]
    fn key_id_comes_from_the_file_name() {
        assert_eq!(
            key_id_from_file_name(Path::new("/keys/AuthKey_ABC123DEFG.p8")).as_deref(),
            Some("ABC123DEFG")
        );
        assert_eq!(
            key_id_from_file_name(Path::new("SubscriptionKey_ABC123DEFG.p8")).as_deref(),
            Some("ABC123DEFG")
        );
        assert_eq!(key_id_from_file_name(Path::new("AuthKey_abc.p8")), None);
        assert_eq!(key_id_from_file_name(Path::new("key.p8")), None);
    }

    #[test]
    fn debug_shows_the_key_id_only() {
        let signer = Signer::new(PrivateKey::generate().unwrap(), "ABC123DEFG").unwrap();
        let debug = format!("{signer:?}");
        assert_eq!(
            debug,
            "Signer { key_id: \"ABC123DEFG\", clock_skew_secs: 60, .. }"
        );
    }
}
