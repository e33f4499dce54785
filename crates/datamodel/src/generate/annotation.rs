//! The `nexus` annotation: one JSON object whose key order and escaping match what Go's
//! encoding/json wrote for the original compiler, so the string is identical byte for byte.

use super::naming::CrdNames;
use crate::datamodel::{Datamodel, NodeId, RelationKind, RestApiSpec, lower_first};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Writes a string as Go's `json.Marshal` does: HTML-sensitive `<`, `>`, `&` and the line
/// separators U+2028/U+2029 escaped as `\u…`, control characters as `\u00XX` except `\n`, `\r`,
/// `\t`.
pub fn go_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn string_array<'a>(items: impl IntoIterator<Item = &'a str>, out: &mut String) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_json_string(item, out);
    }
    out.push(']');
}

/// One `children` / `links` entry.
fn relation_entry(field: &str, is_named: bool, out: &mut String) {
    out.push_str("{\"fieldName\":");
    go_json_string(field, out);
    out.push_str(",\"fieldNameGvk\":");
    go_json_string(&format!("{}Gvk", lower_first(field)), out);
    out.push_str(",\"goFieldNameGvk\":");
    go_json_string(&format!("{field}Gvk"), out);
    out.push_str(",\"isNamed\":");
    out.push_str(if is_named { "true" } else { "false" });
    out.push('}');
}

fn relation_map(entries: &BTreeMap<String, (String, bool)>, out: &mut String) {
    out.push('{');
    for (i, (key, (field, named))) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_json_string(key, out);
        out.push(':');
        relation_entry(field, *named, out);
    }
    out.push('}');
}

fn rest_api(spec: Option<&RestApiSpec>, out: &mut String) {
    let Some(uris) = spec.and_then(|s| s.uris.as_ref()) else {
        out.push_str("{\"uris\":null}");
        return;
    };
    out.push_str("{\"uris\":[");
    for (i, uri) in uris.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"uri\":");
        go_json_string(&uri.uri, out);
        if !uri.query_params.is_empty() {
            out.push_str(",\"query_params\":");
            string_array(uri.query_params.iter().map(String::as_str), out);
        }
        out.push_str(",\"methods\":");
        match &uri.methods {
            None => out.push_str("null"),
            Some(methods) => {
                out.push('{');
                for (mi, (method, codes)) in methods.iter().enumerate() {
                    if mi > 0 {
                        out.push(',');
                    }
                    go_json_string(method, out);
                    out.push_str(":{");
                    for (ci, (code, description)) in codes.iter().enumerate() {
                        if ci > 0 {
                            out.push(',');
                        }
                        go_json_string(code, out);
                        out.push_str(":{\"description\":");
                        go_json_string(description, out);
                        out.push('}');
                    }
                    out.push('}');
                }
                out.push('}');
            }
        }
        out.push('}');
    }
    out.push_str("]}");
}

/// The annotation of node `id`: `name`, `hierarchy`, `children`, `links`, `is_singleton`,
/// `nexus-rest-api-gen`, `description`, in that order; empty ones left out as Go's `omitempty`
/// did (except `is_singleton` and `nexus-rest-api-gen`, which are always there).
pub fn nexus_annotation(dm: &Datamodel, id: NodeId, names: &[CrdNames]) -> String {
    let mut out = String::with_capacity(256);
    let Some(node) = dm.nodes.get(id) else {
        return out;
    };
    out.push_str("{\"name\":");
    go_json_string(&format!("{}.{}", node.package, node.name), &mut out);
    let hierarchy = dm.hierarchy(id);
    if !hierarchy.is_empty() {
        out.push_str(",\"hierarchy\":");
        string_array(
            hierarchy
                .iter()
                .filter_map(|a| names.get(*a))
                .map(|n| n.crd_name.as_str()),
            &mut out,
        );
    }
    let mut children = BTreeMap::new();
    let mut links = BTreeMap::new();
    for relation in &node.relations {
        let entry = (relation.field.clone(), relation.kind.is_named());
        match relation.kind {
            RelationKind::Child | RelationKind::Children => {
                if let Some(target) = names.get(relation.target) {
                    children.insert(target.crd_name.clone(), entry);
                }
            }
            RelationKind::Link | RelationKind::Links => {
                links.insert(relation.field.clone(), entry);
            }
        }
    }
    if !children.is_empty() {
        out.push_str(",\"children\":");
        relation_map(&children, &mut out);
    }
    if !links.is_empty() {
        out.push_str(",\"links\":");
        relation_map(&links, &mut out);
    }
    out.push_str(",\"is_singleton\":");
    out.push_str(if node.singleton { "true" } else { "false" });
    out.push_str(",\"nexus-rest-api-gen\":");
    rest_api(node.rest_api.as_ref(), &mut out);
    if let Some(description) = node.description.as_deref().filter(|d| !d.is_empty()) {
        out.push_str(",\"description\":");
        go_json_string(description, &mut out);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        let mut out = String::new();
        go_json_string("a<b>&\"c\"\\\n\u{1}\u{2028}é", &mut out);
        assert_eq!(out, r#""a\u003cb\u003e\u0026\"c\"\\\n\u0001\u2028é""#);
    }

    #[test]
    fn the_escaped_form_is_valid_json() {
        let mut out = String::new();
        let s = "tab\t<x> \u{7f} \u{0} done";
        go_json_string(s, &mut out);
        let back: String = serde_json::from_str(&out).unwrap();
        assert_eq!(back, s);
    }
}
