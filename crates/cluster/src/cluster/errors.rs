//! One clear sentence for every way a request to the cluster can fail: unreachable, TLS, 401,
//! 403 (with the verb and resource refused), conflicts, and rejections (the server's message,
//! verbatim), running out of time, oversized answers. Nothing here prints credentials: messages
//! name the server URL (without user information) and the context, never a token or a header,
//! and every sentence is scrubbed of the kubeconfig's secrets ([`super::secrets`]).

use super::connect::Connection;
use crate::error::Error;
use kube::client::AuthError;
use std::error::Error as StdError;
use std::time::Duration;

/// What nexus was trying to do, for the message: `patch customresourcedefinitions.apiextensions.k8s.io "x"`.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub verb: &'static str,
    /// `resource.group`.
    pub resource: String,
    pub name: Option<String>,
}

impl Attempt {
    pub fn new(verb: &'static str, resource: impl Into<String>, name: Option<&str>) -> Attempt {
        Attempt {
            verb,
            resource: resource.into(),
            name: name.map(str::to_string),
        }
    }
}

impl std::fmt::Display for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{} {} {name:?}", self.verb, self.resource),
            None => write!(f, "{} {}", self.verb, self.resource),
        }
    }
}

/// How a failed request is described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with a `Status`.
    Api {
        code: u16,
        reason: String,
        message: String,
    },
    /// No answer: connection refused, DNS, timeout.
    Unreachable(String),
    /// The TLS handshake failed.
    Tls(String),
    /// The client could not authenticate (exec plugin, token file).
    Auth(String),
    /// Anything else the client reports.
    Other(String),
    /// The deadline passed while nexus retried; `last` is the last answer.
    GaveUp { last: String, timeout: Duration },
    /// The answer was larger than the cap.
    TooLarge { limit: u64 },
}

/// The innermost message of an error chain (the most specific one).
fn innermost(err: &(dyn StdError + 'static)) -> String {
    let mut cur: &(dyn StdError + 'static) = err;
    let mut depth = 0;
    while let Some(next) = cur.source() {
        cur = next;
        depth += 1;
        if depth > 32 {
            break;
        }
    }
    cur.to_string()
}

/// Whether a transport error is a TLS failure rather than a network one.
fn is_tls(err: &(dyn StdError + 'static)) -> bool {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    let mut depth = 0;
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::InvalidData
        {
            return true;
        }
        let text = e.to_string().to_ascii_lowercase();
        if [
            "certificate",
            "tls",
            "handshake",
            "corrupt message",
            "invalidcontenttype",
        ]
        .iter()
        .any(|w| text.contains(w))
        {
            return true;
        }
        cur = e.source();
        depth += 1;
        if depth > 32 {
            break;
        }
    }
    false
}

/// Sorts a kube error into a [`Failure`].
pub fn classify(err: &kube::Error) -> Failure {
    match err {
        kube::Error::Api(status) => Failure::Api {
            code: status.code,
            reason: status.reason.clone(),
            message: status.message.clone(),
        },
        kube::Error::Auth(e) => Failure::Auth(auth_reason(e)),
        kube::Error::HyperError(e) => transport(e),
        kube::Error::Service(e) => transport(e.as_ref()),
        other => Failure::Other(other.to_string()),
    }
}

/// What went wrong with the credentials, in words that cannot hold them: kube's own messages
/// quote the exec command with its arguments and environment, and the plugin's output.
fn auth_reason(err: &AuthError) -> String {
    match err {
        AuthError::InvalidBasicAuth(_) => {
            "the username or password is not valid in an HTTP header".into()
        }
        AuthError::InvalidBearerToken(_) => {
            "the token contains a line break or another character not allowed in an HTTP header"
                .into()
        }
        AuthError::AuthExecRun { out, .. } => {
            format!("the credential plugin failed ({})", out.status)
        }
        AuthError::AuthExecStart(e) => {
            format!("the credential plugin could not start ({})", e.kind())
        }
        AuthError::AuthExecParse(_) | AuthError::ParseTokenKey(_) => {
            "the credential plugin printed something that is not a credential".into()
        }
        AuthError::ExecPluginFailed => "the credential plugin printed no status".into(),
        AuthError::ReadTokenFile(e, path) => {
            format!(
                "cannot read the token file {} ({})",
                path.display(),
                e.kind()
            )
        }
        AuthError::MalformedTokenExpirationDate(_) => {
            "the credential has a malformed expiration date".into()
        }
        AuthError::UnrefreshableTokenResponse => {
            "the credential plugin returned a credential that cannot be refreshed".into()
        }
        AuthError::MissingCommand => "the exec credential plugin has no command".into(),
        AuthError::ExecMissingClusterInfo => {
            "the exec credential plugin wants cluster information the kubeconfig lacks".into()
        }
        // The remaining variants carry kube's own words; the caller scrubs them.
        other => other.to_string(),
    }
}

fn transport(err: &(dyn StdError + 'static)) -> Failure {
    if is_tls(err) {
        Failure::Tls(innermost(err))
    } else {
        Failure::Unreachable(innermost(err))
    }
}

/// The user-facing error for a failed request, scrubbed of the kubeconfig's secrets.
pub fn describe(failure: &Failure, attempt: &Attempt, conn: &Connection) -> Error {
    Error::Cluster(conn.secrets.scrub(&sentence(failure, attempt, conn)))
}

/// Whether the verb changes the cluster (its outcome is unknown when the answer is lost).
fn is_write(verb: &str) -> bool {
    !matches!(verb, "get" | "list" | "watch")
}

/// The sentence for a failure (separate from [`describe`] so that it can be tested without a
/// client).
pub fn sentence(failure: &Failure, attempt: &Attempt, conn: &Connection) -> String {
    let cluster = conn.describe();
    match failure {
        Failure::Unreachable(why) if is_write(attempt.verb) => format!(
            "lost the answer of {cluster} to {attempt}: {why}; nexus cannot tell whether it was done; check that the API server is running and look at the object"
        ),
        Failure::Unreachable(why) => format!(
            "cannot reach {cluster}: {why}; check that the API server is running and that the kubeconfig points at it, or raise --timeout"
        ),
        Failure::GaveUp { last, timeout } => format!(
            "gave up trying to {attempt} on {cluster} at the deadline ({} after the start, --timeout): the last answer was {last}; check the API server's health (`kubectl get --raw /readyz`), or raise --timeout",
            super::duration::format_duration(*timeout)
        ),
        Failure::TooLarge { limit } => format!(
            "the answer of {cluster} to {attempt} is larger than {}, so nexus stopped reading it; check what answers at that address (a proxy in between?), or raise NEXUS_MAX_RESPONSE_BYTES if the answer is really that large",
            if limit % (1 << 20) == 0 {
                format!("{} MiB", limit >> 20)
            } else {
                format!("{limit} bytes")
            }
        ),
        Failure::Tls(why) => format!(
            "TLS handshake with {cluster} failed: {why}; check the cluster's server URL and certificate-authority in the kubeconfig"
        ),
        Failure::Auth(why) => format!(
            "cannot authenticate to {cluster}: {why}; check the user of the context in the kubeconfig"
        ),
        Failure::Other(why) => format!("cannot {attempt} on {cluster}: {why}"),
        Failure::Api {
            code,
            reason,
            message,
        } => api_sentence(*code, reason, message, attempt, &cluster),
    }
}

fn api_sentence(
    code: u16,
    reason: &str,
    message: &str,
    attempt: &Attempt,
    cluster: &str,
) -> String {
    let reason = if reason.is_empty() {
        "no reason given"
    } else {
        reason
    };
    let message = if message.is_empty() {
        "(the server gave no message)"
    } else {
        message
    };
    match code {
        401 => format!(
            "{cluster} rejected the credentials (401 Unauthorized) when nexus tried to {attempt}; log in again or fix the user of the context in the kubeconfig"
        ),
        403 => format!(
            "{cluster} refused to let nexus {attempt} (403 Forbidden): {message}; ask for RBAC permission to {} {}",
            attempt.verb, attempt.resource
        ),
        404 => format!("cannot {attempt} on {cluster}: not found (404): {message}"),
        409 => {
            format!("conflict when nexus tried to {attempt} on {cluster} (409 {reason}): {message}")
        }
        400 | 422 => {
            format!("{cluster} rejected the request to {attempt} ({code} {reason}): {message}")
        }
        _ => format!("{cluster} failed to {attempt} ({code} {reason}): {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        // A client is needed for the type only; nothing is sent.
        let config = kube::Config::new("http://127.0.0.1:1".parse().unwrap());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = runtime.block_on(async { kube::Client::try_from(config).unwrap() });
        Connection {
            client,
            context: "dev".to_string(),
            server: "https://10.0.0.1:6443".to_string(),
            deadline: crate::cluster::deadline::Deadline::default(),
            secrets: Default::default(),
        }
    }

    fn patch() -> Attempt {
        Attempt::new(
            "patch",
            "customresourcedefinitions.apiextensions.k8s.io",
            Some("foos.example.com"),
        )
    }

    #[test]
    fn forbidden_names_the_verb_and_resource() {
        let msg = sentence(
            &Failure::Api {
                code: 403,
                reason: "Forbidden".into(),
                message: r#"customresourcedefinitions.apiextensions.k8s.io "foos.example.com" is forbidden: User "dev" cannot patch resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope"#.into(),
            },
            &patch(),
            &conn(),
        );
        assert_eq!(
            msg,
            r#"the cluster at https://10.0.0.1:6443 (context "dev") refused to let nexus patch customresourcedefinitions.apiextensions.k8s.io "foos.example.com" (403 Forbidden): customresourcedefinitions.apiextensions.k8s.io "foos.example.com" is forbidden: User "dev" cannot patch resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope; ask for RBAC permission to patch customresourcedefinitions.apiextensions.k8s.io"#
        );
    }

    #[test]
    fn rejections_keep_the_server_message_verbatim() {
        let server = r#"CustomResourceDefinition.apiextensions.k8s.io "foo.example.com" is invalid: metadata.name: Invalid value: "foo.example.com": must be spec.names.plural+"."+spec.group"#;
        let msg = sentence(
            &Failure::Api {
                code: 422,
                reason: "Invalid".into(),
                message: server.into(),
            },
            &patch(),
            &conn(),
        );
        assert!(msg.ends_with(&format!("(422 Invalid): {server}")), "{msg}");
    }

    #[test]
    fn unauthorized_says_what_to_do() {
        let msg = sentence(
            &Failure::Api {
                code: 401,
                reason: "Unauthorized".into(),
                message: "Unauthorized".into(),
            },
            &Attempt::new(
                "list",
                "customresourcedefinitions.apiextensions.k8s.io",
                None,
            ),
            &conn(),
        );
        assert!(msg.contains("rejected the credentials (401 Unauthorized) when nexus tried to list customresourcedefinitions.apiextensions.k8s.io"));
    }

    #[test]
    fn lost_answers_to_writes_say_the_outcome_is_unknown() {
        let msg = sentence(
            &Failure::Unreachable("no answer within 1s".into()),
            &patch(),
            &conn(),
        );
        assert!(msg.contains("cannot tell whether it was done"), "{msg}");
        let read = Attempt::new(
            "list",
            "customresourcedefinitions.apiextensions.k8s.io",
            None,
        );
        let msg = sentence(&Failure::Unreachable("refused".into()), &read, &conn());
        assert!(msg.starts_with("cannot reach"), "{msg}");
    }

    #[test]
    fn tls_is_told_apart_from_network_errors() {
        let tls = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "received corrupt message of type InvalidContentType",
        );
        assert!(matches!(transport(&tls), Failure::Tls(_)));
        let refused = std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "Connection refused (os error 111)",
        );
        assert_eq!(
            transport(&refused),
            Failure::Unreachable("Connection refused (os error 111)".into())
        );
    }
}
