//! The catalogue of configurable fields: their exact key names, kinds, built-in defaults and the
//! dashboard group they belong to. Validation, the effective-settings view and the editor's forms
//! all read this one table.

use std::fmt;

/// A field of `originRequest` (global or per rule), including the keys of `access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OriginField {
    /// `originServerName`
    OriginServerName,
    /// `matchSNItoHost`
    MatchSniToHost,
    /// `caPool`
    CaPool,
    /// `noTLSVerify`
    NoTlsVerify,
    /// `tlsTimeout`
    TlsTimeout,
    /// `http2Origin`
    Http2Origin,
    /// `httpHostHeader`
    HttpHostHeader,
    /// `disableChunkedEncoding`
    DisableChunkedEncoding,
    /// `connectTimeout`
    ConnectTimeout,
    /// `noHappyEyeballs`
    NoHappyEyeballs,
    /// `proxyType`
    ProxyType,
    /// `keepAliveTimeout`
    KeepAliveTimeout,
    /// `keepAliveConnections`
    KeepAliveConnections,
    /// `tcpKeepAlive`
    TcpKeepAlive,
    /// `bastionMode`
    BastionMode,
    /// `proxyAddress`
    ProxyAddress,
    /// `proxyPort`
    ProxyPort,
    /// `ipRules`
    IpRules,
    /// `access` as a whole
    Access,
    /// `access.required`
    AccessRequired,
    /// `access.teamName`
    AccessTeamName,
    /// `access.audTag`
    AccessAudTag,
    /// `access.environment`
    AccessEnvironment,
}

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

impl OriginField {
    /// Every editable leaf field, in the dashboard's order (TLS, HTTP, Connection, Access).
    pub const FORM_ORDER: [OriginField; 22] = [
        OriginField::OriginServerName,
        OriginField::MatchSniToHost,
        OriginField::CaPool,
        OriginField::NoTlsVerify,
        OriginField::TlsTimeout,
        OriginField::Http2Origin,
        OriginField::HttpHostHeader,
        OriginField::DisableChunkedEncoding,
        OriginField::ConnectTimeout,
        OriginField::NoHappyEyeballs,
        OriginField::ProxyType,
        OriginField::KeepAliveTimeout,
        OriginField::KeepAliveConnections,
        OriginField::TcpKeepAlive,
        OriginField::BastionMode,
        OriginField::ProxyAddress,
        OriginField::ProxyPort,
        OriginField::IpRules,
        OriginField::AccessRequired,
        OriginField::AccessTeamName,
        OriginField::AccessAudTag,
        OriginField::AccessEnvironment,
    ];

    /// The key as written in JSON and YAML (`access.*` keys without the `access.` prefix).
    pub fn key(self) -> &'static str {
        match self {
            OriginField::OriginServerName => "originServerName",
            OriginField::MatchSniToHost => "matchSNItoHost",
            OriginField::CaPool => "caPool",
            OriginField::NoTlsVerify => "noTLSVerify",
            OriginField::TlsTimeout => "tlsTimeout",
            OriginField::Http2Origin => "http2Origin",
            OriginField::HttpHostHeader => "httpHostHeader",
            OriginField::DisableChunkedEncoding => "disableChunkedEncoding",
            OriginField::ConnectTimeout => "connectTimeout",
            OriginField::NoHappyEyeballs => "noHappyEyeballs",
            OriginField::ProxyType => "proxyType",
            OriginField::KeepAliveTimeout => "keepAliveTimeout",
            OriginField::KeepAliveConnections => "keepAliveConnections",
            OriginField::TcpKeepAlive => "tcpKeepAlive",
            OriginField::BastionMode => "bastionMode",
            OriginField::ProxyAddress => "proxyAddress",
            OriginField::ProxyPort => "proxyPort",
            OriginField::IpRules => "ipRules",
            OriginField::Access => "access",
            OriginField::AccessRequired => "required",
            OriginField::AccessTeamName => "teamName",
            OriginField::AccessAudTag => "audTag",
            OriginField::AccessEnvironment => "environment",
        }
    }

    /// The path below `originRequest` (`access.teamName`, `noTLSVerify`).
    pub fn path(self) -> String {
        if self.is_access_leaf() {
            format!("access.{}", self.key())
        } else {
            self.key().to_owned()
        }
    }

    /// Whether this is one of the keys inside `access`.
    pub fn is_access_leaf(self) -> bool {
        matches!(
            self,
            OriginField::AccessRequired
                | OriginField::AccessTeamName
                | OriginField::AccessAudTag
                | OriginField::AccessEnvironment
        )
    }

    /// The kind of value.
    pub fn kind(self) -> FieldKind {
        match self {
            OriginField::MatchSniToHost
            | OriginField::NoTlsVerify
            | OriginField::Http2Origin
            | OriginField::DisableChunkedEncoding
            | OriginField::NoHappyEyeballs
            | OriginField::BastionMode
            | OriginField::AccessRequired => FieldKind::Bool,
            OriginField::TlsTimeout
            | OriginField::ConnectTimeout
            | OriginField::KeepAliveTimeout
            | OriginField::TcpKeepAlive => FieldKind::Duration,
            OriginField::KeepAliveConnections => FieldKind::Int,
            OriginField::ProxyPort => FieldKind::Uint,
            OriginField::ProxyType => FieldKind::Choice(&["", "socks"]),
            OriginField::IpRules => FieldKind::IpRules,
            OriginField::AccessAudTag => FieldKind::TextList,
            OriginField::Access => FieldKind::Object,
            OriginField::OriginServerName
            | OriginField::CaPool
            | OriginField::HttpHostHeader
            | OriginField::ProxyAddress
            | OriginField::AccessTeamName
            | OriginField::AccessEnvironment => FieldKind::Text,
        }
    }

    /// The dashboard group.
    pub fn group(self) -> FieldGroup {
        match self {
            OriginField::OriginServerName
            | OriginField::MatchSniToHost
            | OriginField::CaPool
            | OriginField::NoTlsVerify
            | OriginField::TlsTimeout
            | OriginField::Http2Origin => FieldGroup::Tls,
            OriginField::HttpHostHeader | OriginField::DisableChunkedEncoding => FieldGroup::Http,
            OriginField::Access
            | OriginField::AccessRequired
            | OriginField::AccessTeamName
            | OriginField::AccessAudTag
            | OriginField::AccessEnvironment => FieldGroup::Access,
            _ => FieldGroup::Connection,
        }
    }

    /// cloudflared's built-in default, as shown to a person.
    pub fn default_display(self) -> &'static str {
        match self {
            OriginField::ConnectTimeout | OriginField::TcpKeepAlive => "30s",
            OriginField::TlsTimeout => "10s",
            OriginField::KeepAliveTimeout => "1m30s",
            OriginField::KeepAliveConnections => "100",
            OriginField::ProxyAddress => "127.0.0.1",
            OriginField::ProxyPort => "0",
            OriginField::IpRules | OriginField::Access | OriginField::AccessAudTag => "none",
            OriginField::MatchSniToHost
            | OriginField::NoTlsVerify
            | OriginField::Http2Origin
            | OriginField::DisableChunkedEncoding
            | OriginField::NoHappyEyeballs
            | OriginField::BastionMode
            | OriginField::AccessRequired => "false",
            _ => "\"\"",
        }
    }

    /// One line of help for the form.
    pub fn help(self) -> &'static str {
        match self {
            OriginField::OriginServerName => "hostname expected on the origin's TLS certificate",
            OriginField::MatchSniToHost => "send the request Host as TLS SNI to the origin",
            OriginField::CaPool => "path to a CA bundle for the origin's certificate",
            OriginField::NoTlsVerify => "accept any origin certificate (insecure)",
            OriginField::TlsTimeout => "time allowed for the TLS handshake with the origin",
            OriginField::Http2Origin => "talk HTTP/2 to the origin",
            OriginField::HttpHostHeader => "Host header sent to the origin",
            OriginField::DisableChunkedEncoding => {
                "for WSGI servers that cannot read chunked bodies"
            }
            OriginField::ConnectTimeout => "time allowed to open a connection to the origin",
            OriginField::NoHappyEyeballs => "do not race IPv4 and IPv6 connections",
            OriginField::ProxyType => "\"socks\" runs a SOCKS5 proxy; anything else has no effect",
            OriginField::KeepAliveTimeout => "idle time before a pooled origin connection closes",
            OriginField::KeepAliveConnections => "maximum idle connections kept to the origin",
            OriginField::TcpKeepAlive => "TCP keep-alive interval to the origin",
            OriginField::BastionMode => "act as a jump host; the service is chosen by the client",
            OriginField::ProxyAddress => {
                "listen address of the local proxy (locally-managed tunnels)"
            }
            OriginField::ProxyPort => "listen port of the local proxy (locally-managed tunnels)",
            OriginField::IpRules => {
                "allow/deny rules for socks-proxy services: prefix, ports, allow"
            }
            OriginField::Access => "Cloudflare Access JWT validation",
            OriginField::AccessRequired => "reject requests without a valid Access token",
            OriginField::AccessTeamName => "your Zero Trust team name",
            OriginField::AccessAudTag => "Access application audience (AUD) tags",
            OriginField::AccessEnvironment => {
                "Access environment, e.g. \"fed\"; empty for commercial"
            }
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
