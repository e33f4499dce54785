//! Rules about the CRD as a whole: names, scope, versions, subresources, conversion, and the
//! served-versions check inside the new CRD.

use super::Options;
use crate::report::Change;
use serde_json::Value;

/// Compares one CRD (`None` where it is absent from that set).
pub fn compare_crd(
    _name: &str,
    _old: Option<&Value>,
    _new: Option<&Value>,
    _opts: &Options,
) -> Vec<Change> {
    Vec::new()
}
