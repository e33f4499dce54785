//! The fake API server refuses the object metadata the API server refuses (names, generateName,
//! namespaces, labels, annotations, finalizers) with the API server's 422 and words; checked
//! against the API server's own code (the `cr-apiserver-validate` oracle) when
//! `NEXUS_APISERVER_ORACLES` names its directory.

mod install_support;

use install_support::{crd, version};
use nexus_fakeapi::{FakeApiServer, FakeConfig};
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

const SUBDOMAIN: &str = r"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

fn gadgets_crd() -> Value {
    crd(
        "gadgets",
        "shop.example.com",
        "Gadget",
        &[version("v1", true, &[("size", "integer")])],
    )
}

fn server() -> FakeApiServer {
    let server = FakeApiServer::start(FakeConfig::default()).expect("the server starts");
    server.seed_crd(&gadgets_crd()).expect("the CRD is seeded");
    server
}

fn gadget(metadata: Value) -> Value {
    json!({"apiVersion": "shop.example.com/v1", "kind": "Gadget", "metadata": metadata,
           "spec": {"size": 1}})
}

/// POSTs the object into its namespace; the status code and the JSON answer.
fn create(server: &FakeApiServer, object: &Value) -> (u16, Value) {
    let ns = object["metadata"]["namespace"].as_str().unwrap_or("ns1");
    let body = object.to_string();
    let request = format!(
        "POST /apis/shop.example.com/v1/namespaces/{ns}/gadgets HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut tcp = TcpStream::connect(server.addr()).expect("connects");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    tcp.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    let code = answer[9..12].parse().expect("a status code");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    (code, serde_json::from_str(body).expect("a JSON answer"))
}

/// `field: message` of each cause of a 422, as the API server's field errors print.
fn field_errors(status: &Value) -> Vec<String> {
    let mut errors: Vec<String> = status["details"]["causes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            format!(
                "{}: {}",
                c["field"].as_str().unwrap(),
                c["message"].as_str().unwrap()
            )
        })
        .collect();
    errors.sort();
    errors
}

/// Metadata the API server refuses or accepts, with names of the issue and more.
fn cases() -> Vec<Value> {
    let long = |n: usize| "a".repeat(n);
    let mut cases = vec![];
    for name in [
        "UPPER".to_string(),
        "a_b".into(),
        "..".into(),
        ".".into(),
        "a%b".into(),
        "a/b".into(),
        "-a".into(),
        "a-".into(),
        "a..b".into(),
        "é".into(),
        long(300),
        long(253),
        "a.b-c.0".into(),
    ] {
        cases.push(json!({"name": name, "namespace": "ns1"}));
    }
    for ns in ["Ns", "a.b", &long(64), &long(63)] {
        cases.push(json!({"name": "a", "namespace": ns}));
    }
    for labels in [
        json!({"a b": "x"}),
        json!({"example.com/k": "My_value.1"}),
        json!({"k": long(64)}),
        json!({"/k": "v"}),
        json!({"a/b/c": "v"}),
        json!({"UPPER.com/k": "v"}),
        json!({"k": "-v"}),
        json!({"k": ""}),
    ] {
        cases.push(json!({"name": "a", "namespace": "ns1", "labels": labels}));
    }
    for annotations in [
        json!({"Example.COM/Key": "v"}),
        json!({"a/b/c": "v"}),
        json!({"k": long(256 * 1024)}),
        json!({"k": long(256 * 1024 - 1)}),
    ] {
        cases.push(json!({"name": "a", "namespace": "ns1", "annotations": annotations}));
    }
    for finalizers in [json!(["example.com/f"]), json!(["bad f"])] {
        cases.push(json!({"name": "a", "namespace": "ns1", "finalizers": finalizers}));
    }
    cases
}

#[test]
fn the_names_of_the_issue_are_refused_in_the_api_servers_words() {
    let server = server();
    for name in ["UPPER", "a_b", ".."] {
        let (code, status) = create(&server, &gadget(json!({"name": name})));
        assert_eq!(code, 422, "{name}: {status}");
        assert_eq!(status["reason"], "Invalid");
        assert_eq!(
            status["message"],
            format!(
                "Gadget.shop.example.com {name:?} is invalid: metadata.name: Invalid value: {name:?}: {SUBDOMAIN}"
            )
        );
        assert_eq!(status["details"]["causes"][0]["field"], "metadata.name");
    }
    let long = "a".repeat(300);
    let (code, status) = create(&server, &gadget(json!({"name": long})));
    assert_eq!(code, 422);
    assert_eq!(
        field_errors(&status),
        [format!(
            "metadata.name: Invalid value: \"{long}\": must be no more than 253 characters"
        )]
    );
    assert_eq!(server.object_count("gadgets.shop.example.com"), 0);
    let (code, _) = create(&server, &gadget(json!({"name": "a".repeat(253)})));
    assert_eq!(code, 201);
}

#[test]
fn generate_name_makes_a_valid_name_and_is_checked_as_a_prefix() {
    let server = server();
    let (code, made) = create(&server, &gadget(json!({"generateName": "web-"})));
    assert_eq!(code, 201, "{made}");
    let name = made["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("web-") && name.len() == 9, "{name}");
    let (code, again) = create(&server, &gadget(json!({"generateName": "web-"})));
    assert_eq!(code, 201);
    assert_ne!(again["metadata"]["name"], made["metadata"]["name"]);
    let (code, status) = create(&server, &gadget(json!({"generateName": "Web-"})));
    assert_eq!(code, 422);
    let errors = field_errors(&status);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("metadata.generateName: Invalid value: \"Web-\"")),
        "{errors:?}"
    );
}

#[test]
fn labels_annotations_and_updates_are_checked_too() {
    let server = server();
    let (code, status) = create(
        &server,
        &gadget(json!({"name": "a", "labels": {"k": "-v"}, "annotations": {"a/b/c": "x"}})),
    );
    assert_eq!(code, 422);
    let errors = field_errors(&status);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with(
        "metadata.annotations: Invalid value: \"a/b/c\": a valid label key must consist"
    ));
    assert!(errors[1].starts_with(
        "metadata.labels: Invalid value: \"-v\": a valid label must be an empty string"
    ));
    // A CRD's labels too, and its name before the plural.group rule.
    let mut bad_crd = gadgets_crd();
    bad_crd["metadata"]["name"] = json!("Gadgets.shop.example.com");
    let err = server.seed_crd(&bad_crd).expect_err("refused");
    assert_eq!(err.code, 422);
    assert!(
        err.message.contains(&format!(
            "metadata.name: Invalid value: \"Gadgets.shop.example.com\": {SUBDOMAIN}, metadata.name: Invalid value: \"Gadgets.shop.example.com\": must be spec.names.plural"
        )),
        "{}",
        err.message
    );
}

/// The oracles' directory (`NEXUS_APISERVER_ORACLES`), or `None` after saying the test skips.
fn oracles() -> Option<PathBuf> {
    match std::env::var_os("NEXUS_APISERVER_ORACLES") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            eprintln!(
                "skipped: set NEXUS_APISERVER_ORACLES to the apiserver-oracles directory to compare with the API server"
            );
            None
        }
    }
}

#[test]
fn metadata_checks_match_the_api_server() {
    let Some(dir) = oracles() else { return };
    let scratch = tempfile::tempdir().unwrap();
    let crd_file = scratch.path().join("crd.json");
    std::fs::write(&crd_file, gadgets_crd().to_string()).unwrap();
    let cases = cases();
    let files: Vec<PathBuf> = cases
        .iter()
        .enumerate()
        .map(|(i, meta)| {
            let file = scratch.path().join(format!("{i}.json"));
            std::fs::write(&file, gadget(meta.clone()).to_string()).unwrap();
            file
        })
        .collect();
    let out = std::process::Command::new(dir.join("bin/cr-apiserver-validate"))
        .arg("-quiet")
        .arg(&crd_file)
        .args(&files)
        .output()
        .expect("the oracle runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(verdicts.len(), cases.len());
    for (meta, verdict) in cases.iter().zip(&verdicts) {
        // Each case on a fresh server: accepted names must not collide.
        let server = server();
        let (code, answer) = create(&server, &gadget(meta.clone()));
        let accepted = verdict["accepted"].as_bool().unwrap();
        assert_eq!(
            code == 201,
            accepted,
            "{meta}: fake {code} {answer}, API server {verdict}"
        );
        if !accepted {
            let mut expected: Vec<String> = verdict["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().to_string())
                .collect();
            expected.sort();
            assert_eq!(field_errors(&answer), expected, "{meta}");
        }
    }
}
