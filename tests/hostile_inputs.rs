//! Inputs that used to hang, exhaust memory or crash the built binary: FIFOs where files are
//! read, inputs over the size limit (`--max-input-size`, `NEXUS_MAX_INPUT_SIZE`), endless devices,
//! and a closed stdout or stderr. Every run has a deadline: a hang fails the test, it does not
//! hang the suite.

mod install_support;

use install_support::{Cluster, employees_crd, write_crds};
use serde_json::json;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Far above what any of these runs needs; a hang is caught long before the suite's timeout.
const DEADLINE: Duration = Duration::from_secs(20);

/// The nexus binary (`NEXUS_BIN` if set, to test another build, as the install tests do).
fn bin() -> PathBuf {
    std::env::var_os("NEXUS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| assert_cmd::cargo::cargo_bin("nexus"))
}

/// The binary in `dir`, with nothing of the environment's cluster or limit settings.
fn nexus(dir: &Path) -> Command {
    let mut cmd = Command::new(bin());
    cmd.current_dir(dir)
        .env("HOME", dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove("KUBECONFIG")
        .env_remove("NEXUS_MAX_INPUT_SIZE")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs a spawned child to its end, or kills it and fails when it outlives [`DEADLINE`].
fn finish(mut child: std::process::Child, what: &str) -> Output {
    let pid = child.id();
    let (done, wait) = mpsc::channel();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    std::thread::spawn(move || {
        let read = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let out = read(stdout.map(|p| Box::new(p) as Box<dyn Read + Send>));
        let err = read(stderr.map(|p| Box::new(p) as Box<dyn Read + Send>));
        let status = child.wait().expect("wait for nexus");
        let _ = done.send(Output {
            status,
            stdout: out.join().unwrap(),
            stderr: err.join().unwrap(),
        });
    });
    match wait.recv_timeout(DEADLINE) {
        Ok(output) => output,
        Err(_) => {
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            panic!("{what}: still running after {DEADLINE:?}: it hangs");
        }
    }
}

fn run(cmd: &mut Command, what: &str) -> Output {
    finish(cmd.spawn().expect("start nexus"), what)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Exit 2 with one line on stderr, no panic; returns the line.
fn refused(output: &Output, what: &str) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "{stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{what}: one line expected: {stderr}"
    );
    stderr
}

fn mkfifo(path: &Path) {
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    assert_eq!(
        unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) },
        0,
        "mkfifo {}",
        path.display()
    );
}

fn crd_yaml(plural: &str, fields: usize) -> String {
    let kind = format!(
        "{}{}",
        plural[..1].to_uppercase(),
        &plural[1..plural.len() - 1]
    );
    let mut props = String::new();
    for i in 0..fields {
        props.push_str(&format!(
            "                field{i}:\n                  type: string\n"
        ));
    }
    if fields == 0 {
        props.push_str("                keep:\n                  type: string\n");
    }
    format!(
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.example.com
spec:
  group: example.com
  names: {{kind: {kind}, plural: {plural}, singular: {}, listKind: {kind}List}}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
{props}",
        &plural[..plural.len() - 1]
    )
}

/// A datamodel root with built employee CRDs and one stored employee in `objects/`.
fn employee_workspace(root: &Path) -> PathBuf {
    std::fs::write(root.join("nexus.yaml"), "groupName: orgchart.org\n").unwrap();
    write_crds(
        &root.join("build/crds"),
        &[employees_crd(&[("name", "string")], &["name"])],
    );
    let objects = root.join("objects");
    std::fs::create_dir(&objects).unwrap();
    std::fs::write(
        objects.join("e.yaml"),
        serde_json::to_string(&json!({
            "apiVersion": "role.orgchart.org/v1", "kind": "Employee",
            "metadata": {"name": "e1", "namespace": "default"}, "spec": {"name": "E"}
        }))
        .unwrap(),
    )
    .unwrap();
    objects
}

// ---- FIFOs ----

#[test]
fn a_fifo_in_a_directory_source_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let crds = dir.path().join("crds");
    std::fs::create_dir(&crds).unwrap();
    std::fs::write(crds.join("a.yaml"), crd_yaml("widgets", 1)).unwrap();
    mkfifo(&crds.join("b-pipe.yaml"));
    let start = Instant::now();
    let output = run(
        nexus(dir.path()).args(["datamodel", "diff", "crds", "crds"]),
        "diff with a FIFO in the directory",
    );
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains("skipped 1 document that is not CRDs in crds"),
        "{stdout}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_fifo_in_the_previous_build_output_is_refused_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let init = run(
        nexus(root).args([
            "datamodel",
            "init",
            "--name",
            "orgchart",
            "--group",
            "orgchart.org",
            "dm",
        ]),
        "init",
    );
    assert_eq!(init.status.code(), Some(0), "{}", text(&init.stderr));
    let dm = root.join("dm");
    let first = run(nexus(&dm).args(["datamodel", "build"]), "first build");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    // A FIFO where a generated file was: reading the previous set must not wait on it, and the
    // output step must not either. A FIFO is not a file nexus wrote, so build refuses to replace
    // the directory (it would delete it), names it, and leaves everything as it was.
    let generated = std::fs::read_dir(dm.join("build/crds"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .unwrap();
    std::fs::remove_file(&generated).unwrap();
    mkfifo(&generated);
    mkfifo(&dm.join("build/crds/stray.yaml"));
    let second = run(
        nexus(&dm).args(["datamodel", "build"]),
        "build beside a FIFO",
    );
    assert_eq!(second.status.code(), Some(2), "{}", text(&second.stderr));
    let stderr = text(&second.stderr);
    assert!(
        stderr.contains("not written by nexus") && stderr.lines().count() == 1,
        "{stderr}"
    );
    for fifo in [generated, dm.join("build/crds/stray.yaml")] {
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(
            std::os::unix::fs::FileTypeExt::is_fifo(&kind),
            "{} was replaced",
            fifo.display()
        );
    }
}

#[test]
fn a_fifo_as_config_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), crd_yaml("widgets", 1)).unwrap();
    mkfifo(&dir.path().join("compat.yaml"));
    let output = run(
        nexus(dir.path()).args([
            "datamodel",
            "diff",
            "a.yaml",
            "a.yaml",
            "--config",
            "compat.yaml",
        ]),
        "--config FIFO",
    );
    let err = refused(&output, "--config FIFO");
    assert!(
        err.contains("compat.yaml")
            && err.contains("named pipe (FIFO)")
            && err.contains("regular file"),
        "{err}"
    );
    // The default config file, found rather than named, is no different.
    std::fs::rename(
        dir.path().join("compat.yaml"),
        dir.path().join(".nexus-compat.yaml"),
    )
    .unwrap();
    let output = run(
        nexus(dir.path()).args(["datamodel", "diff", "a.yaml", "a.yaml"]),
        "default config FIFO",
    );
    assert!(refused(&output, "default config FIFO").contains(".nexus-compat.yaml"));
}

#[test]
fn a_fifo_where_the_datamodel_or_a_kubeconfig_is_required_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    mkfifo(&root.join("nexus.yaml"));
    let output = run(nexus(root).args(["datamodel", "build"]), "nexus.yaml FIFO");
    let err = refused(&output, "nexus.yaml FIFO");
    assert!(
        err.contains("nexus.yaml") && err.contains("named pipe (FIFO)"),
        "{err}"
    );

    std::fs::write(root.join("a.yaml"), crd_yaml("widgets", 1)).unwrap();
    mkfifo(&root.join("kubeconfig"));
    let output = run(
        nexus(root).args([
            "datamodel",
            "diff",
            "cluster:",
            "a.yaml",
            "--kubeconfig",
            "kubeconfig",
        ]),
        "kubeconfig FIFO",
    );
    let err = refused(&output, "kubeconfig FIFO");
    assert!(
        err.contains("kubeconfig") && err.contains("named pipe (FIFO)"),
        "{err}"
    );
    let output = run(
        nexus(root)
            .env("KUBECONFIG", root.join("kubeconfig"))
            .args(["datamodel", "diff", "cluster:", "a.yaml"]),
        "KUBECONFIG FIFO",
    );
    assert!(refused(&output, "KUBECONFIG FIFO").contains("named pipe (FIFO)"));
}

#[test]
fn a_fifo_among_migration_inputs_is_refused_or_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let objects = employee_workspace(root);
    mkfifo(&objects.join("pipe.yaml"));
    let output = run(
        nexus(root).args(["datamodel", "migrate", "plan", "--objects", "objects"]),
        "--objects with a FIFO",
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        text(&output.stdout).contains("1 object"),
        "{}",
        text(&output.stdout)
    );

    std::fs::create_dir(root.join("migrations")).unwrap();
    mkfifo(&root.join("migrations/20260101000000_step.yaml"));
    let output = run(
        nexus(root).args(["datamodel", "migrate", "plan", "--objects", "objects"]),
        "a FIFO step file",
    );
    let err = refused(&output, "a FIFO step file");
    assert!(
        err.contains("20260101000000_step.yaml") && err.contains("named pipe (FIFO)"),
        "{err}"
    );
}

#[test]
fn a_fifo_named_as_a_source_is_read_like_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), crd_yaml("widgets", 1)).unwrap();
    let fifo = dir.path().join("new.pipe");
    mkfifo(&fifo);
    let child = nexus(dir.path())
        .args(["datamodel", "diff", "a.yaml", "new.pipe"])
        .spawn()
        .unwrap();
    let writer = std::thread::spawn(move || {
        let mut pipe = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
        pipe.write_all(crd_yaml("widgets", 1).as_bytes()).unwrap();
    });
    let output = finish(child, "diff reading a FIFO");
    writer.join().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

// ---- the size limit ----

#[test]
fn endless_standard_input_stops_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), crd_yaml("widgets", 1)).unwrap();
    let mut child = nexus(dir.path())
        .env("NEXUS_MAX_INPUT_SIZE", "64K")
        .args(["datamodel", "diff", "a.yaml", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Writes until nexus closes its end: it must stop reading at the limit, not at the end
    // (there is none).
    let writer = std::thread::spawn(move || {
        let line = b"# a comment line that never ends the input\n".repeat(1000);
        let mut written = 0u64;
        while stdin.write_all(&line).is_ok() {
            written += line.len() as u64;
        }
        written
    });
    let start = Instant::now();
    let output = finish(child, "endless stdin");
    let err = refused(&output, "endless stdin");
    assert!(
        err.contains("standard input is larger than the input limit of 64 KiB")
            && err.contains("--max-input-size")
            && err.contains("NEXUS_MAX_INPUT_SIZE"),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    let written = writer.join().unwrap();
    // What the pipe buffer held beyond what nexus read; never the whole (endless) stream.
    assert!(
        written < 64 * 1024 + 2 * 1024 * 1024,
        "{written} bytes were accepted"
    );
}

#[test]
fn a_file_over_the_limit_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), crd_yaml("widgets", 1)).unwrap();
    std::fs::write(dir.path().join("big.yaml"), crd_yaml("widgets", 200)).unwrap();
    let output = run(
        nexus(dir.path()).args([
            "datamodel",
            "diff",
            "a.yaml",
            "big.yaml",
            "--max-input-size",
            "4K",
        ]),
        "file over the limit",
    );
    let err = refused(&output, "file over the limit");
    assert!(
        err.contains("big.yaml is larger than the input limit of 4 KiB"),
        "{err}"
    );
    // Inside a directory too, and as --config.
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::rename(dir.path().join("big.yaml"), dir.path().join("d/big.yaml")).unwrap();
    let output = run(
        nexus(dir.path()).args(["datamodel", "diff", "--max-input-size", "4K", "a.yaml", "d"]),
        "file over the limit in a directory",
    );
    assert!(refused(&output, "dir").contains("d/big.yaml is larger than the input limit"));
    let output = run(
        nexus(dir.path()).env("NEXUS_MAX_INPUT_SIZE", "4K").args([
            "datamodel",
            "diff",
            "a.yaml",
            "a.yaml",
            "--config",
            "d/big.yaml",
        ]),
        "--config over the limit",
    );
    assert!(refused(&output, "config").contains("d/big.yaml is larger than the input limit"));
    // The same file is fine under the default limit.
    let output = run(
        nexus(dir.path()).args(["datamodel", "diff", "a.yaml", "d"]),
        "default limit",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
}

#[test]
fn an_unreadable_limit_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, env) in [(Some("lots"), None), (None, Some("0"))] {
        let mut cmd = nexus(dir.path());
        cmd.args(["datamodel", "rules"]);
        if let Some(flag) = flag {
            cmd.args(["--max-input-size", flag]);
        }
        if let Some(env) = env {
            cmd.env("NEXUS_MAX_INPUT_SIZE", env);
        }
        let output = run(&mut cmd, "bad limit");
        assert_eq!(output.status.code(), Some(2));
        assert!(
            text(&output.stderr).contains("--max-input-size"),
            "{}",
            text(&output.stderr)
        );
    }
}

#[test]
fn endless_devices_named_as_sources_stop_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), crd_yaml("widgets", 1)).unwrap();
    for device in ["/dev/zero", "/dev/urandom"] {
        let start = Instant::now();
        let output = run(
            nexus(dir.path()).args([
                "datamodel",
                "diff",
                "--max-input-size",
                "1M",
                "a.yaml",
                device,
            ]),
            device,
        );
        let err = refused(&output, device);
        assert!(
            err.contains(&format!("{device} is larger than the input limit of 1 MiB")),
            "{err}"
        );
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}

#[test]
fn a_git_blob_over_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    std::fs::write(dir.path().join("big.yaml"), crd_yaml("widgets", 200)).unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("big.yaml")).unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig =
        git2::Signature::new("T", "t@example.com", &git2::Time::new(1_700_000_000, 0)).unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &[])
        .unwrap();
    let output = run(
        nexus(dir.path()).args([
            "datamodel",
            "diff",
            "--max-input-size",
            "4K",
            "big.yaml",
            "git:HEAD:big.yaml",
        ]),
        "git blob over the limit",
    );
    // The file on disk is over the limit too: the old side is read first. Swap the sides to
    // reach the blob.
    refused(&output, "file");
    let output = run(
        nexus(dir.path()).args([
            "datamodel",
            "diff",
            "--max-input-size",
            "4K",
            "git:HEAD:",
            "big.yaml",
        ]),
        "git blob over the limit",
    );
    let err = refused(&output, "git blob");
    assert!(
        err.contains("git:HEAD:big.yaml is larger than the input limit of 4 KiB"),
        "{err}"
    );
}

// ---- closed stdout and stderr ----

/// Runs with stdout closed before nexus writes anything; stderr is kept.
fn with_closed_stdout(cmd: &mut Command, what: &str) -> Output {
    let mut child = cmd.spawn().expect("start nexus");
    drop(child.stdout.take());
    finish(child, what)
}

/// Quiet: no message about the pipe, no panic, no death by signal, and the exit code of the
/// command's own outcome.
fn ends_quietly(output: &Output, what: &str, code: i32) {
    let stderr = text(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what}: {:?} {stderr}",
        output.status
    );
    for bad in ["internal error", "Broken pipe", "panicked", "os error"] {
        assert!(!stderr.contains(bad), "{what}: {stderr}");
    }
}

#[test]
fn reports_into_a_closed_pipe_end_quietly() {
    let dir = tempfile::tempdir().unwrap();
    // 3,000 removed fields: every format's report is far larger than a pipe's buffer.
    std::fs::write(dir.path().join("old.yaml"), crd_yaml("widgets", 3000)).unwrap();
    std::fs::write(dir.path().join("new.yaml"), crd_yaml("widgets", 0)).unwrap();
    for format in ["text", "json", "markdown", "github", "junit"] {
        let output = with_closed_stdout(
            nexus(dir.path()).args([
                "datamodel",
                "diff",
                "old.yaml",
                "new.yaml",
                "--format",
                format,
            ]),
            format,
        );
        ends_quietly(&output, format, 1);
    }
    let output = with_closed_stdout(nexus(dir.path()).args(["datamodel", "rules"]), "rules");
    ends_quietly(&output, "rules", 0);
    let output = with_closed_stdout(nexus(dir.path()).args(["--help"]), "help");
    ends_quietly(&output, "help", 0);
}

#[test]
fn install_and_migrate_status_into_a_closed_pipe_end_quietly() {
    let cluster = Cluster::start();
    let built = employees_crd(&[("name", "string")], &["name"]);
    let crds = cluster.crds("crds", std::slice::from_ref(&built));
    let output = with_closed_stdout(
        nexus(cluster.dir.path())
            .args(["datamodel", "install", "--crds"])
            .arg(&crds)
            .arg("--kubeconfig")
            .arg(&cluster.kubeconfig),
        "install",
    );
    ends_quietly(&output, "install", 0);
    // The install went through although nobody read what it said.
    assert!(
        cluster
            .server
            .crd(built["metadata"]["name"].as_str().unwrap())
            .is_some()
    );

    let root = cluster.dir.path().join("dm");
    std::fs::create_dir_all(root.join("migrations")).unwrap();
    std::fs::write(root.join("nexus.yaml"), "groupName: orgchart.org\n").unwrap();
    write_crds(&root.join("build/crds"), &[built]);
    let output = with_closed_stdout(
        nexus(&root)
            .args(["datamodel", "migrate", "status", "--kubeconfig"])
            .arg(&cluster.kubeconfig),
        "migrate status",
    );
    ends_quietly(&output, "migrate status", 0);
}

#[test]
fn workspace_commands_into_a_closed_pipe_end_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let output = with_closed_stdout(
        nexus(dir.path()).args([
            "datamodel",
            "init",
            "--name",
            "orgchart",
            "--group",
            "orgchart.org",
            "dm",
        ]),
        "init",
    );
    ends_quietly(&output, "init", 0);
    let dm = dir.path().join("dm");
    let output = with_closed_stdout(nexus(&dm).args(["datamodel", "build"]), "build");
    ends_quietly(&output, "build", 0);
    assert!(std::fs::read_dir(dm.join("build/crds")).unwrap().count() > 0);

    let root = dir.path().join("employees");
    std::fs::create_dir(&root).unwrap();
    employee_workspace(&root);
    for format in ["text", "json"] {
        let output = with_closed_stdout(
            nexus(&root).args([
                "datamodel",
                "migrate",
                "plan",
                "--objects",
                "objects",
                "--format",
                format,
            ]),
            "migrate plan",
        );
        ends_quietly(&output, "migrate plan", 0);
    }
}

#[test]
fn an_error_into_a_closed_stderr_is_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = nexus(dir.path())
        .args(["datamodel", "diff", "missing-a.yaml", "missing-b.yaml"])
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    drop(child.stdout.take());
    let output = finish(child, "closed stderr");
    // Exit 2 as always; an abort or a signal has no code.
    assert_eq!(output.status.code(), Some(2), "{:?}", output.status);
}
