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
            black_box(devtoken::fast_sign::sign_fast(
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
    group.bench_function("verify_token", |b| {
        let public_key = signer.public_key();
        b.iter(|| devtoken::verify_token(black_box(&token), &public_key).unwrap())
    });
    group.bench_function("parse_key_pem", |b| {
        b.iter(|| PrivateKey::from_pem(black_box(KEY)).unwrap())
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

criterion_group!(signing, benches, provider_benches);
criterion_main!(signing);
