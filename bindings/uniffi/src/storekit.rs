//! StoreKit in-app signatures on `Signer`: promotional offer V2, introductory-offer eligibility,
//! Advanced Commerce in-app request (compact JWS) and promotional offer V1 (DER signature), and
//! the V1 check. The core's input structs are described to uniffi with `#[uniffi::remote]`;
//! every check and default (fresh nonce, system clock) is the core's.

use devtoken_core as core;
use devtoken_core::storekit::{
    AdvancedCommerceRequest, IntroOfferEligibility, PromotionalOffer, PromotionalOfferV1Signature,
};

use crate::error::Result;
use crate::signer::Signer;

/// A promotional offer V2 to sign (`aud` = `promotional-offer`).
#[uniffi::remote(Record)]
pub struct PromotionalOffer {
    /// The issuer ID (a UUID) from App Store Connect.
    pub issuer_id: String,
    /// The app's bundle id (`bid`).
    pub bundle_id: String,
    /// The product id (`productId`).
    pub product_id: String,
    /// The promotional offer id (`offerIdentifier`).
    pub offer_id: String,
    /// The transaction id (`transactionId`): optional, recommended.
    #[uniffi(default)]
    pub transaction_id: Option<String>,
    /// The nonce (a UUID); None for a fresh random UUID v4.
    #[uniffi(default)]
    pub nonce: Option<String>,
}

/// An introductory-offer eligibility to sign (`aud` = `introductory-offer-eligibility`).
#[uniffi::remote(Record)]
pub struct IntroOfferEligibility {
    /// The issuer ID (a UUID).
    pub issuer_id: String,
    /// The app's bundle id (`bid`).
    pub bundle_id: String,
    /// The product id (`productId`).
    pub product_id: String,
    /// Whether the customer may have the introductory offer (`allowIntroductoryOffer`).
    pub allow_introductory_offer: bool,
    /// The transaction id (`transactionId`), required.
    pub transaction_id: String,
    /// The nonce (a UUID); None for a fresh random UUID v4.
    #[uniffi(default)]
    pub nonce: Option<String>,
}

/// An Advanced Commerce in-app request to sign (`aud` = `advanced-commerce-api`).
#[uniffi::remote(Record)]
pub struct AdvancedCommerceRequest {
    /// The issuer ID (a UUID).
    pub issuer_id: String,
    /// The app's bundle id (`bid`).
    pub bundle_id: String,
    /// The request's JSON bytes, encoded as given (standard base64) as the `request` claim.
    pub request: Vec<u8>,
    /// The nonce (a UUID); None for a fresh random UUID v4.
    #[uniffi(default)]
    pub nonce: Option<String>,
}

/// A promotional offer V1 to sign or check. Fields left None take the core's defaults (an
/// empty application username, a fresh nonce, the current time); a check needs the nonce and
/// timestamp that were signed.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PromotionalOfferV1 {
    /// The app's bundle id.
    pub bundle_id: String,
    /// The product id.
    pub product_id: String,
    /// The promotional offer id.
    pub offer_id: String,
    /// The application username / app account token (lower-cased when signed).
    #[uniffi(default)]
    pub application_username: Option<String>,
    /// The nonce (a UUID, lower-cased when signed).
    #[uniffi(default)]
    pub nonce: Option<String>,
    /// The timestamp in UNIX milliseconds.
    #[uniffi(default)]
    pub timestamp_ms: Option<i64>,
}

impl From<PromotionalOfferV1> for core::PromotionalOfferV1 {
    fn from(offer: PromotionalOfferV1) -> Self {
        let mut core_offer =
            core::PromotionalOfferV1::new(offer.bundle_id, offer.product_id, offer.offer_id);
        if let Some(username) = offer.application_username {
            core_offer = core_offer.application_username(username);
        }
        if let Some(nonce) = offer.nonce {
            core_offer = core_offer.nonce(nonce);
        }
        if let Some(timestamp_ms) = offer.timestamp_ms {
            core_offer = core_offer.timestamp_ms(timestamp_ms);
        }
        core_offer
    }
}

/// A signed promotional offer V1: what the app passes to StoreKit.
#[uniffi::remote(Record)]
pub struct PromotionalOfferV1Signature {
    /// The DER ECDSA signature, standard base64.
    pub signature: String,
    /// The nonce signed (lower-cased UUID).
    pub nonce: String,
    /// The timestamp signed, UNIX milliseconds.
    pub timestamp_ms: i64,
    /// The key id signed.
    pub key_id: String,
}

#[uniffi::export]
impl Signer {
    /// Signs a promotional offer V2 (compact JWS) at the system clock's time, or with
    /// `iat` = `now` (UNIX seconds) when given.
    #[uniffi::method(default(now = None))]
    pub fn promotional_offer(&self, offer: PromotionalOffer, now: Option<i64>) -> Result<String> {
        Ok(match now {
            Some(now) => self.inner.promotional_offer_at(&offer, now),
            None => self.inner.promotional_offer(&offer),
        }?)
    }

    /// Signs an introductory-offer eligibility (compact JWS), at `now` when given.
    #[uniffi::method(default(now = None))]
    pub fn intro_offer_eligibility(
        &self,
        eligibility: IntroOfferEligibility,
        now: Option<i64>,
    ) -> Result<String> {
        Ok(match now {
            Some(now) => self.inner.intro_offer_eligibility_at(&eligibility, now),
            None => self.inner.intro_offer_eligibility(&eligibility),
        }?)
    }

    /// Signs an Advanced Commerce in-app request (compact JWS), at `now` when given.
    #[uniffi::method(default(now = None))]
    pub fn advanced_commerce_request(
        &self,
        request: AdvancedCommerceRequest,
        now: Option<i64>,
    ) -> Result<String> {
        Ok(match now {
            Some(now) => self.inner.advanced_commerce_request_at(&request, now),
            None => self.inner.advanced_commerce_request(&request),
        }?)
    }

    /// Signs a promotional offer V1: the DER signature (standard base64) with the nonce,
    /// timestamp and key id the app passes to StoreKit.
    pub fn promotional_offer_v1(
        &self,
        offer: PromotionalOfferV1,
    ) -> Result<PromotionalOfferV1Signature> {
        Ok(self.inner.promotional_offer_v1(&offer.into())?)
    }
}

/// Checks a promotional offer V1 signature: `offer` with the nonce and timestamp that were
/// signed, `key_id`, the standard-base64 DER `signature` and the public key (SPKI PEM). True
/// when it verifies, false when it does not; an error when a field is invalid.
#[uniffi::export]
pub fn verify_promotional_offer_v1(
    offer: PromotionalOfferV1,
    key_id: String,
    signature: String,
    public_key_pem: String,
) -> Result<bool> {
    let key = core::PublicKey::from_pem(&public_key_pem)?;
    Ok(core::verify_promotional_offer_v1(
        &offer.into(),
        &key_id,
        &signature,
        &key,
    )?)
}
