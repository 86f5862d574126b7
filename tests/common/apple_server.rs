//! A loopback stand-in for Apple's token endpoints, for the HTTP tests: it verifies the bearer
//! token's ES256 signature with `ring` (independent of devtoken), answers as Apple's pages say,
//! and counts requests. Scripted answers (status, body, delay) are served first, in order.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
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
        let (r, s, p, o) = (
            Arc::clone(&requests),
            Arc::clone(&script),
            Arc::clone(&paths),
            Arc::clone(&outage),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, s, p, o) = (
                    Arc::clone(&r),
                    Arc::clone(&s),
                    Arc::clone(&p),
                    Arc::clone(&o),
                );
                std::thread::spawn(move || serve(stream, key, &r, &s, &p, &o));
            }
        });
        AppleServer {
            base_url,
            requests,
            script,
            paths,
            outage,
        }
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
}

fn serve(
    stream: TcpStream,
    key: PublicKey,
    requests: &AtomicUsize,
    script: &Mutex<VecDeque<Scripted>>,
    paths: &Mutex<Vec<String>>,
    outage: &Mutex<Option<Scripted>>,
) {
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

    let down = outage.lock().unwrap().clone();
    let scripted = down.or_else(|| script.lock().unwrap().pop_front());
    let answer = match scripted {
        Some(answer) => answer,
        None => {
            let token = authorization
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .unwrap_or("");
            match check_token(token, &key) {
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
        401 => "Unauthorized",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut response = format!("HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n", answer.status, answer.body.len());
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
