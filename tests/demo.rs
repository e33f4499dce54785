//! `make demo` (scripts/demo.sh) end to end, stdout redirected as in `make demo > file`: it
//! succeeds, prints no escape code, shows the generated step file before the completed one, runs
//! the CI gate and `migrate down`; with `--keep` the server and workspace outlive it.

mod install_support;

use install_support::fake_apiserver_binary;
use std::path::PathBuf;
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn demo(extra: &[&str]) -> Output {
    Command::new(repo().join("scripts/demo.sh"))
        .args(extra)
        .arg(assert_cmd::cargo::cargo_bin("nexus"))
        .arg(fake_apiserver_binary())
        .current_dir(repo())
        .env_remove("KUBECONFIG")
        .env_remove("NO_COLOR")
        .output()
        .expect("the demo runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn demo_teaches_the_whole_job_in_plain_text() {
    let out = demo(&[]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n--- stderr\n{}",
        text(&out.stderr)
    );
    assert!(
        !out.stdout.contains(&0x1b),
        "an escape code in redirected output"
    );
    let at = |needle: &str| {
        stdout
            .find(needle)
            .unwrap_or_else(|| panic!("the demo does not show {needle:?}:\n{stdout}"))
    };
    // The generated step file is shown, then the completed one.
    let generated = at("The step file migrate create wrote");
    let completed = at("Completed by hand");
    assert!(generated < completed);
    let shown_file = &stdout[generated..completed];
    assert!(
        shown_file.contains("leaders.root.orgchart.org") && shown_file.contains("incomplete:"),
        "{shown_file}"
    );
    // The CI gate's annotations, then the undo.
    assert!(at("::error ") < at("datamodel migrate down"));
    assert!(stdout.contains("Done: the workspace and the server are removed"));
}

#[test]
fn demo_keep_leaves_the_server_and_workspace_with_the_commands_to_go_on() {
    let out = demo(&["--keep"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let kill = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("kill "))
        .expect("the line that stops the server");
    let (pid, rest) = kill
        .split_once(" && rm -rf ")
        .expect("kill PID && rm -rf DIR");
    let work = PathBuf::from(rest.trim());
    let kubeconfig = work.join("kubeconfig");
    let alive = Command::new("kill").args(["-0", pid]).status().unwrap();
    let workspace = work.join("orgchart/nexus.yaml").is_file();
    // What the demo says to run next works: the server still answers.
    let status = Command::new(assert_cmd::cargo::cargo_bin("nexus"))
        .args(["datamodel", "migrate", "status", "--kubeconfig"])
        .arg(&kubeconfig)
        .current_dir(work.join("orgchart"))
        .output()
        .unwrap();
    let _ = Command::new("kill").arg(pid).status();
    let _ = std::fs::remove_dir_all(&work);
    assert!(alive.success(), "the server {pid} was stopped");
    assert!(workspace, "the workspace {} was removed", work.display());
    assert!(status.status.success(), "{}", text(&status.stderr));
    assert!(stdout.contains(&format!("export KUBECONFIG={}", kubeconfig.display())));
}
