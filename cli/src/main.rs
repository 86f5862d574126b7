//! `devtoken`: sign, verify and explain Apple developer tokens from the command line.
//!
//! Exit codes: 0 success; 1 a token failed verification, inspection found errors, or a server
//! refused the token (or could not be reached); 2 bad input.

mod cache;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use devtoken::service::Presence;
use devtoken::{
    demo, Claims, Error, HttpOptions, Level, Lifetime, MapsOptions, MapsTokenProvider,
    OAuthOptions, OAuthTokenProvider, PrivateKey, PublicKey, Service, Signer,
};
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "devtoken",
    version,
    about = "Sign, verify and explain ES256 developer tokens for Apple's server APIs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign a token and print it alone on stdout.
    Sign(SignArgs),
    /// Check a token's signature; print its header and claims as JSON.
    Verify {
        /// Private or public key file (PEM or DER); `-` reads stdin.
        #[arg(long)]
        key: String,
        /// The token (`-` reads stdin).
        token: String,
    },
    /// List every reason Apple would reject a token.
    Inspect {
        /// The service the token is for (checks its rules).
        #[arg(long, value_parser = parse_service)]
        service: Option<Service>,
        /// A private or public key file to check the signature with.
        #[arg(long)]
        key: Option<String>,
        /// Print the findings as JSON.
        #[arg(long)]
        json: bool,
        /// Exit 1 when the token expires within this window (`30d`, `12h`, `90m`, `600s` or
        /// seconds): an alarm for the six-month tokens embedded in apps and configs.
        #[arg(long, value_parser = parse_window)]
        fail_within: Option<i64>,
        /// The token (`-` reads stdin).
        token: String,
    },
    /// Write a fresh P-256 `.p8` key for local testing (Apple will not know it).
    Keygen {
        /// Where to write the key; stdout when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Exchange a signed Maps token at GET /v1/token; print Apple's TokenResponse JSON.
    MapsToken {
        #[command(flatten)]
        key: KeyArgs,
        /// Your Team ID.
        #[arg(long)]
        issuer: String,
        /// The origin the token is for.
        #[arg(long)]
        origin: Option<String>,
        /// Replaces Apple's Maps base URL, maps-api.apple.com (e.g. a local test server).
        #[arg(long)]
        base_url: Option<String>,
        /// Exchange a new token even when a fresh one is cached (in $XDG_CACHE_HOME/devtoken),
        /// and do not cache this one.
        #[arg(long)]
        no_cache: bool,
    },
    /// Measure this machine's clock against Apple's (from an answer's Date header, with the
    /// bound the round trip allows): a clock running ahead makes Apple refuse fresh tokens.
    Clock {
        /// Replaces the Apple host asked (default: Sign in with Apple's public keys, appleid.apple.com).
        #[arg(long)]
        base_url: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// A checklist of what makes Apple answer 401 outside the token: the key file, the key id,
    /// the identifiers, the clock, a token signed and inspected here, and Apple's own verdict
    /// where it has a test endpoint. Exit 1 when any item is an error.
    Doctor {
        /// The service: apple-music, apns, app-store-connect, ... (`devtoken services`).
        #[arg(long, value_parser = parse_service)]
        service: Service,
        /// The .p8 key file.
        #[arg(long)]
        key: PathBuf,
        /// The key id, unless the file is named `AuthKey_KEYID.p8`.
        #[arg(long)]
        key_id: Option<String>,
        /// `iss`: Team ID, issuer ID or client id, as the service wants.
        #[arg(long)]
        issuer: Option<String>,
        /// `bid`: the app's bundle id (App Store Server API).
        #[arg(long)]
        bundle_id: Option<String>,
        /// `sub`: service id or client id, where the service wants one.
        #[arg(long)]
        subject: Option<String>,
        /// Skip the checks that need the network (clock, probe).
        #[arg(long)]
        offline: bool,
        /// Replaces Apple's base URLs for the clock and probe checks (e.g. a local test server).
        #[arg(long)]
        base_url: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign a token and ask the service's test endpoint whether Apple accepts it.
    Probe {
        #[command(flatten)]
        sign: SignArgs,
        /// Replaces Apple's base URL (e.g. a local test server).
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Get an OAuth access token (Apple School Manager, Apple Business Manager, Apple Ads): sign
    /// the client assertion, exchange it at Apple's token endpoint, print the answer as JSON.
    AccessToken {
        /// school-manager, business-manager or apple-ads.
        #[arg(long, value_parser = parse_service)]
        service: Service,
        #[command(flatten)]
        key: KeyArgs,
        /// The client id: `SCHOOLAPI.<uuid>`, `BUSINESSAPI.<uuid>` or `SEARCHADS.<uuid>`.
        #[arg(long)]
        client_id: String,
        /// Apple Ads: the team id (`SEARCHADS.<uuid>`), sent as iss.
        #[arg(long)]
        team_id: Option<String>,
        /// Replaces Apple's base URL (e.g. a local test server).
        #[arg(long)]
        base_url: Option<String>,
        /// Exchange a new token even when a fresh one is cached (in $XDG_CACHE_HOME/devtoken),
        /// and do not cache this one.
        #[arg(long)]
        no_cache: bool,
    },
    /// Sign a StoreKit in-app signature with an In-App Purchase key; print it alone on stdout.
    #[command(subcommand)]
    Storekit(StorekitCommand),
    /// List the services and their rules.
    Services {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The four StoreKit signatures.
#[derive(Subcommand)]
enum StorekitCommand {
    /// A promotional offer V2 (compact JWS, aud promotional-offer).
    PromotionalOffer {
        #[command(flatten)]
        common: StorekitArgs,
        /// The product id.
        #[arg(long)]
        product_id: String,
        /// The promotional offer id.
        #[arg(long)]
        offer_id: String,
        /// The transaction id (optional, recommended).
        #[arg(long)]
        transaction_id: Option<String>,
    },
    /// A promotional offer V1: prints JSON with signature, nonce, timestamp and keyId.
    PromotionalOfferV1 {
        #[command(flatten)]
        key: KeyArgs,
        /// The app's bundle id.
        #[arg(long)]
        bundle_id: String,
        /// The product id.
        #[arg(long)]
        product_id: String,
        /// The promotional offer id.
        #[arg(long)]
        offer_id: String,
        /// The application username / app account token (lower-cased when signed).
        #[arg(long, default_value = "")]
        application_username: String,
        /// The nonce, a UUID (default: a fresh random one).
        #[arg(long)]
        nonce: Option<String>,
        /// The timestamp in UNIX milliseconds (default: now).
        #[arg(long)]
        timestamp_ms: Option<i64>,
    },
    /// Check a promotional offer V1 signature: exit 0 when it verifies, 1 when it does not.
    VerifyPromotionalOfferV1 {
        /// Private or public key file (PEM or DER); `-` reads stdin.
        #[arg(long)]
        key: String,
        /// The key id that was signed.
        #[arg(long)]
        key_id: String,
        /// The app's bundle id.
        #[arg(long)]
        bundle_id: String,
        /// The product id.
        #[arg(long)]
        product_id: String,
        /// The promotional offer id.
        #[arg(long)]
        offer_id: String,
        /// The application username / app account token that was signed (default: none).
        #[arg(long)]
        application_username: Option<String>,
        /// The nonce that was signed, a UUID.
        #[arg(long)]
        nonce: String,
        /// The timestamp that was signed, UNIX milliseconds.
        #[arg(long)]
        timestamp_ms: i64,
        /// The signature, standard base64 DER (`-` reads stdin).
        signature: String,
    },
    /// An introductory-offer eligibility (compact JWS, aud introductory-offer-eligibility).
    IntroEligibility {
        #[command(flatten)]
        common: StorekitArgs,
        /// The product id.
        #[arg(long)]
        product_id: String,
        /// Whether the customer may have the introductory offer: true or false.
        #[arg(long, action = clap::ArgAction::Set)]
        allow_introductory_offer: bool,
        /// The transaction id.
        #[arg(long)]
        transaction_id: String,
    },
    /// An Advanced Commerce in-app request (compact JWS, aud advanced-commerce-api).
    AdvancedCommerce {
        #[command(flatten)]
        common: StorekitArgs,
        /// The request's JSON, signed byte for byte (`-` reads stdin, `@FILE` reads a file).
        #[arg(long)]
        request: String,
    },
}

/// What the three StoreKit JWS kinds share.
#[derive(Args)]
struct StorekitArgs {
    #[command(flatten)]
    key: KeyArgs,
    /// `iss`: the issuer ID (a UUID) from App Store Connect.
    #[arg(long)]
    issuer: String,
    /// `bid`: the app's bundle id.
    #[arg(long)]
    bundle_id: String,
    /// The nonce, a UUID (default: a fresh random one).
    #[arg(long)]
    nonce: Option<String>,
    /// `iat` as UNIX seconds (default: now).
    #[arg(long)]
    issued_at: Option<i64>,
}

/// Where the signing key comes from.
#[derive(Args)]
struct KeyArgs {
    /// The `.p8` key file (`-` reads stdin), or a key inside an HSM as an RFC 7512 URI:
    /// 'pkcs11:token=T;object=AuthKey_KEYID?module-path=/path/lib.so&pin-source=file:/path'
    /// (pin-source env:VARIABLE also works; a PIN in the URI is refused). Default: the PEM in
    /// $DEVTOKEN_KEY.
    #[arg(long, conflicts_with = "demo")]
    key: Option<String>,
    /// Sign with devtoken's public DEMO key (Apple rejects it; for trying the tool out or a
    /// local test server).
    #[arg(long)]
    demo: bool,
    /// The key id (10 characters; a UUID for Apple Ads, School and Business Manager keys);
    /// default: from a file named AuthKey_KEYID.p8 or
    /// SubscriptionKey_KEYID.p8, or $DEVTOKEN_KEY_ID.
    #[arg(long, env = "DEVTOKEN_KEY_ID")]
    key_id: Option<String>,
}

#[derive(Args)]
struct SignArgs {
    /// The service: maps, apple-music, app-store-server, external-purchase-server, apps-and-books,
    /// app-store-connect, enterprise-program, weatherkit, sign-in-with-apple, apns, device-check,
    /// school-manager, business-manager, apple-ads.
    #[arg(long, value_parser = parse_service)]
    service: Service,
    #[command(flatten)]
    key: KeyArgs,
    /// `iss`: Team ID, or issuer ID (UUID) for the App Store Connect family.
    #[arg(long)]
    issuer: Option<String>,
    /// Lifetime in seconds (default: the service's default).
    #[arg(long, conflicts_with = "expires_at")]
    ttl: Option<i64>,
    /// `exp` as UNIX seconds.
    #[arg(long)]
    expires_at: Option<i64>,
    /// `iat` as UNIX seconds (default: now, back-dated by --clock-skew).
    #[arg(long)]
    issued_at: Option<i64>,
    /// An allowed origin (repeatable).
    #[arg(long = "origin")]
    origins: Vec<String>,
    /// `bid`: the app's bundle id.
    #[arg(long)]
    bundle_id: Option<String>,
    /// `sub`: service id, client id, or `user`.
    #[arg(long)]
    subject: Option<String>,
    /// A scope entry (repeatable).
    #[arg(long = "scope")]
    scope: Vec<String>,
    /// `jti`: the assertion's unique id (school-manager, business-manager; default: a fresh
    /// random UUID).
    #[arg(long)]
    jwt_id: Option<String>,
    /// Seconds to back-date `iat` when --issued-at is not given (default: the core's, 60).
    #[arg(long, allow_hyphen_values = true)]
    clock_skew: Option<i64>,
    /// Put `iat` on the grid a fleet shares, so every run within a period prints the same token
    /// (the default for apns and device-check; asked for elsewhere, where the service allows it).
    #[arg(long, conflicts_with_all = ["no_align", "issued_at"])]
    align: bool,
    /// Sign with `iat` = now (back-dated by --clock-skew) instead of the shared grid.
    #[arg(long)]
    no_align: bool,
}

/// `30d`, `12h`, `90m`, `600s` or a bare number of seconds, as seconds.
fn parse_window(text: &str) -> Result<i64, String> {
    let (digits, unit) = match text.char_indices().last() {
        Some((at, c)) if c.is_ascii_alphabetic() => (&text[..at], c),
        _ => (text, 's'),
    };
    let scale = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        other => return Err(format!("unknown unit '{other}': use d, h, m or s")),
    };
    digits
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("'{text}' is not a window such as 30d, 12h, 90m or 600s"))
}

fn parse_service(name: &str) -> Result<Service, String> {
    name.parse()
        .map_err(|e: devtoken::service::UnknownService| e.to_string())
}

/// A failure and the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let code = match error {
            Error::BadSignature { .. }
            | Error::AppleRejected { .. }
            | Error::QuotaExceeded { .. }
            | Error::Network { .. }
            | Error::MalformedResponse { .. } => 1,
            _ => 2,
        };
        Failure {
            code,
            message: error.to_string(),
        }
    }
}

fn bad_input(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("devtoken: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(command: Command) -> Result<u8, Failure> {
    match command {
        Command::Sign(args) => sign(args),
        Command::Verify { key, token } => {
            let public_key = read_public_key(&key)?;
            let token = read_argument(&token)?;
            let decoded = devtoken::verify_token(&token, &public_key)?;
            let mut json =
                serde_json::json!({ "header": decoded.header, "claims": decoded.claims });
            if let Some(kind) = devtoken::storekit::kind_of(&decoded.claims) {
                json["storekit"] = kind.name().into();
            }
            print_json(&json);
            Ok(0)
        }
        Command::Inspect {
            service,
            key,
            json,
            fail_within,
            token,
        } => {
            let public_key = key.as_deref().map(read_public_key).transpose()?;
            let token = read_argument(&token)?;
            let findings = devtoken::inspect_token(&token, service, public_key.as_ref());
            let expires_at = devtoken::inspect::token_expires_at(&token, service);
            let now = devtoken::unix_now();
            let within_window = match (fail_within, expires_at) {
                (Some(window), Some(at)) => Some(at.saturating_sub(now) <= window),
                (Some(_), None) => return Err(bad_input(
                    "--fail-within: the token has no exp and no --service says how long it lives",
                )),
                (None, _) => None,
            };
            if json {
                let list: Vec<_> = findings
                    .iter()
                    .map(|f| serde_json::json!({ "level": f.level.as_str(), "code": f.code, "message": f.message }))
                    .collect();
                let report = serde_json::json!({
                    "findings": list,
                    "expires_at": expires_at,
                    "expires_in_secs": expires_at.map(|at| at.saturating_sub(now)),
                    "expires_within_window": within_window,
                });
                print_json(&report);
            } else {
                for finding in &findings {
                    println!("{finding}");
                }
                if let Some(at) = expires_at {
                    println!("{}", describe_expiry(at, now));
                }
                if let (Some(true), Some(window)) = (within_window, fail_within) {
                    println!("error: it expires within the --fail-within window of {window} s: sign a new one");
                }
                let errors = findings.iter().filter(|f| f.level == Level::Error).count();
                println!(
                    "{errors} error(s); {}",
                    if errors == 0 {
                        "no reason for Apple to reject this token was found"
                    } else {
                        "Apple would reject this token"
                    }
                );
            }
            let failed =
                findings.iter().any(|f| f.level == Level::Error) || within_window == Some(true);
            Ok(u8::from(failed))
        }
        Command::Keygen { out } => {
            let key = PrivateKey::generate()?;
            let pem = key.to_pkcs8_pem();
            match out {
                Some(path) => {
                    write_private_file(&path, pem.as_bytes())
                        .map_err(|e| bad_input(format!("cannot write {}: {e}", path.display())))?;
                    eprintln!(
                        "wrote a new P-256 key to {} (for local testing; Apple does not know it)",
                        path.display()
                    );
                }
                None => print!("{}", pem.as_str()),
            }
            Ok(0)
        }
        Command::MapsToken {
            key,
            issuer,
            origin,
            base_url,
            no_cache,
        } => maps_token(&key, issuer, origin, base_url, no_cache),
        Command::Probe { sign, base_url } => probe(sign, base_url),
        Command::Clock { base_url, json } => clock(base_url, json),
        Command::Doctor {
            service,
            key,
            key_id,
            issuer,
            bundle_id,
            subject,
            offline,
            base_url,
            json,
        } => {
            let claims = Claims {
                issuer,
                bundle_id,
                subject,
                ..Claims::default()
            };
            let input = devtoken::doctor::DoctorInput {
                key_path: key,
                key_id,
                service,
                claims,
                network: (!offline).then(|| HttpOptions {
                    base_url,
                    ..HttpOptions::default()
                }),
            };
            Ok(print_doctor(&devtoken::doctor::doctor(&input), json))
        }
        Command::AccessToken {
            service,
            key,
            client_id,
            team_id,
            base_url,
            no_cache,
        } => access_token(
            service,
            &key,
            &client_id,
            team_id.as_deref(),
            base_url,
            no_cache,
        ),
        Command::Storekit(command) => storekit(command),
        Command::Services { json } => {
            print_services(json);
            Ok(0)
        }
    }
}

/// The signer from --demo, --key FILE, --key - (stdin), --key pkcs11:URI or $DEVTOKEN_KEY.
fn load_signer(args: &KeyArgs) -> Result<Signer, Failure> {
    let key_id = args.key_id.as_deref();
    if args.demo {
        eprintln!(
            "devtoken: signing with the public DEMO key (kid {}); Apple will reject this token",
            demo::DEMO_KEY_ID
        );
        return Ok(demo::demo_signer()?);
    }
    Ok(match args.key.as_deref() {
        Some("-") => Signer::new(
            PrivateKey::from_bytes(&read_stdin()?)?,
            &require_key_id(key_id)?,
        )?,
        Some(uri) if uri.starts_with("pkcs11:") => {
            Signer::from_pkcs11(devtoken::Pkcs11Config::from_uri(uri)?, key_id)?
        }
        Some(path) => Signer::from_file(path, key_id)?,
        None => match std::env::var("DEVTOKEN_KEY") {
            Ok(pem) => Signer::from_pem(&Zeroizing::new(pem), &require_key_id(key_id)?)?,
            Err(_) => {
                return Err(bad_input(
                    "no key: give --key FILE, set DEVTOKEN_KEY to the PEM, or try --demo",
                ))
            }
        },
    })
}

fn sign(args: SignArgs) -> Result<u8, Failure> {
    let service = args.service;
    let token = sign_with(args)?;
    // What Apple does in the field (e.g. Apple Music over 180 days): a warning, the token is still
    // printed and the exit code stays 0.
    for warning in devtoken::lifetime_warnings(&token, service)? {
        eprintln!("devtoken: warning: {}", warning.message);
    }
    println!("{token}");
    Ok(0)
}

fn sign_with(args: SignArgs) -> Result<String, Failure> {
    let mut signer = load_signer(&args.key)?;
    if let Some(secs) = args.clock_skew {
        signer = signer.with_clock_skew(secs)?;
    }
    let aligned = match (args.align, args.no_align || args.issued_at.is_some()) {
        (true, _) => Some(true),
        (false, true) => Some(false),
        (false, false) => None,
    };
    let options = devtoken::ProviderOptions::default().with_aligned(aligned);
    let issued_at = match devtoken::alignment_period(args.service, &options)? {
        Some(period) => Some(devtoken::aligned_issued_at(
            devtoken::unix_now(),
            period,
            signer.clock_skew_secs(),
        )),
        None => args.issued_at,
    };
    let claims = Claims {
        issuer: args.issuer,
        issued_at,
        expires_at: args.expires_at,
        ttl: args.ttl,
        origins: args.origins,
        bundle_id: args.bundle_id,
        subject: args.subject,
        scope: args.scope,
        jwt_id: args.jwt_id,
    };
    Ok(signer.sign_token(args.service, &claims)?)
}

fn storekit(command: StorekitCommand) -> Result<u8, Failure> {
    use devtoken::storekit::{
        AdvancedCommerceRequest, IntroOfferEligibility, PromotionalOffer, PromotionalOfferV1,
    };
    fn now(common: &StorekitArgs) -> i64 {
        common.issued_at.unwrap_or_else(devtoken::unix_now)
    }
    let output = match command {
        StorekitCommand::PromotionalOffer {
            common,
            product_id,
            offer_id,
            transaction_id,
        } => {
            let signer = load_signer(&common.key)?;
            let offer = PromotionalOffer {
                issuer_id: common.issuer.clone(),
                bundle_id: common.bundle_id.clone(),
                product_id,
                offer_id,
                transaction_id,
                nonce: common.nonce.clone(),
            };
            signer.promotional_offer_at(&offer, now(&common))?
        }
        StorekitCommand::IntroEligibility {
            common,
            product_id,
            allow_introductory_offer,
            transaction_id,
        } => {
            let signer = load_signer(&common.key)?;
            let eligibility = IntroOfferEligibility {
                issuer_id: common.issuer.clone(),
                bundle_id: common.bundle_id.clone(),
                product_id,
                allow_introductory_offer,
                transaction_id,
                nonce: common.nonce.clone(),
            };
            signer.intro_offer_eligibility_at(&eligibility, now(&common))?
        }
        StorekitCommand::AdvancedCommerce { common, request } => {
            let bytes = match request.as_str() {
                "-" => read_stdin()?.to_vec(),
                text => match text.strip_prefix('@') {
                    Some(path) => std::fs::read(path)
                        .map_err(|e| bad_input(format!("cannot read {path}: {e}")))?,
                    None => text.as_bytes().to_vec(),
                },
            };
            let signer = load_signer(&common.key)?;
            let request = AdvancedCommerceRequest {
                issuer_id: common.issuer.clone(),
                bundle_id: common.bundle_id.clone(),
                request: bytes,
                nonce: common.nonce.clone(),
            };
            signer.advanced_commerce_request_at(&request, now(&common))?
        }
        StorekitCommand::PromotionalOfferV1 {
            key,
            bundle_id,
            product_id,
            offer_id,
            application_username,
            nonce,
            timestamp_ms,
        } => {
            let signer = load_signer(&key)?;
            let offer = PromotionalOfferV1 {
                bundle_id,
                product_id,
                offer_id,
                application_username,
                nonce,
                timestamp_ms,
            };
            let signed = signer.promotional_offer_v1(&offer)?;
            serde_json::to_string_pretty(&serde_json::json!({
                "signature": signed.signature,
                "nonce": signed.nonce,
                "timestamp": signed.timestamp_ms,
                "keyId": signed.key_id,
            }))
            .unwrap_or_default()
        }
        StorekitCommand::VerifyPromotionalOfferV1 {
            key,
            key_id,
            bundle_id,
            product_id,
            offer_id,
            application_username,
            nonce,
            timestamp_ms,
            signature,
        } => {
            let mut offer = PromotionalOfferV1::new(bundle_id, product_id, offer_id)
                .nonce(nonce)
                .timestamp_ms(timestamp_ms);
            if let Some(username) = application_username {
                offer = offer.application_username(username);
            }
            let public_key = read_public_key(&key)?;
            let signature = read_argument(&signature)?;
            if !devtoken::verify_promotional_offer_v1(&offer, &key_id, &signature, &public_key)? {
                return Err(Failure {
                    code: 1,
                    message: "the promotional offer V1 signature does not verify over these fields with this \
                        key".into(),
                });
            }
            "the promotional offer V1 signature is valid".to_string()
        }
    };
    println!("{output}");
    Ok(0)
}

fn maps_token(
    key: &KeyArgs,
    issuer: String,
    origin: Option<String>,
    base_url: Option<String>,
    no_cache: bool,
) -> Result<u8, Failure> {
    let signer = load_signer(key)?;
    let identity = [
        "maps",
        signer.key_id(),
        &issuer,
        origin.as_deref().unwrap_or(""),
        base_url.as_deref().unwrap_or(""),
    ]
    .map(str::to_string);
    let entry = cache::through(!no_cache, &identity, || {
        let mut claims = Claims::new(issuer);
        claims.origins.extend(origin);
        let options = MapsOptions {
            http: HttpOptions {
                base_url,
                ..HttpOptions::default()
            },
            ..MapsOptions::default()
        };
        let maps = MapsTokenProvider::new(signer, claims, options)?;
        maps.access_token()?;
        let current = maps.current().ok_or_else(|| bad_input("no access token"))?;
        Ok::<_, Failure>(cache::Entry::from(&current))
    })?;
    print_json(&serde_json::json!({
        "accessToken": entry.access_token,
        "expiresInSeconds": entry.expires_in_secs,
    }));
    Ok(0)
}

fn access_token(
    service: Service,
    key: &KeyArgs,
    client_id: &str,
    team_id: Option<&str>,
    base_url: Option<String>,
    no_cache: bool,
) -> Result<u8, Failure> {
    let signer = load_signer(key)?;
    let identity = [
        service.cli_name(),
        signer.key_id(),
        client_id,
        team_id.unwrap_or(""),
        base_url.as_deref().unwrap_or(""),
    ]
    .map(str::to_string);
    let entry = cache::through(!no_cache, &identity, || {
        let options = OAuthOptions {
            http: HttpOptions {
                base_url,
                ..HttpOptions::default()
            },
            ..OAuthOptions::default()
        };
        let provider = OAuthTokenProvider::new(signer, service, client_id, team_id, options)?;
        provider.access_token()?;
        let current = provider
            .current()
            .ok_or_else(|| bad_input("no access token"))?;
        Ok::<_, Failure>(cache::Entry::from(&current))
    })?;
    print_json(&serde_json::json!({
        "access_token": entry.access_token,
        "token_type": "Bearer",
        "expires_in": entry.expires_in_secs,
        "expires_at": entry.expires_at,
    }));
    Ok(0)
}

/// Prints the checklist; 1 when an item is an error.
fn print_doctor(report: &[devtoken::doctor::Check], json: bool) -> u8 {
    use devtoken::doctor::CheckStatus;
    if json {
        let checks: Vec<_> = report
            .iter()
            .map(|c| {
                serde_json::json!({
                    "name": c.name,
                    "status": c.status.as_str(),
                    "message": c.message,
                    "fix": c.fix,
                })
            })
            .collect();
        print_json(&serde_json::json!({ "checks": checks }));
    } else {
        for check in report {
            println!(
                "{:<8} {:<12} {}",
                check.status.as_str(),
                check.name,
                check.message
            );
            if let Some(fix) = &check.fix {
                println!("{:<8} {:<12} fix: {fix}", "", "");
            }
        }
        let skipped: Vec<&str> = report
            .iter()
            .filter(|c| c.status == CheckStatus::Skipped)
            .map(|c| c.name)
            .collect();
        if !skipped.is_empty() {
            println!("skipped: {}", skipped.join(", "));
        }
    }
    u8::from(report.iter().any(|c| c.status == CheckStatus::Error))
}

fn clock(base_url: Option<String>, json: bool) -> Result<u8, Failure> {
    let options = HttpOptions {
        base_url,
        ..HttpOptions::default()
    };
    let offset = devtoken::measure_clock_offset(options)?;
    let ahead_ms = offset.offset_millis.saturating_neg();
    let skew = devtoken::core_defaults().clock_skew_secs as i64;
    if json {
        print_json(&serde_json::json!({
            "local_ahead_millis": ahead_ms,
            "uncertainty_millis": offset.uncertainty_millis,
            "local_surely_ahead_secs": offset.local_ahead_secs(),
            "default_clock_skew_secs": skew,
        }));
    } else {
        let (word, size) = if ahead_ms >= 0 {
            ("ahead of", ahead_ms)
        } else {
            ("behind", -ahead_ms)
        };
        println!(
            "this clock is {}.{:03} s {word} Apple's (± {}.{:03} s)",
            size / 1000,
            size % 1000,
            offset.uncertainty_millis / 1000,
            offset.uncertainty_millis % 1000
        );
        if offset.local_ahead_secs() > skew {
            println!(
                "warning: more than the {skew} s back-dating covers: Apple will refuse tokens signed here as issued in \
                 the future. Fix the clock (NTP); devtoken's providers correct for what they measure, the CLI does not."
            );
        }
    }
    Ok(0)
}

fn probe(sign: SignArgs, base_url: Option<String>) -> Result<u8, Failure> {
    let service = sign.service;
    let token = sign_with(sign)?;
    let verdict = devtoken::probe(
        service,
        &token,
        HttpOptions {
            base_url,
            ..HttpOptions::default()
        },
    )?;
    if verdict.accepted {
        println!(
            "accepted: {} answered {} for this {} token",
            verdict.url, verdict.status, service
        );
        return Ok(0);
    }
    println!(
        "rejected: {} answered {}: {}",
        verdict.url, verdict.status, verdict.message
    );
    for finding in &verdict.findings {
        println!("{finding}");
    }
    Ok(1)
}

fn require_key_id(key_id: Option<&str>) -> Result<String, Failure> {
    key_id.map(str::to_string).ok_or_else(|| {
        bad_input(
            "kid is required: give --key-id (or set DEVTOKEN_KEY_ID) when the key does not \
            come from an AuthKey_<KEYID>.p8 or SubscriptionKey_<KEYID>.p8 file",
        )
    })
}

/// The most bytes read from stdin: a key or a token is well under this.
const MAX_STDIN_BYTES: usize = 64 * 1024;

/// Reads stdin into one buffer allocated up front (never grown, so no freed block keeps a copy
/// of a key) and wiped on drop; more than [`MAX_STDIN_BYTES`] is refused.
fn read_stdin() -> Result<Zeroizing<Vec<u8>>, Failure> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_STDIN_BYTES + 1));
    std::io::stdin()
        .take(MAX_STDIN_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad_input(format!("cannot read stdin: {e}")))?;
    if bytes.len() > MAX_STDIN_BYTES {
        return Err(bad_input(format!(
            "stdin holds more than {MAX_STDIN_BYTES} bytes; a key or a token is far shorter"
        )));
    }
    Ok(bytes)
}

fn read_argument(value: &str) -> Result<String, Failure> {
    if value == "-" {
        std::str::from_utf8(&read_stdin()?)
            .map(str::to_string)
            .map_err(|_| bad_input("stdin is not UTF-8 text"))
    } else {
        Ok(value.to_string())
    }
}

fn read_public_key(source: &str) -> Result<PublicKey, Failure> {
    if source == "-" {
        return Ok(PublicKey::from_bytes(&read_stdin()?)?);
    }
    Ok(PublicKey::from_file(source)?)
}

#[cfg(unix)]
fn write_private_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// `expires 2026-12-29T10:00:00Z (in 29 days)` or `expired ... (3 h ago)`.
fn describe_expiry(at: i64, now: i64) -> String {
    let left = at.saturating_sub(now);
    let span = |secs: i64| match secs.unsigned_abs() {
        s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
        s if s >= 2 * 3600 => format!("{} h", s / 3600),
        s if s >= 120 => format!("{} min", s / 60),
        s => format!("{s} s"),
    };
    if left > 0 {
        format!(
            "expires {} (in {})",
            devtoken::clock::format_utc(at),
            span(left)
        )
    } else {
        format!(
            "expired {} ({} ago)",
            devtoken::clock::format_utc(at),
            span(left)
        )
    }
}

/// Prints `value` as pretty JSON on stdout.
fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn describe_lifetime(service: Service) -> String {
    match service.rules().lifetime {
        Lifetime::Expiring {
            max_secs,
            max_secs_with_get_only_scope,
            default_secs,
        } => {
            let max = match (max_secs, max_secs_with_get_only_scope) {
                (Some(max), Some(long)) => {
                    format!("at most {max} s ({long} s with a GET-only scope)")
                }
                (Some(max), None) => format!("at most {max} s"),
                (None, _) => "no published limit".to_string(),
            };
            format!("exp {max}; default {default_secs} s")
        }
        Lifetime::NoExpiry { max_age_secs } => {
            format!("no exp; Apple rejects it {max_age_secs} s after iat")
        }
    }
}

fn print_services(json: bool) {
    if json {
        let list: Vec<_> = Service::ALL
            .iter()
            .map(|&service| {
                let rules = service.rules();
                serde_json::json!({
                    "name": service.cli_name(),
                    "title": rules.name,
                    "header": rules.header_members(),
                    "payload": rules
                        .payload_members()
                        .into_iter()
                        .map(|(name, presence)| {
                            serde_json::json!({ "name": name, "required": presence == Presence::Required })
                        })
                        .collect::<Vec<_>>(),
                    "audience": rules.audience,
                    "lifetime": describe_lifetime(service),
                    "key_id": key_id_shape(service),
                    "token_endpoint": rules.token_exchange.map(|e| format!("{}{}", e.base_url, e.path)),
                    "source": rules.source,
                })
            })
            .collect();
        print_json(&serde_json::Value::Array(list));
        return;
    }
    for service in Service::ALL {
        let rules = service.rules();
        println!("{:<26} {}", service.cli_name(), rules.name);
        let payload: Vec<String> = rules
            .payload_members()
            .into_iter()
            .map(|(name, presence)| match presence {
                Presence::Optional => format!("{name}?"),
                _ => name.to_string(),
            })
            .collect();
        let mut header = rules.header_members().join(", ");
        if rules.team_service_id_header {
            header.push_str(" (id = <Team ID>.<sub>)");
        }
        println!("{:<26} header: {header}", "");
        println!("{:<26} payload: {} (? = optional)", "", payload.join(", "));
        println!("{:<26} aud: {}", "", rules.audience.unwrap_or("(none)"));
        println!("{:<26} lifetime: {}", "", describe_lifetime(service));
        println!("{:<26} kid: {}", "", key_id_shape(service));
        if let Some(exchange) = rules.token_exchange {
            println!(
                "{:<26} exchanged at: POST {}{} (scope {}); devtoken access-token",
                "", exchange.base_url, exchange.path, exchange.scope
            );
        }
        println!("{:<26} source: {}", "", rules.source);
    }
}

/// What the service's key ids look like.
fn key_id_shape(service: Service) -> &'static str {
    match service.rules().key_id {
        devtoken::service::KeyIdRule::TenCharacter => "10 characters (AuthKey_<KEYID>.p8)",
        devtoken::service::KeyIdRule::Uuid => "a UUID",
    }
}
