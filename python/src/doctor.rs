//! `doctor` and `measure_clock_offset`: the core's setup checklist and clock measurement, for a
//! service to run at startup and log. Conversions only.

use std::path::PathBuf;

use pyo3::prelude::*;

use crate::claims::PyClaims;
use crate::conversions::service_from;
use crate::errors::DevTokenResult;
use crate::options::http_options;

/// One item of `doctor`'s checklist.
#[pyclass(frozen, module = "devtoken", name = "Check")]
pub(crate) struct PyCheck {
    #[pyo3(get)]
    name: &'static str,
    #[pyo3(get)]
    status: &'static str,
    #[pyo3(get)]
    message: String,
    #[pyo3(get)]
    fix: Option<String>,
}

#[pymethods]
impl PyCheck {
    fn __repr__(&self) -> String {
        format!("Check(name='{}', status='{}')", self.name, self.status)
    }

    fn __str__(&self) -> String {
        match &self.fix {
            Some(fix) => format!(
                "{} {}: {} (fix: {fix})",
                self.status, self.name, self.message
            ),
            None => format!("{} {}: {}", self.status, self.name, self.message),
        }
    }
}

/// Runs the core's checklist; `offline=True` skips the clock and probe checks.
#[pyfunction]
#[pyo3(signature = (key_path, service, claims, *, key_id = None, offline = false, base_url = None))]
pub(crate) fn doctor(
    py: Python<'_>,
    key_path: PathBuf,
    service: &Bound<'_, PyAny>,
    claims: &Bound<'_, PyClaims>,
    key_id: Option<String>,
    offline: bool,
    base_url: Option<String>,
) -> DevTokenResult<Vec<PyCheck>> {
    let network = if offline {
        None
    } else {
        Some(http_options(base_url, None, None, None, None, None, None)?)
    };
    let input = devtoken::doctor::DoctorInput {
        key_path,
        key_id,
        service: service_from(service)?,
        claims: claims.get().inner.clone(),
        network,
    };
    let report = py.detach(|| devtoken::doctor::doctor(&input));
    Ok(report
        .into_iter()
        .map(|check| PyCheck {
            name: check.name,
            status: check.status.as_str(),
            message: check.message,
            fix: check.fix,
        })
        .collect())
}

/// Apple's clock minus this one, from an answer's `Date` header: `(offset_millis,
/// uncertainty_millis)`.
#[pyfunction]
#[pyo3(signature = (base_url = None))]
pub(crate) fn measure_clock_offset(
    py: Python<'_>,
    base_url: Option<String>,
) -> DevTokenResult<(i64, i64)> {
    let options = http_options(base_url, None, None, None, None, None, None)?;
    let offset = py.detach(|| devtoken::measure_clock_offset(options))?;
    Ok((offset.offset_millis, offset.uncertainty_millis))
}
