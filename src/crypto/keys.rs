//! Loading the `.p8` private key Apple issues, and the public key that checks its tokens.
//!
//! [`PrivateKey::from_pem`] reads what users actually paste: PKCS#8 `PRIVATE KEY` PEM (Apple's
//! `.p8`), SEC1 `EC PRIVATE KEY` PEM, raw PKCS#8 or SEC1 DER, a bare base64 body, a whole PEM
//! base64-encoded once more (as Kubernetes secrets hold it), CRLF line ends, surrounding quotes or
//! whitespace, a key squashed onto one line, and literal `\n` escapes from environment variables.
//! Everything else is refused with a [`KeyProblem`] that says what the input was instead.
//!
//! Key bytes live only in RustCrypto's `SigningKey`, which zeroizes on drop; every intermediate
//! copy made here sits in a [`Zeroizing`] buffer. `Debug` never shows key material.

use std::fmt;
use std::path::Path;

use base64::Engine;
use p256::ecdsa::{SigningKey, VerifyingKey};
use p256::elliptic_curve::Generate;
use p256::pkcs8::der::{Decode, ErrorKind as DerErrorKind};
use p256::pkcs8::spki::SubjectPublicKeyInfoRef;
use p256::pkcs8::PrivateKeyInfoRef;
use p256::pkcs8::{
    DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding, ObjectIdentifier,
};
use sec1::EcPrivateKey;
use zeroize::Zeroizing;

use crate::contract::error::{Error, KeyProblem, Result};
use crate::contract::options::MAX_KEY_BYTES;

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";

/// Human names for the algorithm and curve OIDs users most often hand us by mistake.
const KNOWN_OIDS: &[(&str, &str)] = &[
    ("1.2.840.10045.3.1.7", "P-256"),
    ("1.3.132.0.34", "P-384"),
    ("1.3.132.0.35", "P-521"),
    ("1.3.132.0.10", "secp256k1"),
    ("1.2.840.113549.1.1.1", "RSA"),
    ("1.2.840.113549.1.1.10", "RSA-PSS"),
    ("1.3.101.110", "X25519"),
    ("1.3.101.111", "X448"),
    ("1.3.101.112", "Ed25519"),
    ("1.3.101.113", "Ed448"),
    ("1.2.840.10040.4.1", "DSA"),
];

fn oid_name(oid: &ObjectIdentifier) -> String {
    let text = oid.to_string();
    KNOWN_OIDS
        .iter()
        .find(|(known, _)| *known == text)
        .map(|(_, name)| name.to_string())
        .unwrap_or(text)
}

/// A P-256 private key, ready to sign. Zeroized on drop; `Debug` prints no key material.
///
/// ```
/// use devtoken::PrivateKey;
/// let key = PrivateKey::generate().unwrap();
/// let again = PrivateKey::from_pem(&key.to_pkcs8_pem()).unwrap();
/// assert_eq!(key.public_key(), again.public_key());
/// assert_eq!(format!("{key:?}"), "PrivateKey(P-256, ..)");
/// ```
#[derive(Clone)]
pub struct PrivateKey {
    signing_key: SigningKey,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(P-256, ..)")
    }
}

impl PrivateKey {
    /// Parses a key from text: PEM in any of the forms users paste (see the module docs).
    pub fn from_pem(text: &str) -> Result<Self> {
        check_key_size(text.len() as u64)?;
        let normalized = normalize_pasted_text(text);
        if normalized.is_empty() {
            return Err(Error::key(KeyProblem::Empty));
        }
        if let Some(block) = find_pem_block(&normalized)? {
            return Self::from_pem_block(&block);
        }
        // No PEM armour: a bare base64 body of DER, or a whole PEM base64-encoded once more.
        let compact = without_whitespace(std::iter::once(normalized.as_str()), normalized.len());
        let decoded = decode_base64(&compact).map_err(|_| {
            Error::key(KeyProblem::NotAKey {
                detail: "no -----BEGIN PRIVATE KEY----- line and not base64".to_string(),
            })
        })?;
        match std::str::from_utf8(&decoded) {
            Ok(inner) if inner.contains("-----BEGIN") => Self::from_pem(inner),
            _ => Self::from_der(&decoded),
        }
    }

    /// Parses a key from bytes: PEM text (as [`from_pem`](Self::from_pem)) or DER.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_key_size(bytes.len() as u64)?;
        if bytes.first() == Some(&0x30) {
            return Self::from_der(bytes);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Self::from_pem(text),
            Err(_) => Self::from_der(bytes),
        }
    }

    /// Parses DER: PKCS#8 `PrivateKeyInfo` or SEC1 `ECPrivateKey`.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        if der.is_empty() {
            return Err(Error::key(KeyProblem::Empty));
        }
        check_key_size(der.len() as u64)?;
        match PrivateKeyInfoRef::from_der(der) {
            Ok(info) => Self::from_pkcs8_info(info),
            Err(pkcs8_error) => {
                if let Ok(key) = EcPrivateKey::from_der(der) {
                    return Self::from_sec1(key);
                }
                if looks_password_encrypted(der) {
                    return Err(Error::key(KeyProblem::Encrypted));
                }
                if SubjectPublicKeyInfoRef::from_der(der).is_ok() {
                    return Err(Error::key(KeyProblem::PublicKeyGiven));
                }
                Err(Error::key(der_problem(pkcs8_error.kind())))
            }
        }
    }

    /// Reads a key file (`AuthKey_ABC123DEFG.p8`), PEM or DER.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let bytes = read_secret_file(path.as_ref())?;
        Self::from_bytes(&bytes)
    }

    /// A fresh random P-256 key from the operating system's random source (for local testing).
    pub fn generate() -> Result<Self> {
        let signing_key =
            SigningKey::try_generate().map_err(|_| Error::key(KeyProblem::RandomSource))?;
        Ok(PrivateKey { signing_key })
    }

    /// The key as a PKCS#8 PEM, the format of Apple's `.p8` files (in a zeroizing buffer).
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        // Encoding a valid in-memory key cannot fail; an empty string would be refused on load.
        self.signing_key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| Zeroizing::new(pem.to_string()))
            .unwrap_or_default()
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            verifying_key: *self.signing_key.verifying_key(),
        }
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.signing_key
    }

    fn from_pem_block(block: &PemBlock) -> Result<Self> {
        match block.label.as_str() {
            "PRIVATE KEY" => {
                let der = block.decode()?;
                Self::from_der(&der)
            }
            "EC PRIVATE KEY" => {
                if block.encrypted_headers {
                    return Err(Error::key(KeyProblem::Encrypted));
                }
                let der = block.decode()?;
                Self::from_der(&der)
            }
            "ENCRYPTED PRIVATE KEY" => Err(Error::key(KeyProblem::Encrypted)),
            "PUBLIC KEY" | "EC PUBLIC KEY" => Err(Error::key(KeyProblem::PublicKeyGiven)),
            "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
                Err(Error::key(KeyProblem::CertificateGiven))
            }
            "RSA PRIVATE KEY" | "RSA PUBLIC KEY" => Err(Error::key(KeyProblem::WrongAlgorithm {
                algorithm: "RSA".to_string(),
            })),
            "DSA PRIVATE KEY" => Err(Error::key(KeyProblem::WrongAlgorithm {
                algorithm: "DSA".to_string(),
            })),
            // The label is the caller's text (a key body can sit where a label belongs).
            other => Err(Error::key(KeyProblem::UnsupportedPemLabel {
                label: crate::base::text::shorten(other, 40),
            })),
        }
    }

    fn from_pkcs8_info(info: PrivateKeyInfoRef<'_>) -> Result<Self> {
        let algorithm = info.algorithm.oid;
        if algorithm.to_string() != OID_EC_PUBLIC_KEY {
            return Err(Error::key(KeyProblem::WrongAlgorithm {
                algorithm: oid_name(&algorithm),
            }));
        }
        let curve = info.algorithm.parameters_oid().map_err(|_| {
            Error::key(KeyProblem::NotAKey {
                detail: "EC key without a named curve".to_string(),
            })
        })?;
        if curve.to_string() != OID_P256 {
            return Err(Error::key(KeyProblem::WrongCurve {
                curve: oid_name(&curve),
            }));
        }
        let sec1 = EcPrivateKey::from_der(info.private_key.as_bytes())
            .map_err(|e| Error::key(der_problem(e.kind())))?;
        Self::from_sec1(sec1)
    }

    fn from_sec1(key: EcPrivateKey<'_>) -> Result<Self> {
        if let Some(parameters) = key.parameters {
            if let Some(curve) = parameters.named_curve() {
                if curve.to_string() != OID_P256 {
                    return Err(Error::key(KeyProblem::WrongCurve {
                        curve: oid_name(&curve),
                    }));
                }
            }
        }
        if key.private_key.len() != 32 {
            return Err(Error::key(KeyProblem::WrongCurve {
                curve: format!("of {}-byte scalars (not P-256)", key.private_key.len()),
            }));
        }
        let signing_key = SigningKey::from_slice(key.private_key)
            .map_err(|_| Error::key(KeyProblem::ScalarOutOfRange))?;
        Ok(PrivateKey { signing_key })
    }
}

/// A P-256 public key, used to verify tokens.
///
/// ```
/// use devtoken::{PrivateKey, PublicKey};
/// let public = PrivateKey::generate().unwrap().public_key();
/// let pem = public.to_pem();
/// assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
/// assert_eq!(PublicKey::from_pem(&pem).unwrap(), public);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    verifying_key: VerifyingKey,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PublicKey({})",
            self.to_pem().lines().nth(1).unwrap_or("")
        )
    }
}

impl PublicKey {
    /// Parses an SPKI `PUBLIC KEY` PEM; a private key PEM is accepted too (its public half is used).
    pub fn from_pem(text: &str) -> Result<Self> {
        check_key_size(text.len() as u64)?;
        let normalized = normalize_pasted_text(text);
        match find_pem_block(&normalized)? {
            Some(block) if block.label == "PUBLIC KEY" => {
                let der = block.decode()?;
                Self::from_der(&der)
            }
            Some(block) if block.label == "CERTIFICATE" => {
                Err(Error::key(KeyProblem::BadPublicKey {
                    detail: "a certificate; extract its key with openssl x509 -pubkey -noout"
                        .to_string(),
                }))
            }
            _ => PrivateKey::from_pem(text).map(|key| key.public_key()),
        }
    }

    /// Parses SPKI DER (a private key's DER is accepted too).
    pub fn from_der(der: &[u8]) -> Result<Self> {
        check_key_size(der.len() as u64)?;
        match VerifyingKey::from_public_key_der(der) {
            Ok(verifying_key) => Ok(PublicKey { verifying_key }),
            Err(spki_error) => match PrivateKey::from_der(der) {
                Ok(key) => Ok(key.public_key()),
                Err(_) => Err(Error::key(KeyProblem::BadPublicKey {
                    detail: spki_error.to_string(),
                })),
            },
        }
    }

    /// Parses a SEC1 point (`04 || x || y`, or compressed): what PKCS#11's `CKA_EC_POINT` and
    /// many KMS APIs give.
    pub fn from_sec1_bytes(bytes: &[u8]) -> Result<Self> {
        VerifyingKey::from_sec1_bytes(bytes)
            .map(|verifying_key| PublicKey { verifying_key })
            .map_err(|_| {
                Error::key(KeyProblem::BadPublicKey {
                    detail: format!("{} bytes that are not a SEC1 P-256 point", bytes.len()),
                })
            })
    }

    /// Reads a public or private key file, PEM or DER.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_bytes(&read_secret_file(path.as_ref())?)
    }

    /// Parses bytes: PEM text (as [`from_pem`](Self::from_pem)) or DER.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        check_key_size(bytes.len() as u64)?;
        if bytes.first() == Some(&0x30) {
            return Self::from_der(bytes);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Self::from_pem(text),
            Err(_) => Self::from_der(bytes),
        }
    }

    /// The key as an SPKI `PUBLIC KEY` PEM with `\n` line ends.
    pub fn to_pem(&self) -> String {
        self.verifying_key
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// The key as SPKI DER.
    pub fn to_der(&self) -> Vec<u8> {
        self.verifying_key
            .to_public_key_der()
            .map(|doc| doc.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The uncompressed SEC1 point (65 bytes, `04 || x || y`).
    pub fn to_sec1_bytes(&self) -> Vec<u8> {
        self.verifying_key.to_sec1_point(false).as_bytes().to_vec()
    }

    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        &self.verifying_key
    }
}

fn read_secret_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    use std::io::Read;
    let io = |e: std::io::Error| Error::Io {
        path: crate::base::text::shorten(&path.display().to_string(), 300),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    check_key_size(size)?;
    // One allocation at the final size (plus one byte to see a file that grew), so no
    // reallocation leaves a copy of the key behind.
    let mut bytes = Zeroizing::new(Vec::with_capacity(size as usize + 1));
    file.take(MAX_KEY_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    check_key_size(bytes.len() as u64)?;
    Ok(bytes)
}

/// Refuses more than [`MAX_KEY_BYTES`] of key input.
fn check_key_size(size: u64) -> Result<()> {
    if size > MAX_KEY_BYTES as u64 {
        return Err(Error::key(KeyProblem::TooLarge {
            size,
            limit: MAX_KEY_BYTES as u64,
        }));
    }
    Ok(())
}

/// Whether DER that is not a plain key names a password-based encryption scheme (PKCS#5 PBES1/2
/// or PKCS#12 PBE), i.e. is an `EncryptedPrivateKeyInfo`. Only called on input that failed to parse.
fn looks_password_encrypted(der: &[u8]) -> bool {
    const PKCS5_PREFIX: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05];
    const PKCS12_PBE_PREFIX: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];
    let head = &der[..der.len().min(32)];
    [PKCS5_PREFIX, PKCS12_PBE_PREFIX]
        .iter()
        .any(|prefix| head.windows(prefix.len()).any(|window| window == *prefix))
}

fn der_problem(kind: DerErrorKind) -> KeyProblem {
    match kind {
        DerErrorKind::Incomplete { .. } => KeyProblem::Truncated,
        DerErrorKind::TrailingData { .. } => KeyProblem::NotAKey {
            detail: "extra bytes after the key".to_string(),
        },
        other => KeyProblem::NotAKey {
            detail: format!("DER: {other}"),
        },
    }
}

/// Undoes what copying a key through shells, JSON and environment variables does to it.
///
/// Every intermediate copy is a [`Zeroizing`] buffer allocated once at its final capacity (each
/// step only shortens the text), so no freed block keeps key text.
fn normalize_pasted_text(text: &str) -> Zeroizing<String> {
    let mut text = text.trim();
    // Quotes left around a value copied out of a .env file or JSON.
    for quote in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(quote) && text.ends_with(quote) {
            text = text[1..text.len() - 1].trim();
        }
    }
    let mut unescaped = Zeroizing::new(text.to_owned());
    for from in ["\\r\\n", "\\n", "\\r", "\r\n", "\r"] {
        unescaped = replace_with_newline(&unescaped, from);
    }
    let mut trimmed = Zeroizing::new(String::with_capacity(unescaped.len()));
    trimmed.push_str(unescaped.trim());
    trimmed
}

/// `text` with every `from` replaced by a newline, in a buffer that never grows (`from` is at
/// least one byte, so the result is never longer than `text`).
fn replace_with_newline(text: &str, from: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(text.len()));
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        out.push_str(&rest[..at]);
        out.push('\n');
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

/// `text` without whitespace, in a buffer allocated once.
fn without_whitespace<'a>(
    parts: impl Iterator<Item = &'a str>,
    capacity: usize,
) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(capacity));
    for part in parts {
        out.extend(part.chars().filter(|c| !c.is_whitespace()));
    }
    out
}

struct PemBlock {
    label: String,
    body: Zeroizing<String>,
    encrypted_headers: bool,
}

impl PemBlock {
    fn decode(&self) -> Result<Zeroizing<Vec<u8>>> {
        decode_base64(&self.body).map_err(|_| Error::key(KeyProblem::BadBase64))
    }
}

fn decode_base64(text: &str) -> std::result::Result<Zeroizing<Vec<u8>>, base64::DecodeError> {
    let engine = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine.decode(text.as_bytes()).map(Zeroizing::new)
}

/// Finds the first PEM block, tolerating a block squashed onto one line (spaces for newlines).
fn find_pem_block(text: &str) -> Result<Option<PemBlock>> {
    let Some(begin) = text.find("-----BEGIN ") else {
        if text.contains("-----END ") {
            return Err(Error::key(KeyProblem::UnbalancedPem));
        }
        return Ok(None);
    };
    let after_begin = &text[begin + "-----BEGIN ".len()..];
    let Some(label_end) = after_begin.find("-----") else {
        return Err(Error::key(KeyProblem::UnbalancedPem));
    };
    let label = after_begin[..label_end].trim().to_string();
    let rest = &after_begin[label_end + 5..];
    let end_marker = format!("-----END {label}-----");
    let Some(end) = rest.find(&end_marker) else {
        return Err(Error::key(KeyProblem::UnbalancedPem));
    };
    let inside = &rest[..end];
    // `openssl ecparam -genkey` without `-noout` (how Apple Ads users make keys) writes the curve
    // first: an `EC PARAMETERS` block, then the `EC PRIVATE KEY`. The key names its curve too.
    let after_block = &rest[end + end_marker.len()..];
    if label == "EC PARAMETERS" && after_block.contains("-----BEGIN ") {
        return find_pem_block(after_block);
    }
    // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED", "DEK-Info: ...") come before a blank line.
    let encrypted_headers = inside.contains("Proc-Type:") && inside.contains("ENCRYPTED");
    let body = without_whitespace(
        inside.lines().filter(|line| !line.contains(':')),
        inside.len(),
    );
    Ok(Some(PemBlock {
        label,
        body,
        encrypted_headers,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const APPLE_TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSpP55ELdXswj9JRZ
APRwtTfS4CNRqpKIs+28rNHiPAqhRANCAASs8nLES7b+goKslppNVOurf0MonZdw
3pb6TxS8Z/5j+UNY1sWK1ChxpuwNS9I3R50cfdQo/lA9PPhw6XIg8ytd
-----END PRIVATE KEY-----";

    fn problem(result: Result<PrivateKey>) -> KeyProblem {
        match result {
            Err(Error::InvalidKey { problem }) => problem,
            other => panic!("expected a key problem, got {other:?}"),
        }
    }

    #[test]
    fn openssl_ecparam_output_with_its_parameters_block_loads() {
        // What `openssl ecparam -genkey -name prime256v1` writes (Apple Ads' instructions).
        let sec1 = "-----BEGIN EC PARAMETERS-----
BggqhkjOPQMBBw==
-----END EC PARAMETERS-----
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIEqT+eRC3V7MI/SUWQD0cLU30uAjUaqSiLPtvKzR4jwKoAoGCCqGSM49
AwEHoUQDQgAErPJyxEu2/oKCrJaaTVTrq39DKJ2XcN6W+k8UvGf+Y/lDWNbFitQo
cabsDUvSN0edHH3UKP5QPTz4cOlyIPMrXQ==
-----END EC PRIVATE KEY-----
";
        let reference = PrivateKey::from_pem(APPLE_TEST_KEY).unwrap().public_key();
        assert_eq!(PrivateKey::from_pem(sec1).unwrap().public_key(), reference);
        let alone =
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
        assert!(matches!(
            problem(PrivateKey::from_pem(alone)),
            KeyProblem::UnsupportedPemLabel { .. }
        ));
    }

    #[test]
    fn pasted_forms_all_load_the_same_key() {
        let reference = PrivateKey::from_pem(APPLE_TEST_KEY).unwrap().public_key();
        let one_line = APPLE_TEST_KEY.replace('\n', " ");
        let escaped = APPLE_TEST_KEY.replace('\n', "\\n");
        let crlf = format!("  {}\r\n\r\n", APPLE_TEST_KEY.replace('\n', "\r\n"));
        let quoted = format!("\"{escaped}\"");
        let body: String = APPLE_TEST_KEY
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        let double_base64 =
            base64::engine::general_purpose::STANDARD.encode(APPLE_TEST_KEY.as_bytes());
        for form in [one_line, escaped, crlf, quoted, body, double_base64] {
            assert_eq!(
                PrivateKey::from_pem(&form).unwrap().public_key(),
                reference,
                "{form}"
            );
        }
    }

    #[test]
    fn sec1_and_der_forms_load() {
        let key = PrivateKey::from_pem(APPLE_TEST_KEY).unwrap();
        let sec1 = p256::SecretKey::from_bytes(&key.signing_key.to_bytes())
            .unwrap()
            .to_sec1_pem(LineEnding::LF)
            .unwrap();
        assert_eq!(
            PrivateKey::from_pem(&sec1).unwrap().public_key(),
            key.public_key()
        );
        let der = key.signing_key.to_pkcs8_der().unwrap();
        assert_eq!(
            PrivateKey::from_bytes(der.as_bytes()).unwrap().public_key(),
            key.public_key()
        );
    }

    #[test]
    fn wrong_inputs_are_named() {
        assert_eq!(problem(PrivateKey::from_pem("   ")), KeyProblem::Empty);
        assert_eq!(
            problem(PrivateKey::from_pem(&key_pem_of_public())),
            KeyProblem::PublicKeyGiven
        );
        assert_eq!(
            problem(PrivateKey::from_pem(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----"
            )),
            KeyProblem::Encrypted
        );
        assert_eq!(
            problem(PrivateKey::from_pem(
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
            )),
            KeyProblem::CertificateGiven
        );
        let truncated: String = APPLE_TEST_KEY
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            problem(PrivateKey::from_pem(&truncated)),
            KeyProblem::UnbalancedPem
        );
        let cut_body = APPLE_TEST_KEY.replace(
            "3pb6TxS8Z/5j+UNY1sWK1ChxpuwNS9I3R50cfdQo/lA9PPhw6XIg8ytd\n",
            "",
        );
        assert_eq!(
            problem(PrivateKey::from_pem(&cut_body)),
            KeyProblem::Truncated
        );
        assert!(matches!(
            problem(PrivateKey::from_pem("hello world")),
            KeyProblem::NotAKey { .. }
        ));
    }

    fn key_pem_of_public() -> String {
        PrivateKey::from_pem(APPLE_TEST_KEY)
            .unwrap()
            .public_key()
            .to_pem()
    }

    #[test]
    fn debug_hides_the_key() {
        let key = PrivateKey::from_pem(APPLE_TEST_KEY).unwrap();
        let debug = format!("{key:?}");
        assert!(
            !debug.contains("MIGH") && !debug.contains("4a93f9"),
            "{debug}"
        );
    }
}
