//! Golden CRDs for the test datamodels under testdata/datamodels, plus the laws the generator
//! keeps: YAML that reads back as the document, and bytes that do not depend on the order files
//! were created in.

use nexus::datamodel;
use nexus::generate::{self, GeneratedCrd};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn datamodel_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/datamodels")
        .join(name)
}

fn build(dir: &Path) -> Vec<GeneratedCrd> {
    let dm = datamodel::load(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    generate::generate(&dm).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

fn parse_yaml(yaml: &str) -> Value {
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! { max_depth: 1000 },
    };
    serde_saphyr::from_str_with_options(yaml, options).expect("generated YAML parses")
}

fn schema(crd: &GeneratedCrd) -> &Value {
    &crd.doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
}

fn annotation(crd: &GeneratedCrd) -> Value {
    let text = crd.doc["metadata"]["annotations"]["nexus"]
        .as_str()
        .expect("nexus annotation");
    serde_json::from_str(text).expect("annotation is JSON")
}

fn find<'a>(crds: &'a [GeneratedCrd], name: &str) -> &'a GeneratedCrd {
    crds.iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no CRD {name}"))
}

#[test]
fn golden_crds() {
    for name in ["orgchart", "fleet", "hr"] {
        let crds = build(&datamodel_dir(name));
        let files: Vec<&str> = crds.iter().map(|c| c.file_name.as_str()).collect();
        insta::assert_snapshot!(format!("{name}__files"), files.join("\n"));
        for crd in &crds {
            insta::assert_snapshot!(format!("{name}__{}", crd.file_name), crd.yaml);
        }
    }
}

#[test]
fn yaml_reads_back_as_the_document() {
    for name in ["orgchart", "fleet", "hr"] {
        for crd in build(&datamodel_dir(name)) {
            assert_eq!(parse_yaml(&crd.yaml), crd.doc, "{}", crd.file_name);
            assert!(crd.yaml.ends_with('\n'));
        }
    }
}

#[test]
fn orgchart_is_the_documented_example() {
    let crds = build(&datamodel_dir("orgchart"));
    let names: Vec<&str> = crds.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "engineers.root.orgchart.org",
            "leaders.root.orgchart.org",
            "managers.root.orgchart.org"
        ]
    );
    let leader = find(&crds, "leaders.root.orgchart.org");
    assert_eq!(leader.file_name, "root_leader.yaml");
    let spec = &schema(leader)["properties"]["spec"];
    let keys: Vec<&String> = spec["properties"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["designation", "directReportsGvk", "location", "name"]
    );
    assert_eq!(spec["required"], json!(["name", "designation"]));
    assert_eq!(
        spec["properties"]["directReportsGvk"]["additionalProperties"]["required"],
        json!(["group", "kind", "name"])
    );
    assert!(schema(leader).get("required").is_none());
    assert_eq!(
        leader.doc["spec"]["names"],
        json!({"kind": "Leader", "listKind": "LeaderList", "plural": "leaders", "shortNames": ["leader"], "singular": "leader"})
    );
    let a = annotation(leader);
    assert_eq!(a["name"], "root.Leader");
    assert!(a.get("hierarchy").is_none());
    assert_eq!(
        a["children"]["managers.root.orgchart.org"],
        json!({"fieldName": "DirectReports", "fieldNameGvk": "directReportsGvk", "goFieldNameGvk": "DirectReportsGvk", "isNamed": true})
    );
    assert_eq!(a["nexus-rest-api-gen"]["uris"][1]["uri"], "/leaders");
    let keys: Vec<&String> = a["nexus-rest-api-gen"]["uris"][0]["methods"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(keys, ["DELETE", "GET", "PUT"]);

    let manager = find(&crds, "managers.root.orgchart.org");
    assert_eq!(
        annotation(manager)["hierarchy"],
        json!(["leaders.root.orgchart.org"])
    );
    assert_eq!(
        annotation(manager)["nexus-rest-api-gen"],
        json!({"uris": null})
    );
    let engineer = find(&crds, "engineers.root.orgchart.org");
    assert_eq!(
        annotation(engineer)["hierarchy"],
        json!(["leaders.root.orgchart.org", "managers.root.orgchart.org"])
    );
    // The annotation keeps Go's key order, byte for byte.
    let text = engineer.doc["metadata"]["annotations"]["nexus"]
        .as_str()
        .unwrap();
    assert_eq!(
        text,
        "{\"name\":\"root.Engineer\",\"hierarchy\":[\"leaders.root.orgchart.org\",\"managers.root.orgchart.org\"],\"is_singleton\":false,\"nexus-rest-api-gen\":{\"uris\":null}}\n"
    );
}

#[test]
fn fleet_covers_types_markers_and_tags() {
    let crds = build(&datamodel_dir("fleet"));
    let config = find(&crds, "configs.config.fleet.example.com");
    let spec = &schema(config)["properties"]["spec"];
    let p = &spec["properties"];
    assert_eq!(
        p["port"],
        json!({"type": "integer", "format": "int32", "maximum": 65535, "minimum": 1, "exclusiveMinimum": false})
    );
    assert_eq!(
        p["replicas"],
        json!({"type": "string"}),
        ",string makes a number a string"
    );
    assert_eq!(p["enabled"], json!({"type": "string"}));
    assert!(p.get("secret").is_none(), "json:\"-\" drops the field");
    assert!(p.get("-").is_some(), "json:\"-,\" names the property -");
    assert!(
        p.get("internalNote").is_none(),
        "unexported fields are not JSON"
    );
    assert_eq!(
        p["settings"],
        json!({"x-kubernetes-preserve-unknown-fields": true})
    );
    assert_eq!(
        p["annotations"],
        json!({"x-kubernetes-preserve-unknown-fields": true})
    );
    assert_eq!(p["targetPort"]["x-kubernetes-int-or-string"], json!(true));
    assert_eq!(p["checksum"], json!({"type": "string", "format": "byte"}));
    assert_eq!(
        p["createdAt"],
        json!({"type": "string", "format": "date-time"})
    );
    assert_eq!(p["interval"], json!({"type": "integer", "format": "int64"}));
    assert_eq!(
        p["workload"],
        json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
    );
    assert_eq!(
        p["nothing"],
        json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
    );
    assert_eq!(p["policiesGvk"]["type"], "object");
    assert!(p["policiesGvk"].get("additionalProperties").is_some());
    assert!(p["primaryGvk"].get("additionalProperties").is_none());
    let required: Vec<&str> = spec["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(&required[..4], ["clusterName", "port", "zones", "endpoint"]);
    assert!(!required.contains(&"ratio") && !required.contains(&"anything"));
    // nexus-graphql-jsonencoded fields are optional, as in the original compiler's output.
    assert!(!required.contains(&"settings"));
    assert!(!required.iter().any(|r| r.ends_with("Gvk")));

    let a = annotation(config);
    assert_eq!(a["description"], "fleet-wide settings & <defaults>");
    let raw = config.doc["metadata"]["annotations"]["nexus"]
        .as_str()
        .unwrap();
    assert!(
        raw.contains(r"settings \u0026 \u003cdefaults\u003e"),
        "Go's HTML escaping: {raw}"
    );
    assert_eq!(a["links"]["Policies"]["isNamed"], json!(true));
    assert_eq!(a["links"]["Primary"]["isNamed"], json!(false));
    let custom = &a["nexus-rest-api-gen"]["uris"][2]["methods"];
    assert_eq!(custom["PATCH"]["400"]["description"], "Bad Request");
    assert_eq!(custom["WATCH"]["404"]["description"], "Not Found");

    let dns = find(&crds, "dnses.network.fleet.example.com");
    assert_eq!(annotation(dns)["is_singleton"], json!(true));
    assert_eq!(
        annotation(dns)["hierarchy"],
        json!([
            "fleets.root.fleet.example.com",
            "configs.config.fleet.example.com"
        ])
    );
    let leaf = find(&crds, "leaves.regions.fleet.example.com");
    assert_eq!(
        schema(leaf)["properties"]["spec"]["properties"]["weight"]["format"],
        "byte"
    );
    let batch = find(&crds, "batches.regions.fleet.example.com");
    assert!(
        schema(batch)["properties"].get("spec").is_none(),
        "no spec without spec fields"
    );
    let fleet = find(&crds, "fleets.root.fleet.example.com");
    let status = &schema(fleet)["properties"]["status"]["properties"];
    assert_eq!(
        status["health"]["properties"]["lastSync"],
        json!({"type": "string"})
    );
    assert_eq!(
        status["nexus"]["properties"]["syncerStatus"]["properties"]["etcdVersion"]["format"],
        "int64"
    );
}

#[test]
fn hr_inlines_embedded_structs_and_keeps_plural_quirks() {
    let crds = build(&datamodel_dir("hr"));
    let hr = find(&crds, "humanresourceses.hr.hr.example.org");
    let spec = &schema(hr)["properties"]["spec"];
    let keys: Vec<&String> = spec["properties"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "aBCHost",
            "boxGvk",
            "by",
            "code",
            "created",
            "departmentsGvk",
            "id",
            "nested",
            "policyGvk"
        ]
    );
    assert_eq!(
        spec["properties"]["code"],
        json!({"type": "string"}),
        "the direct field hides Audit.Code"
    );
    assert_eq!(
        spec["required"],
        json!(["id", "by", "code", "aBCHost", "nested"])
    );
    for name in [
        "policies.hr.hr.example.org",
        "boxes.hr.hr.example.org",
        "archives.hr.hr.example.org",
    ] {
        find(&crds, name);
    }
    let employee = find(&crds, "employees.org.hr.example.org");
    let p = &schema(employee)["properties"]["spec"]["properties"];
    assert_eq!(
        p["salary"],
        json!({"type": "string"}),
        ",string looks through named types"
    );
    assert_eq!(
        p["bonus"],
        json!({"type": "string"}),
        ",string applies to *T too"
    );
    assert_eq!(
        p["extra"],
        json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
    );
    assert!(
        p.get("notes").is_none(),
        "other nexus tags leave the field out"
    );
    assert_eq!(p["alias"], json!({"type": "integer", "format": "int32"}));
    assert_eq!(
        annotation(employee)["hierarchy"],
        json!([
            "humanresourceses.hr.hr.example.org",
            "departments.org.hr.example.org"
        ])
    );
    let archive = find(&crds, "archives.hr.hr.example.org");
    assert!(annotation(archive).get("hierarchy").is_none());
    assert_eq!(
        annotation(archive)["links"]["Owner"]["fieldNameGvk"],
        "ownerGvk"
    );
}

/// Copies a directory tree, creating entries in reverse name order.
fn copy_reversed(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    let mut entries: Vec<_> = std::fs::read_dir(from)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries.reverse();
    for path in entries {
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_reversed(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn output_is_deterministic_to_the_byte() {
    for name in ["orgchart", "fleet", "hr"] {
        let dir = datamodel_dir(name);
        let first = build(&dir);
        let second = build(&dir);
        assert_eq!(first, second, "{name}: two runs differ");
        let temp = tempfile::tempdir().unwrap();
        let copy = temp.path().join(name);
        copy_reversed(&dir, &copy);
        let copied = build(&copy);
        let bytes = |crds: &[GeneratedCrd]| -> Vec<(String, String)> {
            crds.iter()
                .map(|c| (c.file_name.clone(), c.yaml.clone()))
                .collect()
        };
        assert_eq!(
            bytes(&first),
            bytes(&copied),
            "{name}: a copy made in another order differs"
        );
    }
}
