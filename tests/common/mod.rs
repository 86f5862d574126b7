//! Helpers shared by the integration tests: the vectors file and an independent verifier.

#![allow(dead_code)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use devtoken::{Claims, PublicKey};
use serde_json::Value;

/// The shared known-answer vectors, as JSON.
pub fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/tokens.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read vectors"))
        .expect("parse vectors")
}

/// Builds [`Claims`] from a vector's `claims` object (the field names are `Claims`' own).
pub fn claims_from_json(json: &Value) -> Claims {
    let string = |name: &str| json.get(name).and_then(Value::as_str).map(str::to_string);
    let int = |name: &str| json.get(name).and_then(Value::as_i64);
    let list = |name: &str| -> Vec<String> {
        json.get(name)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    Claims {
        issuer: string("issuer"),
        issued_at: int("issued_at"),
        expires_at: int("expires_at"),
        ttl: int("ttl"),
        origins: list("origins"),
        bundle_id: string("bundle_id"),
        subject: string("subject"),
        jwt_id: string("jwt_id"),
        scope: list("scope"),
    }
}

/// Verifies an ES256 token with `ring` (BoringSSL-derived, independent of RustCrypto).
pub fn ring_verifies(token: &str, public_key: &PublicKey) -> bool {
    let Some((signing_input, signature)) = token.rsplit_once('.') else {
        return false;
    };
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    let key = ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_FIXED,
        public_key.to_sec1_bytes(),
    );
    key.verify(signing_input.as_bytes(), &signature).is_ok()
}

/// Decodes one base64url part of a token as JSON.
pub fn decode_part(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("json")
}
