//! The schema keywords some rule family judges, and what "absent" means for each.

use serde_json::Value;

macro_rules! keywords {
    ($( $variant:ident = $name:literal, )*) => {
        /// A keyword that a rule family owns. Keywords outside this list (`$ref`,
        /// `patternProperties`, `x-acme-foo`) are never claimed, so any difference in them is
        /// `unhandled-change`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Kw { $( $variant, )* }

        impl Kw {
            /// The keyword as written in a schema.
            pub(crate) const fn name(self) -> &'static str {
                match self { $( Kw::$variant => $name, )* }
            }

            /// The keyword called `name`, if a rule family owns it.
            pub(crate) fn from_name(name: &str) -> Option<Kw> {
                match name { $( $name => Some(Kw::$variant), )* _ => None }
            }
        }
    };
}

keywords! {
    Type = "type",
    Format = "format",
    IntOrString = "x-kubernetes-int-or-string",
    Enum = "enum",
    Default = "default",
    Maximum = "maximum",
    MaxLength = "maxLength",
    MaxItems = "maxItems",
    MaxProperties = "maxProperties",
    Minimum = "minimum",
    MinLength = "minLength",
    MinItems = "minItems",
    MinProperties = "minProperties",
    ExclusiveMaximum = "exclusiveMaximum",
    ExclusiveMinimum = "exclusiveMinimum",
    MultipleOf = "multipleOf",
    Pattern = "pattern",
    Nullable = "nullable",
    UniqueItems = "uniqueItems",
    OneOf = "oneOf",
    AnyOf = "anyOf",
    AllOf = "allOf",
    Not = "not",
    Validations = "x-kubernetes-validations",
    ListType = "x-kubernetes-list-type",
    ListMapKeys = "x-kubernetes-list-map-keys",
    MapType = "x-kubernetes-map-type",
    PreserveUnknownFields = "x-kubernetes-preserve-unknown-fields",
    EmbeddedResource = "x-kubernetes-embedded-resource",
    Properties = "properties",
    Required = "required",
    Items = "items",
    AdditionalProperties = "additionalProperties",
    Description = "description",
    Title = "title",
    Example = "example",
    ExternalDocs = "externalDocs",
}

impl Kw {
    /// The bit of this keyword in a node's claim mask.
    pub(crate) const fn bit(self) -> u64 {
        1 << (self as u32)
    }
}

/// The value of `key` as the API server sees it: `None` when it is absent or set explicitly to
/// what absence means.
///
/// - `null` is absent (the API server decodes it to an unset field);
/// - an empty list or object is absent, except for `default` and `example` (an empty default is
///   a real default) and `not` (`not: {}` rejects everything);
/// - `false` is absent for the boolean keywords whose default is `false`;
/// - `x-kubernetes-list-type: atomic`, `x-kubernetes-map-type: granular` and
///   `additionalProperties: true` are the defaults made explicit.
pub(crate) fn effective<'a>(key: &str, value: &'a Value) -> Option<&'a Value> {
    let is_default = match value {
        Value::Null => true,
        Value::Array(a) => a.is_empty() && !keeps_empty(key),
        Value::Object(o) => o.is_empty() && !keeps_empty(key),
        Value::Bool(false) => false_is_default(key),
        Value::Bool(true) => key == "additionalProperties",
        Value::String(s) => {
            (key == "x-kubernetes-list-type" && s == "atomic")
                || (key == "x-kubernetes-map-type" && s == "granular")
        }
        Value::Number(_) => false,
    };
    (!is_default).then_some(value)
}

/// Keywords whose empty value means something other than absence.
fn keeps_empty(key: &str) -> bool {
    matches!(key, "default" | "example" | "not")
}

/// Boolean keywords whose default is `false`.
fn false_is_default(key: &str) -> bool {
    matches!(
        key,
        "nullable"
            | "uniqueItems"
            | "exclusiveMaximum"
            | "exclusiveMinimum"
            | "deprecated"
            | "x-kubernetes-preserve-unknown-fields"
            | "x-kubernetes-embedded-resource"
            | "x-kubernetes-int-or-string"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_keyword_fits_the_claim_mask_and_round_trips() {
        let all = [
            Kw::Type,
            Kw::ExternalDocs,
            Kw::AdditionalProperties,
            Kw::Validations,
        ];
        for kw in all {
            assert!((kw as u32) < 64);
            assert_eq!(Kw::from_name(kw.name()), Some(kw));
        }
        assert_eq!(Kw::from_name("$ref"), None);
        assert_eq!(Kw::from_name("x-acme-foo"), None);
    }

    #[test]
    fn defaults_are_absence() {
        for (key, v) in [
            ("nullable", json!(false)),
            ("uniqueItems", json!(false)),
            ("deprecated", json!(false)),
            ("x-kubernetes-list-type", json!("atomic")),
            ("x-kubernetes-map-type", json!("granular")),
            ("x-kubernetes-preserve-unknown-fields", json!(false)),
            ("additionalProperties", json!(true)),
            ("required", json!([])),
            ("properties", json!({})),
            ("x-acme-foo", json!([])),
            ("description", json!(null)),
        ] {
            assert_eq!(effective(key, &v), None, "{key}: {v}");
        }
        for (key, v) in [
            ("nullable", json!(true)),
            ("x-kubernetes-list-type", json!("set")),
            ("default", json!([])),
            ("default", json!({})),
            ("not", json!({})),
            ("x-acme-foo", json!(false)),
            ("additionalProperties", json!(false)),
            ("minimum", json!(0)),
        ] {
            assert_eq!(effective(key, &v), Some(&v), "{key}: {v}");
        }
    }
}
