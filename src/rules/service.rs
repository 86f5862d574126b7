//! Apple services and the rule table that describes each one's token.
//!
//! The table mirrors `docs/apple-token-rules.md` (the project's spec, written from Apple's pages): one
//! [`ServiceRules`] entry per service. Signing ([`crate::token::claims`]) and inspection
//! ([`crate::token::inspect`]) check claims with the one interpreter of this table,
//! [`crate::rules::check`].

use std::fmt;
use std::str::FromStr;

/// Six months in seconds, the longest lifetime Apple Music and Sign in with Apple accept.
pub const SIX_MONTHS_SECS: u64 = 15_777_000;

/// 180 days in seconds, the longest lifetime of an OAuth client assertion (Apple School and
/// Business Manager, Apple Ads).
pub const ONE_HUNDRED_EIGHTY_DAYS_SECS: u64 = 180 * 86_400;

/// An Apple server API that takes an ES256 developer token.
///
/// ```
/// use devtoken::Service;
/// let service: Service = "app-store-server".parse().unwrap();
/// assert_eq!(service, Service::AppStoreServer);
/// assert_eq!(service.rules().audience, Some("appstoreconnect-v1"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// Maps Server API and MapKit JS.
    Maps,
    /// Apple Music API / MusicKit (ShazamKit uses the same token).
    AppleMusic,
    /// App Store Server API (also Retention Messaging and Advanced Commerce).
    AppStoreServer,
    /// External Purchase Server API.
    ExternalPurchaseServer,
    /// Apps and Books Metadata for Organizations API.
    AppsAndBooks,
    /// App Store Connect API, team keys (`iss` = issuer ID) or individual keys (`sub` = `user`).
    AppStoreConnect,
    /// Enterprise Program API.
    EnterpriseProgram,
    /// WeatherKit REST API.
    WeatherKit,
    /// Sign in with Apple client secret (also Account & Organizational Data Sharing).
    SignInWithApple,
    /// APNs provider token.
    Apns,
    /// DeviceCheck / App Attest server calls.
    DeviceCheck,
    /// Apple School Manager API: an OAuth client assertion exchanged for an access token.
    SchoolManager,
    /// Apple Business Manager API: an OAuth client assertion exchanged for an access token.
    BusinessManager,
    /// Apple Ads (Campaign Management and Platform APIs): an OAuth client secret exchanged for an
    /// access token.
    AppleAds,
}

impl Service {
    /// Every service, in the order of the rules table; read from the table, so a new service is
    /// one variant and one row.
    pub const ALL: [Service; RULES.len()] = {
        let mut all = [Service::Maps; RULES.len()];
        let mut at = 0;
        while at < RULES.len() {
            all[at] = RULES[at].service;
            at += 1;
        }
        all
    };

    /// The rules this service applies to its tokens.
    pub fn rules(self) -> &'static ServiceRules {
        &RULES[self as usize]
    }

    /// Apple's name for the service, e.g. `App Store Server API`.
    pub fn display_name(self) -> &'static str {
        self.rules().name
    }

    /// The kebab-case name used on the command line, e.g. `app-store-server`.
    pub fn cli_name(self) -> &'static str {
        self.rules().cli_name
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// The error of parsing an unknown service name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown service '{}'; expected one of: {}",
    crate::base::text::shorten(given, 60),
    Service::ALL.iter().map(|s| s.cli_name()).collect::<Vec<_>>().join(", ")
)]
pub struct UnknownService {
    /// The name that was given.
    pub given: String,
}

impl FromStr for Service {
    type Err = UnknownService;

    /// Parses the command-line name (`apple-music`); `_` and upper case are accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Service::ALL
            .into_iter()
            .find(|service| service.cli_name() == wanted)
            .ok_or_else(|| UnknownService {
                given: s.to_string(),
            })
    }
}

/// What the `iss` claim holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerRule {
    /// A 10-character Team ID.
    TeamId,
    /// An issuer ID (a UUID) from App Store Connect.
    IssuerId,
    /// An issuer ID for team keys; absent for individual keys, which send `sub` = `user` instead.
    IssuerIdOrIndividualKey,
    /// An OAuth client id or team id: `<prefix>.<uuid>`, e.g. `SEARCHADS.<uuid>`.
    PrefixedUuid(&'static str),
}

/// What the `sub` claim holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectRule {
    /// The service defines no `sub`.
    NotDefined,
    /// A reverse-DNS identifier is required: WeatherKit's service id, Sign in with Apple's client id.
    ReverseDnsId,
    /// App Store Connect individual keys: `sub` is exactly `user` (and then there is no `iss`).
    IndividualKeyUser,
    /// An OAuth client id `<prefix>.<uuid>` (Apple Ads: `SEARCHADS.<uuid>`).
    PrefixedUuid(&'static str),
    /// The same value as `iss` (Apple School and Business Manager: both are the client id);
    /// filled from `iss` when not given.
    SameAsIssuer,
}

/// What the header's `kid` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyIdRule {
    /// The 10-character key id shown with the key (`AuthKey_<KEYID>.p8`).
    TenCharacter,
    /// A UUID (Apple School and Business Manager, Apple Ads).
    Uuid,
}

/// Which form field carries the signed JWT in an OAuth token exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssertionField {
    /// `client_assertion`, with `client_assertion_type` =
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer` (Apple School and Business
    /// Manager).
    ClientAssertion,
    /// `client_secret` (Apple Ads).
    ClientSecret,
}

/// Where and how a service's signed JWT is exchanged for an access token (OAuth 2 client
/// credentials).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenExchange {
    /// Apple's base URL, e.g. `https://appleid.apple.com`.
    pub base_url: &'static str,
    /// The token endpoint's path, e.g. `/auth/oauth2/token`.
    pub path: &'static str,
    /// The form field that carries the JWT.
    pub assertion_field: AssertionField,
    /// The `scope` form field, e.g. `searchadsorg`.
    pub scope: &'static str,
}

/// How a claim that is either absent or present is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// The service does not define the claim.
    NotDefined,
    /// The service requires it.
    Required,
    /// The service accepts it when given.
    Optional,
}

/// How the `origin` claim is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginRule {
    /// Not defined.
    NotDefined,
    /// One string (Maps).
    Single,
    /// An array of strings (Apple Music).
    List,
}

/// How the `scope` claim is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeRule {
    /// Not defined.
    NotDefined,
    /// One string holding a space-separated list (Maps: `server_api`).
    SpaceSeparated,
    /// An array of strings (App Store Connect: `"GET /v1/apps?..."`).
    List,
}

/// How long a token may live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// The token carries `exp`.
    Expiring {
        /// The longest `exp − iat` Apple accepts, or `None` where Apple publishes no limit.
        max_secs: Option<u64>,
        /// The longest `exp − iat` when every `scope` entry is a `GET` call (App Store Connect).
        max_secs_with_get_only_scope: Option<u64>,
        /// What devtoken uses when the caller gives neither `ttl` nor `expires_at`.
        default_secs: u64,
    },
    /// The token carries no `exp`; Apple refuses it once `iat` is older than `max_age_secs`.
    NoExpiry {
        /// The age past which Apple rejects the token.
        max_age_secs: u64,
    },
}

/// When a cached token may be handed out again (the TokenProvider's policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReusePolicy {
    /// Reuse until less than a margin of the lifetime is left.
    UntilMargin,
    /// A new token for every request, as Apple instructs; reuse only on explicit opt-in.
    PerRequest,
    /// A provider token without `exp`: renew after `renew_after_secs`, never sooner than
    /// `min_interval_secs` after the previous one, never later than `max_age_secs`.
    ProviderToken {
        /// Default age at which a new token is signed.
        renew_after_secs: u64,
        /// Apple answers 429 TooManyProviderTokenUpdates below this interval.
        min_interval_secs: u64,
        /// Apple answers 403 ExpiredProviderToken past this age.
        max_age_secs: u64,
    },
}

/// Whether a provider puts `iat` on a fixed grid of renewal periods (UNIX time divided by the
/// period, back-dated by the clock skew), so that every process whose clock agrees signs the same
/// claims at the same instants and, with a deterministic key, the same bytes: one token for a
/// whole fleet, without coordination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alignment {
    /// Never aligned: each token must be unique; `reason` says why.
    Never {
        /// Why (for the error when alignment is asked for).
        reason: &'static str,
    },
    /// Aligned unless turned off, on the grid of the provider-token renewal period
    /// ([`ReusePolicy::ProviderToken`]'s `renew_after_secs`, or the provider's own).
    ByDefault,
    /// Aligned when asked, on a grid of `period_secs`: short enough that a token signed at a
    /// grid point still has its renewal margin left at the next one, at the default lifetime.
    OnRequest {
        /// The grid's period in seconds.
        period_secs: u64,
    },
}

/// A documented endpoint that answers 200 for a valid token (used by `probe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestEndpoint {
    /// Apple's base URL, e.g. `https://api.music.apple.com`.
    pub base_url: &'static str,
    /// The path under it, e.g. `/v1/test`.
    pub path: &'static str,
}

/// What Apple does in the field beyond its pages (the spec's section "What Apple does in the
/// field"): it only grades what [`crate::inspect_token`] and the CLI report, never what signing
/// accepts. [`crate::rules::field`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldBehaviour {
    /// Apple is known to reject a DER-encoded (ASN.1) signature: an error, not a warning.
    pub rejects_der_signature: bool,
    /// The longest `exp − iat` the service has been seen to accept, where that is less than the
    /// limit on its page: a warning above it.
    pub max_lifetime_secs: Option<u64>,
    /// The service accepts a token without `iat` (Apple's own libraries send none).
    pub accepts_missing_iat: bool,
}

/// A service seen to behave as its page says.
const AS_DOCUMENTED: FieldBehaviour = FieldBehaviour {
    rejects_der_signature: false,
    max_lifetime_secs: None,
    accepts_missing_iat: false,
};

/// One row of the rule table: everything devtoken knows about a service's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceRules {
    /// The service this row describes.
    pub service: Service,
    /// Apple's name for the service.
    pub name: &'static str,
    /// The command-line name.
    pub cli_name: &'static str,
    /// What `kid` holds.
    pub key_id: KeyIdRule,
    /// Whether the header carries `typ: "JWT"`.
    pub typ_header: bool,
    /// Whether the header carries WeatherKit's `id` = `<Team ID>.<service id>`.
    pub team_service_id_header: bool,
    /// What `iss` holds.
    pub issuer: IssuerRule,
    /// What `iss` is called in the messages: Team ID, issuer ID, client id (Apple School and
    /// Business Manager) or team id (Apple Ads).
    pub issuer_names: &'static str,
    /// The fixed `aud`, when the service has one.
    pub audience: Option<&'static str>,
    /// What `sub` holds.
    pub subject: SubjectRule,
    /// Whether `jti` (a unique id per token) is sent; when required and not given, a random
    /// UUID v4 is used.
    pub jwt_id: Presence,
    /// Whether `bid` (the app's bundle id) is sent.
    pub bundle_id: Presence,
    /// Whether and how `origin` is sent.
    pub origin: OriginRule,
    /// Whether and how `scope` is sent.
    pub scope: ScopeRule,
    /// How long a token may live.
    pub lifetime: Lifetime,
    /// When a cached token may be reused.
    pub reuse: ReusePolicy,
    /// Whether a provider aligns `iat` on a grid shared by every process.
    pub alignment: Alignment,
    /// The endpoint that tells whether Apple accepts a token, where Apple documents one.
    pub test_endpoint: Option<TestEndpoint>,
    /// The OAuth token endpoint the token is exchanged at, for client assertions.
    pub token_exchange: Option<TokenExchange>,
    /// What Apple does in the field beyond its pages.
    pub field: FieldBehaviour,
    /// Where the rules come from.
    pub source: &'static str,
}

impl ServiceRules {
    /// The longest lifetime allowed for a token with this `scope` list, if Apple states one.
    pub fn max_lifetime_secs(&self, scope: &[String]) -> Option<u64> {
        match self.lifetime {
            Lifetime::Expiring {
                max_secs,
                max_secs_with_get_only_scope,
                ..
            } => match max_secs_with_get_only_scope {
                Some(extended)
                    if !scope.is_empty() && scope.iter().all(|s| s.starts_with("GET ")) =>
                {
                    Some(extended)
                }
                _ => max_secs,
            },
            Lifetime::NoExpiry { max_age_secs } => Some(max_age_secs),
        }
    }

    /// The payload members this service defines, in token order, each required or optional.
    ///
    /// ```
    /// use devtoken::service::Presence;
    /// let members = devtoken::Service::Apns.rules().payload_members();
    /// assert_eq!(members, [("iss", Presence::Required), ("iat", Presence::Required)]);
    /// ```
    pub fn payload_members(&self) -> Vec<(&'static str, Presence)> {
        let optional_if = |defined: bool| defined.then_some(Presence::Optional);
        let issuer = match self.issuer {
            IssuerRule::TeamId | IssuerRule::IssuerId | IssuerRule::PrefixedUuid(_) => {
                Presence::Required
            }
            IssuerRule::IssuerIdOrIndividualKey => Presence::Optional,
        };
        let subject = match self.subject {
            SubjectRule::NotDefined => None,
            SubjectRule::ReverseDnsId
            | SubjectRule::PrefixedUuid(_)
            | SubjectRule::SameAsIssuer => Some(Presence::Required),
            SubjectRule::IndividualKeyUser => Some(Presence::Optional),
        };
        [
            ("iss", Some(issuer)),
            ("iat", Some(Presence::Required)),
            ("exp", self.has_expiry().then_some(Presence::Required)),
            ("aud", self.audience.map(|_| Presence::Required)),
            ("sub", subject),
            (
                "jti",
                (self.jwt_id != Presence::NotDefined).then_some(self.jwt_id),
            ),
            (
                "bid",
                (self.bundle_id != Presence::NotDefined).then_some(self.bundle_id),
            ),
            ("origin", optional_if(self.origin != OriginRule::NotDefined)),
            ("scope", optional_if(self.scope != ScopeRule::NotDefined)),
        ]
        .into_iter()
        .filter_map(|(name, presence)| presence.map(|p| (name, p)))
        .collect()
    }

    /// The header members this service defines, in token order.
    pub fn header_members(&self) -> Vec<&'static str> {
        let mut members = vec!["alg", "kid"];
        if self.typ_header {
            members.push("typ");
        }
        if self.team_service_id_header {
            members.push("id");
        }
        members
    }

    /// Whether tokens of this service carry `exp`.
    pub fn has_expiry(&self) -> bool {
        matches!(self.lifetime, Lifetime::Expiring { .. })
    }
}

const REUSE_UNTIL_MARGIN: ReusePolicy = ReusePolicy::UntilMargin;
const PROVIDER_TOKEN_REUSE: ReusePolicy = ReusePolicy::ProviderToken {
    renew_after_secs: 40 * 60,
    min_interval_secs: 20 * 60,
    max_age_secs: 60 * 60,
};

/// Shorthand for an expiring lifetime without the App Store Connect scope exception.
const fn expiring(max_secs: Option<u64>, default_secs: u64) -> Lifetime {
    Lifetime::Expiring {
        max_secs,
        max_secs_with_get_only_scope: None,
        default_secs,
    }
}

/// A token with only `iss` (Team ID), `iat` and `exp`: the base several services share.
const TEAM_TOKEN: ServiceRules = ServiceRules {
    service: Service::AppsAndBooks,
    name: "",
    cli_name: "",
    key_id: KeyIdRule::TenCharacter,
    typ_header: false,
    team_service_id_header: false,
    issuer: IssuerRule::TeamId,
    issuer_names: "Team ID",
    audience: None,
    subject: SubjectRule::NotDefined,
    jwt_id: Presence::NotDefined,
    bundle_id: Presence::NotDefined,
    origin: OriginRule::NotDefined,
    scope: ScopeRule::NotDefined,
    // Apple publishes no limit for several services; devtoken defaults to one hour.
    lifetime: expiring(None, 3600),
    reuse: REUSE_UNTIL_MARGIN,
    // Half the default hour: a token signed at a grid point has 30 minutes left at the next.
    alignment: Alignment::OnRequest { period_secs: 1800 },
    test_endpoint: None,
    token_exchange: None,
    field: AS_DOCUMENTED,
    source: "",
};

/// The App Store Server API token, shared by the External Purchase Server API.
const APP_STORE_SERVER_TOKEN: ServiceRules = ServiceRules {
    typ_header: true,
    issuer: IssuerRule::IssuerId,
    issuer_names: "issuer ID",
    audience: Some("appstoreconnect-v1"),
    bundle_id: Presence::Required,
    // At most 60 minutes; Apple's App Store Server Library signs 5-minute tokens per request.
    lifetime: expiring(Some(3600), 300),
    reuse: ReusePolicy::PerRequest,
    alignment: Alignment::Never {
        reason: "Apple asks for a new token for each request to this API",
    },
    source: "Apple docs: appstoreserverapi/generating-json-web-tokens-for-api-requests",
    ..TEAM_TOKEN
};

/// An OAuth client assertion (Apple School and Business Manager): `iss` = `sub` = the client id,
/// a UUID key id, a fresh `jti`, at most 180 days.
const CLIENT_ASSERTION: ServiceRules = ServiceRules {
    key_id: KeyIdRule::Uuid,
    audience: Some("https://account.apple.com/auth/oauth2/v2/token"),
    subject: SubjectRule::SameAsIssuer,
    jwt_id: Presence::Required,
    alignment: Alignment::Never {
        reason: "each client assertion carries a unique jti",
    },
    // The longest Apple allows, less a day: the provider renews it long before, and `inspect`
    // warns 30 days ahead.
    lifetime: expiring(
        Some(ONE_HUNDRED_EIGHTY_DAYS_SECS),
        ONE_HUNDRED_EIGHTY_DAYS_SECS - 86_400,
    ),
    source: "Apple docs: Implementing OAuth for the Apple School Manager and Apple Business API",
    ..TEAM_TOKEN
};

/// The rule table, indexed by `Service as usize` (checked when the crate compiles).
const RULES: &[ServiceRules] = &[
    ServiceRules {
        service: Service::Maps,
        name: "Maps Server API / MapKit JS",
        cli_name: "maps",
        typ_header: true,
        origin: OriginRule::Single,
        scope: ScopeRule::SpaceSeparated,
        // No published limit; 30 minutes is the usual web token life.
        lifetime: expiring(None, 1800),
        alignment: Alignment::OnRequest { period_secs: 900 },
        test_endpoint: Some(TestEndpoint {
            base_url: "https://maps-api.apple.com",
            path: "/v1/token",
        }),
        source: "Apple docs: mapkitjs/creating-a-maps-token",
        ..TEAM_TOKEN
    },
    ServiceRules {
        service: Service::AppleMusic,
        name: "Apple Music API",
        cli_name: "apple-music",
        origin: OriginRule::List,
        lifetime: expiring(Some(SIX_MONTHS_SECS), 3600),
        // Tokens living longer than 180 days have been rejected although the page allows more.
        field: FieldBehaviour {
            max_lifetime_secs: Some(ONE_HUNDRED_EIGHTY_DAYS_SECS),
            ..AS_DOCUMENTED
        },
        test_endpoint: Some(TestEndpoint {
            base_url: "https://api.music.apple.com",
            path: "/v1/test",
        }),
        source: "Apple docs: applemusicapi/generating-developer-tokens",
        ..TEAM_TOKEN
    },
    ServiceRules {
        service: Service::AppStoreServer,
        name: "App Store Server API",
        cli_name: "app-store-server",
        // Rejects DER signatures; Apple's own libraries send no iat and are accepted.
        field: FieldBehaviour {
            rejects_der_signature: true,
            accepts_missing_iat: true,
            ..AS_DOCUMENTED
        },
        ..APP_STORE_SERVER_TOKEN
    },
    ServiceRules {
        service: Service::ExternalPurchaseServer,
        name: "External Purchase Server API",
        cli_name: "external-purchase-server",
        ..APP_STORE_SERVER_TOKEN
    },
    ServiceRules {
        service: Service::AppsAndBooks,
        name: "Apps and Books Metadata for Organizations API",
        cli_name: "apps-and-books",
        test_endpoint: Some(TestEndpoint {
            base_url: "https://api.ent.apple.com",
            path: "/v1/test",
        }),
        source: "Apple docs: appsandbooksfororganizations/generating-developer-tokens",
        ..TEAM_TOKEN
    },
    ServiceRules {
        service: Service::AppStoreConnect,
        name: "App Store Connect API",
        cli_name: "app-store-connect",
        typ_header: true,
        issuer: IssuerRule::IssuerIdOrIndividualKey,
        issuer_names: "issuer ID",
        audience: Some("appstoreconnect-v1"),
        subject: SubjectRule::IndividualKeyUser,
        scope: ScopeRule::List,
        lifetime: Lifetime::Expiring {
            max_secs: Some(20 * 60),
            max_secs_with_get_only_scope: Some(SIX_MONTHS_SECS),
            default_secs: 15 * 60,
        },
        // 5 minutes: a 15-minute token signed at a grid point keeps its margin at the next.
        alignment: Alignment::OnRequest { period_secs: 300 },
        field: FieldBehaviour {
            rejects_der_signature: true,
            ..AS_DOCUMENTED
        },
        source: "Apple docs: appstoreconnectapi/generating-tokens-for-api-requests",
        ..TEAM_TOKEN
    },
    ServiceRules {
        service: Service::EnterpriseProgram,
        name: "Enterprise Program API",
        cli_name: "enterprise-program",
        typ_header: true,
        issuer: IssuerRule::IssuerId,
        issuer_names: "issuer ID",
        audience: Some("apple-developer-enterprise-v1"),
        scope: ScopeRule::List,
        lifetime: expiring(Some(20 * 60), 15 * 60),
        alignment: Alignment::OnRequest { period_secs: 300 },
        source: "Apple docs: enterpriseprogramapi/generating-tokens-for-api-requests",
        ..TEAM_TOKEN
    },
    ServiceRules {
        service: Service::WeatherKit,
        name: "WeatherKit REST API",
        cli_name: "weatherkit",
        team_service_id_header: true,
        subject: SubjectRule::ReverseDnsId,
        source: "Apple docs: Request authentication for WeatherKit REST API",
        ..TEAM_TOKEN
    },
    ServiceRules {
        service: Service::SignInWithApple,
        name: "Sign in with Apple",
        cli_name: "sign-in-with-apple",
        audience: Some("https://appleid.apple.com"),
        subject: SubjectRule::ReverseDnsId,
        lifetime: expiring(Some(SIX_MONTHS_SECS), 3600),
        source: "Apple docs: accountorganizationaldatasharing/creating-a-client-secret",
        ..TEAM_TOKEN
    },
    ServiceRules {
        service: Service::Apns,
        name: "APNs",
        cli_name: "apns",
        lifetime: Lifetime::NoExpiry { max_age_secs: 3600 },
        reuse: PROVIDER_TOKEN_REUSE,
        alignment: Alignment::ByDefault,
        source: "Apple docs: usernotifications/establishing-a-token-based-connection-to-apns",
        ..TEAM_TOKEN
    },
    ServiceRules {
        service: Service::DeviceCheck,
        name: "DeviceCheck",
        cli_name: "device-check",
        lifetime: Lifetime::NoExpiry { max_age_secs: 3600 },
        reuse: PROVIDER_TOKEN_REUSE,
        alignment: Alignment::ByDefault,
        source: "Apple docs: Accessing and modifying per-device data",
        ..TEAM_TOKEN
    },
    ServiceRules {
        service: Service::SchoolManager,
        name: "Apple School Manager API",
        cli_name: "school-manager",
        issuer: IssuerRule::PrefixedUuid("SCHOOLAPI"),
        issuer_names: "client id",
        token_exchange: Some(TokenExchange {
            base_url: "https://account.apple.com",
            path: "/auth/oauth2/token",
            assertion_field: AssertionField::ClientAssertion,
            scope: "school.api",
        }),
        ..CLIENT_ASSERTION
    },
    ServiceRules {
        service: Service::BusinessManager,
        name: "Apple Business Manager API",
        cli_name: "business-manager",
        issuer: IssuerRule::PrefixedUuid("BUSINESSAPI"),
        issuer_names: "client id",
        token_exchange: Some(TokenExchange {
            base_url: "https://account.apple.com",
            path: "/auth/oauth2/token",
            assertion_field: AssertionField::ClientAssertion,
            scope: "business.api",
        }),
        ..CLIENT_ASSERTION
    },
    ServiceRules {
        service: Service::AppleAds,
        name: "Apple Ads API",
        cli_name: "apple-ads",
        key_id: KeyIdRule::Uuid,
        issuer: IssuerRule::PrefixedUuid("SEARCHADS"),
        issuer_names: "team id",
        audience: Some("https://appleid.apple.com"),
        subject: SubjectRule::PrefixedUuid("SEARCHADS"),
        lifetime: expiring(
            Some(ONE_HUNDRED_EIGHTY_DAYS_SECS),
            ONE_HUNDRED_EIGHTY_DAYS_SECS - 86_400,
        ),
        token_exchange: Some(TokenExchange {
            base_url: "https://appleid.apple.com",
            path: "/auth/oauth2/token",
            assertion_field: AssertionField::ClientSecret,
            scope: "searchadsorg",
        }),
        source: "Apple docs: Implementing OAuth for the Apple Ads API",
        ..TEAM_TOKEN
    },
];

// Row `n` describes the service whose discriminant is `n`, so `Service::rules` can index.
crate::base::table::assert_rows_in_enum_order!(RULES, service);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_service() {
        for service in Service::ALL {
            assert_eq!(service.rules().service, service);
            assert!(!service.rules().name.is_empty());
            assert!(!service.rules().source.is_empty());
        }
    }

    #[test]
    fn cli_names_round_trip_and_are_unique() {
        let mut names: Vec<_> = Service::ALL.iter().map(|s| s.cli_name()).collect();
        for service in Service::ALL {
            assert_eq!(service.cli_name().parse::<Service>().unwrap(), service);
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Service::ALL.len());
        assert_eq!(
            "APPLE_MUSIC".parse::<Service>().unwrap(),
            Service::AppleMusic
        );
        let err = "music".parse::<Service>().unwrap_err();
        assert!(err.to_string().contains("apple-music"), "{err}");
    }

    #[test]
    fn app_store_connect_allows_six_months_only_for_get_scopes() {
        let rules = Service::AppStoreConnect.rules();
        assert_eq!(rules.max_lifetime_secs(&[]), Some(1200));
        let get = vec!["GET /v1/apps".to_string()];
        assert_eq!(rules.max_lifetime_secs(&get), Some(SIX_MONTHS_SECS));
        let mixed = vec!["GET /v1/apps".to_string(), "POST /v1/apps".to_string()];
        assert_eq!(rules.max_lifetime_secs(&mixed), Some(1200));
    }

    #[test]
    fn default_lifetimes_fit_their_limits() {
        for service in Service::ALL {
            let rules = service.rules();
            if let Lifetime::Expiring {
                max_secs: Some(max),
                default_secs,
                ..
            } = rules.lifetime
            {
                assert!(default_secs <= max - 60, "{service}");
            }
        }
    }
}
