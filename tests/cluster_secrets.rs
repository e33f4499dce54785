//! Credentials never printed: a kubeconfig with a distinct random secret in every field that can
//! hold one, and every cluster command run against an unreachable server, a fake server that
//! refuses, a failing exec plugin, credentials with line breaks, and a server that works. No
//! secret may appear on stdout, stderr, in any file the command wrote (reports, backups), or in
//! the state ConfigMap.

mod install_support;

use install_support::*;
use nexus_fakeapi::{FakeConfig, User};
use serde_json::json;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One random secret per kubeconfig field.
struct Planted(BTreeMap<&'static str, String>);

const FIELDS: &[&str] = &[
    "token",
    "username",
    "password",
    "client-certificate-data",
    "client-key-data",
    "token-file-contents",
    "exec-arg",
    "exec-env",
    "provider-id-token",
    "provider-refresh-token",
    "provider-client-secret",
    "server-user",
    "server-password",
    "proxy-user",
    "proxy-password",
    "working-token",
];

impl Planted {
    fn new() -> Planted {
        Planted(
            FIELDS
                .iter()
                .map(|f| {
                    let n = std::collections::hash_map::RandomState::new()
                        .build_hasher()
                        .finish();
                    (*f, format!("s{n:016x}q"))
                })
                .collect(),
        )
    }

    fn get(&self, field: &str) -> &str {
        &self.0[field]
    }

    /// Fails naming the field and the channel if any secret is in `text`.
    fn assert_absent(&self, text: &str, channel: &str) {
        for (field, secret) in &self.0 {
            assert!(
                !text.contains(secret.as_str()),
                "the {field} secret leaked into {channel}:\n{text}"
            );
        }
    }
}

/// The user of the context; the kubeconfig also holds a user with every secret.
enum Who {
    /// Every credential field at once (kube's precedence picks the auth-provider).
    Everything,
    /// Only an exec plugin: `plugin` is its script.
    Exec(&'static str),
    /// A static token with a line break in it.
    TokenWithLineBreak,
    /// The token the fake server accepts.
    Working,
}

fn user_yaml(p: &Planted, dir: &Path, who: &Who) -> String {
    let plugin = dir.join("plugin.sh");
    let exec = |script: &str| {
        std::fs::write(&plugin, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
        format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      args: [--key, {}]\n      env:\n      - name: PLUGIN_SECRET\n        value: {}\n      interactiveMode: Never\n",
            plugin.display(),
            p.get("exec-arg"),
            p.get("exec-env")
        )
    };
    match who {
        Who::Everything => {
            let token_file = dir.join("token-file");
            std::fs::write(&token_file, format!("{}\n", p.get("token-file-contents"))).unwrap();
            format!(
                "    token: {}\n    username: {}\n    password: {}\n    tokenFile: {}\n    auth-provider:\n      name: oidc\n      config:\n        id-token: {}\n        refresh-token: {}\n        client-secret: {}\n{}",
                p.get("token"),
                p.get("username"),
                p.get("password"),
                token_file.display(),
                p.get("provider-id-token"),
                p.get("provider-refresh-token"),
                p.get("provider-client-secret"),
                exec("#!/bin/sh\nexit 1\n"),
            )
        }
        Who::Exec(script) => exec(script),
        Who::TokenWithLineBreak => format!("    token: \"{}\\nmore\"\n", p.get("token")),
        Who::Working => format!("    token: {}\n", p.get("working-token")),
    }
}

/// A kubeconfig for `host_port`; the context's user is `who`, and a second, unused user and
/// cluster carry every secret, certificates and a proxy included.
fn kubeconfig(p: &Planted, dir: &Path, host_port: &str, userinfo: bool, who: Who) -> PathBuf {
    let server = if userinfo {
        format!(
            "http://{}:{}@{host_port}",
            p.get("server-user"),
            p.get("server-password")
        )
    } else {
        format!("http://{host_port}")
    };
    let everything = user_yaml(p, dir, &Who::Everything);
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n- name: proxied\n  cluster:\n    server: https://{}:{}@10.0.0.1:6443\n    proxy-url: http://{}:{}@127.0.0.1:3128\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\n- name: all\n  context: {{cluster: proxied, user: all}}\ncurrent-context: c\nusers:\n- name: u\n  user:\n{}- name: all\n  user:\n    client-certificate-data: {}\n    client-key-data: {}\n{everything}",
        p.get("server-user"),
        p.get("server-password"),
        p.get("proxy-user"),
        p.get("proxy-password"),
        user_yaml(p, dir, &who),
        p.get("client-certificate-data"),
        p.get("client-key-data"),
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

const RENAME_BOTH_WAYS: &str = "title: Rename location to office
crd: employees.role.orgchart.org
up:
  - op: move
    from: /spec/location
    path: /spec/office
down:
  - op: move
    from: /spec/office
    path: /spec/location
";

/// A workspace with a pending step, objects to migrate, and a backup to restore.
fn workspace(dir: &Path) -> PathBuf {
    let root = dir.join("dm");
    std::fs::create_dir_all(root.join("migrations")).unwrap();
    std::fs::write(
        root.join("nexus.yaml"),
        "version: 1\ngroupName: orgchart.org\ndatamodelName: orgchart\n",
    )
    .unwrap();
    std::fs::write(
        root.join("migrations/20260101000000_rename.yaml"),
        RENAME_BOTH_WAYS,
    )
    .unwrap();
    write_crds(&root.join("build/crds"), &[built_crd()]);
    let backup = root.join("old-backup");
    std::fs::create_dir_all(&backup).unwrap();
    std::fs::write(
        backup.join("emp-001.yaml"),
        "apiVersion: role.orgchart.org/v1\nkind: Employee\nmetadata: {name: emp-001, namespace: ns-a}\nspec: {name: Ann, location: Paris}\n",
    )
    .unwrap();
    root
}

fn built_crd() -> serde_json::Value {
    employees_crd(
        &[
            ("name", "string"),
            ("location", "string"),
            ("office", "string"),
        ],
        &["name"],
    )
}

/// Every cluster command, with the flags that make each write a report or a backup.
fn commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["diff", "cluster:", "build/crds", "--format", "json"],
        vec!["diff", "build/crds", "cluster:employees.role.orgchart.org"],
        vec!["install", "--crds", "build/crds", "--dry-run"],
        vec!["install", "--crds", "build/crds", "--dry-run", "-o", "json"],
        vec!["migrate", "plan", "--output", "plan-output"],
        vec![
            "migrate",
            "apply",
            "--backup",
            "apply-backup",
            "--format",
            "json",
        ],
        vec!["migrate", "status"],
        vec!["migrate", "status", "-o", "json"],
        vec!["migrate", "down", "--backup", "down-backup"],
        vec![
            "install",
            "--crds",
            "build/crds",
            "--force",
            "--backup",
            "install-backup",
        ],
        vec!["migrate", "restore", "old-backup"],
    ]
}

/// Runs every command in `root` with `kubeconfig`; checks each output channel and every file
/// written. Returns the exit codes.
fn run_all(p: &Planted, root: &Path, kubeconfig: &Path) -> Vec<i32> {
    run_all_in(p, root, kubeconfig, &[])
}

/// [`run_all`] with extra flags (`--context`).
fn run_all_in(p: &Planted, root: &Path, kubeconfig: &Path, extra: &[&str]) -> Vec<i32> {
    let mut codes = Vec::new();
    for args in commands() {
        let out = nexus_in(root)
            .arg("datamodel")
            .args(&args)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(extra)
            .args(["--timeout", "1s"])
            .timeout(Duration::from_secs(60))
            .assert();
        let output = out.get_output();
        let code = output.status.code().unwrap_or(-1);
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(!err.contains("internal error"), "{args:?}: {err}");
        p.assert_absent(
            &String::from_utf8_lossy(&output.stdout),
            &format!("stdout of {args:?}"),
        );
        p.assert_absent(&err, &format!("stderr of {args:?}"));
        codes.push(code);
    }
    for file in files_below(root) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        p.assert_absent(&text, &file.display().to_string());
    }
    codes
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// The scratch directory holds the kubeconfig, the plugin and the token file (which hold the
/// secrets by design); the workspace below it is where nexus writes.
fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace(dir.path());
    (dir, root)
}

#[test]
fn no_secret_leaks_when_the_server_is_unreachable() {
    let p = Planted::new();
    let (dir, root) = scratch();
    let port = closed_port();
    let kubeconfig = kubeconfig(
        &p,
        dir.path(),
        &format!("127.0.0.1:{port}"),
        true,
        Who::Everything,
    );
    let codes = run_all(&p, &root, &kubeconfig);
    assert!(codes.iter().all(|&c| c == 2), "{codes:?}");
    // The other context: a proxy with credentials, client certificate and key, every auth field.
    let codes = run_all_in(&p, &root, &kubeconfig, &["--context", "all"]);
    assert!(codes.iter().all(|&c| c == 2), "{codes:?}");
}

#[test]
fn no_secret_leaks_when_the_server_refuses_the_credentials() {
    let p = Planted::new();
    let (dir, root) = scratch();
    let cluster = Cluster::with(
        FakeConfig {
            users: vec![User {
                name: "someone-else".into(),
                token: "another-token-entirely".into(),
                verbs: None,
            }],
            ..FakeConfig::default()
        },
        None,
    );
    let host = cluster
        .server
        .url()
        .trim_start_matches("http://")
        .to_string();
    let kubeconfig = kubeconfig(&p, dir.path(), &host, false, Who::Everything);
    let codes = run_all(&p, &root, &kubeconfig);
    assert!(codes.iter().all(|&c| c == 2), "{codes:?}");
    assert!(
        cluster.server.requests().iter().any(|r| r.code == 401),
        "the server saw the credentials and refused them"
    );
}

#[test]
fn no_secret_leaks_when_the_exec_plugin_fails() {
    let p = Planted::new();
    let (dir, root) = scratch();
    let cluster = Cluster::start();
    let host = cluster
        .server
        .url()
        .trim_start_matches("http://")
        .to_string();
    // A plugin that repeats its argument and its environment in its error.
    let plugin = "#!/bin/sh\necho \"login failed for $2 with $PLUGIN_SECRET\" >&2\nexit 3\n";
    let kubeconfig = kubeconfig(&p, dir.path(), &host, true, Who::Exec(plugin));
    let codes = run_all(&p, &root, &kubeconfig);
    assert!(codes.iter().all(|&c| c == 2), "{codes:?}");
    let out = nexus_in(&root)
        .args(["datamodel", "migrate", "status", "--kubeconfig"])
        .arg(&kubeconfig)
        .assert()
        .code(2);
    let err = stderr(&out);
    assert!(err.contains("plugin.sh"), "{err}");
    assert!(
        err.contains(
            "failed (exit status: 3), saying: login failed for [redacted] with [redacted]"
        ),
        "{err}"
    );
    assert!(
        cluster.server.requests().is_empty(),
        "nothing is sent without credentials"
    );
}

#[test]
fn credentials_with_line_breaks_are_one_clear_error() {
    let p = Planted::new();
    let (dir, root) = scratch();
    let cluster = Cluster::start();
    let host = cluster
        .server
        .url()
        .trim_start_matches("http://")
        .to_string();
    let newline_plugin = Box::leak(
        format!(
            "#!/bin/sh\nprintf '%s' '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{}\\nmore\"}}}}'\n",
            p.get("token")
        )
        .into_boxed_str(),
    );
    for who in [Who::TokenWithLineBreak, Who::Exec(newline_plugin)] {
        let kubeconfig = kubeconfig(&p, dir.path(), &host, false, who);
        let codes = run_all(&p, &root, &kubeconfig);
        assert!(codes.iter().all(|&c| c == 2), "{codes:?}");
        let out = nexus_in(&root)
            .args([
                "datamodel",
                "diff",
                "cluster:",
                "build/crds",
                "--kubeconfig",
            ])
            .arg(&kubeconfig)
            .assert()
            .code(2);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("contains a line break"), "{err}");
    }
    assert!(cluster.server.requests().is_empty());
}

#[test]
fn no_secret_reaches_backups_reports_or_the_state_configmap() {
    let p = Planted::new();
    let (dir, root) = scratch();
    let cluster = Cluster::with(
        FakeConfig {
            users: vec![User {
                name: "admin".into(),
                token: p.get("working-token").to_string(),
                verbs: None,
            }],
            ..FakeConfig::default()
        },
        None,
    );
    let installed = employees_crd(
        &[
            ("name", "string"),
            ("location", "string"),
            ("office", "string"),
        ],
        &["name"],
    );
    cluster.server.seed_crd(&installed).unwrap();
    for i in 0..3 {
        cluster
            .server
            .seed_object(&json!({
                "apiVersion": "role.orgchart.org/v1",
                "kind": "Employee",
                "metadata": {"name": format!("emp-{i:03}"), "namespace": "ns-a"},
                "spec": {"name": format!("E{i}"), "location": "Paris"}
            }))
            .unwrap();
    }
    let host = cluster
        .server
        .url()
        .trim_start_matches("http://")
        .to_string();
    let kubeconfig = kubeconfig(&p, dir.path(), &host, false, Who::Working);
    let codes = run_all(&p, &root, &kubeconfig);
    // apply migrates and records the step; down undoes it; both write backups.
    assert_eq!(codes, vec![0; 11]);
    for backup in ["apply-backup", "down-backup", "install-backup"] {
        assert!(root.join(backup).is_dir(), "{backup}");
    }
    let state = cluster.server.stored_objects("configmaps");
    assert!(!state.is_empty(), "the state ConfigMap exists");
    p.assert_absent(
        &serde_json::to_string(&state).unwrap(),
        "the state ConfigMap",
    );
    p.assert_absent(
        &serde_json::to_string(&cluster.server.stored_objects("employees.role.orgchart.org"))
            .unwrap(),
        "the stored objects",
    );
}
