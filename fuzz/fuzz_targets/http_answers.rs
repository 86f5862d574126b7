#![no_main]
//! See devtoken::fuzzing::http_answers.

libfuzzer_sys::fuzz_target!(|data: &[u8]| devtoken::fuzzing::http_answers(data));
