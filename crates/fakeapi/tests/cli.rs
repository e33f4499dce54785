//! The `nexus-fake-apiserver` binary's command line: bad flags are one line and exit 2, help
//! names the binary. (Serving and faults seen by nexus are tested in the root's tests/.)

use assert_cmd::Command;
use std::time::Duration;

fn fake_apiserver() -> Command {
    let mut cmd = Command::cargo_bin("nexus-fake-apiserver").expect("the binary is built");
    cmd.timeout(Duration::from_secs(20));
    cmd
}

fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[test]
fn a_bad_fault_spec_is_one_line_and_exit_2() {
    for (flag, value, says) in [
        ("--fail-times", "reads:1:1:500", "not a kind of request"),
        ("--fail-times", "read:1:max", "expected ON:FROM:TIMES:CODE"),
        ("--lose-response", "write:0", "at least 1"),
        ("--delay", "read:1:soon", "milliseconds"),
    ] {
        let out = fake_apiserver().args([flag, value]).assert().code(2);
        let err = stderr(&out);
        assert!(err.contains(says), "{flag} {value}: {err}");
        assert!(err.contains(flag), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn help_names_the_binary_and_exits_0() {
    let out = fake_apiserver().arg("--help").assert().code(0);
    let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(help.contains("nexus-fake-apiserver"), "{help}");
    assert!(help.contains("--kubeconfig-out"), "{help}");
}

#[test]
fn a_port_in_use_is_one_line_and_exit_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = fake_apiserver().args(["--port", &port]).assert().code(2);
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!("error: fake API server on 127.0.0.1:{port}: ")),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
