//! The PKCS#11 signer against SoftHSM2, a real PKCS#11 module: tokens signed with Apple's test
//! key, which exists only inside the token, verified by `ring` against the key's public half read
//! from the `.p8` file; and each way it goes wrong giving its typed error.
//!
//! Needs the tokens of `tests/pkcs11/setup.sh` (Debian's `softhsm2`): `eval "$(bash
//! tests/pkcs11/setup.sh)"` exports DEVTOKEN_PKCS11_MODULE, SOFTHSM2_CONF and
//! DEVTOKEN_PKCS11_PIN_FILE. Without them each test prints SKIPPED, except under CI=true, where
//! they fail.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use common::ring_verifies;
use devtoken::{
    Claims, PinSource, Pkcs11Config, Pkcs11Signer, PrivateKey, PublicKey, Service, Signer,
};
use p256::pkcs8::DecodePrivateKey;

struct Softhsm {
    module: String,
    pin_file: String,
}

/// The fixture, or None (with a SKIPPED line) when it is absent outside CI, or when the test
/// command says why it cannot be used here (DEVTOKEN_PKCS11_UNAVAILABLE: release/check.sh runs
/// these tests for aarch64 under qemu, where the host's x86-64 SoftHSM2 cannot be loaded).
fn softhsm(test: &str) -> Option<Softhsm> {
    if let Ok(reason) = std::env::var("DEVTOKEN_PKCS11_UNAVAILABLE") {
        eprintln!("SKIPPED {test}: {reason}");
        return None;
    }
    match (
        std::env::var("DEVTOKEN_PKCS11_MODULE"),
        std::env::var("DEVTOKEN_PKCS11_PIN_FILE"),
        std::env::var("SOFTHSM2_CONF"),
    ) {
        (Ok(module), Ok(pin_file), Ok(_)) => Some(Softhsm { module, pin_file }),
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "{test}: DEVTOKEN_PKCS11_MODULE, DEVTOKEN_PKCS11_PIN_FILE and SOFTHSM2_CONF are not set under CI=true: \
             run `eval \"$(bash tests/pkcs11/setup.sh)\"` (Debian package softhsm2) first"
        ),
        _ => {
            eprintln!(
                "SKIPPED {test}: no SoftHSM2 fixture (install Debian's softhsm2 package and run \
                 `eval \"$(bash tests/pkcs11/setup.sh)\"`)"
            );
            None
        }
    }
}

impl Softhsm {
    fn uri(&self, path: &str) -> String {
        format!(
            "pkcs11:{path}?module-path={}&pin-source=file:{}",
            self.module, self.pin_file
        )
    }

    fn config(&self, path: &str) -> Pkcs11Config {
        Pkcs11Config::from_uri(&self.uri(path)).unwrap()
    }
}

fn apple_key_path() -> PathBuf {
    std::env::var("DEVTOKEN_APPLE_TEST_KEY")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/fixtures/apple-testSigningKey.p8")
        })
}

fn apple_public_key() -> PublicKey {
    PublicKey::from_file(apple_key_path()).unwrap()
}

fn rule_of(result: devtoken::Result<Pkcs11Signer>) -> String {
    let error = result.unwrap_err();
    assert_eq!(error.field(), Some("signer"), "{error}");
    error.rule().unwrap().to_string()
}

#[test]
fn tokens_signed_inside_softhsm_verify_with_apples_public_key() {
    let Some(hsm) = softhsm("tokens_signed_inside_softhsm_verify_with_apples_public_key") else {
        return;
    };
    let signer =
        Signer::from_pkcs11(hsm.config("token=devtoken;object=AuthKey_ABC123DEFG"), None).unwrap();
    assert_eq!(signer.key_id(), "ABC123DEFG");
    let apple = apple_public_key();
    assert_eq!(signer.public_key().to_sec1_bytes(), apple.to_sec1_bytes());
    let apns = signer
        .sign_token(Service::Apns, &Claims::new("DEF123GHIJ"))
        .unwrap();
    let connect = signer
        .sign_token(
            Service::AppStoreConnect,
            &Claims::new("57246542-96fe-1a63-e053-0824d011072a"),
        )
        .unwrap();
    for token in [&apns, &connect] {
        assert!(ring_verifies(token, &apple), "{token}");
        devtoken::verify_token(token, &apple).unwrap();
    }
    // By CKA_ID (%01) and by slot-less label lookups alike.
    let by_id =
        Signer::from_pkcs11(hsm.config("token=devtoken;id=%01"), Some("ABC123DEFG")).unwrap();
    let token = by_id
        .sign_token(Service::AppleMusic, &Claims::new("DEF123GHIJ"))
        .unwrap();
    assert!(ring_verifies(&token, &apple));
    // The PIN from an environment variable: the CLI's test (a child process gets the variable).
}

#[test]
fn each_way_of_failing_has_its_typed_error() {
    let Some(hsm) = softhsm("each_way_of_failing_has_its_typed_error") else {
        return;
    };
    let open = |path: &str| Pkcs11Signer::open(hsm.config(path));
    assert_eq!(
        rule_of(open("token=devtoken;object=AuthKey_NOSUCHKEY0")),
        "key_not_found"
    );
    assert_eq!(
        rule_of(open("token=devtoken;object=P384Key")),
        "wrong_curve"
    );
    assert_eq!(
        rule_of(open("token=no-such-token;object=AuthKey_ABC123DEFG")),
        "token_not_present"
    );
    let missing_module =
        "pkcs11:token=devtoken;object=AuthKey_ABC123DEFG?module-path=/nonexistent/libpkcs11.so";
    assert_eq!(
        rule_of(Pkcs11Signer::open(
            Pkcs11Config::from_uri(missing_module).unwrap()
        )),
        "unavailable"
    );
    // A file that is not a shared library: the module does not load.
    let not_a_module = format!("pkcs11:object=k?module-path={}", hsm.pin_file);
    assert_eq!(
        rule_of(Pkcs11Signer::open(
            Pkcs11Config::from_uri(&not_a_module).unwrap()
        )),
        "unavailable"
    );
    let with_pin = hsm.uri("token=devtoken;object=AuthKey_ABC123DEFG") + "&pin-value=1234";
    let error = Pkcs11Config::from_uri(&with_pin).unwrap_err();
    assert_eq!(error.rule(), Some("config"));
    assert!(error.to_string().contains("pin-value"), "{error}");

    // The wrong PIN, on a token no other test logs in to (a login lasts for the process).
    let wrong_pin = std::env::temp_dir().join(format!("devtoken-wrong-pin-{}", std::process::id()));
    std::fs::write(&wrong_pin, "not-the-pin\n").unwrap();
    let mut config = hsm.config("token=devtoken-pin;object=AuthKey_ABC123DEFG");
    config.pin_source = Some(PinSource::File(wrong_pin.clone()));
    let result = Pkcs11Signer::open(config);
    std::fs::remove_file(&wrong_pin).unwrap();
    let error = result.unwrap_err();
    assert_eq!(error.rule(), Some("pin_incorrect"), "{error}");
    assert!(!error.to_string().contains("not-the-pin"), "{error}");
}

#[test]
fn a_token_removed_under_a_signer_gives_a_typed_error() {
    let Some(hsm) = softhsm("a_token_removed_under_a_signer_gives_a_typed_error") else {
        return;
    };
    let signer = match Signer::from_pkcs11(
        hsm.config("token=devtoken-removed;object=AuthKey_ABC123DEFG"),
        None,
    ) {
        Ok(signer) => signer,
        Err(e)
            if e.rule() == Some("token_not_present")
                && std::env::var("CI").as_deref() != Ok("true") =>
        {
            eprintln!("SKIPPED: token devtoken-removed was deleted by an earlier run; run tests/pkcs11/setup.sh again");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    signer
        .sign_token(Service::Apns, &Claims::new("DEF123GHIJ"))
        .unwrap();
    let deleted = std::process::Command::new("softhsm2-util")
        .args(["--delete-token", "--token", "devtoken-removed"])
        .output()
        .unwrap();
    assert!(
        deleted.status.success(),
        "{}",
        String::from_utf8_lossy(&deleted.stderr)
    );
    let error = signer
        .sign_token(Service::Apns, &Claims::new("DEF123GHIJ"))
        .unwrap_err();
    assert!(
        matches!(error.rule(), Some("token_not_present" | "unavailable")),
        "{error:?}: {error}"
    );
    eprintln!("after removal: {error}");
    // And it stays a typed error on the next call (a new session is looked for, none found).
    let again = signer
        .sign_token(Service::Apns, &Claims::new("DEF123GHIJ"))
        .unwrap_err();
    assert!(
        matches!(again.rule(), Some("token_not_present" | "unavailable")),
        "{again}"
    );
}

/// Not a benchmark: tokens per second through SoftHSM2 beside the in-memory signer, printed
/// (`cargo test --test pkcs11 -- --nocapture throughput`), never asserted.
#[test]
fn throughput_through_softhsm_beside_the_in_memory_signer() {
    let Some(hsm) = softhsm("throughput_through_softhsm_beside_the_in_memory_signer") else {
        return;
    };
    let hsm_signer =
        Signer::from_pkcs11(hsm.config("token=devtoken;object=AuthKey_ABC123DEFG"), None).unwrap();
    let pem = std::fs::read_to_string(apple_key_path()).unwrap();
    let in_memory = Signer::new(PrivateKey::from_pem(&pem).unwrap(), "ABC123DEFG").unwrap();
    let via_callback = Signer::from_external(
        Arc::new(InMemoryCallback(
            p256::ecdsa::SigningKey::from_pkcs8_pem(&pem).unwrap(),
        )),
        "ABC123DEFG",
    )
    .unwrap();
    let claims = Claims::new("DEF123GHIJ");
    let rate = |signer: &Signer| {
        let n = 200;
        let start = Instant::now();
        for _ in 0..n {
            signer.sign_token(Service::Apns, &claims).unwrap();
        }
        f64::from(n) / start.elapsed().as_secs_f64()
    };
    let (memory, hsm_rate, callback) = (rate(&in_memory), rate(&hsm_signer), rate(&via_callback));
    println!(
        "throughput: in-memory {memory:.0} tokens/s, SoftHSM2 {hsm_rate:.0} tokens/s ({:.1}x slower), \
         in-process external callback {callback:.0} tokens/s ({:.1}x slower)",
        memory / hsm_rate,
        memory / callback
    );
}

/// An external signer over an in-memory key: what the thread, normalisation and verification cost.
struct InMemoryCallback(p256::ecdsa::SigningKey);

impl devtoken::ExternalSigner for InMemoryCallback {
    fn public_key(&self) -> PublicKey {
        PublicKey::from_sec1_bytes(self.0.verifying_key().to_sec1_point(false).as_bytes()).unwrap()
    }
    fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, devtoken::ExternalSignerError> {
        use p256::ecdsa::signature::hazmat::PrehashSigner;
        let signature: p256::ecdsa::Signature = self.0.sign_prehash(digest).unwrap();
        Ok(signature.to_bytes().to_vec())
    }
}
