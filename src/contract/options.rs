//! Caller-supplied options: their defaults, the ranges devtoken accepts, and the conversions the
//! bindings use for numbers that arrive as plain integers or floats.
//!
//! Every default and every range check lives here or in a core constructor, so the same bad value
//! gives the same [`Error::InvalidOption`] (option, rule [`OptionRule::Range`]) in every
//! language. The bindings pass what the caller gave (or nothing) and never restate a default.
//!
//! ```
//! use devtoken::options;
//! assert_eq!(options::seconds("min_margin_secs", 60)?, 60);
//! let error = options::seconds("min_margin_secs", -1).unwrap_err();
//! assert_eq!((error.field(), error.rule()), (Some("min_margin_secs"), Some("range")));
//! # Ok::<(), devtoken::Error>(())
//! ```

use std::time::Duration;

use crate::contract::error::{Error, OptionRule, Result};

/// The most bytes read as a key (file, text or stdin); Apple's .p8 files are about 250 bytes.
pub const MAX_KEY_BYTES: usize = 64 * 1024;
/// The longest token accepted by decode, verify and inspect (Apple's tokens are under 1 KiB).
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// How far `iat` is back-dated when claims carry no `issued_at`, in seconds.
pub const DEFAULT_CLOCK_SKEW_SECS: u64 = 60;
/// The largest accepted clock skew: a server clock more than ten minutes off is broken, and a
/// larger skew would let APNs tokens be renewed sooner than Apple's 20-minute floor.
pub const MAX_CLOCK_SKEW_SECS: u64 = 600;
/// The largest accepted renewal margin in seconds (one day).
pub const MAX_MARGIN_SECS: u64 = 86_400;
/// The longest accepted connect or read timeout.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(120);
/// The most retries accepted after a 5xx answer or a connection failure.
pub const MAX_RETRIES: u32 = 10;
/// The longest wait between two retries of one HTTP call, whatever `retry_backoff` and the
/// number of retries (the backoff doubles up to this ceiling).
pub const MAX_RETRY_BACKOFF: Duration = Duration::from_secs(10);
/// The default overall deadline of one HTTP call, retries and waits included.
pub const DEFAULT_CALL_DEADLINE: Duration = Duration::from_secs(60);
/// The longest accepted overall deadline of one HTTP call.
pub const MAX_CALL_DEADLINE: Duration = Duration::from_secs(600);
/// After a failed renewal, a cache tries again no sooner than this many seconds later, doubled
/// for each further failure in a row ...
pub const FAILURE_BACKOFF_SECS: u64 = 1;
/// ... up to this many seconds.
pub const MAX_FAILURE_BACKOFF_SECS: u64 = 60;
/// A server's `Retry-After` lengthens that wait, but to at most this many seconds.
pub const MAX_RETRY_AFTER_SECS: u64 = 3600;
/// The longest `expiresInSeconds` accepted from Apple's Maps token endpoint (one day; Apple
/// documents 1800 s).
pub const MAX_ACCESS_TOKEN_LIFETIME_SECS: i64 = 86_400;

/// Checks that `value` lies in `min..=max`, naming `option` and the unit when it does not.
pub(crate) fn check_range<T: PartialOrd + std::fmt::Display>(
    option: &'static str,
    value: T,
    min: T,
    max: T,
    unit: &str,
) -> Result<T> {
    if value < min || value > max {
        return Err(Error::option(
            option,
            OptionRule::Range,
            format!("{value}{unit} is outside the accepted range {min}{unit} to {max}{unit}"),
        ));
    }
    Ok(value)
}

/// A non-negative whole number of seconds, from a binding's signed integer.
pub fn seconds(option: &'static str, value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| {
        Error::option(
            option,
            OptionRule::Range,
            format!("{value} s is negative; it must be zero or more"),
        )
    })
}

/// A non-negative count (retries), from a binding's signed integer.
pub fn count(option: &'static str, value: i64) -> Result<u32> {
    u32::try_from(value).map_err(|_| {
        Error::option(
            option,
            OptionRule::Range,
            format!("{value} is negative or too large for a count"),
        )
    })
}

/// A duration from whole milliseconds (the uniffi bindings' unit).
pub fn millis(option: &'static str, value: i64) -> Result<Duration> {
    u64::try_from(value)
        .map(Duration::from_millis)
        .map_err(|_| {
            Error::option(
                option,
                OptionRule::Range,
                format!("{value} ms is negative; it must be more than zero"),
            )
        })
}

/// A duration from seconds as a float (the Python binding's unit).
pub fn secs_f64(option: &'static str, value: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(value).map_err(|_| {
        Error::option(
            option,
            OptionRule::Range,
            format!("{value} s is not a finite, non-negative number of seconds"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_refuse_negative_and_non_finite_values() {
        for error in [
            seconds("a", -1).unwrap_err(),
            count("a", -1).unwrap_err(),
            count("a", i64::MAX).unwrap_err(),
            millis("a", -5).unwrap_err(),
            secs_f64("a", f64::NAN).unwrap_err(),
            secs_f64("a", -0.5).unwrap_err(),
            secs_f64("a", f64::INFINITY).unwrap_err(),
        ] {
            assert_eq!((error.field(), error.rule()), (Some("a"), Some("range")));
        }
        assert_eq!(millis("a", 1500).unwrap(), Duration::from_millis(1500));
        assert_eq!(secs_f64("a", 0.25).unwrap(), Duration::from_millis(250));
    }

    #[test]
    fn check_range_names_the_bounds() {
        let error = check_range("max_retries", 11, 0, MAX_RETRIES, "").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid max_retries: 11 is outside the accepted range 0 to 10"
        );
        assert_eq!(check_range("x", 5, 0, 10, " s").unwrap(), 5);
    }
}
