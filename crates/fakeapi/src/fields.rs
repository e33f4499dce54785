//! Field ownership (`metadata.managedFields`) and server-side apply, after
//! sigs.k8s.io/structured-merge-diff, reduced to what CRDs and schemaless objects need:
//!
//! - maps merge key by key; lists are atomic, except the list-maps of the CRD type
//!   (`spec.versions` keyed by `name`, `x-kubernetes-validations` keyed by `rule`,
//!   `status.conditions` keyed by `type`), whose items merge by key;
//! - an applier owns exactly the fields of its last applied configuration: fields it applied
//!   before and leaves out now are removed, unless another manager also owns them;
//! - applying a value to a field that another manager owns with a different value is a conflict,
//!   unless `force` is set, which moves the ownership to the applier;
//! - an update (create, PUT, merge/JSON patch) gives its manager the fields whose values it changed
//!   and takes them away from everybody else.
//!
//! Field paths use the `fieldsV1` vocabulary: `f:name` for a map key, `k:{"name":"v1"}` for a
//! list-map item, `.` for the item itself.

use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Nesting limit for every walk over request data (the API server has one too).
pub const MAX_DEPTH: usize = 256;

/// One path element in the `fieldsV1` vocabulary.
pub type Elem = String;
/// A field path from the object root.
pub type FieldPath = Vec<Elem>;
/// A set of owned fields.
pub type FieldSet = BTreeSet<FieldPath>;

/// Object fields that nobody owns (identity and server-maintained metadata, and `status`, which
/// the main resource never writes).
const UNOWNED_ROOT: &[&str] = &["apiVersion", "kind", "status"];
const UNOWNED_METADATA: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];
/// Map-typed fields: the map itself is owned too (`.`), as for `metadata.labels`.
const MAP_FIELDS: &[&str] = &["labels", "annotations", "properties"];

/// The nesting was deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep;

/// The key field of a list-map at this path, or `None` for an atomic list.
fn list_map_key(path: &[Elem]) -> Option<&'static str> {
    let last = path.last()?.as_str();
    match last {
        "f:versions" if path.len() == 2 && path[0] == "f:spec" => Some("name"),
        "f:x-kubernetes-validations" => Some("rule"),
        "f:conditions" if path.len() == 2 && path[0] == "f:status" => Some("type"),
        _ => None,
    }
}

fn field(key: &str) -> Elem {
    format!("f:{key}")
}

/// The `k:` element of a list-map item, or `None` when the item has no string key.
fn item_elem(item: &Value, key: &str) -> Option<Elem> {
    let value = item.get(key)?;
    let mut map = Map::new();
    map.insert(key.to_string(), value.clone());
    Some(format!("k:{}", Value::Object(map)))
}

/// The fields a configuration (or a stored object) sets.
pub fn field_set(obj: &Value) -> Result<FieldSet, TooDeep> {
    let mut set = FieldSet::new();
    let Some(map) = obj.as_object() else {
        return Ok(set);
    };
    for (key, value) in map {
        if UNOWNED_ROOT.contains(&key.as_str()) {
            continue;
        }
        if key == "metadata" {
            let Some(meta) = value.as_object() else {
                continue;
            };
            for (mkey, mvalue) in meta {
                if UNOWNED_METADATA.contains(&mkey.as_str()) {
                    continue;
                }
                walk(mvalue, vec![field("metadata"), field(mkey)], &mut set, 2)?;
            }
            continue;
        }
        walk(value, vec![field(key)], &mut set, 1)?;
    }
    Ok(set)
}

fn walk(value: &Value, path: FieldPath, set: &mut FieldSet, depth: usize) -> Result<(), TooDeep> {
    if depth > MAX_DEPTH {
        return Err(TooDeep);
    }
    match value {
        Value::Object(map) if !map.is_empty() => {
            if path
                .last()
                .is_some_and(|last| MAP_FIELDS.iter().any(|m| *last == field(m)))
            {
                let mut own = path.clone();
                own.push(".".to_string());
                set.insert(own);
            }
            for (key, child) in map {
                let mut child_path = path.clone();
                child_path.push(field(key));
                walk(child, child_path, set, depth + 1)?;
            }
        }
        Value::Array(items) if list_map_key(&path).is_some() => {
            let key = list_map_key(&path).unwrap_or("name");
            let mut keyed_all = true;
            for item in items {
                match item_elem(item, key) {
                    Some(elem) => {
                        let mut item_path = path.clone();
                        item_path.push(elem);
                        let mut own = item_path.clone();
                        own.push(".".to_string());
                        set.insert(own);
                        if let Some(fields) = item.as_object() {
                            for (k, child) in fields {
                                let mut child_path = item_path.clone();
                                child_path.push(field(k));
                                walk(child, child_path, set, depth + 2)?;
                            }
                        }
                    }
                    None => keyed_all = false,
                }
            }
            // A list-map whose items lack their key cannot be merged by key: own it whole.
            if !keyed_all {
                set.insert(path);
            }
        }
        _ => {
            set.insert(path);
        }
    }
    Ok(())
}

/// The value at a field path (`.` gives the list item itself).
pub fn value_at<'a>(obj: &'a Value, path: &[Elem]) -> Option<&'a Value> {
    let mut cur = obj;
    let mut i = 0;
    while i < path.len() {
        let elem = &path[i];
        if elem == "." {
            return Some(cur);
        }
        if let Some(key) = elem.strip_prefix("f:") {
            cur = cur.get(key)?;
        } else if let Some(key_json) = elem.strip_prefix("k:") {
            let key: Value = serde_json::from_str(key_json).ok()?;
            let (k, v) = key.as_object()?.iter().next()?;
            cur = cur.as_array()?.iter().find(|item| item.get(k) == Some(v))?;
        } else {
            return None;
        }
        i += 1;
    }
    Some(cur)
}

/// Merges an applied configuration into the live object: maps key by key, list-maps item by
/// key (applied items first, in applied order, then the others), everything else replaced.
pub fn merge(live: &mut Value, config: &Value) -> Result<(), TooDeep> {
    merge_at(live, config, &mut Vec::new(), 0)
}

fn merge_at(
    live: &mut Value,
    config: &Value,
    path: &mut FieldPath,
    depth: usize,
) -> Result<(), TooDeep> {
    if depth > MAX_DEPTH {
        return Err(TooDeep);
    }
    match (live, config) {
        (Value::Object(live_map), Value::Object(config_map)) => {
            for (key, cvalue) in config_map {
                // The main resource never writes status.
                if path.is_empty() && key == "status" {
                    continue;
                }
                path.push(field(key));
                match live_map.get_mut(key) {
                    Some(lvalue) if mergeable(lvalue, cvalue, path) => {
                        merge_at(lvalue, cvalue, path, depth + 1)?;
                    }
                    _ => {
                        live_map.insert(key.clone(), cvalue.clone());
                    }
                }
                path.pop();
            }
        }
        (Value::Array(live_items), Value::Array(config_items)) => {
            let key = list_map_key(path).unwrap_or("name");
            let mut merged = Vec::with_capacity(config_items.len().max(live_items.len()));
            let mut remaining: Vec<Value> = std::mem::take(live_items);
            for citem in config_items {
                let ckey = citem.get(key);
                let found =
                    ckey.and_then(|ck| remaining.iter().position(|l| l.get(key) == Some(ck)));
                match found {
                    Some(pos) => {
                        let mut litem = remaining.remove(pos);
                        if let Some(elem) = item_elem(citem, key) {
                            path.push(elem);
                            merge_at(&mut litem, citem, path, depth + 1)?;
                            path.pop();
                        }
                        merged.push(litem);
                    }
                    None => merged.push(citem.clone()),
                }
            }
            merged.extend(remaining);
            *live_items = merged;
        }
        (live, config) => *live = config.clone(),
    }
    Ok(())
}

fn mergeable(live: &Value, config: &Value, path: &[Elem]) -> bool {
    match (live, config) {
        (Value::Object(_), Value::Object(_)) => true,
        (Value::Array(l), Value::Array(c)) => {
            let Some(key) = list_map_key(path) else {
                return false;
            };
            l.iter().chain(c).all(|item| item.get(key).is_some())
        }
        _ => false,
    }
}

/// Removes a field (or, for a `.` path, the whole list item) from the object; empty maps left
/// behind by the removal go too.
pub fn remove(obj: &mut Value, path: &[Elem]) {
    let Some((last, parent_path)) = path.split_last() else {
        return;
    };
    if last == "." {
        if let Some((item, list_path)) = parent_path.split_last()
            && let Some(list) = value_at_mut(obj, list_path).and_then(Value::as_array_mut)
            && let Some(pos) = position_of(list, item)
        {
            list.remove(pos);
        }
    } else if let Some(key) = last.strip_prefix("f:")
        && let Some(map) = value_at_mut(obj, parent_path).and_then(Value::as_object_mut)
    {
        map.remove(key);
    }
    // Prune parents that the removal emptied (never the root).
    let mut parent = parent_path;
    if last == "." {
        parent = parent_path.split_last().map(|(_, p)| p).unwrap_or(&[]);
    }
    while let Some((pkey, grand)) = parent.split_last() {
        let empty = value_at(obj, parent).is_some_and(|v| v.as_object().is_some_and(Map::is_empty));
        if !empty {
            break;
        }
        match pkey.strip_prefix("f:") {
            Some(key) => {
                if let Some(map) = value_at_mut(obj, grand).and_then(Value::as_object_mut) {
                    map.remove(key);
                }
            }
            None => break,
        }
        parent = grand;
    }
}

fn position_of(list: &[Value], elem: &str) -> Option<usize> {
    let key_json = elem.strip_prefix("k:")?;
    let key: Value = serde_json::from_str(key_json).ok()?;
    let (k, v) = key.as_object()?.iter().next()?;
    list.iter().position(|item| item.get(k) == Some(v))
}

fn value_at_mut<'a>(obj: &'a mut Value, path: &[Elem]) -> Option<&'a mut Value> {
    let mut cur = obj;
    for elem in path {
        if let Some(key) = elem.strip_prefix("f:") {
            cur = cur.get_mut(key)?;
        } else if elem.starts_with("k:") {
            let list = cur.as_array_mut()?;
            let pos = position_of(list, elem)?;
            cur = list.get_mut(pos)?;
        } else {
            return None;
        }
    }
    Some(cur)
}

/// Renders a field path as structured-merge-diff does in conflict messages:
/// `.spec.versions[name="v1"].served`.
pub fn display_path(path: &[Elem]) -> String {
    let mut out = String::new();
    for elem in path {
        if let Some(key) = elem.strip_prefix("f:") {
            out.push('.');
            out.push_str(key);
        } else if let Some(key_json) = elem.strip_prefix("k:") {
            if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(key_json) {
                let parts: Vec<String> = map.iter().map(|(k, v)| format!("{k}={v}")).collect();
                out.push_str(&format!("[{}]", parts.join(",")));
            }
        }
    }
    out
}

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Manager {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    pub api_version: String,
    pub time: String,
    pub subresource: Option<String>,
    pub fields: FieldSet,
}

impl Manager {
    fn is(&self, manager: &str, operation: &str) -> bool {
        self.manager == manager && self.operation == operation && self.subresource.is_none()
    }
}

/// Reads `metadata.managedFields`; entries that do not parse are dropped (the server would have
/// rejected them on the way in).
pub fn managers_of(obj: &Value) -> Vec<Manager> {
    let Some(entries) = obj
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|e| {
            let mut fields = FieldSet::new();
            tree_to_set(e.get("fieldsV1")?, &mut Vec::new(), &mut fields, 0).ok()?;
            Some(Manager {
                manager: e.get("manager")?.as_str()?.to_string(),
                operation: e.get("operation")?.as_str()?.to_string(),
                api_version: e
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                time: e
                    .get("time")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                subresource: e
                    .get("subresource")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                fields,
            })
        })
        .collect()
}

fn tree_to_set(
    tree: &Value,
    path: &mut FieldPath,
    set: &mut FieldSet,
    depth: usize,
) -> Result<(), TooDeep> {
    if depth > MAX_DEPTH {
        return Err(TooDeep);
    }
    match tree.as_object() {
        Some(map) if !map.is_empty() => {
            for (key, child) in map {
                path.push(key.clone());
                tree_to_set(child, path, set, depth + 1)?;
                path.pop();
            }
        }
        _ => {
            if !path.is_empty() {
                set.insert(path.clone());
            }
        }
    }
    Ok(())
}

fn set_to_tree(set: &FieldSet) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut cur = &mut root;
        for elem in path {
            let next = cur
                .entry(elem.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(map) = next else { break };
            cur = map;
        }
    }
    Value::Object(root)
}

/// Writes the entries back to `metadata.managedFields`, dropping the ones that own nothing.
pub fn store_managers(obj: &mut Value, managers: &[Manager]) {
    let entries: Vec<Value> = managers
        .iter()
        .filter(|m| !m.fields.is_empty())
        .map(|m| {
            let mut entry = json!({
                "manager": m.manager,
                "operation": m.operation,
                "apiVersion": m.api_version,
                "time": m.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": set_to_tree(&m.fields),
            });
            if let Some(sub) = &m.subresource {
                entry["subresource"] = json!(sub);
            }
            entry
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if entries.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".to_string(), Value::Array(entries));
        }
    }
}

/// What server-side apply needs to know besides the two objects.
pub struct ApplyRequest<'a> {
    pub manager: &'a str,
    pub api_version: &'a str,
    pub force: bool,
    pub now: &'a str,
}

/// The outcome of an apply: the merged object (with its new `managedFields`), or the conflicts
/// as (manager, displayed field path) pairs.
pub enum ApplyOutcome {
    Applied(Value),
    Conflicts(Vec<(String, String)>),
}

/// Server-side apply of `config` onto `live` (`None`: the object does not exist yet).
pub fn apply(
    live: Option<&Value>,
    config: &Value,
    req: &ApplyRequest<'_>,
) -> Result<ApplyOutcome, TooDeep> {
    let applied = field_set(config)?;
    let Some(live) = live else {
        let mut obj = config.clone();
        let entry = Manager {
            manager: req.manager.to_string(),
            operation: "Apply".to_string(),
            api_version: req.api_version.to_string(),
            time: req.now.to_string(),
            subresource: None,
            fields: applied,
        };
        store_managers(&mut obj, &[entry]);
        return Ok(ApplyOutcome::Applied(obj));
    };

    let mut managers = managers_of(live);
    let mut conflicts: Vec<(String, FieldPath)> = Vec::new();
    for m in &managers {
        if m.manager == req.manager || m.subresource.is_some() {
            continue;
        }
        for path in applied.intersection(&m.fields) {
            if path.last().is_some_and(|e| e == ".") {
                continue;
            }
            if value_at(live, path) != value_at(config, path) {
                conflicts.push((m.manager.clone(), path.clone()));
            }
        }
    }
    if !conflicts.is_empty() && !req.force {
        let shown = conflicts
            .into_iter()
            .map(|(m, p)| (m, display_path(&p)))
            .collect();
        return Ok(ApplyOutcome::Conflicts(shown));
    }
    for (owner, path) in &conflicts {
        for m in managers.iter_mut().filter(|m| &m.manager == owner) {
            m.fields.remove(path);
        }
    }

    let previous = managers
        .iter()
        .find(|m| m.is(req.manager, "Apply"))
        .map(|m| m.fields.clone())
        .unwrap_or_default();
    let mut result = live.clone();
    merge(&mut result, config)?;

    let others: FieldSet = managers
        .iter()
        .filter(|m| !m.is(req.manager, "Apply"))
        .flat_map(|m| m.fields.iter().cloned())
        .collect();
    // Deepest first, so that a list item goes after its fields were judged.
    let mut dropped: Vec<&FieldPath> = previous.difference(&applied).collect();
    dropped.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for path in dropped {
        let subject: &[Elem] = if path.last().is_some_and(|e| e == ".") {
            &path[..path.len() - 1]
        } else {
            path
        };
        let still_owned = others.iter().any(|o| o.starts_with(subject));
        let still_applied = applied.iter().any(|a| a.starts_with(subject));
        if !still_owned && !still_applied {
            remove(&mut result, path);
        }
    }

    match managers.iter_mut().find(|m| m.is(req.manager, "Apply")) {
        Some(entry) => {
            if entry.fields != applied {
                entry.time = req.now.to_string();
                entry.fields = applied;
            }
            entry.api_version = req.api_version.to_string();
        }
        None => managers.push(Manager {
            manager: req.manager.to_string(),
            operation: "Apply".to_string(),
            api_version: req.api_version.to_string(),
            time: req.now.to_string(),
            subresource: None,
            fields: applied,
        }),
    }
    store_managers(&mut result, &managers);
    Ok(ApplyOutcome::Applied(result))
}

/// Records an update (create, PUT, merge or JSON patch) by `manager`: it owns the fields whose
/// values it changed; nobody owns fields that are gone.
pub fn record_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    now: &str,
) -> Result<(), TooDeep> {
    let new_set = field_set(new)?;
    let (mut managers, old_set) = match old {
        Some(old) => (managers_of(old), field_set(old)?),
        None => (Vec::new(), FieldSet::new()),
    };
    let changed: FieldSet = new_set
        .iter()
        .filter(|p| old.is_none_or(|o| value_at(o, p) != value_at(new, p)))
        .cloned()
        .collect();
    let gone: FieldSet = old_set.difference(&new_set).cloned().collect();
    for m in managers.iter_mut() {
        for p in changed.iter().chain(&gone) {
            if !(m.is(manager, "Update")) || gone.contains(p) {
                m.fields.remove(p);
            }
        }
    }
    if !changed.is_empty() {
        match managers.iter_mut().find(|m| m.is(manager, "Update")) {
            Some(entry) => {
                entry.fields.extend(changed);
                entry.time = now.to_string();
            }
            None => managers.push(Manager {
                manager: manager.to_string(),
                operation: "Update".to_string(),
                api_version: api_version.to_string(),
                time: now.to_string(),
                subresource: None,
                fields: changed,
            }),
        }
    }
    store_managers(new, &managers);
    Ok(())
}

/// `managedFields` without the times, for telling a no-op write from a real one.
pub fn ownership(obj: &Value) -> Vec<(String, String, Option<String>, FieldSet)> {
    managers_of(obj)
        .into_iter()
        .map(|m| (m.manager, m.operation, m.subresource, m.fields))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd(versions: Value) -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "foos.example.com", "labels": {"app": "x"}},
            "spec": {"group": "example.com", "scope": "Namespaced", "versions": versions}
        })
    }

    fn req(manager: &str, force: bool) -> ApplyRequest<'_> {
        ApplyRequest {
            manager,
            api_version: "apiextensions.k8s.io/v1",
            force,
            now: "2026-01-01T00:00:00Z",
        }
    }

    fn applied(outcome: ApplyOutcome) -> Value {
        match outcome {
            ApplyOutcome::Applied(v) => v,
            ApplyOutcome::Conflicts(c) => panic!("unexpected conflicts {c:?}"),
        }
    }

    #[test]
    fn field_set_uses_fields_v1_vocabulary() {
        let set = field_set(&crd(json!([{"name": "v1", "served": true}]))).unwrap();
        let rendered: Vec<String> = set.iter().map(|p| p.join("/")).collect();
        assert_eq!(
            rendered,
            vec![
                "f:metadata/f:labels/.",
                "f:metadata/f:labels/f:app",
                "f:spec/f:group",
                "f:spec/f:scope",
                r#"f:spec/f:versions/k:{"name":"v1"}/."#,
                r#"f:spec/f:versions/k:{"name":"v1"}/f:name"#,
                r#"f:spec/f:versions/k:{"name":"v1"}/f:served"#,
            ]
        );
    }

    #[test]
    fn reapplying_without_a_version_removes_it() {
        let first = crd(json!([{"name": "v1", "served": true}, {"name": "v2", "served": true}]));
        let live = applied(apply(None, &first, &req("nexus", false)).unwrap());
        let second = crd(json!([{"name": "v2", "served": true}]));
        let result = applied(apply(Some(&live), &second, &req("nexus", false)).unwrap());
        assert_eq!(
            result["spec"]["versions"],
            json!([{"name": "v2", "served": true}])
        );
    }

    #[test]
    fn fields_of_other_managers_survive_and_conflict() {
        let mut live = crd(json!([{"name": "v1", "served": true}]));
        record_update(None, &mut live, "helm", "apiextensions.k8s.io/v1", "t0").unwrap();
        // Same values: shared ownership, no conflict.
        let same = applied(apply(Some(&live), &live.clone(), &req("nexus", false)).unwrap());
        assert_eq!(same["spec"], live["spec"]);
        // A changed value owned by helm: conflict without force, taken over with force.
        let changed = crd(json!([{"name": "v1", "served": false}]));
        match apply(Some(&same), &changed, &req("nexus", false)).unwrap() {
            ApplyOutcome::Conflicts(c) => {
                assert_eq!(
                    c,
                    vec![(
                        "helm".to_string(),
                        r#".spec.versions[name="v1"].served"#.to_string()
                    )]
                )
            }
            ApplyOutcome::Applied(_) => panic!("expected a conflict"),
        }
        let forced = applied(apply(Some(&same), &changed, &req("nexus", true)).unwrap());
        assert_eq!(forced["spec"]["versions"][0]["served"], json!(false));
        let helm = managers_of(&forced)
            .into_iter()
            .find(|m| m.manager == "helm")
            .unwrap();
        assert!(
            !helm
                .fields
                .iter()
                .any(|p| p.last().is_some_and(|e| e == "f:served"))
        );
    }

    #[test]
    fn dropping_a_field_that_another_manager_owns_keeps_it() {
        let mut live =
            crd(json!([{"name": "v1", "served": true}, {"name": "v1beta1", "served": true}]));
        record_update(
            None,
            &mut live,
            "kubectl-client-side-apply",
            "apiextensions.k8s.io/v1",
            "t0",
        )
        .unwrap();
        let config = crd(json!([{"name": "v1", "served": true}]));
        let result = applied(apply(Some(&live), &config, &req("nexus", true)).unwrap());
        assert_eq!(result["spec"]["versions"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn update_moves_changed_fields_to_the_updater() {
        let mut live = crd(json!([{"name": "v1", "served": true}]));
        record_update(None, &mut live, "a", "apiextensions.k8s.io/v1", "t0").unwrap();
        let mut next = live.clone();
        next["spec"]["scope"] = json!("Cluster");
        record_update(Some(&live), &mut next, "b", "apiextensions.k8s.io/v1", "t1").unwrap();
        let managers = managers_of(&next);
        let b = managers.iter().find(|m| m.manager == "b").unwrap();
        assert_eq!(b.fields.len(), 1);
        let a = managers.iter().find(|m| m.manager == "a").unwrap();
        assert!(
            !a.fields
                .contains(&vec!["f:spec".to_string(), "f:scope".to_string()])
        );
    }

    #[test]
    fn remove_prunes_emptied_maps() {
        let mut obj = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"x": 1}});
        remove(
            &mut obj,
            &[
                "f:metadata".to_string(),
                "f:labels".to_string(),
                "f:a".to_string(),
            ],
        );
        assert_eq!(obj, json!({"spec": {"x": 1}}));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let mut deep = json!("leaf");
        for _ in 0..(MAX_DEPTH + 10) {
            deep = json!({ "x": deep });
        }
        assert_eq!(field_set(&json!({ "spec": deep })), Err(TooDeep));
    }

    use proptest::prelude::*;

    /// Small JSON trees: maps with a few keys, scalars, atomic lists, and `spec.versions`
    /// list-maps keyed by name.
    fn tree() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<bool>().prop_map(Value::from),
            (0i64..5).prop_map(Value::from),
            "[a-c]{1,2}".prop_map(Value::from),
            prop::collection::vec((0i64..3).prop_map(Value::from), 0..3).prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop::collection::btree_map("[a-d]", inner, 1..4)
                .prop_map(|m| Value::Object(m.into_iter().collect()))
        })
    }

    fn config() -> impl Strategy<Value = Value> {
        let version =
            ("v[1-3]", tree()).prop_map(|(name, extra)| json!({"name": name, "extra": extra}));
        (tree(), prop::collection::vec(version, 0..3)).prop_map(|(extra, versions)| {
            // Keys of a list-map are unique.
            let mut seen = std::collections::BTreeSet::new();
            let versions: Vec<Value> = versions
                .into_iter()
                .filter(|v| seen.insert(v["name"].to_string()))
                .collect();
            json!({"metadata": {"name": "x"}, "spec": {"extra": extra, "versions": versions}})
        })
    }

    proptest! {
        /// A sole applier's object is exactly its last configuration: whatever it applied before
        /// and left out now is gone.
        #[test]
        fn a_sole_appliers_object_is_its_last_configuration(first in config(), second in config()) {
            let r = req("nexus", false);
            let live = applied(apply(None, &first, &r).unwrap());
            let result = applied(apply(Some(&live), &second, &r).unwrap());
            prop_assert_eq!(&result["spec"], &second["spec"]);
            // And applying it again changes nothing.
            let again = applied(apply(Some(&result), &second, &r).unwrap());
            prop_assert_eq!(&again, &result);
        }
    }
}
