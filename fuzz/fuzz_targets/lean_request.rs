#![no_main]
//! See devtoken-uniffi's fuzzing::lean_request (bindings/uniffi/src/fuzzing.rs).

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    devtoken_uniffi::fuzzing::lean_request(data);
});
