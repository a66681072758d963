//! Which rule serves a request, exactly as cloudflared decides (`Ingress.FindMatchingRule` and
//! `cloudflared tunnel ingress rule URL`): the host's port is stripped, the first matching rule wins,
//! and when none matches the last rule serves. A host matches a rule when the rule's hostname is
//! empty or `*`, equals the host (case-sensitively), is a `*.suffix` wildcard the host ends with, or
//! when the rule's IDNA (UTS-46) form matches the host the same way. The path regex is Go RE2,
//! matched anywhere in the percent-decoded path.
//!
//! [`Matcher`] indexes rules by host so that matching costs in proportion to the rules that can
//! match a host, not to the size of the config, and compiles each path regex once, on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use thiserror::Error;

use super::goparse::{parse_url, split_host_port};
use super::goregex::GoRegex;
use super::model::{IngressRule, TunnelConfig};

/// The IDNA form cloudflared also accepts for a rule's hostname (Go's `idna.Lookup.ToASCII`), when
/// it differs from the hostname as written. `None` for catch-alls, wildcards and names IDNA refuses.
pub fn punycode_alias(hostname: &str) -> Option<String> {
    if hostname.is_empty() || hostname == "*" {
        return None;
    }
    // Lowercase letters, digits, dots and hyphens map to themselves (or fail): no alias.
    if hostname
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return None;
    }
    let ascii = Uts46::new()
        .to_ascii(
            hostname.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Ignore,
        )
        .ok()?;
    (ascii != hostname).then(|| ascii.into_owned())
}

/// Why a URL could not be matched.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MatchError {
    /// Go's `url.Parse` refused the URL.
    #[error("{0} is not a valid URL")]
    InvalidUrl(String),
    /// Neither scheme nor host.
    #[error("{0} doesn't have a hostname, consider adding a scheme")]
    NoHostname(String),
    /// The config has no rules to match.
    #[error("the config has no ingress rules")]
    NoRules,
}

/// Splits a URL the way `cloudflared tunnel ingress rule` does: host (port and brackets removed,
/// case kept) and decoded path.
pub fn request_parts(url: &str) -> Result<(String, String), MatchError> {
    let parsed = parse_url(url).map_err(|_| MatchError::InvalidUrl(url.to_owned()))?;
    if parsed.hostname().is_empty() && parsed.scheme.is_empty() {
        return Err(MatchError::NoHostname(url.to_owned()));
    }
    Ok((parsed.hostname().to_owned(), parsed.path.into_owned()))
}

/// Which rule (0-based) serves `url` in `config`.
pub fn match_url(config: &TunnelConfig, url: &str) -> Result<usize, MatchError> {
    Matcher::new(config.rules()).match_url(url)
}

#[derive(Debug)]
enum HostPattern {
    Any,
    Exact(String),
    Wildcard(String),
}

#[derive(Debug)]
struct CompiledRule {
    host: HostPattern,
    alias: Option<String>,
    /// `None`: no path, matches every path.
    path: Option<String>,
    regex: OnceLock<Option<regex::Regex>>,
}

impl CompiledRule {
    fn host_matches(&self, host: &str) -> bool {
        let direct = match &self.host {
            HostPattern::Any => true,
            HostPattern::Exact(h) => h == host,
            HostPattern::Wildcard(suffix) => host.ends_with(suffix.as_str()),
        };
        direct || self.alias.as_deref() == Some(host)
    }

    /// Whether the path regex matches; a pattern Go would refuse never matches.
    fn path_matches(&self, path: &str) -> bool {
        let Some(source) = &self.path else {
            return true;
        };
        let regex = self
            .regex
            .get_or_init(|| GoRegex::parse(source).ok().and_then(|r| r.compile().ok()));
        regex.as_ref().is_some_and(|r| r.is_match(path))
    }
}

/// An index of a config's rules for fast, repeated matching.
#[derive(Debug)]
pub struct Matcher {
    rules: Vec<CompiledRule>,
    exact: HashMap<String, Vec<usize>>,
    suffix: HashMap<String, Vec<usize>>,
    any: Vec<usize>,
}

impl Matcher {
    /// Indexes `rules`.
    pub fn new(rules: &[IngressRule]) -> Self {
        let mut m = Matcher {
            rules: Vec::with_capacity(rules.len()),
            exact: HashMap::new(),
            suffix: HashMap::new(),
            any: Vec::new(),
        };
        for (i, rule) in rules.iter().enumerate() {
            let hostname = rule.hostname.as_str();
            let host = if hostname.is_empty() || hostname == "*" {
                m.any.push(i);
                HostPattern::Any
            } else if let Some(suffix) = hostname.strip_prefix('*').filter(|s| s.starts_with('.')) {
                m.suffix.entry(suffix.to_owned()).or_default().push(i);
                HostPattern::Wildcard(suffix.to_owned())
            } else {
                m.exact.entry(hostname.to_owned()).or_default().push(i);
                HostPattern::Exact(hostname.to_owned())
            };
            let alias = punycode_alias(hostname);
            if let Some(a) = &alias {
                m.exact.entry(a.clone()).or_default().push(i);
            }
            let path = rule.path.get().filter(|p| !p.is_empty()).cloned();
            m.rules.push(CompiledRule {
                host,
                alias,
                path,
                regex: OnceLock::new(),
            });
        }
        m
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// cloudflared's `FindMatchingRule(host, path)`: the first rule matching, else the last rule.
    pub fn find(&self, host: &str, path: &str) -> Option<usize> {
        if self.rules.is_empty() {
            return None;
        }
        let host = split_host_port(host).map_or(host, |(h, _)| h);
        let mut candidates: Vec<usize> = Vec::new();
        if let Some(v) = self.exact.get(host) {
            candidates.extend_from_slice(v);
        }
        for (pos, _) in host.match_indices('.') {
            if let Some(v) = self.suffix.get(&host[pos..]) {
                candidates.extend_from_slice(v);
            }
        }
        candidates.extend_from_slice(&self.any);
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .find(|&i| self.rules[i].host_matches(host) && self.rules[i].path_matches(path))
            .or(Some(self.rules.len() - 1))
    }

    /// Which rule serves `url`, as `cloudflared tunnel ingress rule URL` reports it.
    pub fn match_url(&self, url: &str) -> Result<usize, MatchError> {
        let (host, path) = request_parts(url)?;
        self.find(&host, &path).ok_or(MatchError::NoRules)
    }

    /// Whether rule `i` matches the host and path (cloudflared's `Rule.Matches`).
    pub fn rule_matches(&self, i: usize, host: &str, path: &str) -> bool {
        self.rules
            .get(i)
            .is_some_and(|r| r.host_matches(host) && r.path_matches(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    fn config(json: &str) -> TunnelConfig {
        match parse_json_str(json) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn aliases_follow_uts46_lookup() {
        assert_eq!(
            punycode_alias("môô.cloudflare.com").as_deref(),
            Some("xn--m-xgaa.cloudflare.com")
        );
        assert_eq!(
            punycode_alias("münchen.example").as_deref(),
            Some("xn--mnchen-3ya.example")
        );
        assert_eq!(
            punycode_alias("Example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(punycode_alias("example.com"), None);
        assert_eq!(punycode_alias("*.example.com"), None);
        assert_eq!(punycode_alias("a_b.example.com"), None);
    }

    #[test]
    fn matching_rules() {
        let c = config(
            r#"{"ingress":[
              {"hostname":"Example.com","service":"http://a"},
              {"hostname":"münchen.example","service":"http://b"},
              {"hostname":"*.corp.example","path":"^/admin","service":"http://c"},
              {"hostname":"api.example","path":"/v1","service":"http://d"},
              {"service":"http_status:404"}]}"#,
        );
        let m = Matcher::new(c.rules());
        let at = |u: &str| m.match_url(u);
        assert_eq!(at("https://example.com/"), Ok(0));
        assert_eq!(at("https://Example.com/"), Ok(0));
        assert_eq!(at("https://EXAMPLE.com/"), Ok(4));
        assert_eq!(at("https://xn--mnchen-3ya.example/x"), Ok(1));
        assert_eq!(at("https://münchen.example/x"), Ok(1));
        assert_eq!(at("https://a.b.corp.example/admin/x"), Ok(2));
        assert_eq!(at("https://corp.example/admin"), Ok(4));
        assert_eq!(at("https://a.corp.example/x/admin"), Ok(4));
        assert_eq!(at("https://api.example:8443/x/v1/y"), Ok(3));
        assert_eq!(at("https://api.example/%76%31"), Ok(3));
        assert_eq!(at("//api.example/v1"), Ok(3));
        assert_eq!(at("host:443"), Ok(4));
        assert_eq!(
            at("api.example"),
            Err(MatchError::NoHostname("api.example".into()))
        );
        assert_eq!(
            at("http://a b/"),
            Err(MatchError::InvalidUrl("http://a b/".into()))
        );
        assert_eq!(
            at("http://h/%zz"),
            Err(MatchError::InvalidUrl("http://h/%zz".into()))
        );
    }

    #[test]
    fn unanchored_path_misses_empty_path() {
        let c = config(
            r#"{"ingress":[{"hostname":"a.com","path":"login","service":"http://x"},{"service":"http_status:404"}]}"#,
        );
        assert_eq!(match_url(&c, "https://a.com"), Ok(1));
        assert_eq!(match_url(&c, "https://a.com/login"), Ok(0));
    }
}
