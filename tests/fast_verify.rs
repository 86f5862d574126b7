//! `fast_verify::verify_fast` must decide exactly as stock p256 0.14's `VerifyingKey::verify`:
//! on valid signatures (low- and high-S), tampered messages, wrong keys and random (r, s).

use devtoken::hazmat::fast_verify::verify_fast;
use p256::{
    ecdsa::{
        signature::{Signer, Verifier},
        Signature, SigningKey, VerifyingKey,
    },
    elliptic_curve::{ops::Reduce, Generate},
    FieldBytes, Scalar, U256,
};
use proptest::prelude::*;

fn stock(key: &VerifyingKey, msg: &[u8], signature: &Signature) -> bool {
    key.verify(msg, signature).is_ok()
}

/// Checks agreement and returns the shared decision.
fn agree(key: &VerifyingKey, msg: &[u8], signature: &Signature) -> bool {
    let expected = stock(key, msg, signature);
    assert_eq!(
        verify_fast(key, msg, signature),
        expected,
        "disagreement on key {:?}, message {msg:?}, signature {signature:?}",
        key.to_sec1_bytes()
    );
    expected
}

/// The same signature with s replaced by n - s (still valid: p256 does not require low S).
fn negate_s(signature: &Signature) -> Signature {
    let (r, s) = signature.split_scalars();
    Signature::from_scalars(Scalar::from(r), -Scalar::from(s)).expect("nonzero")
}

#[test]
fn valid_tampered_and_foreign_signatures() {
    const KEYS: usize = 1_000;
    let mut accepted = 0;
    for i in 0..KEYS {
        let key = SigningKey::generate();
        let other = SigningKey::generate();
        let msg = format!("message {i} for verify_fast").into_bytes();
        let signature: Signature = key.sign(&msg);
        let public = key.verifying_key();
        assert!(agree(public, &msg, &signature), "valid signature #{i}");
        assert!(
            agree(public, &msg, &negate_s(&signature)),
            "high-S twin #{i}"
        );
        let mut tampered = msg.clone();
        tampered[i % msg.len()] ^= 1 << (i % 8);
        assert!(!agree(public, &tampered, &signature), "tampered #{i}");
        assert!(
            !agree(other.verifying_key(), &msg, &signature),
            "foreign key #{i}"
        );
        accepted += 2;
    }
    eprintln!("valid_tampered_and_foreign_signatures: {KEYS} keys, {accepted} accepted, all agree");
}

fn scalar(bytes: [u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce(&U256::from_be_slice(&bytes))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_signatures_agree(
        key in any::<[u8; 32]>(),
        r in any::<[u8; 32]>(),
        s in any::<[u8; 32]>(),
        msg in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let key_bytes: FieldBytes = key.into();
        if let Ok(key) = SigningKey::from_bytes(&key_bytes) {
            if let Ok(signature) = Signature::from_scalars(scalar(r), scalar(s)) {
                agree(key.verifying_key(), &msg, &signature);
            }
            let signature: Signature = key.sign(&msg);
            prop_assert!(agree(key.verifying_key(), &msg, &signature));
        }
    }
}

#[test]
fn the_digest_form_decides_as_p256_prehash_verify() {
    use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    let key = p256::ecdsa::SigningKey::from_slice(&[0x42; 32]).unwrap();
    let other = p256::ecdsa::SigningKey::from_slice(&[0x43; 32]).unwrap();
    for i in 0u8..32 {
        let digest = [i; 32];
        let signature: p256::ecdsa::Signature = key.sign_prehash(&digest).unwrap();
        for (verifier, d) in [(&key, digest), (&other, digest), (&key, [i ^ 1; 32])] {
            let expected = verifier
                .verifying_key()
                .verify_prehash(&d, &signature)
                .is_ok();
            let got = devtoken::hazmat::fast_verify::verify_digest_fast(
                verifier.verifying_key(),
                &d,
                &signature,
            );
            assert_eq!(got, expected, "digest {i}");
        }
    }
}
