#![no_main]
//! See devtoken::fuzzing::claims.

libfuzzer_sys::fuzz_target!(|data: &[u8]| devtoken::fuzzing::claims(data));
