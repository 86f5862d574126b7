//! OAuth 2 client credentials with an ES256 client assertion (feature `http`): Apple School
//! Manager, Apple Business Manager and Apple Ads.
//!
//! The signed JWT (a client assertion, or Apple Ads' client secret) lives up to 180 days and is
//! exchanged with a `POST` to the service's token endpoint ([`ServiceRules::token_exchange`]) for
//! an access token that lasts an hour. [`OAuthTokenProvider`] keeps both: the assertion, renewed
//! long before its own expiry, and the access token, exchanged again a margin before
//! `expires_in`, one exchange per renewal however many threads ask.
//!
//! ```no_run
//! use devtoken::{OAuthOptions, OAuthTokenProvider, Service, Signer};
//! let signer = Signer::from_file("ads-private-key.pem", Some("d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b"))?;
//! let ads = OAuthTokenProvider::new(
//!     signer,
//!     Service::AppleAds,
//!     "SEARCHADS.27478e71-3bb0-4588-998c-182e2b405577",
//!     Some("SEARCHADS.27478e71-3bb0-4588-998c-182e2b405577"),
//!     OAuthOptions::default(),
//! )?;
//! let bearer = ads.access_token()?; // send as `Authorization: Bearer <token>`
//! # Ok::<(), devtoken::Error>(())
//! ```
//!
//! [`ServiceRules::token_exchange`]: crate::ServiceRules::token_exchange

use std::sync::Arc;

use crate::base::clock::{Clock, SystemClock};
use crate::contract::error::{Error, OptionRule, Result};
use crate::net::exchange::{access_token_from, ExchangedTokens, OAUTH_ANSWER};
use crate::net::http::HttpClient;
use crate::net::maps::{AccessToken, MapsOptions};
use crate::provider::{ProviderOptions, TokenProvider};
use crate::rules::service::{AssertionField, Service, SubjectRule, TokenExchange};
use crate::token::claims::Claims;
use crate::token::signer::Signer;

/// `client_assertion_type` for a JWT client assertion (RFC 7523).
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How an [`OAuthTokenProvider`] renews and calls Apple: the same margins and HTTP options as the
/// Maps provider (renew when 10 % of `expires_in`, at least 60 s, is left).
pub type OAuthOptions = MapsOptions;

/// A cached OAuth access token for Apple School Manager, Apple Business Manager or Apple Ads.
///
/// Reads of a fresh access token take no lock; when it goes stale exactly one caller exchanges
/// while the others keep the old, still-valid one. Its `Debug` shows no token.
#[derive(Debug)]
pub struct OAuthTokenProvider {
    service: Service,
    exchange: TokenExchange,
    client_id: String,
    assertions: TokenProvider,
    client: HttpClient,
    url: String,
    options: OAuthOptions,
    access_tokens: ExchangedTokens,
}

impl OAuthTokenProvider {
    /// A provider on the system clock for `service`'s client `client_id`.
    ///
    /// `team_id` is Apple Ads' `iss` (`SEARCHADS.<uuid>`); Apple School and Business Manager
    /// send the client id as both `iss` and `sub` and take no team id.
    pub fn new(
        signer: impl Into<Arc<Signer>>,
        service: Service,
        client_id: &str,
        team_id: Option<&str>,
        options: OAuthOptions,
    ) -> Result<Self> {
        Self::with_clock(
            signer,
            service,
            client_id,
            team_id,
            options,
            Arc::new(SystemClock),
        )
    }

    /// A provider with an explicit clock (tests move a [`ManualClock`](crate::base::clock::ManualClock)).
    pub fn with_clock(
        signer: impl Into<Arc<Signer>>,
        service: Service,
        client_id: &str,
        team_id: Option<&str>,
        options: OAuthOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let rules = service.rules();
        let Some(exchange) = rules.token_exchange else {
            let with = Service::ALL
                .iter()
                .filter(|s| s.rules().token_exchange.is_some())
                .map(|s| s.cli_name())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::option(
                "service",
                OptionRule::NotApplicable,
                format!(
                    "{} tokens are not exchanged for an OAuth access token (services that are: {with})",
                    rules.name
                ),
            ));
        };
        let claims = assertion_claims(service, client_id, team_id)?;
        let access_tokens = ExchangedTokens::new(
            Arc::clone(&clock),
            options.margin_fraction,
            options.min_margin_secs,
        )?;
        let assertions =
            TokenProvider::with_clock(signer, service, claims, ProviderOptions::default(), clock)?;
        let client = HttpClient::new(options.http.clone())?;
        let url = client.url(exchange.base_url, exchange.path);
        Ok(OAuthTokenProvider {
            service,
            exchange,
            client_id: client_id.to_string(),
            assertions,
            client,
            url,
            options,
            access_tokens,
        })
    }

    /// The access token to send now (`Authorization: Bearer ...`): the cached one while fresh,
    /// else a new exchange.
    pub fn access_token(&self) -> Result<String> {
        self.access_tokens
            .access_token(|now, retries| self.exchange(now, retries))
    }

    /// The cached access token while it is fresh, else `None`; never exchanges, never waits.
    pub fn fresh_access_token(&self) -> Option<String> {
        self.access_tokens.fresh()
    }

    /// Forgets the cached access token after an API call answered 401, so the next
    /// [`access_token`](Self::access_token) exchanges again.
    ///
    /// With `rejected` (the access token the API refused), only that token is forgotten: when
    /// many threads get the same 401 and each calls `invalidate`, one new exchange happens, not
    /// one per thread. Without it, whatever is cached is forgotten. Returns whether a token was
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

    /// The signed client assertion (Apple Ads: client secret) that is exchanged, reused until a
    /// quarter of its lifetime is left.
    pub fn assertion(&self) -> Result<String> {
        self.assertions.token()
    }

    /// The service this provider exchanges for.
    pub fn service(&self) -> Service {
        self.service
    }

    /// The client id sent with each exchange.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The options this provider was built with (the core's defaults where none were given).
    pub fn options(&self) -> &OAuthOptions {
        &self.options
    }

    /// How many exchanges succeeded.
    pub fn exchange_count(&self) -> u64 {
        self.access_tokens.exchange_count()
    }

    /// The last offset of Apple's clock measured from an exchange's `Date` header, if any.
    pub fn clock_offset(&self) -> Option<crate::base::clock::ClockOffset> {
        self.assertions.clock_offset()
    }

    /// How many client assertions were back-dated by a measured clock offset.
    pub fn clock_corrections(&self) -> u64 {
        self.assertions.clock_corrections()
    }

    /// One exchange, with at most `retries` retries (`None`: the HTTP options').
    fn exchange(&self, now: i64, retries: Option<u32>) -> Result<AccessToken> {
        let (assertion, answer) =
            crate::net::exchange::send_signed(&self.assertions, |assertion| {
                let mut form = vec![
                    ("grant_type", "client_credentials"),
                    ("client_id", self.client_id.as_str()),
                ];
                match self.exchange.assertion_field {
                    AssertionField::ClientAssertion => {
                        form.push(("client_assertion_type", JWT_BEARER_ASSERTION_TYPE));
                        form.push(("client_assertion", assertion));
                    }
                    AssertionField::ClientSecret => form.push(("client_secret", assertion)),
                }
                form.push(("scope", self.exchange.scope));
                self.client.post_form(&self.url, &form, retries)
            })?;
        access_token_from(
            &OAUTH_ANSWER,
            &self.url,
            &answer,
            &assertion,
            self.service,
            now,
        )
    }
}

/// The assertion's claims for `service`: Apple Ads `iss` = team id and `sub` = client id; Apple
/// School and Business Manager `iss` = `sub` = client id. The rule table checks their shapes.
fn assertion_claims(service: Service, client_id: &str, team_id: Option<&str>) -> Result<Claims> {
    match service.rules().subject {
        SubjectRule::SameAsIssuer => match team_id {
            Some(_) => Err(Error::option(
                "team_id",
                OptionRule::NotApplicable,
                format!(
                    "{} sends the client id as iss and sub; it takes no team id",
                    service.display_name()
                ),
            )),
            None => Ok(Claims::new(client_id)),
        },
        _ => Ok(Claims {
            issuer: team_id.map(str::to_string),
            subject: Some(client_id.to_string()),
            ..Claims::default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exchanged_services_get_a_provider() {
        let signer = Signer::new(
            crate::crypto::keys::PrivateKey::generate().unwrap(),
            "ABC123DEFG",
        )
        .unwrap();
        let error = OAuthTokenProvider::new(
            signer,
            Service::AppleMusic,
            "SEARCHADS.27478e71-3bb0-4588-998c-182e2b405577",
            None,
            OAuthOptions::default(),
        )
        .unwrap_err();
        let parts = error.into_parts();
        assert_eq!(parts.field, Some("service"));
        assert!(parts.message.contains("apple-ads"), "{}", parts.message);
    }
}
