//! TokenProvider: time travel with a manual clock for every kind of service, and 16 threads
//! across a renewal boundary.

use std::sync::{Arc, Barrier};

use devtoken::alignment_period;
use devtoken::clock::{Clock, ManualClock};
use devtoken::{Claims, Error, PrivateKey, ProviderOptions, Service, Signer, TokenProvider};

const T0: i64 = 1_700_000_000;
const TEAM: &str = "DEF123GHIJ";
const ISSUER: &str = "57246542-96fe-1a63-e053-0824d011072a";

fn signer() -> Arc<Signer> {
    Arc::new(Signer::new(PrivateKey::generate().unwrap(), "ABC123DEFG").unwrap())
}

fn provider(
    service: Service,
    claims: Claims,
    options: ProviderOptions,
) -> (TokenProvider, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(T0));
    let provider =
        TokenProvider::with_clock(signer(), service, claims, options, clock.clone()).unwrap();
    (provider, clock)
}

#[test]
fn long_lived_tokens_are_reused_until_the_margin() {
    // Apple Music, 1 hour (iat back-dated 60 s): margin 25 % = 900 s, so renew at exp - 900.
    let (music, clock) = provider(
        Service::AppleMusic,
        Claims::new(TEAM).ttl(3600),
        ProviderOptions::default(),
    );
    let first = music.token().unwrap();
    let exp = T0 - 60 + 3600;
    assert_eq!(music.expires_at(), Some(exp));
    clock.set(exp - 901);
    assert_eq!(music.token().unwrap(), first);
    assert_eq!(music.seconds_left(), Some(901));
    clock.set(exp - 900);
    let second = music.token().unwrap();
    assert_ne!(second, first);
    assert_eq!(music.signature_count(), 2);
    assert_eq!(music.current_claims().unwrap()["iat"], exp - 900 - 60);
}

#[test]
fn the_margin_has_a_floor_and_is_configurable() {
    // 200 s tokens: 25 % is 50 s, below the 60 s floor.
    let (maps, clock) = provider(
        Service::Maps,
        Claims::new(TEAM).ttl(200),
        ProviderOptions::default(),
    );
    let first = maps.token().unwrap();
    clock.set(T0 - 60 + 200 - 61);
    assert_eq!(maps.token().unwrap(), first);
    clock.advance(1);
    assert_ne!(maps.token().unwrap(), first);

    let options = ProviderOptions {
        margin_fraction: 0.5,
        min_margin_secs: 0,
        ..Default::default()
    };
    let (asc, clock) = provider(
        Service::AppStoreConnect,
        Claims::new(ISSUER).ttl(1200),
        options,
    );
    let first = asc.token().unwrap();
    clock.set(T0 - 60 + 600 - 1);
    assert_eq!(asc.token().unwrap(), first);
    clock.advance(1);
    assert_ne!(asc.token().unwrap(), first);
}

#[test]
fn app_store_server_tokens_are_new_per_call_unless_reuse_is_asked_for() {
    let claims = Claims::new(ISSUER).bundle_id("com.example.app");
    let (per_call, clock) = provider(
        Service::AppStoreServer,
        claims.clone(),
        ProviderOptions::default(),
    );
    let a = per_call.token().unwrap();
    clock.advance(1);
    let b = per_call.token().unwrap();
    let c = per_call.token().unwrap();
    assert_ne!(a, b);
    assert_eq!(b, c, "same second, same claims: deterministic");
    assert_eq!(per_call.signature_count(), 3);

    let options = ProviderOptions {
        reuse_per_request_tokens: true,
        ..Default::default()
    };
    let (reused, clock) = provider(Service::ExternalPurchaseServer, claims, options);
    let first = reused.token().unwrap();
    clock.advance(60);
    assert_eq!(reused.token().unwrap(), first);
    assert_eq!(reused.signature_count(), 1);
}

#[test]
fn unaligned_apns_renews_after_40_minutes_and_never_within_20() {
    for service in [Service::Apns, Service::DeviceCheck] {
        let unaligned = ProviderOptions::default().with_aligned(Some(false));
        let (apns, clock) = provider(service, Claims::new(TEAM), unaligned);
        let first = apns.token().unwrap();
        assert_eq!(apns.expires_at(), Some(T0 - 60 + 3600));
        clock.advance(40 * 60 - 1);
        assert_eq!(apns.token().unwrap(), first);
        clock.advance(1);
        let second = apns.token().unwrap();
        assert_ne!(second, first);

        // A 401/403 right after a renewal: the 20-minute floor still holds.
        clock.advance(19 * 60);
        match apns.force_refresh() {
            Err(Error::RefreshTooSoon { wait_secs, .. }) => assert_eq!(wait_secs, 60),
            other => panic!("expected RefreshTooSoon, got {other:?}"),
        }
        clock.advance(60);
        let third = apns.force_refresh().unwrap();
        assert_ne!(third, second);
        assert_eq!(apns.signature_count(), 3);
    }
}

#[test]
fn apns_options_outside_apples_window_are_refused() {
    for renew_after in [10 * 60, 60 * 60] {
        let options = ProviderOptions {
            renew_after_secs: Some(renew_after),
            ..Default::default()
        };
        let error = TokenProvider::with_clock(
            signer(),
            Service::Apns,
            Claims::new(TEAM),
            options,
            Arc::new(ManualClock::new(T0)),
        )
        .unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidOption {
                    option: "renew_after_secs",
                    ..
                }
            ),
            "{error}"
        );
    }
    let options = ProviderOptions {
        renew_after_secs: Some(25 * 60),
        ..Default::default()
    };
    let (apns, clock) = provider(Service::Apns, Claims::new(TEAM), options);
    let first = apns.token().unwrap();
    clock.advance(25 * 60);
    assert_ne!(apns.token().unwrap(), first);
}

#[test]
fn force_refresh_replaces_a_long_lived_token() {
    let (music, _clock) = provider(
        Service::AppleMusic,
        Claims::new(TEAM).ttl(86_400),
        ProviderOptions::default(),
    );
    let first = music.token().unwrap();
    let forced = music.force_refresh().unwrap();
    // Same second, same claims would give the same deterministic bytes, which is no replacement:
    // the replacement is back-dated one second more.
    assert_ne!(forced, first);
    let iat = |token: &str| {
        devtoken::decode_token(token).unwrap().claims["iat"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(iat(&forced), iat(&first) - 1);
    assert_eq!(music.signature_count(), 3);
}

#[test]
fn templates_are_checked_up_front() {
    let clock = Arc::new(ManualClock::new(T0));
    let bad = TokenProvider::with_clock(
        signer(),
        Service::AppStoreServer,
        Claims::new(ISSUER),
        ProviderOptions::default(),
        clock.clone(),
    );
    assert!(matches!(bad, Err(Error::InvalidClaim { field: "bid", .. })));
    let fixed_time = TokenProvider::with_clock(
        signer(),
        Service::AppleMusic,
        Claims::new(TEAM).issued_at(T0),
        ProviderOptions::default(),
        clock,
    );
    assert!(matches!(
        fixed_time,
        Err(Error::InvalidOption {
            option: "claims",
            ..
        })
    ));
}

/// Exactly what the cache promises, nothing that depends on which thread runs first: one
/// signature per renewal, only the old (still valid) or the new token during the renewal, and
/// the new token for every caller once it is over. Which threads saw the old token is up to the
/// scheduler (stale-while-revalidate), so it is not asserted.
#[test]
fn sixteen_threads_across_a_renewal_share_one_signature() {
    let signer = signer();
    let public_key = signer.public_key();
    let clock = Arc::new(ManualClock::new(T0));
    let provider = Arc::new(
        TokenProvider::with_clock(
            signer,
            Service::AppleMusic,
            Claims::new(TEAM).ttl(3600),
            ProviderOptions::default(),
            clock.clone(),
        )
        .unwrap(),
    );
    let mut old = provider.token().unwrap();
    // Past the renewal point, the old token still valid: one renewal for all 16 threads.
    for round in 1..=3 {
        clock.set(T0 + round * 2700);
        let now = clock.now();
        let exp = |token: &str| devtoken::decode_token(token).unwrap().claims["exp"].as_i64();
        assert!(
            exp(&old).unwrap() > now,
            "round {round}: the old token is still valid"
        );
        let barrier = Arc::new(Barrier::new(16));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let provider = Arc::clone(&provider);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    (0..50)
                        .map(|_| provider.token().unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        for thread in threads {
            seen.extend(thread.join().unwrap());
        }
        assert_eq!(
            provider.signature_count(),
            1 + round as u64,
            "round {round}: one signature however many threads ask"
        );
        // All threads joined: the renewal is over and every caller gets the new token.
        let renewed = provider.token().unwrap();
        assert_ne!(renewed, old, "round {round}");
        assert_eq!(provider.token().unwrap(), renewed, "round {round}");
        assert!(exp(&renewed).unwrap() > now, "round {round}");
        devtoken::verify_token(&renewed, &public_key).unwrap();
        for token in &seen {
            assert!(
                *token == old || *token == renewed,
                "round {round}: only the old and the renewed token are handed out"
            );
        }
        assert!(
            seen.contains(&renewed),
            "round {round}: the thread that signed returns the new token"
        );
        assert_eq!(
            provider.signature_count(),
            1 + round as u64,
            "round {round}"
        );
        old = renewed;
    }
}

#[test]
fn without_a_valid_token_every_caller_waits_for_one_signature() {
    let clock = Arc::new(ManualClock::new(T0));
    let provider = Arc::new(
        TokenProvider::with_clock(
            signer(),
            Service::Apns,
            Claims::new(TEAM),
            ProviderOptions::default(),
            clock.clone(),
        )
        .unwrap(),
    );
    for round in 0..2 {
        // Round 0: nothing signed yet. Round 1: the old token is past its hour.
        clock.advance(round * 2 * 3600);
        let barrier = Arc::new(Barrier::new(16));
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let provider = Arc::clone(&provider);
                let barrier = Arc::clone(&barrier);
                std::thread::spawn(move || {
                    barrier.wait();
                    provider.token().unwrap()
                })
            })
            .collect();
        let tokens: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        // Nothing valid to hand out: every caller waits for the one signature and gets it.
        assert!(tokens.iter().all(|t| *t == tokens[0]));
        assert_eq!(provider.signature_count(), 1 + round as u64);
        assert_eq!(provider.token().unwrap(), tokens[0]);
        let iat = devtoken::decode_token(&tokens[0]).unwrap().claims["iat"]
            .as_i64()
            .unwrap();
        assert!(
            iat <= clock.now() && clock.now() < iat + 3600,
            "an APNs token less than an hour old"
        );
    }
}

/// A fleet without coordination: processes that start at different times within a period sign
/// byte-identical tokens (deterministic key, same grid `iat`), and renew at the same instant.
#[test]
fn aligned_providers_in_different_processes_hand_out_the_same_token() {
    let cases = [
        (Service::Apns, Claims::new(TEAM), None),
        (Service::DeviceCheck, Claims::new(TEAM), None),
        (Service::AppleMusic, Claims::new(TEAM), Some(true)),
        (Service::AppStoreConnect, Claims::new(ISSUER), Some(true)),
        (Service::Maps, Claims::new(TEAM), Some(true)),
    ];
    // One key, as every process of a fleet loads it.
    let key = signer();
    let process = |service, claims: Claims, options: ProviderOptions, now: i64| {
        let clock = Arc::new(ManualClock::new(now));
        let signer = Signer::clone(&key);
        (
            TokenProvider::with_clock(signer, service, claims, options, clock.clone()).unwrap(),
            clock,
        )
    };
    for (service, claims, aligned) in cases {
        let options = ProviderOptions::default().with_aligned(aligned);
        let period = alignment_period(service, &options).unwrap().unwrap() as i64;
        let start = T0.div_euclid(period) * period;
        let (early, early_clock) = process(service, claims.clone(), options.clone(), start + 1);
        let (late, late_clock) = process(service, claims.clone(), options, start + period - 1);
        assert_eq!(early.alignment_period_secs(), Some(period as u64));
        let token = early.token().unwrap();
        assert_eq!(late.token().unwrap(), token, "{service}");
        // Both renew at the next grid point, to the same new token.
        early_clock.set(start + period);
        late_clock.set(start + period + 3);
        let next = early.token().unwrap();
        assert_ne!(next, token, "{service}");
        assert_eq!(late.token().unwrap(), next, "{service}");
    }
}

#[test]
fn alignment_follows_the_rule_table() {
    let signer = signer();
    let build = |service, claims: Claims, aligned| {
        TokenProvider::with_clock(
            signer.clone(),
            service,
            claims,
            ProviderOptions::default().with_aligned(aligned),
            Arc::new(ManualClock::new(T0)),
        )
    };
    let bundle = Claims::new(ISSUER).bundle_id("com.example.app");
    // Off unless asked, except for provider tokens.
    assert_eq!(
        build(Service::AppleMusic, Claims::new(TEAM), None)
            .unwrap()
            .alignment_period_secs(),
        None
    );
    assert_eq!(
        build(Service::Apns, Claims::new(TEAM), None)
            .unwrap()
            .alignment_period_secs(),
        Some(2400)
    );
    assert_eq!(
        build(Service::Apns, Claims::new(TEAM), Some(false))
            .unwrap()
            .alignment_period_secs(),
        None
    );
    // Tokens that must be unique are never aligned, and asking says why.
    for (service, claims) in [
        (Service::AppStoreServer, bundle.clone()),
        (Service::ExternalPurchaseServer, bundle),
    ] {
        assert_eq!(
            build(service, claims.clone(), None)
                .unwrap()
                .alignment_period_secs(),
            None
        );
        let error = build(service, claims, Some(true)).unwrap_err();
        assert_eq!(
            (error.field(), error.rule()),
            (Some("aligned"), Some("not_applicable"))
        );
        assert!(
            error.to_string().contains("new token for each request"),
            "{error}"
        );
    }
    // A grid that would hand out a token past its margin is refused, naming the fix.
    let error = build(
        Service::AppStoreConnect,
        Claims::new(ISSUER).ttl(300),
        Some(true),
    )
    .unwrap_err();
    assert_eq!(
        (error.field(), error.rule()),
        (Some("aligned"), Some("conflict"))
    );
    assert!(error.to_string().contains("lengthen ttl"), "{error}");
}

/// What an HTTP client's auth does on a 401: callers that all saw one refused token replace it
/// once; a caller holding an older token gets the current one without a new signature.
#[test]
fn a_refused_token_is_replaced_once_however_many_callers_report_it() {
    let (music, clock) = provider(
        Service::AppleMusic,
        Claims::new(TEAM).ttl(3600),
        ProviderOptions::default(),
    );
    let refused = music.token().unwrap();
    assert_eq!(music.fresh_token().as_deref(), Some(refused.as_str()));
    clock.advance(5);
    let renewed: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| music.refresh_rejected(&refused).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(renewed
        .iter()
        .all(|token| *token == renewed[0] && *token != refused));
    assert_eq!(music.signature_count(), 2);
    assert_eq!(
        music.refresh_rejected("an older token").unwrap(),
        renewed[0]
    );
    assert_eq!(music.signature_count(), 2);
    // Provider tokens keep Apple's floor: a refusal within 20 minutes is RefreshTooSoon.
    let (apns, _) = provider(Service::Apns, Claims::new(TEAM), ProviderOptions::default());
    let token = apns.token().unwrap();
    assert!(matches!(
        apns.refresh_rejected(&token),
        Err(Error::RefreshTooSoon { .. })
    ));
    // Per-request tokens are never served from the cache's fast path.
    let (per_call, _) = provider(
        Service::AppStoreServer,
        Claims::new(ISSUER).bundle_id("com.example.app"),
        ProviderOptions::default(),
    );
    per_call.token().unwrap();
    assert_eq!(per_call.fresh_token(), None);
}
