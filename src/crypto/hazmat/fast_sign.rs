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
//! costs one mixed addition (projective + affine) per window and no doublings at all. The
//! addition is the complete formula of Renes, Costello and Batina for `a = -3` (`add_mixed`,
//! no exceptional cases, no branches). Each lookup reads *every* entry of the row and keeps the
//! wanted one with `ConditionallySelectable`, and negates `y` with a select when the digit is
//! negative; for a zero digit the sum is computed anyway and a select keeps the accumulator.
//!
//! # Which field arithmetic
//!
//! The table and the additions work on p256 **0.13**'s `FieldElement` (the `p256-013`
//! dependency with `expose-field`): a constant-time Montgomery field whose multiplication is
//! faster than 0.14's (`cargo bench --bench signing -- breakdown` measures one mixed addition on
//! each; the README's performance section has the figures). Everything around the point
//! arithmetic stays on p256 0.14: the key, the RFC 6979 nonce, `k⁻¹`, the scalar arithmetic
//! and the signature type. Only `x(k·G)` crosses over, as 32 big-endian bytes.
//!
//! # Everything else
//!
//! The nonce comes from the `rfc6979` crate exactly as `ecdsa` 0.17 drives it. `k⁻¹` mod `n` and
//! `Z⁻¹` mod `p` (for `x = X/Z`) both use the constant-time safegcd of
//! [`crate::crypto::hazmat::modinv`] (ten fixed batches of 59 divsteps), faster than
//! crypto-bigint's generic safegcd, which p256's `Scalar::invert` uses.
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
        sec1::ToEncodedPoint as _,
        subtle::{Choice, ConditionallySelectable, ConstantTimeEq},
    },
    AffinePoint as Affine013, FieldElement as Fe, ProjectivePoint as Projective013,
    U256 as U256013,
};

use crate::crypto::hazmat::modinv::{
    be_bytes_from_words, words_from_be_bytes, P256_FIELD, P256_ORDER,
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

/// The curve coefficient `b` (`y² = x³ - 3x + b`).
const B_HEX: &str = "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b";

/// Precomputed fixed-base comb table for the P-256 generator `G`.
///
/// Row `i` holds the affine points `j·2^(W·i)·G` for `j = 1..=`[`TABLE_ROW_LEN`]. The table
/// depends only on the public generator, so it may be shared freely; [`mul_by_generator`] and
/// [`sign_fast`] use a process-wide instance built on first use. With 6-bit windows it holds
/// 43 × 32 affine points of 64 bytes (about 88 KB on the heap), computed with one batched
/// inversion.
pub struct GeneratorTable {
    rows: Vec<[(Fe, Fe); TABLE_ROW_LEN]>,
    b: Fe,
}

/// A point in homogeneous projective coordinates (`x = X/Z`, `y = Y/Z`); `(0 : 1 : 0)` is the
/// identity.
#[derive(Clone, Copy)]
struct Projective {
    x: Fe,
    y: Fe,
    z: Fe,
}

impl ConditionallySelectable for Projective {
    fn conditional_select(a: &Self, b: &Self, choice: Choice) -> Self {
        Self {
            x: Fe::conditional_select(&a.x, &b.x, choice),
            y: Fe::conditional_select(&a.y, &b.y, choice),
            z: Fe::conditional_select(&a.z, &b.z, choice),
        }
    }
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
                let mut out = [(Fe::ZERO, Fe::ZERO); TABLE_ROW_LEN];
                for (dst, point) in out.iter_mut().zip(row) {
                    let encoded = point.to_encoded_point(false);
                    let xy = &encoded.as_bytes()[1..];
                    *dst = (fe_from_be(&xy[..32]), fe_from_be(&xy[32..]));
                }
                out
            })
            .collect();
        let b = fe_from_be(&U256::from_be_hex(B_HEX).to_be_bytes());
        Self { rows, b }
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
        let point = self.mul_projective(k);
        let z_inv = self.invert(&point.z);
        let mut encoded = [4u8; 65];
        encoded[1..33].copy_from_slice(&(point.x * z_inv).to_bytes());
        encoded[33..].copy_from_slice(&(point.y * z_inv).to_bytes());
        let sec1 = Sec1Point::from_bytes(encoded).expect("an uncompressed SEC1 encoding");
        // The identity (k = 0, Z = 0) comes out as (0, 0), which is not on the curve.
        ProjectivePoint::from(AffinePoint::from_sec1_point(&sec1).unwrap_or(AffinePoint::IDENTITY))
    }

    /// The affine x-coordinate of `k·G` in constant time (zero for `k = 0`).
    fn mul_x(&self, k: &Scalar) -> FieldBytes {
        let point = self.mul_projective(k);
        let x = point.x * self.invert(&point.z);
        FieldBytes::from(<[u8; 32]>::from(x.to_bytes()))
    }

    /// `z⁻¹ mod p` (zero for zero) with the constant-time safegcd of [`crate::crypto::hazmat::modinv`].
    fn invert(&self, z: &Fe) -> Fe {
        let inverse = P256_FIELD.invert(z.to_canonical().to_words());
        Fe::from_uint(U256013::from_words(inverse)).expect("an inverse is below p")
    }

    /// `k·G` in projective coordinates, in constant time.
    fn mul_projective(&self, k: &Scalar) -> Projective {
        let mut le = scalar_le(k);

        let mut carry: i32 = 0;
        let mut acc = Projective {
            x: Fe::ZERO,
            y: Fe::ONE,
            z: Fe::ZERO,
        };
        for (i, row) in self.rows.iter().enumerate() {
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
            let (x, y) = select(row, magnitude, negative);

            // A zero digit adds nothing: the sum is computed anyway and discarded by a select.
            let sum = add_mixed(&acc, &x, &y, &self.b);
            acc = Projective::conditional_select(&sum, &acc, magnitude.ct_eq(&0));
        }
        le.zeroize();
        acc
    }
}

/// `p1 + (x2, y2)` for an affine point other than the identity and any `p1` (the identity
/// included): the complete mixed addition of Renes, Costello and Batina, "Complete addition
/// formulas for prime order elliptic curves" (EUROCRYPT 2016), Algorithm 5 (`a = -3`), 11M.
/// No branches; the step numbers are the paper's.
#[inline(always)]
fn add_mixed(p1: &Projective, x2: &Fe, y2: &Fe, b: &Fe) -> Projective {
    let t0 = p1.x * x2; // 1
    let t1 = p1.y * y2; // 2
    let t3 = (*x2 + y2) * (p1.x + p1.y) - (t0 + t1); // 3-7
    let t4 = *y2 * p1.z + p1.y; // 8, 9
    let y3 = *x2 * p1.z + p1.x; // 10, 11
    let x3 = y3 - *b * p1.z; // 12, 13
    let x3 = x3.double() + x3; // 14, 15
    let z3 = t1 - x3; // 16
    let x3 = t1 + x3; // 17
    let t2 = p1.z.double() + p1.z; // 19, 20
    let y3 = *b * y3 - t2 - t0; // 18, 21, 22
    let y3 = y3.double() + y3; // 23, 24
    let t0 = t0.double() + t0 - t2; // 25-27
    Projective {
        x: t3 * x3 - t4 * y3, // 28, 32, 33
        y: x3 * z3 + t0 * y3, // 29, 30, 31
        z: t4 * z3 + t3 * t0, // 34, 35, 36
    }
}

/// A canonical big-endian field element (the inputs here are always below `p`).
fn fe_from_be(bytes: &[u8]) -> Fe {
    let bytes: [u8; 32] = bytes.try_into().expect("32 bytes");
    Fe::from_bytes(&bytes.into()).expect("below p")
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

/// Returns `(x, ±y)` of `row[magnitude - 1]` (zeros when `magnitude == 0`), reading every entry.
#[inline(always)]
fn select(row: &[(Fe, Fe); TABLE_ROW_LEN], magnitude: u32, negative: Choice) -> (Fe, Fe) {
    let (mut x, mut y) = (Fe::ZERO, Fe::ZERO);
    for (j, (ex, ey)) in (1u32..).zip(row.iter()) {
        let hit = magnitude.ct_eq(&j);
        x.conditional_assign(ex, hit);
        y.conditional_assign(ey, hit);
    }
    let minus_y = -y;
    y.conditional_assign(&minus_y, negative);
    (x, y)
}

/// Computes `k·G` in constant time using the process-wide [`GeneratorTable`].
///
/// Returns the same point as `ProjectivePoint::mul_by_generator(k)`.
#[must_use]
pub fn mul_by_generator(k: &Scalar) -> ProjectivePoint {
    GeneratorTable::global().mul(k)
}

/// Computes the affine x-coordinate of `k·G` in constant time, as big-endian bytes: the part
/// of `k·G` a signature needs (the comb and one constant-time inversion).
///
/// Returns zero bytes for `k = 0` (the identity), as p256's `to_affine` does.
#[must_use]
pub fn mul_by_generator_x(k: &Scalar) -> FieldBytes {
    GeneratorTable::global().mul_x(k)
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
    let mut repr: [u8; 32] = k.to_repr().into();
    let mut le = words_from_be_bytes(&repr);
    repr.zeroize();
    let mut inverse = P256_ORDER.invert(le);
    le.zeroize();
    let mut be = be_bytes_from_words(&inverse);
    inverse.zeroize();
    // k is nonzero and n prime, so the inverse exists and is below n.
    let k_inv = Scalar::from_repr(be.into()).unwrap_or(Scalar::ZERO);
    be.zeroize();
    k_inv
}
