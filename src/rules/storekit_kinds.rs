//! The StoreKit JWS kinds signed with an In-App Purchase key, as a table: one
//! [`StoreKitKindRules`] row per kind with its `aud`, its name and the claims it must carry.
//! Signing ([`crate::token::storekit`]) writes the `aud` of this table and inspection
//! ([`crate::token::inspect`]) tells the kinds apart and checks their claims by it. Formats: the
//! spec's section "StoreKit in-app signatures".
//!
//! ```
//! use devtoken::StoreKitKind;
//! let kind = StoreKitKind::from_audience("promotional-offer").unwrap();
//! assert_eq!(kind, StoreKitKind::PromotionalOffer);
//! assert_eq!(kind.required_claims(), ["productId", "offerIdentifier"]);
//! ```

/// `aud` of a promotional offer V2 JWS.
pub const AUD_PROMOTIONAL_OFFER: &str = "promotional-offer";
/// `aud` of an introductory-offer eligibility JWS.
pub const AUD_INTRODUCTORY_OFFER_ELIGIBILITY: &str = "introductory-offer-eligibility";
/// `aud` of an Advanced Commerce in-app request JWS.
pub const AUD_ADVANCED_COMMERCE: &str = "advanced-commerce-api";

/// The three StoreKit JWS kinds, told apart by their `aud`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKitKind {
    /// Promotional offer V2 (`aud` = `promotional-offer`).
    PromotionalOffer,
    /// Introductory-offer eligibility (`aud` = `introductory-offer-eligibility`).
    IntroductoryOfferEligibility,
    /// Advanced Commerce in-app request (`aud` = `advanced-commerce-api`).
    AdvancedCommerce,
}

/// One row of the StoreKit table: what a token of one kind carries besides the members every
/// kind shares (header `typ` = `JWT`; `iss`, `iat`, `bid`, `aud` and `nonce`; no `exp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreKitKindRules {
    /// The kind this row describes.
    pub kind: StoreKitKind,
    /// The `aud` the kind carries.
    pub audience: &'static str,
    /// A short human name, e.g. `StoreKit promotional offer (V2)`.
    pub name: &'static str,
    /// The claims a token of this kind must carry, besides the shared ones.
    pub required_claims: &'static [&'static str],
}

/// The table, indexed by `StoreKitKind as usize` (asserted below when the crate compiles).
const KINDS: &[StoreKitKindRules] = &[
    StoreKitKindRules {
        kind: StoreKitKind::PromotionalOffer,
        audience: AUD_PROMOTIONAL_OFFER,
        name: "StoreKit promotional offer (V2)",
        required_claims: &["productId", "offerIdentifier"],
    },
    StoreKitKindRules {
        kind: StoreKitKind::IntroductoryOfferEligibility,
        audience: AUD_INTRODUCTORY_OFFER_ELIGIBILITY,
        name: "StoreKit introductory-offer eligibility",
        required_claims: &["productId", "allowIntroductoryOffer", "transactionId"],
    },
    StoreKitKindRules {
        kind: StoreKitKind::AdvancedCommerce,
        audience: AUD_ADVANCED_COMMERCE,
        name: "StoreKit Advanced Commerce in-app request",
        required_claims: &["request"],
    },
];

// Row `n` describes the kind whose discriminant is `n`, so `StoreKitKind::rules` can index.
crate::base::table::assert_rows_in_enum_order!(KINDS, kind);

impl StoreKitKind {
    /// The row of the table for this kind.
    pub fn rules(self) -> &'static StoreKitKindRules {
        &KINDS[self as usize]
    }

    /// The `aud` this kind carries.
    pub fn audience(self) -> &'static str {
        self.rules().audience
    }

    /// The kind a token's `aud` names, if it is one of the three.
    pub fn from_audience(aud: &str) -> Option<Self> {
        KINDS
            .iter()
            .find(|row| row.audience == aud)
            .map(|row| row.kind)
    }

    /// A short human name.
    pub fn name(self) -> &'static str {
        self.rules().name
    }

    /// The claims a token of this kind must carry (besides `iss`, `iat`, `bid`, `aud`, `nonce`).
    pub fn required_claims(self) -> &'static [&'static str] {
        self.rules().required_claims
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_round_trip() {
        for kind in KINDS.iter().map(|row| row.kind) {
            assert_eq!(StoreKitKind::from_audience(kind.audience()), Some(kind));
            assert_eq!(kind.rules().kind, kind);
        }
        assert_eq!(StoreKitKind::from_audience("appstoreconnect-v1"), None);
    }
}
