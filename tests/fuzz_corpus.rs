//! Replays the committed fuzz corpus and every crash reproducer (`fuzz/corpus/TARGET/*`,
//! `fuzz/artifacts/TARGET/*`) through the same entry points the libFuzzer targets call, without
//! libFuzzer, so that the normal test command catches a regression.

use std::fs;
use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 4] = [
    ("keys", devtoken::fuzzing::keys),
    ("tokens", devtoken::fuzzing::tokens),
    ("claims", devtoken::fuzzing::claims),
    ("http_answers", devtoken::fuzzing::http_answers),
];

fn replay(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let mut count = 0;
    for (name, target) in TARGETS {
        let Ok(entries) = fs::read_dir(root.join(name)) else {
            continue;
        };
        let mut paths: Vec<_> = entries
            .map(|e| e.expect("a directory entry").path())
            .collect();
        paths.sort();
        for path in paths.into_iter().filter(|p| p.is_file()) {
            let data = fs::read(&path).expect("a corpus file");
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} panics", path.display());
            count += 1;
        }
    }
    count
}

#[test]
fn the_committed_corpus_replays_without_a_panic() {
    let count = replay("corpus");
    assert!(count > 0, "no corpus under fuzz/corpus");
}

#[test]
fn every_crash_reproducer_replays_without_a_panic() {
    replay("artifacts");
}
