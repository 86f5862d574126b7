//! Constant-time modular inversion by Bernstein and Yang's "safegcd" (divsteps), for the two
//! inversions of a signature: `Z⁻¹ mod p` (the affine `x` of `k·G`) and `k⁻¹ mod n`.
//!
//! The algorithm is the one of D. J. Bernstein and B.-Y. Yang, "Fast constant-time gcd
//! computation and modular inversion" (TCHES 2019), in the form Pieter Wuille describes in
//! "The safegcd implementation in libsecp256k1 explained" (`doc/safegcd_implementation.md` of
//! libsecp256k1): numbers in five signed 62-bit limbs, batches of 59 divsteps computed on the
//! low 64 bits into a 2×2 transition matrix (scaled by 2⁶²), `δ` starting at ½ so that 590
//! divsteps (ten batches) suffice for any modulus below 2²⁵⁶.
//!
//! Every run does exactly ten batches of exactly 59 divsteps, and every step is arithmetic on
//! masks: no branch and no memory access depends on the input. Masks made from a sign bit pass
//! through `black_box` where they are used once per batch: without it, LLVM turns
//! `m & (x >> 63)` back into "add m if x < 0" and compiles that to a conditional jump (seen in
//! the x86-64 assembly, and by `cargo bench --bench constant_time -- inv-p`). It is faster than
//! crypto-bigint's generic safegcd on P-256 (`cargo bench --bench signing -- breakdown`; the
//! README's performance section has the figures).
//!
//! ```
//! use devtoken::modinv::Modulus;
//! // 3⁻¹ mod 7 = 5
//! let seven = Modulus::new([7, 0, 0, 0]);
//! assert_eq!(seven.invert([3, 0, 0, 0]), [5, 0, 0, 0]);
//! ```

use core::hint::black_box;

/// A 32-byte big-endian number (a scalar's or field element's encoding) as the little-endian
/// 64-bit words [`Modulus::invert`] takes.
#[must_use]
pub fn words_from_be_bytes(be: &[u8; 32]) -> [u64; 4] {
    core::array::from_fn(|i| {
        let start = 24 - 8 * i;
        u64::from_be_bytes(be[start..start + 8].try_into().expect("8 bytes"))
    })
}

/// Little-endian 64-bit words as a 32-byte big-endian number; the inverse of
/// [`words_from_be_bytes`].
#[must_use]
pub fn be_bytes_from_words(words: &[u64; 4]) -> [u8; 32] {
    let mut be = [0u8; 32];
    for (bytes, word) in be.rchunks_exact_mut(8).zip(words) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    be
}

/// The low 62 bits.
const M62: u64 = u64::MAX >> 2;

/// A number in five signed 62-bit limbs, least significant first: `Σ v[i]·2^(62·i)`.
type Signed62 = [i64; 5];

/// The field prime `p` of P-256.
pub const P256_FIELD: Modulus = Modulus::new([
    0xffff_ffff_ffff_ffff,
    0x0000_0000_ffff_ffff,
    0x0000_0000_0000_0000,
    0xffff_ffff_0000_0001,
]);

/// The group order `n` of P-256.
pub const P256_ORDER: Modulus = Modulus::new([
    0xf3b9_cac2_fc63_2551,
    0xbce6_faad_a717_9e84,
    0xffff_ffff_ffff_ffff,
    0xffff_ffff_0000_0000,
]);

/// An odd modulus below 2²⁵⁶, prepared for [`Modulus::invert`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Modulus {
    limbs: Signed62,
    /// `m⁻¹ mod 2⁶²`.
    inverse_62: u64,
}

/// A 2×2 transition matrix of 59 divsteps, scaled by 2⁶².
struct Transition {
    u: i64,
    v: i64,
    q: i64,
    r: i64,
}

impl Modulus {
    /// Prepares an odd modulus given as little-endian 64-bit limbs.
    ///
    /// # Panics
    ///
    /// If the modulus is even (a programming error: the moduli here are the public constants
    /// `p` and `n` of P-256).
    #[must_use]
    pub const fn new(le_limbs: [u64; 4]) -> Self {
        assert!(le_limbs[0] & 1 == 1, "the modulus must be odd");
        // Newton's iteration doubles the correct low bits each time: 3 (x = m) → 96.
        let m0 = le_limbs[0];
        let mut inverse = m0;
        let mut i = 0;
        while i < 5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(m0.wrapping_mul(inverse)));
            i += 1;
        }
        Modulus {
            limbs: to_signed62(le_limbs),
            inverse_62: inverse & M62,
        }
    }

    /// `x⁻¹ mod m` for `x < m`, as little-endian limbs in `[0, m)`; zero for `x = 0` (and for any
    /// `x` that shares a factor with `m`, which a prime modulus rules out).
    ///
    /// Constant time: the same operations run for every `x`.
    #[must_use]
    pub fn invert(&self, x: [u64; 4]) -> [u64; 4] {
        let mut d: Signed62 = [0; 5];
        let mut e: Signed62 = [1, 0, 0, 0, 0];
        let mut f = self.limbs;
        let mut g = to_signed62(x);
        // ζ = -(δ + ½) with δ starting at ½.
        let mut zeta: i64 = -1;
        for _ in 0..10 {
            let (next_zeta, t) = divsteps_59(zeta, f[0] as u64, g[0] as u64);
            zeta = next_zeta;
            self.update_de(&mut d, &mut e, &t);
            update_fg(&mut f, &mut g, &t);
        }
        // Now g = 0 and f = ±1 (for an invertible x): d·x ≡ f, so the inverse is ±d.
        from_signed62(self.normalize(d, f[4]))
    }

    /// `[d, e] ← t·[d, e] / 2⁶² mod m`, keeping both in `(-2m, m)`.
    fn update_de(&self, d: &mut Signed62, e: &mut Signed62, t: &Transition) {
        let m = &self.limbs;
        let (u, v, q, r) = (t.u, t.v, t.q, t.r);
        // Start from [u, q] if d is negative, plus [v, r] if e is negative (masks, no branch).
        let sd = black_box(d[4] >> 63);
        let se = black_box(e[4] >> 63);
        let mut md = (u & sd) + (v & se);
        let mut me = (q & sd) + (r & se);
        let cd = i128::from(u) * i128::from(d[0]) + i128::from(v) * i128::from(e[0]);
        let ce = i128::from(q) * i128::from(d[0]) + i128::from(r) * i128::from(e[0]);
        // Choose md, me so that t·[d, e] + m·[md, me] has 62 zero low bits.
        md -= (self
            .inverse_62
            .wrapping_mul(cd as u64)
            .wrapping_add(md as u64)
            & M62) as i64;
        me -= (self
            .inverse_62
            .wrapping_mul(ce as u64)
            .wrapping_add(me as u64)
            & M62) as i64;
        combine_and_shift(d, e, t, m, md, me);
    }

    /// Brings `d ∈ (-2m, m)` to `[0, m)` and multiplies it by the sign of `f`'s top limb.
    fn normalize(&self, mut r: Signed62, sign: i64) -> Signed62 {
        let m = &self.limbs;
        // Add m if negative: (-2m, m) becomes (-m, m); negating (if f is negative) keeps that.
        let add = black_box(r[4] >> 63);
        for (limb, m) in r.iter_mut().zip(m) {
            *limb += m & add;
        }
        let negate = black_box(sign >> 63);
        for limb in &mut r {
            *limb = (*limb ^ negate) - negate;
        }
        carry_62(&mut r);
        // Add m once more if still negative: [0, m).
        let add = black_box(r[4] >> 63);
        for (limb, m) in r.iter_mut().zip(m) {
            *limb += m & add;
        }
        carry_62(&mut r);
        r
    }
}

/// Propagates carries so that limbs 0..4 are in `[0, 2⁶²)` (the top limb keeps the sign).
fn carry_62(r: &mut Signed62) {
    for i in 0..4 {
        r[i + 1] += r[i] >> 62;
        r[i] &= M62 as i64;
    }
}

/// 59 divsteps on the low 64 bits of `f` and `g`: the new `ζ` and the transition matrix
/// (scaled by 2⁶²). Branch-free: each step's choices are masks.
fn divsteps_59(mut zeta: i64, f0: u64, g0: u64) -> (i64, Transition) {
    // The matrix starts as 8·identity, so 59 doublings scale it by 2⁶².
    let (mut u, mut v, mut q, mut r): (u64, u64, u64, u64) = (8, 0, 0, 8);
    let (mut f, mut g) = (f0, g0);
    for _ in 3..62 {
        // c1: δ > 0 (ζ < 0); c2: g is odd.
        let c1 = (zeta >> 63) as u64;
        let c2 = (g & 1).wrapping_neg();
        // With c1: negate f, u, v (for the swap step); add them to g, q, r if g is odd.
        let x = (f ^ c1).wrapping_sub(c1);
        let y = (u ^ c1).wrapping_sub(c1);
        let z = (v ^ c1).wrapping_sub(c1);
        g = g.wrapping_add(x & c2);
        q = q.wrapping_add(y & c2);
        r = r.wrapping_add(z & c2);
        // Swap step only when both hold: δ → 1 - δ (ζ → -ζ - 2), else δ → 1 + δ (ζ → ζ - 1).
        let c1 = c1 & c2;
        zeta = (zeta ^ c1 as i64) - 1;
        f = f.wrapping_add(g & c1);
        u = u.wrapping_add(q & c1);
        v = v.wrapping_add(r & c1);
        g >>= 1;
        u <<= 1;
        v <<= 1;
    }
    let t = Transition {
        u: u as i64,
        v: v as i64,
        q: q as i64,
        r: r as i64,
    };
    (zeta, t)
}

/// `[f, g] ← t·[f, g] / 2⁶²` (exact: the low 62 bits are zero by construction).
fn update_fg(f: &mut Signed62, g: &mut Signed62, t: &Transition) {
    combine_and_shift(f, g, t, &[0; 5], 0, 0);
}

/// `[a, b] ← (t·[a, b] + m·[ma, mb]) / 2⁶²`, where the sum's low 62 bits are zero (the caller
/// chose `ma`, `mb` for that, or the divsteps guarantee it).
fn combine_and_shift(
    a: &mut Signed62,
    b: &mut Signed62,
    t: &Transition,
    m: &Signed62,
    ma: i64,
    mb: i64,
) {
    let (u, v, q, r) = (t.u, t.v, t.q, t.r);
    let (mut ca, mut cb) = (0i128, 0i128);
    for i in 0..5 {
        ca += i128::from(u) * i128::from(a[i])
            + i128::from(v) * i128::from(b[i])
            + i128::from(m[i]) * i128::from(ma);
        cb += i128::from(q) * i128::from(a[i])
            + i128::from(r) * i128::from(b[i])
            + i128::from(m[i]) * i128::from(mb);
        if i == 0 {
            debug_assert_eq!(ca as u64 & M62, 0);
            debug_assert_eq!(cb as u64 & M62, 0);
        } else {
            // Each limb is stored one place lower: the division by 2⁶².
            a[i - 1] = (ca as u64 & M62) as i64;
            b[i - 1] = (cb as u64 & M62) as i64;
        }
        ca >>= 62;
        cb >>= 62;
    }
    a[4] = ca as i64;
    b[4] = cb as i64;
}

/// Little-endian 64-bit limbs to signed 62-bit limbs.
const fn to_signed62(a: [u64; 4]) -> Signed62 {
    [
        (a[0] & M62) as i64,
        ((a[0] >> 62 | a[1] << 2) & M62) as i64,
        ((a[1] >> 60 | a[2] << 4) & M62) as i64,
        ((a[2] >> 58 | a[3] << 6) & M62) as i64,
        (a[3] >> 56) as i64,
    ]
}

/// Signed 62-bit limbs of a number in `[0, 2²⁵⁶)` to little-endian 64-bit limbs.
const fn from_signed62(v: Signed62) -> [u64; 4] {
    let v = [
        v[0] as u64,
        v[1] as u64,
        v[2] as u64,
        v[3] as u64,
        v[4] as u64,
    ];
    [
        v[0] | v[1] << 62,
        v[1] >> 2 | v[2] << 60,
        v[2] >> 4 | v[3] << 58,
        v[3] >> 6 | v[4] << 56,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::bigint::{Odd, U256};
    use proptest::prelude::*;

    const P: &str = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
    const N: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";

    fn limbs(x: &U256) -> [u64; 4] {
        let mut out = [0u64; 4];
        for (dst, src) in out.iter_mut().zip(x.as_words()) {
            *dst = *src;
        }
        out
    }

    /// The inverse by crypto-bigint (an independent safegcd), zero for zero.
    fn reference(x: &U256, m: &U256) -> [u64; 4] {
        let m = Odd::new(*m).unwrap();
        limbs(&Option::from(x.invert_odd_mod(&m)).unwrap_or(U256::ZERO))
    }

    fn check(x: &U256, m_hex: &str) {
        let m = U256::from_be_hex(m_hex);
        let modulus = Modulus::new(limbs(&m));
        let inverse = modulus.invert(limbs(x));
        assert_eq!(inverse, reference(x, &m), "x = {x}");
    }

    #[test]
    fn edge_values_invert_like_crypto_bigint() {
        for m_hex in [P, N] {
            let m = U256::from_be_hex(m_hex);
            for x in [
                U256::ZERO,
                U256::ONE,
                U256::from_u64(2),
                U256::from_u64(3),
                m.wrapping_sub(&U256::ONE),
                m.wrapping_sub(&U256::from_u64(2)),
                U256::ONE.shl_vartime(255),
                U256::MAX.shr_vartime(1),
                U256::MAX.shr_vartime(32),
                U256::from_u64(u64::MAX),
            ] {
                check(&x, m_hex);
            }
        }
    }

    #[test]
    fn the_inverse_times_x_is_one() {
        let m = Modulus::new([7, 0, 0, 0]);
        for x in 1..7u64 {
            let inverse = m.invert([x, 0, 0, 0])[0];
            assert_eq!(x * inverse % 7, 1);
        }
    }

    #[test]
    fn the_p256_constants_are_p_and_n() {
        assert_eq!(P256_FIELD, Modulus::new(limbs(&U256::from_be_hex(P))));
        assert_eq!(P256_ORDER, Modulus::new(limbs(&U256::from_be_hex(N))));
    }

    #[test]
    fn limb_conversions_round_trip() {
        let x = limbs(&U256::from_be_hex(N));
        assert_eq!(from_signed62(to_signed62(x)), x);
        let be: [u8; 32] = U256::from_be_hex(N).to_be_bytes().into();
        assert_eq!(words_from_be_bytes(&be), x);
        assert_eq!(be_bytes_from_words(&x), be);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn random_values_invert_like_crypto_bigint(words in any::<[u64; 4]>()) {
            for m_hex in [P, N] {
                let m = U256::from_be_hex(m_hex);
                let x = U256::from_words(words).rem_vartime(&m.to_nz().unwrap());
                check(&x, m_hex);
            }
        }
    }
}
