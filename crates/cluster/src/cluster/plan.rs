//! The decisions of an install, as plain functions of documents: what to send, whether a CRD is
//! created, updated or unchanged, which stored versions a new CRD would drop, which live CRDs
//! belong to the datamodel but are no longer in it, and whether a CRD is ready.

use crate::crd::CrdSet;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// What an install does with one CRD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Unchanged,
}

/// Metadata the server owns; sending it would be rejected or ignored.
const SERVER_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// The apply configuration for a built CRD.
///
/// Status and server-owned metadata are left out (generators such as older controller-gen write
/// `creationTimestamp: null` and an empty status). When the CRD exists, its `resourceVersion`
/// goes in as a precondition: the apply is forced (`force=true`), so that nexus takes over fields
/// another tool (helm, kubectl) set before, and the precondition makes sure the object it forces
/// is the one the compatibility check saw; a change in between is a 409 Conflict, not a silent
/// overwrite.
pub fn apply_body(doc: &Value, live: Option<&Value>) -> Value {
    let mut body = doc.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            for key in SERVER_METADATA {
                meta.remove(*key);
            }
            if let Some(rv) = live
                .and_then(|l| l.pointer("/metadata/resourceVersion"))
                .and_then(Value::as_str)
            {
                meta.insert("resourceVersion".to_string(), json!(rv));
            }
        }
    }
    body
}

/// Field ownership without timestamps.
fn ownership(obj: &Value) -> Vec<(String, String, String, String)> {
    let mut owners: Vec<(String, String, String, String)> = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            let s = |k: &str| {
                e.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            (
                s("manager"),
                s("operation"),
                s("subresource"),
                e.get("fieldsV1").map(Value::to_string).unwrap_or_default(),
            )
        })
        .collect();
    owners.sort();
    owners
}

/// Compares the server's answer to a dry-run apply with the live CRD: unchanged when the spec,
/// the labels and annotations, and the field ownership are the same. (The dry-run answer is what
/// the server would store, defaults included, so both sides went through the same defaulting.)
pub fn classify(live: Option<&Value>, dry_run_result: &Value) -> Action {
    let Some(live) = live else {
        return Action::Create;
    };
    let same = |pointer: &str| live.pointer(pointer) == dry_run_result.pointer(pointer);
    if same("/spec")
        && same("/metadata/labels")
        && same("/metadata/annotations")
        && ownership(live) == ownership(dry_run_result)
    {
        Action::Unchanged
    } else {
        Action::Update
    }
}

/// Field managers of the tools people install CRDs with by hand or by chart. Server-side apply
/// removes a field only when its applier was its only owner, so as long as one of these co-owns
/// a CRD's spec, a version or property nexus drops would silently stay. Controllers that write
/// parts of a CRD on purpose (cert-manager's cainjector sets the conversion webhook's caBundle)
/// are not in the list and keep their fields.
pub const INSTALLERS: &[&str] = &[
    "kubectl",
    "kubectl-client-side-apply",
    "kubectl-create",
    "kubectl-replace",
    "kubectl-edit",
    "kubectl-patch",
    "before-first-apply",
    "helm",
    RESTORE_MANAGER,
];

/// The field manager of nexus's own restore of a CRD (a replace after a failed install): its
/// fields are taken over like an installer's, or a field the next install drops would stay.
pub const RESTORE_MANAGER: &str = "nexus-restore";

/// Nesting limit for merging `fieldsV1` trees.
const MAX_FIELDS_DEPTH: usize = 512;

fn merge_fields(into: &mut Value, from: &Value, depth: usize) -> bool {
    if depth > MAX_FIELDS_DEPTH {
        return false;
    }
    let (Some(into_map), Some(from_map)) = (into.as_object_mut(), from.as_object()) else {
        return true;
    };
    for (key, child) in from_map {
        let slot = into_map.entry(key.clone()).or_insert_with(|| json!({}));
        if !merge_fields(slot, child, depth + 1) {
            return false;
        }
    }
    true
}

/// Taking over a CRD's spec from the installers that own parts of it: the merge patch that moves
/// their `f:spec` fields into nexus's apply entry (with the live resourceVersion as a
/// precondition), and the managers it takes them from. `None` when no installer owns spec fields.
pub fn adoption_patch(live: &Value, manager: &str) -> Option<(Value, Vec<String>)> {
    let entries = live.pointer("/metadata/managedFields")?.as_array()?;
    let rv = live.pointer("/metadata/resourceVersion")?.as_str()?;
    let mut adopted = json!({});
    let mut from = Vec::new();
    let mut kept = Vec::new();
    let mut first_time = None;
    for entry in entries {
        let name = entry
            .get("manager")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let spec = entry.pointer("/fieldsV1/f:spec");
        let subresource = entry
            .get("subresource")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match spec {
            Some(spec) if subresource.is_empty() && INSTALLERS.contains(&name) => {
                if !merge_fields(&mut adopted, spec, 0) {
                    return None;
                }
                if !from.iter().any(|f| f == name) {
                    from.push(name.to_string());
                }
                first_time = first_time.or_else(|| entry.get("time").cloned());
                let mut rest = entry.clone();
                if let Some(fields) = rest.get_mut("fieldsV1").and_then(Value::as_object_mut) {
                    fields.remove("f:spec");
                    if !fields.is_empty() {
                        kept.push(rest);
                    }
                }
            }
            _ => kept.push(entry.clone()),
        }
    }
    if from.is_empty() {
        return None;
    }
    let ours = kept.iter_mut().find(|e| {
        e.get("manager").and_then(Value::as_str) == Some(manager)
            && e.get("operation").and_then(Value::as_str) == Some("Apply")
            && e.get("subresource").is_none()
    });
    match ours {
        Some(entry) => {
            let fields = entry
                .as_object_mut()?
                .entry("fieldsV1")
                .or_insert_with(|| json!({}));
            let spec = fields
                .as_object_mut()?
                .entry("f:spec")
                .or_insert_with(|| json!({}));
            if !merge_fields(spec, &adopted, 0) {
                return None;
            }
        }
        None => {
            let api_version = live
                .get("apiVersion")
                .cloned()
                .unwrap_or(json!("apiextensions.k8s.io/v1"));
            kept.push(json!({
                "manager": manager,
                "operation": "Apply",
                "apiVersion": api_version,
                "time": first_time.unwrap_or(json!(null)),
                "fieldsType": "FieldsV1",
                "fieldsV1": { "f:spec": adopted },
            }));
        }
    }
    let patch = json!({ "metadata": { "resourceVersion": rv, "managedFields": kept } });
    Some((patch, from))
}

/// Versions in the live CRD's `status.storedVersions` that the new CRD no longer lists.
pub fn dropped_stored_versions(live: &Value, new: &Value) -> Vec<String> {
    let present: BTreeSet<&str> = new
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect();
    live.pointer("/status/storedVersions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|v| !present.contains(v))
        .map(str::to_string)
        .collect()
}

fn storage_version(crd: &Value) -> Option<&str> {
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)?
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))?
        .get("name")?
        .as_str()
}

/// The error for a new CRD that drops stored versions: what must happen first, step by step.
pub fn stored_version_message(name: &str, dropped: &[String], new: &Value) -> String {
    let target = storage_version(new).unwrap_or("the new storage version");
    let plural_versions = if dropped.len() == 1 {
        "version"
    } else {
        "versions"
    };
    let listed = dropped.join(", ");
    format!(
        "cannot remove {plural_versions} {listed} from CRD {name}: the cluster still lists {listed} in status.storedVersions, so objects may be stored in {}; migrate them first: \
         (1) install a CRD that keeps {listed} in spec.versions and stores {target}, \
         (2) rewrite every object so that it is stored in {target} (for example `kubectl get {name} --all-namespaces -o json | kubectl replace -f -`), \
         (3) remove {listed} from the stored versions (`kubectl patch crd {name} --subresource=status --type=merge -p '{{\"status\":{{\"storedVersions\":[\"{target}\"]}}}}'`), \
         then run install again; --force does not skip this, because the API server would refuse the CRD anyway",
        if dropped.len() == 1 { "it" } else { "them" },
    )
}

/// Which groups belong to the datamodel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupScope {
    /// A nexus datamodel (`groupName` G in nexus.yaml): G and every `<package>.G`.
    Datamodel(String),
    /// Any other CRD set: exactly the groups of its CRDs.
    Groups(BTreeSet<String>),
}

impl GroupScope {
    /// The groups of a CRD set.
    pub fn of_set(set: &CrdSet) -> GroupScope {
        GroupScope::Groups(
            set.crds
                .values()
                .filter_map(|c| c.doc.pointer("/spec/group").and_then(Value::as_str))
                .map(str::to_string)
                .collect(),
        )
    }

    pub fn contains(&self, group: &str) -> bool {
        match self {
            GroupScope::Datamodel(g) => {
                group == g
                    || group
                        .strip_suffix(g.as_str())
                        .is_some_and(|p| p.ends_with('.'))
            }
            GroupScope::Groups(groups) => groups.contains(group),
        }
    }
}

impl std::fmt::Display for GroupScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GroupScope::Datamodel(g) => write!(f, "{g} and *.{g}"),
            GroupScope::Groups(groups) => {
                let list: Vec<&str> = groups.iter().map(String::as_str).collect();
                f.write_str(&list.join(", "))
            }
        }
    }
}

/// Live CRDs of the datamodel's groups that the new set no longer has, by name.
pub fn orphans<'a>(live: &'a [Value], new: &CrdSet, scope: &GroupScope) -> Vec<&'a Value> {
    let mut found: Vec<&Value> = live
        .iter()
        .filter(|c| {
            let name = c
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let group = c
                .pointer("/spec/group")
                .and_then(Value::as_str)
                .unwrap_or_default();
            !name.is_empty() && !new.crds.contains_key(name) && scope.contains(group)
        })
        .collect();
    found.sort_by_key(|c| {
        c.pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    });
    found
}

/// Whether a CRD is being served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Established,
    /// The naming controller refused a name (NamesAccepted False).
    NamesRefused {
        reason: String,
        message: String,
    },
    /// Not yet; the text says what the conditions say.
    Pending(String),
}

/// Reads the `NamesAccepted` and `Established` conditions.
pub fn readiness(crd: &Value) -> Readiness {
    let condition = |kind: &str| {
        crd.pointer("/status/conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
    };
    let field = |c: &Value, k: &str| {
        c.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    if let Some(names) = condition("NamesAccepted")
        && field(names, "status") == "False"
    {
        return Readiness::NamesRefused {
            reason: field(names, "reason"),
            message: field(names, "message"),
        };
    }
    match condition("Established") {
        Some(c) if field(c, "status") == "True" => Readiness::Established,
        Some(c) => Readiness::Pending(
            format!(
                "Established is {}: {} {}",
                field(c, "status"),
                field(c, "reason"),
                field(c, "message")
            )
            .trim_end()
            .to_string(),
        ),
        None => Readiness::Pending(
            "the cluster has not reported an Established condition yet".to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{Crd, Origin};

    fn crd(name: &str, group: &str, versions: &[(&str, bool)]) -> Value {
        let versions: Vec<Value> = versions
            .iter()
            .map(|(v, storage)| json!({"name": v, "served": true, "storage": storage}))
            .collect();
        json!({"metadata": {"name": name}, "spec": {"group": group, "versions": versions}})
    }

    fn set(docs: &[Value]) -> CrdSet {
        let mut s = CrdSet::new("build/crds");
        for d in docs {
            let name = d["metadata"]["name"].as_str().unwrap().to_string();
            s.crds.insert(
                name.clone(),
                Crd {
                    name,
                    doc: d.clone(),
                    origin: Origin {
                        file: "x.yaml".into(),
                        line: None,
                    },
                },
            );
        }
        s
    }

    #[test]
    fn apply_body_drops_server_fields_and_pins_the_live_version() {
        let doc = json!({"metadata": {"name": "a", "creationTimestamp": null, "uid": "u"}, "spec": {}, "status": {"storedVersions": []}});
        let live = json!({"metadata": {"resourceVersion": "42"}});
        let body = apply_body(&doc, Some(&live));
        assert_eq!(
            body,
            json!({"metadata": {"name": "a", "resourceVersion": "42"}, "spec": {}})
        );
        assert_eq!(
            apply_body(&doc, None),
            json!({"metadata": {"name": "a"}, "spec": {}})
        );
    }

    #[test]
    fn classify_compares_content_and_ownership() {
        let owned = |manager: &str| {
            json!({"metadata": {"name": "a", "resourceVersion": "1", "managedFields": [
                {"manager": manager, "operation": "Apply", "time": "t", "fieldsV1": {"f:spec": {}}}]},
                "spec": {"group": "g.io"}})
        };
        assert_eq!(classify(None, &owned("nexus")), Action::Create);
        let mut later = owned("nexus");
        later["metadata"]["managedFields"][0]["time"] = json!("t2");
        assert_eq!(classify(Some(&owned("nexus")), &later), Action::Unchanged);
        assert_eq!(
            classify(Some(&owned("helm")), &owned("nexus")),
            Action::Update
        );
        let mut changed = owned("nexus");
        changed["spec"]["group"] = json!("h.io");
        assert_eq!(classify(Some(&owned("nexus")), &changed), Action::Update);
        let mut labelled = owned("nexus");
        labelled["metadata"]["labels"] = json!({"a": "b"});
        assert_eq!(classify(Some(&owned("nexus")), &labelled), Action::Update);
    }

    #[test]
    fn installers_hand_their_spec_fields_to_nexus() {
        let live = json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "metadata": {"resourceVersion": "7", "managedFields": [
                {"manager": "kubectl-client-side-apply", "operation": "Update", "time": "t1",
                 "fieldsV1": {"f:metadata": {"f:annotations": {}}, "f:spec": {"f:versions": {}}}},
                {"manager": "cainjector", "operation": "Update", "time": "t2",
                 "fieldsV1": {"f:spec": {"f:conversion": {}}}},
                {"manager": "kube-apiserver", "operation": "Update", "subresource": "status",
                 "fieldsV1": {"f:status": {}}}
            ]}
        });
        let (patch, from) = adoption_patch(&live, "nexus").unwrap();
        assert_eq!(from, vec!["kubectl-client-side-apply"]);
        assert_eq!(patch["metadata"]["resourceVersion"], "7");
        let entries = patch["metadata"]["managedFields"].as_array().unwrap();
        let managers: Vec<&str> = entries
            .iter()
            .map(|e| e["manager"].as_str().unwrap())
            .collect();
        assert_eq!(
            managers,
            vec![
                "kubectl-client-side-apply",
                "cainjector",
                "kube-apiserver",
                "nexus"
            ]
        );
        assert_eq!(
            entries[0]["fieldsV1"],
            json!({"f:metadata": {"f:annotations": {}}})
        );
        assert_eq!(
            entries[3]["fieldsV1"],
            json!({"f:spec": {"f:versions": {}}})
        );
        assert_eq!(entries[3]["operation"], "Apply");
        // Nothing to take over: no patch.
        let ours = json!({"metadata": {"resourceVersion": "8", "managedFields": [
            {"manager": "nexus", "operation": "Apply", "fieldsV1": {"f:spec": {}}}]}});
        assert!(adoption_patch(&ours, "nexus").is_none());
    }

    #[test]
    fn stored_versions_that_disappear_are_found() {
        let mut live = crd("a.g.io", "g.io", &[("v1alpha1", false), ("v1", true)]);
        live["status"] = json!({"storedVersions": ["v1alpha1", "v1"]});
        let keeps = crd(
            "a.g.io",
            "g.io",
            &[("v1alpha1", false), ("v1", true), ("v2", false)],
        );
        assert!(dropped_stored_versions(&live, &keeps).is_empty());
        let drops = crd("a.g.io", "g.io", &[("v1", true)]);
        assert_eq!(dropped_stored_versions(&live, &drops), vec!["v1alpha1"]);
        let msg = stored_version_message("a.g.io", &["v1alpha1".to_string()], &drops);
        assert!(msg.starts_with("cannot remove version v1alpha1 from CRD a.g.io: the cluster still lists v1alpha1 in status.storedVersions"));
        assert!(msg.contains(
            r#"--subresource=status --type=merge -p '{"status":{"storedVersions":["v1"]}}'"#
        ));
    }

    #[test]
    fn datamodel_scope_covers_package_groups_only() {
        let scope = GroupScope::Datamodel("orgchart.org".into());
        assert!(scope.contains("orgchart.org"));
        assert!(scope.contains("role.orgchart.org"));
        assert!(!scope.contains("neworgchart.org"));
        assert!(!scope.contains("org"));
    }

    #[test]
    fn orphans_are_live_crds_of_our_groups_missing_from_the_set() {
        let new = set(&[crd("a.g.io", "g.io", &[("v1", true)])]);
        let live = vec![
            crd("a.g.io", "g.io", &[("v1", true)]),
            crd("old.g.io", "g.io", &[("v1", true)]),
            crd("other.x.io", "x.io", &[("v1", true)]),
        ];
        let found: Vec<&str> = orphans(&live, &new, &GroupScope::of_set(&new))
            .into_iter()
            .map(|c| c["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(found, vec!["old.g.io"]);
    }

    #[test]
    fn readiness_reads_the_conditions() {
        let with = |conditions: Value| json!({"status": {"conditions": conditions}});
        assert_eq!(
            readiness(&with(json!([{"type": "Established", "status": "True"}]))),
            Readiness::Established
        );
        assert_eq!(
            readiness(&with(json!([
                {"type": "NamesAccepted", "status": "False", "reason": "KindConflict", "message": "\"Foo\" is already in use"},
                {"type": "Established", "status": "False", "reason": "NotAccepted"}
            ]))),
            Readiness::NamesRefused {
                reason: "KindConflict".into(),
                message: "\"Foo\" is already in use".into()
            }
        );
        assert!(matches!(readiness(&json!({})), Readiness::Pending(_)));
        assert_eq!(
            readiness(&with(
                json!([{"type": "Established", "status": "False", "reason": "Installing", "message": "the initial names have been accepted"}])
            )),
            Readiness::Pending(
                "Established is False: Installing the initial names have been accepted".into()
            )
        );
    }
}
