//! Known-answer vectors (`tests/vectors/tokens.json`), shared with the Python, Kotlin and Swift
//! suites: every token case must come out byte-identical. Bad inputs are in `errors.json`
//! (`tests/error_vectors.rs`).
//!
//! `DEVTOKEN_WRITE_VECTORS=1 cargo test --test vectors` rewrites the expected values.

mod common;

use common::{claims_from_json, decode_part, ring_verifies, vectors};
use devtoken::{Service, Signer};
use serde_json::Value;

/// The vectors' key under the case's `key_id` (a UUID for the OAuth services) or the key's own.
fn signer(doc: &Value, case: &Value) -> Signer {
    let key = &doc["key"];
    let key_id = case["key_id"].as_str().or(key["key_id"].as_str()).unwrap();
    let clock_skew = case["clock_skew"].as_i64().unwrap();
    Signer::from_pem(key["pem"].as_str().unwrap(), key_id)
        .unwrap()
        .with_clock_skew(clock_skew)
        .unwrap()
}

fn service(case: &Value) -> Service {
    case["service"].as_str().unwrap().parse().unwrap()
}

#[test]
fn token_vectors_are_reproduced_byte_for_byte() {
    let mut doc = vectors();
    let write = std::env::var_os("DEVTOKEN_WRITE_VECTORS").is_some();
    let cases = doc["tokens"].as_array().unwrap().clone();
    assert!(cases.len() >= Service::ALL.len());
    let mut covered = std::collections::BTreeSet::new();
    let mut updated = Vec::new();
    for mut case in cases {
        let name = case["name"].as_str().unwrap().to_string();
        let signer = signer(&doc, &case);
        let claims = claims_from_json(&case["claims"]);
        let token = signer
            .sign_token_at(service(&case), &claims, case["now"].as_i64().unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            ring_verifies(&token, &signer.public_key()),
            "{name}: ring rejects the signature"
        );
        let parts: Vec<&str> = token.split('.').collect();
        if write {
            case["header"] = decode_part(parts[0]);
            case["payload"] = decode_part(parts[1]);
            case["token"] = Value::String(token.clone());
        }
        assert_eq!(
            case["token"].as_str(),
            Some(token.as_str()),
            "{name}: token differs"
        );
        assert_eq!(
            decode_part(parts[0]),
            case["header"],
            "{name}: header differs"
        );
        assert_eq!(
            decode_part(parts[1]),
            case["payload"],
            "{name}: payload differs"
        );
        covered.insert(service(&case));
        updated.push(case);
    }
    assert_eq!(
        covered.len(),
        Service::ALL.len(),
        "every service has a vector"
    );
    if write {
        doc["tokens"] = Value::Array(updated);
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/tokens.json");
        std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    }
}
