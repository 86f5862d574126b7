//! `send_authorized`: the bearer header from a provider, one retry with a replaced token on a
//! 401, and a second 401 handed back; checked with `ureq` against the loopback stand-in.

#[path = "common/apple_server.rs"]
mod apple_server;

use apple_server::{AppleServer, Scripted};
use devtoken::auth::send_authorized;
use devtoken::{Claims, PrivateKey, Service, Signer, TokenProvider};

fn setup() -> (TokenProvider, AppleServer, ureq::Agent) {
    let signer = Signer::new(PrivateKey::generate().unwrap(), "ABC123DEFG").unwrap();
    let server = AppleServer::start(signer.public_key());
    let music = TokenProvider::new(signer, Service::AppleMusic, Claims::new("DEF123GHIJ")).unwrap();
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    (music, server, agent)
}

fn call(music: &TokenProvider, server: &AppleServer, agent: &ureq::Agent) -> (u16, Vec<String>) {
    let mut sent = Vec::new();
    let url = format!("{}/v1/test", server.base_url);
    let response = send_authorized(
        music,
        |authorization| {
            sent.push(authorization.to_string());
            agent
                .get(&url)
                .header("Authorization", authorization)
                .call()
        },
        |response| response.status().as_u16(),
    )
    .unwrap()
    .unwrap();
    (response.status().as_u16(), sent)
}

#[test]
fn a_refused_token_is_replaced_and_sent_once_more() {
    let (music, server, agent) = setup();
    let (status, sent) = call(&music, &server, &agent);
    assert_eq!((status, sent.len()), (200, 1));
    assert!(sent[0].starts_with("Bearer ey"));
    // Apple refuses the token once: a new one, one retry, accepted.
    server.push(Scripted::new(401, r#"{"errors":[{"status":"401"}]}"#));
    let (status, retried) = call(&music, &server, &agent);
    assert_eq!((status, retried.len()), (200, 2));
    assert_eq!(retried[0], sent[0]);
    assert_ne!(retried[1], retried[0]);
    // One replacement: signed once, or twice when the first came out identical (same second).
    assert!((2..=3).contains(&music.signature_count()));
    // Refused twice: the second 401 reaches the caller, no third request.
    server.push(Scripted::new(401, "{}"));
    server.push(Scripted::new(401, "{}"));
    let before = server.requests();
    let (status, sent) = call(&music, &server, &agent);
    assert_eq!(
        (status, sent.len(), server.requests() - before),
        (401, 2, 2)
    );
}
