//! Names, label keys and values as the API server checks them (k8s.io/apimachinery v0.36
//! `pkg/util/validation`, `pkg/api/validate/content` and `pkg/api/validation/objectmeta.go`), with
//! its messages word for word. Shared by `crd-invalid` (a CRD's own metadata) and the fake API
//! server (custom resources).
//!
//! Go iterates maps in random order; errors of labels and annotations come here in key order.

use regex::Regex;
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_LABEL_MAX: usize = 63;
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MAX: usize = 253;
const LABEL_KEY_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_ERR: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_KEY_MAX: usize = 63;
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MAX: usize = 63;
/// `TotalAnnotationSizeLimitB`: keys and values together.
pub const ANNOTATIONS_MAX_BYTES: usize = 256 * 1024;

fn dns1123_subdomain_fmt() -> String {
    format!("{DNS1123_LABEL_FMT}(\\.{DNS1123_LABEL_FMT})*")
}

fn label_value_fmt() -> String {
    format!("({LABEL_KEY_FMT})?")
}

fn anchored(fmt: &str) -> Regex {
    Regex::new(&format!("^{fmt}$")).unwrap_or_else(|e| unreachable!("a fixed regex: {e}"))
}

static DNS1123_LABEL: LazyLock<Regex> = LazyLock::new(|| anchored(DNS1123_LABEL_FMT));
static DNS1123_SUBDOMAIN: LazyLock<Regex> = LazyLock::new(|| anchored(&dns1123_subdomain_fmt()));
static LABEL_KEY: LazyLock<Regex> = LazyLock::new(|| anchored(LABEL_KEY_FMT));
static LABEL_VALUE: LazyLock<Regex> = LazyLock::new(|| anchored(&label_value_fmt()));

/// `MaxLenError`: `pkg/util/validation` (names, namespaces) counts "characters", the newer
/// `pkg/api/validate/content` (label keys and values) "bytes"; both measure bytes.
fn max_len_error(max: usize, unit: &str) -> String {
    format!("must be no more than {max} {unit}")
}

/// `RegexError`: the message, examples, and the regex.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    // Go appends " or " after "'e', ", hence the two spaces.
    let examples: Vec<String> = examples.iter().map(|e| format!("'{e}', ")).collect();
    format!(
        "{msg} (e.g. {}regex used for validation is '{fmt}')",
        examples.join(" or ")
    )
}

/// `IsDNS1123Label`.
pub fn dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX {
        errs.push(max_len_error(DNS1123_LABEL_MAX, "characters"));
    }
    if !DNS1123_LABEL.is_match(value) {
        if DNS1123_SUBDOMAIN.is_match(value) {
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(
                DNS1123_LABEL_ERR,
                DNS1123_LABEL_FMT,
                &["my-name", "123-abc"],
            ));
        }
    }
    errs
}

/// `IsDNS1123Subdomain`.
pub fn dns1123_subdomain(value: &str) -> Vec<String> {
    subdomain_errors(value, "characters")
}

fn subdomain_errors(value: &str, unit: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX, unit));
    }
    if !DNS1123_SUBDOMAIN.is_match(value) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_ERR,
            &dns1123_subdomain_fmt(),
            &["example.com"],
        ));
    }
    errs
}

/// `maskTrailingDash`, as written (it drops the character before the dash too): a prefix
/// may end in '-' since something is appended to it.
pub fn mask_trailing_dash(name: &str) -> String {
    if name.len() > 1 && name.ends_with('-') {
        // Byte slicing as Go does; a multi-byte character there fails the regex either way.
        let cut = String::from_utf8_lossy(&name.as_bytes()[..name.len() - 2]).into_owned();
        format!("{cut}a")
    } else {
        name.to_string()
    }
}

/// `NameIsDNSSubdomain`: the names of custom resources.
pub fn name_is_dns_subdomain(name: &str, prefix: bool) -> Vec<String> {
    if prefix {
        dns1123_subdomain(&mask_trailing_dash(name))
    } else {
        dns1123_subdomain(name)
    }
}

/// `IsQualifiedName` (= `IsLabelKey`): label keys, annotation keys, finalizers.
pub fn qualified_name(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = value.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                errs.extend(
                    subdomain_errors(prefix, "bytes")
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_KEY_ERR, LABEL_KEY_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > LABEL_KEY_MAX {
        errs.push(format!(
            "name part {}",
            max_len_error(LABEL_KEY_MAX, "bytes")
        ));
    }
    if !LABEL_KEY.is_match(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                LABEL_KEY_ERR,
                LABEL_KEY_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// `IsValidLabelValue`.
pub fn label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX {
        errs.push(max_len_error(LABEL_VALUE_MAX, "bytes"));
    }
    if !LABEL_VALUE.is_match(value) {
        errs.push(regex_error(
            LABEL_VALUE_ERR,
            &label_value_fmt(),
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

fn string_map<'a>(meta: &'a Value, key: &str) -> Vec<(&'a String, &'a str)> {
    let mut entries: Vec<(&String, &str)> = meta
        .get(key)
        .and_then(Value::as_object)
        .map(Map::iter)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default()))
        .collect();
    entries.sort();
    entries
}

/// One problem of `ValidateLabels` / `ValidateAnnotations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetaProblem {
    /// `field.Invalid(field, value, detail)`.
    Invalid {
        field: &'static str,
        value: String,
        detail: String,
    },
    /// `field.TooLong`: the annotations together exceed [`ANNOTATIONS_MAX_BYTES`].
    AnnotationsTooLong,
}

impl std::fmt::Display for MetaProblem {
    /// As `field.Error.Error()` prints it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetaProblem::Invalid {
                field,
                value,
                detail,
            } => write!(f, "{field}: Invalid value: {}: {detail}", json!(value)),
            MetaProblem::AnnotationsTooLong => write!(
                f,
                "metadata.annotations: Too long: may not be more than {ANNOTATIONS_MAX_BYTES} bytes"
            ),
        }
    }
}

/// `ValidateLabels` and `ValidateAnnotations` of an object's `metadata`.
pub fn labels_and_annotations(meta: &Value) -> Vec<MetaProblem> {
    let mut errs = Vec::new();
    let mut each = |field: &'static str, value: &str, msgs: Vec<String>| {
        errs.extend(msgs.into_iter().map(|detail| MetaProblem::Invalid {
            field,
            value: value.to_string(),
            detail,
        }));
    };
    for (key, value) in string_map(meta, "labels") {
        each("metadata.labels", key, qualified_name(key));
        each("metadata.labels", value, label_value(value));
    }
    let annotations = string_map(meta, "annotations");
    for (key, _) in &annotations {
        // Case does not matter in annotation keys.
        each(
            "metadata.annotations",
            key,
            qualified_name(&key.to_lowercase()),
        );
    }
    let size: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > ANNOTATIONS_MAX_BYTES {
        errs.push(MetaProblem::AnnotationsTooLong);
    }
    errs
}
