//! A small blocking HTTPS layer (feature `http`) for the Maps token exchange and [`probe`].
//!
//! Built on `ureq` with rustls; certificates are checked against Mozilla's root store, to which a
//! caller can add a CA (corporate proxies). 5xx answers and connection failures are retried with
//! backoff (at most [`HttpOptions::max_retries`] times, each wait at most [`MAX_RETRY_BACKOFF`],
//! all within [`HttpOptions::deadline`]); 4xx answers are never retried. Plain `http://` is
//! accepted only for loopback hosts (local test servers): the bearer token must not go out in
//! clear. Apple's texts are shortened before they reach a message.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::base::text::shorten;
use crate::contract::error::{Error, OptionRule, Result};
use crate::contract::options::{
    check_range, DEFAULT_CALL_DEADLINE, MAX_CALL_DEADLINE, MAX_RETRIES, MAX_RETRY_BACKOFF,
    MAX_TIMEOUT,
};
use crate::rules::findings::{Finding, Level};
use crate::rules::service::Service;
use crate::token::inspect::inspect_token;

/// How requests are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Replaces Apple's base URL (scheme, host and port), e.g. a local test server.
    pub base_url: Option<String>,
    /// Time allowed to connect (default 5 s).
    pub connect_timeout: Duration,
    /// Time allowed for the answer once connected (default 10 s).
    pub read_timeout: Duration,
    /// The `User-Agent` header (default `devtoken/<version>`).
    pub user_agent: String,
    /// Extra CA certificates (PEM) trusted besides Mozilla's root store.
    pub extra_ca_pem: Option<String>,
    /// Retries after a 5xx answer or a connection failure (default 2).
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one, up to
    /// [`MAX_RETRY_BACKOFF`] (default 250 ms). A 5xx answer's `Retry-After` lengthens it, up to
    /// the same ceiling.
    pub retry_backoff: Duration,
    /// The longest one call may take, every attempt and wait included (default 60 s, at most
    /// [`MAX_CALL_DEADLINE`]).
    pub deadline: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            base_url: None,
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            user_agent: concat!("devtoken/", env!("CARGO_PKG_VERSION")).to_string(),
            extra_ca_pem: None,
            max_retries: 2,
            retry_backoff: Duration::from_millis(250),
            deadline: DEFAULT_CALL_DEADLINE,
        }
    }
}

/// The longest body read from an answer (Apple's token answers are well under 1 KiB).
const MAX_BODY_BYTES: u64 = 1 << 20;
/// The most characters of Apple's `message` (or a raw body) kept in an error.
pub(crate) const MAX_APPLE_TEXT_CHARS: usize = 300;
/// The most `details` entries kept in an error.
const MAX_APPLE_DETAILS: usize = 10;

/// Checks a caller's base URL: `https://` to any host, `http://` only to a loopback host.
fn check_base_url(base_url: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::option(
            "base_url",
            OptionRule::Format,
            why.to_string(),
        ))
    };
    let Ok(uri) = base_url.parse::<ureq::http::Uri>() else {
        return bad("not a URL (expected https://host[:port])");
    };
    let Some(host) = uri.host() else {
        return bad("no host (expected https://host[:port])");
    };
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(())
            } else {
                bad("http:// sends the bearer token in clear; use https:// (http:// is accepted only for loopback \
                    test servers: localhost, 127.0.0.0/8, ::1)")
            }
        }
        _ => bad("the scheme must be https:// (or http:// for a loopback test server)"),
    }
}

/// An HTTP answer: status, body, the `Retry-After` header and the clock offset its `Date`
/// header shows.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
    pub retry_after_secs: Option<u64>,
    pub clock_offset: Option<crate::base::clock::ClockOffset>,
}

/// A `Retry-After` header as seconds to wait at `now`: delay-seconds, or an HTTP date (its
/// distance from now, 0 when past); `None` when it is neither.
fn retry_after_secs(value: &str, now: i64) -> Option<u64> {
    let value = value.trim();
    value.parse().ok().or_else(|| {
        crate::base::clock::parse_http_date(value)
            .map(|at| u64::try_from(at.saturating_sub(now)).unwrap_or(0))
    })
}

/// What one call sends.
#[derive(Clone, Copy)]
enum Request<'a> {
    /// A plain `GET`.
    Get,
    /// `GET` with `Authorization: Bearer <token>`.
    GetWithBearer(&'a str),
    /// `POST` of a form.
    PostForm(&'a [(&'a str, &'a str)]),
}

/// A configured HTTP client.
#[derive(Debug)]
pub(crate) struct HttpClient {
    agent: ureq::Agent,
    options: HttpOptions,
}

impl HttpClient {
    /// Checks the options (timeouts 1 ms to [`MAX_TIMEOUT`], at most [`MAX_RETRIES`] retries)
    /// and builds the client.
    pub fn new(options: HttpOptions) -> Result<Self> {
        for (option, timeout) in [
            ("connect_timeout", options.connect_timeout),
            ("read_timeout", options.read_timeout),
        ] {
            check_range(
                option,
                timeout.as_millis(),
                1,
                MAX_TIMEOUT.as_millis(),
                " ms",
            )?;
        }
        check_range("max_retries", options.max_retries, 0, MAX_RETRIES, "")?;
        check_range(
            "retry_backoff",
            options.retry_backoff.as_millis(),
            0,
            MAX_RETRY_BACKOFF.as_millis(),
            " ms",
        )?;
        check_range(
            "deadline",
            options.deadline.as_millis(),
            1,
            MAX_CALL_DEADLINE.as_millis(),
            " ms",
        )?;
        if let Some(base_url) = &options.base_url {
            check_base_url(base_url)?;
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = &options.extra_ca_pem {
            let mut roots: Vec<ureq::tls::Certificate<'static>> =
                webpki_root_certs::TLS_SERVER_ROOT_CERTS
                    .iter()
                    .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned())
                    .collect();
            let before = roots.len();
            for item in ureq::tls::parse_pem(pem.as_bytes()) {
                match item {
                    Ok(ureq::tls::PemItem::Certificate(cert)) => roots.push(cert),
                    Ok(_) => {}
                    Err(e) => {
                        return Err(Error::option(
                            "extra_ca_pem",
                            OptionRule::Format,
                            format!("not a PEM certificate ({e})"),
                        ))
                    }
                }
            }
            if roots.len() == before {
                return Err(Error::option(
                    "extra_ca_pem",
                    OptionRule::Format,
                    "no CERTIFICATE block found",
                ));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&roots));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(options.connect_timeout))
            .timeout_recv_response(Some(options.read_timeout))
            .timeout_recv_body(Some(options.read_timeout))
            .user_agent(options.user_agent.as_str())
            .http_status_as_error(false)
            .max_redirects(0)
            .tls_config(tls.build())
            .build()
            .new_agent();
        Ok(HttpClient { agent, options })
    }

    /// `base` (Apple's) or the configured base URL, joined with `path`.
    pub fn url(&self, apple_base: &str, path: &str) -> String {
        let base = self.options.base_url.as_deref().unwrap_or(apple_base);
        format!("{}{}", base.trim_end_matches('/'), path)
    }

    /// `GET url` with a bearer token, retrying 5xx answers and connection failures
    /// (`max_retries` times, or the options' number when `None`), all within the deadline.
    pub fn get_with_bearer(
        &self,
        url: &str,
        token: &str,
        max_retries: Option<u32>,
    ) -> Result<Answer> {
        self.call(url, Request::GetWithBearer(token), max_retries)
    }

    /// `POST url` with a form body (`application/x-www-form-urlencoded`), retried as
    /// [`get_with_bearer`](Self::get_with_bearer).
    pub fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        max_retries: Option<u32>,
    ) -> Result<Answer> {
        self.call(url, Request::PostForm(form), max_retries)
    }

    fn call(&self, url: &str, request: Request<'_>, max_retries: Option<u32>) -> Result<Answer> {
        let max_retries = max_retries.unwrap_or(self.options.max_retries);
        let deadline = Instant::now() + self.options.deadline;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            let sent_millis = crate::base::clock::unix_now_millis();
            let sent = match request {
                Request::Get => self
                    .agent
                    .get(url)
                    .config()
                    .timeout_global(Some(left))
                    .build()
                    .call(),
                Request::GetWithBearer(token) => self
                    .agent
                    .get(url)
                    .header("Authorization", &format!("Bearer {token}"))
                    .config()
                    .timeout_global(Some(left))
                    .build()
                    .call(),
                Request::PostForm(form) => self
                    .agent
                    .post(url)
                    .header("Accept", "application/json")
                    .config()
                    .timeout_global(Some(left))
                    .build()
                    .send_form(form.iter().copied()),
            };
            let (failure, retry_after_secs) = match sent {
                Ok(mut response) => {
                    let received_millis = crate::base::clock::unix_now_millis();
                    let status = response.status().as_u16();
                    let clock_offset = response
                        .headers()
                        .get("date")
                        .and_then(|v| v.to_str().ok())
                        .and_then(crate::base::clock::parse_http_date)
                        .map(|date| {
                            crate::base::clock::ClockOffset::from_date(
                                date,
                                sent_millis,
                                received_millis,
                            )
                        });
                    let retry_after_secs = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| retry_after_secs(v, crate::base::clock::unix_now()));
                    match response
                        .body_mut()
                        .with_config()
                        .limit(MAX_BODY_BYTES)
                        .read_to_string()
                    {
                        Ok(body) if status < 500 => {
                            return Ok(Answer {
                                status,
                                body,
                                retry_after_secs,
                                clock_offset,
                            })
                        }
                        Ok(body) => (
                            format!("HTTP {status}: {}", error_message(&body).0),
                            retry_after_secs,
                        ),
                        Err(error) => (
                            format!("HTTP {status}, but reading the body failed: {error}"),
                            None,
                        ),
                    }
                }
                Err(error) => (error.to_string(), None),
            };
            let wait = self
                .options
                .retry_backoff
                .saturating_mul(2u32.saturating_pow(attempts - 1))
                .max(Duration::from_secs(retry_after_secs.unwrap_or(0)))
                .min(MAX_RETRY_BACKOFF);
            let out_of_time = Instant::now() + wait >= deadline;
            if attempts > max_retries || out_of_time {
                let message = if out_of_time && attempts <= max_retries {
                    format!(
                        "{failure} (no time left for another attempt within the {} ms deadline)",
                        self.options.deadline.as_millis()
                    )
                } else {
                    failure
                };
                return Err(Error::Network {
                    url: url.to_string(),
                    attempts,
                    message,
                });
            }
            std::thread::sleep(wait);
        }
    }
}

/// Apple's `ErrorResponse` (`{"error": {"message", "details"}}`, or the same members at the top
/// level) as message and details; an OAuth error (`{"error": "invalid_client",
/// "error_description": ...}`) as `error: description`; any other body is kept raw (shortened).
pub(crate) fn error_message(body: &str) -> (String, Vec<String>) {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    if let Some(Value::String(code)) = parsed.as_ref().and_then(|v| v.get("error")) {
        let message = match parsed
            .as_ref()
            .and_then(|v| v.get("error_description"))
            .and_then(Value::as_str)
        {
            Some(description) => format!("{code}: {description}"),
            None => code.clone(),
        };
        return (shorten(&message, MAX_APPLE_TEXT_CHARS), Vec::new());
    }
    let object = parsed.as_ref().map(|v| v.get("error").unwrap_or(v));
    let message = object
        .and_then(|o| o.get("message"))
        .and_then(Value::as_str);
    let details = object
        .and_then(|o| o.get("details"))
        .map(|d| match d {
            Value::Array(items) => items
                .iter()
                .take(MAX_APPLE_DETAILS)
                .map(|i| match i.as_str() {
                    Some(text) => shorten(text, MAX_APPLE_TEXT_CHARS),
                    None => shorten(&i.to_string(), MAX_APPLE_TEXT_CHARS),
                })
                .collect(),
            Value::String(one) => vec![shorten(one, MAX_APPLE_TEXT_CHARS)],
            other => vec![shorten(&other.to_string(), MAX_APPLE_TEXT_CHARS)],
        })
        .unwrap_or_default();
    match message {
        Some(message) => (shorten(message, MAX_APPLE_TEXT_CHARS), details),
        None => {
            let raw = shorten(body, MAX_APPLE_TEXT_CHARS);
            (
                if raw.trim().is_empty() {
                    "(empty body)".to_string()
                } else {
                    raw
                },
                details,
            )
        }
    }
}

/// The error for a 401/403 answer, with the findings of the token that was sent.
pub(crate) fn rejection(url: &str, answer: &Answer, token: &str, service: Service) -> Error {
    let (message, details) = error_message(&answer.body);
    Error::AppleRejected {
        status: answer.status,
        url: url.to_string(),
        message,
        details,
        findings: inspect_token(token, Some(service), None),
    }
}

/// The error for a 429 answer.
pub(crate) fn quota(url: &str, answer: &Answer) -> Error {
    Error::QuotaExceeded {
        url: url.to_string(),
        message: error_message(&answer.body).0,
        retry_after_secs: answer.retry_after_secs,
    }
}

/// Where [`measure_clock_offset`] asks for Apple's time by default: Sign in with Apple's public
/// keys, a small public document every Apple answer of which carries a `Date`.
pub const CLOCK_REFERENCE: (&str, &str) = ("https://appleid.apple.com", "/auth/keys");

/// Measures the local clock against Apple's: one `GET` of [`CLOCK_REFERENCE`] (or
/// `options.base_url` with its path), read from the answer's `Date` header whatever its status,
/// with the bound the round trip allows. [`Error::MalformedResponse`] when the answer has no
/// `Date`.
pub fn measure_clock_offset(options: HttpOptions) -> Result<crate::base::clock::ClockOffset> {
    let client = HttpClient::new(options)?;
    let url = client.url(CLOCK_REFERENCE.0, CLOCK_REFERENCE.1);
    let answer = client.call(&url, Request::Get, None)?;
    answer.clock_offset.ok_or_else(|| Error::MalformedResponse {
        url,
        status: answer.status,
        expected: "an answer with a Date header",
        message: "there is no Date header (or it is not an HTTP date)".to_string(),
    })
}

/// What a service's test endpoint said of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeVerdict {
    /// True when the endpoint answered 2xx.
    pub accepted: bool,
    /// The HTTP status.
    pub status: u16,
    /// The URL that was called.
    pub url: String,
    /// Apple's message on refusal (or a short note on acceptance).
    pub message: String,
    /// On refusal, what `inspect_token` finds wrong with the token.
    pub findings: Vec<Finding>,
}

/// Calls `service`'s documented test endpoint with `token` (Apple Music and Apps and Books
/// `GET /v1/test`, Maps `GET /v1/token`) and reports whether it was accepted.
///
/// 401/403 give a verdict with `accepted: false` and the token's findings; 429, 5xx after the
/// retries, network failures and other statuses are errors.
pub fn probe(service: Service, token: &str, options: HttpOptions) -> Result<ProbeVerdict> {
    let Some(endpoint) = service.rules().test_endpoint else {
        let with: Vec<&str> = Service::ALL
            .iter()
            .filter(|s| s.rules().test_endpoint.is_some())
            .map(|s| s.cli_name())
            .collect();
        return Err(Error::option(
            "service",
            OptionRule::NotApplicable,
            format!(
                "Apple documents no test endpoint for {service}; probe works for {}",
                with.join(", ")
            ),
        ));
    };
    let client = HttpClient::new(options)?;
    let url = client.url(endpoint.base_url, endpoint.path);
    let answer = client.get_with_bearer(&url, token, None)?;
    match answer.status {
        200..=299 => Ok(ProbeVerdict {
            accepted: true,
            status: answer.status,
            url,
            message: "the token was accepted".to_string(),
            findings: Vec::new(),
        }),
        401 | 403 => {
            let (message, details) = error_message(&answer.body);
            let message = if details.is_empty() {
                message
            } else {
                format!("{message} ({})", details.join("; "))
            };
            Ok(ProbeVerdict {
                accepted: false,
                status: answer.status,
                url,
                message,
                findings: inspect_token(token, Some(service), None)
                    .into_iter()
                    .filter(|f| f.level != Level::Info || f.code != "signature_not_checked")
                    .collect(),
            })
        }
        429 => Err(quota(&url, &answer)),
        status => Err(Error::MalformedResponse {
            url,
            status,
            expected: "a documented answer (200, 401, 403 or 429)",
            message: error_message(&answer.body).0,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::retry_after_secs;

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        let now = 1_700_000_000; // Tue, 14 Nov 2023 22:13:20 GMT
        assert_eq!(retry_after_secs(" 120 ", now), Some(120));
        assert_eq!(
            retry_after_secs("Tue, 14 Nov 2023 22:15:20 GMT", now),
            Some(120)
        );
        assert_eq!(
            retry_after_secs("Tue, 14 Nov 2023 22:00:00 GMT", now),
            Some(0)
        );
        assert_eq!(retry_after_secs("-5", now), None);
        assert_eq!(retry_after_secs("soon", now), None);
    }
}
