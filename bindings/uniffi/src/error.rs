//! The one error type of the uniffi face: one variant per core [`ErrorKind`], built from the
//! core's [`ErrorParts`] with an exhaustive match, so a new core kind fails to compile here.

use devtoken_core::{ErrorKind, ErrorParts};

use crate::Finding;

/// Every devtoken failure. `reason` is the core's full sentence (named so that it does not
/// clash with the `message` of Kotlin and Swift errors); `kind`, `field` and `rule` are the
/// core's stable codes (see `tests/vectors/errors.json`), so the Kotlin and Swift layers read
/// them instead of restating them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TokenError {
    /// The key is not a usable P-256 key; `rule` says why (`encrypted`, `wrong_curve`, ...).
    #[error("{reason}")]
    InvalidKey {
        reason: String,
        kind: String,
        /// Always `key`.
        field: String,
        rule: String,
    },
    /// A claim or header field breaks a rule of the service.
    #[error("{reason}")]
    InvalidClaim {
        reason: String,
        kind: String,
        /// The JWT member at fault (`iss`, `exp`, `kid`, ...).
        field: String,
        /// The rule's code (`max_lifetime`, `format`, `required`, `unsupported_claim`, ...).
        rule: String,
    },
    /// The text is not a compact JWS.
    #[error("{reason}")]
    MalformedToken { reason: String, kind: String },
    /// The signature is not a valid ES256 signature by the given key.
    #[error("{reason}")]
    BadSignature { reason: String, kind: String },
    /// A file could not be read.
    #[error("{reason}")]
    Io { reason: String, kind: String },
    /// An option (clock skew, margins, network settings) or a provider template is not usable.
    #[error("{reason}")]
    InvalidOption {
        reason: String,
        kind: String,
        /// The option at fault (`clock_skew_secs`, `margin_fraction`, ...).
        field: String,
        /// The rule's code (`range`, `format`, `conflict`, `not_applicable`).
        rule: String,
    },
    /// A forced refresh would replace a provider token sooner than Apple allows.
    #[error("{reason}")]
    RefreshTooSoon {
        reason: String,
        kind: String,
        /// Seconds until a refresh is allowed.
        wait_secs: i64,
    },
    /// Apple refused the token (HTTP 401/403).
    #[error("{reason}")]
    AppleRejected {
        reason: String,
        kind: String,
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
        kind: String,
        /// The Retry-After header in seconds, when Apple sent one.
        retry_after_secs: Option<i64>,
    },
    /// The server could not be reached, or kept answering 5xx, after every retry.
    #[error("{reason}")]
    Network {
        reason: String,
        kind: String,
        /// How many requests were made.
        attempts: i32,
    },
    /// An external signer failed, timed out or answered a bad signature; `rule` says which.
    #[error("{reason}")]
    ExternalSigner {
        reason: String,
        kind: String,
        /// Always `signer`.
        field: String,
        /// The problem's code (`failed`, `timeout`, `busy`, `signature_shape`, `wrong_key`, ...).
        rule: String,
        /// The handle the foreign signer gave what it threw (`DigestSignerError::Failed`), 0 when
        /// it threw nothing.
        cause_handle: u64,
    },
    /// A 2xx answer whose body is not what Apple documents.
    #[error("{reason}")]
    MalformedResponse {
        reason: String,
        kind: String,
        /// The HTTP status.
        status: i32,
    },
}

impl From<devtoken_core::Error> for TokenError {
    fn from(error: devtoken_core::Error) -> Self {
        let ErrorParts {
            kind,
            message: reason,
            field,
            rule,
            wait_secs,
            status,
            apple_message,
            details,
            findings,
            retry_after_secs,
            attempts,
            cause,
        } = error.into_parts();
        let kind_code = kind.code().to_string();
        let field = field.unwrap_or_default().to_string();
        let rule = rule.unwrap_or_default().to_string();
        match kind {
            ErrorKind::InvalidKey => TokenError::InvalidKey {
                reason,
                kind: kind_code,
                field,
                rule,
            },
            ErrorKind::InvalidClaim => TokenError::InvalidClaim {
                reason,
                kind: kind_code,
                field,
                rule,
            },
            ErrorKind::MalformedToken => TokenError::MalformedToken {
                reason,
                kind: kind_code,
            },
            ErrorKind::BadSignature => TokenError::BadSignature {
                reason,
                kind: kind_code,
            },
            ErrorKind::InvalidOption => TokenError::InvalidOption {
                reason,
                kind: kind_code,
                field,
                rule,
            },
            ErrorKind::RefreshTooSoon => TokenError::RefreshTooSoon {
                reason,
                kind: kind_code,
                wait_secs: wait_secs.unwrap_or_default(),
            },
            ErrorKind::AppleRejected => TokenError::AppleRejected {
                reason,
                kind: kind_code,
                status: status.map(i32::from).unwrap_or_default(),
                apple_message: apple_message.unwrap_or_default(),
                details,
                findings: findings.into_iter().map(Finding::from).collect(),
            },
            ErrorKind::QuotaExceeded => TokenError::QuotaExceeded {
                reason,
                kind: kind_code,
                retry_after_secs: retry_after_secs.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
            },
            ErrorKind::Network => TokenError::Network {
                reason,
                kind: kind_code,
                attempts: attempts.map_or(0, |n| i32::try_from(n).unwrap_or(i32::MAX)),
            },
            ErrorKind::MalformedResponse => TokenError::MalformedResponse {
                reason,
                kind: kind_code,
                status: status.map(i32::from).unwrap_or_default(),
            },
            ErrorKind::Io => TokenError::Io {
                reason,
                kind: kind_code,
            },
            ErrorKind::ExternalSigner => TokenError::ExternalSigner {
                reason,
                kind: kind_code,
                field,
                rule,
                cause_handle: cause
                    .as_ref()
                    .and_then(|cause| cause.downcast_ref::<ForeignCause>())
                    .map_or(0, |cause| cause.0),
            },
        }
    }
}

/// The result type of every fallible export.
pub type Result<T> = std::result::Result<T, TokenError>;

/// The foreign layer's handle for what its signer threw, carried through the core as the
/// opaque [`devtoken_core::SignerCause`] of an external-signer error.
pub(crate) struct ForeignCause(pub(crate) u64);
