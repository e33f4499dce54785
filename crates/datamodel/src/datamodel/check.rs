//! Checks on the resolved graph: one parent per node and no cycle of children, singletons never
//! `children`, no recursive types, string map keys, validation rules that fit their field, and
//! REST URIs that are distinct routes.
//! Also the JSON shape of a type, which generation uses too.

use super::model::{
    Basic, Datamodel, Field, GoType, JsonKind, KnownType, Node, NodeId, RelationKind, SourcePos,
    TypeBody, TypeDef, TypeId, ValidationRule,
};
use super::syntax::MAX_NESTING;
use crate::error::{Error, Result};

fn error_at(pos: &SourcePos, message: String) -> Error {
    Error::Parse {
        location: pos.to_string(),
        message,
    }
}

fn node_name(node: &Node) -> String {
    format!("{}.{}", node.package, node.name)
}

/// Refuses two REST URIs that are one route once their `{parameters}` are filled in (within a
/// node or across nodes), as the original compiler does. The later one in source order is named.
pub(crate) fn check_rest_uris(nodes: &[Node]) -> Result<()> {
    let mut uris: Vec<(&SourcePos, &str, &Node)> = nodes
        .iter()
        .flat_map(|node| {
            node.rest_api
                .iter()
                .flat_map(|spec| spec.uris.iter().flatten())
                .map(move |uri| (&uri.pos, uri.uri.as_str(), node))
        })
        .collect();
    uris.sort_by(|a, b| {
        (&*a.0.file, a.0.line, a.0.column).cmp(&(&*b.0.file, b.0.line, b.0.column))
    });
    let mut routes: std::collections::HashMap<String, (&SourcePos, &str, &Node)> =
        std::collections::HashMap::new();
    for (pos, uri, node) in uris {
        if let Some((first_pos, first_uri, first_node)) = routes.get(&route_of(uri)) {
            return Err(error_at(
                pos,
                format!(
                    "REST URI `{uri}` of `{}` is the same route as `{first_uri}` of `{}` (at {first_pos}); change one of them",
                    node_name(node),
                    node_name(first_node)
                ),
            ));
        }
        routes.insert(route_of(uri), (pos, uri, node));
    }
    Ok(())
}

/// A URI with each `{parameter}` replaced by `{param}` (the original's `{.*?}`).
fn route_of(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str("{param}");
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Sets each node's parent, refusing two parents, cycles and singletons used as `children`.
pub(crate) fn link_parents(nodes: &mut [Node]) -> Result<()> {
    let mut claims: Vec<Option<(NodeId, usize)>> = vec![None; nodes.len()];
    for (owner, node) in nodes.iter().enumerate() {
        for (ri, relation) in node.relations.iter().enumerate() {
            let Some(target) = nodes.get(relation.target) else {
                continue;
            };
            if relation.kind == RelationKind::Children && target.singleton {
                return Err(error_at(
                    &relation.pos,
                    format!(
                        "`{}.{}` is tagged nexus:\"children\" but `{}` is a singleton (one object only); tag it nexus:\"child\" or make `{}` embed nexus.Node",
                        node.name,
                        relation.field,
                        node_name(target),
                        target.name
                    ),
                ));
            }
            if !relation.kind.is_child() {
                continue;
            }
            if let Some((first_owner, first_ri)) = claims[relation.target] {
                let first = &nodes[first_owner];
                let first_relation = &first.relations[first_ri];
                return Err(error_at(
                    &relation.pos,
                    format!(
                        "node `{}` is claimed as a child by `{}.{}` and by `{}.{}` (at {}); a node has one parent, declare a separate type for one of them",
                        node_name(target),
                        node.name,
                        relation.field,
                        first.name,
                        first_relation.field,
                        first_relation.pos
                    ),
                ));
            }
            claims[relation.target] = Some((owner, ri));
        }
    }
    for (child, claim) in claims.iter().enumerate() {
        nodes[child].parent = claim.map(|(owner, _)| owner);
    }
    // With one parent each, following parents either reaches a node without one or loops.
    let mut state = vec![0u8; nodes.len()]; // 0 unknown, 1 on the current path, 2 reaches a top
    for start in 0..nodes.len() {
        let mut path = Vec::new();
        let mut current = Some(start);
        while let Some(id) = current {
            match state[id] {
                2 => break,
                1 => {
                    let from = path.iter().position(|n| *n == id).unwrap_or(0);
                    let mut cycle: Vec<NodeId> = path[from..].to_vec();
                    cycle.reverse();
                    return Err(cycle_error(nodes, &cycle, &claims));
                }
                _ => {
                    state[id] = 1;
                    path.push(id);
                    current = nodes[id].parent;
                }
            }
        }
        for id in path {
            state[id] = 2;
        }
    }
    Ok(())
}

fn cycle_error(nodes: &[Node], cycle: &[NodeId], claims: &[Option<(NodeId, usize)>]) -> Error {
    // Report at the claim of the cycle's first node in declaration order, for a stable message.
    let first = cycle.iter().copied().min().unwrap_or(0);
    let rotate = cycle.iter().position(|n| *n == first).unwrap_or(0);
    let mut names: Vec<String> = cycle[rotate..]
        .iter()
        .chain(&cycle[..rotate])
        .map(|n| node_name(&nodes[*n]))
        .collect();
    names.push(node_name(&nodes[first]));
    let pos = claims[first]
        .map(|(owner, ri)| nodes[owner].relations[ri].pos.clone())
        .unwrap_or_else(|| nodes[first].pos.clone());
    error_at(
        &pos,
        format!(
            "children form a cycle: {}; a node cannot be its own ancestor, make one of these a link",
            names.join(" → ")
        ),
    )
}

impl Datamodel {
    /// The JSON shape of a Go type (named types resolved, pointers looked through).
    pub fn json_kind(&self, ty: &GoType) -> JsonKind {
        self.kind_at(ty, 0)
    }

    fn kind_at(&self, ty: &GoType, depth: usize) -> JsonKind {
        if depth > MAX_NESTING {
            return JsonKind::FreeForm;
        }
        match ty {
            GoType::Basic(b) => match b {
                Basic::String => JsonKind::String,
                Basic::Bool => JsonKind::Boolean,
                Basic::Float32 | Basic::Float64 => JsonKind::Number,
                _ => JsonKind::Integer,
            },
            GoType::Named(id) => match self.types.get(*id).map(|t| &t.body) {
                Some(TypeBody::Struct(fields)) if !fields.is_empty() => JsonKind::Object,
                Some(TypeBody::Underlying(inner)) => self.kind_at(inner, depth + 1),
                _ => JsonKind::FreeForm,
            },
            GoType::Pointer(inner) => self.kind_at(inner, depth + 1),
            GoType::Slice(inner) if self.is_byte(inner) => JsonKind::String,
            GoType::Slice(_) | GoType::Array(_) => JsonKind::Array,
            GoType::Map { .. } => JsonKind::Object,
            GoType::Struct(fields) if !fields.is_empty() => JsonKind::Object,
            GoType::Struct(_) | GoType::Interface | GoType::External { .. } => JsonKind::FreeForm,
            GoType::Known(KnownType::IntOrString) => JsonKind::IntOrString,
            GoType::Known(_) => JsonKind::String,
        }
    }

    /// Whether a slice element is a byte, so the slice is base64 text (`[]byte`).
    pub fn is_byte(&self, ty: &GoType) -> bool {
        let mut current = ty;
        for _ in 0..=MAX_NESTING {
            match current {
                GoType::Basic(Basic::Uint8) => return true,
                GoType::Named(id) => match self.types.get(*id).map(|t| &t.body) {
                    Some(TypeBody::Underlying(inner)) => current = inner,
                    _ => return false,
                },
                _ => return false,
            }
        }
        false
    }

    /// The JSON shape of a field's value, after `,string` and `nexus-graphql-jsonencoded`.
    /// Whether the items of an array type are strings, numbers or booleans.
    pub fn items_are_scalar(&self, ty: &GoType) -> bool {
        let mut ty = ty;
        for _ in 0..MAX_NESTING {
            ty = match ty {
                GoType::Pointer(inner) => inner,
                GoType::Named(id) => match self.types.get(*id).map(|t| &t.body) {
                    Some(TypeBody::Underlying(inner)) => inner,
                    _ => return false,
                },
                GoType::Slice(inner) | GoType::Array(inner) => {
                    return matches!(
                        self.json_kind(inner),
                        JsonKind::String | JsonKind::Integer | JsonKind::Number | JsonKind::Boolean
                    );
                }
                _ => return false,
            };
        }
        false
    }

    pub fn field_kind(&self, field: &Field) -> JsonKind {
        if field.json_encoded {
            return JsonKind::Untyped;
        }
        let kind = self.json_kind(&field.ty);
        if field.as_string
            && matches!(
                kind,
                JsonKind::Integer | JsonKind::Number | JsonKind::Boolean
            )
            && self.is_scalar_for_string_option(&field.ty)
        {
            JsonKind::String
        } else {
            kind
        }
    }

    /// encoding/json honours `,string` only on a field whose kind is a scalar, or an unnamed
    /// pointer to one (`*T`); named types count by their kind.
    fn is_scalar_for_string_option(&self, ty: &GoType) -> bool {
        match ty {
            GoType::Pointer(inner) => self.basic_kind(inner).is_some(),
            other => self.basic_kind(other).is_some(),
        }
    }

    /// The predeclared type a type is defined from, following `type A B` chains.
    fn basic_kind(&self, ty: &GoType) -> Option<Basic> {
        let mut current = ty;
        for _ in 0..=MAX_NESTING {
            match current {
                GoType::Basic(b) => return Some(*b),
                GoType::Named(id) => match self.types.get(*id).map(|t| &t.body) {
                    Some(TypeBody::Underlying(inner)) => current = inner,
                    _ => return None,
                },
                _ => return None,
            }
        }
        None
    }
}

/// Refuses types that contain themselves: a CRD schema is a finite tree.
pub(crate) fn check_recursion(types: &[TypeDef]) -> Result<()> {
    fn refs(ty: &GoType, out: &mut Vec<TypeId>) {
        match ty {
            GoType::Named(id) => out.push(*id),
            GoType::Pointer(t) | GoType::Slice(t) | GoType::Array(t) => refs(t, out),
            GoType::Map { key, value } => {
                refs(key, out);
                refs(value, out);
            }
            GoType::Struct(fields) => fields.iter().for_each(|f| refs(&f.ty, out)),
            _ => {}
        }
    }
    let edges: Vec<Vec<TypeId>> = types
        .iter()
        .map(|t| {
            let mut out = Vec::new();
            match &t.body {
                TypeBody::Struct(fields) => fields.iter().for_each(|f| refs(&f.ty, &mut out)),
                TypeBody::Underlying(ty) => refs(ty, &mut out),
            }
            out.retain(|id| *id < types.len());
            out
        })
        .collect();
    // Iterative depth-first search with colours: 1 on the stack, 2 finished.
    let mut colour = vec![0u8; types.len()];
    for start in 0..types.len() {
        if colour[start] != 0 {
            continue;
        }
        let mut stack: Vec<(TypeId, usize)> = vec![(start, 0)];
        colour[start] = 1;
        while let Some((id, next)) = stack.last().copied() {
            if let Some(&child) = edges[id].get(next) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                match colour[child] {
                    0 => {
                        colour[child] = 1;
                        stack.push((child, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(n, _)| *n == child).unwrap_or(0);
                        let mut names: Vec<String> = stack[from..]
                            .iter()
                            .map(|(n, _)| format!("{}.{}", types[*n].package, types[*n].name))
                            .collect();
                        names.push(format!("{}.{}", types[child].package, types[child].name));
                        return Err(error_at(
                            &types[child].pos,
                            format!(
                                "type `{}` contains itself ({}); a CRD schema cannot be recursive, break the loop (for example with a free-form field)",
                                types[child].name,
                                names.join(" → ")
                            ),
                        ));
                    }
                    _ => {}
                }
            } else {
                colour[id] = 2;
                stack.pop();
            }
        }
    }
    Ok(())
}

/// Checks map keys and validation rules on every field of the datamodel.
pub(crate) fn check_fields(dm: &Datamodel) -> Result<()> {
    for node in &dm.nodes {
        for field in node.fields.iter().chain(&node.status) {
            check_field(dm, field)?;
        }
    }
    for def in &dm.types {
        match &def.body {
            TypeBody::Struct(fields) => {
                for field in fields {
                    check_field(dm, field)?;
                }
            }
            TypeBody::Underlying(ty) => check_type(dm, ty, &def.pos, &def.name, 0)?,
        }
    }
    Ok(())
}

fn check_field(dm: &Datamodel, field: &Field) -> Result<()> {
    check_type(dm, &field.ty, &field.pos, &field.go_name, 0)?;
    let kind = dm.field_kind(field);
    for validation in &field.validations {
        let (fits, applies_to) = match &validation.rule {
            ValidationRule::MaxLength(_)
            | ValidationRule::MinLength(_)
            | ValidationRule::Pattern(_) => (
                matches!(kind, JsonKind::String | JsonKind::IntOrString),
                "strings",
            ),
            ValidationRule::Maximum(_)
            | ValidationRule::Minimum(_)
            | ValidationRule::ExclusiveMaximum(_)
            | ValidationRule::ExclusiveMinimum(_) => (
                matches!(
                    kind,
                    JsonKind::Integer | JsonKind::Number | JsonKind::IntOrString
                ),
                "numbers",
            ),
            ValidationRule::MaxItems(_)
            | ValidationRule::MinItems(_)
            | ValidationRule::UniqueItems(_)
            | ValidationRule::ListType(_) => (kind == JsonKind::Array, "arrays"),
            ValidationRule::MaxProperties(_) | ValidationRule::MinProperties(_) => (
                matches!(kind, JsonKind::Object | JsonKind::FreeForm),
                "maps and objects",
            ),
        };
        if fits
            && validation.rule == ValidationRule::ListType("set".into())
            && !dm.items_are_scalar(&field.ty)
        {
            return Err(error_at(
                &validation.pos,
                format!(
                    "nexus-validation on field `{}`: ListType=set needs items that are strings, numbers or booleans (the API server refuses a set of objects or lists); use ListType=atomic or remove it",
                    field.go_name
                ),
            ));
        }
        if !fits {
            return Err(error_at(
                &validation.pos,
                format!(
                    "nexus-validation on field `{}`: {} applies to {applies_to}, but `{}` is {}; remove it or use {}",
                    field.go_name,
                    key_name(&validation.rule),
                    field.go_name,
                    kind.describe(),
                    keys_for(kind)
                ),
            ));
        }
    }
    Ok(())
}

fn key_name(rule: &ValidationRule) -> String {
    if let ValidationRule::ListType(_) = rule {
        return "ListType".to_string();
    }
    let keyword = rule.keyword();
    let mut chars = keyword.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn keys_for(kind: JsonKind) -> &'static str {
    match kind {
        JsonKind::String => "MaxLength, MinLength or Pattern",
        JsonKind::Integer | JsonKind::Number => {
            "Maximum, Minimum, ExclusiveMaximum or ExclusiveMinimum"
        }
        JsonKind::IntOrString => "a string or number key",
        JsonKind::Array => "MaxItems, MinItems or ListType",
        JsonKind::Object | JsonKind::FreeForm => "MaxProperties or MinProperties",
        JsonKind::Boolean | JsonKind::Untyped => "no nexus-validation here",
    }
}

/// Refuses maps whose keys are not strings, anywhere inside a type.
fn check_type(
    dm: &Datamodel,
    ty: &GoType,
    pos: &SourcePos,
    field: &str,
    depth: usize,
) -> Result<()> {
    if depth > MAX_NESTING {
        return Ok(());
    }
    match ty {
        GoType::Map { key, value } => {
            if dm.json_kind(key) != JsonKind::String
                || matches!(**key, GoType::Pointer(_))
                || is_byte_slice(dm, key)
            {
                return Err(error_at(
                    pos,
                    format!(
                        "`{field}` is a map with `{}` keys; JSON object keys are strings, so use map[string]…",
                        describe(dm, key)
                    ),
                ));
            }
            check_type(dm, value, pos, field, depth + 1)
        }
        GoType::Pointer(t) | GoType::Slice(t) | GoType::Array(t) => {
            check_type(dm, t, pos, field, depth + 1)
        }
        // Fields of anonymous structs carry their own positions.
        GoType::Struct(fields) => fields.iter().try_for_each(|f| check_field(dm, f)),
        _ => Ok(()),
    }
}

fn is_byte_slice(dm: &Datamodel, ty: &GoType) -> bool {
    matches!(ty, GoType::Slice(inner) if dm.is_byte(inner))
}

/// A Go-like spelling of a type, for messages.
pub(crate) fn describe(dm: &Datamodel, ty: &GoType) -> String {
    match ty {
        GoType::Basic(b) => format!("{b:?}").to_lowercase(),
        GoType::Named(id) => dm
            .types
            .get(*id)
            .map_or_else(|| "?".to_string(), |t| format!("{}.{}", t.package, t.name)),
        GoType::Pointer(t) => format!("*{}", describe(dm, t)),
        GoType::Slice(t) => format!("[]{}", describe(dm, t)),
        GoType::Array(t) => format!("[N]{}", describe(dm, t)),
        GoType::Map { key, value } => format!("map[{}]{}", describe(dm, key), describe(dm, value)),
        GoType::Struct(_) => "struct{…}".to_string(),
        GoType::Interface => "interface{}".to_string(),
        GoType::Known(k) => format!("{k:?}"),
        GoType::External { import_path, name } => format!("{import_path}.{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn routes_ignore_parameter_names() {
        assert_eq!(
            super::route_of("/root/{root.Root}/p/{a.B}"),
            "/root/{param}/p/{param}"
        );
        assert_eq!(super::route_of("/a/{}/b{"), "/a/{param}/b{");
        assert_eq!(super::route_of("/plain"), "/plain");
    }
}
