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

mod cache;
pub mod claims;
pub mod clock;
pub mod defaults;
pub mod demo;
pub mod error;
#[cfg(feature = "http")]
mod exchange;
pub mod fast_sign;
pub mod fast_verify;
pub mod field;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "http")]
pub mod http;
mod identifiers;
pub mod inspect;
pub mod jwt;
pub mod keys;
#[cfg(feature = "http")]
pub mod maps;
pub mod modinv;
#[cfg(feature = "http")]
pub mod oauth;
pub mod options;
pub mod provider;
pub mod service;
pub mod signer;
pub mod storekit;

pub use claims::Claims;
pub use defaults::{core_defaults, CoreDefaults};
pub use error::{Error, ErrorKind, ErrorParts, KeyProblem, OptionRule, Result, Rule};
#[cfg(feature = "http")]
pub use http::{probe, HttpOptions, ProbeVerdict};
pub use inspect::{inspect_token, inspect_token_at, lifetime_warnings, Finding, Level};
pub use jwt::{decode_token, verify_token, DecodedToken};
pub use keys::{PrivateKey, PublicKey};
#[cfg(feature = "http")]
pub use maps::{AccessToken, MapsOptions, MapsTokenProvider};
#[cfg(feature = "http")]
pub use oauth::{OAuthOptions, OAuthTokenProvider};
pub use options::DurationInput;
pub use provider::{ProviderOptions, TokenProvider};
pub use service::{Lifetime, ReusePolicy, Service, ServiceRules};
pub use signer::{unix_now, Signer, SigningBackend, DEFAULT_CLOCK_SKEW_SECS};
pub use storekit::{
    verify_promotional_offer_v1, AdvancedCommerceRequest, IntroOfferEligibility, PromotionalOffer,
    PromotionalOfferV1, PromotionalOfferV1Signature, StoreKitKind,
};
