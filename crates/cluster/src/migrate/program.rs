//! A step's program: run once per object, the object's JSON on stdin, the new object's JSON on
//! stdout, in the datamodel root. This is the escape hatch for what a patch cannot express.
//!
//! The child gets its stdin written and its stdout and stderr drained on threads of their own,
//! so a program that writes before it has read everything cannot deadlock with us, and a program
//! that hangs is killed after a timeout instead of hanging the run.

use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long one object may take.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Stdout beyond this is refused (the API server stores objects of at most about 1.5 MiB).
const MAX_STDOUT: usize = 64 << 20;

/// Stderr kept for the error message.
const MAX_STDERR: usize = 16 << 10;

/// Why a program did not give a new object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgramError {
    #[error("could not start `{program}`: {reason}")]
    Start { program: String, reason: String },
    #[error("`{program}` {status}{}", stderr_note(.stderr))]
    Failed {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("`{program}` was stopped after {}s without finishing", .seconds)]
    TimedOut { program: String, seconds: u64 },
    #[error("`{program}` printed something that is not JSON ({reason}): {start}")]
    NotJson {
        program: String,
        reason: String,
        start: String,
    },
    #[error("`{program}` printed {what}, not a JSON object")]
    NotAnObject { program: String, what: &'static str },
    #[error("`{program}` printed more than {} MiB", MAX_STDOUT >> 20)]
    TooLarge { program: String },
}

fn stderr_note(stderr: &str) -> String {
    if stderr.is_empty() {
        " (nothing on stderr)".to_string()
    } else {
        format!(" (stderr: {stderr})")
    }
}

/// Where `command[0]` is: relative paths with a `/` are relative to `root`; a bare name is
/// looked up on `PATH`. `None` when there is no executable file there.
pub fn resolve(command: &str, root: &Path) -> Option<PathBuf> {
    if command.contains('/') {
        let path = Path::new(command);
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            root.join(path)
        };
        return is_executable(&path).then_some(path);
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .map(|dir| dir.join(command))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Runs `command` (program and arguments) in `root` with `input` on stdin and returns the JSON
/// object it prints.
pub fn run(
    command: &[String],
    root: &Path,
    input: &Value,
    timeout: Duration,
) -> Result<Value, ProgramError> {
    let program = command.first().cloned().unwrap_or_default();
    let start_error = |reason: String| ProgramError::Start {
        program: program.clone(),
        reason,
    };
    let mut cmd = Command::new(&program);
    cmd.args(command.iter().skip(1))
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // A group of its own, so that a timeout stops the program and whatever it started (a shell
    // script's children would otherwise keep the pipes open).
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|e| start_error(e.to_string()))?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(start_error(
            "its standard streams could not be opened".into(),
        ));
    };
    // Serializing a `Value` cannot fail.
    let bytes = serde_json::to_vec(input).unwrap_or_default();
    let pid = child.id();

    let (status, out, err) = std::thread::scope(|scope| {
        scope.spawn(move || {
            // A program that exits without reading all of stdin is its own business.
            let _ = stdin.write_all(&bytes);
        });
        let out = scope.spawn(move || read_capped(stdout, MAX_STDOUT));
        let err = scope.spawn(move || read_capped(stderr, MAX_STDERR));
        let (tx, rx) = mpsc::channel();
        scope.spawn(move || {
            let _ = tx.send(child.wait());
        });
        let status = match rx.recv_timeout(timeout) {
            Ok(status) => Some(status),
            Err(_) => {
                kill(pid);
                let _ = rx.recv();
                None
            }
        };
        let out = out.join().unwrap_or_default();
        let err = err.join().unwrap_or_default();
        (status, out, err)
    });

    let Some(status) = status else {
        return Err(ProgramError::TimedOut {
            program,
            seconds: timeout.as_secs(),
        });
    };
    let status = status.map_err(|e| start_error(e.to_string()))?;
    if !status.success() {
        return Err(ProgramError::Failed {
            program,
            status: describe(status),
            stderr: one_line(&String::from_utf8_lossy(&err.bytes)),
        });
    }
    if out.overflow {
        return Err(ProgramError::TooLarge { program });
    }
    let value: Value = serde_json::from_slice(&out.bytes).map_err(|e| ProgramError::NotJson {
        program: program.clone(),
        reason: e.to_string(),
        start: excerpt(&out.bytes),
    })?;
    match value {
        Value::Object(_) => Ok(value),
        other => Err(ProgramError::NotAnObject {
            program,
            what: json_kind(&other),
        }),
    }
}

#[derive(Default)]
struct Captured {
    bytes: Vec<u8>,
    overflow: bool,
}

/// Reads a stream to its end, keeping the first `cap` bytes (and draining the rest, so the
/// program is never blocked on a full pipe).
fn read_capped(mut stream: impl Read, cap: usize) -> Captured {
    let mut captured = Captured::default();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                let room = cap.saturating_sub(captured.bytes.len());
                if chunk.len() > room {
                    captured.overflow = true;
                }
                captured
                    .bytes
                    .extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
            }
        }
    }
    captured
}

#[cfg(unix)]
fn kill(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: a plain syscall. The child leads its own process group (`process_group(0)`)
        // and has not been reaped (its waiter has not answered), so `-pid` names that group.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

#[cfg(not(unix))]
fn kill(_pid: u32) {}

fn describe(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal}");
        }
    }
    "failed".to_string()
}

/// Stderr as one line: lines joined with ` | `, at most 300 characters.
fn one_line(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ");
    shorten(&joined, 300)
}

fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    if text.is_empty() {
        return "nothing".to_string();
    }
    format!("`{}`", shorten(&one_line(text), 80))
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    fn object() -> Value {
        json!({"metadata": {"name": "a"}, "spec": {"location": "hq"}})
    }

    fn root() -> PathBuf {
        std::env::temp_dir()
    }

    #[test]
    fn the_object_goes_in_and_the_new_one_comes_out() {
        let out = run(
            &sh("sed 's/\"location\"/\"office\"/'"),
            &root(),
            &object(),
            TIMEOUT,
        )
        .unwrap();
        assert_eq!(out["spec"], json!({"office": "hq"}));
        let same = run(&["cat".to_string()], &root(), &object(), TIMEOUT).unwrap();
        assert_eq!(same, object());
    }

    #[test]
    fn runs_in_the_given_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("marker.json"), "{\"here\": true}").unwrap();
        let out = run(&sh("cat marker.json"), dir.path(), &object(), TIMEOUT).unwrap();
        assert_eq!(out, json!({"here": true}));
    }

    #[test]
    fn failures_say_what_happened() {
        let err = run(
            &sh("echo boom >&2; echo again >&2; exit 3"),
            &root(),
            &object(),
            TIMEOUT,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`sh` exited with status 3 (stderr: boom | again)"
        );
        let err = run(&sh("echo not json"), &root(), &object(), TIMEOUT).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("`sh` printed something that is not JSON (")
                && err.to_string().ends_with("`not json`"),
            "{err}"
        );
        let err = run(&sh("true"), &root(), &object(), TIMEOUT).unwrap_err();
        assert!(err.to_string().ends_with(": nothing"), "{err}");
        let err = run(&sh("echo '[1]'"), &root(), &object(), TIMEOUT).unwrap_err();
        assert_eq!(err.to_string(), "`sh` printed a list, not a JSON object");
        let err = run(
            &["/nonexistent/prog".to_string()],
            &root(),
            &object(),
            TIMEOUT,
        )
        .unwrap_err();
        assert!(matches!(err, ProgramError::Start { .. }), "{err}");
    }

    #[test]
    fn a_program_that_ignores_stdin_and_floods_stdout_does_not_deadlock() {
        // 1 MiB of input never read, 2 MiB of output: neither side may block the other.
        let big = json!({"spec": {"blob": "x".repeat(1 << 20)}});
        let err = run(
            &sh("head -c 2097152 /dev/zero | tr '\\0' 'a'"),
            &root(),
            &big,
            TIMEOUT,
        )
        .unwrap_err();
        assert!(matches!(err, ProgramError::NotJson { .. }), "{err}");
    }

    #[test]
    fn a_hanging_program_is_stopped() {
        let err = run(
            &sh("sleep 30"),
            &root(),
            &object(),
            Duration::from_millis(200),
        )
        .unwrap_err();
        assert!(matches!(err, ProgramError::TimedOut { .. }), "{err}");
    }

    #[test]
    fn programs_are_found_relative_to_the_root_or_on_path() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("migrations/x.sh");
        std::fs::create_dir_all(script.parent().unwrap()).unwrap();
        std::fs::write(&script, "#!/bin/sh\ncat\n").unwrap();
        assert_eq!(
            resolve("./migrations/x.sh", dir.path()),
            None,
            "not executable yet"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
            assert!(resolve("./migrations/x.sh", dir.path()).is_some());
        }
        assert!(resolve("sh", dir.path()).is_some());
        assert_eq!(resolve("no-such-program-anywhere", dir.path()), None);
    }
}
