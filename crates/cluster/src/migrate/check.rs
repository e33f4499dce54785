//! A migrated object against the CRD that will be installed: in `nexus-schema` (shared with the
//! fake API server).

pub use nexus_schema::object::*;
