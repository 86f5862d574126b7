//! Hazardous materials: the constant-time signing internals ([`fast_sign`]: the fixed-base comb
//! and its table scan; [`modinv`]: the safegcd inversions) and the variable-time verifier of
//! public data ([`fast_verify`]). Public only for the benchmarks, the dudect timing test and the
//! property tests; not part of the stable API (hidden from the docs). Use
//! [`Signer`](crate::token::signer::Signer) and [`verify_token`](crate::verify_token) instead.

pub mod fast_sign;
pub mod fast_verify;
pub mod modinv;
