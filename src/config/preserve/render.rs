//! New text for values that have none in the file yet: scalars quoted only when YAML needs it
//! (and then in the style of the scalar they replace, or of the same key in a neighbouring rule),
//! block and flow YAML at a given column, and JSON in the file's indentation and separators.
//! Everything is written with `\n`; the caller converts to the file's line breaks.

use serde_json::{Map, Value};

use super::doc::{Doc, Kind, NodeId, Style};
use crate::config::decode::yaml_plain_is_not_string;
use crate::config::encode::double_quoted_body;

/// Indentation habits of a config.yml, read from the file (2 when it has no example).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct YamlLayout {
    /// Columns from a key to the keys of the mapping under it.
    pub map_step: usize,
    /// Columns from a key to the `-` of the list under it (0 for `key:\n- item`).
    pub seq_indent: usize,
    /// Columns from a `-` to the first key of the mapping it holds (`- key: v` is 2).
    pub item_gap: usize,
}

impl Default for YamlLayout {
    fn default() -> Self {
        YamlLayout {
            map_step: 2,
            seq_indent: 2,
            item_gap: 2,
        }
    }
}

/// Formatting habits of a JSON file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct JsonLayout {
    /// One level of indentation (`"  "`, `"    "`, `"\t"`).
    pub unit: String,
    /// Between a key and its value (`": "`).
    pub key_sep: String,
    /// After a comma between items on one line (`" "` or `""`).
    pub inline_sep: String,
}

impl Default for JsonLayout {
    fn default() -> Self {
        JsonLayout {
            unit: "  ".to_owned(),
            key_sep: ": ".to_owned(),
            inline_sep: " ".to_owned(),
        }
    }
}

/// A node of the file whose scalar styles new text follows (the same key in a neighbouring rule).
#[derive(Clone, Copy)]
pub(super) struct Hint<'d> {
    doc: Option<&'d Doc>,
    node: Option<NodeId>,
}

impl<'d> Hint<'d> {
    /// A hint from `node` of `doc`.
    pub fn new(doc: &'d Doc, node: Option<NodeId>) -> Self {
        Hint {
            doc: Some(doc),
            node,
        }
    }

    /// No hint: plain style wherever YAML allows it.
    pub fn none() -> Self {
        Hint {
            doc: None,
            node: None,
        }
    }

    fn kind(self) -> Option<&'d Kind> {
        Some(&self.doc?.node(self.node?).kind)
    }

    /// The hint for the value of `key` under this one.
    pub fn key(self, key: &str) -> Self {
        let node = match self.kind() {
            Some(Kind::Map { entries, .. }) => {
                entries.iter().find(|e| e.key == key).map(|e| e.value)
            }
            _ => None,
        };
        Hint { node, ..self }
    }

    /// The hint for item `i` of a list under this one (its last item when shorter).
    pub fn item(self, i: usize) -> Self {
        let node = match self.kind() {
            Some(Kind::Seq { items, .. }) => items.get(i).or(items.last()).copied(),
            _ => None,
        };
        Hint { node, ..self }
    }

    /// The quoting of the hinted scalar, if it is one.
    fn style(self) -> Style {
        match self.kind() {
            Some(Kind::Scalar(s)) => *s,
            _ => Style::Plain,
        }
    }
}

/// Characters that cannot start a plain scalar (YAML indicators), or that are not safe to leave
/// unescaped in a file someone will `cat`.
fn plain_ok(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace)
        || s.ends_with(':')
        || s.contains(": ")
        || s.contains(":\t")
        || s.contains(" #")
        || s.contains("\t#")
        || yaml_plain_is_not_string(s)
    {
        return false;
    }
    if flow && s.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    s.chars().all(|c| !needs_escape(c) && c != '\t')
}

/// Characters a YAML file must hold as escapes in a double-quoted scalar.
fn needs_escape(c: char) -> bool {
    crate::text::is_unsafe(c)
        || matches!(
            c,
            '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{fffe}' | '\u{ffff}'
        )
}

fn double(s: &str) -> String {
    format!("\"{}\"", double_quoted_body(s))
}

/// A string as a YAML scalar: in `prefer`'s style when it can hold `s`, plain only when YAML
/// (and cloudflared's yaml.v3) read it back as this same string, else double-quoted.
pub(super) fn yaml_string(s: &str, prefer: Style, flow: bool) -> String {
    match prefer {
        Style::Double => double(s),
        Style::Single if s.chars().all(|c| !needs_escape(c) && c != '\n') => {
            format!("'{}'", s.replace('\'', "''"))
        }
        Style::Plain | Style::Block | Style::Single if plain_ok(s, flow) => s.to_owned(),
        _ => double(s),
    }
}

/// A mapping key as YAML.
pub(super) fn yaml_key(k: &str, flow: bool) -> String {
    if k != "<<" && plain_ok(k, flow) {
        k.to_owned()
    } else {
        double(k)
    }
}

/// A scalar value (not a list or mapping) as YAML.
pub(super) fn yaml_scalar(v: &Value, prefer: Style, flow: bool) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => yaml_string(s, prefer, flow),
        Value::Array(a) if a.is_empty() => "[]".to_owned(),
        Value::Object(o) if o.is_empty() => "{}".to_owned(),
        other => yaml_flow(other, Hint::none()),
    }
}

/// Whether a value is written on its key's line (`key: v`) rather than on the lines under it.
pub(super) fn is_inline(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => true,
    }
}

/// A value in YAML flow style, on one line.
pub(super) fn yaml_flow(v: &Value, hint: Hint<'_>) -> String {
    match v {
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, item)| yaml_flow(item, hint.item(i)))
                .collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, item)| format!("{}: {}", yaml_key(k, true), yaml_flow(item, hint.key(k))))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        scalar => yaml_scalar(scalar, hint.style(), true),
    }
}

/// `key: value` as block lines at column `indent`, each ending with `\n`.
pub(super) fn yaml_entry(
    out: &mut String,
    key: &str,
    value: &Value,
    indent: usize,
    layout: YamlLayout,
    hint: Hint<'_>,
) {
    pad(out, indent);
    out.push_str(&yaml_key(key, false));
    out.push(':');
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            yaml_map(out, map, indent + layout.map_step, layout, hint);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            yaml_seq(out, items, indent + layout.seq_indent, layout, hint);
        }
        scalar => {
            out.push(' ');
            out.push_str(&yaml_scalar(scalar, hint.style(), false));
            out.push('\n');
        }
    }
}

/// A non-empty mapping as block lines at column `indent`.
pub(super) fn yaml_map(
    out: &mut String,
    map: &Map<String, Value>,
    indent: usize,
    layout: YamlLayout,
    hint: Hint<'_>,
) {
    for (k, v) in map {
        yaml_entry(out, k, v, indent, layout, hint.key(k));
    }
}

/// A non-empty list as block lines with the `-` at column `indent`.
fn yaml_seq(out: &mut String, items: &[Value], indent: usize, layout: YamlLayout, hint: Hint<'_>) {
    for (i, item) in items.iter().enumerate() {
        yaml_item(out, item, indent, layout, hint.item(i));
    }
}

/// One list item as block lines with its `-` at column `dash`: `- key: v` with the mapping's
/// further keys under the first, or `- scalar`.
pub(super) fn yaml_item(
    out: &mut String,
    value: &Value,
    dash: usize,
    layout: YamlLayout,
    hint: Hint<'_>,
) {
    let gap = layout.item_gap.max(2);
    let mut body = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => yaml_map(&mut body, map, dash + gap, layout, hint),
        Value::Array(items) if !items.is_empty() => {
            yaml_seq(&mut body, items, dash + gap, layout, hint)
        }
        scalar => {
            pad(out, dash);
            out.push_str("- ");
            out.push_str(&yaml_scalar(scalar, hint.style(), false));
            out.push('\n');
            return;
        }
    }
    pad(out, dash);
    out.push('-');
    pad(out, gap - 1);
    out.push_str(&body[dash + gap..]);
}

/// `value` as the text that follows a `- ` at column `dash`: its first line unindented, the
/// rest at their columns, without the final line break.
pub(super) fn yaml_item_body(
    value: &Value,
    dash: usize,
    layout: YamlLayout,
    hint: Hint<'_>,
) -> String {
    let mut out = String::new();
    yaml_item(&mut out, value, dash, layout, hint);
    let gap = if is_inline(value) {
        2
    } else {
        layout.item_gap.max(2)
    };
    let body = out.get(dash + gap..).unwrap_or("");
    body.strip_suffix('\n').unwrap_or(body).to_owned()
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// A value as JSON. `pretty`: the indentation of the line it starts on, for one member or item
/// per line; `None` writes it on one line. Strings escape every character a terminal could act on.
pub(super) fn json(out: &mut String, v: &Value, pretty: Option<&str>, layout: &JsonLayout) {
    json_at(out, v, pretty, 0, layout);
}

fn json_at(out: &mut String, v: &Value, pretty: Option<&str>, depth: usize, layout: &JsonLayout) {
    let newline = |out: &mut String, depth: usize| {
        if let Some(base) = pretty {
            out.push('\n');
            out.push_str(base);
            for _ in 0..depth {
                out.push_str(&layout.unit);
            }
        }
    };
    let comma = |out: &mut String| {
        out.push(',');
        if pretty.is_none() {
            out.push_str(&layout.inline_sep);
        }
    };
    match v {
        Value::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    comma(out);
                }
                newline(out, depth + 1);
                json_at(out, item, pretty, depth + 1, layout);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    comma(out);
                }
                newline(out, depth + 1);
                out.push_str(&crate::text::json_inert(k));
                out.push_str(&layout.key_sep);
                json_at(out, item, pretty, depth + 1, layout);
            }
            newline(out, depth);
            out.push('}');
        }
        scalar => out.push_str(&crate::text::json_inert(scalar)),
    }
}

/// A value as JSON text (see [`json`]).
pub(super) fn json_string(v: &Value, pretty: Option<&str>, layout: &JsonLayout) -> String {
    let mut out = String::new();
    json(&mut out, v, pretty, layout);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_are_quoted_only_when_yaml_needs_it() {
        let plain = |s: &str| yaml_string(s, Style::Plain, false);
        assert_eq!(plain("http://localhost:8080"), "http://localhost:8080");
        assert_eq!(plain("http_status:404"), "http_status:404");
        assert_eq!(plain("^/v2/"), "^/v2/");
        assert_eq!(plain("1.5s"), "1.5s");
        assert_eq!(plain("*.example.com"), "\"*.example.com\"");
        assert_eq!(plain("123"), "\"123\"");
        assert_eq!(plain("true"), "\"true\"");
        assert_eq!(plain("~"), "\"~\"");
        assert_eq!(plain(""), "\"\"");
        assert_eq!(plain("a: b"), "\"a: b\"");
        assert_eq!(plain("a #b"), "\"a #b\"");
        assert_eq!(plain(" lead"), "\" lead\"");
        assert_eq!(plain("x\u{1b}[31m"), "\"x\\u001B[31m\"");
        assert_eq!(plain("a\nb"), "\"a\\nb\"");
        assert_eq!(yaml_string("a,b", Style::Plain, true), "\"a,b\"");
        assert_eq!(yaml_string("it's", Style::Single, false), "'it''s'");
        assert_eq!(yaml_string("x", Style::Double, false), "\"x\"");
        assert_eq!(yaml_key("<<", false), "\"<<\"");
    }

    #[test]
    fn block_and_flow_yaml() {
        let rule = json!({"hostname": "a.com", "service": "http://x", "originRequest": {"noTLSVerify": true, "ipRules": [{"prefix": "10.0.0.0/8", "ports": [80]}]}});
        let mut out = String::new();
        yaml_item(&mut out, &rule, 2, YamlLayout::default(), Hint::none());
        assert_eq!(
            out,
            "  - hostname: a.com\n    service: http://x\n    originRequest:\n      noTLSVerify: true\n      ipRules:\n        - prefix: 10.0.0.0/8\n          ports:\n            - 80\n"
        );
        assert_eq!(
            yaml_flow(&rule, Hint::none()),
            "{hostname: a.com, service: http://x, originRequest: {noTLSVerify: true, ipRules: [{prefix: 10.0.0.0/8, ports: [80]}]}}"
        );
        assert_eq!(
            yaml_item_body(&rule, 2, YamlLayout::default(), Hint::none()),
            "hostname: a.com\n    service: http://x\n    originRequest:\n      noTLSVerify: true\n      ipRules:\n        - prefix: 10.0.0.0/8\n          ports:\n            - 80"
        );
        assert_eq!(
            yaml_item_body(&json!("x"), 2, YamlLayout::default(), Hint::none()),
            "x"
        );
    }

    #[test]
    fn json_follows_the_layout() {
        let v = json!({"a": [1, {"b": "\u{202e}"}], "c": {}});
        let tab = JsonLayout {
            unit: "\t".to_owned(),
            ..JsonLayout::default()
        };
        assert_eq!(
            json_string(&v, Some("\t"), &tab),
            "{\n\t\t\"a\": [\n\t\t\t1,\n\t\t\t{\n\t\t\t\t\"b\": \"\\u202e\"\n\t\t\t}\n\t\t],\n\t\t\"c\": {}\n\t}"
        );
        assert_eq!(
            json_string(&v, None, &JsonLayout::default()),
            "{\"a\": [1, {\"b\": \"\\u202e\"}], \"c\": {}}"
        );
    }
}
