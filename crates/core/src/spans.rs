//! Where every node of a loaded document sits in its file: a side table next to the
//! `serde_json::Value` tree, so the tree (which the whole checker shares) stays a plain `Value`.
//!
//! The table lists the nodes in pre-order (a node, then its children in document order). Each
//! entry holds the node's line and column and the index just past its subtree, so a lookup walks
//! down a CRD path skipping whole sibling subtrees: no per-node path strings are stored, and a
//! subtree's entries are one contiguous slice (a `List` item keeps its own slice).
//!
//! A mapping value is placed at its key (`type: string` is found at `type`), a sequence item at
//! its first character, the root at its first character.

use serde_json::Value;

/// A place in a file; both 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// One node's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NodeSpan {
    line: u32,
    column: u32,
    /// Index of the first entry after this node's subtree.
    end: u32,
}

/// The positions of one document's nodes, in pre-order. Empty when the document was loaded
/// without them (through serde-saphyr: anchors, tags, merge keys; or a value `build` generated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spans {
    nodes: Vec<NodeSpan>,
}

/// Saturates instead of wrapping: a file of more than 4 billion lines cannot be loaded anyway.
fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Spans {
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Starts a node at `position`; returns its index for [`Spans::close`].
    pub(super) fn open(&mut self, position: Position) -> usize {
        self.nodes.push(NodeSpan {
            line: small(position.line),
            column: small(position.column),
            end: 0,
        });
        self.nodes.len() - 1
    }

    /// Ends the node opened as `index`: everything pushed since belongs to its subtree.
    pub(super) fn close(&mut self, index: usize) {
        let end = small(self.nodes.len());
        self.nodes[index].end = end;
    }

    /// The spans of the subtree whose root is entry `index`, as a table of its own.
    fn subtree(&self, index: usize) -> Spans {
        let Some(root) = self.nodes.get(index) else {
            return Spans::default();
        };
        let base = small(index);
        let nodes = self.nodes[index..root.end as usize]
            .iter()
            .map(|n| NodeSpan {
                end: n.end - base,
                ..*n
            })
            .collect();
        Spans { nodes }
    }

    /// The spans of each item of the sequence under the root's key `key` (a `List`'s `items`),
    /// `None` when the table does not describe `doc`.
    pub fn items_of(&self, doc: &Value, key: &str) -> Option<Vec<Spans>> {
        let index = self.child_index(doc, 0, key)?.1;
        let Some(Value::Array(items)) = doc.get(key) else {
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut child = index + 1;
        for _ in items {
            out.push(self.subtree(child));
            child = self.nodes.get(child)?.end as usize;
        }
        Some(out)
    }

    /// Position of the root node.
    pub fn root(&self) -> Option<Position> {
        self.position(0)
    }

    fn position(&self, index: usize) -> Option<Position> {
        self.nodes.get(index).map(|n| Position {
            line: n.line as usize,
            column: n.column as usize,
        })
    }

    /// The child of the node at `index` (whose value is `node`) named by one CRD-path token:
    /// a mapping key, or in a sequence `key=value` (the entry whose `key` is `value`) or an index.
    fn child_index<'v>(
        &self,
        node: &'v Value,
        index: usize,
        token: &str,
    ) -> Option<(&'v Value, usize)> {
        let mut child = index + 1;
        match node {
            Value::Object(map) => {
                for (key, value) in map {
                    if key == token {
                        return Some((value, child));
                    }
                    child = self.nodes.get(child)?.end as usize;
                }
                None
            }
            Value::Array(items) => {
                let wanted = |item: &Value, position: usize| match token.split_once('=') {
                    Some((key, name)) => item.get(key).is_some_and(|v| match v {
                        Value::String(s) => s == name,
                        Value::Number(n) => n.to_string() == name,
                        Value::Bool(b) => b.to_string() == name,
                        _ => false,
                    }),
                    None => token.parse::<usize>().is_ok_and(|i| i == position),
                };
                for (position, item) in items.iter().enumerate() {
                    if wanted(item, position) {
                        return Some((item, child));
                    }
                    child = self.nodes.get(child)?.end as usize;
                }
                None
            }
            _ => None,
        }
    }

    /// Follows a CRD path (`/spec/versions/name=v1/schema/...`, JSON-pointer escaping) down
    /// `doc`, which must be the document this table was built for. Returns how many tokens were
    /// found and the position of the deepest node reached (the root for `/`); `None` when the
    /// table is empty.
    pub fn locate(&self, doc: &Value, path: &str) -> Option<(usize, Position)> {
        let mut node = doc;
        let mut index = 0;
        let mut found = 0;
        for token in path.split('/').skip(1).filter(|t| !t.is_empty()) {
            let token = unescape(token);
            match self.child_index(node, index, &token) {
                Some((child, child_index)) if child_index < self.nodes.len() => {
                    node = child;
                    index = child_index;
                    found += 1;
                }
                _ => break,
            }
        }
        Some((found, self.position(index)?))
    }

    /// Number of tokens of a CRD path.
    pub fn depth(path: &str) -> usize {
        path.split('/').skip(1).filter(|t| !t.is_empty()).count()
    }
}

/// Undoes JSON-pointer escaping: `~1` is `/`, `~0` is `~`.
fn unescape(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        std::borrow::Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        std::borrow::Cow::Borrowed(token)
    }
}

/// Which side of a comparison a place is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Old,
    New,
}

/// Where a change at CRD path `path` is best shown: the node in the new document when it is
/// there, else the node in the old one (a removal), else the deepest ancestor found, preferring
/// the new side on a tie. `None` when neither side has positions.
pub fn best_place(
    path: &str,
    old: Option<(&Value, &Spans)>,
    new: Option<(&Value, &Spans)>,
) -> Option<(Side, Position)> {
    let depth = Spans::depth(path);
    let new = new.and_then(|(doc, spans)| spans.locate(doc, path));
    let old = old.and_then(|(doc, spans)| spans.locate(doc, path));
    match (old, new) {
        (_, Some((found, at))) if found == depth => Some((Side::New, at)),
        (Some((found, at)), _) if found == depth => Some((Side::Old, at)),
        (Some((old_found, at)), Some((new_found, _))) if old_found > new_found => {
            Some((Side::Old, at))
        }
        (_, Some((_, at))) => Some((Side::New, at)),
        (Some((_, at)), None) => Some((Side::Old, at)),
        (None, None) => None,
    }
}
