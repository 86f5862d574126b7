//! StoreKit in-app signatures made with an In-App Purchase key: promotional offers (V2 JWS and
//! the original V1 signature), introductory-offer eligibility and Advanced Commerce in-app
//! requests. Formats: the spec's section "StoreKit in-app signatures" (Apple's "Generating JWS to
//! sign App Store requests" and "Generating a signature for promotional offers").
//!
//! ```
//! use devtoken::{PrivateKey, Signer};
//! use devtoken::storekit::PromotionalOffer;
//! let signer = Signer::new(PrivateKey::generate()?, "ABC123DEFG")?;
//! let offer = PromotionalOffer::new(
//!     "57246542-96fe-1a63-e053-0824d011072a", "com.example.app", "com.example.monthly", "SAVE50");
//! let jws = signer.promotional_offer(&offer)?;
//! assert_eq!(jws.split('.').count(), 3);
//! # Ok::<(), devtoken::Error>(())
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use p256::ecdsa::{DerSignature, Signature};
use serde_json::{Map, Value};

use crate::base::clock::unix_now;
pub use crate::base::clock::unix_now_millis;
use crate::contract::error::{Error, Result, Rule};
use crate::crypto::jwt::encode_and_sign;
use crate::crypto::keys::PublicKey;
use crate::rules::identifiers;
// The kinds and their `aud`s are the rules layer's table; re-exported at their old paths.
pub use crate::rules::storekit_kinds::{
    StoreKitKind, AUD_ADVANCED_COMMERCE, AUD_INTRODUCTORY_OFFER_ELIGIBILITY, AUD_PROMOTIONAL_OFFER,
};
use crate::token::signer::Signer;

/// U+2063 INVISIBLE SEPARATOR, which joins the fields of a V1 promotional-offer payload.
pub const V1_SEPARATOR: char = '\u{2063}';

/// A promotional offer V2 to sign (compact JWS, `aud` = `promotional-offer`).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub transaction_id: Option<String>,
    /// The nonce (a UUID); `None` for a fresh random UUID v4.
    pub nonce: Option<String>,
}

impl PromotionalOffer {
    /// An offer without a transaction id and with a fresh nonce.
    pub fn new(
        issuer_id: impl Into<String>,
        bundle_id: impl Into<String>,
        product_id: impl Into<String>,
        offer_id: impl Into<String>,
    ) -> Self {
        PromotionalOffer {
            issuer_id: issuer_id.into(),
            bundle_id: bundle_id.into(),
            product_id: product_id.into(),
            offer_id: offer_id.into(),
            transaction_id: None,
            nonce: None,
        }
    }

    /// Sets the transaction id.
    pub fn transaction_id(mut self, transaction_id: impl Into<String>) -> Self {
        self.transaction_id = Some(transaction_id.into());
        self
    }

    /// Sets the nonce (for reproducible output).
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }
}

/// An introductory-offer eligibility to sign (compact JWS,
/// `aud` = `introductory-offer-eligibility`).
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The nonce (a UUID); `None` for a fresh random UUID v4.
    pub nonce: Option<String>,
}

impl IntroOfferEligibility {
    /// An eligibility statement with a fresh nonce.
    pub fn new(
        issuer_id: impl Into<String>,
        bundle_id: impl Into<String>,
        product_id: impl Into<String>,
        allow_introductory_offer: bool,
        transaction_id: impl Into<String>,
    ) -> Self {
        IntroOfferEligibility {
            issuer_id: issuer_id.into(),
            bundle_id: bundle_id.into(),
            product_id: product_id.into(),
            allow_introductory_offer,
            transaction_id: transaction_id.into(),
            nonce: None,
        }
    }

    /// Sets the nonce (for reproducible output).
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }
}

/// An Advanced Commerce in-app request to sign (compact JWS, `aud` = `advanced-commerce-api`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvancedCommerceRequest {
    /// The issuer ID (a UUID).
    pub issuer_id: String,
    /// The app's bundle id (`bid`).
    pub bundle_id: String,
    /// The request's JSON, exactly as it is to be sent: encoded byte for byte, standard base64
    /// with padding, as the `request` claim.
    pub request: Vec<u8>,
    /// The nonce (a UUID); `None` for a fresh random UUID v4.
    pub nonce: Option<String>,
}

impl AdvancedCommerceRequest {
    /// A request with a fresh nonce.
    pub fn new(
        issuer_id: impl Into<String>,
        bundle_id: impl Into<String>,
        request: impl Into<Vec<u8>>,
    ) -> Self {
        AdvancedCommerceRequest {
            issuer_id: issuer_id.into(),
            bundle_id: bundle_id.into(),
            request: request.into(),
            nonce: None,
        }
    }

    /// Sets the nonce (for reproducible output).
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }
}

/// A promotional offer V1 (the original API, also Retention Messaging's
/// `PromotionalOfferSignatureV1`): a DER ECDSA signature over the U+2063-joined fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromotionalOfferV1 {
    /// The app's bundle id.
    pub bundle_id: String,
    /// The product id.
    pub product_id: String,
    /// The promotional offer id.
    pub offer_id: String,
    /// The application username / app account token (lower-cased when signed; may be empty).
    pub application_username: String,
    /// The nonce (a UUID, lower-cased when signed); `None` for a fresh random UUID v4.
    pub nonce: Option<String>,
    /// The timestamp in UNIX milliseconds; `None` for the system clock.
    pub timestamp_ms: Option<i64>,
}

impl PromotionalOfferV1 {
    /// An offer with an empty application username, a fresh nonce and the current time.
    pub fn new(
        bundle_id: impl Into<String>,
        product_id: impl Into<String>,
        offer_id: impl Into<String>,
    ) -> Self {
        PromotionalOfferV1 {
            bundle_id: bundle_id.into(),
            product_id: product_id.into(),
            offer_id: offer_id.into(),
            application_username: String::new(),
            nonce: None,
            timestamp_ms: None,
        }
    }

    /// Sets the application username (app account token).
    pub fn application_username(mut self, username: impl Into<String>) -> Self {
        self.application_username = username.into();
        self
    }

    /// Sets the nonce (for reproducible output).
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// Sets the timestamp in UNIX milliseconds.
    pub fn timestamp_ms(mut self, timestamp_ms: i64) -> Self {
        self.timestamp_ms = Some(timestamp_ms);
        self
    }

    /// The exact string that is signed, for given `key_id`, nonce and timestamp (both required
    /// here). Validates the fields.
    pub fn payload(&self, key_id: &str) -> Result<String> {
        let nonce = match &self.nonce {
            Some(nonce) => nonce.as_str(),
            None => {
                return Err(Error::claim(
                    "nonce",
                    Rule::Required,
                    "nonce is required to rebuild a V1 payload",
                ))
            }
        };
        let timestamp = self.timestamp_ms.ok_or_else(|| {
            Error::claim(
                "timestamp",
                Rule::Required,
                "timestamp is required to rebuild a V1 payload",
            )
        })?;
        v1_payload(self, key_id, nonce, timestamp)
    }
}

/// A signed promotional offer V1: what the app passes to StoreKit.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Milliseconds: between 2001-09-09 (10^12 ms) and 5138 (10^14 ms); a value in seconds is refused.
const MIN_TIMESTAMP_MS: i64 = 1_000_000_000_000;
const MAX_TIMESTAMP_MS: i64 = 100_000_000_000_000;

fn check_issuer(issuer_id: &str) -> Result<()> {
    if issuer_id.is_empty() {
        return Err(Error::claim(
            "iss",
            Rule::Required,
            "iss (the issuer ID) is required",
        ));
    }
    if !identifiers::is_uuid(issuer_id) {
        return Err(Error::claim(
            "iss",
            Rule::Format,
            "iss must be the issuer ID, a UUID such as 57246542-96fe-1a63-e053-0824d011072a",
        ));
    }
    Ok(())
}

fn check_bundle_id(field: &'static str, bundle_id: &str) -> Result<()> {
    if bundle_id.is_empty() {
        return Err(Error::claim(
            field,
            Rule::Required,
            format!("{field} (the bundle id) is required"),
        ));
    }
    identifiers::check_reverse_dns(bundle_id)
        .map_err(|why| Error::claim(field, Rule::Format, format!("{field} {why}")))
}

fn check_non_empty(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::claim(
            field,
            Rule::Required,
            format!("{field} is required and must not be empty"),
        ));
    }
    if value.len() > 1024 {
        return Err(Error::claim(
            field,
            Rule::Format,
            format!("{field} is longer than 1024 bytes"),
        ));
    }
    Ok(())
}

/// The nonce to sign: the caller's (checked to be a UUID) or a fresh random UUID v4.
fn nonce_or_new(nonce: Option<&str>) -> Result<String> {
    match nonce {
        None => Ok(uuid::Uuid::new_v4().to_string()),
        Some(nonce) if identifiers::is_uuid(nonce) => Ok(nonce.to_string()),
        Some(_) => Err(Error::claim(
            "nonce",
            Rule::Format,
            "nonce must be a UUID such as 2f7e5c1a-8d3b-4c2e-9a1f-0b6d4e8c7a25 (a new one for every signature)",
        )),
    }
}

fn check_timestamp_ms(timestamp: i64) -> Result<()> {
    if !(MIN_TIMESTAMP_MS..MAX_TIMESTAMP_MS).contains(&timestamp) {
        return Err(Error::claim(
            "timestamp",
            Rule::TimeRange,
            format!("timestamp {timestamp} is not UNIX time in milliseconds (seconds multiplied by 1000)"),
        ));
    }
    Ok(())
}

fn v1_payload(
    offer: &PromotionalOfferV1,
    key_id: &str,
    nonce: &str,
    timestamp: i64,
) -> Result<String> {
    check_bundle_id("bundleId", &offer.bundle_id)?;
    check_non_empty("productId", &offer.product_id)?;
    check_non_empty("offerId", &offer.offer_id)?;
    if offer.application_username.len() > 1024 {
        return Err(Error::claim(
            "applicationUsername",
            Rule::Format,
            "applicationUsername is longer than 1024 bytes",
        ));
    }
    let nonce = nonce_or_new(Some(nonce))?.to_lowercase();
    check_timestamp_ms(timestamp)?;
    let sep = V1_SEPARATOR.to_string();
    Ok([
        offer.bundle_id.as_str(),
        key_id,
        offer.product_id.as_str(),
        offer.offer_id.as_str(),
        &offer.application_username.to_lowercase(),
        &nonce,
        &timestamp.to_string(),
    ]
    .join(&sep))
}

fn jws_claims(
    issuer_id: &str,
    bundle_id: &str,
    kind: StoreKitKind,
    nonce: Option<&str>,
    now: i64,
) -> Result<Map<String, Value>> {
    check_issuer(issuer_id)?;
    check_bundle_id("bid", bundle_id)?;
    let nonce = nonce_or_new(nonce)?;
    let mut claims = Map::new();
    claims.insert("iss".into(), issuer_id.into());
    claims.insert("iat".into(), now.into());
    claims.insert("bid".into(), bundle_id.into());
    claims.insert("aud".into(), kind.audience().into());
    claims.insert("nonce".into(), nonce.into());
    Ok(claims)
}

impl Signer {
    fn sign_storekit_jws(&self, claims: &Map<String, Value>) -> Result<String> {
        let mut header = Map::new();
        header.insert("alg".into(), "ES256".into());
        header.insert("kid".into(), self.key_id().into());
        header.insert("typ".into(), "JWT".into());
        encode_and_sign(&header, claims, |message| self.sign_message(message))
    }

    /// Signs a promotional offer V2 (compact JWS) at the system clock's time.
    pub fn promotional_offer(&self, offer: &PromotionalOffer) -> Result<String> {
        self.promotional_offer_at(offer, unix_now())
    }

    /// Like [`promotional_offer`](Self::promotional_offer) with `iat` = `now` (UNIX seconds):
    /// with a given nonce, the same inputs give the same bytes (RFC 6979).
    pub fn promotional_offer_at(&self, offer: &PromotionalOffer, now: i64) -> Result<String> {
        let mut claims = jws_claims(
            &offer.issuer_id,
            &offer.bundle_id,
            StoreKitKind::PromotionalOffer,
            offer.nonce.as_deref(),
            now,
        )?;
        check_non_empty("productId", &offer.product_id)?;
        check_non_empty("offerIdentifier", &offer.offer_id)?;
        claims.insert("productId".into(), offer.product_id.as_str().into());
        claims.insert("offerIdentifier".into(), offer.offer_id.as_str().into());
        if let Some(transaction_id) = &offer.transaction_id {
            check_non_empty("transactionId", transaction_id)?;
            claims.insert("transactionId".into(), transaction_id.as_str().into());
        }
        self.sign_storekit_jws(&claims)
    }

    /// Signs an introductory-offer eligibility (compact JWS) at the system clock's time.
    pub fn intro_offer_eligibility(&self, eligibility: &IntroOfferEligibility) -> Result<String> {
        self.intro_offer_eligibility_at(eligibility, unix_now())
    }

    /// Like [`intro_offer_eligibility`](Self::intro_offer_eligibility) with `iat` = `now`.
    pub fn intro_offer_eligibility_at(
        &self,
        eligibility: &IntroOfferEligibility,
        now: i64,
    ) -> Result<String> {
        let mut claims = jws_claims(
            &eligibility.issuer_id,
            &eligibility.bundle_id,
            StoreKitKind::IntroductoryOfferEligibility,
            eligibility.nonce.as_deref(),
            now,
        )?;
        check_non_empty("productId", &eligibility.product_id)?;
        check_non_empty("transactionId", &eligibility.transaction_id)?;
        claims.insert("productId".into(), eligibility.product_id.as_str().into());
        claims.insert(
            "allowIntroductoryOffer".into(),
            eligibility.allow_introductory_offer.into(),
        );
        claims.insert(
            "transactionId".into(),
            eligibility.transaction_id.as_str().into(),
        );
        self.sign_storekit_jws(&claims)
    }

    /// Signs an Advanced Commerce in-app request (compact JWS) at the system clock's time.
    pub fn advanced_commerce_request(&self, request: &AdvancedCommerceRequest) -> Result<String> {
        self.advanced_commerce_request_at(request, unix_now())
    }

    /// Like [`advanced_commerce_request`](Self::advanced_commerce_request) with `iat` = `now`.
    /// The request bytes must be a JSON object; they are encoded as given, never re-serialized.
    pub fn advanced_commerce_request_at(
        &self,
        request: &AdvancedCommerceRequest,
        now: i64,
    ) -> Result<String> {
        let mut claims = jws_claims(
            &request.issuer_id,
            &request.bundle_id,
            StoreKitKind::AdvancedCommerce,
            request.nonce.as_deref(),
            now,
        )?;
        if request.request.iter().all(u8::is_ascii_whitespace) {
            return Err(Error::claim(
                "request",
                Rule::Required,
                "request (the request's JSON) is required",
            ));
        }
        if request.request.len() > crate::contract::options::MAX_TOKEN_BYTES {
            return Err(Error::claim(
                "request",
                Rule::Format,
                format!(
                    "request is longer than {} bytes",
                    crate::contract::options::MAX_TOKEN_BYTES
                ),
            ));
        }
        match serde_json::from_slice::<Value>(&request.request) {
            Ok(Value::Object(_)) => {}
            _ => {
                return Err(Error::claim(
                    "request",
                    Rule::Format,
                    "request must be the request's JSON object (UTF-8)",
                ))
            }
        }
        claims.insert("request".into(), STANDARD.encode(&request.request).into());
        self.sign_storekit_jws(&claims)
    }

    /// Signs a promotional offer V1: a DER ECDSA signature (standard base64) over the
    /// U+2063-joined fields, with the nonce, timestamp and key id the app passes to StoreKit.
    /// With a given nonce and timestamp the signature is deterministic (RFC 6979).
    pub fn promotional_offer_v1(
        &self,
        offer: &PromotionalOfferV1,
    ) -> Result<PromotionalOfferV1Signature> {
        let nonce = nonce_or_new(offer.nonce.as_deref())?.to_lowercase();
        let timestamp = match offer.timestamp_ms {
            Some(timestamp) => timestamp,
            None => unix_now_millis(),
        };
        let payload = v1_payload(offer, self.key_id(), &nonce, timestamp)?;
        let signature: Signature = self.sign_message(payload.as_bytes())?;
        let der: DerSignature = signature.to_der();
        Ok(PromotionalOfferV1Signature {
            signature: STANDARD.encode(der.as_bytes()),
            nonce,
            timestamp_ms: timestamp,
            key_id: self.key_id().to_string(),
        })
    }
}

/// Checks a promotional offer V1 signature: `offer` carries the nonce and timestamp that were
/// signed, `key_id` the key id, `signature` the standard-base64 DER signature. `Ok(true)` when it
/// verifies with `public_key`, `Ok(false)` when it does not (or is not base64 DER); an error
/// when a field is invalid.
pub fn verify_promotional_offer_v1(
    offer: &PromotionalOfferV1,
    key_id: &str,
    signature: &str,
    public_key: &PublicKey,
) -> Result<bool> {
    let payload = offer.payload(key_id)?;
    let Ok(der) = STANDARD.decode(signature.trim()) else {
        return Ok(false);
    };
    let Ok(signature) = Signature::from_der(&der) else {
        return Ok(false);
    };
    Ok(crate::crypto::hazmat::fast_verify::verify_fast(
        public_key.verifying_key(),
        payload.as_bytes(),
        &signature,
    ))
}

/// The StoreKit kind of decoded claims, from their `aud`.
pub fn kind_of(claims: &Map<String, Value>) -> Option<StoreKitKind> {
    claims
        .get("aud")
        .and_then(Value::as_str)
        .and_then(StoreKitKind::from_audience)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_payload_is_joined_by_invisible_separators() {
        let offer = PromotionalOfferV1::new("com.example.app", "prod", "offer")
            .application_username("ABC")
            .nonce("2F7E5C1A-8D3B-4C2E-9A1F-0B6D4E8C7A25")
            .timestamp_ms(1_700_000_000_000);
        assert_eq!(
            offer.payload("ABC123DEFG").unwrap(),
            [
                "com.example.app",
                "ABC123DEFG",
                "prod",
                "offer",
                "abc",
                "2f7e5c1a-8d3b-4c2e-9a1f-0b6d4e8c7a25",
                "1700000000000"
            ]
            .join("\u{2063}")
        );
    }
}
