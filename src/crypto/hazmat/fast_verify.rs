//! Fast ES256 verification: the same accept/reject decisions as
//! `<p256::ecdsa::VerifyingKey as Verifier<Signature>>::verify`, computed with p256 0.13's
//! faster field arithmetic and a variable-time double-scalar multiplication.
//!
//! Everything verification touches is public (the key, the message, the signature), so
//! variable-time code is fine here, unlike in [`fast_sign`](crate::crypto::hazmat::fast_sign):
//!
//! ```text
//! w = s⁻¹,  u₁ = z·w,  u₂ = r·w,  R = u₁·G + u₂·Q,  accept ⇔ R ≠ O and x(R) mod n = r
//! ```
//!
//! `R` is computed in Jacobian coordinates (`x = X/Z²`, `y = Y/Z³`) with Straus' interleaving:
//! one chain of 256 doublings (`a = -3` formulas, 3M + 5S each) into which the width-7 NAF
//! digits of `u₁` add odd multiples `G, 3G, …, 63G` (affine, precomputed once; mixed additions)
//! and the width-5 NAF digits of `u₂` add `Q, 3Q, …, 15Q` (Jacobian, computed per call). The
//! formulas are Bernstein–Lange's `dbl-2001-b`, `madd-2007-bl` and `add-2007-bl` (Explicit-Formulas
//! Database); their exceptional cases (a point at infinity, equal or opposite points) are
//! branched on, which only public data decides. The final check compares `X` with `r·Z²` (and
//! `(r + n)·Z²` when `r + n < p`) instead of inverting `Z`.

use std::sync::LazyLock;

use p256::{
    ecdsa::{Signature, VerifyingKey},
    elliptic_curve::{ops::Reduce, sec1::ToSec1Point as _, PrimeField as _},
    FieldBytes, Scalar,
};
use p256_013::{
    elliptic_curve::{
        group::{Curve as _, Group as _},
        sec1::ToEncodedPoint as _,
    },
    AffinePoint as Affine013, FieldElement as Fe, ProjectivePoint as Projective013,
};
use sha2::{Digest, Sha256};

/// NAF width for the public key's multiple (8 odd multiples computed per call).
const Q_WIDTH: u32 = 5;
/// NAF width for the generator's multiple (32 odd multiples, computed once).
const G_WIDTH: u32 = 7;
/// `p - n` for P-256, big-endian: `r + n` is a possible `x(R)` only when `r < p - n`.
const P_MINUS_N: [u8; 32] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x43, 0x19, 0x05, 0x53, 0x58, 0xe8, 0x61, 0x7b,
    0x0c, 0x46, 0x35, 0x3d, 0x03, 0x9c, 0xda, 0xae,
];

/// Verifies an ES256 signature over `msg` (hashed with SHA-256), deciding exactly as p256 0.14's
/// `VerifyingKey::verify` does (no low-S requirement). Variable-time: for public inputs only.
#[must_use]
pub fn verify_fast(key: &VerifyingKey, msg: &[u8], signature: &Signature) -> bool {
    verify_digest_fast(key, &Sha256::digest(msg).into(), signature)
}

/// Like [`verify_fast`] for a SHA-256 digest already computed (an external signer's check).
#[must_use]
pub fn verify_digest_fast(key: &VerifyingKey, digest: &[u8; 32], signature: &Signature) -> bool {
    let digest: FieldBytes = (*digest).into();
    let z = <Scalar as Reduce<FieldBytes>>::reduce(&digest);
    let (r, s) = signature.split_scalars();
    let (r, s): (Scalar, Scalar) = (*r, *s);
    let Some(w) = Option::<Scalar>::from(s.invert_vartime()) else {
        return false; // s ≠ 0 for every parsed signature; kept for safety
    };
    let (u1, u2) = (z * w, r * w);

    let encoded = key.as_affine().to_sec1_point(false);
    let Some((qx, qy)) = encoded
        .as_bytes()
        .get(1..65)
        .and_then(|xy| Some((fe(&xy[..32])?, fe(&xy[32..])?)))
    else {
        return false; // a verifying key is never the identity; kept for safety
    };

    let big_r = double_mul(&u1, &u2, &qx, &qy);
    if big_r.is_identity() {
        return false;
    }
    x_matches(&big_r, &r.to_repr().into())
}

/// `u₁·G + u₂·Q` by Straus' method over the two NAFs.
fn double_mul(u1: &Scalar, u2: &Scalar, qx: &Fe, qy: &Fe) -> Jacobian {
    let g_odd = &*G_ODD_MULTIPLES;
    let q = Jacobian::from_affine(qx, qy);
    let q2 = q.double();
    let mut q_odd = [q; 1 << (Q_WIDTH - 2)]; // q_odd[j] = (2j+1)·Q
    for j in 1..q_odd.len() {
        q_odd[j] = q_odd[j - 1].add(&q2);
    }

    let naf_g = naf_digits(u1, G_WIDTH);
    let naf_q = naf_digits(u2, Q_WIDTH);
    let mut acc = Jacobian::IDENTITY;
    for i in (0..naf_g.len()).rev() {
        if !acc.is_identity() {
            acc = acc.double();
        }
        let (dq, dg) = (naf_q[i], naf_g[i]);
        if dq != 0 {
            let point = q_odd[usize::from(dq.unsigned_abs() / 2)];
            acc = acc.add(&if dq < 0 { point.neg() } else { point });
        }
        if dg != 0 {
            let (x, y) = &g_odd[usize::from(dg.unsigned_abs() / 2)];
            acc = acc.add_affine(x, &if dg < 0 { -*y } else { *y });
        }
    }
    acc
}

/// Whether `x(R) mod n = r`, without inverting `Z`: `x(R) = X/Z²` is below `p < 2n`, so it is
/// either `r` or `r + n` (the latter only when `r + n < p`).
fn x_matches(point: &Jacobian, r: &[u8; 32]) -> bool {
    let zz = point.z.square();
    let r_fe = fe(r).expect("r < n < p");
    if point.x == r_fe * zz {
        return true;
    }
    if r < &P_MINUS_N {
        let n = <p256::NistP256 as p256::elliptic_curve::Curve>::ORDER.to_be_bytes();
        let mut sum = [0u8; 32];
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let t = u16::from(r[i]) + u16::from(n[i]) + carry;
            sum[i] = t as u8;
            carry = t >> 8;
        }
        // r + n < p < 2^256: no carry out.
        return point.x == fe(&sum).expect("r + n < p") * zz;
    }
    false
}

/// A canonical big-endian field element, or `None` if it is not below `p`.
fn fe(bytes: &[u8]) -> Option<Fe> {
    let bytes: [u8; 32] = bytes.try_into().ok()?;
    Option::from(Fe::from_bytes(&bytes.into()))
}

/// `G, 3G, …, (2^(G_WIDTH-1) - 1)·G` as affine coordinates, computed on first use.
static G_ODD_MULTIPLES: LazyLock<Vec<(Fe, Fe)>> = LazyLock::new(|| {
    let g = Projective013::GENERATOR;
    let g2 = g.double();
    let mut odd = vec![g];
    for _ in 1..1 << (G_WIDTH - 2) {
        odd.push(odd[odd.len() - 1] + g2);
    }
    let mut affine = vec![Affine013::IDENTITY; odd.len()];
    Projective013::batch_normalize(&odd, &mut affine);
    affine
        .iter()
        .map(|point| {
            let encoded = point.to_encoded_point(false);
            let xy = &encoded.as_bytes()[1..];
            (
                fe(&xy[..32]).expect("coordinate below p"),
                fe(&xy[32..]).expect("coordinate below p"),
            )
        })
        .collect()
});

/// A point in Jacobian coordinates on P-256 (`y² = x³ - 3x + b`); `Z = 0` is the identity.
#[derive(Clone, Copy)]
struct Jacobian {
    x: Fe,
    y: Fe,
    z: Fe,
}

impl Jacobian {
    const IDENTITY: Self = Self {
        x: Fe::ONE,
        y: Fe::ONE,
        z: Fe::ZERO,
    };

    fn from_affine(x: &Fe, y: &Fe) -> Self {
        Self {
            x: *x,
            y: *y,
            z: Fe::ONE,
        }
    }

    fn is_identity(&self) -> bool {
        bool::from(self.z.is_zero())
    }

    fn neg(&self) -> Self {
        Self {
            y: -self.y,
            ..*self
        }
    }

    /// `dbl-2001-b` for `a = -3`: 3M + 5S. Maps the identity (`Z = 0`) to itself.
    fn double(&self) -> Self {
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x * gamma;
        let t = (self.x - delta) * (self.x + delta);
        let alpha = t.double() + t;
        let beta4 = beta.double().double();
        let x3 = alpha.square() - beta4.double();
        let z3 = (self.y + self.z).square() - gamma - delta;
        let y3 = alpha * (beta4 - x3) - gamma.square().double().double().double();
        Self {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// `self + (x2, y2)` for an affine point other than the identity: `madd-2007-bl`, 7M + 4S.
    fn add_affine(&self, x2: &Fe, y2: &Fe) -> Self {
        if self.is_identity() {
            return Self::from_affine(x2, y2);
        }
        let z1z1 = self.z.square();
        let u2 = *x2 * z1z1;
        let s2 = *y2 * self.z * z1z1;
        let h = u2 - self.x;
        let r = (s2 - self.y).double();
        if bool::from(h.is_zero()) {
            // Same x: the same point (double it) or its negation (the sum is the identity).
            return if bool::from(r.is_zero()) {
                self.double()
            } else {
                Self::IDENTITY
            };
        }
        let hh = h.square();
        let i = hh.double().double();
        let j = h * i;
        let v = self.x * i;
        let x3 = r.square() - j - v.double();
        let y3 = r * (v - x3) - (self.y * j).double();
        let z3 = (self.z + h).square() - z1z1 - hh;
        Self {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// `self + other`: `add-2007-bl`, 11M + 5S.
    fn add(&self, other: &Self) -> Self {
        if self.is_identity() {
            return *other;
        }
        if other.is_identity() {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = other.z.square();
        let u1 = self.x * z2z2;
        let u2 = other.x * z1z1;
        let s1 = self.y * other.z * z2z2;
        let s2 = other.y * self.z * z1z1;
        let h = u2 - u1;
        let r = (s2 - s1).double();
        if bool::from(h.is_zero()) {
            return if bool::from(r.is_zero()) {
                self.double()
            } else {
                Self::IDENTITY
            };
        }
        let i = h.double().square();
        let j = h * i;
        let v = u1 * i;
        let x3 = r.square() - j - v.double();
        let y3 = r * (v - x3) - (s1 * j).double();
        let z3 = ((self.z + other.z).square() - z1z1 - z2z2) * h;
        Self {
            x: x3,
            y: y3,
            z: z3,
        }
    }
}

/// Width-w non-adjacent form of `k` (`2 ≤ w ≤ 8`): digits in `{0, ±1, ±3, …, ±(2^(w-1) - 1)}`,
/// least significant first, with `k = Σ d_i·2^i` and at most one nonzero digit in any `w`
/// consecutive ones.
fn naf_digits(k: &Scalar, width: u32) -> [i8; 257] {
    let be = k.to_repr();
    let mut limbs = [0u64; 5]; // little-endian limbs, one spare for the carry of negative digits
    for (i, limb) in limbs.iter_mut().take(4).enumerate() {
        let start = 32 - 8 * (i + 1);
        *limb = u64::from_be_bytes(be[start..start + 8].try_into().expect("8 bytes"));
    }
    let mut naf = [0i8; 257];
    let modulus = 1i64 << width;
    for digit in naf.iter_mut() {
        if limbs.iter().all(|&l| l == 0) {
            break;
        }
        if limbs[0] & 1 == 1 {
            let mut d = (limbs[0] & (modulus as u64 - 1)) as i64;
            if d >= modulus / 2 {
                d -= modulus;
            }
            *digit = d as i8;
            // k -= d: clears the low w bits.
            if d > 0 {
                sub_small(&mut limbs, d as u64);
            } else {
                add_small(&mut limbs, d.unsigned_abs());
            }
        }
        for i in 0..4 {
            limbs[i] = (limbs[i] >> 1) | (limbs[i + 1] << 63);
        }
        limbs[4] >>= 1;
    }
    naf
}

fn add_small(limbs: &mut [u64; 5], mut v: u64) {
    for limb in limbs.iter_mut() {
        let (sum, carry) = limb.overflowing_add(v);
        *limb = sum;
        v = u64::from(carry);
    }
}

fn sub_small(limbs: &mut [u64; 5], mut v: u64) {
    for limb in limbs.iter_mut() {
        let (diff, borrow) = limb.overflowing_sub(v);
        *limb = diff;
        v = u64::from(borrow);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Σ d_i·2^i over the scalar field must give back k, and the NAF shape must hold.
    #[test]
    fn naf_digits_recompose_the_scalar() {
        let mut k = Scalar::from(0x0123_4567_89ab_cdefu64);
        for round in 0..200u64 {
            k = k * k + Scalar::from(round + 7);
            for k in [k, -k, Scalar::ONE, -Scalar::ONE, Scalar::ZERO] {
                for width in [Q_WIDTH, G_WIDTH] {
                    let naf = naf_digits(&k, width);
                    let mut back = Scalar::ZERO;
                    for &d in naf.iter().rev() {
                        back = back.double();
                        let m = Scalar::from(u64::from(d.unsigned_abs()));
                        back += if d < 0 { -m } else { m };
                        let bound = 1i32 << (width - 1);
                        assert!(d == 0 || (d % 2 != 0 && i32::from(d).abs() < bound), "{d}");
                    }
                    assert_eq!(back, k);
                    for window in naf.windows(width as usize) {
                        assert!(window.iter().filter(|&&d| d != 0).count() <= 1);
                    }
                }
            }
        }
    }

    fn affine_bytes(point: &Jacobian) -> Option<[u8; 64]> {
        if point.is_identity() {
            return None;
        }
        let z_inv = point.z.invert().unwrap();
        let (x, y) = (point.x * z_inv.square(), point.y * z_inv.square() * z_inv);
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&x.to_bytes());
        out[32..].copy_from_slice(&y.to_bytes());
        Some(out)
    }

    fn affine_bytes_013(point: &Projective013) -> Option<[u8; 64]> {
        let encoded = point.to_affine().to_encoded_point(false);
        let bytes = encoded.as_bytes();
        (bytes.len() == 65).then(|| bytes[1..].try_into().unwrap())
    }

    fn jacobian(point: &Projective013) -> Jacobian {
        match affine_bytes_013(point) {
            None => Jacobian::IDENTITY,
            Some(xy) => Jacobian::from_affine(&fe(&xy[..32]).unwrap(), &fe(&xy[32..]).unwrap()),
        }
    }

    fn scalar_013(k: &Scalar) -> p256_013::Scalar {
        use p256_013::elliptic_curve::PrimeField as _;
        p256_013::Scalar::from_repr(<[u8; 32]>::from(k.to_repr()).into()).unwrap()
    }

    /// The Jacobian formulas, including every exceptional case, against p256 0.13's points.
    #[test]
    fn jacobian_formulas_match_p256_013() {
        let g = Projective013::GENERATOR;
        let points = [
            g,
            g.double(),
            g * scalar_013(&Scalar::from(0x1234_5678u64)),
            -g,
        ];
        for p in &points {
            let jp = jacobian(p);
            assert_eq!(affine_bytes(&jp.double()), affine_bytes_013(&p.double()));
            // Scaled Z (the same point as (X·λ², Y·λ³, λ)) exercises Z ≠ 1.
            let lambda = Fe::from_u64(7);
            let scaled = Jacobian {
                x: jp.x * lambda.square(),
                y: jp.y * lambda.square() * lambda,
                z: lambda,
            };
            for q in &points {
                let jq = jacobian(q);
                let expected = affine_bytes_013(&(p + q));
                assert_eq!(affine_bytes(&scaled.add(&jq)), expected);
                assert_eq!(affine_bytes(&jq.add(&scaled)), expected);
                assert_eq!(affine_bytes(&scaled.add_affine(&jq.x, &jq.y)), expected);
            }
            assert_eq!(
                affine_bytes(&Jacobian::IDENTITY.add(&jp)),
                affine_bytes_013(p)
            );
            assert_eq!(
                affine_bytes(&jp.add(&Jacobian::IDENTITY)),
                affine_bytes_013(p)
            );
            let sum = Jacobian::IDENTITY.add_affine(&jp.x, &jp.y);
            assert_eq!(affine_bytes(&sum), affine_bytes_013(p));
            assert!(Jacobian::IDENTITY.double().is_identity());
        }
    }

    /// u₁·G + u₂·Q against p256 0.13's scalar multiplication, on edge scalars (sums that are
    /// the identity, doublings inside the chain) and derived ones.
    #[test]
    fn double_mul_matches_p256_013() {
        let g = Projective013::GENERATOR;
        let mut scalars = vec![Scalar::ZERO, Scalar::ONE, Scalar::from(2u64), -Scalar::ONE];
        let mut k = Scalar::from(0xdead_beefu64);
        for _ in 0..12 {
            k = k * k + Scalar::ONE;
            scalars.push(k);
        }
        for q_scalar in [Scalar::ONE, Scalar::from(2u64), -Scalar::ONE, k] {
            let q = g * scalar_013(&q_scalar);
            let jq = jacobian(&q);
            for u1 in &scalars {
                for u2 in scalars
                    .iter()
                    .chain([-*u1 * q_scalar.invert().unwrap()].iter())
                {
                    let expected = g * scalar_013(u1) + q * scalar_013(u2);
                    let got = double_mul(u1, u2, &jq.x, &jq.y);
                    assert_eq!(affine_bytes(&got), affine_bytes_013(&expected));
                }
            }
        }
    }
}
