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

use crate::contract::error::{Error, OptionRule, Result, Rule};

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

/// The default bound on one call to an external signer (an HSM or KMS round trip is usually
/// well under a second).
pub const DEFAULT_EXTERNAL_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest accepted bound on one call to an external signer, in milliseconds.
pub const MAX_EXTERNAL_TIMEOUT_MILLIS: u64 = 120_000;
/// How many calls to an external signer may still hang past their timeout before new ones are
/// refused at once.
pub const MAX_HANGING_EXTERNAL_CALLS: usize = 4;

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

/// A duration a face takes in its own type (Swift's `Duration`, Python's `timedelta`) where the
/// core counts whole seconds. [`DurationInput::whole_seconds`] decides what is refused, so the
/// same duration gives the same error kind, field and rule in every language.
///
/// ```
/// use devtoken::DurationInput;
/// assert_eq!(DurationInput::Ttl.whole_seconds(300, 0)?, 300);
/// let error = DurationInput::Ttl.whole_seconds(1, 500_000_000).unwrap_err();
/// assert_eq!((error.field(), error.rule()), (Some("exp"), Some("whole_seconds")));
/// let error = DurationInput::ClockSkew.whole_seconds(0, 1).unwrap_err();
/// assert_eq!((error.field(), error.rule()), (Some("clock_skew_secs"), Some("whole_seconds")));
/// # Ok::<(), devtoken::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationInput {
    /// [`Claims::ttl`](crate::token::claims::Claims::ttl), `exp − iat`: refused as [`Error::InvalidClaim`] of
    /// `exp`, like every other problem of the lifetime.
    Ttl,
    /// A signer's clock skew: [`Error::InvalidOption`] `clock_skew_secs`.
    ClockSkew,
    /// A provider's smallest renewal margin: [`Error::InvalidOption`] `min_margin_secs`.
    MinMargin,
}

impl DurationInput {
    /// The whole seconds of the duration `seconds + nanos · 10⁻⁹` (either part may be negative),
    /// or the error of this input: rule `whole_seconds` when a fraction of a second is left, a
    /// range rule when the seconds do not fit in `i64`. The sign is kept; each input's own range
    /// (a negative clock skew, a lifetime over the service's limit) is checked where the value
    /// is used, as for a plain integer.
    pub fn whole_seconds(self, seconds: i64, nanos: i64) -> Result<i64> {
        const NANOS_PER_SEC: i128 = 1_000_000_000;
        let total = i128::from(seconds) * NANOS_PER_SEC + i128::from(nanos);
        let fraction = total % NANOS_PER_SEC != 0;
        if let Some(whole) = i64::try_from(total / NANOS_PER_SEC)
            .ok()
            .filter(|_| !fraction)
        {
            return Ok(whole);
        }
        let text = decimal_seconds(total);
        Err(match (self, fraction) {
            (DurationInput::Ttl, true) => Error::claim(
                "exp",
                Rule::WholeSeconds,
                format!("ttl is {text} s; a token's times are whole seconds, so give a whole number of seconds"),
            ),
            (DurationInput::Ttl, false) => Error::claim(
                "exp",
                Rule::TimeRange,
                format!("ttl is {text} s, beyond the range of UNIX seconds"),
            ),
            (DurationInput::ClockSkew | DurationInput::MinMargin, true) => Error::option(
                self.option(),
                OptionRule::WholeSeconds,
                format!("{text} s is not a whole number of seconds; devtoken counts it in whole seconds"),
            ),
            (DurationInput::ClockSkew | DurationInput::MinMargin, false) => Error::option(
                self.option(),
                OptionRule::Range,
                format!("{text} s is beyond the range of whole seconds devtoken counts"),
            ),
        })
    }

    /// The core's name of the option (for [`DurationInput::Ttl`], the claim's field).
    fn option(self) -> &'static str {
        match self {
            DurationInput::Ttl => "exp",
            DurationInput::ClockSkew => "clock_skew_secs",
            DurationInput::MinMargin => "min_margin_secs",
        }
    }
}

/// `nanos` nanoseconds as exact decimal seconds: `1.5`, `-0.000000001`, `7200`.
fn decimal_seconds(nanos: i128) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let magnitude = nanos.unsigned_abs();
    let (whole, fraction) = (magnitude / 1_000_000_000, magnitude % 1_000_000_000);
    if fraction == 0 {
        format!("{sign}{whole}")
    } else {
        let digits = format!("{fraction:09}");
        format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
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
    fn whole_seconds_refuses_fractions_and_keeps_the_sign() {
        assert_eq!(DurationInput::Ttl.whole_seconds(3600, 0).unwrap(), 3600);
        assert_eq!(DurationInput::ClockSkew.whole_seconds(-5, 0).unwrap(), -5);
        // A normalized negative duration (Python's timedelta): -1 s + 1e9 ns = 0 s.
        assert_eq!(
            DurationInput::MinMargin
                .whole_seconds(-1, 1_000_000_000)
                .unwrap(),
            0
        );
        let ttl = DurationInput::Ttl
            .whole_seconds(1, 500_000_000)
            .unwrap_err();
        assert_eq!(ttl.kind(), crate::ErrorKind::InvalidClaim);
        assert_eq!(
            (ttl.field(), ttl.rule()),
            (Some("exp"), Some("whole_seconds"))
        );
        assert_eq!(
            ttl.to_string(),
            "ttl is 1.5 s; a token's times are whole seconds, so give a whole number of seconds"
        );
        // Python's timedelta(seconds=-0.5) arrives as -1 s + 0.5e9 ns.
        let skew = DurationInput::ClockSkew
            .whole_seconds(-1, 500_000_000)
            .unwrap_err();
        assert_eq!(skew.kind(), crate::ErrorKind::InvalidOption);
        assert_eq!(
            (skew.field(), skew.rule()),
            (Some("clock_skew_secs"), Some("whole_seconds"))
        );
        assert!(skew.to_string().contains("-0.5 s"), "{skew}");
        let tiny = DurationInput::MinMargin.whole_seconds(0, -1).unwrap_err();
        assert!(tiny.to_string().contains("-0.000000001 s"), "{tiny}");
        let huge = DurationInput::Ttl
            .whole_seconds(i64::MAX, 1_000_000_000)
            .unwrap_err();
        assert_eq!(
            (huge.field(), huge.rule()),
            (Some("exp"), Some("time_range"))
        );
        let huge = DurationInput::ClockSkew
            .whole_seconds(i64::MIN, -1_000_000_000)
            .unwrap_err();
        assert_eq!(
            (huge.field(), huge.rule()),
            (Some("clock_skew_secs"), Some("range"))
        );
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
