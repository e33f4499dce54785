//! The model graph: what a datamodel means once its Go source is parsed and every type resolved.
//! Generation reads only these types; nothing here refers back to syntax trees.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A place in the datamodel's source, shown as `file:line:column` (1-based, column in bytes like
/// the Go toolchain).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourcePos {
    /// The file as the user would name it (the datamodel root joined with the relative path).
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for SourcePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Index of a node in [`Datamodel::nodes`].
pub type NodeId = usize;
/// Index of a type in [`Datamodel::types`].
pub type TypeId = usize;

/// A whole datamodel: its settings, packages, nodes and the non-node types they use.
#[derive(Debug, Clone)]
pub struct Datamodel {
    /// The directory that holds `nexus.yaml` and `go.mod`.
    pub root: PathBuf,
    /// `groupName` from nexus.yaml: package `p` gets the API group `p.<group>`.
    pub group: String,
    /// `datamodelName` from nexus.yaml, when given.
    pub name: Option<String>,
    /// The module path from go.mod: how packages import each other.
    pub module: String,
    /// Every package, sorted by directory.
    pub packages: Vec<Package>,
    /// Every node, sorted by package name then type name.
    pub nodes: Vec<Node>,
    /// Every non-node type a node uses (directly or through other types).
    pub types: Vec<TypeDef>,
}

impl Datamodel {
    /// The ancestors of a node, root first (empty for a node nobody claims as a child).
    pub fn hierarchy(&self, id: NodeId) -> Vec<NodeId> {
        let mut chain = Vec::new();
        let mut current = self.nodes.get(id).and_then(|n| n.parent);
        // Load guarantees there is no cycle; the bound keeps a broken invariant from hanging.
        while let Some(parent) = current {
            if chain.len() > self.nodes.len() {
                break;
            }
            chain.push(parent);
            current = self.nodes.get(parent).and_then(|n| n.parent);
        }
        chain.reverse();
        chain
    }

    /// Whether a node is a root: declared in the root directory and claimed by no other node.
    pub fn is_root(&self, id: NodeId) -> bool {
        self.nodes
            .get(id)
            .is_some_and(|n| n.parent.is_none() && n.package_dir.is_empty())
    }
}

/// One Go package of the datamodel (one directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The name in its `package` clause.
    pub name: String,
    /// Its directory relative to the root, with `/` separators (`""` for the root directory).
    pub dir: String,
    /// The import path other packages use for it.
    pub import_path: String,
}

/// A struct that embeds `nexus.Node` or `nexus.SingletonNode`: one CRD.
#[derive(Debug, Clone)]
pub struct Node {
    /// Package name (the `p` of the API group `p.<group>`).
    pub package: String,
    /// Directory of the package, relative to the root (`""` for the root directory).
    pub package_dir: String,
    /// Go type name (the CRD kind).
    pub name: String,
    /// Embeds `nexus.SingletonNode`.
    pub singleton: bool,
    /// Spec fields as JSON properties, in declaration order (embedded structs already inlined).
    pub fields: Vec<Field>,
    /// `child`, `children`, `link` and `links` fields, in declaration order.
    pub relations: Vec<Relation>,
    /// The `nexus:"status"` field; its property is `lowerFirst(go_name)`.
    pub status: Option<Field>,
    /// The `nexus-rest-api-gen` specification, when the node has the marker.
    pub rest_api: Option<RestApiSpec>,
    /// The `nexus-description` text, when given.
    pub description: Option<String>,
    /// The node that claims this one as a child, if any.
    pub parent: Option<NodeId>,
    /// Where the type is declared.
    pub pos: SourcePos,
}

/// How a node refers to another node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelationKind {
    Child,
    Children,
    Link,
    Links,
}

impl RelationKind {
    /// The `nexus:"…"` tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            RelationKind::Child => "child",
            RelationKind::Children => "children",
            RelationKind::Link => "link",
            RelationKind::Links => "links",
        }
    }

    /// Named relations (`children`, `links`) hold many targets, keyed by name.
    pub fn is_named(self) -> bool {
        matches!(self, RelationKind::Children | RelationKind::Links)
    }

    /// Children shape the hierarchy; links do not.
    pub fn is_child(self) -> bool {
        matches!(self, RelationKind::Child | RelationKind::Children)
    }
}

/// A `child` / `children` / `link` / `links` field.
#[derive(Debug, Clone)]
pub struct Relation {
    /// The Go field name.
    pub field: String,
    pub kind: RelationKind,
    pub target: NodeId,
    pub pos: SourcePos,
}

/// A named non-node type of the datamodel.
#[derive(Debug, Clone)]
pub struct TypeDef {
    pub package: String,
    pub name: String,
    pub pos: SourcePos,
    pub body: TypeBody,
}

/// What a named type stands for.
#[derive(Debug, Clone)]
pub enum TypeBody {
    /// `type T struct {…}`: its JSON properties in declaration order.
    Struct(Vec<Field>),
    /// `type T U` or `type T = U`: the schema is U's.
    Underlying(GoType),
}

/// A resolved Go type, as far as its JSON shape is concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum GoType {
    Basic(Basic),
    /// A named non-node type of the datamodel.
    Named(TypeId),
    Pointer(Box<GoType>),
    Slice(Box<GoType>),
    Array(Box<GoType>),
    Map {
        key: Box<GoType>,
        value: Box<GoType>,
    },
    /// An anonymous `struct {…}`.
    Struct(Vec<Field>),
    /// `interface{…}` or `any`.
    Interface,
    /// A type from outside the datamodel whose JSON shape is known.
    Known(KnownType),
    /// Any other type from outside the datamodel.
    External {
        import_path: String,
        name: String,
    },
}

/// Go's predeclared scalar types (aliases folded: `byte` is `Uint8`, `rune` is `Int32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basic {
    String,
    Bool,
    Int,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Float32,
    Float64,
}

/// Types from outside the datamodel with a fixed JSON shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownType {
    /// `time.Time`.
    Time,
    /// `metav1.Time` / `metav1.MicroTime`.
    MetaTime,
    /// `metav1.Duration`.
    MetaDuration,
    /// `resource.Quantity`.
    Quantity,
    /// `intstr.IntOrString`.
    IntOrString,
}

/// One JSON property of a struct or node.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The Go field name (the type name for an embedded field).
    pub go_name: String,
    /// The JSON property name.
    pub property: String,
    pub ty: GoType,
    /// The json tag has `omitempty` (or `omitzero`): the property is not required.
    pub optional: bool,
    /// The json tag has `,string`: a number or bool travels as a JSON string.
    pub as_string: bool,
    /// `nexus-graphql-jsonencoded`: a free-form value.
    pub json_encoded: bool,
    /// `nexus-validation` rules, in the order written.
    pub validations: Vec<Validation>,
    pub pos: SourcePos,
}

/// One `nexus-validation` rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    pub rule: ValidationRule,
    pub pos: SourcePos,
}

/// The `nexus-validation` keys and their values.
#[derive(Debug, Clone, PartialEq)]
pub enum ValidationRule {
    MaxLength(u64),
    MinLength(u64),
    Pattern(String),
    Maximum(serde_json::Number),
    Minimum(serde_json::Number),
    ExclusiveMaximum(bool),
    ExclusiveMinimum(bool),
    MaxItems(u64),
    MinItems(u64),
    UniqueItems(bool),
    /// `ListType=atomic|set`: `x-kubernetes-list-type`, what CRDs use instead of `uniqueItems`.
    ListType(String),
    MaxProperties(u64),
    MinProperties(u64),
}

impl ValidationRule {
    /// The OpenAPI keyword this rule sets.
    pub fn keyword(&self) -> &'static str {
        match self {
            ValidationRule::MaxLength(_) => "maxLength",
            ValidationRule::MinLength(_) => "minLength",
            ValidationRule::Pattern(_) => "pattern",
            ValidationRule::Maximum(_) => "maximum",
            ValidationRule::Minimum(_) => "minimum",
            ValidationRule::ExclusiveMaximum(_) => "exclusiveMaximum",
            ValidationRule::ExclusiveMinimum(_) => "exclusiveMinimum",
            ValidationRule::MaxItems(_) => "maxItems",
            ValidationRule::MinItems(_) => "minItems",
            ValidationRule::UniqueItems(_) => "uniqueItems",
            ValidationRule::ListType(_) => "x-kubernetes-list-type",
            ValidationRule::MaxProperties(_) => "maxProperties",
            ValidationRule::MinProperties(_) => "minProperties",
        }
    }

    /// The keyword's value in the schema.
    pub fn value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            ValidationRule::MaxLength(n)
            | ValidationRule::MinLength(n)
            | ValidationRule::MaxItems(n)
            | ValidationRule::MinItems(n)
            | ValidationRule::MaxProperties(n)
            | ValidationRule::MinProperties(n) => Value::from(*n),
            ValidationRule::Pattern(p) | ValidationRule::ListType(p) => Value::String(p.clone()),
            ValidationRule::Maximum(n) | ValidationRule::Minimum(n) => Value::Number(n.clone()),
            ValidationRule::ExclusiveMaximum(b)
            | ValidationRule::ExclusiveMinimum(b)
            | ValidationRule::UniqueItems(b) => Value::Bool(*b),
        }
    }
}

/// The JSON shape of a value, as far as validation rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    /// A struct or a map.
    Object,
    /// `intstr.IntOrString`: an integer or a string.
    IntOrString,
    /// Anything (`interface{}`, types from outside the datamodel, empty structs).
    FreeForm,
    /// `nexus-graphql-jsonencoded`: any JSON, with no type at all.
    Untyped,
}

impl JsonKind {
    /// How an error message names the kind.
    pub fn describe(self) -> &'static str {
        match self {
            JsonKind::String => "a string",
            JsonKind::Integer => "an integer",
            JsonKind::Number => "a number",
            JsonKind::Boolean => "a boolean",
            JsonKind::Array => "an array",
            JsonKind::Object => "an object",
            JsonKind::IntOrString => "an int-or-string",
            JsonKind::FreeForm => "a free-form object",
            JsonKind::Untyped => "free-form JSON (nexus-graphql-jsonencoded)",
        }
    }
}

/// A `nexus.RestAPISpec` variable, evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestApiSpec {
    /// `Uris`; `None` when the literal leaves it out (JSON `null`).
    pub uris: Option<Vec<RestUri>>,
}

/// One `nexus.RestURIs` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestUri {
    pub uri: String,
    pub query_params: Vec<String>,
    /// Method → response code (decimal) → description; `None` when `Methods` is left out.
    pub methods: Option<BTreeMap<String, BTreeMap<String, String>>>,
    /// Where the URI is written (its `Uri` value, else the entry).
    pub pos: SourcePos,
}
