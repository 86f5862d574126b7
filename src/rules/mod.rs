//! The rules layer: what Apple asks of each service, as data. The service table
//! ([`service::ServiceRules`]), the StoreKit kinds' table ([`storekit_kinds::StoreKitKindRules`]),
//! the shapes of identifiers, what Apple does in the field beyond its pages, and the
//! [`findings::Finding`]s inspection reports. It imports only [`crate::base`].

pub mod check;
pub mod field;
pub mod findings;
pub(crate) mod identifiers;
pub mod service;
pub mod storekit_kinds;
