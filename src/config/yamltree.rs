//! A light YAML tree, built from saphyr-parser's event stream with the limits checked as the
//! events arrive: nesting deeper than [`MAX_DEPTH`], a collection used as a mapping key, a second
//! document, a duplicated key and alias expansion past a node budget all stop the parse at the
//! event that breaks them, before anything is built from the rest of the input. So a file of
//! 20 000 nested lists is refused after reading 101 of them, and every tree this module returns
//! is at most [`MAX_DEPTH`] collections deep, which bounds the recursion of anything that walks or
//! drops it.
//!
//! Scalars are kept as written (text, quoting style and tag class), borrowed from the input when
//! the parser can; the decoder resolves them as cloudflared's `yaml.v3` would. Mappings are lists
//! of pairs in input order: no hashing, a fraction of the memory of a general YAML tree.

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

/// The deepest nesting of collections a config.yml may have: well under the JSON reader's limit
/// of 128, so that every YAML config that loads can be written as JSON and read back.
pub const MAX_DEPTH: usize = 100;

/// How many nodes alias expansion may add to a document (YAML "billion laughs" guard).
const ALIAS_BUDGET: usize = 10_000;

/// What a scalar's tag says about how to read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarTag {
    /// No tag: resolved by its text (`true`, `12`, `~` ...) when plain.
    None,
    /// `!!str`: a string whatever it looks like.
    Str,
    /// Another core-schema tag (`!!int`, `!!bool`, ...): resolved by its text.
    OtherCore,
    /// An application tag (`!foo`): kept as a string.
    Foreign,
}

/// One YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum YamlValue<'a> {
    /// An empty document or an alias to an unknown anchor.
    Empty,
    /// A scalar as written.
    Scalar {
        /// The text, after unquoting and escapes.
        text: Cow<'a, str>,
        /// Plain, quoted, literal or folded.
        style: ScalarStyle,
        /// What its tag says.
        tag: ScalarTag,
    },
    /// A sequence. `foreign_tag`: it carries an application tag (`!foo [..]`).
    Seq {
        /// The items.
        items: Vec<YamlNode<'a>>,
        /// Whether an application tag is attached.
        foreign_tag: bool,
    },
    /// A mapping, in input order; keys are never collections.
    Map {
        /// Key and value pairs.
        entries: Vec<(YamlNode<'a>, YamlNode<'a>)>,
        /// Whether an application tag is attached.
        foreign_tag: bool,
    },
}

/// A value with where it starts in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlNode<'a> {
    /// The value.
    pub value: YamlValue<'a>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// Why a text is not a config.yml document, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

fn error_at(span: Span, message: impl Into<String>) -> YamlError {
    YamlError {
        line: span.start.line(),
        col: span.start.col() + 1,
        message: message.into(),
    }
}

fn scan_error(e: &ScanError) -> YamlError {
    YamlError {
        line: e.marker().line(),
        col: e.marker().col() + 1,
        message: e.info().to_owned(),
    }
}

/// A collection being read.
struct Frame<'a> {
    node: YamlNode<'a>,
    anchor: usize,
    /// For a mapping: the key read, waiting for its value.
    key: Option<YamlNode<'a>>,
    /// Collections along the deepest path below this one, itself included.
    height: usize,
}

#[derive(Default)]
struct Builder<'a> {
    stack: Vec<Frame<'a>>,
    anchors: std::collections::HashMap<usize, (YamlNode<'a>, usize)>,
    alias_budget: usize,
    root: Option<YamlNode<'a>>,
    documents: usize,
    in_second_document: bool,
}

/// Reads one YAML document into a tree; `None` for a stream with no document or an empty one.
pub fn parse(text: &str) -> Result<Option<YamlNode<'_>>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder {
        alias_budget: ALIAS_BUDGET,
        ..Builder::default()
    };
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| scan_error(&e))?;
        if matches!(event, Event::StreamEnd) {
            break;
        }
        b.on_event(event, span)?;
    }
    Ok(b.root)
}

fn scalar_tag(tag: Option<&Tag>) -> ScalarTag {
    match tag {
        None => ScalarTag::None,
        Some(t) if t.is_yaml_core_schema() && t.suffix == "str" => ScalarTag::Str,
        Some(t) if t.is_yaml_core_schema() => ScalarTag::OtherCore,
        Some(_) => ScalarTag::Foreign,
    }
}

fn is_collection(v: &YamlValue<'_>) -> bool {
    matches!(v, YamlValue::Seq { .. } | YamlValue::Map { .. })
}

/// The number of nodes in a tree, counted without recursion, stopping past `limit`.
fn count_nodes(node: &YamlNode<'_>, limit: usize) -> usize {
    let mut count = 0;
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        count += 1;
        if count > limit {
            break;
        }
        match &n.value {
            YamlValue::Seq { items, .. } => stack.extend(items),
            YamlValue::Map { entries, .. } => {
                for (k, v) in entries {
                    stack.push(k);
                    stack.push(v);
                }
            }
            _ => {}
        }
    }
    count
}

const TOO_DEEP: &str = "nested more than 100 levels deep; a tunnel config never needs that (and its JSON form could not be read back)";
const COMPLEX_KEY: &str = "a key here is a list or a mapping; config.yml keys must be plain values";

impl<'a> Builder<'a> {
    fn on_event(&mut self, event: Event<'a>, span: Span) -> Result<(), YamlError> {
        if self.in_second_document && !matches!(event, Event::DocumentStart(_)) {
            return Err(error_at(
                span,
                "a config.yml holds one document; found another after \"---\"",
            ));
        }
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd => Ok(()),
            Event::DocumentStart(_) => {
                self.in_second_document = self.documents > 0;
                Ok(())
            }
            Event::DocumentEnd => {
                self.documents += 1;
                Ok(())
            }
            Event::Scalar(text, style, anchor, tag) => {
                let node = YamlNode {
                    value: YamlValue::Scalar {
                        text,
                        style,
                        tag: scalar_tag(tag.as_deref()),
                    },
                    line: span.start.line(),
                    col: span.start.col() + 1,
                };
                self.insert(node, anchor, 0, span)
            }
            Event::SequenceStart(anchor, tag) => self.open(false, anchor, tag.as_deref(), span),
            Event::MappingStart(anchor, tag) => self.open(true, anchor, tag.as_deref(), span),
            Event::SequenceEnd | Event::MappingEnd => self.close(span),
            Event::Alias(id) => self.alias(id, span),
        }
    }

    fn open(
        &mut self,
        is_map: bool,
        anchor: usize,
        tag: Option<&Tag>,
        span: Span,
    ) -> Result<(), YamlError> {
        if let Some(parent) = self.stack.last()
            && matches!(parent.node.value, YamlValue::Map { .. })
            && parent.key.is_none()
        {
            return Err(error_at(span, COMPLEX_KEY));
        }
        if self.stack.len() + 1 > MAX_DEPTH {
            return Err(error_at(span, TOO_DEEP));
        }
        let foreign_tag = tag.is_some_and(|t| !t.is_yaml_core_schema());
        let value = if is_map {
            YamlValue::Map {
                entries: Vec::new(),
                foreign_tag,
            }
        } else {
            YamlValue::Seq {
                items: Vec::new(),
                foreign_tag,
            }
        };
        self.stack.push(Frame {
            node: YamlNode {
                value,
                line: span.start.line(),
                col: span.start.col() + 1,
            },
            anchor,
            key: None,
            height: 1,
        });
        Ok(())
    }

    fn close(&mut self, span: Span) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        if let YamlValue::Map { entries, .. } = &frame.node.value
            && let Some(dup) = duplicate_key(entries)
        {
            return Err(YamlError {
                line: dup.line,
                col: dup.col,
                message: "duplicated key in mapping".to_owned(),
            });
        }
        self.insert(frame.node, frame.anchor, frame.height, span)
    }

    fn alias(&mut self, id: usize, span: Span) -> Result<(), YamlError> {
        let (line, col) = (span.start.line(), span.start.col() + 1);
        let Some((anchored, height)) = self.anchors.get(&id) else {
            let empty = YamlNode {
                value: YamlValue::Empty,
                line,
                col,
            };
            return self.insert(empty, 0, 0, span);
        };
        let height = *height;
        let count = count_nodes(anchored, self.alias_budget);
        if count > self.alias_budget {
            return Err(error_at(
                span,
                "alias expansion exceeded the maximum node budget (possible billion-laughs attack)",
            ));
        }
        if self.stack.len() + height > MAX_DEPTH {
            return Err(error_at(span, TOO_DEEP));
        }
        self.alias_budget -= count;
        let mut node = anchored.clone();
        node.line = line;
        node.col = col;
        self.insert(node, 0, height, span)
    }

    fn insert(
        &mut self,
        node: YamlNode<'a>,
        anchor: usize,
        height: usize,
        span: Span,
    ) -> Result<(), YamlError> {
        if anchor > 0 {
            self.anchors.insert(anchor, (node.clone(), height));
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        parent.height = parent.height.max(height + 1);
        match &mut parent.node.value {
            YamlValue::Seq { items, .. } => items.push(node),
            YamlValue::Map { entries, .. } => match parent.key.take() {
                None if is_collection(&node.value) => return Err(error_at(span, COMPLEX_KEY)),
                None => parent.key = Some(node),
                Some(key) => entries.push((key, node)),
            },
            _ => {}
        }
        Ok(())
    }
}

/// The later of two equal keys, if a mapping repeats one (keys are equal when their text, style
/// and tag are: `a` and `"a"` are different keys, as saphyr's own loader sees them).
pub(crate) fn duplicate_key<'n, 'a>(
    entries: &'n [(YamlNode<'a>, YamlNode<'a>)],
) -> Option<&'n YamlNode<'a>> {
    let key = |n: &'n YamlNode<'a>| match &n.value {
        YamlValue::Scalar { text, style, tag } => {
            let style = match style {
                ScalarStyle::Plain => 0u8,
                ScalarStyle::SingleQuoted => 1,
                ScalarStyle::DoubleQuoted => 2,
                ScalarStyle::Literal => 3,
                ScalarStyle::Folded => 4,
            };
            Some((text.as_ref(), style, *tag as u8))
        }
        _ => None,
    };
    if entries.len() <= 8 {
        for (i, (k, _)) in entries.iter().enumerate() {
            let this = key(k)?;
            if entries[..i].iter().any(|(p, _)| key(p) == Some(this)) {
                return Some(k);
            }
        }
        return None;
    }
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| key(&entries[a].0).cmp(&key(&entries[b].0)).then(a.cmp(&b)));
    order
        .windows(2)
        .filter(|w| {
            let a = key(&entries[w[0]].0);
            a.is_some() && a == key(&entries[w[1]].0)
        })
        .map(|w| w[1])
        .min()
        .map(|i| &entries[i].0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> YamlError {
        match parse(text) {
            Err(e) => e,
            Ok(t) => panic!("accepted: {t:?}"),
        }
    }

    #[test]
    fn reads_scalars_lists_and_mappings_with_positions() {
        let Ok(Some(root)) = parse("a: 1\nb:\n  - \"x\"\n  - !!str 2\n") else {
            panic!()
        };
        let YamlValue::Map { entries, .. } = &root.value else {
            panic!()
        };
        assert_eq!(entries.len(), 2);
        let (k, v) = &entries[1];
        assert_eq!((k.line, k.col), (2, 1));
        let YamlValue::Seq { items, .. } = &v.value else {
            panic!()
        };
        assert_eq!((items[0].line, items[0].col), (3, 5));
        assert!(matches!(
            &items[1].value,
            YamlValue::Scalar { text, tag: ScalarTag::Str, .. } if text == "2"
        ));
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("# only a comment\n"), Ok(None));
    }

    #[test]
    fn deep_nesting_stops_at_the_limit_without_reading_on() {
        let deep = format!("{}a", "- ".repeat(20_000));
        let e = err(&deep);
        assert_eq!((e.line, e.col), (1, 201), "{e:?}");
        assert!(e.message.contains("nested more than 100 levels"));
        let flow = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        assert!(parse(&flow).is_err());
        let ok = format!("{}a", "- ".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let over = format!("{}a", "- ".repeat(MAX_DEPTH + 1));
        assert!(parse(&over).is_err());
    }

    #[test]
    fn aliases_are_expanded_within_the_depth_and_node_budgets() {
        let Ok(Some(root)) = parse("a: &x [1, 2]\nb: *x\n") else {
            panic!()
        };
        let YamlValue::Map { entries, .. } = &root.value else {
            panic!()
        };
        assert_eq!(entries[0].1.value, entries[1].1.value);
        assert_eq!((entries[1].1.line, entries[1].1.col), (2, 4));
        // Each level doubles: 2^20 nodes from a few hundred bytes.
        let mut bomb = "a0: &a0 [x, x]\n".to_owned();
        for i in 1..20 {
            bomb.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
        }
        assert!(err(&bomb).message.contains("alias expansion"));
        // An alias cannot carry a tree past the depth limit.
        let inner = format!("{}a", "[".repeat(60)) + &"]".repeat(60);
        let e = err(&format!(
            "x: &d {inner}\ny: {}*d{}\n",
            "[".repeat(50),
            "]".repeat(50)
        ));
        assert!(e.message.contains("nested more than"), "{e:?}");
    }

    #[test]
    fn structural_mistakes_are_refused_where_they_are() {
        let e = err("a: 1\n? [b]\n: 2\n");
        assert_eq!((e.line, e.message.as_str()), (2, COMPLEX_KEY));
        let e = err("a: 1\nb: 2\na: 3\n");
        assert_eq!((e.line, e.col), (3, 1));
        assert_eq!(e.message, "duplicated key in mapping");
        let many: String = (0..20).map(|i| format!("k{i}: {i}\n")).collect();
        let e = err(&format!("{many}k7: again\n"));
        assert_eq!(e.line, 21);
        assert!(parse("a: 1\n\"a\": 2\n").is_ok(), "a quoted key differs");
        let e = err("a: 1\n---\nb: 2\n");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("one document"));
        let e = err("a: [\n");
        assert_eq!(e.line, 2);
    }
}
