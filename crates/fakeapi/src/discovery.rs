//! The discovery documents clients read before anything else: `/version`, `/api`, `/apis` and the
//! resource list of each group version. Served in the legacy (unaggregated) form: clients that ask
//! for aggregated discovery (`application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`)
//! also accept plain `application/json`, and client-go falls back to the legacy requests when the
//! answer's content type says so.

use super::crd;
use serde_json::{Value, json};
use std::cmp::Ordering;

/// `/version`.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.0-nexus-fake",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.24",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// `/api`: the core group's versions.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{ "clientCIDR": "0.0.0.0/0", "serverAddress": server_address }]
    })
}

/// `/api/v1`: the fake serves no core resources.
pub fn core_resources() -> Value {
    json!({ "kind": "APIResourceList", "groupVersion": "v1", "resources": [{
        "name": "configmaps",
        "singularName": "configmap",
        "namespaced": true,
        "kind": "ConfigMap",
        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
        "shortNames": ["cm"]
    }] })
}

/// How Kubernetes orders versions: GA before beta before alpha, higher numbers first, then
/// anything else alphabetically.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn key(v: &str) -> Option<(u8, u64, u64)> {
        let rest = v.strip_prefix('v')?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let major: u64 = digits.parse().ok()?;
        let tail = &rest[digits.len()..];
        if tail.is_empty() {
            return Some((3, major, 0));
        }
        for (word, class) in [("beta", 2), ("alpha", 1)] {
            if let Some(minor) = tail.strip_prefix(word) {
                let minor: u64 = minor.parse().ok()?;
                return Some((class, major, minor));
            }
        }
        None
    }
    match (key(a), key(b)) {
        (Some(ka), Some(kb)) => kb.cmp(&ka),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

fn group_entry(name: &str, mut versions: Vec<String>) -> Value {
    versions.sort_by(|a, b| compare_versions(a, b));
    versions.dedup();
    let entries: Vec<Value> = versions
        .iter()
        .map(|v| json!({ "groupVersion": format!("{name}/{v}"), "version": v }))
        .collect();
    let preferred = entries.first().cloned().unwrap_or(Value::Null);
    json!({ "name": name, "versions": entries, "preferredVersion": preferred })
}

/// The versions each served group has, apiextensions first.
fn groups(crds: &[&Value]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> =
        vec![(crd::GROUP.to_string(), vec!["v1".to_string()])];
    for c in crds {
        let group = crd::group(c).to_string();
        let served: Vec<String> = crd::served_versions(c)
            .into_iter()
            .map(str::to_string)
            .collect();
        match out.iter_mut().find(|(g, _)| *g == group) {
            Some((_, versions)) => versions.extend(served),
            None => out.push((group, served)),
        }
    }
    out.retain(|(_, versions)| !versions.is_empty());
    out
}

/// `/apis`.
pub fn group_list(crds: &[&Value]) -> Value {
    let entries: Vec<Value> = groups(crds)
        .into_iter()
        .map(|(name, versions)| group_entry(&name, versions))
        .collect();
    json!({ "kind": "APIGroupList", "apiVersion": "v1", "groups": entries })
}

/// `/apis/GROUP`, `None` for a group that is not served.
pub fn group(crds: &[&Value], name: &str) -> Option<Value> {
    let (name, versions) = groups(crds).into_iter().find(|(g, _)| g == name)?;
    let mut entry = group_entry(&name, versions);
    entry["kind"] = json!("APIGroup");
    entry["apiVersion"] = json!("v1");
    Some(entry)
}

/// `/apis/GROUP/VERSION`, `None` for a group version that is not served.
pub fn resources(crds: &[&Value], group: &str, version: &str) -> Option<Value> {
    let group_version = format!("{group}/{version}");
    if group == crd::GROUP {
        return (version == "v1").then(|| {
            json!({
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": group_version,
                "resources": [
                    {
                        "name": "customresourcedefinitions",
                        "singularName": "customresourcedefinition",
                        "namespaced": false,
                        "kind": crd::KIND,
                        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
                        "shortNames": ["crd", "crds"],
                        "categories": ["api-extensions"]
                    },
                    {
                        "name": "customresourcedefinitions/status",
                        "singularName": "",
                        "namespaced": false,
                        "kind": crd::KIND,
                        "verbs": ["get", "patch", "update"]
                    }
                ]
            })
        });
    }
    let served: Vec<&&Value> = crds
        .iter()
        .filter(|c| crd::group(c) == group && crd::served_versions(c).contains(&version))
        .collect();
    if served.is_empty() {
        return None;
    }
    let resources: Vec<Value> = served
        .iter()
        .map(|c| {
            let accepted = c
                .pointer("/status/acceptedNames")
                .cloned()
                .unwrap_or(Value::Null);
            let name_of = |k: &str| accepted.get(k).cloned().unwrap_or(json!(""));
            let mut entry = json!({
                "name": crd::plural(c),
                "singularName": name_of("singular"),
                "namespaced": crd::namespaced(c),
                "kind": crd::kind(c),
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            });
            if let Some(short) = accepted.get("shortNames") {
                entry["shortNames"] = short.clone();
            }
            if let Some(categories) = accepted.get("categories") {
                entry["categories"] = categories.clone();
            }
            entry
        })
        .collect();
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources
    }))
}

/// `/openapi/v3`: where each served group version's document is. kubectl reads it to learn that
/// the server validates fields itself (`fieldValidation`), and then skips client-side validation.
pub fn openapi_v3_root(crds: &[&Value]) -> Value {
    let mut paths = serde_json::Map::new();
    for (group, versions) in groups(crds) {
        for version in versions {
            let key = format!("apis/{group}/{version}");
            let url = format!("/openapi/v3/{key}?hash=0");
            paths.insert(key, json!({ "serverRelativeURL": url }));
        }
    }
    json!({ "paths": paths })
}

/// `/openapi/v3/apis/GROUP/VERSION`: a document with the PATCH operation of each resource, its
/// group-version-kind and its query parameters, and each custom resource's schema under
/// `components.schemas` (named like the real server's, `io.example.v1.Widget`, marked with its
/// group-version-kind) so that `kubectl explain` finds it.
pub fn openapi_v3_group(crds: &[&Value], group: &str, version: &str) -> Option<Value> {
    let mut schemas = serde_json::Map::new();
    let served: Vec<(String, String, bool)> = if group == crd::GROUP && version == "v1" {
        vec![(
            "customresourcedefinitions".to_string(),
            crd::KIND.to_string(),
            false,
        )]
    } else {
        crds.iter()
            .filter(|c| crd::group(c) == group && crd::served_versions(c).contains(&version))
            .map(|c| {
                let kind = crd::kind(c).to_string();
                schemas.insert(
                    schema_name(group, version, &kind),
                    resource_schema(c, group, version, &kind),
                );
                (crd::plural(c).to_string(), kind, crd::namespaced(c))
            })
            .collect()
    };
    if served.is_empty() {
        return None;
    }
    let params: Vec<Value> = ["dryRun", "fieldManager", "fieldValidation", "force"]
        .iter()
        .map(|name| json!({ "name": name, "in": "query", "schema": { "type": "string" } }))
        .collect();
    let mut paths = serde_json::Map::new();
    for (plural, kind, namespaced) in served {
        let path = if namespaced {
            format!("/apis/{group}/{version}/namespaces/{{namespace}}/{plural}/{{name}}")
        } else {
            format!("/apis/{group}/{version}/{plural}/{{name}}")
        };
        let gvk = json!({ "group": group, "version": version, "kind": kind });
        let mut patch = json!({
            "operationId": format!("patch{kind}"),
            "parameters": params,
            "responses": { "200": { "description": "OK" } },
            "x-kubernetes-action": "patch",
            "x-kubernetes-group-version-kind": gvk,
        });
        let name = schema_name(group, version, &kind);
        if schemas.contains_key(&name) {
            patch["requestBody"] = json!({ "content": { "application/json": { "schema": {
                "$ref": format!("#/components/schemas/{name}")
            } } } });
        }
        paths.insert(path, json!({ "patch": patch }));
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": { "title": "Kubernetes", "version": "v1.33.0-nexus-fake" },
        "paths": paths,
        "components": { "schemas": schemas }
    }))
}

/// The real server's name for a custom resource's schema: the group reversed, then version
/// and kind (`widgets.rich.example.com` v1 → `com.example.rich.v1.Widget`).
fn schema_name(group: &str, version: &str, kind: &str) -> String {
    let reversed: Vec<&str> = group.split('.').rev().collect();
    format!("{}.{version}.{kind}", reversed.join("."))
}

/// A version's `openAPIV3Schema` as the server publishes it: with `apiVersion`, `kind` and
/// `metadata` described and the group-version-kind it belongs to.
fn resource_schema(def: &Value, group: &str, version: &str, kind: &str) -> Value {
    let mut schema = def
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .and_then(|vs| {
            vs.iter()
                .find(|v| v.get("name").and_then(Value::as_str) == Some(version))
        })
        .and_then(|v| v.pointer("/schema/openAPIV3Schema"))
        .cloned()
        .unwrap_or_else(|| json!({"type": "object"}));
    if let Some(obj) = schema.as_object_mut() {
        let props = obj.entry("properties").or_insert_with(|| json!({}));
        if let Some(props) = props.as_object_mut() {
            props.entry("apiVersion").or_insert_with(|| json!({
                "type": "string",
                "description": "APIVersion defines the versioned schema of this representation of an object."
            }));
            props.entry("kind").or_insert_with(|| json!({
                "type": "string",
                "description": "Kind is a string value representing the REST resource this object represents."
            }));
            props.insert("metadata".to_string(), json!({
                "type": "object",
                "description": "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
            }));
        }
        obj.insert(
            "x-kubernetes-group-version-kind".to_string(),
            json!([{ "group": group, "version": version, "kind": kind }]),
        );
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_like_kubernetes() {
        let mut v = vec![
            "v1alpha1", "v2beta1", "foo", "v1", "v1beta2", "v2", "v1beta1", "bar",
        ];
        v.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(
            v,
            vec![
                "v2", "v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha1", "bar", "foo"
            ]
        );
    }

    #[test]
    fn served_groups_are_listed() {
        let c = json!({
            "spec": {"group": "example.com", "scope": "Cluster", "names": {"plural": "foos", "kind": "Foo"},
                     "versions": [{"name": "v1beta1", "served": true}, {"name": "v1", "served": true}, {"name": "v0", "served": false}]},
            "status": {"acceptedNames": {"plural": "foos", "singular": "foo", "kind": "Foo"}}
        });
        let list = group_list(&[&c]);
        assert_eq!(list["groups"][1]["preferredVersion"]["version"], "v1");
        assert_eq!(list["groups"][1]["versions"].as_array().unwrap().len(), 2);
        let res = resources(&[&c], "example.com", "v1").unwrap();
        assert_eq!(res["resources"][0]["namespaced"], false);
        assert!(resources(&[&c], "example.com", "v0").is_none());
        assert!(group(&[&c], "other.io").is_none());
    }
}
