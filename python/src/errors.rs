//! The exception classes and the one conversion of a core error into them.
//!
//! Every function of this module returns [`DevTokenResult`], so `?` works on core results and on
//! Python results alike (the pattern of pyca/cryptography's `CryptographyError`). A core error
//! becomes its exception class on the way out, built from [`devtoken::Error::into_parts`] with an
//! exhaustive match on the kind: a new core kind fails to compile here until it is mapped.

use devtoken::{ErrorKind, ErrorParts};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError};
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::findings::PyFinding;

create_exception!(
    devtoken,
    TokenError,
    PyException,
    "Base class of every devtoken error; `.kind`, `.field` and `.rule` are the core's codes."
);
create_exception!(
    devtoken,
    InvalidKeyError,
    TokenError,
    "The key is not a usable P-256 private (or public) key; `.rule` says why (`encrypted`, ...)."
);
create_exception!(
    devtoken,
    InvalidClaimsError,
    TokenError,
    "A claim or header field breaks a rule of the service; see `.field` and `.rule`."
);
create_exception!(
    devtoken,
    MalformedTokenError,
    TokenError,
    "The text is not a compact JWS."
);
create_exception!(
    devtoken,
    InvalidOptionError,
    TokenError,
    "An option (clock skew, margins, network settings) or a provider's claims template is not \
     usable; see `.field` and `.rule`."
);
create_exception!(
    devtoken,
    RefreshTooSoonError,
    TokenError,
    "A forced refresh would replace a provider token sooner than Apple allows; see `.wait_secs`."
);
create_exception!(
    devtoken,
    AppleRejectedError,
    TokenError,
    "Apple refused the token (401/403); see `.status`, `.message`, `.details`, `.findings`."
);
create_exception!(
    devtoken,
    QuotaExceededError,
    TokenError,
    "Apple answered 429: the daily quota is used up; see `.retry_after` (seconds or None)."
);
create_exception!(
    devtoken,
    NetworkError,
    TokenError,
    "The server could not be reached or kept failing; see `.attempts`."
);
create_exception!(
    devtoken,
    MalformedResponseError,
    TokenError,
    "A 2xx answer whose body is not what Apple documents; see `.status`."
);
create_exception!(
    devtoken,
    ExternalSignerError,
    TokenError,
    "An external signer (PKCS#11, KMS, callback) failed, timed out or answered a bad signature; \
     `.rule` says which; a callback's own exception is `__cause__`."
);
create_exception!(
    devtoken,
    SignatureError,
    TokenError,
    "The signature is not a valid ES256 signature by the given key."
);

/// The error of every function of this module: a core error, or a Python exception raised while
/// converting arguments.
#[derive(Debug)]
pub(crate) enum DevTokenError {
    /// A core error, raised as its exception class.
    Core(devtoken::Error),
    /// An exception raised by Python or by this binding's argument conversions.
    Python(PyErr),
}

/// The result type of every function of this module.
pub(crate) type DevTokenResult<T> = Result<T, DevTokenError>;

impl From<devtoken::Error> for DevTokenError {
    fn from(error: devtoken::Error) -> Self {
        DevTokenError::Core(error)
    }
}

impl From<PyErr> for DevTokenError {
    fn from(error: PyErr) -> Self {
        DevTokenError::Python(error)
    }
}

impl From<DevTokenError> for PyErr {
    fn from(error: DevTokenError) -> Self {
        match error {
            DevTokenError::Core(error) => Python::attach(|py| core_exception(py, error)),
            DevTokenError::Python(error) => error,
        }
    }
}

/// The exception class of a kind. I/O failures are Python's own `OSError`.
fn exception_class(py: Python<'_>, kind: ErrorKind) -> Bound<'_, PyType> {
    match kind {
        ErrorKind::InvalidKey => py.get_type::<InvalidKeyError>(),
        ErrorKind::InvalidClaim => py.get_type::<InvalidClaimsError>(),
        ErrorKind::MalformedToken => py.get_type::<MalformedTokenError>(),
        ErrorKind::BadSignature => py.get_type::<SignatureError>(),
        ErrorKind::InvalidOption => py.get_type::<InvalidOptionError>(),
        ErrorKind::RefreshTooSoon => py.get_type::<RefreshTooSoonError>(),
        ErrorKind::AppleRejected => py.get_type::<AppleRejectedError>(),
        ErrorKind::QuotaExceeded => py.get_type::<QuotaExceededError>(),
        ErrorKind::Network => py.get_type::<NetworkError>(),
        ErrorKind::MalformedResponse => py.get_type::<MalformedResponseError>(),
        ErrorKind::Io => py.get_type::<PyOSError>(),
        ErrorKind::ExternalSigner => py.get_type::<ExternalSignerError>(),
    }
}

/// The exception for a core error: its class, the core's sentence as the message, `kind`,
/// `field` and `rule` on every instance, and the values of the kind a caller acts on.
fn core_exception(py: Python<'_>, error: devtoken::Error) -> PyErr {
    match build_exception(py, error.into_parts()) {
        Ok(exception) => PyErr::from_value(exception),
        Err(failure) => failure,
    }
}

fn build_exception(py: Python<'_>, parts: ErrorParts) -> PyResult<Bound<'_, PyAny>> {
    let ErrorParts {
        kind,
        message,
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
    } = parts;
    let exception = exception_class(py, kind).call1((message,))?;
    exception.setattr("kind", kind.code())?;
    exception.setattr("field", field)?;
    exception.setattr("rule", rule)?;
    match kind {
        ErrorKind::InvalidKey
        | ErrorKind::InvalidClaim
        | ErrorKind::MalformedToken
        | ErrorKind::BadSignature
        | ErrorKind::InvalidOption
        | ErrorKind::Io => {}
        ErrorKind::RefreshTooSoon => exception.setattr("wait_secs", wait_secs)?,
        ErrorKind::AppleRejected => {
            let findings: Vec<PyFinding> = findings.into_iter().map(PyFinding::from).collect();
            exception.setattr("status", status)?;
            exception.setattr("message", apple_message)?;
            exception.setattr("details", details)?;
            exception.setattr("findings", findings)?;
        }
        ErrorKind::QuotaExceeded => exception.setattr("retry_after", retry_after_secs)?,
        ErrorKind::Network => exception.setattr("attempts", attempts)?,
        ErrorKind::MalformedResponse => exception.setattr("status", status)?,
        ErrorKind::ExternalSigner => {
            // A Python callback's own exception, kept by the face as a `PyErr`.
            if let Some(original) = cause.as_ref().and_then(|c| c.downcast_ref::<PyErr>()) {
                exception.setattr("__cause__", original.value(py))?;
            }
        }
    }
    Ok(exception)
}
