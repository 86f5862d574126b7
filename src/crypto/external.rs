//! Keys the application never holds: an [`ExternalSigner`] (an HSM over PKCS#11, a cloud KMS, a
//! callback into Python, Kotlin or Swift) signs SHA-256 digests, and devtoken checks every answer.
//!
//! What comes back is normalised (DER or 64-byte r||s, any other bytes refused without a panic)
//! and verified against the declared public key before a token is returned, so a signer with the
//! wrong key or one that answers garbage gives a typed [`Error::ExternalSigner`], never a token
//! Apple refuses. Each call has a bounded wait: it runs on its own thread, and a signer that hangs
//! past its timeout gives [`SignerProblem::Timeout`]; while [`MAX_HANGING_CALLS`] calls still hang,
//! new ones are refused at once ([`SignerProblem::Busy`]) instead of piling up threads.
//!
//! External signers use random nonces as HSMs and KMSs do: their tokens are valid but not
//! byte-identical from run to run, unlike the in-memory signer's (RFC 6979).

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use p256::ecdsa::Signature;
use sha2::{Digest, Sha256};

use crate::contract::error::{Error, Result, SignerCause, SignerProblem};
pub use crate::contract::options::{
    DEFAULT_EXTERNAL_TIMEOUT, MAX_HANGING_EXTERNAL_CALLS as MAX_HANGING_CALLS,
};
use crate::crypto::keys::PublicKey;

/// Why an [`ExternalSigner`] could not sign: a [`SignerProblem`] code, a sentence (never key
/// material) and, optionally, the signer's own error for a binding to chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalSignerError {
    /// What went wrong.
    pub problem: SignerProblem,
    /// What happened and what to do.
    pub message: String,
    /// The signer's own error value, if any.
    pub cause: Option<SignerCause>,
}

impl ExternalSignerError {
    /// A failure with the given problem and sentence.
    pub fn new(problem: SignerProblem, message: impl Into<String>) -> Self {
        ExternalSignerError {
            problem,
            message: message.into(),
            cause: None,
        }
    }

    /// Attaches the signer's own error, for a binding to chain.
    pub fn with_cause(mut self, cause: SignerCause) -> Self {
        self.cause = Some(cause);
        self
    }
}

/// A key held somewhere else: an HSM, a cloud KMS, Vault's transit engine, code in another
/// language. devtoken hashes the signing input with SHA-256 and asks for a signature of the
/// 32-byte digest, in DER (what KMSs and Java's `SHA256withECDSA` return) or raw r||s.
///
/// ```
/// use std::sync::Arc;
/// use devtoken::{Claims, ExternalSigner, ExternalSignerError, PrivateKey, PublicKey, Service, Signer};
/// use p256::ecdsa::signature::hazmat::PrehashSigner;
///
/// /// Stands in for a KMS client: a key the signer below never sees.
/// struct Kms(p256::ecdsa::SigningKey);
/// impl ExternalSigner for Kms {
///     fn public_key(&self) -> PublicKey {
///         PublicKey::from_sec1_bytes(self.0.verifying_key().to_sec1_point(false).as_bytes()).unwrap()
///     }
///     fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, ExternalSignerError> {
///         let signature: p256::ecdsa::Signature = self.0.sign_prehash(digest).unwrap();
///         Ok(signature.to_der().as_bytes().to_vec())
///     }
/// }
/// let kms = Kms(p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap());
/// let signer = Signer::from_external(Arc::new(kms), "ABC123DEFG")?;
/// let token = signer.sign_token(Service::AppleMusic, &Claims::new("DEF123GHIJ"))?;
/// devtoken::verify_token(&token, &signer.public_key())?;
/// # Ok::<(), devtoken::Error>(())
/// ```
pub trait ExternalSigner: Send + Sync {
    /// The public half of the key, which every signature is checked against.
    fn public_key(&self) -> PublicKey;

    /// Signs a SHA-256 digest (ECDSA over P-256, no further hashing) and returns the signature
    /// as DER or as 64 bytes r||s.
    fn sign_digest(&self, digest: &[u8; 32]) -> std::result::Result<Vec<u8>, ExternalSignerError>;

    /// A short name for messages, e.g. `PKCS#11 token 'devtoken', key 'AuthKey_ABC123DEFG'`.
    fn describe(&self) -> String {
        "external signer".to_string()
    }
}

/// An [`ExternalSigner`] with its declared public key, its timeout and the count of calls that
/// still hang: what a [`Signer`](crate::token::signer::Signer) holds in place of a private key.
#[derive(Clone)]
pub(crate) struct ExternalKey {
    signer: Arc<dyn ExternalSigner>,
    public_key: PublicKey,
    name: String,
    timeout: Duration,
    hanging: Arc<AtomicUsize>,
}

impl fmt::Debug for ExternalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternalKey")
            .field("signer", &self.name)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ExternalKey {
    pub(crate) fn new(signer: Arc<dyn ExternalSigner>) -> Self {
        let public_key = signer.public_key();
        let name = signer.describe();
        ExternalKey {
            signer,
            public_key,
            name,
            timeout: DEFAULT_EXTERNAL_TIMEOUT,
            hanging: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub(crate) fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn public_key(&self) -> PublicKey {
        self.public_key
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    fn error(&self, problem: SignerProblem, message: impl Into<String>) -> Error {
        Error::external(&self.name, problem, message, None)
    }

    /// Signs `message` (the JWS signing input, or a StoreKit payload): SHA-256, one bounded call
    /// to the signer, then the answer normalised and verified against the declared key.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Signature> {
        let digest: [u8; 32] = Sha256::digest(message).into();
        let answer = self.call(digest)?;
        let signature = normalize_signature(&answer)
            .map_err(|reason| self.error(SignerProblem::SignatureShape, reason))?;
        let verifying_key = self.public_key.verifying_key();
        if !crate::crypto::hazmat::fast_verify::verify_digest_fast(
            verifying_key,
            &digest,
            &signature,
        ) {
            return Err(self.error(
                SignerProblem::WrongKey,
                "the signer's answer is a well-formed ECDSA signature, but not by the declared public key: \
                 the signer uses another key, or the public key given for it is the wrong one",
            ));
        }
        Ok(signature)
    }

    /// One call on its own thread, waited for at most the timeout.
    fn call(&self, digest: [u8; 32]) -> Result<Vec<u8>> {
        if self.hanging.load(Ordering::Acquire) >= MAX_HANGING_CALLS {
            return Err(self.error(
                SignerProblem::Busy,
                format!(
                    "{MAX_HANGING_CALLS} earlier calls are still running past their {} ms timeout; \
                     no new call is made until one ends",
                    self.timeout.as_millis()
                ),
            ));
        }
        let (sender, receiver) = mpsc::sync_channel(1);
        let signer = Arc::clone(&self.signer);
        // Set first by the call when it ends, or by the caller when it gives up at the timeout:
        // a call counts as hanging from its timeout until it ends.
        let settled = Arc::new(AtomicBool::new(false));
        let (hanging, call_settled) = (Arc::clone(&self.hanging), Arc::clone(&settled));
        let spawned = std::thread::Builder::new()
            .name("devtoken-external-signer".into())
            .spawn(move || {
                let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    signer.sign_digest(&digest)
                }));
                if call_settled.swap(true, Ordering::AcqRel) {
                    // The caller gave up on this call and counted it as hanging.
                    hanging.fetch_sub(1, Ordering::AcqRel);
                }
                // The caller may have stopped waiting; a closed channel is fine.
                let _ = sender.send(answer);
            });
        if let Err(e) = spawned {
            return Err(self.error(
                SignerProblem::Unavailable,
                format!("could not start a thread for the call: {e}"),
            ));
        }
        let give_up = || {
            self.hanging.fetch_add(1, Ordering::AcqRel);
            if settled.swap(true, Ordering::AcqRel) {
                // The call ended meanwhile: it is not hanging.
                self.hanging.fetch_sub(1, Ordering::AcqRel);
            }
        };
        match receiver.recv_timeout(self.timeout) {
            Ok(Ok(Ok(bytes))) => Ok(bytes),
            Ok(Ok(Err(failure))) => Err(Error::external(
                &self.name,
                failure.problem,
                failure.message,
                failure.cause,
            )),
            Ok(Err(_panic)) => Err(self.error(
                SignerProblem::Failed,
                "the signer panicked; no token was signed",
            )),
            Err(mpsc::RecvTimeoutError::Timeout) => Err({
                give_up();
                self.error(
                    SignerProblem::Timeout,
                    format!(
                        "no answer within {} ms; no token was signed (a provider keeps serving its valid token)",
                        self.timeout.as_millis()
                    ),
                )
            }),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(self.error(
                SignerProblem::Failed,
                "the signer's thread ended without an answer",
            )),
        }
    }
}

/// An ECDSA P-256 signature from what a signer returned: 64 bytes r||s, or a DER
/// `ECDSA-Sig-Value`; r and s must lie in 1..n-1. Any other bytes give a sentence saying what
/// they are (their length and first byte only).
///
/// ```
/// use devtoken::normalize_signature;
/// assert!(normalize_signature(&[0; 64]).is_err()); // r = 0
/// assert!(normalize_signature(b"not a signature").is_err());
/// ```
pub fn normalize_signature(bytes: &[u8]) -> std::result::Result<Signature, String> {
    match bytes {
        [] => Err("the signer returned no bytes".to_string()),
        raw if raw.len() == 64 => Signature::from_slice(raw).map_err(|_| {
            "the signer returned 64 bytes (r||s) but r or s is zero or not below the group order"
                .to_string()
        }),
        [0x30, ..] => Signature::from_der(bytes).map_err(|_| {
            format!(
                "the signer returned {} bytes starting like DER (0x30) that are not a valid P-256 \
                 ECDSA-Sig-Value (SEQUENCE of two INTEGERs r and s in range)",
                bytes.len()
            )
        }),
        other => Err(format!(
            "the signer returned {} bytes starting with 0x{:02x}: neither 64 bytes r||s nor a DER \
             ECDSA signature",
            other.len(),
            other[0]
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::PrivateKey;
    use p256::ecdsa::signature::hazmat::PrehashSigner;

    struct Fixed {
        key: PrivateKey,
        answer: fn(&PrivateKey, &[u8; 32]) -> std::result::Result<Vec<u8>, ExternalSignerError>,
    }

    impl ExternalSigner for Fixed {
        fn public_key(&self) -> PublicKey {
            self.key.public_key()
        }
        fn sign_digest(
            &self,
            digest: &[u8; 32],
        ) -> std::result::Result<Vec<u8>, ExternalSignerError> {
            (self.answer)(&self.key, digest)
        }
    }

    fn prehash(key: &PrivateKey, digest: &[u8; 32]) -> Signature {
        key.signing_key().sign_prehash(digest).unwrap()
    }

    fn key_with(
        answer: fn(&PrivateKey, &[u8; 32]) -> std::result::Result<Vec<u8>, ExternalSignerError>,
    ) -> ExternalKey {
        ExternalKey::new(Arc::new(Fixed {
            key: PrivateKey::generate().unwrap(),
            answer,
        }))
    }

    fn problem(result: Result<Signature>) -> &'static str {
        result.unwrap_err().rule().unwrap()
    }

    #[test]
    fn der_and_raw_answers_both_verify() {
        key_with(|k, d| Ok(prehash(k, d).to_der().as_bytes().to_vec()))
            .sign(b"a.b")
            .unwrap();
        key_with(|k, d| Ok(prehash(k, d).to_bytes().to_vec()))
            .sign(b"a.b")
            .unwrap();
    }

    #[test]
    fn garbage_wrong_keys_and_failures_are_typed() {
        assert_eq!(
            problem(key_with(|_, _| Ok(vec![])).sign(b"x")),
            "signature_shape"
        );
        assert_eq!(
            problem(key_with(|_, _| Ok(vec![0x30; 70])).sign(b"x")),
            "signature_shape"
        );
        assert_eq!(
            problem(key_with(|_, _| Ok(vec![1; 65])).sign(b"x")),
            "signature_shape"
        );
        assert_eq!(
            problem(key_with(|_, _| Ok(vec![0; 64])).sign(b"x")),
            "signature_shape"
        );
        let other = |_: &PrivateKey, d: &[u8; 32]| {
            Ok(prehash(&PrivateKey::generate().unwrap(), d)
                .to_bytes()
                .to_vec())
        };
        assert_eq!(problem(key_with(other).sign(b"x")), "wrong_key");
        let failing = |_: &PrivateKey, _: &[u8; 32]| {
            Err(ExternalSignerError::new(
                SignerProblem::Failed,
                "KMS said no",
            ))
        };
        let error = key_with(failing).sign(b"x").unwrap_err();
        assert_eq!(error.rule(), Some("failed"));
        assert_eq!(error.field(), Some("signer"));
        assert!(error.to_string().contains("KMS said no"), "{error}");
        let panicking =
            |_: &PrivateKey, _: &[u8; 32]| -> std::result::Result<Vec<u8>, ExternalSignerError> {
                panic!("boom")
            };
        assert_eq!(problem(key_with(panicking).sign(b"x")), "failed");
    }

    /// Calls that are merely running are not hanging: many at once all get their answer.
    #[test]
    fn concurrent_calls_are_not_busy() {
        let key = key_with(|k, d| Ok(prehash(k, d).to_bytes().to_vec()));
        std::thread::scope(|scope| {
            let calls: Vec<_> = (0..4 * MAX_HANGING_CALLS)
                .map(|_| scope.spawn(|| key.sign(b"x")))
                .collect();
            for call in calls {
                call.join().unwrap().unwrap();
            }
        });
    }

    #[test]
    fn a_hanging_signer_times_out_and_then_is_refused_while_it_hangs() {
        let (release, gate) = mpsc::channel::<()>();
        let gate = std::sync::Mutex::new(gate);
        struct Hanging(PrivateKey, std::sync::Mutex<mpsc::Receiver<()>>);
        impl ExternalSigner for Hanging {
            fn public_key(&self) -> PublicKey {
                self.0.public_key()
            }
            fn sign_digest(
                &self,
                digest: &[u8; 32],
            ) -> std::result::Result<Vec<u8>, ExternalSignerError> {
                let _ = self.1.lock().unwrap().recv();
                Ok(prehash(&self.0, digest).to_bytes().to_vec())
            }
        }
        let key = ExternalKey::new(Arc::new(Hanging(PrivateKey::generate().unwrap(), gate)))
            .with_timeout(Duration::from_millis(20));
        for _ in 0..MAX_HANGING_CALLS {
            assert_eq!(problem(key.sign(b"x")), "timeout");
        }
        assert_eq!(problem(key.sign(b"x")), "busy");
        // One release per hanging call, and one for the call below.
        for _ in 0..=MAX_HANGING_CALLS {
            release.send(()).unwrap();
        }
        // Once the hanging calls end, the signer is used again (bounded wait for them to end).
        let key = key.with_timeout(Duration::from_secs(30));
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match key.sign(b"x") {
                Ok(_) => break,
                Err(e) if e.rule() == Some("busy") && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(e) => panic!("unexpected {e}"),
            }
        }
    }
}
