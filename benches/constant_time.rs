//! dudect-style timing leakage check (Reparaz, Balasch, Verbauwhede 2017).
//!
//! Two input classes are interleaved in random order and every call is timed; a Welch t-test
//! compares the two timing distributions, on the raw samples and on samples cropped at several
//! percentiles (as dudect does). |t| > 4.5 is the usual threshold for "leaks".
//!
//! Usage: `dudect <mode> [samples]`
//! - `sign`:    fixed key; class 0 = one fixed message (hence one fixed nonce k), class 1 =
//!   random messages (random k). Times `sign_fast` end to end.
//! - `kg-one`:  `fast_sign::mul_by_generator_x` (the comb and the affine conversion, as the
//!   signer runs them), class 0 = k = 1 (all digits but one zero), class 1 = random k.
//! - `kg-top`:  class 0 = k = n - 1 (all-negative recoding with a long carry chain), class 1 =
//!   random k.
//! - `inv-p`:   `modinv::P256_FIELD.invert` (the `Z⁻¹` of `x(k·G)`) alone, class 0 = 1, class 1 =
//!   random.
//! - `inv-n`:   `modinv::P256_ORDER.invert` (the signer's `k⁻¹`) alone, class 0 = n - 1, class 1 =
//!   random.
//! - `control`: p256's *variable-time* `Scalar::invert_vartime`, class 0 = 1, class 1 = random.
//!   Must report a large |t|: it shows the harness can see a leak.

use std::hint::black_box;
use std::time::Instant;

use devtoken::hazmat::fast_sign::{mul_by_generator_x, sign_fast};
use devtoken::hazmat::modinv::{words_from_be_bytes, P256_FIELD, P256_ORDER};
use p256::{
    ecdsa::SigningKey,
    elliptic_curve::{ops::Reduce, PrimeField as _},
    Scalar, U256,
};

/// Percentiles at which samples are cropped (plus the uncropped test).
const CROPS: [f64; 6] = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999];
const BATCH: usize = 10_000;
const CALIBRATION: usize = 20_000;

/// Welford running mean/variance for one class.
#[derive(Default, Clone, Copy)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn push(&mut self, x: f64) {
        self.n += 1.0;
        let delta = x - self.mean;
        self.mean += delta / self.n;
        self.m2 += delta * (x - self.mean);
    }
    fn var(&self) -> f64 {
        self.m2 / (self.n - 1.0)
    }
}

/// Welch t statistic for one test (two classes).
#[derive(Default, Clone, Copy)]
struct TTest([Moments; 2]);

impl TTest {
    fn push(&mut self, class: usize, x: f64) {
        self.0[class].push(x);
    }
    fn t(&self) -> f64 {
        let [a, b] = self.0;
        if a.n < 2.0 || b.n < 2.0 {
            return 0.0;
        }
        (a.mean - b.mean) / (a.var() / a.n + b.var() / b.n).sqrt()
    }
}

/// xorshift64* — only picks classes and random inputs for the test; not used for signing.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        out
    }
    fn scalar(&mut self) -> Scalar {
        <Scalar as Reduce<U256>>::reduce(&U256::from_le_slice(&self.bytes32()))
    }
}

/// A scalar's value as little-endian 64-bit words (below n, so also below p).
fn words(k: &Scalar) -> [u64; 4] {
    words_from_be_bytes(&k.to_repr().into())
}

enum Mode {
    Sign,
    KgOne,
    KgTop,
    InvP,
    InvN,
    Control,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = match args.next().as_deref() {
        Some("sign") => Mode::Sign,
        Some("kg-one") => Mode::KgOne,
        Some("kg-top") => Mode::KgTop,
        Some("inv-p") => Mode::InvP,
        Some("inv-n") => Mode::InvN,
        Some("control") => Mode::Control,
        _ => {
            eprintln!("usage: dudect <sign|kg-one|kg-top|inv-p|inv-n|control> [samples]");
            std::process::exit(2);
        }
    };
    let samples: usize = args
        .next()
        .map_or(1_000_000, |s| s.parse().expect("sample count"));

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
        | 1;
    let mut rng = XorShift(seed);
    let key = SigningKey::from_bytes(&rng.bytes32().into()).expect("random key");
    let fixed_msg = rng.bytes32();
    let fixed_scalar = match mode {
        Mode::KgTop | Mode::InvN => -Scalar::ONE,
        _ => Scalar::ONE,
    };
    let _ = mul_by_generator_x(&Scalar::ONE); // build the table before timing

    // One timed call for input `i` of the current batch.
    let mut classes = vec![0usize; BATCH];
    let mut msgs = vec![[0u8; 32]; BATCH];
    let mut scalars = vec![Scalar::ZERO; BATCH];
    let mut times = vec![0f64; BATCH];

    let mut run_batch = |rng: &mut XorShift, times: &mut Vec<f64>, classes: &mut Vec<usize>| {
        for i in 0..BATCH {
            let class = (rng.next() >> 63) as usize;
            classes[i] = class;
            if class == 0 {
                msgs[i] = fixed_msg;
                scalars[i] = fixed_scalar;
            } else {
                msgs[i] = rng.bytes32();
                scalars[i] = rng.scalar();
            }
        }
        for i in 0..BATCH {
            let start = Instant::now();
            match mode {
                Mode::Sign => {
                    black_box(sign_fast(black_box(&key), black_box(&msgs[i])));
                }
                Mode::KgOne | Mode::KgTop => {
                    black_box(mul_by_generator_x(black_box(&scalars[i])));
                }
                Mode::InvP => {
                    black_box(P256_FIELD.invert(black_box(words(&scalars[i]))));
                }
                Mode::InvN => {
                    black_box(P256_ORDER.invert(black_box(words(&scalars[i]))));
                }
                Mode::Control => {
                    black_box(black_box(scalars[i]).invert_vartime());
                }
            }
            times[i] = start.elapsed().as_nanos() as f64;
        }
    };

    // Calibrate the crop thresholds on samples that are not used in the test.
    let mut calib = Vec::with_capacity(CALIBRATION);
    while calib.len() < CALIBRATION {
        run_batch(&mut rng, &mut times, &mut classes);
        calib.extend_from_slice(&times);
    }
    calib.sort_by(f64::total_cmp);
    let thresholds: Vec<f64> = CROPS
        .iter()
        .map(|p| calib[((calib.len() as f64) * p) as usize])
        .collect();

    let mut raw = TTest::default();
    let mut cropped = vec![TTest::default(); CROPS.len()];
    let mut done = 0;
    while done < samples {
        run_batch(&mut rng, &mut times, &mut classes);
        for (&x, &class) in times.iter().zip(classes.iter()) {
            raw.push(class, x);
            for (test, &limit) in cropped.iter_mut().zip(&thresholds) {
                if x < limit {
                    test.push(class, x);
                }
            }
        }
        done += BATCH;
    }

    let [a, b] = raw.0;
    println!(
        "samples: {done} (class 0: {}, class 1: {}); mean ns: class 0 {:.1}, class 1 {:.1}",
        a.n, b.n, a.mean, b.mean
    );
    println!("raw                 t = {:+8.3}", raw.t());
    for ((p, limit), test) in CROPS.iter().zip(&thresholds).zip(&cropped) {
        println!(
            "crop < p{:<5} ({:>8.0} ns) t = {:+8.3}  (n = {})",
            p * 100.0,
            limit,
            test.t(),
            test.0[0].n + test.0[1].n
        );
    }
    let max_t = cropped
        .iter()
        .map(|t| t.t().abs())
        .fold(raw.t().abs(), f64::max);
    println!("max |t| = {max_t:.3}");
}
