//! Reading a config tree (JSON, or YAML as cloudflared's `yaml.v3` reads it) into the model.
//!
//! JSON keys are matched case-insensitively, with Go's `encoding/json` folding; YAML keys exactly
//! (a wrong-case key in config.yml is ignored by cloudflared, so it is kept as an unknown key).
//! Types are checked as Go checks them; a wrong type is an error naming the rule and field.

use std::fmt;

use saphyr_parser::ScalarStyle;
use serde_json::{Map, Number, Value};

use super::duration::{Duration, parse_go_duration};
use super::fields::{OriginField, SlotMut};
use super::jsontree::Json;
use super::model::{
    Access, IngressRule, IpRule, OriginRequest, RuleFields, Setting, TunnelConfig, WarpRouting,
};
use super::rawjson::{RawJson, collapsed_order, push_json_str};
use super::yamltree::{ScalarTag, YamlNode, YamlValue};

/// Where a wrong value was found, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// JSON path such as `ingress[2].originRequest.connectTimeout`.
    pub path: String,
    /// The rule (0-based) the path is in, if any.
    pub rule: Option<usize>,
    /// Line and column (1-based) in a YAML file.
    pub location: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((line, col)) = self.location {
            write!(f, "line {line}, column {col}: ")?;
        }
        f.write_str(&self.path)?;
        if let Some(r) = self.rule {
            write!(f, " (rule #{})", r + 1)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for DecodeError {}

/// Which reader's rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The remote config (Go `encoding/json`).
    Json,
    /// cloudflared's `config.yml` (Go `yaml.v3`).
    Yaml,
}

/// One node of the input tree.
#[derive(Clone, Copy)]
pub enum Node<'a> {
    /// A JSON value.
    Json(&'a Value),
    /// A node of the light JSON tree.
    Tree(&'a Json<'a>),
    /// A YAML node (scalars unresolved, as written).
    Yaml(&'a YamlNode<'a>),
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A path into the tree, built on the stack and only formatted on error.
#[derive(Clone, Copy)]
struct PathRef<'p> {
    parent: Option<&'p PathRef<'p>>,
    seg: Seg<'p>,
}

impl<'p> PathRef<'p> {
    fn child<'q>(&'q self, seg: Seg<'q>) -> PathRef<'q> {
        PathRef {
            parent: Some(self),
            seg,
        }
    }

    fn render(&self) -> (String, Option<usize>) {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        segs.reverse();
        let mut s = String::new();
        let mut rule = None;
        for (i, seg) in segs.iter().enumerate() {
            match seg {
                Seg::Key(k) if k.is_empty() && i == 0 => {}
                Seg::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Seg::Index(n) => {
                    if i == 2 && matches!(segs[1], Seg::Key("ingress")) {
                        rule = Some(*n);
                    }
                    s.push_str(&format!("[{n}]"));
                }
            }
        }
        if s.is_empty() {
            s.push_str("(top level)");
        }
        (s, rule)
    }
}

const ROOT: PathRef<'static> = PathRef {
    parent: None,
    seg: Seg::Key(""),
};

type Res<T> = Result<T, DecodeError>;

fn fail<T>(path: &PathRef<'_>, node: Node<'_>, message: String) -> Res<T> {
    let (p, rule) = path.render();
    let location = match node {
        Node::Yaml(y) => Some((y.line, y.col)),
        Node::Json(_) | Node::Tree(_) => None,
    };
    Err(DecodeError {
        path: p,
        rule,
        location,
        message,
    })
}

/// Go `encoding/json`'s key folding: ASCII case-insensitive, and for other letters
/// `ToUpper(ToLower(r))`, so the Kelvin sign matches `k` and the long s matches `s`.
pub fn go_fold_eq(input: &str, name: &str) -> bool {
    if input.len() == name.len() && input.eq_ignore_ascii_case(name) {
        return true;
    }
    if input.is_ascii() {
        return false;
    }
    let fold = |c: char| -> char {
        if c.is_ascii() {
            c.to_ascii_uppercase()
        } else {
            let lower = c.to_lowercase().next().unwrap_or(c);
            lower.to_uppercase().next().unwrap_or(lower)
        }
    };
    input.chars().map(fold).eq(name.chars().map(fold))
}

fn describe(node: Node<'_>) -> String {
    match node {
        Node::Tree(t) => match t {
            Json::Null => "null".to_owned(),
            Json::Bool(b) => format!("boolean {b}"),
            Json::Number(n) => format!("number {n}"),
            Json::String(s) => format!("string {}", short_quote(s)),
            Json::Array(_) => "a list".to_owned(),
            Json::Object(_) => "an object".to_owned(),
            Json::Raw(r) if r.get().starts_with('[') => "a list".to_owned(),
            Json::Raw(_) => "an object".to_owned(),
        },
        Node::Json(v) => match v {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => format!("boolean {b}"),
            Value::Number(n) => format!("number {n}"),
            Value::String(s) => format!("string {}", short_quote(s)),
            Value::Array(_) => "a list".to_owned(),
            Value::Object(_) => "an object".to_owned(),
        },
        Node::Yaml(y) => match &y.value {
            YamlValue::Scalar {
                text,
                style: ScalarStyle::Plain,
                ..
            } => short_quote(text),
            YamlValue::Scalar { text, .. } => format!("string {}", short_quote(text)),
            YamlValue::Seq {
                foreign_tag: false, ..
            } => "a list".to_owned(),
            YamlValue::Map {
                foreign_tag: false, ..
            } => "a mapping".to_owned(),
            _ => "a value of another kind".to_owned(),
        },
    }
}

fn short_quote(s: &str) -> String {
    let mut t: String = s.chars().take(60).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    crate::text::inert(&format!("{t:?}")).into_owned()
}

/// The scalar text of a YAML node, with whether it was plain (unquoted).
fn yaml_scalar<'a>(y: &'a YamlNode<'a>) -> Option<(&'a str, bool, bool)> {
    match &y.value {
        YamlValue::Scalar { text, style, tag } => {
            let str_tag = *tag == ScalarTag::Str;
            Some((
                text.as_ref(),
                *style == ScalarStyle::Plain && !str_tag,
                str_tag,
            ))
        }
        _ => None,
    }
}

fn yaml_is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// yaml.v3's integer resolution: Go `ParseInt(s, 0, 64)` after removing underscores.
fn yaml_int(text: &str) -> Option<i128> {
    let plain: String = text.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match plain.as_bytes().first() {
        Some(b'-') => (true, &plain[1..]),
        Some(b'+') => (false, &plain[1..]),
        _ => (false, plain.as_str()),
    };
    let (radix, digits) =
        if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, d)
        } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, d)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() {
        return None;
    }
    let v = u128::from_str_radix(digits, radix).ok()?;
    let v = i128::try_from(v).ok()?;
    Some(if neg { -v } else { v })
}

fn yaml_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => Some(f64::NAN),
        _ => {
            let plain: String = text.chars().filter(|&c| c != '_').collect();
            let looks = plain.bytes().any(|b| b.is_ascii_digit())
                && plain
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
            if looks { plain.parse().ok() } else { None }
        }
    }
}

impl<'a> Node<'a> {
    fn is_null(self) -> bool {
        match self {
            Node::Json(v) => v.is_null(),
            Node::Tree(t) => matches!(t, Json::Null),
            Node::Yaml(y) => match &y.value {
                YamlValue::Scalar {
                    text,
                    style: ScalarStyle::Plain,
                    tag: ScalarTag::None,
                } => yaml_is_null(text),
                YamlValue::Empty => true,
                _ => false,
            },
        }
    }

    fn entries(self, path: &PathRef<'_>) -> Res<Vec<(&'a str, Node<'a>)>> {
        match self {
            Node::Json(Value::Object(m)) => {
                Ok(m.iter().map(|(k, v)| (k.as_str(), Node::Json(v))).collect())
            }
            Node::Tree(Json::Object(o)) => {
                Ok(o.iter().map(|(k, v)| (k.as_ref(), Node::Tree(v))).collect())
            }
            Node::Yaml(y) => match &y.value {
                YamlValue::Map {
                    entries: m,
                    foreign_tag: false,
                } => {
                    let mut out = Vec::with_capacity(m.len());
                    for (k, v) in m {
                        let key = match yaml_scalar(k) {
                            Some((text, _, _)) => text,
                            None => {
                                return fail(
                                    path,
                                    Node::Yaml(k),
                                    "mapping keys must be plain strings".to_owned(),
                                );
                            }
                        };
                        out.push((key, Node::Yaml(v)));
                    }
                    Ok(out)
                }
                _ => fail(
                    path,
                    self,
                    format!("expected a mapping, found {}", describe(self)),
                ),
            },
            _ => fail(
                path,
                self,
                format!("expected an object, found {}", describe(self)),
            ),
        }
    }

    fn items(self, path: &PathRef<'_>) -> Res<Vec<Node<'a>>> {
        match self {
            Node::Json(Value::Array(a)) => Ok(a.iter().map(Node::Json).collect()),
            Node::Tree(Json::Array(a)) => Ok(a.iter().map(Node::Tree).collect()),
            Node::Yaml(y) => match &y.value {
                YamlValue::Seq {
                    items,
                    foreign_tag: false,
                } => Ok(items.iter().map(Node::Yaml).collect()),
                _ => fail(
                    path,
                    self,
                    format!("expected a list, found {}", describe(self)),
                ),
            },
            _ => fail(
                path,
                self,
                format!("expected a list, found {}", describe(self)),
            ),
        }
    }

    fn bool(self, path: &PathRef<'_>) -> Res<bool> {
        match self {
            Node::Json(Value::Bool(b)) | Node::Tree(Json::Bool(b)) => Ok(*b),
            Node::Yaml(y) => {
                if let Some((text, plain, _)) = yaml_scalar(y) {
                    if plain {
                        match text {
                            "true" | "True" | "TRUE" => return Ok(true),
                            "false" | "False" | "FALSE" => return Ok(false),
                            _ => {}
                        }
                    }
                    match text {
                        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return Ok(true),
                        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => return Ok(false),
                        _ => {}
                    }
                }
                fail(
                    path,
                    self,
                    format!("expected true or false, found {}", describe(self)),
                )
            }
            _ => fail(
                path,
                self,
                format!("expected true or false, found {}", describe(self)),
            ),
        }
    }

    fn string(self, path: &PathRef<'_>) -> Res<String> {
        match self {
            Node::Json(Value::String(s)) => Ok(s.clone()),
            Node::Tree(Json::String(s)) => Ok(s.to_string()),
            Node::Yaml(y) => match yaml_scalar(y) {
                Some((text, _, _)) => Ok(text.to_owned()),
                None => fail(
                    path,
                    self,
                    format!("expected a string, found {}", describe(self)),
                ),
            },
            _ => fail(
                path,
                self,
                format!("expected a string, found {}", describe(self)),
            ),
        }
    }

    fn integer(self, path: &PathRef<'_>) -> Res<i128> {
        match self {
            Node::Json(Value::Number(n)) | Node::Tree(Json::Number(n)) => {
                if let Some(i) = n.as_i64() {
                    Ok(i128::from(i))
                } else if let Some(u) = n.as_u64() {
                    Ok(i128::from(u))
                } else {
                    fail(
                        path,
                        self,
                        format!("expected a whole number, found {}", describe(self)),
                    )
                }
            }
            Node::Yaml(y) => {
                if let Some((text, true, _)) = yaml_scalar(y) {
                    if let Some(i) = yaml_int(text) {
                        return Ok(i);
                    }
                    if let Some(f) = yaml_float(text)
                        && f.is_finite()
                        && f.abs() < 9.2e18
                    {
                        #[allow(clippy::cast_possible_truncation)]
                        return Ok(f.trunc() as i128);
                    }
                }
                fail(
                    path,
                    self,
                    format!("expected a whole number, found {}", describe(self)),
                )
            }
            _ => fail(
                path,
                self,
                format!("expected a whole number, found {}", describe(self)),
            ),
        }
    }

    fn i64(self, path: &PathRef<'_>) -> Res<i64> {
        let v = self.integer(path)?;
        match i64::try_from(v) {
            Ok(v) => Ok(v),
            Err(_) => fail(path, self, format!("{v} is out of range")),
        }
    }

    fn u64(self, path: &PathRef<'_>) -> Res<u64> {
        let v = self.integer(path)?;
        match u64::try_from(v) {
            Ok(v) => Ok(v),
            Err(_) => fail(
                path,
                self,
                format!("expected a number from 0 up, found {v}"),
            ),
        }
    }

    fn duration(self, path: &PathRef<'_>) -> Res<Duration> {
        match self {
            Node::Json(Value::Number(n)) | Node::Tree(Json::Number(n)) => match n.as_i64() {
                Some(secs) => Ok(Duration::from_secs(secs)),
                None => fail(
                    path,
                    self,
                    format!(
                        "expected whole seconds (the remote config stores durations as integers), found {n}"
                    ),
                ),
            },
            Node::Json(_) | Node::Tree(_) => fail(
                path,
                self,
                format!(
                    "expected whole seconds as a number (the remote config does not take strings like \"30s\"), found {}",
                    describe(self)
                ),
            ),
            Node::Yaml(y) => match yaml_scalar(y) {
                Some((text, plain, _)) => {
                    if plain && yaml_int(text).is_some() {
                        return fail(
                            path,
                            self,
                            format!(
                                "expected a duration such as \"{text}s\" (config.yml does not take bare numbers), found {text}"
                            ),
                        );
                    }
                    match parse_go_duration(text) {
                        Ok(n) => Ok(Duration::from_nanos(n)),
                        Err(e) => fail(path, self, e),
                    }
                }
                None => fail(
                    path,
                    self,
                    format!(
                        "expected a duration such as \"30s\", found {}",
                        describe(self)
                    ),
                ),
            },
        }
    }

    /// The value of an exact key of an object (the last one if repeated).
    pub fn field(self, key: &str) -> Option<Node<'a>> {
        match self {
            Node::Json(Value::Object(m)) => m.get(key).map(Node::Json),
            Node::Tree(t @ Json::Object(_)) => t.get(key).map(Node::Tree),
            _ => None,
        }
    }

    /// The keys of an object (empty for other nodes).
    pub fn keys(self) -> Vec<&'a str> {
        match self {
            Node::Json(Value::Object(m)) => m.keys().map(String::as_str).collect(),
            Node::Tree(Json::Object(o)) => o.iter().map(|(k, _)| k.as_ref()).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the node is JSON `null`.
    pub fn is_json_null(self) -> bool {
        self.is_null()
    }

    /// The node as a `serde_json::Value` (builds a tree: for the few small values read whole).
    pub fn to_value(self) -> Value {
        match self {
            Node::Json(v) => v.clone(),
            Node::Tree(t) => t.to_value(),
            Node::Yaml(y) => yaml_to_json(y),
        }
    }

    /// The node as compact JSON text, for keys the model does not know.
    pub fn to_json(self) -> RawJson {
        match self {
            Node::Json(v) => RawJson::from_value(v),
            Node::Tree(t) => t.to_raw(),
            Node::Yaml(y) => {
                let mut out = String::new();
                write_yaml_as_json(y, &mut out);
                RawJson::from_canonical(out)
            }
        }
    }
}

/// Whether a plain (unquoted) YAML scalar with this text resolves to something other than a string.
pub fn yaml_plain_is_not_string(text: &str) -> bool {
    yaml_is_null(text)
        || matches!(text, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
        || yaml_int(text).is_some()
        || yaml_float(text).is_some()
}

/// A YAML node as JSON, resolving plain scalars as `yaml.v3` does. Recursion is bounded: the
/// tree is at most [`super::yamltree::MAX_DEPTH`] deep.
fn yaml_to_json(y: &YamlNode<'_>) -> Value {
    match &y.value {
        YamlValue::Scalar { text, style, tag } => {
            if *style != ScalarStyle::Plain || matches!(tag, ScalarTag::Str | ScalarTag::Foreign) {
                return Value::String(text.to_string());
            }
            if yaml_is_null(text) {
                return Value::Null;
            }
            match text.as_ref() {
                "true" | "True" | "TRUE" => return Value::Bool(true),
                "false" | "False" | "FALSE" => return Value::Bool(false),
                _ => {}
            }
            if let Some(i) = yaml_int(text) {
                if let Ok(i) = i64::try_from(i) {
                    return Value::Number(i.into());
                }
                if let Ok(u) = u64::try_from(i) {
                    return Value::Number(u.into());
                }
            }
            if let Some(f) = yaml_float(text)
                && let Some(n) = Number::from_f64(f)
            {
                return Value::Number(n);
            }
            Value::String(text.to_string())
        }
        YamlValue::Seq { items, .. } => Value::Array(items.iter().map(yaml_to_json).collect()),
        YamlValue::Map { entries, .. } => {
            let mut out = Map::new();
            for (k, v) in entries {
                let key = match &k.value {
                    YamlValue::Scalar { text, .. } => text.to_string(),
                    _ => format!("{:?}", yaml_to_json(k)),
                };
                out.insert(key, yaml_to_json(v));
            }
            Value::Object(out)
        }
        YamlValue::Empty => Value::Null,
    }
}

/// Writes a YAML node as canonical JSON text (see [`RawJson`]); recursion is bounded by the
/// tree's depth limit.
fn write_yaml_as_json(y: &YamlNode<'_>, out: &mut String) {
    match &y.value {
        YamlValue::Seq { items, .. } => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_yaml_as_json(item, out);
            }
            out.push(']');
        }
        YamlValue::Map { entries, .. } => {
            let keys: Vec<String> = entries
                .iter()
                .map(|(k, _)| match &k.value {
                    YamlValue::Scalar { text, .. } => text.to_string(),
                    _ => format!("{:?}", yaml_to_json(k)),
                })
                .collect();
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            out.push('{');
            for (n, i) in collapsed_order(&refs).into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                push_json_str(out, &keys[i]);
                out.push(':');
                write_yaml_as_json(&entries[i].1, out);
            }
            out.push('}');
        }
        _ => out.push_str(&serde_json::to_string(&yaml_to_json(y)).unwrap_or_default()),
    }
}

/// How keys are compared.
fn key_is(dialect: Dialect, input: &str, name: &str) -> bool {
    match dialect {
        Dialect::Json => go_fold_eq(input, name),
        Dialect::Yaml => input == name,
    }
}

/// Reads one field into a `Setting`: null stays null, a value is decoded with `f`.
fn setting<'a, T>(
    node: Node<'a>,
    path: &PathRef<'_>,
    f: impl FnOnce(Node<'a>, &PathRef<'_>) -> Res<T>,
) -> Res<Setting<T>> {
    if node.is_null() {
        Ok(Setting::Null)
    } else {
        f(node, path).map(Setting::Set)
    }
}

/// Decodes a whole config from its root node.
pub fn decode_config(root: Node<'_>, dialect: Dialect) -> Res<TunnelConfig> {
    let mut cfg = TunnelConfig::default();
    if root.is_null() {
        return Ok(cfg);
    }
    for (key, node) in root.entries(&ROOT)? {
        let path = ROOT.child(Seg::Key(key));
        if key_is(dialect, key, "ingress") {
            cfg.ingress = setting(node, &path, |n, p| {
                n.items(p)?
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| decode_rule(item, &p.child(Seg::Index(i)), dialect))
                    .collect()
            })?;
        } else if key_is(dialect, key, "originRequest") {
            cfg.origin_request = setting(node, &path, |n, p| decode_origin(n, p, dialect))?;
        } else if key_is(dialect, key, "warp-routing") {
            cfg.warp_routing = setting(node, &path, |n, p| decode_warp(n, p, dialect))?;
        } else {
            cfg.extra.insert(key.to_owned(), node.to_json());
        }
    }
    Ok(cfg)
}

fn decode_rule(node: Node<'_>, path: &PathRef<'_>, dialect: Dialect) -> Res<IngressRule> {
    let mut rule = RuleFields::default();
    if node.is_null() {
        return Ok(rule.into());
    }
    for (key, value) in node.entries(path)? {
        let p = path.child(Seg::Key(key));
        if key_is(dialect, key, "hostname") {
            rule.hostname = setting(value, &p, Node::string)?;
        } else if key_is(dialect, key, "path") {
            rule.path = setting(value, &p, Node::string)?;
        } else if key_is(dialect, key, "service") {
            rule.service = setting(value, &p, Node::string)?;
        } else if key_is(dialect, key, "originRequest") {
            rule.origin_request = setting(value, &p, |n, pp| {
                decode_origin(n, pp, dialect).map(Box::new)
            })?;
        } else {
            rule.extra.insert(key.to_owned(), value.to_json());
        }
    }
    Ok(rule.into())
}

fn decode_warp(node: Node<'_>, path: &PathRef<'_>, dialect: Dialect) -> Res<WarpRouting> {
    let mut w = WarpRouting::default();
    for (key, value) in node.entries(path)? {
        let p = path.child(Seg::Key(key));
        if key_is(dialect, key, "enabled") {
            w.enabled = setting(value, &p, Node::bool)?;
        } else {
            w.extra.insert(key.to_owned(), value.to_json());
        }
    }
    Ok(w)
}

/// Reads one catalogue field into its slot, by the slot's kind.
fn decode_slot(slot: SlotMut<'_>, value: Node<'_>, p: &PathRef<'_>, dialect: Dialect) -> Res<()> {
    match slot {
        SlotMut::Bool(s) => *s = setting(value, p, Node::bool)?,
        SlotMut::Text(s) => *s = setting(value, p, Node::string)?,
        SlotMut::Duration(s) => *s = setting(value, p, Node::duration)?,
        SlotMut::Int(s) => *s = setting(value, p, Node::i64)?,
        SlotMut::Uint(s) => *s = setting(value, p, Node::u64)?,
        SlotMut::TextList(s) => {
            *s = setting(value, p, |n, pp| {
                n.items(pp)?
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        if item.is_null() {
                            Ok(String::new())
                        } else {
                            item.string(&pp.child(Seg::Index(i)))
                        }
                    })
                    .collect()
            })?;
        }
        SlotMut::IpRules(s) => {
            *s = setting(value, p, |n, pp| {
                n.items(pp)?
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| decode_ip_rule(item, &pp.child(Seg::Index(i)), dialect))
                    .collect()
            })?;
        }
        SlotMut::Access(s) => *s = setting(value, p, |n, pp| decode_access(n, pp, dialect))?,
    }
    Ok(())
}

fn decode_origin(node: Node<'_>, path: &PathRef<'_>, dialect: Dialect) -> Res<OriginRequest> {
    let mut o = OriginRequest::default();
    for (key, value) in node.entries(path)? {
        let p = path.child(Seg::Key(key));
        match OriginField::find_origin_key(|name| key_is(dialect, key, name))
            .and_then(|f| f.slot_mut(&mut o))
        {
            Some(slot) => decode_slot(slot, value, &p, dialect)?,
            None => {
                o.extra.insert(key.to_owned(), value.to_json());
            }
        }
    }
    Ok(o)
}

fn decode_ip_rule(node: Node<'_>, path: &PathRef<'_>, dialect: Dialect) -> Res<IpRule> {
    let mut r = IpRule::default();
    if node.is_null() {
        return Ok(r);
    }
    for (key, value) in node.entries(path)? {
        let p = path.child(Seg::Key(key));
        if key_is(dialect, key, "prefix") {
            r.prefix = setting(value, &p, Node::string)?;
        } else if key_is(dialect, key, "ports") {
            r.ports = setting(value, &p, |n, pp| {
                n.items(pp)?
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        if item.is_null() {
                            Ok(0)
                        } else {
                            item.i64(&pp.child(Seg::Index(i)))
                        }
                    })
                    .collect()
            })?;
        } else if key_is(dialect, key, "allow") {
            r.allow = setting(value, &p, Node::bool)?;
        } else {
            r.extra.insert(key.to_owned(), value.to_json());
        }
    }
    Ok(r)
}

fn decode_access(node: Node<'_>, path: &PathRef<'_>, dialect: Dialect) -> Res<Access> {
    let mut a = Access::default();
    for (key, value) in node.entries(path)? {
        let p = path.child(Seg::Key(key));
        match OriginField::find_access_key(|name| key_is(dialect, key, name))
            .and_then(|f| f.access_slot_mut(&mut a))
        {
            Some(slot) => decode_slot(slot, value, &p, dialect)?,
            None => {
                a.extra.insert(key.to_owned(), value.to_json());
            }
        }
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_folding() {
        assert!(go_fold_eq("HOSTNAME", "hostname"));
        assert!(go_fold_eq("noTlsVerify", "noTLSVerify"));
        assert!(
            go_fold_eq("\u{17f}ervice", "service"),
            "long s folds to s as in Go"
        );
        assert!(
            go_fold_eq("\u{212a}eepAliveTimeout", "keepAliveTimeout"),
            "Kelvin sign folds to k"
        );
        assert!(!go_fold_eq("host", "hostname"));
    }

    #[test]
    fn yaml_ints_follow_yaml_v3() {
        assert_eq!(yaml_int("100"), Some(100));
        assert_eq!(yaml_int("1_000"), Some(1000));
        assert_eq!(yaml_int("0x1F"), Some(31));
        assert_eq!(yaml_int("0o17"), Some(15));
        assert_eq!(yaml_int("017"), Some(15));
        assert_eq!(yaml_int("-5"), Some(-5));
        assert_eq!(yaml_int("abc"), None);
        assert_eq!(yaml_int("1.5"), None);
    }
}
