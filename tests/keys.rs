//! Loading real key files: Apple's own test `.p8`, and every wrong kind of key users hand over.

use std::path::PathBuf;

use devtoken::{Claims, Error, KeyProblem, PrivateKey, PublicKey, Service, Signer};

fn key_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/keys")
        .join(name)
}

fn problem(name: &str) -> KeyProblem {
    match PrivateKey::from_file(key_file(name)) {
        Err(Error::InvalidKey { problem }) => problem,
        other => panic!("{name}: expected a key problem, got {other:?}"),
    }
}

#[test]
fn apple_test_signing_key_signs_and_verifies() {
    // Apple's own public test key from the App Store Server Library, beside the checkout in CI.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/apple-testSigningKey.p8");
    if !path.exists() {
        eprintln!("skipping: {} is not beside this checkout", path.display());
        return;
    }
    let signer = Signer::from_file(&path, Some("ABC123DEFG")).unwrap();
    let claims = Claims::new("57246542-96fe-1a63-e053-0824d011072a").bundle_id("com.example.app");
    let token = signer.sign_token(Service::AppStoreServer, &claims).unwrap();
    let decoded = devtoken::verify_token(&token, &signer.public_key()).unwrap();
    assert_eq!(decoded.claims["bid"], "com.example.app");
    // The public key Apple's .p8 carries starts with this SPKI prefix for P-256 keys.
    assert!(signer
        .public_key()
        .to_pem()
        .starts_with("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"));
}

#[test]
fn every_p256_encoding_loads_the_same_key() {
    let reference = PrivateKey::from_file(key_file("p256.pem"))
        .unwrap()
        .public_key();
    for name in ["p256.der", "p256-sec1.pem"] {
        assert_eq!(
            PrivateKey::from_file(key_file(name)).unwrap().public_key(),
            reference,
            "{name}"
        );
    }
    assert_eq!(
        PublicKey::from_file(key_file("p256-public.pem")).unwrap(),
        reference
    );
    assert_eq!(
        PublicKey::from_file(key_file("p256.pem")).unwrap(),
        reference
    );
}

#[test]
fn wrong_keys_are_refused_with_the_reason() {
    assert_eq!(problem("p256-encrypted.pem"), KeyProblem::Encrypted);
    assert_eq!(problem("p256-sec1-encrypted.pem"), KeyProblem::Encrypted);
    assert_eq!(problem("p256-public.pem"), KeyProblem::PublicKeyGiven);
    assert_eq!(problem("p256-cert.pem"), KeyProblem::CertificateGiven);
    assert_eq!(
        problem("p384.pem"),
        KeyProblem::WrongCurve {
            curve: "P-384".into()
        }
    );
    assert_eq!(
        problem("secp256k1.pem"),
        KeyProblem::WrongCurve {
            curve: "secp256k1".into()
        }
    );
    for name in ["rsa.pem", "rsa-traditional.pem"] {
        assert_eq!(
            problem(name),
            KeyProblem::WrongAlgorithm {
                algorithm: "RSA".into()
            },
            "{name}"
        );
    }
    assert_eq!(
        problem("ed25519.pem"),
        KeyProblem::WrongAlgorithm {
            algorithm: "Ed25519".into()
        }
    );
}

#[test]
fn key_id_comes_from_the_apple_file_name() {
    let dir = std::env::temp_dir().join(format!("devtoken-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("AuthKey_ABC123DEFG.p8");
    std::fs::copy(key_file("p256.pem"), &path).unwrap();
    assert_eq!(
        Signer::from_file(&path, None).unwrap().key_id(),
        "ABC123DEFG"
    );
    assert_eq!(
        Signer::from_file(&path, Some("ABC123DEFG"))
            .unwrap()
            .key_id(),
        "ABC123DEFG"
    );
    let mismatch = Signer::from_file(&path, Some("ZZZ999ZZZZ")).unwrap_err();
    assert!(
        mismatch
            .to_string()
            .contains("does not match the file name"),
        "{mismatch}"
    );
    let unnamed = Signer::from_file(key_file("p256.pem"), None).unwrap_err();
    assert!(
        matches!(unnamed, Error::InvalidClaim { field: "kid", .. }),
        "{unnamed}"
    );
    let missing = Signer::from_file(dir.join("AuthKey_NOPE000000.p8"), None).unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_and_debug_never_show_key_material() {
    let pem = std::fs::read_to_string(key_file("p256.pem")).unwrap();
    let body: Vec<&str> = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    // Damaged copies of the key: each error message must not echo any of its base64.
    let damaged = [
        pem.replace("-----END PRIVATE KEY-----", ""),
        pem.replacen(body[1], &body[1][..20], 1),
        pem.replace(body[0], &body[0].replace('A', "*")),
        body.join(""),
        body[0].to_string(),
    ];
    for text in damaged {
        let message = match PrivateKey::from_pem(&text) {
            Ok(key) => format!("{key:?}"),
            Err(error) => format!("{error} {error:?}"),
        };
        for line in &body {
            for chunk in line.as_bytes().chunks(12) {
                let chunk = std::str::from_utf8(chunk).unwrap();
                assert!(!message.contains(chunk), "key material in: {message}");
            }
        }
    }
    let signer = Signer::from_pem(&pem, "ABC123DEFG").unwrap();
    let debug = format!("{signer:?}");
    assert!(
        body.iter().all(|line| !debug.contains(&line[..12])),
        "{debug}"
    );
}
