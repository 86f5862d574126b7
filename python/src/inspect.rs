//! Reading tokens: `verify_token`, `decode_token`, `inspect_token`, `lifetime_warnings`, and the
//! names of the services.

use devtoken::Service;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::conversions::{decoded_to_dict, pem_text, service_from};
use crate::errors::DevTokenResult;
use crate::findings::PyFinding;

/// Checks the signature, alg and structure; returns `{"header": {...}, "claims": {...}}`.
#[pyfunction]
pub(crate) fn verify_token<'py>(
    py: Python<'py>,
    token: &str,
    public_key_pem: &Bound<'py, PyAny>,
) -> DevTokenResult<Bound<'py, PyDict>> {
    let key = pem_text(public_key_pem)?.public_key()?;
    let decoded = devtoken::verify_token(token, &key)?;
    Ok(decoded_to_dict(py, &decoded)?)
}

/// Decodes header and claims without checking the signature.
#[pyfunction]
pub(crate) fn decode_token<'py>(
    py: Python<'py>,
    token: &str,
) -> DevTokenResult<Bound<'py, PyDict>> {
    let decoded = devtoken::decode_token(token)?;
    Ok(decoded_to_dict(py, &decoded)?)
}

/// Lists every reason Apple would reject the token.
#[pyfunction]
#[pyo3(signature = (token, service = None, public_key_pem = None, *, now = None))]
pub(crate) fn inspect_token(
    token: &str,
    service: Option<&Bound<'_, PyAny>>,
    public_key_pem: Option<&Bound<'_, PyAny>>,
    now: Option<i64>,
) -> DevTokenResult<Vec<PyFinding>> {
    let service = service.map(service_from).transpose()?;
    let key = match public_key_pem {
        Some(pem) => Some(pem_text(pem)?.public_key()?),
        None => None,
    };
    let now = now.unwrap_or_else(devtoken::unix_now);
    Ok(
        devtoken::inspect_token_at(token, service, key.as_ref(), now)
            .into_iter()
            .map(PyFinding::from)
            .collect(),
    )
}

/// The warnings for a signed token of `service` that Apple's pages allow but Apple has refused
/// in the field (what the CLI prints after signing).
#[pyfunction]
pub(crate) fn lifetime_warnings(
    token: &str,
    service: &Bound<'_, PyAny>,
) -> DevTokenResult<Vec<PyFinding>> {
    let service = service_from(service)?;
    Ok(devtoken::lifetime_warnings(token, service)?
        .into_iter()
        .map(PyFinding::from)
        .collect())
}

/// The names of every service the core knows, in rule-table order.
#[pyfunction]
pub(crate) fn service_names() -> Vec<&'static str> {
    Service::ALL.iter().map(|s| s.cli_name()).collect()
}
