//! A loopback stand-in for Apple's token endpoints, for the HTTP tests: it verifies the bearer
//! token's ES256 signature with `ring` (independent of devtoken), answers as Apple's pages say,
//! and counts requests. Scripted answers (status, body, delay) are served first, in order.
//!
//! `POST /auth/oauth2/token` is the OAuth token endpoint of Apple School and Business Manager
//! and Apple Ads: it checks the form fields Apple documents and the assertion's claims, keeps
//! each form, and answers `{"access_token", "token_type", "expires_in": 3600}` or Apple's
//! `400 {"error": "invalid_client"}`.
//!
//! Every answer carries a `Date` header. [`AppleServer::set_clock_behind`] runs the server's
//! clock behind the real one, and then, as Apple does, a token whose `iat` lies in the server's
//! future is refused.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use devtoken::PublicKey;

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Scripted {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
    /// Announce the whole body but send only its first half, then close.
    pub cut_body: bool,
}

impl Scripted {
    pub fn new(status: u16, body: &str) -> Self {
        Scripted {
            status,
            body: body.to_string(),
            headers: Vec::new(),
            delay: Duration::ZERO,
            cut_body: false,
        }
    }
}

#[derive(Debug)]
pub struct AppleServer {
    pub base_url: String,
    requests: Arc<AtomicUsize>,
    script: Arc<Mutex<VecDeque<Scripted>>>,
    paths: Arc<Mutex<Vec<String>>>,
    outage: Arc<Mutex<Option<Scripted>>>,
    forms: Arc<Mutex<Vec<Form>>>,
    behind: Arc<AtomicI64>,
}

/// The fields of one form posted to the token endpoint.
pub type Form = Vec<(String, String)>;

/// The value of `name` in `form`.
pub fn field<'a>(form: &'a Form, name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

impl AppleServer {
    /// Starts a server that accepts tokens signed by `key`.
    pub fn start(key: PublicKey) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let paths = Arc::new(Mutex::new(Vec::new()));
        let outage = Arc::new(Mutex::new(None));
        let forms = Arc::new(Mutex::new(Vec::new()));
        let behind = Arc::new(AtomicI64::new(0));
        let (r, s, p, o, f, b) = (
            Arc::clone(&requests),
            Arc::clone(&script),
            Arc::clone(&paths),
            Arc::clone(&outage),
            Arc::clone(&forms),
            Arc::clone(&behind),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, s, p, o, f, b) = (
                    Arc::clone(&r),
                    Arc::clone(&s),
                    Arc::clone(&p),
                    Arc::clone(&o),
                    Arc::clone(&f),
                    Arc::clone(&b),
                );
                std::thread::spawn(move || serve(stream, key, &r, &s, &p, &o, &f, &b));
            }
        });
        AppleServer {
            base_url,
            requests,
            script,
            paths,
            outage,
            forms,
            behind,
        }
    }

    /// Runs the server's clock `secs` behind the real one (its `Date` header and its check
    /// that `iat` is not in the future).
    pub fn set_clock_behind(&self, secs: i64) {
        self.behind.store(secs, Ordering::SeqCst);
    }

    /// Answers every request with `answer` (before the script) until called with `None`.
    pub fn outage(&self, answer: Option<Scripted>) {
        *self.outage.lock().unwrap() = answer;
    }

    pub fn push(&self, answer: Scripted) {
        self.script.lock().unwrap().push_back(answer);
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn paths(&self) -> Vec<String> {
        self.paths.lock().unwrap().clone()
    }

    /// Every form posted to the token endpoint, in order.
    pub fn forms(&self) -> Vec<Form> {
        self.forms.lock().unwrap().clone()
    }
}

// One parameter per piece of shared state the test reads back; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
fn serve(
    stream: TcpStream,
    key: PublicKey,
    requests: &AtomicUsize,
    script: &Mutex<VecDeque<Scripted>>,
    paths: &Mutex<Vec<String>>,
    outage: &Mutex<Option<Scripted>>,
    forms: &Mutex<Vec<Form>>,
    behind: &AtomicI64,
) {
    let behind = behind.load(Ordering::SeqCst);
    let server_now = devtoken::unix_now() - behind;
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut authorization = None;
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("authorization:") {
            let _ = value;
            authorization = Some(line["authorization:".len()..].trim().to_string());
        }
        if let Some(value) = lower.strip_prefix("content-length:") {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length];
    let _ = reader.read_exact(&mut body);
    let number = requests.fetch_add(1, Ordering::SeqCst) + 1;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    paths.lock().unwrap().push(path.clone());
    let form = (path == "/auth/oauth2/token").then(|| parse_form(&body));
    if let Some(form) = &form {
        forms.lock().unwrap().push(form.clone());
    }

    let down = outage.lock().unwrap().clone();
    let scripted = down.or_else(|| script.lock().unwrap().pop_front());
    let answer = match (scripted, form) {
        (Some(answer), _) => answer,
        (None, Some(form)) => match check_form(&form, &key).and_then(|()| {
            let assertion = field(&form, "client_assertion")
                .or(field(&form, "client_secret"))
                .unwrap_or("");
            check_iat(assertion, server_now, behind)
        }) {
            Ok(()) => Scripted::new(
                200,
                &format!(
                    r#"{{"access_token":"oauth-{number}","token_type":"Bearer","expires_in":3600}}"#
                ),
            ),
            Err(why) => Scripted::new(
                400,
                &format!(r#"{{"error":"invalid_client","error_description":"{why}"}}"#),
            ),
        },
        (None, None) => {
            let token = authorization
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .unwrap_or("");
            match check_token(token, &key).and_then(|()| check_iat(token, server_now, behind)) {
                Ok(()) if path == "/v1/token" => Scripted::new(
                    200,
                    &format!(r#"{{"accessToken":"access-{number}","expiresInSeconds":1800}}"#),
                ),
                Ok(()) => Scripted::new(200, r#"{"data":[]}"#),
                Err(why) => Scripted::new(
                    401,
                    &format!(r#"{{"error":{{"message":"Not Authorized","details":["{why}"]}}}}"#),
                ),
            }
        }
    };
    std::thread::sleep(answer.delay);
    let reason = match answer.status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut response = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\nDate: {}\r\n",
        answer.status,
        answer.body.len(),
        http_date(server_now)
    );
    for (name, value) in &answer.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    if answer.cut_body {
        response.push_str(&answer.body[..answer.body.len() / 2]);
    } else {
        response.push_str(&answer.body);
    }
    let mut stream = stream;
    let _ = stream.write_all(response.as_bytes());
}

/// With the server's clock set behind, Apple's check that `iat` is not in the future.
fn check_iat(token: &str, server_now: i64, behind: i64) -> Result<(), String> {
    if behind == 0 {
        return Ok(());
    }
    use base64::Engine;
    let payload = token.split('.').nth(1).unwrap_or("");
    let claims: serde_json::Value = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    match claims["iat"].as_i64() {
        Some(iat) if iat > server_now => {
            Err(format!("iat is {} s in the future", iat - server_now))
        }
        _ => Ok(()),
    }
}

/// UNIX seconds as an HTTP date (`Tue, 14 Nov 2023 22:13:20 GMT`).
fn http_date(unix_secs: i64) -> String {
    // 2023-11-14T22:13:20Z → the parts; 1970-01-01 was a Thursday.
    let iso = devtoken::clock::format_utc(unix_secs);
    let (date, time) = iso.trim_end_matches('Z').split_once('T').unwrap();
    let mut parts = date.split('-');
    let (year, month, day) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let weekday = weekdays[unix_secs.div_euclid(86_400).rem_euclid(7) as usize];
    let month = months[month.parse::<usize>().unwrap() - 1];
    format!("{weekday}, {day} {month} {year} {time} GMT")
}

/// What Apple checks: an ES256 signature by the registered key, a kid, an iss, a live exp.
fn check_token(token: &str, key: &PublicKey) -> Result<(), String> {
    let Some((input, signature)) = token.rsplit_once('.') else {
        return Err("not a JWS".into());
    };
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let signature = engine
        .decode(signature)
        .map_err(|_| "bad base64".to_string())?;
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_FIXED,
        key.to_sec1_bytes(),
    )
    .verify(input.as_bytes(), &signature)
    .map_err(|_| "bad signature".to_string())?;
    let (header, payload) = input.split_once('.').ok_or("not a JWS")?;
    let header: serde_json::Value =
        serde_json::from_slice(&engine.decode(header).map_err(|_| "bad header")?)
            .map_err(|_| "bad header")?;
    let claims: serde_json::Value =
        serde_json::from_slice(&engine.decode(payload).map_err(|_| "bad payload")?)
            .map_err(|_| "bad payload")?;
    if header["alg"] != "ES256"
        || header["kid"].as_str().is_none()
        || claims["iss"].as_str().is_none()
    {
        return Err("missing alg, kid or iss".into());
    }
    Ok(())
}

/// Decodes an `application/x-www-form-urlencoded` body.
fn parse_form(body: &[u8]) -> Form {
    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                    i += 2;
                }
                other => out.push(other),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(key), decode(value))
        })
        .collect()
}

/// What Apple's token endpoints check: the form fields of the service the client id names, and
/// an assertion signed by the registered key with the claims that service wants.
fn check_form(form: &Form, key: &PublicKey) -> Result<(), String> {
    let client_id = field(form, "client_id").ok_or("no client_id")?;
    if field(form, "grant_type") != Some("client_credentials") {
        return Err("grant_type is not client_credentials".into());
    }
    let (prefix, scope, aud) = match client_id.split_once('.').map(|(p, _)| p) {
        Some("SCHOOLAPI") => (
            "SCHOOLAPI",
            "school.api",
            "https://account.apple.com/auth/oauth2/v2/token",
        ),
        Some("BUSINESSAPI") => (
            "BUSINESSAPI",
            "business.api",
            "https://account.apple.com/auth/oauth2/v2/token",
        ),
        Some("SEARCHADS") => ("SEARCHADS", "searchadsorg", "https://appleid.apple.com"),
        _ => return Err("unknown client_id".into()),
    };
    if field(form, "scope") != Some(scope) {
        return Err(format!("scope is not {scope}"));
    }
    let assertion = if prefix == "SEARCHADS" {
        if field(form, "client_assertion").is_some() {
            return Err("Apple Ads takes client_secret".into());
        }
        field(form, "client_secret").ok_or("no client_secret")?
    } else {
        if field(form, "client_assertion_type")
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return Err("wrong client_assertion_type".into());
        }
        field(form, "client_assertion").ok_or("no client_assertion")?
    };
    check_token(assertion, key)?;
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = assertion.split('.');
    let header: serde_json::Value =
        serde_json::from_slice(&engine.decode(parts.next().unwrap()).unwrap()).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&engine.decode(parts.next().unwrap()).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap_or("");
    if kid.len() != 36 || kid.split('-').count() != 5 {
        return Err("kid is not a UUID".into());
    }
    if claims["aud"] != aud || claims["sub"] != client_id {
        return Err("aud or sub wrong".into());
    }
    if prefix != "SEARCHADS" && (claims["iss"] != client_id || claims["jti"].as_str().is_none()) {
        return Err("iss or jti wrong".into());
    }
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap_or(0),
        claims["exp"].as_i64().unwrap_or(0),
    );
    if exp <= iat || exp - iat > 180 * 86_400 {
        return Err("lifetime wrong".into());
    }
    Ok(())
}
