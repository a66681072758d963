//! The tunnel configuration as a value.
//!
//! Every field the connector reads is modelled with [`Setting`], which keeps the difference between
//! a key that was absent, a key that was `null`, and a key with a value, so that writing a config back
//! never adds defaults or drops nulls. Keys the model does not know are kept in `extra`, in their
//! original order, at every level.

use super::duration::Duration;
pub use super::rawjson::RawJson;

/// Unknown keys of one JSON/YAML object, in input order, with their values as compact JSON text
/// (a repeated key keeps its first position and its last value).
pub type Extra = indexmap::IndexMap<String, RawJson>;

/// One field of a config object: absent, explicitly `null`, or set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Setting<T> {
    /// The key is not present.
    #[default]
    Absent,
    /// The key is present with the value `null` (inherits, like absent).
    Null,
    /// The key has a value.
    Set(T),
}

impl<T> Setting<T> {
    /// The value, if set.
    pub fn get(&self) -> Option<&T> {
        match self {
            Setting::Set(v) => Some(v),
            _ => None,
        }
    }

    /// The value for editing, if set.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        match self {
            Setting::Set(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the key holds a value.
    pub fn is_set(&self) -> bool {
        matches!(self, Setting::Set(_))
    }

    /// Whether the key is present at all (a value or `null`).
    pub fn is_present(&self) -> bool {
        !matches!(self, Setting::Absent)
    }

    /// `Set(v)` for `Some(v)`, `Absent` for `None`.
    pub fn from_option(v: Option<T>) -> Self {
        v.map_or(Setting::Absent, Setting::Set)
    }

    /// Maps the value, keeping absent/null.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Setting<U> {
        match self {
            Setting::Absent => Setting::Absent,
            Setting::Null => Setting::Null,
            Setting::Set(v) => Setting::Set(f(v)),
        }
    }
}

impl<T: Default> Setting<T> {
    /// The value for editing, creating a default one if the key is absent or null.
    pub fn get_or_insert_default(&mut self) -> &mut T {
        if !self.is_set() {
            *self = Setting::Set(T::default());
        }
        match self {
            Setting::Set(v) => v,
            _ => unreachable!("assigned Set just above"),
        }
    }
}

impl Setting<String> {
    /// The string value, or "" when absent or null (how cloudflared reads a missing string).
    pub fn as_str(&self) -> &str {
        self.get().map_or("", String::as_str)
    }
}

impl Setting<bool> {
    /// The value, or `false` when absent or null (how cloudflared reads a missing bool).
    pub fn is_true(&self) -> bool {
        matches!(self, Setting::Set(true))
    }
}

/// A whole tunnel configuration: what the API stores under `config`, or a cloudflared `config.yml`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TunnelConfig {
    /// `ingress`: the ordered rules.
    pub ingress: Setting<Vec<IngressRule>>,
    /// `originRequest`: defaults for every rule.
    pub origin_request: Setting<OriginRequest>,
    /// `warp-routing`.
    pub warp_routing: Setting<WarpRouting>,
    /// Every other top-level key (in config.yml: `tunnel`, `credentials-file`, ...).
    pub extra: Extra,
}

impl TunnelConfig {
    /// The rules (empty when `ingress` is absent or null).
    pub fn rules(&self) -> &[IngressRule] {
        self.ingress.get().map_or(&[], Vec::as_slice)
    }

    /// The rules for editing; makes `ingress` a list if it was absent or null.
    pub fn rules_mut(&mut self) -> &mut Vec<IngressRule> {
        self.ingress.get_or_insert_default()
    }

    /// The global originRequest, if set.
    pub fn global(&self) -> Option<&OriginRequest> {
        self.origin_request.get()
    }

    /// A new config as the editor starts it: one catch-all rule answering 404.
    pub fn new_catch_all() -> Self {
        TunnelConfig {
            ingress: Setting::Set(vec![IngressRule::new(RuleFields {
                service: Setting::Set("http_status:404".to_owned()),
                ..RuleFields::default()
            })]),
            ..TunnelConfig::default()
        }
    }
}

/// One ingress rule: a shared, copy-on-write handle on its [`RuleFields`], read through `Deref`
/// (`rule.hostname`) and written through `DerefMut` (which copies the fields first only when
/// another handle shares them). A copy of a rule, of a rule list or of a whole config therefore
/// copies pointers, not strings: the editor keeps the base config, the draft, the undo history
/// and the autosave's snapshot side by side at little more than the cost of one config, and
/// inserting or deleting a row moves 8 bytes per later rule.
#[derive(Clone, Default)]
pub struct IngressRule(std::sync::Arc<RuleFields>);

impl IngressRule {
    /// A rule with these fields.
    pub fn new(fields: RuleFields) -> Self {
        IngressRule(std::sync::Arc::new(fields))
    }

    /// Whether two handles share the same fields (then they are equal without comparing).
    pub fn shares(&self, other: &IngressRule) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }

    /// A catch-all rule matches every hostname and path; only the last rule may be one.
    pub fn is_catch_all(&self) -> bool {
        let h = self.hostname.as_str();
        (h.is_empty() || h == "*") && self.path.as_str().is_empty()
    }

    /// The per-rule originRequest, if set.
    pub fn overrides(&self) -> Option<&OriginRequest> {
        self.origin_request.get().map(|b| &**b)
    }
}

impl From<RuleFields> for IngressRule {
    fn from(fields: RuleFields) -> Self {
        IngressRule::new(fields)
    }
}

impl std::ops::Deref for IngressRule {
    type Target = RuleFields;

    fn deref(&self) -> &RuleFields {
        &self.0
    }
}

impl std::ops::DerefMut for IngressRule {
    fn deref_mut(&mut self) -> &mut RuleFields {
        std::sync::Arc::make_mut(&mut self.0)
    }
}

impl PartialEq for IngressRule {
    fn eq(&self, other: &Self) -> bool {
        self.shares(other) || *self.0 == *other.0
    }
}

impl std::fmt::Debug for IngressRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The fields of one ingress rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleFields {
    /// `hostname`: exact, `*.suffix` wildcard, `*` or empty for any host.
    pub hostname: Setting<String>,
    /// `path`: a Go RE2 regular expression matched anywhere in the request path.
    pub path: Setting<String>,
    /// `service`: the origin (URL, `http_status:N`, `unix:PATH`, `hello_world`, `bastion`, ...).
    pub service: Setting<String>,
    /// `originRequest`: per-rule overrides of the global settings (boxed: most rules have none,
    /// and it keeps a rule small to copy).
    pub origin_request: Setting<Box<OriginRequest>>,
    /// Unknown keys of the rule.
    pub extra: Extra,
}

/// `originRequest`: how cloudflared talks to the origin. Global or per rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OriginRequest {
    /// `connectTimeout` (default 30s).
    pub connect_timeout: Setting<Duration>,
    /// `tlsTimeout` (default 10s).
    pub tls_timeout: Setting<Duration>,
    /// `tcpKeepAlive` (default 30s).
    pub tcp_keep_alive: Setting<Duration>,
    /// `noHappyEyeballs`.
    pub no_happy_eyeballs: Setting<bool>,
    /// `keepAliveConnections` (default 100).
    pub keep_alive_connections: Setting<i64>,
    /// `keepAliveTimeout` (default 90s).
    pub keep_alive_timeout: Setting<Duration>,
    /// `httpHostHeader`.
    pub http_host_header: Setting<String>,
    /// `originServerName`.
    pub origin_server_name: Setting<String>,
    /// `matchSNItoHost`.
    pub match_sni_to_host: Setting<bool>,
    /// `caPool`.
    pub ca_pool: Setting<String>,
    /// `noTLSVerify`.
    pub no_tls_verify: Setting<bool>,
    /// `disableChunkedEncoding`.
    pub disable_chunked_encoding: Setting<bool>,
    /// `bastionMode`.
    pub bastion_mode: Setting<bool>,
    /// `proxyAddress` (locally-managed tunnels only).
    pub proxy_address: Setting<String>,
    /// `proxyPort` (locally-managed tunnels only).
    pub proxy_port: Setting<u64>,
    /// `proxyType`: "" or "socks".
    pub proxy_type: Setting<String>,
    /// `ipRules`: for `socks-proxy` services; replaced as a whole when overridden.
    pub ip_rules: Setting<Vec<IpRule>>,
    /// `http2Origin`.
    pub http2_origin: Setting<bool>,
    /// `access`: Cloudflare Access JWT validation (per rule only).
    pub access: Setting<Access>,
    /// Unknown keys.
    pub extra: Extra,
}

impl OriginRequest {
    /// Whether no key at all is present (not even unknown ones).
    pub fn is_empty(&self) -> bool {
        *self == OriginRequest::default()
    }
}

/// One `ipRules` entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IpRule {
    /// `prefix`: a CIDR such as `10.0.0.0/8`.
    pub prefix: Setting<String>,
    /// `ports`: allowed/denied ports (1..=65535); empty means all.
    pub ports: Setting<Vec<i64>>,
    /// `allow`.
    pub allow: Setting<bool>,
    /// Unknown keys.
    pub extra: Extra,
}

/// `originRequest.access`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Access {
    /// `required`: reject requests without a valid Access JWT.
    pub required: Setting<bool>,
    /// `teamName`: the Zero Trust team.
    pub team_name: Setting<String>,
    /// `audTag`: the Access application audience tags.
    pub aud_tag: Setting<Vec<String>>,
    /// `environment` (e.g. "fed").
    pub environment: Setting<String>,
    /// Unknown keys.
    pub extra: Extra,
}

/// `warp-routing`. Ignored by cloudflared since 2023.10; kept and editable.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WarpRouting {
    /// `enabled`.
    pub enabled: Setting<bool>,
    /// Unknown keys (`connectTimeout`, `maxActiveFlows`, ...).
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A copied rule shares its fields until one copy is written; a write never shows
        /// through another copy, and equality is by content whether shared or not.
        #[test]
        fn copies_of_a_rule_are_independent_values(
            host in "[a-z.]{0,12}",
            writes in prop::collection::vec((0u8..4, "[a-z]{0,6}"), 0..8),
        ) {
            let original = IngressRule::new(RuleFields {
                hostname: Setting::Set(host),
                ..RuleFields::default()
            });
            let kept = original.clone();
            prop_assert!(kept.shares(&original));
            let mut copy = original.clone();
            for (field, text) in writes {
                match field {
                    0 => copy.hostname = Setting::Set(text),
                    1 => copy.path = Setting::Set(text),
                    2 => copy.service = Setting::Null,
                    _ => {
                        copy.extra.insert(text, RawJson::null());
                    }
                }
            }
            prop_assert_eq!(&kept, &original);
            prop_assert!(kept.shares(&original));
            prop_assert_eq!(copy == original, *copy == *original);
            let fresh = IngressRule::new((*copy).clone());
            prop_assert!(!fresh.shares(&copy));
            prop_assert_eq!(&fresh, &copy);
        }
    }
}
