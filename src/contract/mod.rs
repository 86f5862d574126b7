//! The contract layer: what every face of devtoken shares: the error kinds, fields and rule codes
//! ([`error`]) and every default, limit and range check ([`options`]). It imports
//! [`crate::base`] and [`crate::rules`].

pub mod error;
pub mod options;
