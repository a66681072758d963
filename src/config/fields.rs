//! The catalogue of configurable fields: their exact key names, kinds, built-in defaults and the
//! dashboard group they belong to. Validation, the effective-settings view and the editor's forms
//! all read this one table.

use std::fmt;

use serde_json::{Value, json};

use super::duration::Duration;
use super::model::{Access, IpRule, OriginRequest, Setting};

/// What kind of value a field holds (decides how the editor edits it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// true/false
    Bool,
    /// A string
    Text,
    /// A signed integer
    Int,
    /// An unsigned integer
    Uint,
    /// Whole seconds (JSON) / Go duration (YAML)
    Duration,
    /// A string with a fixed set of useful values
    Choice(&'static [&'static str]),
    /// A list of strings
    TextList,
    /// The `ipRules` list
    IpRules,
    /// The `access` object
    Object,
}

/// The dashboard's grouping of origin-request settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldGroup {
    /// TLS settings
    Tls,
    /// HTTP settings
    Http,
    /// Connection settings
    Connection,
    /// Cloudflare Access
    Access,
}

impl FieldGroup {
    /// The heading shown in forms.
    pub fn title(self) -> &'static str {
        match self {
            FieldGroup::Tls => "TLS",
            FieldGroup::Http => "HTTP",
            FieldGroup::Connection => "Connection",
            FieldGroup::Access => "Access",
        }
    }
}

/// cloudflared's built-in default of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldDefault {
    /// A boolean.
    Bool(bool),
    /// A string.
    Text(&'static str),
    /// A duration, in seconds.
    Secs(i64),
    /// A number.
    Int(i64),
    /// No value (an empty list, no access check).
    None,
}

/// A field's value inside the model, borrowed: the one place that knows which struct member
/// holds which field (readers, writers and forms go through it).
#[derive(Debug, Clone, Copy)]
pub enum Slot<'a> {
    /// A boolean.
    Bool(&'a Setting<bool>),
    /// A string.
    Text(&'a Setting<String>),
    /// A duration.
    Duration(&'a Setting<Duration>),
    /// A signed number.
    Int(&'a Setting<i64>),
    /// An unsigned number.
    Uint(&'a Setting<u64>),
    /// A list of strings.
    TextList(&'a Setting<Vec<String>>),
    /// `ipRules`.
    IpRules(&'a Setting<Vec<IpRule>>),
    /// `access`.
    Access(&'a Setting<Access>),
}

/// A field's value inside the model, for writing.
#[derive(Debug)]
pub enum SlotMut<'a> {
    /// A boolean.
    Bool(&'a mut Setting<bool>),
    /// A string.
    Text(&'a mut Setting<String>),
    /// A duration.
    Duration(&'a mut Setting<Duration>),
    /// A signed number.
    Int(&'a mut Setting<i64>),
    /// An unsigned number.
    Uint(&'a mut Setting<u64>),
    /// A list of strings.
    TextList(&'a mut Setting<Vec<String>>),
    /// `ipRules`.
    IpRules(&'a mut Setting<Vec<IpRule>>),
    /// `access`.
    Access(&'a mut Setting<Access>),
}

macro_rules! holder {
    (origin, $o:ident, $a:ident) => {
        $o
    };
    (access, $o:ident, $a:ident) => {
        $a
    };
}

macro_rules! catalogue {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident {
            key: $key:literal,
            member: $holder:ident . $member:ident,
            slot: $slot:ident,
            kind: $kind:expr,
            group: $group:ident,
            default: $default:expr,
            help: $help:literal,
        }
    )*) => {
        /// A field of `originRequest` (global or per rule), including the keys of `access`.
        /// Everything about a field (key, member, kind, group, default, help) is written once,
        /// in the catalogue below.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum OriginField {
            $($(#[doc = $doc])* $variant,)*
        }

        impl OriginField {
            /// Every field, in the dashboard's order (TLS, HTTP, Connection, Access).
            pub const ALL: &'static [OriginField] = &[$(OriginField::$variant,)*];

            /// The key as written in JSON and YAML (`access.*` keys without the `access.` prefix).
            pub fn key(self) -> &'static str {
                match self {
                    $(OriginField::$variant => $key,)*
                }
            }

            /// The kind of value.
            pub fn kind(self) -> FieldKind {
                match self {
                    $(OriginField::$variant => $kind,)*
                }
            }

            /// The dashboard group.
            pub fn group(self) -> FieldGroup {
                match self {
                    $(OriginField::$variant => FieldGroup::$group,)*
                }
            }

            /// cloudflared's built-in default.
            pub fn default_value(self) -> FieldDefault {
                match self {
                    $(OriginField::$variant => $default,)*
                }
            }

            /// One line of help for the form.
            pub fn help(self) -> &'static str {
                match self {
                    $(OriginField::$variant => $help,)*
                }
            }

            /// Whether this is one of the keys inside `access`.
            pub fn is_access_leaf(self) -> bool {
                match self {
                    $(OriginField::$variant => stringify!($holder) == "access",)*
                }
            }

            /// The field's value in `o` (`None` for the keys inside `access`: see
            /// [`OriginField::access_slot`]).
            #[allow(unused_variables)]
            pub fn slot(self, o: &OriginRequest) -> Option<Slot<'_>> {
                let origin = Some(o);
                let access: Option<&Access> = None;
                match self {
                    $(OriginField::$variant => holder!($holder, origin, access).map(|h| Slot::$slot(&h.$member)),)*
                }
            }

            /// The field's value in `o`, for writing (`None` for the keys inside `access`).
            #[allow(unused_variables)]
            pub fn slot_mut(self, o: &mut OriginRequest) -> Option<SlotMut<'_>> {
                let origin = Some(o);
                let access: Option<&mut Access> = None;
                match self {
                    $(OriginField::$variant => holder!($holder, origin, access).map(|h| SlotMut::$slot(&mut h.$member)),)*
                }
            }

            /// The field's value in an `access` object (`None` for the other fields).
            #[allow(unused_variables)]
            pub fn access_slot(self, a: &Access) -> Option<Slot<'_>> {
                let origin: Option<&OriginRequest> = None;
                let access = Some(a);
                match self {
                    $(OriginField::$variant => holder!($holder, origin, access).map(|h| Slot::$slot(&h.$member)),)*
                }
            }

            /// The field's value in an `access` object, for writing.
            #[allow(unused_variables)]
            pub fn access_slot_mut(self, a: &mut Access) -> Option<SlotMut<'_>> {
                let origin: Option<&mut OriginRequest> = None;
                let access = Some(a);
                match self {
                    $(OriginField::$variant => holder!($holder, origin, access).map(|h| SlotMut::$slot(&mut h.$member)),)*
                }
            }
        }
    };
}

catalogue! {
    /// `originServerName`
    OriginServerName {
        key: "originServerName",
        member: origin.origin_server_name,
        slot: Text,
        kind: FieldKind::Text,
        group: Tls,
        default: FieldDefault::Text(""),
        help: "hostname expected on the origin's TLS certificate",
    }
    /// `matchSNItoHost`
    MatchSniToHost {
        key: "matchSNItoHost",
        member: origin.match_sni_to_host,
        slot: Bool,
        kind: FieldKind::Bool,
        group: Tls,
        default: FieldDefault::Bool(false),
        help: "send the request Host as TLS SNI to the origin",
    }
    /// `caPool`
    CaPool {
        key: "caPool",
        member: origin.ca_pool,
        slot: Text,
        kind: FieldKind::Text,
        group: Tls,
        default: FieldDefault::Text(""),
        help: "path to a CA bundle for the origin's certificate",
    }
    /// `noTLSVerify`
    NoTlsVerify {
        key: "noTLSVerify",
        member: origin.no_tls_verify,
        slot: Bool,
        kind: FieldKind::Bool,
        group: Tls,
        default: FieldDefault::Bool(false),
        help: "accept any origin certificate (insecure)",
    }
    /// `tlsTimeout`
    TlsTimeout {
        key: "tlsTimeout",
        member: origin.tls_timeout,
        slot: Duration,
        kind: FieldKind::Duration,
        group: Tls,
        default: FieldDefault::Secs(10),
        help: "time allowed for the TLS handshake with the origin",
    }
    /// `http2Origin`
    Http2Origin {
        key: "http2Origin",
        member: origin.http2_origin,
        slot: Bool,
        kind: FieldKind::Bool,
        group: Tls,
        default: FieldDefault::Bool(false),
        help: "talk HTTP/2 to the origin",
    }
    /// `httpHostHeader`
    HttpHostHeader {
        key: "httpHostHeader",
        member: origin.http_host_header,
        slot: Text,
        kind: FieldKind::Text,
        group: Http,
        default: FieldDefault::Text(""),
        help: "Host header sent to the origin",
    }
    /// `disableChunkedEncoding`
    DisableChunkedEncoding {
        key: "disableChunkedEncoding",
        member: origin.disable_chunked_encoding,
        slot: Bool,
        kind: FieldKind::Bool,
        group: Http,
        default: FieldDefault::Bool(false),
        help: "for WSGI servers that cannot read chunked bodies",
    }
    /// `connectTimeout`
    ConnectTimeout {
        key: "connectTimeout",
        member: origin.connect_timeout,
        slot: Duration,
        kind: FieldKind::Duration,
        group: Connection,
        default: FieldDefault::Secs(30),
        help: "time allowed to open a connection to the origin",
    }
    /// `noHappyEyeballs`
    NoHappyEyeballs {
        key: "noHappyEyeballs",
        member: origin.no_happy_eyeballs,
        slot: Bool,
        kind: FieldKind::Bool,
        group: Connection,
        default: FieldDefault::Bool(false),
        help: "do not race IPv4 and IPv6 connections",
    }
    /// `proxyType`
    ProxyType {
        key: "proxyType",
        member: origin.proxy_type,
        slot: Text,
        kind: FieldKind::Choice(&["", "socks"]),
        group: Connection,
        default: FieldDefault::Text(""),
        help: "\"socks\" runs a SOCKS5 proxy; anything else has no effect",
    }
    /// `keepAliveTimeout`
    KeepAliveTimeout {
        key: "keepAliveTimeout",
        member: origin.keep_alive_timeout,
        slot: Duration,
        kind: FieldKind::Duration,
        group: Connection,
        default: FieldDefault::Secs(90),
        help: "idle time before a pooled origin connection closes",
    }
    /// `keepAliveConnections`
    KeepAliveConnections {
        key: "keepAliveConnections",
        member: origin.keep_alive_connections,
        slot: Int,
        kind: FieldKind::Int,
        group: Connection,
        default: FieldDefault::Int(100),
        help: "maximum idle connections kept to the origin",
    }
    /// `tcpKeepAlive`
    TcpKeepAlive {
        key: "tcpKeepAlive",
        member: origin.tcp_keep_alive,
        slot: Duration,
        kind: FieldKind::Duration,
        group: Connection,
        default: FieldDefault::Secs(30),
        help: "TCP keep-alive interval to the origin",
    }
    /// `bastionMode`
    BastionMode {
        key: "bastionMode",
        member: origin.bastion_mode,
        slot: Bool,
        kind: FieldKind::Bool,
        group: Connection,
        default: FieldDefault::Bool(false),
        help: "act as a jump host; the service is chosen by the client",
    }
    /// `proxyAddress`
    ProxyAddress {
        key: "proxyAddress",
        member: origin.proxy_address,
        slot: Text,
        kind: FieldKind::Text,
        group: Connection,
        default: FieldDefault::Text("127.0.0.1"),
        help: "listen address of the local proxy (locally-managed tunnels)",
    }
    /// `proxyPort`
    ProxyPort {
        key: "proxyPort",
        member: origin.proxy_port,
        slot: Uint,
        kind: FieldKind::Uint,
        group: Connection,
        default: FieldDefault::Int(0),
        help: "listen port of the local proxy (locally-managed tunnels)",
    }
    /// `ipRules`
    IpRules {
        key: "ipRules",
        member: origin.ip_rules,
        slot: IpRules,
        kind: FieldKind::IpRules,
        group: Connection,
        default: FieldDefault::None,
        help: "allow/deny rules for socks-proxy services: prefix, ports, allow",
    }
    /// `access` as a whole
    Access {
        key: "access",
        member: origin.access,
        slot: Access,
        kind: FieldKind::Object,
        group: Access,
        default: FieldDefault::None,
        help: "Cloudflare Access JWT validation",
    }
    /// `access.required`
    AccessRequired {
        key: "required",
        member: access.required,
        slot: Bool,
        kind: FieldKind::Bool,
        group: Access,
        default: FieldDefault::Bool(false),
        help: "reject requests without a valid Access token",
    }
    /// `access.teamName`
    AccessTeamName {
        key: "teamName",
        member: access.team_name,
        slot: Text,
        kind: FieldKind::Text,
        group: Access,
        default: FieldDefault::Text(""),
        help: "your Zero Trust team name",
    }
    /// `access.audTag`
    AccessAudTag {
        key: "audTag",
        member: access.aud_tag,
        slot: TextList,
        kind: FieldKind::TextList,
        group: Access,
        default: FieldDefault::None,
        help: "Access application audience (AUD) tags",
    }
    /// `access.environment`
    AccessEnvironment {
        key: "environment",
        member: access.environment,
        slot: Text,
        kind: FieldKind::Text,
        group: Access,
        default: FieldDefault::Text(""),
        help: "Access environment, e.g. \"fed\"; empty for commercial",
    }
}

const FORM_LEN: usize = OriginField::ALL.len() - 1;

/// [`OriginField::ALL`] without `access` as a whole.
const fn form_order() -> [OriginField; FORM_LEN] {
    let mut out = [OriginField::OriginServerName; FORM_LEN];
    let (mut i, mut j) = (0, 0);
    while i < OriginField::ALL.len() {
        if !matches!(OriginField::ALL[i], OriginField::Access) && j < FORM_LEN {
            out[j] = OriginField::ALL[i];
            j += 1;
        }
        i += 1;
    }
    out
}

impl OriginField {
    /// Every editable leaf field, in the dashboard's order (TLS, HTTP, Connection, Access).
    pub const FORM_ORDER: [OriginField; FORM_LEN] = form_order();

    /// The field whose key `matches` (the reader's key comparison) in an originRequest
    /// (`access` included, its inner keys not).
    pub fn find_origin_key(matches: impl Fn(&str) -> bool) -> Option<OriginField> {
        OriginField::ALL
            .iter()
            .copied()
            .find(|f| !f.is_access_leaf() && matches(f.key()))
    }

    /// The field whose key `matches` inside `access`.
    pub fn find_access_key(matches: impl Fn(&str) -> bool) -> Option<OriginField> {
        OriginField::ALL
            .iter()
            .copied()
            .find(|f| f.is_access_leaf() && matches(f.key()))
    }

    /// The path below `originRequest` (`access.teamName`, `noTLSVerify`).
    pub fn path(self) -> String {
        if self.is_access_leaf() {
            format!("access.{}", self.key())
        } else {
            self.key().to_owned()
        }
    }

    /// cloudflared's built-in default, as remote JSON (durations in seconds).
    pub fn default_json(self) -> Value {
        match self.default_value() {
            FieldDefault::Bool(b) => json!(b),
            FieldDefault::Text(t) => json!(t),
            FieldDefault::Secs(s) | FieldDefault::Int(s) => json!(s),
            FieldDefault::None if self == OriginField::Access => {
                let mut m = serde_json::Map::new();
                for f in OriginField::ALL.iter().filter(|f| f.is_access_leaf()) {
                    if *f != OriginField::AccessEnvironment {
                        m.insert(f.key().to_owned(), f.default_json());
                    }
                }
                Value::Object(m)
            }
            FieldDefault::None => Value::Null,
        }
    }

    /// cloudflared's built-in default, as shown to a person.
    pub fn default_display(self) -> String {
        match self.default_value() {
            FieldDefault::Bool(b) => b.to_string(),
            FieldDefault::Text("") => "\"\"".to_owned(),
            FieldDefault::Text(t) => t.to_owned(),
            FieldDefault::Secs(s) => Duration::from_secs(s).to_string(),
            FieldDefault::Int(n) => n.to_string(),
            FieldDefault::None => "none".to_owned(),
        }
    }
}

impl fmt::Display for OriginField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// The field a diagnostic is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// The `ingress` list itself.
    Ingress,
    /// A rule's `hostname`.
    Hostname,
    /// A rule's `path`.
    Path,
    /// A rule's `service`.
    Service,
    /// An `originRequest` field (of the rule when the diagnostic has a rule, else global).
    OriginRequest(OriginField),
    /// `warp-routing`.
    WarpRouting,
    /// A key the model does not know (for example a wrong-case key in config.yml).
    Unknown(String),
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Ingress => f.write_str("ingress"),
            Field::Hostname => f.write_str("hostname"),
            Field::Path => f.write_str("path"),
            Field::Service => f.write_str("service"),
            Field::OriginRequest(o) => write!(f, "originRequest.{}", o.path()),
            Field::WarpRouting => f.write_str("warp-routing"),
            Field::Unknown(k) => f.write_str(k),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::{parse_json_str, parse_yaml, to_yaml_string};
    use crate::config::model::{IngressRule, RuleFields, TunnelConfig};

    /// A value other than the default in `field`'s slot.
    fn set_sample(field: OriginField, o: &mut OriginRequest) {
        let slot = if field.is_access_leaf() {
            field.access_slot_mut(o.access.get_or_insert_default())
        } else {
            field.slot_mut(o)
        };
        match slot {
            Some(SlotMut::Bool(s)) => *s = Setting::Set(true),
            Some(SlotMut::Text(s)) => *s = Setting::Set("x.example".to_owned()),
            Some(SlotMut::Duration(s)) => *s = Setting::Set(Duration::from_secs(7)),
            Some(SlotMut::Int(s)) => *s = Setting::Set(7),
            Some(SlotMut::Uint(s)) => *s = Setting::Set(7),
            Some(SlotMut::TextList(s)) => *s = Setting::Set(vec!["a".into(), "b".into()]),
            Some(SlotMut::IpRules(s)) => {
                *s = Setting::Set(vec![IpRule {
                    prefix: Setting::Set("10.0.0.0/8".into()),
                    ports: Setting::Set(vec![80]),
                    allow: Setting::Set(true),
                    ..IpRule::default()
                }])
            }
            Some(SlotMut::Access(_)) | None => panic!("{field:?} has no leaf slot"),
        }
    }

    #[test]
    fn every_field_reads_back_what_is_written_through_the_catalogue() {
        for field in OriginField::FORM_ORDER {
            let mut o = OriginRequest::default();
            set_sample(field, &mut o);
            let config = TunnelConfig {
                ingress: Setting::Set(vec![
                    IngressRule::new(RuleFields {
                        hostname: Setting::Set("a.example.com".into()),
                        service: Setting::Set("http://a".into()),
                        origin_request: Setting::Set(Box::new(o.clone())),
                        ..RuleFields::default()
                    }),
                    IngressRule::new(RuleFields {
                        service: Setting::Set("http_status:404".into()),
                        ..RuleFields::default()
                    }),
                ]),
                origin_request: Setting::Set(o),
                ..TunnelConfig::default()
            };
            let json = crate::config::encode::config_to_json(&config)
                .unwrap_or_else(|e| panic!("{field:?}: {e}"));
            assert!(
                json.to_string().contains(&format!("\"{}\"", field.key())),
                "{field:?} is written under its key: {json}"
            );
            let back = parse_json_str(&json.to_string()).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(back, config, "{field:?} through JSON");
            let yaml = to_yaml_string(&config).unwrap_or_else(|e| panic!("{e}"));
            let back = parse_yaml(&yaml)
                .unwrap_or_else(|e| panic!("{field:?}: {e}\n{yaml}"))
                .config;
            assert_eq!(back, config, "{field:?} through config.yml:\n{yaml}");
        }
    }

    #[test]
    fn the_access_key_constant_follows_the_catalogue() {
        assert_eq!(
            crate::config::encode::ACCESS_KEYS.to_vec(),
            crate::config::encode::access_keys()
        );
    }

    #[test]
    fn defaults_are_stated_once_and_agree() {
        assert_eq!(OriginField::ConnectTimeout.default_display(), "30s");
        assert_eq!(
            OriginField::ConnectTimeout.default_json(),
            serde_json::json!(30)
        );
        assert_eq!(OriginField::KeepAliveTimeout.default_display(), "1m30s");
        assert_eq!(OriginField::OriginServerName.default_display(), "\"\"");
        assert_eq!(OriginField::IpRules.default_display(), "none");
        assert_eq!(
            OriginField::Access.default_json(),
            serde_json::json!({"required": false, "teamName": "", "audTag": null})
        );
        // Every leaf has exactly one place: a slot in originRequest or in access.
        for f in OriginField::FORM_ORDER {
            let mut o = OriginRequest::default();
            let mut a = Access::default();
            assert!(
                f.slot_mut(&mut o).is_some() != f.access_slot_mut(&mut a).is_some(),
                "{f:?}"
            );
        }
    }
}
