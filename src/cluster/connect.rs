//! Building a client for the cluster the user means: `--kubeconfig FILE`, else `KUBECONFIG`, else
//! `~/.kube/config`, else the service account of the pod nexus runs in; `--context` picks a
//! context other than the current one.

use crate::error::{Error, Result};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which cluster to talk to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterTarget {
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`.
    pub context: Option<String>,
}

/// A client and what to call the cluster in messages.
#[derive(Clone)]
pub struct Connection {
    pub client: kube::Client,
    /// The kubeconfig context, or `in-cluster`.
    pub context: String,
    /// The API server URL, without any user information.
    pub server: String,
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

fn kubeconfig_error(source: &str, err: KubeconfigError) -> Error {
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
        KubeconfigError::ReadConfig(io, path) => Error::read(path, &io),
        other => Error::Cluster(format!("cannot use kubeconfig {source}: {other}")),
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
        let config = Kubeconfig::read_from(path).map_err(|e| kubeconfig_error(&name, e))?;
        return Ok(Some(Source { config, name }));
    }
    if let Some(value) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let name = format!("{} (from KUBECONFIG)", value.to_string_lossy());
        // kube reads these whole: a FIFO would block it and a device would never end.
        for path in std::env::split_paths(&value) {
            crate::input::check_regular(&path)?;
        }
        return match Kubeconfig::from_env() {
            Ok(Some(config)) => Ok(Some(Source { config, name })),
            Ok(None) => Ok(None),
            Err(e) => Err(kubeconfig_error(&name, e)),
        };
    }
    match home_kubeconfig() {
        Some(path) if path.is_file() => {
            let name = path.display().to_string();
            crate::input::check_regular(&path)?;
            let config = Kubeconfig::read_from(&path).map_err(|e| kubeconfig_error(&name, e))?;
            Ok(Some(Source { config, name }))
        }
        _ => Ok(None),
    }
}

/// Loads the client configuration and names the context.
async fn load_config(target: &ClusterTarget) -> Result<(kube::Config, String)> {
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
        return Ok((config, "in-cluster".to_string()));
    };
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
    let config = kube::Config::from_custom_kubeconfig(source.config, &options)
        .await
        .map_err(|e| kubeconfig_error(&source.name, e))?;
    Ok((config, context))
}

/// The server URL without user information (`https://user:pass@host` must not be printed) and
/// without a trailing slash.
fn display_server(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{}", path.trim_end_matches('/'))
}

/// Connects (lazily: the first request opens the connection).
pub async fn connect(target: &ClusterTarget) -> Result<Connection> {
    let (mut config, context) = load_config(target).await?;
    // A request that hangs should fail, not block an install forever.
    config.connect_timeout = Some(Duration::from_secs(10));
    config.read_timeout = Some(Duration::from_secs(60));
    let server = display_server(&config.cluster_url.to_string());
    let client = kube::Client::try_from(config).map_err(|e| {
        Error::Cluster(format!(
            "cannot set up a client for the cluster at {server} (context {context:?}): {e}"
        ))
    })?;
    Ok(Connection {
        client,
        context,
        server,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_lose_user_information() {
        assert_eq!(
            display_server("https://admin:hunter2@10.0.0.1:6443/"),
            "https://10.0.0.1:6443"
        );
        assert_eq!(
            display_server("http://127.0.0.1:8080/prefix"),
            "http://127.0.0.1:8080/prefix"
        );
        assert_eq!(display_server("https://a:b@c@host"), "https://host");
    }
}
