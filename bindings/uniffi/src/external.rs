//! Signers written in Kotlin or Swift: the foreign object that signs digests, and the adapter
//! that makes it the core's [`ExternalSigner`]. The core hashes, bounds each call, normalises
//! the answer and checks it against the declared key; nothing of that is repeated here.

use devtoken_core as core;
use devtoken_core::{ExternalSigner, ExternalSignerError, SignerCause, SignerProblem};

use crate::error::ForeignCause;

/// What a foreign signer reports when it cannot sign: the core turns it into the error kind
/// `external_signer` with rule `failed` and this sentence in its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum DigestSignerError {
    /// The signer failed (a KMS refused, an HSM was unreachable, the code threw).
    #[error("{reason}")]
    Failed {
        /// What went wrong, as the foreign code said it.
        reason: String,
        /// The foreign layer's handle for what its code threw (0: none). It comes back in the
        /// resulting [`crate::error::TokenError::ExternalSigner`], so that layer chains the very
        /// throwable as the cause.
        cause_handle: u64,
    },
}

/// A foreign exception that is not a [`DigestSignerError`] (uniffi's unexpected-error path)
/// becomes one with the exception's text, so it too ends as rule `failed`, never a panic.
impl From<uniffi::UnexpectedUniFFICallbackError> for DigestSignerError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        DigestSignerError::Failed {
            reason: error.reason,
            cause_handle: 0,
        }
    }
}

/// Code in Kotlin or Swift that signs with a key devtoken never holds (a KMS client, an HSM).
/// The Kotlin and Swift layers implement it over their own `ExternalSigner` types.
#[uniffi::export(callback_interface)]
pub trait ExternalDigestSigner: Send + Sync {
    /// Signs the 32-byte SHA-256 `digest` as it is (ECDSA P-256, no further hashing) and returns
    /// the signature in DER or as 64 bytes r||s.
    fn sign_digest(&self, digest: Vec<u8>) -> Result<Vec<u8>, DigestSignerError>;
}

/// The foreign signer with its declared public key, as the core's [`ExternalSigner`].
pub(crate) struct ForeignSigner {
    pub(crate) signer: Box<dyn ExternalDigestSigner>,
    pub(crate) public_key: core::PublicKey,
}

impl ExternalSigner for ForeignSigner {
    fn public_key(&self) -> core::PublicKey {
        self.public_key
    }

    fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, ExternalSignerError> {
        self.signer.sign_digest(digest.to_vec()).map_err(|failure| {
            let DigestSignerError::Failed {
                reason,
                cause_handle,
            } = failure;
            let error = ExternalSignerError::new(SignerProblem::Failed, reason);
            match cause_handle {
                0 => error,
                handle => error.with_cause(SignerCause::new(ForeignCause(handle))),
            }
        })
    }

    fn describe(&self) -> String {
        "callback".to_string()
    }
}
