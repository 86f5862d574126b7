//! Where "now" comes from: the system clock in production, a [`ManualClock`] in tests; and UTC
//! calendar dates for messages and HTTP headers (proleptic Gregorian, no time zones).

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The current UNIX time in seconds, from the system clock.
pub fn unix_now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX),
        Err(before_epoch) => -i64::try_from(before_epoch.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// The current UNIX time in milliseconds, from the system clock.
pub fn unix_now_millis() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(elapsed) => i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// How far Apple's clock is from ours, measured from the `Date` header of an answer: `offset`
/// is Apple's time minus the local time (negative when the local clock is ahead), known to
/// within `uncertainty` either way (half the round trip, plus the header's one-second
/// resolution).
///
/// ```
/// use devtoken::clock::ClockOffset;
/// // Sent at 1_700_000_100.000 s local, answered 200 ms later with `Date` 1_700_000_010.
/// let offset = ClockOffset::from_date(1_700_000_010, 1_700_000_100_000, 1_700_000_100_200);
/// assert_eq!(offset.offset_millis, -89_600); // our clock is about 90 s ahead
/// assert_eq!(offset.uncertainty_millis, 600);
/// assert!(offset.local_ahead_secs() >= 89);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockOffset {
    /// Apple's time minus the local time, in milliseconds.
    pub offset_millis: i64,
    /// How far off `offset_millis` may be, either way, in milliseconds.
    pub uncertainty_millis: i64,
    /// When it was measured (local UNIX seconds).
    pub measured_at: i64,
}

impl ClockOffset {
    /// From a `Date` of `date_secs` (whole seconds, so Apple's time lay in
    /// `date_secs..date_secs + 1`) received for a request sent at `sent_millis` and answered at
    /// `received_millis` (local UNIX milliseconds).
    pub fn from_date(date_secs: i64, sent_millis: i64, received_millis: i64) -> Self {
        let received_millis = received_millis.max(sent_millis);
        let local_mid = sent_millis.saturating_add((received_millis - sent_millis) / 2);
        let apple_mid = date_secs.saturating_mul(1000).saturating_add(500);
        ClockOffset {
            offset_millis: apple_mid.saturating_sub(local_mid),
            uncertainty_millis: (received_millis - sent_millis) / 2 + 500,
            measured_at: received_millis.div_euclid(1000),
        }
    }

    /// The whole seconds the local clock is surely ahead of Apple's (0 when it is not, or when
    /// the measurement cannot tell).
    pub fn local_ahead_secs(&self) -> i64 {
        let surely_ahead = self
            .offset_millis
            .saturating_neg()
            .saturating_sub(self.uncertainty_millis);
        surely_ahead.max(0) / 1000
    }
}

/// A source of the current UNIX time in seconds.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current UNIX time in seconds.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        unix_now()
    }
}

/// A clock that moves only when told to, so tests can travel in time without sleeping.
///
/// ```
/// use devtoken::clock::{Clock, ManualClock};
/// let clock = ManualClock::new(1_700_000_000);
/// clock.advance(60);
/// assert_eq!(clock.now(), 1_700_000_060);
/// ```
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
}

impl ManualClock {
    /// A clock standing at `now` (UNIX seconds).
    pub fn new(now: i64) -> Self {
        ManualClock {
            now: AtomicI64::new(now),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: i64) {
        self.now.store(now, Ordering::SeqCst);
    }

    /// Moves the time forward (or back, with a negative number), stopping at the ends of `i64`
    /// instead of wrapping around (a caller's number must not send the clock to the other end).
    pub fn advance(&self, secs: i64) {
        // The closure always returns Some, so fetch_update cannot fail.
        let _ = self
            .now
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(secs))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1 to 12, day 1 to 31).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01: (year, month, day).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// UNIX seconds as `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC), for messages.
///
/// ```
/// assert_eq!(devtoken::clock::format_utc(1_700_000_000), "2023-11-14T22:13:20Z");
/// ```
pub fn format_utc(unix_secs: i64) -> String {
    let (days, rest) = (unix_secs.div_euclid(86_400), unix_secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// An HTTP date in its IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7) as
/// UNIX seconds; `None` for anything else.
///
/// ```
/// use devtoken::clock::parse_http_date;
/// assert_eq!(parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT"), Some(1_700_000_000));
/// assert_eq!(parse_http_date("tomorrow"), None);
/// ```
pub fn parse_http_date(text: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let fields: Vec<&str> = text.split_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = fields.as_slice() else {
        return None;
    };
    let number = |text: &str, digits: usize| -> Option<i64> {
        (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let (day, year) = (number(day, 2)?, number(year, 4)?);
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let mut clock = time.split(':');
    let (hour, minute, second) = (
        number(clock.next()?, 2)?,
        number(clock.next()?, 2)?,
        number(clock.next()?, 2)?,
    );
    if clock.next().is_some() || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stops_at_the_ends_instead_of_wrapping() {
        let clock = ManualClock::new(i64::MAX - 5);
        clock.advance(10);
        assert_eq!(clock.now(), i64::MAX);
        clock.set(i64::MIN + 5);
        clock.advance(-10);
        assert_eq!(clock.now(), i64::MIN);
        clock.advance(i64::MAX);
        assert_eq!(clock.now(), -1);
    }

    #[test]
    fn dates_round_trip_over_four_centuries() {
        for days in (-800_000..800_000).step_by(997) {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
        }
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn http_dates_are_read_strictly() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        for bad in [
            "",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "120",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }
}
