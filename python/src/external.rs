//! Signers whose key lives elsewhere: a Python callable (a KMS client, an HSM library) and the
//! core's PKCS#11 signer. Conversions only: the core normalises, verifies and bounds every call.

use std::sync::Arc;
use std::time::Duration;

use devtoken::{ExternalSigner, ExternalSignerError, SignerCause, SignerProblem};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};

/// `sign(digest: bytes) -> bytes` from Python, called on the core's signing thread with the GIL
/// held only for the call.
struct CallableSigner {
    public_key: devtoken::PublicKey,
    sign: Py<PyAny>,
    name: String,
}

impl ExternalSigner for CallableSigner {
    fn public_key(&self) -> devtoken::PublicKey {
        self.public_key
    }

    fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, ExternalSignerError> {
        Python::attach(|py| {
            let answer = self
                .sign
                .call1(py, (PyBytes::new(py, digest),))
                .map_err(|error| {
                    let message = format!("the sign callable raised {error}");
                    ExternalSignerError::new(SignerProblem::Failed, message)
                        .with_cause(SignerCause::new(error))
                })?;
            let answer = answer.bind(py);
            if let Ok(bytes) = answer.cast::<PyBytes>() {
                Ok(bytes.as_bytes().to_vec())
            } else if let Ok(bytes) = answer.cast::<PyByteArray>() {
                Ok(bytes.to_vec())
            } else {
                let type_name = answer
                    .get_type()
                    .name()
                    .map_or_else(|_| "?".to_string(), |name| name.to_string());
                Err(ExternalSignerError::new(
                    SignerProblem::SignatureShape,
                    format!(
                        "the sign callable returned {type_name}, not bytes (DER or 64 bytes r||s)"
                    ),
                ))
            }
        })
    }

    fn describe(&self) -> String {
        self.name.clone()
    }
}

/// `signer` with the external timeout when given (in seconds; the core checks its range, so a
/// bad value gets the core's message).
pub(crate) fn with_timeout(
    signer: devtoken::Signer,
    timeout: Option<f64>,
) -> devtoken::Result<devtoken::Signer> {
    match timeout {
        None => Ok(signer),
        Some(secs) => {
            let timeout = if secs.is_finite() && secs > 0.0 {
                Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
            } else {
                Duration::ZERO
            };
            signer.with_external_timeout(timeout)
        }
    }
}

/// A callable's signer: the public key parsed, the callable kept for the calls.
pub(crate) fn callable_signer(
    py: Python<'_>,
    public_key: devtoken::PublicKey,
    sign: Py<PyAny>,
) -> Arc<dyn ExternalSigner> {
    let name = sign
        .bind(py)
        .getattr("__qualname__")
        .and_then(|name| name.extract::<String>())
        .map_or_else(
            |_| "Python sign callable".to_string(),
            |name| format!("Python callable {name}"),
        );
    Arc::new(CallableSigner {
        public_key,
        sign,
        name,
    })
}
