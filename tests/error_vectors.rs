//! The cross-language error contract (`tests/vectors/errors.json`): every bad input fails with
//! exactly the kind, field and rule the file names. The Python, Kotlin and Swift suites read the
//! same file through their bindings and must report the same three codes.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{claims_from_json, vectors};
use devtoken::clock::ManualClock;
use devtoken::{
    DurationInput, Error, HttpOptions, MapsOptions, MapsTokenProvider, ProviderOptions, PublicKey,
    Service, Signer, TokenProvider,
};
use serde_json::Value;

const NOW: i64 = 1_700_000_000;

fn error_vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/errors.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn service(case: &Value) -> Service {
    case["service"].as_str().unwrap().parse().unwrap()
}

fn int(value: &Value, key: &str) -> Option<i64> {
    value.get(key).and_then(Value::as_i64)
}

fn vector_signer(key: &Value) -> Result<Signer, Error> {
    Signer::from_pem(
        key["pem"].as_str().unwrap(),
        key["key_id"].as_str().unwrap(),
    )
}

/// The vectors' key under the case's `key_id` when it gives one.
fn case_signer(key: &Value, case: &Value) -> Result<Signer, Error> {
    match case.get("key_id").and_then(Value::as_str) {
        Some(key_id) => Signer::from_pem(key["pem"].as_str().unwrap(), key_id),
        None => vector_signer(key),
    }
}

/// Runs one case's operation and returns its error (or panics when it succeeds).
fn run(case: &Value, key: &Value) -> Error {
    let name = case["name"].as_str().unwrap();
    let outcome: Result<(), Error> = match case["op"].as_str().unwrap() {
        "sign" => case_signer(key, case).and_then(|signer| {
            signer
                .sign_token_at(
                    service(case),
                    &claims_from_json(&case["claims"]),
                    int(case, "now").unwrap(),
                )
                .map(drop)
        }),
        "load_key" => {
            let pem = match case.get("key_file").and_then(Value::as_str) {
                Some(file) => std::fs::read_to_string(format!(
                    "{}/tests/vectors/keys/{file}",
                    env!("CARGO_MANIFEST_DIR")
                ))
                .unwrap(),
                None => case["pem"].as_str().unwrap().to_string(),
            };
            Signer::from_pem(&pem, "VEC0KEY001").map(drop)
        }
        "signer" => {
            let key_id = case["key_id"].as_str().unwrap_or("VEC0KEY001");
            Signer::from_pem(key["pem"].as_str().unwrap(), key_id).and_then(|signer| {
                match int(case, "clock_skew_secs") {
                    Some(secs) => signer.with_clock_skew(secs).map(drop),
                    None => Ok(()),
                }
            })
        }
        "decode" => devtoken::decode_token(case["token"].as_str().unwrap()).map(drop),
        "verify" => {
            let public_key = match case.get("public_key_pem").and_then(Value::as_str) {
                Some(pem) => PublicKey::from_pem(pem),
                None => vector_signer(key).map(|signer| signer.public_key()),
            };
            public_key.and_then(|public_key| {
                devtoken::verify_token(case["token"].as_str().unwrap(), &public_key).map(drop)
            })
        }
        "provider" => {
            let given = &case["options"];
            (|| {
                let options = ProviderOptions::from_given(
                    given.get("margin_fraction").and_then(Value::as_f64),
                    int(given, "min_margin_secs"),
                    int(given, "renew_after_secs"),
                    None,
                )?;
                TokenProvider::with_clock(
                    vector_signer(key)?,
                    service(case),
                    claims_from_json(&case["claims"]),
                    options,
                    Arc::new(ManualClock::new(NOW)),
                )
                .map(drop)
            })()
        }
        "maps_provider" => (|| {
            let given = &case["options"];
            let options = MapsOptions::from_given(
                given.get("margin_fraction").and_then(Value::as_f64),
                int(given, "min_margin_secs"),
                http_options(&case["network"])?,
            )?;
            MapsTokenProvider::with_clock(
                vector_signer(key)?,
                claims_from_json(&case["claims"]),
                options,
                Arc::new(ManualClock::new(NOW)),
            )
            .map(drop)
        })(),
        "oauth_provider" => (|| {
            let given = &case["options"];
            let options = devtoken::OAuthOptions::from_given(
                given.get("margin_fraction").and_then(Value::as_f64),
                int(given, "min_margin_secs"),
                http_options(&case["network"])?,
            )?;
            devtoken::OAuthTokenProvider::with_clock(
                case_signer(key, case)?,
                service(case),
                case["client_id"].as_str().unwrap(),
                case["team_id"].as_str(),
                options,
                Arc::new(ManualClock::new(NOW)),
            )
            .map(drop)
        })(),
        "probe" => http_options(&case["network"]).and_then(|options| {
            devtoken::probe(service(case), case["token"].as_str().unwrap(), options).map(drop)
        }),
        "duration" => {
            let input = match case["input"].as_str().unwrap() {
                "ttl" => DurationInput::Ttl,
                "clock_skew" => DurationInput::ClockSkew,
                "min_margin" => DurationInput::MinMargin,
                other => panic!("{name}: unknown duration input {other}"),
            };
            input
                .whole_seconds(int(case, "seconds").unwrap(), int(case, "nanos").unwrap())
                .map(drop)
        }
        other => panic!("{name}: unknown op {other}"),
    };
    match outcome {
        Ok(()) => panic!("{name}: succeeded, but the contract says it fails"),
        Err(error) => error,
    }
}

/// Network options as the bindings build them: what is given replaces the core default.
fn http_options(given: &Value) -> Result<HttpOptions, Error> {
    let mut http = HttpOptions::default();
    if let Some(ms) = int(given, "connect_timeout_ms") {
        http.connect_timeout = devtoken::options::millis("connect_timeout", ms)?;
    }
    if let Some(ms) = int(given, "read_timeout_ms") {
        http.read_timeout = devtoken::options::millis("read_timeout", ms)?;
    }
    if let Some(retries) = int(given, "max_retries") {
        http.max_retries = devtoken::options::count("max_retries", retries)?;
    }
    if let Some(pem) = given.get("extra_ca_pem").and_then(Value::as_str) {
        http.extra_ca_pem = Some(pem.to_string());
    }
    // A probe must never reach Apple from a test: point it at a closed loopback port.
    http.base_url = Some("http://127.0.0.1:9".to_string());
    http.connect_timeout = http.connect_timeout.min(Duration::from_secs(1));
    Ok(http)
}

#[test]
fn every_bad_input_fails_with_the_named_kind_field_and_rule() {
    let doc = error_vectors();
    let key = vectors()["key"].clone();
    let cases = doc["cases"].as_array().unwrap();
    assert!(
        cases.len() >= 40,
        "the contract covers at least 40 bad inputs"
    );
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let expect = &case["expect"];
        let error = run(case, &key);
        assert_eq!(
            error.kind().code(),
            expect["kind"].as_str().unwrap(),
            "{name}: {error}"
        );
        assert_eq!(error.field(), expect["field"].as_str(), "{name}: {error}");
        assert_eq!(error.rule(), expect["rule"].as_str(), "{name}: {error}");
        if let Some(message) = expect.get("message").and_then(Value::as_str) {
            assert_eq!(error.to_string(), message, "{name}");
        }
    }
}

#[test]
fn every_kind_has_a_distinct_code() {
    let codes: std::collections::BTreeSet<_> = devtoken::ErrorKind::ALL
        .iter()
        .map(|kind| kind.code())
        .collect();
    assert_eq!(codes.len(), devtoken::ErrorKind::ALL.len());
}
