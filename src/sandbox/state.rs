//! The sandbox's in-memory API: tunnels, configs, credentials, and how each endpoint answers,
//! with the real envelope, status codes and error codes. Pure: a request in, a reply out, so it is
//! tested without a network.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::access::AccessState;
use super::connectors::Connectors;
use super::permissions::{self, Group};
use super::ratelimit::Budget;
use crate::config::files::from_json_value;
use crate::config::validate::{first_error, validate};

/// A request as the sandbox sees it (path without the `/client/v4` prefix).
#[derive(Debug, Clone, Default)]
pub struct SandboxRequest {
    /// HTTP method.
    pub method: String,
    /// Path, e.g. `/accounts/{id}/cfd_tunnel`.
    pub path: String,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
    /// `Authorization` header.
    pub authorization: Option<String>,
    /// `X-Auth-Email` header.
    pub email: Option<String>,
    /// `X-Auth-Key` header.
    pub key: Option<String>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// A reply: status, extra headers, JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body (`Null` when [`Self::raw`] holds it).
    pub body: Value,
    /// The body's bytes when they were put together without a [`Value`]: a config's answer
    /// embeds the stored config's text, so 100 000 rules are not copied and serialized again
    /// for every read (that alone took 0.4 s).
    pub raw: Option<Box<Bytes>>,
}

impl Reply {
    /// The body's bytes as sent.
    pub fn bytes(&self) -> Bytes {
        match &self.raw {
            Some(raw) => Bytes::clone(raw),
            None => Bytes::from(serde_json::to_vec(&self.body).unwrap_or_default()),
        }
    }

    /// The body as JSON (parsed from [`Self::raw`] when it holds it).
    pub fn json(&self) -> Value {
        match &self.raw {
            Some(raw) => serde_json::from_slice(raw).unwrap_or(Value::Null),
            None => self.body.clone(),
        }
    }

    pub(super) fn ok(result: Value) -> Self {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: json!({"success": true, "errors": [], "messages": [], "result": result}),
            raw: None,
        }
    }

    pub(super) fn list(items: Vec<Value>, page: usize, per_page: usize, total: usize) -> Self {
        let count = items.len();
        Reply {
            status: 200,
            headers: Vec::new(),
            body: json!({
                "success": true, "errors": [], "messages": [], "result": items,
                "result_info": {"page": page, "per_page": per_page, "count": count, "total_count": total,
                                "total_pages": total.div_ceil(per_page.max(1)).max(1)}
            }),
            raw: None,
        }
    }

    /// An error envelope.
    pub fn error(status: u16, code: i64, message: &str) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null}),
            raw: None,
        }
    }
}

/// A token the sandbox accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenGrant {
    /// The token value (40 characters of `[A-Za-z0-9_-]`).
    pub value: String,
    /// Whether it may PUT configurations.
    pub write: bool,
    /// Whether it has expired.
    pub expired: bool,
}

/// One tunnel.
#[derive(Debug, Clone, PartialEq)]
pub struct TunnelRecord {
    /// UUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// The stored config JSON exactly as last PUT (or seeded); `None` for a new tunnel.
    pub config: Option<Value>,
    /// [`Self::config`] serialized, kept with it by [`TunnelRecord::store`].
    pub config_text: Option<Arc<str>>,
    /// Config version (0 = never configured).
    pub version: u64,
    /// When the current config version was created.
    pub config_created_at: String,
    /// Deleted tunnels are listed only when asked for.
    pub deleted: bool,
}

impl TunnelRecord {
    /// Stores `config` (and its text).
    pub fn store(&mut self, config: Option<Value>) {
        self.config_text = config
            .as_ref()
            .map(|c| Arc::from(serde_json::to_string(c).unwrap_or_else(|_| "null".to_owned())));
        self.config = config;
    }
}

/// What a fault does to the request it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// Wait before answering.
    Latency {
        /// Milliseconds.
        ms: u64,
    },
    /// HTTP 429 with `retry-after`.
    RateLimit {
        /// Seconds.
        retry_after: u64,
    },
    /// HTTP 500 with an error envelope.
    ServerError,
    /// Close the connection without answering.
    Drop,
    /// HTTP 502 with an HTML page (a proxy error).
    Html,
    /// The right answer, cut in half.
    TruncatedJson,
    /// Answer normally, then let "someone else" change the tunnel's config (a new version).
    RemoteEdit,
    /// Let "someone else" change the tunnel's config first, then answer: on a PUT, their edit
    /// lands in the gap between the client's last read and its PUT, which then overwrites it.
    RemoteEditFirst,
    /// Apply a PUT with "someone else's" edit added to the config (as a server that rewrites what
    /// it is sent would), and answer with what it stored.
    AlterConfig,
    /// Apply the request, then fail with HTTP 500 (the outcome is unknown to the client).
    ApplyThenFail,
    /// Apply the request, then close the connection without answering.
    ApplyThenDrop,
    /// HTTP 301 to another place (clients must not follow it with credentials).
    Redirect {
        /// The `Location`.
        location: String,
    },
    /// Any answer (to test how clients take hostile or broken replies).
    Body {
        /// HTTP status.
        status: u16,
        /// `Content-Type`.
        content_type: String,
        /// The body, verbatim.
        body: String,
    },
    /// A body of this many bytes (to test size caps).
    HugeBody {
        /// Bytes.
        bytes: usize,
    },
}

/// A fault for upcoming requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Only requests with this method (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Only requests whose path contains this (any when absent).
    #[serde(default)]
    pub path: Option<String>,
    /// What to do.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many matching requests it applies to.
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// How many requests the sandbox remembers.
pub const MAX_RECORDED: usize = 1000;
/// The largest request body the sandbox remembers (larger ones are recorded without a body).
pub const MAX_RECORDED_BODY: usize = 256 << 10;

/// A request the sandbox received (for contract tests).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Decoded query pairs (at most 20, each cut to 200 characters).
    pub query: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<Value>,
}

/// The whole fake account.
#[derive(Debug, Clone)]
pub struct SandboxState {
    /// The account id (32 hex).
    pub account_id: String,
    /// The account name.
    pub account_name: String,
    /// Accepted tokens.
    pub tokens: Vec<TokenGrant>,
    /// Email + Global API Key accepted (full access).
    pub global_key: (String, String),
    /// Tunnels.
    pub tunnels: Vec<TunnelRecord>,
    /// Pending faults.
    pub faults: VecDeque<Fault>,
    /// Requests received (the last 1000).
    pub requests: VecDeque<RecordedRequest>,
    /// Zones and DNS records (`sandbox::dns`).
    pub dns: super::dns::DnsState,
    /// Each tunnel's connectors.
    pub connectors: Connectors,
    /// Access applications and the Zero Trust organization.
    pub access: AccessState,
    /// Permission groups every token lacks.
    pub denied: Vec<Group>,
    /// The rate limit.
    pub budget: Budget,
}

/// RFC 3339 UTC time for a Unix timestamp.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

fn fnv(data: &[u8], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A UUID (version 4 layout) derived from `data`, stable across runs.
pub fn stable_uuid(data: &[u8]) -> String {
    let a = fnv(data, 1);
    let b = fnv(data, 2);
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x4000;
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// A fresh random token of 40 characters from `[A-Za-z0-9_-]`.
pub fn random_token() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut out = String::with_capacity(40);
    let mut i = 0u64;
    while out.len() < 40 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        let mut v = h.finish();
        for _ in 0..8 {
            if out.len() < 40 {
                out.push(CHARS[(v % 64) as usize] as char);
                v /= 64;
            }
        }
        i += 1;
    }
    out
}

fn is_token_shaped(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_account_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The principal a request authenticated as.
enum Principal {
    Token(TokenGrant),
    GlobalKey,
}

/// The change "someone else" makes in a [`FaultKind::RemoteEdit`].
pub fn someone_elses_edit(config: &mut Value) {
    let rule = json!({"hostname": "someone-else.example.com", "service": "http://localhost:9999"});
    match config.get_mut("ingress").and_then(Value::as_array_mut) {
        Some(rules) => rules.insert(0, rule),
        None => *config = json!({"ingress": [rule, {"service": "http_status:404"}]}),
    }
}

impl SandboxState {
    /// An account with no tunnels, accepting `token` (write) and derived read-only and expired
    /// tokens.
    pub fn new(token: &str) -> Self {
        let mut ro: String = token.chars().rev().collect();
        ro.replace_range(0..3, "RO_");
        let mut ex: String = token.chars().rev().collect();
        ex.replace_range(0..3, "EX_");
        SandboxState {
            account_id: format!(
                "{:016x}{:016x}",
                fnv(b"cfingress sandbox account", 7),
                fnv(b"account", 9)
            ),
            account_name: "Sandbox Account".to_owned(),
            tokens: vec![
                TokenGrant {
                    value: token.to_owned(),
                    write: true,
                    expired: false,
                },
                TokenGrant {
                    value: ro,
                    write: false,
                    expired: false,
                },
                TokenGrant {
                    value: ex,
                    write: true,
                    expired: true,
                },
            ],
            global_key: (
                "admin@example.com".to_owned(),
                format!(
                    "{:016x}{:016x}{:05x}",
                    fnv(token.as_bytes(), 3),
                    fnv(token.as_bytes(), 4),
                    fnv(token.as_bytes(), 5) & 0xfffff
                ),
            ),
            tunnels: Vec::new(),
            faults: VecDeque::new(),
            requests: VecDeque::new(),
            dns: super::dns::DnsState::default(),
            connectors: Connectors::default(),
            access: AccessState::default(),
            denied: Vec::new(),
            budget: Budget::default(),
        }
    }

    /// The read-only token (no PUT).
    pub fn read_only_token(&self) -> &str {
        self.tokens
            .iter()
            .find(|t| !t.write)
            .map_or("", |t| t.value.as_str())
    }

    /// The expired token.
    pub fn expired_token(&self) -> &str {
        self.tokens
            .iter()
            .find(|t| t.expired)
            .map_or("", |t| t.value.as_str())
    }

    /// Adds a tunnel; `seed` makes its id stable. A tunnel with a config gets the default
    /// connectors (one prompt, one slow, one stale).
    pub fn add_tunnel(&mut self, name: &str, config: Option<Value>, seed: &[u8]) -> String {
        let mut seed_data = name.as_bytes().to_vec();
        seed_data.extend_from_slice(seed);
        let mut id = stable_uuid(&seed_data);
        let mut n = 0u8;
        while self.tunnels.iter().any(|t| t.id == id) {
            n = n.wrapping_add(1);
            seed_data.push(n);
            id = stable_uuid(&seed_data);
        }
        let now = rfc3339(SystemTime::now());
        let version = u64::from(config.is_some());
        let mut record = TunnelRecord {
            id: id.clone(),
            name: name.to_owned(),
            created_at: now.clone(),
            config: None,
            config_text: None,
            version,
            config_created_at: now,
            deleted: false,
        };
        record.store(config);
        self.tunnels.push(record);
        if version > 0 {
            self.connectors.seed(&id, version);
        }
        id
    }

    /// Queues a fault.
    pub fn push_fault(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    /// Takes the first fault matching a request.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let idx = self.faults.iter().position(|f| {
            f.method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && f.path.as_deref().is_none_or(|p| path.contains(p))
        })?;
        let fault = self.faults.get_mut(idx)?;
        let kind = fault.kind.clone();
        fault.times = fault.times.saturating_sub(1);
        if fault.times == 0 {
            self.faults.remove(idx);
        }
        Some(kind)
    }

    /// "Someone else" edits a tunnel's config: a new version with one more rule.
    pub fn remote_edit(&mut self, tunnel_id: &str) -> bool {
        let Some(t) = self.tunnels.iter_mut().find(|t| t.id == tunnel_id) else {
            return false;
        };
        let mut cfg = t.config.clone().unwrap_or(Value::Null);
        someone_elses_edit(&mut cfg);
        t.store(Some(cfg));
        t.version = t.version.saturating_add(1);
        t.config_created_at = rfc3339(SystemTime::now());
        let (id, version) = (t.id.clone(), t.version);
        self.connectors.published(&id, version, Instant::now());
        true
    }

    /// Remembers a request (the server calls this before any fault plays). Bodies larger than
    /// [`MAX_RECORDED_BODY`] are not kept, so the log stays small whatever clients send.
    pub fn record(&mut self, req: &SandboxRequest) {
        if self.requests.len() >= MAX_RECORDED {
            self.requests.pop_front();
        }
        self.requests.push_back(RecordedRequest {
            method: req.method.clone(),
            path: req.path.chars().take(1000).collect(),
            query: req
                .query
                .iter()
                .take(20)
                .map(|(k, v)| (k.chars().take(200).collect(), v.chars().take(200).collect()))
                .collect(),
            body: if req.body.len() <= MAX_RECORDED_BODY {
                serde_json::from_slice(&req.body).ok()
            } else {
                None
            },
        });
    }

    /// Checks a request's credentials from its headers alone, as the server does before it
    /// reads any body: the error reply when they are missing or wrong.
    pub fn check_credentials(&self, req: &SandboxRequest) -> Result<(), Reply> {
        self.authenticate(req).map(|_| ())
    }

    fn authenticate(&self, req: &SandboxRequest) -> Result<Principal, Reply> {
        if let Some(auth) = &req.authorization {
            let token = auth.strip_prefix("Bearer ").unwrap_or("");
            if !is_token_shaped(token) {
                let mut r = Reply::error(400, 6003, "Invalid request headers");
                r.body["errors"][0]["error_chain"] =
                    json!([{"code": 6111, "message": "Invalid format for Authorization header"}]);
                return Err(r);
            }
            return match self.tokens.iter().find(|t| t.value == token) {
                Some(t) => Ok(Principal::Token(t.clone())),
                None => Err(Reply::error(401, 9109, "Invalid access token")),
            };
        }
        match (&req.email, &req.key) {
            (Some(e), Some(k)) if *e == self.global_key.0 && *k == self.global_key.1 => {
                Ok(Principal::GlobalKey)
            }
            (Some(_), Some(_)) => Err(Reply::error(
                403,
                9103,
                "Unknown X-Auth-Key or X-Auth-Email",
            )),
            _ => Err(Reply::error(
                400,
                9106,
                "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
            )),
        }
    }

    pub(super) fn query(&self, req: &SandboxRequest, key: &str) -> Option<String> {
        req.query
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn paging(&self, req: &SandboxRequest, max: usize) -> Result<(usize, usize), Reply> {
        let page = match self.query(req, "page") {
            None => 1,
            Some(p) => p
                .parse::<usize>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| Reply::error(400, 1001, "page must be a number from 1"))?,
        };
        let per_page = match self.query(req, "per_page") {
            None => 20,
            Some(p) => p
                .parse::<usize>()
                .ok()
                .filter(|p| (1..=max).contains(p))
                .ok_or_else(|| {
                    Reply::error(
                        400,
                        1001,
                        &format!("per_page must be a number from 1 to {max}"),
                    )
                })?,
        };
        Ok((page, per_page))
    }

    fn tunnel_json(&self, t: &TunnelRecord) -> Value {
        json!({
            "id": t.id, "account_tag": self.account_id, "created_at": t.created_at,
            "deleted_at": if t.deleted { Value::String(t.created_at.clone()) } else { Value::Null },
            "name": t.name, "connections": [], "conns_active_at": t.created_at, "conns_inactive_at": null,
            "tun_type": "cfd_tunnel", "metadata": {}, "status": self.connectors.status(&t.id),
            "remote_config": true, "config_src": "cloudflare",
        })
    }

    /// A config's answer, its stored text spliced in (see [`Reply::raw`]).
    fn config_reply(&self, t: &TunnelRecord) -> Reply {
        let fields = json!({
            "account_id": self.account_id, "tunnel_id": t.id, "version": t.version,
            "source": "cloudflare", "created_at": t.config_created_at,
        });
        // `{fields}` becomes `{fields,"config":TEXT}`.
        let fields = serde_json::to_string(&fields).unwrap_or_else(|_| "{}".to_owned());
        let fields = fields.strip_suffix('}').unwrap_or(&fields);
        let text = t.config_text.as_deref().unwrap_or("null");
        let body = format!(
            r#"{{"success":true,"errors":[],"messages":[],"result":{fields},"config":{text}}}}}"#
        );
        Reply {
            status: 200,
            headers: Vec::new(),
            body: Value::Null,
            raw: Some(Box::new(Bytes::from(body))),
        }
    }

    /// Answers one request.
    pub fn handle(&mut self, req: &SandboxRequest) -> Reply {
        let principal = match self.authenticate(req) {
            Ok(p) => p,
            Err(r) => return r,
        };
        if let Principal::Token(t) = &principal
            && t.expired
            && req.path != "/user/tokens/verify"
        {
            return Reply::error(401, 9109, "Invalid access token");
        }
        let now = Instant::now();
        if let Some(refused) = self.budget.spend(now) {
            return refused;
        }
        let mut reply = self.route(req, &principal);
        self.budget.stamp(&mut reply, now);
        reply
    }

    fn route(&mut self, req: &SandboxRequest, principal: &Principal) -> Reply {
        let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
        let method = req.method.as_str();
        match (method, segs.as_slice()) {
            ("GET", ["user", "tokens", "verify"]) => self.verify(principal),
            ("GET", ["accounts"]) => {
                let all = vec![
                    json!({"id": self.account_id, "name": self.account_name, "type": "standard",
                                      "created_on": "2024-01-01T00:00:00Z", "settings": {"enforce_twofactor": false}}),
                ];
                self.page_of(req, 50, all)
            }
            (_, ["zones", rest @ ..]) => {
                let access = match &principal {
                    Principal::Token(t) => super::dns::Access {
                        global: false,
                        write: t.write,
                    },
                    Principal::GlobalKey => super::dns::Access {
                        global: true,
                        write: true,
                    },
                };
                self.zones_route(method, rest, req, access)
            }
            (_, ["accounts", account, rest @ ..]) => {
                if !is_account_id(account) {
                    return Reply::error(
                        400,
                        7003,
                        &format!(
                            "Could not route to /accounts/{account}/{}, perhaps your object identifier is invalid?",
                            rest.join("/")
                        ),
                    );
                }
                if *account != self.account_id {
                    return Reply::error(403, 10000, "Authentication error");
                }
                if let Principal::Token(t) = principal
                    && let Some(group) = permissions::needed(method, rest)
                    && (self.denied.contains(&group) || (group == Group::TunnelWrite && !t.write))
                {
                    return Reply::error(403, 10000, "Authentication error");
                }
                self.account_route(method, rest, req, principal)
            }
            _ => Reply::error(400, 7000, "No route for that URI"),
        }
    }

    /// The page of `all` that the request's `page`/`per_page` ask for (at most `max` per page).
    pub(super) fn page_of(&self, req: &SandboxRequest, max: usize, all: Vec<Value>) -> Reply {
        self.page_of_with(req, max, all, |v| v)
    }

    /// [`Self::page_of`] for items turned into JSON by `json` only when on the page asked for
    /// (listing 100 000 DNS records a page at a time stays linear).
    pub(super) fn page_of_with<T>(
        &self,
        req: &SandboxRequest,
        max: usize,
        all: Vec<T>,
        json: impl FnMut(T) -> Value,
    ) -> Reply {
        let (page, per_page) = match self.paging(req, max) {
            Ok(p) => p,
            Err(r) => return r,
        };
        let total = all.len();
        let items = all
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(json)
            .collect();
        Reply::list(items, page, per_page, total)
    }

    fn verify(&self, principal: &Principal) -> Reply {
        match principal {
            Principal::Token(t) => Reply::ok(json!({
                "id": format!("{:032x}", u128::from(fnv(t.value.as_bytes(), 11)) << 64 | u128::from(fnv(t.value.as_bytes(), 12))),
                "status": if t.expired { "expired" } else { "active" },
            })),
            Principal::GlobalKey => Reply::error(400, 1000, "Invalid API Token"),
        }
    }

    fn account_route(
        &mut self,
        method: &str,
        rest: &[&str],
        req: &SandboxRequest,
        principal: &Principal,
    ) -> Reply {
        match (method, rest) {
            ("GET", ["tokens", "verify"]) => self.verify(principal),
            ("GET", ["cfd_tunnel"]) => {
                let deleted = self.query(req, "is_deleted");
                let name = self.query(req, "name");
                let all: Vec<Value> = self
                    .tunnels
                    .iter()
                    .filter(|t| match deleted.as_deref() {
                        Some("true") => t.deleted,
                        Some("false") => !t.deleted,
                        _ => true,
                    })
                    .filter(|t| name.as_deref().is_none_or(|n| t.name == n))
                    .map(|t| self.tunnel_json(t))
                    .collect();
                self.page_of(req, 1000, all)
            }
            (_, ["cfd_tunnel", tunnel, tail @ ..]) => {
                if !is_uuid(tunnel) {
                    return Reply::error(
                        400,
                        7003,
                        &format!(
                            "Could not route to /accounts/{}/cfd_tunnel/{tunnel}, perhaps your object identifier is invalid?",
                            self.account_id
                        ),
                    );
                }
                let Some(idx) = self
                    .tunnels
                    .iter()
                    .position(|t| t.id == *tunnel && !t.deleted)
                else {
                    return Reply::error(404, 1003, "Tunnel not found");
                };
                match (method, tail) {
                    ("GET", []) => Reply::ok(self.tunnel_json(&self.tunnels[idx])),
                    ("GET", ["configurations"]) => self.config_reply(&self.tunnels[idx]),
                    ("PUT", ["configurations"]) => self.put_config(idx, req),
                    ("GET", ["connections"]) => {
                        let list = self.connectors.list_json(tunnel, Instant::now());
                        let n = list.len();
                        Reply::list(list, 1, n.max(1), n)
                    }
                    ("GET", ["connectors", connector]) => {
                        if !is_uuid(connector) {
                            return Reply::error(
                                400,
                                7003,
                                "Could not route to the connector, perhaps your object identifier is invalid?",
                            );
                        }
                        match self.connectors.one_json(tunnel, connector, Instant::now()) {
                            Some(c) => Reply::ok(c),
                            None => Reply::error(404, 1003, "Connector not found"),
                        }
                    }
                    _ => Reply::error(400, 7000, "No route for that URI"),
                }
            }
            ("GET", ["access", "apps"]) => {
                let filters = [
                    ("name", self.query(req, "name")),
                    ("domain", self.query(req, "domain")),
                    ("aud", self.query(req, "aud")),
                ];
                let exact = self.query(req, "exact").as_deref() == Some("true");
                let apps = self.access.filtered(&filters, exact);
                self.page_of(req, 1000, apps)
            }
            ("GET", ["access", "organizations"]) => Reply::ok(self.access.organization.clone()),
            _ => Reply::error(400, 7000, "No route for that URI"),
        }
    }

    fn put_config(&mut self, idx: usize, req: &SandboxRequest) -> Reply {
        let body: Value = match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(e) => {
                return Reply::error(
                    400,
                    1001,
                    &format!("Invalid request: the body is not JSON ({e})"),
                );
            }
        };
        let Some(config) = body.get("config").filter(|c| c.is_object()) else {
            return Reply::error(
                400,
                1055,
                "Bad Configuration: the request body needs a config object",
            );
        };
        let parsed = match from_json_value(config) {
            Ok(l) => l.config,
            Err(e) => return Reply::error(400, 1055, &format!("Bad Configuration: {e}")),
        };
        let diags = validate(&parsed);
        if let Some(err) = first_error(&diags) {
            return Reply::error(
                400,
                1055,
                &format!("Bad Configuration: Validation failed: {}", err.message),
            );
        }
        let t = &mut self.tunnels[idx];
        t.store(Some(config.clone()));
        t.version = t.version.saturating_add(1);
        t.config_created_at = rfc3339(SystemTime::now());
        let (id, version) = (t.id.clone(), t.version);
        self.connectors.published(&id, version, Instant::now());
        self.config_reply(&self.tunnels[idx])
    }
}

/// A request with the state's first token, for tests (`body` null: none).
#[cfg(test)]
pub(super) fn test_request(
    state: &SandboxState,
    method: &str,
    path: &str,
    body: Value,
) -> SandboxRequest {
    SandboxRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        authorization: Some(format!("Bearer {}", state.tokens[0].value)),
        body: if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        },
        ..SandboxRequest::default()
    }
}

#[cfg(test)]
mod tests {
    use super::test_request as req;
    use super::*;

    #[test]
    fn put_validates_bumps_version_and_keeps_unknown_keys() {
        let mut s = SandboxState::new(&random_token());
        let id = s.add_tunnel("t", None, b"");
        let path = format!("/accounts/{}/cfd_tunnel/{id}/configurations", s.account_id);
        let r = s.handle(&req(&s, "GET", &path, Value::Null));
        assert_eq!(r.json()["result"]["version"], 0);
        assert_eq!(r.json()["result"]["config"], Value::Null);
        let good = json!({"config": {"ingress": [{"service": "http_status:404", "x-keep": [1]}], "future": true}});
        let r = s.handle(&req(&s, "PUT", &path, good.clone()));
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.json()["result"]["version"], 1);
        assert_eq!(r.json()["result"]["config"], good["config"]);
        let bad = json!({"config": {"ingress": [{"hostname": "a.com:443", "service": "http://x"}, {"service": "http_status:404"}]}});
        let r = s.handle(&req(&s, "PUT", &path, bad));
        assert_eq!(r.status, 400);
        assert_eq!(
            r.body["errors"][0]["message"],
            "Bad Configuration: Validation failed: Hostname cannot contain a port"
        );
    }

    #[test]
    fn credentials_are_checked_like_the_api() {
        let mut s = SandboxState::new(&random_token());
        let mut r = req(&s, "GET", "/accounts", Value::Null);
        r.authorization = Some("Bearer 0123456789abcdef0123456789abcdef01234".to_owned());
        assert_eq!(s.handle(&r).body["errors"][0]["code"], 6003);
        r.authorization = Some(format!("Bearer {}", "x".repeat(40)));
        assert_eq!(s.handle(&r).status, 401);
        r.authorization = None;
        assert_eq!(s.handle(&r).body["errors"][0]["code"], 9106);
        r.email = Some(s.global_key.0.clone());
        r.key = Some(s.global_key.1.clone());
        assert_eq!(s.handle(&r).status, 200);
    }

    #[test]
    fn ids_and_times() {
        assert!(is_uuid(&stable_uuid(b"x")));
        assert_eq!(stable_uuid(b"x"), stable_uuid(b"x"));
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            "2023-11-14T22:13:20.000000Z"
        );
        assert!(is_token_shaped(&random_token()));
    }
}
