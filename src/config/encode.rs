//! Writing the model back: remote JSON (durations as whole seconds) or cloudflared `config.yml`
//! (durations as Go duration strings). Only keys that were present are written; unknown keys go back
//! as they came.

use std::borrow::Cow;

use saphyr::{Mapping, Scalar, ScalarStyle, Yaml, YamlEmitter};
use serde::ser::{Error as _, Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use thiserror::Error;

use super::decode::go_fold_eq;
use super::duration::Duration;
use super::fields::{OriginField, Slot};
use super::model::{
    Access, Extra, IngressRule, IpRule, OriginRequest, Setting, TunnelConfig, WarpRouting,
};
use super::rawjson::RawJson;

/// A config that the target format cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// A duration with a fraction of a second cannot become remote JSON.
    #[error("{path} is {value}, but remote configs store whole seconds: use {rounded}")]
    FractionalSeconds {
        /// Where.
        path: String,
        /// The duration as written.
        value: String,
        /// A suggestion.
        rounded: String,
    },
    /// A duration too large for the target format.
    #[error("{path} is too large to write as a duration")]
    TooLarge {
        /// Where.
        path: String,
    },
    /// An unknown key that remote JSON would read as a known one (JSON keys are case-insensitive).
    #[error(
        "{path} is an unknown key in config.yml (where keys are case-sensitive), but the remote JSON config would read it as \"{known}\" (its keys are case-insensitive); rename it to \"{known}\" or remove it"
    )]
    FoldedKey {
        /// Where.
        path: String,
        /// The known key it would become.
        known: String,
    },
    /// The YAML emitter failed (should not happen).
    #[error("cannot write YAML: {0}")]
    Yaml(String),
}

/// The structure to write, before choosing a format.
#[derive(Debug, Clone)]
enum Out {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Str(String),
    Dur(Duration, String),
    List(Vec<Out>),
    Map(Vec<(String, Out)>),
    /// An unknown key's value, kept as its compact text until it is written.
    Raw(RawJson),
    /// An unknown key's value whose key folds onto a known key: fine in YAML, refused in JSON.
    Folded(Value, String, String),
}

fn put<T>(
    map: &mut Vec<(String, Out)>,
    key: &str,
    setting: &Setting<T>,
    f: impl FnOnce(&T) -> Out,
) {
    match setting {
        Setting::Absent => {}
        Setting::Null => map.push((key.to_owned(), Out::Null)),
        Setting::Set(v) => map.push((key.to_owned(), f(v))),
    }
}

/// Known keys of each object, for the JSON writer's folding check.
pub(crate) const TOP_KEYS: &[&str] = &["ingress", "originRequest", "warp-routing"];
pub(crate) const RULE_KEYS: &[&str] = &["hostname", "path", "service", "originRequest"];
pub(crate) const IP_RULE_KEYS: &[&str] = &["prefix", "ports", "allow"];
pub(crate) const WARP_KEYS: &[&str] = &["enabled"];

/// Known keys of an originRequest.
pub(crate) fn origin_keys() -> Vec<&'static str> {
    OriginField::ALL
        .iter()
        .filter(|f| !f.is_access_leaf())
        .map(|f| f.key())
        .collect()
}

/// Known keys of `access`, as a constant for the readers that need one (a test checks it
/// equals the catalogue's [`access_keys`]).
pub(crate) const ACCESS_KEYS: &[&str] = &["required", "teamName", "audTag", "environment"];

/// Known keys of `access`, from the field catalogue.
pub(crate) fn access_keys() -> Vec<&'static str> {
    OriginField::ALL
        .iter()
        .filter(|f| f.is_access_leaf())
        .map(|f| f.key())
        .collect()
}

fn put_extra<'k>(
    map: &mut Vec<(String, Out)>,
    extra: &Extra,
    path: &str,
    known: impl Fn() -> Vec<&'k str>,
) {
    if extra.is_empty() {
        return;
    }
    let known = known();
    for (k, v) in extra {
        let out = match known.iter().find(|name| go_fold_eq(k, name)) {
            Some(name) => Out::Folded(
                v.to_value(),
                if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                },
                (*name).to_owned(),
            ),
            None => Out::Raw(v.clone()),
        };
        map.push((k.clone(), out));
    }
}

/// Writes one field of the catalogue, by the kind of its slot.
fn put_slot(m: &mut Vec<(String, Out)>, field: OriginField, slot: Slot<'_>, path: &str) {
    let key = field.key();
    match slot {
        Slot::Bool(s) => put(m, key, s, |b| Out::Bool(*b)),
        Slot::Text(s) => put(m, key, s, |t| Out::Str(t.clone())),
        Slot::Duration(s) => put(m, key, s, |d| Out::Dur(*d, format!("{path}.{key}"))),
        Slot::Int(s) => put(m, key, s, |n| Out::Int(*n)),
        Slot::Uint(s) => put(m, key, s, |n| Out::Uint(*n)),
        Slot::TextList(s) => put(m, key, s, |t| {
            Out::List(t.iter().map(|s| Out::Str(s.clone())).collect())
        }),
        Slot::IpRules(s) => put(m, key, s, |rules| {
            Out::List(
                rules
                    .iter()
                    .enumerate()
                    .map(|(i, r)| ip_rule_out(r, &format!("{path}.{key}[{i}]")))
                    .collect(),
            )
        }),
        Slot::Access(s) => put(m, key, s, |a| access_out(a, &format!("{path}.{key}"))),
    }
}

fn origin_out(o: &OriginRequest, path: &str) -> Out {
    let mut m = Vec::new();
    for &field in OriginField::ALL {
        if let Some(slot) = field.slot(o) {
            put_slot(&mut m, field, slot, path);
        }
    }
    put_extra(&mut m, &o.extra, path, origin_keys);
    Out::Map(m)
}

fn ip_rule_out(r: &IpRule, path: &str) -> Out {
    let mut m = Vec::new();
    put(&mut m, "prefix", &r.prefix, |s| Out::Str(s.clone()));
    put(&mut m, "ports", &r.ports, |p| {
        Out::List(p.iter().map(|n| Out::Int(*n)).collect())
    });
    put(&mut m, "allow", &r.allow, |b| Out::Bool(*b));
    put_extra(&mut m, &r.extra, path, || IP_RULE_KEYS.to_vec());
    Out::Map(m)
}

fn access_out(a: &Access, path: &str) -> Out {
    let mut m = Vec::new();
    for &field in OriginField::ALL {
        if let Some(slot) = field.access_slot(a) {
            put_slot(&mut m, field, slot, path);
        }
    }
    put_extra(&mut m, &a.extra, path, access_keys);
    Out::Map(m)
}

fn rule_out(r: &IngressRule, i: usize) -> Out {
    let mut m = Vec::new();
    put(&mut m, "hostname", &r.hostname, |s| Out::Str(s.clone()));
    put(&mut m, "path", &r.path, |s| Out::Str(s.clone()));
    put(&mut m, "service", &r.service, |s| Out::Str(s.clone()));
    put(&mut m, "originRequest", &r.origin_request, |o| {
        origin_out(o, &format!("ingress[{i}].originRequest"))
    });
    if !r.extra.is_empty() {
        put_extra(&mut m, &r.extra, &format!("ingress[{i}]"), || {
            RULE_KEYS.to_vec()
        });
    }
    Out::Map(m)
}

fn warp_out(w: &WarpRouting) -> Out {
    let mut m = Vec::new();
    put(&mut m, "enabled", &w.enabled, |b| Out::Bool(*b));
    put_extra(&mut m, &w.extra, "warp-routing", || WARP_KEYS.to_vec());
    Out::Map(m)
}

/// Key order of the top level.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    Remote,
    ConfigYml,
}

fn config_out(c: &TunnelConfig, layout: Layout) -> Out {
    config_out_with(c, layout, true)
}

/// `with_rules: false` writes a set `ingress` as an empty list, for callers that handle the rules
/// one by one.
fn config_out_with(c: &TunnelConfig, layout: Layout, with_rules: bool) -> Out {
    let mut m = Vec::new();
    let ingress = |m: &mut Vec<(String, Out)>| {
        put(m, "ingress", &c.ingress, |rules| {
            if !with_rules {
                return Out::List(Vec::new());
            }
            Out::List(
                rules
                    .iter()
                    .enumerate()
                    .map(|(i, r)| rule_out(r, i))
                    .collect(),
            )
        });
    };
    if layout == Layout::ConfigYml {
        put_extra(&mut m, &c.extra, "", || TOP_KEYS.to_vec());
    } else {
        ingress(&mut m);
    }
    put(&mut m, "originRequest", &c.origin_request, |o| {
        origin_out(o, "originRequest")
    });
    put(&mut m, "warp-routing", &c.warp_routing, warp_out);
    if layout == Layout::ConfigYml {
        ingress(&mut m);
    } else {
        put_extra(&mut m, &c.extra, "", || TOP_KEYS.to_vec());
    }
    Out::Map(m)
}

/// `strict`: refuse unknown keys that JSON would read as known ones (for anything written or
/// sent); otherwise keep them (for display and diffs, which never go back through a decoder).
/// Why a duration cannot be written as remote JSON's whole seconds.
fn not_whole_seconds(d: Duration, path: String) -> EncodeError {
    if d.nanos() % 1_000_000_000 != 0 {
        let secs = d.nanos() / 1_000_000_000;
        EncodeError::FractionalSeconds {
            path,
            value: d.to_string(),
            rounded: format!("{}s", if d.nanos() > 0 { secs + 1 } else { secs }),
        }
    } else {
        EncodeError::TooLarge { path }
    }
}

/// The first error [`to_json`] would give in strict mode, found without building anything.
fn check_json(out: &Out) -> Result<(), EncodeError> {
    match out {
        Out::Dur(d, path) if d.whole_secs().is_none() => {
            return Err(not_whole_seconds(*d, path.clone()));
        }
        Out::List(items) => items.iter().try_for_each(check_json)?,
        Out::Map(entries) => entries.iter().try_for_each(|(_, v)| check_json(v))?,
        Out::Folded(_, path, known) => {
            return Err(EncodeError::FoldedKey {
                path: path.clone(),
                known: known.clone(),
            });
        }
        _ => {}
    }
    Ok(())
}

/// Serializes an [`Out`] that [`check_json`] accepted exactly as `to_json(out, true)` would, but
/// without building a `Value`: an unknown value is transcoded from its compact text as it is
/// written, so an unknown list of millions of items costs its output, not 80 bytes per item.
struct JsonOut<'a>(&'a Out);

impl Serialize for JsonOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Out::Null => s.serialize_unit(),
            Out::Bool(b) => s.serialize_bool(*b),
            Out::Int(n) => s.serialize_i64(*n),
            Out::Uint(n) => s.serialize_u64(*n),
            Out::Str(t) => s.serialize_str(t),
            Out::Dur(d, path) => match d.whole_secs() {
                Some(secs) => s.serialize_i64(secs),
                None => Err(S::Error::custom(not_whole_seconds(*d, path.clone()))),
            },
            Out::List(items) => s.collect_seq(items.iter().map(JsonOut)),
            Out::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, &JsonOut(v))?;
                }
                map.end()
            }
            Out::Folded(v, _, _) => v.serialize(s),
            Out::Raw(r) => {
                serde_transcode::transcode(&mut serde_json::Deserializer::from_str(r.as_str()), s)
            }
        }
    }
}

/// A config ready to be written as remote JSON with any `serde_json` serializer, without ever
/// holding it as one `Value` tree (see [`JsonOut`]).
pub struct JsonConfig(Out);

impl JsonConfig {
    /// Fails as [`config_to_json`] does, on what remote JSON cannot hold.
    pub fn new(config: &TunnelConfig) -> Result<Self, EncodeError> {
        let out = config_out(config, Layout::Remote);
        check_json(&out)?;
        Ok(JsonConfig(out))
    }

    /// The top-level keys, in the order they are written.
    pub fn keys(&self) -> Vec<&str> {
        match &self.0 {
            Out::Map(entries) => entries.iter().map(|(k, _)| k.as_str()).collect(),
            _ => Vec::new(),
        }
    }
}

impl Serialize for JsonConfig {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        JsonOut(&self.0).serialize(s)
    }
}

fn to_json(out: Out, strict: bool) -> Result<Value, EncodeError> {
    Ok(match out {
        Out::Null => Value::Null,
        Out::Bool(b) => Value::Bool(b),
        Out::Int(n) => Value::from(n),
        Out::Uint(n) => Value::from(n),
        Out::Str(s) => Value::String(s),
        Out::Dur(d, path) => match d.whole_secs() {
            Some(s) => Value::from(s),
            None => return Err(not_whole_seconds(d, path)),
        },
        Out::List(items) => Value::Array(
            items
                .into_iter()
                .map(|o| to_json(o, strict))
                .collect::<Result<_, _>>()?,
        ),
        Out::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(k, to_json(v, strict)?);
            }
            Value::Object(m)
        }
        Out::Raw(r) => r.to_value(),
        Out::Folded(_, path, known) if strict => {
            return Err(EncodeError::FoldedKey { path, known });
        }
        Out::Folded(v, _, _) => v,
    })
}

/// Whether a plain scalar with this text would be read back by cloudflared's `yaml.v3` as something
/// other than this string (null, bool, number), or holds characters that must be escaped.
fn needs_double_quotes(s: &str) -> bool {
    s.chars()
        .any(|c| crate::text::is_unsafe(c) || c == '\u{85}' || c == '\u{fffe}' || c == '\u{ffff}')
        || super::decode::yaml_plain_is_not_string(s)
}

/// `s` escaped for a YAML double-quoted scalar (without the quotes).
pub(crate) fn double_quoted_body(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if crate::text::is_unsafe(c)
                || c == '\u{85}'
                || c == '\u{fffe}'
                || c == '\u{ffff}' =>
            {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04X}"));
                } else {
                    out.push_str(&format!("\\U{n:08X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn str_yaml(s: String) -> Yaml<'static> {
    if needs_double_quotes(&s) {
        Yaml::Representation(
            Cow::Owned(double_quoted_body(&s)),
            ScalarStyle::DoubleQuoted,
            None,
        )
    } else {
        Yaml::Value(Scalar::String(Cow::Owned(s)))
    }
}

/// YAML allows implicit keys of at most 1024 characters.
const MAX_YAML_KEY: usize = 1024;

/// The deepest nesting a config.yml may have (the reader's limit).
pub(crate) const MAX_YAML_DEPTH: usize = super::yamltree::MAX_DEPTH;

/// Refuses a collection nested deeper than config.yml allows (`depth` counts from 0).
fn nest(depth: usize) -> Result<(), EncodeError> {
    if depth >= MAX_YAML_DEPTH {
        return Err(EncodeError::Yaml(format!(
            "the config is nested more than {MAX_YAML_DEPTH} levels deep, more than config.yml allows; write it as JSON instead"
        )));
    }
    Ok(())
}

/// `depth`: how deeply the key's mapping is nested; the parser's limit counts the
/// indentation (up to two columns per level) as well.
fn yaml_key(k: String, depth: usize) -> Result<Yaml<'static>, EncodeError> {
    // The limit is on the key as written: escapes count.
    // The emitter may quote any key (escaping `"` and `\\`, or doubling `'`): count the longest.
    let written = 2 * depth
        + double_quoted_body(&k).chars().count()
        + k.chars().filter(|&c| c == '\'').count()
        + 2;
    if written > MAX_YAML_KEY - 24 {
        let head: String = k.chars().take(40).collect();
        return Err(EncodeError::Yaml(format!(
            "the key \"{}…\" is longer than config.yml allows for a key (1024 characters); write the config as JSON instead",
            crate::text::inert(&head)
        )));
    }
    Ok(str_yaml(k))
}

fn json_to_yaml(v: Value, depth: usize) -> Result<Yaml<'static>, EncodeError> {
    Ok(match v {
        Value::Null => Yaml::Value(Scalar::Null),
        Value::Bool(b) => Yaml::Value(Scalar::Boolean(b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Yaml::Value(Scalar::Integer(i))
            } else if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                Yaml::Value(Scalar::FloatingPoint(f.into()))
            } else {
                Yaml::Representation(Cow::Owned(n.to_string()), ScalarStyle::Plain, None)
            }
        }
        Value::String(s) => str_yaml(s),
        Value::Array(a) => Yaml::Sequence(
            a.into_iter()
                .map(|v| json_to_yaml(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => {
            nest(depth)?;
            let mut m = Mapping::new();
            for (k, v) in o {
                m.insert(yaml_key(k, depth)?, json_to_yaml(v, depth + 1)?);
            }
            Yaml::Mapping(m)
        }
    })
}

fn to_yaml(out: Out, depth: usize) -> Result<Yaml<'static>, EncodeError> {
    Ok(match out {
        Out::Null => Yaml::Value(Scalar::Null),
        Out::Bool(b) => Yaml::Value(Scalar::Boolean(b)),
        Out::Int(n) => Yaml::Value(Scalar::Integer(n)),
        Out::Uint(n) => match i64::try_from(n) {
            Ok(i) => Yaml::Value(Scalar::Integer(i)),
            Err(_) => Yaml::Representation(Cow::Owned(n.to_string()), ScalarStyle::Plain, None),
        },
        Out::Str(s) => str_yaml(s),
        Out::Dur(d, path) => match d.to_go_string() {
            Some(s) => str_yaml(s),
            None => return Err(EncodeError::TooLarge { path }),
        },
        Out::List(items) => Yaml::Sequence(
            items
                .into_iter()
                .map(|o| to_yaml(o, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Out::Map(entries) => {
            let mut m = Mapping::new();
            for (k, v) in entries {
                m.insert(yaml_key(k, depth)?, to_yaml(v, depth + 1)?);
            }
            Yaml::Mapping(m)
        }
        Out::Folded(v, _, _) => json_to_yaml(v, depth)?,
        Out::Raw(r) => json_to_yaml(r.to_value(), depth)?,
    })
}

/// `out` as the value tree a file holds: for config.yml (`yaml`) durations become Go duration
/// strings and unknown keys are kept as they are; for JSON as [`to_json`] writes it (strict).
fn to_file_value(out: Out, yaml: bool) -> Result<Value, EncodeError> {
    if !yaml {
        return to_json(out, true);
    }
    Ok(match out {
        Out::Dur(d, path) => match d.to_go_string() {
            Some(s) => Value::String(s),
            None => return Err(EncodeError::TooLarge { path }),
        },
        Out::List(items) => Value::Array(
            items
                .into_iter()
                .map(|o| to_file_value(o, true))
                .collect::<Result<_, _>>()?,
        ),
        Out::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(k, to_file_value(v, true)?);
            }
            Value::Object(m)
        }
        other => to_json(other, false)?,
    })
}

/// The config as the value tree a file of that format holds, keys in the order that format's
/// writer uses (`yaml`: config.yml, durations as Go strings; else remote JSON, whole seconds).
/// Without `with_rules`, a set `ingress` is an empty list.
pub(crate) fn config_file_value(
    config: &TunnelConfig,
    yaml: bool,
    with_rules: bool,
) -> Result<Value, EncodeError> {
    let layout = if yaml {
        Layout::ConfigYml
    } else {
        Layout::Remote
    };
    to_file_value(config_out_with(config, layout, with_rules), yaml)
}

/// Rule `index` as the value tree a file of that format holds (see [`config_file_value`]).
pub(crate) fn rule_file_value(
    rule: &IngressRule,
    index: usize,
    yaml: bool,
) -> Result<Value, EncodeError> {
    to_file_value(rule_out(rule, index), yaml)
}

/// The config as the remote JSON object (what goes under `config` in a PUT).
pub fn config_to_json(config: &TunnelConfig) -> Result<Value, EncodeError> {
    to_json(config_out(config, Layout::Remote), true)
}

/// The config as compact remote JSON text, the same as [`config_to_json`] written out, but
/// encoded one rule at a time: a large config never exists as one JSON tree in memory (a
/// 10 000-rule tree takes ~10 MB; its text ~1.2 MB).
pub fn config_to_json_text(config: &TunnelConfig) -> Result<String, EncodeError> {
    let rest = TunnelConfig {
        ingress: Setting::Absent,
        origin_request: config.origin_request.clone(),
        warp_routing: config.warp_routing.clone(),
        extra: config.extra.clone(),
    };
    let json = |v: &Value| serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned());
    let mut out = String::from("{");
    // Remote JSON puts `ingress` first (see `config_out`).
    match &config.ingress {
        Setting::Absent => {}
        Setting::Null => out.push_str("\"ingress\":null"),
        Setting::Set(rules) => {
            out.push_str("\"ingress\":[");
            for (i, rule) in rules.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json(&rule_to_json(rule, i)?));
            }
            out.push(']');
        }
    }
    if let Value::Object(rest) = config_to_json(&rest)? {
        for (key, value) in &rest {
            if out.len() > 1 {
                out.push(',');
            }
            out.push_str(&json(&Value::String(key.clone())));
            out.push(':');
            out.push_str(&json(value));
        }
    }
    out.push('}');
    Ok(out)
}

/// One rule as remote JSON.
pub fn rule_to_json(rule: &IngressRule, index: usize) -> Result<Value, EncodeError> {
    to_json(rule_out(rule, index), true)
}

/// An originRequest as remote JSON.
pub fn origin_to_json(origin: &OriginRequest, path: &str) -> Result<Value, EncodeError> {
    to_json(origin_out(origin, path), true)
}

/// Like [`config_to_json`], for display and comparison only: unknown keys that JSON would read
/// as known ones are kept as they are instead of refused.
pub fn config_to_json_for_display(config: &TunnelConfig) -> Result<Value, EncodeError> {
    to_json(config_out(config, Layout::Remote), false)
}

/// Like [`rule_to_json`], for display and comparison only.
pub fn rule_to_json_for_display(rule: &IngressRule, index: usize) -> Result<Value, EncodeError> {
    to_json(rule_out(rule, index), false)
}

/// Like [`origin_to_json`], for display and comparison only.
pub fn origin_to_json_for_display(
    origin: &OriginRequest,
    path: &str,
) -> Result<Value, EncodeError> {
    to_json(origin_out(origin, path), false)
}

/// The config as a cloudflared `config.yml` document.
pub fn config_to_yaml(config: &TunnelConfig) -> Result<String, EncodeError> {
    let doc = to_yaml(config_out(config, Layout::ConfigYml), 0)?;
    let mut text = String::new();
    {
        let mut emitter = YamlEmitter::new(&mut text);
        emitter
            .dump(&doc)
            .map_err(|e| EncodeError::Yaml(e.to_string()))?;
    }
    let body = text.strip_prefix("---\n").unwrap_or(&text).to_owned();
    Ok(if body.ends_with('\n') {
        body
    } else {
        body + "\n"
    })
}
