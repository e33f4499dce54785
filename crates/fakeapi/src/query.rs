//! Query parameters of the API server's REST endpoints, and the field and label selectors they
//! carry.

use super::status::ApiError;
use serde_json::Value;

/// The query parameters the fake honours. Unknown ones are ignored, as the API server ignores
/// parameters that a verb does not use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    /// `dryRun=All`.
    pub dry_run: bool,
    pub field_manager: Option<String>,
    /// `fieldValidation=Strict`: unknown fields refuse the write (kubectl's default) instead of
    /// being dropped (`Ignore`, `Warn`).
    pub strict_fields: bool,
    /// `force` (apply only).
    pub force: Option<bool>,
    pub field_selector: Option<String>,
    pub label_selector: Option<String>,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
    pub resource_version: Option<String>,
    pub watch: bool,
    pub timeout_seconds: Option<u64>,
}

impl Query {
    /// Parses a raw query string (`a=b&c=d`, percent-encoded).
    pub fn parse(raw: &str) -> Result<Query, ApiError> {
        let mut q = Query::default();
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(key);
            let value = decode(value);
            match key.as_str() {
                "dryRun" => {
                    if value != "All" {
                        return Err(ApiError::bad_request(format!(
                            "Invalid dry run value: unsupported value {value:?}, supported values: \"All\""
                        )));
                    }
                    q.dry_run = true;
                }
                "fieldManager" => q.field_manager = Some(value),
                "fieldValidation" => match value.as_str() {
                    "Strict" => q.strict_fields = true,
                    "" | "Ignore" | "Warn" => q.strict_fields = false,
                    _ => {
                        return Err(ApiError::bad_request(format!(
                            "fieldValidation must be one of Ignore, Warn, or Strict, got {value:?}"
                        )));
                    }
                },
                "force" => q.force = Some(parse_bool(&key, &value)?),
                "fieldSelector" => q.field_selector = Some(value),
                "labelSelector" => q.label_selector = Some(value),
                "limit" => {
                    let n: i64 = value
                        .parse()
                        .map_err(|_| ApiError::bad_request(format!("invalid limit {value:?}")))?;
                    q.limit = (n > 0).then_some(n as usize);
                }
                "continue" => q.continue_token = Some(value).filter(|v| !v.is_empty()),
                "resourceVersion" => q.resource_version = Some(value).filter(|v| !v.is_empty()),
                "watch" => q.watch = parse_bool(&key, &value)?,
                "timeoutSeconds" => {
                    q.timeout_seconds = Some(value.parse().map_err(|_| {
                        ApiError::bad_request(format!("invalid timeoutSeconds {value:?}"))
                    })?)
                }
                _ => {}
            }
        }
        Ok(q)
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "true" | "1" | "" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "invalid value {value:?} for {key}"
        ))),
    }
}

/// Percent-decoding of `application/x-www-form-urlencoded` (`+` is a space).
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    Exists(String),
    NotExists(String),
}

/// `fieldSelector` and `labelSelector` of a list or watch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selector {
    fields: Vec<Requirement>,
    labels: Vec<Requirement>,
}

impl Selector {
    /// Parses the selectors of a query; only `metadata.name` and `metadata.namespace` are field
    /// labels, as for custom resources on the real server.
    pub fn from_query(q: &Query) -> Result<Selector, ApiError> {
        let mut sel = Selector::default();
        if let Some(raw) = &q.field_selector {
            for term in raw.split(',').filter(|t| !t.trim().is_empty()) {
                let req = parse_term(term)?;
                let key = match &req {
                    Requirement::Equals(k, _) | Requirement::NotEquals(k, _) => k,
                    _ => {
                        return Err(ApiError::bad_request(format!(
                            "invalid field selector: {term:?}"
                        )));
                    }
                };
                if key != "metadata.name" && key != "metadata.namespace" {
                    return Err(ApiError::bad_request(format!(
                        "field label not supported: {key}"
                    )));
                }
                sel.fields.push(req);
            }
        }
        if let Some(raw) = &q.label_selector {
            for term in raw.split(',').filter(|t| !t.trim().is_empty()) {
                sel.labels.push(parse_term(term)?);
            }
        }
        Ok(sel)
    }

    /// Whether an object matches every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        let field = |key: &str| -> Option<String> {
            let k = key.strip_prefix("metadata.")?;
            Some(
                obj.pointer(&format!("/metadata/{k}"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            )
        };
        let label = |key: &str| -> Option<String> {
            obj.pointer("/metadata/labels")
                .and_then(|l| l.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        self.fields.iter().all(|r| check(r, &field)) && self.labels.iter().all(|r| check(r, &label))
    }

    /// The single `metadata.name=NAME` a watch of one object uses, if that is all it asks.
    pub fn only_name(&self) -> Option<&str> {
        match self.fields.as_slice() {
            [Requirement::Equals(k, v)] if k == "metadata.name" && self.labels.is_empty() => {
                Some(v)
            }
            _ => None,
        }
    }
}

fn check(req: &Requirement, get: &dyn Fn(&str) -> Option<String>) -> bool {
    match req {
        Requirement::Equals(k, v) => get(k).as_deref() == Some(v.as_str()),
        Requirement::NotEquals(k, v) => get(k).as_deref() != Some(v.as_str()),
        Requirement::Exists(k) => get(k).is_some(),
        Requirement::NotExists(k) => get(k).is_none(),
    }
}

fn parse_term(term: &str) -> Result<Requirement, ApiError> {
    let term = term.trim();
    if let Some((k, v)) = term.split_once("!=") {
        return Ok(Requirement::NotEquals(
            k.trim().to_string(),
            v.trim().to_string(),
        ));
    }
    if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
        return Ok(Requirement::Equals(
            k.trim().to_string(),
            v.trim().to_string(),
        ));
    }
    if term.contains(' ') || term.contains('(') {
        return Err(ApiError::bad_request(format!(
            "unable to parse requirement: {term:?} (the fake API server supports =, == and != and existence)"
        )));
    }
    match term.strip_prefix('!') {
        Some(k) => Ok(Requirement::NotExists(k.to_string())),
        None => Ok(Requirement::Exists(term.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_parameters_clients_send() {
        let q = Query::parse("fieldManager=nexus&force=true&dryRun=All&fieldSelector=metadata.name%3Dfoos.example.com&limit=1").unwrap();
        assert!(q.dry_run);
        assert_eq!(q.force, Some(true));
        assert_eq!(q.field_manager.as_deref(), Some("nexus"));
        assert_eq!(
            q.field_selector.as_deref(),
            Some("metadata.name=foos.example.com")
        );
        assert_eq!(q.limit, Some(1));
        assert!(Query::parse("dryRun=Some").is_err());
        assert_eq!(decode("a%2"), "a%2");
        assert_eq!(decode("%zz"), "%zz");
    }

    #[test]
    fn selectors_match() {
        let obj = json!({"metadata": {"name": "a", "namespace": "ns", "labels": {"app": "x"}}});
        let q = Query {
            field_selector: Some("metadata.name=a,metadata.namespace!=other".into()),
            label_selector: Some("app=x,!gone".into()),
            ..Query::default()
        };
        assert!(Selector::from_query(&q).unwrap().matches(&obj));
        let q = Query {
            label_selector: Some("app!=x".into()),
            ..Query::default()
        };
        assert!(!Selector::from_query(&q).unwrap().matches(&obj));
        let q = Query {
            field_selector: Some("spec.x=1".into()),
            ..Query::default()
        };
        assert!(Selector::from_query(&q).is_err());
    }
}
