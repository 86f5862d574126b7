//! The `devtoken` command end to end: output, exit codes, key sources.

#[path = "../../tests/common/apple_server.rs"]
mod apple_server;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn devtoken(args: &[&str]) -> Output {
    run(args, None, &[])
}

fn run(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_devtoken"));
    // Each run gets its own empty cache directory unless the test gives one: never the user's.
    let own_cache = tempfile::tempdir().unwrap();
    command
        .args(args)
        .env_remove("DEVTOKEN_KEY")
        .env_remove("DEVTOKEN_KEY_ID")
        .env("XDG_CACHE_HOME", own_cache.path());
    for (name, value) in env {
        command.env(name, value);
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("run devtoken");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn keygen(dir: &std::path::Path, name: &str) -> String {
    let path = dir.join(name);
    let output = devtoken(&["keygen", "--out", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    path.to_str().unwrap().to_string()
}

#[test]
fn demo_sign_prints_only_the_token() {
    let output = devtoken(&[
        "sign",
        "--demo",
        "--service",
        "apple-music",
        "--issuer",
        "DEF123GHIJ",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let token = stdout(&output);
    assert_eq!(token.trim().split('.').count(), 3);
    assert_eq!(token.lines().count(), 1);
    assert!(stderr(&output).contains("DEMO key"));
    let findings = devtoken(&["inspect", "--service", "apple-music", token.trim()]);
    assert!(findings.status.success(), "{}", stdout(&findings));
}

#[test]
fn keygen_sign_verify_round_trip_with_key_id_from_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "AuthKey_ABC123DEFG.p8");
    let output = devtoken(&[
        "sign",
        "--service",
        "app-store-server",
        "--key",
        &key,
        "--issuer",
        "57246542-96fe-1a63-e053-0824d011072a",
        "--bundle-id",
        "com.example.app",
        "--ttl",
        "600",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let token = stdout(&output).trim().to_string();

    let verified = devtoken(&["verify", "--key", &key, &token]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    let json: serde_json::Value = serde_json::from_str(&stdout(&verified)).unwrap();
    assert_eq!(json["header"]["kid"], "ABC123DEFG");
    assert_eq!(json["claims"]["bid"], "com.example.app");
    assert_eq!(
        json["claims"]["exp"].as_i64().unwrap() - json["claims"]["iat"].as_i64().unwrap(),
        600
    );

    let other = keygen(dir.path(), "other.p8");
    let rejected = devtoken(&["verify", "--key", &other, &token]);
    assert_eq!(rejected.status.code(), Some(1));
    assert!(
        stderr(&rejected).contains("signature"),
        "{}",
        stderr(&rejected)
    );

    let inspected = devtoken(&[
        "inspect",
        "--service",
        "app-store-server",
        "--key",
        &other,
        "--json",
        &token,
    ]);
    assert_eq!(inspected.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&inspected)).unwrap();
    let iat = report["expires_at"].as_i64().unwrap() - 600;
    assert!((devtoken::unix_now() - iat - 60).abs() < 30, "{report}");
    assert!(report["expires_in_secs"].as_i64().unwrap() <= 600);
    let findings = &report["findings"];
    assert!(findings
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "signature_mismatch"));
}

#[test]
fn bad_claims_exit_2_naming_the_rule() {
    let output = devtoken(&[
        "sign",
        "--demo",
        "--service",
        "app-store-server",
        "--issuer",
        "57246542-96fe-1a63-e053-0824d011072a",
        "--bundle-id",
        "com.example.app",
        "--ttl",
        "7200",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output)
            .contains("exp is 7200 s after iat; App Store Server API allows at most 3600 s"),
        "{}",
        stderr(&output)
    );
    let unknown = devtoken(&[
        "sign",
        "--demo",
        "--service",
        "music",
        "--issuer",
        "DEF123GHIJ",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("apple-music"),
        "{}",
        stderr(&unknown)
    );
    let no_key = devtoken(&["sign", "--service", "apns", "--issuer", "DEF123GHIJ"]);
    assert_eq!(no_key.status.code(), Some(2));
    assert!(stderr(&no_key).contains("--demo"), "{}", stderr(&no_key));
}

#[test]
fn key_from_stdin_and_from_the_environment() {
    let pem = devtoken::demo::DEMO_KEY_PEM;
    let from_stdin = run(
        &[
            "sign",
            "--service",
            "apns",
            "--key",
            "-",
            "--key-id",
            "ABC123DEFG",
            "--issuer",
            "DEF123GHIJ",
        ],
        Some(pem),
        &[],
    );
    assert!(from_stdin.status.success(), "{}", stderr(&from_stdin));
    let escaped = pem.replace('\n', "\\n");
    let from_env = run(
        &["sign", "--service", "apns", "--issuer", "DEF123GHIJ"],
        None,
        &[
            ("DEVTOKEN_KEY", &escaped),
            ("DEVTOKEN_KEY_ID", "ABC123DEFG"),
        ],
    );
    assert!(from_env.status.success(), "{}", stderr(&from_env));
    let token = stdout(&from_env).trim().to_string();
    let decoded = devtoken::decode_token(&token).unwrap();
    assert_eq!(decoded.header["kid"], "ABC123DEFG");
    assert!(decoded.claims.get("exp").is_none());
    let verify_stdin = run(&["verify", "--key", "-", &token], Some(pem), &[]);
    assert!(verify_stdin.status.success(), "{}", stderr(&verify_stdin));
}

#[test]
fn apple_music_over_180_days_signs_with_a_warning_and_inspect_warns() {
    let sign = |ttl: &str| {
        devtoken(&[
            "sign",
            "--demo",
            "--service",
            "apple-music",
            "--issuer",
            "DEF123GHIJ",
            "--ttl",
            ttl,
        ])
    };
    // 182 days: within Apple's page (15777000 s) but over what Apple accepts in the field.
    let long = sign("15724800");
    assert!(long.status.success(), "{}", stderr(&long));
    assert!(
        stderr(&long).contains("devtoken: warning: exp is 15724800 s after iat"),
        "{}",
        stderr(&long)
    );
    let token = stdout(&long);
    let findings = devtoken(&["inspect", "--service", "apple-music", token.trim()]);
    assert_eq!(findings.status.code(), Some(0), "{}", stdout(&findings));
    assert!(
        stdout(&findings).contains("warning[lifetime_over_field_limit]"),
        "{}",
        stdout(&findings)
    );
    // 180 days: no warning.
    let fine = sign("15552000");
    assert!(fine.status.success(), "{}", stderr(&fine));
    assert!(!stderr(&fine).contains("warning"), "{}", stderr(&fine));
    // Over the page's limit: still refused (exit 2).
    assert_eq!(sign("15777001").status.code(), Some(2));
}

#[test]
fn inspect_reports_errors_with_exit_1() {
    let output = devtoken(&[
        "inspect",
        "--service",
        "apple-music",
        "eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("error[alg]"), "{text}");
    assert!(text.contains("Apple would reject this token"), "{text}");
}

#[test]
fn services_lists_every_service() {
    let output = devtoken(&["services", "--json"]);
    assert!(output.status.success());
    let list: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for service in devtoken::Service::ALL {
        assert!(names.contains(&service.cli_name()), "{service}");
    }
}

#[test]
fn maps_token_against_a_local_server() {
    let demo_key = devtoken::demo::demo_signer().unwrap().public_key();
    let server = apple_server::AppleServer::start(demo_key);
    let output = devtoken(&[
        "maps-token",
        "--demo",
        "--issuer",
        "DEF123GHIJ",
        "--base-url",
        &server.base_url,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["accessToken"], "access-1");
    assert_eq!(json["expiresInSeconds"], 1800);

    let other =
        apple_server::AppleServer::start(devtoken::PrivateKey::generate().unwrap().public_key());
    let refused = devtoken(&[
        "maps-token",
        "--demo",
        "--issuer",
        "DEF123GHIJ",
        "--base-url",
        &other.base_url,
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("refused the token (HTTP 401)"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn access_token_for_each_oauth_service_against_a_local_server() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "oauth.p8");
    let public = devtoken::PrivateKey::from_file(&key).unwrap().public_key();
    let server = apple_server::AppleServer::start(public);
    let uuid = "27478e71-3bb0-4588-998c-182e2b405577";
    let kid = "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b";
    for (service, client_id, team) in [
        ("school-manager", format!("SCHOOLAPI.{uuid}"), None),
        ("business-manager", format!("BUSINESSAPI.{uuid}"), None),
        (
            "apple-ads",
            format!("SEARCHADS.{uuid}"),
            Some(format!("SEARCHADS.{uuid}")),
        ),
    ] {
        let mut args = vec![
            "access-token",
            "--service",
            service,
            "--key",
            &key,
            "--key-id",
            kid,
            "--client-id",
            &client_id,
            "--base-url",
            &server.base_url,
        ];
        if let Some(team) = &team {
            args.extend(["--team-id", team]);
        }
        let output = devtoken(&args);
        assert!(output.status.success(), "{service}: {}", stderr(&output));
        let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(json["token_type"], "Bearer");
        assert_eq!(json["expires_in"], 3600);
        assert!(json["access_token"].as_str().unwrap().starts_with("oauth-"));
    }
    assert_eq!(server.forms().len(), 3);

    // The assertion alone, from `sign`; `inspect` says when it expires.
    let assertion = devtoken(&[
        "sign",
        "--service",
        "apple-ads",
        "--key",
        &key,
        "--key-id",
        kid,
        "--issuer",
        &format!("SEARCHADS.{uuid}"),
        "--subject",
        &format!("SEARCHADS.{uuid}"),
    ]);
    assert!(assertion.status.success(), "{}", stderr(&assertion));
    let token = stdout(&assertion).trim().to_string();
    let inspected = devtoken(&["inspect", "--service", "apple-ads", &token]);
    assert!(inspected.status.success(), "{}", stdout(&inspected));
    assert!(
        stdout(&inspected).contains("(in 178 days)"),
        "{}",
        stdout(&inspected)
    );

    // A bare UUID as the client id: exit 2, naming the field, before any request.
    let bad = devtoken(&[
        "access-token",
        "--service",
        "apple-ads",
        "--key",
        &key,
        "--key-id",
        kid,
        "--client-id",
        uuid,
        "--team-id",
        &format!("SEARCHADS.{uuid}"),
        "--base-url",
        &server.base_url,
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("sub"), "{}", stderr(&bad));
    assert_eq!(server.forms().len(), 3);

    // Apple says invalid_client: exit 1 with Apple's words.
    let other =
        apple_server::AppleServer::start(devtoken::PrivateKey::generate().unwrap().public_key());
    let refused = devtoken(&[
        "access-token",
        "--service",
        "school-manager",
        "--key",
        &key,
        "--key-id",
        kid,
        "--client-id",
        &format!("SCHOOLAPI.{uuid}"),
        "--base-url",
        &other.base_url,
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("invalid_client"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn probe_exits_0_only_when_accepted() {
    let demo_key = devtoken::demo::demo_signer().unwrap().public_key();
    let server = apple_server::AppleServer::start(demo_key);
    let accepted = devtoken(&[
        "probe",
        "--demo",
        "--service",
        "apple-music",
        "--issuer",
        "DEF123GHIJ",
        "--base-url",
        &server.base_url,
    ]);
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    assert!(
        stdout(&accepted).starts_with("accepted:"),
        "{}",
        stdout(&accepted)
    );
    let other =
        apple_server::AppleServer::start(devtoken::PrivateKey::generate().unwrap().public_key());
    let rejected = devtoken(&[
        "probe",
        "--demo",
        "--service",
        "apps-and-books",
        "--issuer",
        "DEF123GHIJ",
        "--base-url",
        &other.base_url,
    ]);
    assert_eq!(rejected.status.code(), Some(1));
    assert!(
        stdout(&rejected).starts_with("rejected:"),
        "{}",
        stdout(&rejected)
    );
    let no_endpoint = devtoken(&[
        "probe",
        "--demo",
        "--service",
        "apns",
        "--issuer",
        "DEF123GHIJ",
    ]);
    assert_eq!(no_endpoint.status.code(), Some(2));
}

#[test]
fn stdin_beyond_64_kib_is_refused() {
    let huge = "A".repeat(64 * 1024 + 1);
    for args in [
        &[
            "sign",
            "--service",
            "apns",
            "--key",
            "-",
            "--key-id",
            "ABC123DEFG",
            "--issuer",
            "DEF123GHIJ",
        ][..],
        &["inspect", "-"][..],
    ] {
        let output = run(args, Some(&huge), &[]);
        assert!(!output.status.success());
        assert!(
            stderr(&output).contains("stdin holds more than 65536 bytes"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

/// `devtoken sign` for APNs in a shell script: every run within a 40-minute period prints the
/// same token (one `iat` on the shared grid, RFC 6979), so `curl` loops stop tripping Apple's 429;
/// `--no-align` signs at now. Three runs cannot straddle two grid points 40 minutes apart, so two
/// neighbours agree whatever the timing.
#[test]
fn apns_sign_runs_within_a_period_print_the_same_token() {
    let sign = |extra: &[&str]| {
        let mut args = vec![
            "sign",
            "--demo",
            "--service",
            "apns",
            "--issuer",
            "DEF123GHIJ",
        ];
        args.extend_from_slice(extra);
        let output = devtoken(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output).trim().to_string()
    };
    let iat = |token: &str| {
        devtoken::decode_token(token).unwrap().claims["iat"]
            .as_i64()
            .unwrap()
    };
    let runs = [sign(&[]), sign(&[]), sign(&[])];
    assert!(
        runs[0] == runs[1] || runs[1] == runs[2],
        "no two neighbouring runs agree"
    );
    for token in &runs {
        assert_eq!(
            (iat(token) + 60).rem_euclid(2400),
            0,
            "iat on the 40-minute grid, back-dated 60 s"
        );
    }
    let now = devtoken::unix_now();
    let unaligned = iat(&sign(&["--no-align"]));
    assert!(
        (now - 60..=now - 60 + 600).contains(&unaligned),
        "iat {unaligned}, now {now}"
    );
    // Asking for alignment where tokens must be unique names the reason.
    let refused = devtoken(&[
        "sign",
        "--demo",
        "--service",
        "app-store-server",
        "--issuer",
        "57246542-96fe-1a63-e053-0824d011072a",
        "--bundle-id",
        "com.example.app",
        "--align",
    ]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("new token for each request"),
        "{}",
        stderr(&refused)
    );
}

/// `maps-token` and `access-token` keep the exchanged token on disk between runs: one exchange
/// for many runs, files `0600` in a `0700` directory, refused (and replaced) when they cannot be
/// parsed or others may read them; `--no-cache` exchanges and leaves the cache alone.
#[test]
fn exchanged_tokens_are_cached_across_runs() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let demo_key = devtoken::demo::demo_signer().unwrap().public_key();
    let server = apple_server::AppleServer::start(demo_key);
    let cache = tempfile::tempdir().unwrap();
    let cache_home = cache.path().to_str().unwrap();
    let maps = |extra: &[&str]| {
        let mut args = vec![
            "maps-token",
            "--demo",
            "--issuer",
            "DEF123GHIJ",
            "--base-url",
            &server.base_url,
        ];
        args.extend_from_slice(extra);
        let output = run(&args, None, &[("XDG_CACHE_HOME", cache_home)]);
        assert!(output.status.success(), "{}", stderr(&output));
        let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        (
            json["accessToken"].as_str().unwrap().to_string(),
            stderr(&output),
        )
    };
    let (first, _) = maps(&[]);
    assert_eq!(maps(&[]).0, first);
    assert_eq!(maps(&[]).0, first);
    assert_eq!(server.requests(), 1, "one exchange for three runs");
    let dir = cache.path().join("devtoken");
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    assert_eq!(mode(file), 0o600);
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(
        !name.contains("DEF123GHIJ") && !name.contains(devtoken::demo::DEMO_KEY_ID),
        "{name}"
    );

    let (fresh, _) = maps(&["--no-cache"]);
    assert_eq!(server.requests(), 2);
    assert_eq!(maps(&[]).0, first, "--no-cache leaves the cache as it was");
    assert_ne!(fresh, first);

    // Readable by others: refused, a new exchange, and the file replaced by a private one.
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (after_refusal, message) = maps(&[]);
    assert!(
        message.contains("ignoring the cache file") && message.contains("644"),
        "{message}"
    );
    assert_eq!(server.requests(), 3);
    assert_eq!(mode(file), 0o600);
    assert_eq!(maps(&[]).0, after_refusal);
    // Not parseable: refused the same way.
    std::fs::write(file, "{not json").unwrap();
    let (_, message) = maps(&[]);
    assert!(message.contains("not a devtoken cache file"), "{message}");
    assert_eq!(server.requests(), 4);
    // Another user's file (this test can hand one over only when it runs as root, as CI does).
    if std::fs::metadata(&dir).unwrap().uid() == 0 {
        std::os::unix::fs::chown(file, Some(65534), None).unwrap();
        let (_, message) = maps(&[]);
        assert!(message.contains("belongs to uid 65534"), "{message}");
        assert_eq!(server.requests(), 5);
    }
}

/// `inspect --fail-within`: an alarm for long-lived tokens, exit 1 inside the window.
#[test]
fn inspect_fail_within_exits_1_inside_the_window() {
    let now = devtoken::unix_now();
    let token_expiring_in = |days: i64| {
        let output = devtoken(&[
            "sign",
            "--demo",
            "--service",
            "apple-music",
            "--issuer",
            "DEF123GHIJ",
            "--ttl",
            &(days * 86_400).to_string(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output).trim().to_string()
    };
    let (ten, sixty) = (token_expiring_in(10), token_expiring_in(60));
    let inspect = |token: &str, extra: &[&str]| {
        let mut args = vec!["inspect", "--service", "apple-music"];
        args.extend_from_slice(extra);
        args.push(token);
        devtoken(&args)
    };
    let soon = inspect(&ten, &["--fail-within", "30d"]);
    assert_eq!(soon.status.code(), Some(1), "{}", stdout(&soon));
    assert!(
        stdout(&soon).contains("within the --fail-within window"),
        "{}",
        stdout(&soon)
    );
    assert_eq!(
        inspect(&sixty, &["--fail-within", "30d"]).status.code(),
        Some(0)
    );
    assert_eq!(
        inspect(&ten, &[]).status.code(),
        Some(0),
        "no window, no alarm"
    );
    let json = inspect(&ten, &["--fail-within", "720h", "--json"]);
    assert_eq!(json.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(report["expires_within_window"], true);
    assert!(report["expires_at"].as_i64().unwrap() >= now + 10 * 86_400 - 120);
    let bad = inspect(&ten, &["--fail-within", "30 days"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

/// `devtoken clock` against the stand-in serving a `Date` 90 s behind: the offset is reported
/// within the round-trip bound, with the warning a fast clock deserves.
#[test]
fn clock_reports_the_offset_within_its_bound() {
    let server =
        apple_server::AppleServer::start(devtoken::demo::demo_signer().unwrap().public_key());
    server.set_clock_behind(90);
    let output = devtoken(&["clock", "--base-url", &server.base_url, "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let ahead = report["local_ahead_millis"].as_i64().unwrap();
    let bound = report["uncertainty_millis"].as_i64().unwrap();
    assert!((ahead - 90_000).abs() <= bound, "{ahead} ± {bound}");
    let text = devtoken(&["clock", "--base-url", &server.base_url]);
    assert!(
        stdout(&text).contains("ahead of Apple's") && stdout(&text).contains("warning"),
        "{}",
        stdout(&text)
    );
    let unreachable = devtoken(&["clock", "--base-url", "http://127.0.0.1:9"]);
    assert_eq!(
        unreachable.status.code(),
        Some(1),
        "{}",
        stderr(&unreachable)
    );
}

/// `devtoken doctor` on a world-readable key, a key id that contradicts the file name and a UUID
/// passed as a Team ID: three errors, each with a fix; offline, the network checks say skipped.
#[test]
fn doctor_finds_the_setup_errors_with_fixes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "AuthKey_ABC123DEFG.p8");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let doctor = |args: &[&str]| {
        let mut all = vec![
            "doctor",
            "--service",
            "apple-music",
            "--key",
            &key,
            "--offline",
            "--json",
        ];
        all.extend_from_slice(args);
        let output = devtoken(&all);
        let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
        (
            output.status.code(),
            report["checks"].as_array().unwrap().clone(),
        )
    };
    let status = |checks: &[serde_json::Value], name: &str| {
        checks
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    // World-readable key and a key id mismatch.
    let (code, checks) = doctor(&["--key-id", "XYZ987WVUT", "--issuer", "DEF123GHIJ"]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&checks, "key_file"), "error");
    assert_eq!(status(&checks, "key_id"), "error");
    // A UUID given as a Team ID.
    let (code, checks) = doctor(&["--issuer", "57246542-96fe-1a63-e053-0824d011072a"]);
    assert_eq!(code, Some(1));
    assert_eq!(status(&checks, "identifiers"), "error");
    let errors: Vec<_> = checks.iter().filter(|c| c["status"] == "error").collect();
    assert!(
        errors
            .iter()
            .all(|c| c["fix"].as_str().is_some_and(|f| !f.is_empty())),
        "{errors:?}"
    );
    assert_eq!(
        (status(&checks, "clock"), status(&checks, "probe")),
        ("skipped".into(), "skipped".into())
    );
    // Put right, it passes; the text form lists what it skipped.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, checks) = doctor(&["--issuer", "DEF123GHIJ"]);
    assert_eq!(code, Some(0), "{checks:?}");
    let text = devtoken(&[
        "doctor",
        "--service",
        "apple-music",
        "--key",
        &key,
        "--issuer",
        "DEF123GHIJ",
        "--offline",
    ]);
    assert!(
        stdout(&text).contains("skipped: clock, probe"),
        "{}",
        stdout(&text)
    );
}

/// Online, against the stand-in: the clock check and Apple's verdict from the test endpoint.
#[test]
fn doctor_online_checks_the_clock_and_asks_the_test_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let key = keygen(dir.path(), "AuthKey_ABC123DEFG.p8");
    let public = devtoken::PrivateKey::from_file(&key).unwrap().public_key();
    let server = apple_server::AppleServer::start(public);
    server.set_clock_behind(90);
    let output = devtoken(&[
        "doctor",
        "--service",
        "apple-music",
        "--key",
        &key,
        "--issuer",
        "DEF123GHIJ",
        "--base-url",
        &server.base_url,
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let checks = report["checks"].as_array().unwrap();
    let find = |name: &str| checks.iter().find(|c| c["name"] == name).unwrap().clone();
    assert_eq!(find("clock")["status"], "error", "{checks:?}");
    assert!(find("clock")["fix"].as_str().unwrap().contains("NTP"));
    // The stand-in refuses the token whose iat is in its (slow) future: Apple's own verdict.
    assert_eq!(find("probe")["status"], "error", "{checks:?}");
    assert_eq!(output.status.code(), Some(1));
    server.set_clock_behind(0);
    let fine = devtoken(&[
        "doctor",
        "--service",
        "apple-music",
        "--key",
        &key,
        "--issuer",
        "DEF123GHIJ",
        "--base-url",
        &server.base_url,
    ]);
    assert_eq!(fine.status.code(), Some(0), "{}", stdout(&fine));
}
/// `--key pkcs11:...`: a key that exists only inside SoftHSM2 (tests/pkcs11/setup.sh), its token
/// checked by `devtoken verify` against Apple's test key file. Skipped with a note without the
/// fixture, failing under CI=true.
#[test]
fn sign_with_a_key_inside_softhsm_and_verify() {
    let (Ok(module), Ok(pin_file)) = (
        std::env::var("DEVTOKEN_PKCS11_MODULE"),
        std::env::var("DEVTOKEN_PKCS11_PIN_FILE"),
    ) else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "no SoftHSM2 fixture under CI=true: run `eval \"$(bash tests/pkcs11/setup.sh)\"` first"
        );
        eprintln!(
            "SKIPPED: no SoftHSM2 fixture (Debian package softhsm2, then tests/pkcs11/setup.sh)"
        );
        return;
    };
    let apple_key = std::env::var("DEVTOKEN_APPLE_TEST_KEY").unwrap_or_else(|_| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/apple-testSigningKey.p8"
        )
        .to_string()
    });
    let uri = format!(
        "pkcs11:token=devtoken;object=AuthKey_ABC123DEFG?module-path={module}&pin-source=file:{pin_file}"
    );
    let output = devtoken(&[
        "sign",
        "--service",
        "apns",
        "--key",
        &uri,
        "--issuer",
        "DEF123GHIJ",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let token = stdout(&output).trim().to_string();
    let verified = devtoken(&["verify", "--key", &apple_key, &token]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    let json: serde_json::Value = serde_json::from_str(&stdout(&verified)).unwrap();
    assert_eq!(json["header"]["kid"], "ABC123DEFG");

    // The PIN from an environment variable works as from a file.
    let pin = std::fs::read_to_string(&pin_file).unwrap();
    let by_env = format!(
        "pkcs11:token=devtoken;object=AuthKey_ABC123DEFG?module-path={module}&pin-source=env:DEVTOKEN_TEST_HSM_PIN"
    );
    let args = [
        "sign",
        "--service",
        "apns",
        "--key",
        &by_env,
        "--issuer",
        "DEF123GHIJ",
    ];
    let signed = run(&args, None, &[("DEVTOKEN_TEST_HSM_PIN", pin.trim())]);
    assert!(signed.status.success(), "{}", stderr(&signed));
    let verified = devtoken(&["verify", "--key", &apple_key, stdout(&signed).trim()]);
    assert!(verified.status.success(), "{}", stderr(&verified));

    // A PIN in the URI is refused before anything is loaded, and never echoed.
    let with_pin = format!("{uri}&pin-value=123456");
    let refused = devtoken(&[
        "sign",
        "--service",
        "apns",
        "--key",
        &with_pin,
        "--issuer",
        "DEF123GHIJ",
    ]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("pin-value"),
        "{}",
        stderr(&refused)
    );
    assert!(!stderr(&refused).contains("123456"), "{}", stderr(&refused));
    // A missing key is named as such.
    let missing = uri.replace("AuthKey_ABC123DEFG", "AuthKey_NOSUCHKEY0");
    let failed = devtoken(&[
        "sign",
        "--service",
        "apns",
        "--key",
        &missing,
        "--issuer",
        "DEF123GHIJ",
    ]);
    assert!(!failed.status.success());
    assert!(
        stderr(&failed).contains("no private key"),
        "{}",
        stderr(&failed)
    );
}
