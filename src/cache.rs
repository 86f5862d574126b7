//! [`RenewingCache`]: the lock-free, single-flight cache under [`TokenProvider`] and the Maps
//! access-token provider.
//!
//! Readers of a fresh value do one atomic load (`arc-swap`) and never block. When the value goes
//! stale, exactly one caller renews it while the others keep getting the old, still-valid value;
//! callers wait only when there is no valid value at all.
//!
//! [`TokenProvider`]: crate::TokenProvider

use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use arc_swap::ArcSwapOption;

use crate::error::{Error, OptionRule, Result};
use crate::options::{check_range, MAX_MARGIN_SECS};

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
        expires_at - margin
    }
}

/// A cached value and the times that govern it (UNIX seconds).
#[derive(Debug)]
pub(crate) struct Cached<T> {
    pub value: T,
    /// From this time on, one caller renews.
    pub renew_at: i64,
    /// Until this time the value may still be handed out.
    pub valid_until: i64,
}

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct RenewingCache<T> {
    current: ArcSwapOption<Cached<T>>,
    renewing: Mutex<()>,
}

impl<T: Clone> RenewingCache<T> {
    pub fn new() -> Self {
        RenewingCache {
            current: ArcSwapOption::empty(),
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

    /// What `read` makes of the value to use at `now`, calling `renew` (in one caller at a
    /// time) when it is stale. `read` sees the value in place: a fresh read copies out only
    /// what the caller needs and writes to no memory shared with other readers.
    pub fn get<R>(
        &self,
        now: i64,
        read: impl Fn(&T) -> R,
        renew: impl FnOnce() -> Result<Cached<T>>,
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
            // Stale but valid: one caller renews, the others keep the old value meanwhile.
            Some(old) => match self.renewing.try_lock() {
                Ok(_guard) => self.renew_if_stale(now, read, renew),
                Err(TryLockError::WouldBlock) => Ok(old),
                Err(TryLockError::Poisoned(poisoned)) => {
                    let _guard = poisoned.into_inner();
                    self.renew_if_stale(now, read, renew)
                }
            },
            // Nothing valid to hand out: wait for the renewer (or become it).
            None => {
                let _guard = self.lock();
                self.renew_if_stale(now, read, renew)
            }
        }
    }

    /// Renews now, after `allow` has approved the current value's replacement.
    pub fn renew_now(
        &self,
        allow: impl FnOnce(Option<&Cached<T>>) -> Result<()>,
        renew: impl FnOnce() -> Result<Cached<T>>,
    ) -> Result<T> {
        let _guard = self.lock();
        allow(self.current.load().as_deref())?;
        Ok(self.replace(renew()?))
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

    /// Called with the lock held: another caller may have renewed while we waited.
    fn renew_if_stale<R>(
        &self,
        now: i64,
        read: impl Fn(&T) -> R,
        renew: impl FnOnce() -> Result<Cached<T>>,
    ) -> Result<R> {
        if let Some(value) = self.fresh(now, &read) {
            return Ok(value);
        }
        let cached = renew()?;
        let value = read(&cached.value);
        self.current.store(Some(Arc::new(cached)));
        Ok(value)
    }
}
