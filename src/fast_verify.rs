//! Fast ES256 verification: the same accept/reject decisions as
//! `<p256::ecdsa::VerifyingKey as Verifier<Signature>>::verify`, computed with p256 0.13's
//! faster field arithmetic and a variable-time double-scalar multiplication.
//!
//! Everything verification touches is public (the key, the message, the signature), so
//! variable-time code is fine here, unlike in [`fast_sign`](crate::fast_sign):
//!
//! ```text
//! w = s⁻¹,  u₁ = z·w,  u₂ = r·w,  R = u₁·G + u₂·Q,  accept ⇔ R ≠ O and x(R) mod n = r
//! ```
//!
//! `u₁·G` walks the signer's precomputed comb table, skipping zero digits (about 42 mixed
//! additions, no doublings); `u₂·Q` is a width-5 NAF over the odd multiples `Q, 3Q, …, 15Q`
//! (256 doublings and about 43 additions).

use p256::{
    ecdsa::{Signature, VerifyingKey},
    elliptic_curve::{ops::Reduce, sec1::ToSec1Point as _, PrimeField as _},
    FieldBytes, Scalar,
};
use p256_013::{
    elliptic_curve::{
        group::Group as _, point::AffineCoordinates as _, sec1::FromEncodedPoint as _,
    },
    AffinePoint as Affine013, EncodedPoint as Encoded013, ProjectivePoint as Projective013,
};
use sha2::{Digest, Sha256};

use crate::fast_sign::GeneratorTable;

/// NAF window width for the public-key multiple.
const NAF_WIDTH: u32 = 5;
/// Odd multiples `1, 3, …, 2^(w-1) - 1` of the public key.
const ODD_MULTIPLES: usize = 1 << (NAF_WIDTH - 2);

/// Verifies an ES256 signature over `msg` (hashed with SHA-256), deciding exactly as p256 0.14's
/// `VerifyingKey::verify` does (no low-S requirement). Variable-time: for public inputs only.
#[must_use]
pub fn verify_fast(key: &VerifyingKey, msg: &[u8], signature: &Signature) -> bool {
    let digest: FieldBytes = Sha256::digest(msg);
    let z = <Scalar as Reduce<FieldBytes>>::reduce(&digest);
    let (r, s) = signature.split_scalars();
    let (r, s): (Scalar, Scalar) = (*r, *s);
    let Some(w) = Option::<Scalar>::from(s.invert_vartime()) else {
        return false; // s ≠ 0 for every parsed signature; kept for safety
    };
    let (u1, u2) = (z * w, r * w);

    let Some(q) = to_013(key) else {
        return false;
    };
    let acc = mul_vartime(&Projective013::from(q), &u2);
    let big_r = GeneratorTable::global().add_mul_vartime(acc, &u1);
    if bool::from(big_r.is_identity()) {
        return false;
    }
    let x = big_r.to_affine().x();
    let x_mod_n = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(<[u8; 32]>::from(x)));
    x_mod_n == r
}

/// The public key as a p256 0.13 point, through its uncompressed SEC1 encoding.
fn to_013(key: &VerifyingKey) -> Option<Affine013> {
    let encoded = key.as_affine().to_sec1_point(false);
    let encoded = Encoded013::from_bytes(encoded.as_bytes()).ok()?;
    Option::from(Affine013::from_encoded_point(&encoded))
}

/// `k·P` with a width-5 NAF (variable time).
fn mul_vartime(point: &Projective013, k: &Scalar) -> Projective013 {
    let double = point.double();
    let mut odd = [*point; ODD_MULTIPLES]; // odd[j] = (2j+1)·P
    for j in 1..ODD_MULTIPLES {
        odd[j] = odd[j - 1] + double;
    }
    let naf = naf_digits(k);
    let mut acc = Projective013::IDENTITY;
    let mut started = false;
    for &digit in naf.iter().rev() {
        if started {
            acc = acc.double();
        }
        if digit > 0 {
            acc += odd[(digit as usize) / 2];
            started = true;
        } else if digit < 0 {
            acc -= odd[(digit.unsigned_abs() as usize) / 2];
            started = true;
        }
    }
    acc
}

/// Width-w non-adjacent form of `k`: digits in `{0, ±1, ±3, …, ±(2^(w-1) - 1)}`, least
/// significant first, with `k = Σ d_i·2^i` and at most one nonzero digit in any `w` consecutive.
fn naf_digits(k: &Scalar) -> [i8; 257] {
    let be = k.to_repr();
    let mut limbs = [0u64; 5]; // little-endian limbs, one spare for the carry of negative digits
    for (i, limb) in limbs.iter_mut().take(4).enumerate() {
        let start = 32 - 8 * (i + 1);
        *limb = u64::from_be_bytes(be[start..start + 8].try_into().expect("8 bytes"));
    }
    let mut naf = [0i8; 257];
    let modulus = 1i64 << NAF_WIDTH;
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
                let naf = naf_digits(&k);
                let mut back = Scalar::ZERO;
                for &d in naf.iter().rev() {
                    back = back.double();
                    let m = Scalar::from(u64::from(d.unsigned_abs()));
                    back += if d < 0 { -m } else { m };
                    assert!(
                        d == 0 || (d % 2 != 0 && i64::from(d).abs() < 16),
                        "digit {d}"
                    );
                }
                assert_eq!(back, k);
                for window in naf.windows(NAF_WIDTH as usize) {
                    assert!(window.iter().filter(|&&d| d != 0).count() <= 1);
                }
            }
        }
    }
}
