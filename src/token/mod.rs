//! The token layer: building and checking tokens. [`claims`] (one interpreter of the rule table
//! for signing), [`signer`], the StoreKit signatures ([`storekit`]), [`inspect`] (why Apple
//! would reject a token) and the public [`demo`] key. It imports the layers below:
//! [`crate::base`], [`crate::rules`], [`crate::contract`], [`crate::crypto`].

pub mod claims;
pub mod demo;
pub mod inspect;
pub mod signer;
pub mod storekit;
