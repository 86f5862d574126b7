//! The one error type of devtoken.
//!
//! Every failure is a variant a caller can match on, carrying the data to act on. The `Display`
//! text is a sentence that names the field and the rule, with the numbers, for example
//! `exp is 7200 s after iat; App Store Server API allows at most 3600 s`. No variant ever holds
//! key material: key errors describe the problem, never the bytes.

use std::fmt;

use crate::rules::check::Problem;
pub use crate::rules::check::Rule;
use crate::rules::service::Service;

/// Result alias used throughout devtoken.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while loading a key, building claims, signing or checking a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key could not be used: not a P-256 private key, encrypted, truncated, ...
    #[error("invalid key: {problem}")]
    InvalidKey {
        /// What is wrong with the key (never the key itself).
        problem: KeyProblem,
    },

    /// A header field or claim breaks a rule of the service, e.g. a lifetime over the limit.
    #[error("{message}")]
    InvalidClaim {
        /// The JWT member at fault (`iss`, `exp`, `kid`, ...).
        field: &'static str,
        /// Which rule it breaks.
        rule: Rule,
        /// A full sentence naming the field, the rule and the numbers.
        message: String,
    },

    /// The caller set a claim that the service does not define; devtoken does not send it.
    #[error("{field} ({claim}) is not a claim of {service} tokens; {service} does not define it, so devtoken will \
        not send it")]
    UnsupportedClaim {
        /// The JWT member name (`bid`, `origin`, `exp`, ...).
        field: &'static str,
        /// The name of the [`Claims`](crate::token::claims::Claims) field that was set.
        claim: &'static str,
        /// The service whose rules were applied.
        service: Service,
    },

    /// The text is not a compact JWS: wrong number of parts, bad base64url, bad JSON, ...
    #[error("malformed token: {reason}")]
    MalformedToken {
        /// What is wrong, without echoing the token.
        reason: String,
    },

    /// The signature is not a valid ES256 signature of the token by the given key.
    #[error("signature rejected: {reason}")]
    BadSignature {
        /// Why: wrong algorithm, DER instead of r||s, or no match for the key.
        reason: String,
    },

    /// An option (clock skew, provider margins, network settings) or a provider's claims
    /// template is not usable.
    #[error("invalid {option}: {message}")]
    InvalidOption {
        /// The option at fault (`claims`, `renew_after_secs`, `margin_fraction`, ...).
        option: &'static str,
        /// Which rule it breaks.
        rule: OptionRule,
        /// What is wrong and what to do.
        message: String,
    },

    /// A forced refresh would replace a provider token sooner than Apple allows.
    #[error(
        "{service} allows a new provider token at most every {min_interval_secs} s (429 \
        TooManyProviderTokenUpdates); the current one is {age_secs} s old, so the next refresh is \
        possible in {wait_secs} s"
    )]
    RefreshTooSoon {
        /// The service whose floor applies.
        service: Service,
        /// How old the current token is.
        age_secs: i64,
        /// The shortest interval Apple accepts between new tokens.
        min_interval_secs: u64,
        /// Seconds until a refresh is allowed.
        wait_secs: i64,
    },

    /// Apple (or the server at the configured base URL) refused the token: 401 or 403.
    #[error(
        "{url} refused the token (HTTP {status}): {message}{}{}",
        details_text(details),
        findings_text(findings)
    )]
    AppleRejected {
        /// The HTTP status.
        status: u16,
        /// The URL that was called.
        url: String,
        /// Apple's error message (or the raw body when it is not an `ErrorResponse`).
        message: String,
        /// Apple's error details, if any.
        details: Vec<String>,
        /// What `inspect_token` finds wrong with the token that was sent.
        findings: Vec<crate::rules::findings::Finding>,
    },

    /// Apple answered 429: the daily quota of calls for this token is used up. Not retried.
    #[error("{url} answered 429: the daily call quota is exceeded \
        ({message}){}", retry_after_secs.map(|s| format!("; Apple asks to retry after {s} s")).unwrap_or_default())]
    QuotaExceeded {
        /// The URL that was called.
        url: String,
        /// Apple's error message.
        message: String,
        /// The `Retry-After` header, in seconds, when Apple sent one.
        retry_after_secs: Option<u64>,
    },

    /// The server could not be reached, or kept answering 5xx, after every retry.
    #[error("{url} failed after {attempts} attempt(s): {message}")]
    Network {
        /// The URL that was called.
        url: String,
        /// How many requests were made.
        attempts: u32,
        /// The last failure.
        message: String,
    },

    /// A 2xx answer whose body is not what Apple documents (e.g. not a `TokenResponse`).
    #[error("{url} answered HTTP {status} with a body that is not {expected}: {message}")]
    MalformedResponse {
        /// The URL that was called.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What was expected.
        expected: &'static str,
        /// What is wrong with it.
        message: String,
    },

    /// An external signer (an HSM over PKCS#11, a cloud KMS, a callback) failed, timed out or
    /// answered something that is not a signature by the key it declared.
    #[error("external signer ({signer}): {message}")]
    ExternalSigner {
        /// Which signer: `PKCS#11 token 'devtoken', key 'AuthKey_ABC123DEFG'`, `callback`, ...
        signer: String,
        /// What went wrong, as a stable code.
        problem: SignerProblem,
        /// What happened and what to do (never key material or the signature bytes).
        message: String,
        /// The error the signer raised, when it raised one (a Python exception, a Kotlin
        /// throwable, ...), for the binding to chain; opaque to the core.
        cause: Option<SignerCause>,
    },

    /// A file could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The path that was asked for.
        path: String,
        /// The operating system's reason.
        message: String,
    },
}

fn details_text(details: &[String]) -> String {
    if details.is_empty() {
        String::new()
    } else {
        format!(" ({})", details.join("; "))
    }
}

fn findings_text(findings: &[crate::rules::findings::Finding]) -> String {
    let problems: Vec<String> = findings
        .iter()
        .filter(|f| f.level != crate::rules::findings::Level::Info)
        .map(|f| format!("{}[{}]: {}", f.level, f.code, f.message))
        .collect();
    if problems.is_empty() {
        "; inspect finds nothing wrong with the token that was sent (check the key id, Team ID and key on Apple's \
            side)".to_string()
    } else {
        format!(
            "; inspect of the token that was sent: {}",
            problems.join(" | ")
        )
    }
}

/// An [`Error`] as plain data ([`Error::into_parts`]): what every binding exposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorParts {
    /// The kind, which decides the binding's exception class.
    pub kind: ErrorKind,
    /// The core's sentence (the error's `Display`).
    pub message: String,
    /// The field or option at fault ([`Error::field`]).
    pub field: Option<&'static str>,
    /// The rule's code ([`Error::rule`]).
    pub rule: Option<&'static str>,
    /// [`ErrorKind::RefreshTooSoon`]: seconds until a refresh is allowed.
    pub wait_secs: Option<i64>,
    /// [`ErrorKind::AppleRejected`], [`ErrorKind::MalformedResponse`]: the HTTP status.
    pub status: Option<u16>,
    /// [`ErrorKind::AppleRejected`]: Apple's own message.
    pub apple_message: Option<String>,
    /// [`ErrorKind::AppleRejected`]: Apple's error details.
    pub details: Vec<String>,
    /// [`ErrorKind::AppleRejected`]: what `inspect_token` finds wrong with the token sent.
    pub findings: Vec<crate::rules::findings::Finding>,
    /// [`ErrorKind::QuotaExceeded`]: Apple's `Retry-After`, in seconds.
    pub retry_after_secs: Option<u64>,
    /// [`ErrorKind::Network`]: how many requests were made.
    pub attempts: Option<u32>,
    /// [`ErrorKind::ExternalSigner`]: the error the signer raised, for the binding to chain.
    pub cause: Option<SignerCause>,
}

/// The kind of an [`Error`], as every binding exposes it: one exception class (or enum case) per
/// kind. Exhaustive on purpose: a new kind fails to compile in each binding until it is mapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// [`Error::InvalidKey`].
    InvalidKey,
    /// [`Error::InvalidClaim`] and [`Error::UnsupportedClaim`] (rule `unsupported_claim`).
    InvalidClaim,
    /// [`Error::MalformedToken`].
    MalformedToken,
    /// [`Error::BadSignature`].
    BadSignature,
    /// [`Error::InvalidOption`].
    InvalidOption,
    /// [`Error::RefreshTooSoon`].
    RefreshTooSoon,
    /// [`Error::AppleRejected`].
    AppleRejected,
    /// [`Error::QuotaExceeded`].
    QuotaExceeded,
    /// [`Error::Network`].
    Network,
    /// [`Error::MalformedResponse`].
    MalformedResponse,
    /// [`Error::Io`].
    Io,
    /// [`Error::ExternalSigner`].
    ExternalSigner,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::InvalidKey,
        ErrorKind::InvalidClaim,
        ErrorKind::MalformedToken,
        ErrorKind::BadSignature,
        ErrorKind::InvalidOption,
        ErrorKind::RefreshTooSoon,
        ErrorKind::AppleRejected,
        ErrorKind::QuotaExceeded,
        ErrorKind::Network,
        ErrorKind::MalformedResponse,
        ErrorKind::Io,
        ErrorKind::ExternalSigner,
    ];

    /// The stable snake_case code of the kind, as `tests/vectors/errors.json` names it.
    ///
    /// ```
    /// assert_eq!(devtoken::ErrorKind::InvalidClaim.code(), "invalid_claim");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidKey => "invalid_key",
            ErrorKind::InvalidClaim => "invalid_claim",
            ErrorKind::MalformedToken => "malformed_token",
            ErrorKind::BadSignature => "bad_signature",
            ErrorKind::InvalidOption => "invalid_option",
            ErrorKind::RefreshTooSoon => "refresh_too_soon",
            ErrorKind::AppleRejected => "apple_rejected",
            ErrorKind::QuotaExceeded => "quota_exceeded",
            ErrorKind::Network => "network",
            ErrorKind::MalformedResponse => "malformed_response",
            ErrorKind::Io => "io",
            ErrorKind::ExternalSigner => "external_signer",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Error {
    /// The kind of this error, which decides a binding's exception class.
    ///
    /// ```
    /// use devtoken::{Claims, ErrorKind, PrivateKey, Service, Signer};
    /// let signer = Signer::new(PrivateKey::generate()?, "ABC123DEFG")?;
    /// let error = signer.sign_token(Service::Apns, &Claims::new("DEF123GHIJ").bundle_id("x")).unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::InvalidClaim);
    /// assert_eq!((error.field(), error.rule()), (Some("bid"), Some("unsupported_claim")));
    /// # Ok::<(), devtoken::Error>(())
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidKey { .. } => ErrorKind::InvalidKey,
            Error::InvalidClaim { .. } | Error::UnsupportedClaim { .. } => ErrorKind::InvalidClaim,
            Error::MalformedToken { .. } => ErrorKind::MalformedToken,
            Error::BadSignature { .. } => ErrorKind::BadSignature,
            Error::InvalidOption { .. } => ErrorKind::InvalidOption,
            Error::RefreshTooSoon { .. } => ErrorKind::RefreshTooSoon,
            Error::AppleRejected { .. } => ErrorKind::AppleRejected,
            Error::QuotaExceeded { .. } => ErrorKind::QuotaExceeded,
            Error::Network { .. } => ErrorKind::Network,
            Error::MalformedResponse { .. } => ErrorKind::MalformedResponse,
            Error::Io { .. } => ErrorKind::Io,
            Error::ExternalSigner { .. } => ErrorKind::ExternalSigner,
        }
    }

    /// The field or option at fault: a JWT member (`exp`), an option (`margin_fraction`), or
    /// `key` for a refused key. `None` for kinds that concern no single field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Error::InvalidKey { .. } => Some("key"),
            Error::InvalidClaim { field, .. } | Error::UnsupportedClaim { field, .. } => {
                Some(field)
            }
            Error::InvalidOption { option, .. } => Some(option),
            Error::ExternalSigner { .. } => Some("signer"),
            _ => None,
        }
    }

    /// The stable code of the rule broken: a [`Rule`] code for claims (`unsupported_claim` for a
    /// claim the service does not define), an [`OptionRule`] code for options, a
    /// [`KeyProblem`] code for keys. `None` for kinds without rules (network, I/O, ...).
    pub fn rule(&self) -> Option<&'static str> {
        match self {
            Error::InvalidKey { problem } => Some(problem.code()),
            Error::InvalidClaim { rule, .. } => Some(rule.code()),
            Error::UnsupportedClaim { .. } => Some("unsupported_claim"),
            Error::InvalidOption { rule, .. } => Some(rule.code()),
            Error::ExternalSigner { problem, .. } => Some(problem.code()),
            _ => None,
        }
    }

    /// The error as plain data for a binding: kind, sentence, field, rule and every value a
    /// caller acts on. Bindings build their exceptions from this alone.
    ///
    /// ```
    /// use devtoken::{ErrorKind, PrivateKey, Signer};
    /// let error = Signer::new(PrivateKey::generate()?, "ABC123DEFG")?.with_clock_skew(-5).unwrap_err();
    /// let parts = error.into_parts();
    /// assert_eq!(
    ///     (parts.kind, parts.field, parts.rule),
    ///     (ErrorKind::InvalidOption, Some("clock_skew_secs"), Some("range"))
    /// );
    /// # Ok::<(), devtoken::Error>(())
    /// ```
    pub fn into_parts(self) -> ErrorParts {
        let mut parts = ErrorParts {
            kind: self.kind(),
            message: self.to_string(),
            field: self.field(),
            rule: self.rule(),
            wait_secs: None,
            status: None,
            apple_message: None,
            details: Vec::new(),
            findings: Vec::new(),
            retry_after_secs: None,
            attempts: None,
            cause: None,
        };
        match self {
            Error::RefreshTooSoon { wait_secs, .. } => parts.wait_secs = Some(wait_secs),
            Error::AppleRejected {
                status,
                message,
                details,
                findings,
                ..
            } => {
                parts.status = Some(status);
                parts.apple_message = Some(message);
                parts.details = details;
                parts.findings = findings;
            }
            Error::QuotaExceeded {
                retry_after_secs, ..
            } => parts.retry_after_secs = retry_after_secs,
            Error::Network { attempts, .. } => parts.attempts = Some(attempts),
            Error::MalformedResponse { status, .. } => parts.status = Some(status),
            Error::ExternalSigner { cause, .. } => parts.cause = cause,
            _ => {}
        }
        parts
    }

    pub(crate) fn option(
        option: &'static str,
        rule: OptionRule,
        message: impl Into<String>,
    ) -> Self {
        Error::InvalidOption {
            option,
            rule,
            message: clean(message.into()),
        }
    }

    pub(crate) fn key(problem: KeyProblem) -> Self {
        Error::InvalidKey { problem }
    }

    /// A broken rule of the table as signing reports it.
    pub(crate) fn from_problem(problem: Problem) -> Self {
        Error::claim(problem.field, problem.rule, problem.message)
    }

    pub(crate) fn claim(field: &'static str, rule: Rule, message: impl Into<String>) -> Self {
        Error::InvalidClaim {
            field,
            rule,
            message: clean(message.into()),
        }
    }

    pub(crate) fn external(
        signer: &str,
        problem: SignerProblem,
        message: impl Into<String>,
        cause: Option<SignerCause>,
    ) -> Self {
        Error::ExternalSigner {
            signer: crate::base::text::shorten(signer, 200),
            problem,
            message: clean(message.into()),
            cause,
        }
    }

    pub(crate) fn malformed(reason: impl Into<String>) -> Self {
        Error::MalformedToken {
            reason: clean(reason.into()),
        }
    }

    pub(crate) fn signature(reason: impl Into<String>) -> Self {
        Error::BadSignature {
            reason: clean(reason.into()),
        }
    }
}

/// The most characters of an error's sentence: a value the caller or a token gave (a PEM pasted
/// into the wrong argument, a hostile claim) is cut, not echoed whole.
pub(crate) const MAX_MESSAGE_CHARS: usize = 1024;

/// An error's sentence as it may reach a terminal or a log: control characters escaped (no
/// terminal escape sequences or forged log lines from a caller's value), at most
/// [`MAX_MESSAGE_CHARS`] characters.
fn clean(message: String) -> String {
    if message.chars().any(char::is_control) || message.len() > MAX_MESSAGE_CHARS {
        crate::base::text::shorten(&message, MAX_MESSAGE_CHARS)
    } else {
        message
    }
}

/// What went wrong with an external signer ([`Error::ExternalSigner`]), as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignerProblem {
    /// The signer reported a failure (an exception in a callback, a PKCS#11 error, ...).
    Failed,
    /// The signer did not answer within its timeout; the token was not signed.
    Timeout,
    /// Earlier calls to the signer are still hanging past their timeout; devtoken does not pile
    /// up more until they end.
    Busy,
    /// The answer is neither a 64-byte r||s nor a DER ECDSA signature with r and s in range.
    SignatureShape,
    /// The answer is a well-formed signature, but not by the declared public key (the signer
    /// uses another key, or the declared key is the wrong one).
    WrongKey,
    /// The declared key is not a P-256 (secp256r1) EC key.
    WrongCurve,
    /// The signer could not be reached or loaded (a PKCS#11 module that does not load, ...).
    Unavailable,
    /// The PIN (or other credential) was refused, or could not be read.
    PinIncorrect,
    /// No token (slot) with the given label or number is present.
    TokenNotPresent,
    /// No key with the given label or id is on the token.
    KeyNotFound,
    /// The signer's settings are not usable (a `pkcs11:` URI without an object, ...).
    Config,
}

impl SignerProblem {
    /// The stable snake_case code, which is the error's `rule`.
    ///
    /// ```
    /// assert_eq!(devtoken::SignerProblem::WrongKey.code(), "wrong_key");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            SignerProblem::Failed => "failed",
            SignerProblem::Timeout => "timeout",
            SignerProblem::Busy => "busy",
            SignerProblem::SignatureShape => "signature_shape",
            SignerProblem::WrongKey => "wrong_key",
            SignerProblem::WrongCurve => "wrong_curve",
            SignerProblem::Unavailable => "unavailable",
            SignerProblem::PinIncorrect => "pin_incorrect",
            SignerProblem::TokenNotPresent => "token_not_present",
            SignerProblem::KeyNotFound => "key_not_found",
            SignerProblem::Config => "config",
        }
    }
}

impl fmt::Display for SignerProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The error an external signer raised, carried opaquely so a binding can chain it (Python's
/// `__cause__`). Two causes are equal when they are the same object.
#[derive(Clone)]
pub struct SignerCause(pub std::sync::Arc<dyn std::any::Any + Send + Sync>);

impl SignerCause {
    /// Wraps any error value.
    pub fn new(cause: impl std::any::Any + Send + Sync) -> Self {
        SignerCause(std::sync::Arc::new(cause))
    }

    /// The cause as `T`, when it is one.
    pub fn downcast_ref<T: std::any::Any>(&self) -> Option<&T> {
        self.0.downcast_ref::<T>()
    }
}

impl fmt::Debug for SignerCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SignerCause(..)")
    }
}

impl PartialEq for SignerCause {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SignerCause {}

/// The rule an [`Error::InvalidOption`] breaks, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptionRule {
    /// A number outside the allowed range (negative, not finite, or beyond a sane cap).
    Range,
    /// A value of the wrong shape (not a PEM certificate, not a URL, ...).
    Format,
    /// An option that cannot be combined with another input (a provider template with `iat`).
    Conflict,
    /// The option does not apply to what was asked (probe of a service without a test endpoint).
    NotApplicable,
    /// A duration with a fraction of a second where devtoken counts whole seconds (clock skew).
    WholeSeconds,
}

impl OptionRule {
    /// The stable snake_case code of the rule.
    ///
    /// ```
    /// assert_eq!(devtoken::OptionRule::Range.code(), "range");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            OptionRule::Range => "range",
            OptionRule::Format => "format",
            OptionRule::Conflict => "conflict",
            OptionRule::NotApplicable => "not_applicable",
            OptionRule::WholeSeconds => "whole_seconds",
        }
    }
}

impl fmt::Display for OptionRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why a key was refused. The text explains the fix; it never contains key bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProblem {
    /// No key text at all.
    Empty,
    /// The key is encrypted with a password (`ENCRYPTED PRIVATE KEY` or `Proc-Type: 4,ENCRYPTED`).
    Encrypted,
    /// An EC key on a curve other than P-256.
    WrongCurve {
        /// The curve's name (or OID when unknown).
        curve: String,
    },
    /// A key of another algorithm (RSA, Ed25519, ...).
    WrongAlgorithm {
        /// The algorithm's name (or OID when unknown).
        algorithm: String,
    },
    /// A public key was given where a private key belongs.
    PublicKeyGiven,
    /// A certificate was given where a private key belongs.
    CertificateGiven,
    /// A PEM block with a label devtoken does not read.
    UnsupportedPemLabel {
        /// The label after `-----BEGIN `.
        label: String,
    },
    /// A `-----BEGIN` line without its `-----END` line, or the reverse.
    UnbalancedPem,
    /// The base64 body of the PEM does not decode.
    BadBase64,
    /// The DER structure ends early: the key was cut off when copied.
    Truncated,
    /// The bytes are not a PKCS#8 or SEC1 private key.
    NotAKey {
        /// What the DER parser reported (structure only, no content).
        detail: String,
    },
    /// The scalar is zero or not below the group order.
    ScalarOutOfRange,
    /// A public key that is not a valid P-256 point or SubjectPublicKeyInfo.
    BadPublicKey {
        /// What the parser reported.
        detail: String,
    },
    /// Generating a fresh key failed because the OS random source failed.
    RandomSource,
    /// More bytes than any key file holds (a .p8 is about 250 bytes).
    TooLarge {
        /// How many bytes were given (at least; a file may be cut off at the limit).
        size: u64,
        /// The most bytes devtoken reads as a key.
        limit: u64,
    },
}

impl KeyProblem {
    /// The stable snake_case code of the problem, reported as the rule of an invalid key.
    ///
    /// ```
    /// assert_eq!(devtoken::KeyProblem::Encrypted.code(), "encrypted");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            KeyProblem::Empty => "empty",
            KeyProblem::Encrypted => "encrypted",
            KeyProblem::WrongCurve { .. } => "wrong_curve",
            KeyProblem::WrongAlgorithm { .. } => "wrong_algorithm",
            KeyProblem::PublicKeyGiven => "public_key_given",
            KeyProblem::CertificateGiven => "certificate_given",
            KeyProblem::UnsupportedPemLabel { .. } => "unsupported_pem_label",
            KeyProblem::UnbalancedPem => "unbalanced_pem",
            KeyProblem::BadBase64 => "bad_base64",
            KeyProblem::Truncated => "truncated",
            KeyProblem::NotAKey { .. } => "not_a_key",
            KeyProblem::ScalarOutOfRange => "scalar_out_of_range",
            KeyProblem::BadPublicKey { .. } => "bad_public_key",
            KeyProblem::RandomSource => "random_source",
            KeyProblem::TooLarge { .. } => "too_large",
        }
    }
}

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyProblem::Empty => f.write_str("the key text is empty"),
            KeyProblem::Encrypted => f.write_str(
                "the key is encrypted with a password; Apple's .p8 files are not, so export it \
                 unencrypted (openssl pkcs8 -topk8 -nocrypt)",
            ),
            KeyProblem::WrongCurve { curve } => write!(
                f,
                "the key is on curve {curve}; ES256 needs a P-256 (prime256v1) key such as the .p8 Apple issues"
            ),
            KeyProblem::WrongAlgorithm { algorithm } => write!(
                f,
                "the key is an {algorithm} key; ES256 needs an EC P-256 key such as the .p8 Apple issues"
            ),
            KeyProblem::PublicKeyGiven => f.write_str(
                "a public key was given where the private key belongs; use the .p8 file Apple let you download",
            ),
            KeyProblem::CertificateGiven => f.write_str(
                "a certificate was given where the private key belongs; use the .p8 file Apple let you download",
            ),
            KeyProblem::UnsupportedPemLabel { label } => write!(
                f,
                "a PEM block labelled '{label}' is not a key devtoken reads; expected 'PRIVATE KEY' (PKCS#8, as in \
                    Apple's .p8) or 'EC PRIVATE KEY' (SEC1)"
            ),
            KeyProblem::UnbalancedPem => f.write_str(
                "the PEM text has a -----BEGIN line without a matching -----END line (or the reverse); was it cut off?",
            ),
            KeyProblem::BadBase64 => f.write_str(
                "the base64 body of the PEM does not decode; was it edited or cut off?",
            ),
            KeyProblem::Truncated => f.write_str(
                "the key ends early; it was probably cut off when copied",
            ),
            KeyProblem::NotAKey { detail } => write!(
                f,
                "the data is not a PKCS#8 or SEC1 private key ({detail})"
            ),
            KeyProblem::ScalarOutOfRange => {
                f.write_str("the private scalar is zero or not below the P-256 group order")
            }
            KeyProblem::BadPublicKey { detail } => {
                write!(f, "not a P-256 public key ({detail})")
            }
            KeyProblem::RandomSource => f.write_str("the operating system's random source failed"),
            KeyProblem::TooLarge { size, limit } => write!(
                f,
                "{size} bytes is more than any key (devtoken reads at most {limit} bytes); is this the .p8 file?"
            ),
        }
    }
}
