//! The real client against the standalone fake API server (`nexus-fake-apiserver`): kubectl's
//! server-side apply, wait, get, status patch and apply conflicts, interleaved with nexus
//! installs. Skipped, saying so, where kubectl is not installed.

mod install_support;

use install_support::kubectl::{Kubectl, kubectl_available};

use install_support::{nexus_in, testdata};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const CRD: &str = "gitrepositories.source.toolkit.fluxcd.io";

/// The standalone server, killed when the test ends.
struct Standalone {
    child: Child,
    kubeconfig: PathBuf,
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
        // No --token: kubectl sends no bearer token over plain HTTP.
        .args(["--established-after-reads", "1", "--kubeconfig-out"])
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("nexus-fake-apiserver starts");
    // The kubeconfig file is written before anything is printed: the first line means ready.
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the server prints its kubeconfig");
    assert!(
        first.starts_with("# nexus fake API server at http://127.0.0.1:"),
        "{first}"
    );
    Standalone { child, kubeconfig }
}

/// The CRD as kubectl reads it, managed fields included.
fn live_crd(kubectl: &Kubectl) -> Value {
    let yaml = kubectl.ok(&["get", "crd", CRD, "-o", "yaml", "--show-managed-fields"]);
    serde_saphyr::from_str(&yaml).expect("kubectl prints YAML")
}

fn flux(tag: &str) -> PathBuf {
    testdata(&format!("install/flux/{tag}"))
}

fn flux_file(tag: &str) -> String {
    flux(tag)
        .join("source.toolkit.fluxcd.io_gitrepositories.yaml")
        .display()
        .to_string()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

#[test]
fn kubectl_drives_the_standalone_fake_api_server() {
    if !kubectl_available() {
        eprintln!(
            "skipping kubectl_drives_the_standalone_fake_api_server: kubectl is not installed"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start_standalone(dir.path());
    let kubectl = Kubectl {
        kubeconfig: &server.kubeconfig,
        home: dir.path(),
    };

    // Server-side apply, then wait: the server holds Established back for one read.
    let applied = kubectl.ok(&["apply", "--server-side", "-f", &flux_file("v0.36.1")]);
    assert_eq!(
        applied.trim(),
        format!("customresourcedefinition.apiextensions.k8s.io/{CRD} serverside-applied")
    );
    let waited = kubectl.ok(&[
        "wait",
        "--for=condition=Established",
        &format!("crd/{CRD}"),
        "--timeout=30s",
    ]);
    assert!(waited.contains("condition met"), "{waited}");

    let crd = live_crd(&kubectl);
    assert_eq!(strings(&crd["status"]["storedVersions"]), vec!["v1beta2"]);
    let versions: Vec<&str> = crd["spec"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(versions, vec!["v1beta1", "v1beta2"]);
    assert_eq!(crd["metadata"]["managedFields"][0]["manager"], "kubectl");
    assert_eq!(crd["metadata"]["managedFields"][0]["operation"], "Apply");
    assert_eq!(
        crd["spec"]["conversion"]["strategy"], "None",
        "defaulted by the server"
    );
    let table = kubectl.ok(&["get", "crd"]);
    assert!(
        table.starts_with("NAME") && table.contains("CREATED AT") && table.contains(CRD),
        "{table}"
    );

    // Flux 2.0 makes v1 the storage version; the server adds it to the stored versions.
    kubectl.ok(&["apply", "--server-side", "-f", &flux_file("v1.0.0")]);
    assert_eq!(
        strings(&live_crd(&kubectl)["status"]["storedVersions"]),
        vec!["v1beta2", "v1"]
    );

    // nexus refuses to drop v1beta2 while it is a stored version...
    let refused = nexus_in(dir.path())
        .args(["datamodel", "install", "--force", "--kubeconfig"])
        .arg(&server.kubeconfig)
        .arg("--crds")
        .arg(flux("v1.8.0"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&refused.get_output().stderr).into_owned();
    assert!(err.contains("cannot remove version v1beta2"), "{err}");

    // ...until the migration's last step, the one the error names, is done with kubectl.
    let patched = kubectl.ok(&[
        "patch",
        "crd",
        CRD,
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"storedVersions":["v1"]}}"#,
    ]);
    assert!(patched.contains("patched"), "{patched}");
    let installed = nexus_in(dir.path())
        .args(["datamodel", "install", "--force", "--kubeconfig"])
        .arg(&server.kubeconfig)
        .arg("--crds")
        .arg(flux("v1.8.0"))
        .assert()
        .success();
    let out = String::from_utf8_lossy(&installed.get_output().stdout).into_owned();
    assert!(
        out.contains(&format!(
            "updated  {CRD} (taking over its spec from kubectl)"
        )),
        "{out}"
    );
    let names = kubectl.ok(&["get", "crd", CRD, "-o", "jsonpath={.spec.versions[*].name}"]);
    assert_eq!(names.trim(), "v1");

    // kubectl now meets nexus's ownership: a plain server-side apply of other values conflicts.
    let conflict = kubectl.run(&["apply", "--server-side", "-f", &flux_file("v1.0.0")]);
    assert!(!conflict.status.success());
    let text = String::from_utf8_lossy(&conflict.stderr);
    assert!(
        text.contains(r#"with "nexus" using apiextensions.k8s.io/v1"#),
        "{text}"
    );

    // Custom resources of the established CRD.
    let object = dir.path().join("repo.yaml");
    std::fs::write(
        &object,
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: podinfo\n  namespace: flux-system\nspec:\n  interval: 1m\n  url: https://github.com/stefanprodan/podinfo\n",
    )
    .expect("written");
    kubectl.ok(&[
        "apply",
        "--server-side",
        "-f",
        &object.display().to_string(),
    ]);
    let listed = kubectl.ok(&["get", "gitrepositories", "-A", "-o", "name"]);
    assert_eq!(
        listed.trim(),
        "gitrepository.source.toolkit.fluxcd.io/podinfo"
    );
}
