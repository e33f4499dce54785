//! Object metadata checked as the API server checks it (k8s.io/apimachinery v0.36
//! `pkg/api/validate/content` and `pkg/api/validation/objectmeta.go`), with its messages word
//! for word: names (DNS-1123 subdomains), `generateName`, namespaces (DNS-1123 labels), label
//! keys and values, annotation keys and their total size, finalizers.
//!
//! Go iterates maps in random order; errors of labels and annotations come here in key order.

use super::status::FieldError;
use nexus_schema::validate::names::{self, MetaProblem};
pub use nexus_schema::validate::names::{
    ANNOTATIONS_MAX_BYTES, dns1123_label, dns1123_subdomain, label_value, name_is_dns_subdomain,
    qualified_name,
};
use serde_json::{Value, json};

/// A generated name is `generateName` cut to this length and five random characters.
const GENERATED_BASE_MAX: usize = 63 - 5;

fn invalid_each(errs: &mut Vec<FieldError>, field: &str, value: &str, msgs: Vec<String>) {
    errs.extend(
        msgs.into_iter()
            .map(|m| FieldError::invalid(field, json!(value), m)),
    );
}

/// `ValidateLabels` and `ValidateAnnotations`: what create and update both check.
fn labels_and_annotations(meta: &Value, errs: &mut Vec<FieldError>) {
    for problem in names::labels_and_annotations(meta) {
        errs.push(match problem {
            MetaProblem::Invalid {
                field,
                value,
                detail,
            } => FieldError::invalid(field, json!(value), detail),
            MetaProblem::AnnotationsTooLong => {
                FieldError::too_long("metadata.annotations", ANNOTATIONS_MAX_BYTES)
            }
        });
    }
}

/// `ValidateObjectMetaAccessor` with `NameIsDNSSubdomain`: the metadata of a custom resource
/// on create, after its name was generated. (The API server's later path-segment check, no
/// `.`, `..`, `/` or `%`, never refuses what a DNS subdomain allows.)
pub fn validate_create(meta: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let text = |key: &str| meta.get(key).and_then(Value::as_str).unwrap_or_default();
    let generate_name = text("generateName");
    if !generate_name.is_empty() {
        invalid_each(
            &mut errs,
            "metadata.generateName",
            generate_name,
            name_is_dns_subdomain(generate_name, true),
        );
    }
    let name = text("name");
    if name.is_empty() {
        errs.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else {
        invalid_each(
            &mut errs,
            "metadata.name",
            name,
            name_is_dns_subdomain(name, false),
        );
    }
    let namespace = text("namespace");
    if namespaced {
        if namespace.is_empty() {
            errs.push(FieldError::required("metadata.namespace", ""));
        } else {
            invalid_each(
                &mut errs,
                "metadata.namespace",
                namespace,
                dns1123_label(namespace),
            );
        }
    } else if !namespace.is_empty() {
        errs.push(FieldError::forbidden(
            "metadata.namespace",
            "not allowed on this type",
        ));
    }
    labels_and_annotations(meta, &mut errs);
    for finalizer in meta
        .get("finalizers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        invalid_each(
            &mut errs,
            "metadata.finalizers",
            finalizer,
            qualified_name(finalizer),
        );
    }
    errs
}

/// What `ValidateObjectMetaAccessorUpdate` checks of names: labels and annotations (name and
/// namespace come from the URL and cannot change).
pub fn validate_update(meta: &Value) -> Vec<FieldError> {
    let mut errs = Vec::new();
    labels_and_annotations(meta, &mut errs);
    errs
}

/// The name the API server's `SimpleNameGenerator` makes of `generateName`: the prefix cut to
/// 58 bytes and five characters of its alphabet (here from `seq`, not random, so runs repeat).
pub fn generate_name(base: &str, seq: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut cut = base.len().min(GENERATED_BASE_MAX);
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut suffix = String::new();
    let mut n = seq;
    for _ in 0..5 {
        suffix.push(char::from(ALPHABET[(n % ALPHABET.len() as u64) as usize]));
        n /= ALPHABET.len() as u64;
    }
    format!("{}{suffix}", &base[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;
    use nexus_schema::validate::names::mask_trailing_dash;

    const SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    #[test]
    fn names_the_api_server_refuses() {
        for bad in [
            "UPPER", "a_b", "..", ".", "a/b", "a%b", "-a", "a-", "", "a..b",
        ] {
            assert_eq!(dns1123_subdomain(bad), vec![SUBDOMAIN], "{bad:?}");
        }
        let long = "a".repeat(300);
        assert_eq!(
            dns1123_subdomain(&long),
            vec!["must be no more than 253 characters".to_string()]
        );
        for good in ["a", "a.b", "a-b.c-d", "0", &"a".repeat(253)] {
            assert!(dns1123_subdomain(good).is_empty(), "{good:?}");
        }
    }

    #[test]
    fn namespaces_are_labels() {
        assert_eq!(dns1123_label("a.b"), vec!["must not contain dots"]);
        assert_eq!(
            dns1123_label("A"),
            vec![
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
            ]
        );
        assert_eq!(
            dns1123_label(&"a".repeat(64)),
            vec!["must be no more than 63 characters"]
        );
    }

    #[test]
    fn qualified_names() {
        assert!(qualified_name("example.com/My_Name.1").is_empty());
        assert!(qualified_name("MyName").is_empty());
        assert_eq!(qualified_name("/a"), vec!["prefix part must be non-empty"]);
        assert_eq!(
            qualified_name("a/"),
            vec![
                "name part must be non-empty",
                "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ]
        );
        assert!(qualified_name("a/b/c")[0].starts_with("a valid label key must consist"));
        assert_eq!(
            qualified_name(&format!("{}/x", "A".repeat(3))),
            vec![format!("prefix part {SUBDOMAIN}")]
        );
        assert_eq!(
            qualified_name(&"a".repeat(64)),
            vec!["name part must be no more than 63 bytes"]
        );
    }

    #[test]
    fn label_values_may_be_empty() {
        assert!(label_value("").is_empty());
        assert!(label_value("My_value-1.2").is_empty());
        assert_eq!(
            label_value(&"a".repeat(64)),
            vec!["must be no more than 63 bytes"]
        );
        assert_eq!(label_value("-a").len(), 1);
    }

    #[test]
    fn generate_name_masks_the_trailing_dash_as_go_does() {
        assert_eq!(mask_trailing_dash("web-"), "wea");
        assert_eq!(mask_trailing_dash("-"), "-");
        assert!(name_is_dns_subdomain("web-", true).is_empty());
        assert_eq!(name_is_dns_subdomain("Web-", true), vec![SUBDOMAIN]);
        let generated = generate_name(&"x".repeat(70), 1);
        assert_eq!(generated.len(), 63);
        assert_ne!(generate_name("a-", 1), generate_name("a-", 2));
    }

    #[test]
    fn metadata_on_create() {
        let errs = validate_create(
            &json!({"name": "UPPER", "namespace": "ns.1", "labels": {"a b": "ok", "k": "-bad"},
                    "annotations": {"Example.COM/Key": "fine", "x": "a".repeat(ANNOTATIONS_MAX_BYTES)}}),
            true,
        );
        let rendered: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            rendered[0],
            format!("metadata.name: Invalid value: \"UPPER\": {SUBDOMAIN}")
        );
        assert_eq!(
            rendered[1],
            "metadata.namespace: Invalid value: \"ns.1\": must not contain dots"
        );
        assert!(
            rendered[2]
                .starts_with("metadata.labels: Invalid value: \"a b\": name part must consist")
        );
        assert!(
            rendered[3]
                .starts_with("metadata.labels: Invalid value: \"-bad\": a valid label must be")
        );
        assert_eq!(
            rendered[4],
            "metadata.annotations: Too long: may not be more than 262144 bytes"
        );
        assert_eq!(rendered.len(), 5);
        let cluster = validate_create(&json!({"name": "a", "namespace": "x"}), false);
        assert_eq!(
            cluster[0].to_string(),
            "metadata.namespace: Forbidden: not allowed on this type"
        );
    }
}
