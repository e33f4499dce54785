//! Paths of findings: the CRD path in named-key form (`/spec/versions/name=v1/...`) and the dotted
//! field path of the object (`.spec.ports[*].name`).
//!
//! Both are built by appending to a `String`, so a walker can keep one buffer, push a segment
//! when it enters a node and truncate when it leaves: no allocation per visited node.
//!
//! CRD paths are JSON pointers (RFC 6901) with one extension: a list entry is named by its key,
//! `name=v1`, never by its index, so a path stays valid when entries are reordered.

use std::borrow::Cow;

/// The CRD path of one version: `/spec/versions/name=v1`.
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
    push_escaped(path, token);
}

/// Appends a list entry named by its key, `/key=value` (e.g. `/name=v1`); the value is escaped
/// like a token so that a `/` inside a name cannot split the path.
pub fn push_named(path: &mut String, key: &str, value: &str) {
    path.push('/');
    push_escaped(path, key);
    path.push('=');
    push_escaped(path, value);
}

fn push_escaped(path: &mut String, token: &str) {
    for c in token.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// Whether a property key can be written `.key` in a field path: an ASCII letter, `_` or `$`
/// first, then letters, digits, `_`, `$` or `-`. Anything else is written `["key"]`.
pub fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '-'))
}

/// Appends a property to a field path: `.key`, or `["a.b"]` (JSON string escaping) for a key
/// that is not an identifier.
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
    fn identifiers() {
        for ok in ["a", "_a", "$ref", "camelCase9", "with-dash"] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in ["", "9a", "-a", "a.b", "a/b", "a b", "é"] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }
}
