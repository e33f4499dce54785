//! The one place that keeps kubeconfig credentials out of messages. Every error that can carry
//! kubeconfig content passes through [`Secrets::scrub`] before it is printed, written to a report
//! or stored in the cluster; server URLs are shown without user information
//! ([`display_server`]).
//!
//! The secrets are every string value under `users:` (tokens, passwords, client certificates and
//! keys, exec plugin arguments and environment values, auth-provider settings, the contents of a
//! token file) and the user information of server and proxy URLs. Walking the serialized user
//! instead of naming fields means a field kube adds later is covered too.

use kube::config::Kubeconfig;
use serde_json::Value;
use std::collections::BTreeSet;

/// Shorter values are not hidden: they carry no secret worth the name and would mangle messages
/// (`"1"`, `"true"`).
const MIN_SECRET_LEN: usize = 6;

/// What replaces a secret in a message.
pub const REDACTED: &str = "[redacted]";

/// Keys under `users:` whose values name things rather than hold credentials: plugin commands,
/// versions, file paths, environment variable names.
const NOT_SECRET_KEYS: &[&str] = &[
    "command",
    "apiVersion",
    "interactiveMode",
    "installHint",
    "name",
    "tokenFile",
    "client-certificate",
    "client-key",
    "as",
    "as-uid",
    "as-groups",
];

/// The credentials of a kubeconfig, to be kept out of every message.
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    /// Longest first, so that a secret containing another is replaced whole.
    values: Vec<String>,
}

impl Secrets {
    /// The secrets of every user and cluster in the kubeconfig (any of them may be named in an
    /// error, not only the current context's).
    pub fn of_kubeconfig(config: &Kubeconfig) -> Secrets {
        let mut found = BTreeSet::new();
        for user in &config.auth_infos {
            if let Some(info) = &user.auth_info
                && let Ok(value) = serde_json::to_value(info)
            {
                strings_of(&value, None, &mut found);
                if let Some(file) = &info.token_file {
                    add_token_file(file, &mut found);
                }
            }
        }
        for cluster in &config.clusters {
            if let Some(c) = &cluster.cluster {
                for url in [&c.server, &c.proxy_url].into_iter().flatten() {
                    add_userinfo(url, &mut found);
                }
            }
        }
        for name in ["HTTPS_PROXY", "https_proxy"] {
            if let Ok(url) = std::env::var(name) {
                add_userinfo(&url, &mut found);
            }
        }
        Secrets::from_set(found)
    }

    /// Adds one value (a token an exec plugin returned).
    pub fn add(&mut self, value: &str) {
        let mut set: BTreeSet<String> = self.values.drain(..).collect();
        insert(value, &mut set);
        *self = Secrets::from_set(set);
    }

    fn from_set(set: BTreeSet<String>) -> Secrets {
        let mut values: Vec<String> = set.into_iter().collect();
        values.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        Secrets { values }
    }

    /// The text with every secret replaced by `[redacted]`, and any URL user information
    /// removed.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.values {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        strip_url_userinfo(&out)
    }
}

fn insert(value: &str, found: &mut BTreeSet<String>) {
    let trimmed = value.trim();
    if trimmed.chars().count() >= MIN_SECRET_LEN {
        found.insert(trimmed.to_string());
        // A multi-line value (a PEM block, a token with a line break) may be quoted line by
        // line.
        for line in trimmed.lines().map(str::trim) {
            if line.chars().count() >= MIN_SECRET_LEN && !line.starts_with("-----") {
                found.insert(line.to_string());
            }
        }
    }
}

fn strings_of(value: &Value, key: Option<&str>, found: &mut BTreeSet<String>) {
    match value {
        Value::String(s) if !key.is_some_and(|k| NOT_SECRET_KEYS.contains(&k)) => insert(s, found),
        Value::Array(items) => {
            for item in items {
                strings_of(item, key, found);
            }
        }
        Value::Object(map) => {
            // An exec `env` entry is {name, value}: the value is the secret.
            for (k, v) in map {
                strings_of(v, Some(k), found);
            }
        }
        _ => {}
    }
}

/// A token file's contents are as secret as an inline token (read only if small).
fn add_token_file(path: &str, found: &mut BTreeSet<String>) {
    use std::io::Read;
    let Ok(file) = std::fs::File::open(path) else {
        return;
    };
    let mut text = String::new();
    if file.take(64 * 1024).read_to_string(&mut text).is_ok() {
        insert(&text, found);
    }
}

/// `user:password` of `scheme://user:password@host/...`: the whole and each part.
fn add_userinfo(url: &str, found: &mut BTreeSet<String>) {
    if let Some(info) = userinfo(url) {
        insert(info, found);
        for part in info.split(':') {
            insert(part, found);
        }
    }
}

fn userinfo(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority.rsplit_once('@').map(|(info, _)| info)
}

/// Removes `user:password@` from every `scheme://user:password@host` in a text.
fn strip_url_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\'' | ')' | ',')
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => out.push_str(&authority[at + 1..]),
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The server URL without user information (`https://user:pass@host` must not be printed) and
/// without a trailing slash.
pub fn display_server(url: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    const KUBECONFIG: &str = r#"
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: https://srvuser:srvpass99@10.0.0.1:6443
    proxy-url: http://proxyuser:proxypass77@proxy:3128
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
users:
- name: u
  user:
    token: tok-abcdef
    password: pw-123456
    client-key-data: a2V5LWRhdGEtc2VjcmV0
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: aws-helper
      args: [--secret-arg, arg-value-42]
      env:
      - name: AWS_SECRET_ACCESS_KEY
        value: envsecret-9
    auth-provider:
      name: oidc
      config: {id-token: idtok-777777}
"#;

    fn secrets() -> Secrets {
        Secrets::of_kubeconfig(&Kubeconfig::from_yaml(KUBECONFIG).unwrap())
    }

    #[test]
    fn every_credential_is_scrubbed_and_names_are_kept() {
        let s = secrets();
        let text = "tok-abcdef pw-123456 a2V5LWRhdGEtc2VjcmV0 --secret-arg arg-value-42 envsecret-9 idtok-777777 srvpass99 proxypass77 proxyuser";
        let scrubbed = s.scrub(text);
        for secret in text.split(' ') {
            assert!(!scrubbed.contains(secret), "{secret} in {scrubbed}");
        }
        let names = "aws-helper AWS_SECRET_ACCESS_KEY";
        assert_eq!(s.scrub(names), names);
    }

    #[test]
    fn url_user_information_is_dropped_even_when_unknown() {
        let s = Secrets::default();
        assert_eq!(
            s.scrub("proxy \"http://who:what@proxy:3128\" failed, see https://a@b/x"),
            "proxy \"http://proxy:3128\" failed, see https://b/x"
        );
    }

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
