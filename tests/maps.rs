//! The Maps `GET /v1/token` exchange and `probe`, against a loopback server that verifies the
//! tokens independently. No test touches a non-loopback address.

#[path = "common/apple_server.rs"]
mod apple_server;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use apple_server::{AppleServer, Scripted};
use devtoken::clock::{Clock, ManualClock};
use devtoken::{
    Claims, Error, HttpOptions, MapsOptions, MapsTokenProvider, PrivateKey, Service, Signer,
};

const T0: i64 = 1_700_000_000;

fn setup() -> (Arc<Signer>, AppleServer, Arc<ManualClock>) {
    let signer = Arc::new(Signer::new(PrivateKey::generate().unwrap(), "ABC123DEFG").unwrap());
    let server = AppleServer::start(signer.public_key());
    (
        signer,
        server,
        Arc::new(ManualClock::new(devtoken::unix_now())),
    )
}

fn options(server: &AppleServer) -> MapsOptions {
    MapsOptions {
        http: HttpOptions {
            base_url: Some(server.base_url.clone()),
            retry_backoff: Duration::from_millis(10),
            ..HttpOptions::default()
        },
        ..MapsOptions::default()
    }
}

fn provider(
    signer: &Arc<Signer>,
    server: &AppleServer,
    clock: &Arc<ManualClock>,
) -> MapsTokenProvider {
    provider_with(signer, options(server), clock).unwrap()
}

/// A provider for the team's Maps claims with `options`.
fn provider_with(
    signer: &Arc<Signer>,
    options: MapsOptions,
    clock: &Arc<ManualClock>,
) -> devtoken::Result<MapsTokenProvider> {
    MapsTokenProvider::with_clock(
        Arc::clone(signer),
        Claims::new("DEF123GHIJ"),
        options,
        clock.clone(),
    )
}

#[test]
fn exchanges_once_and_reuses_until_the_margin() {
    let (signer, server, clock) = setup();
    let maps = provider(&signer, &server, &clock);
    assert_eq!(maps.fresh_access_token(), None);
    let first = maps.access_token().unwrap();
    assert_eq!(&*first, "access-1");
    assert_eq!(maps.expires_at(), Some(clock.now() + 1800));
    // 10 % of 1800 s is 180 s.
    clock.advance(1800 - 181);
    assert_eq!(maps.access_token().unwrap(), first);
    assert_eq!(maps.fresh_access_token().as_deref(), Some(&*first));
    clock.advance(1);
    // Due for renewal: the fresh read declines and does not exchange.
    assert_eq!(maps.fresh_access_token(), None);
    assert_eq!(server.requests(), 1);
    assert_eq!(&*maps.access_token().unwrap(), "access-2");
    assert_eq!((server.requests(), maps.exchange_count()), (2, 2));
    assert_eq!(server.paths(), ["/v1/token", "/v1/token"]);
    let claims = devtoken::decode_token(&maps.maps_token().unwrap())
        .unwrap()
        .claims;
    assert_eq!(claims["scope"], "server_api");
}

#[test]
fn sixteen_threads_across_a_renewal_make_one_exchange() {
    let (signer, server, clock) = setup();
    let maps = Arc::new(provider(&signer, &server, &clock));
    maps.access_token().unwrap();
    clock.advance(1700);
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let maps = Arc::clone(&maps);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                (0..20)
                    .map(|_| maps.access_token().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for thread in threads {
        for token in thread.join().unwrap() {
            assert!(token == "access-1" || token == "access-2", "{token}");
        }
    }
    assert_eq!(server.requests(), 2, "one exchange per renewal");
}

#[test]
fn a_500_then_200_succeeds_after_one_retry() {
    let (signer, server, clock) = setup();
    server.push(Scripted::new(
        500,
        r#"{"error":{"message":"Internal Server Error"}}"#,
    ));
    let maps = provider(&signer, &server, &clock);
    assert_eq!(&*maps.access_token().unwrap(), "access-2");
    assert_eq!(server.requests(), 2);
}

#[test]
fn repeated_500s_and_unreachable_servers_name_the_attempts() {
    let (signer, server, clock) = setup();
    for _ in 0..3 {
        server.push(Scripted::new(500, "oops"));
    }
    let error = provider(&signer, &server, &clock)
        .access_token()
        .unwrap_err();
    assert!(
        matches!(error, Error::Network { attempts: 3, .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("failed after 3 attempt(s): HTTP 500: oops"),
        "{error}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut options = options(&server);
    options.http.base_url = Some(dead_url);
    let maps = provider_with(&signer, options, &clock).unwrap();
    assert!(matches!(
        maps.access_token(),
        Err(Error::Network { attempts: 3, .. })
    ));
}

#[test]
fn quota_is_not_retried() {
    let (signer, server, clock) = setup();
    let mut answer = Scripted::new(429, r#"{"error":{"message":"Daily quota exceeded"}}"#);
    answer.headers.push(("Retry-After".into(), "3600".into()));
    server.push(answer);
    let error = provider(&signer, &server, &clock)
        .access_token()
        .unwrap_err();
    match &error {
        Error::QuotaExceeded {
            retry_after_secs,
            message,
            ..
        } => {
            assert_eq!(*retry_after_secs, Some(3600));
            assert_eq!(message, "Daily quota exceeded");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests(), 1);
}

#[test]
fn a_401_lists_the_findings_of_the_token_sent() {
    let (signer, server, clock) = setup();
    // The server knows another key: our token's signature fails there.
    let other = AppleServer::start(PrivateKey::generate().unwrap().public_key());
    let maps = provider(&signer, &other, &clock);
    let error = maps.access_token().unwrap_err();
    match &error {
        Error::AppleRejected {
            status,
            message,
            details,
            findings,
            ..
        } => {
            assert_eq!(*status, 401);
            assert_eq!(message, "Not Authorized");
            assert_eq!(details, &["bad signature"]);
            assert!(findings.iter().any(|f| f.code == "signature_not_checked"));
        }
        other => panic!("{other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.contains("refused the token (HTTP 401): Not Authorized (bad signature)"),
        "{text}"
    );
    assert!(
        !text.contains(&*maps.maps_token().unwrap()),
        "no full token in messages"
    );
    drop(server);
}

#[test]
fn malformed_and_slow_answers_are_errors() {
    let (signer, server, clock) = setup();
    server.push(Scripted::new(200, "<html>not json</html>"));
    let maps = provider(&signer, &server, &clock);
    assert!(matches!(
        maps.access_token(),
        Err(Error::MalformedResponse { status: 200, .. })
    ));
    server.push(Scripted::new(200, r#"{"accessToken":"x"}"#));
    assert!(matches!(
        maps.access_token(),
        Err(Error::MalformedResponse { .. })
    ));

    let mut slow = Scripted::new(200, r#"{"accessToken":"late","expiresInSeconds":1800}"#);
    slow.delay = Duration::from_millis(1500);
    for _ in 0..3 {
        server.push(slow.clone());
    }
    let mut options = options(&server);
    options.http.read_timeout = Duration::from_millis(200);
    let impatient = provider_with(&signer, options, &clock).unwrap();
    assert!(matches!(
        impatient.access_token(),
        Err(Error::Network { .. })
    ));
}

#[test]
fn probe_reports_accepted_and_rejected_for_each_endpoint() {
    let (signer, server, _clock) = setup();
    let other = Signer::new(PrivateKey::generate().unwrap(), "ABC123DEFG").unwrap();
    let cases = [
        (
            Service::Maps,
            Claims::new("DEF123GHIJ").scope("server_api"),
            "/v1/token",
        ),
        (Service::AppleMusic, Claims::new("DEF123GHIJ"), "/v1/test"),
        (Service::AppsAndBooks, Claims::new("DEF123GHIJ"), "/v1/test"),
    ];
    for (service, claims, path) in cases {
        let options = HttpOptions {
            base_url: Some(server.base_url.clone()),
            ..HttpOptions::default()
        };
        let good = signer.sign_token(service, &claims).unwrap();
        let verdict = devtoken::probe(service, &good, options.clone()).unwrap();
        assert!(verdict.accepted, "{service}: {verdict:?}");
        assert!(verdict.url.ends_with(path));
        let bad = other.sign_token(service, &claims).unwrap();
        let verdict = devtoken::probe(service, &bad, options).unwrap();
        assert!(
            !verdict.accepted && verdict.status == 401,
            "{service}: {verdict:?}"
        );
        assert!(verdict.message.contains("bad signature"), "{verdict:?}");
    }
    let apns = signer
        .sign_token(Service::Apns, &Claims::new("DEF123GHIJ"))
        .unwrap();
    assert!(matches!(
        devtoken::probe(Service::Apns, &apns, HttpOptions::default()),
        Err(Error::InvalidOption { .. })
    ));
}

#[test]
fn an_extra_ca_must_be_a_certificate() {
    let (signer, server, clock) = setup();
    let mut options = options(&server);
    options.http.extra_ca_pem = Some("not a certificate".into());
    let error = provider_with(&signer, options, &clock).unwrap_err();
    assert!(
        matches!(
            error,
            Error::InvalidOption {
                option: "extra_ca_pem",
                ..
            }
        ),
        "{error}"
    );
    let _ = T0;
}
