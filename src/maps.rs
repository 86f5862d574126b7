//! The Maps Server API access token (feature `http`): a signed Maps token exchanged at
//! `GET https://maps-api.apple.com/v1/token` for the `accessToken` every Maps Server API call
//! carries, cached and renewed before it expires.

use std::fmt;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::error::Result;
use crate::exchange::{access_token_from, ExchangedTokens, MAPS_ANSWER};
use crate::http::{HttpClient, HttpOptions};
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
    /// them (a negative `min_margin_secs` is [`Error::InvalidOption`](crate::Error::InvalidOption), rule `range`), and `http`.
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
    options: MapsOptions,
    access_tokens: ExchangedTokens,
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
        let access_tokens = ExchangedTokens::new(
            Arc::clone(&clock),
            options.margin_fraction,
            options.min_margin_secs,
        )?;
        if claims.scope.is_empty() {
            claims.scope.push("server_api".to_string());
        }
        let maps_tokens = TokenProvider::with_clock(
            signer,
            Service::Maps,
            claims,
            ProviderOptions::default(),
            clock,
        )?;
        let client = HttpClient::new(options.http.clone())?;
        let url = client.url(MAPS_API_BASE_URL, "/v1/token");
        Ok(MapsTokenProvider {
            maps_tokens,
            client,
            url,
            options,
            access_tokens,
        })
    }

    /// The access token to send now: the cached one while fresh, else a new exchange.
    pub fn access_token(&self) -> Result<String> {
        self.access_tokens
            .access_token(|now, retries| self.exchange(now, retries))
    }

    /// The cached access token while it is fresh, else `None`; never exchanges, never waits.
    /// For a caller that takes a fast path first and calls [`access_token`](Self::access_token)
    /// otherwise, so a failing exchange is attempted once, not twice.
    pub fn fresh_access_token(&self) -> Option<String> {
        self.access_tokens.fresh()
    }

    /// The current access token with its expiry, if one has been obtained.
    pub fn current(&self) -> Option<AccessToken> {
        self.access_tokens.current()
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
        self.access_tokens.exchange_count()
    }

    /// The signed Maps token that is exchanged (reused per the rule table).
    pub fn maps_token(&self) -> Result<String> {
        self.maps_tokens.token()
    }

    /// One exchange, with at most `retries` retries (`None`: the HTTP options').
    fn exchange(&self, now: i64, retries: Option<u32>) -> Result<AccessToken> {
        let token = self.maps_tokens.token()?;
        let answer = self.client.get_with_bearer(&self.url, &token, retries)?;
        access_token_from(&MAPS_ANSWER, &self.url, &answer, &token, Service::Maps, now)
    }
}
