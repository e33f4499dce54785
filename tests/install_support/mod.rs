//! Shared by the install tests: a fake API server started in-process on a random port, a
//! kubeconfig for it in a temporary directory, CRD builders, and a runner for the nexus binary
//! that sees only that kubeconfig.

#![allow(dead_code)]

pub mod kubectl;

use assert_cmd::Command;
use nexus_fakeapi::{FakeApiServer, FakeConfig};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A fake cluster and a scratch directory with its kubeconfig.
pub struct Cluster {
    pub server: FakeApiServer,
    pub dir: TempDir,
    pub kubeconfig: PathBuf,
}

impl Cluster {
    pub fn start() -> Cluster {
        Cluster::with(FakeConfig::default(), None)
    }

    /// A server with this configuration; the kubeconfig carries `token` if given.
    pub fn with(config: FakeConfig, token: Option<&str>) -> Cluster {
        let server = FakeApiServer::start(config).expect("the fake API server starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let kubeconfig = dir.path().join("kubeconfig");
        server
            .write_kubeconfig(&kubeconfig, token)
            .expect("the kubeconfig is written");
        Cluster {
            server,
            dir,
            kubeconfig,
        }
    }

    /// `nexus datamodel install --crds DIR --kubeconfig KUBECONFIG ARGS...`, in the scratch
    /// directory, with nothing of the environment's own cluster configuration.
    pub fn install(&self, crds: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
        nexus_in(self.dir.path())
            .args(["datamodel", "install", "--crds"])
            .arg(crds)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .assert()
    }

    /// Writes CRDs into a fresh directory under the scratch directory, one file each.
    pub fn crds(&self, dir_name: &str, docs: &[Value]) -> PathBuf {
        write_crds(&self.dir.path().join(dir_name), docs)
    }

    pub fn writes(&self) -> u64 {
        self.server.counters().writes
    }

    pub fn write_requests(&self) -> u64 {
        self.server.counters().write_requests
    }
}

/// The fake API server's own binary (`nexus-fake-apiserver`, crate `crates/fakeapi`): a sibling of
/// the `nexus` binary under test, or `NEXUS_FAKE_APISERVER_BIN`. Another package's binary is not
/// built for this package's tests: `make test` (and `cargo test --workspace`) build it.
pub fn fake_apiserver_binary() -> std::path::PathBuf {
    if let Some(bin) = std::env::var_os("NEXUS_FAKE_APISERVER_BIN") {
        return bin.into();
    }
    let nexus = assert_cmd::cargo::cargo_bin("nexus");
    let bin = nexus.with_file_name(format!(
        "nexus-fake-apiserver{}",
        std::env::consts::EXE_SUFFIX
    ));
    assert!(
        bin.is_file(),
        "{} is not built: run `cargo build -p nexus-fakeapi` (make test does) or set NEXUS_FAKE_APISERVER_BIN",
        bin.display()
    );
    bin
}

/// The nexus binary (`NEXUS_BIN` if set, to test another build), run in `dir`, with a private
/// HOME and no KUBECONFIG or in-cluster settings.
pub fn nexus_in(dir: &Path) -> Command {
    let mut cmd = match std::env::var_os("NEXUS_BIN") {
        Some(bin) => Command::new(bin),
        None => Command::cargo_bin("nexus").expect("the nexus binary is built"),
    };
    cmd.current_dir(dir)
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT");
    cmd
}

pub fn write_crds(dir: &Path, docs: &[Value]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("the CRD directory is created");
    for doc in docs {
        let name = doc["metadata"]["name"].as_str().expect("a CRD has a name");
        let text = serde_json::to_string_pretty(doc).expect("a CRD serializes");
        std::fs::write(dir.join(format!("{name}.json")), text).expect("a CRD file is written");
    }
    dir.to_path_buf()
}

/// One version of a test CRD.
pub struct Version<'a> {
    pub name: &'a str,
    pub served: bool,
    pub storage: bool,
    /// Properties of `spec` (name, type).
    pub spec: &'a [(&'a str, &'a str)],
}

pub fn version<'a>(name: &'a str, storage: bool, spec: &'a [(&'a str, &'a str)]) -> Version<'a> {
    Version {
        name,
        served: true,
        storage,
        spec,
    }
}

/// A namespaced CRD `PLURAL.GROUP` of kind `KIND`.
pub fn crd(plural: &str, group: &str, kind: &str, versions: &[Version<'_>]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            let props: serde_json::Map<String, Value> = v
                .spec
                .iter()
                .map(|(name, ty)| (name.to_string(), json!({ "type": ty })))
                .collect();
            json!({
                "name": v.name,
                "served": v.served,
                "storage": v.storage,
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {"spec": {"type": "object", "properties": props}}
                }},
                "subresources": {"status": {}}
            })
        })
        .collect();
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": kind.to_lowercase(), "kind": kind, "listKind": format!("{kind}List")},
            "versions": versions
        }
    })
}

/// Names of the versions of a stored CRD.
pub fn version_names(doc: &Value) -> Vec<String> {
    doc["spec"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str().map(str::to_string))
        .collect()
}

/// `status.storedVersions` of a stored CRD.
pub fn stored_versions(doc: &Value) -> Vec<String> {
    doc["status"]["storedVersions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The repository's testdata directory.
pub fn testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// A port on 127.0.0.1 that nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("a local address").port()
}

pub fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

pub fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// A migration step renaming `.spec.location` of employees to `.spec.office`.
pub const RENAME: &str = "title: Rename location to office
crd: employees.role.orgchart.org
up:
  - op: move
    from: /spec/location
    path: /spec/office
";

/// The Employee CRD (`employees.role.orgchart.org`) with these spec fields, `required` ones listed.
pub fn employees_crd(fields: &[(&str, &str)], required: &[&str]) -> Value {
    let mut doc = crd(
        "employees",
        "role.orgchart.org",
        "Employee",
        &[version("v1", true, fields)],
    );
    doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["required"] =
        json!(required);
    doc
}
