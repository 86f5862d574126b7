//! Replays the committed `lean_request` fuzz corpus and its crash reproducers
//! (`fuzz/corpus/lean_request/*`, `fuzz/artifacts/lean_request/*`) through the target's entry
//! point without libFuzzer, so the normal test command catches a regression.

use std::fs;
use std::path::Path;

/// Replays `fuzz/DIR/lean_request/*`; returns (files, files that made a token).
fn replay(dir: &str) -> (usize, usize) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(dir)
        .join("lean_request");
    let Ok(entries) = fs::read_dir(&root) else {
        return (0, 0);
    };
    let mut paths: Vec<_> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut signed = 0;
    for path in &paths {
        let data = fs::read(path).expect("a corpus file");
        let outcome = std::panic::catch_unwind(|| devtoken_uniffi::fuzzing::lean_request(&data));
        assert!(outcome.is_ok(), "lean_request: {} panics", path.display());
        signed += usize::from(outcome.unwrap_or(false));
    }
    (paths.len(), signed)
}

#[test]
fn the_committed_lean_request_corpus_replays_without_a_panic() {
    let (files, signed) = replay("corpus");
    assert!(files > 0, "no corpus under fuzz/corpus/lean_request");
    // The corpus reaches the signer, not only the refusals.
    assert!(signed > 0, "no corpus entry makes a token");
}

#[test]
fn every_lean_request_crash_reproducer_replays_without_a_panic() {
    replay("artifacts");
}
