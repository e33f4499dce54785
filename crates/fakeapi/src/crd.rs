//! What the apiextensions API server does with a CustomResourceDefinition besides storing it:
//! defaulting, validation (a subset of `apiextensions/validation`, worded the same), the status
//! it maintains (`storedVersions`, `acceptedNames`) and the `NamesAccepted` / `Established`
//! conditions of its naming and establishing controllers.

use super::names;
use super::status::FieldError;
use serde_json::{Value, json};

pub const GROUP: &str = "apiextensions.k8s.io";
pub const API_VERSION: &str = "apiextensions.k8s.io/v1";
pub const KIND: &str = "CustomResourceDefinition";

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// `spec.group`.
pub fn group(crd: &Value) -> &str {
    str_at(crd, "/spec/group")
}

/// `spec.names.plural`.
pub fn plural(crd: &Value) -> &str {
    str_at(crd, "/spec/names/plural")
}

/// `spec.names.kind`.
pub fn kind(crd: &Value) -> &str {
    str_at(crd, "/spec/names/kind")
}

/// Whether objects of the CRD live in namespaces.
pub fn namespaced(crd: &Value) -> bool {
    str_at(crd, "/spec/scope") == "Namespaced"
}

fn versions(crd: &Value) -> &[Value] {
    crd.pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Names of the versions in `spec.versions`.
pub fn version_names(crd: &Value) -> Vec<&str> {
    versions(crd)
        .iter()
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect()
}

/// Names of the served versions.
pub fn served_versions(crd: &Value) -> Vec<&str> {
    versions(crd)
        .iter()
        .filter(|v| v.get("served").and_then(Value::as_bool) == Some(true))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect()
}

/// The version marked `storage: true` (the first one, should there be several).
pub fn storage_version(crd: &Value) -> Option<&str> {
    versions(crd)
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .and_then(|v| v.get("name").and_then(Value::as_str))
}

/// `status.storedVersions`.
pub fn stored_versions(crd: &Value) -> Vec<String> {
    crd.pointer("/status/storedVersions")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A condition of `status.conditions` by type.
pub fn condition<'a>(crd: &'a Value, kind: &str) -> Option<&'a Value> {
    crd.pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
}

/// Whether a condition has status `True`.
pub fn condition_true(crd: &Value, kind: &str) -> bool {
    condition(crd, kind)
        .and_then(|c| c.get("status"))
        .and_then(Value::as_str)
        == Some("True")
}

/// Sets a condition, keeping `lastTransitionTime` when the status does not change.
pub fn set_condition(
    crd: &mut Value,
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: &str,
) {
    let previous_time = condition(crd, kind)
        .filter(|c| c.get("status").and_then(Value::as_str) == Some(status))
        .and_then(|c| c.get("lastTransitionTime").cloned());
    let entry = json!({
        "type": kind,
        "status": status,
        "lastTransitionTime": previous_time.unwrap_or_else(|| json!(now)),
        "reason": reason,
        "message": message,
    });
    let Some(status_obj) = ensure_object(crd, "status") else {
        return;
    };
    let conditions = status_obj
        .entry("conditions")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !conditions.is_array() {
        *conditions = Value::Array(Vec::new());
    }
    if let Some(list) = conditions.as_array_mut() {
        match list
            .iter_mut()
            .find(|c| c.get("type").and_then(Value::as_str) == Some(kind))
        {
            Some(existing) => *existing = entry,
            None => list.push(entry),
        }
    }
}

/// The object under `key` of an object, made so if it is missing or not an object. `None` only
/// when `v` itself is not an object (a CRD always is).
fn ensure_object<'a>(
    v: &'a mut Value,
    key: &str,
) -> Option<&'a mut serde_json::Map<String, Value>> {
    let entry = v
        .as_object_mut()?
        .entry(key.to_string())
        .or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut()
}

/// The defaults of `SetDefaults_CustomResourceDefinition`: conversion strategy `None`, singular
/// and listKind from the kind, webhook service port 443.
pub fn set_defaults(crd: &mut Value) {
    let Some(spec) = crd.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if !spec.get("conversion").is_some_and(Value::is_object) {
        spec.insert("conversion".to_string(), json!({ "strategy": "None" }));
    }
    if let Some(conversion) = spec.get_mut("conversion").and_then(Value::as_object_mut) {
        conversion
            .entry("strategy")
            .or_insert_with(|| json!("None"));
        if let Some(service) = conversion
            .get_mut("webhook")
            .and_then(|w| w.get_mut("clientConfig"))
            .and_then(|c| c.get_mut("service"))
            .and_then(Value::as_object_mut)
        {
            service.entry("port").or_insert_with(|| json!(443));
        }
    }
    if let Some(names) = spec.get_mut("names").and_then(Value::as_object_mut) {
        let kind = names
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if !kind.is_empty() {
            if names
                .get("singular")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                names.insert("singular".to_string(), json!(kind.to_lowercase()));
            }
            if names
                .get("listKind")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                names.insert("listKind".to_string(), json!(format!("{kind}List")));
            }
        }
    }
}

/// `IsDNS1035Label`.
fn dns1035_errors(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes
            .last()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (!ok).then(|| {
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')".to_string()
    })
}

/// Validates a CRD as the API server does on create (`old` is `None`) or update.
pub fn validate(crd: &Value, old: Option<&Value>) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = str_at(crd, "/metadata/name");
    if name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    }
    for msg in names::name_is_dns_subdomain(name, false) {
        if !name.is_empty() {
            errs.push(FieldError::invalid("metadata.name", json!(name), msg));
        }
    }
    let group = group(crd);
    let names = crd.pointer("/spec/names").cloned().unwrap_or(Value::Null);
    let plural = names
        .get("plural")
        .and_then(Value::as_str)
        .unwrap_or_default();

    if crd.get("spec").is_none_or(|s| !s.is_object()) {
        errs.push(FieldError::required("spec", ""));
        return errs;
    }
    if !name.is_empty()
        && !plural.is_empty()
        && !group.is_empty()
        && name != format!("{plural}.{group}")
    {
        errs.push(FieldError::invalid(
            "metadata.name",
            json!(name),
            r#"must be spec.names.plural+"."+spec.group"#,
        ));
    }
    if let Some(meta) = crd.get("metadata") {
        errs.extend(names::validate_update(meta));
    }
    if group.is_empty() {
        errs.push(FieldError::required("spec.group", ""));
    } else if !group.contains('.') {
        errs.push(FieldError::invalid(
            "spec.group",
            json!(group),
            "should be a domain with at least one dot",
        ));
    }
    match crd.pointer("/spec/scope").and_then(Value::as_str) {
        None | Some("") => errs.push(FieldError::required("spec.scope", "")),
        Some("Cluster" | "Namespaced") => {}
        Some(other) => errs.push(FieldError::unsupported(
            "spec.scope",
            json!(other),
            &["Cluster", "Namespaced"],
        )),
    }
    validate_names(&names, &mut errs);
    validate_versions(crd, &mut errs);
    match crd
        .pointer("/spec/conversion/strategy")
        .and_then(Value::as_str)
    {
        None | Some("None") => {}
        Some("Webhook") => {
            if crd
                .pointer("/spec/conversion/webhook/clientConfig")
                .is_none()
            {
                errs.push(FieldError::required(
                    "spec.conversion.webhook",
                    "required when strategy is set to Webhook",
                ));
            }
        }
        Some(other) => errs.push(FieldError::unsupported(
            "spec.conversion.strategy",
            json!(other),
            &["None", "Webhook"],
        )),
    }

    if let Some(old) = old {
        let old_scope = str_at(old, "/spec/scope");
        let new_scope = str_at(crd, "/spec/scope");
        if condition_true(old, "Established") && !old_scope.is_empty() && old_scope != new_scope {
            errs.push(FieldError::invalid(
                "spec.scope",
                json!(new_scope),
                "field is immutable",
            ));
        }
        // The kind too, as `requireImmutableNames` does: objects are stored under it.
        let (old_kind, new_kind) = (
            str_at(old, "/spec/names/kind"),
            str_at(crd, "/spec/names/kind"),
        );
        if condition_true(old, "Established") && old_kind != new_kind {
            errs.push(FieldError::invalid(
                "spec.names.kind",
                json!(new_kind),
                "field is immutable",
            ));
        }
        let present = version_names(crd);
        for (i, stored) in stored_versions(old).iter().enumerate() {
            if !present.contains(&stored.as_str()) {
                errs.push(FieldError::invalid(
                    format!("status.storedVersions[{i}]"),
                    json!(stored),
                    "must appear in spec.versions",
                ));
            }
        }
    }
    errs
}

fn validate_names(names: &Value, errs: &mut Vec<FieldError>) {
    let get = |k: &str| names.get(k).and_then(Value::as_str).unwrap_or_default();
    let plural = get("plural");
    if plural.is_empty() {
        errs.push(FieldError::required("spec.names.plural", ""));
    } else if let Some(why) = dns1035_errors(plural) {
        errs.push(FieldError::invalid("spec.names.plural", json!(plural), why));
    }
    let singular = get("singular");
    if !singular.is_empty()
        && let Some(why) = dns1035_errors(singular)
    {
        errs.push(FieldError::invalid(
            "spec.names.singular",
            json!(singular),
            why,
        ));
    }
    if let Some(short) = names.get("shortNames").and_then(Value::as_array) {
        for (i, s) in short.iter().enumerate() {
            let s = s.as_str().unwrap_or_default();
            if let Some(why) = dns1035_errors(s) {
                errs.push(FieldError::invalid(
                    format!("spec.names.shortNames[{i}]"),
                    json!(s),
                    why,
                ));
            }
        }
    }
    if get("kind").is_empty() {
        errs.push(FieldError::required("spec.names.kind", ""));
    }
    if get("listKind").is_empty() {
        errs.push(FieldError::required("spec.names.listKind", ""));
    }
}

fn validate_versions(crd: &Value, errs: &mut Vec<FieldError>) {
    let list = versions(crd);
    let names: Vec<&str> = version_names(crd);
    let shown = json!(names);
    let mut storage = 0;
    let mut seen = std::collections::BTreeSet::new();
    let mut unique = true;
    for (i, version) in list.iter().enumerate() {
        let path = format!("spec.versions[{i}]");
        let name = version
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if name.is_empty() {
            errs.push(FieldError::required(format!("{path}.name"), ""));
        } else if let Some(why) = dns1035_errors(name) {
            errs.push(FieldError::invalid(
                format!("{path}.name"),
                json!(name),
                why,
            ));
        }
        if !seen.insert(name) {
            unique = false;
        }
        if version.get("storage").and_then(Value::as_bool) == Some(true) {
            storage += 1;
        }
        match version.pointer("/schema/openAPIV3Schema") {
            None => errs.push(FieldError::required(
                format!("{path}.schema.openAPIV3Schema"),
                "schemas are required",
            )),
            Some(schema) => {
                let root_type = schema
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if root_type != "object" {
                    errs.push(FieldError::invalid(
                        format!("{path}.schema.openAPIV3Schema.type"),
                        json!(root_type),
                        "must be object at the root",
                    ));
                }
            }
        }
    }
    if !unique {
        errs.push(FieldError::invalid(
            "spec.versions",
            shown.clone(),
            "must contain unique version names",
        ));
    }
    if storage != 1 {
        errs.push(FieldError::invalid(
            "spec.versions",
            shown,
            "must have exactly one version marked as storage version",
        ));
    }
}

/// Validates a write of the status subresource.
pub fn validate_status(crd: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let stored = stored_versions(crd);
    if stored.is_empty() {
        errs.push(FieldError::invalid(
            "status.storedVersions",
            json!(stored),
            "must have at least one stored version",
        ));
        return errs;
    }
    let present = version_names(crd);
    for (i, v) in stored.iter().enumerate() {
        if !present.contains(&v.as_str()) {
            errs.push(FieldError::invalid(
                format!("status.storedVersions[{i}]"),
                json!(v),
                "must appear in spec.versions",
            ));
        }
    }
    if let Some(storage) = storage_version(crd)
        && !stored.iter().any(|s| s == storage)
    {
        errs.push(FieldError::invalid(
            "status.storedVersions",
            json!(stored),
            format!("must have the storage version {storage}"),
        ));
    }
    errs
}

/// What the strategy does before storing: the storage version joins `status.storedVersions`
/// (a version that ever stored an object stays listed until someone migrates and removes it).
pub fn record_storage_version(crd: &mut Value) {
    let Some(storage) = storage_version(crd).map(str::to_string) else {
        return;
    };
    let Some(status) = ensure_object(crd, "status") else {
        return;
    };
    let stored = status
        .entry("storedVersions")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !stored.is_array() {
        *stored = Value::Array(Vec::new());
    }
    if let Some(list) = stored.as_array_mut()
        && !list.iter().any(|v| v.as_str() == Some(storage.as_str()))
    {
        list.push(json!(storage));
    }
}

/// The status a new CRD starts with (`PrepareForCreate`): no accepted names yet, the storage
/// version stored.
pub fn initial_status(crd: &mut Value) {
    if let Some(map) = crd.as_object_mut() {
        map.insert(
            "status".to_string(),
            json!({ "acceptedNames": { "plural": "", "kind": "" }, "storedVersions": [] }),
        );
    }
    record_storage_version(crd);
}

/// The naming controller: accepts the requested names that no other CRD of the group uses and
/// sets `NamesAccepted`; `Established` becomes `Installing` (or `NotAccepted`). Returns whether
/// all names were accepted. `group_crds` are the CRDs of the same group, this one included.
pub fn accept_names(crd: &mut Value, group_crds: &[&Value], now: &str) -> bool {
    let mut resources = std::collections::BTreeSet::new();
    let mut kinds = std::collections::BTreeSet::new();
    for other in group_crds {
        let accepted = other
            .pointer("/status/acceptedNames")
            .cloned()
            .unwrap_or(Value::Null);
        for key in ["plural", "singular"] {
            if let Some(s) = accepted
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                resources.insert(s.to_string());
            }
        }
        for s in accepted
            .get("shortNames")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(s) = s.as_str() {
                resources.insert(s.to_string());
            }
        }
        for key in ["kind", "listKind"] {
            if let Some(s) = accepted
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                kinds.insert(s.to_string());
            }
        }
    }
    let requested = crd.pointer("/spec/names").cloned().unwrap_or(Value::Null);
    let accepted = crd
        .pointer("/status/acceptedNames")
        .cloned()
        .unwrap_or(json!({}));
    let mut new_names = accepted.clone();
    if !new_names.is_object() {
        new_names = json!({});
    }
    // The checks run in the naming controller's order; the last conflict found is reported.
    let mut failure: Option<(&str, String)> = None;
    let check = |key: &str,
                 reason: &'static str,
                 pool: &std::collections::BTreeSet<String>,
                 names: &mut Value| {
        let want = requested
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default();
        let have = accepted
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default();
        if want == have || !pool.contains(want) {
            names[key] = json!(want);
            None
        } else {
            Some((reason, format!("{want:?} is already in use")))
        }
    };
    for found in [
        check("plural", "PluralConflict", &resources, &mut new_names),
        check("singular", "SingularConflict", &resources, &mut new_names),
    ]
    .into_iter()
    .flatten()
    {
        failure = Some(found);
    }

    let want_short: Vec<String> = requested
        .get("shortNames")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let have_short: Vec<String> = accepted
        .get("shortNames")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if want_short != have_short {
        let own = [
            accepted
                .get("plural")
                .and_then(Value::as_str)
                .unwrap_or_default(),
            accepted
                .get("singular")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        ];
        let taken: Vec<String> = want_short
            .iter()
            .filter(|s| {
                !have_short.contains(s) && !own.contains(&s.as_str()) && resources.contains(*s)
            })
            .map(|s| format!("{s:?} is already in use"))
            .collect();
        if taken.is_empty() {
            new_names["shortNames"] = json!(want_short);
        } else {
            failure = Some(("ShortNamesConflict", taken.join(", ")));
        }
    }
    for found in [
        check("kind", "KindConflict", &kinds, &mut new_names),
        check("listKind", "ListKindConflict", &kinds, &mut new_names),
    ]
    .into_iter()
    .flatten()
    {
        failure = Some(found);
    }
    if let Some(categories) = requested.get("categories") {
        new_names["categories"] = categories.clone();
    }

    if let Some(status) = ensure_object(crd, "status") {
        status.insert("acceptedNames".to_string(), new_names);
    }
    let accepted_all = failure.is_none();
    match failure {
        None => set_condition(
            crd,
            "NamesAccepted",
            "True",
            "NoConflicts",
            "no conflicts found",
            now,
        ),
        Some((reason, message)) => {
            set_condition(crd, "NamesAccepted", "False", reason, &message, now)
        }
    }
    if !condition_true(crd, "Established") {
        if accepted_all {
            set_condition(
                crd,
                "Established",
                "False",
                "Installing",
                "the initial names have been accepted",
                now,
            );
        } else {
            set_condition(
                crd,
                "Established",
                "False",
                "NotAccepted",
                "not all names are accepted",
                now,
            );
        }
    }
    accepted_all
}

/// The establishing controller: the CRD is served.
pub fn establish(crd: &mut Value, now: &str) {
    set_condition(
        crd,
        "Established",
        "True",
        "InitialNamesAccepted",
        "the initial names have been accepted",
        now,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample(name: &str, plural: &str, kind: &str) -> Value {
        json!({
            "apiVersion": API_VERSION,
            "kind": KIND,
            "metadata": {"name": name},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": plural, "kind": kind},
                "versions": [{"name": "v1", "served": true, "storage": true,
                              "schema": {"openAPIV3Schema": {"type": "object"}}}]
            }
        })
    }

    #[test]
    fn a_valid_crd_has_no_errors_after_defaulting() {
        let mut crd = sample("foos.example.com", "foos", "Foo");
        set_defaults(&mut crd);
        assert_eq!(crd["spec"]["names"]["listKind"], "FooList");
        assert_eq!(crd["spec"]["names"]["singular"], "foo");
        assert_eq!(crd["spec"]["conversion"], json!({"strategy": "None"}));
        assert_eq!(validate(&crd, None), vec![]);
    }

    #[test]
    fn the_name_must_be_plural_dot_group() {
        let mut crd = sample("foo.example.com", "foos", "Foo");
        set_defaults(&mut crd);
        let errs = validate(&crd, None);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].to_string(),
            r#"metadata.name: Invalid value: "foo.example.com": must be spec.names.plural+"."+spec.group"#
        );
    }

    #[test]
    fn exactly_one_storage_version() {
        for storage in [json!([false, false]), json!([true, true])] {
            let mut crd = sample("foos.example.com", "foos", "Foo");
            let schema = json!({"openAPIV3Schema": {"type": "object"}});
            crd["spec"]["versions"] = json!([
                {"name": "v1", "served": true, "storage": storage[0], "schema": schema},
                {"name": "v2", "served": true, "storage": storage[1], "schema": schema},
            ]);
            set_defaults(&mut crd);
            let errs: Vec<String> = validate(&crd, None)
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(
                errs,
                vec![
                    r#"spec.versions: Invalid value: ["v1","v2"]: must have exactly one version marked as storage version"#
                ]
            );
        }
    }

    #[test]
    fn stored_versions_must_stay_in_spec() {
        let mut old = sample("foos.example.com", "foos", "Foo");
        initial_status(&mut old);
        let mut new = old.clone();
        new["spec"]["versions"][0]["name"] = json!("v2");
        set_defaults(&mut new);
        let errs: Vec<String> = validate(&new, Some(&old))
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errs,
            vec![r#"status.storedVersions[0]: Invalid value: "v1": must appear in spec.versions"#]
        );
    }

    #[test]
    fn an_established_crd_keeps_its_scope_and_kind() {
        let mut old = sample("foos.example.com", "foos", "Foo");
        initial_status(&mut old);
        let mut new = old.clone();
        new["spec"]["scope"] = json!("Cluster");
        new["spec"]["names"]["kind"] = json!("Bar");
        new["spec"]["names"]["listKind"] = json!("BarList");
        set_defaults(&mut new);
        let immutable = |old: &Value| -> Vec<String> {
            validate(&new, Some(old))
                .iter()
                .map(ToString::to_string)
                .filter(|e| e.contains("immutable"))
                .collect()
        };
        assert_eq!(immutable(&old), Vec::<String>::new());
        establish(&mut old, "2024-01-01T00:00:00Z");
        assert_eq!(
            immutable(&old),
            vec![
                r#"spec.scope: Invalid value: "Cluster": field is immutable"#,
                r#"spec.names.kind: Invalid value: "Bar": field is immutable"#,
            ]
        );
    }

    #[test]
    fn storage_version_is_recorded_once() {
        let mut crd = sample("foos.example.com", "foos", "Foo");
        initial_status(&mut crd);
        record_storage_version(&mut crd);
        assert_eq!(stored_versions(&crd), vec!["v1"]);
        crd["spec"]["versions"][0]["storage"] = json!(false);
        crd["spec"]["versions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "v2", "served": true, "storage": true}));
        record_storage_version(&mut crd);
        assert_eq!(stored_versions(&crd), vec!["v1", "v2"]);
    }

    #[test]
    fn conflicting_kind_is_not_accepted() {
        let mut first = sample("foos.example.com", "foos", "Foo");
        set_defaults(&mut first);
        initial_status(&mut first);
        assert!(accept_names(&mut first.clone(), &[], "t"));
        let snapshot = first.clone();
        assert!(accept_names(&mut first, &[&snapshot], "t"));
        let mut second = sample("bars.example.com", "bars", "Foo");
        set_defaults(&mut second);
        initial_status(&mut second);
        let own = second.clone();
        assert!(!accept_names(&mut second, &[&first, &own], "t"));
        let cond = condition(&second, "NamesAccepted").unwrap();
        assert_eq!(cond["status"], "False");
        // Kind and listKind both clash; like the naming controller, the last check wins.
        assert_eq!(cond["reason"], "ListKindConflict");
        assert_eq!(cond["message"], r#""FooList" is already in use"#);
        assert_eq!(
            condition(&second, "Established").unwrap()["reason"],
            "NotAccepted"
        );
    }
}
