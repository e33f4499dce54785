//! `nexus-fake-apiserver` (the binary) with faults from its command line, seen by nexus itself
//! and by a raw HTTP client; its `--kubeconfig-out` is private to its owner.

mod install_support;

use install_support::{crd, nexus_in, stderr, version, write_crds};
use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WIDGETS: &str = "widgets.shop.example.com";

/// The standalone server, killed when the test ends.
struct Standalone {
    child: Child,
    kubeconfig: PathBuf,
    addr: String,
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `nexus-fake-apiserver --kubeconfig-out DIR/kubeconfig ARGS...` and waits for it.
fn start(dir: &Path, args: &[&str]) -> Standalone {
    let kubeconfig = dir.join("kubeconfig");
    let mut child = Command::new(install_support::fake_apiserver_binary())
        .arg("--kubeconfig-out")
        .arg(&kubeconfig)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("nexus-fake-apiserver starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the server prints its kubeconfig");
    let addr = first
        .trim()
        .strip_prefix("# nexus fake API server at http://")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("an address in {first:?}"))
        .to_string();
    Standalone {
        child,
        kubeconfig,
        addr,
    }
}

/// One raw HTTP/1.1 request; the whole answer ("" if the connection closed without one).
fn raw(server: &Standalone, method: &str, path: &str, body: &str) -> String {
    let mut tcp = TcpStream::connect(&server.addr).expect("connects");
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    match tcp.read_to_end(&mut answer) {
        Ok(_) => String::from_utf8_lossy(&answer).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => String::new(),
        Err(e) => panic!("reading the answer: {e}"),
    }
}

fn widgets_dir(dir: &Path) -> PathBuf {
    write_crds(
        &dir.join("crds"),
        &[crd(
            "widgets",
            "shop.example.com",
            "Widget",
            &[version("v1", true, &[("size", "integer")])],
        )],
    )
}

#[test]
fn diff_against_a_server_that_fails_every_read_exits_2_naming_the_failure() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &["--fail-times", "read:1:max:500:etcd is unavailable"],
    );
    let crds = widgets_dir(dir.path());
    let out = nexus_in(dir.path())
        .args(["datamodel", "diff", "cluster:"])
        .arg(&crds)
        .arg("--kubeconfig")
        .arg(&server.kubeconfig)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("etcd is unavailable"), "{err}");
    // Without the fault the same diff works.
    let healthy_dir = dir.path().join("healthy");
    std::fs::create_dir(&healthy_dir).unwrap();
    let healthy = start(&healthy_dir, &[]);
    nexus_in(dir.path())
        .args(["datamodel", "diff", "cluster:"])
        .arg(&crds)
        .arg("--kubeconfig")
        .arg(&healthy.kubeconfig)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(predicates::ord::ne(2));
}

#[test]
fn install_whose_write_answer_is_lost_fails_though_the_crd_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--lose-response", "write:1"]);
    let crds = widgets_dir(dir.path());
    let out = nexus_in(dir.path())
        .args(["datamodel", "install", "--crds"])
        .arg(&crds)
        .arg("--kubeconfig")
        .arg(&server.kubeconfig)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    let answer = raw(
        &server,
        "GET",
        &format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{WIDGETS}"),
        "",
    );
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "stored: {answer}");
}

#[test]
fn bursts_carry_retry_after_and_delays_hold_requests_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        dir.path(),
        &["--fail-times", "read:2:1:503", "--delay", "read:3:300"],
    );
    let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    assert!(raw(&server, "GET", crds, "").starts_with("HTTP/1.1 200 OK"));
    let busy = raw(&server, "GET", crds, "");
    assert!(
        busy.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{busy}"
    );
    assert!(
        busy.to_ascii_lowercase().contains("\r\nretry-after: 1\r\n"),
        "{busy}"
    );
    assert!(busy.contains("injected by nexus fake-apiserver"), "{busy}");
    let started = Instant::now();
    assert!(raw(&server, "GET", crds, "").starts_with("HTTP/1.1 200 OK"));
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[test]
fn the_product_binary_has_no_fake_apiserver_command() {
    // The fake server is a crate and binary of its own (nexus-fake-apiserver); nexus does not
    // link it, so the old hidden command is an unknown subcommand now.
    let dir = tempfile::tempdir().unwrap();
    let out = nexus_in(dir.path())
        .args(["fake-apiserver", "--port", "0"])
        .timeout(Duration::from_secs(20))
        .assert()
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("unrecognized subcommand"), "{err}");
}

#[cfg(unix)]
#[test]
fn the_kubeconfig_with_its_token_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    // A file that was there, readable by all, is replaced by a private one.
    std::fs::write(dir.path().join("kubeconfig"), "old").unwrap();
    std::fs::set_permissions(
        dir.path().join("kubeconfig"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let server = start(dir.path(), &["--token", "s3cret"]);
    let meta = std::fs::metadata(&server.kubeconfig).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&server.kubeconfig).unwrap();
    assert!(text.contains("s3cret"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["kubeconfig"], "no temporary file left behind");
}
