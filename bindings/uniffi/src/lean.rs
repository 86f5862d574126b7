//! Structure-free entry points for the hot calls from the JVM: `Signer.signToken`,
//! `TokenProvider.token` and a fresh `MapsTokenProvider.accessToken`.
//!
//! Every uniffi call from Kotlin builds JNA `Structure`s (a `RustCallStatus`, a `RustBuffer` per
//! compound argument and per result). Each one allocates native memory that JNA tracks in a
//! global map and frees from a cleaner thread; profiled on JDK 17 this costs tens of
//! microseconds per call, more than the signature itself. The functions here take and return
//! only integers and byte arrays, which JNA's direct mapping passes without any of that.
//!
//! They are an accelerator, never the only way in: each returns [`FALL_BACK`] for anything but
//! plain success (unknown handle, undecodable request, a rule broken, output too small), and the
//! Kotlin layer then makes the ordinary uniffi call, which reports the typed error. So errors
//! have one source, and the arguments are encoded with uniffi's own converters on both sides.
//!
//! Objects are reached through ids from [`Registry`], not through raw pointers: a stale or forged
//! id finds nothing and falls back, it cannot reach freed memory.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwapOption;

use devtoken_core as core;
use devtoken_core::{Claims, Service};
use uniffi::Lift;

use crate::UniFfiTag;

/// Returned by every lean entry point when the caller must make the ordinary uniffi call.
pub const FALL_BACK: i32 = -1;

/// Objects that lean calls may reach, by id. Ids are never reused.
///
/// Copy-on-write: a lookup loads the current map without writing to memory that other threads
/// read (arc-swap), so concurrent cached reads do not contend; registering or dropping an
/// object copies the map. That suits what these objects are: parsed once and shared for the
/// life of a service, not made per request.
pub(crate) struct Registry<T> {
    next_id: AtomicU64,
    entries: ArcSwapOption<BTreeMap<u64, Arc<T>>>,
}

impl<T> Registry<T> {
    const fn new() -> Self {
        Registry {
            next_id: AtomicU64::new(1),
            entries: ArcSwapOption::const_empty(),
        }
    }

    /// Makes `object` reachable until the returned registration is dropped.
    pub(crate) fn register(&'static self, object: Arc<T>) -> Registration<T> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.edit(|entries| {
            entries.insert(id, Arc::clone(&object));
        });
        Registration { id, registry: self }
    }

    /// Like [`register`](Self::register), except for an object whose calls reach an external
    /// signer (`external`): a declined lean call would then call the signer, and the uniffi call
    /// that follows would call it a second time (twice the wait for one that hangs). Such an
    /// object gets no id; [`lean_id`] gives [`NO_LEAN_ID`], which every lean call declines at once.
    pub(crate) fn register_unless_external(
        &'static self,
        external: bool,
        object: Arc<T>,
    ) -> Option<Registration<T>> {
        (!external).then(|| self.register(object))
    }

    /// Replaces the map with an edited copy (`change` may run again if another edit races).
    fn edit(&self, change: impl Fn(&mut BTreeMap<u64, Arc<T>>)) {
        self.entries.rcu(|entries| {
            let mut entries = entries.as_deref().cloned().unwrap_or_default();
            change(&mut entries);
            Some(Arc::new(entries))
        });
    }

    /// What `use_object` makes of object `id`, or `None` when no such object is registered.
    fn with<R>(&self, id: u64, use_object: impl FnOnce(&T) -> Option<R>) -> Option<R> {
        let entries = self.entries.load();
        use_object(entries.as_deref()?.get(&id)?)
    }
}

/// The id of an object that is not registered (ids start at 1): lean calls decline it.
pub(crate) const NO_LEAN_ID: u64 = 0;

/// The id a foreign caller passes for `registration`, or [`NO_LEAN_ID`] when there is none.
pub(crate) fn lean_id<T>(registration: &Option<Registration<T>>) -> u64 {
    registration.as_ref().map_or(NO_LEAN_ID, Registration::id)
}

/// An object's place in a [`Registry`]; dropping it (with the uniffi object that owns it)
/// makes the id unknown from then on.
pub(crate) struct Registration<T: 'static> {
    id: u64,
    registry: &'static Registry<T>,
}

impl<T> Registration<T> {
    /// The id the foreign side passes to lean calls.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }
}

impl<T> Drop for Registration<T> {
    fn drop(&mut self) {
        self.registry.edit(|entries| {
            entries.remove(&self.id);
        });
    }
}

/// Signers reachable from [`devtoken_lean_sign_token`].
pub(crate) static SIGNERS: Registry<core::Signer> = Registry::new();

/// Token providers reachable from [`devtoken_lean_provider_token`].
pub(crate) static PROVIDERS: Registry<core::TokenProvider> = Registry::new();

/// Maps providers reachable from [`devtoken_lean_maps_access_token`].
pub(crate) static MAPS_PROVIDERS: Registry<core::MapsTokenProvider> = Registry::new();

/// Signs like `Signer.signTokenAt` / `Signer.signToken`, writing the ASCII token into `out`.
///
/// `request` holds, in uniffi's serialization, a `Service`, a `Claims` and an `Option<i64>`
/// time (`None`: the system clock), exactly as the generated Kotlin converters write them, and
/// nothing after them: `request_len` is the length written, not the array's size.
/// Returns the token's length, or [`FALL_BACK`]; never panics across the boundary.
///
/// # Safety
///
/// `request` must point to `request_len` readable bytes and `out` to `out_capacity` writable
/// bytes that nothing else touches during the call, as JNA guarantees for byte[] arguments.
#[no_mangle]
pub unsafe extern "C" fn devtoken_lean_sign_token(
    signer_id: u64,
    request: *const u8,
    request_len: i32,
    out: *mut u8,
    out_capacity: i32,
) -> i32 {
    // SAFETY: this function's own contract, passed on.
    let Some(mut request) = (unsafe { input(request, request_len) }) else {
        return FALL_BACK;
    };
    // SAFETY: as above.
    unsafe {
        answer(out, out_capacity, || {
            let service = <Service as Lift<UniFfiTag>>::try_read(&mut request).ok()?;
            let claims = <Claims as Lift<UniFfiTag>>::try_read(&mut request).ok()?;
            let now = <Option<i64> as Lift<UniFfiTag>>::try_read(&mut request).ok()?;
            if !request.is_empty() {
                return None;
            }
            SIGNERS.with(signer_id, |signer| {
                match now {
                    Some(now) => signer.sign_token_at(service, &claims, now),
                    None => signer.sign_token(service, &claims),
                }
                .ok()
            })
        })
    }
}

/// `TokenProvider.token()`: the cached token, or a newly signed one when it is due, written
/// into `out`. Returns the token's length, or [`FALL_BACK`]; never panics across the boundary.
///
/// # Safety
///
/// `out` must point to `out_capacity` writable bytes that nothing else touches during the call,
/// as JNA guarantees for a byte[] argument.
#[no_mangle]
pub unsafe extern "C" fn devtoken_lean_provider_token(
    provider_id: u64,
    out: *mut u8,
    out_capacity: i32,
) -> i32 {
    // SAFETY: this function's own contract, passed on.
    unsafe {
        answer(out, out_capacity, || {
            PROVIDERS.with(provider_id, |provider| provider.token().ok())
        })
    }
}

/// `MapsTokenProvider.accessToken()` while the cached access token is fresh, written into
/// `out`. Returns its length, or [`FALL_BACK`] when an exchange is due (the uniffi call makes
/// it, so a failing exchange is attempted once); never panics across the boundary.
///
/// # Safety
///
/// As for [`devtoken_lean_provider_token`].
#[no_mangle]
pub unsafe extern "C" fn devtoken_lean_maps_access_token(
    provider_id: u64,
    out: *mut u8,
    out_capacity: i32,
) -> i32 {
    // SAFETY: this function's own contract, passed on.
    unsafe {
        answer(out, out_capacity, || {
            MAPS_PROVIDERS.with(provider_id, |provider| provider.fresh_access_token())
        })
    }
}

/// The bytes a foreign caller passed, when the pointer and length are usable.
///
/// # Safety
///
/// A non-null `pointer` must point to `length` readable bytes that stay valid and unchanged for
/// the rest of the call (JNA's guarantee for a byte[] argument; the Kotlin caller passes a length
/// no larger than the array).
unsafe fn input<'call>(pointer: *const u8, length: i32) -> Option<&'call [u8]> {
    let length = usize::try_from(length).ok()?;
    // SAFETY: null was refused, and the caller vouches for `length` bytes.
    (!pointer.is_null()).then(|| unsafe { std::slice::from_raw_parts(pointer, length) })
}

/// The buffer a foreign caller passed for the answer, when the pointer and length are usable.
///
/// # Safety
///
/// As for [`input`], and the bytes must be writable and touched by nothing else meanwhile.
unsafe fn output<'call>(pointer: *mut u8, length: i32) -> Option<&'call mut [u8]> {
    let length = usize::try_from(length).ok()?;
    // SAFETY: null was refused, and the caller vouches for `length` writable, unaliased bytes.
    (!pointer.is_null()).then(|| unsafe { std::slice::from_raw_parts_mut(pointer, length) })
}

/// Writes the token `produce` returns into the caller's buffer and returns its length;
/// [`FALL_BACK`] when the buffer is unusable, `produce` returns nothing, the token does not fit,
/// or `produce` panics (which the core never should).
///
/// # Safety
///
/// As for [`output`].
unsafe fn answer(out: *mut u8, out_capacity: i32, produce: impl FnOnce() -> Option<String>) -> i32 {
    // SAFETY: the caller's contract, passed on.
    let Some(out) = (unsafe { output(out, out_capacity) }) else {
        return FALL_BACK;
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let token = produce()?;
        out.get_mut(..token.len())?
            .copy_from_slice(token.as_bytes());
        i32::try_from(token.len()).ok()
    }))
    .ok()
    .flatten()
    .unwrap_or(FALL_BACK)
}
