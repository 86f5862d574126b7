//! Entry points for the fuzz targets in `fuzz/` and for the corpus replay in
//! `tests/fuzz_corpus.rs` (feature `fuzzing`; not a stable API).
//!
//! Each function takes the fuzzer's raw bytes, reads what it needs from them with [`Input`], and
//! calls the public (and a few crate-private) parsers the way the faces do. A panic, an overflow
//! (debug assertions are on in fuzz builds) or a failed assertion here is a bug.

use std::sync::{Arc, OnceLock};

use crate::base::clock::ManualClock;
use crate::{
    decode_token, inspect_token_at, options, verify_token, Claims, PrivateKey, ProviderOptions,
    PublicKey, Service, Signer, TokenProvider,
};

/// Reads typed values from the front of the fuzzer's bytes; once they run out, zeros.
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Reads from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// The next `n` bytes (fewer at the end).
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        head
    }

    /// The next byte.
    pub fn u8(&mut self) -> u8 {
        self.bytes(1).first().copied().unwrap_or(0)
    }

    /// The next 8 bytes as a little-endian `u64`.
    pub fn u64(&mut self) -> u64 {
        let mut buf = [0u8; 8];
        let head = self.bytes(8);
        buf[..head.len()].copy_from_slice(head);
        u64::from_le_bytes(buf)
    }

    /// The next 8 bytes as a little-endian `i64`.
    pub fn i64(&mut self) -> i64 {
        self.u64() as i64
    }

    /// The next 8 bytes as an `f64` (any bit pattern: NaN, infinities, subnormals).
    pub fn f64(&mut self) -> f64 {
        f64::from_bits(self.u64())
    }

    /// A time: an extreme value, a small offset from a realistic one, or any `i64`.
    pub fn time(&mut self) -> i64 {
        match self.u8() % 4 {
            0 => [i64::MIN, i64::MAX, 0, -1, 1][usize::from(self.u8() % 5)],
            1 => 1_700_000_000 + i64::from(self.u8() as i8) * 600,
            _ => self.i64(),
        }
    }

    /// A string of up to 255 bytes (invalid UTF-8 replaced).
    pub fn string(&mut self) -> String {
        let n = usize::from(self.u8());
        String::from_utf8_lossy(self.bytes(n)).into_owned()
    }

    /// An optional string.
    pub fn opt_string(&mut self) -> Option<String> {
        (self.u8() % 2 == 1).then(|| self.string())
    }

    /// A service (every one in the table), or none.
    pub fn service(&mut self) -> Option<Service> {
        let choices = Service::ALL.len() + 1;
        Service::ALL.get(usize::from(self.u8()) % choices).copied()
    }

    /// Any claims: every field present or not, extreme times, up to two origins and scopes.
    pub fn claims(&mut self) -> Claims {
        Claims {
            issuer: self.opt_string(),
            issued_at: (self.u8() % 2 == 1).then(|| self.time()),
            expires_at: (self.u8() % 2 == 1).then(|| self.time()),
            ttl: (self.u8() % 2 == 1).then(|| self.time()),
            origins: (0..self.u8() % 3).map(|_| self.string()).collect(),
            bundle_id: self.opt_string(),
            subject: self.opt_string(),
            scope: (0..self.u8() % 3).map(|_| self.string()).collect(),
            jwt_id: self.opt_string(),
        }
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        let rest = self.data;
        self.data = &[];
        rest
    }
}

fn fixed_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        PrivateKey::from_pem(crate::token::demo::DEMO_KEY_PEM).expect("the demo key")
    })
}

fn fixed_public_key() -> &'static PublicKey {
    static KEY: OnceLock<PublicKey> = OnceLock::new();
    KEY.get_or_init(|| fixed_key().public_key())
}

/// Key parsing: private and public keys from PEM text, DER and "any bytes", and signers.
pub fn keys(data: &[u8]) {
    let mut input = Input::new(data);
    let key_id = input.string();
    let rest = input.rest();
    let text = String::from_utf8_lossy(rest);
    let mut loaded = Vec::new();
    loaded.extend(PrivateKey::from_pem(&text).ok());
    loaded.extend(PrivateKey::from_bytes(rest).ok());
    loaded.extend(PrivateKey::from_der(rest).ok());
    let _ = PublicKey::from_pem(&text);
    let _ = PublicKey::from_der(rest);
    let _ = PublicKey::from_bytes(rest);
    let _ = Signer::from_pem(&text, &key_id);
    let _ = Signer::from_pem_bytes(rest, &key_id);
    // A key that loads signs tokens that verify under its public key.
    for key in loaded {
        let public = key.public_key();
        assert_eq!(PublicKey::from_pem(&public.to_pem()).ok(), Some(public));
        if let Ok(signer) = Signer::new(key, "FUZZKEY001") {
            let claims = Claims::new("FUZZTEAM01");
            let token = signer
                .sign_token_at(Service::AppleMusic, &claims, 1_700_000_000)
                .expect("a loaded key signs");
            verify_token(&token, &public).expect("its token verifies");
        }
    }
}

/// Tokens: decode, verify with a fixed key, inspect at any time for any service.
pub fn tokens(data: &[u8]) {
    let mut input = Input::new(data);
    let service = input.service();
    let now = input.time();
    let with_key = input.u8() % 2 == 1;
    let token = String::from_utf8_lossy(input.rest());
    let decoded = decode_token(&token);
    let verified = verify_token(&token, fixed_public_key());
    if verified.is_ok() {
        assert!(decoded.is_ok(), "a token that verifies decodes");
    }
    let key = with_key.then(fixed_public_key);
    let findings = inspect_token_at(&token, service, key, now);
    for finding in &findings {
        let _ = finding.to_string();
    }
}

/// Claims and options as the faces receive them: any claim values and times, any clock skew,
/// the option converters, and providers on a manual clock (no network).
pub fn claims(data: &[u8]) {
    let mut input = Input::new(data);
    // The option converters every face calls with the caller's numbers.
    let _ = options::seconds("fuzz", input.i64());
    let _ = options::count("fuzz", input.i64());
    let _ = options::millis("fuzz", input.i64());
    let _ = options::secs_f64("fuzz", input.f64());

    let service = input.service().unwrap_or(Service::AppleMusic);
    let claims = input.claims();
    let key_id = if input.u8() % 2 == 1 {
        input.string()
    } else {
        "FUZZKEY001".to_string()
    };
    let skew = input.time();
    let now = input.time();
    let Ok(signer) = Signer::new(fixed_key().clone(), &key_id) else {
        return;
    };
    let Ok(signer) = signer.with_clock_skew(skew) else {
        return;
    };
    let signer = Arc::new(signer);
    if let Ok(token) = signer.sign_token_at(service, &claims, now) {
        verify_token(&token, fixed_public_key()).expect("a signed token verifies");
        let _ = inspect_token_at(&token, Some(service), Some(fixed_public_key()), now);
    }

    let provider_options = ProviderOptions {
        margin_fraction: input.f64(),
        min_margin_secs: input.u64(),
        renew_after_secs: (input.u8() % 2 == 1).then(|| input.u64()),
        reuse_per_request_tokens: input.u8() % 2 == 1,
        aligned: [None, Some(false), Some(true)][usize::from(input.u8() % 3)],
    };
    let clock = Arc::new(ManualClock::new(now));
    if let Ok(provider) = TokenProvider::with_clock(
        Arc::clone(&signer),
        service,
        claims.clone(),
        provider_options,
        clock.clone(),
    ) {
        for _ in 0..input.u8() % 4 {
            let _ = provider.token();
            let _ = provider.seconds_left();
            clock.set(input.time());
        }
        let _ = provider.force_refresh();
        let _ = provider.expires_at();
    }

    #[cfg(feature = "http")]
    {
        let http = crate::HttpOptions {
            base_url: input.opt_string(),
            max_retries: input.u8().into(),
            extra_ca_pem: input.opt_string(),
            ..crate::HttpOptions::default()
        };
        let maps_options = crate::MapsOptions {
            margin_fraction: input.f64(),
            min_margin_secs: input.u64(),
            http,
        };
        if let Ok(maps) = crate::MapsTokenProvider::with_clock(signer, claims, maps_options, clock)
        {
            // No exchange (that is the network): only what answers from the cache.
            let _ = maps.fresh_access_token();
            let _ = maps.expires_at();
            let _ = maps.maps_token();
        }
    }
}

/// Apple's HTTP answers: the Maps `TokenResponse`, the `ErrorResponse` of every exchange, the
/// failure backoff with `Retry-After`, and the renewal margin applied to Apple's lifetime.
pub fn http_answers(data: &[u8]) {
    let mut input = Input::new(data);
    let now = input.time();
    let count = input.u64() as u32;
    let retry_after = (input.u8() % 2 == 1).then(|| input.u64());
    let fraction = input.f64();
    let min_secs = input.u64();
    let body = String::from_utf8_lossy(input.rest());

    let backoff = crate::provider::cache::failure_backoff_secs(count, retry_after);
    assert!((0..=3600).contains(&backoff), "backoff {backoff}");
    if let Ok(margin) = crate::provider::cache::Margin::new(fraction, min_secs) {
        let _ = margin.renew_at(now, i64::from(count));
    }

    #[cfg(feature = "http")]
    {
        let (message, details) = crate::net::http::error_message(&body);
        assert!(message.chars().count() <= 2 * 1024, "message unbounded");
        assert!(details.len() <= 64, "details unbounded");
        for shape in [
            &crate::net::exchange::MAPS_ANSWER,
            &crate::net::exchange::OAUTH_ANSWER,
        ] {
            if let Ok(token) = crate::net::exchange::read_answer(shape, &body, now) {
                let (expires_in, expires_at) = (token.expires_in_secs, token.expires_at);
                assert!(!token.access_token.is_empty());
                assert!(
                    (1..=crate::contract::options::MAX_ACCESS_TOKEN_LIFETIME_SECS)
                        .contains(&expires_in)
                );
                assert_eq!(now.checked_add(expires_in), Some(expires_at));
                if let Ok(margin) = crate::provider::cache::Margin::new(fraction, min_secs) {
                    assert!(margin.renew_at(expires_at, expires_in) <= expires_at);
                }
            }
        }
    }
}
