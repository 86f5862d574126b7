//! Network options and `probe`.

use std::time::Duration;

use devtoken_core as core;
use devtoken_core::options::{count, millis};
use devtoken_core::Service;

use crate::error::Result;
use crate::Finding;

/// How HTTP requests to Apple are made; a field left `null`/`nil` takes the core's default
/// (`coreDefaults()` reports them).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NetworkOptions {
    /// Replaces Apple's base URL (e.g. a local test server).
    #[uniffi(default = None)]
    pub base_url: Option<String>,
    /// Time allowed to connect, in milliseconds.
    #[uniffi(default = None)]
    pub connect_timeout_ms: Option<i64>,
    /// Time allowed for the answer, in milliseconds.
    #[uniffi(default = None)]
    pub read_timeout_ms: Option<i64>,
    /// The User-Agent header.
    #[uniffi(default = None)]
    pub user_agent: Option<String>,
    /// Extra CA certificates (PEM) trusted besides Mozilla's root store.
    #[uniffi(default = None)]
    pub extra_ca_pem: Option<String>,
    /// Retries after a 5xx answer or a connection failure.
    #[uniffi(default = None)]
    pub max_retries: Option<i64>,
    /// The overall deadline of one call, retries and waits included, in milliseconds.
    #[uniffi(default = None)]
    pub deadline_ms: Option<i64>,
}

/// The core's options: each given field replaces the core default.
pub(crate) fn http_options(options: Option<NetworkOptions>) -> Result<core::HttpOptions> {
    let mut http = core::HttpOptions::default();
    let Some(options) = options else {
        return Ok(http);
    };
    http.base_url = options.base_url;
    http.extra_ca_pem = options.extra_ca_pem;
    if let Some(ms) = options.connect_timeout_ms {
        http.connect_timeout = millis("connect_timeout", ms)?;
    }
    if let Some(ms) = options.read_timeout_ms {
        http.read_timeout = millis("read_timeout", ms)?;
    }
    if let Some(agent) = options.user_agent {
        http.user_agent = agent;
    }
    if let Some(retries) = options.max_retries {
        http.max_retries = count("max_retries", retries)?;
    }
    if let Some(ms) = options.deadline_ms {
        http.deadline = millis("deadline", ms)?;
    }
    Ok(http)
}

/// A duration in whole milliseconds, saturating.
pub(crate) fn millis_i64(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// What a service's test endpoint said of a token.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProbeVerdict {
    /// True when the endpoint answered 2xx.
    pub accepted: bool,
    /// The HTTP status.
    pub status: i32,
    /// The URL that was called.
    pub url: String,
    /// Apple's message on refusal.
    pub message: String,
    /// On refusal, what inspect_token finds wrong with the token.
    pub findings: Vec<Finding>,
}

/// Calls the service's documented test endpoint with `token` and reports the verdict.
#[uniffi::export(default(network = None))]
pub fn probe(
    service: Service,
    token: String,
    network: Option<NetworkOptions>,
) -> Result<ProbeVerdict> {
    let verdict = core::probe(service, &token, http_options(network)?)?;
    Ok(ProbeVerdict {
        accepted: verdict.accepted,
        status: i32::from(verdict.status),
        url: verdict.url,
        message: verdict.message,
        findings: verdict.findings.into_iter().map(Finding::from).collect(),
    })
}

/// Apple's clock against the local one, from an answer's `Date` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ClockOffset {
    /// Apple's time minus the local time, in milliseconds (negative: the local clock is ahead).
    pub offset_millis: i64,
    /// How far `offset_millis` may be off, either way, in milliseconds (from the round trip).
    pub uncertainty_millis: i64,
    /// When it was measured (local UNIX seconds).
    pub measured_at: i64,
}

impl From<core::clock::ClockOffset> for ClockOffset {
    fn from(offset: core::clock::ClockOffset) -> Self {
        ClockOffset {
            offset_millis: offset.offset_millis,
            uncertainty_millis: offset.uncertainty_millis,
            measured_at: offset.measured_at,
        }
    }
}

impl From<ClockOffset> for core::clock::ClockOffset {
    fn from(offset: ClockOffset) -> Self {
        core::clock::ClockOffset {
            offset_millis: offset.offset_millis,
            uncertainty_millis: offset.uncertainty_millis,
            measured_at: offset.measured_at,
        }
    }
}

/// Measures the local clock's offset from Apple's with one request (by default to Sign in with
/// Apple's public keys; `network.base_url` picks another host).
#[uniffi::export(default(network = None))]
pub fn measure_clock_offset(network: Option<NetworkOptions>) -> Result<ClockOffset> {
    Ok(core::measure_clock_offset(http_options(network)?)?.into())
}

/// How one of `doctor`'s checks came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CheckStatus {
    /// Nothing wrong.
    Ok,
    /// Works, but worth fixing.
    Warning,
    /// Apple would refuse, or the setup is unsafe.
    Error,
    /// Not run (offline, or nothing to check); the message says why.
    Skipped,
}

/// One item of `doctor`'s checklist.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DoctorCheck {
    /// `key_file`, `key_id`, `identifiers`, `clock`, `token` or `probe`.
    pub name: String,
    /// How it came out.
    pub status: CheckStatus,
    /// What was found (never key material or a token).
    pub message: String,
    /// For a warning or an error: what to do, in one line.
    pub fix: Option<String>,
}

/// The core's setup checklist (key file, key id, identifiers, clock, a token signed and
/// inspected locally, Apple's verdict where a test endpoint exists), for a service to run at
/// startup and log. `offline`: skip the clock and probe checks. Never fails as a whole.
#[uniffi::export(default(key_id = None, offline = false, network = None))]
pub fn doctor(
    key_path: String,
    service: Service,
    claims: devtoken_core::Claims,
    key_id: Option<String>,
    offline: bool,
    network: Option<NetworkOptions>,
) -> Result<Vec<DoctorCheck>> {
    let network = if offline {
        None
    } else {
        Some(http_options(network)?)
    };
    let input = core::doctor::DoctorInput {
        key_path: key_path.into(),
        key_id,
        service,
        claims,
        network,
    };
    Ok(core::doctor::doctor(&input)
        .into_iter()
        .map(|check| DoctorCheck {
            name: check.name.to_string(),
            status: match check.status {
                core::doctor::CheckStatus::Ok => CheckStatus::Ok,
                core::doctor::CheckStatus::Warning => CheckStatus::Warning,
                core::doctor::CheckStatus::Error => CheckStatus::Error,
                core::doctor::CheckStatus::Skipped => CheckStatus::Skipped,
            },
            message: check.message,
            fix: check.fix,
        })
        .collect())
}
