//! The crypto layer: P-256 keys as people paste them ([`keys`]) and the compact JWS
//! ([`jwt`]: encoding, ES256 signing and verification), and keys held elsewhere ([`external`]:
//! HSMs, KMSs, callbacks; [`pkcs11`] with the `pkcs11` feature). The constant-time internals sit behind
//! [`hazmat`]. It imports the layers below: [`crate::base`], [`crate::rules`],
//! [`crate::contract`].

pub mod external;
pub mod hazmat;
pub mod jwt;
pub mod keys;
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
