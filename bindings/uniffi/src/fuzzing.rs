//! The entry point of the `lean_request` fuzz target (`fuzz/`) and of its corpus replay
//! (`bindings/uniffi-rlib/tests/lean_fuzz_corpus.rs`, which builds these sources as an rlib);
//! feature `fuzzing`, not a stable API.
//!
//! It feeds the lean JNA entry points what a hostile or buggy caller could: any request bytes
//! (raw, or a well-formed uniffi request cut short or extended), any length (negative, longer or
//! shorter than what was written), null pointers, unknown or forged object ids and any output
//! capacity. The oracle:
//! - the answer is a token length or exactly [`FALL_BACK`], never anything else, never a panic;
//! - a token written into the buffer verifies under the signer's public key, and is the token the
//!   ordinary call makes from the same decoded request (tokens are deterministic for a given
//!   time);
//! - a fall-back for a request the ordinary call signs happens only when the buffer is too small.

use std::sync::{Arc, OnceLock};

use devtoken_core as core;
use devtoken_core::fuzzing::Input;
use devtoken_core::{Claims, Service};
use uniffi::{Lift, Lower};

use crate::lean::{self, Registration, FALL_BACK};
use crate::UniFfiTag;

/// A signer registered for the whole run, as a Kotlin `Signer` would be.
fn registered_signer() -> &'static (Arc<core::Signer>, Registration<core::Signer>) {
    static SIGNER: OnceLock<(Arc<core::Signer>, Registration<core::Signer>)> = OnceLock::new();
    SIGNER.get_or_init(|| {
        let key = core::PrivateKey::from_pem(core::demo::DEMO_KEY_PEM).expect("the demo key");
        let signer = Arc::new(core::Signer::new(key, "FUZZKEY001").expect("a valid key id"));
        let registration = lean::SIGNERS.register(Arc::clone(&signer));
        (signer, registration)
    })
}

/// A well-formed request as the Kotlin converters write it, from the fuzzer's choices.
fn well_formed_request(input: &mut Input<'_>) -> Vec<u8> {
    let service = input.service().unwrap_or(Service::AppleMusic);
    let claims = input.claims();
    let now = (input.u8() % 4 != 0).then(|| input.time());
    let mut request = Vec::new();
    <Service as Lower<UniFfiTag>>::write(service, &mut request);
    <Claims as Lower<UniFfiTag>>::write(claims, &mut request);
    <Option<i64> as Lower<UniFfiTag>>::write(now, &mut request);
    // Damage it the way a caller's bug could: cut it short, or append bytes.
    match input.u8() % 4 {
        0 => request.truncate(usize::from(input.u8()) * 2),
        1 => {
            let extra = usize::from(input.u8() % 8);
            request.extend_from_slice(input.bytes(extra));
        }
        _ => {}
    }
    request
}

/// What the ordinary uniffi path makes of `request`: `None` when it does not decode (or has
/// trailing bytes or no explicit time), else the ordinary call's result.
fn ordinary_sign(signer: &core::Signer, mut request: &[u8]) -> Option<Result<String, String>> {
    let service = <Service as Lift<UniFfiTag>>::try_read(&mut request).ok()?;
    let claims = <Claims as Lift<UniFfiTag>>::try_read(&mut request).ok()?;
    let now = <Option<i64> as Lift<UniFfiTag>>::try_read(&mut request).ok()??;
    if !request.is_empty() {
        return None;
    }
    Some(
        signer
            .sign_token_at(service, &claims, now)
            .map_err(|e| e.to_string()),
    )
}

/// A token's header and claims without `jti`, the one part that is fresh in every token (a
/// random UUID for the OAuth services when the caller gives none); all else is deterministic.
/// Also says whether there was a `jti`.
fn without_jwt_id(token: &str) -> (core::DecodedToken, bool) {
    let mut decoded = core::decode_token(token).expect("a signed token decodes");
    let had_jwt_id = decoded.claims.remove("jti").is_some();
    (decoded, had_jwt_id)
}

/// The lean entry points with any request, length, id and buffer; returns whether the lean
/// call wrote a token (so the corpus replay can show that signing is reached, not only refused).
pub fn lean_request(data: &[u8]) -> bool {
    let (signer, registration) = registered_signer();
    let mut input = Input::new(data);
    let signer_id = match input.u8() % 4 {
        0 | 1 => registration.id(),
        2 => [0, u64::MAX, registration.id() + 1][usize::from(input.u8() % 3)],
        _ => input.u64(),
    };
    let capacity = match input.u8() % 4 {
        0 => 0,
        1 => usize::from(input.u8()) * 4,
        _ => 2048,
    };
    let request = if input.u8() % 2 == 0 {
        well_formed_request(&mut input)
    } else {
        input.rest().to_vec()
    };
    let written_len = i32::try_from(request.len()).expect("a fuzz input is small");
    let (request_len, null_request, null_out) = match input.u8() % 8 {
        0 => (-1 - i32::from(input.u8()), false, false),
        1 => (written_len.min(i32::from(input.u8())), false, false),
        2 => (written_len, true, false),
        3 => (written_len, false, true),
        _ => (written_len, false, false),
    };
    let out_capacity = i32::try_from(capacity).expect("a small capacity");
    let mut out = vec![0u8; capacity];
    let request_ptr = if null_request {
        std::ptr::null()
    } else {
        request.as_ptr()
    };
    let out_ptr = if null_out {
        std::ptr::null_mut()
    } else {
        out.as_mut_ptr()
    };
    // SAFETY: `request_len` never exceeds the request's length (a negative one is refused before
    // any read), `out_capacity` is `out`'s length, and nothing else touches either buffer.
    let answer = unsafe {
        lean::devtoken_lean_sign_token(signer_id, request_ptr, request_len, out_ptr, out_capacity)
    };

    let given = usize::try_from(request_len)
        .ok()
        .and_then(|len| request.get(..len));
    let ordinary = given.and_then(|given| ordinary_sign(signer, given));
    let signed = answer != FALL_BACK;
    if !signed {
        // Falling back is right for anything but a token the ordinary call makes; for such a
        // token only a missing buffer, a foreign id or a too-small buffer explains it (or a
        // request that leaves the time to the system clock, which this oracle does not replay).
        if let Some(Ok(token)) = &ordinary {
            assert!(
                signer_id != registration.id()
                    || null_request
                    || null_out
                    || token.len() > capacity,
                "fell back on a request the ordinary call signs ({} bytes, capacity {capacity})",
                token.len()
            );
        }
    } else {
        let len = usize::try_from(answer).expect("a token length or FALL_BACK");
        assert_eq!(
            signer_id,
            registration.id(),
            "a token from an unregistered id"
        );
        assert!(!null_request && !null_out, "a token from a null buffer");
        let token = std::str::from_utf8(&out[..len]).expect("an ASCII token");
        core::verify_token(token, &signer.public_key()).expect("a lean token verifies");
        if let Some(ordinary) = ordinary {
            let ordinary = ordinary.expect("the ordinary call signs what the lean call signs");
            if ordinary != token {
                // Only a fresh `jti` may differ; the rest is byte for byte (RFC 6979).
                let (ordinary, lean) = (without_jwt_id(&ordinary), without_jwt_id(token));
                assert!(ordinary.1 && lean.1, "lean and ordinary tokens differ");
                assert_eq!(ordinary.0, lean.0, "lean and ordinary tokens differ");
            }
        }
    }

    // The provider entry points with ids that were never registered.
    let provider_id = input.u64() | (1 << 63);
    // SAFETY: `out` has `out_capacity` writable bytes.
    unsafe {
        assert_eq!(
            lean::devtoken_lean_provider_token(provider_id, out.as_mut_ptr(), out_capacity),
            FALL_BACK
        );
        assert_eq!(
            lean::devtoken_lean_maps_access_token(provider_id, out.as_mut_ptr(), out_capacity),
            FALL_BACK
        );
    }
    signed
}
