//! devtoken for Python: the pyo3 face of the core crate.
//!
//! Conversions only: Python values in, core types through, Python values and exceptions out. No
//! rule, default or check of devtoken's lives here; the core decides everything. This file
//! registers the module; each concern has its own file:
//!
//! - `errors`: the exception classes and the one conversion of a core error into them;
//! - `findings`: `Finding`, shared by `errors`, `inspect` and `network`;
//! - `conversions`: services, keys, times, durations, string lists and JSON between Python and
//!   the core;
//! - `options`: keyword arguments to the core's options, and the core's defaults as dicts;
//! - `storekit`: the StoreKit signatures' shared conversions, V1 result and V1 check;
//! - `claims`, `signer`, `providers` (with `ManualClock`), `network` (Maps and OAuth exchanges,
//!   `probe`),
//!   `inspect` (verify, decode, inspect, lifetime warnings, service names), `doctor` (the setup
//!   checklist and the clock measurement).

mod claims;
mod conversions;
mod doctor;
mod errors;
mod external;
mod findings;
mod inspect;
mod network;
mod options;
mod providers;
mod signer;
mod storekit;

use pyo3::prelude::*;

use errors::{
    AppleRejectedError, ExternalSignerError, InvalidClaimsError, InvalidKeyError,
    InvalidOptionError, MalformedResponseError, MalformedTokenError, NetworkError,
    QuotaExceededError, RefreshTooSoonError, SignatureError, TokenError,
};

#[pymodule]
fn _devtoken(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;

    m.add("TokenError", py.get_type::<TokenError>())?;
    m.add("InvalidKeyError", py.get_type::<InvalidKeyError>())?;
    m.add("InvalidClaimsError", py.get_type::<InvalidClaimsError>())?;
    m.add("MalformedTokenError", py.get_type::<MalformedTokenError>())?;
    m.add("SignatureError", py.get_type::<SignatureError>())?;
    m.add("ExternalSignerError", py.get_type::<ExternalSignerError>())?;
    m.add("InvalidOptionError", py.get_type::<InvalidOptionError>())?;
    m.add("RefreshTooSoonError", py.get_type::<RefreshTooSoonError>())?;
    m.add("AppleRejectedError", py.get_type::<AppleRejectedError>())?;
    m.add("QuotaExceededError", py.get_type::<QuotaExceededError>())?;
    m.add("NetworkError", py.get_type::<NetworkError>())?;
    m.add(
        "MalformedResponseError",
        py.get_type::<MalformedResponseError>(),
    )?;

    m.add_class::<claims::PyClaims>()?;
    m.add_class::<signer::PySigner>()?;
    m.add_class::<providers::PyManualClock>()?;
    m.add_class::<providers::PyTokenProvider>()?;
    m.add_class::<network::PyMapsTokenProvider>()?;
    m.add_class::<network::PyOAuthTokenProvider>()?;
    m.add_class::<network::PyProbeVerdict>()?;
    m.add_class::<findings::PyFinding>()?;
    m.add_class::<doctor::PyCheck>()?;
    m.add_class::<storekit::PyPromotionalOfferV1Signature>()?;

    m.add_function(wrap_pyfunction!(signer::generate_private_key_pem, m)?)?;
    m.add_function(wrap_pyfunction!(network::probe, m)?)?;
    m.add_function(wrap_pyfunction!(inspect::verify_token, m)?)?;
    m.add_function(wrap_pyfunction!(storekit::verify_promotional_offer_v1, m)?)?;
    m.add_function(wrap_pyfunction!(inspect::decode_token, m)?)?;
    m.add_function(wrap_pyfunction!(inspect::inspect_token, m)?)?;
    m.add_function(wrap_pyfunction!(inspect::lifetime_warnings, m)?)?;
    m.add_function(wrap_pyfunction!(inspect::service_names, m)?)?;
    m.add_function(wrap_pyfunction!(options::core_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(doctor::doctor, m)?)?;
    m.add_function(wrap_pyfunction!(doctor::measure_clock_offset, m)?)?;
    Ok(())
}
