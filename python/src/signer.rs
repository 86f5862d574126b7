//! `Signer` and fresh keys.

use std::path::PathBuf;
use std::sync::Arc;

use devtoken::storekit::{AdvancedCommerceRequest, IntroOfferEligibility, PromotionalOffer};
use devtoken::DurationInput;

use pyo3::prelude::*;

use crate::claims::PyClaims;
use crate::conversions::{optional_seconds, pem_text, service_from};
use crate::errors::DevTokenResult;
use crate::external::{callable_signer, with_timeout};
use crate::storekit::{now_from, request_bytes, v1_offer, PyPromotionalOfferV1Signature};
use pyo3::exceptions::PyTypeError;

/// `stock_p256=True` selects p256's own signer (for comparison); the default is the comb.
fn backend(stock_p256: bool) -> devtoken::SigningBackend {
    if stock_p256 {
        devtoken::SigningBackend::StockP256
    } else {
        devtoken::SigningBackend::FixedBaseComb
    }
}

/// The signer with the chosen backend and, when given, the clock skew (checked by the core);
/// without one it keeps the core's default.
fn configured(
    signer: devtoken::Signer,
    clock_skew_secs: Option<i64>,
    stock_p256: bool,
) -> DevTokenResult<PySigner> {
    let signer = signer.with_backend(backend(stock_p256));
    let signer = match clock_skew_secs {
        Some(secs) => signer.with_clock_skew(secs)?,
        None => signer,
    };
    Ok(PySigner {
        inner: Arc::new(signer),
    })
}

/// The clock skew argument in whole seconds, converted before any other work (as pyo3 converts
/// typed arguments), so a bad value is reported whatever the key.
fn clock_skew_secs(clock_skew: Option<&Bound<'_, PyAny>>) -> DevTokenResult<Option<i64>> {
    optional_seconds(clock_skew, DurationInput::ClockSkew, "clock_skew")
}

/// Signs ES256 developer tokens with one parsed key; safe to share between threads.
#[pyclass(frozen, module = "devtoken", name = "Signer")]
pub(crate) struct PySigner {
    pub(crate) inner: Arc<devtoken::Signer>,
}

#[pymethods]
impl PySigner {
    #[staticmethod]
    #[pyo3(signature = (pem, key_id, *, clock_skew = None, stock_p256 = false))]
    fn from_pem(
        pem: &Bound<'_, PyAny>,
        key_id: &str,
        clock_skew: Option<&Bound<'_, PyAny>>,
        stock_p256: bool,
    ) -> DevTokenResult<Self> {
        let clock_skew = clock_skew_secs(clock_skew)?;
        let key = pem_text(pem)?.private_key()?;
        configured(devtoken::Signer::new(key, key_id)?, clock_skew, stock_p256)
    }

    #[staticmethod]
    #[pyo3(signature = (path, key_id = None, *, clock_skew = None, stock_p256 = false))]
    fn from_file(
        path: PathBuf,
        key_id: Option<&str>,
        clock_skew: Option<&Bound<'_, PyAny>>,
        stock_p256: bool,
    ) -> DevTokenResult<Self> {
        let clock_skew = clock_skew_secs(clock_skew)?;
        let signer = devtoken::Signer::from_file(path, key_id)?;
        configured(signer, clock_skew, stock_p256)
    }

    #[staticmethod]
    #[pyo3(signature = (key_id, *, clock_skew = None, stock_p256 = false))]
    fn generate(
        key_id: &str,
        clock_skew: Option<&Bound<'_, PyAny>>,
        stock_p256: bool,
    ) -> DevTokenResult<Self> {
        let clock_skew = clock_skew_secs(clock_skew)?;
        let key = devtoken::PrivateKey::generate()?;
        configured(devtoken::Signer::new(key, key_id)?, clock_skew, stock_p256)
    }

    /// A signer whose key is held elsewhere: `sign(digest)` gets the 32-byte SHA-256 digest and
    /// returns the signature as DER or 64 bytes r||s; the core checks it against `public_key_pem`.
    #[staticmethod]
    #[pyo3(signature = (public_key_pem, key_id, sign, *, timeout = None, clock_skew = None))]
    fn from_external(
        py: Python<'_>,
        public_key_pem: &Bound<'_, PyAny>,
        key_id: &str,
        sign: Bound<'_, PyAny>,
        timeout: Option<f64>,
        clock_skew: Option<&Bound<'_, PyAny>>,
    ) -> DevTokenResult<Self> {
        let clock_skew = clock_skew_secs(clock_skew)?;
        if !sign.is_callable() {
            return Err(
                PyTypeError::new_err("sign must be a callable taking the digest (bytes)").into(),
            );
        }
        let public_key = pem_text(public_key_pem)?.public_key()?;
        let external = callable_signer(py, public_key, sign.unbind());
        let signer = devtoken::Signer::from_external(external, key_id)?;
        configured(with_timeout(signer, timeout)?, clock_skew, false)
    }

    /// A signer over a key inside an HSM, from an RFC 7512 `pkcs11:` URI (PIN from
    /// `pin-source=file:...` or `env:...` only). Without `key_id`, a key labelled
    /// `AuthKey_<KEYID>` gives it.
    #[staticmethod]
    #[pyo3(signature = (uri, *, key_id = None, timeout = None, clock_skew = None))]
    fn from_pkcs11(
        py: Python<'_>,
        uri: &str,
        key_id: Option<&str>,
        timeout: Option<f64>,
        clock_skew: Option<&Bound<'_, PyAny>>,
    ) -> DevTokenResult<Self> {
        let clock_skew = clock_skew_secs(clock_skew)?;
        let config = devtoken::Pkcs11Config::from_uri(uri)?;
        // Loading the module and logging in may take a while: without the GIL.
        let signer = py.detach(|| devtoken::Signer::from_pkcs11(config, key_id))?;
        configured(with_timeout(signer, timeout)?, clock_skew, false)
    }

    #[getter]
    fn key_id(&self) -> &str {
        self.inner.key_id()
    }

    #[getter]
    fn clock_skew(&self) -> u64 {
        self.inner.clock_skew_secs()
    }

    fn public_key_pem(&self) -> String {
        self.inner.public_key().to_pem()
    }

    #[pyo3(signature = (service, claims, *, now = None))]
    fn sign_token(
        &self,
        py: Python<'_>,
        service: &Bound<'_, PyAny>,
        claims: &Bound<'_, PyClaims>,
        now: Option<i64>,
    ) -> DevTokenResult<String> {
        let service = service_from(service)?;
        let claims = &claims.get().inner;
        let signer = &self.inner;
        Ok(py.detach(|| match now {
            Some(now) => signer.sign_token_at(service, claims, now),
            None => signer.sign_token(service, claims),
        })?)
    }

    #[pyo3(signature = (
        issuer_id, bundle_id, product_id, offer_id, *, transaction_id = None, nonce = None,
        now = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn promotional_offer(
        &self,
        py: Python<'_>,
        issuer_id: &str,
        bundle_id: &str,
        product_id: &str,
        offer_id: &str,
        transaction_id: Option<&str>,
        nonce: Option<&str>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> DevTokenResult<String> {
        let now = now_from(now)?;
        let mut offer = PromotionalOffer::new(issuer_id, bundle_id, product_id, offer_id);
        if let Some(transaction_id) = transaction_id {
            offer = offer.transaction_id(transaction_id);
        }
        if let Some(nonce) = nonce {
            offer = offer.nonce(nonce);
        }
        let signer = &self.inner;
        Ok(py.detach(|| match now {
            Some(now) => signer.promotional_offer_at(&offer, now),
            None => signer.promotional_offer(&offer),
        })?)
    }

    #[pyo3(signature = (
        issuer_id, bundle_id, product_id, allow_introductory_offer, transaction_id, *, nonce = None,
        now = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn intro_offer_eligibility(
        &self,
        py: Python<'_>,
        issuer_id: &str,
        bundle_id: &str,
        product_id: &str,
        allow_introductory_offer: bool,
        transaction_id: &str,
        nonce: Option<&str>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> DevTokenResult<String> {
        let now = now_from(now)?;
        let mut eligibility = IntroOfferEligibility::new(
            issuer_id,
            bundle_id,
            product_id,
            allow_introductory_offer,
            transaction_id,
        );
        if let Some(nonce) = nonce {
            eligibility = eligibility.nonce(nonce);
        }
        let signer = &self.inner;
        Ok(py.detach(|| match now {
            Some(now) => signer.intro_offer_eligibility_at(&eligibility, now),
            None => signer.intro_offer_eligibility(&eligibility),
        })?)
    }

    #[pyo3(signature = (issuer_id, bundle_id, request, *, nonce = None, now = None))]
    fn advanced_commerce_request(
        &self,
        py: Python<'_>,
        issuer_id: &str,
        bundle_id: &str,
        request: &Bound<'_, PyAny>,
        nonce: Option<&str>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> DevTokenResult<String> {
        let now = now_from(now)?;
        let mut request =
            AdvancedCommerceRequest::new(issuer_id, bundle_id, request_bytes(request)?);
        if let Some(nonce) = nonce {
            request = request.nonce(nonce);
        }
        let signer = &self.inner;
        Ok(py.detach(|| match now {
            Some(now) => signer.advanced_commerce_request_at(&request, now),
            None => signer.advanced_commerce_request(&request),
        })?)
    }

    #[pyo3(signature = (
        bundle_id, product_id, offer_id, *, application_username = None, nonce = None,
        timestamp_ms = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn promotional_offer_v1(
        &self,
        py: Python<'_>,
        bundle_id: &str,
        product_id: &str,
        offer_id: &str,
        application_username: Option<&str>,
        nonce: Option<&str>,
        timestamp_ms: Option<i64>,
    ) -> DevTokenResult<PyPromotionalOfferV1Signature> {
        let offer = v1_offer(
            bundle_id,
            product_id,
            offer_id,
            application_username,
            nonce,
            timestamp_ms,
        );
        let signer = &self.inner;
        Ok(py.detach(|| signer.promotional_offer_v1(&offer))?.into())
    }

    /// Benchmark aid: signs `count` tokens inside Rust and returns the seconds taken, so the
    /// benchmark can subtract the core's own time from a Python call's.
    #[pyo3(signature = (service, claims, count, *, now))]
    fn _time_core_signing(
        &self,
        py: Python<'_>,
        service: &Bound<'_, PyAny>,
        claims: &Bound<'_, PyClaims>,
        count: u32,
        now: i64,
    ) -> DevTokenResult<f64> {
        let service = service_from(service)?;
        let claims = &claims.get().inner;
        let signer = &self.inner;
        Ok(py.detach(|| {
            let start = std::time::Instant::now();
            for _ in 0..count {
                std::hint::black_box(signer.sign_token_at(service, claims, now))?;
            }
            Ok::<_, devtoken::Error>(start.elapsed().as_secs_f64())
        })?)
    }

    fn __repr__(&self) -> String {
        format!("Signer(key_id='{}')", self.inner.key_id())
    }
}

/// A fresh P-256 private key as PKCS#8 PEM, for local testing.
#[pyfunction]
pub(crate) fn generate_private_key_pem() -> DevTokenResult<String> {
    let key = devtoken::PrivateKey::generate()?;
    Ok(key.to_pkcs8_pem().to_string())
}
