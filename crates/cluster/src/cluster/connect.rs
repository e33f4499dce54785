//! Building a client for the cluster the user means: `--kubeconfig FILE`, else `KUBECONFIG`, else
//! `~/.kube/config`, else the service account of the pod nexus runs in; `--context` picks a
//! context other than the current one.

use super::deadline::{DEFAULT_TIMEOUT, Deadline};
use super::secrets::{Secrets, display_server};
use crate::error::{Error, Result};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Which cluster to talk to, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterTarget {
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`.
    pub context: Option<String>,
    /// `--timeout`: the deadline of the command's cluster work, from the start of the command.
    pub timeout: Duration,
}

impl Default for ClusterTarget {
    fn default() -> ClusterTarget {
        ClusterTarget {
            kubeconfig: None,
            context: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A client and what to call the cluster in messages.
#[derive(Clone)]
pub struct Connection {
    pub client: kube::Client,
    /// The kubeconfig context, or `in-cluster`.
    pub context: String,
    /// The API server URL, without any user information.
    pub server: String,
    /// When the command's cluster work must end.
    pub deadline: Deadline,
    /// The kubeconfig's credentials, kept out of every message.
    pub secrets: Arc<Secrets>,
}

impl Connection {
    /// `the cluster at URL (context "x")`, for messages.
    pub fn describe(&self) -> String {
        format!(
            "the cluster at {} (context {:?})",
            self.server, self.context
        )
    }
}

/// The kubeconfig nexus reads, and how to name it in messages.
struct Source {
    config: Kubeconfig,
    name: String,
}

fn kubeconfig_error(source: &str, err: KubeconfigError, secrets: &Secrets) -> Error {
    match err {
        // The parser's message can quote the document, and a kubeconfig holds credentials: give
        // the position only.
        KubeconfigError::Parse(e) => {
            let at = e
                .location()
                .map(|l| format!(" at line {}, column {}", l.line(), l.column()))
                .unwrap_or_default();
            Error::Cluster(format!(
                "cannot parse kubeconfig {source}{at}: it is not valid YAML; check it with `kubectl config view`"
            ))
        }
        // Say it is the kubeconfig that is missing: the path alone does not tell which flag it
        // came from.
        KubeconfigError::ReadConfig(io, path) => {
            let what_to_do = if io.kind() == std::io::ErrorKind::NotFound {
                "name an existing file with --kubeconfig FILE"
            } else {
                "check that it is a file you may read"
            };
            match Error::read(path, &io) {
                Error::Read { path, reason } => Error::Cluster(format!(
                    "cannot read kubeconfig {}: {reason}; {what_to_do}",
                    path.display()
                )),
                other => other,
            }
        }
        other => Error::Cluster(secrets.scrub(&format!(
            "cannot use kubeconfig {source}: {other}; check it with `kubectl config view`"
        ))),
    }
}

fn home_kubeconfig() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
    Some(Path::new(&home).join(".kube").join("config"))
}

fn read_kubeconfig(target: &ClusterTarget) -> Result<Option<Source>> {
    if let Some(path) = &target.kubeconfig {
        let name = path.display().to_string();
        crate::input::check_regular(path)?;
        let config = Kubeconfig::read_from(path)
            .map_err(|e| kubeconfig_error(&name, e, &Secrets::default()))?;
        return Ok(Some(Source { config, name }));
    }
    if let Some(value) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        return read_kubeconfig_list(&value);
    }
    match home_kubeconfig() {
        Some(path) if path.is_file() => {
            let name = path.display().to_string();
            crate::input::check_regular(&path)?;
            let config = Kubeconfig::read_from(&path)
                .map_err(|e| kubeconfig_error(&name, e, &Secrets::default()))?;
            Ok(Some(Source { config, name }))
        }
        _ => Ok(None),
    }
}

/// `KUBECONFIG` as kubectl reads it: a list of files (`:`-separated, `;` on Windows) merged in
/// order, the first file to set a value winning; files that do not exist are skipped. When none
/// exists, that is an error naming them (kubectl would fall back to localhost:8080, which is
/// never what the user meant).
fn read_kubeconfig_list(value: &std::ffi::OsStr) -> Result<Option<Source>> {
    let listed: Vec<PathBuf> = std::env::split_paths(value)
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    let mut merged: Option<Kubeconfig> = None;
    let mut read = Vec::new();
    for path in &listed {
        if !path.exists() {
            continue;
        }
        // kube reads these whole: a FIFO would block it and a device would never end.
        crate::input::check_regular(path)?;
        let name = format!("{} (from KUBECONFIG)", path.display());
        let config = Kubeconfig::read_from(path)
            .map_err(|e| kubeconfig_error(&name, e, &Secrets::default()))?;
        merged = Some(match merged {
            None => config,
            Some(earlier) => earlier
                .merge(config)
                .map_err(|e| kubeconfig_error(&name, e, &Secrets::default()))?,
        });
        read.push(path.display().to_string());
    }
    match merged {
        Some(config) => Ok(Some(Source {
            config,
            name: format!("{} (from KUBECONFIG)", read.join(", ")),
        })),
        None if listed.is_empty() => Ok(None),
        None => Err(Error::Cluster(format!(
            "KUBECONFIG names no file that exists ({}); point it at your kubeconfig or pass --kubeconfig FILE",
            listed
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Loads the client configuration, names the context and collects the secrets.
async fn load_config(target: &ClusterTarget) -> Result<(kube::Config, String, Secrets)> {
    let Some(source) = read_kubeconfig(target)? else {
        if target.context.is_some() {
            return Err(Error::Cluster(
                "--context needs a kubeconfig, and there is none (KUBECONFIG is not set and ~/.kube/config does not exist); pass --kubeconfig FILE".to_string(),
            ));
        }
        let config = kube::Config::incluster().map_err(|_| {
            Error::Cluster(
                "no kubeconfig found (KUBECONFIG is not set and ~/.kube/config does not exist) and not running inside a cluster; pass --kubeconfig FILE".to_string(),
            )
        })?;
        return Ok((config, "in-cluster".to_string(), Secrets::default()));
    };
    let secrets = Secrets::of_kubeconfig(&source.config);
    let context = match target
        .context
        .clone()
        .or_else(|| source.config.current_context.clone())
    {
        Some(context) => context,
        None => {
            return Err(Error::Cluster(format!(
                "kubeconfig {} has no current-context; pass --context NAME",
                source.name
            )));
        }
    };
    if !source.config.contexts.iter().any(|c| c.name == context) {
        let known: Vec<&str> = source
            .config
            .contexts
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        let known = if known.is_empty() {
            "it has none".to_string()
        } else {
            format!("it has {}", known.join(", "))
        };
        return Err(Error::Cluster(format!(
            "context {context:?} is not in kubeconfig {} ({known})",
            source.name
        )));
    }
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..KubeConfigOptions::default()
    };
    let user = source
        .config
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.user.clone().unwrap_or_default())
        .unwrap_or_default();
    let config = kube::Config::from_custom_kubeconfig(source.config, &options)
        .await
        .map_err(|e| kubeconfig_error(&source.name, e, &secrets))?;
    let mut secrets = secrets;
    let auth_info = super::exec::resolve(
        &config.auth_info,
        &user,
        Deadline::after(target.timeout),
        &mut secrets,
    )
    .map_err(|e| scrubbed(e, &secrets))?;
    let mut config = config;
    config.auth_info = auth_info;
    Ok((config, context, secrets))
}

fn scrubbed(err: Error, secrets: &Secrets) -> Error {
    Error::Cluster(secrets.scrub(&err.to_string()))
}

/// Connects (lazily: the first request opens the connection).
pub async fn connect(target: &ClusterTarget) -> Result<Connection> {
    let deadline = Deadline::after(target.timeout);
    let (mut config, context, secrets) = load_config(target).await?;
    // nexus retries within the deadline itself (`call`); kube's layer would retry for minutes.
    config.default_retry = false;
    config.connect_timeout = Some(Duration::from_secs(10));
    config.read_timeout = Some(Duration::from_secs(60));
    let server = display_server(&config.cluster_url.to_string());
    let client = kube::Client::try_from(config).map_err(|e| {
        let why = match e {
            kube::Error::ProxyProtocolDisabled { .. } | kube::Error::ProxyProtocolUnsupported { .. } => {
                "nexus cannot connect through a proxy (proxy-url or HTTPS_PROXY); reach the API server directly".to_string()
            }
            other => format!("{other}; check the cluster and user of the context in the kubeconfig"),
        };
        Error::Cluster(secrets.scrub(&format!(
            "cannot set up a client for the cluster at {server} (context {context:?}): {why}"
        )))
    })?;
    Ok(Connection {
        client,
        context,
        server,
        deadline,
        secrets: Arc::new(secrets),
    })
}
