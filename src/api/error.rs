//! One error type for everything the Cloudflare API can answer, with messages a person can act on.
//! The v4 envelope (`{success, errors, messages, result, result_info}`) is read here, in one place.

use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::config::jsontree::Json;
use thiserror::Error;

use crate::text::inert;

/// One `{code, message}` entry of an envelope's `errors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiMessage {
    /// Cloudflare's error code.
    pub code: i64,
    /// Its message.
    pub message: String,
    /// Codes and messages of `error_chain`, if any.
    pub chain: Vec<(i64, String)>,
}

impl fmt::Display for ApiMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (code {})", inert(&self.message), self.code)?;
        for (code, message) in &self.chain {
            write!(f, "; {} (code {code})", inert(message))?;
        }
        Ok(())
    }
}

/// Which call failed, for messages that name the permission it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// GET a tunnel's configuration.
    GetConfig,
    /// PUT a tunnel's configuration.
    PutConfig,
    /// List or get tunnels.
    Tunnels,
    /// List accounts.
    Accounts,
    /// Verify a token.
    Verify,
}

impl Call {
    /// The API token permission the call needs.
    pub fn permission(self) -> &'static str {
        match self {
            Call::GetConfig | Call::Tunnels => "Account > Cloudflare Tunnel > Read",
            Call::PutConfig => "Account > Cloudflare Tunnel > Edit (\"Cloudflare Tunnel Write\")",
            Call::Accounts => "Account > Account Settings > Read",
            Call::Verify => "any (token verification needs no permission)",
        }
    }
}

/// Everything that can go wrong talking to the API.
#[derive(Debug, Clone, Error)]
pub enum ApiError {
    /// No credentials anywhere.
    #[error(
        "no Cloudflare credentials: set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with CLOUDFLARE_API_KEY, or a token_command in the settings profile"
    )]
    NoCredentials,
    /// Credentials configured but unusable (a failing token_command, an unreadable file, ...).
    #[error("cannot get credentials: {0}")]
    Credentials(String),
    /// The API base URL is not acceptable.
    #[error("{0}")]
    BadBaseUrl(String),
    /// The token is wrong, revoked or expired.
    #[error(
        "the API token was refused ({detail}): it is wrong, revoked or expired; check CLOUDFLARE_API_TOKEN or create a new token in the dashboard (My Profile > API Tokens)"
    )]
    InvalidToken {
        /// The API's words.
        detail: String,
    },
    /// A global API key was sent as a bearer token.
    #[error(
        "the API rejected the Authorization header ({detail}); this usually means a Global API Key was given as CLOUDFLARE_API_TOKEN: use CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL for a global key, or create an API token"
    )]
    GlobalKeyAsToken {
        /// The API's words.
        detail: String,
    },
    /// Email + global key refused.
    #[error(
        "the email and Global API Key were refused ({detail}); check CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY"
    )]
    InvalidGlobalKey {
        /// The API's words.
        detail: String,
    },
    /// The credentials work but lack a permission.
    #[error(
        "the token lacks a permission this needs: {permission} ({detail}); add it to the token in the dashboard"
    )]
    MissingPermission {
        /// The permission the call needs.
        permission: &'static str,
        /// The API's words.
        detail: String,
    },
    /// An account or tunnel id is malformed.
    #[error(
        "the API could not route the request ({detail}): check the account id (32 hex characters) and tunnel id (a UUID)"
    )]
    MalformedId {
        /// The API's words.
        detail: String,
    },
    /// No such tunnel or account (or not visible to these credentials).
    #[error("not found: {what} ({detail})")]
    NotFound {
        /// What was looked for.
        what: String,
        /// The API's words.
        detail: String,
    },
    /// The configuration cannot be written as remote JSON; nothing was sent.
    #[error("cannot send this configuration (nothing was sent): {message}")]
    Unsendable {
        /// Why, naming the field.
        message: String,
    },
    /// The API refused the configuration.
    #[error("the API refused the configuration: {message}")]
    BadConfiguration {
        /// The API's message, e.g. "Bad Configuration: Validation failed: ...".
        message: String,
    },
    /// Too many requests.
    #[error("{}", rate_limited_message(*.retry_after))]
    RateLimited {
        /// When the API says to retry.
        retry_after: Option<Duration>,
    },
    /// The API failed (5xx).
    #[error(
        "the Cloudflare API failed with HTTP {status} ({detail}); this is on Cloudflare's side: try again in a minute, and check www.cloudflarestatus.com"
    )]
    Server {
        /// HTTP status.
        status: u16,
        /// The API's words or the first line of the body.
        detail: String,
    },
    /// No answer in time.
    #[error(
        "no answer from {host} within {secs}s ({during}); the network or the API is slow: try again"
    )]
    Timeout {
        /// The API host.
        host: String,
        /// The limit that was hit.
        secs: u64,
        /// What was going on.
        during: &'static str,
    },
    /// Could not connect.
    #[error("cannot reach {host}: {detail}")]
    Connect {
        /// The API host.
        host: String,
        /// Why.
        detail: String,
    },
    /// The body is not the JSON envelope (an HTML error page, a truncated body, ...).
    #[error(
        "the API answered HTTP {status} with {kind} instead of its JSON envelope; it starts: {first_line}"
    )]
    NotJson {
        /// HTTP status.
        status: u16,
        /// "HTML", "a truncated or malformed body", ...
        kind: String,
        /// The first line of the body, made safe to print.
        first_line: String,
    },
    /// The body is larger than the cap.
    #[error("the API answer is larger than {limit} bytes; refusing to read it")]
    TooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// A redirect, which cfingress does not follow with credentials.
    #[error(
        "the API answered with a redirect (HTTP {status}) to {location}; cfingress does not follow redirects with credentials: check the API URL"
    )]
    Redirect {
        /// HTTP status.
        status: u16,
        /// Where to.
        location: String,
    },
    /// `success: false` or another failure not covered above.
    #[error("the API refused the request (HTTP {status}): {}", describe_errors(.errors))]
    Api {
        /// HTTP status.
        status: u16,
        /// The envelope's errors.
        errors: Vec<ApiMessage>,
    },
    /// A well-formed envelope whose result is not what the call returns.
    #[error("unexpected answer from the API: {0}")]
    Unexpected(String),
    /// A PUT whose outcome is unknown and could not be checked.
    #[error(
        "the publish may or may not have been applied ({cause}), and re-reading the config failed too ({reread}); run `cfingress get` to see the remote config before trying again"
    )]
    OutcomeUnknown {
        /// What happened to the PUT.
        cause: String,
        /// What happened to the re-read.
        reread: String,
    },
    /// A PUT whose outcome was unknown was checked: it was not applied.
    #[error(
        "the publish was not applied ({cause}); the remote config is unchanged at version {version}: it is safe to try again"
    )]
    NotApplied {
        /// What happened to the PUT.
        cause: String,
        /// The remote version.
        version: u64,
    },
}

fn rate_limited_message(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(
            "the Cloudflare API is rate limiting these credentials (HTTP 429); retry in {}s",
            d.as_secs().max(1)
        ),
        None => "the Cloudflare API is rate limiting these credentials (HTTP 429); wait a minute and retry".to_owned(),
    }
}

fn describe_errors(errors: &[ApiMessage]) -> String {
    if errors.is_empty() {
        return "no error details were given".to_owned();
    }
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// Whether a GET may be retried after this error.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. }
                | ApiError::Server { .. }
                | ApiError::Timeout { .. }
                | ApiError::Connect { .. }
        ) || matches!(self, ApiError::NotJson { status, .. } if *status >= 500)
    }
}

/// A parsed success envelope.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The whole body (the result is read from it on demand: a 10 000-rule config is decoded
    /// straight from the bytes, without an intermediate `Value`).
    body: Vec<u8>,
    /// `result_info`, if any.
    pub result_info: Option<Value>,
}

impl Envelope {
    /// `result` as a JSON value.
    pub fn result(&self) -> Value {
        serde_json::from_slice::<Json<'_>>(&self.body)
            .ok()
            .and_then(|t| t.get("result").map(Json::to_value))
            .unwrap_or(Value::Null)
    }

    /// `result` read as a tunnel configuration.
    pub fn remote_config(&self) -> Result<super::types::RemoteConfig, ApiError> {
        let tree = crate::config::jsontree::parse_config_slice(&self.body)
            .map_err(|e| ApiError::Unexpected(format!("the answer stopped being JSON: {e}")))?;
        super::types::RemoteConfig::from_tree(tree.get("result").unwrap_or(&Json::Null))
    }
}

/// The first line of a body, shortened and made inert for printing.
pub fn first_line(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
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
    let text = String::from_utf8_lossy(body);
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

fn messages(v: Option<&Value>) -> Vec<ApiMessage> {
    v.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|e| ApiMessage {
                    code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
                    message: e
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                    chain: e
                        .get("error_chain")
                        .and_then(Value::as_array)
                        .map(|c| {
                            c.iter()
                                .map(|x| {
                                    (
                                        x.get("code").and_then(Value::as_i64).unwrap_or(0),
                                        x.get("message")
                                            .and_then(Value::as_str)
                                            .unwrap_or("")
                                            .to_owned(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn has_code(errors: &[ApiMessage], codes: &[i64]) -> bool {
    errors
        .iter()
        .any(|e| codes.contains(&e.code) || e.chain.iter().any(|(c, _)| codes.contains(c)))
}

/// Reads a response: status, headers we care about, and the body; returns the envelope or the
/// error a person can act on.
pub fn parse_response(
    call: Call,
    what: &str,
    status: u16,
    content_type: Option<&str>,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<Envelope, ApiError> {
    let looks_html = content_type.is_some_and(|c| c.contains("html"))
        || body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<');
    let parsed: Option<Json<'_>> = if looks_html {
        None
    } else {
        serde_json::from_slice(body).ok()
    };
    let Some(obj @ Json::Object(_)) = parsed else {
        if status == 429 {
            return Err(ApiError::RateLimited { retry_after });
        }
        let kind = if looks_html {
            "an HTML page".to_owned()
        } else if body.is_empty() {
            "an empty body".to_owned()
        } else {
            "a body that is not complete JSON".to_owned()
        };
        let first_line =
            if looks_html { html_title(body) } else { None }.unwrap_or_else(|| first_line(body));
        return Err(ApiError::NotJson {
            status,
            kind,
            first_line,
        });
    };
    let errors = messages(obj.get("errors").map(Json::to_value).as_ref());
    let success = matches!(obj.get("success"), Some(Json::Bool(true)));
    if success && (200..300).contains(&status) {
        return Ok(Envelope {
            result_info: obj.get("result_info").map(Json::to_value),
            body: body.to_vec(),
        });
    }
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
            body.as_bytes(),
        ) {
            Ok(e) => panic!("accepted: {e:?}"),
            Err(e) => e,
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
            b"\n<html><head><title>502 Bad Gateway</title></head>\n<body>",
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
    }
}
