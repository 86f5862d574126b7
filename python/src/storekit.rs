//! StoreKit in-app signatures: what the `Signer` methods for promotional offers (V2 JWS and V1),
//! introductory-offer eligibility and Advanced Commerce requests (in `signer`, the class's one
//! `#[pymethods]` block) share, the V1 result class and the V1 check. Keyword arguments in, the
//! core's inputs through; an argument left out is `None` and takes the core's default (a fresh
//! nonce, the system clock, an empty application username).

use devtoken::storekit::{PromotionalOfferV1, PromotionalOfferV1Signature};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::conversions::{pem_text, unix_seconds};
use crate::errors::DevTokenResult;

/// A signed promotional offer V1: what the app passes to StoreKit.
#[pyclass(frozen, eq, module = "devtoken", name = "PromotionalOfferV1Signature")]
#[derive(PartialEq, Eq)]
pub(crate) struct PyPromotionalOfferV1Signature {
    #[pyo3(get)]
    signature: String,
    #[pyo3(get)]
    nonce: String,
    #[pyo3(get)]
    timestamp_ms: i64,
    #[pyo3(get)]
    key_id: String,
}

impl From<PromotionalOfferV1Signature> for PyPromotionalOfferV1Signature {
    fn from(signed: PromotionalOfferV1Signature) -> Self {
        PyPromotionalOfferV1Signature {
            signature: signed.signature,
            nonce: signed.nonce,
            timestamp_ms: signed.timestamp_ms,
            key_id: signed.key_id,
        }
    }
}

#[pymethods]
impl PyPromotionalOfferV1Signature {
    fn __repr__(&self) -> String {
        format!(
            "PromotionalOfferV1Signature(signature='{}', nonce='{}', timestamp_ms={}, key_id='{}')",
            self.signature, self.nonce, self.timestamp_ms, self.key_id
        )
    }
}

/// The core's V1 input: what is given, the core's defaults for what is not.
pub(crate) fn v1_offer(
    bundle_id: &str,
    product_id: &str,
    offer_id: &str,
    application_username: Option<&str>,
    nonce: Option<&str>,
    timestamp_ms: Option<i64>,
) -> PromotionalOfferV1 {
    let mut offer = PromotionalOfferV1::new(bundle_id, product_id, offer_id);
    if let Some(username) = application_username {
        offer = offer.application_username(username);
    }
    if let Some(nonce) = nonce {
        offer = offer.nonce(nonce);
    }
    if let Some(timestamp_ms) = timestamp_ms {
        offer = offer.timestamp_ms(timestamp_ms);
    }
    offer
}

/// The request's JSON as given: `bytes` byte for byte, `str` as its UTF-8.
pub(crate) fn request_bytes(request: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = request.cast::<PyBytes>() {
        Ok(bytes.as_bytes().to_vec())
    } else if let Ok(text) = request.cast::<PyString>() {
        Ok(text.to_cow()?.as_bytes().to_vec())
    } else {
        Err(PyTypeError::new_err(
            "request must be the request's JSON as bytes or str",
        ))
    }
}

pub(crate) fn now_from(now: Option<&Bound<'_, PyAny>>) -> PyResult<Option<i64>> {
    now.map(|now| unix_seconds(now, "now")).transpose()
}

/// Checks a promotional offer V1 signature with the public key: `True` when it verifies, `False`
/// when it does not; an `InvalidClaimsError` when a field is invalid.
#[pyfunction]
#[pyo3(signature = (
    public_key_pem, signature, *, key_id, bundle_id, product_id, offer_id, nonce, timestamp_ms,
    application_username = None
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn verify_promotional_offer_v1(
    public_key_pem: &Bound<'_, PyAny>,
    signature: &str,
    key_id: &str,
    bundle_id: &str,
    product_id: &str,
    offer_id: &str,
    nonce: &str,
    timestamp_ms: i64,
    application_username: Option<&str>,
) -> DevTokenResult<bool> {
    let key = pem_text(public_key_pem)?.public_key()?;
    let offer = v1_offer(
        bundle_id,
        product_id,
        offer_id,
        application_username,
        Some(nonce),
        Some(timestamp_ms),
    );
    Ok(devtoken::verify_promotional_offer_v1(
        &offer, key_id, signature, &key,
    )?)
}
