//! Hostile numbers and skews (issue #17): untrusted times never overflow, the APNs floor holds at
//! every allowed clock skew, and no token reaches `Debug` output.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use devtoken::clock::ManualClock;
use devtoken::options::MAX_CLOCK_SKEW_SECS;
use devtoken::{
    inspect_token_at, Claims, Error, Level, PrivateKey, ProviderOptions, Service, Signer,
    TokenProvider,
};
use serde_json::json;

const T0: i64 = 1_700_000_000;
const TEAM: &str = "DEF123GHIJ";

fn signer() -> Signer {
    Signer::new(PrivateKey::generate().unwrap(), "ABC123DEFG").unwrap()
}

/// A token with these claims and a dummy signature.
fn token_with(claims: serde_json::Value) -> String {
    let header = json!({"alg": "ES256", "kid": "ABC123DEFG", "typ": "JWT"});
    format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[test]
fn inspect_survives_extreme_time_claims_and_clocks() {
    let extremes = [i64::MIN, i64::MIN + 1, -1, i64::MAX - 1, i64::MAX];
    for iat in extremes {
        for exp in extremes {
            let token = token_with(json!({"iss": TEAM, "iat": iat, "exp": exp}));
            for now in [i64::MIN, 0, T0, i64::MAX] {
                for service in [None, Some(Service::AppleMusic), Some(Service::Apns)] {
                    // Must not panic (debug builds check overflow) and must say what is wrong.
                    let findings = inspect_token_at(&token, service, None, now);
                    assert!(
                        findings
                            .iter()
                            .any(|f| f.code == "iat_range" && f.level == Level::Error),
                        "{iat} {exp} {now}: {findings:?}"
                    );
                    assert!(findings.iter().any(|f| f.code == "exp_range"));
                }
            }
        }
    }
    // A good token inspected at an absurd `now` gives findings, not a panic.
    let token = signer()
        .sign_token_at(Service::AppleMusic, &Claims::new(TEAM), T0)
        .unwrap();
    for now in [i64::MIN, i64::MAX] {
        let findings = inspect_token_at(&token, Some(Service::Apns), None, now);
        assert!(findings.iter().any(|f| f.level == Level::Error));
    }
}

#[test]
fn signing_refuses_a_caller_clock_outside_unix_range() {
    let signer = signer();
    for now in [i64::MIN, -1, i64::MAX, 253_402_300_800] {
        for claims in [
            Claims::new(TEAM),
            Claims::new(TEAM).issued_at(1_000),
            Claims::new(TEAM).expires_at(T0),
        ] {
            for service in [Service::AppleMusic, Service::Apns] {
                let Err(error) = signer.sign_token_at(service, &claims, now) else {
                    panic!("{service} at {now} signed");
                };
                if service == Service::Apns && claims.expires_at.is_some() {
                    continue;
                }
                assert_eq!(
                    (error.field(), error.rule()),
                    (Some("iat"), Some("time_range")),
                    "{service} at {now}: {error}"
                );
            }
        }
    }
    // The edges of the range still sign.
    signer
        .sign_token_at(Service::AppleMusic, &Claims::new(TEAM), 0)
        .unwrap();
}

#[test]
fn the_apns_floor_holds_at_every_allowed_clock_skew() {
    for service in [Service::Apns, Service::DeviceCheck] {
        for skew in 0..=MAX_CLOCK_SKEW_SECS {
            let signer = signer().with_clock_skew(skew as i64).unwrap();
            for renew_after_secs in [None, Some(20 * 60)] {
                let options = ProviderOptions {
                    renew_after_secs,
                    aligned: Some(false),
                    ..Default::default()
                };
                let clock = Arc::new(ManualClock::new(T0));
                let provider = TokenProvider::with_clock(
                    signer.clone(),
                    service,
                    Claims::new(TEAM),
                    options,
                    clock.clone(),
                )
                .unwrap();
                let first = provider.token().unwrap();
                // One second short of 20 minutes of real elapsed time: still the same token.
                clock.set(T0 + 20 * 60 - 1);
                assert_eq!(provider.token().unwrap(), first, "{service}, skew {skew}");
                assert!(matches!(
                    provider.force_refresh(),
                    Err(Error::RefreshTooSoon { wait_secs: 1, .. })
                ));
                assert_eq!(provider.signature_count(), 1);
                // And never handed out once Apple would call it expired (60 min after iat).
                clock.set(T0 - skew as i64 + 3600);
                assert_ne!(provider.token().unwrap(), first, "{service}, skew {skew}");
            }
        }
    }
    // One second more skew than the core allows is refused.
    let error = signer()
        .with_clock_skew(MAX_CLOCK_SKEW_SECS as i64 + 1)
        .unwrap_err();
    assert_eq!(
        (error.field(), error.rule()),
        (Some("clock_skew_secs"), Some("range"))
    );
}

/// Aligned provider tokens (the default for APNs and DeviceCheck): consecutive tokens' `iat` lie
/// exactly one period apart whatever the clock skew, so Apple never sees a replacement within
/// its 20-minute floor, and no token is handed out past its hour.
#[test]
fn aligned_provider_tokens_are_a_period_apart_at_every_allowed_clock_skew() {
    let iat = |token: &str| {
        devtoken::decode_token(token).unwrap().claims["iat"]
            .as_i64()
            .unwrap()
    };
    for service in [Service::Apns, Service::DeviceCheck] {
        for skew in (0..=MAX_CLOCK_SKEW_SECS).step_by(7) {
            let signer = signer().with_clock_skew(skew as i64).unwrap();
            for renew_after_secs in [None, Some(20 * 60)] {
                let options = ProviderOptions {
                    renew_after_secs,
                    ..Default::default()
                };
                let clock = Arc::new(ManualClock::new(T0));
                let provider = TokenProvider::with_clock(
                    signer.clone(),
                    service,
                    Claims::new(TEAM),
                    options,
                    clock.clone(),
                )
                .unwrap();
                let period = provider.alignment_period_secs().unwrap() as i64;
                assert_eq!(period, renew_after_secs.unwrap_or(40 * 60) as i64);
                let first = provider.token().unwrap();
                let boundary = T0.div_euclid(period) * period + period;
                assert_eq!(iat(&first), boundary - period - skew as i64);
                clock.set(boundary - 1);
                assert_eq!(provider.token().unwrap(), first, "{service}, skew {skew}");
                clock.set(boundary);
                let second = provider.token().unwrap();
                assert_eq!(iat(&second) - iat(&first), period, "{service}, skew {skew}");
                assert!(boundary - iat(&first) < 3600);
                // A forced refresh right after a renewal still meets the floor.
                assert!(matches!(
                    provider.force_refresh(),
                    Err(Error::RefreshTooSoon { .. })
                ));
                assert_eq!(provider.signature_count(), 2);
            }
        }
    }
}

#[test]
fn provider_debug_output_holds_no_token() {
    for service in [Service::AppleMusic, Service::Apns, Service::AppStoreServer] {
        let claims = match service {
            Service::AppStoreServer => {
                Claims::new("57246542-96fe-1a63-e053-0824d011072a").bundle_id("com.example.app")
            }
            _ => Claims::new(TEAM),
        };
        let provider = TokenProvider::new(signer(), service, claims).unwrap();
        let token = provider.token().unwrap();
        let signature = token.rsplit('.').next().unwrap();
        for text in [format!("{provider:?}"), format!("{provider:#?}")] {
            assert!(!text.contains(&token), "{service}: {text}");
            assert!(!text.contains(signature), "{service}: {text}");
        }
    }
}

#[test]
fn oversized_tokens_are_refused_before_decoding() {
    let huge = token_with(json!({"iss": TEAM, "pad": "x".repeat(70_000)}));
    let signer = signer();
    for error in [
        devtoken::decode_token(&huge).unwrap_err(),
        devtoken::verify_token(&huge, &signer.public_key()).unwrap_err(),
    ] {
        assert!(matches!(error, Error::MalformedToken { .. }), "{error}");
        assert!(error.to_string().contains("at most 65536"), "{error}");
    }
    let findings = inspect_token_at(&huge, None, None, T0);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, "malformed");
}

#[test]
fn untrusted_text_in_findings_is_escaped_and_cut() {
    let token = token_with(json!({
        "iss": TEAM, "iat": T0, "exp": T0 + 600,
        "\u{1b}[2J\u{1b}[31mboom": 1,
        "x".repeat(5_000): 2,
    }));
    let findings = inspect_token_at(&token, Some(Service::AppleMusic), None, T0);
    assert!(findings.iter().any(|f| f.message.contains("\\u{1b}[2J")));
    for finding in &findings {
        assert!(!finding.message.chars().any(char::is_control), "{finding}");
        assert!(finding.message.chars().count() <= 503, "{finding}");
    }
}

#[test]
fn a_pem_in_the_key_id_slot_is_not_echoed() {
    let pem = devtoken::demo::DEMO_KEY_PEM;
    let error = Signer::new(PrivateKey::generate().unwrap(), pem).unwrap_err();
    let body_line = pem.lines().nth(1).unwrap();
    assert!(!error.to_string().contains(body_line), "{error}");
    assert_eq!((error.field(), error.rule()), (Some("kid"), Some("format")));
    // A short wrong id is still quoted, as before.
    let error = Signer::new(PrivateKey::generate().unwrap(), "abc").unwrap_err();
    assert!(error.to_string().contains("kid 'abc'"), "{error}");
}

#[test]
fn untrusted_text_in_errors_is_escaped_and_cut() {
    // Found by the Python atheris harness (python/fuzz): claim values, a key id given with a key
    // file, a file name, a PEM label and a service name reached error messages raw.
    let signer = signer();
    let hostile = format!(
        "DEF\u{1b}[2J\n{}{}",
        "\u{0}".repeat(2_000),
        "x".repeat(5_000)
    );
    let mut errors = vec![
        signer
            .sign_token_at(Service::AppleMusic, &Claims::new(hostile.as_str()), T0)
            .unwrap_err(),
        signer
            .sign_token_at(
                Service::AppStoreConnect,
                &Claims::default().subject(hostile.as_str()),
                T0,
            )
            .unwrap_err(),
        PrivateKey::from_pem("-----BEGIN \u{1b}[31mX-----\nAAAA\n-----END \u{1b}[31mX-----")
            .unwrap_err(),
    ];
    let folder = std::env::temp_dir().join(format!("devtoken-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("AuthKey_ABC123DEFG.p8");
    std::fs::write(&path, devtoken::demo::DEMO_KEY_PEM).unwrap();
    errors.push(Signer::from_file(&path, Some(hostile.as_str())).unwrap_err());
    let odd = folder.join("key\u{1b}[2J\n.p8");
    std::fs::write(&odd, devtoken::demo::DEMO_KEY_PEM).unwrap();
    errors.push(Signer::from_file(&odd, None).unwrap_err());
    std::fs::remove_dir_all(&folder).unwrap();
    for error in &errors {
        let text = error.to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(
            text.chars().count() <= 1024 + 3,
            "{} characters",
            text.chars().count()
        );
        assert!(!text.contains(&"x".repeat(200)), "{text:?}");
    }
    let unknown = format!("maps\u{1b}[2J{}", "x".repeat(500))
        .parse::<Service>()
        .unwrap_err()
        .to_string();
    assert!(
        !unknown.chars().any(char::is_control) && unknown.len() < 500,
        "{unknown:?}"
    );
}

#[test]
fn oversized_key_input_is_refused_in_every_form() {
    let limit = devtoken::options::MAX_KEY_BYTES;
    let big_der = vec![0x30; limit + 1];
    let big_text = "A".repeat(limit + 1);
    let too_large = |result: devtoken::Result<()>| {
        matches!(
            result,
            Err(devtoken::Error::InvalidKey {
                problem: devtoken::KeyProblem::TooLarge { .. }
            })
        )
    };
    assert!(too_large(devtoken::PublicKey::from_der(&big_der).map(drop)));
    assert!(too_large(
        devtoken::PublicKey::from_bytes(&big_der).map(drop)
    ));
    assert!(too_large(
        devtoken::PublicKey::from_pem(&big_text).map(drop)
    ));
    assert!(too_large(PrivateKey::from_der(&big_der).map(drop)));
    assert!(too_large(PrivateKey::from_pem(&big_text).map(drop)));
}
