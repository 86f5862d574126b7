//! Signing costs: raw `p256` ECDSA, whole `sign_token`, key parsing and `verify_token`; and the
//! cost of `TokenProvider::token()` on a fresh cache; one line per StoreKit signature kind.
//!
//! The issue's goal: `sign_token` at most 1.10× the raw sign of the same message, same run.
//! Run: `cargo bench --bench signing`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use devtoken::{Claims, PrivateKey, Service, Signer, TokenProvider};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey;

const KEY: &str = devtoken::demo::DEMO_KEY_PEM;
const NOW: i64 = 1_700_000_000;

/// A stand-in for a KMS that answers at once, in DER as KMSs do.
struct InProcessKms(SigningKey);

impl devtoken::ExternalSigner for InProcessKms {
    fn public_key(&self) -> devtoken::PublicKey {
        devtoken::PublicKey::from_sec1_bytes(self.0.verifying_key().to_sec1_point(false).as_bytes())
            .unwrap()
    }

    fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, devtoken::ExternalSignerError> {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let signature: Signature = self.0.sign_prehash(digest).unwrap();
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

fn benches(c: &mut Criterion) {
    let signer = Signer::from_pem(KEY, "ABC123DEFG").unwrap();
    let claims = Claims::new("57246542-96fe-1a63-e053-0824d011072a")
        .bundle_id("com.example.app")
        .issued_at(NOW)
        .ttl(300);
    let token = signer
        .sign_token_at(Service::AppStoreServer, &claims, NOW)
        .unwrap();
    let signing_input = token.rsplit_once('.').unwrap().0.to_string();
    let raw_key = SigningKey::from_pkcs8_pem(KEY).unwrap();

    let mut group = c.benchmark_group("es256");
    group.bench_function("raw_p256_sign", |b| {
        b.iter(|| {
            let signature: Signature = raw_key.sign(black_box(signing_input.as_bytes()));
            black_box(signature)
        })
    });
    group.bench_function("fast_comb_sign", |b| {
        b.iter(|| {
            black_box(devtoken::hazmat::fast_sign::sign_fast(
                &raw_key,
                black_box(signing_input.as_bytes()),
            ))
        })
    });
    let stock_signer = signer
        .clone()
        .with_backend(devtoken::SigningBackend::StockP256);
    group.bench_function("sign_token_stock_p256", |b| {
        b.iter(|| {
            stock_signer
                .sign_token_at(black_box(Service::AppStoreServer), black_box(&claims), NOW)
                .unwrap()
        })
    });
    group.bench_function("sign_token", |b| {
        b.iter(|| {
            signer
                .sign_token_at(black_box(Service::AppStoreServer), black_box(&claims), NOW)
                .unwrap()
        })
    });
    // An external signer answering at once (p256's prehash signer behind the trait): what
    // devtoken adds around an HSM or KMS call (the thread hop with its timeout, DER
    // normalisation and the check against the declared key), beside `sign_token`.
    let external =
        Signer::from_external(Arc::new(InProcessKms(raw_key.clone())), "ABC123DEFG").unwrap();
    let stand_in = InProcessKms(raw_key.clone());
    group.bench_function("external_stand_in_alone", |b| {
        use devtoken::ExternalSigner as _;
        b.iter(|| stand_in.sign_digest(black_box(&[7; 32])).unwrap())
    });
    group.bench_function("sign_token_external_signer", |b| {
        b.iter(|| {
            external
                .sign_token_at(black_box(Service::AppStoreServer), black_box(&claims), NOW)
                .unwrap()
        })
    });
    // StoreKit signatures, each with a given nonce (a fresh UUID v4 costs little beside ECDSA).
    const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";
    const NONCE: &str = "2f7e5c1a-8d3b-4c2e-9a1f-0b6d4e8c7a25";
    let offer =
        devtoken::PromotionalOffer::new(ISSUER, "com.example.app", "com.example.monthly", "SAVE50")
            .nonce(NONCE);
    group.bench_function("storekit_promotional_offer", |b| {
        b.iter(|| signer.promotional_offer_at(black_box(&offer), NOW).unwrap())
    });
    let eligibility = devtoken::IntroOfferEligibility::new(
        ISSUER,
        "com.example.app",
        "com.example.monthly",
        true,
        "2000000123456789",
    )
    .nonce(NONCE);
    group.bench_function("storekit_intro_eligibility", |b| {
        b.iter(|| {
            signer
                .intro_offer_eligibility_at(black_box(&eligibility), NOW)
                .unwrap()
        })
    });
    let request = devtoken::AdvancedCommerceRequest::new(
        ISSUER,
        "com.example.app",
        br#"{"operation":"CREATE_SUBSCRIPTION","version":"1"}"#.to_vec(),
    )
    .nonce(NONCE);
    group.bench_function("storekit_advanced_commerce", |b| {
        b.iter(|| {
            signer
                .advanced_commerce_request_at(black_box(&request), NOW)
                .unwrap()
        })
    });
    let offer_v1 =
        devtoken::PromotionalOfferV1::new("com.example.app", "com.example.monthly", "SAVE50")
            .nonce(NONCE)
            .timestamp_ms(NOW * 1000);
    group.bench_function("storekit_promotional_offer_v1", |b| {
        b.iter(|| signer.promotional_offer_v1(black_box(&offer_v1)).unwrap())
    });
    group.bench_function("raw_p256_verify", |b| {
        use p256::ecdsa::signature::Verifier as _;
        let verifying_key = raw_key.verifying_key();
        let signature: Signature = raw_key.sign(signing_input.as_bytes());
        b.iter(|| {
            verifying_key
                .verify(black_box(signing_input.as_bytes()), &signature)
                .unwrap()
        })
    });
    group.bench_function("verify_token", |b| {
        let public_key = signer.public_key();
        b.iter(|| devtoken::verify_token(black_box(&token), &public_key).unwrap())
    });
    group.bench_function("parse_key_pem", |b| {
        b.iter(|| PrivateKey::from_pem(black_box(KEY)).unwrap())
    });
    group.finish();
}

/// Where a signature's time goes: the parts of `sign_fast` one by one, and one mixed addition
/// (the comb's unit of work) on p256 0.13's field against 0.14's.
fn breakdown_benches(c: &mut Criterion) {
    use p256::elliptic_curve::{ops::Reduce, PrimeField as _};
    use p256::{FieldBytes, Scalar};
    use sha2::Digest as _;

    let raw_key = SigningKey::from_pkcs8_pem(KEY).unwrap();
    let message = [0x5au8; 180]; // about the length of a signing input
    let digest: FieldBytes = sha2::Sha256::digest(message);
    let k = <Scalar as Reduce<FieldBytes>>::reduce(&digest);
    let mut group = c.benchmark_group("breakdown");
    group.bench_function("sha256_180_bytes", |b| {
        b.iter(|| sha2::Sha256::digest(black_box(message)))
    });
    group.bench_function("rfc6979_nonce", |b| {
        let d = raw_key.as_nonzero_scalar().to_repr();
        b.iter(|| {
            let mut kgen = rfc6979::KGenerator::<sha2::Sha256, p256::U256>::new(
                &d,
                black_box(&digest),
                &[],
                &<p256::NistP256 as p256::elliptic_curve::Curve>::ORDER,
            );
            let mut out = FieldBytes::default();
            kgen.fill_next_k(&mut out);
            out
        })
    });
    group.bench_function("comb_x_of_kG", |b| {
        b.iter(|| devtoken::hazmat::fast_sign::mul_by_generator_x(black_box(&k)))
    });
    // k⁻¹ mod n: p256's `Scalar::invert` (crypto-bigint's generic safegcd) against the
    // specialised safegcd of devtoken::hazmat::modinv that the signer uses, on the same value.
    group.bench_function("scalar_invert_ct", |b| {
        b.iter(|| black_box(k).invert().unwrap())
    });
    let order = devtoken::hazmat::modinv::P256_ORDER;
    let k_words = devtoken::hazmat::modinv::words_from_be_bytes(&k.to_repr().into());
    group.bench_function("scalar_invert_modinv", |b| {
        b.iter(|| order.invert(black_box(k_words)))
    });
    let g13 = p256_013::ProjectivePoint::GENERATOR;
    let a13 = p256_013::AffinePoint::GENERATOR;
    group.bench_function("mixed_add_p256_0_13", |b| {
        b.iter(|| black_box(g13) + black_box(&a13))
    });
    let g14 = p256::ProjectivePoint::GENERATOR;
    let a14 = p256::AffinePoint::GENERATOR;
    group.bench_function("mixed_add_p256_0_14", |b| {
        b.iter(|| black_box(g14) + black_box(&a14))
    });
    group.bench_function("to_affine_p256_0_13", |b| {
        b.iter(|| black_box(g13).to_affine())
    });
    group.finish();
}

/// `TokenProvider::token()` on a fresh cache: alone, and while another thread reads constantly.
fn provider_benches(c: &mut Criterion) {
    let signer = Signer::from_pem(KEY, "ABC123DEFG").unwrap();
    let provider = Arc::new(
        TokenProvider::new(
            signer,
            Service::AppleMusic,
            Claims::new("DEF123GHIJ").ttl(3600),
        )
        .unwrap(),
    );
    provider.token().unwrap();
    let mut group = c.benchmark_group("provider");
    group.bench_function("token_fresh_single_thread", |b| {
        b.iter(|| black_box(provider.token().unwrap()))
    });
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let provider = Arc::clone(&provider);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                black_box(provider.token().unwrap());
            }
        })
    };
    group.bench_function("token_fresh_two_threads_reading", |b| {
        b.iter(|| black_box(provider.token().unwrap()))
    });
    stop.store(true, Ordering::Relaxed);
    reader.join().unwrap();
    group.finish();
}

criterion_group!(signing, benches, breakdown_benches, provider_benches);
criterion_main!(signing);
