//! Python values in and out: services, keys given as text or bytes, times and durations of
//! claims, lists of strings, and decoded JSON.

use devtoken::{DurationInput, Service};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyList, PyString};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::errors::DevTokenResult;

/// Accepts a `Service` member (a `str` enum) or its name as a string.
pub(crate) fn service_from(value: &Bound<'_, PyAny>) -> PyResult<Service> {
    let name = value.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err("service must be a devtoken.Service member or its name")
    })?;
    name.to_cow()?
        .parse()
        .map_err(|e: devtoken::service::UnknownService| PyValueError::new_err(e.to_string()))
}

/// A PEM given as `str` or `bytes`.
pub(crate) fn pem_text(value: &Bound<'_, PyAny>) -> PyResult<PemInput> {
    if let Ok(text) = value.cast::<PyString>() {
        Ok(PemInput::Text(Zeroizing::new(text.to_cow()?.to_string())))
    } else if let Ok(bytes) = value.cast::<PyBytes>() {
        Ok(PemInput::Bytes(Zeroizing::new(bytes.as_bytes().to_vec())))
    } else {
        Err(PyTypeError::new_err("the key must be str or bytes"))
    }
}

/// This binding's copy of the key text, wiped on drop.
pub(crate) enum PemInput {
    Text(Zeroizing<String>),
    Bytes(Zeroizing<Vec<u8>>),
}

impl PemInput {
    pub(crate) fn private_key(&self) -> devtoken::Result<devtoken::PrivateKey> {
        match self {
            PemInput::Text(text) => devtoken::PrivateKey::from_pem(text),
            PemInput::Bytes(bytes) => devtoken::PrivateKey::from_bytes(bytes),
        }
    }

    pub(crate) fn public_key(&self) -> devtoken::Result<devtoken::PublicKey> {
        match self {
            PemInput::Text(text) => devtoken::PublicKey::from_pem(text),
            PemInput::Bytes(bytes) => devtoken::PublicKey::from_bytes(bytes),
        }
    }
}

/// An `int` (or an object with `__index__`) as `i64`; `None` for anything else. An int outside
/// the `i64` range raises Python's `OverflowError`, as every other int argument does, instead of
/// falling through to the datetime and timedelta branches.
fn whole_number(value: &Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if value.is_instance_of::<PyInt>() {
        return value.extract::<i64>().map(Some);
    }
    Ok(value.extract::<i64>().ok())
}

/// UNIX seconds from an `int` or a timezone-aware `datetime` (sub-second parts are dropped).
pub(crate) fn unix_seconds(value: &Bound<'_, PyAny>, name: &str) -> PyResult<i64> {
    if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be int UNIX seconds or a datetime, not bool"
        )));
    }
    if let Some(secs) = whole_number(value)? {
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

/// Seconds from an `int` or a `timedelta`. A `timedelta` goes to the core as seconds and
/// nanoseconds, and the core decides (a fraction of a second is its `whole_seconds` error, the
/// same as from Swift's `Duration`).
pub(crate) fn duration_seconds(
    value: &Bound<'_, PyAny>,
    input: DurationInput,
    name: &str,
) -> DevTokenResult<i64> {
    if value.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err(format!(
            "{name} must be int seconds or a timedelta, not bool"
        ))
        .into());
    }
    if let Some(secs) = whole_number(value)? {
        return Ok(secs);
    }
    if value.hasattr("days")? && value.hasattr("microseconds")? && value.hasattr("total_seconds")? {
        // A timedelta is normalized: days (any sign), 0 <= seconds < 86400, 0 <= microseconds
        // < 10**6; days * 86400 fits in i64 for every timedelta Python allows.
        let days: i64 = value.getattr("days")?.extract()?;
        let seconds: i64 = value.getattr("seconds")?.extract()?;
        let micros: i64 = value.getattr("microseconds")?.extract()?;
        let whole = days.saturating_mul(86_400).saturating_add(seconds);
        return Ok(input.whole_seconds(whole, micros.saturating_mul(1_000))?);
    }
    Err(PyTypeError::new_err(format!(
        "{name} must be int seconds or a timedelta, not {}",
        value.get_type().name()?
    ))
    .into())
}

/// [`duration_seconds`] of an optional argument.
pub(crate) fn optional_seconds(
    value: Option<&Bound<'_, PyAny>>,
    input: DurationInput,
    name: &str,
) -> DevTokenResult<Option<i64>> {
    value.map(|v| duration_seconds(v, input, name)).transpose()
}

/// A list of strings; a single `str` counts as a list of one.
pub(crate) fn string_list(value: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<Vec<String>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    if let Ok(one) = value.cast::<PyString>() {
        return Ok(vec![one.to_cow()?.to_string()]);
    }
    // The shape is checked first; a str that cannot be UTF-8 (a lone surrogate) then raises
    // `UnicodeEncodeError`, as a single str does, not a TypeError that says it is not a str.
    let items = value
        .extract::<Vec<Bound<'_, PyString>>>()
        .map_err(|_| PyTypeError::new_err(format!("{name} must be a str or a list of str")))?;
    items
        .iter()
        .map(|item| Ok(item.to_cow()?.into_owned()))
        .collect()
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

/// A JSON object as a `dict`.
pub(crate) fn map_to_dict<'py>(
    py: Python<'py>,
    map: &serde_json::Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in map {
        dict.set_item(key, json_to_py(py, value)?)?;
    }
    Ok(dict)
}

/// `{"header": {...}, "claims": {...}}`.
pub(crate) fn decoded_to_dict<'py>(
    py: Python<'py>,
    decoded: &devtoken::DecodedToken,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("header", map_to_dict(py, &decoded.header)?)?;
    dict.set_item("claims", map_to_dict(py, &decoded.claims)?)?;
    Ok(dict)
}

/// A measured clock offset as Python sees it: `(offset_millis, uncertainty_millis)`.
pub(crate) fn offset_pair(offset: Option<devtoken::clock::ClockOffset>) -> Option<(i64, i64)> {
    offset.map(|o| (o.offset_millis, o.uncertainty_millis))
}
