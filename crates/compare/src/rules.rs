//! The rule catalogue: every rule id, its default severity, the report section it belongs to and a
//! one-line description. This one table drives the checker (default severities), the config file
//! validation (unknown ids are errors) and `nexus datamodel rules`.

use serde::Serialize;
use std::fmt;

/// How much a change can hurt. Ordered: `Compatible < Warning < Breaking`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Compatible,
    Warning,
    Breaking,
}

impl Severity {
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Compatible => "compatible",
            Severity::Warning => "warning",
            Severity::Breaking => "breaking",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "compatible" => Some(Severity::Compatible),
            "warning" => Some(Severity::Warning),
            "breaking" => Some(Severity::Breaking),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a change is shown in the text report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Rules about the CRD as a whole (names, versions, subresources, conversion).
    Crd,
    /// Rules about properties of a version's OpenAPI v3 schema.
    Property,
    /// Rules about the nexus annotation written by `datamodel build`.
    Nexus,
}

macro_rules! rules {
    ($( $variant:ident = $id:literal, $sev:ident, $family:ident, $summary:literal; )*) => {
        /// A rule id. The string form (`RuleId::as_str`) is public interface: JSON output, config
        /// overrides and ignore lists use it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId { $( $variant, )* }

        /// One row of the catalogue.
        #[derive(Debug, Clone, Copy)]
        pub struct RuleInfo {
            pub id: RuleId,
            pub default_severity: Severity,
            pub family: Family,
            pub summary: &'static str,
        }

        /// Every rule, in the order of RULES.md.
        pub const CATALOGUE: &[RuleInfo] = &[
            $( RuleInfo { id: RuleId::$variant, default_severity: Severity::$sev, family: Family::$family, summary: $summary }, )*
        ];

        impl RuleId {
            /// The public id, e.g. `required-added`.
            pub const fn as_str(self) -> &'static str {
                match self { $( RuleId::$variant => $id, )* }
            }
        }
    };
}

rules! {
    CrdAdded = "crd-added", Compatible, Crd, "a CRD exists only in the new set";
    CrdRemoved = "crd-removed", Breaking, Crd, "a CRD exists only in the old set (deleted, renamed, or its node moved package)";
    CrdScopeChanged = "crd-scope-changed", Breaking, Crd, "spec.scope changed between Namespaced and Cluster";
    CrdGroupChanged = "crd-group-changed", Breaking, Crd, "spec.group differs";
    CrdPluralChanged = "crd-plural-changed", Breaking, Crd, "spec.names.plural differs";
    CrdKindChanged = "crd-kind-changed", Breaking, Crd, "spec.names.kind differs";
    CrdNamesChanged = "crd-names-changed", Warning, Crd, "listKind or singular changed, or a shortNames/categories entry removed";
    CrdNamesAdded = "crd-names-added", Compatible, Crd, "a shortNames/categories entry added";
    CrdStoredVersionRemoved = "crd-stored-version-removed", Breaking, Crd, "a version listed in old status.storedVersions is gone from spec.versions";
    CrdVersionRemoved = "crd-version-removed", Breaking, Crd, "a version in old spec.versions is gone (not a stored one)";
    CrdVersionUnserved = "crd-version-unserved", Breaking, Crd, "a version went from served: true to served: false";
    CrdVersionServed = "crd-version-served", Compatible, Crd, "a version went from served: false to served: true";
    CrdVersionAdded = "crd-version-added", Compatible, Crd, "a new version appears";
    CrdStorageVersionChanged = "crd-storage-version-changed", Warning, Crd, "storage: true moved to another version";
    CrdVersionDeprecated = "crd-version-deprecated", Compatible, Crd, "deprecated false -> true, or deprecationWarning changed";
    CrdConversionWebhookRemoved = "crd-conversion-webhook-removed", Breaking, Crd, "conversion strategy Webhook -> None while served versions' schemas differ";
    CrdConversionChanged = "crd-conversion-changed", Warning, Crd, "conversion None -> Webhook, or webhook client config / review versions changed";
    CrdServedVersionsIncompatible = "crd-served-versions-incompatible", Breaking, Crd, "inside the new CRD, a breaking rule fires between two served versions that did not fire in the old CRD";
    CrdStatusSubresourceRemoved = "crd-status-subresource-removed", Breaking, Crd, "subresources.status removed from a version";
    CrdStatusSubresourceAdded = "crd-status-subresource-added", Warning, Crd, "subresources.status added (status written through the main endpoint is now dropped)";
    CrdScaleSubresourceChanged = "crd-scale-subresource-changed", Breaking, Crd, "subresources.scale removed, or one of its paths changed";
    CrdScaleSubresourceAdded = "crd-scale-subresource-added", Compatible, Crd, "subresources.scale added";
    CrdSelectableFieldRemoved = "crd-selectable-field-removed", Breaking, Crd, "a selectableFields entry removed";
    CrdSelectableFieldAdded = "crd-selectable-field-added", Compatible, Crd, "a selectableFields entry added";
    CrdPrinterColumnsChanged = "crd-printer-columns-changed", Compatible, Crd, "additionalPrinterColumns added, removed or changed";
    CrdInvalid = "crd-invalid", Breaking, Crd, "the new CRD would be rejected by the API server";

    FieldAdded = "field-added", Compatible, Property, "a property exists only in new and is not required";
    FieldRemoved = "field-removed", Breaking, Property, "a property exists only in old";
    RequiredAdded = "required-added", Breaking, Property, "a name added to required of an object that existed in old";
    RequiredRemoved = "required-removed", Warning, Property, "a name dropped from required";
    TypeChanged = "type-changed", Breaking, Property, "type differs";
    TypeWidened = "type-widened", Warning, Property, "type integer -> number";
    FormatChanged = "format-changed", Breaking, Property, "format added or changed";
    FormatWidened = "format-widened", Warning, Property, "format int32 -> int64, float -> double, date -> date-time";
    FormatRemoved = "format-removed", Warning, Property, "format dropped";
    IntOrStringChanged = "int-or-string-changed", Breaking, Property, "x-kubernetes-int-or-string toggled";
    EnumAdded = "enum-added", Breaking, Property, "no enum -> enum";
    EnumValueRemoved = "enum-value-removed", Breaking, Property, "an enum value dropped";
    EnumValueAdded = "enum-value-added", Warning, Property, "an enum value added";
    EnumRemoved = "enum-removed", Warning, Property, "enum dropped entirely";
    DefaultAdded = "default-added", Breaking, Property, "no default -> a default (stored objects are defaulted on read)";
    DefaultChanged = "default-changed", Breaking, Property, "default value differs";
    DefaultRemoved = "default-removed", Breaking, Property, "default dropped";
    MaxAdded = "max-added", Breaking, Property, "maximum/maxLength/maxItems/maxProperties: none -> N";
    MaxDecreased = "max-decreased", Breaking, Property, "maximum/maxLength/maxItems/maxProperties: N -> M < N";
    MaxRelaxed = "max-relaxed", Compatible, Property, "maximum/maxLength/maxItems/maxProperties increased or removed";
    MinAdded = "min-added", Breaking, Property, "minimum/minLength/minItems/minProperties: none -> N";
    MinIncreased = "min-increased", Breaking, Property, "minimum/minLength/minItems/minProperties: N -> M > N";
    MinRelaxed = "min-relaxed", Compatible, Property, "minimum/minLength/minItems/minProperties decreased or removed";
    ExclusiveBoundEnabled = "exclusive-bound-enabled", Breaking, Property, "exclusiveMaximum/exclusiveMinimum false -> true";
    ExclusiveBoundDisabled = "exclusive-bound-disabled", Compatible, Property, "exclusiveMaximum/exclusiveMinimum true -> false";
    MultipleOfChanged = "multiple-of-changed", Breaking, Property, "multipleOf added or changed";
    MultipleOfRemoved = "multiple-of-removed", Compatible, Property, "multipleOf dropped";
    PatternAdded = "pattern-added", Breaking, Property, "no pattern -> pattern";
    PatternChanged = "pattern-changed", Breaking, Property, "the pattern regex differs";
    PatternRemoved = "pattern-removed", Warning, Property, "pattern dropped";
    NullableAdded = "nullable-added", Warning, Property, "nullable false -> true";
    NullableRemoved = "nullable-removed", Breaking, Property, "nullable true -> false";
    UniqueItemsEnabled = "unique-items-enabled", Breaking, Property, "uniqueItems false -> true";
    OneOfChanged = "one-of-changed", Breaking, Property, "oneOf added, or a branch added or removed";
    AnyOfChanged = "any-of-changed", Breaking, Property, "anyOf added, removed, or a branch changed";
    AllOfBranchAdded = "all-of-branch-added", Breaking, Property, "an allOf branch added";
    AllOfBranchRemoved = "all-of-branch-removed", Warning, Property, "an allOf branch removed";
    NotChanged = "not-changed", Breaking, Property, "not added or changed";
    NotRemoved = "not-removed", Compatible, Property, "not dropped";
    CelRuleAdded = "cel-rule-added", Breaking, Property, "a new x-kubernetes-validations rule";
    CelRuleRemoved = "cel-rule-removed", Warning, Property, "an x-kubernetes-validations rule removed";
    CelRuleChanged = "cel-rule-changed", Breaking, Property, "a rule's expression, reason or optionalOldSelf changed";
    CelMessageChanged = "cel-message-changed", Compatible, Property, "only message/messageExpression/fieldPath of a rule changed";
    ListTypeChanged = "list-type-changed", Breaking, Property, "x-kubernetes-list-type changed, or added with a value other than atomic";
    ListMapKeysChanged = "list-map-keys-changed", Breaking, Property, "x-kubernetes-list-map-keys changed";
    MapTypeChanged = "map-type-changed", Warning, Property, "x-kubernetes-map-type changed";
    PreserveUnknownFieldsRemoved = "preserve-unknown-fields-removed", Breaking, Property, "x-kubernetes-preserve-unknown-fields true -> absent/false (unknown data is pruned)";
    PreserveUnknownFieldsAdded = "preserve-unknown-fields-added", Warning, Property, "x-kubernetes-preserve-unknown-fields absent/false -> true";
    EmbeddedResourceChanged = "embedded-resource-changed", Breaking, Property, "x-kubernetes-embedded-resource toggled";
    AdditionalPropertiesChanged = "additional-properties-changed", Breaking, Property, "map value schema removed, additionalProperties: false added, or object <-> map switch";
    DescriptionChanged = "description-changed", Compatible, Property, "description text changed";
    AnnotationChanged = "annotation-changed", Compatible, Property, "title, example or externalDocs changed";
    UnhandledChange = "unhandled-change", Breaking, Property, "any difference that no other rule claimed";

    NexusChildAdded = "nexus-child-added", Compatible, Nexus, "a child or link appears";
    NexusChildRemoved = "nexus-child-removed", Breaking, Nexus, "a child or link is gone";
    NexusChildChanged = "nexus-child-changed", Breaking, Nexus, "child <-> children (named), or its field name changed";
    NexusHierarchyChanged = "nexus-hierarchy-changed", Breaking, Nexus, "the parent chain of a node changed";
    NexusSingletonEnabled = "nexus-singleton-enabled", Breaking, Nexus, "is_singleton false -> true";
    NexusSingletonDisabled = "nexus-singleton-disabled", Compatible, Nexus, "is_singleton true -> false";
    NexusRestApiChanged = "nexus-rest-api-changed", Compatible, Nexus, "anything under nexus-rest-api-gen changed";
    NexusDescriptionChanged = "nexus-description-changed", Compatible, Nexus, "the description entry changed";
}

impl RuleId {
    /// Looks a public id up; `None` for an id that is not in the catalogue.
    pub fn parse(id: &str) -> Option<RuleId> {
        CATALOGUE.iter().map(|r| r.id).find(|r| r.as_str() == id)
    }

    /// The catalogue row of this rule.
    pub fn info(self) -> &'static RuleInfo {
        // The catalogue lists every variant once, in declaration order.
        &CATALOGUE[self as usize]
    }

    /// The severity a change of this rule has unless the config overrides it.
    pub fn default_severity(self) -> Severity {
        self.info().default_severity
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_index_matches_variant() {
        for (i, row) in CATALOGUE.iter().enumerate() {
            assert_eq!(row.id as usize, i, "{} is out of place", row.id);
            assert_eq!(RuleId::parse(row.id.as_str()), Some(row.id));
        }
    }

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for row in CATALOGUE {
            let id = row.id.as_str();
            assert!(seen.insert(id), "{id} twice");
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id}"
            );
        }
        assert_eq!(RuleId::parse("no-such-rule"), None);
    }
}
