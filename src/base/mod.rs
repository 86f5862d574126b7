//! The base layer: plain helpers every other layer may use: where "now" comes from and how text
//! is escaped and cut for messages. It imports nothing from the crate.

pub mod clock;
pub(crate) mod text;
