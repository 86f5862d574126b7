//! No freed heap block keeps key text (issue #17): a wrapping global allocator scans every block
//! freed while a key loads for a piece of the key's base64 body. The pasted forms that copy the
//! text most (CRLF, literal `\n`, quotes, one line, bare base64, PEM base64-encoded again, a file)
//! are all covered.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Mutex;

use base64::Engine;
use devtoken::PrivateKey;

struct Scanning;

static ARMED: AtomicBool = AtomicBool::new(false);
static NEEDLE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
static NEEDLE_LEN: AtomicUsize = AtomicUsize::new(0);
static HITS: AtomicUsize = AtomicUsize::new(0);
/// One armed load at a time (the test harness runs tests on several threads).
static SERIAL: Mutex<()> = Mutex::new(());

unsafe impl GlobalAlloc for Scanning {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        System.alloc(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(Ordering::SeqCst) {
            let needle_len = NEEDLE_LEN.load(Ordering::SeqCst);
            let needle = std::slice::from_raw_parts(NEEDLE.load(Ordering::SeqCst), needle_len);
            let block = std::slice::from_raw_parts(ptr, layout.size());
            if block.windows(needle_len).any(|w| w == needle) {
                HITS.fetch_add(1, Ordering::SeqCst);
            }
        }
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Scanning = Scanning;

const PEM: &str = include_str!("vectors/keys/p256.pem");

/// Runs `load` armed and returns how many freed blocks held the needle.
fn leaked_copies(needle: &'static [u8], load: impl FnOnce()) -> usize {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    NEEDLE.store(needle.as_ptr() as *mut u8, Ordering::SeqCst);
    NEEDLE_LEN.store(needle.len(), Ordering::SeqCst);
    HITS.store(0, Ordering::SeqCst);
    ARMED.store(true, Ordering::SeqCst);
    load();
    ARMED.store(false, Ordering::SeqCst);
    HITS.load(Ordering::SeqCst)
}

/// 24 characters of the body's first line that encode the private scalar.
fn needle() -> &'static [u8] {
    let first_line = PEM.lines().nth(1).unwrap();
    Box::leak(first_line.as_bytes()[40..64].to_vec().into_boxed_slice())
}

#[test]
fn loading_a_key_leaves_no_copy_of_its_text_in_freed_memory() {
    let needle = needle();
    let one_line = PEM.replace('\n', " ");
    let forms = [
        ("pem", PEM.to_string()),
        ("crlf", PEM.replace('\n', "\r\n")),
        (
            "literal \\n",
            format!("\"{}\"", PEM.trim().replace('\n', "\\n")),
        ),
        ("literal \\r\\n", PEM.trim().replace('\n', "\\r\\n")),
        ("one line", one_line),
        (
            "bare base64",
            PEM.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (
            "pem base64-encoded again",
            base64::engine::general_purpose::STANDARD.encode(PEM),
        ),
    ];
    for (name, text) in &forms {
        let hits = leaked_copies(needle, || {
            let key = PrivateKey::from_pem(text).unwrap();
            drop(key);
        });
        assert_eq!(hits, 0, "{name}: {hits} freed block(s) still held key text");
        let hits = leaked_copies(needle, || {
            PrivateKey::from_bytes(text.as_bytes()).unwrap();
        });
        assert_eq!(
            hits, 0,
            "{name} as bytes: {hits} freed block(s) held key text"
        );
    }
    let path = std::env::temp_dir().join(format!("devtoken-zeroize-{}.p8", std::process::id()));
    std::fs::write(&path, PEM).unwrap();
    let hits = leaked_copies(needle, || {
        PrivateKey::from_file(&path).unwrap();
    });
    std::fs::remove_file(&path).unwrap();
    assert_eq!(hits, 0, "file: {hits} freed block(s) held key text");
}

#[test]
fn the_scanner_sees_an_unwiped_copy() {
    let needle = needle();
    let hits = leaked_copies(needle, || {
        let copy = PEM.replace('\n', "\r\n");
        drop(std::hint::black_box(copy));
    });
    assert!(hits >= 1);
}

#[test]
fn oversized_key_input_is_refused_before_parsing() {
    let huge = "A".repeat(devtoken::options::MAX_KEY_BYTES + 1);
    for error in [
        PrivateKey::from_pem(&huge).unwrap_err(),
        PrivateKey::from_bytes(huge.as_bytes()).unwrap_err(),
    ] {
        assert_eq!(
            (error.field(), error.rule()),
            (Some("key"), Some("too_large")),
            "{error}"
        );
    }
    let path = std::env::temp_dir().join(format!("devtoken-big-{}.p8", std::process::id()));
    std::fs::write(&path, &huge).unwrap();
    let error = PrivateKey::from_file(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(error.rule(), Some("too_large"), "{error}");
}
