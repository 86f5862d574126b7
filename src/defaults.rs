//! The core's defaults in one record: what every option a caller leaves out takes.
//!
//! Each face reports this record (Python `core_defaults()`, Kotlin and Swift `coreDefaults()`),
//! converting units only, so no face keeps a list of its own. The values are read from the
//! places that own them: [`ProviderOptions::default`], the rule table's renewal age of the
//! provider-token services, [`MapsOptions::default`](crate::MapsOptions) and
//! [`HttpOptions::default`](crate::HttpOptions).
//!
//! This module sits above the options, the providers and the network layer, which it reads;
//! nothing in the core imports it.
//!
//! ```
//! let defaults = devtoken::core_defaults();
//! assert_eq!(defaults.clock_skew_secs, devtoken::DEFAULT_CLOCK_SKEW_SECS);
//! assert_eq!(defaults.provider_margin_fraction, devtoken::ProviderOptions::default().margin_fraction);
//! assert!(defaults.apns_renew_after_secs.is_some());
//! ```

#[cfg(feature = "http")]
use std::time::Duration;

use crate::options::DEFAULT_CLOCK_SKEW_SECS;
use crate::provider::ProviderOptions;
use crate::service::{ReusePolicy, Service};

/// The core's defaults for every option a caller may leave out ([`core_defaults`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CoreDefaults {
    /// How far `iat` is back-dated when claims carry no `issued_at`, in seconds.
    pub clock_skew_secs: u64,
    /// `TokenProvider`: renew when less than this fraction of the lifetime is left.
    pub provider_margin_fraction: f64,
    /// `TokenProvider`: ... but with at least this many seconds left.
    pub provider_min_margin_secs: u64,
    /// `TokenProvider`: whether App Store Server / External Purchase Server tokens are reused.
    pub provider_reuse_per_request_tokens: bool,
    /// `TokenProvider` for APNs: renew this long after signing (the rule table's age).
    pub apns_renew_after_secs: Option<u64>,
    /// `TokenProvider` for DeviceCheck: renew this long after signing (the rule table's age).
    pub device_check_renew_after_secs: Option<u64>,
    /// `MapsTokenProvider` and `OAuthTokenProvider`: exchange again when less than this
    /// fraction of the access token's life is left.
    #[cfg(feature = "http")]
    pub maps_margin_fraction: f64,
    /// ... but with at least this many seconds left.
    #[cfg(feature = "http")]
    pub maps_min_margin_secs: u64,
    /// Network: time allowed to connect.
    #[cfg(feature = "http")]
    pub connect_timeout: Duration,
    /// Network: time allowed for the answer.
    #[cfg(feature = "http")]
    pub read_timeout: Duration,
    /// Network: the User-Agent header.
    #[cfg(feature = "http")]
    pub user_agent: String,
    /// Network: retries after a 5xx answer or a connection failure.
    #[cfg(feature = "http")]
    pub max_retries: u32,
    /// Network: the overall deadline of one HTTP call, retries and waits included.
    #[cfg(feature = "http")]
    pub deadline: Duration,
}

/// The rule table's renewal age of a provider-token service (APNs, DeviceCheck); `None` for a
/// service whose tokens are not provider tokens.
fn renew_after_secs(service: Service) -> Option<u64> {
    match service.rules().reuse {
        ReusePolicy::ProviderToken {
            renew_after_secs, ..
        } => Some(renew_after_secs),
        ReusePolicy::UntilMargin | ReusePolicy::PerRequest => None,
    }
}

/// The core's defaults, read from the types and the rule table that own them.
pub fn core_defaults() -> CoreDefaults {
    let provider = ProviderOptions::default();
    #[cfg(feature = "http")]
    let maps = crate::MapsOptions::default();
    CoreDefaults {
        clock_skew_secs: DEFAULT_CLOCK_SKEW_SECS,
        provider_margin_fraction: provider.margin_fraction,
        provider_min_margin_secs: provider.min_margin_secs,
        provider_reuse_per_request_tokens: provider.reuse_per_request_tokens,
        apns_renew_after_secs: renew_after_secs(Service::Apns),
        device_check_renew_after_secs: renew_after_secs(Service::DeviceCheck),
        #[cfg(feature = "http")]
        maps_margin_fraction: maps.margin_fraction,
        #[cfg(feature = "http")]
        maps_min_margin_secs: maps.min_margin_secs,
        #[cfg(feature = "http")]
        connect_timeout: maps.http.connect_timeout,
        #[cfg(feature = "http")]
        read_timeout: maps.http.read_timeout,
        #[cfg(feature = "http")]
        user_agent: maps.http.user_agent,
        #[cfg(feature = "http")]
        max_retries: maps.http.max_retries,
        #[cfg(feature = "http")]
        deadline: maps.http.deadline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_owners_values() {
        let defaults = core_defaults();
        let provider = ProviderOptions::default();
        assert_eq!(defaults.clock_skew_secs, DEFAULT_CLOCK_SKEW_SECS);
        assert_eq!(defaults.provider_min_margin_secs, provider.min_margin_secs);
        assert_eq!(
            defaults.provider_reuse_per_request_tokens,
            provider.reuse_per_request_tokens
        );
        for service in [Service::Apns, Service::DeviceCheck] {
            assert!(renew_after_secs(service).is_some(), "{service}");
        }
        assert_eq!(
            defaults.apns_renew_after_secs,
            renew_after_secs(Service::Apns)
        );
        assert_eq!(renew_after_secs(Service::AppleMusic), None);
        #[cfg(feature = "http")]
        {
            let http = crate::HttpOptions::default();
            assert_eq!(
                (
                    defaults.connect_timeout,
                    defaults.read_timeout,
                    defaults.deadline
                ),
                (http.connect_timeout, http.read_timeout, http.deadline)
            );
            assert_eq!(defaults.max_retries, http.max_retries);
            assert_eq!(defaults.user_agent, http.user_agent);
        }
    }
}
