//! # devtoken
//!
//! One validated ES256 signer for the JSON Web Tokens ("developer tokens", "provider tokens")
//! that Apple's server APIs demand: App Store Server API, External Purchase Server API, Apple
//! Music, Maps Server API / MapKit JS, Apps and Books, App Store Connect, Enterprise Program,
//! WeatherKit, Sign in with Apple, APNs and DeviceCheck; and the OAuth client assertions of Apple
//! School Manager, Apple Business Manager and Apple Ads, exchanged for access tokens.
//!
//! Each service's rules (header fields, claims, `aud`, lifetimes) live in one data-driven table
//! ([`ServiceRules`]); a [`Signer`] checks [`Claims`] against it and signs with RustCrypto's
//! constant-time P-256, deterministically (RFC 6979), with a 64-byte r||s signature.
//! [`verify_token`] checks a signature; [`inspect_token`] explains why Apple would reject a token.
//!
//! ```
//! use devtoken::{Claims, PrivateKey, Service, Signer};
//!
//! let key = PrivateKey::generate()?; // or PrivateKey::from_file("AuthKey_ABC123DEFG.p8")
//! let signer = Signer::new(key, "ABC123DEFG")?;
//! let token = signer.sign_token(
//!     Service::AppStoreServer,
//!     &Claims::new("57246542-96fe-1a63-e053-0824d011072a").bundle_id("com.example.app"),
//! )?;
//! let decoded = devtoken::verify_token(&token, &signer.public_key())?;
//! assert_eq!(decoded.claims["aud"], "appstoreconnect-v1");
//! # Ok::<(), devtoken::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

// The layers, bottom first: each imports only the layers before it (tests/layers.rs checks it).
// Blank lines keep rustfmt from sorting them.

/// Clock and text escaping.
mod base;

/// The service table, its one interpreter (`check`), the StoreKit kinds, identifiers, field
/// behaviour, findings.
mod rules;

/// Errors, defaults and limits: what every face shares.
mod contract;

/// Keys, JWS, and behind `hazmat` the constant-time internals.
mod crypto;

/// Claims, signer, StoreKit signatures, inspect, the demo key.
mod token;

pub mod provider;

/// HTTP, the Maps and OAuth exchanges, probe.
#[cfg(feature = "http")]
mod net;

// Above the layers, beside this facade: every default in one record, read from all the layers.
pub mod defaults;

// The public module paths, as they were before the layers (`devtoken::service::Service`, ...).
pub use base::clock;
pub use contract::{error, options};
#[cfg(feature = "pkcs11")]
pub use crypto::pkcs11;
pub use crypto::{jwt, keys};
#[cfg(feature = "http")]
pub use net::{auth, doctor, http, maps, oauth};
pub use rules::{check, field, service, storekit_kinds};
pub use token::{claims, demo, inspect, signer, storekit};

/// The constant-time signing internals and the verifier of public data: for benchmarks, timing
/// and property tests only, not a stable API.
#[doc(hidden)]
pub use crypto::hazmat;

/// Moved to [`hazmat`]: `devtoken::hazmat::fast_sign`.
#[doc(hidden)]
#[deprecated(note = "internal; use devtoken::hazmat::fast_sign")]
pub mod fast_sign {
    pub use crate::crypto::hazmat::fast_sign::*;
}
/// Moved to [`hazmat`]: `devtoken::hazmat::fast_verify`.
#[doc(hidden)]
#[deprecated(note = "internal; use devtoken::hazmat::fast_verify")]
pub mod fast_verify {
    pub use crate::crypto::hazmat::fast_verify::*;
}
/// Moved to [`hazmat`]: `devtoken::hazmat::modinv`.
#[doc(hidden)]
#[deprecated(note = "internal; use devtoken::hazmat::modinv")]
pub mod modinv {
    pub use crate::crypto::hazmat::modinv::*;
}

// Entry points for the fuzz targets in `fuzz/` and the corpus replay: not a stable API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use claims::Claims;
pub use crypto::external::{normalize_signature, ExternalSigner, ExternalSignerError};
pub use defaults::{core_defaults, CoreDefaults};
pub use error::{
    Error, ErrorKind, ErrorParts, KeyProblem, OptionRule, Result, Rule, SignerCause, SignerProblem,
};
#[cfg(feature = "http")]
pub use http::{measure_clock_offset, probe, HttpOptions, ProbeVerdict};
pub use inspect::{inspect_token, inspect_token_at, lifetime_warnings, Finding, Level};
pub use jwt::{decode_token, verify_token, DecodedToken};
pub use keys::{PrivateKey, PublicKey};
#[cfg(feature = "http")]
pub use maps::{AccessToken, MapsOptions, MapsTokenProvider};
#[cfg(feature = "http")]
pub use oauth::{OAuthOptions, OAuthTokenProvider};
pub use options::DurationInput;
#[cfg(feature = "pkcs11")]
pub use pkcs11::{PinSource, Pkcs11Config, Pkcs11Signer, Pkcs11Token};
pub use provider::{aligned_issued_at, alignment_period, ProviderOptions, TokenProvider};
pub use service::{Alignment, Lifetime, ReusePolicy, Service, ServiceRules};
pub use signer::{unix_now, Signer, SigningBackend, DEFAULT_CLOCK_SKEW_SECS};
pub use storekit::{
    verify_promotional_offer_v1, AdvancedCommerceRequest, IntroOfferEligibility, PromotionalOffer,
    PromotionalOfferV1, PromotionalOfferV1Signature, StoreKitKind,
};
