//! What the two access-token providers share (feature `http`): the Maps `/v1/token` exchange and
//! the OAuth token endpoint both trade a signed JWT for a short-lived access token, read the
//! same kind of answer and keep the result in one [`ExchangedTokens`] cache.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::Value;

use crate::base::clock::Clock;
use crate::contract::error::{Error, Result};
use crate::contract::options::MAX_ACCESS_TOKEN_LIFETIME_SECS;
use crate::net::http::HttpOptions;
use crate::net::http::{quota, rejection, Answer};
use crate::provider::cache::{Cached, Margin, RenewingCache, Urgency};
use crate::rules::service::Service;

/// Sends the signed token `tokens` hands out with `send`, reporting the clock offset each
/// answer's `Date` shows to `tokens`. When Apple refuses the token (401/403) and the answer
/// shows the local clock running ahead by more than the back-dating covered, the token is
/// replaced by one at Apple's time and sent once more. The token sent last and its answer.
pub(crate) fn send_signed(
    tokens: &crate::provider::TokenProvider,
    send: impl Fn(&str) -> Result<Answer>,
) -> Result<(String, Answer)> {
    let observe = |answer: &Answer| {
        answer
            .clock_offset
            .is_some_and(|offset| tokens.observe_clock_offset(offset))
    };
    let token = tokens.token()?;
    let answer = send(&token)?;
    if observe(&answer) && matches!(answer.status, 400 | 401 | 403) {
        let corrected = tokens.refresh_rejected(&token)?;
        let answer = send(&corrected)?;
        observe(&answer);
        return Ok((corrected, answer));
    }
    Ok((token, answer))
}

/// How a [`MapsTokenProvider`](crate::net::maps::MapsTokenProvider) renews and calls Apple.
#[derive(Debug, Clone, PartialEq)]
pub struct MapsOptions {
    /// Exchange again when less than this fraction of `expiresInSeconds` is left (default 0.10).
    pub margin_fraction: f64,
    /// ... but with at least this many seconds left (default 60).
    pub min_margin_secs: u64,
    /// Base URL, timeouts, user agent, extra CA, retries.
    pub http: HttpOptions,
}

impl Default for MapsOptions {
    fn default() -> Self {
        MapsOptions {
            margin_fraction: 0.10,
            min_margin_secs: 60,
            http: HttpOptions::default(),
        }
    }
}

impl MapsOptions {
    /// The default margins with each given value in its place, numbers as a binding receives
    /// them (a negative `min_margin_secs` is
    /// [`Error::InvalidOption`](crate::contract::error::Error::InvalidOption), rule `range`), and
    /// `http`.
    pub fn from_given(
        margin_fraction: Option<f64>,
        min_margin_secs: Option<i64>,
        http: HttpOptions,
    ) -> Result<Self> {
        let defaults = MapsOptions::default();
        Ok(MapsOptions {
            margin_fraction: margin_fraction.unwrap_or(defaults.margin_fraction),
            min_margin_secs: match min_margin_secs {
                Some(secs) => crate::contract::options::seconds("min_margin_secs", secs)?,
                None => defaults.min_margin_secs,
            },
            http,
        })
    }
}

/// An access token from `GET /v1/token`. Its `Debug` leaves the token out.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    /// The `accessToken` to send as `Authorization: Bearer` to Maps Server API calls.
    pub access_token: String,
    /// `expiresInSeconds` as Apple sent it.
    pub expires_in_secs: i64,
    /// When it expires (UNIX seconds, by this provider's clock).
    pub expires_at: i64,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &"<redacted>")
            .field("expires_in_secs", &self.expires_in_secs)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What a token endpoint answers.
pub(crate) struct AnswerShape {
    /// The answer described for a `MalformedResponse` error.
    pub expected: &'static str,
    /// The statuses by which the endpoint refuses the JWT that was sent.
    pub refusals: &'static [u16],
    /// The access token's member (`accessToken`, `access_token`).
    pub token: &'static str,
    /// Its lifetime in seconds (`expiresInSeconds`, `expires_in`).
    pub expires_in: &'static str,
    /// A `token_type` member that, when present, must be `Bearer` (OAuth).
    pub token_type: Option<&'static str>,
}

/// Apple's Maps `TokenResponse`.
pub(crate) const MAPS_ANSWER: AnswerShape = AnswerShape {
    expected: "a TokenResponse ({\"accessToken\": ..., \"expiresInSeconds\": ...})",
    refusals: &[401, 403],
    token: "accessToken",
    expires_in: "expiresInSeconds",
    token_type: None,
};

/// An OAuth 2 token answer (RFC 6749 §5.1).
pub(crate) const OAUTH_ANSWER: AnswerShape = AnswerShape {
    expected: "an OAuth token answer ({\"access_token\": ..., \"token_type\": \"Bearer\", \"expires_in\": ...})",
    // `invalid_client` and its kin come as 400.
    refusals: &[400, 401, 403],
    token: "access_token",
    expires_in: "expires_in",
    token_type: Some("token_type"),
};

/// The access token in a token endpoint's `answer` at `url`, or the error it means: a refusal
/// (with the `inspect` findings of the JWT `sent` for `service`), a quota, or a malformed answer.
pub(crate) fn access_token_from(
    shape: &AnswerShape,
    url: &str,
    answer: &Answer,
    sent: &str,
    service: Service,
    now: i64,
) -> Result<AccessToken> {
    let malformed = |message: String| Error::MalformedResponse {
        url: url.to_string(),
        status: answer.status,
        expected: shape.expected,
        message,
    };
    match answer.status {
        200 => read_answer(shape, &answer.body, now).map_err(malformed),
        status if shape.refusals.contains(&status) => Err(rejection(url, answer, sent, service)),
        429 => Err(quota(url, answer)),
        status => Err(malformed(format!("unexpected HTTP {status}"))),
    }
}

/// An access-token answer of `shape` read at `now`: the token, its lifetime (1 to
/// [`MAX_ACCESS_TOKEN_LIFETIME_SECS`]) and its expiry; the error is the reason it is not one.
pub(crate) fn read_answer(
    shape: &AnswerShape,
    body: &str,
    now: i64,
) -> std::result::Result<AccessToken, String> {
    let body: Value = serde_json::from_str(body).map_err(|e| format!("not JSON ({e})"))?;
    let access_token = body
        .get(shape.token)
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| format!("no {} string", shape.token))?;
    if let Some(member) = shape.token_type {
        match body.get(member) {
            None => {}
            Some(Value::String(kind)) if kind.eq_ignore_ascii_case("bearer") => {}
            Some(other) => return Err(format!("{member} is {other}, not \"Bearer\"")),
        }
    }
    let expires_in = body
        .get(shape.expires_in)
        .and_then(Value::as_i64)
        .filter(|secs| (1..=MAX_ACCESS_TOKEN_LIFETIME_SECS).contains(secs))
        .ok_or_else(|| {
            format!(
                "no integer {} from 1 to {MAX_ACCESS_TOKEN_LIFETIME_SECS}",
                shape.expires_in
            )
        })?;
    let expires_at = now.checked_add(expires_in).ok_or_else(|| {
        format!(
            "{} {expires_in} overflows the clock's time {now}",
            shape.expires_in
        )
    })?;
    Ok(AccessToken {
        access_token: access_token.to_string(),
        expires_in_secs: expires_in,
        expires_at,
    })
}

/// Access tokens obtained by exchange, cached until a margin before they expire: fresh reads
/// take no lock, one caller exchanges per renewal (see [`RenewingCache`]).
#[derive(Debug)]
pub(crate) struct ExchangedTokens {
    clock: Arc<dyn Clock>,
    margin: Margin,
    cache: RenewingCache<AccessToken>,
    exchanges: AtomicU64,
}

impl ExchangedTokens {
    /// Checks the margins (a fraction in [0, 1), seconds within the core's cap).
    pub fn new(clock: Arc<dyn Clock>, margin_fraction: f64, min_margin_secs: u64) -> Result<Self> {
        Ok(ExchangedTokens {
            clock,
            margin: Margin::new(margin_fraction, min_margin_secs)?,
            cache: RenewingCache::new(),
            exchanges: AtomicU64::new(0),
        })
    }

    /// The access token to use now, calling `exchange(now, max_retries)` when it is due. With a
    /// valid access token at hand the exchange gets `Some(0)`: a single request, the cache retrying
    /// after its backoff; with none, `None`: the HTTP options' retries.
    pub fn access_token(
        &self,
        exchange: impl FnOnce(i64, Option<u32>) -> Result<AccessToken>,
    ) -> Result<String> {
        let now = self.clock.now();
        self.cache.get(
            now,
            |t| t.access_token.clone(),
            |urgency| {
                let max_retries = match urgency {
                    Urgency::HaveValid => Some(0),
                    Urgency::NothingValid => None,
                };
                let token = exchange(now, max_retries)?;
                self.exchanges.fetch_add(1, Ordering::SeqCst);
                Ok(Cached {
                    renew_at: self
                        .margin
                        .renew_at(token.expires_at, token.expires_in_secs),
                    valid_until: token.expires_at,
                    value: token,
                })
            },
        )
    }

    /// The cached access token while fresh; never exchanges, never waits.
    pub fn fresh(&self) -> Option<String> {
        self.cache
            .fresh(self.clock.now(), |t| t.access_token.clone())
    }

    /// The current access token with its expiry, if one has been obtained.
    pub fn current(&self) -> Option<AccessToken> {
        self.cache.current().map(|cached| cached.value.clone())
    }

    /// Forgets `rejected` (or, without it, whatever is cached); whether one was forgotten.
    pub fn invalidate(&self, rejected: Option<&str>) -> bool {
        self.cache.invalidate_if(|cached| match rejected {
            Some(rejected) => cached.access_token == rejected,
            None => true,
        })
    }

    /// How many exchanges succeeded.
    pub fn exchange_count(&self) -> u64 {
        self.exchanges.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_strictly() {
        let ok = read_answer(
            &OAUTH_ANSWER,
            r#"{"access_token":"abc","token_type":"Bearer","expires_in":3600}"#,
            100,
        )
        .unwrap();
        assert_eq!(
            (ok.access_token.as_str(), ok.expires_in_secs, ok.expires_at),
            ("abc", 3600, 3700)
        );
        for (shape, body, why) in [
            (&OAUTH_ANSWER, "[]", "no access_token"),
            (&OAUTH_ANSWER, r#"{"access_token":""}"#, "no access_token"),
            (
                &OAUTH_ANSWER,
                r#"{"access_token":"a","token_type":"mac","expires_in":1}"#,
                "token_type",
            ),
            (
                &OAUTH_ANSWER,
                r#"{"access_token":"a","expires_in":0}"#,
                "expires_in",
            ),
            (
                &OAUTH_ANSWER,
                r#"{"access_token":"a","expires_in":"3600"}"#,
                "expires_in",
            ),
            (
                &MAPS_ANSWER,
                r#"{"access_token":"a","expires_in":60}"#,
                "no accessToken",
            ),
            (&MAPS_ANSWER, "<html>", "not JSON"),
        ] {
            let error = read_answer(shape, body, 100).unwrap_err();
            assert!(error.contains(why), "{body}: {error}");
        }
        let overflow = read_answer(
            &OAUTH_ANSWER,
            r#"{"access_token":"a","expires_in":10}"#,
            i64::MAX,
        );
        assert!(overflow.unwrap_err().contains("overflows"));
    }
}
