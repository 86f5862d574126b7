//! Property tests: random valid claims round-trip through sign → verify → decode; random bytes as
//! key, token or claims give an error, never a panic.

mod common;

use devtoken::{Claims, PrivateKey, PublicKey, Service, Signer};
use proptest::prelude::*;
use std::sync::OnceLock;

const NOW: i64 = 1_700_000_000;

fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate().unwrap())
}

fn signer() -> &'static Signer {
    static SIGNER: OnceLock<Signer> = OnceLock::new();
    SIGNER.get_or_init(|| Signer::new(key().clone(), "ABC123DEFG").unwrap())
}

/// The same key under the key id `service` wants (a UUID for the OAuth services).
fn signer_for(service: Service) -> Signer {
    match service.rules().key_id {
        devtoken::service::KeyIdRule::TenCharacter => signer().clone(),
        devtoken::service::KeyIdRule::Uuid => {
            Signer::new(key().clone(), "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b").unwrap()
        }
    }
}

fn service() -> impl Strategy<Value = Service> {
    proptest::sample::select(Service::ALL.to_vec())
}

fn team_id() -> impl Strategy<Value = String> {
    "[A-Z0-9]{10}".prop_filter("not the key id", |id| id != "ABC123DEFG")
}

fn issuer_id() -> impl Strategy<Value = String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
}

fn reverse_dns() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}(\\.[a-zA-Z0-9][a-zA-Z0-9-]{0,10}){1,3}"
}

fn origin() -> impl Strategy<Value = String> {
    (
        "https?",
        "(\\*\\.)?[a-z0-9]{1,10}\\.[a-z]{2,5}",
        proptest::option::of(1u16..65535),
    )
        .prop_map(|(scheme, host, port)| match port {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        })
}

/// Claims that `service` accepts, with a random lifetime within its limit.
fn valid_claims(service: Service) -> BoxedStrategy<Claims> {
    let rules = service.rules();
    let max = rules
        .max_lifetime_secs(&[])
        .unwrap_or(7 * 86_400)
        .min(15_777_000) as i64;
    let ttl = if rules.has_expiry() {
        (61..=max).prop_map(Some).boxed()
    } else {
        Just(None).boxed()
    };
    let issued_at = proptest::option::of((NOW - 59)..=NOW);
    (
        team_id(),
        issuer_id(),
        reverse_dns(),
        proptest::collection::vec(origin(), 0..3),
        ttl,
        issued_at,
    )
        .prop_map(move |(team, issuer, dns, origins, ttl, issued_at)| {
            let mut claims = Claims {
                ttl,
                issued_at,
                ..Claims::default()
            };
            match service {
                Service::AppStoreServer | Service::ExternalPurchaseServer => {
                    claims.issuer = Some(issuer);
                    claims.bundle_id = Some(dns);
                }
                Service::AppStoreConnect | Service::EnterpriseProgram => {
                    claims.issuer = Some(issuer)
                }
                Service::WeatherKit | Service::SignInWithApple => {
                    claims.issuer = Some(team);
                    claims.subject = Some(dns);
                }
                Service::Maps => {
                    claims.issuer = Some(team);
                    claims.origins = origins.into_iter().take(1).collect();
                    claims.scope = vec!["server_api".into()];
                }
                Service::AppleMusic => {
                    claims.issuer = Some(team);
                    claims.origins = origins;
                }
                Service::AppsAndBooks | Service::Apns | Service::DeviceCheck => {
                    claims.issuer = Some(team)
                }
                Service::SchoolManager | Service::BusinessManager => {
                    let prefix = if service == Service::SchoolManager {
                        "SCHOOLAPI"
                    } else {
                        "BUSINESSAPI"
                    };
                    claims.issuer = Some(format!("{prefix}.{issuer}"));
                    claims.subject = claims.issuer.clone();
                    claims.jwt_id = Some(issuer);
                }
                Service::AppleAds => {
                    claims.issuer = Some(format!("SEARCHADS.{issuer}"));
                    claims.subject = Some(format!("SEARCHADS.{}", issuer.to_uppercase()));
                }
            }
            claims
        })
        .boxed()
}

fn service_and_claims() -> impl Strategy<Value = (Service, Claims)> {
    service().prop_flat_map(|service| (Just(service), valid_claims(service)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn valid_claims_round_trip((service, claims) in service_and_claims()) {
        let signer = signer_for(service);
        let token = signer.sign_token_at(service, &claims, NOW).unwrap();
        prop_assert!(common::ring_verifies(&token, &signer.public_key()));
        let decoded = devtoken::verify_token(&token, &signer.public_key()).unwrap();
        let iat = decoded.claims["iat"].as_i64().unwrap();
        prop_assert_eq!(iat, claims.issued_at.unwrap_or(NOW - 60));
        prop_assert_eq!(decoded.claims.get("iss").and_then(|v| v.as_str()), claims.issuer.as_deref());
        prop_assert_eq!(decoded.claims.get("bid").and_then(|v| v.as_str()), claims.bundle_id.as_deref());
        prop_assert_eq!(decoded.claims.get("sub").and_then(|v| v.as_str()), claims.subject.as_deref());
        if let Some(ttl) = claims.ttl {
            prop_assert_eq!(decoded.claims["exp"].as_i64().unwrap() - iat, ttl);
        }
        let origins: Vec<String> = match decoded.claims.get("origin") {
            None => vec![],
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            Some(other) => serde_json::from_value(other.clone()).unwrap(),
        };
        prop_assert_eq!(origins, claims.origins.clone());
        // Deterministic: the same inputs give the same bytes.
        prop_assert_eq!(signer.sign_token_at(service, &claims, NOW).unwrap(), token.clone());
        let errors: Vec<_> = devtoken::inspect_token_at(&token, Some(service), Some(&signer.public_key()), NOW)
            .into_iter().filter(|f| f.level == devtoken::Level::Error).collect();
        prop_assert!(errors.is_empty(), "{:?}", errors);
    }

    #[test]
    fn random_bytes_as_a_key_are_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = PrivateKey::from_bytes(&bytes);
        let _ = PublicKey::from_der(&bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = PrivateKey::from_pem(text);
            let _ = PublicKey::from_pem(text);
        }
    }

    #[test]
    fn mangled_pem_is_an_error_not_a_panic(cut in 0usize..300, junk in "[ -~\\n]{0,20}") {
        let pem = devtoken::demo::DEMO_KEY_PEM;
        let cut = cut.min(pem.len());
        let text = format!("{}{}{}", &pem[..cut], junk, &pem[cut..]);
        let _ = PrivateKey::from_pem(&text);
        let _ = PrivateKey::from_pem(&pem[..cut]);
    }

    #[test]
    fn random_text_as_a_token_is_an_error(
        text in "[A-Za-z0-9_=.+/ -]{0,200}",
        service in proptest::option::of(service()),
    ) {
        let key = signer().public_key();
        prop_assert!(devtoken::verify_token(&text, &key).is_err());
        let findings = devtoken::inspect_token_at(&text, service, Some(&key), NOW);
        prop_assert!(findings.iter().any(|f| f.level == devtoken::Level::Error));
    }

    #[test]
    fn random_json_in_a_token_is_handled(
        header in any::<String>(),
        payload in "\\{(\"[a-z]{1,4}\":(-?[0-9]{1,20}|\"[ -~]{0,10}\"|\\[\\]|null|true|1\\.5),?){0,6}\\}",
    ) {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = format!("{}.{}.{}", b64(&header), b64(&payload), b64("sig"));
        let _ = devtoken::decode_token(&token);
        for service in Service::ALL {
            let _ = devtoken::inspect_token_at(&token, Some(service), None, NOW);
        }
    }

    #[test]
    fn random_claims_are_ok_or_an_error(
        service in service(),
        issuer in proptest::option::of(any::<String>()),
        issued_at in proptest::option::of(any::<i64>()),
        expires_at in proptest::option::of(any::<i64>()),
        ttl in proptest::option::of(any::<i64>()),
        origins in proptest::collection::vec(any::<String>(), 0..3),
        bundle_id in proptest::option::of(any::<String>()),
        subject in proptest::option::of(any::<String>()),
        scope in proptest::collection::vec(any::<String>(), 0..3),
        now in any::<i64>(),
    ) {
        let claims = Claims { issuer, issued_at, expires_at, ttl, origins, bundle_id, subject, scope, jwt_id: None };
        if let Ok(token) = signer().sign_token_at(service, &claims, now) {
            prop_assert!(devtoken::verify_token(&token, &signer().public_key()).is_ok());
        }
    }
}
