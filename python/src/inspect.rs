//! Reading tokens: `verify_token`, `decode_token`, `inspect_token` and its `Finding`s, and the
//! names of the services.

use devtoken::Service;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::conversions::{decoded_to_dict, pem_text, service_from};
use crate::errors::DevTokenResult;

/// One observation of `inspect_token`.
#[pyclass(frozen, eq, hash, module = "devtoken", name = "Finding")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyFinding {
    #[pyo3(get)]
    level: &'static str,
    #[pyo3(get)]
    code: &'static str,
    #[pyo3(get)]
    message: String,
}

impl From<devtoken::Finding> for PyFinding {
    fn from(finding: devtoken::Finding) -> Self {
        PyFinding {
            level: finding.level.as_str(),
            code: finding.code,
            message: finding.message,
        }
    }
}

#[pymethods]
impl PyFinding {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let message = PyString::new(py, &self.message).repr()?;
        Ok(format!(
            "Finding(level='{}', code='{}', message={message})",
            self.level, self.code
        ))
    }

    fn __str__(&self) -> String {
        format!("{}[{}]: {}", self.level, self.code, self.message)
    }
}

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

/// The names of every service the core knows, in rule-table order.
#[pyfunction]
pub(crate) fn service_names() -> Vec<&'static str> {
    Service::ALL.iter().map(|s| s.cli_name()).collect()
}
