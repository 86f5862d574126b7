//! The Maps `GET /v1/token` exchange and `probe`, against a loopback server that verifies the
//! tokens independently. No test touches a non-loopback address.

#[path = "common/apple_server.rs"]
mod apple_server;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

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
    // Inside the margin, "access-1" still valid: one thread exchanges, the others may keep it
    // meanwhile (which ones is up to the scheduler and not asserted).
    assert!(maps.expires_at().unwrap() > clock.now());
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
    let mut seen = std::collections::BTreeSet::new();
    for thread in threads {
        seen.extend(thread.join().unwrap());
    }
    assert_eq!(server.requests(), 2, "one exchange per renewal");
    assert!(
        seen.iter()
            .all(|token| token == "access-1" || token == "access-2"),
        "{seen:?}"
    );
    assert!(
        seen.contains("access-2"),
        "the thread that exchanged returns the new token"
    );
    // All threads joined: the renewal is over and every caller gets the new token.
    assert_eq!(&*maps.access_token().unwrap(), "access-2");
    assert_eq!(maps.exchange_count(), 2);
    assert_eq!(server.requests(), 2);
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
    // A failure is shared until its backoff (1 s) ends; then the next answer is read.
    clock.advance(1);
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

/// The requests a failing renewal makes from `start` to `end` (exclusive) when each failure
/// doubles the wait from 1 s up to 60 s: one per backoff step.
fn backoff_steps(start: i64, end: i64) -> usize {
    let (mut at, mut wait, mut steps) = (start, 1, 0);
    while at < end {
        steps += 1;
        at += wait;
        wait = (wait * 2).min(60);
    }
    steps
}

#[test]
fn a_ten_minute_outage_while_the_access_token_is_valid_costs_no_errors() {
    let (signer, server, clock) = setup();
    server.push(Scripted::new(
        200,
        r#"{"accessToken":"before","expiresInSeconds":3600}"#,
    ));
    let mut options = options(&server);
    options.margin_fraction = 0.25;
    let maps = provider_with(&signer, options, &clock).unwrap();
    assert_eq!(maps.access_token().unwrap(), "before");
    let expires_at = maps.expires_at().unwrap();
    let renew_at = expires_at - 900;

    // Apple is down for 10 minutes, starting when renewal is due.
    server.outage(Some(Scripted::new(500, "down")));
    for t in 0..600 {
        clock.set(renew_at + t);
        for _ in 0..3 {
            assert_eq!(maps.access_token().unwrap(), "before", "at +{t} s");
        }
    }
    // One single request (no in-call retries) per backoff step, not one per call.
    assert_eq!(server.requests() - 1, backoff_steps(0, 600));

    // Back up: the next attempt after the backoff renews.
    server.outage(None);
    clock.set(renew_at + 700);
    assert_eq!(maps.access_token().unwrap(), "access-17");
    assert_eq!(maps.exchange_count(), 2);
}

#[test]
fn once_the_access_token_has_expired_callers_share_the_outage_error() {
    let (signer, server, clock) = setup();
    let maps = provider(&signer, &server, &clock);
    maps.access_token().unwrap();
    server.outage(Some(Scripted::new(500, "down")));
    clock.set(maps.expires_at().unwrap());
    let before = server.requests();
    for _ in 0..10 {
        assert!(matches!(
            maps.access_token(),
            Err(Error::Network { attempts: 3, .. })
        ));
    }
    // With nothing valid the exchange retries in-call (3 requests), once for all ten calls.
    assert_eq!(server.requests() - before, 3);
}

#[test]
fn eight_threads_with_nothing_cached_share_one_rejected_exchange() {
    let (signer, _server, clock) = setup();
    // This server knows another key: every exchange is a 401.
    let other = AppleServer::start(PrivateKey::generate().unwrap().public_key());
    let maps = Arc::new(provider(&signer, &other, &clock));
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (maps, barrier) = (Arc::clone(&maps), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                maps.access_token()
            })
        })
        .collect();
    for thread in threads {
        let error = thread.join().unwrap().unwrap_err();
        assert!(
            matches!(error, Error::AppleRejected { status: 401, .. }),
            "{error}"
        );
    }
    assert_eq!(other.requests(), 1, "one request, not one per thread");
}

#[test]
fn retry_after_bounds_the_next_exchange() {
    let (signer, server, clock) = setup();
    let mut answer = Scripted::new(429, r#"{"error":{"message":"Too many"}}"#);
    answer.headers.push(("Retry-After".into(), "120".into()));
    server.push(answer);
    let maps = provider(&signer, &server, &clock);
    assert!(matches!(
        maps.access_token(),
        Err(Error::QuotaExceeded {
            retry_after_secs: Some(120),
            ..
        })
    ));
    clock.advance(119);
    assert!(matches!(
        maps.access_token(),
        Err(Error::QuotaExceeded { .. })
    ));
    assert_eq!(server.requests(), 1, "no request before Retry-After");
    clock.advance(1);
    assert_eq!(maps.access_token().unwrap(), "access-2");
}

#[test]
fn plain_http_is_refused_except_for_loopback_hosts() {
    let (signer, server, clock) = setup();
    for url in [
        "http://maps-api.apple.com",
        "http://10.0.0.1:8080",
        "http://127.0.0.1.example.com",
        "ftp://127.0.0.1",
        "not a url",
    ] {
        let mut options = options(&server);
        options.http.base_url = Some(url.to_string());
        let error = provider_with(&signer, options.clone(), &clock).unwrap_err();
        assert_eq!(
            (error.field(), error.rule()),
            (Some("base_url"), Some("format")),
            "{url}: {error}"
        );
        let token = signer
            .sign_token(Service::AppleMusic, &Claims::new("DEF123GHIJ"))
            .unwrap();
        assert!(matches!(
            devtoken::probe(Service::AppleMusic, &token, options.http),
            Err(Error::InvalidOption {
                option: "base_url",
                ..
            })
        ));
    }
    for url in [
        "http://localhost:8089",
        "http://127.0.0.2:1",
        "http://[::1]:8089",
        "https://maps-api.apple.com",
        "https://10.0.0.1:8443",
    ] {
        let mut options = options(&server);
        options.http.base_url = Some(url.to_string());
        provider_with(&signer, options, &clock).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[test]
fn backoff_has_a_ceiling_and_every_call_a_deadline() {
    let (signer, server, clock) = setup();
    let mut opts = options(&server);
    opts.http.retry_backoff = Duration::from_secs(11);
    let error = provider_with(&signer, opts, &clock).unwrap_err();
    assert_eq!(
        (error.field(), error.rule()),
        (Some("retry_backoff"), Some("range"))
    );

    // A 503 asking for an hour's wait: the call gives up at its deadline instead of sleeping.
    let mut answer = Scripted::new(503, "busy");
    answer.headers.push(("Retry-After".into(), "3600".into()));
    server.push(answer);
    let mut opts = options(&server);
    opts.http.deadline = Duration::from_millis(800);
    let maps = provider_with(&signer, opts, &clock).unwrap();
    let started = Instant::now();
    let error = maps.access_token().unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3), "{error}");
    assert!(
        matches!(error, Error::Network { attempts: 1, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("deadline"), "{error}");

    // Slow answers: three attempts of a 1 s read timeout would take 3 s; the deadline is 1.2 s.
    let mut slow = Scripted::new(200, r#"{"accessToken":"late","expiresInSeconds":1800}"#);
    slow.delay = Duration::from_millis(2500);
    for _ in 0..3 {
        server.push(slow.clone());
    }
    let mut opts = options(&server);
    opts.http.read_timeout = Duration::from_secs(1);
    opts.http.deadline = Duration::from_millis(1200);
    let maps = provider_with(&signer, opts, &clock).unwrap();
    let started = Instant::now();
    assert!(matches!(maps.access_token(), Err(Error::Network { .. })));
    assert!(started.elapsed() < Duration::from_millis(2500));
}

#[test]
fn a_body_cut_short_is_a_network_error_not_an_empty_body() {
    let (signer, server, clock) = setup();
    let mut cut = Scripted::new(200, r#"{"accessToken":"half","expiresInSeconds":1800}"#);
    cut.cut_body = true;
    for _ in 0..3 {
        server.push(cut.clone());
    }
    let error = provider(&signer, &server, &clock)
        .access_token()
        .unwrap_err();
    assert!(
        matches!(error, Error::Network { attempts: 3, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("reading the body failed"),
        "{error}"
    );
}

#[test]
fn apples_text_is_shortened_and_escaped_in_messages() {
    let (signer, server, clock) = setup();
    let long = "x".repeat(100_000);
    let details: Vec<String> = (0..1000)
        .map(|i| format!("detail {i} {}", &long[..500]))
        .collect();
    let body = serde_json::json!({"error": {"message": format!("\u{1b}[31mred{long}"), "details": details}});
    server.push(Scripted::new(401, &body.to_string()));
    let error = provider(&signer, &server, &clock)
        .access_token()
        .unwrap_err();
    let text = error.to_string();
    assert!(text.len() < 8_000, "{} bytes", text.len());
    assert!(!text.contains('\u{1b}'), "control characters are escaped");
    match error {
        Error::AppleRejected {
            message, details, ..
        } => {
            assert!(message.starts_with("\\u{1b}[31mred") && message.ends_with("..."));
            assert!(details.len() <= 10);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn expires_in_seconds_must_lie_in_the_documented_range() {
    let (signer, server, clock) = setup();
    let maps = provider(&signer, &server, &clock);
    for secs in ["9223372036854775807", "86401", "0", "-5"] {
        server.push(Scripted::new(
            200,
            &format!(r#"{{"accessToken":"a","expiresInSeconds":{secs}}}"#),
        ));
        let error = maps.access_token().unwrap_err();
        assert!(
            matches!(error, Error::MalformedResponse { status: 200, .. }),
            "{secs}: {error}"
        );
        clock.advance(60);
    }
    server.push(Scripted::new(
        200,
        r#"{"accessToken":"day","expiresInSeconds":86400}"#,
    ));
    assert_eq!(maps.access_token().unwrap(), "day");
    // Never served past its own expiry.
    clock.advance(86_400);
    assert_ne!(maps.access_token().unwrap(), "day");
}

#[test]
fn debug_output_holds_no_token() {
    let (signer, server, clock) = setup();
    let maps = provider(&signer, &server, &clock);
    let access = maps.access_token().unwrap();
    let maps_token = maps.maps_token().unwrap();
    for text in [
        format!("{maps:?}"),
        format!("{maps:#?}"),
        format!("{:?}", maps.current().unwrap()),
    ] {
        assert!(!text.contains(&access), "{text}");
        assert!(!text.contains(&maps_token), "{text}");
        assert!(
            !text.contains(maps_token.split('.').nth(2).unwrap()),
            "{text}"
        );
    }
}

/// A server clock 90 s behind ours (a local clock 90 s fast): Apple refuses a token whose `iat`
/// is in its future. The exchange's `Date` header measures the offset; the Maps token is signed
/// again at Apple's time, back-dated by the measured amount, and accepted, all within one call;
/// the provider reports the offset and the correction.
#[test]
fn a_fast_local_clock_is_measured_and_corrected() {
    let (signer, server, clock) = setup();
    server.set_clock_behind(90);
    let maps = provider(&signer, &server, &clock);
    assert_eq!(maps.access_token().unwrap(), "access-2");
    assert_eq!(server.requests(), 2, "one refusal, one accepted retry");
    let offset = maps.clock_offset().unwrap();
    let ahead_ms = -offset.offset_millis;
    assert!(
        (ahead_ms - 90_000).abs() <= offset.uncertainty_millis,
        "measured {ahead_ms} ms ± {} ms, true 90 000 ms",
        offset.uncertainty_millis
    );
    assert!(maps.clock_corrections() >= 1);
    let iat = devtoken::decode_token(&maps.maps_token().unwrap())
        .unwrap()
        .claims["iat"]
        .as_i64()
        .unwrap();
    let apple_now = devtoken::unix_now() - 90;
    assert!(
        iat <= apple_now && iat >= apple_now - 60 - 5,
        "iat {iat}, Apple's now {apple_now}"
    );
    // A clock that agrees: no correction.
    let (signer, server, clock) = setup();
    let maps = provider(&signer, &server, &clock);
    maps.access_token().unwrap();
    assert_eq!((server.requests(), maps.clock_corrections()), (1, 0));
    assert!(maps.clock_offset().unwrap().local_ahead_secs() < 2);
}
