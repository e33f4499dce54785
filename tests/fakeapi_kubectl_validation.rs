//! kubectl against the standalone fake API server (`nexus-fake-apiserver`): custom resources are
//! validated and defaulted on every write as the API server does (the rich CRD of
//! `testdata/apiserver_objects/rich.yaml`), unknown fields refuse kubectl's strict writes,
//! `kubectl explain` reads the published OpenAPI v3 schema, and `kubectl get` pages through
//! 10,000 objects. Skipped, saying so, where kubectl is not installed.

mod install_support;

use install_support::kubectl::{Kubectl, kubectl_available};

use install_support::testdata;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The standalone server, killed when the test ends.
struct Standalone {
    child: Child,
    kubeconfig: PathBuf,
    port: u16,
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_standalone(dir: &Path) -> Standalone {
    let kubeconfig = dir.join("kubeconfig");
    let mut child = Command::new(install_support::fake_apiserver_binary())
        .arg("--kubeconfig-out")
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("nexus-fake-apiserver starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the server prints its kubeconfig");
    let port = first
        .trim()
        .strip_prefix("# nexus fake API server at http://127.0.0.1:")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line: {first}"));
    Standalone {
        child,
        kubeconfig,
        port,
    }
}

fn file(rel: &str) -> String {
    testdata(rel).display().to_string()
}

/// POSTs `body` to `path` over one kept-alive connection; panics unless the server answers 201.
fn post(stream: &mut TcpStream, path: &str, body: &Value) {
    let body = serde_json::to_vec(body).expect("json");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // One write per request: a head and a body written apart wait on Nagle and delayed ACKs.
    let mut request = head.into_bytes();
    request.extend_from_slice(&body);
    stream.write_all(&request).expect("write");
    // Read the head, then exactly Content-Length bytes of body.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).expect("read");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    assert!(head.starts_with("HTTP/1.1 201"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .expect("content-length");
    let mut rest = vec![0u8; length];
    stream.read_exact(&mut rest).expect("read body");
}

#[test]
fn kubectl_sees_the_api_servers_validation_explain_and_paging() {
    if !kubectl_available() {
        eprintln!(
            "skipping kubectl_sees_the_api_servers_validation_explain_and_paging: kubectl is not installed"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_standalone(dir.path());
    let k = Kubectl {
        kubeconfig: &server.kubeconfig,
        home: dir.path(),
    };
    k.ok(&["apply", "-f", &file("apiserver_objects/rich.yaml")]);
    k.ok(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.rich.example.com",
        "--timeout=30s",
    ]);

    // Accepted, and stored as the server stores it: defaults filled in.
    k.ok(&["apply", "-f", &file("fakeapi_kubectl/valid.yaml")]);
    let stored: Value =
        serde_json::from_str(&k.ok(&["get", "widget", "good", "-o", "json"])).expect("json");
    assert_eq!(stored["spec"]["replicas"], json!(1), "{stored}");
    assert_eq!(
        stored["spec"]["ports"][0]["protocol"],
        json!("TCP"),
        "{stored}"
    );

    // Refused with the API server's 422 and its field errors; nothing stored.
    let refused = k.fails(&["apply", "-f", &file("fakeapi_kubectl/invalid.yaml")]);
    insta::assert_snapshot!(
        "kubectl_invalid_object",
        refused.replace(&file(""), "testdata/")
    );
    k.fails(&["get", "widget", "bad"]);

    // kubectl's default field validation is Strict, on the server: an unknown field refuses the
    // write; with --validate=false the server drops it.
    let unknown = k.fails(&["apply", "-f", &file("fakeapi_kubectl/unknown-field.yaml")]);
    insta::assert_snapshot!(
        "kubectl_unknown_field",
        unknown.replace(&file(""), "testdata/")
    );
    k.ok(&[
        "apply",
        "--validate=false",
        "-f",
        &file("fakeapi_kubectl/unknown-field.yaml"),
    ]);
    let pruned: Value =
        serde_json::from_str(&k.ok(&["get", "widget", "extra", "-o", "json"])).expect("json");
    assert!(pruned["spec"].get("colour").is_none(), "{pruned}");

    // explain reads the schema from /openapi/v3.
    let explained = k.ok(&["explain", "widgets.spec.size"]);
    insta::assert_snapshot!("kubectl_explain_size", explained);

    // 10,000 objects: kubectl asks for 500 table rows at a time and follows `continue`.
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    for i in 0..10_000 {
        post(
            &mut stream,
            "/apis/rich.example.com/v1/namespaces/paging/widgets",
            &json!({"apiVersion": "rich.example.com/v1", "kind": "Widget",
                    "metadata": {"name": format!("w-{i:05}")}, "spec": {"size": "small"}}),
        );
    }
    let listed = k.ok(&["get", "widgets", "-n", "paging", "--no-headers"]);
    let names: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names.len(), 10_000);
    assert_eq!(names[0], "w-00000");
    assert_eq!(names[9_999], "w-09999");
}
