//! Reading the fields of an answer's `result`, with errors that name the field (`result[3].id`)
//! and say what was found instead. Shared by the area modules.

use serde_json::value::RawValue;

use super::error::ApiError;
use super::ids::IdKind;
use crate::config::jsontree::Json;
use crate::text::inert;

/// What a JSON value is, for messages: `number 5`, `a list`, `string "x"`.
pub fn found(v: &Json<'_>) -> String {
    match v {
        Json::Null => "null".to_owned(),
        Json::Bool(b) => format!("{b}"),
        Json::Number(n) => format!("number {n}"),
        Json::String(s) => {
            let short: String = s.chars().take(40).collect();
            format!("string \"{}\"", inert(&short))
        }
        Json::Array(_) => "a list".to_owned(),
        Json::Object(_) => "an object".to_owned(),
        Json::Raw(r) if r.get().starts_with('[') => "a list".to_owned(),
        Json::Raw(_) => "an object".to_owned(),
    }
}

fn wrong(at: &str, key: &str, expected: &str, v: &Json<'_>) -> ApiError {
    ApiError::Unexpected(format!(
        "{at}.{key}: expected {expected}, found {}",
        found(v)
    ))
}

/// One item of a list answer, parsed; `at` names it (`result[3]`).
pub fn item<'a>(raw: &'a RawValue, at: &str) -> Result<Json<'a>, ApiError> {
    let tree: Json<'a> =
        serde_json::from_str(raw.get()).map_err(|e| ApiError::Unexpected(format!("{at}: {e}")))?;
    object(&tree, at)?;
    Ok(tree)
}

/// Checks that `v` is an object.
pub fn object(v: &Json<'_>, at: &str) -> Result<(), ApiError> {
    match v {
        Json::Object(_) => Ok(()),
        other => Err(ApiError::Unexpected(format!(
            "{at}: expected an object, found {}",
            found(other)
        ))),
    }
}

/// A string field; `None` when absent or null.
pub fn opt_str<'t>(v: &'t Json<'_>, key: &str, at: &str) -> Result<Option<&'t str>, ApiError> {
    match v.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(other) => Err(wrong(at, key, "a string", other)),
    }
}

/// A string field that must be there.
pub fn req_str<'t>(v: &'t Json<'_>, key: &str, at: &str) -> Result<&'t str, ApiError> {
    opt_str(v, key, at)?.ok_or_else(|| ApiError::Unexpected(format!("{at}.{key} is missing")))
}

/// An id field that must be there and have `kind`'s shape.
pub fn id(v: &Json<'_>, key: &str, at: &str, kind: IdKind) -> Result<String, ApiError> {
    let s = req_str(v, key, at)?;
    kind.check_answered(s, &format!("{at}.{key}"))?;
    Ok(s.to_owned())
}

/// A boolean field; `None` when absent or null.
pub fn opt_bool(v: &Json<'_>, key: &str, at: &str) -> Result<Option<bool>, ApiError> {
    match v.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(wrong(at, key, "true or false", other)),
    }
}

/// A whole number ≥ 0 that must be there (a version, a count): missing, negative, fractional or
/// not a number is an error, never read as 0.
pub fn count(v: &Json<'_>, key: &str, at: &str) -> Result<u64, ApiError> {
    match v.get(key) {
        Some(Json::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64().unwrap_or_default()),
        None => Err(ApiError::Unexpected(format!(
            "{at}.{key} is missing (expected a whole number)"
        ))),
        Some(other) => Err(wrong(at, key, "a whole number from 0", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(s: &str) -> Json<'_> {
        serde_json::from_str(s).unwrap_or(Json::Null)
    }

    #[test]
    fn counts_are_whole_numbers_or_errors() {
        let msg = |s: &str| {
            count(&tree(s), "version", "result")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            count(&tree(r#"{"version":7}"#), "version", "result").ok(),
            Some(7)
        );
        assert!(msg(r#"{}"#).contains("result.version is missing"));
        assert!(msg(r#"{"version":-1}"#).contains("found number -1"));
        assert!(msg(r#"{"version":1.5}"#).contains("found number 1.5"));
        assert!(msg(r#"{"version":"3"}"#).contains("found string \"3\""));
        assert!(msg(r#"{"version":null}"#).contains("found null"));
        assert!(msg(r#"{"version":1e300}"#).contains("whole number"));
    }

    #[test]
    fn strings_and_ids_name_the_field() {
        let t = tree(r#"{"id":"abc\u001b]2;x","name":5,"ok":"yes"}"#);
        let e = id(&t, "id", "result[2]", IdKind::Tunnel)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("result[2].id") && e.contains("\\x1b"), "{e}");
        let e = opt_str(&t, "name", "result[2]")
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("result[2].name: expected a string, found number 5")));
        assert!(opt_bool(&t, "ok", "r").is_err());
        assert_eq!(opt_str(&t, "missing", "r").ok(), Some(None));
    }
}
