//! Kubernetes CEL library functions the `cel` crate lacks, registered on the rules' environment
//! (k8s.io/apiserver `pkg/cel/library`).
//!
//! The URL library (`urls.go`): `isURL(string)`, `url(string)` and the URL getters. A URL is
//! carried as its string (unlike `net.IP` in [`super::net`], not a type of its own); `url()` of a string
//! that is not a URL fails the rule at run time as on the server, and the getters parse the
//! string again. Parsing follows Go's `url.ParseRequestURI` (an absolute URI or an absolute
//! path, no fragment).

use cel::common::types::{CelBool, CelList, CelMap, CelMapKey, CelString};
use cel::common::value::Val;
use cel::{DeclarationError, Env, ExecutionError};
use std::collections::HashMap;

/// Registers the library on `env`.
pub(crate) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    cel::add_overload!(env, fn is_url: (CelString) -> CelBool, name = "isURL")?;
    cel::add_overload!(env, fn url: (CelString) -> Result<CelString>, name = "url")?;
    cel::add_member_overload!(env, fn get_scheme: (CelString) -> Result<CelString>, name = "getScheme")?;
    cel::add_member_overload!(env, fn get_host: (CelString) -> Result<CelString>, name = "getHost")?;
    cel::add_member_overload!(env, fn get_hostname: (CelString) -> Result<CelString>, name = "getHostname")?;
    cel::add_member_overload!(env, fn get_port: (CelString) -> Result<CelString>, name = "getPort")?;
    cel::add_member_overload!(env, fn get_escaped_path: (CelString) -> Result<CelString>, name = "getEscapedPath")?;
    cel::add_member_overload!(env, fn get_query: (CelString) -> Result<CelMap>, name = "getQuery")?;
    Ok(())
}

/// A URL as Go's `url.ParseRequestURI` splits it.
struct Url<'a> {
    scheme: String,
    /// Host and port, without user info.
    host: &'a str,
    path: &'a str,
    query: &'a str,
}

/// `url.ParseRequestURI`, as far as the getters need it; `None` when Go refuses the string.
fn parse(text: &str) -> Option<Url<'_>> {
    if !crate::validate::is_request_uri(text) {
        return None;
    }
    let (rest, query) = text.split_once('?').unwrap_or((text, ""));
    if rest.starts_with('/') {
        return Some(Url {
            scheme: String::new(),
            host: "",
            path: rest,
            query,
        });
    }
    let (scheme, rest) = rest.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    let Some(after) = rest.strip_prefix("//") else {
        // `scheme:opaque`: no host, no path.
        return Some(Url {
            scheme,
            host: "",
            path: "",
            query,
        });
    };
    let (authority, path) = match after.find('/') {
        Some(at) => after.split_at(at),
        None => (after, ""),
    };
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    Some(Url {
        scheme,
        host,
        path,
        query,
    })
}

fn parsed<'a>(function: &str, text: &'a str) -> Result<Url<'a>, ExecutionError> {
    parse(text).ok_or_else(|| {
        ExecutionError::function_error(
            function,
            format!("URL parse error during conversion from string: parse {text:?}: invalid URI for request"),
        )
    })
}

fn is_url(text: &CelString<'_>) -> CelBool {
    CelBool::from(parse(text.inner()).is_some())
}

fn url(text: &CelString<'_>) -> Result<CelString<'static>, ExecutionError> {
    parsed("url", text.inner())?;
    Ok(CelString::from(text.inner().to_string()))
}

fn get_scheme(text: &CelString<'_>) -> Result<CelString<'static>, ExecutionError> {
    Ok(CelString::from(parsed("getScheme", text.inner())?.scheme))
}

fn get_host(text: &CelString<'_>) -> Result<CelString<'static>, ExecutionError> {
    Ok(CelString::from(
        parsed("getHost", text.inner())?.host.to_string(),
    ))
}

/// `URL.Hostname()`: the host without port, IPv6 brackets removed.
fn get_hostname(text: &CelString<'_>) -> Result<CelString<'static>, ExecutionError> {
    let host = parsed("getHostname", text.inner())?.host;
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split_once(']').map_or(v6, |(h, _)| h),
        None => host.split_once(':').map_or(host, |(h, _)| h),
    };
    Ok(CelString::from(name.to_string()))
}

/// `URL.Port()`: the digits after the last `:` of the host, if they are all digits.
fn get_port(text: &CelString<'_>) -> Result<CelString<'static>, ExecutionError> {
    let host = parsed("getPort", text.inner())?.host;
    let after = match host.rsplit_once(']') {
        Some((_, tail)) => tail,
        None => host,
    };
    let port = after
        .rsplit_once(':')
        .map(|(_, p)| p)
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or("");
    Ok(CelString::from(port.to_string()))
}

fn get_escaped_path(text: &CelString<'_>) -> Result<CelString<'static>, ExecutionError> {
    Ok(CelString::from(
        parsed("getEscapedPath", text.inner())?.path.to_string(),
    ))
}

/// `URL.Query()`: `url.ParseQuery`, pairs that do not unescape skipped.
fn get_query(text: &CelString<'_>) -> Result<CelMap<'static>, ExecutionError> {
    let query = parsed("getQuery", text.inner())?.query;
    let mut values: Vec<(String, Vec<String>)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        if pair.contains(';') {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (unescape(k), unescape(v)) else {
            continue;
        };
        match values.iter_mut().find(|(key, _)| *key == k) {
            Some((_, list)) => list.push(v),
            None => values.push((k, vec![v])),
        }
    }
    let map: HashMap<CelMapKey<'static>, Box<dyn Val>> = values
        .into_iter()
        .map(|(k, list)| {
            let items: Vec<Box<dyn Val>> = list
                .into_iter()
                .map(|s| Box::new(CelString::from(s)) as Box<dyn Val>)
                .collect();
            (
                CelMapKey::String(CelString::from(k)),
                Box::new(CelList::from(items)) as Box<dyn Val>,
            )
        })
        .collect();
    Ok(CelMap::from(map))
}

/// `url.QueryUnescape`: `+` is a space, `%XX` a byte; `None` when an escape is malformed.
fn unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_as_go_splits_them() {
        let u = parse("HTTPS://user@example.com:8443/a/b?x=1&x=2").expect("url");
        assert_eq!(u.scheme, "https");
        assert_eq!(u.host, "example.com:8443");
        assert_eq!(u.path, "/a/b");
        assert_eq!(u.query, "x=1&x=2");
        assert!(parse("/just/a/path").is_some());
        assert!(parse("not a url").is_none());
        assert!(parse("example.com").is_none());
    }

    #[test]
    fn getters_of_an_ipv6_host() {
        let s = CelString::from("https://[::1]:80/p");
        assert_eq!(get_hostname(&s).unwrap().inner(), "::1");
        assert_eq!(get_port(&s).unwrap().inner(), "80");
        assert_eq!(get_host(&s).unwrap().inner(), "[::1]:80");
    }
}
