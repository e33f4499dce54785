//! Comment markers: `nexus-rest-api-gen`, `nexus-description` above a type, and
//! `nexus-validation` / `nexus-graphql-jsonencoded` above a field.

use super::model::{SourcePos, Validation, ValidationRule};
use super::syntax::CommentLine;
use crate::error::{Error, Result};

const REST_API_GEN: &str = "nexus-rest-api-gen:";
const DESCRIPTION: &str = "nexus-description:";
const VALIDATION: &str = "nexus-validation:";
const JSON_ENCODED: &str = "nexus-graphql-jsonencoded";

/// Every key `nexus-validation` accepts, as written in the marker.
pub(crate) const VALIDATION_KEYS: [&str; 13] = [
    "MaxLength",
    "MinLength",
    "Pattern",
    "Maximum",
    "Minimum",
    "ExclusiveMaximum",
    "ExclusiveMinimum",
    "MaxItems",
    "MinItems",
    "UniqueItems",
    "ListType",
    "MaxProperties",
    "MinProperties",
];

/// The markers above a type declaration.
#[derive(Debug, Clone, Default)]
pub(crate) struct TypeMarkers {
    /// `nexus-rest-api-gen:VarName`, with where the name is written.
    pub rest_api_gen: Option<(String, SourcePos)>,
    /// `nexus-description:` text (several lines are joined with a space).
    pub description: Option<String>,
}

fn error_at(pos: &SourcePos, message: String) -> Error {
    Error::Parse {
        location: pos.to_string(),
        message,
    }
}

/// The position `offset` bytes into a comment line.
fn shifted(line: &CommentLine, offset: usize) -> SourcePos {
    let mut pos = line.pos.clone();
    pos.column = pos
        .column
        .saturating_add(u32::try_from(offset).unwrap_or(u32::MAX));
    pos
}

/// Where `marker` starts in the line, if the line (after blanks) begins with it.
fn marker_value<'a>(line: &'a CommentLine, marker: &str) -> Option<(&'a str, usize)> {
    let trimmed = line.text.trim_start();
    let value = trimmed.strip_prefix(marker)?;
    let offset = line.text.len() - value.len();
    Some((value, offset))
}

/// Reads the markers of a type's doc comment.
pub(crate) fn type_markers(type_name: &str, doc: &[CommentLine]) -> Result<TypeMarkers> {
    let mut markers = TypeMarkers::default();
    let mut descriptions = Vec::new();
    for line in doc {
        if let Some((value, offset)) = marker_value(line, REST_API_GEN) {
            let name = value.trim();
            let pos = shifted(line, offset + (value.len() - value.trim_start().len()));
            if name.is_empty() {
                return Err(error_at(
                    &pos,
                    format!(
                        "`nexus-rest-api-gen:` above `{type_name}` names no variable; write `nexus-rest-api-gen:<VarName>` with a nexus.RestAPISpec variable of this package"
                    ),
                ));
            }
            if let Some((first, first_pos)) = &markers.rest_api_gen {
                return Err(error_at(
                    &pos,
                    format!(
                        "`{type_name}` has a second nexus-rest-api-gen marker (the first, at {first_pos}, names `{first}`); keep one and list every URI in that variable"
                    ),
                ));
            }
            markers.rest_api_gen = Some((name.to_string(), pos));
        } else if let Some((value, _)) = marker_value(line, DESCRIPTION) {
            let text = value.trim();
            if !text.is_empty() {
                descriptions.push(text.to_string());
            }
        }
    }
    if !descriptions.is_empty() {
        markers.description = Some(descriptions.join(" "));
    }
    Ok(markers)
}

/// Whether a field's doc comment carries the `nexus-graphql-jsonencoded` marker (the struct tag
/// of the same name is the usual form; the comment form is accepted too).
pub(crate) fn has_json_encoded_marker(doc: &[CommentLine]) -> bool {
    doc.iter().any(|line| {
        line.text
            .trim_start()
            .strip_prefix(JSON_ENCODED)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', ' ', '\t']))
    })
}

/// Reads every `nexus-validation:` line above a field, in order.
pub(crate) fn validations(field: &str, doc: &[CommentLine]) -> Result<Vec<Validation>> {
    let mut out: Vec<Validation> = Vec::new();
    for line in doc {
        let Some((value, offset)) = marker_value(line, VALIDATION) else {
            continue;
        };
        for (item, item_offset) in split_items(value) {
            let pos = shifted(line, offset + item_offset);
            let rule = parse_item(field, item, &pos)?;
            if let Some(previous) = out.iter().find(|v| v.rule.keyword() == rule.keyword()) {
                return Err(error_at(
                    &pos,
                    format!(
                        "field `{field}` has nexus-validation `{}` twice (also at {}); keep one",
                        key_of(item),
                        previous.pos
                    ),
                ));
            }
            out.push(Validation { rule, pos });
        }
    }
    Ok(out)
}

fn key_of(item: &str) -> &str {
    item.split_once('=').map_or(item, |(k, _)| k).trim()
}

/// Splits `MaxLength=8, Pattern=^a,b$` at the commas that start a new `Key=` item, so a pattern
/// may contain commas. Returns each item (trimmed) with its byte offset in `value`.
fn split_items(value: &str) -> Vec<(&str, usize)> {
    let mut items = Vec::new();
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if c != ',' {
            continue;
        }
        let rest = value[i + 1..].trim_start();
        let key_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if key_len > 0 && rest.as_bytes().get(key_len) == Some(&b'=') {
            items.push((start, i));
            start = i + 1;
        }
    }
    items.push((start, value.len()));
    items
        .into_iter()
        .filter_map(|(s, e)| {
            let raw = &value[s..e];
            let item = raw.trim();
            (!item.is_empty()).then(|| (item, s + (raw.len() - raw.trim_start().len())))
        })
        .collect()
}

fn parse_item(field: &str, item: &str, pos: &SourcePos) -> Result<ValidationRule> {
    let Some((key, value)) = item.split_once('=') else {
        return Err(error_at(
            pos,
            format!(
                "nexus-validation on field `{field}`: `{item}` is not `Key=Value`; write e.g. `nexus-validation: MaxLength=8`"
            ),
        ));
    };
    let key = key.trim();
    let value = value.trim();
    let bad = |expected: &str| {
        error_at(
            pos,
            format!(
                "nexus-validation on field `{field}`: {key} needs {expected}, not `{value}`; fix the value"
            ),
        )
    };
    let count = || {
        value
            .parse::<u64>()
            .map_err(|_| bad("a non-negative integer"))
    };
    let flag = || match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad("`true` or `false`")),
    };
    let number = || -> Result<serde_json::Number> {
        if let Ok(i) = value.parse::<i64>() {
            return Ok(i.into());
        }
        value
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .ok_or_else(|| bad("a number"))
    };
    Ok(match key {
        "MaxLength" => ValidationRule::MaxLength(count()?),
        "MinLength" => ValidationRule::MinLength(count()?),
        "MaxItems" => ValidationRule::MaxItems(count()?),
        "MinItems" => ValidationRule::MinItems(count()?),
        "MaxProperties" => ValidationRule::MaxProperties(count()?),
        "MinProperties" => ValidationRule::MinProperties(count()?),
        "Maximum" => ValidationRule::Maximum(number()?),
        "Minimum" => ValidationRule::Minimum(number()?),
        "ExclusiveMaximum" => ValidationRule::ExclusiveMaximum(flag()?),
        "ExclusiveMinimum" => ValidationRule::ExclusiveMinimum(flag()?),
        // The API server refuses `uniqueItems: true` in a CRD schema (it cannot check it
        // cheaply); a list type of `set` is how a CRD asks for unique items.
        "UniqueItems" if flag()? => {
            return Err(error_at(
                pos,
                format!(
                    "nexus-validation on field `{field}`: UniqueItems=true makes a CRD the API server rejects (uniqueItems: true is forbidden in CRD schemas); write `nexus-validation: ListType=set` instead (x-kubernetes-list-type: set keeps the items unique)"
                ),
            ));
        }
        "UniqueItems" => ValidationRule::UniqueItems(false),
        "ListType" => match value {
            "atomic" | "set" => ValidationRule::ListType(value.to_string()),
            _ => return Err(bad("`atomic` or `set`")),
        },
        "Pattern" => {
            if value.is_empty() {
                return Err(bad("a regular expression"));
            }
            if let Err(e) = regex::Regex::new(value) {
                let reason = e.to_string();
                let reason = reason.lines().last().unwrap_or("").trim();
                return Err(error_at(
                    pos,
                    format!(
                        "nexus-validation on field `{field}`: Pattern `{value}` is not a valid regular expression ({reason}); fix the pattern"
                    ),
                ));
            }
            ValidationRule::Pattern(value.to_string())
        }
        _ => {
            let hint = VALIDATION_KEYS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(key))
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            return Err(error_at(
                pos,
                format!(
                    "nexus-validation on field `{field}`: unknown key `{key}`{hint}; use one of {}",
                    VALIDATION_KEYS.join(", ")
                ),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn line(text: &str) -> CommentLine {
        CommentLine {
            text: text.to_string(),
            pos: SourcePos {
                file: Arc::from("a.go"),
                line: 3,
                column: 3,
            },
        }
    }

    #[test]
    fn reads_type_markers() {
        let doc = [
            line(" Gns struct."),
            line(" nexus-rest-api-gen:GNSRestAPISpec"),
            line(" nexus-description: this is my awesome node"),
        ];
        let m = type_markers("Gns", &doc).unwrap();
        let (name, pos) = m.rest_api_gen.unwrap();
        assert_eq!(name, "GNSRestAPISpec");
        assert_eq!(pos.column, 3 + 20);
        assert_eq!(m.description.as_deref(), Some("this is my awesome node"));
    }

    #[test]
    fn splits_validation_items_but_not_pattern_commas() {
        let doc = [
            line("nexus-validation: MaxLength=8, MinLength=2"),
            line("nexus-validation: Pattern=^[a-z]{1,3}$"),
        ];
        let rules: Vec<_> = validations("Name", &doc)
            .unwrap()
            .into_iter()
            .map(|v| v.rule)
            .collect();
        assert_eq!(
            rules,
            vec![
                ValidationRule::MaxLength(8),
                ValidationRule::MinLength(2),
                ValidationRule::Pattern("^[a-z]{1,3}$".into())
            ]
        );
    }

    #[test]
    fn numbers_keep_their_kind() {
        let doc = [line(
            " nexus-validation: Maximum=8, Minimum=-1.5, ExclusiveMaximum=true",
        )];
        let rules: Vec<_> = validations("N", &doc).unwrap();
        assert_eq!(rules[0].rule.value(), serde_json::json!(8));
        assert_eq!(rules[1].rule.value(), serde_json::json!(-1.5));
        assert_eq!(rules[2].rule.value(), serde_json::json!(true));
    }

    #[test]
    fn rejects_unknown_and_mistyped_keys_naming_the_field() {
        let err = validations("Name", &[line(" nexus-validation: maxLength=8")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("field `Name`") && err.contains("did you mean `MaxLength`"),
            "{err}"
        );
        assert!(err.starts_with("a.go:3:"), "{err}");
        let err = validations("Name", &[line(" nexus-validation: MaxLength=big")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("non-negative integer"), "{err}");
        let err = validations("Name", &[line(" nexus-validation: Pattern=a(")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a valid regular expression"), "{err}");
        let err = validations(
            "Name",
            &[line(" nexus-validation: MaxLength=1, MaxLength=2")],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("twice"), "{err}");
    }

    #[test]
    fn json_encoded_comment_marker() {
        assert!(has_json_encoded_marker(&[line(
            " nexus-graphql-jsonencoded"
        )]));
        assert!(has_json_encoded_marker(&[line(
            " nexus-graphql-jsonencoded:\"\""
        )]));
        assert!(!has_json_encoded_marker(&[line(
            " nexus-graphql-jsonencodedX"
        )]));
    }
}
