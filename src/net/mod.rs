//! The network layer (feature `http`): the HTTP client ([`http`]), what the two access-token
//! exchanges share (`exchange`), the Maps Server API ([`maps`]), the OAuth token endpoint
//! ([`oauth`]) and the setup checklist ([`doctor`]). It may import every layer below it; nothing below imports it.

pub mod doctor;
pub(crate) mod exchange;
pub mod http;
pub mod maps;
pub mod oauth;
