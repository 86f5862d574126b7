//! devtoken for Python: the pyo3 face of the core crate.
//!
//! Conversions only: Python values in, core types through, Python values and exceptions out. No
//! rule, default or check of devtoken's lives here; the core decides everything.

use std::path::PathBuf;
use std::sync::Arc;

use devtoken::clock::{Clock, ManualClock, SystemClock};
use devtoken::{Error, Service};
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyList, PyString};
use serde_json::Value;
use zeroize::Zeroizing;

create_exception!(
    devtoken,
    TokenError,
    PyException,
    "Base class of every devtoken error."
);
create_exception!(
    devtoken,
    InvalidKeyError,
    TokenError,
    "The key is not a usable P-256 private (or public) key."
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
    "A TokenProvider option or claims template is not usable."
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
    "A 2xx answer whose body is not what Apple documents."
);
create_exception!(
    devtoken,
    SignatureError,
    TokenError,
    "The signature is not a valid ES256 signature by the given key."
);

/// Maps a core error to its exception class, keeping the core's full message.
fn to_py_err(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::InvalidKey { .. } => InvalidKeyError::new_err(message),
        Error::InvalidClaim { field, rule, .. } => claims_error(message, field, rule.code()),
        Error::UnsupportedClaim { field, .. } => claims_error(message, field, "unsupported_claim"),
        Error::MalformedToken { .. } => MalformedTokenError::new_err(message),
        Error::BadSignature { .. } => SignatureError::new_err(message),
        Error::Io { .. } => PyOSError::new_err(message),
        Error::InvalidOption { .. } => InvalidOptionError::new_err(message),
        Error::AppleRejected {
            status,
            message: apple_message,
            details,
            findings,
            ..
        } => Python::attach(|py| {
            let error = AppleRejectedError::new_err(message);
            let value = error.value(py);
            let findings: Vec<PyFinding> = findings.into_iter().map(PyFinding::from).collect();
            // Setting plain attributes on a fresh exception instance cannot fail.
            let _ = value.setattr("status", status);
            let _ = value.setattr("message", apple_message);
            let _ = value.setattr("details", details);
            let _ = value.setattr("findings", findings);
            error
        }),
        Error::QuotaExceeded {
            retry_after_secs, ..
        } => Python::attach(|py| {
            let error = QuotaExceededError::new_err(message);
            let _ = error.value(py).setattr("retry_after", retry_after_secs);
            error
        }),
        Error::Network { attempts, .. } => Python::attach(|py| {
            let error = NetworkError::new_err(message);
            let _ = error.value(py).setattr("attempts", attempts);
            error
        }),
        Error::MalformedResponse { .. } => MalformedResponseError::new_err(message),
        Error::RefreshTooSoon { wait_secs, .. } => Python::attach(|py| {
            let error = RefreshTooSoonError::new_err(message);
            // Setting a plain attribute on a fresh exception instance cannot fail.
            let _ = error.value(py).setattr("wait_secs", wait_secs);
            error
        }),
        _ => TokenError::new_err(message),
    }
}

fn claims_error(message: String, field: &'static str, rule: &'static str) -> PyErr {
    Python::attach(|py| {
        let error = InvalidClaimsError::new_err(message);
        let value = error.value(py);
        // Setting plain attributes on a fresh exception instance cannot fail.
        let _ = value.setattr("field", field);
        let _ = value.setattr("rule", rule);
        error
    })
}

/// Accepts a `Service` member (a `str` enum) or its name as a string.
fn service_from(value: &Bound<'_, PyAny>) -> PyResult<Service> {
    let name = value.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err("service must be a devtoken.Service member or its name")
    })?;
    name.to_cow()?
        .parse()
        .map_err(|e: devtoken::service::UnknownService| PyValueError::new_err(e.to_string()))
}

/// A PEM given as `str` or `bytes`.
fn pem_text(value: &Bound<'_, PyAny>) -> PyResult<PemInput> {
    if let Ok(text) = value.cast::<PyString>() {
        Ok(PemInput::Text(Zeroizing::new(text.to_cow()?.to_string())))
    } else if let Ok(bytes) = value.cast::<PyBytes>() {
        Ok(PemInput::Bytes(Zeroizing::new(bytes.as_bytes().to_vec())))
    } else {
        Err(PyTypeError::new_err("the key must be str or bytes"))
    }
}

/// This binding's copy of the key text, wiped on drop.
enum PemInput {
    Text(Zeroizing<String>),
    Bytes(Zeroizing<Vec<u8>>),
}

impl PemInput {
    fn private_key(&self) -> devtoken::Result<devtoken::PrivateKey> {
        match self {
            PemInput::Text(text) => devtoken::PrivateKey::from_pem(text),
            PemInput::Bytes(bytes) => devtoken::PrivateKey::from_bytes(bytes),
        }
    }

    fn public_key(&self) -> devtoken::Result<devtoken::PublicKey> {
        match self {
            PemInput::Text(text) => devtoken::PublicKey::from_pem(text),
            PemInput::Bytes(bytes) => devtoken::PublicKey::from_bytes(bytes),
        }
    }
}

/// UNIX seconds from an `int` or a timezone-aware `datetime` (sub-second parts are dropped).
fn unix_seconds(value: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be int UNIX seconds or a datetime, not bool"
        )));
    }
    if let Ok(secs) = value.extract::<i64>() {
        return Ok(secs);
    }
    if value.hasattr("tzinfo")? && value.hasattr("timestamp")? {
        if value.getattr("tzinfo")?.is_none() {
            return Err(PyValueError::new_err(format!(
                "{name} is a naive datetime; give a timezone-aware one, e.g. datetime.now(timezone.utc)"
            )));
        }
        let timestamp: f64 = value.call_method0("timestamp")?.extract()?;
        return Ok(timestamp.floor() as i64);
    }
    Err(PyTypeError::new_err(format!(
        "{name} must be int UNIX seconds or a timezone-aware datetime, not {}",
        value.get_type().name()?
    )))
}

/// Seconds from an `int` or a `timedelta` of whole seconds.
fn duration_seconds(value: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be int seconds or a timedelta, not bool"
        )));
    }
    if let Ok(secs) = value.extract::<i64>() {
        return Ok(secs);
    }
    if value.hasattr("total_seconds")? {
        let seconds: f64 = value.call_method0("total_seconds")?.extract()?;
        if seconds.fract() != 0.0 {
            return Err(PyValueError::new_err(format!(
                "{name} is {seconds} s; tokens carry whole seconds"
            )));
        }
        return Ok(seconds as i64);
    }
    Err(PyTypeError::new_err(format!(
        "{name} must be int seconds or a timedelta, not {}",
        value.get_type().name()?
    )))
}

/// A list of strings; a single `str` counts as a list of one.
fn string_list(value: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Vec<String>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    if let Ok(one) = value.cast::<PyString>() {
        return Ok(vec![one.to_cow()?.to_string()]);
    }
    value
        .extract::<Vec<String>>()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be a str or a list of str")))
}

/// The claims of a token. Keyword arguments mirror the core's `Claims`; see the stubs.
#[pyclass(frozen, eq, hash, module = "devtoken", name = "Claims")]
#[derive(PartialEq, Eq, Hash)]
struct PyClaims {
    inner: devtoken::Claims,
}

#[pymethods]
impl PyClaims {
    #[new]
    #[pyo3(signature = (issuer = None, *, issued_at = None, expires_at = None, ttl = None, origins = None, bundle_id = None, subject = None, scope = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        issuer: Option<String>,
        issued_at: Option<&Bound<'_, PyAny>>,
        expires_at: Option<&Bound<'_, PyAny>>,
        ttl: Option<&Bound<'_, PyAny>>,
        origins: Option<&Bound<'_, PyAny>>,
        bundle_id: Option<String>,
        subject: Option<String>,
        scope: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Ok(PyClaims {
            inner: devtoken::Claims {
                issuer,
                issued_at: issued_at
                    .map(|v| unix_seconds(v, "issued_at"))
                    .transpose()?,
                expires_at: expires_at
                    .map(|v| unix_seconds(v, "expires_at"))
                    .transpose()?,
                ttl: ttl.map(|v| duration_seconds(v, "ttl")).transpose()?,
                origins: string_list(origins, "origins")?,
                bundle_id,
                subject,
                scope: string_list(scope, "scope")?,
            },
        })
    }

    #[getter]
    fn issuer(&self) -> Option<&str> {
        self.inner.issuer.as_deref()
    }
    #[getter]
    fn issued_at(&self) -> Option<i64> {
        self.inner.issued_at
    }
    #[getter]
    fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at
    }
    #[getter]
    fn ttl(&self) -> Option<i64> {
        self.inner.ttl
    }
    #[getter]
    fn origins(&self) -> Vec<String> {
        self.inner.origins.clone()
    }
    #[getter]
    fn bundle_id(&self) -> Option<&str> {
        self.inner.bundle_id.as_deref()
    }
    #[getter]
    fn subject(&self) -> Option<&str> {
        self.inner.subject.as_deref()
    }
    #[getter]
    fn scope(&self) -> Vec<String> {
        self.inner.scope.clone()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let claims = &slf.get().inner;
        let mut parts = Vec::new();
        let mut add = |name: &str, value: Bound<'_, PyAny>| -> PyResult<()> {
            parts.push(format!("{name}={}", value.repr()?));
            Ok(())
        };
        if let Some(v) = &claims.issuer {
            add("issuer", v.into_pyobject(py)?.into_any())?;
        }
        for (name, value) in [
            ("issued_at", claims.issued_at),
            ("expires_at", claims.expires_at),
            ("ttl", claims.ttl),
        ] {
            if let Some(v) = value {
                add(name, v.into_pyobject(py)?.into_any())?;
            }
        }
        if !claims.origins.is_empty() {
            add(
                "origins",
                claims.origins.clone().into_pyobject(py)?.into_any(),
            )?;
        }
        if let Some(v) = &claims.bundle_id {
            add("bundle_id", v.into_pyobject(py)?.into_any())?;
        }
        if let Some(v) = &claims.subject {
            add("subject", v.into_pyobject(py)?.into_any())?;
        }
        if !claims.scope.is_empty() {
            add("scope", claims.scope.clone().into_pyobject(py)?.into_any())?;
        }
        Ok(format!("Claims({})", parts.join(", ")))
    }
}

/// `stock_p256=True` selects p256's own signer (for comparison); the default is the comb.
fn backend(stock_p256: bool) -> devtoken::SigningBackend {
    if stock_p256 {
        devtoken::SigningBackend::StockP256
    } else {
        devtoken::SigningBackend::FixedBaseComb
    }
}

/// Signs ES256 developer tokens with one parsed key; safe to share between threads.
#[pyclass(frozen, module = "devtoken", name = "Signer")]
struct PySigner {
    inner: Arc<devtoken::Signer>,
}

#[pymethods]
impl PySigner {
    #[staticmethod]
    #[pyo3(signature = (pem, key_id, *, clock_skew = devtoken::DEFAULT_CLOCK_SKEW_SECS, stock_p256 = false))]
    fn from_pem(
        pem: &Bound<'_, PyAny>,
        key_id: &str,
        clock_skew: u64,
        stock_p256: bool,
    ) -> PyResult<Self> {
        let key = pem_text(pem)?.private_key().map_err(to_py_err)?;
        let signer = devtoken::Signer::new(key, key_id)
            .map_err(to_py_err)?
            .with_backend(backend(stock_p256));
        Ok(PySigner {
            inner: Arc::new(signer.with_clock_skew(clock_skew)),
        })
    }

    #[staticmethod]
    #[pyo3(signature = (path, key_id = None, *, clock_skew = devtoken::DEFAULT_CLOCK_SKEW_SECS, stock_p256 = false))]
    fn from_file(
        path: PathBuf,
        key_id: Option<&str>,
        clock_skew: u64,
        stock_p256: bool,
    ) -> PyResult<Self> {
        let signer = devtoken::Signer::from_file(path, key_id)
            .map_err(to_py_err)?
            .with_backend(backend(stock_p256));
        Ok(PySigner {
            inner: Arc::new(signer.with_clock_skew(clock_skew)),
        })
    }

    #[staticmethod]
    #[pyo3(signature = (key_id, *, clock_skew = devtoken::DEFAULT_CLOCK_SKEW_SECS, stock_p256 = false))]
    fn generate(key_id: &str, clock_skew: u64, stock_p256: bool) -> PyResult<Self> {
        let key = devtoken::PrivateKey::generate().map_err(to_py_err)?;
        let signer = devtoken::Signer::new(key, key_id)
            .map_err(to_py_err)?
            .with_backend(backend(stock_p256));
        Ok(PySigner {
            inner: Arc::new(signer.with_clock_skew(clock_skew)),
        })
    }

    #[getter]
    fn key_id(&self) -> &str {
        self.inner.key_id()
    }

    #[getter]
    fn clock_skew(&self) -> u64 {
        self.inner.clock_skew_secs()
    }

    fn public_key_pem(&self) -> String {
        self.inner.public_key().to_pem()
    }

    #[pyo3(signature = (service, claims, *, now = None))]
    fn sign_token(
        &self,
        py: Python<'_>,
        service: &Bound<'_, PyAny>,
        claims: &Bound<'_, PyClaims>,
        now: Option<i64>,
    ) -> PyResult<String> {
        let service = service_from(service)?;
        let claims = &claims.get().inner;
        let signer = &self.inner;
        py.detach(|| match now {
            Some(now) => signer.sign_token_at(service, claims, now),
            None => signer.sign_token(service, claims),
        })
        .map_err(to_py_err)
    }

    /// Benchmark aid: signs `count` tokens inside Rust and returns the seconds taken, so the
    /// benchmark can subtract the core's own time from a Python call's.
    #[pyo3(signature = (service, claims, count, *, now))]
    fn _time_core_signing(
        &self,
        py: Python<'_>,
        service: &Bound<'_, PyAny>,
        claims: &Bound<'_, PyClaims>,
        count: u32,
        now: i64,
    ) -> PyResult<f64> {
        let service = service_from(service)?;
        let claims = &claims.get().inner;
        let signer = &self.inner;
        py.detach(|| {
            let start = std::time::Instant::now();
            for _ in 0..count {
                std::hint::black_box(signer.sign_token_at(service, claims, now))?;
            }
            Ok(start.elapsed().as_secs_f64())
        })
        .map_err(to_py_err)
    }

    fn __repr__(&self) -> String {
        format!("Signer(key_id='{}')", self.inner.key_id())
    }
}

/// A clock that moves only when told to, for tests of `TokenProvider`.
#[pyclass(frozen, module = "devtoken", name = "ManualClock")]
struct PyManualClock {
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
fn clock_or_system(clock: Option<&Bound<'_, PyManualClock>>) -> Arc<dyn Clock> {
    match clock {
        Some(clock) => clock.get().inner.clone(),
        None => Arc::new(SystemClock),
    }
}

/// A cached, self-renewing token following the service's reuse rule.
#[pyclass(frozen, module = "devtoken", name = "TokenProvider")]
struct PyTokenProvider {
    inner: devtoken::TokenProvider,
}

#[pymethods]
impl PyTokenProvider {
    #[new]
    #[pyo3(signature = (signer, service, claims, *, margin_fraction = 0.25, min_margin = 60, renew_after = None, reuse_per_request_tokens = false, clock = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        signer: &Bound<'_, PySigner>,
        service: &Bound<'_, PyAny>,
        claims: &Bound<'_, PyClaims>,
        margin_fraction: f64,
        min_margin: u64,
        renew_after: Option<u64>,
        reuse_per_request_tokens: bool,
        clock: Option<&Bound<'_, PyManualClock>>,
    ) -> PyResult<Self> {
        let options = devtoken::ProviderOptions {
            margin_fraction,
            min_margin_secs: min_margin,
            renew_after_secs: renew_after,
            reuse_per_request_tokens,
        };
        let clock = clock_or_system(clock);
        let provider = devtoken::TokenProvider::with_clock(
            Arc::clone(&signer.get().inner),
            service_from(service)?,
            claims.get().inner.clone(),
            options,
            clock,
        )
        .map_err(to_py_err)?;
        Ok(PyTokenProvider { inner: provider })
    }

    /// The token to send now.
    fn token(&self, py: Python<'_>) -> PyResult<String> {
        let provider = &self.inner;
        py.detach(|| provider.token())
            .map(|t| t.to_string())
            .map_err(to_py_err)
    }

    /// Signs a new token now (the APNs 20-minute floor still holds).
    fn force_refresh(&self, py: Python<'_>) -> PyResult<String> {
        let provider = &self.inner;
        py.detach(|| provider.force_refresh())
            .map(|t| t.to_string())
            .map_err(to_py_err)
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

    #[getter]
    fn signature_count(&self) -> u64 {
        self.inner.signature_count()
    }

    fn __repr__(&self) -> String {
        format!(
            "TokenProvider(service='{}')",
            self.inner.service().cli_name()
        )
    }
}

/// HTTP options from Python keyword arguments.
fn http_options(
    base_url: Option<String>,
    connect_timeout: f64,
    read_timeout: f64,
    user_agent: Option<String>,
    extra_ca_pem: Option<String>,
    max_retries: u32,
) -> PyResult<devtoken::HttpOptions> {
    let seconds = |value: f64, name: &str| {
        std::time::Duration::try_from_secs_f64(value).map_err(|_| {
            PyValueError::new_err(format!("{name} must be a non-negative number of seconds"))
        })
    };
    let defaults = devtoken::HttpOptions::default();
    Ok(devtoken::HttpOptions {
        base_url,
        connect_timeout: seconds(connect_timeout, "connect_timeout")?,
        read_timeout: seconds(read_timeout, "read_timeout")?,
        user_agent: user_agent.unwrap_or(defaults.user_agent),
        extra_ca_pem,
        max_retries,
        retry_backoff: defaults.retry_backoff,
    })
}

/// The Maps Server API access token from `GET /v1/token`, cached and renewed.
#[pyclass(frozen, module = "devtoken", name = "MapsTokenProvider")]
struct PyMapsTokenProvider {
    inner: devtoken::MapsTokenProvider,
}

#[pymethods]
impl PyMapsTokenProvider {
    #[new]
    #[pyo3(signature = (signer, claims, base_url = None, *, margin_fraction = 0.1, min_margin = 60, connect_timeout = 5.0, read_timeout = 10.0, user_agent = None, extra_ca_pem = None, max_retries = 2, clock = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        signer: &Bound<'_, PySigner>,
        claims: &Bound<'_, PyClaims>,
        base_url: Option<String>,
        margin_fraction: f64,
        min_margin: u64,
        connect_timeout: f64,
        read_timeout: f64,
        user_agent: Option<String>,
        extra_ca_pem: Option<String>,
        max_retries: u32,
        clock: Option<&Bound<'_, PyManualClock>>,
    ) -> PyResult<Self> {
        let options = devtoken::MapsOptions {
            margin_fraction,
            min_margin_secs: min_margin,
            http: http_options(
                base_url,
                connect_timeout,
                read_timeout,
                user_agent,
                extra_ca_pem,
                max_retries,
            )?,
        };
        let clock = clock_or_system(clock);
        let inner = devtoken::MapsTokenProvider::with_clock(
            Arc::clone(&signer.get().inner),
            claims.get().inner.clone(),
            options,
            clock,
        )
        .map_err(to_py_err)?;
        Ok(PyMapsTokenProvider { inner })
    }

    /// The access token to send to Maps Server API calls now.
    fn access_token(&self, py: Python<'_>) -> PyResult<String> {
        let inner = &self.inner;
        py.detach(|| inner.access_token())
            .map(|t| t.to_string())
            .map_err(to_py_err)
    }

    /// When the current access token expires (UNIX seconds), if one has been obtained.
    fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at()
    }

    /// The signed Maps token that is exchanged.
    fn maps_token(&self, py: Python<'_>) -> PyResult<String> {
        let inner = &self.inner;
        py.detach(|| inner.maps_token())
            .map(|t| t.to_string())
            .map_err(to_py_err)
    }

    #[getter]
    fn exchange_count(&self) -> u64 {
        self.inner.exchange_count()
    }
}

/// What a service's test endpoint said of a token.
#[pyclass(frozen, module = "devtoken", name = "ProbeVerdict")]
struct PyProbeVerdict {
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
#[pyo3(signature = (service, token, base_url = None, *, connect_timeout = 5.0, read_timeout = 10.0, extra_ca_pem = None, max_retries = 2))]
#[allow(clippy::too_many_arguments)]
fn probe(
    py: Python<'_>,
    service: &Bound<'_, PyAny>,
    token: String,
    base_url: Option<String>,
    connect_timeout: f64,
    read_timeout: f64,
    extra_ca_pem: Option<String>,
    max_retries: u32,
) -> PyResult<PyProbeVerdict> {
    let service = service_from(service)?;
    let options = http_options(
        base_url,
        connect_timeout,
        read_timeout,
        None,
        extra_ca_pem,
        max_retries,
    )?;
    let verdict = py
        .detach(|| devtoken::probe(service, &token, options))
        .map_err(to_py_err)?;
    Ok(PyProbeVerdict {
        accepted: verdict.accepted,
        status: verdict.status,
        url: verdict.url,
        message: verdict.message,
        findings: verdict.findings,
    })
}

/// One observation of `inspect_token`.
#[pyclass(frozen, eq, hash, module = "devtoken", name = "Finding")]
#[derive(PartialEq, Eq, Hash)]
struct PyFinding {
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

fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => map_to_dict(py, map)?.into_any(),
    })
}

fn map_to_dict<'py>(
    py: Python<'py>,
    map: &serde_json::Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(key, json_to_py(py, value)?)?;
    }
    Ok(dict)
}

fn decoded_to_dict<'py>(
    py: Python<'py>,
    decoded: &devtoken::DecodedToken,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("header", map_to_dict(py, &decoded.header)?)?;
    dict.set_item("claims", map_to_dict(py, &decoded.claims)?)?;
    Ok(dict)
}

/// Checks the signature, alg and structure; returns `{"header": {...}, "claims": {...}}`.
#[pyfunction]
fn verify_token<'py>(
    py: Python<'py>,
    token: &str,
    public_key_pem: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    let key = pem_text(public_key_pem)?.public_key().map_err(to_py_err)?;
    let decoded = devtoken::verify_token(token, &key).map_err(to_py_err)?;
    decoded_to_dict(py, &decoded)
}

/// Decodes header and claims without checking the signature.
#[pyfunction]
fn decode_token<'py>(py: Python<'py>, token: &str) -> PyResult<Bound<'py, PyDict>> {
    let decoded = devtoken::decode_token(token).map_err(to_py_err)?;
    decoded_to_dict(py, &decoded)
}

/// Lists every reason Apple would reject the token.
#[pyfunction]
#[pyo3(signature = (token, service = None, public_key_pem = None, *, now = None))]
fn inspect_token(
    token: &str,
    service: Option<&Bound<'_, PyAny>>,
    public_key_pem: Option<&Bound<'_, PyAny>>,
    now: Option<i64>,
) -> PyResult<Vec<PyFinding>> {
    let service = service.map(service_from).transpose()?;
    let key = match public_key_pem {
        Some(pem) => Some(pem_text(pem)?.public_key().map_err(to_py_err)?),
        None => None,
    };
    let now = now.unwrap_or_else(devtoken::unix_now);
    Ok(
        devtoken::inspect_token_at(token, service, key.as_ref(), now)
            .into_iter()
            .map(|f| PyFinding {
                level: f.level.as_str(),
                code: f.code,
                message: f.message,
            })
            .collect(),
    )
}

/// A fresh P-256 private key as PKCS#8 PEM, for local testing.
#[pyfunction]
fn generate_private_key_pem() -> PyResult<String> {
    let key = devtoken::PrivateKey::generate().map_err(to_py_err)?;
    Ok(key.to_pkcs8_pem().to_string())
}

/// The names of every service the core knows, in rule-table order.
#[pyfunction]
fn service_names() -> Vec<&'static str> {
    Service::ALL.iter().map(|s| s.cli_name()).collect()
}

#[pymodule]
fn _devtoken(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<PyClaims>()?;
    m.add_class::<PySigner>()?;
    m.add_class::<PyFinding>()?;
    m.add_class::<PyManualClock>()?;
    m.add_class::<PyTokenProvider>()?;
    m.add("InvalidOptionError", py.get_type::<InvalidOptionError>())?;
    m.add("RefreshTooSoonError", py.get_type::<RefreshTooSoonError>())?;
    m.add_class::<PyMapsTokenProvider>()?;
    m.add_class::<PyProbeVerdict>()?;
    m.add_function(wrap_pyfunction!(probe, m)?)?;
    m.add("AppleRejectedError", py.get_type::<AppleRejectedError>())?;
    m.add("QuotaExceededError", py.get_type::<QuotaExceededError>())?;
    m.add("NetworkError", py.get_type::<NetworkError>())?;
    m.add(
        "MalformedResponseError",
        py.get_type::<MalformedResponseError>(),
    )?;
    m.add("TokenError", py.get_type::<TokenError>())?;
    m.add("InvalidKeyError", py.get_type::<InvalidKeyError>())?;
    m.add("InvalidClaimsError", py.get_type::<InvalidClaimsError>())?;
    m.add("MalformedTokenError", py.get_type::<MalformedTokenError>())?;
    m.add("SignatureError", py.get_type::<SignatureError>())?;
    m.add_function(wrap_pyfunction!(verify_token, m)?)?;
    m.add_function(wrap_pyfunction!(decode_token, m)?)?;
    m.add_function(wrap_pyfunction!(inspect_token, m)?)?;
    m.add_function(wrap_pyfunction!(generate_private_key_pem, m)?)?;
    m.add_function(wrap_pyfunction!(service_names, m)?)?;
    Ok(())
}
