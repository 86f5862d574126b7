//! A [`Signer`] over an [`ExternalSigner`] (a key the application never holds) does everything a
//! signer with an in-memory key does: every service, the providers, the StoreKit signatures, with
//! every token checked by `ring`. The stand-in "KMS" here is p256's own prehash signer, which
//! uses RFC 6979 like devtoken, so it must reproduce the shared vectors byte for byte: proof that
//! the digest, the normalisation of its DER answers and the encoding add nothing.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use common::{claims_from_json, ring_verifies, vectors};
use devtoken::clock::ManualClock;
use devtoken::{
    Claims, ErrorKind, ExternalSigner, ExternalSignerError, PromotionalOffer, PromotionalOfferV1,
    PublicKey, Service, Signer, SignerProblem, TokenProvider,
};
use p256::ecdsa::signature::hazmat::{PrehashSigner, RandomizedPrehashSigner};
use p256::elliptic_curve::rand_core::{TryCryptoRng, TryRng};
use p256::elliptic_curve::Generate;
use p256::pkcs8::DecodePrivateKey;

/// A key behind an interface, answering in DER as KMSs do; it can be switched to failing.
/// `hedged`: a fresh random nonce for each signature, as HSMs and KMSs sign (else RFC 6979).
struct StandInKms {
    key: p256::ecdsa::SigningKey,
    hedged: bool,
    down: AtomicBool,
    calls: AtomicUsize,
}

impl StandInKms {
    fn new(pem: &str) -> Arc<Self> {
        Self::build(pem, false)
    }

    fn hedged(pem: &str) -> Arc<Self> {
        Self::build(pem, true)
    }

    fn build(pem: &str, hedged: bool) -> Arc<Self> {
        Arc::new(StandInKms {
            key: p256::ecdsa::SigningKey::from_pkcs8_pem(pem).unwrap(),
            hedged,
            down: AtomicBool::new(false),
            calls: AtomicUsize::new(0),
        })
    }
}

/// The operating system's randomness, drawn through p256's key generation (32 bytes a key).
struct OsRandom;

impl TryRng for OsRandom {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(32) {
            let random = p256::ecdsa::SigningKey::try_generate().unwrap().to_bytes();
            chunk.copy_from_slice(&random[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for OsRandom {}

impl ExternalSigner for StandInKms {
    fn public_key(&self) -> PublicKey {
        PublicKey::from_sec1_bytes(self.key.verifying_key().to_sec1_point(false).as_bytes())
            .unwrap()
    }

    fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, ExternalSignerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(ExternalSignerError::new(
                SignerProblem::Unavailable,
                "the KMS is down",
            ));
        }
        let signature: p256::ecdsa::Signature = if self.hedged {
            self.key
                .sign_prehash_with_rng(&mut OsRandom, digest)
                .unwrap()
        } else {
            self.key.sign_prehash(digest).unwrap()
        };
        Ok(signature.to_der().as_bytes().to_vec())
    }

    fn describe(&self) -> String {
        "stand-in KMS".to_string()
    }
}

fn vector_pem() -> String {
    vectors()["key"]["pem"].as_str().unwrap().to_string()
}

#[test]
fn an_rfc6979_external_signer_reproduces_every_vector() {
    let doc = vectors();
    let kms = StandInKms::new(&vector_pem());
    for case in doc["tokens"].as_array().unwrap() {
        let key_id = case["key_id"]
            .as_str()
            .or(doc["key"]["key_id"].as_str())
            .unwrap();
        let signer = Signer::from_external(kms.clone(), key_id)
            .unwrap()
            .with_clock_skew(case["clock_skew"].as_i64().unwrap())
            .unwrap();
        assert!(signer.is_external());
        let service: Service = case["service"].as_str().unwrap().parse().unwrap();
        let token = signer
            .sign_token_at(
                service,
                &claims_from_json(&case["claims"]),
                case["now"].as_i64().unwrap(),
            )
            .unwrap();
        assert_eq!(token, case["token"].as_str().unwrap(), "{}", case["name"]);
        assert!(ring_verifies(&token, &signer.public_key()));
    }
}

#[test]
fn storekit_signatures_work_over_an_external_signer() {
    let kms = StandInKms::new(&vector_pem());
    let signer = Signer::from_external(kms, "ABC123DEFG").unwrap();
    let offer = PromotionalOffer {
        issuer_id: "57246542-96fe-1a63-e053-0824d011072a".into(),
        bundle_id: "com.example.app".into(),
        product_id: "com.example.monthly".into(),
        offer_id: "intro".into(),
        transaction_id: None,
        nonce: None,
    };
    let jws = signer.promotional_offer(&offer).unwrap();
    assert!(ring_verifies(&jws, &signer.public_key()));
    let v1 = PromotionalOfferV1 {
        nonce: Some("a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d".into()),
        timestamp_ms: Some(1_700_000_000_000),
        ..PromotionalOfferV1::new("com.example.app", "com.example.monthly", "intro")
    };
    let signed = signer.promotional_offer_v1(&v1).unwrap();
    assert!(devtoken::verify_promotional_offer_v1(
        &v1,
        "ABC123DEFG",
        &signed.signature,
        &signer.public_key()
    )
    .unwrap());
}

#[test]
fn a_provider_serves_its_valid_token_while_the_signer_is_down() {
    let kms = StandInKms::new(&vector_pem());
    let signer = Signer::from_external(kms.clone(), "ABC123DEFG").unwrap();
    let clock = Arc::new(ManualClock::new(1_700_000_000));
    let provider = TokenProvider::with_clock(
        signer,
        Service::AppleMusic,
        Claims::new("DEF123GHIJ").ttl(3600),
        Default::default(),
        clock.clone(),
    )
    .unwrap();
    let first = provider.token().unwrap();
    kms.down.store(true, Ordering::SeqCst);
    // Past the renewal margin but before `exp`: the failed renewal is absorbed.
    clock.advance(3000);
    assert_eq!(provider.token().unwrap(), first);
    let calls = kms.calls.load(Ordering::SeqCst);
    // Within the backoff, no new call to the signer (no retry storm).
    for _ in 0..50 {
        assert_eq!(provider.token().unwrap(), first);
    }
    assert_eq!(kms.calls.load(Ordering::SeqCst), calls);
    // Once the token has expired, the signer's failure reaches the caller, typed.
    clock.advance(700);
    let error = provider.token().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ExternalSigner);
    assert_eq!(
        (error.field(), error.rule()),
        (Some("signer"), Some("unavailable"))
    );
    assert!(error.to_string().contains("stand-in KMS"), "{error}");
    // Back up: the next call past the backoff signs again.
    kms.down.store(false, Ordering::SeqCst);
    clock.advance(120);
    let renewed = provider.token().unwrap();
    assert_ne!(renewed, first);
    assert!(ring_verifies(&renewed, &kms.public_key()));
}

/// Keys in an HSM or a KMS sign with random nonces, so a fleet over them cannot hand out the same
/// bytes; the aligned grid still gives every process one `iat` per period (what Apple sees: one
/// `iat`, several signatures, each valid).
#[test]
fn a_fleet_over_random_nonce_signers_shares_the_iat_not_the_bytes() {
    let grid_point = 1_699_999_200; // a point of APNs' 40-minute grid
    let tokens: Vec<(String, Arc<StandInKms>)> = [grid_point + 100, grid_point + 1700]
        .into_iter()
        .map(|now| {
            let kms = StandInKms::hedged(&vector_pem());
            let provider = TokenProvider::with_clock(
                Signer::from_external(kms.clone(), "ABC123DEFG").unwrap(),
                Service::Apns,
                Claims::new("DEF123GHIJ"),
                Default::default(),
                Arc::new(ManualClock::new(now)),
            )
            .unwrap();
            (provider.token().unwrap(), kms)
        })
        .collect();
    let signed_part = |token: &str| token.rsplit_once('.').unwrap().0.to_string();
    let (early, late) = (&tokens[0].0, &tokens[1].0);
    assert_eq!(signed_part(early), signed_part(late), "one header, one iat");
    assert_ne!(early, late, "random nonces: different signatures");
    for (token, kms) in &tokens {
        assert!(ring_verifies(token, &kms.public_key()));
    }
}
