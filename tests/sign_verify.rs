//! Every service signs and verifies, checked by devtoken and by `ring`; signers are shared across
//! threads; every mistake in the rules spec's last section is caught.

mod common;

use std::sync::Arc;

use common::{claims_from_json, ring_verifies, vectors};
use devtoken::{inspect_token, Claims, Error, Level, PrivateKey, Service, Signer};
use serde_json::Value;

fn signer() -> Signer {
    Signer::new(PrivateKey::generate().unwrap(), "ABC123DEFG").unwrap()
}

/// Claims every service accepts, taken from the shared vectors (one case per service).
fn valid_claims(service: Service) -> Claims {
    let doc = vectors();
    let case = doc["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["service"] == service.cli_name())
        .unwrap()
        .clone();
    let mut claims = claims_from_json(&case["claims"]);
    claims.issued_at = None; // sign at the real clock
    if claims.expires_at.take().is_some() {
        claims.ttl = Some(600);
    }
    claims
}

/// The key id `service` wants, as its vector gives it (a UUID for the OAuth services).
fn key_id_for(service: Service) -> String {
    vectors()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|case| case["service"] == service.cli_name())
        .and_then(|case| case["key_id"].as_str())
        .unwrap_or("ABC123DEFG")
        .to_string()
}

#[test]
fn every_service_signs_a_token_that_verifies_independently() {
    let key = PrivateKey::generate().unwrap();
    for service in Service::ALL {
        let key_id = key_id_for(service);
        let signer = Signer::new(key.clone(), &key_id).unwrap();
        let claims = valid_claims(service);
        let token = signer.sign_token(service, &claims).unwrap();
        assert!(ring_verifies(&token, &signer.public_key()), "{service}");
        let decoded = devtoken::verify_token(&token, &signer.public_key()).unwrap();
        let rules = service.rules();
        let header: Vec<&str> = decoded.header.keys().map(String::as_str).collect();
        assert_eq!(header, rules.header_members(), "{service}");
        assert_eq!(decoded.header["kid"], key_id.as_str());
        for (member, presence) in rules.payload_members() {
            if presence == devtoken::service::Presence::Required {
                assert!(decoded.claims.contains_key(member), "{service}: {member}");
            }
        }
        assert_eq!(
            decoded.claims.get("aud").and_then(Value::as_str),
            rules.audience,
            "{service}"
        );
        let findings = inspect_token(&token, Some(service), Some(&signer.public_key()));
        assert!(
            findings.iter().all(|f| f.level != Level::Error),
            "{service}: {findings:?}"
        );
    }
}

#[test]
fn a_token_from_another_key_or_altered_fails() {
    let signer = signer();
    let token = signer
        .sign_token(Service::AppleMusic, &Claims::new("DEF123GHIJ"))
        .unwrap();
    let other = self::signer().public_key();
    assert!(matches!(
        devtoken::verify_token(&token, &other),
        Err(Error::BadSignature { .. })
    ));
    let (head, _) = token.split_once('.').unwrap();
    let forged_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        br#"{"iss":"EVIL000000","iat":1}"#,
    );
    let signature = token.rsplit_once('.').unwrap().1;
    let forged = format!("{head}.{forged_payload}.{signature}");
    assert!(matches!(
        devtoken::verify_token(&forged, &signer.public_key()),
        Err(Error::BadSignature { .. })
    ));
}

#[test]
fn sixteen_threads_share_one_signer() {
    let signer = Arc::new(signer());
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let signer = Arc::clone(&signer);
            std::thread::spawn(move || {
                (0..20)
                    .map(|j| {
                        let claims = Claims::new("DEF123GHIJ").ttl(600 + i * 20 + j);
                        signer.sign_token(Service::AppleMusic, &claims).unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let public_key = signer.public_key();
    for thread in threads {
        for token in thread.join().unwrap() {
            assert!(devtoken::verify_token(&token, &public_key).is_ok());
            assert!(ring_verifies(&token, &public_key));
        }
    }
}

fn error_codes(token: &str, service: Service, now: i64) -> Vec<&'static str> {
    devtoken::inspect_token_at(token, Some(service), None, now)
        .into_iter()
        .filter(|f| f.level == Level::Error)
        .map(|f| f.code)
        .collect()
}

fn warning_codes(token: &str, service: Service, now: i64) -> Vec<&'static str> {
    devtoken::inspect_token_at(token, Some(service), None, now)
        .into_iter()
        .filter(|f| f.level == Level::Warning)
        .map(|f| f.code)
        .collect()
}

/// Builds an unsigned-looking token from raw JSON (the signature is 64 zero bytes unless given).
fn raw_token(header: &str, payload: &str, signature: &[u8]) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// The rules spec ends with the mistakes users make most; each gives an error or a finding.
#[test]
fn the_common_mistakes_are_each_caught() {
    const NOW: i64 = 1_700_000_000;
    let signer = signer();
    let music = |claims: Claims| signer.sign_token_at(Service::AppleMusic, &claims, NOW);

    // 1. APNs token renewed too often / kept too long: inspect says how old it is and the window.
    let apns = signer
        .sign_token_at(Service::Apns, &Claims::new("DEF123GHIJ"), NOW)
        .unwrap();
    assert!(error_codes(&apns, Service::Apns, NOW + 3600).contains(&"token_too_old"));
    assert!(warning_codes(&apns, Service::Apns, NOW + 45 * 60).contains(&"token_old"));

    // 2. Clock skew: iat in the future, a lifetime right at the limit.
    let token = music(Claims::new("DEF123GHIJ").issued_at(NOW)).unwrap();
    assert!(error_codes(&token, Service::AppleMusic, NOW - 300).contains(&"iat_future"));
    let at_limit = music(Claims::new("DEF123GHIJ").ttl(15_777_000)).unwrap();
    assert!(warning_codes(&at_limit, Service::AppleMusic, NOW).contains(&"lifetime_at_limit"));
    assert!(matches!(
        music(Claims::new("DEF123GHIJ").issued_at(NOW + 5)),
        Err(Error::InvalidClaim { field: "iat", .. })
    ));

    // 3. A long-lived token expiring unnoticed.
    assert!(warning_codes(
        &at_limit,
        Service::AppleMusic,
        NOW + 15_777_000 - 3 * 86_400
    )
    .contains(&"expires_soon"));
    assert!(error_codes(&at_limit, Service::AppleMusic, NOW + 15_777_000).contains(&"expired"));

    // 4. PEM trouble is covered by tests/keys.rs and the keys unit tests.

    // 5. Key id, Team ID and issuer ID mixed up.
    assert!(matches!(
        music(Claims::new("ABC123DEFG")),
        Err(Error::InvalidClaim { field: "iss", .. })
    ));
    assert!(matches!(
        music(Claims::new("57246542-96fe-1a63-e053-0824d011072a")),
        Err(Error::InvalidClaim { field: "iss", .. })
    ));
    // A UUID key id is accepted for a signer (Apple Ads, School and Business Manager keys have
    // one) but refused when signing for a service whose keys have 10-character ids.
    let uuid_kid = Signer::new(
        PrivateKey::generate().unwrap(),
        "57246542-96fe-1a63-e053-0824d011072a",
    )
    .unwrap();
    assert!(matches!(
        uuid_kid.sign_token(Service::AppleMusic, &Claims::new("DEF123GHIJ")),
        Err(Error::InvalidClaim { field: "kid", .. })
    ));
    let swapped = raw_token(
        r#"{"alg":"ES256","kid":"DEF123GHIJ"}"#,
        r#"{"iss":"DEF123GHIJ","iat":1700000000,"exp":1700003600}"#,
        &[1; 64],
    );
    assert!(error_codes(&swapped, Service::AppleMusic, NOW).contains(&"iss_is_kid"));

    // 6. A DER signature.
    let der = raw_token(
        r#"{"alg":"ES256","kid":"ABC123DEFG"}"#,
        r#"{"iss":"DEF123GHIJ","iat":1700000000,"exp":1700003600}"#,
        &[&[0x30, 0x44, 0x02, 0x20][..], &[1; 68]].concat(),
    );
    // Graded per service (what Apple does in the field): App Store Connect and the App Store
    // Server API reject DER, APNs accepts it from some clients.
    assert!(error_codes(&der, Service::AppStoreConnect, NOW).contains(&"signature_der"));
    assert!(error_codes(&der, Service::AppStoreServer, NOW).contains(&"signature_der"));
    assert!(warning_codes(&der, Service::Apns, NOW).contains(&"signature_der"));
    assert!(!error_codes(&der, Service::Apns, NOW).contains(&"signature_der"));

    // 7. Missing or extra claims and headers; alg other than ES256.
    let hs256 = raw_token(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"iss":"DEF123GHIJ","exp":1700003600,"foo":1}"#,
        &[1; 32],
    );
    let errors = error_codes(&hs256, Service::AppleMusic, NOW);
    for code in ["alg", "kid_missing", "iat_missing", "signature_length"] {
        assert!(errors.contains(&code), "{code}: {errors:?}");
    }
    let warnings = warning_codes(&hs256, Service::AppleMusic, NOW);
    assert!(
        warnings.contains(&"extra_claim") && warnings.contains(&"extra_header"),
        "{warnings:?}"
    );

    // 8. exp beyond the service's limit, or not after iat.
    let long = raw_token(
        r#"{"alg":"ES256","kid":"ABC123DEFG","typ":"JWT"}"#,
        concat!(
            r#"{"iss":"57246542-96fe-1a63-e053-0824d011072a","iat":1700000000,"#,
            r#""exp":1700007200,"aud":"appstoreconnect-v1","bid":"com.example.app"}"#
        ),
        &[1; 64],
    );
    assert!(error_codes(&long, Service::AppStoreServer, NOW).contains(&"lifetime_over_limit"));
    let backwards = raw_token(
        r#"{"alg":"ES256","kid":"ABC123DEFG"}"#,
        r#"{"iss":"DEF123GHIJ","iat":1700000000,"exp":1699999999}"#,
        &[1; 64],
    );
    assert!(error_codes(&backwards, Service::AppleMusic, NOW).contains(&"exp_not_after_iat"));
    let asc = Claims::new("57246542-96fe-1a63-e053-0824d011072a").ttl(1800);
    assert!(matches!(
        signer.sign_token_at(Service::AppStoreConnect, &asc, NOW),
        Err(Error::InvalidClaim {
            field: "exp",
            rule: devtoken::Rule::MaxLifetime,
            ..
        })
    ));
}
