//! [`TokenProvider`]: a cached, self-renewing token for a server, following each service's reuse
//! rule from the rule table ([`ReusePolicy`]).
//!
//! - Long-lived tokens (Apple Music, Maps, App Store Connect, ...) are reused until less than a
//!   margin of their lifetime is left (default 25 %, at least 60 s).
//! - APNs and DeviceCheck provider tokens (no `exp`) are renewed every 40 minutes by default,
//!   never sooner than 20 minutes after the previous one (Apple answers 429
//!   TooManyProviderTokenUpdates) and never later than an hour (403 ExpiredProviderToken).
//!   Their `iat` is aligned by default: it is the start of the current 40-minute period of UNIX
//!   time, back-dated by the clock skew ([`aligned_issued_at`]), so every process of a fleet
//!   signs the same claims and, with an in-memory key (RFC 6979), the same token, renewed at the
//!   same instants: Apple sees one token per period however many processes start or restart.
//!   Consecutive tokens' `iat` lie one period apart; a token is never older than the period plus
//!   the skew. Processes whose clocks differ by d seconds use the old and the new token side by
//!   side for at most d seconds around a grid point; both are valid. An external signer (HSM,
//!   KMS) uses random nonces: the fleet then shares one `iat` per period, with several
//!   signatures. Other reusable services align on request ([`ProviderOptions::aligned`]) on the
//!   grid of the rule table ([`Alignment`]); tokens that must be unique (App Store Server API,
//!   OAuth client assertions) never are.
//! - App Store Server and External Purchase Server API tokens are signed fresh for every call,
//!   as Apple instructs ("Generate a new signed JWT for each new request"), unless the caller
//!   opts in to reuse with [`ProviderOptions::reuse_per_request_tokens`], which is outside
//!   Apple's instruction.
//!
//! Reading a fresh token is lock-free (one atomic load). When it goes stale, exactly one caller
//! signs while the others keep getting the old, still-valid token; callers wait only when there
//! is no valid token at all.
//!
//! This folder is the provider layer: the renewing cache the Maps and OAuth providers reuse
//! ([`cache`](self), crate-internal) and [`TokenProvider`]. It imports the layers below it:
//! `base`, `rules`, `contract`, `crypto`, `token`.

pub(crate) mod cache;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::base::clock::{Clock, ClockOffset, SystemClock};
use crate::contract::error::{Error, OptionRule, Result};
use crate::crypto::jwt::decode_token;
use crate::provider::cache::{Cached, Margin, RenewingCache};
use crate::rules::service::{Alignment, Lifetime, ReusePolicy, Service};
use crate::token::claims::build_token_json;
use crate::token::claims::Claims;
use crate::token::signer::Signer;

/// How a [`TokenProvider`] decides to renew.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderOptions {
    /// Renew when less than this fraction of the lifetime is left (0 to 1; default 0.25).
    pub margin_fraction: f64,
    /// ... but with at least this many seconds left (default 60).
    pub min_margin_secs: u64,
    /// For provider tokens (APNs, DeviceCheck): renew this long after signing (default from the
    /// rule table, 2400 s). Must lie between Apple's 20-minute floor and its 60-minute limit.
    pub renew_after_secs: Option<u64>,
    /// For the App Store Server and External Purchase Server APIs: reuse a token within its life
    /// instead of signing one per call. Apple's instruction is a new token for each request; set
    /// this only if you accept departing from it.
    pub reuse_per_request_tokens: bool,
    /// Put `iat` on the grid every process shares ([`Alignment`]), so a fleet signs one token per
    /// period: `None` follows the rule table (on for APNs and DeviceCheck, off elsewhere);
    /// `Some(true)` for a service whose tokens must be unique is an [`Error::InvalidOption`]
    /// (`aligned`, rule `not_applicable`).
    pub aligned: Option<bool>,
}

impl Default for ProviderOptions {
    fn default() -> Self {
        ProviderOptions {
            margin_fraction: 0.25,
            min_margin_secs: 60,
            renew_after_secs: None,
            reuse_per_request_tokens: false,
            aligned: None,
        }
    }
}

impl ProviderOptions {
    /// The defaults with each given value in its place, numbers as a binding receives them: a
    /// negative second count is [`Error::InvalidOption`] (rule `range`); the other ranges are
    /// checked when a provider is built.
    ///
    /// ```
    /// use devtoken::ProviderOptions;
    /// let options = ProviderOptions::from_given(None, Some(30), None, None)?;
    /// let default_fraction = ProviderOptions::default().margin_fraction;
    /// assert_eq!((options.margin_fraction, options.min_margin_secs), (default_fraction, 30));
    /// assert!(ProviderOptions::from_given(None, Some(-1), None, None).is_err());
    /// # Ok::<(), devtoken::Error>(())
    /// ```
    pub fn from_given(
        margin_fraction: Option<f64>,
        min_margin_secs: Option<i64>,
        renew_after_secs: Option<i64>,
        reuse_per_request_tokens: Option<bool>,
    ) -> Result<Self> {
        let defaults = ProviderOptions::default();
        Ok(ProviderOptions {
            margin_fraction: margin_fraction.unwrap_or(defaults.margin_fraction),
            min_margin_secs: match min_margin_secs {
                Some(secs) => crate::contract::options::seconds("min_margin_secs", secs)?,
                None => defaults.min_margin_secs,
            },
            renew_after_secs: match renew_after_secs {
                Some(secs) => Some(crate::contract::options::seconds("renew_after_secs", secs)?),
                None => defaults.renew_after_secs,
            },
            reuse_per_request_tokens: reuse_per_request_tokens
                .unwrap_or(defaults.reuse_per_request_tokens),
            aligned: defaults.aligned,
        })
    }

    /// The same options with [`aligned`](Self::aligned) set (`None`: the rule table's choice).
    pub fn with_aligned(mut self, aligned: Option<bool>) -> Self {
        self.aligned = aligned;
        self
    }
}

/// The `iat` a fleet shares at `now`: the start of the current period of `period_secs` on the
/// UNIX-time grid, back-dated by `clock_skew_secs`. Processes whose clocks agree within the
/// skew sign the same claims, and with a deterministic key the same token.
///
/// ```
/// assert_eq!(devtoken::aligned_issued_at(1_700_000_000, 2400, 60), 1_699_999_200 - 60);
/// ```
pub fn aligned_issued_at(now: i64, period_secs: u64, clock_skew_secs: u64) -> i64 {
    grid_start(now, period_secs as i64).saturating_sub(clock_skew_secs as i64)
}

/// The start of the grid period `now` lies in (`period` ≥ 1).
fn grid_start(now: i64, period: i64) -> i64 {
    now.div_euclid(period.max(1)).saturating_mul(period.max(1))
}

/// The grid period a provider for `service` aligns on with `options`, or `None` when it does
/// not align; the [`Error::InvalidOption`] when alignment was asked for a service whose tokens
/// must be unique.
pub fn alignment_period(service: Service, options: &ProviderOptions) -> Result<Option<u64>> {
    let rules = service.rules();
    match (rules.alignment, options.aligned) {
        (_, Some(false)) => Ok(None),
        (Alignment::Never { reason }, Some(true)) => Err(Error::option(
            "aligned",
            OptionRule::NotApplicable,
            format!("{service} tokens are never aligned: {reason}"),
        )),
        (Alignment::Never { .. }, None) | (Alignment::OnRequest { .. }, None) => Ok(None),
        (Alignment::OnRequest { period_secs }, Some(true)) => Ok(Some(period_secs)),
        (Alignment::ByDefault, _) => Ok(match rules.reuse {
            ReusePolicy::ProviderToken {
                renew_after_secs, ..
            } => Some(options.renew_after_secs.unwrap_or(renew_after_secs)),
            ReusePolicy::UntilMargin | ReusePolicy::PerRequest => None,
        }),
    }
}

/// The token a provider currently hands out, with what its accessors report.
#[derive(Clone)]
struct TokenInfo {
    token: String,
    claims: Arc<Map<String, Value>>,
    /// `now` when it was signed (not `iat`, which is back-dated).
    signed_at: i64,
}

/// The claims and times, never the token.
impl std::fmt::Debug for TokenInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenInfo")
            .field("token", &"<redacted>")
            .field("claims", &self.claims)
            .field("signed_at", &self.signed_at)
            .finish()
    }
}

/// How the provider behaves, resolved from the rule table and the options.
#[derive(Debug, Clone, Copy)]
enum Renewal {
    /// A new token on every call.
    EveryCall,
    /// Reuse until a margin before `exp`.
    BeforeExpiry(Margin),
    /// Provider token: renew `after` seconds after signing, never within `floor` seconds.
    ProviderToken {
        after: i64,
        floor: i64,
        max_age: i64,
    },
}

/// A cached, self-renewing token for one service and one claims template.
///
/// ```
/// use std::sync::Arc;
/// use devtoken::{Claims, PrivateKey, Service, Signer, TokenProvider};
/// use devtoken::clock::ManualClock;
///
/// let signer = Signer::new(PrivateKey::generate()?, "ABC123DEFG")?;
/// let clock = Arc::new(ManualClock::new(1_699_999_200));  // a point of the 40-minute grid
/// let apns = TokenProvider::with_clock(signer, Service::Apns, Claims::new("DEF123GHIJ"),
///                                      Default::default(), clock.clone())?;
/// let first = apns.token()?;
/// clock.advance(39 * 60);
/// assert_eq!(apns.token()?, first);      // reused until the next grid point, 40 minutes on
/// clock.advance(60);
/// assert_ne!(apns.token()?, first);      // renewed: every process of the fleet does the same
/// # Ok::<(), devtoken::Error>(())
/// ```
#[derive(Debug)]
pub struct TokenProvider {
    signer: Arc<Signer>,
    service: Service,
    template: Claims,
    options: ProviderOptions,
    renewal: Renewal,
    clock: Arc<dyn Clock>,
    cache: RenewingCache<TokenInfo>,
    signatures: AtomicU64,
    /// The period of the shared `iat` grid, when aligned.
    grid: Option<i64>,
    /// The last measured offset of Apple's clock ([`observe_clock_offset`](Self::observe_clock_offset)).
    clock_offset: Mutex<Option<ClockOffset>>,
    /// How many tokens were back-dated by a measured offset.
    clock_corrections: AtomicU64,
}

impl TokenProvider {
    /// A provider on the system clock with default options.
    pub fn new(signer: impl Into<Arc<Signer>>, service: Service, template: Claims) -> Result<Self> {
        Self::with_clock(
            signer,
            service,
            template,
            ProviderOptions::default(),
            Arc::new(SystemClock),
        )
    }

    /// A provider with explicit options and clock. The template is checked at once: every
    /// error `sign_token` would give, this gives here.
    pub fn with_clock(
        signer: impl Into<Arc<Signer>>,
        service: Service,
        template: Claims,
        options: ProviderOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let signer = signer.into();
        if template.issued_at.is_some() || template.expires_at.is_some() {
            return Err(Error::option(
                "claims",
                OptionRule::Conflict,
                "a provider signs at the time of each renewal: leave issued_at and expires_at unset (ttl sets the \
                    lifetime)",
            ));
        }
        let margin = Margin::new(options.margin_fraction, options.min_margin_secs)?;
        let rules = service.rules();
        let renewal = match rules.reuse {
            ReusePolicy::PerRequest if !options.reuse_per_request_tokens => Renewal::EveryCall,
            ReusePolicy::PerRequest | ReusePolicy::UntilMargin => Renewal::BeforeExpiry(margin),
            ReusePolicy::ProviderToken {
                renew_after_secs,
                min_interval_secs,
                max_age_secs,
            } => {
                let after = options.renew_after_secs.unwrap_or(renew_after_secs);
                if after < min_interval_secs || after >= max_age_secs {
                    return Err(Error::option(
                        "renew_after_secs",
                        OptionRule::Range,
                        format!(
                            "{after} s is outside what {service} allows: at least {min_interval_secs} s between \
                                new tokens (429 TooManyProviderTokenUpdates) and under {max_age_secs} s of age \
                                (403 ExpiredProviderToken)"
                        ),
                    ));
                }
                Renewal::ProviderToken {
                    after: after as i64,
                    floor: min_interval_secs as i64,
                    max_age: max_age_secs as i64,
                }
            }
        };
        let json = build_token_json(
            rules,
            &template,
            signer.key_id(),
            clock.now(),
            signer.clock_skew_secs(),
        )?;
        let grid = alignment_period(service, &options)?.map(|period| period as i64);
        if let Some(period) = grid {
            check_grid(
                service,
                &renewal,
                &json.payload,
                period,
                signer.clock_skew_secs(),
            )?;
        }
        Ok(TokenProvider {
            signer,
            service,
            template,
            options,
            renewal,
            clock,
            cache: RenewingCache::new(),
            signatures: AtomicU64::new(0),
            grid,
            clock_offset: Mutex::new(None),
            clock_corrections: AtomicU64::new(0),
        })
    }

    /// The token to send now: the cached one while it is fresh, else a new one.
    pub fn token(&self) -> Result<String> {
        let now = self.clock.now();
        if let Renewal::EveryCall = self.renewal {
            return Ok(self.cache.replace(self.sign(now, false, 0)?).token);
        }
        self.cache
            .get(now, |info| info.token.clone(), |_| self.sign(now, true, 0))
    }

    /// Signs a new token now, for a caller whose token Apple refused (401/403). For provider
    /// tokens the 20-minute floor still holds: a refresh within it is an
    /// [`Error::RefreshTooSoon`].
    pub fn force_refresh(&self) -> Result<String> {
        let now = self.clock.now();
        let current = self
            .cache
            .current()
            .map(|cached| cached.value.token.clone());
        self.cache
            .renew_now(
                now,
                |current| self.allow_refresh(now, current),
                || self.sign_replacement(now, current.as_deref()),
            )
            .map(|info| info.token)
    }

    /// Whether `current` may be replaced at `now`: not within a provider token's floor.
    fn allow_refresh(&self, now: i64, current: Option<&Cached<TokenInfo>>) -> Result<()> {
        match (self.renewal, current) {
            (Renewal::ProviderToken { floor, .. }, Some(cached))
                if now.saturating_sub(cached.value.signed_at) < floor =>
            {
                let age = now.saturating_sub(cached.value.signed_at);
                Err(Error::RefreshTooSoon {
                    service: self.service,
                    age_secs: age,
                    min_interval_secs: floor as u64,
                    wait_secs: floor.saturating_sub(age),
                })
            }
            _ => Ok(()),
        }
    }

    /// The cached token while it is fresh, else `None`: never signs, never waits (an async
    /// caller's fast path before it calls [`token`](Self::token) off its event loop).
    pub fn fresh_token(&self) -> Option<String> {
        match self.renewal {
            Renewal::EveryCall => None,
            _ => self
                .cache
                .fresh(self.clock.now(), |info| info.token.clone()),
        }
    }

    /// For a caller whose `rejected` token Apple refused (401/403): a new token when `rejected`
    /// is still the current one (as [`force_refresh`](Self::force_refresh), floors included),
    /// else the current token, which another caller already renewed. However many callers
    /// report one refused token at once, it is replaced once.
    pub fn refresh_rejected(&self, rejected: &str) -> Result<String> {
        let now = self.clock.now();
        if let Renewal::EveryCall = self.renewal {
            let replacement = self.sign_replacement(now, Some(rejected))?;
            return Ok(self.cache.replace(replacement).token);
        }
        self.cache
            .renew_unless(
                now,
                |info| info.token != rejected,
                |current| self.allow_refresh(now, current),
                || self.sign_replacement(now, Some(rejected)),
            )
            .map(|info| info.token)
    }

    /// A token to replace `refused`: signed off the grid (the grid's token at this instant is
    /// the refused one), and, when that gives the same bytes (same second, RFC 6979), signed
    /// with `iat` one second earlier, so the replacement always differs.
    fn sign_replacement(&self, now: i64, refused: Option<&str>) -> Result<Cached<TokenInfo>> {
        let signed = self.sign(now, false, 0)?;
        match refused {
            Some(refused) if signed.value.token == refused => self.sign(now, false, 1),
            _ => Ok(signed),
        }
    }

    /// When the current token expires (`exp`, or for provider tokens when Apple stops accepting
    /// it), if one has been signed.
    pub fn expires_at(&self) -> Option<i64> {
        self.cache.current().map(|cached| cached.valid_until)
    }

    /// Seconds until the current token expires (negative once it has), if one has been signed;
    /// saturating, whatever the clock says.
    pub fn seconds_left(&self) -> Option<i64> {
        self.expires_at()
            .map(|at| at.saturating_sub(self.clock.now()))
    }

    /// The decoded claims of the current token, for logging (no key material).
    pub fn current_claims(&self) -> Option<Map<String, Value>> {
        self.cache
            .current()
            .map(|cached| cached.value.claims.as_ref().clone())
    }

    /// The options this provider was built with (the core's defaults where none were given).
    pub fn options(&self) -> &ProviderOptions {
        &self.options
    }

    /// How many tokens this provider has signed.
    pub fn signature_count(&self) -> u64 {
        self.signatures.load(Ordering::SeqCst)
    }

    /// The service the tokens are for.
    pub fn service(&self) -> Service {
        self.service
    }

    /// Records an offset of Apple's clock measured from an answer's `Date` header (the Maps and
    /// OAuth providers report each exchange's; a caller may report a probe's). When the local
    /// clock is surely ahead of Apple's by more than the clock skew's back-dating covers, the
    /// next tokens are signed at Apple's time: `iat` back-dated by the measured amount too,
    /// bounded so that skew and correction stay within
    /// [`MAX_CLOCK_SKEW_SECS`](crate::contract::options::MAX_CLOCK_SKEW_SECS) (the bound every
    /// service's floor was checked with). An aligned provider reads its grid from that
    /// corrected clock, so a corrected fleet still signs identical tokens. Returns whether the
    /// correction changed (then a token Apple refused for its `iat` is worth replacing).
    pub fn observe_clock_offset(&self, offset: ClockOffset) -> bool {
        let mut last = self.clock_offset.lock().unwrap_or_else(|p| p.into_inner());
        let before = last.map_or(0, |o| self.correction_for(&o));
        *last = Some(offset);
        self.correction_for(&offset) != before
    }

    /// The last measured offset of Apple's clock, if any.
    pub fn clock_offset(&self) -> Option<ClockOffset> {
        *self.clock_offset.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many tokens were back-dated by a measured clock offset.
    pub fn clock_corrections(&self) -> u64 {
        self.clock_corrections.load(Ordering::SeqCst)
    }

    /// Seconds to move "now" back for `offset`: what the skew does not cover, bounded.
    fn correction_for(&self, offset: &ClockOffset) -> i64 {
        let skew = self.signer.clock_skew_secs() as i64;
        let room = crate::contract::options::MAX_CLOCK_SKEW_SECS as i64 - skew;
        match offset.local_ahead_secs() {
            ahead if ahead > skew => ahead.min(room).max(0),
            _ => 0,
        }
    }

    /// The period of the shared `iat` grid this provider aligns on, if it does.
    pub fn alignment_period_secs(&self) -> Option<u64> {
        self.grid.map(|period| period as u64)
    }

    /// Signs a token at `now` (on the grid when aligned and `on_grid`) and works out when to
    /// renew it.
    /// `backdate` moves `iat` that many seconds further back (for a replacement).
    fn sign(&self, now: i64, on_grid: bool, backdate: i64) -> Result<Cached<TokenInfo>> {
        let grid = self.grid.filter(|_| on_grid);
        // Apple's time, when a measured offset says the local clock runs ahead.
        let correction = self
            .clock_offset()
            .map_or(0, |offset| self.correction_for(&offset));
        let apple_now = now.saturating_sub(correction).saturating_sub(backdate);
        let token = match grid {
            Some(period) => {
                let iat =
                    aligned_issued_at(apple_now, period as u64, self.signer.clock_skew_secs());
                let claims = self.template.clone().issued_at(iat);
                self.signer
                    .sign_token_at(self.service, &claims, apple_now)?
            }
            None => self
                .signer
                .sign_token_at(self.service, &self.template, apple_now)?,
        };
        if correction > 0 {
            self.clock_corrections.fetch_add(1, Ordering::SeqCst);
        }
        self.signatures.fetch_add(1, Ordering::SeqCst);
        let claims = decode_token(&token)?.claims;
        let iat = claims.get("iat").and_then(Value::as_i64).unwrap_or(now);
        let exp = claims.get("exp").and_then(Value::as_i64);
        let (renew_at, valid_until) = match (self.renewal, exp, self.service.rules().lifetime) {
            (Renewal::EveryCall, Some(exp), _) => (now, exp),
            (Renewal::BeforeExpiry(margin), Some(exp), _) => (margin.renew_at(exp, exp - iat), exp),
            // The floor holds on elapsed time whatever the skew: `iat` is back-dated by at most
            // MAX_CLOCK_SKEW_SECS, so `iat + max_age` lies beyond `now + floor`.
            (
                Renewal::ProviderToken {
                    after,
                    max_age,
                    floor,
                },
                _,
                _,
            ) => (
                now.saturating_add(after)
                    .min(iat.saturating_add(max_age))
                    .max(now.saturating_add(floor)),
                iat.saturating_add(max_age),
            ),
            (_, None, Lifetime::NoExpiry { max_age_secs }) => {
                (now, iat.saturating_add(max_age_secs as i64))
            }
            (_, None, _) => (now, now),
        };
        // Aligned: renew at the next grid point, which every process shares; after an
        // off-grid refresh, at the first grid point the renewal rules allow.
        let renew_at = match (self.grid, self.renewal) {
            // The next grid point by Apple's time, as a local time.
            (Some(period), Renewal::ProviderToken { floor, .. }) => {
                let next = grid_start(apple_now, period)
                    .saturating_add(period)
                    .saturating_add(correction);
                if grid.is_some() {
                    next
                } else {
                    next.max(now.saturating_add(floor))
                }
            }
            (Some(period), Renewal::BeforeExpiry(_)) => grid_start(apple_now, period)
                .saturating_add(period)
                .saturating_add(correction)
                .min(renew_at),
            _ => renew_at,
        };
        Ok(Cached {
            value: TokenInfo {
                token,
                claims: Arc::new(claims),
                signed_at: now,
            },
            renew_at,
            valid_until,
        })
    }
}

/// Checks that a grid of `period` seconds keeps every lifetime rule of `service`: a token signed
/// at a grid point must still be valid, margin included, at the next one.
fn check_grid(
    service: Service,
    renewal: &Renewal,
    payload: &Map<String, Value>,
    period: i64,
    skew: u64,
) -> Result<()> {
    let skew = skew as i64;
    let fits = match *renewal {
        Renewal::ProviderToken { floor, max_age, .. } => {
            period >= floor && period.saturating_add(skew) < max_age
        }
        Renewal::BeforeExpiry(margin) => {
            let iat = payload.get("iat").and_then(Value::as_i64).unwrap_or(0);
            let exp = payload.get("exp").and_then(Value::as_i64).unwrap_or(iat);
            let lifetime = exp.saturating_sub(iat);
            // Worst case: signed at a grid point, back-dated by the skew.
            margin.renew_at(lifetime.saturating_sub(skew), lifetime) >= period
        }
        Renewal::EveryCall => true,
    };
    if fits {
        Ok(())
    } else {
        Err(Error::option(
            "aligned",
            OptionRule::Conflict,
            format!(
                "a {period} s grid does not fit {service} tokens with these settings: a token signed at one grid \
                 point, back-dated by the {skew} s clock skew, must still be valid (margin included) at the next \
                 and, for provider tokens, be replaced no sooner than Apple allows; lengthen ttl, shorten the \
                 margin or turn alignment off"
            ),
        ))
    }
}
