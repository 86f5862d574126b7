//! Authorizing your own calls to Apple's APIs: set `Authorization: Bearer <token>` from any
//! provider, and on a 401 replace exactly the token that was refused and retry once. A second
//! 401 goes back to the caller; nothing loops. The same rule the Python (`httpx`, `requests`),
//! Kotlin (`java.net.http`) and Swift (`URLSession`) helpers follow.
//!
//! ```no_run
//! use devtoken::auth::send_authorized;
//! use devtoken::{Claims, Service, Signer, TokenProvider};
//! let music = TokenProvider::new(Signer::from_file("AuthKey_ABC123DEFG.p8", None)?, Service::AppleMusic,
//!                                Claims::new("DEF123GHIJ"))?;
//! let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
//! let response = send_authorized(&music, |authorization| {
//!     agent.get("https://api.music.apple.com/v1/catalog/us/songs/203709340")
//!         .header("Authorization", authorization)
//!         .call()
//! }, |response| response.status().as_u16())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::contract::error::Result;
use crate::net::maps::MapsTokenProvider;
use crate::net::oauth::OAuthTokenProvider;
use crate::provider::TokenProvider;

/// Something that hands out bearer tokens and can replace one the server refused.
pub trait BearerSource {
    /// The token to send now (cached while fresh).
    fn bearer_token(&self) -> Result<String>;

    /// A replacement for `refused`, or the current token when another caller already replaced
    /// it (one new token however many callers report the same refusal).
    fn replace_refused(&self, refused: &str) -> Result<String>;
}

impl BearerSource for TokenProvider {
    fn bearer_token(&self) -> Result<String> {
        self.token()
    }

    fn replace_refused(&self, refused: &str) -> Result<String> {
        self.refresh_rejected(refused)
    }
}

impl BearerSource for MapsTokenProvider {
    fn bearer_token(&self) -> Result<String> {
        self.access_token()
    }

    fn replace_refused(&self, refused: &str) -> Result<String> {
        self.invalidate(Some(refused));
        self.access_token()
    }
}

impl BearerSource for OAuthTokenProvider {
    fn bearer_token(&self) -> Result<String> {
        self.access_token()
    }

    fn replace_refused(&self, refused: &str) -> Result<String> {
        self.invalidate(Some(refused));
        self.access_token()
    }
}

/// Sends a request with `Authorization: Bearer <token>` from `source` (`send` gets the header's
/// value and builds the request, e.g. with `ureq`), and when `status` of the answer is 401,
/// replaces that token and sends once more. The second answer is returned whatever it is. A
/// transport error of `send` is returned as it is (`Ok(Err(..))`); a provider's failure is the
/// outer error.
pub fn send_authorized<R, E>(
    source: &impl BearerSource,
    mut send: impl FnMut(&str) -> std::result::Result<R, E>,
    status: impl Fn(&R) -> u16,
) -> Result<std::result::Result<R, E>> {
    let token = source.bearer_token()?;
    let first = send(&format!("Bearer {token}"));
    match &first {
        Ok(response) if status(response) == 401 => {
            let replacement = source.replace_refused(&token)?;
            Ok(send(&format!("Bearer {replacement}")))
        }
        _ => Ok(first),
    }
}
