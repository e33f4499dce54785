//! `crd-served-versions-incompatible`: inside the new CRD, a breaking property rule fires between
//! two served versions (older → newer in Kubernetes order) that did not already fire for that pair
//! in the old CRD. A ratchet: a CRD that always had incompatible versions is not blamed again,
//! only a change that makes them (more) incompatible is.

use super::conversion::strategy;
use super::findings::Findings;
use super::version_order::sort_oldest_first;
use super::versions::VersionList;
use crate::compare::Options;
use crate::compare::path;
use crate::compare::schema::{SchemaCtx, compare_schemas};
use crate::report::{Change, Severity};
use crate::rules::RuleId;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};

/// A finding between two versions, as the ratchet compares it: its rule and its path below the
/// schema root.
type Key = (RuleId, String);

/// Runs the check on two CRD specs present in both sets.
pub(super) fn check(
    out: &mut Findings<'_>,
    old_spec: &Map<String, Value>,
    new_spec: &Map<String, Value>,
    opts: &Options,
) {
    check_with(out, old_spec, new_spec, opts, compare_schemas);
}

/// [`check`] with the schema comparison passed in, so the ratchet can be tested on its own.
fn check_with(
    out: &mut Findings<'_>,
    old_spec: &Map<String, Value>,
    new_spec: &Map<String, Value>,
    opts: &Options,
    compare: impl Fn(&SchemaCtx<'_>, &Value, &Value) -> Vec<Change>,
) {
    // With a webhook, translating between versions is the webhook's job.
    if opts.served_versions_skip_webhook && strategy(new_spec) == Some("Webhook") {
        return;
    }
    let Some(new_list) = VersionList::read(new_spec.get("versions")) else {
        return;
    };
    let old_served: BTreeMap<&str, &Value> = VersionList::read(old_spec.get("versions"))
        .map(|list| schemas_of_served(&list))
        .unwrap_or_default();
    let new_served = schemas_of_served(&new_list);
    let mut names: Vec<&str> = new_served.keys().copied().collect();
    sort_oldest_first(&mut names);

    let crd = out.crd();
    let mut reported: HashSet<(&str, Key)> = HashSet::new();
    for (j, newer) in names.iter().enumerate() {
        // Nearest older version first, so a finding shared with older ones names the nearest.
        for older in names.iter().take(j).rev() {
            let (Some(older_schema), Some(newer_schema)) =
                (new_served.get(older), new_served.get(newer))
            else {
                continue;
            };
            let (old_older, old_newer) = (old_served.get(older), old_served.get(newer));
            // Nothing can fire that did not fire before when neither schema changed, and
            // nothing fires between identical schemas: skip both walks.
            let unchanged = old_older == Some(older_schema) && old_newer == Some(newer_schema);
            if unchanged || older_schema == newer_schema {
                continue;
            }
            let ctx = SchemaCtx {
                crd,
                version: newer,
                base_path: path::schema_root_path(newer),
            };
            let found = breaking(compare(&ctx, older_schema, newer_schema));
            if found.is_empty() {
                continue;
            }
            let before: HashSet<Key> = match (old_older, old_newer) {
                (Some(a), Some(b)) => breaking(compare(&ctx, a, b))
                    .iter()
                    .map(|c| key(&ctx, c))
                    .collect(),
                _ => HashSet::new(),
            };
            let fresh: Vec<Change> = found
                .into_iter()
                .filter(|f| {
                    let k = key(&ctx, f);
                    !before.contains(&k) && reported.insert((newer, k))
                })
                .collect();
            if !fresh.is_empty() {
                out.extend([pair_change(&ctx, older, fresh)]);
            }
        }
    }
}

/// One finding per pair of versions (one edit — serving a version whose schema differs — is one
/// finding); the differences themselves are listed in `new`, the first few in the message.
fn pair_change(ctx: &SchemaCtx<'_>, older: &str, fresh: Vec<Change>) -> Change {
    const SHOWN: usize = 3;
    let newer = ctx.version;
    let mut examples: Vec<String> = fresh
        .iter()
        .take(SHOWN)
        .map(|f| format!("{} ({})", f.message, f.rule))
        .collect();
    if fresh.len() > SHOWN {
        examples.push(format!("and {} more", fresh.len() - SHOWN));
    }
    let count = fresh.len();
    let details: Vec<Value> = fresh
        .into_iter()
        .map(|f| {
            serde_json::json!({
                "rule": f.rule.as_str(),
                "path": f.path,
                "field": f.field,
                "message": f.message,
            })
        })
        .collect();
    Change::new(
        RuleId::CrdServedVersionsIncompatible,
        ctx.crd,
        Some(newer),
        ctx.base_path.clone(),
    )
    .message(format!(
        "served versions {older} and {newer} are incompatible ({count} breaking {}): {}; objects written through one version can be rejected or lose data through the other, so add a conversion webhook or align the schemas",
        if count == 1 { "difference" } else { "differences" },
        examples.join("; ")
    ))
    // `old` names the older version of the pair, so pairs that share the newer version stay
    // distinct (and can be told apart in an ignore); `new` lists the differences.
    .values(Value::String(older.to_string()), Value::Array(details))
}

/// Served versions that have a schema.
fn schemas_of_served<'a>(list: &VersionList<'a>) -> BTreeMap<&'a str, &'a Value> {
    list.served()
        .into_iter()
        .filter_map(|(name, schema)| Some((name, schema?)))
        .collect()
}

/// Findings whose rule is breaking by default (config overrides do not change what counts as
/// incompatible between versions).
fn breaking(changes: Vec<Change>) -> Vec<Change> {
    changes
        .into_iter()
        .filter(|c| c.rule.default_severity() == Severity::Breaking)
        .collect()
}

fn key(ctx: &SchemaCtx<'_>, change: &Change) -> Key {
    let relative = change
        .path
        .strip_prefix(ctx.base_path.as_str())
        .unwrap_or(&change.path);
    (change.rule, relative.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A stand-in for the schema walker: `field-removed` for each top-level property only in
    /// old, `field-added` for each only in new.
    fn fake_walker(ctx: &SchemaCtx<'_>, old: &Value, new: &Value) -> Vec<Change> {
        let props = |v: &Value| -> BTreeMap<String, Value> {
            v.get("properties")
                .and_then(Value::as_object)
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        let (o, n) = (props(old), props(new));
        let mut out = Vec::new();
        for k in o.keys().filter(|k| !n.contains_key(*k)) {
            out.push(
                Change::new(
                    RuleId::FieldRemoved,
                    ctx.crd,
                    Some(ctx.version),
                    format!("{}/properties/{k}", ctx.base_path),
                )
                .field(format!(".{k}"))
                .message(format!("field {k} removed")),
            );
        }
        for k in n.keys().filter(|k| !o.contains_key(*k)) {
            out.push(Change::new(
                RuleId::FieldAdded,
                ctx.crd,
                Some(ctx.version),
                format!("{}/properties/{k}", ctx.base_path),
            ));
        }
        out
    }

    /// A spec whose versions are `(name, served, property names)`.
    fn spec(versions: &[(&str, bool, &[&str])], webhook: bool) -> Map<String, Value> {
        let versions: Vec<Value> = versions
            .iter()
            .map(|(name, served, props)| {
                let properties: Map<String, Value> = props
                    .iter()
                    .map(|p| (p.to_string(), json!({"type": "string"})))
                    .collect();
                json!({"name": name, "served": served, "storage": *name == "v1",
                       "schema": {"openAPIV3Schema": {"type": "object", "properties": properties}}})
            })
            .collect();
        let mut spec = json!({"versions": versions});
        if webhook {
            spec["conversion"] = json!({"strategy": "Webhook"});
        }
        match spec {
            Value::Object(o) => o,
            _ => Map::new(),
        }
    }

    fn run(old: &Map<String, Value>, new: &Map<String, Value>, opts: &Options) -> Vec<Change> {
        let mut out = Findings::new("widgets.example.com");
        check_with(&mut out, old, new, opts, fake_walker);
        out.into_changes()
    }

    fn summary(changes: &[Change]) -> Vec<(String, String, String)> {
        changes
            .iter()
            .map(|c| {
                assert_eq!(c.rule, RuleId::CrdServedVersionsIncompatible);
                // The pair ("v1beta1 and v1") and the inner findings' paths.
                let pair = c
                    .message
                    .strip_prefix("served versions ")
                    .and_then(|m| m.split(" are incompatible").next())
                    .unwrap_or_default()
                    .to_string();
                let inner: Vec<String> = c
                    .new
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f["path"].as_str().map(str::to_string))
                    .collect();
                assert_eq!(
                    c.path,
                    path::schema_root_path(c.version.as_deref().unwrap_or_default())
                );
                (c.version.clone().unwrap_or_default(), inner.join(","), pair)
            })
            .collect()
    }

    const ROOT_V1: &str = "/spec/versions/name=v1/schema/openAPIV3Schema";

    #[test]
    fn a_new_incompatibility_is_reported() {
        let old = spec(
            &[("v1beta1", true, &["a", "b"]), ("v1", true, &["a", "b"])],
            false,
        );
        let new = spec(
            &[("v1beta1", true, &["a", "b"]), ("v1", true, &["a"])],
            false,
        );
        let found = run(&old, &new, &Options::default());
        assert_eq!(
            summary(&found),
            [(
                "v1".to_string(),
                format!("{ROOT_V1}/properties/b"),
                "v1beta1 and v1".to_string()
            )]
        );
        assert_eq!(found[0].old, json!("v1beta1"));
    }

    #[test]
    fn an_incompatibility_the_old_crd_had_is_not_reported_again() {
        let old = spec(
            &[("v1beta1", true, &["a", "b"]), ("v1", true, &["a"])],
            false,
        );
        let new = spec(
            &[("v1beta1", true, &["a", "b", "c"]), ("v1", true, &["a"])],
            false,
        );
        let found = run(&old, &new, &Options::default());
        // b was already missing from v1; c is new.
        assert_eq!(
            summary(&found),
            [(
                "v1".to_string(),
                format!("{ROOT_V1}/properties/c"),
                "v1beta1 and v1".to_string()
            )]
        );
    }

    #[test]
    fn compatible_differences_are_not_reported() {
        let old = spec(&[("v1beta1", true, &["a"]), ("v1", true, &["a"])], false);
        let new = spec(
            &[("v1beta1", true, &["a"]), ("v1", true, &["a", "b"])],
            false,
        );
        assert!(run(&old, &new, &Options::default()).is_empty());
    }

    #[test]
    fn webhook_conversion_skips_the_check_unless_configured() {
        let old = spec(
            &[("v1beta1", true, &["a", "b"]), ("v1", true, &["a", "b"])],
            true,
        );
        let new = spec(
            &[("v1beta1", true, &["a", "b"]), ("v1", true, &["a"])],
            true,
        );
        assert!(run(&old, &new, &Options::default()).is_empty());
        let strict = Options {
            served_versions_skip_webhook: false,
        };
        assert_eq!(run(&old, &new, &strict).len(), 1);
    }

    #[test]
    fn unserved_versions_are_not_compared() {
        let old = spec(
            &[("v1beta1", false, &["a", "b"]), ("v1", true, &["a", "b"])],
            false,
        );
        let new = spec(
            &[("v1beta1", false, &["a", "b"]), ("v1", true, &["a"])],
            false,
        );
        assert!(run(&old, &new, &Options::default()).is_empty());
    }

    #[test]
    fn a_version_served_again_is_judged_afresh() {
        let old = spec(
            &[("v1beta1", false, &["a", "b"]), ("v1", true, &["a"])],
            false,
        );
        let new = spec(
            &[("v1beta1", true, &["a", "b"]), ("v1", true, &["a"])],
            false,
        );
        assert_eq!(run(&old, &new, &Options::default()).len(), 1);
    }

    #[test]
    fn kubernetes_order_not_document_order_decides_older_and_newer() {
        // v1 lacks b, v1beta1 has it: listed either way, the newer (v1) dropped b.
        let old = spec(
            &[("v1", true, &["a", "b"]), ("v1beta1", true, &["a", "b"])],
            false,
        );
        let new = spec(
            &[("v1", true, &["a"]), ("v1beta1", true, &["a", "b"])],
            false,
        );
        assert_eq!(summary(&run(&old, &new, &Options::default())).len(), 1);
        // v1beta1 lacks b, v1 has it: b was added going to the newer version, compatible.
        let new = spec(
            &[("v1", true, &["a", "b"]), ("v1beta1", true, &["a"])],
            false,
        );
        assert!(run(&old, &new, &Options::default()).is_empty());
    }

    #[test]
    fn every_pair_is_checked_and_shared_findings_name_the_nearest_version() {
        let old = spec(
            &[
                ("v1alpha1", true, &["a", "b", "c"]),
                ("v1beta1", true, &["a", "b", "c"]),
                ("v1", true, &["a", "b", "c"]),
            ],
            false,
        );
        let new = spec(
            &[
                ("v1alpha1", true, &["a", "b", "c"]),
                ("v1beta1", true, &["a", "b"]),
                ("v1", true, &["a"]),
            ],
            false,
        );
        let mut found = summary(&run(&old, &new, &Options::default()));
        found.sort();
        let root_beta = "/spec/versions/name=v1beta1/schema/openAPIV3Schema";
        assert_eq!(
            found,
            [
                (
                    "v1".to_string(),
                    format!("{ROOT_V1}/properties/b"),
                    "v1beta1 and v1".to_string()
                ),
                (
                    "v1".to_string(),
                    format!("{ROOT_V1}/properties/c"),
                    "v1alpha1 and v1".to_string()
                ),
                (
                    "v1beta1".to_string(),
                    format!("{root_beta}/properties/c"),
                    "v1alpha1 and v1beta1".to_string()
                ),
            ]
        );
    }
}
