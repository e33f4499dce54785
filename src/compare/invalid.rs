//! `crd-invalid`: a new CRD that the API server would reject.

use crate::report::Change;
use serde_json::Value;

/// Checks the new CRD on its own.
pub fn check_invalid(_name: &str, _new: &Value) -> Vec<Change> {
    Vec::new()
}
