//! [`RenewingCache`]: the lock-free, single-flight cache under [`TokenProvider`] and the Maps
//! access-token provider.
//!
//! Readers of a fresh value do one atomic load (`arc-swap`) and never block. When the value goes
//! stale, exactly one caller renews it while the others keep getting the old, still-valid value;
//! callers wait only when there is no valid value at all.
//!
//! A failed renewal is remembered with a backoff (1 s, doubling, at most
//! [`MAX_FAILURE_BACKOFF_SECS`], longer when the server's `Retry-After` asks, up to
//! [`MAX_RETRY_AFTER_SECS`]). While the old value is valid, callers keep getting it and nobody
//! tries again before the backoff ends; with nothing valid, every caller until then gets the
//! recorded error instead of repeating the failing renewal.
//!
//! [`TokenProvider`]: crate::TokenProvider

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use arc_swap::ArcSwapOption;

use crate::contract::error::{Error, OptionRule, Result};
use crate::contract::options::{
    check_range, FAILURE_BACKOFF_SECS, MAX_FAILURE_BACKOFF_SECS, MAX_MARGIN_SECS,
    MAX_RETRY_AFTER_SECS,
};

/// When to renew a value that expires: a fraction of its lifetime, with a floor in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Margin {
    fraction: f64,
    min_secs: i64,
}

impl Margin {
    /// Checks that `fraction` lies in [0, 1) and `min_secs` in 0 to [`MAX_MARGIN_SECS`].
    pub fn new(fraction: f64, min_secs: u64) -> Result<Self> {
        if !(0.0..1.0).contains(&fraction) {
            return Err(Error::option(
                "margin_fraction",
                OptionRule::Range,
                format!("{fraction} is not in [0, 1)"),
            ));
        }
        let min_secs = check_range("min_margin_secs", min_secs, 0, MAX_MARGIN_SECS, " s")?;
        Ok(Margin {
            fraction,
            // At most MAX_MARGIN_SECS, so the conversion is exact.
            min_secs: min_secs as i64,
        })
    }

    /// The renewal time of a value living `lifetime` seconds up to `expires_at`.
    pub fn renew_at(self, expires_at: i64, lifetime: i64) -> i64 {
        let margin = ((lifetime as f64 * self.fraction).ceil() as i64).max(self.min_secs);
        expires_at.saturating_sub(margin)
    }
}

/// A cached value and the times that govern it (UNIX seconds).
pub(crate) struct Cached<T> {
    pub value: T,
    /// From this time on, one caller renews.
    pub renew_at: i64,
    /// Until this time the value may still be handed out.
    pub valid_until: i64,
}

/// Only the times: the value is a token or an access token, never printed.
impl<T> fmt::Debug for Cached<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached")
            .field("value", &"<redacted>")
            .field("renew_at", &self.renew_at)
            .field("valid_until", &self.valid_until)
            .finish()
    }
}

/// The last failed renewal: handed to callers without a valid value until `retry_at`, so an
/// outage costs one attempt per backoff step however many callers ask.
#[derive(Debug)]
struct Failure {
    error: Error,
    /// No new attempt before this time (UNIX seconds).
    retry_at: i64,
    /// Failures in a row (doubles the backoff).
    count: u32,
}

/// Whether the renewing caller holds a still-valid value: then one attempt is enough (the
/// cache's own backoff retries later); with nothing valid, the renewal may retry in-call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Urgency {
    /// A valid value is at hand; a failure is absorbed.
    HaveValid,
    /// Nothing valid to hand out; the error reaches the caller.
    NothingValid,
}

/// Seconds to wait after the `count`-th failure in a row: 1, 2, 4, ... up to
/// [`MAX_FAILURE_BACKOFF_SECS`], or the server's `Retry-After` when longer (itself at most
/// [`MAX_RETRY_AFTER_SECS`]).
pub(crate) fn failure_backoff_secs(count: u32, retry_after_secs: Option<u64>) -> i64 {
    let backoff = FAILURE_BACKOFF_SECS
        .saturating_mul(
            1u64.checked_shl(count.saturating_sub(1))
                .unwrap_or(u64::MAX),
        )
        .min(MAX_FAILURE_BACKOFF_SECS);
    let asked = retry_after_secs.unwrap_or(0).min(MAX_RETRY_AFTER_SECS);
    // Both at most an hour: the conversion is exact.
    backoff.max(asked) as i64
}

/// See the module documentation.
pub(crate) struct RenewingCache<T> {
    current: ArcSwapOption<Cached<T>>,
    failure: ArcSwapOption<Failure>,
    renewing: Mutex<()>,
}

/// Only the times and the last failure: arc-swap's own `Debug` would print the value.
impl<T> fmt::Debug for RenewingCache<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenewingCache")
            .field("current", &self.current.load().as_deref())
            .field("failure", &self.failure.load().as_deref())
            .finish()
    }
}

impl<T: Clone> RenewingCache<T> {
    pub fn new() -> Self {
        RenewingCache {
            current: ArcSwapOption::empty(),
            failure: ArcSwapOption::empty(),
            renewing: Mutex::new(()),
        }
    }

    /// What `read` makes of the value while it is fresh at `now` (before its renewal time);
    /// `None` otherwise. Never renews and never waits.
    pub fn fresh<R>(&self, now: i64, read: impl Fn(&T) -> R) -> Option<R> {
        self.current
            .load()
            .as_deref()
            .filter(|cached| now < cached.renew_at)
            .map(|cached| read(&cached.value))
    }

    /// The last failure's error while its backoff runs at `now`.
    fn backing_off(&self, now: i64) -> Option<Error> {
        self.failure
            .load()
            .as_deref()
            .filter(|failure| now < failure.retry_at)
            .map(|failure| failure.error.clone())
    }

    /// What `read` makes of the value to use at `now`, calling `renew` (in one caller at a
    /// time) when it is stale. `read` sees the value in place: a fresh read copies out only
    /// what the caller needs and writes to no memory shared with other readers.
    ///
    /// Stale while revalidate: as long as the value is valid, a failed renewal is recorded (with
    /// backoff) and the value is returned. Only with nothing valid does the error reach the
    /// caller, and then every caller until the backoff ends shares that one failure.
    pub fn get<R>(
        &self,
        now: i64,
        read: impl Fn(&T) -> R,
        renew: impl FnOnce(Urgency) -> Result<Cached<T>>,
    ) -> Result<R> {
        if let Some(value) = self.fresh(now, &read) {
            return Ok(value);
        }
        let current = self.current.load();
        let still_valid = current
            .as_deref()
            .filter(|cached| now < cached.valid_until)
            .map(|cached| read(&cached.value));
        drop(current);
        match still_valid {
            // Stale but valid: one caller renews (unless a failure's backoff runs), the others
            // keep the old value meanwhile; nobody waits.
            Some(old) => {
                if self.backing_off(now).is_some() {
                    return Ok(old);
                }
                let _guard = match self.renewing.try_lock() {
                    Ok(guard) => guard,
                    Err(TryLockError::WouldBlock) => return Ok(old),
                    Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
                };
                match self.renew_if_stale(now, &read, renew, Urgency::HaveValid) {
                    Ok(value) => Ok(value),
                    Err(_) => Ok(old),
                }
            }
            // Nothing valid to hand out: wait for the renewer (or become it), and share its
            // failure rather than repeating it.
            None => {
                if let Some(error) = self.backing_off(now) {
                    return Err(error);
                }
                let _guard = self.lock();
                if let Some(error) = self.backing_off(now) {
                    return Err(error);
                }
                self.renew_if_stale(now, &read, renew, Urgency::NothingValid)
            }
        }
    }

    /// Renews now, after `allow` has approved the current value's replacement. A caller's
    /// explicit request: no backoff applies, but a failure is still recorded.
    pub fn renew_now(
        &self,
        now: i64,
        allow: impl FnOnce(Option<&Cached<T>>) -> Result<()>,
        renew: impl FnOnce() -> Result<Cached<T>>,
    ) -> Result<T> {
        self.renew_unless(now, |_| false, allow, renew)
    }

    /// Like [`renew_now`](Self::renew_now), unless the current value is still valid and `keep`
    /// says it is not the one the caller wants replaced (another caller renewed meanwhile): then
    /// that value. Decided under the renewal lock, so callers racing with one refused value
    /// cause one renewal.
    pub fn renew_unless(
        &self,
        now: i64,
        keep: impl FnOnce(&T) -> bool,
        allow: impl FnOnce(Option<&Cached<T>>) -> Result<()>,
        renew: impl FnOnce() -> Result<Cached<T>>,
    ) -> Result<T> {
        let _guard = self.lock();
        let current = self.current.load_full();
        if let Some(cached) = current.as_deref() {
            if now < cached.valid_until && keep(&cached.value) {
                return Ok(cached.value.clone());
            }
        }
        allow(current.as_deref())?;
        match renew() {
            Ok(cached) => {
                self.failure.store(None);
                Ok(self.replace(cached))
            }
            Err(error) => {
                self.record_failure(now, &error);
                Err(error)
            }
        }
    }

    /// Drops the current value when `stale` says so, after any renewal in progress (so a value
    /// renewed meanwhile is judged, not the one the caller saw). Returns whether it was dropped.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub fn invalidate_if(&self, stale: impl Fn(&T) -> bool) -> bool {
        let _guard = self.lock();
        let drop_it = self
            .current
            .load()
            .as_deref()
            .is_some_and(|cached| stale(&cached.value));
        if drop_it {
            self.current.store(None);
        }
        drop_it
    }

    /// Stores a value without looking at the current one (e.g. a token for every call).
    pub fn replace(&self, cached: Cached<T>) -> T {
        let value = cached.value.clone();
        self.current.store(Some(Arc::new(cached)));
        value
    }

    /// The current entry, if any.
    pub fn current(&self) -> Option<Arc<Cached<T>>> {
        self.current.load_full()
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // The guarded data is `()`: a panic elsewhere cannot leave it inconsistent.
        self.renewing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record_failure(&self, now: i64, error: &Error) {
        let count = self
            .failure
            .load()
            .as_deref()
            .map_or(1, |last| last.count.saturating_add(1));
        let retry_after = match error {
            Error::QuotaExceeded {
                retry_after_secs, ..
            } => *retry_after_secs,
            _ => None,
        };
        self.failure.store(Some(Arc::new(Failure {
            error: error.clone(),
            retry_at: now.saturating_add(failure_backoff_secs(count, retry_after)),
            count,
        })));
    }

    /// Called with the lock held: another caller may have renewed while we waited.
    fn renew_if_stale<R>(
        &self,
        now: i64,
        read: impl Fn(&T) -> R,
        renew: impl FnOnce(Urgency) -> Result<Cached<T>>,
        urgency: Urgency,
    ) -> Result<R> {
        if let Some(value) = self.fresh(now, &read) {
            return Ok(value);
        }
        match renew(urgency) {
            Ok(cached) => {
                let value = read(&cached.value);
                self.current.store(Some(Arc::new(cached)));
                self.failure.store(None);
                Ok(value)
            }
            Err(error) => {
                self.record_failure(now, &error);
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn entry(value: &str, renew_at: i64, valid_until: i64) -> Cached<String> {
        Cached {
            value: value.to_string(),
            renew_at,
            valid_until,
        }
    }

    fn down() -> Error {
        Error::Network {
            url: "https://example.com".into(),
            attempts: 1,
            message: "down".into(),
        }
    }

    #[test]
    fn a_failed_renewal_serves_the_valid_value_and_backs_off() {
        let cache = RenewingCache::new();
        cache.replace(entry("old", 100, 1000));
        let attempts = Cell::new(0);
        let failing = |urgency| {
            assert_eq!(urgency, Urgency::HaveValid);
            attempts.set(attempts.get() + 1);
            Err(down())
        };
        // Attempts at 100, 101, 103, 107, 115, 131, 163, 223, 283, ... (1 s doubling to 60 s).
        for now in 100..300 {
            assert_eq!(cache.get(now, String::clone, failing).unwrap(), "old");
        }
        assert_eq!(attempts.get(), 9);
        // A success clears the failure.
        let renewed = cache.get(400, String::clone, |_| Ok(entry("new", 500, 1000)));
        assert_eq!(renewed.unwrap(), "new");
        assert!(cache.failure.load().is_none());
    }

    #[test]
    fn with_nothing_valid_the_failure_is_shared_until_its_backoff_ends() {
        let cache: RenewingCache<String> = RenewingCache::new();
        let attempts = Cell::new(0);
        let failing = |urgency| {
            assert_eq!(urgency, Urgency::NothingValid);
            attempts.set(attempts.get() + 1);
            Err(down())
        };
        for _ in 0..5 {
            assert_eq!(cache.get(10, String::clone, failing).unwrap_err(), down());
        }
        assert_eq!(attempts.get(), 1);
        assert!(cache.get(11, String::clone, failing).is_err());
        assert_eq!(attempts.get(), 2);
        // Second failure in a row: 2 s.
        assert!(cache.get(12, String::clone, failing).is_err());
        assert_eq!(attempts.get(), 2);
        assert_eq!(
            cache
                .get(13, String::clone, |_| Ok(entry("v", 50, 60)))
                .unwrap(),
            "v"
        );
    }

    #[test]
    fn retry_after_lengthens_the_backoff_within_a_cap() {
        assert_eq!(failure_backoff_secs(1, None), 1);
        assert_eq!(failure_backoff_secs(3, None), 4);
        assert_eq!(failure_backoff_secs(200, None), 60);
        assert_eq!(failure_backoff_secs(u32::MAX, None), 60);
        assert_eq!(failure_backoff_secs(1, Some(120)), 120);
        assert_eq!(failure_backoff_secs(1, Some(u64::MAX)), 3600);
        let cache: RenewingCache<String> = RenewingCache::new();
        let quota = Error::QuotaExceeded {
            url: "u".into(),
            message: "m".into(),
            retry_after_secs: Some(300),
        };
        let _ = cache.get(0, String::clone, |_| Err(quota.clone()));
        assert_eq!(cache.failure.load().as_deref().unwrap().retry_at, 300);
        // Near the end of time the arithmetic saturates.
        let _ = cache.get(i64::MAX - 1, String::clone, |_| Err(quota.clone()));
        assert_eq!(cache.failure.load().as_deref().unwrap().retry_at, i64::MAX);
    }

    #[test]
    fn margins_saturate() {
        let margin = Margin::new(0.5, 60).unwrap();
        assert_eq!(margin.renew_at(i64::MIN, i64::MAX), i64::MIN);
        assert_eq!(margin.renew_at(1000, 100), 940);
    }

    #[test]
    fn debug_shows_times_not_values() {
        let cache = RenewingCache::new();
        cache.replace(entry("secret-token", 1, 2));
        let text = format!("{cache:?}");
        assert!(!text.contains("secret-token"), "{text}");
        assert!(text.contains("renew_at: 1"), "{text}");
    }
}
