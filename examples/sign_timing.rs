//! The Rust core's own signing time, measured for the Swift benchmark
//! (`swift/Sources/DevTokenBenchmark`), which runs this beside its own measurements and compares.
//!
//! `Signer::sign_token_at` of one App Store Server API token (fixed key, claims and time) is
//! timed in batches after a warm-up; the result is the median of the batches' ns per token.
//!
//! ```text
//! bash tests/sources.sh cargo run --release --example sign_timing -- \
//!     [--key tests/vectors/keys/p256.pem] [--kid ABC123DEFG] \
//!     [--issuer 57246542-96fe-1a63-e053-0824d011072a] [--bundle-id com.example.app] \
//!     [--now 1700000000] [--batches 20] [--ops 250] [--serve]
//! ```
//!
//! Prints `name value` lines, machine-readable: `token <the token>` first (deterministic,
//! RFC 6979: a caller signing the same key, claims and time checks that it measures the same
//! work), then `median_ns_per_op 21345.6`, `batches 20` and `ops_per_batch 250`.
//!
//! With `--serve` it prints the `token` line, then times one batch per line read from stdin (the
//! line is the batch's number of tokens) and answers `ns_per_op <x>`, until stdin ends: the
//! Swift benchmark alternates its batches with these, so both sides see the same machine load.

use std::hint::black_box;
use std::io::BufRead;
use std::process::ExitCode;
use std::time::Instant;

use devtoken::{Claims, Service, Signer};

struct Options {
    key: String,
    kid: String,
    issuer: String,
    bundle_id: String,
    now: i64,
    batches: usize,
    ops: usize,
    serve: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        key: concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keys/p256.pem").to_string(),
        kid: "ABC123DEFG".to_string(),
        issuer: "57246542-96fe-1a63-e053-0824d011072a".to_string(),
        bundle_id: "com.example.app".to_string(),
        now: 1_700_000_000,
        batches: 20,
        ops: 250,
        serve: false,
    };
    let mut arguments = std::env::args().skip(1);
    while let Some(name) = arguments.next() {
        if name == "--serve" {
            options.serve = true;
            continue;
        }
        let value = arguments
            .next()
            .ok_or_else(|| format!("{name} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{name} takes a positive whole number, not {value:?}"))
        };
        match name.as_str() {
            "--key" => options.key = value.clone(),
            "--kid" => options.kid = value.clone(),
            "--issuer" => options.issuer = value.clone(),
            "--bundle-id" => options.bundle_id = value.clone(),
            "--now" => {
                options.now = value
                    .parse()
                    .map_err(|_| format!("--now takes UNIX seconds, not {value:?}"))?
            }
            "--batches" => options.batches = number()?,
            "--ops" => options.ops = number()?,
            _ => return Err(format!("unknown option {name}")),
        }
    }
    Ok(options)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 0 {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("sign_timing: {message}");
            return ExitCode::from(2);
        }
    };
    let signer = match Signer::from_file(&options.key, Some(&options.kid)) {
        Ok(signer) => signer,
        Err(error) => {
            eprintln!("sign_timing: {error}");
            return ExitCode::from(2);
        }
    };
    let claims = Claims::new(options.issuer.as_str()).bundle_id(options.bundle_id.as_str());
    let sign = || {
        signer
            .sign_token_at(
                black_box(Service::AppStoreServer),
                black_box(&claims),
                options.now,
            )
            .expect("the claims are valid for the App Store Server API")
    };

    let time_batch = |ops: usize| {
        let start = Instant::now();
        for _ in 0..ops {
            black_box(sign());
        }
        start.elapsed().as_nanos() as f64 / ops as f64
    };

    println!("token {}", sign());
    if options.serve {
        for line in std::io::stdin().lock().lines() {
            let Some(ops) = line
                .ok()
                .and_then(|line| line.trim().parse::<usize>().ok())
                .filter(|&ops| ops > 0)
            else {
                eprintln!("sign_timing: each line of input is a positive number of tokens to time");
                return ExitCode::from(2);
            };
            println!("ns_per_op {:.1}", time_batch(ops));
        }
        return ExitCode::SUCCESS;
    }
    time_batch(options.ops);
    let per_batch = (0..options.batches)
        .map(|_| time_batch(options.ops))
        .collect();
    println!("median_ns_per_op {:.1}", median(per_batch));
    println!("batches {}", options.batches);
    println!("ops_per_batch {}", options.ops);
    ExitCode::SUCCESS
}
