//! One Go file → the declarations a datamodel cares about (package, imports, types, variables and
//! their doc comments), as owned values. This is the only module that touches tree-sitter.

use super::model::SourcePos;
use crate::error::{Error, Result};
use std::num::NonZeroU16 as FieldId;
use std::sync::{Arc, OnceLock};
use tree_sitter::{Language, Node as TsNode, Parser, Point};

/// How deep type expressions and variable initializers may nest before we refuse them. Real
/// datamodels stay far below; the bound keeps recursion on hostile input finite.
pub(crate) const MAX_NESTING: usize = 100;

/// The declarations of one file.
#[derive(Debug, Clone)]
pub(crate) struct FileSyntax {
    pub package: String,
    pub package_pos: SourcePos,
    pub imports: Vec<ImportSyntax>,
    pub types: Vec<TypeDeclSyntax>,
    pub vars: Vec<VarSyntax>,
}

#[derive(Debug, Clone)]
pub(crate) struct ImportSyntax {
    /// The explicit name (`alias "path"`); `.` and `_` are kept as written.
    pub alias: Option<String>,
    pub path: String,
    pub pos: SourcePos,
}

#[derive(Debug, Clone)]
pub(crate) struct TypeDeclSyntax {
    pub name: String,
    pub pos: SourcePos,
    pub doc: Vec<CommentLine>,
    /// Has type parameters.
    pub generic: bool,
    pub ty: TypeExpr,
}

/// One line of a doc comment, without the comment markers.
#[derive(Debug, Clone)]
pub(crate) struct CommentLine {
    pub text: String,
    pub pos: SourcePos,
}

#[derive(Debug, Clone)]
pub(crate) struct TypeExpr {
    pub kind: TypeExprKind,
    pub pos: SourcePos,
}

#[derive(Debug, Clone)]
pub(crate) enum TypeExprKind {
    Name(String),
    Qualified {
        package: String,
        name: String,
    },
    Pointer(Box<TypeExpr>),
    Slice(Box<TypeExpr>),
    Array(Box<TypeExpr>),
    Map {
        key: Box<TypeExpr>,
        value: Box<TypeExpr>,
    },
    Struct(Vec<FieldSyntax>),
    Interface,
    /// Channels, functions, generics: nothing JSON can hold. The text says which.
    Unsupported(&'static str),
}

#[derive(Debug, Clone)]
pub(crate) struct FieldSyntax {
    /// Empty for an embedded field.
    pub names: Vec<(String, SourcePos)>,
    pub ty: TypeExpr,
    /// The decoded tag string, when there is one.
    pub tag: Option<String>,
    pub doc: Vec<CommentLine>,
    pub pos: SourcePos,
}

#[derive(Debug, Clone)]
pub(crate) struct VarSyntax {
    pub name: String,
    pub pos: SourcePos,
    pub ty: Option<TypeExpr>,
    pub value: Option<Expr>,
}

/// The small part of Go's expression language that `nexus.RestAPISpec` literals use.
#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub pos: SourcePos,
}

#[derive(Debug, Clone)]
pub(crate) enum ExprKind {
    /// `T{…}`, or `{…}` with the type elided (then `ty` is `None`).
    Composite {
        ty: Option<TypeExpr>,
        elements: Vec<Element>,
    },
    Ident(String),
    /// `operand.field` where the operand is a plain identifier (a package or a variable).
    Selector {
        operand: String,
        field: String,
    },
    Str(String),
    Int(i64),
    Call {
        function: Box<Expr>,
        args: Vec<Expr>,
    },
    /// Anything else.
    Other,
}

#[derive(Debug, Clone)]
pub(crate) struct Element {
    pub key: Option<Expr>,
    pub value: Expr,
}

/// Creates a parser for Go.
pub(crate) fn new_parser() -> Result<Parser> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_go::LANGUAGE.into())
        .map_err(|e| Error::input(format!("cannot load the Go grammar: {e}")))?;
    Ok(parser)
}

/// The Go grammar's field ids that the walk of struct fields asks for, looked up once:
/// `child_by_field_name` finds the id by comparing the name with the grammar's field names on
/// every call, a tenth of the walk of a struct with a hundred thousand fields.
struct GoFields {
    name: Option<FieldId>,
    ty: Option<FieldId>,
    tag: Option<FieldId>,
}

fn go_fields() -> &'static GoFields {
    static FIELDS: OnceLock<GoFields> = OnceLock::new();
    FIELDS.get_or_init(|| {
        let go: Language = tree_sitter_go::LANGUAGE.into();
        GoFields {
            name: go.field_id_for_name("name"),
            ty: go.field_id_for_name("type"),
            tag: go.field_id_for_name("tag"),
        }
    })
}

/// Parses one file. `file` is how errors name it.
pub(crate) fn parse_file(parser: &mut Parser, file: Arc<str>, source: &str) -> Result<FileSyntax> {
    let tree = parser
        .parse(source, None)
        .ok_or_else(|| Error::input(format!("{file}: the Go parser gave up on this file")))?;
    let root = tree.root_node();
    let walker = Walker {
        src: source.as_bytes(),
        file,
    };
    if root.has_error() {
        return Err(walker.syntax_error(root));
    }
    walker.file(root)
}

struct Walker<'a> {
    src: &'a [u8],
    file: Arc<str>,
}

impl<'a> Walker<'a> {
    fn pos_at(&self, point: Point) -> SourcePos {
        SourcePos {
            file: self.file.clone(),
            line: u32::try_from(point.row)
                .unwrap_or(u32::MAX)
                .saturating_add(1),
            column: u32::try_from(point.column)
                .unwrap_or(u32::MAX)
                .saturating_add(1),
        }
    }

    fn pos(&self, node: TsNode) -> SourcePos {
        self.pos_at(node.start_position())
    }

    fn text(&self, node: TsNode) -> &'a str {
        node.utf8_text(self.src).unwrap_or("")
    }

    fn error(&self, node: TsNode, message: impl Into<String>) -> Error {
        Error::Parse {
            location: self.pos(node).to_string(),
            message: message.into(),
        }
    }

    /// The first ERROR or MISSING node in document order, as one error.
    fn syntax_error(&self, root: TsNode) -> Error {
        let mut cursor = root.walk();
        let mut found = None;
        // Iterative pre-order walk: no recursion on user input.
        'walk: loop {
            let node = cursor.node();
            if node.is_error() || node.is_missing() {
                found = Some(node);
                break;
            }
            if node.has_error() && cursor.goto_first_child() {
                continue;
            }
            loop {
                if cursor.goto_next_sibling() {
                    continue 'walk;
                }
                if !cursor.goto_parent() {
                    break 'walk;
                }
            }
        }
        let node = found.unwrap_or(root);
        let message = if node.is_missing() {
            format!(
                "Go syntax error: missing `{}`; fix the Go source (it must compile with `go build`)",
                node.kind()
            )
        } else {
            let snippet: String = self
                .text(node)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .chars()
                .take(40)
                .collect();
            // The source may hold a lone `\r` or other control characters: the error stays one line.
            let snippet = crate::source::yaml::printable(&snippet);
            if snippet.is_empty() {
                "Go syntax error; fix the Go source (it must compile with `go build`)".to_string()
            } else {
                format!(
                    "Go syntax error at `{snippet}`; fix the Go source (it must compile with `go build`)"
                )
            }
        };
        self.error(node, message)
    }

    fn file(&self, root: TsNode) -> Result<FileSyntax> {
        let mut package = None;
        let mut imports = Vec::new();
        let mut types = Vec::new();
        let mut vars = Vec::new();
        for (child, doc) in self.with_docs(root) {
            match child.kind() {
                "package_clause" => {
                    if let Some(id) = child.named_child(0) {
                        package = Some((self.text(id).to_string(), self.pos(id)));
                    }
                }
                "import_declaration" => self.imports(child, &mut imports),
                "type_declaration" => self.type_declaration(child, doc, &mut types)?,
                "var_declaration" => self.var_declaration(child, &mut vars)?,
                _ => {}
            }
        }
        let Some((package, package_pos)) = package else {
            return Err(Error::Parse {
                location: self.pos(root).to_string(),
                message:
                    "a Go file without a `package` clause; start the file with `package <name>`"
                        .to_string(),
            });
        };
        Ok(FileSyntax {
            package,
            package_pos,
            imports,
            types,
            vars,
        })
    }

    fn imports(&self, decl: TsNode, out: &mut Vec<ImportSyntax>) {
        let mut cursor = decl.walk();
        for child in decl.named_children(&mut cursor) {
            match child.kind() {
                "import_spec" => out.extend(self.import_spec(child)),
                "import_spec_list" => {
                    let mut inner = child.walk();
                    for spec in child.named_children(&mut inner) {
                        if spec.kind() == "import_spec" {
                            out.extend(self.import_spec(spec));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn import_spec(&self, spec: TsNode) -> Option<ImportSyntax> {
        let path = spec.child_by_field_name("path")?;
        Some(ImportSyntax {
            alias: spec
                .child_by_field_name("name")
                .map(|n| self.text(n).to_string()),
            path: self.string_literal(path),
            pos: self.pos(spec),
        })
    }

    fn type_declaration(
        &self,
        decl: TsNode,
        decl_doc: Vec<CommentLine>,
        out: &mut Vec<TypeDeclSyntax>,
    ) -> Result<()> {
        let specs: Vec<(TsNode, Vec<CommentLine>)> = self
            .with_docs(decl)
            .into_iter()
            .filter(|(n, _)| matches!(n.kind(), "type_spec" | "type_alias"))
            .collect();
        // `type T struct{}` keeps its doc comment above the `type` keyword; in a group
        // `type ( … )` each spec has its own, and a lone spec may use the group's.
        let single = specs.len() == 1;
        for (spec, doc) in specs {
            let doc = if doc.is_empty() && single {
                decl_doc.clone()
            } else {
                doc
            };
            let (Some(name), Some(ty)) = (
                spec.child_by_field_name("name"),
                spec.child_by_field_name("type"),
            ) else {
                continue;
            };
            out.push(TypeDeclSyntax {
                name: self.text(name).to_string(),
                pos: self.pos(name),
                doc,
                generic: spec.child_by_field_name("type_parameters").is_some(),
                ty: self.type_expr(ty, 0)?,
            });
        }
        Ok(())
    }

    fn var_declaration(&self, decl: TsNode, out: &mut Vec<VarSyntax>) -> Result<()> {
        let mut cursor = decl.walk();
        let mut specs = Vec::new();
        for child in decl.named_children(&mut cursor) {
            match child.kind() {
                "var_spec" => specs.push(child),
                "var_spec_list" => {
                    let mut inner = child.walk();
                    specs.extend(
                        child
                            .named_children(&mut inner)
                            .filter(|n| n.kind() == "var_spec"),
                    );
                }
                _ => {}
            }
        }
        for spec in specs {
            let mut c = spec.walk();
            let names: Vec<TsNode> = spec.children_by_field_name("name", &mut c).collect();
            let ty = match spec.child_by_field_name("type") {
                Some(t) => Some(self.type_expr(t, 0)?),
                None => None,
            };
            let values: Vec<TsNode> = match spec.child_by_field_name("value") {
                Some(list) => {
                    let mut lc = list.walk();
                    list.named_children(&mut lc)
                        .filter(|n| n.kind() != "comment")
                        .collect()
                }
                None => Vec::new(),
            };
            for (i, name) in names.iter().enumerate() {
                let value = match values.get(i) {
                    Some(v) => Some(self.expr(*v, 0)?),
                    None => None,
                };
                out.push(VarSyntax {
                    name: self.text(*name).to_string(),
                    pos: self.pos(*name),
                    ty: ty.clone(),
                    value,
                });
            }
        }
        Ok(())
    }

    /// The named children of `parent` other than comments, each with its doc comment: the
    /// comment group that ends on the line right above it (Go's rule). A comment that trails
    /// code on its own line belongs to that code. One pass, so large files stay linear.
    fn with_docs(&self, parent: TsNode<'a>) -> Vec<(TsNode<'a>, Vec<CommentLine>)> {
        let mut out = Vec::new();
        let mut group: Vec<TsNode> = Vec::new();
        let mut last_code_row: Option<usize> = None;
        let mut cursor = parent.walk();
        for child in parent.children(&mut cursor) {
            let row = child.start_position().row;
            if child.kind() == "comment" {
                let adjacent = group
                    .last()
                    .is_some_and(|prev| prev.end_position().row + 1 == row);
                if !adjacent {
                    group.clear();
                }
                if last_code_row != Some(row) {
                    group.push(child);
                }
                continue;
            }
            let doc = if group
                .last()
                .is_some_and(|c| c.end_position().row + 1 == row)
            {
                self.comment_lines(&group)
            } else {
                Vec::new()
            };
            group.clear();
            if child.is_named() {
                out.push((child, doc));
            }
            last_code_row = Some(child.end_position().row);
        }
        out
    }

    /// The lines of a comment group, without `//`, `/*` and `*/`.
    fn comment_lines(&self, group: &[TsNode]) -> Vec<CommentLine> {
        let mut lines = Vec::new();
        for comment in group {
            let comment = *comment;
            let text = self.text(comment);
            let start = comment.start_position();
            if let Some(rest) = text.strip_prefix("//") {
                lines.push(CommentLine {
                    text: rest.to_string(),
                    pos: self.pos_at(Point {
                        row: start.row,
                        column: start.column + 2,
                    }),
                });
            } else if let Some(body) = text.strip_prefix("/*") {
                let body = body.strip_suffix("*/").unwrap_or(body);
                for (i, line) in body.lines().enumerate() {
                    let column = if i == 0 { start.column + 2 } else { 0 };
                    lines.push(CommentLine {
                        text: line.to_string(),
                        pos: self.pos_at(Point {
                            row: start.row + i,
                            column,
                        }),
                    });
                }
            }
        }
        lines
    }

    fn too_deep(&self, node: TsNode) -> Error {
        self.error(
            node,
            format!("nested more than {MAX_NESTING} levels deep; simplify the declaration"),
        )
    }

    fn type_expr(&self, node: TsNode, depth: usize) -> Result<TypeExpr> {
        if depth > MAX_NESTING {
            return Err(self.too_deep(node));
        }
        let pos = self.pos(node);
        let child = |field: &str| node.child_by_field_name(field);
        let first_named = || {
            let mut c = node.walk();
            node.named_children(&mut c).find(|n| n.kind() != "comment")
        };
        let boxed = |n: Option<TsNode>| -> Result<Box<TypeExpr>> {
            match n {
                Some(n) => Ok(Box::new(self.type_expr(n, depth + 1)?)),
                None => Err(self.error(node, "incomplete type; fix the Go source")),
            }
        };
        let kind = match node.kind() {
            "type_identifier" | "identifier" => TypeExprKind::Name(self.text(node).to_string()),
            "qualified_type" => match (child("package"), child("name")) {
                (Some(p), Some(n)) => TypeExprKind::Qualified {
                    package: self.text(p).to_string(),
                    name: self.text(n).to_string(),
                },
                _ => return Err(self.error(node, "incomplete type; fix the Go source")),
            },
            "pointer_type" => TypeExprKind::Pointer(boxed(first_named())?),
            "slice_type" => TypeExprKind::Slice(boxed(child("element"))?),
            "array_type" | "implicit_length_array_type" => {
                TypeExprKind::Array(boxed(child("element"))?)
            }
            "map_type" => TypeExprKind::Map {
                key: boxed(child("key"))?,
                value: boxed(child("value"))?,
            },
            "struct_type" => {
                let list = first_named();
                TypeExprKind::Struct(match list {
                    Some(list) => self.fields(list, depth + 1)?,
                    None => Vec::new(),
                })
            }
            "interface_type" => TypeExprKind::Interface,
            "parenthesized_type" => return self.type_expr_required(first_named(), node, depth + 1),
            "generic_type" => TypeExprKind::Unsupported("a generic type"),
            "function_type" => TypeExprKind::Unsupported("a function type"),
            "channel_type" => TypeExprKind::Unsupported("a channel type"),
            _ => TypeExprKind::Unsupported("this kind of type"),
        };
        Ok(TypeExpr { kind, pos })
    }

    fn type_expr_required(
        &self,
        n: Option<TsNode>,
        parent: TsNode,
        depth: usize,
    ) -> Result<TypeExpr> {
        match n {
            Some(n) => self.type_expr(n, depth),
            None => Err(self.error(parent, "incomplete type; fix the Go source")),
        }
    }

    fn fields(&self, list: TsNode, depth: usize) -> Result<Vec<FieldSyntax>> {
        let mut out = Vec::new();
        for (decl, doc) in self.with_docs(list) {
            if decl.kind() != "field_declaration" {
                continue;
            }
            // One pass over the declaration's children: its names, its type (the first), its
            // tag (the first) and, for an embedded `*T`, the star, an anonymous token next to
            // the type.
            let ids = go_fields();
            let (mut names, mut ty, mut tag, mut star) = (Vec::new(), None, None, false);
            let mut c = decl.walk();
            let mut more = c.goto_first_child();
            while more {
                let node = c.node();
                match c.field_id() {
                    Some(id) if Some(id) == ids.name => {
                        names.push((self.text(node).to_string(), self.pos(node)));
                    }
                    Some(id) if Some(id) == ids.ty => {
                        ty.get_or_insert(node);
                    }
                    Some(id) if Some(id) == ids.tag => {
                        tag.get_or_insert(node);
                    }
                    _ => star |= node.kind() == "*",
                }
                more = c.goto_next_sibling();
            }
            let Some(ty) = ty else {
                continue;
            };
            let mut ty = self.type_expr(ty, depth + 1)?;
            if star {
                let pos = ty.pos.clone();
                ty = TypeExpr {
                    kind: TypeExprKind::Pointer(Box::new(ty)),
                    pos,
                };
            }
            out.push(FieldSyntax {
                names,
                ty,
                tag: tag.map(|t| self.string_literal(t)),
                doc,
                pos: self.pos(decl),
            });
        }
        Ok(out)
    }

    fn expr(&self, node: TsNode, depth: usize) -> Result<Expr> {
        if depth > MAX_NESTING {
            return Err(self.too_deep(node));
        }
        let pos = self.pos(node);
        let kind = match node.kind() {
            "composite_literal" => {
                let ty = match node.child_by_field_name("type") {
                    Some(t) => Some(self.type_expr(t, depth + 1)?),
                    None => None,
                };
                let elements = match node.child_by_field_name("body") {
                    Some(body) => self.elements(body, depth + 1)?,
                    None => Vec::new(),
                };
                ExprKind::Composite { ty, elements }
            }
            "literal_value" => ExprKind::Composite {
                ty: None,
                elements: self.elements(node, depth + 1)?,
            },
            "literal_element" | "parenthesized_expression" => {
                let mut c = node.walk();
                let inner = node.named_children(&mut c).find(|n| n.kind() != "comment");
                return match inner {
                    Some(inner) => self.expr(inner, depth + 1),
                    None => Ok(Expr {
                        kind: ExprKind::Other,
                        pos,
                    }),
                };
            }
            "identifier" | "field_identifier" | "type_identifier" => {
                ExprKind::Ident(self.text(node).to_string())
            }
            "selector_expression" => {
                match (
                    node.child_by_field_name("operand"),
                    node.child_by_field_name("field"),
                ) {
                    (Some(op), Some(field)) if op.kind() == "identifier" => ExprKind::Selector {
                        operand: self.text(op).to_string(),
                        field: self.text(field).to_string(),
                    },
                    _ => ExprKind::Other,
                }
            }
            "interpreted_string_literal" | "raw_string_literal" => {
                ExprKind::Str(self.string_literal(node))
            }
            "int_literal" => match parse_go_int(self.text(node)) {
                Some(v) => ExprKind::Int(v),
                None => ExprKind::Other,
            },
            "call_expression" => {
                let function = match node.child_by_field_name("function") {
                    Some(f) => self.expr(f, depth + 1)?,
                    None => Expr {
                        kind: ExprKind::Other,
                        pos: pos.clone(),
                    },
                };
                let mut args = Vec::new();
                if let Some(list) = node.child_by_field_name("arguments") {
                    let mut c = list.walk();
                    for arg in list.named_children(&mut c) {
                        if arg.kind() != "comment" {
                            args.push(self.expr(arg, depth + 1)?);
                        }
                    }
                }
                ExprKind::Call {
                    function: Box::new(function),
                    args,
                }
            }
            _ => ExprKind::Other,
        };
        Ok(Expr { kind, pos })
    }

    fn elements(&self, body: TsNode, depth: usize) -> Result<Vec<Element>> {
        let mut out = Vec::new();
        let mut cursor = body.walk();
        for el in body.named_children(&mut cursor) {
            match el.kind() {
                "keyed_element" => {
                    let (Some(k), Some(v)) = (
                        el.child_by_field_name("key"),
                        el.child_by_field_name("value"),
                    ) else {
                        continue;
                    };
                    out.push(Element {
                        key: Some(self.expr(k, depth + 1)?),
                        value: self.expr(v, depth + 1)?,
                    });
                }
                "comment" => {}
                _ => out.push(Element {
                    key: None,
                    value: self.expr(el, depth + 1)?,
                }),
            }
        }
        Ok(out)
    }

    /// The value of a Go string literal (interpreted or raw).
    fn string_literal(&self, node: TsNode) -> String {
        let text = self.text(node);
        if node.kind() == "raw_string_literal" {
            let inner = text
                .strip_prefix('`')
                .and_then(|t| t.strip_suffix('`'))
                .unwrap_or(text);
            // Go drops carriage returns from raw strings.
            inner.replace('\r', "")
        } else {
            let inner = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(text);
            unquote_go(inner)
        }
    }
}

/// Decodes the escapes of a Go interpreted string literal (without its quotes). Byte escapes
/// that do not form UTF-8 become U+FFFD, as Go would print them.
pub(crate) fn unquote_go(s: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&esc) = bytes.get(i + 1) else {
            out.push(b'\\');
            break;
        };
        i += 2;
        let simple = match esc {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' => Some(b'\\'),
            b'\'' => Some(b'\''),
            b'"' => Some(b'"'),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            continue;
        }
        let hex = |len: usize, i: usize| -> Option<u32> {
            let digits = s.get(i..i + len)?;
            u32::from_str_radix(digits, 16).ok()
        };
        match esc {
            b'x' => {
                if let Some(v) = hex(2, i) {
                    out.push(v as u8);
                    i += 2;
                }
            }
            b'u' | b'U' => {
                let len = if esc == b'u' { 4 } else { 8 };
                if let Some(c) = hex(len, i).and_then(char::from_u32) {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    i += len;
                }
            }
            b'0'..=b'7' => {
                let digits = s.get(i - 1..i + 2).unwrap_or("");
                if let Ok(v) = u32::from_str_radix(digits, 8) {
                    out.push((v & 0xff) as u8);
                    i += 2;
                }
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses a Go integer literal (decimal, 0x, 0o, 0b, legacy octal, `_` separators).
pub(crate) fn parse_go_int(text: &str) -> Option<i64> {
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<FileSyntax> {
        let mut parser = new_parser()?;
        parse_file(&mut parser, Arc::from("x.go"), src)
    }

    #[test]
    fn the_go_grammar_has_the_fields_the_walk_asks_for() {
        let ids = go_fields();
        assert!(ids.name.is_some() && ids.ty.is_some() && ids.tag.is_some());
    }

    #[test]
    fn unquotes_go_strings() {
        assert_eq!(unquote_go(r#"json:\"name\""#), r#"json:"name""#);
        assert_eq!(unquote_go(r"a\tb\u00e9\x41\101"), "a\tbéAA");
    }

    #[test]
    fn parses_go_ints() {
        assert_eq!(parse_go_int("404"), Some(404));
        assert_eq!(parse_go_int("0x1F"), Some(31));
        assert_eq!(parse_go_int("1_000"), Some(1000));
        assert_eq!(parse_go_int("0o17"), Some(15));
        assert_eq!(parse_go_int("017"), Some(15));
        assert_eq!(parse_go_int("0"), Some(0));
    }

    #[test]
    fn reads_declarations_and_doc_comments() {
        let src = r#"package root

import (
	"github.com/vmware-tanzu/graph-framework-for-microservices/nexus/nexus"
	cfg "example.com/dm/config"
)

var Spec = nexus.RestAPISpec{Uris: []nexus.RestURIs{{Uri: "/x", Methods: nexus.HTTPListResponse}}}

// Leader leads.
// nexus-rest-api-gen:Spec
type Leader struct {
	nexus.Node
	Name string // trailing, not a doc
	//nexus-validation: MaxLength=8
	Title    *string `json:"title,omitempty"`
	Config   cfg.Config `nexus:"child"`
	A, B     []map[string]int
}

type (
	// Port doc.
	Port int
	Alias = string
)
"#;
        let file = parse(src).unwrap();
        assert_eq!(file.package, "root");
        assert_eq!(file.imports.len(), 2);
        assert_eq!(file.imports[1].alias.as_deref(), Some("cfg"));
        assert_eq!(file.types.len(), 3);
        let leader = &file.types[0];
        assert_eq!(leader.name, "Leader");
        assert_eq!(leader.doc.len(), 2);
        assert_eq!(leader.doc[1].text, " nexus-rest-api-gen:Spec");
        let TypeExprKind::Struct(fields) = &leader.ty.kind else {
            panic!("not a struct")
        };
        assert_eq!(fields.len(), 5);
        assert!(fields[0].names.is_empty());
        assert!(
            fields[1].doc.is_empty(),
            "a trailing comment is not a doc comment"
        );
        assert_eq!(fields[2].doc[0].text, "nexus-validation: MaxLength=8");
        assert_eq!(fields[2].tag.as_deref(), Some(r#"json:"title,omitempty""#));
        assert_eq!(fields[4].names.len(), 2);
        assert_eq!(file.types[1].doc[0].text, " Port doc.");
        assert_eq!(file.vars.len(), 1);
        assert_eq!(leader.pos.to_string(), "x.go:12:6");
    }

    #[test]
    fn reports_syntax_errors_with_location() {
        let err = parse("package root\n\ntype A struct {\n\tName string\n\tAge int int\n}\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.go:5:"), "{err}");
        assert!(err.contains("Go syntax error"), "{err}");
    }

    #[test]
    fn refuses_absurd_nesting() {
        let ty = format!("{}int", "[]".repeat(MAX_NESTING + 5));
        let err = parse(&format!("package a\n\ntype A {ty}\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("nested more than"), "{err}");
    }
}
