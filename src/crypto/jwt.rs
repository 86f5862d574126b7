//! Compact JWS encoding and decoding: base64url without padding, ES256, 64-byte r||s signatures.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::Signature;
use serde_json::{Map, Value};

use crate::contract::error::{Error, Result};
use crate::contract::options::MAX_TOKEN_BYTES;
use crate::crypto::keys::{PrivateKey, PublicKey};

/// How the ECDSA signature is computed. Both give the same bytes (RFC 6979) in constant time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SigningBackend {
    /// A precomputed fixed-base comb for the nonce point k·G over p256 0.13's faster
    /// constant-time field ([`fast_sign`](crate::crypto::hazmat::fast_sign)); the README gives measured ratios.
    /// The default.
    #[default]
    FixedBaseComb,
    /// p256's own `SigningKey::sign`, kept selectable for comparison.
    StockP256,
}

/// The header and claims of a token, decoded (and, from [`verify_token`], verified).
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedToken {
    /// The JOSE header, members in token order.
    pub header: Map<String, Value>,
    /// The payload claims, members in token order.
    pub claims: Map<String, Value>,
}

/// A token split into its parts, before any signature check.
#[derive(Debug, Clone)]
pub(crate) struct TokenParts<'a> {
    pub decoded: DecodedToken,
    /// `base64url(header) "." base64url(payload)`, the bytes that are signed.
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
    /// Which parts carried base64 `=` padding (tolerated on decode, reported by inspect).
    pub padded: bool,
}

/// Signs `header` and `payload` with ES256 and returns the compact token; `sign` computes the
/// signature of the signing input (an in-memory key, or an external signer's checked answer).
pub(crate) fn encode_and_sign(
    header: &Map<String, Value>,
    payload: &Map<String, Value>,
    sign: impl FnOnce(&[u8]) -> Result<Signature>,
) -> Result<String> {
    // Serializing a map of strings and integers cannot fail.
    let header_json = serde_json::to_vec(header).unwrap_or_default();
    let payload_json = serde_json::to_vec(payload).unwrap_or_default();
    let mut token =
        String::with_capacity(4 * (header_json.len() + payload_json.len() + 64) / 3 + 8);
    URL_SAFE_NO_PAD.encode_string(&header_json, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload_json, &mut token);
    let signature = sign(token.as_bytes())?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature.to_bytes(), &mut token);
    Ok(token)
}

/// Signs `message` with an in-memory key: RFC 6979 deterministic ECDSA over SHA-256, constant
/// time; both backends give the same bytes.
pub(crate) fn sign_in_memory(
    key: &PrivateKey,
    backend: SigningBackend,
    message: &[u8],
) -> Signature {
    match backend {
        SigningBackend::FixedBaseComb => {
            crate::crypto::hazmat::fast_sign::sign_fast(key.signing_key(), message)
        }
        SigningBackend::StockP256 => key.signing_key().sign(message),
    }
}

fn decode_part(part: &str, name: &str) -> Result<(Vec<u8>, bool)> {
    let padded = part.ends_with('=');
    let unpadded = part.trim_end_matches('=');
    if unpadded.contains(['+', '/']) {
        return Err(Error::malformed(format!(
            "the {name} uses '+' or '/' (standard base64); JWS uses base64url ('-' and '_')"
        )));
    }
    URL_SAFE_NO_PAD
        .decode(unpadded)
        .map(|bytes| (bytes, padded))
        .map_err(|e| Error::malformed(format!("the {name} is not base64url ({e})")))
}

fn decode_json(bytes: &[u8], name: &str) -> Result<Map<String, Value>> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::malformed(format!(
            "the {name} is JSON but not an object"
        ))),
        Err(e) => Err(Error::malformed(format!("the {name} is not JSON ({e})"))),
    }
}

/// Splits and decodes a compact JWS without checking the signature.
pub(crate) fn split_token(token: &str) -> Result<TokenParts<'_>> {
    let token = token.trim();
    let token = token
        .strip_prefix("Bearer ")
        .or_else(|| token.strip_prefix("bearer "))
        .unwrap_or(token)
        .trim();
    if token.is_empty() {
        return Err(Error::malformed("the token is empty"));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Error::malformed(format!(
            "the token is {} bytes; devtoken reads at most {MAX_TOKEN_BYTES} (Apple's tokens are well under 1 KiB)",
            token.len()
        )));
    }
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(Error::malformed(format!(
            "a compact JWS has 3 dot-separated parts; this has {}",
            parts.len()
        )));
    }
    let (header_bytes, header_padded) = decode_part(parts[0], "header")?;
    let (payload_bytes, payload_padded) = decode_part(parts[1], "payload")?;
    let (signature, signature_padded) = decode_part(parts[2], "signature")?;
    let header = decode_json(&header_bytes, "header")?;
    let claims = decode_json(&payload_bytes, "payload")?;
    let signing_input = &token[..parts[0].len() + 1 + parts[1].len()];
    Ok(TokenParts {
        decoded: DecodedToken { header, claims },
        signing_input,
        signature,
        padded: header_padded || payload_padded || signature_padded,
    })
}

/// Decodes a token's header and claims without checking the signature.
///
/// ```
/// let token = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJERUYxMjNHSElKIn0.AA";
/// let decoded = devtoken::decode_token(token).unwrap();
/// assert_eq!(decoded.claims["iss"], "DEF123GHIJ");
/// ```
pub fn decode_token(token: &str) -> Result<DecodedToken> {
    split_token(token).map(|parts| parts.decoded)
}

/// Why a token's signature is not the 64-byte r||s that ES256 takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignatureShapeProblem {
    /// An ASN.1 DER `SEQUENCE` (what most crypto libraries return): the classic JOSE mistake.
    Der { len: usize },
    /// Any other length.
    WrongLength { len: usize },
}

impl SignatureShapeProblem {
    /// The problem with `signature`, or `None` when it is 64 bytes.
    pub(crate) fn of(signature: &[u8]) -> Option<Self> {
        let len = signature.len();
        match signature.first() {
            _ if len == 64 => None,
            // A DER ECDSA P-256 signature is a SEQUENCE (0x30) of 8 to 72 bytes.
            Some(0x30) if (8..=72).contains(&len) => Some(Self::Der { len }),
            _ => Some(Self::WrongLength { len }),
        }
    }

    /// The `inspect_token` finding code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::Der { .. } => "signature_der",
            Self::WrongLength { .. } => "signature_length",
        }
    }
}

impl std::fmt::Display for SignatureShapeProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Der { len } => write!(
                f,
                "the signature is {len} bytes of DER (ASN.1); ES256 needs the 64-byte \
                r||s form (convert it, or sign with a JOSE library)"
            ),
            Self::WrongLength { len } => write!(
                f,
                "the signature is {len} bytes; ES256 needs exactly 64 bytes (r||s)"
            ),
        }
    }
}

/// Checks a token's structure, `alg` and ES256 signature; returns its header and claims.
///
/// This checks the signature only; [`inspect_token`](crate::inspect_token) checks the rules of a
/// service (lifetimes, identifiers, ...).
///
/// ```
/// use devtoken::{Claims, Service, Signer, PrivateKey};
/// let signer = Signer::new(PrivateKey::generate().unwrap(), "ABC123DEFG").unwrap();
/// let token = signer.sign_token(Service::AppleMusic, &Claims::new("DEF123GHIJ")).unwrap();
/// let decoded = devtoken::verify_token(&token, &signer.public_key()).unwrap();
/// assert_eq!(decoded.header["kid"], "ABC123DEFG");
/// ```
pub fn verify_token(token: &str, public_key: &PublicKey) -> Result<DecodedToken> {
    let parts = split_token(token)?;
    check_signature(&parts, public_key)?;
    Ok(parts.decoded)
}

pub(crate) fn check_signature(parts: &TokenParts<'_>, public_key: &PublicKey) -> Result<()> {
    match parts.decoded.header.get("alg") {
        Some(Value::String(alg)) if alg == "ES256" => {}
        Some(other) => {
            return Err(Error::signature(format!(
                "alg is {other}; only ES256 is accepted"
            )))
        }
        None => return Err(Error::signature("the header has no alg; ES256 is required")),
    }
    if let Some(problem) = SignatureShapeProblem::of(&parts.signature) {
        return Err(Error::signature(problem.to_string()));
    }
    let signature = Signature::from_slice(&parts.signature)
        .map_err(|_| Error::signature("r or s is zero or not below the group order"))?;
    if crate::crypto::hazmat::fast_verify::verify_fast(
        public_key.verifying_key(),
        parts.signing_input.as_bytes(),
        &signature,
    ) {
        Ok(())
    } else {
        Err(Error::signature(
            "the signature does not match this public key (wrong key, or the token was altered)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::SignatureShapeProblem;

    #[test]
    fn signature_shapes_are_told_apart() {
        assert_eq!(SignatureShapeProblem::of(&[0x30; 64]), None);
        assert_eq!(SignatureShapeProblem::of(&[7; 64]), None);
        for len in [8, 62, 63, 70, 71, 72] {
            let mut der = vec![0x02; len];
            der[0] = 0x30;
            let problem = SignatureShapeProblem::of(&der).unwrap();
            assert_eq!(problem, SignatureShapeProblem::Der { len });
            assert_eq!(problem.code(), "signature_der");
            assert!(problem.to_string().contains("DER"), "{problem}");
        }
        for bytes in [
            vec![],
            vec![0x30; 7],
            vec![0x30; 73],
            vec![1; 63],
            vec![1; 65],
        ] {
            let problem = SignatureShapeProblem::of(&bytes).unwrap();
            assert_eq!(problem.code(), "signature_length", "{} bytes", bytes.len());
            assert!(
                problem.to_string().contains("exactly 64 bytes"),
                "{problem}"
            );
        }
    }
}
