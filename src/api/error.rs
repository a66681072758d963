//! One error type for everything the Cloudflare API can answer, with messages a person can act on.
//! Every text here that came from the server is already inert (`crate::text::inert`).

use std::fmt;
use std::time::Duration;

use thiserror::Error;

use super::ids::IdKind;
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
    /// A tunnel's connectors and connections.
    Connections,
    /// List Access applications.
    AccessApps,
    /// Read the Zero Trust organization.
    AccessOrganization,
    /// List zones.
    Zones,
    /// Read DNS records.
    DnsRead,
    /// Create, change or delete DNS records.
    DnsEdit,
}

impl Call {
    /// The API token permission the call needs.
    pub fn permission(self) -> &'static str {
        match self {
            Call::GetConfig | Call::Tunnels => "Account > Cloudflare Tunnel > Read",
            Call::PutConfig => "Account > Cloudflare Tunnel > Edit (\"Cloudflare Tunnel Write\")",
            Call::Accounts => "Account > Account Settings > Read",
            Call::Verify => "any (token verification needs no permission)",
            Call::Connections => "Account > Cloudflare Tunnel > Read",
            Call::AccessApps => "Account > Access: Apps and Policies > Read",
            Call::AccessOrganization => {
                "Account > Access: Organizations, Identity Providers, and Groups > Read"
            }
            Call::Zones => "Zone > Zone > Read",
            Call::DnsRead => "Zone > DNS > Read",
            Call::DnsEdit => "Zone > DNS > Edit",
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
    /// An id given by the user does not have the API's shape; nothing was sent.
    #[error("the {} \"{value}\" is malformed: it should be {}{hint}", kind.name(), kind.shape())]
    InvalidId {
        /// Which id.
        kind: IdKind,
        /// The value, inert and shortened.
        value: String,
        /// A guess at what was given instead, or "".
        hint: &'static str,
    },
    /// A well-formed account id that the credentials cannot see (the API answers it as a
    /// missing permission).
    #[error(
        "the account id {account} is not an account these credentials can see ({visible}); a zone id has the same shape (32 hexadecimal characters), so check that this is the account id: it is on the dashboard's Account Home (\"Account ID\"), or leave --account out when the token sees one account"
    )]
    UnknownAccount {
        /// The id that was given.
        account: String,
        /// The accounts the credentials do see, described.
        visible: String,
    },
    /// A list that did not end within the caps: a server that keeps announcing more pages.
    #[error(
        "stopped listing {what} after {pages} pages and {items} items: {reason}; a real account never comes near this, so the API's answers look wrong (check the API URL)"
    )]
    ListCapped {
        /// What was being listed.
        what: String,
        /// Pages read.
        pages: u32,
        /// Items read.
        items: usize,
        /// Which cap stopped it.
        reason: String,
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
    /// Not sent: the last answer said no request is left in the rate-limit window.
    #[error(
        "not sent: the API's rate limit for these credentials is used up for another {}s (its Ratelimit header said 0 requests left); sending now would be answered 429, which blocks the credentials for minutes, the dashboard too: retry then",
        retry_after.as_secs().max(1)
    )]
    RateBudgetSpent {
        /// When the window resets.
        retry_after: Duration,
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
    #[error("the API answer is larger than {}; refusing to read it", size(*.limit))]
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

/// A byte count for messages: `16 MiB`, `64 KiB`, `100 bytes`.
pub fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
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

/// The envelope's errors as one line: at most [`MAX_SHOWN_ERRORS`] of them (the reader keeps no
/// more), each already shortened by the reader.
pub(crate) fn describe_errors(errors: &[ApiMessage]) -> String {
    if errors.is_empty() {
        return "no error details were given".to_owned();
    }
    errors
        .iter()
        .take(MAX_SHOWN_ERRORS)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// How many of an envelope's errors a message shows.
pub(crate) const MAX_SHOWN_ERRORS: usize = 5;

impl ApiError {
    /// Whether this error, answering a write (a PUT, POST, PATCH or DELETE), leaves its outcome
    /// unknown: the write may have been applied (a timeout, a 5xx, a connection dropped after
    /// sending).
    pub fn leaves_outcome_unknown(&self) -> bool {
        match self {
            ApiError::Timeout { .. } | ApiError::Server { .. } => true,
            ApiError::Connect { detail, .. } => detail.contains("dropped"),
            ApiError::NotJson { status, .. } => *status >= 500 || *status == 200,
            _ => false,
        }
    }

    /// Whether a GET may be retried after this error.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited { .. }
                | ApiError::RateBudgetSpent { .. }
                | ApiError::Server { .. }
                | ApiError::Timeout { .. }
                | ApiError::Connect { .. }
        ) || matches!(self, ApiError::NotJson { status, .. } if *status >= 500)
    }
}
