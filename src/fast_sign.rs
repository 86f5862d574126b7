//! Fast, constant-time ES256 (ECDSA/P-256 + SHA-256) signing.
//!
//! [`sign_fast`] produces exactly the same signature bytes as
//! `<p256::ecdsa::SigningKey as Signer<Signature>>::sign` (deterministic RFC 6979 nonces with
//! SHA-256, no low-S normalization because p256 sets `NORMALIZE_S = false`), but computes the
//! nonce point `k·G` with a fixed-base comb over a larger precomputed table.
//!
//! # How `k·G` is computed
//!
//! `k` is recoded branch-free into [`WINDOWS`] signed digits `d_i ∈ [-2^(W-1)+1, 2^(W-1)]` with
//! `k = Σ d_i·2^(W·i)` (`W` = [`WINDOW_BITS`]). For every window `i` the table holds the affine
//! points `j·2^(W·i)·G` for `j = 1..=2^(W-1)`, so
//!
//! ```text
//! k·G = Σ_i sign(d_i) · T[i][|d_i|]
//! ```
//!
//! costs one mixed addition (projective + affine, complete Renes–Costello–Batina formulas) per
//! window and no doublings at all. Each lookup reads *every* entry of the row and keeps the
//! wanted one with `ConditionallySelectable`; a zero digit selects nothing and leaves the affine
//! identity, which the mixed addition absorbs with a constant-time select. The sign is applied
//! with `ConditionallyNegatable`.
//!
//! # Which field arithmetic
//!
//! The table and the additions use p256 **0.13**'s `AffinePoint`/`ProjectivePoint` (the
//! `p256-013` dependency): the same complete formulas as 0.14, over 0.13's constant-time
//! Montgomery field, whose multiplication is several times faster than 0.14's. Everything around
//! the point arithmetic stays on p256 0.14: the key, the RFC 6979 nonce, `k⁻¹`, the scalar
//! arithmetic and the signature type. Only `x(k·G)` crosses over, as 32 big-endian bytes.
//!
//! # Everything else
//!
//! The nonce comes from the `rfc6979` crate exactly as `ecdsa` 0.17 drives it; `k⁻¹` uses
//! p256 0.14's constant-time (safegcd) inversion, and the affine conversion of `k·G` p256 0.13's
//! constant-time field inversion (a fixed addition chain for `p - 2`).
//!
//! Nothing in this module branches on, or indexes memory by, the key, the nonce or their digits,
//! and no variable-time routine is used. The only data-dependent branches are the RFC 6979
//! retries (probability ≈ 2⁻²⁵⁶) that the stock signer takes too.

use std::sync::LazyLock;

use p256::{
    ecdsa::{Signature, SigningKey},
    elliptic_curve::{
        ops::Reduce, sec1::FromSec1Point, zeroize::Zeroize, Curve as _, Field as _, PrimeField,
    },
    AffinePoint, FieldBytes, NistP256, ProjectivePoint, Scalar, Sec1Point, U256,
};
use p256_013::{
    elliptic_curve::{
        group::{Curve as _, Group as _},
        point::AffineCoordinates as _,
        sec1::ToEncodedPoint as _,
        subtle::{Choice, ConditionallyNegatable, ConditionallySelectable, ConstantTimeEq},
    },
    AffinePoint as Affine013, ProjectivePoint as Projective013,
};
use rfc6979::KGenerator;
use sha2::{Digest, Sha256};

/// Width in bits of one signed digit of the comb.
pub const WINDOW_BITS: usize = 6;

/// Number of precomputed points per window: the multiples `1..=2^(W-1)`.
pub const TABLE_ROW_LEN: usize = 1 << (WINDOW_BITS - 1);

/// Number of signed digits (and table rows) needed to cover a 256-bit scalar.
///
/// Because every scalar is below `n < 2^256`, the top digit never produces a carry, so no extra
/// digit is needed.
pub const WINDOWS: usize = 256_usize.div_ceil(WINDOW_BITS);

// The recoding reads each window from two consecutive bytes and works in `i32`.
const _: () = assert!(WINDOW_BITS >= 2 && WINDOW_BITS <= 9);
// The top window must have room for the final carry: it holds at most 256 - W·(WINDOWS-1)
// bits, and `2^bits - 1 + 1` must not exceed the largest positive digit `2^(W-1)`.
const _: () = assert!(256 - WINDOW_BITS * (WINDOWS - 1) < WINDOW_BITS);

/// Precomputed fixed-base comb table for the P-256 generator `G`.
///
/// Row `i` holds the affine points `j·2^(W·i)·G` for `j = 1..=`[`TABLE_ROW_LEN`]. The table
/// depends only on the public generator, so it may be shared freely; [`mul_by_generator`] and
/// [`sign_fast`] use a process-wide instance built on first use. With 6-bit windows it holds
/// 43 × 32 affine points of 72 bytes (about 99 KB on the heap), computed with one batched
/// inversion.
pub struct GeneratorTable {
    rows: Vec<[Affine013; TABLE_ROW_LEN]>,
}

impl GeneratorTable {
    /// Computes the table ([`WINDOWS`] × [`TABLE_ROW_LEN`] points, normalized to affine with a
    /// single batched inversion).
    ///
    /// This is a one-time cost; prefer [`GeneratorTable::global`] over building private copies.
    #[must_use]
    pub fn new() -> Self {
        let mut projective = Vec::with_capacity(WINDOWS * TABLE_ROW_LEN);
        let mut base = Projective013::GENERATOR; // 2^(W·i)·G
        for _ in 0..WINDOWS {
            let mut multiple = base;
            for _ in 0..TABLE_ROW_LEN {
                projective.push(multiple);
                multiple += base;
            }
            // 2^(W·(i+1))·G = 2 · (2^(W-1) · 2^(W·i)·G), the last entry of this row doubled.
            base = projective[projective.len() - 1].double();
        }

        let mut affine = vec![Affine013::IDENTITY; projective.len()];
        Projective013::batch_normalize(&projective, &mut affine);

        let rows = affine
            .chunks_exact(TABLE_ROW_LEN)
            .map(|row| {
                let mut out = [Affine013::IDENTITY; TABLE_ROW_LEN];
                out.copy_from_slice(row);
                out
            })
            .collect();
        Self { rows }
    }

    /// The process-wide table, computed on first use.
    #[must_use]
    pub fn global() -> &'static Self {
        static TABLE: LazyLock<GeneratorTable> = LazyLock::new(GeneratorTable::new);
        &TABLE
    }

    /// Computes `k·G` in constant time, as a p256 0.14 point.
    ///
    /// The running time and memory access pattern do not depend on `k`: every scalar is
    /// recoded into exactly [`WINDOWS`] digits, each digit costs one full scan of its table row
    /// and one mixed addition; the conversion to 0.14 (one constant-time inversion, an
    /// uncompressed encoding and its curve check) is the same work for every point.
    #[must_use]
    pub fn mul(&self, k: &Scalar) -> ProjectivePoint {
        let point = self.mul_013(k).to_affine();
        let encoded = point.to_encoded_point(false);
        let sec1 = Sec1Point::from_bytes(encoded.as_bytes())
            .expect("p256 0.13 and 0.14 share the SEC1 encoding");
        let affine = Option::<AffinePoint>::from(AffinePoint::from_sec1_point(&sec1))
            .expect("a point computed on the curve decodes");
        ProjectivePoint::from(affine)
    }

    /// Computes `k·G` in constant time with p256 0.13's arithmetic (see [`GeneratorTable::mul`]).
    pub(crate) fn mul_013(&self, k: &Scalar) -> Projective013 {
        let mut le = scalar_le(k);

        let mut carry: i32 = 0;
        let mut lookup = |i: usize| {
            let window = window(&le, i);

            // Signed recoding without branches: d ∈ [0, 2^W]; digits above 2^(W-1) become
            // d - 2^W and carry one into the next window.
            let d = window + carry;
            carry = (d + (1 << (WINDOW_BITS - 1)) - 1) >> WINDOW_BITS;
            let digit = d - (carry << WINDOW_BITS);

            // |digit| and its sign via masks (mask = -1 when negative, 0 otherwise).
            let mask = digit >> 31;
            let magnitude = ((digit ^ mask) - mask) as u32;
            let negative = Choice::from((mask & 1) as u8);
            select(&self.rows[i], magnitude, negative)
        };

        // The first term only needs converting (identity-aware, constant-time); every
        // further window costs one mixed addition.
        let mut acc = Projective013::from(lookup(0));
        for i in 1..WINDOWS {
            acc += &lookup(i);
        }
        le.zeroize();
        acc
    }
}

impl Default for GeneratorTable {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for GeneratorTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("GeneratorTable")
            .field("windows", &self.rows.len())
            .field("row_len", &TABLE_ROW_LEN)
            .finish()
    }
}

/// `k` as little-endian bytes with two bytes of zero padding (windows read two bytes).
fn scalar_le(k: &Scalar) -> [u8; 34] {
    let mut be = k.to_repr();
    let mut le = [0u8; 34];
    for (dst, src) in le.iter_mut().zip(be.iter().rev()) {
        *dst = *src;
    }
    be.zeroize();
    le
}

/// Window `i` of the scalar: bits `W·i .. W·i+W-1`, unsigned. Positions and shifts are public.
#[inline(always)]
fn window(le: &[u8; 34], i: usize) -> i32 {
    let bit = i * WINDOW_BITS;
    let pair = u32::from(le[bit / 8]) | (u32::from(le[bit / 8 + 1]) << 8);
    ((pair >> (bit % 8)) & ((1 << WINDOW_BITS) - 1)) as i32
}

/// Returns `±row[magnitude - 1]`, or the identity when `magnitude == 0`, reading every entry.
#[inline(always)]
fn select(row: &[Affine013; TABLE_ROW_LEN], magnitude: u32, negative: Choice) -> Affine013 {
    let mut point = Affine013::IDENTITY;
    for (j, entry) in (1u32..).zip(row.iter()) {
        point.conditional_assign(entry, magnitude.ct_eq(&j));
    }
    point.conditional_negate(negative);
    point
}

/// Computes `k·G` in constant time using the process-wide [`GeneratorTable`].
///
/// Returns the same point as `ProjectivePoint::mul_by_generator(k)`.
#[must_use]
pub fn mul_by_generator(k: &Scalar) -> ProjectivePoint {
    GeneratorTable::global().mul(k)
}

/// Computes the affine x-coordinate of `k·G` in constant time, as big-endian bytes: the part
/// of `k·G` a signature needs (the comb on p256 0.13 and its constant-time inversion).
///
/// Returns zero bytes for `k = 0` (the identity), as p256's `to_affine` does.
#[must_use]
pub fn mul_by_generator_x(k: &Scalar) -> FieldBytes {
    let x = GeneratorTable::global().mul_013(k).to_affine().x();
    FieldBytes::from(<[u8; 32]>::from(x))
}

/// Signs `msg` with ES256, returning exactly the signature
/// `<SigningKey as Signer<Signature>>::sign(key, msg)` would.
///
/// The message is hashed with SHA-256, the nonce derived per RFC 6979 and `s` is not
/// normalized, as in p256 0.14. The first call builds the [`GeneratorTable`].
#[must_use]
pub fn sign_fast(key: &SigningKey, msg: &[u8]) -> Signature {
    let digest: FieldBytes = Sha256::digest(msg);
    sign_digest(key, &digest)
}

/// ECDSA over a SHA-256 digest, mirroring `ecdsa::hazmat::sign_prehashed_rfc6979`.
fn sign_digest(key: &SigningKey, digest: &FieldBytes) -> Signature {
    let d: &Scalar = key.as_nonzero_scalar();
    let mut d_bytes = d.to_repr();
    // bits2int of a 256-bit digest for a 256-bit order: the digest itself, reduced mod n.
    let z = <Scalar as Reduce<FieldBytes>>::reduce(digest);

    let mut kgen = KGenerator::<Sha256, U256>::new(&d_bytes, digest, &[], &NistP256::ORDER);
    d_bytes.zeroize();

    loop {
        let mut k_bytes = FieldBytes::default();
        kgen.fill_next_k(&mut k_bytes);
        // `fill_next_k` only returns values in [1, n-1], so this never fails in practice; the
        // check mirrors the stock signer exactly.
        let k = Option::<Scalar>::from(Scalar::from_repr(k_bytes));
        k_bytes.zeroize();
        let Some(k) = k.filter(|k| !bool::from(k.is_zero())) else {
            continue;
        };

        // r = x(R) mod n. R is published (up to sign) through r, so this is not secret.
        let r = <Scalar as Reduce<FieldBytes>>::reduce(&mul_by_generator_x(&k));
        let k_inv = invert_nonce(k);
        let s = k_inv * (z + r * d);

        // `from_scalars` rejects r = 0 or s = 0 (probability ≈ 2⁻²⁵⁶); like the stock signer
        // we then move on to the next RFC 6979 candidate.
        if let Ok(signature) = Signature::from_scalars(r, s) {
            return signature;
        }
    }
}

/// Computes `k⁻¹` for a nonzero nonce in constant time.
fn invert_nonce(k: Scalar) -> Scalar {
    // p256's `Scalar::invert` is crypto-bigint's constant-time safegcd (Bernstein–Yang with a
    // fixed iteration count). It is also faster than the blinded alternative here:
    // `BlindedScalar` (b·(k·b)⁻¹ with the variable-time inversion) measured 4.4 µs against
    // 3.6 µs, because drawing the mask from the OS costs a system call per signature.
    // k is nonzero, so the inverse always exists.
    k.invert().unwrap_or(Scalar::ZERO)
}
