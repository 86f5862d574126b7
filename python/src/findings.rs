//! `Finding`: one observation of `inspect_token`, also carried by `AppleRejectedError`,
//! `ProbeVerdict` and `lifetime_warnings`. Its own module, so the exceptions (`errors`) and the
//! readers of tokens (`inspect`) both import it and neither imports the other.

use pyo3::prelude::*;
use pyo3::types::PyString;

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
