//! `TokenProvider`, `MapsTokenProvider` and `OAuthTokenProvider`: cached, self-renewing tokens.

use std::sync::Arc;

use devtoken_core as core;
use devtoken_core::{Claims, Service};

use crate::error::Result;
use crate::lean;
use crate::network::{http_options, ClockOffset, NetworkOptions};
use crate::signer::{clock_or_system, ManualClock, Signer};

/// How a `TokenProvider` renews (see the core's `ProviderOptions`); a field left `null`/`nil`
/// takes the core's default (`coreDefaults()` reports them).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ProviderOptions {
    /// Renew when less than this fraction of the lifetime is left.
    #[uniffi(default = None)]
    pub margin_fraction: Option<f64>,
    /// ... but with at least this many seconds left.
    #[uniffi(default = None)]
    pub min_margin_secs: Option<i64>,
    /// APNs/DeviceCheck: renew this long after signing (default from the rule table).
    #[uniffi(default = None)]
    pub renew_after_secs: Option<i64>,
    /// App Store Server / External Purchase Server: reuse instead of a token per call.
    #[uniffi(default = None)]
    pub reuse_per_request_tokens: Option<bool>,
    /// Fleet-aligned `iat` (`null`/`nil`: the rule table's choice; on for APNs/DeviceCheck).
    #[uniffi(default = None)]
    pub aligned: Option<bool>,
}

impl ProviderOptions {
    /// The core's options: each given field replaces the core default.
    fn to_core(&self) -> Result<core::ProviderOptions> {
        Ok(core::ProviderOptions::from_given(
            self.margin_fraction,
            self.min_margin_secs,
            self.renew_after_secs,
            self.reuse_per_request_tokens,
        )?
        .with_aligned(self.aligned))
    }
}

/// The effective options of a provider, as the core resolved them.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EffectiveProviderOptions {
    /// Renew when less than this fraction of the lifetime is left.
    pub margin_fraction: f64,
    /// ... but with at least this many seconds left.
    pub min_margin_secs: i64,
    /// APNs/DeviceCheck: renew this long after signing, when set (else the rule table's).
    pub renew_after_secs: Option<i64>,
    /// Whether per-request tokens are reused.
    pub reuse_per_request_tokens: bool,
}

fn secs_i64(secs: u64) -> i64 {
    count_i64(secs)
}

/// A count as bindings see it, saturating.
fn count_i64(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// A cached, self-renewing token following the service's reuse rule.
#[derive(uniffi::Object)]
pub struct TokenProvider {
    inner: Arc<core::TokenProvider>,
    lean: Option<lean::Registration<core::TokenProvider>>,
}

#[uniffi::export]
impl TokenProvider {
    /// A provider for `service` and the claims template `claims` (no issued_at/expires_at).
    #[uniffi::constructor(default(options = None, clock = None))]
    pub fn new(
        signer: Arc<Signer>,
        service: Service,
        claims: Claims,
        options: Option<ProviderOptions>,
        clock: Option<Arc<ManualClock>>,
    ) -> Result<Arc<Self>> {
        let options = match options {
            Some(options) => options.to_core()?,
            None => core::ProviderOptions::default(),
        };
        let inner = Arc::new(core::TokenProvider::with_clock(
            Arc::clone(&signer.inner),
            service,
            claims,
            options,
            clock_or_system(clock),
        )?);
        Ok(Arc::new(TokenProvider {
            lean: lean::PROVIDERS
                .register_unless_external(signer.inner.is_external(), Arc::clone(&inner)),
            inner,
        }))
    }

    /// This provider's id for `devtoken_lean_provider_token`, the Structure-free entry point
    /// the Kotlin layer reads tokens through. Valid until the provider is closed; 0 (declined by
    /// every lean call) over an external signer. Other bindings can ignore it.
    pub fn lean_call_id(&self) -> u64 {
        lean::lean_id(&self.lean)
    }

    /// The token to send now.
    pub fn token(&self) -> Result<String> {
        Ok(self.inner.token()?.to_string())
    }

    /// The cached token while it is fresh, else `null`/`nil`: never signs, never waits (an
    /// async caller's fast path before it calls `token()` off its thread).
    pub fn fresh_token(&self) -> Option<String> {
        self.inner.fresh_token()
    }

    /// After Apple refused `rejected` (401/403): a new token when `rejected` is still the
    /// current one, else the current token, which another caller already renewed. However many
    /// callers report one refused token at once, it is replaced once.
    pub fn refresh_rejected(&self, rejected: String) -> Result<String> {
        Ok(self.inner.refresh_rejected(&rejected)?)
    }

    /// Records an offset of Apple's clock measured elsewhere (for example with
    /// `measureClockOffset`); later tokens are back-dated when the local clock is ahead of
    /// Apple's by more than the clock skew covers. Returns whether the correction changed.
    pub fn observe_clock_offset(&self, offset: ClockOffset) -> bool {
        self.inner.observe_clock_offset(offset.into())
    }

    /// The last measured offset of Apple's clock, if any.
    pub fn clock_offset(&self) -> Option<ClockOffset> {
        self.inner.clock_offset().map(ClockOffset::from)
    }

    /// How many tokens were back-dated by a measured clock offset.
    pub fn clock_corrections(&self) -> i64 {
        count_i64(self.inner.clock_corrections())
    }

    /// Signs a new token now (the rule table's floor for APNs still holds).
    pub fn force_refresh(&self) -> Result<String> {
        Ok(self.inner.force_refresh()?.to_string())
    }

    /// When the current token expires, if one has been signed.
    pub fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at()
    }

    /// Seconds until the current token expires, if one has been signed.
    pub fn seconds_left(&self) -> Option<i64> {
        self.inner.seconds_left()
    }

    /// The current token's claims as JSON, for logging.
    pub fn current_claims_json(&self) -> Option<String> {
        self.inner
            .current_claims()
            .map(|claims| serde_json::to_string(&claims).unwrap_or_default())
    }

    /// How many tokens this provider has signed.
    pub fn signature_count(&self) -> i64 {
        count_i64(self.inner.signature_count())
    }

    /// The period of the shared `iat` grid in seconds, when this provider is aligned.
    pub fn alignment_period_secs(&self) -> Option<i64> {
        self.inner.alignment_period_secs().map(secs_i64)
    }

    /// The options in effect (the core's defaults where none were given).
    pub fn options(&self) -> EffectiveProviderOptions {
        let options = self.inner.options();
        EffectiveProviderOptions {
            margin_fraction: options.margin_fraction,
            min_margin_secs: secs_i64(options.min_margin_secs),
            renew_after_secs: options.renew_after_secs.map(secs_i64),
            reuse_per_request_tokens: options.reuse_per_request_tokens,
        }
    }
}

/// The Maps Server API access token from `GET /v1/token`, cached and renewed.
#[derive(uniffi::Object)]
pub struct MapsTokenProvider {
    inner: Arc<core::MapsTokenProvider>,
    lean: lean::Registration<core::MapsTokenProvider>,
}

/// The effective options of a Maps provider, as the core resolved them.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EffectiveMapsOptions {
    /// Exchange again when less than this fraction of the access token's life is left.
    pub margin_fraction: f64,
    /// ... but with at least this many seconds left.
    pub min_margin_secs: i64,
    /// Time allowed to connect, in milliseconds.
    pub connect_timeout_ms: i64,
    /// Time allowed for the answer, in milliseconds.
    pub read_timeout_ms: i64,
    /// Retries after a 5xx answer or a connection failure.
    pub max_retries: i64,
    /// The overall deadline of one call, retries and waits included, in milliseconds.
    pub deadline_ms: i64,
}

#[uniffi::export]
impl MapsTokenProvider {
    /// A provider for Maps `claims` (issuer, optional origins; scope defaults to server_api).
    /// Options left `null`/`nil` take the core's defaults.
    #[uniffi::constructor(default(network = None, margin_fraction = None, min_margin_secs = None, clock = None))]
    pub fn new(
        signer: Arc<Signer>,
        claims: Claims,
        network: Option<NetworkOptions>,
        margin_fraction: Option<f64>,
        min_margin_secs: Option<i64>,
        clock: Option<Arc<ManualClock>>,
    ) -> Result<Arc<Self>> {
        let options = core::MapsOptions::from_given(
            margin_fraction,
            min_margin_secs,
            http_options(network)?,
        )?;
        let inner = Arc::new(core::MapsTokenProvider::with_clock(
            Arc::clone(&signer.inner),
            claims,
            options,
            clock_or_system(clock),
        )?);
        Ok(Arc::new(MapsTokenProvider {
            lean: lean::MAPS_PROVIDERS.register(Arc::clone(&inner)),
            inner,
        }))
    }

    /// This provider's id for `devtoken_lean_maps_access_token`, the Structure-free entry point
    /// the Kotlin layer reads fresh access tokens through. Valid until the provider is closed;
    /// other bindings can ignore it.
    pub fn lean_call_id(&self) -> u64 {
        self.lean.id()
    }

    /// The access token to send to Maps Server API calls now.
    pub fn access_token(&self) -> Result<String> {
        Ok(self.inner.access_token()?.to_string())
    }

    /// When the current access token expires (UNIX seconds), if one has been obtained.
    pub fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at()
    }

    /// The cached access token while it is fresh, else `null`/`nil`: never exchanges, never
    /// waits.
    pub fn fresh_access_token(&self) -> Option<String> {
        self.inner.fresh_access_token()
    }

    /// Forgets the cached access token after an API call answered 401: only `rejected` when
    /// given (so many callers invalidating the same token cause one exchange), else whatever is
    /// cached. Returns whether a token was forgotten.
    #[uniffi::method(default(rejected = None))]
    pub fn invalidate(&self, rejected: Option<String>) -> bool {
        self.inner.invalidate(rejected.as_deref())
    }

    /// The offset of Apple's clock measured at the last exchange, if any.
    pub fn clock_offset(&self) -> Option<ClockOffset> {
        self.inner.clock_offset().map(ClockOffset::from)
    }

    /// How many Maps tokens were back-dated by a measured clock offset.
    pub fn clock_corrections(&self) -> i64 {
        count_i64(self.inner.clock_corrections())
    }

    /// The signed Maps token that is exchanged.
    pub fn maps_token(&self) -> Result<String> {
        Ok(self.inner.maps_token()?.to_string())
    }

    /// How many exchanges succeeded.
    pub fn exchange_count(&self) -> i64 {
        count_i64(self.inner.exchange_count())
    }

    /// The options in effect (the core's defaults where none were given).
    pub fn options(&self) -> EffectiveMapsOptions {
        effective_maps_options(self.inner.options())
    }
}

/// The options a Maps or OAuth provider resolved, as bindings see them.
fn effective_maps_options(options: &core::MapsOptions) -> EffectiveMapsOptions {
    EffectiveMapsOptions {
        margin_fraction: options.margin_fraction,
        min_margin_secs: secs_i64(options.min_margin_secs),
        connect_timeout_ms: crate::network::millis_i64(options.http.connect_timeout),
        read_timeout_ms: crate::network::millis_i64(options.http.read_timeout),
        max_retries: i64::from(options.http.max_retries),
        deadline_ms: crate::network::millis_i64(options.http.deadline),
    }
}

/// An OAuth access token for Apple School Manager, Apple Business Manager or Apple Ads: a signed
/// client assertion exchanged at Apple's token endpoint, both cached and renewed.
#[derive(uniffi::Object)]
pub struct OAuthTokenProvider {
    inner: core::OAuthTokenProvider,
}

#[uniffi::export]
impl OAuthTokenProvider {
    /// A provider for `service`'s client `client_id` (`SCHOOLAPI.<uuid>`, `BUSINESSAPI.<uuid>`,
    /// `SEARCHADS.<uuid>`); `team_id` is Apple Ads' `iss`. Options left `null`/`nil` take the
    /// core's defaults.
    #[uniffi::constructor(default(
        team_id = None, network = None, margin_fraction = None, min_margin_secs = None, clock = None
    ))]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        signer: Arc<Signer>,
        service: Service,
        client_id: String,
        team_id: Option<String>,
        network: Option<NetworkOptions>,
        margin_fraction: Option<f64>,
        min_margin_secs: Option<i64>,
        clock: Option<Arc<ManualClock>>,
    ) -> Result<Arc<Self>> {
        let options = core::OAuthOptions::from_given(
            margin_fraction,
            min_margin_secs,
            http_options(network)?,
        )?;
        let inner = core::OAuthTokenProvider::with_clock(
            Arc::clone(&signer.inner),
            service,
            &client_id,
            team_id.as_deref(),
            options,
            clock_or_system(clock),
        )?;
        Ok(Arc::new(OAuthTokenProvider { inner }))
    }

    /// The access token to send now (`Authorization: Bearer ...`).
    pub fn access_token(&self) -> Result<String> {
        Ok(self.inner.access_token()?)
    }

    /// Forgets the cached access token after an API call answered 401: only `rejected` when
    /// given (so many threads invalidating the same token cause one exchange), else whatever is
    /// cached. Returns whether a token was forgotten.
    #[uniffi::method(default(rejected = None))]
    pub fn invalidate(&self, rejected: Option<String>) -> bool {
        self.inner.invalidate(rejected.as_deref())
    }

    /// When the current access token expires (UNIX seconds), if one has been obtained.
    pub fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at()
    }

    /// The cached access token while it is fresh, else `null`/`nil`: never exchanges, never
    /// waits.
    pub fn fresh_access_token(&self) -> Option<String> {
        self.inner.fresh_access_token()
    }

    /// The offset of Apple's clock measured at the last exchange, if any.
    pub fn clock_offset(&self) -> Option<ClockOffset> {
        self.inner.clock_offset().map(ClockOffset::from)
    }

    /// How many client assertions were back-dated by a measured clock offset.
    pub fn clock_corrections(&self) -> i64 {
        count_i64(self.inner.clock_corrections())
    }

    /// The signed client assertion (Apple Ads: client secret) that is exchanged.
    pub fn assertion(&self) -> Result<String> {
        Ok(self.inner.assertion()?)
    }

    /// How many exchanges succeeded.
    pub fn exchange_count(&self) -> i64 {
        count_i64(self.inner.exchange_count())
    }

    /// The options in effect (the core's defaults where none were given).
    pub fn options(&self) -> EffectiveMapsOptions {
        effective_maps_options(self.inner.options())
    }
}
