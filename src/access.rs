//! Cloudflare Access applications and the rules they protect (pure): which applications cover a
//! hostname, and the lint shown when the account's applications can be read.
//!
//! Coverage follows Access's application paths
//! (<https://developers.cloudflare.com/cloudflare-one/access-controls/policies/app-paths/>): a
//! domain is `host[/path]`; hosts compare label by label, without case; a `*` matches any
//! characters within one label, so `*.example.com` covers `a.example.com` but neither
//! `example.com` nor `a.b.example.com`. A rule's own wildcard hostname (`*.example.com`) is
//! covered only by an application domain that also has a wildcard in that label. An application
//! limited to a path of the host counts as covering the host.
//!
//! The lint warns (it never refuses: cloudflared accepts both):
//! - an `audTag` that matches no application's `aud`: cloudflared refuses every request whose
//!   Access token was issued for another application;
//! - `access.required: true` on a hostname no application covers: nobody can obtain a token for
//!   it, so cloudflared refuses every request.

use std::collections::HashMap;

use crate::api::AccessApp;
use crate::config::fields::{Field, OriginField};
use crate::config::model::{IngressRule, TunnelConfig};
use crate::config::validate::{Diagnostic, Severity};
use crate::text::inert;

/// Whether the glob `pattern` (one label, `*` for any characters) matches `label`, without case.
/// Greedy with one backtrack point (the last `*`), so a hostile pattern costs at most
/// `pattern × label` steps.
fn glob(pattern: &[u8], label: &[u8]) -> bool {
    let (mut p, mut l) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while l < label.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, l));
                p += 1;
            }
            Some(c) if c.eq_ignore_ascii_case(&label[l]) => {
                p += 1;
                l += 1;
            }
            _ => match star {
                Some((sp, sl)) => {
                    p = sp + 1;
                    l = sl + 1;
                    star = Some((sp, sl + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == b'*')
}

/// A hostname in the form Access stores it: lowercase ASCII (IDNA), no trailing dot.
fn normal(host: &str) -> String {
    let host = host.trim().trim_end_matches('.');
    idna::domain_to_ascii(host)
        .unwrap_or_else(|_| host.to_owned())
        .to_ascii_lowercase()
}

/// The host part of an application domain (`https://`, a path and a port removed).
fn domain_host(domain: &str) -> &str {
    let d = domain.trim();
    let d = d
        .strip_prefix("https://")
        .or_else(|| d.strip_prefix("http://"))
        .unwrap_or(d);
    let host = d.split('/').next().unwrap_or(d);
    host.rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
}

/// Whether an application domain (`*.example.com/admin`) covers `hostname`.
pub fn covers(domain: &str, hostname: &str) -> bool {
    pattern(domain).is_some_and(|p| matches(&p, &normal(hostname)))
}

/// The normalized host pattern of an application domain; `None` for one that covers nothing.
fn pattern(domain: &str) -> Option<String> {
    let p = normal(domain_host(domain));
    (!p.is_empty() && p.len() <= 253).then_some(p)
}

/// Whether a normalized pattern covers a normalized hostname, label by label.
fn matches(pattern: &str, host: &str) -> bool {
    !host.is_empty()
        && pattern.split('.').count() == host.split('.').count()
        && pattern
            .split('.')
            .zip(host.split('.'))
            .all(|(p, h)| p.len() <= 63 && glob(p.as_bytes(), h.as_bytes()))
}

/// The applications' domains, normalized once and grouped by their number of labels: a hostname
/// is compared only with the domains that have as many labels, and never converted again. An
/// account can list 5 000 applications of many domains each, and the lint checks every rule.
pub struct Domains<'a> {
    apps: &'a [AccessApp],
    /// Label count → (application index, the domain as listed, its pattern), in listing order.
    by_labels: HashMap<usize, Vec<(usize, &'a str, String)>>,
}

impl<'a> Domains<'a> {
    /// Normalizes every domain of `apps`.
    pub fn new(apps: &'a [AccessApp]) -> Self {
        let mut by_labels: HashMap<usize, Vec<(usize, &'a str, String)>> = HashMap::new();
        for (i, app) in apps.iter().enumerate() {
            for d in &app.domains {
                if let Some(p) = pattern(d) {
                    by_labels
                        .entry(p.split('.').count())
                        .or_default()
                        .push((i, d.as_str(), p));
                }
            }
        }
        Domains { apps, by_labels }
    }

    /// The applications that cover `hostname`, each with the first of its domains that does, in
    /// the order the applications were listed.
    pub fn covering(&self, hostname: &str) -> Vec<(&'a AccessApp, &'a str)> {
        let host = normal(hostname);
        let mut out: Vec<(&'a AccessApp, &'a str)> = Vec::new();
        let mut last = None;
        for (i, domain, p) in self
            .by_labels
            .get(&host.split('.').count())
            .into_iter()
            .flatten()
        {
            if last != Some(*i) && matches(p, &host) {
                if let Some(app) = self.apps.get(*i) {
                    out.push((app, domain));
                }
                last = Some(*i);
            }
        }
        out
    }
}

/// The applications that cover `hostname`, each with the first of its domains that does.
pub fn covering<'a>(apps: &'a [AccessApp], hostname: &str) -> Vec<(&'a AccessApp, &'a str)> {
    Domains::new(apps).covering(hostname)
}

fn warning(rule: usize, field: OriginField, message: String) -> Diagnostic {
    Diagnostic {
        rule: Some(rule),
        field: Some(Field::OriginRequest(field)),
        severity: Severity::Warning,
        message,
    }
}

/// The Access lint of `config` against the account's applications.
pub fn lint(config: &TunnelConfig, apps: &[AccessApp]) -> Vec<Diagnostic> {
    let linter = Linter::new(apps);
    config
        .rules()
        .iter()
        .enumerate()
        .flat_map(|(i, rule)| linter.rule(i, rule))
        .collect()
}

/// The account's applications prepared once for the lint: their audience tags and their
/// domains' patterns by label count. The lint of a rule depends on that rule alone, so the
/// editor lints only the rules an edit touches (at 100 000 rules a whole pass per keystroke
/// costs milliseconds).
#[derive(Debug, Default)]
pub struct Linter {
    /// How many applications were listed (said in the messages).
    apps: usize,
    /// Every application's `aud`, ASCII-lowercased.
    auds: std::collections::HashSet<String>,
    /// Label count → the domains' patterns.
    patterns: HashMap<usize, Vec<String>>,
}

impl Linter {
    /// Prepares `apps`.
    pub fn new(apps: &[AccessApp]) -> Self {
        let mut patterns: HashMap<usize, Vec<String>> = HashMap::new();
        for p in apps
            .iter()
            .flat_map(|a| &a.domains)
            .filter_map(|d| pattern(d))
        {
            patterns.entry(p.split('.').count()).or_default().push(p);
        }
        Linter {
            apps: apps.len(),
            auds: apps.iter().map(|a| a.aud.to_ascii_lowercase()).collect(),
            patterns,
        }
    }

    /// Whether some application covers `hostname`.
    fn covered(&self, hostname: &str) -> bool {
        let host = normal(hostname);
        self.patterns
            .get(&host.split('.').count())
            .is_some_and(|ps| ps.iter().any(|p| matches(p, &host)))
    }

    /// The lint's warnings on rule `rule`, numbered `i`.
    pub fn rule(&self, i: usize, rule: &IngressRule) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let Some(access) = rule.overrides().and_then(|o| o.access.get()) else {
            return out;
        };
        for tag in access.aud_tag.get().into_iter().flatten() {
            let tag_key = tag.trim().to_ascii_lowercase();
            if tag_key.is_empty() || self.auds.contains(&tag_key) {
                continue;
            }
            let short: String = tag.chars().take(16).collect();
            out.push(warning(
                i,
                OriginField::AccessAudTag,
                format!(
                    "audTag \"{}{}\" matches no Access application of this account ({} listed): cloudflared refuses every request whose Access token is for another application; pick the application instead of pasting its tag",
                    inert(&short),
                    if short.len() < tag.len() { "…" } else { "" },
                    self.apps
                ),
            ));
        }
        let host = rule.hostname.as_str();
        if access.required.is_true() && !host.is_empty() && host != "*" && !self.covered(host) {
            out.push(warning(
                i,
                OriginField::AccessRequired,
                format!(
                    "access.required is true but no Access application covers {}: nobody can get an Access token for it, so cloudflared refuses every request; add an application for it (Zero Trust > Access > Applications)",
                    inert(host)
                ),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    fn app(aud: &str, domains: &[&str]) -> AccessApp {
        AccessApp {
            id: String::new(),
            name: format!("app {aud}"),
            app_type: "self_hosted".to_owned(),
            aud: aud.to_owned(),
            domains: domains.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    /// The index gives what comparing every domain of every application gives, in the same order.
    #[test]
    fn the_domain_index_agrees_with_each_domain_compared_in_turn() {
        let apps = [
            app(
                "a",
                &["*.example.com", "x.example.com", "deep.x.example.com"],
            ),
            app("b", &["other.org", "X.Example.com/admin"]),
            app("c", &["*.*.example.com", "", "https://x.example.com:8443/"]),
            app("d", &["xn--bcher-kva.example.com"]),
        ];
        let index = Domains::new(&apps);
        for host in [
            "x.example.com",
            "deep.x.example.com",
            "bücher.example.com",
            "other.org",
            "nothing.net",
            "",
            "*.example.com",
        ] {
            let naive: Vec<(&str, &str)> = apps
                .iter()
                .filter_map(|a| {
                    a.domains
                        .iter()
                        .find(|d| covers(d, host))
                        .map(|d| (a.aud.as_str(), d.as_str()))
                })
                .collect();
            let indexed: Vec<(&str, &str)> = index
                .covering(host)
                .into_iter()
                .map(|(a, d)| (a.aud.as_str(), d))
                .collect();
            assert_eq!(indexed, naive, "{host}");
        }
        assert_eq!(
            index.covering("x.example.com").len(),
            3,
            "a, b and c cover it"
        );
    }

    #[test]
    fn coverage_follows_access_application_paths() {
        // The documented examples.
        assert!(covers("*.example.com", "alpha.example.com"));
        assert!(covers("*.example.com", "beta.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("*.example.com", "foo.bar.example.com"));
        assert!(covers("*.*.example.com", "foo.bar.example.com"));
        assert!(covers("example.com", "example.com"));
        assert!(covers("example.com/*", "example.com"));
        assert!(!covers("example.com", "alpha.example.com"));
        assert!(!covers("*.test.example.com", "test.example.com"));
        // Wildcards within a label, case, ports, schemes, paths.
        assert!(covers("app-*.example.com", "app-1.example.com"));
        assert!(!covers("app-*.example.com", "web-1.example.com"));
        assert!(covers("Grafana.Example.com/admin", "grafana.example.COM"));
        assert!(covers(
            "https://grafana.example.com:443/x",
            "grafana.example.com"
        ));
        // A rule's wildcard is covered only by a wildcard.
        assert!(covers("*.preview.example.com", "*.preview.example.com"));
        assert!(!covers("a.preview.example.com", "*.preview.example.com"));
        // IDN hostnames compare in their ASCII form.
        assert!(covers("xn--bcher-kva.example.com", "bücher.example.com"));
        // Nonsense never matches, and long patterns stay cheap.
        assert!(!covers("", "a.com"));
        assert!(!covers("a.com", ""));
        let hostile = format!("{}b.com", "*a".repeat(30));
        assert!(!covers(&hostile, &format!("{}.com", "a".repeat(63))));
        assert!(covers(&hostile, &format!("{}b.com", "a".repeat(62))));
        assert!(glob(b"a*b*c", b"AxxBxxC") && !glob(b"a*b*c", b"axxbxx") && glob(b"**", b""));
    }

    #[test]
    fn lint_flags_unknown_tags_and_uncovered_required_hosts() {
        let apps = [
            app("aaaa1111", &["grafana.example.com"]),
            app("bbbb2222", &["*.internal.example.com/admin"]),
        ];
        let cfg = parse_json_str(
            r#"{"ingress":[
                {"hostname":"grafana.example.com","service":"http://x:1","originRequest":{"access":{"required":true,"teamName":"acme","audTag":["AAAA1111"]}}},
                {"hostname":"wiki.internal.example.com","service":"http://x:1","originRequest":{"access":{"required":true,"teamName":"acme","audTag":["cccc3333\u001b[2J","bbbb2222"]}}},
                {"hostname":"open.example.com","service":"http://x:1","originRequest":{"access":{"required":true,"teamName":"acme","audTag":["aaaa1111"]}}},
                {"hostname":"loose.example.com","service":"http://x:1","originRequest":{"access":{"required":false,"audTag":["dddd"]}}},
                {"service":"http_status:404","originRequest":{"access":{"required":true,"teamName":"acme","audTag":["aaaa1111"]}}}
            ]}"#,
        )
        .unwrap_or_default();
        let d = lint(&cfg, &apps);
        let got: Vec<(Option<usize>, String)> = d
            .iter()
            .map(|d| {
                (
                    d.rule,
                    d.field
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (Some(1), "originRequest.access.audTag".to_owned()),
                (Some(2), "originRequest.access.required".to_owned()),
                (Some(3), "originRequest.access.audTag".to_owned()),
            ],
            "{d:#?}"
        );
        assert!(d.iter().all(|d| d.severity == Severity::Warning));
        assert!(d[0].message.contains("cccc3333\\x1b[2J") && !d[0].message.contains('\u{1b}'));
        assert!(
            d[1].message
                .contains("no Access application covers open.example.com")
        );
        assert!(
            lint(&cfg, &[]).len() > d.len(),
            "no applications: every tag is unknown"
        );
    }

    #[test]
    fn covering_names_the_domain_that_matched() {
        let apps = [
            app("a1", &["x.example.com", "*.example.com"]),
            app("b2", &["other.com"]),
        ];
        let c = covering(&apps, "www.example.com");
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].0.aud.as_str(), c[0].1), ("a1", "*.example.com"));
    }
}
