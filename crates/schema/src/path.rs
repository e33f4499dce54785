//! The one home of path helpers. Every finding (compare rules, `crd-invalid`, schema and object
//! validation) builds its paths here, so a key prints the same way in every report.
//!
//! Three kinds of path:
//! - the CRD path, in named-key form (`/spec/versions/name=v1/schema/openAPIV3Schema/...`):
//!   a JSON pointer (RFC 6901) with one extension, a list entry is named by its key
//!   (`name=v1`), never by its index, so a path stays valid when entries are reordered;
//! - the field path of the custom object a schema node describes (`.spec.ports[*].name`);
//! - the value path inside one concrete object (`.spec.ports[0].name`), for findings about a
//!   value (a `default`, an `example`, an object checked against a schema).
//!
//! All are built by appending to a `String`, so a walker can keep one buffer, push a segment
//! when it enters a node and truncate when it leaves: no allocation per visited node.

use std::borrow::Cow;

/// The CRD path of one version: `/spec/versions/name=v1`. A version without a usable name is
/// still addressed by name, with the name empty (`/spec/versions/name=`), never by its index.
pub fn version_path(version: &str) -> String {
    let mut p = String::from("/spec/versions");
    push_named(&mut p, "name", version);
    p
}

/// The CRD path of a version's schema root: `/spec/versions/name=v1/schema/openAPIV3Schema`.
pub fn schema_root_path(version: &str) -> String {
    let mut p = version_path(version);
    p.push_str("/schema/openAPIV3Schema");
    p
}

/// Escapes one JSON-pointer reference token: `~` becomes `~0`, `/` becomes `~1`.
pub fn escape_token(token: &str) -> Cow<'_, str> {
    if token.contains(['~', '/']) {
        Cow::Owned(token.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Appends `/token` to a CRD path, escaping the token.
pub fn push_token(path: &mut String, token: &str) {
    path.push('/');
    path.push_str(&escape_token(token));
}

/// `base/token`, the token escaped: [`push_token`] for a path that is built once.
pub fn child(base: &str, token: &str) -> String {
    let mut p = String::with_capacity(base.len() + token.len() + 1);
    p.push_str(base);
    push_token(&mut p, token);
    p
}

/// `base/key=value`, a list entry named by its key: [`push_named`] for a path that is built once.
pub fn entry(base: &str, key: &str, value: &str) -> String {
    let mut p = String::with_capacity(base.len() + key.len() + value.len() + 2);
    p.push_str(base);
    push_named(&mut p, key, value);
    p
}

/// Appends a list entry named by its key, `/key=value` (e.g. `/name=v1`); the value is escaped
/// like a token so that a `/` inside a name cannot split the path.
pub fn push_named(path: &mut String, key: &str, value: &str) {
    path.push('/');
    path.push_str(&escape_token(key));
    path.push('=');
    path.push_str(&escape_token(value));
}

/// Whether a property key can be written `.key` in a field path: an ASCII letter, `_` or `$`
/// first, then letters, digits, `_`, `$` or `-`. Anything else is written `["key"]`.
pub fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '-'))
}

/// Appends a property to a field or value path: `.key`, or `["a.b"]` (JSON string escaping, the
/// one escaper for keys in every report) for a key that is not an identifier.
pub fn push_field(field: &mut String, key: &str) {
    if is_identifier(key) {
        field.push('.');
        field.push_str(key);
    } else {
        field.push('[');
        // Serializing a &str cannot fail; the fallback keeps this total anyway.
        match serde_json::to_string(key) {
            Ok(quoted) => field.push_str(&quoted),
            Err(_) => field.push_str("\"?\""),
        }
        field.push(']');
    }
}

/// Appends a list index to a value path: `[3]`. Only for values inside one object; CRD paths
/// name list entries by key ([`push_named`]).
pub fn push_index(path: &mut String, index: usize) {
    path.push('[');
    path.push_str(&index.to_string());
    path.push(']');
}

/// The field-path segment for "every item of a list".
pub const FIELD_ITEMS: &str = "[*]";

/// The field-path segment for "every value of a map" (`additionalProperties`).
pub const FIELD_MAP_VALUES: &str = ".*";

/// The field path as shown to users: the object root is `.`.
pub fn display_field(field: &str) -> &str {
    if field.is_empty() { "." } else { field }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_escaped() {
        let mut p = String::new();
        push_token(&mut p, "properties");
        push_token(&mut p, "a/b~c");
        assert_eq!(p, "/properties/a~1b~0c");
        assert_eq!(escape_token("plain"), Cow::Borrowed("plain"));
        assert_eq!(escape_token("~/"), "~0~1");
    }

    #[test]
    fn versions_are_named_by_key() {
        assert_eq!(version_path("v1"), "/spec/versions/name=v1");
        assert_eq!(
            schema_root_path("v1beta1"),
            "/spec/versions/name=v1beta1/schema/openAPIV3Schema"
        );
        let mut p = String::new();
        push_named(&mut p, "name", "a/b");
        assert_eq!(p, "/name=a~1b");
        assert_eq!(version_path(""), "/spec/versions/name=");
    }

    #[test]
    fn paths_built_once() {
        assert_eq!(child("/spec", "group"), "/spec/group");
        assert_eq!(child("/a", "x/y~z"), "/a/x~1y~0z");
        assert_eq!(entry("/a", "jsonPath", ".spec/x"), "/a/jsonPath=.spec~1x");
    }

    #[test]
    fn value_paths() {
        let mut p = String::new();
        push_field(&mut p, "spec");
        push_field(&mut p, "ports");
        push_index(&mut p, 0);
        push_field(&mut p, "app.kubernetes.io/name");
        assert_eq!(p, r#".spec.ports[0]["app.kubernetes.io/name"]"#);
    }

    #[test]
    fn field_paths() {
        let mut f = String::new();
        push_field(&mut f, "spec");
        push_field(&mut f, "ports");
        f.push_str(FIELD_ITEMS);
        push_field(&mut f, "name");
        assert_eq!(f, ".spec.ports[*].name");

        let mut f = String::from(".metadata.labels");
        f.push_str(FIELD_MAP_VALUES);
        assert_eq!(f, ".metadata.labels.*");

        let mut f = String::from(".spec");
        push_field(&mut f, "app.kubernetes.io/name");
        push_field(&mut f, "x-y");
        push_field(&mut f, "9lives");
        push_field(&mut f, "say \"hi\"");
        assert_eq!(
            f,
            r#".spec["app.kubernetes.io/name"].x-y["9lives"]["say \"hi\""]"#
        );
        assert_eq!(display_field(""), ".");
        assert_eq!(display_field(".spec"), ".spec");
    }

    #[test]
    fn odd_keys_use_json_string_escaping() {
        let mut f = String::new();
        push_field(&mut f, "a\nb\tc\\d\u{1}");
        assert_eq!(f, r#"["a\nb\tc\\d\u0001"]"#);
        let mut f = String::new();
        push_field(&mut f, "");
        assert_eq!(f, r#"[""]"#);
    }

    #[test]
    fn identifiers() {
        for ok in ["a", "_a", "$ref", "camelCase9", "with-dash"] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in ["", "9a", "-a", "a.b", "a/b", "a b", "é"] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }
}
