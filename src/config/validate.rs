//! cloudflared's verdict on a configuration, plus cfingress's warnings.
//!
//! Errors are exactly what the connector (and the API, which runs the same checks) rejects, with its
//! messages, in its order: rules in order, and within a rule service, access, port in hostname,
//! wildcard position, catch-all placement, path regex. Unlike cloudflared, every failing rule is
//! reported, so an editor can mark each; the first error is the one cloudflared prints.
//! Warnings are for configs cloudflared accepts but that are almost surely mistakes.

use std::fmt;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::hash::BuildHasher;

use super::confusable::confusable_warnings;
use super::fields::{Field, OriginField, Slot};
use super::goparse::{GoUrl, atoi, parse_url, split_host_port};
use super::goregex::GoRegex;
use super::keys::{Level, unknown_key_warnings};
use super::matching::punycode_alias;
use super::model::{IngressRule, OriginRequest, Setting, TunnelConfig};

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// cloudflared (and the API) reject the config.
    Error,
    /// Accepted, but almost surely a mistake.
    Warning,
}

impl Severity {
    /// "error" or "warning".
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule (0-based), or `None` for the config as a whole or the global settings.
    pub rule: Option<usize>,
    /// The field at fault, if one can be named.
    pub field: Option<Field>,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong. For errors, cloudflared's own message.
    pub message: String,
}

impl Diagnostic {
    fn error(rule: Option<usize>, field: Field, message: impl Into<String>) -> Self {
        Diagnostic {
            rule,
            field: Some(field),
            severity: Severity::Error,
            message: message.into(),
        }
    }

    pub(crate) fn warning(rule: Option<usize>, field: Field, message: impl Into<String>) -> Self {
        Diagnostic {
            rule,
            field: Some(field),
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The message cloudflared (and the API) give for an empty ingress list.
pub const NO_RULES: &str = "The config file doesn't contain any ingress rules";
/// cloudflared's message when the last rule is not a catch-all.
pub const LAST_RULE_NOT_CATCH_ALL: &str =
    "The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)";
/// cloudflared's message for a misplaced `*`.
pub const BAD_WILDCARD: &str = "Hostname patterns can have at most one wildcard character (\"*\") and it can only be used for subdomains, e.g. \"*.example.com\"";
/// cloudflared's message for a hostname with a port.
pub const HOSTNAME_PORT: &str = "Hostname cannot contain a port";
/// cloudflared's message for Access without a team name.
pub const ACCESS_TEAM_NAME: &str =
    "access.TeamName cannot be blank when access.audTags are present";

/// Validates a whole config: cloudflared's errors first within each rule, then warnings.
pub fn validate(config: &TunnelConfig) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let rules = config.rules();
    let global = config.global();
    if rules.is_empty() {
        out.push(Diagnostic::error(None, Field::Ingress, NO_RULES));
    }
    global_warnings(config, &mut out);
    let mut tables = CrossTables::default();
    let mut coverage = Coverage::new(rules, &mut tables);
    for (i, rule) in rules.iter().enumerate() {
        let checked = checked_rule_errors(i, rule, rules.len(), global, &mut out);
        rule_warnings(i, rule, global, &checked, &mut out);
        coverage.check(i, &mut out);
    }
    out
}

/// Diagnostics about the config as a whole and its global settings (first in [`validate`]'s
/// order).
pub fn global_diagnostics(config: &TunnelConfig) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if config.rules().is_empty() {
        out.push(Diagnostic::error(None, Field::Ingress, NO_RULES));
    }
    global_warnings(config, &mut out);
    out
}

/// The checks that compare rules (unreachable and duplicate rules), in rule order; `tables` is
/// scratch space that can be kept between calls.
pub fn cross_rule_diagnostics(rules: &[IngressRule], tables: &mut CrossTables) -> Vec<Diagnostic> {
    let mut coverage = Coverage::new(rules, tables);
    let mut out = Vec::new();
    for i in 0..rules.len() {
        coverage.check(i, &mut out);
    }
    out
}

/// Whether a rule's own diagnostics depend on its position beyond the rule number (messages that
/// name "Rule #N"), so they must be recomputed when the rule moves.
pub fn mentions_position(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.message.contains("Rule #"))
}

/// The diagnostics of one rule alone (errors and per-rule warnings, without the checks that
/// compare rules), for validating a form as the user types.
pub fn validate_rule(
    i: usize,
    rule: &IngressRule,
    total: usize,
    global: Option<&OriginRequest>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let checked = checked_rule_errors(i, rule, total, global, &mut out);
    rule_warnings(i, rule, global, &checked, &mut out);
    out
}

/// The first error, as cloudflared would print it (the API prefixes "Validation failed: ").
pub fn first_error(diagnostics: &[Diagnostic]) -> Option<&Diagnostic> {
    diagnostics.iter().find(|d| d.is_error())
}

/// cloudflared's checks for one rule, in its order. Each failing check is reported. Returns
/// whether the path (if any) is a valid Go regex.
pub fn rule_errors(
    i: usize,
    rule: &IngressRule,
    total: usize,
    global: Option<&OriginRequest>,
    out: &mut Vec<Diagnostic>,
) -> bool {
    checked_rule_errors(i, rule, total, global, out).regex_ok
}

/// What the error checks learned that the warnings reuse.
struct Checked<'a> {
    /// The path (if any) is a valid Go regex.
    regex_ok: bool,
    /// The service parsed as a URL, when it is one cloudflared accepts.
    url: Option<GoUrl<'a>>,
}

fn checked_rule_errors<'a>(
    i: usize,
    rule: &'a IngressRule,
    total: usize,
    global: Option<&OriginRequest>,
    out: &mut Vec<Diagnostic>,
) -> Checked<'a> {
    let at = Some(i);
    let mut url = None;
    match service_verdict(rule, global) {
        Ok(u) => url = u,
        Err(message) => {
            let field = if message.starts_with("unable to create ip rule") {
                Field::OriginRequest(OriginField::IpRules)
            } else {
                Field::Service
            };
            out.push(Diagnostic::error(at, field, message));
        }
    }
    if let Some(access) = rule.overrides().and_then(|o| o.access.get())
        && access.required.is_true()
        && access.aud_tag.get().is_some_and(|tags| !tags.is_empty())
        && access.team_name.as_str().is_empty()
    {
        out.push(Diagnostic::error(
            at,
            Field::OriginRequest(OriginField::AccessTeamName),
            ACCESS_TEAM_NAME,
        ));
    }
    let hostname = rule.hostname.as_str();
    if split_host_port(hostname).is_ok() {
        out.push(Diagnostic::error(at, Field::Hostname, HOSTNAME_PORT));
    }
    if hostname.rfind('*').is_some_and(|pos| pos > 0) {
        out.push(Diagnostic::error(at, Field::Hostname, BAD_WILDCARD));
    }
    let catch_all = rule.is_catch_all();
    let last = i + 1 == total;
    if last && !catch_all {
        let field = if rule.path.as_str().is_empty() || !(hostname.is_empty() || hostname == "*") {
            Field::Hostname
        } else {
            Field::Path
        };
        out.push(Diagnostic::error(at, field, LAST_RULE_NOT_CATCH_ALL));
    } else if !last && catch_all {
        out.push(Diagnostic::error(
            at,
            Field::Hostname,
            format!(
                "Rule #{} is matching the hostname '{}', but this will match every hostname, meaning the rules which follow it will never be triggered.",
                i + 1,
                hostname
            ),
        ));
    }
    let path = rule.path.as_str();
    if !path.is_empty()
        && let Err(e) = GoRegex::check(path)
    {
        out.push(Diagnostic::error(
            at,
            Field::Path,
            format!("Rule #{} has an invalid regex: {e}", i + 1),
        ));
        return Checked {
            regex_ok: false,
            url,
        };
    }
    Checked {
        regex_ok: true,
        url,
    }
}

/// Whether the rule's merged `bastionMode` (rule over global) is on.
pub fn bastion_mode(rule: &IngressRule, global: Option<&OriginRequest>) -> bool {
    match rule.overrides().map(|o| &o.bastion_mode) {
        Some(Setting::Set(v)) => *v,
        _ => global.is_some_and(|g| g.bastion_mode.is_true()),
    }
}

/// What kind of origin a service string names, as cloudflared sorts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKind {
    /// `unix:` / `unix+tls:`
    UnixSocket,
    /// `http_status:N`
    HttpStatus,
    /// `hello_world`
    HelloWorld,
    /// `socks-proxy`
    SocksProxy,
    /// `bastion`, or any service under bastionMode
    Bastion,
    /// A URL
    Url,
}

/// Classifies a service string (before any validation).
pub fn service_kind(service: &str, bastion: bool) -> ServiceKind {
    if service.starts_with("unix:") || service.starts_with("unix+tls:") {
        ServiceKind::UnixSocket
    } else if service.starts_with("http_status:") {
        ServiceKind::HttpStatus
    } else if service == "hello_world" || service == "hello-world" {
        ServiceKind::HelloWorld
    } else if service == "socks-proxy" {
        ServiceKind::SocksProxy
    } else if service == "bastion" || bastion {
        ServiceKind::Bastion
    } else {
        ServiceKind::Url
    }
}

/// cloudflared's service check. `Err` holds its message.
pub fn check_service(rule: &IngressRule, global: Option<&OriginRequest>) -> Result<(), String> {
    service_verdict(rule, global).map(|_| ())
}

/// [`check_service`], also handing back the parsed URL of a URL service it accepts.
fn service_verdict<'a>(
    rule: &'a IngressRule,
    global: Option<&OriginRequest>,
) -> Result<Option<GoUrl<'a>>, String> {
    let service = rule.service.as_str();
    match service_kind(service, bastion_mode(rule, global)) {
        ServiceKind::UnixSocket | ServiceKind::HelloWorld | ServiceKind::Bastion => Ok(None),
        ServiceKind::HttpStatus => {
            let code = &service["http_status:".len()..];
            let n = atoi(code).map_err(|e| format!("invalid HTTP status code: {e}"))?;
            if !(100..=999).contains(&n) {
                return Err(format!("invalid HTTP status code: {n}"));
            }
            Ok(None)
        }
        ServiceKind::SocksProxy => {
            let rules = rule.overrides().and_then(|o| o.ip_rules.get());
            for ip_rule in rules.into_iter().flatten() {
                check_ip_rule(
                    ip_rule.prefix.get().map(String::as_str),
                    ip_rule.ports.get().map(Vec::as_slice),
                )
                .map_err(|e| format!("unable to create ip rule for socks-proxy: {e}"))?;
            }
            Ok(None)
        }
        ServiceKind::Url => {
            let url = parse_url(service).map_err(|e| e.to_string())?;
            if url.scheme.is_empty() || url.hostname().is_empty() {
                return Err(format!(
                    "{service} is an invalid address, please make sure it has a scheme and a hostname"
                ));
            }
            if !url.path.is_empty() {
                return Err(format!(
                    "{service} is an invalid address, ingress rules don't support proxying to a different path on the origin service. The path will be the same as the eyeball request's path"
                ));
            }
            Ok(Some(url))
        }
    }
}

/// cloudflared's `ipaccess.NewRuleByCIDR` checks.
pub fn check_ip_rule(prefix: Option<&str>, ports: Option<&[i64]>) -> Result<(), String> {
    let prefix = match prefix {
        Some(p) if !p.is_empty() => p,
        _ => return Err("no prefix provided".to_owned()),
    };
    if !is_go_cidr(prefix) {
        return Err(format!("unable to parse cidr: {prefix}"));
    }
    let mut sorted: Vec<i64> = ports.unwrap_or_default().to_vec();
    sorted.sort_unstable();
    if let Some(bad) = sorted.iter().find(|p| !(1..=65535).contains(*p)) {
        return Err(format!(
            "invalid port {bad}, needs to be between 1 and 65535"
        ));
    }
    Ok(())
}

/// Go's `net.ParseCIDR` acceptance: an IP (no zone) and a decimal prefix length within range.
fn is_go_cidr(s: &str) -> bool {
    let Some((addr, bits)) = s.split_once('/') else {
        return false;
    };
    let max = if let Ok(_v4) = addr.parse::<std::net::Ipv4Addr>() {
        32
    } else if !addr.contains('%') && addr.parse::<std::net::Ipv6Addr>().is_ok() {
        128
    } else {
        return false;
    };
    if bits.is_empty() || !bits.bytes().all(|b| b.is_ascii_digit()) || bits.len() > 8 {
        return false;
    }
    bits.parse::<u32>().is_ok_and(|n| n <= max)
}

fn origin_warnings(rule: Option<usize>, o: &OriginRequest, out: &mut Vec<Diagnostic>) {
    if let Some(t) = o.proxy_type.get()
        && !t.is_empty()
        && t != "socks"
    {
        out.push(Diagnostic::warning(
            rule,
            Field::OriginRequest(OriginField::ProxyType),
            format!(
                "proxyType \"{t}\" has no effect: cloudflared only recognises \"socks\" (or empty)"
            ),
        ));
    }
    for &field in OriginField::ALL {
        if let Some(Slot::Duration(value)) = field.slot(o)
            && let Some(d) = value.get()
            && d.is_negative()
        {
            out.push(Diagnostic::warning(
                rule,
                Field::OriginRequest(field),
                format!(
                    "{} is negative ({d}); a timeout below zero expires at once",
                    field.key()
                ),
            ));
        }
    }
    unknown_key_warnings(rule, "originRequest.", &o.extra, Level::Origin, out);
    if let Some(a) = o.access.get() {
        unknown_key_warnings(rule, "originRequest.access.", &a.extra, Level::Access, out);
    }
    for (j, ip_rule) in o.ip_rules.get().into_iter().flatten().enumerate() {
        if !ip_rule.extra.is_empty() {
            let prefix = format!("originRequest.ipRules[{j}].");
            unknown_key_warnings(rule, &prefix, &ip_rule.extra, Level::IpRule, out);
        }
    }
}

fn global_warnings(config: &TunnelConfig, out: &mut Vec<Diagnostic>) {
    if let Some(g) = config.global() {
        if g.access.is_set() {
            out.push(Diagnostic::warning(
                None,
                Field::OriginRequest(OriginField::Access),
                "access in the global originRequest is ignored by cloudflared: it is neither validated nor enforced; set it on each rule that needs it",
            ));
        }
        origin_warnings(None, g, out);
    }
    if let Some(w) = config.warp_routing.get()
        && (w.enabled.is_true() || !w.extra.is_empty())
    {
        out.push(Diagnostic::warning(
            None,
            Field::WarpRouting,
            "warp-routing has no effect since cloudflared 2023.10: private networks are routed by the tunnel's routes; it is kept only for compatibility",
        ));
    }
    if let Some(w) = config.warp_routing.get() {
        unknown_key_warnings(None, "warp-routing.", &w.extra, Level::Warp, out);
    }
    unknown_key_warnings(None, "", &config.extra, Level::Top, out);
}

fn hostname_warnings(i: usize, hostname: &str, out: &mut Vec<Diagnostic>) {
    let at = Some(i);
    if hostname.is_empty() || hostname == "*" {
        return;
    }
    // One pass over the bytes for the common (ASCII) case; characters only when needed.
    let (mut control, mut space, mut upper, mut non_ascii) = (false, false, false, false);
    let (mut url_like, mut double_dash, mut prev) = (false, false, 0u8);
    for b in hostname.bytes() {
        match b {
            0..=0x1f | 0x7f => control = true,
            b' ' => space = true,
            b'A'..=b'Z' => upper = true,
            b'/' | b':' => url_like = true,
            b'-' => double_dash |= prev == b'-',
            0x80.. => non_ascii = true,
            _ => {}
        }
        prev = b;
    }
    if non_ascii {
        control |= hostname.chars().any(char::is_control);
        // Invisible characters get their own warning (confusable.rs), whitespace or not.
        space |= hostname
            .chars()
            .any(|c| c.is_whitespace() && !crate::text::is_invisible(c));
        upper |= hostname.chars().any(char::is_uppercase);
    }
    let mut warn = |msg: String| out.push(Diagnostic::warning(at, Field::Hostname, msg));
    if url_like && let Some(msg) = url_in_hostname(hostname) {
        warn(msg);
    }
    if control {
        warn("hostname contains control characters (shown as escapes such as \\x1b): no request can carry them".to_owned());
    } else if space {
        warn(
            "hostname contains whitespace: no request can carry it, so this rule never matches"
                .to_owned(),
        );
    }
    // Only a non-ASCII name or a punycode (`xn--`) label can pass for another name this way.
    if non_ascii || double_dash {
        confusable_warnings(hostname, &mut warn);
    }
    if upper {
        warn(format!(
            "hostname has uppercase letters: cloudflared compares hostnames case-sensitively, so only its lowercase form matches requests; write it as \"{}\"",
            hostname.to_lowercase()
        ));
    }
    if hostname.starts_with('*') && !hostname.starts_with("*.") {
        warn(format!(
            "\"{hostname}\" is not a wildcard: only a leading \"*.\" matches subdomains, so this rule matches only the literal hostname \"{hostname}\""
        ));
    }
    if hostname.len() > 1 && hostname.ends_with('.') {
        warn(format!(
            "hostname ends with a dot: requests for \"{}\" will not match it",
            hostname.trim_end_matches('.')
        ));
    }
    let body = hostname.strip_prefix("*.").unwrap_or(hostname);
    let body = body.strip_suffix('.').unwrap_or(body);
    if body.split('.').any(str::is_empty) {
        warn("hostname has an empty label (two dots in a row, or a leading dot)".to_owned());
    }
    if let Some(long) = body.split('.').find(|l| l.len() > 63) {
        warn(format!(
            "hostname label \"{}…\" is {} characters long; DNS labels are at most 63, so no request can use this hostname",
            long.chars().take(20).collect::<String>(),
            long.len()
        ));
    }
}

/// What is wrong with a hostname that holds a URL (`https://x.example.com`) or a path
/// (`x.example.com/api`): no request's host name has a scheme or a `/`, so the rule never matches
/// (and cloudflared refuses `https://x.example.com`, whose `:` looks like a port to it).
fn url_in_hostname(hostname: &str) -> Option<String> {
    let (scheme, rest) = match hostname.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, hostname),
    };
    let (authority, path) = match rest.find('/') {
        Some(p) => (&rest[..p], &rest[p..]),
        None => (rest, ""),
    };
    if scheme.is_none() && path.is_empty() {
        return None;
    }
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let name = match split_host_port(authority) {
        Ok((host, _)) => host,
        Err(_) => authority,
    };
    let name = crate::text::inert(name);
    let shown = crate::text::inert(hostname);
    let path_hint = if path.len() > 1 {
        format!(
            " and \"^{}\" as the path",
            crate::text::inert(path.trim_end_matches('/'))
        )
    } else {
        String::new()
    };
    let what = if scheme.is_some() { "a URL" } else { "a path" };
    Some(format!(
        "hostname \"{shown}\" holds {what}, but a hostname is the name alone: requests never carry a scheme or \"/\" in their host, so this rule never matches; write \"{name}\" as the hostname{path_hint}{}",
        if scheme.is_some() {
            ", and the scheme in the service"
        } else {
            ""
        }
    ))
}

/// Whether a path pattern is anchored at the start (`^` or `\A`, after leading flag groups).
pub fn path_is_anchored(path: &str) -> bool {
    let mut p = path;
    while p.starts_with("(?") {
        let Some(end) = p.find(')') else { break };
        let flags = &p[2..end];
        if !flags
            .chars()
            .all(|c| matches!(c, 'i' | 'm' | 's' | 'U' | '-'))
        {
            break;
        }
        p = &p[end + 1..];
    }
    p.starts_with('^') || p.starts_with("\\A")
}

fn rule_warnings(
    i: usize,
    rule: &IngressRule,
    global: Option<&OriginRequest>,
    checked: &Checked<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let regex_ok = checked.regex_ok;
    hostname_warnings(i, rule.hostname.as_str(), out);
    let path = rule.path.as_str();
    if !path.is_empty() && regex_ok && !path_is_anchored(path) {
        out.push(Diagnostic::warning(
            Some(i),
            Field::Path,
            format!(
                "path is not anchored: cloudflared matches it anywhere in the request path (\"{path}\" also matches \"/x{}y\"); start it with ^ to match from the beginning",
                if path.starts_with('/') { format!("{path}/") } else { format!("/{path}/") }
            ),
        ));
    }
    let service = rule.service.as_str();
    if bastion_mode(rule, global)
        && service != "bastion"
        && service_kind(service, false) == ServiceKind::Url
        && !service.is_empty()
    {
        let from = if rule.overrides().is_some_and(|o| o.bastion_mode.is_set()) {
            "this rule's"
        } else {
            "the global"
        };
        out.push(Diagnostic::warning(
            Some(i),
            Field::Service,
            format!("bastionMode is on ({from} originRequest), so cloudflared ignores the service \"{service}\" and acts as a bastion"),
        ));
    }
    if let Some(o) = rule.overrides() {
        origin_warnings(Some(i), o, out);
        if let Some(a) = o.access.get()
            && !a.required.is_true()
            && (!a.team_name.as_str().is_empty() || a.aud_tag.get().is_some_and(|t| !t.is_empty()))
        {
            out.push(Diagnostic::warning(
                Some(i),
                Field::OriginRequest(OriginField::AccessRequired),
                "Access is not enforced: teamName/audTag are set but required is not true, so cloudflared checks no Access token and lets every request through to the origin; set access.required to true",
            ));
        }
    }
    super::origin_checks::origin_warnings(i, rule, global, checked.url.as_ref(), out);
    unknown_key_warnings(Some(i), "", &rule.extra, Level::Rule, out);
}

/// Which of a rule's names an `exact` entry stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    /// The hostname as written.
    Host,
    /// Its punycode alias.
    Alias,
}

/// The punycode alias under which a rule also matches requests (`None` for wildcards and rules
/// that match any host), as the cross-rule checks use it.
pub fn rule_alias(rule: &IngressRule) -> Option<String> {
    let host = rule.hostname.as_str();
    if host.is_empty() || host == "*" || host.starts_with('*') {
        None
    } else {
        punycode_alias(host)
    }
}

/// The suffix a path-less wildcard rule serves (`.example.com` for `*.example.com`).
fn wildcard_of(host: &str) -> Option<&str> {
    host.strip_prefix('*').filter(|s| s.starts_with('.'))
}

fn shadowed(rules: &[IngressRule], i: usize, j: usize) -> Diagnostic {
    Diagnostic::warning(
        Some(i),
        Field::Hostname,
        format!(
            "this rule can never match: rule #{} (\"{}\", no path) already serves every request for this hostname",
            j + 1,
            rules[j].hostname.as_str()
        ),
    )
}

fn duplicate(i: usize, j: usize) -> Diagnostic {
    Diagnostic::warning(
        Some(i),
        Field::Path,
        format!(
            "duplicate of rule #{}: same hostname and path, so this rule can never match",
            j + 1
        ),
    )
}

/// The cross-rule diagnostics of rule `i` alone — what [`cross_rule_diagnostics`] gives it —
/// found by scanning the rules before it (`alias_of(j)` is [`rule_alias`] of rule `j`). An
/// editor uses it to re-check the few rules an edit can affect instead of making a whole pass.
pub fn cross_rule_diagnostics_of<'a>(
    rules: &[IngressRule],
    alias_of: impl Fn(usize) -> Option<&'a str>,
    i: usize,
) -> Vec<Diagnostic> {
    let Some(rule) = rules.get(i) else {
        return Vec::new();
    };
    let (host, path) = (rule.hostname.as_str(), rule.path.as_str());
    let any_host = host.is_empty() || host == "*";
    let earlier = || rules[..i].iter().enumerate();
    // The first earlier rule serving every request for `name`: a path-less rule with that name
    // (or punycode alias), or a path-less wildcard whose suffix ends `name`.
    let covering = |name: &str| {
        earlier()
            .find(|(j, r)| {
                let h = r.hostname.as_str();
                r.path.as_str().is_empty()
                    && !(h.is_empty() || h == "*")
                    && match wildcard_of(h) {
                        Some(suffix) => name.ends_with(suffix),
                        None => h == name || alias_of(*j) == Some(name),
                    }
            })
            .map(|(j, _)| j)
    };
    let first_seen = || {
        earlier()
            .find(|(_, r)| {
                !r.path.as_str().is_empty()
                    && r.hostname.as_str() == host
                    && r.path.as_str() == path
            })
            .map(|(j, _)| j)
    };
    let mut out = Vec::new();
    if !any_host {
        let covered = match wildcard_of(host) {
            Some(suffix) => earlier()
                .find(|(_, r)| {
                    r.path.as_str().is_empty()
                        && wildcard_of(r.hostname.as_str()).is_some_and(|s| suffix.ends_with(s))
                })
                .map(|(j, _)| j),
            None => match (covering(host), alias_of(i).map(covering)) {
                (Some(j), None) => Some(j),
                (Some(j), Some(Some(k))) => Some(j.min(k)),
                _ => None,
            },
        };
        if let Some(j) = covered {
            out.push(shadowed(rules, i, j));
            return out;
        }
    }
    if !path.is_empty()
        && let Some(j) = first_seen()
    {
        out.push(duplicate(i, j));
    }
    out
}

/// Whether a rule's cross-rule diagnostics can depend on `other` (as an earlier rule serving
/// the same names, suffix or hostname and path), so an edit of `other` must re-check it.
/// `alias` and `o_alias` are the two rules' [`rule_alias`].
pub fn cross_related(
    rule: &IngressRule,
    alias: Option<&str>,
    other: &IngressRule,
    o_alias: Option<&str>,
) -> bool {
    let (host, o_host) = (rule.hostname.as_str(), other.hostname.as_str());
    if host == o_host {
        return true;
    }
    if o_alias.is_some_and(|a| a == host)
        || alias.is_some_and(|a| a == o_host || Some(a) == o_alias)
    {
        return true;
    }
    wildcard_of(o_host).is_some_and(|s| host.ends_with(s) || alias.is_some_and(|a| a.ends_with(s)))
}

/// The tables the cross-rule checks fill (which hosts earlier rules already serve for every
/// path). They hold rule numbers only, so they can be kept and reused: an editor re-checking a
/// large config after every edit then neither allocates nor page-faults fresh tables each time.
#[derive(Default)]
pub struct CrossTables {
    /// Path-less, non-wildcard rules by hostname or punycode alias (first rule per name).
    exact: HashTable<(usize, Name)>,
    /// Path-less wildcard rules by suffix (`.example.com` for `*.example.com`; first per suffix).
    suffix: HashTable<usize>,
    /// Rules with a path by (hostname, path) (first per pair).
    seen: HashTable<usize>,
    /// Each checked rule's punycode alias, if it has one.
    aliases: Vec<Option<String>>,
}

impl CrossTables {
    /// Takes the aliases the last pass computed ([`rule_alias`] of each rule, in order).
    pub fn take_aliases(&mut self) -> Vec<Option<String>> {
        std::mem::take(&mut self.aliases)
    }
}

impl Clone for CrossTables {
    /// Tables are scratch space: a clone starts empty.
    fn clone(&self) -> Self {
        CrossTables::default()
    }
}

impl std::fmt::Debug for CrossTables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrossTables").finish_non_exhaustive()
    }
}

fn hash_str(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

fn hash_pair(host: &str, path: &str) -> u64 {
    FxBuildHasher.hash_one((host, path))
}

/// The name an `exact` entry stands for.
fn exact_name<'r>(
    rules: &'r [IngressRule],
    aliases: &'r [Option<String>],
    (j, name): (usize, Name),
) -> &'r str {
    match name {
        Name::Host => rules[j].hostname.as_str(),
        Name::Alias => aliases.get(j).and_then(Option::as_deref).unwrap_or(""),
    }
}

/// The suffix a wildcard rule serves (`.example.com` for `*.example.com`).
fn wildcard_suffix(rules: &[IngressRule], j: usize) -> &str {
    let host = rules[j].hostname.as_str();
    host.strip_prefix('*').unwrap_or(host)
}

/// A pass of the cross-rule checks over `rules`, rule by rule in order.
struct Coverage<'a> {
    rules: &'a [IngressRule],
    t: &'a mut CrossTables,
}

impl<'a> Coverage<'a> {
    fn new(rules: &'a [IngressRule], t: &'a mut CrossTables) -> Self {
        t.exact.clear();
        t.suffix.clear();
        t.seen.clear();
        t.aliases.clear();
        // Room for every rule up front: growing a table rehashes every entry so far.
        t.exact
            .reserve(rules.len(), |&e| hash_str(exact_name(rules, &t.aliases, e)));
        t.seen.reserve(rules.len(), |&j| {
            hash_pair(rules[j].hostname.as_str(), rules[j].path.as_str())
        });
        t.aliases.reserve(rules.len());
        Coverage { rules, t }
    }

    fn first_exact(&self, name: &str) -> Option<usize> {
        let (rules, aliases) = (self.rules, &self.t.aliases);
        self.t
            .exact
            .find(hash_str(name), |&e| exact_name(rules, aliases, e) == name)
            .map(|&(j, _)| j)
    }

    fn first_suffix(&self, suffix: &str) -> Option<usize> {
        let rules = self.rules;
        self.t
            .suffix
            .find(hash_str(suffix), |&j| wildcard_suffix(rules, j) == suffix)
            .copied()
    }

    fn first_seen(&self, host: &str, path: &str) -> Option<usize> {
        let rules = self.rules;
        self.t
            .seen
            .find(hash_pair(host, path), |&j| {
                rules[j].hostname.as_str() == host && rules[j].path.as_str() == path
            })
            .copied()
    }

    fn covering_exact(&self, host: &str) -> Option<usize> {
        let mut best = self.first_exact(host);
        if self.t.suffix.is_empty() {
            return best;
        }
        for (pos, _) in host.match_indices('.') {
            if let Some(j) = self.first_suffix(&host[pos..]) {
                best = Some(best.map_or(j, |b| b.min(j)));
            }
        }
        best
    }

    fn insert_exact(&mut self, i: usize, name: Name) {
        let (rules, aliases) = (self.rules, &self.t.aliases);
        let key = exact_name(rules, aliases, (i, name));
        let hash = hash_str(key);
        if let hashbrown::hash_table::Entry::Vacant(v) = self.t.exact.entry(
            hash,
            |&e| exact_name(rules, aliases, e) == key,
            |&e| hash_str(exact_name(rules, aliases, e)),
        ) {
            v.insert((i, name));
        }
    }

    fn check(&mut self, i: usize, out: &mut Vec<Diagnostic>) {
        let rules = self.rules;
        let rule = &rules[i];
        let host = rule.hostname.as_str();
        let path = rule.path.as_str();
        let any_host = host.is_empty() || host == "*";
        let alias = rule_alias(rule);
        if !any_host {
            let covered =
                if let Some(suffix) = host.strip_prefix('*').filter(|s| s.starts_with('.')) {
                    suffix
                        .match_indices('.')
                        .filter_map(|(pos, _)| self.first_suffix(&suffix[pos..]))
                        .min()
                } else {
                    match (
                        self.covering_exact(host),
                        alias.as_deref().map(|a| self.covering_exact(a)),
                    ) {
                        (Some(j), None) => Some(j),
                        (Some(j), Some(Some(k))) => Some(j.min(k)),
                        _ => None,
                    }
                };
            if let Some(j) = covered {
                out.push(shadowed(rules, i, j));
            } else if !path.is_empty()
                && let Some(j) = self.first_seen(host, path)
            {
                out.push(duplicate(i, j));
            }
        } else if !path.is_empty()
            && let Some(j) = self.first_seen(host, path)
        {
            out.push(duplicate(i, j));
        }
        let has_alias = alias.is_some();
        // Rules are checked in order, so rule i's alias goes at index i.
        self.t.aliases.resize(i, None);
        self.t.aliases.push(alias);
        if !path.is_empty() {
            let hash = hash_pair(host, path);
            if let hashbrown::hash_table::Entry::Vacant(v) = self.t.seen.entry(
                hash,
                |&j| rules[j].hostname.as_str() == host && rules[j].path.as_str() == path,
                |&j| hash_pair(rules[j].hostname.as_str(), rules[j].path.as_str()),
            ) {
                v.insert(i);
            }
        }
        if path.is_empty() && !any_host {
            if let Some(suffix) = host.strip_prefix('*').filter(|s| s.starts_with('.')) {
                if let hashbrown::hash_table::Entry::Vacant(v) = self.t.suffix.entry(
                    hash_str(suffix),
                    |&j| wildcard_suffix(rules, j) == suffix,
                    |&j| hash_str(wildcard_suffix(rules, j)),
                ) {
                    v.insert(i);
                }
            } else {
                self.insert_exact(i, Name::Host);
                if has_alias {
                    self.insert_exact(i, Name::Alias);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    fn diags(json: &str) -> Vec<Diagnostic> {
        match parse_json_str(json) {
            Ok(c) => validate(&c),
            Err(e) => panic!("{e}"),
        }
    }

    fn messages(json: &str, severity: Severity) -> Vec<String> {
        diags(json)
            .into_iter()
            .filter(|d| d.severity == severity)
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn every_failing_rule_is_reported_first_error_is_cloudflareds() {
        let d = diags(
            r#"{"ingress":[{"hostname":"test","service":"localhost:8000"},{"service":"http_status:invalid_status"}]}"#,
        );
        let errors: Vec<_> = d.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 2);
        assert_eq!(
            errors[0].message,
            "localhost:8000 is an invalid address, please make sure it has a scheme and a hostname"
        );
        assert_eq!(errors[0].rule, Some(0));
        assert_eq!(errors[0].field, Some(Field::Service));
        assert_eq!(
            errors[1].message,
            "invalid HTTP status code: strconv.Atoi: parsing \"invalid_status\": invalid syntax"
        );
        assert_eq!(errors[1].rule, Some(1));
    }

    #[test]
    fn status_codes_parse_like_atoi() {
        for ok in ["+404", "0404", "100", "999"] {
            assert!(
                messages(
                    &format!(r#"{{"ingress":[{{"service":"http_status:{ok}"}}]}}"#),
                    Severity::Error
                )
                .is_empty(),
                "{ok}"
            );
        }
        assert_eq!(
            messages(
                r#"{"ingress":[{"service":"http_status: 404"}]}"#,
                Severity::Error
            ),
            ["invalid HTTP status code: strconv.Atoi: parsing \" 404\": invalid syntax"]
        );
        assert_eq!(
            messages(
                r#"{"ingress":[{"service":"http_status:99"}]}"#,
                Severity::Error
            ),
            ["invalid HTTP status code: 99"]
        );
    }

    #[test]
    fn hostname_port_follows_split_host_port() {
        for bad in ["a.com:443", "a.com:", "a.com:abc"] {
            let m = messages(
                &format!(
                    r#"{{"ingress":[{{"hostname":"{bad}","service":"http://x"}},{{"service":"http_status:404"}}]}}"#
                ),
                Severity::Error,
            );
            assert_eq!(m, [HOSTNAME_PORT], "{bad}");
        }
        for good in ["::1", "a:b:c"] {
            let m = messages(
                &format!(
                    r#"{{"ingress":[{{"hostname":"{good}","service":"http://x"}},{{"service":"http_status:404"}}]}}"#
                ),
                Severity::Error,
            );
            assert!(m.is_empty(), "{good}: {m:?}");
        }
    }

    #[test]
    fn services_follow_go_url_parse() {
        let ok = [
            "http://localhost:8000?q=1",
            "http://localhost:8000#frag",
            "http://user:pw@localhost",
            "https://[::1]:443",
            "http://localhost:",
            "http://localhost:99999",
            "foo://bar",
            "HTTP://LOCALHOST:8080",
            "unix:",
            "unix+tls:/x",
            "hello-world",
            "bastion",
        ];
        for s in ok {
            let m = messages(
                &format!(r#"{{"ingress":[{{"service":"{s}"}}]}}"#),
                Severity::Error,
            );
            assert!(m.is_empty(), "{s}: {m:?}");
        }
        let bad = [
            (
                "http://local host",
                "parse \"http://local host\": invalid character \" \" in host name",
            ),
            (
                "http://h:abc",
                "parse \"http://h:abc\": invalid port \":abc\" after host",
            ),
            ("http://[::1", "parse \"http://[::1\": missing ']' in host"),
            (
                "http:localhost:80",
                "http:localhost:80 is an invalid address, please make sure it has a scheme and a hostname",
            ),
            (
                "mailto:x@y",
                "mailto:x@y is an invalid address, please make sure it has a scheme and a hostname",
            ),
            (
                " http://x",
                "parse \" http://x\": first path segment in URL cannot contain colon",
            ),
            (
                "http://x/",
                "http://x/ is an invalid address, ingress rules don't support proxying to a different path on the origin service. The path will be the same as the eyeball request's path",
            ),
            (
                "http://h/%zz",
                "parse \"http://h/%zz\": invalid URL escape \"%zz\"",
            ),
            (
                "Unix:/x",
                "parse \"Unix:/x\": first path segment in URL cannot contain colon",
            ),
            (
                "",
                " is an invalid address, please make sure it has a scheme and a hostname",
            ),
        ];
        for (s, want) in bad {
            let m = messages(
                &format!(r#"{{"ingress":[{{"service":"{s}"}}]}}"#),
                Severity::Error,
            );
            if s == "Unix:/x" {
                // "Unix" is a valid scheme for Go; "/x" is then a path.
                assert_eq!(
                    m,
                    [
                        "Unix:/x is an invalid address, please make sure it has a scheme and a hostname"
                    ]
                );
                continue;
            }
            assert_eq!(m, [want], "{s}");
        }
    }

    #[test]
    fn bastion_mode_skips_service_validation() {
        let m = messages(
            r#"{"originRequest":{"bastionMode":true},"ingress":[{"service":"not a url"}]}"#,
            Severity::Error,
        );
        assert!(m.is_empty());
        let w = messages(
            r#"{"originRequest":{"bastionMode":true},"ingress":[{"service":"https://x"}]}"#,
            Severity::Warning,
        );
        assert!(w.iter().any(|m| m.contains("bastionMode is on")), "{w:?}");
    }

    #[test]
    fn socks_ip_rules_are_checked() {
        let m = messages(
            r#"{"ingress":[{"service":"socks-proxy","originRequest":{"ipRules":[{"prefix":"10.0.0.0/33"}]}}]}"#,
            Severity::Error,
        );
        assert_eq!(
            m,
            ["unable to create ip rule for socks-proxy: unable to parse cidr: 10.0.0.0/33"]
        );
        let m = messages(
            r#"{"ingress":[{"service":"socks-proxy","originRequest":{"ipRules":[{"prefix":"10.0.0.0/8","ports":[70000,0]}]}}]}"#,
            Severity::Error,
        );
        assert_eq!(
            m,
            [
                "unable to create ip rule for socks-proxy: invalid port 0, needs to be between 1 and 65535"
            ]
        );
        let m = messages(
            r#"{"ingress":[{"service":"socks-proxy","originRequest":{"ipRules":[{"ports":[80]}]}}]}"#,
            Severity::Error,
        );
        assert_eq!(
            m,
            ["unable to create ip rule for socks-proxy: no prefix provided"]
        );
    }

    #[test]
    fn access_needs_team_name_per_rule_only() {
        let m = messages(
            r#"{"ingress":[{"service":"http_status:404","originRequest":{"access":{"required":true,"audTag":[""]}}}]}"#,
            Severity::Error,
        );
        assert_eq!(m, [ACCESS_TEAM_NAME]);
        let d = diags(
            r#"{"originRequest":{"access":{"required":true,"audTag":["a"]}},"ingress":[{"service":"http_status:404"}]}"#,
        );
        assert!(!d.iter().any(Diagnostic::is_error));
        assert!(d.iter().any(|d| {
            d.message
                .starts_with("access in the global originRequest is ignored")
        }));
    }

    #[test]
    fn warnings_for_likely_mistakes() {
        let json = r#"{
          "warp-routing": {"enabled": true},
          "ingress": [
            {"hostname": "a b.example.com", "service": "http://x"},
            {"hostname": "App.example.com", "service": "http://x"},
            {"hostname": "example.com.", "service": "http://x"},
            {"hostname": "a..example.com", "service": "http://x"},
            {"hostname": "*example.com", "service": "http://x"},
            {"hostname": "x.example.com", "path": "admin", "service": "http://x"},
            {"hostname": "api.example.com", "service": "http://x", "originRequest": {"proxyType": "socks5", "connectTimeout": -5}},
            {"hostname": "api.example.com", "path": "^/v2", "service": "http://x"},
            {"hostname": "*.corp.example.com", "service": "http://x"},
            {"hostname": "db.corp.example.com", "service": "http://x"},
            {"hostname": "y.example.com", "path": "^/a", "service": "http://x"},
            {"hostname": "y.example.com", "path": "^/a", "service": "http://x"},
            {"hostname": "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL.example.com", "service": "http://x"},
            {"service": "http_status:404"}
          ]
        }"#;
        let d = diags(json);
        assert!(!d.iter().any(Diagnostic::is_error), "{d:?}");
        let has = |rule: Option<usize>, needle: &str| {
            d.iter()
                .any(|d| d.rule == rule && d.message.contains(needle))
        };
        assert!(has(None, "warp-routing has no effect"));
        assert!(has(Some(0), "whitespace"));
        assert!(has(Some(1), "uppercase"));
        assert!(has(Some(2), "ends with a dot"));
        assert!(has(Some(3), "empty label"));
        assert!(has(Some(4), "is not a wildcard"));
        assert!(has(Some(5), "not anchored"));
        assert!(has(Some(6), "proxyType \"socks5\" has no effect"));
        assert!(has(Some(6), "connectTimeout is negative"));
        assert!(has(Some(7), "can never match: rule #7"));
        assert!(has(Some(9), "can never match: rule #9"));
        assert!(has(Some(11), "duplicate of rule #11"));
        assert!(has(Some(12), "63"));
        assert!(!d.iter().any(|d| d.rule == Some(13)), "catch-all is clean");
    }

    #[test]
    fn punycode_aliases_and_wildcards_shadow_later_rules() {
        let d = diags(
            r#"{"ingress": [
              {"hostname": "bücher.example.com", "service": "http://x"},
              {"hostname": "xn--bcher-kva.example.com", "service": "http://x"},
              {"hostname": "xn--caf-dma.example.com", "service": "http://x"},
              {"hostname": "café.example.com", "path": "^/a", "service": "http://x"},
              {"hostname": "*.example.org", "service": "http://x"},
              {"hostname": "*.a.example.org", "service": "http://x"},
              {"hostname": "b.a.example.org", "path": "^/x", "service": "http://x"},
              {"hostname": "c.example.net", "path": "^/x", "service": "http://x"},
              {"hostname": "c.example.net", "path": "^/x", "service": "http://x"},
              {"service": "http_status:404"}
            ]}"#,
        );
        let at = |rule: usize| -> Vec<&str> {
            d.iter()
                .filter(|d| d.rule == Some(rule) && d.message.contains("never match"))
                .map(|d| d.message.as_str())
                .collect()
        };
        assert!(
            at(1)[0].contains("rule #1 (\"bücher.example.com\""),
            "{d:?}"
        );
        // A request for the Unicode name itself is not served by the punycode rule before it.
        assert!(at(3).is_empty(), "{d:?}");
        assert!(at(5)[0].contains("rule #5 (\"*.example.org\""), "{d:?}");
        assert!(at(6)[0].contains("rule #5"), "{d:?}");
        assert!(at(8)[0].contains("duplicate of rule #8"), "{d:?}");
        for clean in [0, 2, 4, 7, 9] {
            assert!(at(clean).is_empty(), "rule {clean}: {d:?}");
        }
    }

    /// Rules drawn from a small pool of names, so that shadowing, wildcards, punycode aliases
    /// and duplicates are frequent.
    pub(crate) fn tangled(seed: u64, n: usize) -> Vec<IngressRule> {
        let hosts = [
            "",
            "*",
            "a.example.com",
            "A.example.com",
            "b.a.example.com",
            "*.example.com",
            "*.a.example.com",
            "bücher.example.com",
            "xn--bcher-kva.example.com",
            "*foo",
            "*.xn--bcher-kva.example.com",
            "x.bücher.example.com",
            ".example.com",
        ];
        let paths = ["", "", "^/a", "^/b"];
        let mut rng = crate::fixtures::Rng::new(seed);
        (0..n)
            .map(|_| {
                IngressRule::new(crate::config::model::RuleFields {
                    hostname: match hosts[rng.below(hosts.len() as u64) as usize] {
                        "" => Setting::Absent,
                        h => Setting::Set(h.to_owned()),
                    },
                    path: match paths[rng.below(paths.len() as u64) as usize] {
                        "" => Setting::Absent,
                        p => Setting::Set(p.to_owned()),
                    },
                    service: Setting::Set("http://localhost:1".to_owned()),
                    ..crate::config::model::RuleFields::default()
                })
            })
            .collect()
    }

    #[test]
    fn one_rules_cross_checks_equal_the_whole_pass() {
        for seed in 0..300 {
            let rules = tangled(seed, 14);
            let mut tables = CrossTables::default();
            let pass = cross_rule_diagnostics(&rules, &mut tables);
            let aliases = tables.take_aliases();
            assert_eq!(
                aliases,
                rules.iter().map(rule_alias).collect::<Vec<_>>(),
                "seed {seed}"
            );
            for i in 0..rules.len() {
                let want: Vec<&Diagnostic> = pass.iter().filter(|d| d.rule == Some(i)).collect();
                let got = cross_rule_diagnostics_of(
                    &rules,
                    |j| aliases.get(j).and_then(Option::as_deref),
                    i,
                );
                assert_eq!(
                    got.iter().collect::<Vec<_>>(),
                    want,
                    "seed {seed}, rule {i}: {rules:#?}"
                );
            }
            // Whatever an earlier rule does to rule i, cross_related says they are related.
            for i in 0..rules.len() {
                let alone: Vec<IngressRule> = rules
                    .iter()
                    .enumerate()
                    .filter(|&(j, r)| {
                        j == i
                            || cross_related(
                                &rules[i],
                                aliases[i].as_deref(),
                                r,
                                aliases[j].as_deref(),
                            )
                    })
                    .map(|(_, r)| r.clone())
                    .collect();
                let k = (0..i)
                    .filter(|&j| {
                        cross_related(
                            &rules[i],
                            aliases[i].as_deref(),
                            &rules[j],
                            aliases[j].as_deref(),
                        )
                    })
                    .count();
                let alone_aliases: Vec<Option<String>> = alone.iter().map(rule_alias).collect();
                let with_related_only = cross_rule_diagnostics_of(
                    &alone,
                    |j| alone_aliases.get(j).and_then(Option::as_deref),
                    k,
                );
                let full = cross_rule_diagnostics_of(
                    &rules,
                    |j| aliases.get(j).and_then(Option::as_deref),
                    i,
                );
                assert_eq!(
                    with_related_only.is_empty(),
                    full.is_empty(),
                    "seed {seed}, rule {i}: unrelated rules changed its verdict"
                );
            }
        }
    }

    #[test]
    fn wrong_case_yaml_keys_are_flagged() {
        let loaded = crate::config::files::parse_yaml(
            "ingress:\n  - Hostname: a.example.com\n    service: http://x\n    originRequest:\n      noTlsVerify: true\n",
        );
        let Ok(loaded) = loaded else {
            panic!("{loaded:?}")
        };
        let d = validate(&loaded.config);
        assert!(
            d.iter()
                .any(|d| d.field == Some(Field::Unknown("Hostname".into()))
                    && d.message.contains("did you mean \"hostname\"")),
            "{d:?}"
        );
        assert!(
            d.iter()
                .any(|d| d.field == Some(Field::Unknown("originRequest.noTlsVerify".into()))),
            "{d:?}"
        );
        // cloudflared reads the rule as a catch-all, so it is valid.
        assert!(!d.iter().any(Diagnostic::is_error), "{d:?}");
    }

    /// The warnings of a config, as (rule, field, message).
    fn warnings_of(json: &str) -> Vec<(Option<usize>, String, String)> {
        diags(json)
            .into_iter()
            .filter(|d| d.severity == Severity::Warning)
            .map(|d| {
                let field = d.field.map(|f| f.to_string()).unwrap_or_default();
                (d.rule, field, d.message)
            })
            .collect()
    }

    #[test]
    fn a_hostname_holding_a_url_or_a_path_says_so() {
        let d = diags(
            r#"{"ingress":[
              {"hostname":"https://x.example.com","service":"http://x"},
              {"hostname":"x.example.com/api/","service":"http://x"},
              {"hostname":"http://u@y.example.com:8443/v1","service":"http://x"},
              {"hostname":"z.example.com:443","service":"http://x"},
              {"service":"http_status:404"}]}"#,
        );
        let at = |rule: usize| -> Vec<(Severity, &str)> {
            d.iter()
                .filter(|d| d.rule == Some(rule) && d.field == Some(Field::Hostname))
                .map(|d| (d.severity, d.message.as_str()))
                .collect()
        };
        // cloudflared's own verdict stays, and the warning next to it names the real mistake.
        assert_eq!(at(0)[0], (Severity::Error, HOSTNAME_PORT));
        assert_eq!(
            at(0)[1],
            (
                Severity::Warning,
                "hostname \"https://x.example.com\" holds a URL, but a hostname is the name alone: requests never carry a scheme or \"/\" in their host, so this rule never matches; write \"x.example.com\" as the hostname, and the scheme in the service"
            )
        );
        assert_eq!(at(1).len(), 1, "{:?}", at(1));
        assert!(
            at(1)[0].1.ends_with("holds a path, but a hostname is the name alone: requests never carry a scheme or \"/\" in their host, so this rule never matches; write \"x.example.com\" as the hostname and \"^/api\" as the path"),
            "{:?}",
            at(1)
        );
        // cloudflared accepts this one (too many colons to split), but it never matches either.
        assert_eq!(at(2).len(), 1, "{:?}", at(2));
        assert!(at(2)[0].1.contains(
            "write \"y.example.com\" as the hostname and \"^/v1\" as the path, and the scheme"
        ));
        // A plain port is cloudflared's error alone.
        assert_eq!(at(3), [(Severity::Error, HOSTNAME_PORT)]);
    }

    #[test]
    fn confusable_hostnames_are_caught_as_unicode_and_as_punycode() {
        for host in [
            "p\u{430}ypal.example.com",
            "xn--pypal-4ve.example.com",
            "XN--PYPAL-4VE.example.com",
        ] {
            let w = warnings_of(&format!(
                r#"{{"ingress":[{{"hostname":"{host}","service":"http://x"}},{{"service":"http_status:404"}}]}}"#
            ));
            assert!(
                w.iter().any(|(r, f, m)| *r == Some(0)
                    && f == "hostname"
                    && m.contains("mixes scripts (Latin, Cyrillic)")),
                "{host}: {w:#?}"
            );
        }
        let w = warnings_of(
            r#"{"ingress":[{"hostname":"pay\u00adpal.example.com","service":"http://x"},{"service":"http_status:404"}]}"#,
        );
        assert!(
            w.iter()
                .any(|(_, _, m)| m.contains("invisible characters (U+00AD)")),
            "{w:#?}"
        );
        assert!(
            !w.iter()
                .any(|(_, _, m)| m.contains("whitespace") || m.contains("control")),
            "{w:#?}"
        );
    }

    #[test]
    fn access_without_required_is_flagged_at_the_required_field() {
        let w = warnings_of(
            r#"{"ingress":[
              {"hostname":"a.example.com","service":"http://x","originRequest":{"access":{"teamName":"t","audTag":["a"]}}},
              {"hostname":"b.example.com","service":"http://x","originRequest":{"access":{"required":false,"audTag":["a"]}}},
              {"hostname":"c.example.com","service":"http://x","originRequest":{"access":{"required":true,"teamName":"t"}}},
              {"hostname":"d.example.com","service":"http://x","originRequest":{"access":{"required":false}}},
              {"service":"http_status:404"}]}"#,
        );
        let flagged: Vec<Option<usize>> = w
            .iter()
            .filter(|(_, f, m)| {
                f == "originRequest.access.required" && m.starts_with("Access is not enforced")
            })
            .map(|(r, _, _)| *r)
            .collect();
        assert_eq!(flagged, [Some(0), Some(1)], "{w:#?}");
    }

    #[test]
    fn unknown_keys_are_judged_at_every_level() {
        let w = warnings_of(
            r#"{
              "ingres": [],
              "orginRequest": {},
              "originRequest": {"tlsTimout": 5, "access": {"teamNme": "t"}},
              "warp-routing": {"enabeld": true, "maxActiveFlows": 10, "x-note": 1},
              "ingress": [
                {"hostname": "a.example.com", "servce": "http://x", "service": "http://x", "noTLSVerify": true,
                 "originRequest": {"keepAliveConection": 5, "ipRules": [{"prefix": "10.0.0.0/8", "alow": true}],
                                   "access": {"required": true, "teamName": "t", "audTags": ["a"]}}},
                {"service": "http_status:404", "x-owner": "me"}
              ]
            }"#,
        );
        let keys: Vec<(Option<usize>, &str)> = w
            .iter()
            .filter(|(_, f, _)| !f.starts_with("warp-routing") || f.contains('.'))
            .filter(|(_, _, m)| m.contains("did you mean") || m.contains("move it"))
            .map(|(r, f, _)| (*r, f.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                (None, "originRequest.tlsTimout"),
                (None, "originRequest.access.teamNme"),
                (None, "warp-routing.enabeld"),
                (None, "ingres"),
                (None, "orginRequest"),
                (Some(0), "originRequest.keepAliveConection"),
                (Some(0), "originRequest.access.audTags"),
                (Some(0), "originRequest.ipRules[0].alow"),
                (Some(0), "servce"),
                (Some(0), "noTLSVerify"),
            ],
            "{w:#?}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 300, ..Default::default() })]

        /// Whatever a hostname, service or unknown key holds, the checks answer without panicking
        /// (the bytes are hostile: `xn--` labels with multi-byte characters, brackets, colons).
        #[test]
        fn checks_never_panic(
            host in "(xn--|[a-zA-Z0-9.:/\\[\\]%*@-]|[\\u{80}-\\u{2fff}]|\\u{ad}|\\u{200b}){0,24}",
            service in "(https?://|htp://|ssh://|unix:|\\[|\\]|:|%2|[a-z0-9.]|[\\u{80}-\\u{7ff}]){0,16}",
            key in "[a-zA-Z_-]{1,16}",
        ) {
            let mut rule = IngressRule::new(crate::config::model::RuleFields {
                hostname: Setting::Set(host.clone()),
                service: Setting::Set(service.clone()),
                ..crate::config::model::RuleFields::default()
            });
            rule.extra.insert(key.clone(), crate::config::rawjson::RawJson::null());
            let mut o = OriginRequest { no_tls_verify: Setting::Set(true), ..OriginRequest::default() };
            o.extra.insert(key, crate::config::rawjson::RawJson::null());
            rule.origin_request = Setting::Set(Box::new(o));
            let _ = validate_rule(0, &rule, 2, None);
            let _ = crate::config::goparse::parse_ip_addr(&host);
        }
    }

    #[test]
    fn anchoring() {
        assert!(path_is_anchored("^/x"));
        assert!(path_is_anchored("(?i)^/x"));
        assert!(path_is_anchored("\\A/x"));
        assert!(!path_is_anchored("/x"));
        assert!(!path_is_anchored("(?P<a>^/x)"));
    }
}
