//! `subresources` of a version: the status subresource and the scale subresource.

use super::findings::Findings;
use super::value::{non_empty, object_of, present, to_value};
use crate::compare::path;
use crate::rules::RuleId;
use serde_json::Value;

const CLAIMED: &[&str] = &["status", "scale"];
const SCALE_PATHS: &[&str] = &[
    "specReplicasPath",
    "statusReplicasPath",
    "labelSelectorPath",
];

/// Compares `subresources` of one version present in both CRDs; `base` is the version's path.
pub(super) fn compare(
    out: &mut Findings<'_>,
    version: &str,
    base: &str,
    old: Option<&Value>,
    new: Option<&Value>,
) {
    let path = path::child(base, "subresources");
    let (Some(o), Some(n)) = (object_of(old), object_of(new)) else {
        out.unhandled_if_different(
            Some(version),
            path,
            old,
            new,
            "subresources is not an object",
        );
        return;
    };
    status(out, version, &path, o.get("status"), n.get("status"));
    scale(out, version, &path, o.get("scale"), n.get("scale"));
    out.unclaimed(Some(version), &path, o, n, CLAIMED);
}

fn status(
    out: &mut Findings<'_>,
    version: &str,
    base: &str,
    old: Option<&Value>,
    new: Option<&Value>,
) {
    let path = path::child(base, "status");
    match (present(old), present(new)) {
        (Some(_), None) => out.add(
            RuleId::CrdStatusSubresourceRemoved,
            Some(version),
            path,
            format!(
                "status subresource removed from version {version}: clients that write /status get 404, and status is now written through the main endpoint"
            ),
            to_value(old),
            Value::Null,
        ),
        (None, Some(_)) => out.add(
            RuleId::CrdStatusSubresourceAdded,
            Some(version),
            path,
            format!(
                "status subresource added to version {version}: status written through the main endpoint is now dropped"
            ),
            Value::Null,
            to_value(new),
        ),
        _ => {
            out.unhandled_if_different(
                Some(version),
                path,
                old,
                new,
                "the status subresource takes no settings",
            );
        }
    }
}

fn scale(
    out: &mut Findings<'_>,
    version: &str,
    base: &str,
    old: Option<&Value>,
    new: Option<&Value>,
) {
    let path = path::child(base, "scale");
    match (non_empty(old), non_empty(new)) {
        (None, None) => {}
        (Some(_), None) => out.add(
            RuleId::CrdScaleSubresourceChanged,
            Some(version),
            path,
            format!(
                "scale subresource removed from version {version}: `kubectl scale` and autoscalers targeting it stop working"
            ),
            to_value(old),
            Value::Null,
        ),
        (None, Some(_)) => out.add(
            RuleId::CrdScaleSubresourceAdded,
            Some(version),
            path,
            format!("scale subresource added to version {version}"),
            Value::Null,
            to_value(new),
        ),
        (Some(o), Some(n)) => {
            let (Some(o), Some(n)) = (o.as_object(), n.as_object()) else {
                out.unhandled_if_different(Some(version), path, old, new, "scale is not an object");
                return;
            };
            for key in SCALE_PATHS {
                let (was, is) = (present(o.get(*key)), present(n.get(*key)));
                if was == is {
                    continue;
                }
                out.add(
                    RuleId::CrdScaleSubresourceChanged,
                    Some(version),
                    path::child(&path, key),
                    format!(
                        "scale subresource {key} of version {version} changed from {} to {}",
                        super::value::show(was),
                        super::value::show(is)
                    ),
                    to_value(was),
                    to_value(is),
                );
            }
            out.unclaimed(Some(version), &path, o, n, SCALE_PATHS);
        }
    }
}
