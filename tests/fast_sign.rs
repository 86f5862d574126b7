//! The fixed-base comb signer must agree bit-for-bit with stock p256 0.14 (k·G and whole
//! signatures), on edge and random scalars, random keys and messages, and RFC 6979 vectors.

use devtoken::hazmat::fast_sign::{
    mul_by_generator, mul_by_generator_x, sign_fast, GeneratorTable, WINDOWS, WINDOW_BITS,
};
use p256::{
    ecdsa::{signature::Signer, Signature, SigningKey},
    elliptic_curve::{ops::Reduce, point::AffineCoordinates, sec1::ToSec1Point, Group, PrimeField},
    FieldBytes, ProjectivePoint, Scalar, U256,
};
use proptest::prelude::*;

fn scalar_from_be(bytes: [u8; 32]) -> Scalar {
    <Scalar as Reduce<U256>>::reduce(&U256::from_be_slice(&bytes))
}

fn assert_same_point(k: &Scalar) {
    let stock = ProjectivePoint::mul_by_generator(k).to_affine();
    let fast = mul_by_generator(k).to_affine();
    assert_eq!(
        stock.to_sec1_point(false),
        fast.to_sec1_point(false),
        "k·G mismatch for k = {:?}",
        k.to_repr()
    );
    // The x-coordinate the signer uses, straight from p256 0.13 (zero for the identity, k = 0).
    assert_eq!(
        stock.x(),
        mul_by_generator_x(k),
        "x(k·G) mismatch for k = {:?}",
        k.to_repr()
    );
}

fn two_pow(k: u32) -> Scalar {
    (0..k).fold(Scalar::ONE, |acc, _| acc.double())
}

/// Scalars at the edges of the range and of the signed-digit recoding.
fn edge_scalars() -> Vec<Scalar> {
    let mut out = vec![Scalar::ZERO];
    for i in 1u64..=64 {
        out.push(Scalar::from(i)); // 1, 2, 3, ...
        out.push(-Scalar::from(i)); // n-1, n-2, n-3, ...
    }
    let half = -Scalar::TWO_INV; // (n-1)/2
    for i in 0u64..=8 {
        out.push(half + Scalar::from(i));
        out.push(half - Scalar::from(i));
    }
    for k in 0..=256 {
        let p = two_pow(k); // 2^k (reduced mod n for k = 256)
        out.push(p);
        out.push(p - Scalar::ONE); // all-ones patterns 2^k - 1
        out.push(p + Scalar::ONE);
        out.push(-p); // n - 2^k
        out.push(-p - Scalar::ONE);
    }
    for byte in [0xff, 0xaa, 0x55, 0x80, 0x7f, 0x01, 0xfe, 0x0f, 0xf0] {
        out.push(scalar_from_be([byte; 32]));
    }
    // Every window equal to the same value c: exercises digit 0, the largest positive digit
    // (32), the first negative one (33 → -31 with carry) and the carry chain (63, 64).
    for c in [0u64, 1, 31, 32, 33, 62, 63] {
        let mut acc = Scalar::ZERO;
        for i in 0..WINDOWS as u32 {
            acc += Scalar::from(c) * two_pow(i * WINDOW_BITS as u32);
        }
        out.push(acc);
        out.push(-acc);
        out.push(acc + Scalar::ONE);
        out.push(acc - Scalar::ONE);
    }
    out
}

#[test]
fn kg_edge_scalars() {
    let scalars = edge_scalars();
    for k in &scalars {
        assert_same_point(k);
    }
    eprintln!("kg_edge_scalars: {} edge scalars equal", scalars.len());
}

#[test]
fn kg_fresh_table_matches_global() {
    let table = GeneratorTable::new();
    for k in edge_scalars().iter().take(50) {
        assert_eq!(table.mul(k).to_affine(), mul_by_generator(k).to_affine());
    }
}

#[test]
fn kg_random_loop() {
    const N: usize = 5_000;
    for _ in 0..N {
        let k = *p256::NonZeroScalar::generate();
        assert_same_point(&k);
    }
    eprintln!("kg_random_loop: {N} random scalars equal");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn kg_proptest(bytes in any::<[u8; 32]>()) {
        assert_same_point(&scalar_from_be(bytes));
    }

    #[test]
    fn sign_proptest(key in any::<[u8; 32]>(), msg in proptest::collection::vec(any::<u8>(), 0..300)) {
        let key_bytes: FieldBytes = key.into();
        if let Ok(key) = SigningKey::from_bytes(&key_bytes) {
            let stock: Signature = key.sign(&msg);
            prop_assert_eq!(stock.to_bytes(), sign_fast(&key, &msg).to_bytes());
        }
    }
}

use p256::elliptic_curve::Generate;

#[test]
fn sign_random_keys_and_messages() {
    const KEYS: usize = 2_500;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..KEYS {
        let key = SigningKey::generate();
        // Message length and content vary per key (xorshift, reproducibility not needed).
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 512) as usize;
        let msg: Vec<u8> = (0..len)
            .map(|j| (seed >> (j % 57)) as u8 ^ i as u8)
            .collect();
        let stock: Signature = key.sign(&msg);
        assert_eq!(
            stock.to_bytes(),
            sign_fast(&key, &msg).to_bytes(),
            "key #{i}"
        );
    }
    eprintln!("sign_random_keys_and_messages: {KEYS} random keys equal");
}

#[test]
fn sign_fixed_keys() {
    let keys: Vec<[u8; 32]> = vec![
        // RFC 6979 A.2.5 key.
        hex32("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"),
        // 1, n-1 and other extreme keys.
        hex32("0000000000000000000000000000000000000000000000000000000000000001"),
        hex32("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550"),
        hex32("7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8"),
        hex32("00000000000000000000000000000000ffffffffffffffffffffffffffffffff"),
    ];
    let mut count = 0;
    for key in keys {
        let key = SigningKey::from_bytes(&key.into()).expect("valid key");
        for len in 0..400usize {
            let msg: Vec<u8> = (0..len).map(|j| (j * 31 + len) as u8).collect();
            let stock: Signature = key.sign(&msg);
            assert_eq!(stock.to_bytes(), sign_fast(&key, &msg).to_bytes());
            count += 1;
        }
    }
    eprintln!("sign_fixed_keys: {count} signatures equal");
}

#[test]
fn rfc6979_vectors() {
    let key = SigningKey::from_bytes(
        &hex32("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721").into(),
    )
    .unwrap();
    let expected_sample = "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716\
                           f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";
    let expected_test = "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367\
                         019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083";
    assert_eq!(hex(&sign_fast(&key, b"sample").to_bytes()), expected_sample);
    assert_eq!(hex(&sign_fast(&key, b"test").to_bytes()), expected_test);
}

fn hex32(s: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
