//! OAuth client credentials for Apple School Manager, Apple Business Manager and Apple Ads,
//! against a loopback token endpoint that checks the form fields and verifies the assertion with
//! `ring`. No test touches a non-loopback address.

#[path = "common/apple_server.rs"]
mod apple_server;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use apple_server::{field, AppleServer, Scripted};
use devtoken::clock::{Clock, ManualClock};
use devtoken::{
    decode_token, Error, ErrorKind, HttpOptions, OAuthOptions, OAuthTokenProvider, PrivateKey,
    Service, Signer,
};

const KEY_ID: &str = "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b";
const UUID: &str = "27478e71-3bb0-4588-998c-182e2b405577";

fn setup() -> (Arc<Signer>, AppleServer, Arc<ManualClock>) {
    let signer = Arc::new(Signer::new(PrivateKey::generate().unwrap(), KEY_ID).unwrap());
    let server = AppleServer::start(signer.public_key());
    (
        signer,
        server,
        Arc::new(ManualClock::new(devtoken::unix_now())),
    )
}

fn options(server: &AppleServer) -> OAuthOptions {
    OAuthOptions {
        http: HttpOptions {
            base_url: Some(server.base_url.clone()),
            retry_backoff: Duration::from_millis(10),
            ..HttpOptions::default()
        },
        ..OAuthOptions::default()
    }
}

/// The client id (and Apple Ads team id) each service wants.
fn ids(service: Service) -> (String, Option<String>) {
    match service {
        Service::SchoolManager => (format!("SCHOOLAPI.{UUID}"), None),
        Service::BusinessManager => (format!("BUSINESSAPI.{UUID}"), None),
        Service::AppleAds => (
            format!("SEARCHADS.{UUID}"),
            Some(format!("SEARCHADS.{UUID}")),
        ),
        other => panic!("{other} has no token exchange"),
    }
}

fn provider(
    service: Service,
    signer: &Arc<Signer>,
    server: &AppleServer,
    clock: &Arc<ManualClock>,
) -> OAuthTokenProvider {
    let (client_id, team_id) = ids(service);
    OAuthTokenProvider::with_clock(
        Arc::clone(signer),
        service,
        &client_id,
        team_id.as_deref(),
        options(server),
        clock.clone(),
    )
    .unwrap()
}

const SERVICES: [Service; 3] = [
    Service::SchoolManager,
    Service::BusinessManager,
    Service::AppleAds,
];

#[test]
fn each_service_posts_the_form_apple_documents_and_caches_the_answer() {
    for service in SERVICES {
        let (signer, server, clock) = setup();
        let oauth = provider(service, &signer, &server, &clock);
        let first = oauth.access_token().unwrap();
        assert_eq!(first, "oauth-1", "{service}");
        assert_eq!(oauth.expires_at(), Some(clock.now() + 3600));
        // 10 % of 3600 s is 360 s.
        clock.advance(3600 - 361);
        assert_eq!(oauth.access_token().unwrap(), first);
        clock.advance(1);
        assert_eq!(oauth.access_token().unwrap(), "oauth-2");
        assert_eq!(server.paths(), ["/auth/oauth2/token"; 2]);

        let forms = server.forms();
        let form = &forms[0];
        let (client_id, _) = ids(service);
        assert_eq!(field(form, "grant_type"), Some("client_credentials"));
        assert_eq!(field(form, "client_id"), Some(client_id.as_str()));
        let exchange = service.rules().token_exchange.unwrap();
        assert_eq!(field(form, "scope"), Some(exchange.scope));
        let assertion = match service {
            Service::AppleAds => field(form, "client_secret").unwrap(),
            _ => field(form, "client_assertion").unwrap(),
        };
        // The assertion is kept between exchanges (same bytes), and verifies independently.
        assert_eq!(
            Some(assertion),
            forms[1]
                .iter()
                .find(|(k, _)| k.starts_with("client_")
                    && k != "client_id"
                    && !k.ends_with("_type"))
                .map(|(_, v)| v.as_str())
        );
        assert_eq!(assertion, oauth.assertion().unwrap());
        let decoded = decode_token(assertion).unwrap();
        assert_eq!(decoded.header["kid"], KEY_ID);
        assert_eq!(decoded.claims["sub"], client_id.as_str());
        assert_eq!(
            decoded.claims["exp"].as_i64().unwrap() - decoded.claims["iat"].as_i64().unwrap(),
            180 * 86_400 - 86_400
        );
    }
}

#[test]
fn school_and_business_assertions_carry_a_fresh_jti() {
    let (signer, _server, _clock) = setup();
    let claims = devtoken::Claims::new(format!("SCHOOLAPI.{UUID}"));
    let a = signer.sign_token(Service::SchoolManager, &claims).unwrap();
    let b = signer.sign_token(Service::SchoolManager, &claims).unwrap();
    let (a, b) = (decode_token(&a).unwrap(), decode_token(&b).unwrap());
    assert_ne!(a.claims["jti"], b.claims["jti"]);
    assert_eq!(a.claims["iss"], a.claims["sub"]);
    assert!(a.claims["jti"].as_str().unwrap().len() == 36);
}

#[test]
fn sixteen_threads_across_a_renewal_make_one_exchange() {
    let (signer, server, clock) = setup();
    let oauth = Arc::new(provider(Service::AppleAds, &signer, &server, &clock));
    oauth.access_token().unwrap();
    clock.advance(3500);
    // Inside the margin, "oauth-1" still valid: one thread exchanges, the others may keep it
    // meanwhile (which ones is up to the scheduler and not asserted).
    assert!(oauth.expires_at().unwrap() > clock.now());
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let oauth = Arc::clone(&oauth);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                (0..20)
                    .map(|_| oauth.access_token().unwrap())
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
            .all(|token| token == "oauth-1" || token == "oauth-2"),
        "{seen:?}"
    );
    assert!(
        seen.contains("oauth-2"),
        "the thread that exchanged returns the new token"
    );
    // All threads joined: the renewal is over and every caller gets the new token.
    assert_eq!(&*oauth.access_token().unwrap(), "oauth-2");
    assert_eq!(oauth.exchange_count(), 2);
    assert_eq!(server.requests(), 2);
}

#[test]
fn invalidate_after_a_401_forces_exactly_one_exchange() {
    let (signer, server, clock) = setup();
    let oauth = Arc::new(provider(Service::BusinessManager, &signer, &server, &clock));
    let rejected = oauth.access_token().unwrap();
    // Sixteen API calls came back 401 with the same token: each thread invalidates it.
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let (oauth, barrier, rejected) =
                (Arc::clone(&oauth), Arc::clone(&barrier), rejected.clone());
            std::thread::spawn(move || {
                barrier.wait();
                oauth.invalidate(Some(&rejected));
                oauth.access_token().unwrap()
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), "oauth-2");
    }
    assert_eq!(
        server.requests(),
        2,
        "one exchange after the 401, not sixteen"
    );
    // Without a token, whatever is cached goes.
    assert!(oauth.invalidate(None));
    assert!(!oauth.invalidate(None));
    assert_eq!(oauth.access_token().unwrap(), "oauth-3");
    assert!(
        !oauth.invalidate(Some("oauth-1")),
        "an old token does not evict the new one"
    );
}

#[test]
fn an_assertion_near_its_180_days_is_renewed_before_use() {
    let (signer, server, clock) = setup();
    let oauth = provider(Service::SchoolManager, &signer, &server, &clock);
    oauth.access_token().unwrap();
    let first = decode_token(&oauth.assertion().unwrap()).unwrap().claims;
    // 170 days on: the assertion (179 days) has less than a quarter of its life left.
    clock.advance(170 * 86_400);
    oauth.access_token().unwrap();
    let forms = server.forms();
    let used = field(&forms[1], "client_assertion").unwrap();
    let second = decode_token(used).unwrap().claims;
    assert_ne!(first["jti"], second["jti"]);
    assert!(second["iat"].as_i64().unwrap() >= clock.now() - 60);
    assert!(second["exp"].as_i64().unwrap() - clock.now() > 170 * 86_400);
}

#[test]
fn apple_errors_reach_the_caller_typed() {
    let (signer, server, clock) = setup();
    server.push(Scripted::new(
        400,
        r#"{"error":"invalid_client","error_description":"client authentication failed"}"#,
    ));
    let error = provider(Service::AppleAds, &signer, &server, &clock)
        .access_token()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AppleRejected);
    let text = error.to_string();
    assert!(
        text.contains("invalid_client: client authentication failed"),
        "{text}"
    );
    match error {
        Error::AppleRejected {
            status, findings, ..
        } => {
            assert_eq!(status, 400);
            // The assertion was good: inspect finds nothing wrong with it.
            assert!(
                findings.iter().all(|f| f.level != devtoken::Level::Error),
                "{findings:?}"
            );
        }
        other => panic!("{other:?}"),
    }

    for (answer, kind) in [
        (
            Scripted::new(401, r#"{"error":"invalid_client"}"#),
            ErrorKind::AppleRejected,
        ),
        (Scripted::new(429, "slow down"), ErrorKind::QuotaExceeded),
        (Scripted::new(200, "<html>"), ErrorKind::MalformedResponse),
        (
            Scripted::new(200, r#"{"access_token":"x","token_type":"Bearer"}"#),
            ErrorKind::MalformedResponse,
        ),
    ] {
        let (signer, server, clock) = setup();
        server.push(answer);
        let error = provider(Service::SchoolManager, &signer, &server, &clock)
            .access_token()
            .unwrap_err();
        assert_eq!(error.kind(), kind, "{error}");
    }
}

#[test]
fn five_hundreds_are_retried_within_bounds_and_a_slow_answer_times_out() {
    let (signer, server, clock) = setup();
    server.push(Scripted::new(500, "oops"));
    let oauth = provider(Service::AppleAds, &signer, &server, &clock);
    assert_eq!(oauth.access_token().unwrap(), "oauth-2");

    let (signer, server, clock) = setup();
    for _ in 0..3 {
        server.push(Scripted::new(503, "down"));
    }
    let error = provider(Service::AppleAds, &signer, &server, &clock)
        .access_token()
        .unwrap_err();
    assert!(
        matches!(error, Error::Network { attempts: 3, .. }),
        "{error}"
    );
    assert_eq!(server.requests(), 3);

    let (signer, server, clock) = setup();
    let mut slow = Scripted::new(200, r#"{"access_token":"late","expires_in":3600}"#);
    slow.delay = Duration::from_millis(1500);
    server.push(slow);
    let (client_id, team_id) = ids(Service::AppleAds);
    let mut impatient = options(&server);
    impatient.http.read_timeout = Duration::from_millis(300);
    impatient.http.max_retries = 0;
    let error = OAuthTokenProvider::with_clock(
        signer,
        Service::AppleAds,
        &client_id,
        team_id.as_deref(),
        impatient,
        clock,
    )
    .unwrap()
    .access_token()
    .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Network, "{error}");
}

#[test]
fn a_failed_renewal_serves_the_still_valid_token() {
    let (signer, server, clock) = setup();
    let oauth = provider(Service::AppleAds, &signer, &server, &clock);
    let first = oauth.access_token().unwrap();
    clock.advance(3300);
    server.outage(Some(Scripted::new(503, "down")));
    assert_eq!(oauth.access_token().unwrap(), first);
    assert_eq!(oauth.access_token().unwrap(), first);
    assert_eq!(server.requests(), 2, "one attempt, then the backoff");
}

#[test]
fn identifiers_are_checked_before_any_request() {
    let (signer, server, clock) = setup();
    let make = |service, client_id: &str, team_id: Option<&str>| {
        OAuthTokenProvider::with_clock(
            Arc::clone(&signer),
            service,
            client_id,
            team_id,
            options(&server),
            clock.clone(),
        )
        .unwrap_err()
        .into_parts()
    };
    let bare = make(Service::AppleAds, UUID, Some(&format!("SEARCHADS.{UUID}")));
    assert_eq!((bare.field, bare.rule), (Some("sub"), Some("format")));
    assert!(bare.message.contains("bare UUID"), "{}", bare.message);
    let swapped = make(Service::SchoolManager, &format!("BUSINESSAPI.{UUID}"), None);
    assert_eq!((swapped.field, swapped.rule), (Some("iss"), Some("format")));
    let no_team = make(Service::AppleAds, &format!("SEARCHADS.{UUID}"), None);
    assert_eq!(
        (no_team.field, no_team.rule),
        (Some("iss"), Some("required"))
    );
    let team_for_school = make(
        Service::SchoolManager,
        &format!("SCHOOLAPI.{UUID}"),
        Some("X"),
    );
    assert_eq!(
        (team_for_school.field, team_for_school.rule),
        (Some("team_id"), Some("not_applicable"))
    );
    let ten_char = Arc::new(Signer::new(PrivateKey::generate().unwrap(), "ABC123DEFG").unwrap());
    let kid = OAuthTokenProvider::with_clock(
        ten_char,
        Service::AppleAds,
        &format!("SEARCHADS.{UUID}"),
        Some(&format!("SEARCHADS.{UUID}")),
        options(&server),
        clock.clone(),
    )
    .unwrap_err()
    .into_parts();
    assert_eq!((kid.field, kid.rule), (Some("kid"), Some("format")));
    assert_eq!(server.requests(), 0);
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let (signer, _server, clock) = setup();
    let (client_id, team_id) = ids(Service::AppleAds);
    let mut remote = OAuthOptions::default();
    remote.http.base_url = Some("http://appleid.example.com".into());
    let error = OAuthTokenProvider::with_clock(
        signer,
        Service::AppleAds,
        &client_id,
        team_id.as_deref(),
        remote,
        clock,
    )
    .unwrap_err()
    .into_parts();
    assert_eq!(error.field, Some("base_url"));
}

#[test]
fn debug_shows_no_token() {
    let (signer, server, clock) = setup();
    let oauth = provider(Service::AppleAds, &signer, &server, &clock);
    let token = oauth.access_token().unwrap();
    let assertion = oauth.assertion().unwrap();
    let debug = format!("{oauth:?}");
    assert!(
        !debug.contains(&token) && !debug.contains(&assertion),
        "{debug}"
    );
}
