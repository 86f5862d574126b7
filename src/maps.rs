//! The Maps Server API access token (feature `http`): a signed Maps token exchanged at
//! `GET https://maps-api.apple.com/v1/token` for the `accessToken` every Maps Server API call
//! carries, cached and renewed before it expires.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde_json::Value;

use crate::cache::{Cached, Margin, RenewingCache, Urgency};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::http::{quota, rejection, HttpClient, HttpOptions};
use crate::options::MAX_ACCESS_TOKEN_LIFETIME_SECS;
use crate::provider::{ProviderOptions, TokenProvider};
use crate::service::Service;
use crate::signer::Signer;
use crate::Claims;

/// Apple's Maps Server API base URL.
pub const MAPS_API_BASE_URL: &str = "https://maps-api.apple.com";

/// How a [`MapsTokenProvider`] renews and calls Apple.
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
    /// them (a negative `min_margin_secs` is [`Error::InvalidOption`], rule `range`), and `http`.
    pub fn from_given(
        margin_fraction: Option<f64>,
        min_margin_secs: Option<i64>,
        http: HttpOptions,
    ) -> Result<Self> {
        let defaults = MapsOptions::default();
        Ok(MapsOptions {
            margin_fraction: margin_fraction.unwrap_or(defaults.margin_fraction),
            min_margin_secs: match min_margin_secs {
                Some(secs) => crate::options::seconds("min_margin_secs", secs)?,
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

/// A cached Maps Server API access token, exchanged again before it expires.
///
/// Reads of a fresh access token take no lock; when it goes stale exactly one caller exchanges
/// while the others keep the old, still-valid one.
#[derive(Debug)]
pub struct MapsTokenProvider {
    maps_tokens: TokenProvider,
    client: HttpClient,
    url: String,
    clock: Arc<dyn Clock>,
    margin: Margin,
    options: MapsOptions,
    cache: RenewingCache<AccessToken>,
    exchanges: AtomicU64,
}

impl MapsTokenProvider {
    /// A provider on the system clock. `claims` are Maps claims (`issuer`, optional `origins`);
    /// `scope` defaults to `server_api`, as Apple's current page asks.
    pub fn new(
        signer: impl Into<Arc<Signer>>,
        claims: Claims,
        options: MapsOptions,
    ) -> Result<Self> {
        Self::with_clock(signer, claims, options, Arc::new(SystemClock))
    }

    /// A provider with an explicit clock (tests move a [`ManualClock`](crate::clock::ManualClock)).
    pub fn with_clock(
        signer: impl Into<Arc<Signer>>,
        mut claims: Claims,
        options: MapsOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let margin = Margin::new(options.margin_fraction, options.min_margin_secs)?;
        if claims.scope.is_empty() {
            claims.scope.push("server_api".to_string());
        }
        let maps_tokens = TokenProvider::with_clock(
            signer,
            Service::Maps,
            claims,
            ProviderOptions::default(),
            Arc::clone(&clock),
        )?;
        let client = HttpClient::new(options.http.clone())?;
        let url = client.url(MAPS_API_BASE_URL, "/v1/token");
        Ok(MapsTokenProvider {
            maps_tokens,
            client,
            url,
            clock,
            margin,
            options,
            cache: RenewingCache::new(),
            exchanges: AtomicU64::new(0),
        })
    }

    /// The access token to send now: the cached one while fresh, else a new exchange.
    pub fn access_token(&self) -> Result<String> {
        let now = self.clock.now();
        self.cache.get(
            now,
            |t| t.access_token.clone(),
            |urgency| self.exchange(now, urgency),
        )
    }

    /// The cached access token while it is fresh, else `None`; never exchanges, never waits.
    /// For a caller that takes a fast path first and calls [`access_token`](Self::access_token)
    /// otherwise, so a failing exchange is attempted once, not twice.
    pub fn fresh_access_token(&self) -> Option<String> {
        self.cache
            .fresh(self.clock.now(), |t| t.access_token.clone())
    }

    /// The current access token with its expiry, if one has been obtained.
    pub fn current(&self) -> Option<AccessToken> {
        self.cache.current().map(|cached| cached.value.clone())
    }

    /// When the current access token expires, if one has been obtained.
    pub fn expires_at(&self) -> Option<i64> {
        self.current().map(|t| t.expires_at)
    }

    /// The options this provider was built with (the core's defaults where none were given).
    pub fn options(&self) -> &MapsOptions {
        &self.options
    }

    /// How many exchanges with `/v1/token` succeeded.
    pub fn exchange_count(&self) -> u64 {
        self.exchanges.load(Ordering::SeqCst)
    }

    /// The signed Maps token that is exchanged (reused per the rule table).
    pub fn maps_token(&self) -> Result<String> {
        self.maps_tokens.token()
    }

    /// One exchange. With a valid access token at hand, a single request (the cache retries
    /// after its backoff); with none, the HTTP options' retries.
    fn exchange(&self, now: i64, urgency: Urgency) -> Result<Cached<AccessToken>> {
        let token = self.maps_tokens.token()?;
        let retries = match urgency {
            Urgency::HaveValid => Some(0),
            Urgency::NothingValid => None,
        };
        let answer = self.client.get_with_bearer(&self.url, &token, retries)?;
        let malformed = |message: String| Error::MalformedResponse {
            url: self.url.clone(),
            status: answer.status,
            expected: "a TokenResponse ({\"accessToken\": ..., \"expiresInSeconds\": ...})",
            message,
        };
        match answer.status {
            200 => {
                let (access_token, expires_in, expires_at) =
                    token_response(&answer.body, now).map_err(malformed)?;
                self.exchanges.fetch_add(1, Ordering::SeqCst);
                Ok(Cached {
                    value: AccessToken {
                        access_token,
                        expires_in_secs: expires_in,
                        expires_at,
                    },
                    renew_at: self.margin.renew_at(expires_at, expires_in),
                    valid_until: expires_at,
                })
            }
            401 | 403 => Err(rejection(&self.url, &answer, &token, Service::Maps)),
            429 => Err(quota(&self.url, &answer)),
            status => Err(malformed(format!("unexpected HTTP {status}"))),
        }
    }
}

/// Apple's `TokenResponse` body read at `now`: the access token, its `expiresInSeconds` (within
/// 1 to [`MAX_ACCESS_TOKEN_LIFETIME_SECS`]) and its expiry; the error is the reason it is not one.
pub(crate) fn token_response(
    body: &str,
    now: i64,
) -> std::result::Result<(String, i64, i64), String> {
    let body: Value = serde_json::from_str(body).map_err(|e| format!("not JSON ({e})"))?;
    let access_token = body
        .get("accessToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "no accessToken string".to_string())?;
    let expires_in = body
        .get("expiresInSeconds")
        .and_then(Value::as_i64)
        .filter(|secs| (1..=MAX_ACCESS_TOKEN_LIFETIME_SECS).contains(secs))
        .ok_or_else(|| {
            format!("no integer expiresInSeconds from 1 to {MAX_ACCESS_TOKEN_LIFETIME_SECS}")
        })?;
    let expires_at = now
        .checked_add(expires_in)
        .ok_or_else(|| format!("expiresInSeconds {expires_in} overflows the clock's time {now}"))?;
    Ok((access_token.to_string(), expires_in, expires_at))
}
