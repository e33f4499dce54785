//! The install scenario against a real cluster, opt-in: set `NEXUS_E2E_KUBECONFIG` to a
//! kubeconfig whose current context may create and delete CRDs (a kind or k3d cluster will do).
//! The CRDs live in a group made up for the run and are deleted at the end.

mod install_support;

use install_support::{crd, nexus_in, stderr, stdout, version};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Deletes the run's CRDs, whatever happened.
struct Cleanup {
    kubeconfig: PathBuf,
    names: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Ok(runtime) = nexus::cluster::runtime() else {
            return;
        };
        runtime.block_on(async {
            let target = nexus::cluster::ClusterTarget {
                kubeconfig: Some(self.kubeconfig.clone()),
                context: None,
                ..Default::default()
            };
            let Ok(conn) = nexus::cluster::connect(&target).await else {
                return;
            };
            for name in &self.names {
                if let Ok(Some(live)) = nexus::cluster::api::get_crd(&conn, name).await {
                    let uid = live
                        .pointer("/metadata/uid")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    let _ = nexus::cluster::api::delete_crd(&conn, name, uid, "").await;
                }
            }
        });
    }
}

fn install(
    dir: &Path,
    kubeconfig: &Path,
    crds: &Path,
    args: &[&str],
) -> assert_cmd::assert::Assert {
    nexus_in(dir)
        .args(["datamodel", "install", "--timeout", "60s", "--kubeconfig"])
        .arg(kubeconfig)
        .arg("--crds")
        .arg(crds)
        .args(args)
        .assert()
}

fn write(dir: &Path, docs: &[Value]) -> PathBuf {
    install_support::write_crds(dir, docs)
}

#[test]
fn install_against_a_real_cluster() {
    let Some(kubeconfig) = std::env::var_os("NEXUS_E2E_KUBECONFIG").map(PathBuf::from) else {
        eprintln!(
            "skipping install_against_a_real_cluster: set NEXUS_E2E_KUBECONFIG to a kubeconfig of a disposable cluster to run it"
        );
        return;
    };
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let group = format!("e2e{run}.nexus-test.example.com");
    let dir = tempfile::tempdir().expect("tempdir");
    let _cleanup = Cleanup {
        kubeconfig: kubeconfig.clone(),
        names: vec![format!("widgets.{group}"), format!("gadgets.{group}")],
    };
    let widgets =
        |versions: &[install_support::Version<'_>]| crd("widgets", &group, "Widget", versions);
    let gadgets = crd("gadgets", &group, "Gadget", &[version("v1", true, &[])]);

    // First install, then the same again: nothing to do.
    let v1 = write(
        &dir.path().join("v1"),
        &[
            widgets(&[version("v1alpha1", true, &[("size", "integer")])]),
            gadgets.clone(),
        ],
    );
    let out = install(dir.path(), &kubeconfig, &v1, &[]).success();
    assert!(stdout(&out).contains("2 created"), "{}", stdout(&out));
    let out = install(dir.path(), &kubeconfig, &v1, &[]).success();
    assert!(stdout(&out).contains("2 unchanged"), "{}", stdout(&out));

    // A compatible upgrade: v1 joins and becomes the storage version.
    let v2 = write(
        &dir.path().join("v2"),
        &[
            widgets(&[
                version("v1alpha1", false, &[("size", "integer")]),
                version("v1", true, &[("size", "integer")]),
            ]),
            gadgets.clone(),
        ],
    );
    let out = install(dir.path(), &kubeconfig, &v2, &["--force"]).success();
    assert!(
        stdout(&out).contains(&format!("updated    widgets.{group}")),
        "{}",
        stdout(&out)
    );

    // v1alpha1 is a stored version now: never dropped, not even with --force.
    let v3 = write(
        &dir.path().join("v3"),
        &[
            widgets(&[version("v1", true, &[("size", "integer")])]),
            gadgets,
        ],
    );
    let out = install(dir.path(), &kubeconfig, &v3, &["--force"]).code(2);
    assert!(
        stderr(&out).contains("cannot remove version v1alpha1"),
        "{}",
        stderr(&out)
    );

    // Gadgets left the datamodel: reported, then pruned (no objects exist).
    let v4 = write(
        &dir.path().join("v4"),
        &[widgets(&[
            version("v1alpha1", false, &[("size", "integer")]),
            version("v1", true, &[("size", "integer")]),
        ])],
    );
    let out = install(dir.path(), &kubeconfig, &v4, &[]).success();
    assert!(
        stdout(&out).contains(&format!("kept       gadgets.{group}")),
        "{}",
        stdout(&out)
    );
    let out = install(dir.path(), &kubeconfig, &v4, &["--prune"]).success();
    assert!(
        stdout(&out).contains(&format!("pruned     gadgets.{group}")),
        "{}",
        stdout(&out)
    );
}
