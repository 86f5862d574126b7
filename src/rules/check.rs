//! The one interpreter of the rule table for the claims a token carries. Each check takes a
//! member as the token holds it and says what is wrong with it as a [`Problem`], in one wording.
//! Signing builds the values the token will carry and runs these checks, turning a problem into
//! an `InvalidClaim` error; inspection runs the same checks on a decoded token, turning a problem
//! into an error finding.
//!
//! ```
//! use devtoken::{check, Service};
//! let rules = Service::AppStoreServer.rules();
//! let problem = check::issuer(rules, Some("DEF123GHIJ"), None, "ABC123DEFG").unwrap_err();
//! assert_eq!((problem.field, problem.rule.code(), problem.code), ("iss", "format", "iss_format"));
//! ```

use std::fmt;

use crate::base::text::shorten;
use crate::rules::identifiers::{self, IdentifierShape};
use crate::rules::service::{
    IssuerRule, Lifetime, OriginRule, Presence, ScopeRule, ServiceRules, SubjectRule,
};

/// The rule an invalid claim breaks, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// The service requires this member and it was not given.
    Required,
    /// The value does not have the shape the service wants (Team ID, UUID, bundle id, URL, ...).
    Format,
    /// `exp − iat` is longer than the service allows.
    MaxLifetime,
    /// `exp` is not after `iat` (or the lifetime is zero).
    ExpAfterIat,
    /// `iat` lies in the future.
    IatNotInFuture,
    /// The token would already be expired (or, for APNs, too old) when sent.
    Expired,
    /// Two inputs that exclude each other were both given (`expires_at` and `ttl`).
    Exclusive,
    /// More values than the service accepts (Maps takes one origin).
    TooMany,
    /// A value must equal a fixed value (App Store Connect individual keys: `sub` = `user`).
    FixedValue,
    /// A time is outside the range of UNIX seconds devtoken handles.
    TimeRange,
    /// A duration with a fraction of a second (a `ttl` of 1.5 s): tokens carry whole seconds.
    WholeSeconds,
}

impl Rule {
    /// The stable snake_case code of the rule, as the bindings expose it.
    ///
    /// ```
    /// assert_eq!(devtoken::Rule::MaxLifetime.code(), "max_lifetime");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::Format => "format",
            Rule::MaxLifetime => "max_lifetime",
            Rule::ExpAfterIat => "exp_after_iat",
            Rule::IatNotInFuture => "iat_not_in_future",
            Rule::Expired => "expired",
            Rule::Exclusive => "exclusive",
            Rule::TooMany => "too_many",
            Rule::FixedValue => "fixed_value",
            Rule::TimeRange => "time_range",
            Rule::WholeSeconds => "whole_seconds",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One broken rule: the member, the rule, the finding code inspection reports and the sentence
/// both report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The claim or header member (`iss`, `exp`, ...).
    pub field: &'static str,
    /// The rule it breaks.
    pub rule: Rule,
    /// The code of the finding inspection reports for it (`iss_format`, ...).
    pub code: &'static str,
    /// What is wrong, with the value (shortened) and what the service wants.
    pub message: String,
}

/// The result of a check.
pub type Checked = Result<(), Problem>;

fn problem(field: &'static str, rule: Rule, code: &'static str, message: String) -> Checked {
    Err(Problem {
        field,
        rule,
        code,
        message,
    })
}

/// `iss` for `rules`, signed under key id `kid`. `sub` tells App Store Connect's individual keys
/// (`sub` = `user`, no `iss`) from team keys; any other `sub` is left to [`subject`].
pub fn issuer(rules: &ServiceRules, iss: Option<&str>, sub: Option<&str>, kid: &str) -> Checked {
    let name = rules.name;
    if rules.issuer == IssuerRule::IssuerIdOrIndividualKey && sub.is_some() {
        return match iss {
            Some(_) if sub == Some("user") => problem(
                "sub",
                Rule::Exclusive,
                "iss_with_individual_key",
                format!(
                    "{name} takes iss (team keys) or sub = \"user\" (individual keys), not both"
                ),
            ),
            _ => Ok(()),
        };
    }
    let Some(iss) = iss else {
        let wants = match rules.issuer {
            IssuerRule::TeamId => "your 10-character Team ID".to_string(),
            IssuerRule::IssuerId | IssuerRule::IssuerIdOrIndividualKey => {
                "your issuer ID (a UUID from the Keys page in App Store Connect)".to_string()
            }
            IssuerRule::PrefixedUuid(prefix) => {
                format!("your {} ({prefix}.<uuid>)", rules.issuer_names)
            }
        };
        return problem(
            "iss",
            Rule::Required,
            "iss_missing",
            format!("iss (issuer) is required: {name} wants {wants}"),
        );
    };
    let shown = shorten(iss, 60);
    match (rules.issuer, identifiers::shape_of(iss)) {
        (IssuerRule::TeamId, IdentifierShape::TenCharacter) if iss == kid => problem(
            "iss",
            Rule::Format,
            "iss_is_kid",
            format!("iss '{shown}' is the key id; {name} wants your Team ID (Membership page of your developer \
                account)"),
        ),
        (IssuerRule::TeamId, IdentifierShape::TenCharacter) => Ok(()),
        (IssuerRule::TeamId, IdentifierShape::Uuid) => problem(
            "iss",
            Rule::Format,
            "iss_format",
            format!("iss '{shown}' is an issuer ID (UUID); {name} wants your 10-character Team ID"),
        ),
        (IssuerRule::TeamId, IdentifierShape::Other) => problem(
            "iss",
            Rule::Format,
            "iss_format",
            format!("iss '{shown}' is not a Team ID; {name} wants 10 upper-case letters and digits, e.g. DEF123GHIJ"),
        ),
        (IssuerRule::IssuerId | IssuerRule::IssuerIdOrIndividualKey, IdentifierShape::Uuid) => Ok(()),
        (IssuerRule::IssuerId | IssuerRule::IssuerIdOrIndividualKey, IdentifierShape::TenCharacter) => problem(
            "iss",
            Rule::Format,
            "iss_format",
            format!("iss '{shown}' looks like a Team ID or key id; {name} wants your issuer ID, a UUID such as \
                57246542-96fe-1a63-e053-0824d011072a"),
        ),
        (IssuerRule::IssuerId | IssuerRule::IssuerIdOrIndividualKey, IdentifierShape::Other) => problem(
            "iss",
            Rule::Format,
            "iss_format",
            format!("iss '{shown}' is not an issuer ID; {name} wants a UUID such as \
                57246542-96fe-1a63-e053-0824d011072a"),
        ),
        (IssuerRule::PrefixedUuid(prefix), _) => match identifiers::check_prefixed_uuid(iss, prefix) {
            Ok(()) => Ok(()),
            Err(why) => problem("iss", Rule::Format, "iss_format", format!("iss '{shown}' {why}")),
        },
    }
}

/// `sub` for `rules`, with the token's `iss` (Apple School and Business Manager want the same
/// client id in both). A service that defines no `sub` is not this check's business.
pub fn subject(rules: &ServiceRules, sub: Option<&str>, iss: Option<&str>) -> Checked {
    let name = rules.name;
    match (rules.subject, sub) {
        (SubjectRule::NotDefined, _) => Ok(()),
        (SubjectRule::IndividualKeyUser, None) => Ok(()),
        (SubjectRule::IndividualKeyUser, Some("user")) => Ok(()),
        (SubjectRule::IndividualKeyUser, Some(other)) => problem(
            "sub",
            Rule::FixedValue,
            "sub_format",
            format!(
                "sub is '{}'; {name} individual keys send sub = \"user\"",
                shorten(other, 60)
            ),
        ),
        (SubjectRule::ReverseDnsId, None) => {
            let what = if rules.team_service_id_header {
                "the service id"
            } else {
                "the client id (Services ID or bundle id)"
            };
            problem(
                "sub",
                Rule::Required,
                "sub_missing",
                format!("sub (subject) is required: {name} wants {what}"),
            )
        }
        (SubjectRule::PrefixedUuid(prefix), None) => problem(
            "sub",
            Rule::Required,
            "sub_missing",
            format!("sub is required: {name} wants your client id ({prefix}.<uuid>)"),
        ),
        (SubjectRule::SameAsIssuer, None) => problem(
            "sub",
            Rule::Required,
            "sub_missing",
            format!("sub is required: {name} wants the client id in sub and iss"),
        ),
        (SubjectRule::ReverseDnsId, Some(sub)) => match identifiers::check_reverse_dns(sub) {
            Ok(()) => Ok(()),
            Err(why) => problem(
                "sub",
                Rule::Format,
                "sub_format",
                format!("sub '{}' {why}", shorten(sub, 60)),
            ),
        },
        (SubjectRule::PrefixedUuid(prefix), Some(sub)) => {
            match identifiers::check_prefixed_uuid(sub, prefix) {
                Ok(()) => Ok(()),
                Err(why) => problem(
                    "sub",
                    Rule::Format,
                    "sub_format",
                    format!("sub '{}' {why}", shorten(sub, 60)),
                ),
            }
        }
        (SubjectRule::SameAsIssuer, Some(sub)) => match iss {
            Some(iss) if iss != sub => problem(
                "sub",
                Rule::FixedValue,
                "sub_mismatch",
                format!(
                    "sub is '{}' but iss is '{}'; {name} wants the client id in both",
                    shorten(sub, 60),
                    shorten(iss, 60)
                ),
            ),
            _ => Ok(()),
        },
    }
}

/// `jti`, when the service sends one: a unique id of 1 to 255 characters.
pub fn jwt_id(rules: &ServiceRules, jti: Option<&str>) -> Checked {
    match (rules.jwt_id, jti) {
        (Presence::Required, None) => problem(
            "jti",
            Rule::Required,
            "jti_missing",
            format!(
                "jti is required: {} wants a unique id (a UUID) in every assertion",
                rules.name
            ),
        ),
        (_, Some(jti))
            if jti.is_empty() || jti.len() > 255 || jti.chars().any(char::is_control) =>
        {
            problem(
                "jti",
                Rule::Format,
                "jti_format",
                "jti must be 1 to 255 characters without control characters (a UUID is usual)"
                    .to_string(),
            )
        }
        _ => Ok(()),
    }
}

/// `bid`, the app's bundle id, where the service sends one.
pub fn bundle_id(rules: &ServiceRules, bid: Option<&str>) -> Checked {
    match (rules.bundle_id, bid) {
        (Presence::Required, None) => problem(
            "bid",
            Rule::Required,
            "bid_missing",
            format!(
                "bid (bundle_id) is required: {} wants the app's bundle id, e.g. com.example.app",
                rules.name
            ),
        ),
        (_, Some(bid)) => match identifiers::check_reverse_dns(bid) {
            Ok(()) => Ok(()),
            Err(why) => problem(
                "bid",
                Rule::Format,
                "bid_format",
                format!("bid '{}' {why}", shorten(bid, 60)),
            ),
        },
        (_, None) => Ok(()),
    }
}

/// The web origins of `origin`: how many the service takes and each one's form.
pub fn origins(rules: &ServiceRules, origins: &[&str]) -> Checked {
    if rules.origin == OriginRule::Single && origins.len() > 1 {
        return problem(
            "origin",
            Rule::TooMany,
            "origin_type",
            format!(
                "{} origins given; {} takes one origin string (use a wildcard such as https://*.example.com)",
                origins.len(),
                rules.name
            ),
        );
    }
    for origin in origins {
        if let Err(why) = identifiers::check_origin(origin) {
            return problem(
                "origin",
                Rule::Format,
                "origin_format",
                format!("origin '{}' {why}", shorten(origin, 100)),
            );
        }
    }
    Ok(())
}

/// The entries of `scope`: none empty; Maps' space-separated scopes are single words.
pub fn scope(rules: &ServiceRules, entries: &[&str]) -> Checked {
    if entries.iter().any(|entry| entry.trim().is_empty()) {
        return problem(
            "scope",
            Rule::Format,
            "scope_format",
            "scope has an empty entry".to_string(),
        );
    }
    if rules.scope == ScopeRule::SpaceSeparated {
        if let Some(bad) = entries
            .iter()
            .find(|entry| entry.contains(char::is_whitespace))
        {
            return problem(
                "scope",
                Rule::Format,
                "scope_format",
                format!(
                    "scope entry '{}' contains whitespace; {} scopes are single words such as server_api",
                    shorten(bad, 60),
                    rules.name
                ),
            );
        }
    }
    Ok(())
}

/// `exp − iat` for a service whose tokens expire: after `iat`, and within the longest lifetime
/// for `scope` (App Store Connect allows more with a GET-only scope).
pub fn lifetime(rules: &ServiceRules, lifetime: i64, scope: &[String]) -> Checked {
    if lifetime <= 0 {
        return problem(
            "exp",
            Rule::ExpAfterIat,
            "exp_not_after_iat",
            format!("exp is {lifetime} s after iat; exp must be after iat"),
        );
    }
    let Some(max) = rules.max_lifetime_secs(scope) else {
        return Ok(());
    };
    if lifetime as u64 <= max {
        return Ok(());
    }
    let extended = match rules.lifetime {
        Lifetime::Expiring {
            max_secs_with_get_only_scope: Some(long),
            ..
        } if long != max => format!(" (up to {long} s when every scope entry is a GET call)"),
        _ => String::new(),
    };
    problem(
        "exp",
        Rule::MaxLifetime,
        "lifetime_over_limit",
        format!(
            "exp is {lifetime} s after iat; {} allows at most {max} s{extended}",
            rules.name
        ),
    )
}

/// The age of a token without `exp` (APNs, DeviceCheck): under the age Apple accepts.
pub fn age(rules: &ServiceRules, age_secs: i64) -> Checked {
    match rules.lifetime {
        Lifetime::NoExpiry { max_age_secs } if age_secs >= max_age_secs as i64 => problem(
            "iat",
            Rule::Expired,
            "token_too_old",
            format!(
                "iat is {age_secs} s old; {} rejects tokens older than {max_age_secs} s (403 ExpiredProviderToken); \
                    sign a new one",
                rules.name
            ),
        ),
        _ => Ok(()),
    }
}

/// `exp − iat` against what the service accepts in the field, where that is less than its page
/// allows (Apple Music: 180 days). Signing accepts such a token; inspection and the CLI report
/// this problem as the warning `lifetime_over_field_limit`, in this one sentence.
pub fn field_lifetime(rules: &ServiceRules, lifetime: i64) -> Checked {
    match rules.field.max_lifetime_secs {
        Some(field_max) if lifetime > field_max as i64 => problem(
            "exp",
            Rule::MaxLifetime,
            "lifetime_over_field_limit",
            format!(
                "exp is {lifetime} s after iat; {} has rejected tokens living longer than {field_max} s ({} days) \
                    although its page allows more; sign for {field_max} s or less",
                rules.name,
                field_max / 86_400
            ),
        ),
        _ => Ok(()),
    }
}
