#![no_main]
//! See devtoken::fuzzing::keys.

libfuzzer_sys::fuzz_target!(|data: &[u8]| devtoken::fuzzing::keys(data));
