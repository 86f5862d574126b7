//! The crypto layer: P-256 keys as people paste them ([`keys`]) and the compact JWS
//! ([`jwt`]: encoding, ES256 signing and verification). The constant-time internals sit behind
//! [`hazmat`]. It imports the layers below: [`crate::base`], [`crate::rules`],
//! [`crate::contract`].

pub mod hazmat;
pub mod jwt;
pub mod keys;
