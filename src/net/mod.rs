//! The network layer (feature `http`): the HTTP client ([`http`]), what the two access-token
//! exchanges share (`exchange`), the Maps Server API ([`maps`]), the OAuth token endpoint
//! ([`oauth`]), the setup checklist ([`doctor`]) and the bearer-and-retry helper for your own
//! calls ([`auth`]). It may import every layer below it; nothing below imports it.

pub mod auth;
pub mod doctor;
pub(crate) mod exchange;
pub mod http;
pub mod maps;
pub mod oauth;
