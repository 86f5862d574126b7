//! A small blocking HTTPS layer (feature `http`) for the Maps token exchange and [`probe`].
//!
//! Built on `ureq` with rustls; certificates are checked against Mozilla's root store, to which a
//! caller can add a CA (corporate proxies). 5xx answers and connection failures are retried with
//! backoff (at most [`HttpOptions::max_retries`] times); 4xx answers are never retried.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, OptionRule, Result};
use crate::inspect::{inspect_token, Finding, Level};
use crate::options::{check_range, MAX_RETRIES, MAX_TIMEOUT};
use crate::service::Service;

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
    /// Wait before the first retry; doubled for each further one (default 250 ms).
    pub retry_backoff: Duration,
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
        }
    }
}

/// An HTTP answer: status, body and the `Retry-After` header.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
    pub retry_after_secs: Option<u64>,
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

    /// `GET url` with a bearer token, retrying 5xx answers and connection failures.
    pub fn get_with_bearer(&self, url: &str, token: &str) -> Result<Answer> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let failure = match self
                .agent
                .get(url)
                .header("Authorization", &format!("Bearer {token}"))
                .call()
            {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    let retry_after_secs = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse().ok());
                    let body = response.body_mut().read_to_string().unwrap_or_default();
                    if status < 500 {
                        return Ok(Answer {
                            status,
                            body,
                            retry_after_secs,
                        });
                    }
                    format!("HTTP {status}: {}", error_message(&body).0)
                }
                Err(error) => error.to_string(),
            };
            if attempts > self.options.max_retries {
                return Err(Error::Network {
                    url: url.to_string(),
                    attempts,
                    message: failure,
                });
            }
            std::thread::sleep(self.options.retry_backoff * 2u32.saturating_pow(attempts - 1));
        }
    }
}

/// Apple's `ErrorResponse` (`{"error": {"message", "details"}}`, or the same members at the top
/// level) as message and details; any other body is kept raw (shortened).
pub(crate) fn error_message(body: &str) -> (String, Vec<String>) {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let object = parsed.as_ref().map(|v| v.get("error").unwrap_or(v));
    let message = object
        .and_then(|o| o.get("message"))
        .and_then(Value::as_str);
    let details = object
        .and_then(|o| o.get("details"))
        .map(|d| match d {
            Value::Array(items) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string())
                })
                .collect(),
            Value::String(one) => vec![one.clone()],
            other => vec![other.to_string()],
        })
        .unwrap_or_default();
    match message {
        Some(message) => (message.to_string(), details),
        None => {
            let raw: String = body.chars().take(300).collect();
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
    let answer = client.get_with_bearer(&url, token)?;
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
