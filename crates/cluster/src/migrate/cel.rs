//! The CEL rules of a schema, evaluated on objects: in `nexus-schema` (shared with the fake API
//! server).

pub use nexus_schema::object::cel::*;
