//! Nexus annotation rules (`metadata.annotations.nexus`), one table row per rule plus the cases
//! around it: defaults, reformatting, invalid JSON, an annotation on one side only.

use nexus::compare::Options;
use nexus::compare::crd::compare_crd;
use nexus::report::{Change, Severity};
use nexus::rules::RuleId;
use serde_json::{Value, json};

const NAME: &str = "leaders.root.orgchart.org";

/// The annotation `datamodel build` writes for the orgchart's Leader.
fn annotation() -> Value {
    json!({
        "name": "root.Leader",
        "children": {
            "managers.root.orgchart.org": {
                "fieldName": "DirectReports", "fieldNameGvk": "directReportsGvk",
                "goFieldNameGvk": "DirectReportsGvk", "isNamed": true
            }
        },
        "links": {
            "Mentor": {
                "fieldName": "Mentor", "fieldNameGvk": "mentorGvk",
                "goFieldNameGvk": "MentorGvk", "isNamed": false
            }
        },
        "is_singleton": false,
        "nexus-rest-api-gen": {"uris": [
            {"uri": "/leader/{root.Leader}", "methods": {"GET": {"200": "OK"}}},
            {"uri": "/leaders", "methods": {"LIST": {"200": "OK"}}}
        ]},
        "description": "the org's leader"
    })
}

/// A minimal nexus-built CRD carrying `annotation` (a JSON value, or a raw string as is).
fn crd(annotation: Option<Value>) -> Value {
    let mut doc = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": NAME},
        "spec": {
            "group": "root.orgchart.org",
            "names": {"plural": "leaders", "singular": "leader", "kind": "Leader", "listKind": "LeaderList", "shortNames": ["leader"]},
            "scope": "Cluster",
            "versions": [{"name": "v1", "served": true, "storage": true,
                          "schema": {"openAPIV3Schema": {"type": "object"}},
                          "subresources": {"status": {}}}],
            "conversion": {"strategy": "None"}
        }
    });
    if let Some(a) = annotation {
        let text = match a {
            Value::String(raw) => raw,
            other => other.to_string(),
        };
        doc["metadata"]["annotations"] = json!({"nexus": text});
    }
    doc
}

fn edited(edit: fn(&mut Value)) -> Value {
    let mut a = annotation();
    edit(&mut a);
    a
}

fn nexus_changes(old: &Value, new: &Value) -> Vec<Change> {
    compare_crd(NAME, Some(old), Some(new), &Options::default())
        .into_iter()
        .filter(|c| c.path.starts_with("/metadata"))
        .collect()
}

fn summary(changes: &[Change]) -> Vec<(RuleId, String)> {
    let mut v: Vec<_> = changes.iter().map(|c| (c.rule, c.path.clone())).collect();
    v.sort();
    v
}

const CHILD: &str = "/metadata/annotations/nexus/children/managers.root.orgchart.org";
const CHILD_INVENTED: &str =
    "/metadata/annotations/nexus/children/managers.root.orgchart.org/x-acme";
const LINK: &str = "/metadata/annotations/nexus/links/Mentor";

#[test]
fn each_nexus_rule_fires_on_its_pair_and_not_on_the_near_pair() {
    use RuleId::*;
    type Edit = fn(&mut Value);
    type Row = (&'static str, Edit, Edit, Vec<(RuleId, &'static str)>);
    let table: Vec<Row> = vec![
        (
            "child added",
            |a| {
                a["children"] = json!({});
            },
            |_| {},
            vec![(NexusChildAdded, CHILD)],
        ),
        (
            "child removed",
            |_| {},
            |a| {
                a["children"] = json!({});
            },
            vec![(NexusChildRemoved, CHILD)],
        ),
        (
            "children map absent equals empty",
            |a| {
                a["children"] = json!({});
            },
            |a| {
                if let Some(o) = a.as_object_mut() {
                    o.remove("children");
                }
            },
            vec![],
        ),
        (
            "link added",
            |a| {
                a["links"] = json!({});
            },
            |_| {},
            vec![(NexusChildAdded, LINK)],
        ),
        (
            "link removed",
            |_| {},
            |a| {
                a["links"] = json!(null);
            },
            vec![(NexusChildRemoved, LINK)],
        ),
        (
            "children became a single child",
            |_| {},
            |a| {
                a["children"]["managers.root.orgchart.org"]["isNamed"] = json!(false);
            },
            vec![(NexusChildChanged, CHILD)],
        ),
        (
            "field renamed: one finding for its three names",
            |_| {},
            |a| {
                let c = &mut a["children"]["managers.root.orgchart.org"];
                c["fieldName"] = json!("Reports");
                c["fieldNameGvk"] = json!("reportsGvk");
                c["goFieldNameGvk"] = json!("ReportsGvk");
            },
            vec![(NexusChildChanged, CHILD)],
        ),
        (
            "isNamed false made implicit",
            |_| {},
            |a| {
                if let Some(o) = a["links"]["Mentor"].as_object_mut() {
                    o.remove("isNamed");
                }
            },
            vec![],
        ),
        (
            "hierarchy changed",
            |a| {
                a["hierarchy"] = json!(["roots.root.orgchart.org"]);
            },
            |a| {
                a["hierarchy"] = json!(["roots.root.orgchart.org", "depts.root.orgchart.org"]);
            },
            vec![(
                NexusHierarchyChanged,
                "/metadata/annotations/nexus/hierarchy",
            )],
        ),
        (
            "root: absent hierarchy equals empty",
            |a| {
                a["hierarchy"] = json!([]);
            },
            |_| {},
            vec![],
        ),
        (
            "singleton enabled",
            |_| {},
            |a| {
                a["is_singleton"] = json!(true);
            },
            vec![(
                NexusSingletonEnabled,
                "/metadata/annotations/nexus/is_singleton",
            )],
        ),
        (
            "singleton disabled",
            |a| {
                a["is_singleton"] = json!(true);
            },
            |_| {},
            vec![(
                NexusSingletonDisabled,
                "/metadata/annotations/nexus/is_singleton",
            )],
        ),
        (
            "is_singleton false made implicit",
            |_| {},
            |a| {
                if let Some(o) = a.as_object_mut() {
                    o.remove("is_singleton");
                }
            },
            vec![],
        ),
        (
            "REST URI added",
            |_| {},
            |a| {
                if let Some(u) = a["nexus-rest-api-gen"]["uris"].as_array_mut() {
                    u.push(json!({"uri": "/leaders/count"}));
                }
            },
            vec![(
                NexusRestApiChanged,
                "/metadata/annotations/nexus/nexus-rest-api-gen",
            )],
        ),
        (
            "REST methods changed",
            |_| {},
            |a| {
                a["nexus-rest-api-gen"]["uris"][1]["methods"] = json!({"GET": {"200": "OK"}});
            },
            vec![(
                NexusRestApiChanged,
                "/metadata/annotations/nexus/nexus-rest-api-gen",
            )],
        ),
        (
            "no REST API: uris null equals absent",
            |a| {
                a["nexus-rest-api-gen"] = json!({"uris": null});
            },
            |a| {
                if let Some(o) = a.as_object_mut() {
                    o.remove("nexus-rest-api-gen");
                }
            },
            vec![],
        ),
        (
            "description changed",
            |_| {},
            |a| {
                a["description"] = json!("the org's head");
            },
            vec![(
                NexusDescriptionChanged,
                "/metadata/annotations/nexus/description",
            )],
        ),
        (
            "invented key",
            |_| {},
            |a| {
                a["x-acme"] = json!(1);
            },
            vec![(UnhandledChange, "/metadata/annotations/nexus/x-acme")],
        ),
        (
            "name changed is not claimed",
            |_| {},
            |a| {
                a["name"] = json!("root.Boss");
            },
            vec![(UnhandledChange, "/metadata/annotations/nexus/name")],
        ),
        (
            "invented key in a child",
            |_| {},
            |a| {
                a["children"]["managers.root.orgchart.org"]["x-acme"] = json!(1);
            },
            vec![(UnhandledChange, CHILD_INVENTED)],
        ),
    ];
    let mut failures = Vec::new();
    for (name, old_edit, new_edit, want) in table {
        let old = crd(Some(edited(old_edit)));
        let new = crd(Some(edited(new_edit)));
        let got = summary(&nexus_changes(&old, &new));
        let mut want: Vec<(RuleId, String)> =
            want.into_iter().map(|(r, p)| (r, p.to_string())).collect();
        want.sort();
        if got != want {
            failures.push(format!("{name}:\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reformatted_annotation_is_no_change() {
    let old = crd(Some(annotation()));
    let pretty = serde_json::to_string_pretty(&annotation()).unwrap_or_default();
    let new = crd(Some(Value::String(pretty)));
    assert!(nexus_changes(&old, &new).is_empty());
}

#[test]
fn annotation_on_one_side_is_compared_with_an_empty_object() {
    let old = crd(None);
    let new = crd(Some(annotation()));
    let got = summary(&nexus_changes(&old, &new));
    assert_eq!(
        got,
        [
            (
                RuleId::UnhandledChange,
                "/metadata/annotations/nexus/name".to_string()
            ),
            (RuleId::NexusChildAdded, CHILD.to_string()),
            (RuleId::NexusChildAdded, LINK.to_string()),
            (
                RuleId::NexusRestApiChanged,
                "/metadata/annotations/nexus/nexus-rest-api-gen".to_string()
            ),
            (
                RuleId::NexusDescriptionChanged,
                "/metadata/annotations/nexus/description".to_string()
            ),
        ]
    );
    // Gone again: the children go with it.
    let back = summary(&nexus_changes(&new, &old));
    assert!(
        back.contains(&(RuleId::NexusChildRemoved, CHILD.to_string())),
        "{back:?}"
    );
}

#[test]
fn annotation_that_is_not_json_is_unhandled() {
    let old = crd(Some(annotation()));
    let new = crd(Some(Value::String("{not json".into())));
    let got = nexus_changes(&old, &new);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].rule, RuleId::UnhandledChange);
    assert_eq!(got[0].path, "/metadata/annotations/nexus");
    assert!(got[0].message.contains("not JSON"), "{}", got[0].message);
    assert_eq!(got[0].severity, Severity::Breaking);
    // The same garbage on both sides is no change.
    assert!(nexus_changes(&new, &new).is_empty());
    // JSON that is not an object.
    let list = crd(Some(Value::String("[1]".into())));
    let got = nexus_changes(&old, &list);
    assert_eq!(
        summary(&got),
        [(
            RuleId::UnhandledChange,
            "/metadata/annotations/nexus".to_string()
        )]
    );
}

#[test]
fn nexus_changes_carry_no_version_and_the_right_severity() {
    let old = crd(Some(annotation()));
    let new = crd(Some(edited(|a| {
        a["children"] = json!({});
        a["is_singleton"] = json!(true);
    })));
    let got = nexus_changes(&old, &new);
    assert_eq!(got.len(), 2, "{got:?}");
    for c in &got {
        assert_eq!(c.version, None);
        assert_eq!(c.field, None);
        assert_eq!(c.severity, Severity::Breaking);
    }
    let removed = got.iter().find(|c| c.rule == RuleId::NexusChildRemoved);
    assert!(
        removed.is_some_and(|c| c.message.contains("DirectReports")),
        "{got:?}"
    );
}

#[test]
fn other_annotations_are_not_compared() {
    let old = crd(Some(annotation()));
    let mut new = old.clone();
    new["metadata"]["annotations"]["controller-gen.kubebuilder.io/version"] = json!("v0.14.0");
    assert!(
        compare_crd(NAME, Some(&old), Some(&new), &Options::default())
            .iter()
            .all(|c| c.rule == RuleId::CrdInvalid)
    );
}
