//! The layout of a config file as a tree of byte spans: which bytes hold each scalar, mapping and
//! list, whether a collection is written in block or flow style, and how scalars are quoted.
//! Built from saphyr-parser's events for config.yml and by a small scanner for JSON (whose reader,
//! serde_json, keeps no positions). The values themselves come from the project's reader; this tree
//! only says where they are written.

use rustc_hash::FxHashSet;
use saphyr_parser::{Event, Parser, ScalarStyle};

/// Index of a node in [`Doc::nodes`].
pub(super) type NodeId = usize;

/// How a scalar is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// Unquoted (YAML plain; JSON numbers, `true`, `null`).
    Plain,
    /// `'single'` (YAML only).
    Single,
    /// `"double"` (YAML and JSON strings).
    Double,
    /// A YAML block scalar (`|` or `>`): its span covers the content lines only, not the indicator.
    Block,
}

/// One mapping entry.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The key as read (escapes resolved).
    pub key: String,
    /// The key's node (its span is the key's text).
    pub key_node: NodeId,
    /// The value's node.
    pub value: NodeId,
}

/// What a node is.
#[derive(Debug, Clone)]
pub(super) enum Kind {
    /// A scalar.
    Scalar(Style),
    /// A YAML alias (`*name`).
    Alias,
    /// A mapping or JSON object.
    Map {
        /// Flow style (`{..}`, and every JSON object).
        flow: bool,
        /// The entries in text order.
        entries: Vec<Entry>,
    },
    /// A list.
    Seq {
        /// Flow style (`[..]`, and every JSON array).
        flow: bool,
        /// The items in text order.
        items: Vec<NodeId>,
    },
}

/// One node: where it is written.
#[derive(Debug, Clone)]
pub(super) struct Node {
    /// What it is.
    pub kind: Kind,
    /// First byte (an anchor or tag included).
    pub start: usize,
    /// One past the last byte: the closing bracket of a flow collection, the end of the last
    /// scalar of a block collection (so trailing comments and blank lines are outside).
    pub end: usize,
    /// Whether the node carries an anchor that some alias refers to.
    pub aliased: bool,
}

/// A parsed file: its text, the span tree, and line positions.
#[derive(Debug)]
pub(super) struct Doc {
    /// The whole file.
    pub text: String,
    /// Every node; children before their parents' ends, in text order.
    pub nodes: Vec<Node>,
    /// The top node (none for an empty YAML document).
    pub root: Option<NodeId>,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    /// The line break the file uses (`"\n"` or `"\r\n"`).
    pub nl: &'static str,
}

/// Why the layout of a file could not be read (the file itself was readable: this is rare).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LayoutError(pub String);

impl Doc {
    fn new(text: String) -> Self {
        let line_starts = line_starts(&text);
        let nl = line_break(&text);
        Doc {
            text,
            nodes: Vec::new(),
            root: None,
            line_starts,
            nl,
        }
    }

    /// The node.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The text of a node.
    pub fn slice(&self, id: NodeId) -> &str {
        let n = &self.nodes[id];
        &self.text[n.start..n.end]
    }

    /// The 0-based line that holds byte `pos`.
    pub fn line_of(&self, pos: usize) -> usize {
        self.line_starts
            .partition_point(|&s| s <= pos)
            .saturating_sub(1)
    }

    /// The number of lines (a final line without a line break counts).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where line `line` starts (the text's end past the last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len())
    }

    /// Byte offset just past line `line`'s line break (the text's end for the last line).
    pub fn line_end(&self, line: usize) -> usize {
        self.line_start(line + 1)
    }

    /// The text of line `line` without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let s = &self.text[self.line_start(line)..self.line_end(line)];
        s.strip_suffix('\n')
            .map(|s| s.strip_suffix('\r').unwrap_or(s))
            .unwrap_or(s)
    }

    /// The column (in characters) of byte `pos` on its line.
    pub fn col(&self, pos: usize) -> usize {
        self.text[self.line_start(self.line_of(pos))..pos]
            .chars()
            .count()
    }

    /// The text between the start of `pos`'s line and `pos`.
    pub fn before_on_line(&self, pos: usize) -> &str {
        &self.text[self.line_start(self.line_of(pos))..pos]
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        text.bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i + 1),
    );
    starts
}

fn line_break(text: &str) -> &'static str {
    match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Converts saphyr's character indices to byte offsets.
enum CharIndex {
    Ascii,
    Table(Vec<usize>),
}

impl CharIndex {
    fn new(text: &str) -> Self {
        if text.is_ascii() {
            CharIndex::Ascii
        } else {
            let mut t: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            t.push(text.len());
            CharIndex::Table(t)
        }
    }

    fn byte(&self, char_index: usize, len: usize) -> usize {
        match self {
            CharIndex::Ascii => char_index.min(len),
            CharIndex::Table(t) => t.get(char_index).copied().unwrap_or(len),
        }
    }
}

/// A collection being built.
struct Open {
    id: NodeId,
    /// For mappings: the key read, waiting for its value.
    pending_key: Option<(String, NodeId)>,
}

/// Why a text's layout could not be read, with the text given back.
pub(super) type Unreadable = (String, LayoutError);

/// Parses config.yml text into its span tree.
pub(super) fn parse_yaml(text: String) -> Result<Doc, Unreadable> {
    let mut doc = Doc::new(String::new());
    match build_yaml(&mut doc, &text) {
        Ok(()) => {
            doc = Doc { text, ..doc };
            Ok(doc)
        }
        Err(e) => Err((text, e)),
    }
}

fn build_yaml(doc: &mut Doc, text: &str) -> Result<(), LayoutError> {
    *doc = Doc::new(String::new());
    doc.line_starts = line_starts(text);
    doc.nl = line_break(text);
    let idx = CharIndex::new(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: Vec<(usize, NodeId)> = Vec::new();
    let mut aliased: FxHashSet<usize> = FxHashSet::default();
    let mut documents = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| LayoutError(e.info().to_owned()))?;
        let start = idx.byte(span.start.index(), text.len());
        let end = idx.byte(span.end.index(), text.len()).max(start);
        let leaf = |kind| Node {
            kind,
            start,
            end,
            aliased: false,
        };
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(LayoutError("more than one document".to_owned()));
                }
            }
            Event::Scalar(value, style, anchor, _) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::Single,
                    ScalarStyle::DoubleQuoted => Style::Double,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                };
                let id = push(doc, leaf(Kind::Scalar(style)));
                if anchor != 0 {
                    anchors.push((anchor, id));
                }
                attach(doc, &mut stack, id, Some(value.into_owned()))?;
            }
            Event::Alias(anchor) => {
                aliased.insert(anchor);
                let id = push(doc, leaf(Kind::Alias));
                attach(doc, &mut stack, id, None)?;
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                let is_map = matches!(event, Event::MappingStart(..));
                let opener = if is_map { '{' } else { '[' };
                let flow = text[start..end].trim_end().ends_with(opener);
                let kind = if is_map {
                    Kind::Map {
                        flow,
                        entries: Vec::new(),
                    }
                } else {
                    Kind::Seq {
                        flow,
                        items: Vec::new(),
                    }
                };
                let id = push(doc, leaf(kind));
                if anchor != 0 {
                    anchors.push((anchor, id));
                }
                stack.push(Open {
                    id,
                    pending_key: None,
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let open = stack
                    .pop()
                    .ok_or_else(|| LayoutError("unbalanced collection".to_owned()))?;
                let last_child_end = children(&doc.nodes[open.id])
                    .iter()
                    .map(|&c| doc.nodes[c].end)
                    .max();
                let node = &mut doc.nodes[open.id];
                let flow = matches!(
                    node.kind,
                    Kind::Map { flow: true, .. } | Kind::Seq { flow: true, .. }
                );
                node.end = if flow {
                    end
                } else {
                    last_child_end.unwrap_or(node.end)
                };
                attach(doc, &mut stack, open.id, None)?;
            }
            _ => {}
        }
    }
    for (anchor, id) in anchors {
        if aliased.contains(&anchor) {
            doc.nodes[id].aliased = true;
        }
    }
    Ok(())
}

fn push(doc: &mut Doc, node: Node) -> NodeId {
    doc.nodes.push(node);
    doc.nodes.len() - 1
}

/// The children of a collection (keys and values of a mapping).
fn children(node: &Node) -> Vec<NodeId> {
    match &node.kind {
        Kind::Map { entries, .. } => entries.iter().flat_map(|e| [e.key_node, e.value]).collect(),
        Kind::Seq { items, .. } => items.clone(),
        _ => Vec::new(),
    }
}

/// Adds a finished node to the open collection (or makes it the root). `key_text` is the scalar's
/// value, used when the node is a mapping key.
fn attach(
    doc: &mut Doc,
    stack: &mut [Open],
    id: NodeId,
    key_text: Option<String>,
) -> Result<(), LayoutError> {
    let Some(open) = stack.last_mut() else {
        doc.root = Some(id);
        return Ok(());
    };
    match &mut doc.nodes[open.id].kind {
        Kind::Seq { items, .. } => items.push(id),
        Kind::Map { entries, .. } => match open.pending_key.take() {
            Some((key, key_node)) => entries.push(Entry {
                key,
                key_node,
                value: id,
            }),
            None => match key_text {
                Some(k) => open.pending_key = Some((k, id)),
                None => {
                    return Err(LayoutError("a mapping key is not a plain value".to_owned()));
                }
            },
        },
        _ => return Err(LayoutError("a scalar holds children".to_owned())),
    }
    Ok(())
}

/// Parses JSON text (already known to be valid JSON) into its span tree.
pub(super) fn parse_json(text: String) -> Result<Doc, Unreadable> {
    let mut doc = Doc::new(String::new());
    match build_json(&mut doc, &text) {
        Ok(()) => Ok(Doc { text, ..doc }),
        Err(e) => Err((text, e)),
    }
}

fn build_json(doc: &mut Doc, text: &str) -> Result<(), LayoutError> {
    *doc = Doc::new(String::new());
    doc.line_starts = line_starts(text);
    doc.nl = line_break(text);
    let bytes = text.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0;
    let bad = |what: &str, at: usize| LayoutError(format!("{what} at byte {at}"));
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' => i += 1,
            b'{' | b'[' => {
                let kind = if bytes[i] == b'{' {
                    Kind::Map {
                        flow: true,
                        entries: Vec::new(),
                    }
                } else {
                    Kind::Seq {
                        flow: true,
                        items: Vec::new(),
                    }
                };
                let id = push(
                    doc,
                    Node {
                        kind,
                        start: i,
                        end: i + 1,
                        aliased: false,
                    },
                );
                stack.push(Open {
                    id,
                    pending_key: None,
                });
                i += 1;
            }
            b'}' | b']' => {
                let open = stack.pop().ok_or_else(|| bad("unbalanced bracket", i))?;
                doc.nodes[open.id].end = i + 1;
                i += 1;
                attach(doc, &mut stack, open.id, None)?;
            }
            b'"' => {
                let start = i;
                i += 1;
                let mut escaped = false;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        escaped = true;
                        i += 1;
                    }
                    i += 1;
                }
                if i >= bytes.len() {
                    return Err(bad("unterminated string", start));
                }
                i += 1;
                let literal = &text[start..i];
                let value = if escaped {
                    serde_json::from_str::<String>(literal).map_err(|_| bad("bad string", start))?
                } else {
                    literal[1..literal.len() - 1].to_owned()
                };
                let id = push(
                    doc,
                    Node {
                        kind: Kind::Scalar(Style::Double),
                        start,
                        end: i,
                        aliased: false,
                    },
                );
                attach(doc, &mut stack, id, Some(value))?;
            }
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b'}' | b']'
                    )
                {
                    i += 1;
                }
                if i == start {
                    return Err(bad("unexpected character", i));
                }
                let id = push(
                    doc,
                    Node {
                        kind: Kind::Scalar(Style::Plain),
                        start,
                        end: i,
                        aliased: false,
                    },
                );
                attach(doc, &mut stack, id, None)?;
            }
        }
    }
    if !stack.is_empty() {
        return Err(bad("unclosed bracket", text.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(doc: &Doc) -> Vec<String> {
        doc.nodes
            .iter()
            .map(|n| {
                let k = match &n.kind {
                    Kind::Scalar(s) => format!("{s:?}"),
                    Kind::Alias => "Alias".to_owned(),
                    Kind::Map { flow, .. } => format!("Map{}", if *flow { "{}" } else { "" }),
                    Kind::Seq { flow, .. } => format!("Seq{}", if *flow { "[]" } else { "" }),
                };
                format!("{k} {:?}", &doc.text[n.start..n.end])
            })
            .collect()
    }

    #[test]
    fn yaml_spans_cover_what_is_written() {
        let text = "a: 1 # c\nb:\n  - x: 'q'\n    y: [1, 2]\n  - &n {z: \"é\"}\nc: *n\n";
        let Ok(doc) = parse_yaml(text.to_owned()) else {
            panic!()
        };
        assert_eq!(
            kinds(&doc),
            [
                "Map \"a: 1 # c\\nb:\\n  - x: 'q'\\n    y: [1, 2]\\n  - &n {z: \\\"é\\\"}\\nc: *n\"",
                "Plain \"a\"",
                "Plain \"1\"",
                "Plain \"b\"",
                "Seq \"- x: 'q'\\n    y: [1, 2]\\n  - &n {z: \\\"é\\\"}\"",
                "Map \"x: 'q'\\n    y: [1, 2]\"",
                "Plain \"x\"",
                "Single \"'q'\"",
                "Plain \"y\"",
                "Seq[] \"[1, 2]\"",
                "Plain \"1\"",
                "Plain \"2\"",
                "Map{} \"&n {z: \\\"é\\\"}\"",
                "Plain \"z\"",
                "Double \"\\\"é\\\"\"",
                "Plain \"c\"",
                "Alias \"*n\"",
            ]
        );
        assert!(doc.nodes[12].aliased);
        assert_eq!(doc.nl, "\n");
        assert_eq!(doc.line_text(0), "a: 1 # c");
        assert_eq!(doc.col(doc.nodes[6].start), 4);
    }

    #[test]
    fn json_spans_and_keys() {
        let text = "{\r\n\t\"a\\u0041\": [1, true, null],\r\n\t\"b\": {\"c\": \"d\"}\r\n}";
        let Ok(doc) = parse_json(text.to_owned()) else {
            panic!()
        };
        assert_eq!(doc.nl, "\r\n");
        let Some(root) = doc.root else { panic!() };
        let Kind::Map { entries, .. } = &doc.node(root).kind else {
            panic!()
        };
        assert_eq!(entries[0].key, "aA");
        assert_eq!(doc.slice(entries[0].value), "[1, true, null]");
        assert_eq!(doc.slice(entries[1].value), "{\"c\": \"d\"}");
        assert_eq!(doc.slice(root), text);
        assert!(parse_json("{\"a\": [1".to_owned()).is_err());
    }
}
