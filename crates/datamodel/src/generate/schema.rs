//! The `openAPIV3Schema` of a node: Go types → OpenAPI v3 schemas as DATAMODEL.md tabulates them.

use super::naming::CrdNames;
use crate::datamodel::{
    Basic, Datamodel, Field, GoType, JsonKind, KnownType, Node, TypeBody, lower_first,
};
use crate::error::{Error, Result};
use serde_json::{Map, Value, json};

/// How deep schemas may nest; load already refuses recursive types, so this only guards a
/// broken invariant.
const MAX_SCHEMA_DEPTH: usize = 200;

/// Kubernetes' standard description of `apiVersion`.
pub const API_VERSION_DESCRIPTION: &str = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";

/// Kubernetes' standard description of `kind`.
pub const KIND_DESCRIPTION: &str = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/// An object from owned values (`json!` would copy interpolated values by serializing them).
pub(crate) fn object(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn free_form_object() -> Value {
    json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

fn int64() -> Value {
    json!({"type": "integer", "format": "int64"})
}

/// `{group, kind, name}`, all strings, all required: where a child or link lives.
fn gvk() -> Value {
    json!({
        "type": "object",
        "properties": {
            "group": {"type": "string"},
            "kind": {"type": "string"},
            "name": {"type": "string"},
        },
        "required": ["group", "kind", "name"],
    })
}

/// `status.nexus`, which the nexus runtime maintains on every object.
fn nexus_status() -> Value {
    json!({
        "type": "object",
        "properties": {
            "remoteGeneration": int64(),
            "sourceGeneration": int64(),
            "syncerStatus": {
                "type": "object",
                "properties": {
                    "cRGenerationId": int64(),
                    "etcdVersion": int64(),
                },
            },
        },
    })
}

fn basic(b: Basic) -> Value {
    let (ty, format) = match b {
        Basic::String => return json!({"type": "string"}),
        Basic::Bool => return json!({"type": "boolean"}),
        Basic::Int | Basic::Int16 | Basic::Int32 | Basic::Uint | Basic::Uint16 => {
            ("integer", "int32")
        }
        Basic::Int64 | Basic::Uint32 | Basic::Uint64 => ("integer", "int64"),
        Basic::Int8 | Basic::Uint8 => ("integer", "byte"),
        Basic::Float32 => ("number", "float"),
        Basic::Float64 => ("number", "double"),
    };
    json!({"type": ty, "format": format})
}

fn too_deep(what: &str) -> Error {
    Error::input(format!(
        "the schema of {what} nests more than {MAX_SCHEMA_DEPTH} levels deep; flatten the types"
    ))
}

/// Builds schemas for one datamodel.
pub struct SchemaBuilder<'a> {
    dm: &'a Datamodel,
}

impl<'a> SchemaBuilder<'a> {
    /// A builder for the schemas of `dm`'s nodes and types.
    pub fn new(dm: &'a Datamodel) -> SchemaBuilder<'a> {
        SchemaBuilder { dm }
    }

    /// The schema of a Go type.
    pub fn type_schema(&self, ty: &GoType, depth: usize) -> Result<Value> {
        if depth > MAX_SCHEMA_DEPTH {
            return Err(too_deep("a field"));
        }
        Ok(match ty {
            GoType::Basic(b) => basic(*b),
            GoType::Named(id) => match self.dm.types.get(*id).map(|t| &t.body) {
                Some(TypeBody::Struct(fields)) => self.struct_schema(fields, depth + 1)?,
                Some(TypeBody::Underlying(inner)) => self.type_schema(inner, depth + 1)?,
                None => free_form_object(),
            },
            GoType::Pointer(inner) => self.type_schema(inner, depth + 1)?,
            GoType::Slice(inner) if self.dm.is_byte(inner) => {
                json!({"type": "string", "format": "byte"})
            }
            GoType::Slice(inner) | GoType::Array(inner) => object([
                ("type", json!("array")),
                ("items", self.type_schema(inner, depth + 1)?),
            ]),
            GoType::Map { value, .. } => object([
                ("type", json!("object")),
                ("additionalProperties", self.type_schema(value, depth + 1)?),
            ]),
            GoType::Struct(fields) => self.struct_schema(fields, depth + 1)?,
            GoType::Interface | GoType::External { .. } => free_form_object(),
            GoType::Known(KnownType::Time) => json!({"type": "string", "format": "date-time"}),
            GoType::Known(KnownType::MetaTime | KnownType::MetaDuration | KnownType::Quantity) => {
                json!({"type": "string"})
            }
            GoType::Known(KnownType::IntOrString) => json!({
                "anyOf": [{"type": "integer"}, {"type": "string"}],
                "x-kubernetes-int-or-string": true,
            }),
        })
    }

    /// The schema of a field: its type's, bent by `,string` and `nexus-graphql-jsonencoded`,
    /// plus its `nexus-validation` rules.
    pub fn field_schema(&self, field: &Field, depth: usize) -> Result<Value> {
        let mut schema = if field.json_encoded {
            json!({"x-kubernetes-preserve-unknown-fields": true})
        } else if self.dm.field_kind(field) == JsonKind::String
            && self.dm.json_kind(&field.ty) != JsonKind::String
        {
            // `,string` on a number or bool: the value travels as a JSON string.
            json!({"type": "string"})
        } else {
            self.type_schema(&field.ty, depth)?
        };
        if let Value::Object(map) = &mut schema {
            for validation in &field.validations {
                map.insert(
                    validation.rule.keyword().to_string(),
                    validation.rule.value(),
                );
            }
        }
        Ok(schema)
    }

    /// An object with one property per field; `required` lists the fields without `omitempty`
    /// (nor `nexus-graphql-jsonencoded`) in declaration order. A struct without properties is a free-form object.
    pub fn struct_schema(&self, fields: &[Field], depth: usize) -> Result<Value> {
        if fields.is_empty() {
            return Ok(free_form_object());
        }
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in fields {
            properties.insert(field.property.clone(), self.field_schema(field, depth + 1)?);
            // The original compiler leaves free-form JSON fields out of `required`.
            if !field.optional && !field.json_encoded {
                required.push(Value::String(field.property.clone()));
            }
        }
        let mut schema = Map::new();
        schema.insert("type".into(), json!("object"));
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
        Ok(Value::Object(schema))
    }

    /// The whole `openAPIV3Schema` of a node.
    pub fn node_schema(&self, node: &Node, names: &CrdNames) -> Result<Value> {
        let mut properties = Map::new();
        properties.insert(
            "apiVersion".into(),
            json!({"type": "string", "description": API_VERSION_DESCRIPTION}),
        );
        properties.insert(
            "kind".into(),
            json!({"type": "string", "description": KIND_DESCRIPTION}),
        );
        properties.insert("metadata".into(), json!({"type": "object"}));

        if !node.fields.is_empty() || !node.relations.is_empty() {
            let Value::Object(mut spec) = self.struct_schema(&node.fields, 1)? else {
                return Err(Error::input(
                    "internal error: a struct schema is not an object",
                ));
            };
            if node.fields.is_empty() {
                // Only children and links: an object with their Gvk properties.
                spec.remove("x-kubernetes-preserve-unknown-fields");
                spec.insert("properties".into(), Value::Object(Map::new()));
            }
            let Some(Value::Object(spec_properties)) = spec.get_mut("properties") else {
                return Err(Error::input(
                    "internal error: a struct schema has no properties",
                ));
            };
            for relation in &node.relations {
                let property = format!("{}Gvk", lower_first(&relation.field));
                let schema = if relation.kind.is_named() {
                    object([("type", json!("object")), ("additionalProperties", gvk())])
                } else {
                    gvk()
                };
                if spec_properties.insert(property.clone(), schema).is_some() {
                    return Err(Error::Parse {
                        location: relation.pos.to_string(),
                        message: format!(
                            "the spec of `{}` gets the property `{property}` twice: from `{}` (as its Gvk) and from another field; rename one of them",
                            names.kind, relation.field
                        ),
                    });
                }
            }
            properties.insert("spec".into(), Value::Object(spec));
        }

        let mut status = Map::new();
        status.insert("nexus".into(), nexus_status());
        if let Some(field) = &node.status {
            if field.property == "nexus" {
                return Err(Error::Parse {
                    location: field.pos.to_string(),
                    message: format!(
                        "status field `{}` would be `status.nexus`, which the nexus runtime owns; rename the field",
                        field.go_name
                    ),
                });
            }
            status.insert(field.property.clone(), self.field_schema(field, 2)?);
        }
        properties.insert(
            "status".into(),
            object([
                ("type", json!("object")),
                ("properties", Value::Object(status)),
            ]),
        );
        Ok(object([
            ("type", json!("object")),
            ("properties", Value::Object(properties)),
        ]))
    }
}
