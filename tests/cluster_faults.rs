//! Bounded cluster calls, end to end on the built binary: against tiny raw HTTP servers that
//! answer 503 forever, 429 with Retry-After, an endless 200 body, or nothing at all, every
//! cluster command ends with exit 2 and one line saying what to do, within its `--timeout`.

mod install_support;

use install_support::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the raw server answers.
#[derive(Clone, Copy)]
enum Mode {
    /// 503 with a Status body.
    Unavailable,
    /// 429 with `Retry-After: 1`.
    TooMany,
    /// 200 with a body that never ends.
    Endless,
    /// Reads the request, never answers.
    Silent,
    /// Lists answer an empty list; writes hang.
    ReadsOnly,
    /// Lists answer an empty list; writes get 503.
    WritesUnavailable,
}

/// One request the raw server saw.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    at: Instant,
}

struct RawServer {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl RawServer {
    fn start(mode: Mode) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || serve(stream, mode, &log));
            }
        });
        RawServer { port, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// A kubeconfig for it in `dir`.
    fn kubeconfig(&self, dir: &Path) -> std::path::PathBuf {
        let path = dir.join("raw-kubeconfig");
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: raw\n  cluster:\n    server: http://127.0.0.1:{}\ncontexts:\n- name: raw\n  context: {{cluster: raw, user: raw}}\ncurrent-context: raw\nusers:\n- name: raw\n  user: {{}}\n",
                self.port
            ),
        )
        .unwrap();
        path
    }
}

fn serve(stream: TcpStream, mode: Mode, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            if header == "\r\n" {
                break;
            }
            if let Some((k, v)) = header.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        log.lock().unwrap().push(Seen {
            method: method.clone(),
            path: path.clone(),
            at: Instant::now(),
        });
        let status = |code: u16, reason: &str, extra: &str| {
            let body = format!(
                r#"{{"kind":"Status","apiVersion":"v1","status":"Failure","message":"{reason}","reason":"{}","code":{code}}}"#,
                reason.replace(' ', "")
            );
            format!(
                "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        let empty_list = || {
            let body = r#"{"kind":"CustomResourceDefinitionList","apiVersion":"apiextensions.k8s.io/v1","metadata":{},"items":[]}"#;
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        };
        let answer = match (mode, method.as_str()) {
            (Mode::Unavailable, _) => status(503, "Service Unavailable", ""),
            (Mode::TooMany, _) => status(429, "Too Many Requests", "Retry-After: 1\r\n"),
            (Mode::Endless, _) => {
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n[",
                );
                let chunk = "0,".repeat(32 * 1024);
                while stream.write_all(chunk.as_bytes()).is_ok() {}
                return;
            }
            (Mode::Silent, _) => {
                std::thread::sleep(Duration::from_secs(120));
                return;
            }
            (Mode::ReadsOnly | Mode::WritesUnavailable, "GET") => empty_list(),
            (Mode::ReadsOnly, _) => {
                std::thread::sleep(Duration::from_secs(120));
                return;
            }
            (Mode::WritesUnavailable, _) => status(503, "Service Unavailable", ""),
        };
        if stream.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

fn diff_cluster(
    dir: &Path,
    kubeconfig: &Path,
    timeout: &str,
) -> (assert_cmd::assert::Assert, Duration) {
    let crds = write_crds(
        &dir.join("crds"),
        &[employees_crd(&[("name", "string")], &[])],
    );
    let started = Instant::now();
    let out = nexus_in(dir)
        .args(["datamodel", "diff", "cluster:"])
        .arg(&crds)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--timeout", timeout])
        .timeout(Duration::from_secs(60))
        .assert();
    (out, started.elapsed())
}

fn lines(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

#[test]
fn diff_against_a_server_answering_503_gives_up_at_the_deadline() {
    let server = RawServer::start(Mode::Unavailable);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let (out, took) = diff_cluster(dir.path(), &kubeconfig, "2s");
    let out = out.code(2);
    let err = stderr(&out);
    assert!(
        took >= Duration::from_millis(1900),
        "gave up early: {took:?}"
    );
    assert!(took < Duration::from_secs(8), "took {took:?}");
    // Retried, said so once, and ended with one line naming the last answer and what to do.
    assert!(server.seen().len() >= 3, "{:?}", server.seen());
    assert_eq!(lines(&err, "waiting for"), 1, "{err}");
    assert!(
        err.contains(&format!("the cluster at http://127.0.0.1:{}", server.port)),
        "{err}"
    );
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("error: gave up trying to list customresourcedefinitions"),
        "{last}"
    );
    assert!(last.contains("503 Service Unavailable"), "{last}");
    assert!(last.contains("raise --timeout"), "{last}");
    assert_eq!(lines(&err, "error:"), 1, "{err}");
}

#[test]
fn too_many_requests_waits_as_long_as_the_server_asks() {
    let server = RawServer::start(Mode::TooMany);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let (out, took) = diff_cluster(dir.path(), &kubeconfig, "2500ms");
    let err = stderr(&out.code(2));
    assert!(took < Duration::from_secs(8), "took {took:?}");
    let seen = server.seen();
    // Retry-After: 1 → about one request a second, not the backoff's 200 ms.
    assert!((2..=4).contains(&seen.len()), "{seen:?}");
    for pair in seen.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= Duration::from_millis(950),
            "{seen:?}"
        );
    }
    assert!(err.contains("429 Too Many Requests"), "{err}");
    assert!(
        err.lines().last().unwrap().contains("raise --timeout"),
        "{err}"
    );
}

#[test]
fn a_server_that_never_answers_is_left_at_the_deadline() {
    let server = RawServer::start(Mode::Silent);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let (out, took) = diff_cluster(dir.path(), &kubeconfig, "1500ms");
    let err = stderr(&out.code(2));
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let last = err.lines().last().unwrap();
    assert!(last.contains("no answer within"), "{last}");
    assert!(last.contains("--timeout"), "{last}");
}

#[test]
fn an_endless_answer_is_cut_at_the_size_cap() {
    let server = RawServer::start(Mode::Endless);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let (out, took) = diff_cluster(dir.path(), &kubeconfig, "60s");
    let err = stderr(&out.code(2));
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let last = err.lines().last().unwrap();
    assert!(
        last.contains("is larger than 256 MiB, so nexus stopped reading it"),
        "{last}"
    );
    assert_eq!(
        server.seen().len(),
        1,
        "a too large answer is not asked for again"
    );
}

#[test]
fn the_size_cap_can_be_lowered() {
    let server = RawServer::start(Mode::Endless);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let crds = write_crds(&dir.path().join("crds"), &[]);
    let out = nexus_in(dir.path())
        .env("NEXUS_MAX_RESPONSE_BYTES", "100000")
        .args(["datamodel", "diff", "cluster:"])
        .arg(&crds)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .timeout(Duration::from_secs(30))
        .assert()
        .code(2);
    assert!(
        stderr(&out).contains("larger than 100000 bytes"),
        "{}",
        stderr(&out)
    );
}

/// A workspace with one pending step, for the migrate commands.
fn workspace(dir: &Path) -> std::path::PathBuf {
    let root = dir.join("dm");
    std::fs::create_dir_all(root.join("migrations")).unwrap();
    std::fs::write(
        root.join("nexus.yaml"),
        "version: 1\ngroupName: orgchart.org\ndatamodelName: orgchart\n",
    )
    .unwrap();
    std::fs::write(root.join("migrations/20260101000000_rename.yaml"), RENAME).unwrap();
    write_crds(
        &root.join("build/crds"),
        &[employees_crd(
            &[("name", "string"), ("office", "string")],
            &[],
        )],
    );
    root
}

#[test]
fn every_migrate_command_and_install_end_at_the_deadline_against_503() {
    let server = RawServer::start(Mode::Unavailable);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let root = workspace(dir.path());
    let backup = root.join("some-backup");
    std::fs::create_dir_all(&backup).unwrap();
    std::fs::write(
        backup.join("emp-001.yaml"),
        "apiVersion: role.orgchart.org/v1\nkind: Employee\nmetadata: {name: emp-001, namespace: ns-a}\nspec: {name: Ann}\n",
    )
    .unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["migrate", "apply"],
        vec!["migrate", "plan"],
        vec!["migrate", "status"],
        vec!["migrate", "down"],
        vec!["migrate", "restore", "some-backup"],
        vec!["install", "--crds", "build/crds"],
    ];
    for args in commands {
        let started = Instant::now();
        let out = nexus_in(&root)
            .arg("datamodel")
            .args(&args)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["--timeout", "1s"])
            .timeout(Duration::from_secs(60))
            .assert()
            .code(2);
        let took = started.elapsed();
        let err = stderr(&out);
        assert!(
            took < Duration::from_secs(6),
            "{args:?} took {took:?}: {err}"
        );
        assert!(err.contains("503"), "{args:?}: {err}");
        assert!(err.contains("--timeout"), "{args:?}: {err}");
        assert_eq!(lines(&err, "waiting for"), 1, "{args:?}: {err}");
    }
}

#[test]
fn a_write_whose_answer_is_lost_is_not_sent_again() {
    let server = RawServer::start(Mode::ReadsOnly);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let crds = write_crds(
        &dir.path().join("crds"),
        &[employees_crd(&[("name", "string")], &[])],
    );
    let out = nexus_in(dir.path())
        .args(["datamodel", "install", "--crds"])
        .arg(&crds)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["--timeout", "1s"])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2);
    let err = stderr(&out);
    let writes: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(|s| s.method != "GET")
        .collect();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(err.contains("cannot tell whether it was done"), "{err}");
}

#[test]
fn a_write_refused_with_503_is_sent_again() {
    let server = RawServer::start(Mode::WritesUnavailable);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.kubeconfig(dir.path());
    let crds = write_crds(
        &dir.path().join("crds"),
        &[employees_crd(&[("name", "string")], &[])],
    );
    let out = nexus_in(dir.path())
        .args(["datamodel", "install", "--crds"])
        .arg(&crds)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["--timeout", "1500ms"])
        .timeout(Duration::from_secs(60))
        .assert()
        .code(2);
    let writes = server
        .seen()
        .into_iter()
        .filter(|s| s.method == "PATCH" && s.path.contains("customresourcedefinitions"))
        .count();
    assert!(writes >= 2, "{:?}", server.seen());
    assert!(
        stderr(&out).lines().last().unwrap().contains("gave up"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_timeout_flag_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["diff", "cluster:", "x"],
        vec!["migrate", "status"],
        vec!["install"],
    ] {
        let out = nexus_in(dir.path())
            .arg("datamodel")
            .args(&args)
            .args(["--timeout", "soon"])
            .assert()
            .code(2);
        assert!(
            stderr(&out).contains("invalid duration \"soon\""),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn an_exec_plugin_that_hangs_is_stopped_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("plugin.sh");
    std::fs::write(&plugin, "#!/bin/sh\nexec sleep 30\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"http://127.0.0.1:{}\"}}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n",
            closed_port(),
            plugin.display()
        ),
    )
    .unwrap();
    let (out, took) = diff_cluster(dir.path(), &kubeconfig, "1s");
    let err = stderr(&out.code(2));
    assert!(took < Duration::from_secs(6), "took {took:?}");
    assert!(
        err.contains("did not finish within 1s (--timeout); it was stopped"),
        "{err}"
    );
}
