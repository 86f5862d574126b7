//! `devtoken storekit ...` end to end: output, verification, determinism, exit codes.

use std::process::{Command, Output, Stdio};

use devtoken::storekit::{verify_promotional_offer_v1, PromotionalOfferV1};
use devtoken::PrivateKey;

const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";
const NONCE: &str = "2f7e5c1a-8d3b-4c2e-9a1f-0b6d4e8c7a25";
/// The fields of a promotional offer V1 with a given nonce (upper case) and timestamp.
const V1_FIELDS: [&str; 12] = [
    "--bundle-id",
    "com.example.app",
    "--product-id",
    "com.example.monthly",
    "--offer-id",
    "SAVE50",
    "--application-username",
    "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D",
    "--nonce",
    "3D5F7A9B-2C4E-4F60-9182-A3B4C5D6E7F8",
    "--timestamp-ms",
    "1700000000123",
];

fn devtoken(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_devtoken"))
        .args(args)
        .env_remove("DEVTOKEN_KEY")
        .env_remove("DEVTOKEN_KEY_ID")
        .stdin(Stdio::null())
        .output()
        .expect("run devtoken")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn keygen(dir: &std::path::Path) -> String {
    let path = dir.join("SubscriptionKey_ABC123DEFG.p8");
    let output = devtoken(&["keygen", "--out", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    path.to_str().unwrap().to_string()
}

fn sign(key: &str, kind: &str, extra: &[&str]) -> Output {
    let mut args = vec!["storekit", kind, "--key", key, "--key-id", "ABC123DEFG"];
    args.extend_from_slice(extra);
    devtoken(&args)
}

fn verified_claims(key: &str, token: &str) -> serde_json::Value {
    let output = devtoken(&["verify", "--key", key, token]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(json["storekit"].is_string(), "{json}");
    json["claims"].clone()
}

#[test]
fn the_three_jws_kinds_sign_verify_and_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    let common = [
        "--issuer",
        ISSUER,
        "--bundle-id",
        "com.example.app",
        "--nonce",
        NONCE,
        "--issued-at",
        "1700000000",
    ];
    let cases: [(&str, Vec<&str>, &str); 3] = [
        (
            "promotional-offer",
            vec![
                "--product-id",
                "com.example.monthly",
                "--offer-id",
                "SAVE50",
                "--transaction-id",
                "2000000123456789",
            ],
            "promotional-offer",
        ),
        (
            "intro-eligibility",
            vec![
                "--product-id",
                "com.example.monthly",
                "--allow-introductory-offer",
                "false",
                "--transaction-id",
                "2000000123456789",
            ],
            "introductory-offer-eligibility",
        ),
        (
            "advanced-commerce",
            vec!["--request", r#"{"operation":"CREATE_SUBSCRIPTION"}"#],
            "advanced-commerce-api",
        ),
    ];
    for (kind, extra, aud) in cases {
        let mut args: Vec<&str> = common.to_vec();
        args.extend(extra);
        let output = sign(&key, kind, &args);
        assert!(output.status.success(), "{kind}: {}", stderr(&output));
        let token = stdout(&output);
        assert_eq!(token.lines().count(), 1);
        let token = token.trim();
        assert_eq!(token.split('.').count(), 3);
        // Deterministic with a given nonce and time.
        assert_eq!(stdout(&sign(&key, kind, &args)).trim(), token);
        let claims = verified_claims(&key, token);
        assert_eq!(claims["aud"], aud);
        assert_eq!(claims["nonce"], NONCE);
        assert!(claims.get("exp").is_none());
        if kind == "intro-eligibility" {
            assert_eq!(claims["allowIntroductoryOffer"], false);
        }
        if kind == "advanced-commerce" {
            assert_eq!(
                claims["request"],
                "eyJvcGVyYXRpb24iOiJDUkVBVEVfU1VCU0NSSVBUSU9OIn0="
            );
        }
        let inspect = devtoken(&["inspect", "--key", &key, token]);
        assert!(inspect.status.success(), "{kind}: {}", stdout(&inspect));
        assert!(stdout(&inspect).contains("storekit_kind"));
    }
}

#[test]
fn promotional_offer_v1_prints_signature_nonce_timestamp_and_key_id() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    let args = V1_FIELDS;
    let output = sign(&key, "promotional-offer-v1", &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["nonce"], "3d5f7a9b-2c4e-4f60-9182-a3b4c5d6e7f8");
    assert_eq!(json["timestamp"], 1_700_000_000_123_i64);
    assert_eq!(json["keyId"], "ABC123DEFG");
    assert_eq!(
        stdout(&sign(&key, "promotional-offer-v1", &args)),
        stdout(&output)
    );
    let offer = PromotionalOfferV1::new("com.example.app", "com.example.monthly", "SAVE50")
        .application_username("A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D")
        .nonce(json["nonce"].as_str().unwrap())
        .timestamp_ms(1_700_000_000_123);
    let public_key = PrivateKey::from_file(&key).unwrap().public_key();
    assert!(verify_promotional_offer_v1(
        &offer,
        "ABC123DEFG",
        json["signature"].as_str().unwrap(),
        &public_key
    )
    .unwrap());
    // Defaults: a fresh nonce, the current time, the key id from SubscriptionKey_<KEYID>.p8.
    let fresh = devtoken(&[
        "storekit",
        "promotional-offer-v1",
        "--key",
        &key,
        "--bundle-id",
        "com.example.app",
        "--product-id",
        "p",
        "--offer-id",
        "o",
    ]);
    assert!(fresh.status.success(), "{}", stderr(&fresh));
    let fresh: serde_json::Value = serde_json::from_str(&stdout(&fresh)).unwrap();
    assert!(fresh["timestamp"].as_i64().unwrap() > 1_700_000_000_000);
    assert_eq!(fresh["nonce"].as_str().unwrap().len(), 36);
    assert_eq!(fresh["keyId"], "ABC123DEFG");
}

#[test]
fn bad_storekit_input_exits_2_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    let bad_issuer = sign(
        &key,
        "promotional-offer",
        &[
            "--issuer",
            "DEF123GHIJ",
            "--bundle-id",
            "com.example.app",
            "--product-id",
            "p",
            "--offer-id",
            "o",
        ],
    );
    assert_eq!(bad_issuer.status.code(), Some(2));
    assert!(stdout(&bad_issuer).is_empty());
    assert!(
        stderr(&bad_issuer).contains("iss"),
        "{}",
        stderr(&bad_issuer)
    );
    let seconds = sign(
        &key,
        "promotional-offer-v1",
        &[
            "--bundle-id",
            "com.example.app",
            "--product-id",
            "p",
            "--offer-id",
            "o",
            "--timestamp-ms",
            "1700000000",
        ],
    );
    assert_eq!(seconds.status.code(), Some(2));
    assert!(
        stderr(&seconds).contains("milliseconds"),
        "{}",
        stderr(&seconds)
    );
    let not_json = sign(
        &key,
        "advanced-commerce",
        &[
            "--issuer",
            ISSUER,
            "--bundle-id",
            "com.example.app",
            "--request",
            "not json",
        ],
    );
    assert_eq!(not_json.status.code(), Some(2));
    assert!(
        stderr(&not_json).contains("request"),
        "{}",
        stderr(&not_json)
    );
    let no_key = devtoken(&[
        "storekit",
        "intro-eligibility",
        "--issuer",
        ISSUER,
        "--bundle-id",
        "com.example.app",
        "--product-id",
        "p",
        "--allow-introductory-offer",
        "true",
        "--transaction-id",
        "1",
    ]);
    assert_eq!(no_key.status.code(), Some(2));
}

#[test]
fn verify_promotional_offer_v1_exits_0_when_valid_1_when_not_2_for_bad_fields() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path());
    let fields = V1_FIELDS;
    let signed = sign(&key, "promotional-offer-v1", &fields);
    assert!(signed.status.success(), "{}", stderr(&signed));
    let json: serde_json::Value = serde_json::from_str(&stdout(&signed)).unwrap();
    let signature = json["signature"].as_str().unwrap().to_string();
    let check = |fields: &[&str], signature: &str| {
        let mut args = vec![
            "storekit",
            "verify-promotional-offer-v1",
            "--key",
            &key,
            "--key-id",
            "ABC123DEFG",
        ];
        args.extend_from_slice(fields);
        args.push(signature);
        devtoken(&args)
    };
    let valid = check(&fields, &signature);
    assert_eq!(valid.status.code(), Some(0), "{}", stderr(&valid));
    assert!(stdout(&valid).contains("is valid"), "{}", stdout(&valid));

    let mut other_offer = fields;
    other_offer[5] = "SAVE60";
    let invalid = check(&other_offer, &signature);
    assert_eq!(invalid.status.code(), Some(1), "{}", stdout(&invalid));
    assert!(
        stderr(&invalid).contains("does not verify"),
        "{}",
        stderr(&invalid)
    );
    assert_eq!(check(&fields, "not-base64").status.code(), Some(1));

    let mut bad_nonce = fields;
    bad_nonce[9] = "123";
    let refused = check(&bad_nonce, &signature);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("nonce"), "{}", stderr(&refused));
}
