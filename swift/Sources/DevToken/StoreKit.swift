import DevTokenUniFFI
import Foundation

/// A StoreKit promotional offer V2 to sign (`aud` = `promotional-offer`); a `nil` nonce is a
/// fresh random UUID.
public typealias PromotionalOffer = DevTokenUniFFI.PromotionalOffer

/// A StoreKit introductory-offer eligibility to sign; a `nil` nonce is a fresh random UUID.
public typealias IntroOfferEligibility = DevTokenUniFFI.IntroOfferEligibility

/// A StoreKit Advanced Commerce in-app request to sign: the request's JSON bytes, sent as given.
public typealias AdvancedCommerceRequest = DevTokenUniFFI.AdvancedCommerceRequest

/// A StoreKit promotional offer V1 to sign or check; fields left `nil` take the core's defaults
/// (an empty application username, a fresh nonce, the current time). A check needs the nonce and
/// the timestamp (UNIX milliseconds) that were signed.
public typealias PromotionalOfferV1 = DevTokenUniFFI.PromotionalOfferV1

/// A signed promotional offer V1: the signature (standard base64 DER), nonce, timestamp and key id
/// the app passes to StoreKit.
public typealias PromotionalOfferV1Signature = DevTokenUniFFI.PromotionalOfferV1Signature

extension Signer {
    /// Signs a StoreKit promotional offer V2 (compact JWS) at the system clock's time, or with
    /// `iat` = `now` when given: with a given nonce, the same inputs give the same bytes.
    public func promotionalOffer(_ offer: PromotionalOffer, at now: Date? = nil) throws(DevTokenError) -> String {
        try translatingErrors { try native.promotionalOffer(offer: offer, now: now.map(unixSeconds)) }
    }

    /// Signs a StoreKit introductory-offer eligibility (compact JWS), at `now` when given.
    public func introOfferEligibility(_ eligibility: IntroOfferEligibility, at now: Date? = nil) throws(DevTokenError)
        -> String
    {
        try translatingErrors {
            try native.introOfferEligibility(eligibility: eligibility, now: now.map(unixSeconds))
        }
    }

    /// Signs a StoreKit Advanced Commerce in-app request (compact JWS), at `now` when given.
    public func advancedCommerceRequest(_ request: AdvancedCommerceRequest, at now: Date? = nil)
        throws(DevTokenError) -> String
    {
        try translatingErrors { try native.advancedCommerceRequest(request: request, now: now.map(unixSeconds)) }
    }

    /// Signs a StoreKit promotional offer V1: the signature with the nonce, timestamp and key id.
    public func promotionalOfferV1(_ offer: PromotionalOfferV1) throws(DevTokenError) -> PromotionalOfferV1Signature {
        try translatingErrors { try native.promotionalOfferV1(offer: offer) }
    }
}

/// Checks a StoreKit promotional offer V1 `signature` (standard base64 DER) over `offer`, which
/// carries the nonce and timestamp that were signed, and `keyId`, with `publicKeyPEM`: `true` when
/// it verifies, `false` when it does not; `.invalidClaim` when a field is invalid.
public func verifyPromotionalOfferV1(
    _ offer: PromotionalOfferV1, keyId: String, signature: String, publicKeyPEM: String
) throws(DevTokenError) -> Bool {
    try translatingErrors {
        try DevTokenUniFFI.verifyPromotionalOfferV1(
            offer: offer, keyId: keyId, signature: signature, publicKeyPem: publicKeyPEM)
    }
}
