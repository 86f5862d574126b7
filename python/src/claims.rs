//! `Claims`: the payload of a token, a frozen mirror of the core's `Claims`.

use devtoken::DurationInput;
use pyo3::prelude::*;

use crate::conversions::{duration_seconds, string_list, unix_seconds};
use crate::errors::DevTokenResult;

/// The claims of a token. Keyword arguments mirror the core's `Claims`; see the stubs.
#[pyclass(frozen, eq, hash, module = "devtoken", name = "Claims")]
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PyClaims {
    pub(crate) inner: devtoken::Claims,
}

#[pymethods]
impl PyClaims {
    #[new]
    #[pyo3(signature = (
        issuer = None, *, issued_at = None, expires_at = None, ttl = None, origins = None,
        bundle_id = None, subject = None, scope = None, jwt_id = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        issuer: Option<String>,
        issued_at: Option<&Bound<'_, PyAny>>,
        expires_at: Option<&Bound<'_, PyAny>>,
        ttl: Option<&Bound<'_, PyAny>>,
        origins: Option<&Bound<'_, PyAny>>,
        bundle_id: Option<String>,
        subject: Option<String>,
        scope: Option<&Bound<'_, PyAny>>,
        jwt_id: Option<String>,
    ) -> DevTokenResult<Self> {
        Ok(PyClaims {
            inner: devtoken::Claims {
                issuer,
                issued_at: issued_at
                    .map(|v| unix_seconds(v, "issued_at"))
                    .transpose()?,
                expires_at: expires_at
                    .map(|v| unix_seconds(v, "expires_at"))
                    .transpose()?,
                ttl: ttl
                    .map(|v| duration_seconds(v, DurationInput::Ttl, "ttl"))
                    .transpose()?,
                origins: string_list(origins, "origins")?,
                bundle_id,
                subject,
                scope: string_list(scope, "scope")?,
                jwt_id,
            },
        })
    }

    #[getter]
    fn issuer(&self) -> Option<&str> {
        self.inner.issuer.as_deref()
    }
    #[getter]
    fn issued_at(&self) -> Option<i64> {
        self.inner.issued_at
    }
    #[getter]
    fn expires_at(&self) -> Option<i64> {
        self.inner.expires_at
    }
    #[getter]
    fn ttl(&self) -> Option<i64> {
        self.inner.ttl
    }
    #[getter]
    fn origins(&self) -> Vec<String> {
        self.inner.origins.clone()
    }
    #[getter]
    fn bundle_id(&self) -> Option<&str> {
        self.inner.bundle_id.as_deref()
    }
    #[getter]
    fn subject(&self) -> Option<&str> {
        self.inner.subject.as_deref()
    }
    #[getter]
    fn scope(&self) -> Vec<String> {
        self.inner.scope.clone()
    }
    #[getter]
    fn jwt_id(&self) -> Option<&str> {
        self.inner.jwt_id.as_deref()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let claims = &slf.get().inner;
        let mut parts = Vec::new();
        let mut add = |name: &str, value: Bound<'_, PyAny>| -> PyResult<()> {
            parts.push(format!("{name}={}", value.repr()?));
            Ok(())
        };
        if let Some(v) = &claims.issuer {
            add("issuer", v.into_pyobject(py)?.into_any())?;
        }
        for (name, value) in [
            ("issued_at", claims.issued_at),
            ("expires_at", claims.expires_at),
            ("ttl", claims.ttl),
        ] {
            if let Some(v) = value {
                add(name, v.into_pyobject(py)?.into_any())?;
            }
        }
        if !claims.origins.is_empty() {
            add(
                "origins",
                claims.origins.clone().into_pyobject(py)?.into_any(),
            )?;
        }
        if let Some(v) = &claims.bundle_id {
            add("bundle_id", v.into_pyobject(py)?.into_any())?;
        }
        if let Some(v) = &claims.subject {
            add("subject", v.into_pyobject(py)?.into_any())?;
        }
        if !claims.scope.is_empty() {
            add("scope", claims.scope.clone().into_pyobject(py)?.into_any())?;
        }
        if let Some(v) = &claims.jwt_id {
            add("jwt_id", v.into_pyobject(py)?.into_any())?;
        }
        Ok(format!("Claims({})", parts.join(", ")))
    }
}
