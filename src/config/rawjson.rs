//! Values the model does not know, kept as compact JSON text instead of a `serde_json::Value`
//! tree: an unknown array of 8 million zeros takes its 16 MB of text instead of the ~640 MB of
//! 80-byte `Value`s, and nothing is dropped.
//!
//! The text is canonical, so two equal values have equal text: no spaces, strings and numbers as
//! `serde_json` writes them, and an object's repeated keys collapsed the way a `Value` collapses
//! them (the first key's position, the last key's value). It is written from whichever tree the
//! reader built (the light JSON tree, a YAML tree, raw JSON text) without building a `Value`.

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

/// One JSON value as canonical compact text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RawJson(Box<str>);

impl RawJson {
    /// JSON `null`.
    pub fn null() -> Self {
        RawJson("null".into())
    }

    /// The value of a `serde_json::Value`.
    pub fn from_value(v: &Value) -> Self {
        RawJson(
            serde_json::to_string(v)
                .unwrap_or_else(|_| "null".to_owned())
                .into(),
        )
    }

    /// Canonical text of raw JSON text, written without building a tree of it. Fails only on
    /// text that is not JSON or is nested more than 128 levels.
    pub fn from_raw(raw: &RawValue) -> Result<Self, serde_json::Error> {
        let mut out = String::with_capacity(raw.get().len());
        canon_text(raw.get(), &mut out, 0)?;
        Ok(RawJson(out.into()))
    }

    /// Text that is already canonical (from one of this module's writers).
    pub(crate) fn from_canonical(text: String) -> Self {
        RawJson(text.into())
    }

    /// The value as a `serde_json::Value` (builds the tree: for small values and writers).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    /// The compact JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<Value> for RawJson {
    fn from(v: Value) -> Self {
        RawJson::from_value(&v)
    }
}

impl From<&Value> for RawJson {
    fn from(v: &Value) -> Self {
        RawJson::from_value(v)
    }
}

impl PartialEq<Value> for RawJson {
    fn eq(&self, other: &Value) -> bool {
        *self == RawJson::from_value(other)
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The order in which to write an object's members so that repeated keys collapse as in a
/// `Value`: each distinct key once, where it first appeared, with its last value.
pub(crate) fn collapsed_order(keys: &[&str]) -> Vec<usize> {
    let n = keys.len();
    if n <= 1 {
        return (0..n).collect();
    }
    let mut last: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
    for (i, k) in keys.iter().enumerate() {
        last.insert(k, i);
    }
    if last.len() == n {
        return (0..n).collect();
    }
    let mut order = Vec::with_capacity(last.len());
    for k in keys {
        if let Some(i) = last.remove(k) {
            order.push(i);
        }
    }
    order
}

/// Appends `s` as a JSON string.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    // serde_json's escaping, so the text matches what a `Value` writes.
    match serde_json::to_string(s) {
        Ok(q) => out.push_str(&q),
        Err(_) => out.push_str("\"\""),
    }
}

/// Appends a JSON number as `serde_json` writes it.
pub(crate) fn push_json_number(out: &mut String, n: &serde_json::Number) {
    let _ = write!(out, "{n}");
}

/// The deepest raw text the canonical writer follows (serde_json's own limit).
const MAX_DEPTH: usize = 128;

fn canon_text(text: &str, out: &mut String, depth: usize) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    Canon { out, depth }.deserialize(&mut de)?;
    de.end()
}

/// Writes the canonical text of the value it deserializes.
struct Canon<'o> {
    out: &'o mut String,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Canon<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Canon<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.out.push_str("null");
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }

    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        push_json_number(self.out, &v.into());
        Ok(())
    }

    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        push_json_number(self.out, &v.into());
        Ok(())
    }

    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        match serde_json::Number::from_f64(v) {
            Some(n) => push_json_number(self.out, &n),
            None => self.out.push_str("null"),
        }
        Ok(())
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        push_json_str(self.out, v);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(A::Error::custom("recursion limit exceeded"));
        }
        self.out.push('[');
        let mut first = true;
        loop {
            let mark = self.out.len();
            if !first {
                self.out.push(',');
            }
            let seed = Canon {
                out: &mut *self.out,
                depth: self.depth + 1,
            };
            if seq.next_element_seed(seed)?.is_none() {
                self.out.truncate(mark);
                break;
            }
            first = false;
        }
        self.out.push(']');
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(A::Error::custom("recursion limit exceeded"));
        }
        // One level at a time: the members as raw slices, then each written in collapsed order.
        let mut members: Vec<(Cow<'de, str>, &'de RawValue)> = Vec::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            members.push((key, map.next_value()?));
        }
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
        self.out.push('{');
        for (n, i) in collapsed_order(&keys).into_iter().enumerate() {
            if n > 0 {
                self.out.push(',');
            }
            let (key, raw) = &members[i];
            push_json_str(self.out, key);
            self.out.push(':');
            canon_text(raw.get(), self.out, self.depth + 1).map_err(A::Error::custom)?;
        }
        self.out.push('}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(text: &str) -> RawJson {
        let r: &RawValue = match serde_json::from_str(text) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        match RawJson::from_raw(r) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn raw_text_becomes_the_text_a_value_writes() {
        for text in [
            r#" { "b" : [1, 2.50, -3, 1e2, "x\u0041\n", null, true, {}] , "a": {"k": []} } "#,
            r#"{"a":1,"b":2,"a":3}"#,
            r#"[[], {}, "\u001b", 18446744073709551615, -9223372036854775808, 0.1]"#,
            "\"\u{202e}\"",
        ] {
            let v: Value = serde_json::from_str(text).unwrap_or_default();
            assert_eq!(raw(text), RawJson::from_value(&v), "{text}");
            assert_eq!(raw(text).to_value(), v);
        }
        assert_eq!(raw(r#"{"a":1,"b":2,"a":3}"#).as_str(), r#"{"a":3,"b":2}"#);
        assert_eq!(RawJson::from_value(&json!(null)), RawJson::null());
    }

    #[test]
    fn nesting_past_the_limit_is_refused() {
        let mut text = "1".to_owned();
        for _ in 0..200 {
            text = format!("[{{\"a\":{text}}}]");
        }
        let r: Result<&RawValue, _> = serde_json::from_str(&text);
        if let Ok(r) = r {
            assert!(RawJson::from_raw(r).is_err());
        }
    }

    #[test]
    fn repeated_keys_collapse_like_a_value() {
        assert_eq!(collapsed_order(&["a", "b", "a", "c", "b"]), vec![2, 4, 3]);
        assert_eq!(collapsed_order(&["a", "b"]), vec![0, 1]);
    }
}
