//! The response reader: the v4 envelope (`{success, errors, messages, result, result_info}`) of
//! every answer is judged here, in one place, and turned into an [`Envelope`] or the [`ApiError`]
//! a person can act on.
//!
//! A hostile or broken server decides every byte of the body, so the reader keeps little: the
//! envelope's fields are located without building a tree (the `result` stays raw text inside the
//! body until an area module reads it), unknown fields and compound values where a scalar belongs
//! are skipped without being stored, at most [`MAX_KEPT_ERRORS`] errors of
//! [`MAX_MESSAGE_CHARS`] characters are kept, and nesting is bounded by `serde_json`'s recursion
//! limit (128).

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::error::{ApiError, ApiMessage, Call, describe_errors};
use crate::config::jsontree::Json;
use crate::text::inert;

/// How many errors of one envelope are kept (the rest are skipped unread).
pub const MAX_KEPT_ERRORS: usize = 20;
/// How many entries of one error's `error_chain` are kept.
const MAX_CHAIN: usize = 5;
/// How many characters of one error message are kept.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// A field read leniently: a scalar is kept, a list or an object is skipped without being stored.
#[derive(Debug, Clone, PartialEq, Default)]
enum Scalar {
    #[default]
    Absent,
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float,
    Str(String),
    Compound,
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Unsigned(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Signed(v))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float)
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(shorten(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Compound)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Compound)
            }
        }
        d.deserialize_any(V)
    }
}

impl Scalar {
    fn code(&self) -> i64 {
        match self {
            Scalar::Unsigned(n) => i64::try_from(*n).unwrap_or(0),
            Scalar::Signed(n) => *n,
            _ => 0,
        }
    }

    fn text(self) -> String {
        match self {
            Scalar::Str(s) => s,
            _ => String::new(),
        }
    }
}

/// At most [`MAX_MESSAGE_CHARS`] characters of `s`, with `…` when cut.
fn shorten(s: &str) -> String {
    match s.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => s.to_owned(),
        Some((at, _)) => format!("{}…", &s[..at]),
    }
}

/// The envelope's top level; every other field is skipped.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(default)]
    success: Scalar,
    #[serde(default, borrow)]
    errors: Option<&'a RawValue>,
    #[serde(default, borrow)]
    result: Option<&'a RawValue>,
    #[serde(default, borrow)]
    result_info: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawMessage<'a> {
    #[serde(default)]
    code: Scalar,
    #[serde(default)]
    message: Scalar,
    #[serde(default, borrow)]
    error_chain: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
struct Info {
    #[serde(default)]
    total_pages: Scalar,
}

/// The first `max` items of a JSON list (nothing when `raw` is not a list).
fn first_items(raw: Option<&RawValue>, max: usize) -> Vec<&RawValue> {
    let Some(raw) = raw else {
        return Vec::new();
    };
    let mut items = serde_json::from_str::<Vec<&RawValue>>(raw.get()).unwrap_or_default();
    items.truncate(max);
    items
}

fn read_messages(raw: Option<&RawValue>) -> Vec<ApiMessage> {
    first_items(raw, MAX_KEPT_ERRORS)
        .into_iter()
        .filter_map(|item| serde_json::from_str::<RawMessage<'_>>(item.get()).ok())
        .map(|m| ApiMessage {
            code: m.code.code(),
            message: m.message.text(),
            chain: first_items(m.error_chain, MAX_CHAIN)
                .into_iter()
                .filter_map(|c| serde_json::from_str::<RawMessage<'_>>(c.get()).ok())
                .map(|c| (c.code.code(), c.message.text()))
                .collect(),
        })
        .collect()
}

/// A success envelope. It owns the body; `result` is read from it on demand (a 10 000-rule config
/// is decoded straight from the bytes, without an intermediate `Value`).
#[derive(Clone)]
pub struct Envelope {
    body: Vec<u8>,
    total_pages: Option<u64>,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("body_len", &self.body.len())
            .field("total_pages", &self.total_pages)
            .finish()
    }
}

impl Envelope {
    fn head(&self) -> Result<Head<'_>, ApiError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::Unexpected(format!("the answer stopped being JSON: {e}")))
    }

    /// `result` as raw JSON text; `None` when absent or `null`.
    pub fn result_raw(&self) -> Result<Option<&RawValue>, ApiError> {
        Ok(self.head()?.result.filter(|r| r.get() != "null"))
    }

    /// `result` as a borrowed tree ([`Json::Null`] when absent).
    pub fn result_tree(&self) -> Result<Json<'_>, ApiError> {
        match self.result_raw()? {
            None => Ok(Json::Null),
            Some(raw) => serde_json::from_str(raw.get())
                .map_err(|e| ApiError::Unexpected(format!("result: {e}"))),
        }
    }

    /// The items of a list answer, each as raw JSON text (none when `result` is absent or null);
    /// an error naming what was listed when `result` is not a list.
    pub fn result_items(&self, what: &str) -> Result<Vec<&RawValue>, ApiError> {
        match self.result_raw()? {
            None => Ok(Vec::new()),
            Some(raw) => serde_json::from_str::<Vec<&RawValue>>(raw.get()).map_err(|_| {
                let start: String = raw.get().chars().take(60).collect();
                ApiError::Unexpected(format!("{what}: expected a list, got {}", inert(&start)))
            }),
        }
    }

    /// The size of the answer's body in bytes.
    pub fn body_len(&self) -> usize {
        self.body.len()
    }

    /// `result_info.total_pages`, when it is a whole number.
    pub fn total_pages(&self) -> Option<u64> {
        self.total_pages
    }
}

/// The first line of a body, shortened and made inert for printing.
pub fn first_line(body: &[u8]) -> String {
    let head = &body[..body.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(empty body)");
    let mut short: String = line.chars().take(120).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    inert(&short).into_owned()
}

/// The `<title>` of an HTML page, made inert.
fn html_title(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(64 << 10)];
    let text = String::from_utf8_lossy(head);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = text.get(start..end)?.trim();
    (!title.is_empty()).then(|| {
        format!(
            "<title>{}</title>",
            inert(&title.chars().take(120).collect::<String>())
        )
    })
}

fn has_code(errors: &[ApiMessage], codes: &[i64]) -> bool {
    errors
        .iter()
        .any(|e| codes.contains(&e.code) || e.chain.iter().any(|(c, _)| codes.contains(c)))
}

/// Reads a response: status, the headers that matter, and the body; returns the envelope or the
/// error a person can act on. `what` names the object for "not found" ("tunnel 1234…").
pub fn parse_response(
    call: Call,
    what: &str,
    status: u16,
    content_type: Option<&str>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
) -> Result<Envelope, ApiError> {
    let looks_html = content_type.is_some_and(|c| c.to_ascii_lowercase().contains("html"))
        || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
    // A struct also reads from a JSON list (by position): only an object is an envelope.
    let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let head = if looks_html {
        None
    } else if is_object {
        Some(serde_json::from_slice::<Head<'_>>(&body).map_err(|e| e.is_data()))
    } else {
        Some(Err(serde_json::from_slice::<IgnoredAny>(&body).is_ok()))
    };
    let head = match head {
        Some(Ok(head)) => head,
        other => {
            if status == 429 {
                return Err(ApiError::RateLimited { retry_after });
            }
            let kind = if looks_html {
                "an HTML page".to_owned()
            } else if body.iter().all(u8::is_ascii_whitespace) {
                "an empty body".to_owned()
            } else if matches!(other, Some(Err(true))) {
                "JSON of another shape".to_owned()
            } else {
                "a body that is not complete JSON".to_owned()
            };
            let first_line = if looks_html { html_title(&body) } else { None }
                .unwrap_or_else(|| first_line(&body));
            return Err(ApiError::NotJson {
                status,
                kind,
                first_line,
            });
        }
    };
    let success = head.success == Scalar::Bool(true);
    if success && (200..300).contains(&status) {
        let total_pages = head
            .result_info
            .and_then(|raw| serde_json::from_str::<Info>(raw.get()).ok())
            .and_then(|i| match i.total_pages {
                Scalar::Unsigned(n) => Some(n),
                _ => None,
            });
        drop(head);
        return Ok(Envelope { body, total_pages });
    }
    let errors = read_messages(head.errors);
    let detail = describe_errors(&errors);
    if status == 429 || has_code(&errors, &[971]) {
        return Err(ApiError::RateLimited { retry_after });
    }
    if status >= 500 {
        return Err(ApiError::Server { status, detail });
    }
    if has_code(&errors, &[6003, 6111]) {
        return Err(ApiError::GlobalKeyAsToken { detail });
    }
    if has_code(&errors, &[9103, 9106, 9107]) {
        return Err(ApiError::InvalidGlobalKey { detail });
    }
    // 9109 is both "Invalid access token" and, on zone and DNS endpoints, "Unauthorized to access
    // requested resource": a valid token without the zone's permission.
    let unauthorized = errors
        .iter()
        .any(|e| e.code == 9109 && e.message.contains("Unauthorized to access"));
    if unauthorized && status != 401 {
        return Err(ApiError::MissingPermission {
            permission: call.permission(),
            detail,
        });
    }
    if has_code(&errors, &[9109, 1000]) || status == 401 {
        return Err(ApiError::InvalidToken { detail });
    }
    if has_code(&errors, &[10000]) || status == 403 {
        return Err(ApiError::MissingPermission {
            permission: call.permission(),
            detail,
        });
    }
    if has_code(&errors, &[7003, 7000]) {
        return Err(ApiError::MalformedId { detail });
    }
    if status == 404 {
        return Err(ApiError::NotFound {
            what: what.to_owned(),
            detail,
        });
    }
    if call == Call::PutConfig
        && status == 400
        && let Some(e) = errors.iter().find(|e| {
            e.message.contains("Bad Configuration") || e.message.contains("Validation failed")
        })
    {
        return Err(ApiError::BadConfiguration {
            message: inert(&e.message).into_owned(),
        });
    }
    Err(ApiError::Api { status, errors })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(status: u16, body: &str) -> ApiError {
        match parse_response(
            Call::PutConfig,
            "tunnel t",
            status,
            Some("application/json"),
            None,
            body.as_bytes().to_vec(),
        ) {
            Ok(e) => panic!("accepted: {e:?}"),
            Err(e) => e,
        }
    }

    fn ok(body: &str) -> Envelope {
        match parse_response(
            Call::GetConfig,
            "t",
            200,
            Some("application/json"),
            None,
            body.as_bytes().to_vec(),
        ) {
            Ok(e) => e,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn envelope_errors_become_actionable() {
        let e = err(
            400,
            r#"{"success":false,"errors":[{"code":6003,"message":"Invalid request headers","error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}],"messages":[],"result":null}"#,
        );
        assert!(matches!(e, ApiError::GlobalKeyAsToken { .. }));
        assert!(
            e.to_string()
                .contains("CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL")
        );
        let e = err(
            403,
            r#"{"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[],"result":null}"#,
        );
        assert!(e.to_string().contains("Cloudflare Tunnel Write"), "{e}");
        // 9109 is a missing permission on zone and DNS endpoints, a bad token elsewhere.
        let e = err(
            403,
            r#"{"success":false,"errors":[{"code":9109,"message":"Unauthorized to access requested resource"}],"messages":[],"result":null}"#,
        );
        assert!(matches!(e, ApiError::MissingPermission { .. }), "{e:?}");
        let e = err(
            401,
            r#"{"success":false,"errors":[{"code":9109,"message":"Invalid access token"}],"messages":[],"result":null}"#,
        );
        assert!(matches!(e, ApiError::InvalidToken { .. }), "{e:?}");
        let e = err(
            400,
            r#"{"success":false,"errors":[{"code":1055,"message":"Bad Configuration: Validation failed: Hostname cannot contain a port"}],"messages":[],"result":null}"#,
        );
        assert_eq!(
            e.to_string(),
            "the API refused the configuration: Bad Configuration: Validation failed: Hostname cannot contain a port"
        );
        let e = err(
            400,
            r#"{"success":false,"errors":[],"messages":[],"result":null}"#,
        );
        assert_eq!(
            e.to_string(),
            "the API refused the request (HTTP 400): no error details were given"
        );
    }

    #[test]
    fn non_json_bodies_show_status_and_first_line() {
        let e = match parse_response(
            Call::GetConfig,
            "t",
            502,
            Some("text/html"),
            None,
            b"\n<html><head><title>502 Bad Gateway</title></head>\n<body>".to_vec(),
        ) {
            Err(e) => e,
            Ok(_) => panic!(),
        };
        assert_eq!(
            e.to_string(),
            "the API answered HTTP 502 with an HTML page instead of its JSON envelope; it starts: <title>502 Bad Gateway</title>"
        );
        let e = err(200, r#"{"success":true,"result":{"conf"#);
        assert!(e.to_string().contains("not complete JSON"), "{e}");
        let e = err(200, "\u{1b}[2J");
        assert!(e.to_string().contains("\\x1b[2J"), "{e}");
        let e = err(200, "[1,2,3]");
        assert!(e.to_string().contains("JSON of another shape"), "{e}");
        let e = err(200, "  \n");
        assert!(e.to_string().contains("an empty body"), "{e}");
    }

    #[test]
    fn hostile_envelopes_are_read_within_bounds() {
        // A million errors, each with a long message: a few are kept, each shortened.
        let one = format!(r#"{{"code":1001,"message":"{}"}}"#, "m".repeat(5000));
        let body = format!(
            r#"{{"success":false,"errors":[{}],"result":null}}"#,
            vec![one; 2000].join(",")
        );
        let e = err(400, &body);
        let ApiError::Api { errors, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(errors.len(), MAX_KEPT_ERRORS);
        assert!(errors[0].message.chars().count() <= MAX_MESSAGE_CHARS + 1);
        assert!(e.to_string().len() < 2000, "{}", e.to_string().len());

        // Wrong types everywhere: no panic, a reasonable reading.
        for body in [
            r#"{"success":"true","result":{}}"#,
            r#"{"success":[true],"result":{}}"#,
            r#"{"success":false,"errors":"boom"}"#,
            r#"{"success":false,"errors":[1,"x",null,{"code":"7003"},{"code":-5,"message":7}]}"#,
            r#"{"success":false,"errors":[{"code":1e400}]}"#,
            r#"{"success":false,"errors":[{"error_chain":{"code":1}}]}"#,
        ] {
            let e = err(400, body);
            assert!(!e.to_string().is_empty());
        }
        let e = err(
            403,
            r#"{"success":false,"errors":[{"code":18446744073709551615,"message":"x"}]}"#,
        );
        assert!(matches!(e, ApiError::MissingPermission { .. }), "{e:?}");

        // Nesting far deeper than any answer: refused, not a stack overflow.
        let deep = format!(
            r#"{{"success":true,"result":{}1{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let e = ok(&deep).result_tree().err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("recursion limit")));
        let deep_error = format!(
            r#"{{"success":false,"errors":[{{"code":{}1{}}}]}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(!err(400, &deep_error).to_string().is_empty());
    }

    #[test]
    fn results_and_pages_are_read_on_demand() {
        let env = ok(
            r#"{"success":true,"errors":[],"result":[{"id":1},{"id":2}],"result_info":{"page":1,"total_pages":7},"x":[[[]]]}"#,
        );
        assert_eq!(env.total_pages(), Some(7));
        assert_eq!(env.result_items("things").map(|i| i.len()).ok(), Some(2));
        let env = ok(r#"{"success":true,"result":null,"result_info":{"total_pages":-1}}"#);
        assert_eq!(env.total_pages(), None);
        assert_eq!(env.result_items("things").map(|i| i.len()).ok(), Some(0));
        assert_eq!(env.result_tree().ok(), Some(Json::Null));
        let env = ok(r#"{"success":true,"result":{"a":1},"result_info":"nope"}"#);
        assert!(
            env.result_items("things")
                .err()
                .is_some_and(|e| e.to_string().contains("things: expected a list"))
        );
        assert!(matches!(env.result_tree(), Ok(Json::Object(_))));
    }
}
