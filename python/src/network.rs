//! What calls Apple: `MapsTokenProvider` (the `/v1/token` exchange), `OAuthTokenProvider` (Apple
//! School and Business Manager, Apple Ads) and `probe`.

use std::sync::Arc;

use devtoken::DurationInput;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::claims::PyClaims;
use crate::conversions::{offset_pair, optional_seconds, service_from};
use crate::errors::DevTokenResult;
use crate::findings::PyFinding;
use crate::options::{http_options, maps_options_dict};
use crate::providers::{clock_or_system, PyManualClock};
use crate::signer::PySigner;

/// The Maps Server API access token from `GET /v1/token`, cached and renewed.
#[pyclass(frozen, module = "devtoken", name = "MapsTokenProvider")]
pub(crate) struct PyMapsTokenProvider {
    inner: devtoken::MapsTokenProvider,
}

#[pymethods]
impl PyMapsTokenProvider {
    #[new]
    #[pyo3(signature = (
        signer, claims, base_url = None, *, margin_fraction = None, min_margin = None,
        connect_timeout = None, read_timeout = None, user_agent = None, extra_ca_pem = None,
        max_retries = None, deadline = None, clock = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        signer: &Bound<'_, PySigner>,
        claims: &Bound<'_, PyClaims>,
        base_url: Option<String>,
        margin_fraction: Option<f64>,
        min_margin: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<f64>,
        read_timeout: Option<f64>,
        user_agent: Option<String>,
        extra_ca_pem: Option<String>,
        max_retries: Option<i64>,
        deadline: Option<f64>,
        clock: Option<&Bound<'_, PyManualClock>>,
    ) -> DevTokenResult<Self> {
        // Converted first, as pyo3 converts typed arguments: a bad value is reported whatever
        // the other options.
        let min_margin = optional_seconds(min_margin, DurationInput::MinMargin, "min_margin")?;
        let http = http_options(
            base_url,
            connect_timeout,
            read_timeout,
            user_agent,
            extra_ca_pem,
            max_retries,
            deadline,
        )?;
        let options = devtoken::MapsOptions::from_given(margin_fraction, min_margin, http)?;
        let inner = devtoken::MapsTokenProvider::with_clock(
            Arc::clone(&signer.get().inner),
            claims.get().inner.clone(),
            options,
            clock_or_system(clock),
        )?;
        Ok(PyMapsTokenProvider { inner })
    }

    /// The access token to send to Maps Server API calls now.
    fn access_token(&self, py: Python<'_>) -> DevTokenResult<String> {
        let inner = &self.inner;
        Ok(py.detach(|| inner.access_token())?.to_string())
    }

    /// The cached access token while it is fresh, else None: never exchanges, never waits.
    fn fresh_access_token(&self) -> Option<String> {
        self.inner.fresh_access_token()
    }

    /// Forgets the cached access token after an API call answered 401.
    #[pyo3(signature = (rejected = None))]
    fn invalidate(&self, py: Python<'_>, rejected: Option<String>) -> bool {
        let inner = &self.inner;
        py.detach(|| inner.invalidate(rejected.as_deref()))
    }

    /// When the current access token expires (UNIX seconds), if one has been obtained.
    fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at()
    }

    /// The signed Maps token that is exchanged.
    fn maps_token(&self, py: Python<'_>) -> DevTokenResult<String> {
        let inner = &self.inner;
        Ok(py.detach(|| inner.maps_token())?.to_string())
    }

    /// The options in effect (the core's defaults where none were given).
    #[getter]
    fn options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        maps_options_dict(py, self.inner.options())
    }

    /// Apple's clock offset measured at the last exchange: `(offset_millis,
    /// uncertainty_millis)`, or None.
    #[getter]
    fn clock_offset(&self) -> Option<(i64, i64)> {
        offset_pair(self.inner.clock_offset())
    }

    /// How many signed tokens were back-dated by a measured clock offset.
    #[getter]
    fn clock_corrections(&self) -> u64 {
        self.inner.clock_corrections()
    }

    #[getter]
    fn exchange_count(&self) -> u64 {
        self.inner.exchange_count()
    }
}

/// An OAuth access token for Apple School Manager, Apple Business Manager or Apple Ads.
#[pyclass(frozen, module = "devtoken", name = "OAuthTokenProvider")]
pub(crate) struct PyOAuthTokenProvider {
    inner: devtoken::OAuthTokenProvider,
}

#[pymethods]
impl PyOAuthTokenProvider {
    #[new]
    #[pyo3(signature = (
        signer, service, client_id, team_id = None, base_url = None, *, margin_fraction = None,
        min_margin = None, connect_timeout = None, read_timeout = None, user_agent = None,
        extra_ca_pem = None, max_retries = None, deadline = None, clock = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        signer: &Bound<'_, PySigner>,
        service: &Bound<'_, PyAny>,
        client_id: String,
        team_id: Option<String>,
        base_url: Option<String>,
        margin_fraction: Option<f64>,
        min_margin: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<f64>,
        read_timeout: Option<f64>,
        user_agent: Option<String>,
        extra_ca_pem: Option<String>,
        max_retries: Option<i64>,
        deadline: Option<f64>,
        clock: Option<&Bound<'_, PyManualClock>>,
    ) -> DevTokenResult<Self> {
        let service = service_from(service)?;
        let min_margin = optional_seconds(min_margin, DurationInput::MinMargin, "min_margin")?;
        let http = http_options(
            base_url,
            connect_timeout,
            read_timeout,
            user_agent,
            extra_ca_pem,
            max_retries,
            deadline,
        )?;
        let options = devtoken::OAuthOptions::from_given(margin_fraction, min_margin, http)?;
        let inner = devtoken::OAuthTokenProvider::with_clock(
            Arc::clone(&signer.get().inner),
            service,
            &client_id,
            team_id.as_deref(),
            options,
            clock_or_system(clock),
        )?;
        Ok(PyOAuthTokenProvider { inner })
    }

    /// The access token to send now (`Authorization: Bearer ...`).
    fn access_token(&self, py: Python<'_>) -> DevTokenResult<String> {
        let inner = &self.inner;
        Ok(py.detach(|| inner.access_token())?)
    }

    /// The cached access token while it is fresh, else None: never exchanges, never waits.
    fn fresh_access_token(&self) -> Option<String> {
        self.inner.fresh_access_token()
    }

    /// Forgets the cached access token after an API call answered 401.
    #[pyo3(signature = (rejected = None))]
    fn invalidate(&self, py: Python<'_>, rejected: Option<String>) -> bool {
        let inner = &self.inner;
        py.detach(|| inner.invalidate(rejected.as_deref()))
    }

    /// When the current access token expires (UNIX seconds), if one has been obtained.
    fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at()
    }

    /// The signed client assertion (Apple Ads: client secret) that is exchanged.
    fn assertion(&self, py: Python<'_>) -> DevTokenResult<String> {
        let inner = &self.inner;
        Ok(py.detach(|| inner.assertion())?)
    }

    /// The options in effect (the core's defaults where none were given).
    #[getter]
    fn options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        maps_options_dict(py, self.inner.options())
    }

    /// Apple's clock offset measured at the last exchange: `(offset_millis,
    /// uncertainty_millis)`, or None.
    #[getter]
    fn clock_offset(&self) -> Option<(i64, i64)> {
        offset_pair(self.inner.clock_offset())
    }

    /// How many signed tokens were back-dated by a measured clock offset.
    #[getter]
    fn clock_corrections(&self) -> u64 {
        self.inner.clock_corrections()
    }

    #[getter]
    fn exchange_count(&self) -> u64 {
        self.inner.exchange_count()
    }

    fn __repr__(&self) -> String {
        format!(
            "OAuthTokenProvider(service='{}', client_id='{}')",
            self.inner.service().cli_name(),
            self.inner.client_id()
        )
    }
}

/// What a service's test endpoint said of a token.
#[pyclass(frozen, module = "devtoken", name = "ProbeVerdict")]
pub(crate) struct PyProbeVerdict {
    #[pyo3(get)]
    accepted: bool,
    #[pyo3(get)]
    status: u16,
    #[pyo3(get)]
    url: String,
    #[pyo3(get)]
    message: String,
    findings: Vec<devtoken::Finding>,
}

#[pymethods]
impl PyProbeVerdict {
    #[getter]
    fn findings(&self) -> Vec<PyFinding> {
        self.findings.iter().cloned().map(PyFinding::from).collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "ProbeVerdict(accepted={}, status={}, url='{}')",
            if self.accepted { "True" } else { "False" },
            self.status,
            self.url
        )
    }
}

/// Calls the service's documented test endpoint with `token` and reports the verdict.
#[pyfunction]
#[pyo3(signature = (
    service, token, base_url = None, *, connect_timeout = None, read_timeout = None,
    extra_ca_pem = None, max_retries = None, deadline = None
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn probe(
    py: Python<'_>,
    service: &Bound<'_, PyAny>,
    token: String,
    base_url: Option<String>,
    connect_timeout: Option<f64>,
    read_timeout: Option<f64>,
    extra_ca_pem: Option<String>,
    max_retries: Option<i64>,
    deadline: Option<f64>,
) -> DevTokenResult<PyProbeVerdict> {
    let service = service_from(service)?;
    let options = http_options(
        base_url,
        connect_timeout,
        read_timeout,
        None,
        extra_ca_pem,
        max_retries,
        deadline,
    )?;
    let verdict = py.detach(|| devtoken::probe(service, &token, options))?;
    Ok(PyProbeVerdict {
        accepted: verdict.accepted,
        status: verdict.status,
        url: verdict.url,
        message: verdict.message,
        findings: verdict.findings,
    })
}
