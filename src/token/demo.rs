//! A public demo key, so a newcomer sees a token at once. **Never use it for anything real**:
//! its private half is printed here for all to see, and Apple knows nothing of it.

use crate::contract::error::Result;
use crate::token::signer::Signer;

/// The key id the demo key signs under.
pub const DEMO_KEY_ID: &str = "DEMO000KEY";

/// The Team ID the demo uses as issuer.
pub const DEMO_TEAM_ID: &str = "DEMO0TEAM0";

/// A P-256 PKCS#8 key generated for devtoken's demos and documentation. Public; not Apple's.
pub const DEMO_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgyQzqoNKRtYYLFWTY
+rTUuq/GhuFqAc9L5OjXJ6xK1JShRANCAATM8Mr3UHPkcpCkyS+4BDt51NbUcZds
zoYSF67drKC7UpAgjQaJpQYcCm0AJrRUA/gJ7cKXz4x/f3vxwjiwAJSP
-----END PRIVATE KEY-----
";

/// A signer over the demo key.
///
/// ```
/// let signer = devtoken::demo::demo_signer().unwrap();
/// assert_eq!(signer.key_id(), devtoken::demo::DEMO_KEY_ID);
/// ```
pub fn demo_signer() -> Result<Signer> {
    Signer::from_pem(DEMO_KEY_PEM, DEMO_KEY_ID)
}
