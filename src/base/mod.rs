//! The base layer: plain helpers every other layer may use: where "now" comes from, how text
//! is escaped and cut for messages, and the order check of the rule tables. It imports nothing
//! from the crate.

pub mod clock;
pub(crate) mod table;
pub(crate) mod text;
