//! The network layer (feature `http`): the HTTP client ([`http`]), what the two access-token
//! exchanges share (`exchange`), the Maps Server API ([`maps`]) and the OAuth token endpoint
//! ([`oauth`]). It may import every layer below it; nothing below imports it.

pub(crate) mod exchange;
pub mod http;
pub mod maps;
pub mod oauth;
