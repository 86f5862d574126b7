//! `TokenProvider` and the `ManualClock` tests drive providers with.

use std::sync::Arc;

use devtoken::clock::{Clock, ManualClock, SystemClock};
use devtoken::DurationInput;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::claims::PyClaims;
use crate::conversions::{map_to_dict, optional_seconds, service_from};
use crate::errors::DevTokenResult;
use crate::options::provider_options_dict;
use crate::signer::PySigner;

/// A clock that moves only when told to, for tests of `TokenProvider`.
#[pyclass(frozen, module = "devtoken", name = "ManualClock")]
pub(crate) struct PyManualClock {
    inner: Arc<ManualClock>,
}

#[pymethods]
impl PyManualClock {
    #[new]
    fn new(now: i64) -> Self {
        PyManualClock {
            inner: Arc::new(ManualClock::new(now)),
        }
    }

    fn now(&self) -> i64 {
        self.inner.now()
    }

    fn set(&self, now: i64) {
        self.inner.set(now)
    }

    fn advance(&self, secs: i64) {
        self.inner.advance(secs)
    }

    fn __repr__(&self) -> String {
        format!("ManualClock({})", self.inner.now())
    }
}

/// The given manual clock, or the system clock.
pub(crate) fn clock_or_system(clock: Option<&Bound<'_, PyManualClock>>) -> Arc<dyn Clock> {
    match clock {
        Some(clock) => clock.get().inner.clone(),
        None => Arc::new(SystemClock),
    }
}

/// A cached, self-renewing token following the service's reuse rule.
#[pyclass(frozen, module = "devtoken", name = "TokenProvider")]
pub(crate) struct PyTokenProvider {
    inner: devtoken::TokenProvider,
}

#[pymethods]
impl PyTokenProvider {
    #[new]
    #[pyo3(signature = (
        signer, service, claims, *, margin_fraction = None, min_margin = None, renew_after = None,
        reuse_per_request_tokens = None, aligned = None, clock = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        signer: &Bound<'_, PySigner>,
        service: &Bound<'_, PyAny>,
        claims: &Bound<'_, PyClaims>,
        margin_fraction: Option<f64>,
        min_margin: Option<&Bound<'_, PyAny>>,
        renew_after: Option<i64>,
        reuse_per_request_tokens: Option<bool>,
        aligned: Option<bool>,
        clock: Option<&Bound<'_, PyManualClock>>,
    ) -> DevTokenResult<Self> {
        let service = service_from(service)?;
        let min_margin = optional_seconds(min_margin, DurationInput::MinMargin, "min_margin")?;
        let options = devtoken::ProviderOptions::from_given(
            margin_fraction,
            min_margin,
            renew_after,
            reuse_per_request_tokens,
        )?
        .with_aligned(aligned);
        let provider = devtoken::TokenProvider::with_clock(
            Arc::clone(&signer.get().inner),
            service,
            claims.get().inner.clone(),
            options,
            clock_or_system(clock),
        )?;
        Ok(PyTokenProvider { inner: provider })
    }

    /// The token to send now.
    fn token(&self, py: Python<'_>) -> DevTokenResult<String> {
        let provider = &self.inner;
        Ok(py.detach(|| provider.token())?.to_string())
    }

    /// The cached token while it is fresh, else None: never signs, never waits.
    fn fresh_token(&self) -> Option<String> {
        self.inner.fresh_token()
    }

    /// A new token when `rejected` (refused by Apple) is still the current one, else the
    /// current token: one refused token is replaced once however many callers report it.
    fn refresh_rejected(&self, py: Python<'_>, rejected: String) -> DevTokenResult<String> {
        let provider = &self.inner;
        Ok(py.detach(|| provider.refresh_rejected(&rejected))?)
    }

    /// Signs a new token now (the rule table's floor for APNs still holds).
    fn force_refresh(&self, py: Python<'_>) -> DevTokenResult<String> {
        let provider = &self.inner;
        Ok(py.detach(|| provider.force_refresh())?.to_string())
    }

    /// When the current token expires (UNIX seconds), if one has been signed.
    fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at()
    }

    /// Seconds until the current token expires, if one has been signed.
    fn seconds_left(&self) -> Option<i64> {
        self.inner.seconds_left()
    }

    #[getter]
    fn claims<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.inner
            .current_claims()
            .map(|claims| map_to_dict(py, &claims))
            .transpose()
    }

    /// The options in effect (the core's defaults where none were given).
    #[getter]
    fn options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        provider_options_dict(py, self.inner.options())
    }

    #[getter]
    fn signature_count(&self) -> u64 {
        self.inner.signature_count()
    }

    /// Records Apple's clock offset measured elsewhere (`measure_clock_offset()`'s pair); later
    /// tokens are back-dated when the local clock is ahead by more than the skew covers.
    /// Returns whether the correction changed.
    fn observe_clock_offset(&self, offset: (i64, i64)) -> bool {
        let (offset_millis, uncertainty_millis) = offset;
        self.inner
            .observe_clock_offset(devtoken::clock::ClockOffset {
                offset_millis,
                uncertainty_millis,
                measured_at: devtoken::clock::unix_now(),
            })
    }

    /// The last measured clock offset `(offset_millis, uncertainty_millis)`, or None.
    #[getter]
    fn clock_offset(&self) -> Option<(i64, i64)> {
        crate::conversions::offset_pair(self.inner.clock_offset())
    }

    /// How many tokens were back-dated by a measured clock offset.
    #[getter]
    fn clock_corrections(&self) -> u64 {
        self.inner.clock_corrections()
    }

    /// The period of the shared `iat` grid in seconds, or None when not aligned.
    #[getter]
    fn alignment_period(&self) -> Option<u64> {
        self.inner.alignment_period_secs()
    }

    fn __repr__(&self) -> String {
        format!(
            "TokenProvider(service='{}')",
            self.inner.service().cli_name()
        )
    }
}
