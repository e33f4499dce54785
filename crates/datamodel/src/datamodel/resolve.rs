//! Parsed packages → the model graph: which structs are nodes, what each field's type is across
//! packages (through go.mod's module path and each file's imports), and the markers on them.
//! Only types that nodes use are resolved, so helper code elsewhere in a package cannot break a
//! build.

use super::markers;
use super::model::{
    Basic, Field, GoType, KnownType, Node, NodeId, Relation, RelationKind, SourcePos, TypeBody,
    TypeDef, TypeId,
};
use super::rest::{self, Alias};
use super::syntax::{
    FieldSyntax, FileSyntax, MAX_NESTING, TypeDeclSyntax, TypeExpr, TypeExprKind, VarSyntax,
};
use super::tags::StructTag;
use crate::error::{Error, Result};
use std::collections::HashMap;

/// Type names the generated Go code of a datamodel uses for itself.
pub(crate) const RESERVED_TYPE_NAMES: [&str; 9] = [
    "ResourceVersion",
    "SchemeGroupVersion",
    "Kind",
    "Resource",
    "SchemeBuilder",
    "AddToScheme",
    "Child",
    "Link",
    "NexusStatus",
];

/// One package as parsed: its files in path order. Directories that share a package name are
/// one package (the original compiler's preparser merges them): `dir` is the first of them, and
/// every one of their import paths names this package.
#[derive(Debug)]
pub(crate) struct ParsedPackage {
    pub name: String,
    /// Relative to the root, `/`-separated.
    pub dir: String,
    pub import_paths: Vec<String>,
    pub files: Vec<FileSyntax>,
}

/// What an import stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ImportTarget {
    /// A package of this datamodel (index into the package list).
    Datamodel(usize),
    /// The nexus DSL (`…/nexus/nexus`, or a vendored copy in the datamodel's `nexus` directory).
    Nexus,
    /// Anything outside the datamodel.
    External(String),
    /// An import under the module path that names no package of the datamodel.
    Missing(String),
}

/// How one file names its imports.
#[derive(Debug, Default)]
struct FileScope {
    imports: HashMap<String, ImportTarget>,
    /// The file has an unnamed import whose package name we can only guess (`…/v2`,
    /// `gopkg.in/yaml.v3`, `go-foo`): an unknown qualifier may belong to it.
    uncertain: bool,
}

fn error_at(pos: &SourcePos, message: String) -> Error {
    Error::Parse {
        location: pos.to_string(),
        message,
    }
}

/// `ABCHost` → `aBCHost`: only the first letter is lower-cased.
pub fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn is_exported(name: &str) -> bool {
    name.chars().next().is_some_and(char::is_uppercase)
}

/// Go's predeclared types.
fn predeclared(name: &str) -> Option<std::result::Result<GoType, &'static str>> {
    let basic = |b| Some(Ok(GoType::Basic(b)));
    match name {
        "string" => basic(Basic::String),
        "bool" => basic(Basic::Bool),
        "int" => basic(Basic::Int),
        "int8" => basic(Basic::Int8),
        "int16" => basic(Basic::Int16),
        "int32" | "rune" => basic(Basic::Int32),
        "int64" => basic(Basic::Int64),
        "uint" => basic(Basic::Uint),
        "uint8" | "byte" => basic(Basic::Uint8),
        "uint16" => basic(Basic::Uint16),
        "uint32" => basic(Basic::Uint32),
        "uint64" => basic(Basic::Uint64),
        "float32" => basic(Basic::Float32),
        "float64" => basic(Basic::Float64),
        "any" => Some(Ok(GoType::Interface)),
        "complex64" | "complex128" => Some(Err("a complex number")),
        "uintptr" => Some(Err("a uintptr")),
        "error" => Some(Err("an error value")),
        _ => None,
    }
}

/// Types from outside the datamodel whose JSON shape is fixed.
fn known_external(path: &str, name: &str) -> GoType {
    const META: &str = "k8s.io/apimachinery/pkg/apis/meta/v1";
    match (path, name) {
        ("time", "Time") => GoType::Known(KnownType::Time),
        ("time", "Duration") => GoType::Basic(Basic::Int64),
        (META, "Time" | "MicroTime") => GoType::Known(KnownType::MetaTime),
        (META, "Duration") => GoType::Known(KnownType::MetaDuration),
        ("k8s.io/apimachinery/pkg/api/resource", "Quantity") => GoType::Known(KnownType::Quantity),
        ("k8s.io/apimachinery/pkg/util/intstr", "IntOrString") => {
            GoType::Known(KnownType::IntOrString)
        }
        _ => GoType::External {
            import_path: path.to_string(),
            name: name.to_string(),
        },
    }
}

/// The package names an unnamed import of an outside package may go by. Go uses the imported
/// package's own `package` clause, which we cannot read; these are the conventional ones.
fn default_external_names(path: &str) -> (Vec<String>, bool) {
    let mut segments = path.rsplit('/');
    let last = segments.next().unwrap_or(path);
    let mut names = vec![last.to_string()];
    let mut uncertain = false;
    // `…/bar/v2` is usually package `bar`; `k8s.io/api/core/v1` is package `v1`: allow both.
    if last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit()) {
        if let Some(previous) = segments.next() {
            names.push(previous.to_string());
        }
        uncertain = true;
    }
    // `gopkg.in/yaml.v3` is package `yaml`.
    if let Some((base, _)) = last.split_once(".v") {
        names.push(base.to_string());
        uncertain = true;
    }
    if last.contains(['-', '.']) {
        names.push(last.trim_start_matches("go-").replace(['-', '.'], ""));
        uncertain = true;
    }
    (names, uncertain)
}

/// Whether an import path is the nexus DSL: its last element is `nexus` (the upstream
/// `…/nexus/nexus`, or a vendored copy whose package is skipped).
fn is_nexus_import(path: &str) -> bool {
    path.rsplit('/').next() == Some("nexus")
}

/// Resolution state of one named type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    InProgress,
    Done,
}

/// Where a declaration lives: package, file and index in that file's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DeclRef {
    package: usize,
    file: usize,
    index: usize,
}

pub(crate) struct Resolved {
    pub nodes: Vec<Node>,
    pub types: Vec<TypeDef>,
}

pub(crate) struct Resolver<'a> {
    packages: &'a [ParsedPackage],
    scopes: Vec<Vec<FileScope>>,
    type_index: Vec<HashMap<&'a str, DeclRef>>,
    var_index: Vec<HashMap<&'a str, DeclRef>>,
    node_index: HashMap<(usize, &'a str), NodeId>,
    type_ids: HashMap<(usize, &'a str), TypeId>,
    type_decls: Vec<DeclRef>,
    types: Vec<Option<TypeDef>>,
    states: Vec<State>,
    queue: Vec<TypeId>,
}

impl<'a> Resolver<'a> {
    /// Indexes the packages: declarations by name, imports per file.
    pub(crate) fn new(module: &str, packages: &'a [ParsedPackage]) -> Result<Resolver<'a>> {
        let by_import_path: HashMap<&str, usize> = packages
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.import_paths.iter().map(move |path| (path.as_str(), i)))
            .collect();
        let mut scopes = Vec::with_capacity(packages.len());
        let mut type_index = Vec::with_capacity(packages.len());
        let mut var_index = Vec::with_capacity(packages.len());
        for (pi, package) in packages.iter().enumerate() {
            let mut files = Vec::with_capacity(package.files.len());
            let mut types: HashMap<&str, DeclRef> = HashMap::new();
            let mut vars: HashMap<&str, DeclRef> = HashMap::new();
            for (fi, file) in package.files.iter().enumerate() {
                files.push(file_scope(module, file, packages, &by_import_path)?);
                for (index, decl) in file.types.iter().enumerate() {
                    if RESERVED_TYPE_NAMES.contains(&decl.name.as_str()) {
                        return Err(error_at(
                            &decl.pos,
                            format!(
                                "type name `{}` is reserved (the code nexus generates for every package declares it); rename the type",
                                decl.name
                            ),
                        ));
                    }
                    let here = DeclRef {
                        package: pi,
                        file: fi,
                        index,
                    };
                    if decl.name == "_" {
                        continue;
                    }
                    if let Some(first) = types.insert(&decl.name, here) {
                        let first_pos = &package.files[first.file].types[first.index].pos;
                        return Err(error_at(
                            &decl.pos,
                            format!(
                                "type `{}` is declared twice in package `{}` (first at {first_pos}); rename or remove one",
                                decl.name, package.name
                            ),
                        ));
                    }
                }
                for (index, var) in file.vars.iter().enumerate() {
                    vars.entry(var.name.as_str()).or_insert(DeclRef {
                        package: pi,
                        file: fi,
                        index,
                    });
                }
            }
            scopes.push(files);
            type_index.push(types);
            var_index.push(vars);
        }
        Ok(Resolver {
            packages,
            scopes,
            type_index,
            var_index,
            node_index: HashMap::new(),
            type_ids: HashMap::new(),
            type_decls: Vec::new(),
            types: Vec::new(),
            states: Vec::new(),
            queue: Vec::new(),
        })
    }

    fn decl(&self, r: DeclRef) -> &'a TypeDeclSyntax {
        &self.packages[r.package].files[r.file].types[r.index]
    }

    /// Whether an embedded field is `nexus.Node` / `nexus.SingletonNode`; `Some(true)` for a
    /// singleton.
    fn node_embed(&self, package: usize, file: usize, field: &FieldSyntax) -> Option<bool> {
        if !field.names.is_empty() {
            return None;
        }
        let TypeExprKind::Qualified {
            package: alias,
            name,
        } = &field.ty.kind
        else {
            return None;
        };
        if self.scopes[package][file].imports.get(alias) != Some(&ImportTarget::Nexus) {
            return None;
        }
        match name.as_str() {
            "Node" => Some(false),
            "SingletonNode" => Some(true),
            _ => None,
        }
    }

    /// Finds every node, resolves everything they use, and returns the graph's parts.
    pub(crate) fn resolve(mut self) -> Result<Resolved> {
        // Nodes first, in a stable order, so relations can name their targets by id.
        let mut node_decls: Vec<(DeclRef, bool)> = Vec::new();
        for (pi, package) in self.packages.iter().enumerate() {
            for (fi, file) in package.files.iter().enumerate() {
                for (index, decl) in file.types.iter().enumerate() {
                    let TypeExprKind::Struct(fields) = &decl.ty.kind else {
                        continue;
                    };
                    let embeds: Vec<bool> = fields
                        .iter()
                        .filter_map(|f| self.node_embed(pi, fi, f))
                        .collect();
                    let Some(&singleton) = embeds.first() else {
                        continue;
                    };
                    if embeds.len() > 1 {
                        return Err(error_at(
                            &decl.pos,
                            format!(
                                "`{}` embeds nexus.Node or nexus.SingletonNode more than once; keep exactly one",
                                decl.name
                            ),
                        ));
                    }
                    if decl.generic {
                        return Err(error_at(
                            &decl.pos,
                            format!(
                                "node `{}` has type parameters; a node must be a plain struct",
                                decl.name
                            ),
                        ));
                    }
                    node_decls.push((
                        DeclRef {
                            package: pi,
                            file: fi,
                            index,
                        },
                        singleton,
                    ));
                }
            }
        }
        node_decls.sort_by(|(a, _), (b, _)| {
            let key = |r: &DeclRef| (&self.packages[r.package].name, &self.decl(*r).name);
            key(a).cmp(&key(b))
        });
        for (id, (r, _)) in node_decls.iter().enumerate() {
            self.node_index
                .insert((r.package, self.decl(*r).name.as_str()), id);
        }

        let mut nodes = Vec::with_capacity(node_decls.len());
        for (r, singleton) in &node_decls {
            let node = self.node(*r, *singleton)?;
            nodes.push(node);
        }
        while let Some(id) = self.queue.pop() {
            self.ensure_resolved(id, 0)?;
        }
        let mut types = Vec::with_capacity(self.types.len());
        for (id, slot) in self.types.into_iter().enumerate() {
            match slot {
                Some(def) => types.push(def),
                None => {
                    return Err(Error::input(format!(
                        "internal error: type #{id} was referenced but never resolved"
                    )));
                }
            }
        }
        Ok(Resolved { nodes, types })
    }

    fn node(&mut self, r: DeclRef, singleton: bool) -> Result<Node> {
        let decl = self.decl(r);
        let packages = self.packages;
        let package = &packages[r.package];
        let TypeExprKind::Struct(fields) = &decl.ty.kind else {
            return Err(error_at(
                &decl.pos,
                "internal error: node is not a struct".to_string(),
            ));
        };
        let mut relations = Vec::new();
        let mut status: Option<Field> = None;
        let mut spec_fields: Vec<&FieldSyntax> = Vec::new();
        for field in fields {
            if self.node_embed(r.package, r.file, field).is_some() {
                continue;
            }
            let tag = field
                .tag
                .as_deref()
                .map(StructTag::parse)
                .unwrap_or_default();
            let Some(nexus) = tag.get("nexus") else {
                spec_fields.push(field);
                continue;
            };
            let kind = match nexus {
                "child" => RelationKind::Child,
                "children" => RelationKind::Children,
                "link" => RelationKind::Link,
                "links" => RelationKind::Links,
                "status" => {
                    let names = field_names(field);
                    for (name, pos) in names {
                        if let Some(first) = &status {
                            return Err(error_at(
                                &pos,
                                format!(
                                    "node `{}` has a second status field `{name}` (the first is `{}` at {}); a node has at most one status, put everything in one struct",
                                    decl.name, first.go_name, first.pos
                                ),
                            ));
                        }
                        let ty = self.type_of(r.package, r.file, &field.ty, 0)?;
                        status = Some(Field {
                            property: lower_first(&name),
                            go_name: name.clone(),
                            ty,
                            optional: true,
                            as_string: tag.json().string,
                            json_encoded: is_json_encoded(&tag, field),
                            validations: markers::validations(&name, &field.doc)?,
                            pos,
                        });
                    }
                    continue;
                }
                // Any other nexus tag leaves the field out of the spec.
                _ => continue,
            };
            let target = self.relation_target(r, field, kind, &decl.name)?;
            for (name, pos) in field_names(field) {
                relations.push(Relation {
                    field: name,
                    kind,
                    target,
                    pos,
                });
            }
        }
        let fields = self.struct_fields(r.package, r.file, spec_fields, 0)?;

        let markers = markers::type_markers(&decl.name, &decl.doc)?;
        let rest_api = match &markers.rest_api_gen {
            Some((var, pos)) => {
                let scope = PackageScope {
                    resolver: self,
                    package: r.package,
                };
                Some(rest::evaluate(&scope, var, pos, &decl.name)?)
            }
            None => None,
        };
        Ok(Node {
            package: package.name.clone(),
            package_dir: package.dir.clone(),
            name: decl.name.clone(),
            singleton,
            fields,
            relations,
            status,
            rest_api,
            description: markers.description,
            parent: None,
            pos: decl.pos.clone(),
        })
    }

    /// The node a `child`/`children`/`link`/`links` field points at.
    fn relation_target(
        &self,
        owner: DeclRef,
        field: &FieldSyntax,
        kind: RelationKind,
        owner_name: &str,
    ) -> Result<NodeId> {
        let field_name = field_names(field)
            .first()
            .map_or_else(String::new, |(n, _)| n.clone());
        let shape = match &field.ty.kind {
            TypeExprKind::Pointer(_) => Some("a pointer"),
            TypeExprKind::Slice(_) | TypeExprKind::Array(_) => Some("a slice"),
            TypeExprKind::Map { .. } => Some("a map"),
            _ => None,
        };
        if let Some(shape) = shape {
            let many = if kind.is_child() { "children" } else { "links" };
            return Err(error_at(
                &field.ty.pos,
                format!(
                    "`{owner_name}.{field_name}` is tagged nexus:\"{}\" but its type is {shape}; name the node type directly (`{field_name} T`), and use nexus:\"{many}\" for many",
                    kind.as_str()
                ),
            ));
        }
        let (package, name) = match &field.ty.kind {
            TypeExprKind::Name(name) => (owner.package, name.as_str()),
            TypeExprKind::Qualified {
                package: alias,
                name,
            } => match self.scopes[owner.package][owner.file].imports.get(alias) {
                Some(ImportTarget::Datamodel(p)) => (*p, name.as_str()),
                Some(ImportTarget::Missing(path)) => {
                    return Err(self.missing_import(&field.ty.pos, path));
                }
                Some(_) => {
                    return Err(error_at(
                        &field.ty.pos,
                        format!(
                            "`{owner_name}.{field_name}` is tagged nexus:\"{}\" but `{alias}.{name}` is not part of the datamodel; point it at a node type of the datamodel",
                            kind.as_str()
                        ),
                    ));
                }
                None => return Err(self.unknown_alias(&field.ty.pos, alias)),
            },
            _ => {
                return Err(error_at(
                    &field.ty.pos,
                    format!(
                        "`{owner_name}.{field_name}` is tagged nexus:\"{}\"; its type must be a node type (`T` or `pkg.T`)",
                        kind.as_str()
                    ),
                ));
            }
        };
        if let Some(id) = self.node_index.get(&(package, name)) {
            return Ok(*id);
        }
        let package_name = &self.packages[package].name;
        if self.type_index[package].contains_key(name) {
            Err(error_at(
                &field.ty.pos,
                format!(
                    "`{owner_name}.{field_name}` is tagged nexus:\"{}\" but `{package_name}.{name}` is not a node; embed nexus.Node in `{name}`",
                    kind.as_str()
                ),
            ))
        } else {
            Err(error_at(
                &field.ty.pos,
                format!(
                    "cannot resolve type `{name}`: package `{package_name}` declares no such type; declare it or fix the name"
                ),
            ))
        }
    }

    fn missing_import(&self, pos: &SourcePos, path: &str) -> Error {
        error_at(
            pos,
            format!(
                "import `{path}` is under the module path but names no package of the datamodel (no Go files there, or the directory is skipped); fix the import or add the package"
            ),
        )
    }

    fn unknown_alias(&self, pos: &SourcePos, alias: &str) -> Error {
        error_at(
            pos,
            format!(
                "cannot resolve `{alias}`: this file imports no package by that name; add the import"
            ),
        )
    }

    /// The id of a named non-node type, queued for resolution.
    fn named(&mut self, package: usize, name: &'a str, r: DeclRef) -> TypeId {
        if let Some(id) = self.type_ids.get(&(package, name)) {
            return *id;
        }
        let id = self.types.len();
        self.types.push(None);
        self.states.push(State::Pending);
        self.type_decls.push(r);
        self.type_ids.insert((package, name), id);
        self.queue.push(id);
        id
    }

    /// Resolves a named type's body now (embedding needs the fields at once).
    fn ensure_resolved(&mut self, id: TypeId, depth: usize) -> Result<()> {
        let Some(state) = self.states.get(id).copied() else {
            return Err(Error::input(format!("internal error: unknown type #{id}")));
        };
        let r = self.type_decls[id];
        let decl = self.decl(r);
        match state {
            State::Done => return Ok(()),
            State::InProgress => {
                return Err(error_at(
                    &decl.pos,
                    format!(
                        "struct `{}` embeds itself (directly or through other structs); remove the loop",
                        decl.name
                    ),
                ));
            }
            State::Pending => {}
        }
        if depth > MAX_NESTING {
            return Err(error_at(
                &decl.pos,
                format!("structs embed each other more than {MAX_NESTING} levels deep"),
            ));
        }
        if decl.generic {
            return Err(error_at(
                &decl.pos,
                format!(
                    "type `{}` has type parameters; datamodel types cannot be generic",
                    decl.name
                ),
            ));
        }
        self.states[id] = State::InProgress;
        let body = match &decl.ty.kind {
            TypeExprKind::Struct(fields) => {
                TypeBody::Struct(self.struct_fields(r.package, r.file, fields, depth + 1)?)
            }
            _ => TypeBody::Underlying(self.type_of(r.package, r.file, &decl.ty, 0)?),
        };
        self.types[id] = Some(TypeDef {
            package: self.packages[r.package].name.clone(),
            name: decl.name.clone(),
            pos: decl.pos.clone(),
            body,
        });
        self.states[id] = State::Done;
        Ok(())
    }

    /// Resolves a type expression written in a file.
    fn type_of(
        &mut self,
        package: usize,
        file: usize,
        expr: &'a TypeExpr,
        depth: usize,
    ) -> Result<GoType> {
        if depth > MAX_NESTING {
            return Err(error_at(
                &expr.pos,
                format!("type nested more than {MAX_NESTING} levels deep"),
            ));
        }
        let boxed = |t| Box::new(t);
        Ok(match &expr.kind {
            TypeExprKind::Name(name) => {
                if let Some(r) = self.type_index[package].get(name.as_str()).copied() {
                    self.named_use(package, name, r, &expr.pos)?
                } else {
                    match predeclared(name) {
                        Some(Ok(t)) => t,
                        Some(Err(what)) => return Err(unsupported(&expr.pos, name, what)),
                        None => {
                            return Err(error_at(
                                &expr.pos,
                                format!(
                                    "cannot resolve type `{name}`: package `{}` declares no such type; declare it, or import its package and write `pkg.{name}`",
                                    self.packages[package].name
                                ),
                            ));
                        }
                    }
                }
            }
            TypeExprKind::Qualified {
                package: alias,
                name,
            } => {
                let scope = &self.scopes[package][file];
                let uncertain = scope.uncertain;
                match scope.imports.get(alias).cloned() {
                    Some(ImportTarget::Datamodel(p)) => {
                        match self.type_index[p].get(name.as_str()).copied() {
                            Some(r) => self.named_use(p, name, r, &expr.pos)?,
                            None => {
                                return Err(error_at(
                                    &expr.pos,
                                    format!(
                                        "cannot resolve type `{alias}.{name}`: package `{}` ({}) declares no such type; fix the name or declare it",
                                        self.packages[p].name,
                                        display_dir(&self.packages[p].dir)
                                    ),
                                ));
                            }
                        }
                    }
                    // The DSL's free-form type: an empty struct.
                    Some(ImportTarget::Nexus) if name == "NexusGenericObject" => {
                        GoType::Struct(Vec::new())
                    }
                    Some(ImportTarget::Nexus) => {
                        return Err(error_at(
                            &expr.pos,
                            format!(
                                "nexus.{name} cannot be the type of a field; nodes embed nexus.Node, fields use ordinary types"
                            ),
                        ));
                    }
                    Some(ImportTarget::External(path)) => known_external(&path, name),
                    Some(ImportTarget::Missing(path)) => {
                        return Err(self.missing_import(&expr.pos, &path));
                    }
                    None if uncertain => GoType::External {
                        import_path: alias.clone(),
                        name: name.clone(),
                    },
                    None => return Err(self.unknown_alias(&expr.pos, alias)),
                }
            }
            TypeExprKind::Pointer(inner) => {
                GoType::Pointer(boxed(self.type_of(package, file, inner, depth + 1)?))
            }
            TypeExprKind::Slice(inner) => {
                GoType::Slice(boxed(self.type_of(package, file, inner, depth + 1)?))
            }
            TypeExprKind::Array(inner) => {
                GoType::Array(boxed(self.type_of(package, file, inner, depth + 1)?))
            }
            TypeExprKind::Map { key, value } => GoType::Map {
                key: boxed(self.type_of(package, file, key, depth + 1)?),
                value: boxed(self.type_of(package, file, value, depth + 1)?),
            },
            TypeExprKind::Struct(fields) => {
                GoType::Struct(self.struct_fields(package, file, fields, depth + 1)?)
            }
            TypeExprKind::Interface => GoType::Interface,
            TypeExprKind::Unsupported(what) => {
                return Err(error_at(
                    &expr.pos,
                    format!("{what} cannot be stored in a CRD; use a type JSON can hold"),
                ));
            }
        })
    }

    /// A named type used as a field type: nodes are refused (they are related, not embedded).
    fn named_use(
        &mut self,
        package: usize,
        name: &'a str,
        r: DeclRef,
        pos: &SourcePos,
    ) -> Result<GoType> {
        if self.node_index.contains_key(&(package, name)) {
            return Err(error_at(
                pos,
                format!(
                    "`{}.{name}` is a node and cannot be a field's type; tag the field nexus:\"child\", \"children\", \"link\" or \"links\"",
                    self.packages[package].name
                ),
            ));
        }
        Ok(GoType::Named(self.named(package, name, r)))
    }

    /// The fields of an embedded named type whose underlying type is a struct (through
    /// `type A = B` and `type A B` chains), or `None` when it is not a struct.
    fn embedded_struct(&mut self, mut id: TypeId, depth: usize) -> Result<Option<Vec<Field>>> {
        for _ in 0..=MAX_NESTING {
            self.ensure_resolved(id, depth)?;
            match self.types.get(id).and_then(Option::as_ref).map(|t| &t.body) {
                Some(TypeBody::Struct(fields)) => return Ok(Some(fields.clone())),
                Some(TypeBody::Underlying(GoType::Named(next))) => id = *next,
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// The JSON properties of a struct, in declaration order, embedded structs inlined.
    fn struct_fields(
        &mut self,
        package: usize,
        file: usize,
        fields: impl IntoIterator<Item = &'a FieldSyntax>,
        depth: usize,
    ) -> Result<Vec<Field>> {
        // (field, inlined from an embedded struct) — Go lets a direct field hide an inlined one.
        let mut out: Vec<(Field, bool)> = Vec::new();
        for field in fields {
            let tag = field
                .tag
                .as_deref()
                .map(StructTag::parse)
                .unwrap_or_default();
            let json = tag.json();
            if json.skip || tag.get("nexus").is_some() {
                continue;
            }
            if field.names.is_empty() {
                let Some(type_name) = embedded_type_name(&field.ty) else {
                    continue;
                };
                let ty = self.type_of(package, file, &field.ty, depth + 1)?;
                let mut target = &ty;
                if let GoType::Pointer(inner) = target {
                    target = inner;
                }
                if json.name.is_none() {
                    match target {
                        GoType::Named(id) => {
                            if let Some(inner) = self.embedded_struct(*id, depth + 1)? {
                                out.extend(inner.into_iter().map(|f| (f, true)));
                                continue;
                            }
                        }
                        GoType::External { .. } | GoType::Known(_) => {
                            return Err(error_at(
                                &field.ty.pos,
                                format!(
                                    "embedded `{type_name}` comes from outside the datamodel, so its fields cannot be inlined; give the field a name (`{type_name} pkg.{type_name}`)"
                                ),
                            ));
                        }
                        _ => {}
                    }
                }
                if !is_exported(type_name) {
                    continue;
                }
                out.push((
                    Field {
                        go_name: type_name.to_string(),
                        property: json.name.clone().unwrap_or_else(|| lower_first(type_name)),
                        ty,
                        optional: json.omitempty,
                        as_string: json.string,
                        json_encoded: is_json_encoded(&tag, field),
                        validations: markers::validations(type_name, &field.doc)?,
                        pos: field.pos.clone(),
                    },
                    false,
                ));
                continue;
            }
            for (name, pos) in field_names(field) {
                // encoding/json ignores unexported fields, and so does the schema.
                if !is_exported(&name) {
                    continue;
                }
                let ty = self.type_of(package, file, &field.ty, depth + 1)?;
                out.push((
                    Field {
                        property: json.name.clone().unwrap_or_else(|| lower_first(&name)),
                        validations: markers::validations(&name, &field.doc)?,
                        go_name: name,
                        ty,
                        optional: json.omitempty,
                        as_string: json.string,
                        json_encoded: is_json_encoded(&tag, field),
                        pos,
                    },
                    false,
                ));
            }
        }
        dedupe_properties(out)
    }
}

/// Applies Go's rule for clashing JSON names: a direct field hides inlined ones; two fields at
/// the same level clash, which we report rather than silently drop both (as encoding/json does).
fn dedupe_properties(fields: Vec<(Field, bool)>) -> Result<Vec<Field>> {
    // Slots keep the order of first appearance; a direct field that hides an inlined one leaves
    // an empty slot behind and takes a new one at the end. The index makes each lookup O(1), so
    // a struct with n fields costs O(n), not O(n²).
    let mut slots: Vec<Option<(Field, bool)>> = Vec::with_capacity(fields.len());
    let mut slot_of: HashMap<String, usize> = HashMap::with_capacity(fields.len());
    for (field, inlined) in fields {
        let Some(&i) = slot_of.get(&field.property) else {
            slot_of.insert(field.property.clone(), slots.len());
            slots.push(Some((field, inlined)));
            continue;
        };
        let Some((first, first_inlined)) = &slots[i] else {
            continue;
        };
        match (first_inlined, inlined) {
            (false, true) => {}
            (true, false) => {
                slots[i] = None;
                slot_of.insert(field.property.clone(), slots.len());
                slots.push(Some((field, inlined)));
            }
            _ => {
                return Err(error_at(
                    &field.pos,
                    format!(
                        "fields `{}` and `{}` (at {}) both become the JSON property `{}`; give one a different json tag",
                        field.go_name, first.go_name, first.pos, field.property
                    ),
                ));
            }
        }
    }
    Ok(slots.into_iter().flatten().map(|(f, _)| f).collect())
}

fn unsupported(pos: &SourcePos, name: &str, what: &str) -> Error {
    error_at(
        pos,
        format!("`{name}` is {what}, which cannot be stored in a CRD; use a type JSON can hold"),
    )
}

fn display_dir(dir: &str) -> String {
    if dir.is_empty() {
        "the root directory".to_string()
    } else {
        format!("directory `{dir}`")
    }
}

fn field_names(field: &FieldSyntax) -> Vec<(String, SourcePos)> {
    if field.names.is_empty() {
        embedded_type_name(&field.ty)
            .map(|n| vec![(n.to_string(), field.pos.clone())])
            .unwrap_or_default()
    } else {
        field.names.clone()
    }
}

/// The name an embedded field goes by: its type's name.
fn embedded_type_name(ty: &TypeExpr) -> Option<&str> {
    match &ty.kind {
        TypeExprKind::Name(n) => Some(n),
        TypeExprKind::Qualified { name, .. } => Some(name),
        TypeExprKind::Pointer(inner) => embedded_type_name(inner),
        _ => None,
    }
}

fn is_json_encoded(tag: &StructTag, field: &FieldSyntax) -> bool {
    tag.get("nexus-graphql-jsonencoded").is_some() || markers::has_json_encoded_marker(&field.doc)
}

/// How one file's imports map to packages.
fn file_scope(
    module: &str,
    file: &FileSyntax,
    packages: &[ParsedPackage],
    by_import_path: &HashMap<&str, usize>,
) -> Result<FileScope> {
    let mut scope = FileScope::default();
    for import in &file.imports {
        let in_module = import.path == module || import.path.starts_with(&format!("{module}/"));
        let target = if let Some(p) = by_import_path.get(import.path.as_str()) {
            ImportTarget::Datamodel(*p)
        } else if is_nexus_import(&import.path) {
            ImportTarget::Nexus
        } else if in_module {
            ImportTarget::Missing(import.path.clone())
        } else {
            ImportTarget::External(import.path.clone())
        };
        match import.alias.as_deref() {
            Some("_") => continue,
            Some(".") => {
                if matches!(target, ImportTarget::Datamodel(_) | ImportTarget::Nexus) {
                    return Err(error_at(
                        &import.pos,
                        format!(
                            "dot import of `{}`; import it with a name so types can be traced to their package",
                            import.path
                        ),
                    ));
                }
                continue;
            }
            Some(alias) => {
                scope.imports.insert(alias.to_string(), target);
            }
            None => match &target {
                ImportTarget::Datamodel(p) => {
                    scope.imports.insert(packages[*p].name.clone(), target);
                }
                ImportTarget::Nexus => {
                    scope.imports.insert("nexus".to_string(), target);
                }
                ImportTarget::Missing(path) | ImportTarget::External(path) => {
                    let (names, uncertain) = default_external_names(path);
                    scope.uncertain |= uncertain;
                    for name in names {
                        scope.imports.entry(name).or_insert_with(|| target.clone());
                    }
                }
            },
        }
    }
    Ok(scope)
}

/// The variables of one package, for evaluating REST API specs.
struct PackageScope<'r, 'a> {
    resolver: &'r Resolver<'a>,
    package: usize,
}

impl rest::Scope for PackageScope<'_, '_> {
    fn var(&self, name: &str) -> Option<(&VarSyntax, usize)> {
        let r = self.resolver.var_index[self.package].get(name)?;
        let var = &self.resolver.packages[r.package].files[r.file].vars[r.index];
        Some((var, r.file))
    }

    fn alias(&self, file: usize, alias: &str) -> Alias {
        let imports = self
            .resolver
            .scopes
            .get(self.package)
            .and_then(|files| files.get(file))
            .map(|s| &s.imports);
        match imports.and_then(|i| i.get(alias)) {
            Some(ImportTarget::Nexus) => Alias::Nexus,
            Some(ImportTarget::External(path)) if path == "net/http" => Alias::Http,
            _ => Alias::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_first_only_touches_the_first_letter() {
        assert_eq!(lower_first("ABCHost"), "aBCHost");
        assert_eq!(lower_first("Name"), "name");
        assert_eq!(lower_first(""), "");
    }

    #[test]
    fn guesses_external_package_names() {
        assert_eq!(
            default_external_names("time"),
            (vec!["time".to_string()], false)
        );
        let (names, uncertain) = default_external_names("k8s.io/apimachinery/pkg/apis/meta/v1");
        assert!(names.contains(&"v1".to_string()) && uncertain);
        let (names, _) = default_external_names("gopkg.in/yaml.v3");
        assert!(names.contains(&"yaml".to_string()));
        let (names, _) = default_external_names("github.com/x/go-yaml");
        assert!(names.contains(&"yaml".to_string()));
    }

    #[test]
    fn recognises_the_nexus_dsl_import() {
        assert!(is_nexus_import(
            "github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus"
        ));
        assert!(is_nexus_import("example.com/dm/nexus"));
        assert!(!is_nexus_import("example.com/nexusx"));
    }
}
