//! Whole-CRD rules: one table row per rule (a pair that triggers it and a near pair that does
//! not), the "nothing silently ignored" invariant, and laws checked with proptest.

use nexus::compare::Options;
use nexus::compare::crd::compare_crd;
use nexus::compare::invalid::check_invalid;
use nexus::report::Change;
use nexus::rules::RuleId;
use serde_json::{Value, json};

const NAME: &str = "widgets.example.com";

fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": {"type": "object", "properties": {
                "color": {"type": "string"},
                "replicas": {"type": "integer"}
            }},
            "status": {"type": "object", "properties": {
                "replicas": {"type": "integer"},
                "selector": {"type": "string"}
            }}
        }
    })
}

/// A realistic two-version CRD: v1beta1 served, v1 served and stored.
fn base() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": NAME, "labels": {"app": "widgets"}},
        "spec": {
            "group": "example.com",
            "names": {
                "plural": "widgets", "singular": "widget", "kind": "Widget",
                "listKind": "WidgetList", "shortNames": ["wd", "wdg"], "categories": ["all", "example"]
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1beta1", "served": true, "storage": false,
                    "schema": {"openAPIV3Schema": schema()},
                    "subresources": {"status": {}}
                },
                {
                    "name": "v1", "served": true, "storage": true,
                    "schema": {"openAPIV3Schema": schema()},
                    "subresources": {
                        "status": {},
                        "scale": {
                            "specReplicasPath": ".spec.replicas",
                            "statusReplicasPath": ".status.replicas",
                            "labelSelectorPath": ".status.selector"
                        }
                    },
                    "additionalPrinterColumns": [
                        {"name": "Color", "type": "string", "jsonPath": ".spec.color"},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
                    ],
                    "selectableFields": [{"jsonPath": ".spec.color"}, {"jsonPath": ".spec.replicas"}]
                }
            ]
        },
        "status": {"storedVersions": ["v1"], "conditions": [{"type": "Established", "status": "True"}]}
    })
}

/// Index of a version in `base()`.
const BETA: usize = 0;
const GA: usize = 1;

fn at<'a>(doc: &'a mut Value, pointer: &str) -> &'a mut Value {
    match doc.pointer_mut(pointer) {
        Some(v) => v,
        None => panic!("test fixture has no {pointer}"),
    }
}

fn set(doc: &mut Value, pointer: &str, value: Value) {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    match at(doc, parent) {
        Value::Object(o) => {
            o.insert(key.to_string(), value);
        }
        other => panic!("{parent} is not an object: {other}"),
    }
}

fn remove(doc: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    match at(doc, parent) {
        Value::Object(o) => {
            o.remove(key);
        }
        Value::Array(a) => {
            let i: usize = key.parse().unwrap_or(usize::MAX);
            assert!(i < a.len(), "no entry {i} in {parent}");
            a.remove(i);
        }
        other => panic!("{parent} is not a container: {other}"),
    }
}

fn version(i: usize, rest: &str) -> String {
    format!("/spec/versions/{i}{rest}")
}

/// Findings other than `crd-invalid` (whose rules live elsewhere), as (rule, version, path).
fn found(old: Option<&Value>, new: Option<&Value>) -> Vec<(RuleId, Option<String>, String)> {
    let mut v: Vec<_> = compare_crd(NAME, old, new, &Options::default())
        .into_iter()
        .filter(|c| c.rule != RuleId::CrdInvalid)
        .map(|c| (c.rule, c.version, c.path))
        .collect();
    v.sort();
    v
}

fn changes(old: &Value, new: &Value) -> Vec<Change> {
    compare_crd(NAME, Some(old), Some(new), &Options::default())
        .into_iter()
        .filter(|c| c.rule != RuleId::CrdInvalid)
        .collect()
}

type Edit = fn(&mut Value);

struct Case {
    name: &'static str,
    old: Edit,
    new: Edit,
    expect: &'static [(RuleId, Option<&'static str>, &'static str)],
}

fn same(_: &mut Value) {}

const V1: Option<&str> = Some("v1");
const V1BETA1: Option<&str> = Some("v1beta1");

fn cases() -> Vec<Case> {
    use RuleId::*;
    vec![
        // scope
        Case {
            name: "scope changed",
            old: same,
            new: |c| set(c, "/spec/scope", json!("Cluster")),
            expect: &[(CrdScopeChanged, None, "/spec/scope")],
        },
        Case {
            name: "metadata and status outside storedVersions are not schema",
            old: same,
            new: |c| {
                set(c, "/metadata/labels", json!({"app": "other"}));
                set(c, "/metadata/resourceVersion", json!("42"));
                set(c, "/status/conditions", json!([]));
            },
            expect: &[],
        },
        // group
        Case {
            name: "group changed",
            old: same,
            new: |c| set(c, "/spec/group", json!("example.org")),
            expect: &[(CrdGroupChanged, None, "/spec/group")],
        },
        // plural, kind
        Case {
            name: "plural changed",
            old: same,
            new: |c| set(c, "/spec/names/plural", json!("widgetz")),
            expect: &[(CrdPluralChanged, None, "/spec/names/plural")],
        },
        Case {
            name: "kind changed",
            old: same,
            new: |c| set(c, "/spec/names/kind", json!("Gadget")),
            expect: &[(CrdKindChanged, None, "/spec/names/kind")],
        },
        Case {
            name: "kind changed with defaulted singular and listKind: one finding",
            old: |c| {
                remove(c, "/spec/names/singular");
                remove(c, "/spec/names/listKind");
            },
            new: |c| {
                remove(c, "/spec/names/singular");
                remove(c, "/spec/names/listKind");
                set(c, "/spec/names/kind", json!("Gadget"));
            },
            expect: &[(CrdKindChanged, None, "/spec/names/kind")],
        },
        // singular, listKind
        Case {
            name: "singular changed",
            old: same,
            new: |c| set(c, "/spec/names/singular", json!("wdgt")),
            expect: &[(CrdNamesChanged, None, "/spec/names/singular")],
        },
        Case {
            name: "singular made implicit (the API server's default)",
            old: same,
            new: |c| remove(c, "/spec/names/singular"),
            expect: &[],
        },
        Case {
            name: "listKind changed",
            old: same,
            new: |c| set(c, "/spec/names/listKind", json!("Widgets")),
            expect: &[(CrdNamesChanged, None, "/spec/names/listKind")],
        },
        Case {
            name: "listKind made implicit",
            old: |c| remove(c, "/spec/names/listKind"),
            new: same,
            expect: &[],
        },
        // shortNames, categories
        Case {
            name: "short name removed",
            old: same,
            new: |c| set(c, "/spec/names/shortNames", json!(["wdg"])),
            expect: &[(CrdNamesChanged, None, "/spec/names/shortNames")],
        },
        Case {
            name: "short name added",
            old: same,
            new: |c| set(c, "/spec/names/shortNames", json!(["wd", "wdg", "w"])),
            expect: &[(CrdNamesAdded, None, "/spec/names/shortNames")],
        },
        Case {
            name: "short names reordered",
            old: same,
            new: |c| set(c, "/spec/names/shortNames", json!(["wdg", "wd"])),
            expect: &[],
        },
        Case {
            name: "category replaced",
            old: same,
            new: |c| set(c, "/spec/names/categories", json!(["example", "tools"])),
            expect: &[
                (CrdNamesAdded, None, "/spec/names/categories"),
                (CrdNamesChanged, None, "/spec/names/categories"),
            ],
        },
        Case {
            name: "empty categories equal absent",
            old: |c| set(c, "/spec/names/categories", json!([])),
            new: |c| remove(c, "/spec/names/categories"),
            expect: &[],
        },
        // versions removed
        Case {
            name: "version removed",
            old: same,
            new: |c| remove(c, "/spec/versions/0"),
            expect: &[(CrdVersionRemoved, V1BETA1, "/spec/versions/name=v1beta1")],
        },
        Case {
            name: "stored version removed",
            old: |c| set(c, "/status/storedVersions", json!(["v1beta1", "v1"])),
            new: |c| remove(c, "/spec/versions/0"),
            expect: &[(
                CrdStoredVersionRemoved,
                V1BETA1,
                "/spec/versions/name=v1beta1",
            )],
        },
        Case {
            name: "unserved version removed is still removed",
            old: |c| set(c, &version(BETA, "/served"), json!(false)),
            new: |c| remove(c, "/spec/versions/0"),
            expect: &[(CrdVersionRemoved, V1BETA1, "/spec/versions/name=v1beta1")],
        },
        // served
        Case {
            name: "version unserved",
            old: same,
            new: |c| set(c, &version(BETA, "/served"), json!(false)),
            expect: &[(
                CrdVersionUnserved,
                V1BETA1,
                "/spec/versions/name=v1beta1/served",
            )],
        },
        Case {
            name: "version served",
            old: |c| set(c, &version(BETA, "/served"), json!(false)),
            new: same,
            expect: &[(
                CrdVersionServed,
                V1BETA1,
                "/spec/versions/name=v1beta1/served",
            )],
        },
        // added
        Case {
            name: "version added",
            old: |c| remove(c, "/spec/versions/0"),
            new: same,
            expect: &[(CrdVersionAdded, V1BETA1, "/spec/versions/name=v1beta1")],
        },
        Case {
            name: "versions reordered",
            old: same,
            new: |c| {
                if let Some(v) = c
                    .pointer_mut("/spec/versions")
                    .and_then(Value::as_array_mut)
                {
                    v.reverse();
                }
            },
            expect: &[],
        },
        // storage
        Case {
            name: "storage version moved",
            old: |c| {
                set(c, &version(BETA, "/storage"), json!(true));
                set(c, &version(GA, "/storage"), json!(false));
            },
            new: same,
            expect: &[(
                CrdStorageVersionChanged,
                V1,
                "/spec/versions/name=v1/storage",
            )],
        },
        Case {
            name: "storage false made implicit",
            old: same,
            new: |c| remove(c, &version(BETA, "/storage")),
            expect: &[],
        },
        // deprecation
        Case {
            name: "version deprecated with a warning (one edit, one finding)",
            old: same,
            new: |c| {
                set(c, &version(BETA, "/deprecated"), json!(true));
                set(c, &version(BETA, "/deprecationWarning"), json!("use v1"));
            },
            expect: &[(
                CrdVersionDeprecated,
                V1BETA1,
                "/spec/versions/name=v1beta1/deprecated",
            )],
        },
        Case {
            name: "deprecation warning changed",
            old: |c| {
                set(c, &version(BETA, "/deprecated"), json!(true));
                set(c, &version(BETA, "/deprecationWarning"), json!("old"));
            },
            new: |c| {
                set(c, &version(BETA, "/deprecated"), json!(true));
                set(c, &version(BETA, "/deprecationWarning"), json!("new"));
            },
            expect: &[(
                CrdVersionDeprecated,
                V1BETA1,
                "/spec/versions/name=v1beta1/deprecationWarning",
            )],
        },
        Case {
            name: "deprecated: false equals absent",
            old: same,
            new: |c| set(c, &version(BETA, "/deprecated"), json!(false)),
            expect: &[],
        },
        // conversion
        Case {
            name: "conversion webhook added",
            old: same,
            new: webhook,
            expect: &[(CrdConversionChanged, None, "/spec/conversion/strategy")],
        },
        Case {
            name: "explicit strategy None equals absent",
            old: same,
            new: |c| set(c, "/spec/conversion", json!({"strategy": "None"})),
            expect: &[],
        },
        Case {
            name: "webhook removed while served schemas are the same",
            old: webhook,
            new: same,
            expect: &[(CrdConversionChanged, None, "/spec/conversion/strategy")],
        },
        Case {
            name: "webhook client config changed",
            old: webhook,
            new: |c| {
                webhook(c);
                set(
                    c,
                    "/spec/conversion/webhook/clientConfig/service/port",
                    json!(8443),
                );
            },
            expect: &[(
                CrdConversionChanged,
                None,
                "/spec/conversion/webhook/clientConfig",
            )],
        },
        Case {
            name: "webhook review versions changed",
            old: webhook,
            new: |c| {
                webhook(c);
                set(
                    c,
                    "/spec/conversion/webhook/conversionReviewVersions",
                    json!(["v1", "v1beta1"]),
                );
            },
            expect: &[(
                CrdConversionChanged,
                None,
                "/spec/conversion/webhook/conversionReviewVersions",
            )],
        },
        Case {
            name: "webhook unchanged",
            old: webhook,
            new: webhook,
            expect: &[],
        },
        // status subresource
        Case {
            name: "status subresource removed",
            old: same,
            new: |c| remove(c, &version(BETA, "/subresources/status")),
            expect: &[(
                CrdStatusSubresourceRemoved,
                V1BETA1,
                "/spec/versions/name=v1beta1/subresources/status",
            )],
        },
        Case {
            name: "status subresource added",
            old: |c| remove(c, &version(BETA, "/subresources")),
            new: same,
            expect: &[(
                CrdStatusSubresourceAdded,
                V1BETA1,
                "/spec/versions/name=v1beta1/subresources/status",
            )],
        },
        Case {
            name: "empty subresources equal absent",
            old: |c| set(c, &version(BETA, "/subresources"), json!({})),
            new: |c| remove(c, &version(BETA, "/subresources")),
            expect: &[],
        },
        // scale subresource
        Case {
            name: "scale subresource removed",
            old: same,
            new: |c| remove(c, &version(GA, "/subresources/scale")),
            expect: &[(
                CrdScaleSubresourceChanged,
                V1,
                "/spec/versions/name=v1/subresources/scale",
            )],
        },
        Case {
            name: "scale path changed",
            old: same,
            new: |c| {
                set(
                    c,
                    &version(GA, "/subresources/scale/specReplicasPath"),
                    json!(".spec.size"),
                )
            },
            expect: &[(
                CrdScaleSubresourceChanged,
                V1,
                "/spec/versions/name=v1/subresources/scale/specReplicasPath",
            )],
        },
        Case {
            name: "scale subresource added",
            old: |c| remove(c, &version(GA, "/subresources/scale")),
            new: same,
            expect: &[(
                CrdScaleSubresourceAdded,
                V1,
                "/spec/versions/name=v1/subresources/scale",
            )],
        },
        // selectable fields
        Case {
            name: "selectable field removed",
            old: same,
            new: |c| {
                set(
                    c,
                    &version(GA, "/selectableFields"),
                    json!([{"jsonPath": ".spec.replicas"}]),
                )
            },
            expect: &[(
                CrdSelectableFieldRemoved,
                V1,
                "/spec/versions/name=v1/selectableFields/jsonPath=.spec.color",
            )],
        },
        Case {
            name: "selectable field added",
            old: |c| remove(c, &version(GA, "/selectableFields")),
            new: same,
            expect: &[
                (
                    CrdSelectableFieldAdded,
                    V1,
                    "/spec/versions/name=v1/selectableFields/jsonPath=.spec.color",
                ),
                (
                    CrdSelectableFieldAdded,
                    V1,
                    "/spec/versions/name=v1/selectableFields/jsonPath=.spec.replicas",
                ),
            ],
        },
        Case {
            name: "selectable fields reordered",
            old: same,
            new: |c| {
                set(
                    c,
                    &version(GA, "/selectableFields"),
                    json!([{"jsonPath": ".spec.replicas"}, {"jsonPath": ".spec.color"}]),
                )
            },
            expect: &[],
        },
        // printer columns
        Case {
            name: "printer column changed",
            old: same,
            new: |c| {
                set(
                    c,
                    &version(GA, "/additionalPrinterColumns/0/priority"),
                    json!(1),
                )
            },
            expect: &[(
                CrdPrinterColumnsChanged,
                V1,
                "/spec/versions/name=v1/additionalPrinterColumns",
            )],
        },
        Case {
            name: "printer columns added and removed: one finding per version",
            old: same,
            new: |c| {
                set(
                    c,
                    &version(GA, "/additionalPrinterColumns"),
                    json!([
                   {"name": "Size", "type": "integer", "jsonPath": ".spec.replicas"}]),
                )
            },
            expect: &[(
                CrdPrinterColumnsChanged,
                V1,
                "/spec/versions/name=v1/additionalPrinterColumns",
            )],
        },
        Case {
            name: "printer columns reordered, priority 0 made explicit",
            old: same,
            new: |c| {
                set(
                    c,
                    &version(GA, "/additionalPrinterColumns"),
                    json!([
                   {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                   {"name": "Color", "type": "string", "jsonPath": ".spec.color", "priority": 0}]),
                )
            },
            expect: &[],
        },
        // nothing silently ignored
        Case {
            name: "invented spec key",
            old: same,
            new: |c| set(c, "/spec/x-acme-foo", json!("bar")),
            expect: &[(UnhandledChange, None, "/spec/x-acme-foo")],
        },
        Case {
            name: "invented version key",
            old: same,
            new: |c| set(c, &version(GA, "/x-acme-tier"), json!(2)),
            expect: &[(UnhandledChange, V1, "/spec/versions/name=v1/x-acme-tier")],
        },
        Case {
            name: "invented names key",
            old: same,
            new: |c| set(c, "/spec/names/x-acme", json!(true)),
            expect: &[(UnhandledChange, None, "/spec/names/x-acme")],
        },
        Case {
            name: "invented subresource",
            old: same,
            new: |c| set(c, &version(GA, "/subresources/x-acme"), json!({})),
            expect: &[(
                UnhandledChange,
                V1,
                "/spec/versions/name=v1/subresources/x-acme",
            )],
        },
        Case {
            name: "invented scale key",
            old: same,
            new: |c| set(c, &version(GA, "/subresources/scale/x-acme"), json!("a")),
            expect: &[(
                UnhandledChange,
                V1,
                "/spec/versions/name=v1/subresources/scale/x-acme",
            )],
        },
        Case {
            name: "invented conversion key",
            old: same,
            new: |c| set(c, "/spec/conversion", json!({"x-acme": 1})),
            expect: &[(UnhandledChange, None, "/spec/conversion/x-acme")],
        },
        Case {
            name: "invented webhook key",
            old: webhook,
            new: |c| {
                webhook(c);
                set(c, "/spec/conversion/webhook/x-acme", json!(1));
            },
            expect: &[(UnhandledChange, None, "/spec/conversion/webhook/x-acme")],
        },
        Case {
            name: "invented selectable field key",
            old: same,
            new: |c| set(c, &version(GA, "/selectableFields/0/x-acme"), json!(1)),
            expect: &[(
                UnhandledChange,
                V1,
                "/spec/versions/name=v1/selectableFields/jsonPath=.spec.color",
            )],
        },
        Case {
            name: "preserveUnknownFields true -> absent",
            old: |c| set(c, "/spec/preserveUnknownFields", json!(true)),
            new: same,
            expect: &[(UnhandledChange, None, "/spec/preserveUnknownFields")],
        },
        Case {
            name: "preserveUnknownFields false equals absent",
            old: |c| set(c, "/spec/preserveUnknownFields", json!(false)),
            new: same,
            expect: &[],
        },
        Case {
            name: "schema removed from a version",
            old: same,
            new: |c| remove(c, &version(BETA, "/schema")),
            expect: &[(
                UnhandledChange,
                V1BETA1,
                "/spec/versions/name=v1beta1/schema",
            )],
        },
        Case {
            name: "versions entry without a name",
            old: same,
            new: |c| {
                if let Some(v) = c
                    .pointer_mut("/spec/versions")
                    .and_then(Value::as_array_mut)
                {
                    v.push(json!({"served": true}));
                }
            },
            expect: &[(UnhandledChange, None, "/spec/versions")],
        },
    ]
}

/// Turns on webhook conversion.
fn webhook(c: &mut Value) {
    set(
        c,
        "/spec/conversion",
        json!({
            "strategy": "Webhook",
            "webhook": {
                "clientConfig": {"service": {"namespace": "system", "name": "webhook", "path": "/convert"}},
                "conversionReviewVersions": ["v1"]
            }
        }),
    );
}

#[test]
fn each_rule_fires_on_its_pair_and_not_on_the_near_pair() {
    let mut failures = Vec::new();
    for case in cases() {
        let (mut old, mut new) = (base(), base());
        (case.old)(&mut old);
        (case.new)(&mut new);
        let got = found(Some(&old), Some(&new));
        let mut want: Vec<_> = case
            .expect
            .iter()
            .map(|(r, v, p)| (*r, v.map(str::to_string), p.to_string()))
            .collect();
        want.sort();
        if got != want {
            failures.push(format!("{}:\n  want {want:?}\n  got  {got:?}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn crd_added_and_removed() {
    let crd = base();
    assert_eq!(
        found(None, Some(&crd)),
        [(RuleId::CrdAdded, None, "/".to_string())]
    );
    assert_eq!(
        found(Some(&crd), None),
        [(RuleId::CrdRemoved, None, "/".to_string())]
    );
    assert!(found(None, None).is_empty());
}

#[test]
fn crd_invalid_is_checked_for_every_crd_in_the_new_set() {
    let crd = base();
    let opts = Options::default();
    let invalid = check_invalid(NAME, &crd);
    let invalid_of = |changes: Vec<Change>| -> Vec<Change> {
        changes
            .into_iter()
            .filter(|c| c.rule == RuleId::CrdInvalid)
            .collect()
    };
    assert_eq!(
        invalid_of(compare_crd(NAME, None, Some(&crd), &opts)),
        invalid
    );
    assert_eq!(
        invalid_of(compare_crd(NAME, Some(&crd), Some(&crd), &opts)),
        invalid
    );
    assert!(invalid_of(compare_crd(NAME, Some(&crd), None, &opts)).is_empty());
}

#[test]
fn unserved_version_removal_says_so() {
    let mut old = base();
    set(&mut old, &version(BETA, "/served"), json!(false));
    let mut new = base();
    remove(&mut new, "/spec/versions/0");
    let all = changes(&old, &new);
    assert_eq!(all.len(), 1);
    assert!(
        all[0].message.contains("already unserved"),
        "{}",
        all[0].message
    );
    assert_eq!(all[0].severity, nexus::report::Severity::Breaking);
}

#[test]
fn storage_move_names_both_versions() {
    let mut old = base();
    set(&mut old, &version(BETA, "/storage"), json!(true));
    set(&mut old, &version(GA, "/storage"), json!(false));
    let all = changes(&old, &base());
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].old.clone(), all[0].new.clone()),
        (json!("v1beta1"), json!("v1"))
    );
}

#[test]
fn crd_level_changes_carry_no_version_or_field() {
    let mut new = base();
    set(&mut new, "/spec/scope", json!("Cluster"));
    set(&mut new, "/spec/names/shortNames", json!([]));
    for c in changes(&base(), &new) {
        assert_eq!(
            (c.version.as_deref(), c.field.as_deref()),
            (None, None),
            "{c:?}"
        );
    }
}

#[test]
fn webhook_removed_while_served_schemas_differ() {
    let mut old = base();
    webhook(&mut old);
    remove(
        &mut old,
        &version(
            BETA,
            "/schema/openAPIV3Schema/properties/spec/properties/color",
        ),
    );
    let mut new = old.clone();
    remove(&mut new, "/spec/conversion");
    let all = changes(&old, &new);
    let conversion: Vec<_> = all
        .iter()
        .filter(|c| c.path.starts_with("/spec/conversion"))
        .collect();
    assert_eq!(conversion.len(), 1, "{all:?}");
    assert_eq!(conversion[0].rule, RuleId::CrdConversionWebhookRemoved);
    assert!(
        conversion[0].message.contains("v1beta1 and v1"),
        "{}",
        conversion[0].message
    );
    // The versions already differed in the old CRD: the served-versions ratchet stays quiet.
    assert!(
        all.iter()
            .all(|c| c.rule != RuleId::CrdServedVersionsIncompatible),
        "{all:?}"
    );
}

#[test]
fn webhook_removed_with_documentation_only_differences_is_harmless() {
    let mut old = base();
    webhook(&mut old);
    set(
        &mut old,
        &version(BETA, "/schema/openAPIV3Schema/description"),
        json!("beta docs"),
    );
    let mut new = old.clone();
    remove(&mut new, "/spec/conversion");
    let all = changes(&old, &new);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].rule, RuleId::CrdConversionChanged);
    assert!(all[0].message.contains("identical"), "{}", all[0].message);
}

// ---- crd-served-versions-incompatible through the real schema walker ----------------------

fn drop_color(doc: &mut Value, i: usize) {
    remove(
        doc,
        &version(
            i,
            "/schema/openAPIV3Schema/properties/spec/properties/color",
        ),
    );
}

fn served_incompatible(old: &Value, new: &Value, opts: &Options) -> Vec<Change> {
    compare_crd(NAME, Some(old), Some(new), opts)
        .into_iter()
        .filter(|c| c.rule == RuleId::CrdServedVersionsIncompatible)
        .collect()
}

/// Needs the schema walker (`field-removed`).
#[test]
fn served_versions_new_incompatibility_is_reported() {
    let mut new = base();
    drop_color(&mut new, GA);
    let found = served_incompatible(&base(), &new, &Options::default());
    assert_eq!(found.len(), 1, "{found:?}");
    let c = &found[0];
    assert_eq!(c.version.as_deref(), Some("v1"));
    assert_eq!(c.path, "/spec/versions/name=v1/schema/openAPIV3Schema");
    assert_eq!(c.old, "v1beta1");
    assert_eq!(
        c.new[0]["path"],
        "/spec/versions/name=v1/schema/openAPIV3Schema/properties/spec/properties/color"
    );
    assert_eq!(c.new[0]["rule"], "field-removed");
    assert!(
        c.message.starts_with(
            "served versions v1beta1 and v1 are incompatible (1 breaking difference): "
        ),
        "{}",
        c.message
    );
}

#[test]
fn served_versions_preexisting_incompatibility_is_not_reported() {
    let mut old = base();
    drop_color(&mut old, GA);
    let mut new = old.clone();
    set(
        &mut new,
        "/spec/names/shortNames",
        json!(["wd", "wdg", "w"]),
    );
    assert!(served_incompatible(&old, &new, &Options::default()).is_empty());
}

/// Needs the schema walker (`field-removed`) for the second half.
#[test]
fn served_versions_skipped_with_webhook_unless_configured() {
    let mut old = base();
    webhook(&mut old);
    let mut new = old.clone();
    drop_color(&mut new, GA);
    assert!(served_incompatible(&old, &new, &Options::default()).is_empty());
    let strict = Options {
        served_versions_skip_webhook: false,
    };
    assert_eq!(served_incompatible(&old, &new, &strict).len(), 1);
}

#[test]
fn served_versions_ignore_unserved_versions() {
    let mut old = base();
    set(&mut old, &version(BETA, "/served"), json!(false));
    let mut new = old.clone();
    drop_color(&mut new, GA);
    assert!(served_incompatible(&old, &new, &Options::default()).is_empty());
}

// ---- laws -------------------------------------------------------------------------------------

mod laws {
    use super::*;
    use proptest::prelude::*;

    fn version_strategy(name: &'static str) -> impl Strategy<Value = Value> {
        (
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(any::<bool>()),
            proptest::collection::btree_map("[a-z]{1,6}", prop_oneof![
                Just(json!({"type": "string"})),
                Just(json!({"type": "integer", "format": "int32"})),
                Just(json!({"type": "array", "items": {"type": "string"}})),
                Just(json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})),
            ], 0..4),
            any::<bool>(),
            proptest::collection::vec("\\.spec\\.[a-z]{1,4}", 0..3),
        )
            .prop_map(move |(served, storage, deprecated, props, status, selectable)| {
                let mut v = json!({
                    "name": name, "served": served, "storage": storage,
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                        "spec": {"type": "object", "properties": props}}}},
                    "additionalPrinterColumns": [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}],
                    "selectableFields": selectable.iter().map(|p| json!({"jsonPath": p})).collect::<Vec<_>>(),
                });
                if let Some(d) = deprecated {
                    v["deprecated"] = json!(d);
                }
                if status {
                    v["subresources"] = json!({"status": {}});
                }
                v
            })
    }

    fn crd_strategy() -> impl Strategy<Value = Value> {
        (
            "[a-z]{1,8}\\.example\\.com",
            prop_oneof![Just("Namespaced"), Just("Cluster")],
            proptest::collection::vec("[a-z]{1,4}", 0..3),
            proptest::sample::subsequence(vec!["v1alpha1", "v1beta1", "v1", "v2"], 1..4),
            any::<bool>(),
            proptest::option::of("[a-z ]{0,12}"),
        )
            .prop_flat_map(|(group, scope, short, names, hook, description)| {
                let versions: Vec<_> = names.into_iter().map(version_strategy).collect();
                (Just(group), Just(scope), Just(short), versions, Just(hook), Just(description))
            })
            .prop_map(|(group, scope, short, versions, hook, description)| {
                let mut crd = json!({
                    "apiVersion": "apiextensions.k8s.io/v1",
                    "kind": "CustomResourceDefinition",
                    "metadata": {"name": format!("widgets.{group}")},
                    "spec": {
                        "group": group, "scope": scope,
                        "names": {"plural": "widgets", "kind": "Widget", "shortNames": short},
                        "versions": versions
                    }
                });
                if hook {
                    webhook(&mut crd);
                }
                if let Some(d) = description {
                    let annotation = json!({"name": "root.Widget", "children": {}, "is_singleton": false,
                                            "nexus-rest-api-gen": {"uris": null}, "description": d});
                    crd["metadata"]["annotations"] = json!({"nexus": annotation.to_string()});
                }
                crd
            })
    }

    /// Arbitrary JSON, bounded in depth and size.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|i| json!(i)),
            "[a-zA-Z0-9 ./]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("name".to_string()),
                        Just("served".to_string()),
                        Just("storage".to_string()),
                        Just("schema".to_string()),
                        Just("subresources".to_string()),
                        Just("scale".to_string()),
                        Just("status".to_string()),
                        Just("strategy".to_string()),
                        Just("webhook".to_string()),
                        Just("versions".to_string()),
                        Just("names".to_string()),
                        Just("conversion".to_string()),
                        "[a-z]{1,6}",
                    ],
                    inner,
                    0..4,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn without_invalid(changes: Vec<Change>) -> Vec<Change> {
        changes
            .into_iter()
            .filter(|c| c.rule != RuleId::CrdInvalid)
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// A CRD compared with itself has no change (only its own validity is reported).
        #[test]
        fn a_crd_equals_itself(crd in crd_strategy()) {
            let name = crd["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let got = compare_crd(&name, Some(&crd), Some(&crd), &Options::default());
            prop_assert_eq!(got, check_invalid(&name, &crd));
        }

        /// Kubernetes treats versions as a set: the order they are listed in is no change.
        #[test]
        fn version_order_is_no_change(crd in crd_strategy()) {
            let mut reordered = crd.clone();
            if let Some(v) = reordered.pointer_mut("/spec/versions").and_then(Value::as_array_mut) {
                v.reverse();
            }
            let got = without_invalid(compare_crd(NAME, Some(&crd), Some(&reordered), &Options::default()));
            prop_assert!(got.is_empty(), "{:?}", got);
        }

        /// A key nobody knows, placed anywhere outside the schema, is reported.
        #[test]
        fn an_invented_key_is_never_ignored(crd in crd_strategy(), place in 0usize..5, value in "[a-z]{1,5}") {
            let mut changed = crd.clone();
            let target = match place {
                0 => "/spec",
                1 => "/spec/names",
                2 => "/spec/versions/0",
                3 => "/spec/versions/0/additionalPrinterColumns/0",
                _ => "/spec/versions/0/schema",
            };
            if let Some(Value::Object(o)) = changed.pointer_mut(target) {
                o.insert("x-invented".into(), json!(value));
            }
            let got = without_invalid(compare_crd(NAME, Some(&crd), Some(&changed), &Options::default()));
            if place == 3 {
                // A printer column is claimed whole by its own (compatible) rule.
                prop_assert!(got.iter().any(|c| c.rule == RuleId::CrdPrinterColumnsChanged), "{:?}", got);
            } else {
                prop_assert!(
                    got.iter().any(|c| c.rule == RuleId::UnhandledChange && c.path.ends_with("/x-invented")),
                    "{:?}", got
                );
            }
            prop_assert_eq!(got.len(), 1, "{:?}", got);
        }

        /// Any input, however malformed, gives findings and never a panic.
        #[test]
        fn never_panics(old in any_json(), new in any_json(), spec_old in any_json(), spec_new in any_json()) {
            let mut a = base();
            let mut b = base();
            a["spec"] = spec_old;
            b["spec"] = spec_new;
            let _ = compare_crd(NAME, Some(&a), Some(&b), &Options::default());
            let _ = compare_crd(NAME, Some(&old), Some(&new), &Options::default());
            let mut c = base();
            c["spec"]["versions"][1] = new.clone();
            let _ = compare_crd(NAME, Some(&base()), Some(&c), &Options::default());
            c["metadata"]["annotations"] = json!({"nexus": old.to_string()});
            let _ = compare_crd(NAME, Some(&base()), Some(&c), &Options::default());
        }
    }
}
