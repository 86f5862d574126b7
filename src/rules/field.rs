//! What Apple does in the field, beyond its pages (the spec's section "What Apple does in the
//! field", from public issue trackers), as the rule table's column
//! [`FieldBehaviour`](crate::rules::service::FieldBehaviour) records it. Apple's pages stay the
//! hard rules of the table ([`crate::rules::service`]); this module only grades what
//! [`crate::inspect_token`] and the CLI report:
//!
//! - Apple Music: tokens living longer than 180 days have been rejected although the page allows
//!   15777000 s: a warning above [`APPLE_MUSIC_FIELD_LIFETIME_SECS`], the limit unchanged;
//! - App Store Server API: Apple's own libraries send no `iat` and are accepted, so a missing
//!   `iat` is not a reason for a 401 there (devtoken still sends it);
//! - a DER (ASN.1) signature: App Store Connect and the App Store Server API reject it, APNs
//!   accepts it from some clients: an error where Apple is known to reject it, else a warning.
//!
//! ```
//! use devtoken::{field, Level, Service};
//! assert_eq!(field::der_signature_level(Some(Service::AppStoreConnect)), Level::Error);
//! assert_eq!(field::der_signature_level(Some(Service::Apns)), Level::Warning);
//! assert!(field::lifetime_warning(Service::AppleMusic, 182 * 86_400).is_some());
//! assert!(field::lifetime_warning(Service::AppleMusic, 180 * 86_400).is_none());
//! ```

use crate::rules::check;
use crate::rules::findings::Level;
use crate::rules::service::{Service, ONE_HUNDRED_EIGHTY_DAYS_SECS};

/// 180 days: Apple Music tokens living longer have been rejected in the field.
pub const APPLE_MUSIC_FIELD_LIFETIME_SECS: u64 = ONE_HUNDRED_EIGHTY_DAYS_SECS;

/// The longest lifetime `service` has been seen to accept in the field, where that is less than
/// the limit on Apple's page.
pub fn field_lifetime_secs(service: Service) -> Option<u64> {
    service.rules().field.max_lifetime_secs
}

/// The warning for a token of `service` living `lifetime_secs` (`exp − iat`), when it is longer
/// than the service accepts in the field; `None` otherwise. The sentence is
/// [`check::field_lifetime`]'s, the one inspection reports.
pub fn lifetime_warning(service: Service, lifetime_secs: i64) -> Option<String> {
    check::field_lifetime(service.rules(), lifetime_secs)
        .err()
        .map(|problem| problem.message)
}

/// Whether `service` accepts a token without `iat` in the field.
pub fn iat_optional(service: Service) -> bool {
    service.rules().field.accepts_missing_iat
}

/// How serious a DER signature is for `service`: an error where Apple is known to reject it (and
/// when the service is not known), a warning elsewhere.
pub fn der_signature_level(service: Option<Service>) -> Level {
    match service {
        Some(service) if !service.rules().field.rejects_der_signature => Level::Warning,
        _ => Level::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::service::SIX_MONTHS_SECS;

    #[test]
    fn apple_music_warns_above_180_days_and_below_the_page_limit() {
        assert_eq!(APPLE_MUSIC_FIELD_LIFETIME_SECS, 15_552_000);
        assert_eq!(
            field_lifetime_secs(Service::AppleMusic),
            Some(APPLE_MUSIC_FIELD_LIFETIME_SECS)
        );
        const { assert!(APPLE_MUSIC_FIELD_LIFETIME_SECS < SIX_MONTHS_SECS) };
        assert!(lifetime_warning(Service::AppleMusic, 15_552_000).is_none());
        let warning = lifetime_warning(Service::AppleMusic, 15_552_001).unwrap();
        assert!(warning.contains("15552000"), "{warning}");
        for service in Service::ALL {
            if service != Service::AppleMusic {
                assert_eq!(lifetime_warning(service, SIX_MONTHS_SECS as i64), None);
            }
        }
    }

    #[test]
    fn der_is_an_error_only_where_apple_rejects_it() {
        assert_eq!(der_signature_level(None), Level::Error);
        for service in Service::ALL {
            let rejects = [Service::AppStoreConnect, Service::AppStoreServer].contains(&service);
            let expected = if rejects {
                Level::Error
            } else {
                Level::Warning
            };
            assert_eq!(der_signature_level(Some(service)), expected, "{service}");
        }
    }

    #[test]
    fn only_the_app_store_server_api_takes_tokens_without_iat() {
        let optional: Vec<Service> = Service::ALL
            .into_iter()
            .filter(|s| iat_optional(*s))
            .collect();
        assert_eq!(optional, [Service::AppStoreServer]);
    }
}
