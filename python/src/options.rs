//! Options from keyword arguments, and the core's defaults and effective options as dicts.
//!
//! No default is restated here: an option the caller leaves out (`None`) keeps the value of the
//! core's default struct, and every given number goes through the core's converters and range
//! checks (`devtoken::options`), so a bad value raises `InvalidOptionError` with the core's field
//! and rule.

use std::time::Duration;

use devtoken::{options, HttpOptions, MapsOptions, ProviderOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// HTTP options: the core's defaults, replaced by what the caller gave (timeouts in seconds).
pub(crate) fn http_options(
    base_url: Option<String>,
    connect_timeout: Option<f64>,
    read_timeout: Option<f64>,
    user_agent: Option<String>,
    extra_ca_pem: Option<String>,
    max_retries: Option<i64>,
    deadline: Option<f64>,
) -> devtoken::Result<HttpOptions> {
    let mut http = HttpOptions {
        base_url,
        extra_ca_pem,
        ..HttpOptions::default()
    };
    if let Some(secs) = connect_timeout {
        http.connect_timeout = options::secs_f64("connect_timeout", secs)?;
    }
    if let Some(secs) = read_timeout {
        http.read_timeout = options::secs_f64("read_timeout", secs)?;
    }
    if let Some(agent) = user_agent {
        http.user_agent = agent;
    }
    if let Some(retries) = max_retries {
        http.max_retries = options::count("max_retries", retries)?;
    }
    if let Some(secs) = deadline {
        http.deadline = options::secs_f64("deadline", secs)?;
    }
    Ok(http)
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

/// The options a `TokenProvider` was built with, under the core's names.
pub(crate) fn provider_options_dict<'py>(
    py: Python<'py>,
    provider: &ProviderOptions,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("margin_fraction", provider.margin_fraction)?;
    dict.set_item("min_margin_secs", provider.min_margin_secs)?;
    dict.set_item("renew_after_secs", provider.renew_after_secs)?;
    dict.set_item(
        "reuse_per_request_tokens",
        provider.reuse_per_request_tokens,
    )?;
    dict.set_item("aligned", provider.aligned)?;
    Ok(dict)
}

/// The options a `MapsTokenProvider` was built with, under the core's names (timeouts in
/// seconds, the unit of the keyword arguments).
pub(crate) fn maps_options_dict<'py>(
    py: Python<'py>,
    maps: &MapsOptions,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("margin_fraction", maps.margin_fraction)?;
    dict.set_item("min_margin_secs", maps.min_margin_secs)?;
    dict.set_item("base_url", maps.http.base_url.as_deref())?;
    dict.set_item("connect_timeout_secs", secs(maps.http.connect_timeout))?;
    dict.set_item("read_timeout_secs", secs(maps.http.read_timeout))?;
    dict.set_item("user_agent", &maps.http.user_agent)?;
    dict.set_item("max_retries", maps.http.max_retries)?;
    dict.set_item("deadline_secs", secs(maps.http.deadline))?;
    Ok(dict)
}

/// The core's defaults (`devtoken::core_defaults()`), durations in seconds: what an option left
/// out (or `None`) takes.
#[pyfunction]
pub(crate) fn core_defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let defaults = devtoken::core_defaults();
    let dict = PyDict::new(py);
    dict.set_item("clock_skew_secs", defaults.clock_skew_secs)?;
    dict.set_item(
        "provider_margin_fraction",
        defaults.provider_margin_fraction,
    )?;
    dict.set_item(
        "provider_min_margin_secs",
        defaults.provider_min_margin_secs,
    )?;
    dict.set_item(
        "provider_reuse_per_request_tokens",
        defaults.provider_reuse_per_request_tokens,
    )?;
    dict.set_item("apns_renew_after_secs", defaults.apns_renew_after_secs)?;
    dict.set_item(
        "device_check_renew_after_secs",
        defaults.device_check_renew_after_secs,
    )?;
    dict.set_item("maps_margin_fraction", defaults.maps_margin_fraction)?;
    dict.set_item("maps_min_margin_secs", defaults.maps_min_margin_secs)?;
    dict.set_item("connect_timeout_secs", secs(defaults.connect_timeout))?;
    dict.set_item("read_timeout_secs", secs(defaults.read_timeout))?;
    dict.set_item("user_agent", defaults.user_agent)?;
    dict.set_item("max_retries", defaults.max_retries)?;
    dict.set_item("deadline_secs", secs(defaults.deadline))?;
    Ok(dict)
}
