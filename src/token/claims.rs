//! The claims a caller fills, and their validation against a service's rules.
//!
//! [`Claims`] is one record for every service; the signer checks it against the
//! service's [`ServiceRules`] and produces the header and payload JSON objects in a fixed member
//! order:
//!
//! - header: `alg`, `kid`, `typ`, `id`
//! - payload: `iss`, `iat`, `exp`, `aud`, `sub`, `jti`, `bid`, `origin`, `scope`
//!
//! (each only when the service defines it). Nothing is clamped or dropped: a value the service
//! does not accept is an error naming the field and the rule.

use serde_json::{Map, Value};

use crate::contract::error::{Error, Result, Rule};
use crate::rules::check;
use crate::rules::identifiers::{self, IdentifierShape};
use crate::rules::service::{
    IssuerRule, KeyIdRule, Lifetime, OriginRule, Presence, ScopeRule, ServiceRules, SubjectRule,
};

/// What goes into a token's payload. Fill what the service needs; the rest stays `None`/empty.
///
/// Times are integer UNIX seconds (UTC). Give `expires_at` or `ttl` (lifetime in seconds), not
/// both; with neither, the service's default lifetime applies. Without `issued_at`, the signer
/// uses "now" back-dated by its clock-skew allowance and moves `exp` with it.
///
/// ```
/// use devtoken::Claims;
/// let claims = Claims::new("57246542-96fe-1a63-e053-0824d011072a")
///     .bundle_id("com.example.app")
///     .ttl(1800);
/// assert_eq!(claims.ttl, Some(1800));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Claims {
    /// `iss`: the Team ID, or the issuer ID (UUID) for the App Store Connect family.
    pub issuer: Option<String>,
    /// `iat`: when the token is issued. Default: now minus the signer's clock skew.
    pub issued_at: Option<i64>,
    /// `exp`: when the token expires. Excludes `ttl`.
    pub expires_at: Option<i64>,
    /// Lifetime in seconds (`exp − iat`). Excludes `expires_at`.
    pub ttl: Option<i64>,
    /// `origin`: the web origins allowed to use the token (Maps: one; Apple Music: a list).
    pub origins: Vec<String>,
    /// `bid`: the app's bundle id (App Store Server API, External Purchase Server API).
    pub bundle_id: Option<String>,
    /// `sub`: WeatherKit service id, Sign in with Apple client id, `user` for App Store Connect
    /// individual keys, or the OAuth client id (Apple Ads; Apple School and Business Manager,
    /// where it defaults to `iss`).
    pub subject: Option<String>,
    /// `jti`: a unique id for this token (OAuth client assertions). Default: a random UUID v4,
    /// fresh for every token; give one for reproducible output.
    pub jwt_id: Option<String>,
    /// `scope`: Maps products (`server_api`) or App Store Connect calls (`GET /v1/apps`).
    pub scope: Vec<String>,
}

impl Claims {
    /// Claims with the given issuer (Team ID or issuer ID) and everything else unset.
    pub fn new(issuer: impl Into<String>) -> Self {
        Claims {
            issuer: Some(issuer.into()),
            ..Claims::default()
        }
    }

    /// Sets `issued_at` (UNIX seconds).
    pub fn issued_at(mut self, unix_secs: i64) -> Self {
        self.issued_at = Some(unix_secs);
        self
    }

    /// Sets `expires_at` (UNIX seconds).
    pub fn expires_at(mut self, unix_secs: i64) -> Self {
        self.expires_at = Some(unix_secs);
        self
    }

    /// Sets the lifetime in seconds.
    pub fn ttl(mut self, secs: i64) -> Self {
        self.ttl = Some(secs);
        self
    }

    /// Adds an origin.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origins.push(origin.into());
        self
    }

    /// Sets the bundle id.
    pub fn bundle_id(mut self, bundle_id: impl Into<String>) -> Self {
        self.bundle_id = Some(bundle_id.into());
        self
    }

    /// Sets the subject.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Sets the token id (`jti`).
    pub fn jwt_id(mut self, jwt_id: impl Into<String>) -> Self {
        self.jwt_id = Some(jwt_id.into());
        self
    }

    /// Adds a scope entry.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope.push(scope.into());
        self
    }
}

/// The validated header and payload of a token, ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TokenJson {
    pub header: Map<String, Value>,
    pub payload: Map<String, Value>,
}

/// Checks `claims` against `rules` and builds the header and payload.
///
/// `now` is the current UNIX time; `backdate_secs` is subtracted from it for `iat` when the caller
/// gives no `issued_at`.
pub(crate) fn build_token_json(
    rules: &ServiceRules,
    claims: &Claims,
    key_id: &str,
    now: i64,
    backdate_secs: u64,
) -> Result<TokenJson> {
    let unsupported = |field: &'static str, claim: &'static str| Error::UnsupportedClaim {
        field,
        claim,
        service: rules.service,
    };

    check_key_id_for(rules, key_id)?;
    let checked = |result: check::Checked| result.map_err(Error::from_problem);

    // The values the token will carry, then the rule table's checks on them (the same checks
    // inspection runs on a decoded token). What the service does not define is refused here.
    let given_sub = claims.subject.as_deref();
    checked(check::issuer(
        rules,
        claims.issuer.as_deref(),
        given_sub,
        key_id,
    ))?;
    let issuer = match (rules.issuer, given_sub) {
        (IssuerRule::IssuerIdOrIndividualKey, Some(_)) => None,
        _ => claims.issuer.clone(),
    };
    let subject = match rules.subject {
        SubjectRule::NotDefined if given_sub.is_some() => {
            return Err(unsupported("sub", "subject"))
        }
        SubjectRule::NotDefined => None,
        SubjectRule::SameAsIssuer if given_sub.is_none() => issuer.clone(),
        _ => claims.subject.clone(),
    };
    checked(check::subject(rules, subject.as_deref(), issuer.as_deref()))?;

    let jwt_id = match (rules.jwt_id, claims.jwt_id.as_deref()) {
        (Presence::NotDefined, Some(_)) => return Err(unsupported("jti", "jwt_id")),
        (Presence::Required, None) => Some(uuid::Uuid::new_v4().to_string()),
        (_, given) => given.map(str::to_string),
    };
    checked(check::jwt_id(rules, jwt_id.as_deref()))?;

    if rules.bundle_id == Presence::NotDefined && claims.bundle_id.is_some() {
        return Err(unsupported("bid", "bundle_id"));
    }
    let bundle_id = claims.bundle_id.as_deref();
    checked(check::bundle_id(rules, bundle_id))?;

    if rules.origin == OriginRule::NotDefined && !claims.origins.is_empty() {
        return Err(unsupported("origin", "origins"));
    }
    let origins: Vec<&str> = claims.origins.iter().map(String::as_str).collect();
    checked(check::origins(rules, &origins))?;
    let origin = match (rules.origin, claims.origins.as_slice()) {
        (_, []) => None,
        (OriginRule::Single, [one]) => Some(Value::String(one.clone())),
        (_, many) => Some(Value::Array(
            many.iter().cloned().map(Value::String).collect(),
        )),
    };

    if rules.scope == ScopeRule::NotDefined && !claims.scope.is_empty() {
        return Err(unsupported("scope", "scope"));
    }
    let entries: Vec<&str> = claims.scope.iter().map(String::as_str).collect();
    checked(check::scope(rules, &entries))?;
    let scope = match (rules.scope, claims.scope.as_slice()) {
        (_, []) => None,
        (ScopeRule::SpaceSeparated, entries) => Some(Value::String(entries.join(" "))),
        (_, entries) => Some(Value::Array(
            entries.iter().cloned().map(Value::String).collect(),
        )),
    };

    // iat and exp
    let (iat, exp) = resolve_times(rules, claims, now, backdate_secs)?;

    let mut header = Map::new();
    header.insert("alg".into(), "ES256".into());
    header.insert("kid".into(), key_id.into());
    if rules.typ_header {
        header.insert("typ".into(), "JWT".into());
    }
    if rules.team_service_id_header {
        if let (Some(team), Some(sub)) = (&issuer, &subject) {
            header.insert("id".into(), format!("{team}.{sub}").into());
        }
    }

    let mut payload = Map::new();
    if let Some(iss) = issuer {
        payload.insert("iss".into(), iss.into());
    }
    payload.insert("iat".into(), iat.into());
    if let Some(exp) = exp {
        payload.insert("exp".into(), exp.into());
    }
    if let Some(aud) = rules.audience {
        payload.insert("aud".into(), aud.into());
    }
    if let Some(sub) = subject {
        payload.insert("sub".into(), sub.into());
    }
    if let Some(jti) = jwt_id {
        payload.insert("jti".into(), jti.into());
    }
    if let Some(bid) = bundle_id {
        payload.insert("bid".into(), bid.into());
    }
    if let Some(origin) = origin {
        payload.insert("origin".into(), origin);
    }
    if let Some(scope) = scope {
        payload.insert("scope".into(), scope);
    }
    Ok(TokenJson { header, payload })
}

/// The largest time devtoken accepts: year 9999, far beyond any real token.
pub(crate) const MAX_UNIX_SECS: i64 = 253_402_300_799;

fn resolve_times(
    rules: &ServiceRules,
    claims: &Claims,
    now: i64,
    backdate_secs: u64,
) -> Result<(i64, Option<i64>)> {
    if !(0..=MAX_UNIX_SECS).contains(&now) {
        // The caller's clock: every difference below relies on it being in range.
        return Err(Error::claim(
            "iat",
            Rule::TimeRange,
            format!("now is {now}; expected UNIX seconds between 0 and {MAX_UNIX_SECS}"),
        ));
    }
    for (field, value) in [("iat", claims.issued_at), ("exp", claims.expires_at)] {
        if let Some(value) = value {
            if !(0..=MAX_UNIX_SECS).contains(&value) {
                return Err(Error::claim(
                    field,
                    Rule::TimeRange,
                    format!(
                        "{field} is {value}; expected UNIX seconds between 0 and {MAX_UNIX_SECS}"
                    ),
                ));
            }
        }
    }
    let iat = match claims.issued_at {
        Some(iat) if iat > now => {
            return Err(Error::claim(
                "iat",
                Rule::IatNotInFuture,
                format!(
                    "iat is {} s after now; Apple rejects tokens issued in the future",
                    iat - now
                ),
            ))
        }
        Some(iat) => iat,
        None => now
            .saturating_sub(i64::try_from(backdate_secs).unwrap_or(i64::MAX))
            .max(0),
    };

    match rules.lifetime {
        Lifetime::NoExpiry { .. } => {
            if claims.ttl.is_some() {
                return Err(Error::UnsupportedClaim {
                    field: "exp",
                    claim: "ttl",
                    service: rules.service,
                });
            }
            if claims.expires_at.is_some() {
                return Err(Error::UnsupportedClaim {
                    field: "exp",
                    claim: "expires_at",
                    service: rules.service,
                });
            }
            check::age(rules, now - iat).map_err(Error::from_problem)?;
            Ok((iat, None))
        }
        Lifetime::Expiring { default_secs, .. } => {
            let lifetime = match (claims.ttl, claims.expires_at) {
                (Some(_), Some(_)) => {
                    return Err(Error::claim(
                        "exp",
                        Rule::Exclusive,
                        "both expires_at and ttl are given; give one",
                    ))
                }
                (Some(ttl), None) => ttl,
                (None, Some(exp)) => exp - iat,
                (None, None) => default_secs as i64,
            };
            check::lifetime(rules, lifetime, &claims.scope).map_err(Error::from_problem)?;
            let exp = iat
                .checked_add(lifetime)
                .filter(|exp| *exp <= MAX_UNIX_SECS)
                .ok_or_else(|| {
                    Error::claim(
                        "exp",
                        Rule::TimeRange,
                        format!("iat + {lifetime} s is past year 9999"),
                    )
                })?;
            if exp <= now {
                return Err(Error::claim(
                    "exp",
                    Rule::Expired,
                    format!(
                        "exp is {} s before now; the token would already be expired",
                        now - exp
                    ),
                ));
            }
            Ok((iat, Some(exp)))
        }
    }
}

/// Checks a key id's shape when a signer is made: the 10-character id Apple shows with most keys,
/// or a UUID (Apple School and Business Manager, Apple Ads). Which one a service wants is
/// checked when signing ([`check_key_id_for`]).
pub(crate) fn check_key_id(key_id: &str) -> Result<()> {
    match identifiers::shape_of(key_id) {
        IdentifierShape::TenCharacter | IdentifierShape::Uuid => Ok(()),
        // Not echoed in full: a PEM pasted into the key-id slot must not be printed.
        IdentifierShape::Other
            if key_id.chars().count() > 40 || key_id.chars().any(char::is_control) =>
        {
            Err(Error::claim(
                "kid",
                Rule::Format,
                format!(
                    "kid (a {}-character value, not shown) is not a key id; expected 10 upper-case \
                        letters and digits, as in AuthKey_ABC123DEFG.p8 (or a UUID for Apple \
                        School/Business Manager and Apple Ads keys)",
                    key_id.chars().count()
                ),
            ))
        }
        IdentifierShape::Other => Err(Error::claim(
            "kid",
            Rule::Format,
            format!("kid '{key_id}' is not a key id; expected 10 upper-case letters and digits, as in \
                AuthKey_ABC123DEFG.p8 (or a UUID for Apple School/Business Manager and Apple Ads keys)"),
        )),
    }
}

/// Checks that `key_id` has the shape `rules` wants (after [`check_key_id`]).
pub(crate) fn check_key_id_for(rules: &ServiceRules, key_id: &str) -> Result<()> {
    check_key_id(key_id)?;
    let name = rules.name;
    match (rules.key_id, identifiers::shape_of(key_id)) {
        (KeyIdRule::TenCharacter, IdentifierShape::Uuid) => Err(Error::claim(
            "kid",
            Rule::Format,
            format!("kid '{key_id}' is a UUID (an issuer ID, or an Apple Ads / School / Business Manager key id); \
                {name} wants the 10-character key id shown with the key (AuthKey_<KEYID>.p8)"),
        )),
        (KeyIdRule::Uuid, IdentifierShape::TenCharacter) => Err(Error::claim(
            "kid",
            Rule::Format,
            format!("kid '{key_id}' is a 10-character key id; {name} keys have a UUID key id, shown where the key \
                was made"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::Claims;
    use crate::rules::service::Service;

    const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";

    /// The key id `service` wants: a 10-character id, or a UUID.
    pub(crate) fn key_id_for(service: Service) -> &'static str {
        match service.rules().key_id {
            crate::rules::service::KeyIdRule::TenCharacter => "ABC123DEFG",
            crate::rules::service::KeyIdRule::Uuid => "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b",
        }
    }

    /// Claims every rule of `service` accepts.
    pub(crate) fn valid_claims(service: Service) -> Claims {
        let team = Claims::new("DEF123GHIJ");
        let issuer = Claims::new("57246542-96fe-1a63-e053-0824d011072a");
        match service {
            Service::Maps => team.origin("https://*.example.com").scope("server_api"),
            Service::AppleMusic => team.origin("https://music.example.com"),
            Service::AppStoreServer | Service::ExternalPurchaseServer => {
                issuer.bundle_id("com.example.app")
            }
            Service::AppStoreConnect | Service::EnterpriseProgram => issuer,
            Service::WeatherKit => team.subject("com.example.weatherkit-client"),
            Service::SignInWithApple => team.subject("com.example.web"),
            Service::AppsAndBooks | Service::Apns | Service::DeviceCheck => team,
            Service::SchoolManager => Claims::new(format!("SCHOOLAPI.{ISSUER}")),
            Service::BusinessManager => Claims::new(format!("BUSINESSAPI.{ISSUER}")),
            Service::AppleAds => {
                Claims::new(format!("SEARCHADS.{ISSUER}")).subject(format!("SEARCHADS.{ISSUER}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::service::Service;

    const NOW: i64 = 1_700_000_000;
    const TEAM: &str = "DEF123GHIJ";
    const KID: &str = "ABC123DEFG";
    const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";

    fn build(service: Service, claims: &Claims) -> Result<TokenJson> {
        build_token_json(service.rules(), claims, KID, NOW, 60)
    }

    fn rule_of(result: Result<TokenJson>) -> (&'static str, Rule, String) {
        match result {
            Err(Error::InvalidClaim {
                field,
                rule,
                message,
            }) => (field, rule, message),
            other => panic!("expected an invalid claim, got {other:?}"),
        }
    }

    #[test]
    fn lifetime_over_the_limit_names_field_rule_and_numbers() {
        let claims = Claims::new(ISSUER).bundle_id("com.example.app").ttl(7200);
        let (field, rule, message) = rule_of(build(Service::AppStoreServer, &claims));
        assert_eq!((field, rule), ("exp", Rule::MaxLifetime));
        assert_eq!(
            message,
            "exp is 7200 s after iat; App Store Server API allows at most 3600 s"
        );
    }

    #[test]
    fn backdating_moves_iat_and_exp_together() {
        let json = build(Service::AppleMusic, &Claims::new(TEAM).ttl(3600)).unwrap();
        assert_eq!(json.payload["iat"], NOW - 60);
        assert_eq!(json.payload["exp"], NOW - 60 + 3600);
        let explicit = build(
            Service::AppleMusic,
            &Claims::new(TEAM).issued_at(NOW).ttl(3600),
        )
        .unwrap();
        assert_eq!(explicit.payload["iat"], NOW);
    }

    #[test]
    fn member_order_is_fixed() {
        let claims = Claims::new(ISSUER).bundle_id("com.example.app");
        let json = build(Service::AppStoreServer, &claims).unwrap();
        let header: Vec<_> = json.header.keys().map(String::as_str).collect();
        let payload: Vec<_> = json.payload.keys().map(String::as_str).collect();
        assert_eq!(header, ["alg", "kid", "typ"]);
        assert_eq!(payload, ["iss", "iat", "exp", "aud", "bid"]);
    }

    #[test]
    fn unsupported_claims_are_refused_not_dropped() {
        let claims = Claims::new(TEAM).bundle_id("com.example.app");
        assert!(matches!(
            build(Service::AppleMusic, &claims),
            Err(Error::UnsupportedClaim { field: "bid", .. })
        ));
        let claims = Claims::new(TEAM).ttl(60);
        assert!(matches!(
            build(Service::Apns, &claims),
            Err(Error::UnsupportedClaim {
                field: "exp",
                claim: "ttl",
                ..
            })
        ));
    }

    #[test]
    fn identifier_mix_ups_are_explained() {
        let (_, rule, message) = rule_of(build(Service::AppleMusic, &Claims::new(ISSUER)));
        assert_eq!(rule, Rule::Format);
        assert!(message.contains("issuer ID (UUID)"), "{message}");
        let claims = Claims::new(TEAM).bundle_id("com.example.app");
        let (_, _, message) = rule_of(build(Service::AppStoreServer, &claims));
        assert!(message.contains("looks like a Team ID"), "{message}");
        let (_, _, message) = rule_of(build(Service::Maps, &Claims::new(KID)));
        assert!(message.contains("is the key id"), "{message}");
    }

    #[test]
    fn app_store_connect_individual_keys_send_sub_user_without_iss() {
        let claims = Claims {
            subject: Some("user".into()),
            ..Claims::default()
        };
        let json = build(Service::AppStoreConnect, &claims).unwrap();
        assert!(json.payload.get("iss").is_none());
        assert_eq!(json.payload["sub"], "user");
        let both = Claims::new(ISSUER).subject("user");
        assert_eq!(
            rule_of(build(Service::AppStoreConnect, &both)).1,
            Rule::Exclusive
        );
    }

    #[test]
    fn app_store_connect_long_lifetime_needs_get_only_scope() {
        let long = Claims::new(ISSUER).ttl(86_400);
        let (_, rule, message) = rule_of(build(Service::AppStoreConnect, &long));
        assert_eq!(rule, Rule::MaxLifetime);
        assert!(message.contains("at most 1200 s"), "{message}");
        assert!(build(
            Service::AppStoreConnect,
            &long.clone().scope("GET /v1/apps")
        )
        .is_ok());
    }

    #[test]
    fn times_are_checked() {
        let future = Claims::new(TEAM).issued_at(NOW + 10);
        assert_eq!(
            rule_of(build(Service::AppleMusic, &future)).1,
            Rule::IatNotInFuture
        );
        let both = Claims::new(TEAM).ttl(60).expires_at(NOW + 60);
        assert_eq!(
            rule_of(build(Service::AppleMusic, &both)).1,
            Rule::Exclusive
        );
        let backwards = Claims::new(TEAM).issued_at(NOW).expires_at(NOW - 1);
        assert_eq!(
            rule_of(build(Service::AppleMusic, &backwards)).1,
            Rule::ExpAfterIat
        );
        let zero = Claims::new(TEAM).ttl(0);
        assert_eq!(
            rule_of(build(Service::AppleMusic, &zero)).1,
            Rule::ExpAfterIat
        );
        let stale = Claims::new(TEAM).issued_at(NOW - 7200).ttl(3600);
        assert_eq!(rule_of(build(Service::AppleMusic, &stale)).1, Rule::Expired);
        let old_apns = Claims::new(TEAM).issued_at(NOW - 3600);
        assert_eq!(rule_of(build(Service::Apns, &old_apns)).1, Rule::Expired);
        let negative = Claims::new(TEAM).issued_at(-5);
        assert_eq!(
            rule_of(build(Service::AppleMusic, &negative)).1,
            Rule::TimeRange
        );
        let huge = Claims::new(TEAM).ttl(i64::MAX);
        assert!(build(Service::Maps, &huge).is_err());
    }

    #[test]
    fn weatherkit_header_carries_team_dot_service_id() {
        let claims = Claims::new(TEAM).subject("com.example.weatherkit");
        let json = build(Service::WeatherKit, &claims).unwrap();
        assert_eq!(json.header["id"], "DEF123GHIJ.com.example.weatherkit");
        assert_eq!(json.payload["sub"], "com.example.weatherkit");
    }

    #[test]
    fn maps_origin_and_scope_are_single_strings() {
        let claims = Claims::new(TEAM)
            .origin("https://*.example.com")
            .scope("server_api");
        let json = build(Service::Maps, &claims).unwrap();
        assert_eq!(json.payload["origin"], "https://*.example.com");
        assert_eq!(json.payload["scope"], "server_api");
        let two = Claims::new(TEAM)
            .origin("https://a.example.com")
            .origin("https://b.example.com");
        assert_eq!(rule_of(build(Service::Maps, &two)).1, Rule::TooMany);
        let music = build(Service::AppleMusic, &two).unwrap();
        assert_eq!(
            music.payload["origin"],
            serde_json::json!(["https://a.example.com", "https://b.example.com"])
        );
    }

    #[test]
    fn key_ids_are_checked() {
        assert!(check_key_id(KID).is_ok());
        assert!(check_key_id(ISSUER).is_ok());
        assert!(check_key_id_for(Service::AppleMusic.rules(), ISSUER).is_err());
        assert!(check_key_id_for(Service::AppleAds.rules(), KID).is_err());
        assert!(check_key_id_for(Service::AppleAds.rules(), ISSUER).is_ok());
        assert!(check_key_id("abc").is_err());
    }
}
