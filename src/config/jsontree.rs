//! A light JSON tree for reading configs fast: objects are lists of pairs (no hashing, duplicate
//! keys kept in order so the last one wins as in Go), and strings borrow from the input when they
//! have no escapes. A 10 000-rule config parses several times faster than into `serde_json::Value`.
//!
//! [`parse_config`] builds nodes only where a config reader looks: a list or an object under a key
//! that no config, rule or API envelope reader reads is kept as its raw text ([`Json::Raw`], a slice of the
//! input), so a large unknown value costs no memory beyond the input until it is kept (as
//! compact text, see [`RawJson`]).

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use super::decode::go_fold_eq;

use super::rawjson::{RawJson, collapsed_order, push_json_number, push_json_str};

/// One JSON value.
#[derive(Debug, Clone)]
pub enum Json<'a> {
    /// `null`
    Null,
    /// `true`/`false`
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Json<'a>>),
    /// An object, in input order.
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
    /// A list or object under a key no config reader reads, as its text (see [`parse_config`]).
    Raw(&'a RawValue),
}

impl PartialEq for Json<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Json::Null, Json::Null) => true,
            (Json::Bool(a), Json::Bool(b)) => a == b,
            (Json::Number(a), Json::Number(b)) => a == b,
            (Json::String(a), Json::String(b)) => a == b,
            (Json::Array(a), Json::Array(b)) => a == b,
            (Json::Object(a), Json::Object(b)) => a == b,
            (Json::Raw(a), Json::Raw(b)) => a.get() == b.get(),
            _ => false,
        }
    }
}

impl Json<'_> {
    /// The value as a `serde_json::Value` (later duplicate keys win).
    pub fn to_value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(a) => Value::Array(a.iter().map(Json::to_value).collect()),
            Json::Object(o) => {
                let mut m = Map::new();
                for (k, v) in o {
                    m.insert(k.to_string(), v.to_value());
                }
                Value::Object(m)
            }
            Json::Raw(r) => serde_json::from_str(r.get()).unwrap_or(Value::Null),
        }
    }

    /// Whether the node is a list (built or raw).
    pub fn is_list(&self) -> bool {
        match self {
            Json::Array(_) => true,
            Json::Raw(r) => r.get().starts_with('['),
            _ => false,
        }
    }

    /// The value as canonical compact JSON text (see [`RawJson`]), written without a `Value`.
    pub fn to_raw(&self) -> RawJson {
        if let Json::Raw(r) = self {
            // Raw text was depth-checked by the parse that captured it.
            return RawJson::from_raw(r).unwrap_or_else(|_| RawJson::null());
        }
        let mut out = String::new();
        self.write_canonical(&mut out);
        RawJson::from_canonical(out)
    }

    fn write_canonical(&self, out: &mut String) {
        match self {
            Json::Raw(r) => match RawJson::from_raw(r) {
                Ok(j) => out.push_str(j.as_str()),
                Err(_) => out.push_str("null"),
            },
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => push_json_number(out, n),
            Json::String(s) => push_json_str(out, s),
            Json::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_canonical(out);
                }
                out.push(']');
            }
            Json::Object(o) => {
                let keys: Vec<&str> = o.iter().map(|(k, _)| k.as_ref()).collect();
                out.push('{');
                for (n, i) in collapsed_order(&keys).into_iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    push_json_str(out, &o[i].0);
                    out.push(':');
                    o[i].1.write_canonical(out);
                }
                out.push('}');
            }
        }
    }

    /// The value of the last `key` (exact match) of an object.
    pub fn get(&self, key: &str) -> Option<&Json<'_>> {
        match self {
            Json::Object(o) => o.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Builds a tree; with `capture`, lists and objects under keys no reader looks at stay raw.
#[derive(Clone, Copy)]
struct TreeVisitor {
    capture: bool,
    /// Lists and objects around the value.
    depth: usize,
}

/// serde_json's nesting limit, which raw text must keep too (serde_json skips it unchecked).
const MAX_DEPTH: usize = 128;

/// How deeply the lists and objects of JSON text nest, counted without recursion.
fn nesting(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The keys of API envelopes whose values are read.
const ENVELOPE_KEYS: &[&str] = &[
    "success",
    "result",
    "config",
    "errors",
    "messages",
    "result_info",
    "version",
    "tunnel_id",
    "source",
    "created_at",
    "code",
    "message",
];

/// Whether a config, rule or envelope reader reads the value of `key` (compared as Go's
/// `encoding/json` compares keys): every key the model knows, at any level, and the envelope's.
fn is_read(key: &str) -> bool {
    static LOWER: std::sync::OnceLock<rustc_hash::FxHashSet<String>> = std::sync::OnceLock::new();
    let known = || {
        use super::encode::{
            ACCESS_KEYS, IP_RULE_KEYS, RULE_KEYS, TOP_KEYS, WARP_KEYS, origin_keys,
        };
        let fixed = [
            TOP_KEYS,
            RULE_KEYS,
            ACCESS_KEYS,
            IP_RULE_KEYS,
            WARP_KEYS,
            ENVELOPE_KEYS,
        ];
        fixed
            .into_iter()
            .flatten()
            .copied()
            .chain(origin_keys())
            .collect::<Vec<&str>>()
    };
    if key.is_ascii() {
        let set = LOWER.get_or_init(|| known().iter().map(|k| k.to_ascii_lowercase()).collect());
        let mut buf = [0u8; 32];
        let Some(lower) = buf.get_mut(..key.len()) else {
            return false;
        };
        for (d, b) in lower.iter_mut().zip(key.bytes()) {
            *d = b.to_ascii_lowercase();
        }
        std::str::from_utf8(lower).is_ok_and(|k| set.contains(k))
    } else {
        known().iter().any(|k| go_fold_eq(key, k))
    }
}

impl<'de> DeserializeSeed<'de> for TreeVisitor {
    type Value = Json<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Parses JSON text into a tree where only what a config reader reads is built (see the module
/// documentation); the rest stays as slices of `text`.
pub fn parse_config(text: &str) -> Result<Json<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let tree = TreeVisitor {
        capture: true,
        depth: 0,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(tree)
}

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Json::String(Cow::Owned(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        let inner = TreeVisitor {
            depth: self.depth + 1,
            ..self
        };
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Json::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        let inner = TreeVisitor {
            depth: self.depth + 1,
            ..self
        };
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let read = !self.capture || is_read(&key.0);
            let value = if read {
                map.next_value_seed(inner)?
            } else {
                let raw: &'de RawValue = map.next_value()?;
                match raw.get().as_bytes().first() {
                    Some(b'[' | b'{') if inner.depth + nesting(raw.get()) > MAX_DEPTH => {
                        return Err(serde::de::Error::custom("recursion limit exceeded"));
                    }
                    Some(b'[' | b'{') => Json::Raw(raw),
                    _ => serde_json::from_str(raw.get()).map_err(serde::de::Error::custom)?,
                }
            };
            out.push((key.0, value));
        }
        Ok(Json::Object(out))
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TreeVisitor {
            capture: false,
            depth: 0,
        })
    }
}

/// An object key, borrowed when possible.
struct Key<'a>(Cow<'a, str>);

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_converts() {
        let text = r#"{"a":[1,-2,3.5,"x\n",null,true],"b":{"c":"d"},"a":2}"#;
        let t: Json<'_> = match serde_json::from_str(text) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            t.get("a"),
            Some(&Json::Number(2.into())),
            "last duplicate wins"
        );
        assert_eq!(t.to_value(), serde_json::json!({"a":2,"b":{"c":"d"}}));
    }

    #[test]
    fn deep_nesting_is_refused_by_the_parser_not_the_stack() {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text = format!("{}1{}", open.repeat(20_000), close.repeat(20_000));
            let e = serde_json::from_str::<Json<'_>>(&text);
            assert!(
                e.as_ref()
                    .is_err_and(|e| e.to_string().starts_with("recursion limit exceeded")),
                "{e:?}"
            );
        }
        let ok = format!("{}1{}", "[".repeat(120), "]".repeat(120));
        assert!(serde_json::from_str::<Json<'_>>(&ok).is_ok());
    }

    #[test]
    fn config_parse_keeps_unknown_collections_as_text() {
        let text = r#"{"ingress":[{"service":"x","big":[1,2,{"a":[]}],"n":5}],"Result":{"config":{}},"x":{"y":[1]}}"#;
        let t = match parse_config(text) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        let Some(Json::Array(rules)) = t.get("ingress") else {
            panic!("{t:?}")
        };
        assert!(
            matches!(rules[0].get("big"), Some(Json::Raw(r)) if r.get() == r#"[1,2,{"a":[]}]"#)
        );
        assert_eq!(rules[0].get("n"), Some(&Json::Number(5.into())));
        assert!(
            matches!(t.get("Result"), Some(Json::Object(_))),
            "keys fold as in Go"
        );
        assert!(matches!(t.get("x"), Some(Json::Raw(_))));
        let full: Json<'_> = serde_json::from_str(text).unwrap_or(Json::Null);
        assert_eq!(t.to_value(), full.to_value());
        assert_eq!(t.to_raw(), full.to_raw());
        // Raw text is depth-checked like the rest.
        for deep in [
            format!("{{\"x\":{}{}}}", "[".repeat(20_000), "]".repeat(20_000)),
            format!(
                "{{\"x\":{}1{}}}",
                "{\"a\":".repeat(20_000),
                "}".repeat(20_000)
            ),
        ] {
            assert!(parse_config(&deep).is_err());
        }
    }
}
