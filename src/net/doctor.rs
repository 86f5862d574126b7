//! `doctor`: the causes of a 401 that live outside the token, found before Apple answers. A
//! checklist over the key file, the key id, the identifiers the service wants, the clock, a
//! token signed and inspected locally and, where Apple has a test endpoint, Apple's own verdict.
//! Each item is ok, a warning or an error with a one-line fix; without network the network
//! items are skipped and say so. The CLI prints it; each face returns it, so a service can run
//! it at startup and log the result.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::contract::error::Error;
use crate::net::http::{measure_clock_offset, probe, HttpOptions};
use crate::rules::findings::Level;
use crate::rules::service::Service;
use crate::token::claims::Claims;
use crate::token::inspect::inspect_token;
use crate::token::signer::Signer;

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckStatus {
    /// Nothing wrong.
    Ok,
    /// Works, but worth fixing.
    Warning,
    /// Apple would refuse, or the setup is unsafe.
    Error,
    /// Not run (no network, or nothing to check); the message says why.
    Skipped,
}

impl CheckStatus {
    /// `ok`, `warning`, `error` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Warning => "warning",
            CheckStatus::Error => "error",
            CheckStatus::Skipped => "skipped",
        }
    }
}

impl fmt::Display for CheckStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One item of the checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `key_file`, `key_id`, `identifiers`, `clock`, `token` or `probe`.
    pub name: &'static str,
    /// How it came out.
    pub status: CheckStatus,
    /// What was found (never key material or a token).
    pub message: String,
    /// For a warning or an error: what to do, in one line.
    pub fix: Option<String>,
}

/// What `doctor` checks.
#[derive(Debug, Clone)]
pub struct DoctorInput {
    /// The `.p8` key file.
    pub key_path: PathBuf,
    /// The key id, when the file is not named `AuthKey_<KEYID>.p8` (or to check that it is).
    pub key_id: Option<String>,
    /// The service the key is for.
    pub service: Service,
    /// The claims a token for the service carries (issuer, bundle id, ...).
    pub claims: Claims,
    /// Network settings for the clock and probe checks; `None` skips them.
    pub network: Option<HttpOptions>,
}

/// Runs every check, in order; never fails as a whole (each failure is an item).
///
/// ```no_run
/// use devtoken::doctor::{doctor, CheckStatus, DoctorInput};
/// use devtoken::{Claims, Service};
/// let report = doctor(&DoctorInput {
///     key_path: "AuthKey_ABC123DEFG.p8".into(),
///     key_id: None,
///     service: Service::AppleMusic,
///     claims: Claims::new("DEF123GHIJ"),
///     network: Some(Default::default()),
/// });
/// for check in &report {
///     println!("{} {}: {}", check.status, check.name, check.message);
/// }
/// assert!(report.iter().all(|c| c.status != CheckStatus::Error));
/// ```
pub fn doctor(input: &DoctorInput) -> Vec<Check> {
    let mut report = vec![key_file_permissions(&input.key_path)];
    let signer = match Signer::from_file(&input.key_path, input.key_id.as_deref()) {
        Ok(signer) => {
            report.push(ok("key_id", format!("kid {}", signer.key_id())));
            Some(signer)
        }
        Err(error) => {
            report.push(key_failure(&error, &input.key_path));
            None
        }
    };
    let token =
        signer.as_ref().and_then(
            |signer| match signer.sign_token(input.service, &input.claims) {
                Ok(token) => {
                    report.push(ok(
                        "identifiers",
                        format!("the claims fit {}", input.service),
                    ));
                    Some(token)
                }
                Err(error) => {
                    report.push(identifier_failure(&error, input.service));
                    None
                }
            },
        );
    report.push(clock(input));
    report.push(match (&token, &signer) {
        (Some(token), Some(signer)) => inspected(token, input.service, signer),
        _ => skipped("token", "no token could be signed (see the errors above)"),
    });
    report.push(match &token {
        Some(token) => probed(token, input),
        None => skipped("probe", "no token to send"),
    });
    report
}

fn ok(name: &'static str, message: impl Into<String>) -> Check {
    Check {
        name,
        status: CheckStatus::Ok,
        message: message.into(),
        fix: None,
    }
}

fn skipped(name: &'static str, message: impl Into<String>) -> Check {
    Check {
        name,
        status: CheckStatus::Skipped,
        message: message.into(),
        fix: None,
    }
}

fn problem(
    name: &'static str,
    status: CheckStatus,
    message: impl Into<String>,
    fix: &str,
) -> Check {
    Check {
        name,
        status,
        message: message.into(),
        fix: Some(fix.to_string()),
    }
}

/// A key file others can read is an error (anyone on the machine can sign as you); one the
/// group can read, a warning.
fn key_file_permissions(path: &Path) -> Check {
    use std::os::unix::fs::PermissionsExt;
    let shown = crate::base::text::shorten(&path.display().to_string(), 200);
    match std::fs::metadata(path) {
        Err(error) => problem(
            "key_file",
            CheckStatus::Error,
            format!("cannot read {shown}: {error}"),
            "give the path of the .p8 file downloaded from Apple",
        ),
        Ok(metadata) => {
            let mode = metadata.permissions().mode() & 0o777;
            let fix = format!("chmod 600 {shown}");
            if mode & 0o004 != 0 {
                problem(
                    "key_file",
                    CheckStatus::Error,
                    format!("{shown} is readable by every user (mode {mode:03o})"),
                    &fix,
                )
            } else if mode & 0o040 != 0 {
                problem(
                    "key_file",
                    CheckStatus::Warning,
                    format!("{shown} is readable by its group (mode {mode:03o})"),
                    &fix,
                )
            } else {
                ok("key_file", format!("{shown} is private (mode {mode:03o})"))
            }
        }
    }
}

fn key_failure(error: &Error, path: &Path) -> Check {
    match error {
        Error::InvalidClaim { field: "kid", .. } => problem(
            "key_id",
            CheckStatus::Error,
            error.to_string(),
            "use the key id Apple shows beside the key (the KEYID of AuthKey_KEYID.p8)",
        ),
        _ => problem(
            "key_id",
            CheckStatus::Error,
            format!("{} cannot be used: {error}", path.display()),
            "use the .p8 file as downloaded from Apple (a PKCS#8 P-256 private key)",
        ),
    }
}

fn identifier_failure(error: &Error, service: Service) -> Check {
    let names = service.rules().issuer_names;
    let fix = match error.field() {
        Some("iss") => format!(
            "{service} wants the {names} as issuer: find it in your Apple developer account"
        ),
        Some("kid") => {
            format!("{service} wants this key's own id as kid (a UUID for some services)")
        }
        Some(field) => format!("set {field} as {service} requires (see `devtoken services`)"),
        None => "see `devtoken services` for what the service requires".to_string(),
    };
    problem("identifiers", CheckStatus::Error, error.to_string(), &fix)
}

fn clock(input: &DoctorInput) -> Check {
    let Some(network) = &input.network else {
        return skipped("clock", "offline: the clock was not compared with Apple's");
    };
    match measure_clock_offset(network.clone()) {
        Ok(offset) => {
            let ahead = offset.local_ahead_secs();
            let skew = crate::contract::options::DEFAULT_CLOCK_SKEW_SECS as i64;
            let message = format!(
                "Apple's clock minus this one: {} ms (± {} ms)",
                offset.offset_millis, offset.uncertainty_millis
            );
            if ahead > skew {
                problem(
                    "clock",
                    CheckStatus::Error,
                    format!("{message}: this clock is at least {ahead} s fast, more than the {skew} s back-dating"),
                    "synchronise the clock (NTP, e.g. systemd-timesyncd or chrony)",
                )
            } else if ahead > 0 {
                problem(
                    "clock",
                    CheckStatus::Warning,
                    format!("{message}: this clock is {ahead} s fast, within the back-dating"),
                    "synchronise the clock (NTP)",
                )
            } else {
                ok("clock", message)
            }
        }
        Err(error) => problem(
            "clock",
            CheckStatus::Warning,
            format!("could not measure: {error}"),
            "check the network path to Apple",
        ),
    }
}

fn inspected(token: &str, service: Service, signer: &Signer) -> Check {
    let findings = inspect_token(token, Some(service), Some(&signer.public_key()));
    let worst = |level| findings.iter().find(|f| f.level == level);
    match (worst(Level::Error), worst(Level::Warning)) {
        (Some(error), _) => problem(
            "token",
            CheckStatus::Error,
            error.to_string(),
            "see `devtoken inspect` for every finding",
        ),
        (None, Some(warning)) => problem(
            "token",
            CheckStatus::Warning,
            warning.to_string(),
            "see `devtoken inspect` for every finding",
        ),
        (None, None) => ok("token", "a token signed here passes every local check"),
    }
}

fn probed(token: &str, input: &DoctorInput) -> Check {
    let Some(network) = &input.network else {
        return skipped("probe", "offline: Apple's verdict was not asked for");
    };
    if input.service.rules().test_endpoint.is_none() {
        return skipped(
            "probe",
            format!("Apple documents no test endpoint for {}", input.service),
        );
    }
    match probe(input.service, token, network.clone()) {
        Ok(verdict) if verdict.accepted => {
            ok("probe", format!("{} accepted the token", verdict.url))
        }
        Ok(verdict) => problem(
            "probe",
            CheckStatus::Error,
            format!(
                "{} refused the token (HTTP {}): {}",
                verdict.url, verdict.status, verdict.message
            ),
            "check that the key is active, belongs to this team and is enabled for the service",
        ),
        Err(error) => problem(
            "probe",
            CheckStatus::Warning,
            format!("could not ask Apple: {error}"),
            "check the network path to Apple",
        ),
    }
}
