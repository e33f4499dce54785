//! Resolving credentials before the client is built, so that their failures are one clear,
//! redacted line and never a panic or a hang: the exec credential plugin runs here (bounded by
//! the deadline, killed at it), a token file is read and trimmed as client-go does, and every
//! token is checked to be a valid HTTP header value (tower-http panics on one that is not).
//!
//! The plugin's arguments, environment and output are never quoted: they hold credentials. A
//! credential that expires during the command is not refreshed; one command stays within its
//! `--timeout`, far below a credential's life.

use super::deadline::Deadline;
use super::secrets::Secrets;
use crate::error::{Error, Result};
use kube::config::{AuthInfo, ExecConfig, ExecInteractiveMode};
use serde_json::{Value, json};
use std::io::{IsTerminal, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

/// More output than this from a plugin is not an ExecCredential.
const MAX_PLUGIN_OUTPUT: u64 = 1 << 20;

/// The user's credentials with the exec plugin run and the token file read: what kube gets.
pub fn resolve(
    info: &AuthInfo,
    user: &str,
    deadline: Deadline,
    secrets: &mut Secrets,
) -> Result<AuthInfo> {
    let mut value = serde_json::to_value(info).map_err(|_| unusable(user))?;
    let map = value.as_object_mut().ok_or_else(|| unusable(user))?;
    let has_token = map.get("token").is_some_and(|t| !t.is_null());
    if !has_token && let Some(path) = info.token_file.as_deref() {
        let token = read_token_file(path, user)?;
        secrets.add(&token);
        map.insert("token".into(), Value::String(token));
        map.remove("tokenFile");
    } else if !has_token && let Some(exec) = &info.exec {
        let credential = run_plugin(exec, user, deadline)?;
        for (key, v) in [
            ("token", &credential.token),
            (
                "client-certificate-data",
                &credential.client_certificate_data,
            ),
            ("client-key-data", &credential.client_key_data),
        ] {
            if let Some(v) = v {
                secrets.add(v);
                map.insert(key.into(), Value::String(v.clone()));
            }
        }
        map.remove("exec");
    }
    if let Some(token) = map.get("token").and_then(Value::as_str) {
        check_header(token, user, "token")?;
    }
    if let Some(config) = info.auth_provider.as_ref().map(|p| &p.config) {
        for key in ["id-token", "access-token"] {
            if let Some(token) = config.get(key) {
                check_header(token, user, key)?;
            }
        }
        if info.auth_provider.as_ref().is_some_and(|p| p.name == "gcp")
            && config.contains_key("cmd-path")
            && !config.contains_key("token-key")
        {
            return Err(Error::Cluster(format!(
                "the gcp auth-provider of user {user:?} runs cmd-path without token-key, and its raw output is not a usable token; use an exec plugin (gke-gcloud-auth-plugin) instead"
            )));
        }
    }
    serde_json::from_value(value).map_err(|_| unusable(user))
}

fn unusable(user: &str) -> Error {
    Error::Cluster(format!(
        "the credentials of user {user:?} in the kubeconfig cannot be used; check them with `kubectl config view`"
    ))
}

/// A token goes into `Authorization: Bearer …`: a line break or control character there would
/// split the header.
fn check_header(token: &str, user: &str, field: &str) -> Result<()> {
    if http::HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
        return Err(Error::Cluster(format!(
            "the {field} of user {user:?} in the kubeconfig contains a line break or another character not allowed in an HTTP header; remove it (a token is one line of printable text)"
        )));
    }
    Ok(())
}

fn read_token_file(path: &str, user: &str) -> Result<String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_PLUGIN_OUTPUT).read_to_string(&mut text))
        .map_err(|e| {
            Error::Cluster(format!(
                "{} (the tokenFile of user {user:?}); check the path in the kubeconfig",
                Error::read(path, &e)
            ))
        })?;
    // client-go trims the file; a trailing newline is the norm.
    Ok(text.trim().to_string())
}

/// What an exec plugin returned.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Credential {
    pub token: Option<String>,
    pub client_certificate_data: Option<String>,
    pub client_key_data: Option<String>,
}

fn run_plugin(exec: &ExecConfig, user: &str, deadline: Deadline) -> Result<Credential> {
    let Some(program) = exec.command.as_deref().filter(|c| !c.is_empty()) else {
        return Err(Error::Cluster(format!(
            "the exec credential plugin of user {user:?} has no command; fix the user in the kubeconfig"
        )));
    };
    let name = format!("the exec credential plugin {program:?} of user {user:?}");
    let mut cmd = Command::new(program);
    cmd.args(exec.args.iter().flatten());
    for env in exec.env.iter().flatten() {
        if let (Some(k), Some(v)) = (env.get("name"), env.get("value")) {
            cmd.env(k, v);
        }
    }
    for k in exec.drop_env.iter().flatten() {
        cmd.env_remove(k);
    }
    // client-go's IfAvailable: interactive only with a terminal to talk to.
    let interactive =
        exec.interactive_mode != Some(ExecInteractiveMode::Never) && std::io::stdin().is_terminal();
    let mut spec = json!({"interactive": interactive});
    if exec.provide_cluster_info
        && let Some(cluster) = &exec.cluster
    {
        spec["cluster"] = serde_json::to_value(cluster).unwrap_or(Value::Null);
    }
    let info = json!({
        "apiVersion": exec.api_version.clone().unwrap_or_else(|| "client.authentication.k8s.io/v1".into()),
        "kind": "ExecCredential",
        "spec": spec,
    });
    cmd.env("KUBERNETES_EXEC_INFO", info.to_string());
    cmd.stdout(Stdio::piped());
    if interactive {
        cmd.stdin(Stdio::inherit()).stderr(Stdio::inherit());
    } else {
        cmd.stdin(Stdio::null()).stderr(Stdio::piped());
    }
    let mut child = cmd.spawn().map_err(|e| {
        let hint = exec
            .install_hint
            .as_deref()
            .map(|h| format!(" ({})", h.lines().next().unwrap_or_default().trim()))
            .unwrap_or_default();
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such program".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        };
        Error::Cluster(format!(
            "cannot start {name}: {why}; install it or fix the command in the kubeconfig{hint}"
        ))
    })?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if deadline.passed() => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Cluster(format!(
                    "{name} did not finish within {} (--timeout); it was stopped; run it by hand to see what it waits for, or raise --timeout",
                    super::duration::format_duration(deadline.timeout)
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(Error::Cluster(format!("cannot wait for {name}: {e}")));
            }
        }
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    if !status.success() {
        let said = last_line(&err)
            .map(|l| format!(", saying: {l}"))
            .unwrap_or_default();
        return Err(Error::Cluster(format!(
            "{name} failed ({status}){said}; run it by hand or log in again, then retry"
        )));
    }
    parse_credential(&out).map_err(|why| Error::Cluster(format!("{name} {why}")))
}

/// Reads a pipe to its end on a thread of its own (so that a full pipe cannot block the plugin),
/// keeping at most [`MAX_PLUGIN_OUTPUT`] bytes.
fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(pipe) = pipe {
            let mut limited = pipe.take(MAX_PLUGIN_OUTPUT);
            let _ = limited.read_to_end(&mut buf);
            // Keep reading (and dropping) so that the plugin is never blocked on a full pipe.
            let _ = std::io::copy(&mut limited.into_inner(), &mut std::io::sink());
        }
        buf
    })
}

/// The plugin's last non-empty line of stderr, made printable (it is scrubbed of the known
/// secrets later, with every other message).
fn last_line(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    let printable: String = line
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    Some(printable)
}

/// An ExecCredential in JSON (or YAML, as client-go accepts). The error never quotes the
/// output: it holds the credential.
pub fn parse_credential(out: &[u8]) -> std::result::Result<Credential, String> {
    let value: Value = match serde_json::from_slice(out) {
        Ok(v) => v,
        Err(_) => serde_saphyr::from_slice(out).map_err(|_| {
            "did not print an ExecCredential (its output is neither JSON nor YAML); run it by hand to see what it prints".to_string()
        })?,
    };
    let Some(status) = value.get("status").filter(|s| s.is_object()) else {
        return Err(
            "printed an ExecCredential without status; run it by hand to see what it prints"
                .to_string(),
        );
    };
    let field = |k: &str| status.get(k).and_then(Value::as_str).map(str::to_string);
    let credential = Credential {
        token: field("token"),
        client_certificate_data: field("clientCertificateData"),
        client_key_data: field("clientKeyData"),
    };
    if credential.token.is_none()
        && (credential.client_certificate_data.is_none() || credential.client_key_data.is_none())
    {
        return Err("printed an ExecCredential with neither a token nor a client certificate and key; run it by hand to see what it prints".to_string());
    }
    Ok(credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_read_from_json_or_yaml() {
        let json = br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t0k"}}"#;
        assert_eq!(
            parse_credential(json).unwrap().token.as_deref(),
            Some("t0k")
        );
        let yaml = b"kind: ExecCredential\nstatus:\n  token: t1k\n";
        assert_eq!(
            parse_credential(yaml).unwrap().token.as_deref(),
            Some("t1k")
        );
    }

    #[test]
    fn bad_output_is_not_quoted() {
        for out in [&b"secret-output {{{"[..], b"{\"status\":{}}", b"{}"] {
            let err = parse_credential(out).unwrap_err();
            assert!(!err.contains("secret-output"), "{err}");
        }
    }

    #[test]
    fn tokens_with_line_breaks_are_refused() {
        assert!(check_header("abc\ndef", "u", "token").is_err());
        assert!(check_header("abc.def-ghi", "u", "token").is_ok());
    }
}
