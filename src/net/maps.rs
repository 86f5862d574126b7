//! The Maps Server API access token (feature `http`): a signed Maps token exchanged at
//! `GET https://maps-api.apple.com/v1/token` for the `accessToken` every Maps Server API call
//! carries, cached and renewed before it expires.

use std::sync::Arc;

use crate::base::clock::{Clock, SystemClock};
use crate::contract::error::Result;
use crate::net::exchange::{access_token_from, ExchangedTokens, MAPS_ANSWER};
pub use crate::net::exchange::{AccessToken, MapsOptions};
use crate::net::http::HttpClient;
use crate::provider::{ProviderOptions, TokenProvider};
use crate::rules::service::Service;
use crate::token::claims::Claims;
use crate::token::signer::Signer;

/// Apple's Maps Server API base URL.
pub const MAPS_API_BASE_URL: &str = "https://maps-api.apple.com";

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

    /// A provider with an explicit clock (tests move a [`ManualClock`](crate::base::clock::ManualClock)).
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

    /// Forgets the cached access token after a Maps Server API call answered 401, so the next
    /// [`access_token`](Self::access_token) exchanges again.
    ///
    /// With `rejected` (the access token the API refused), only that token is forgotten: when
    /// many callers get the same 401 and each calls `invalidate`, one new exchange happens, not
    /// one per caller. Without it, whatever is cached is forgotten. Returns whether a token was
    /// forgotten.
    pub fn invalidate(&self, rejected: Option<&str>) -> bool {
        self.access_tokens.invalidate(rejected)
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

    /// The last offset of Apple's clock measured from an exchange's `Date` header, if any.
    pub fn clock_offset(&self) -> Option<crate::base::clock::ClockOffset> {
        self.maps_tokens.clock_offset()
    }

    /// How many Maps tokens were back-dated by a measured clock offset.
    pub fn clock_corrections(&self) -> u64 {
        self.maps_tokens.clock_corrections()
    }

    /// The signed Maps token that is exchanged (reused per the rule table).
    pub fn maps_token(&self) -> Result<String> {
        self.maps_tokens.token()
    }

    /// One exchange, with at most `retries` retries (`None`: the HTTP options').
    fn exchange(&self, now: i64, retries: Option<u32>) -> Result<AccessToken> {
        let (token, answer) = crate::net::exchange::send_signed(&self.maps_tokens, |token| {
            self.client.get_with_bearer(&self.url, token, retries)
        })?;
        access_token_from(&MAPS_ANSWER, &self.url, &answer, &token, Service::Maps, now)
    }
}
