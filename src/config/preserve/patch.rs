//! The difference between the config read from a file and the edited config, as edits of the
//! file's text. Both configs become value trees in the file's terms (durations as Go strings in
//! config.yml, whole seconds in JSON); the trees are walked together with the file's span tree:
//! an unchanged value keeps its bytes, a changed scalar gets new text in its place, an added or
//! removed key or item adds or removes its lines, and the ingress list is aligned rule by rule so
//! that a moved rule carries its own text and comments. Whatever cannot be edited in place is
//! written anew as a whole (the smallest enclosing value), with a note.

use serde_json::{Map, Value};

use super::align::{Source, align};
use super::doc::{Doc, Kind, NodeId, Style};
use super::render::{self, Hint, JsonLayout, YamlLayout};
use crate::config::decode::go_fold_eq;
use crate::config::encode::{
    ACCESS_KEYS, EncodeError, IP_RULE_KEYS, RULE_KEYS, TOP_KEYS, WARP_KEYS, config_file_value,
    origin_keys, rule_file_value,
};
use crate::config::model::{IngressRule, Setting, TunnelConfig};

/// Replace bytes `start..end` of the file with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Why a value could not be edited in place.
#[derive(Debug)]
pub(super) enum Fail {
    /// Its text cannot be edited piecewise: the caller writes the enclosing value anew.
    Layout,
    /// The edited config cannot be written in this format at all.
    Encode(EncodeError),
    /// No part of the layout can be trusted around this change (why, for the note).
    Whole(String),
}

impl From<EncodeError> for Fail {
    fn from(e: EncodeError) -> Self {
        Fail::Encode(e)
    }
}

pub(super) type R<T = ()> = Result<T, Fail>;

/// Which object a mapping is, for the keys JSON reads case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    Top,
    Ingress,
    Rule,
    Origin,
    Access,
    IpRules,
    IpRule,
    Warp,
    Other,
}

impl Level {
    fn child(self, key: &str) -> Level {
        match (self, key) {
            (Level::Top, "ingress") => Level::Ingress,
            (Level::Top | Level::Rule, "originRequest") => Level::Origin,
            (Level::Top, "warp-routing") => Level::Warp,
            (Level::Origin, "access") => Level::Access,
            (Level::Origin, "ipRules") => Level::IpRules,
            _ => Level::Other,
        }
    }

    fn item(self) -> Level {
        match self {
            Level::Ingress => Level::Rule,
            Level::IpRules => Level::IpRule,
            _ => Level::Other,
        }
    }

    fn is_known(self, key: &str) -> bool {
        match self {
            Level::Top => TOP_KEYS.contains(&key),
            Level::Rule => RULE_KEYS.contains(&key),
            Level::Origin => origin_keys().contains(&key),
            Level::Access => ACCESS_KEYS.contains(&key),
            Level::IpRule => IP_RULE_KEYS.contains(&key),
            Level::Warp => WARP_KEYS.contains(&key),
            _ => false,
        }
    }
}

/// Where a value sits, which decides how new text for it is shaped.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// The document itself.
    Root,
    /// The value of a block mapping entry with this key node.
    BlockValue { key: NodeId },
    /// An item of a block list whose `-` is at this byte.
    BlockItem { dash: usize },
    /// In a flow collection or JSON; `multiline`: one member per line.
    Flow { multiline: bool },
}

/// Where an insertion goes, in the old entries' numbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// Right after old entry `i` (which stays).
    After(usize),
    /// In front of old entry `i` (`i` may be the count: at the end), wherever the entries around
    /// it that stay are.
    At(usize),
}

/// What an insertion writes.
#[derive(Debug)]
enum Piece {
    /// A new mapping entry.
    Entry(String, Value),
    /// A new list item.
    Item(Value),
    /// Old item `old`'s text (with its comments), with `edits` applied inside it.
    Moved { old: usize, edits: Vec<Edit> },
    /// A copy of old item `old`'s own lines (a duplicated rule), without the comments above it.
    Copy { old: usize },
}

/// The lines of one entry of a block collection.
#[derive(Debug, Clone, Copy)]
struct Geom {
    /// The key, or the `-` of an item.
    start: usize,
    /// Only indentation before `start` on its line.
    own_line: bool,
    /// Something other than indentation and `- ` before `start` on its line (`? key`).
    odd: bool,
    /// Start of the comment lines directly above that belong to it (or of its own line).
    attached: usize,
    /// Past the line break of its last line (comments indented under it included).
    end: usize,
    /// The column of `start`.
    col: usize,
}

/// One rewrite in progress.
pub(super) struct Patcher<'d> {
    doc: &'d Doc,
    yaml: bool,
    yl: YamlLayout,
    jl: JsonLayout,
    edits: Vec<Edit>,
    /// Where the layout could not be kept.
    pub notes: Vec<String>,
}

/// How a path reads in a note: `rule #4`, `ingress[3].originRequest (rule #4)`, `warp-routing`.
pub(super) fn describe(path: &str) -> String {
    let Some(rest) = path.strip_prefix("ingress[") else {
        return if path.is_empty() {
            "the config".to_owned()
        } else {
            path.to_owned()
        };
    };
    let Some((n, tail)) = rest.split_once(']') else {
        return path.to_owned();
    };
    let rule = n
        .parse::<usize>()
        .map_or_else(|_| n.to_owned(), |i| (i + 1).to_string());
    if tail.is_empty() {
        format!("rule #{rule}")
    } else {
        format!("{path} (rule #{rule})")
    }
}

fn child_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// The column of a comment-only line's `#`.
fn comment_col(line: &str) -> Option<usize> {
    let body = line.trim_start_matches([' ', '\t']);
    body.starts_with('#').then(|| line.len() - body.len())
}

/// Applies edits to `text`, whose first byte is at `offset` in the file. `None` when two edits
/// overlap (a bug this module guards against by falling back).
pub(super) fn apply(text: &str, offset: usize, mut edits: Vec<Edit>) -> Option<String> {
    edits.sort_by_key(|e| (e.start, e.end != e.start));
    let mut out =
        String::with_capacity(text.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut at = offset;
    for e in edits {
        if e.start < at || e.end < e.start || e.end > offset + text.len() {
            return None;
        }
        out.push_str(text.get(at - offset..e.start - offset)?);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(text.get(at - offset..)?);
    Some(out)
}

impl<'d> Patcher<'d> {
    /// A rewrite of `doc` (config.yml when `yaml`, else JSON), learning its layout.
    pub fn new(doc: &'d Doc, yaml: bool) -> Self {
        let mut p = Patcher {
            doc,
            yaml,
            yl: YamlLayout::default(),
            jl: JsonLayout::default(),
            edits: Vec::new(),
            notes: Vec::new(),
        };
        if yaml {
            p.yl = p.yaml_layout();
        } else {
            p.jl = p.json_layout();
        }
        p
    }

    /// The edits made.
    pub fn into_edits(self) -> (Vec<Edit>, Vec<String>) {
        (self.edits, self.notes)
    }

    fn text(&self) -> &'d str {
        &self.doc.text
    }

    /// Text written with `\n`, in the file's line breaks.
    fn nl(&self, s: String) -> String {
        if self.doc.nl == "\n" {
            s
        } else {
            s.replace('\n', self.doc.nl)
        }
    }

    fn edit(&mut self, start: usize, end: usize, text: String) {
        self.edits.push(Edit { start, end, text });
    }

    // ----- layout -----

    fn yaml_layout(&self) -> YamlLayout {
        let mut l = YamlLayout::default();
        let (mut step, mut seq, mut gap) = (None, None, None);
        for node in &self.doc.nodes {
            match &node.kind {
                Kind::Map {
                    flow: false,
                    entries,
                } => {
                    for e in entries {
                        let key_col = self.doc.col(self.doc.node(e.key_node).start);
                        match &self.doc.node(e.value).kind {
                            Kind::Map {
                                flow: false,
                                entries: inner,
                            } if step.is_none() => {
                                if let Some(first) = inner.first() {
                                    let c = self.doc.col(self.doc.node(first.key_node).start);
                                    step = c.checked_sub(key_col).filter(|&d| d > 0);
                                }
                            }
                            Kind::Seq { flow: false, items } if seq.is_none() => {
                                if let Some(dash) = items.first().and_then(|&i| self.dash(i).ok()) {
                                    seq = self.doc.col(dash).checked_sub(key_col);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Kind::Seq { flow: false, items } if gap.is_none() => {
                    for &item in items {
                        if let Kind::Map {
                            flow: false,
                            entries,
                        } = &self.doc.node(item).kind
                            && let (Some(first), Ok(dash)) = (entries.first(), self.dash(item))
                        {
                            let c = self.doc.col(self.doc.node(first.key_node).start);
                            gap = c.checked_sub(self.doc.col(dash)).filter(|&d| d >= 2);
                            break;
                        }
                    }
                }
                _ => {}
            }
            if step.is_some() && seq.is_some() && gap.is_some() {
                break;
            }
        }
        l.map_step = step.unwrap_or(l.map_step);
        l.seq_indent = seq.unwrap_or(l.seq_indent);
        l.item_gap = gap.unwrap_or(l.item_gap);
        l
    }

    fn json_layout(&self) -> JsonLayout {
        let mut l = JsonLayout::default();
        let text = self.text();
        if let Some(root) = self.doc.root
            && !self.flow_members(root).is_empty()
        {
            let ws = self.ws_before(root, 0).unwrap_or("");
            if let Some(i) = ws.rfind('\n') {
                let indent = &ws[i + 1..];
                let root_indent = self.line_indent(self.doc.node(root).start);
                if let Some(unit) = indent.strip_prefix(root_indent).filter(|u| !u.is_empty()) {
                    l.unit = unit.to_owned();
                }
            }
        }
        for node in &self.doc.nodes {
            if let Kind::Map { entries, .. } = &node.kind
                && let Some(e) = entries.first()
            {
                let sep = &text[self.doc.node(e.key_node).end..self.doc.node(e.value).start];
                if sep.trim() == ":" && !sep.contains('\n') {
                    l.key_sep = sep.to_owned();
                }
                break;
            }
        }
        for (id, node) in self.doc.nodes.iter().enumerate() {
            let several = match &node.kind {
                Kind::Map { entries, .. } => entries.len() >= 2,
                Kind::Seq { items, .. } => items.len() >= 2,
                _ => false,
            };
            if several
                && let Ok(ws) = self.ws_before(id, 1)
                && !ws.contains('\n')
            {
                l.inline_sep = ws.to_owned();
                break;
            }
        }
        l
    }

    /// The leading whitespace of the line that holds `pos`.
    fn line_indent(&self, pos: usize) -> &'d str {
        let line = self.doc.line_text(self.doc.line_of(pos));
        &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
    }

    // ----- positions -----

    /// The `-` of a block list item.
    fn dash(&self, item: NodeId) -> R<usize> {
        let bytes = self.text().as_bytes();
        let mut i = self.doc.node(item).start;
        while i > 0 && matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r') {
            i -= 1;
        }
        if i == 0 || bytes[i - 1] != b'-' {
            return Err(Fail::Layout);
        }
        let dash = i - 1;
        if dash > 0 && !matches!(bytes[dash - 1], b' ' | b'\t' | b'\n') {
            return Err(Fail::Layout);
        }
        Ok(dash)
    }

    /// Past the `:` after a block mapping key.
    fn colon_end(&self, key: NodeId) -> R<usize> {
        let bytes = self.text().as_bytes();
        let mut i = self.doc.node(key).end;
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b':' {
            Ok(i + 1)
        } else {
            Err(Fail::Layout)
        }
    }

    /// `end` moved back over the line breaks and blanks a block scalar ends with.
    fn content_end(&self, start: usize, end: usize) -> usize {
        let t = &self.text()[start..end];
        start + t.trim_end_matches([' ', '\t', '\r', '\n']).len()
    }

    fn geometry(&self, node: NodeId) -> R<Vec<Geom>> {
        let doc = self.doc;
        let spans: Vec<(usize, usize)> = match &doc.node(node).kind {
            Kind::Map { entries, .. } => entries
                .iter()
                .map(|e| (doc.node(e.key_node).start, doc.node(e.value).end))
                .collect(),
            Kind::Seq { items, .. } => items
                .iter()
                .map(|&i| Ok((self.dash(i)?, doc.node(i).end)))
                .collect::<R<_>>()?,
            _ => return Err(Fail::Layout),
        };
        let mut out = Vec::with_capacity(spans.len());
        for (start, value_end) in spans {
            let prefix = doc.before_on_line(start);
            let own_line = prefix.trim_start_matches([' ', '\t']).is_empty();
            let odd = !prefix.split(['-']).enumerate().all(|(i, part)| {
                part.chars().all(|c| c == ' ' || c == '\t') && (i == 0 || !part.is_empty())
            });
            let col = doc.col(start);
            let last = self.content_end(start, value_end).max(start + 1);
            let mut line = doc.line_of(last - 1) + 1;
            while line < doc.line_count()
                && comment_col(doc.line_text(line)).is_some_and(|c| c > col)
            {
                line += 1;
            }
            let end = doc.line_start(line);
            let first = doc.line_of(start);
            let mut top = first;
            if own_line {
                while top > 0 && comment_col(doc.line_text(top - 1)).is_some_and(|c| c <= col) {
                    top -= 1;
                }
                if top == 0 {
                    // Comments at the very top of the file are its header, not this entry's.
                    top = first;
                }
            }
            out.push(Geom {
                start,
                own_line,
                odd,
                attached: if own_line { doc.line_start(top) } else { start },
                end,
                col,
            });
        }
        Ok(out)
    }

    /// The members of a flow collection: (start, end) of each entry (key to value) or item.
    fn flow_members(&self, node: NodeId) -> Vec<(usize, usize)> {
        let doc = self.doc;
        match &doc.node(node).kind {
            Kind::Map { entries, .. } => entries
                .iter()
                .map(|e| (doc.node(e.key_node).start, doc.node(e.value).end))
                .collect(),
            Kind::Seq { items, .. } => items
                .iter()
                .map(|&i| (doc.node(i).start, doc.node(i).end))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The whitespace in front of member `i` of a flow collection (after the comma or bracket).
    fn ws_before(&self, node: NodeId, i: usize) -> R<&'d str> {
        let members = match (&self.doc.node(node).kind, i) {
            // Only the first member's start is needed: do not list a long list's members.
            (Kind::Map { entries, .. }, 0) => entries
                .first()
                .map(|e| vec![(self.doc.node(e.key_node).start, 0)])
                .unwrap_or_default(),
            (Kind::Seq { items, .. }, 0) => items
                .first()
                .map(|&n| vec![(self.doc.node(n).start, 0)])
                .unwrap_or_default(),
            _ => self.flow_members(node),
        };
        self.ws_in(node, &members, i)
    }

    /// [`Self::ws_before`] with the members already listed.
    fn ws_in(&self, node: NodeId, members: &[(usize, usize)], i: usize) -> R<&'d str> {
        let text = self.text();
        let (start, _) = *members.get(i).ok_or(Fail::Layout)?;
        let seg = if i == 0 {
            let n = self.doc.node(node);
            let open = text[n.start..start].rfind(['{', '[']).ok_or(Fail::Layout)?;
            &text[n.start + open + 1..start]
        } else {
            let seg = &text[members[i - 1].1..start];
            &seg[seg.find(',').ok_or(Fail::Layout)? + 1..]
        };
        if seg.contains('#') || !seg.trim().is_empty() {
            return Err(Fail::Layout);
        }
        Ok(seg)
    }

    fn slot_in(&self, container: NodeId, i: usize) -> R<Slot> {
        let doc = self.doc;
        Ok(match &doc.node(container).kind {
            Kind::Map {
                flow: false,
                entries,
            } => Slot::BlockValue {
                key: entries[i].key_node,
            },
            Kind::Seq { flow: false, items } => Slot::BlockItem {
                dash: self.dash(items[i])?,
            },
            _ => Slot::Flow {
                multiline: self
                    .ws_before(container, 0)
                    .is_ok_and(|ws| ws.contains('\n')),
            },
        })
    }

    // ----- values -----

    /// Makes `node` (which reads as `old`) read as `new`, in place where possible, else by
    /// writing it anew.
    #[allow(clippy::too_many_arguments)]
    fn value(
        &mut self,
        node: NodeId,
        old: &Value,
        new: &Value,
        level: Level,
        path: &str,
        slot: Slot,
        hint: Hint<'d>,
    ) -> R {
        if old == new {
            return Ok(());
        }
        let (edits, notes) = (self.edits.len(), self.notes.len());
        match self.fine(node, old, new, level, path, hint) {
            Err(Fail::Layout) => {
                self.edits.truncate(edits);
                self.notes.truncate(notes);
                self.replace(node, Some(old), new, path, slot, hint)
            }
            other => other,
        }
    }

    /// Edits inside `node`: Err(Layout) when it has to be written anew.
    fn fine(
        &mut self,
        node: NodeId,
        old: &Value,
        new: &Value,
        level: Level,
        path: &str,
        hint: Hint<'d>,
    ) -> R {
        let n = self.doc.node(node);
        if n.aliased {
            return Err(Fail::Whole(format!(
                "{} is a YAML anchor that an alias repeats elsewhere",
                describe(path)
            )));
        }
        match (&n.kind, old, new) {
            (Kind::Map { .. }, Value::Object(o), Value::Object(nw)) if !nw.is_empty() => {
                self.map(node, o, nw, level, path, hint)
            }
            (Kind::Seq { items, .. }, Value::Array(o), Value::Array(nw))
                if !nw.is_empty() && o.len() == nw.len() && items.len() == o.len() =>
            {
                let items = items.clone();
                for (i, (&item, (ov, nv))) in items.iter().zip(o.iter().zip(nw)).enumerate() {
                    if ov != nv {
                        let slot = self.slot_in(node, i)?;
                        let p = format!("{path}[{i}]");
                        self.value(item, ov, nv, level.item(), &p, slot, hint.item(i))?;
                    }
                }
                Ok(())
            }
            (Kind::Scalar(style), _, nw) if *style != Style::Block && render::is_inline(nw) => {
                self.scalar(node, *style, nw)
            }
            _ => Err(Fail::Layout),
        }
    }

    fn scalar_text(&self, style: Style, v: &Value, flow: bool) -> String {
        if self.yaml {
            render::yaml_scalar(v, style, flow)
        } else {
            render::json_string(v, None, &self.jl)
        }
    }

    /// Whether a node is inside a flow collection: the innermost collection whose span holds it
    /// (collections come before their children) is flow.
    fn in_flow(&self, node: NodeId) -> bool {
        let n = self.doc.node(node);
        self.doc.nodes[..node]
            .iter()
            .rev()
            .find(|c| {
                matches!(c.kind, Kind::Map { .. } | Kind::Seq { .. })
                    && c.start <= n.start
                    && n.end <= c.end
            })
            .is_some_and(|c| {
                matches!(
                    c.kind,
                    Kind::Map { flow: true, .. } | Kind::Seq { flow: true, .. }
                )
            })
    }

    fn scalar(&mut self, node: NodeId, style: Style, new: &Value) -> R {
        let n = self.doc.node(node);
        let (start, end) = (n.start, n.end);
        let flow = self.yaml && self.in_flow(node);
        let mut text = self.scalar_text(style, new, flow);
        if start == end {
            // An empty YAML value (`key:` or `-`): it needs its space.
            let before = self.text()[..start].trim_end_matches([' ', '\t']);
            if !before.ends_with([':', '-']) {
                return Err(Fail::Layout);
            }
            text.insert(0, ' ');
        }
        self.edit(start, end, text);
        Ok(())
    }

    /// The text that writes `value` as the whole of `node` in `slot`: the byte range it replaces
    /// and the new text (with `\n` line breaks).
    fn render_in_slot(
        &self,
        node: NodeId,
        value: &Value,
        slot: Slot,
        hint: Hint<'d>,
    ) -> R<(usize, usize, String)> {
        let n = self.doc.node(node);
        let (start, end) = (n.start, n.end);
        let scalar_node = matches!(n.kind, Kind::Scalar(s) if s != Style::Block) && start < end;
        let style = match n.kind {
            Kind::Scalar(s) => s,
            _ => Style::Plain,
        };
        let flow_node = match &n.kind {
            Kind::Map { flow, entries } => *flow && !entries.is_empty(),
            Kind::Seq { flow, items } => *flow && !items.is_empty(),
            _ => false,
        };
        if !self.yaml {
            let multiline = match slot {
                Slot::Flow { multiline } => multiline || self.doc.slice(node).contains('\n'),
                _ => self.doc.slice(node).contains('\n'),
            };
            let base = self.line_indent(start);
            let text = render::json_string(value, multiline.then_some(base), &self.jl);
            return Ok((start, end, text));
        }
        let inline = render::is_inline(value);
        if let Slot::Flow { .. } = slot {
            return Ok((start, end, render::yaml_flow(value, hint)));
        }
        if inline && scalar_node {
            return Ok((start, end, render::yaml_scalar(value, style, false)));
        }
        if !inline && flow_node {
            return Ok((start, end, render::yaml_flow(value, hint)));
        }
        let stop = self.content_end(start, end);
        match slot {
            Slot::Root => {
                let mut out = String::new();
                match value {
                    Value::Object(map) if !map.is_empty() => {
                        render::yaml_map(&mut out, map, 0, self.yl, hint)
                    }
                    other => out = render::yaml_scalar(other, style, false),
                }
                Ok((start, stop, out.trim_end_matches('\n').to_owned()))
            }
            Slot::BlockValue { key } => {
                let colon = self.colon_end(key)?;
                if inline {
                    return Ok((
                        colon,
                        stop.max(colon),
                        format!(" {}", render::yaml_scalar(value, style, false)),
                    ));
                }
                let key_col = self.doc.col(self.doc.node(key).start);
                let mut out = String::from("\n");
                match value {
                    Value::Object(map) => {
                        render::yaml_map(&mut out, map, key_col + self.yl.map_step, self.yl, hint)
                    }
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            render::yaml_item(
                                &mut out,
                                item,
                                key_col + self.yl.seq_indent,
                                self.yl,
                                hint.item(i),
                            );
                        }
                    }
                    _ => {}
                }
                Ok((
                    colon,
                    stop.max(colon),
                    out.trim_end_matches('\n').to_owned(),
                ))
            }
            Slot::BlockItem { dash } => {
                let body = render::yaml_item_body(value, self.doc.col(dash), self.yl, hint);
                Ok((dash + 1, stop.max(dash + 1), format!(" {body}")))
            }
            Slot::Flow { .. } => Err(Fail::Layout),
        }
    }

    /// Writes `node` anew as `new`, noting what of its layout is lost.
    fn replace(
        &mut self,
        node: NodeId,
        old: Option<&Value>,
        new: &Value,
        path: &str,
        slot: Slot,
        hint: Hint<'d>,
    ) -> R {
        let n = self.doc.node(node);
        if n.aliased {
            return Err(Fail::Whole(format!(
                "{} is a YAML anchor that an alias repeats elsewhere",
                describe(path)
            )));
        }
        let collection = matches!(n.kind, Kind::Map { .. } | Kind::Seq { .. });
        // New text follows the node's own styles where it had them.
        let hint = if collection {
            Hint::new(self.doc, Some(node))
        } else {
            hint
        };
        let (start, end, text) = self.render_in_slot(node, new, slot, hint)?;
        let original = &self.text()[start..end];
        if collection || matches!(n.kind, Kind::Scalar(Style::Block)) {
            if self.yaml && crate::config::files::yaml_has_comments(original) {
                self.notes.push(format!(
                    "{} was rewritten whole: its comments are dropped",
                    describe(path)
                ));
            } else if let Some(old) = old
                && let Ok((_, _, before)) = self.render_in_slot(node, old, slot, hint)
                && self.nl(before) != original
            {
                self.notes.push(format!(
                    "{} was rewritten whole: its layout is not kept",
                    describe(path)
                ));
            }
        }
        let text = self.nl(text);
        self.edit(start, end, text);
        Ok(())
    }

    /// The one entry of a mapping that `key` names (JSON matches known keys case-insensitively,
    /// as the reader does); Err when several do.
    fn find(&self, entries: &[super::doc::Entry], key: &str, level: Level) -> R<Option<usize>> {
        let fold = !self.yaml && level.is_known(key);
        let mut found = None;
        for (i, e) in entries.iter().enumerate() {
            if e.key == key || fold && go_fold_eq(&e.key, key) {
                if found.is_some() {
                    return Err(Fail::Layout);
                }
                found = Some(i);
            }
        }
        Ok(found)
    }

    fn map(
        &mut self,
        node: NodeId,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        level: Level,
        path: &str,
        hint: Hint<'d>,
    ) -> R {
        let Kind::Map { entries, .. } = &self.doc.node(node).kind else {
            return Err(Fail::Layout);
        };
        let entries = entries.clone();
        let mut deleted = vec![false; entries.len()];
        let mut inserts = Vec::new();
        // Keys are looked up only where something changes: a key the file repeats does no harm
        // elsewhere.
        let keys: Vec<&String> = new.keys().collect();
        for (pos, (k, nv)) in new.iter().enumerate() {
            match old.get(k) {
                Some(ov) if ov == nv => {}
                Some(ov) => {
                    let i = self.find(&entries, k, level)?.ok_or(Fail::Layout)?;
                    let slot = self.slot_in(node, i)?;
                    let p = child_path(path, k);
                    self.value(
                        entries[i].value,
                        ov,
                        nv,
                        level.child(k),
                        &p,
                        slot,
                        hint.key(k),
                    )?;
                }
                None => {
                    if self.find(&entries, k, level)?.is_some() {
                        // The file has a key that was not read: write this mapping anew.
                        return Err(Fail::Layout);
                    }
                    // After the nearest key before it (in cfingress's order) that the file has.
                    let after = keys[..pos]
                        .iter()
                        .rev()
                        .find_map(|prev| self.find(&entries, prev, level).ok().flatten());
                    let anchor = after.map_or(Anchor::At(0), Anchor::After);
                    inserts.push((anchor, Piece::Entry(k.clone(), nv.clone())));
                }
            }
        }
        for k in old.keys().filter(|k| !new.contains_key(*k)) {
            match self.find(&entries, k, level)? {
                Some(i) => deleted[i] = true,
                None => return Err(Fail::Layout),
            }
        }
        self.container(node, &deleted, inserts, hint)
    }

    // ----- the whole config -----

    /// Edits the config held by `node` (none: an empty YAML document) from `old` into `new`.
    pub(super) fn config(
        &mut self,
        node: Option<NodeId>,
        old: &TunnelConfig,
        new: &TunnelConfig,
    ) -> R {
        let yaml = self.yaml;
        let full = |c: &TunnelConfig| config_file_value(c, yaml, true);
        let node = match node {
            Some(n) if !matches!(self.doc.node(n).kind, Kind::Scalar(_)) => n,
            Some(scalar) => {
                // A document that is only `~` or `null`.
                return self.replace(scalar, None, &full(new)?, "", Slot::Root, Hint::none());
            }
            None => {
                let mut out = String::new();
                if let Value::Object(map) = full(new)? {
                    render::yaml_map(&mut out, &map, 0, self.yl, Hint::none());
                }
                let text = self.text();
                if !text.is_empty() && !text.ends_with('\n') {
                    out.insert(0, '\n');
                }
                let out = self.nl(out);
                self.edit(text.len(), text.len(), out);
                return Ok(());
            }
        };
        // The rules are compared one by one below; the rest of the top level as values, where a
        // set `ingress` stands as an empty list unless it appears, disappears or turns null.
        let mut ov = config_file_value(old, yaml, false)?;
        let mut nv = config_file_value(new, yaml, false)?;
        let rules = match (&old.ingress, &new.ingress) {
            (Setting::Set(a), Setting::Set(b)) => (a != b).then_some((a, b)),
            (a, b) => {
                if a != b {
                    for (value, config) in [(&mut ov, old), (&mut nv, new)] {
                        if let (Some(slot), Some(rules)) =
                            (value.get_mut("ingress"), full(config)?.get("ingress"))
                        {
                            *slot = rules.clone();
                        }
                    }
                }
                None
            }
        };
        let top = |e: Fail| match e {
            Fail::Layout => Fail::Whole("its top level could not be edited in place".to_owned()),
            other => other,
        };
        self.fine(node, &ov, &nv, Level::Top, "", Hint::none())
            .map_err(top)?;
        let Some((a, b)) = rules else {
            return Ok(());
        };
        let Kind::Map { entries, .. } = &self.doc.node(node).kind else {
            return Err(top(Fail::Layout));
        };
        let i = self
            .find(entries, "ingress", Level::Top)?
            .ok_or_else(|| top(Fail::Layout))?;
        let list = entries[i].value;
        let (edits, notes) = (self.edits.len(), self.notes.len());
        match self.rules(list, a, b) {
            Err(Fail::Layout) => {
                self.edits.truncate(edits);
                self.notes.truncate(notes);
                let rules = b
                    .iter()
                    .enumerate()
                    .map(|(i, r)| rule_file_value(r, i, yaml))
                    .collect::<Result<Vec<_>, _>>()?;
                let slot = self.slot_in(node, i)?;
                self.replace(
                    list,
                    None,
                    &Value::Array(rules),
                    "ingress",
                    slot,
                    Hint::new(self.doc, Some(list)),
                )?;
                if !self.notes.iter().any(|n| n.starts_with("ingress ")) {
                    self.notes.push(
                        "ingress was rewritten whole: the layout of its rules is not kept"
                            .to_owned(),
                    );
                }
                Ok(())
            }
            other => other,
        }
    }

    // ----- the ingress list -----

    /// Aligns the old and new rules and edits the list: rules that stay keep their text, changed
    /// ones are edited in place, moved ones carry their text and comments, new ones are written in
    /// the style of their neighbours.
    fn rules(&mut self, node: NodeId, old: &[IngressRule], new: &[IngressRule]) -> R {
        let doc = self.doc;
        let items = match &doc.node(node).kind {
            Kind::Seq { items, .. } if items.len() == old.len() => items.clone(),
            _ => return Err(Fail::Layout),
        };
        if doc.node(node).aliased {
            return Err(Fail::Whole(
                "the ingress list is a YAML anchor that an alias repeats".to_owned(),
            ));
        }
        if new.is_empty() {
            return Err(Fail::Layout);
        }
        let alignment = align(old, new);
        let mut inserts = Vec::with_capacity(alignment.inserted.len());
        for ins in &alignment.inserted {
            let piece = match ins.source {
                Source::Moved(o) => {
                    let saved = std::mem::take(&mut self.edits);
                    let result = self.rule(&items, o, old, ins.new, new, node);
                    let inner = std::mem::replace(&mut self.edits, saved);
                    result?;
                    Piece::Moved {
                        old: o,
                        edits: inner,
                    }
                }
                Source::Copy(o) => Piece::Copy { old: o },
                Source::New => Piece::Item(rule_file_value(&new[ins.new], ins.new, self.yaml)?),
            };
            inserts.push((Anchor::At(ins.at), piece));
        }
        for &(o, n) in &alignment.pairs {
            self.rule(&items, o, old, n, new, node)?;
        }
        self.container(node, &alignment.deleted, inserts, Hint::new(doc, None))
    }
    /// Edits rule `o` of the file (old rule `old[o]`) into `new[n]`.
    fn rule(
        &mut self,
        items: &[NodeId],
        o: usize,
        old: &[IngressRule],
        n: usize,
        new: &[IngressRule],
        list: NodeId,
    ) -> R {
        let ov = rule_file_value(&old[o], o, self.yaml)?;
        let nv = rule_file_value(&new[n], n, self.yaml)?;
        let neighbour = items
            .get(o + 1)
            .or(o.checked_sub(1).and_then(|p| items.get(p)));
        let hint = Hint::new(self.doc, neighbour.copied());
        let slot = self.slot_in(list, o)?;
        self.value(
            items[o],
            &ov,
            &nv,
            Level::Rule,
            &format!("ingress[{n}]"),
            slot,
            hint,
        )
    }

    // ----- adding and removing entries -----

    /// Removes the `deleted` entries of a mapping or list and writes the inserted ones.
    fn container(
        &mut self,
        node: NodeId,
        deleted: &[bool],
        inserts: Vec<(Anchor, Piece)>,
        hint: Hint<'d>,
    ) -> R {
        if inserts.is_empty() && !deleted.contains(&true) {
            return Ok(());
        }
        let survivors: Vec<usize> = (0..deleted.len()).filter(|&i| !deleted[i]).collect();
        let Some(&last) = survivors.last() else {
            return Err(Fail::Layout);
        };
        // Resolve every anchor to an entry that stays: Ok(i) before it, Err(i) after it.
        let mut groups: Vec<(Result<usize, usize>, Vec<Piece>)> = Vec::new();
        for (anchor, piece) in inserts {
            let at = match anchor {
                Anchor::After(i) => Err(i),
                Anchor::At(k) => match survivors.iter().find(|&&s| s >= k) {
                    Some(&s) => Ok(s),
                    None => Err(last),
                },
            };
            match groups.last_mut() {
                Some((a, pieces)) if *a == at => pieces.push(piece),
                _ => groups.push((at, vec![piece])),
            }
        }
        let flow = matches!(
            self.doc.node(node).kind,
            Kind::Map { flow: true, .. } | Kind::Seq { flow: true, .. }
        );
        if flow || !self.yaml {
            self.flow_container(node, deleted, groups, hint)
        } else {
            self.block_container(node, deleted, groups, hint)
        }
    }

    /// The value nodes of a mapping's entries or a list's items.
    fn values(&self, node: NodeId) -> R<Vec<NodeId>> {
        match &self.doc.node(node).kind {
            Kind::Map { entries, .. } => Ok(entries.iter().map(|e| e.value).collect()),
            Kind::Seq { items, .. } => Ok(items.clone()),
            _ => Err(Fail::Layout),
        }
    }

    fn region_text(&self, start: usize, end: usize, edits: Vec<Edit>) -> R<String> {
        apply(&self.text()[start..end], start, edits).ok_or(Fail::Layout)
    }

    fn block_container(
        &mut self,
        node: NodeId,
        deleted: &[bool],
        groups: Vec<(Result<usize, usize>, Vec<Piece>)>,
        hint: Hint<'d>,
    ) -> R {
        let doc = self.doc;
        let geo = self.geometry(node)?;
        let is_seq = matches!(doc.node(node).kind, Kind::Seq { .. });
        if geo.iter().any(|g| g.odd || is_seq && !g.own_line) {
            return Err(Fail::Layout);
        }
        let n = geo.len();
        let gap = |i: usize| &doc.text[geo[i].end..geo[i + 1].attached.max(geo[i].end)];
        let blank_gaps = (0..n.saturating_sub(1))
            .filter(|&i| gap(i).lines().any(is_blank) && !gap(i).is_empty())
            .count();
        let blank_sep = is_seq && n >= 2 && blank_gaps * 2 > n - 1;
        let gap_blank = |i: usize| gap(i).trim().is_empty();
        let values = self.values(node)?;

        // Deletions, one run of neighbouring entries at a time.
        let mut inline_cut = None;
        for (a, b) in runs(deleted) {
            if !geo[a].own_line {
                // The first key of `- key: v`: the next key that stays moves up to the dash.
                let next = geo.get(b + 1).ok_or(Fail::Layout)?;
                let clean = doc.text[geo[b].end..next.start].trim().is_empty();
                if a != 0 || is_seq || !next.own_line || !clean {
                    return Err(Fail::Layout);
                }
                self.edit(geo[a].start, next.start, String::new());
                inline_cut = Some(b + 1);
            } else {
                self.edit(geo[a].attached, geo[b].end, String::new());
                if b + 1 < n {
                    if gap_blank(b) {
                        self.edit(geo[b].end, geo[b + 1].attached, String::new());
                    }
                } else if a > 0 && gap_blank(a - 1) {
                    self.edit(geo[a - 1].end, geo[a].attached, String::new());
                }
            }
        }

        // Insertions.
        for (at, pieces) in groups {
            let anchor = match at {
                Ok(s) | Err(s) => s,
            };
            let col = geo[anchor].col;
            let hint_node = Hint::new(doc, Some(values[neighbour(at)]));
            let mut texts = Vec::with_capacity(pieces.len());
            for piece in pieces {
                let t = match piece {
                    Piece::Entry(k, v) => {
                        let mut out = String::new();
                        render::yaml_entry(&mut out, &k, &v, col, self.yl, hint.key(&k));
                        self.nl(out)
                    }
                    Piece::Item(v) => {
                        let mut out = String::new();
                        render::yaml_item(&mut out, &v, col, self.yl, hint_node);
                        self.nl(out)
                    }
                    Piece::Moved { old, edits } => {
                        let mut t = self.region_text(geo[old].attached, geo[old].end, edits)?;
                        if !t.ends_with('\n') {
                            t.push_str(doc.nl);
                        }
                        t
                    }
                    Piece::Copy { old } => {
                        let from = doc.line_start(doc.line_of(geo[old].start));
                        let mut t = doc.text[from..geo[old].end].to_owned();
                        if !t.ends_with('\n') {
                            t.push_str(doc.nl);
                        }
                        t
                    }
                };
                texts.push(t);
            }
            // Rules follow the list's habit; a new key follows the spacing where it lands (a
            // section added between blank-separated sections gets its blank line).
            let spaced = |i: usize| i + 1 < n && gap(i).lines().any(is_blank) && !gap(i).is_empty();
            let sep = |spaced: bool| if blank_sep || spaced { doc.nl } else { "" };
            match at {
                Ok(s) if geo[s].own_line && inline_cut != Some(s) => {
                    let sep = sep(!is_seq && s > 0 && spaced(s - 1));
                    let text: String = texts.iter().map(|t| format!("{t}{sep}")).collect();
                    self.edit(geo[s].attached, geo[s].attached, text);
                }
                Ok(s) => {
                    // In front of the first key of `- key: v`: the new keys take the dash's line.
                    let body: String = texts.concat();
                    let body = body.get(col..).ok_or(Fail::Layout)?;
                    self.edit(
                        geo[s].start,
                        geo[s].start,
                        format!("{body}{}", " ".repeat(col)),
                    );
                }
                Err(p) => {
                    let sep = sep(!is_seq && spaced(p));
                    let mut text: String = texts.iter().map(|t| format!("{sep}{t}")).collect();
                    let pos = geo[p].end;
                    if pos == doc.text.len() && !doc.text.ends_with('\n') {
                        let trimmed = text.strip_suffix(doc.nl).unwrap_or(&text).to_owned();
                        text = format!("{}{trimmed}", doc.nl);
                    }
                    self.edit(pos, pos, text);
                }
            }
        }
        Ok(())
    }

    fn flow_container(
        &mut self,
        node: NodeId,
        deleted: &[bool],
        groups: Vec<(Result<usize, usize>, Vec<Piece>)>,
        hint: Hint<'d>,
    ) -> R {
        let members = self.flow_members(node);
        let n = members.len();
        let mut ws = Vec::with_capacity(n);
        for i in 0..n {
            ws.push(self.ws_in(node, &members, i)?);
        }
        let multiline = ws.first().is_some_and(|w| w.contains('\n'));
        let item_ws: String = if n >= 2 {
            ws[1].to_owned()
        } else if multiline {
            ws[0].to_owned()
        } else if self.yaml {
            " ".to_owned()
        } else {
            self.jl.inline_sep.clone()
        };
        for (a, b) in runs(deleted) {
            if b + 1 < n {
                self.edit(members[a].0, members[b + 1].0, String::new());
            } else if a > 0 {
                self.edit(members[a - 1].1, members[b].1, String::new());
            } else {
                return Err(Fail::Layout);
            }
        }
        let values = self.values(node)?;
        for (at, pieces) in groups {
            let anchor = match at {
                Ok(s) | Err(s) => s,
            };
            let base = self.line_indent(members[anchor].0);
            let hint_node = Hint::new(self.doc, Some(values[neighbour(at)]));
            let mut texts = Vec::with_capacity(pieces.len());
            for piece in pieces {
                let pretty = multiline.then_some(base);
                let t = match piece {
                    Piece::Entry(k, v) if self.yaml => {
                        format!(
                            "{}: {}",
                            render::yaml_key(&k, true),
                            render::yaml_flow(&v, hint.key(&k))
                        )
                    }
                    Piece::Entry(k, v) => format!(
                        "{}{}{}",
                        crate::text::json_inert(&k),
                        self.jl.key_sep,
                        render::json_string(&v, pretty, &self.jl)
                    ),
                    Piece::Item(v) if self.yaml => render::yaml_flow(&v, hint_node),
                    Piece::Item(v) => render::json_string(&v, pretty, &self.jl),
                    Piece::Moved { old, edits } => {
                        self.region_text(members[old].0, members[old].1, edits)?
                    }
                    Piece::Copy { old } => self.text()[members[old].0..members[old].1].to_owned(),
                };
                texts.push(self.nl(t));
            }
            match at {
                Ok(s) => {
                    let text: String = texts.iter().map(|t| format!("{t},{item_ws}")).collect();
                    self.edit(members[s].0, members[s].0, text);
                }
                Err(p) => {
                    let text: String = texts.iter().map(|t| format!(",{item_ws}{t}")).collect();
                    self.edit(members[p].1, members[p].1, text);
                }
            }
        }
        Ok(())
    }
}

/// The maximal runs `(first, last)` of neighbouring deleted entries.
fn runs(deleted: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < deleted.len() {
        if deleted[i] {
            let a = i;
            while i < deleted.len() && deleted[i] {
                i += 1;
            }
            out.push((a, i - 1));
        } else {
            i += 1;
        }
    }
    out
}

/// The entry whose style a new list item follows: the one above where it goes, else the one below.
fn neighbour(at: Result<usize, usize>) -> usize {
    match at {
        Ok(s) => s.saturating_sub(1),
        Err(p) => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_order_and_refuse_overlaps() {
        let e = |start, end, text: &str| Edit {
            start,
            end,
            text: text.to_owned(),
        };
        assert_eq!(
            apply("abcdef", 0, vec![e(2, 4, "X"), e(4, 4, "Y"), e(0, 0, "<")]),
            Some("<abXYef".to_owned())
        );
        assert_eq!(apply("abcdef", 0, vec![e(1, 3, ""), e(2, 4, "")]), None);
        assert_eq!(
            apply("cdef", 2, vec![e(3, 4, "-")]),
            Some("c-ef".to_owned())
        );
        assert_eq!(describe("ingress[3]"), "rule #4");
        assert_eq!(
            describe("ingress[3].originRequest"),
            "ingress[3].originRequest (rule #4)"
        );
    }
}
