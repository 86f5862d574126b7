#![no_main]
//! See devtoken::fuzzing::tokens.

libfuzzer_sys::fuzz_target!(|data: &[u8]| devtoken::fuzzing::tokens(data));
