//! DNS names as Cloudflare stores them, and how hostnames, zones and tunnel targets relate.
//!
//! Record names are compared in their stored form: lowercase punycode without a trailing dot
//! (`bücher.example.com` is stored as `xn--bcher-kva.example.com`). A rule's `*.preview.example.com`
//! is the wildcard record of that very name.

use std::collections::{HashMap, HashSet};

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

use crate::api::Zone;
use crate::api::ids::is_uuid;

/// The domain every tunnel's CNAME target is under.
pub const TUNNEL_DOMAIN: &str = "cfargotunnel.com";

/// The CNAME target that routes a hostname to tunnel `id`: `<id>.cfargotunnel.com`.
pub fn tunnel_target(id: &str) -> String {
    format!("{}.{TUNNEL_DOMAIN}", id.to_ascii_lowercase())
}

/// The tunnel (its id, lowercase) a CNAME target routes to, when it is `<uuid>.cfargotunnel.com`.
pub fn tunnel_of(content: &str) -> Option<String> {
    let content = normal(content);
    let id = content.strip_suffix(TUNNEL_DOMAIN)?.strip_suffix('.')?;
    is_uuid(id).then(|| id.to_owned())
}

/// A name as compared: ASCII-lowercase, without a trailing dot.
pub fn normal(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The longest name DNS allows.
const MAX_NAME: usize = 253;
/// The longest label DNS allows.
const MAX_LABEL: usize = 63;

/// The record name for a rule's hostname: lowercase punycode (IDNA UTS-46, as Cloudflare stores
/// it), a leading `*.` kept. An error says why no DNS record can hold it.
pub fn record_name(hostname: &str) -> Result<String, String> {
    let (wild, rest) = match hostname.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, hostname),
    };
    if rest.contains('*') {
        return Err("a * is allowed only as the whole first label (*.example.com)".to_owned());
    }
    let ascii = Uts46::new()
        .to_ascii(
            rest.as_bytes(),
            AsciiDenyList::EMPTY,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .map_err(|_| "IDNA cannot convert it to a DNS name".to_owned())?;
    let ascii = ascii.trim_end_matches('.');
    if ascii.is_empty() {
        return Err("it is empty".to_owned());
    }
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err("it has an empty label (two dots in a row)".to_owned());
        }
        if label.len() > MAX_LABEL {
            return Err(format!("a label is longer than {MAX_LABEL} characters"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "it holds {}, which DNS names cannot",
                match c {
                    ' ' => "a space".to_owned(),
                    ':' => "a colon (a port is not part of a hostname)".to_owned(),
                    c => format!("\"{}\"", crate::text::inert(&c.to_string())),
                }
            ));
        }
    }
    let name = if wild {
        format!("*.{ascii}")
    } else {
        ascii.to_owned()
    };
    if name.len() > MAX_NAME {
        return Err(format!("it is longer than {MAX_NAME} characters"));
    }
    Ok(name)
}

/// Whether zone `zone` (a normal name) holds `name` (a normal name): the apex or below it.
pub fn in_zone(name: &str, zone: &str) -> bool {
    name == zone
        || name.len() > zone.len()
            && name.ends_with(zone)
            && name.as_bytes()[name.len() - zone.len() - 1] == b'.'
}

/// `name` and every name above it: `a.b.c`, `b.c`, `c`.
pub fn suffixes(name: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(name), |n| parent(n))
}

/// The account's zones by name, to find the zone holding a name in as many steps as it has
/// labels (a config of 10 000 hostnames against 10 000 zones stays instant).
#[derive(Debug)]
pub struct Zones<'z> {
    by_name: HashMap<String, &'z Zone>,
}

impl<'z> Zones<'z> {
    /// Indexes `zones` by their normal names.
    pub fn new(zones: &'z [Zone]) -> Self {
        Zones {
            by_name: zones.iter().map(|z| (normal(&z.name), z)).collect(),
        }
    }

    /// The zone holding `name` (a normal name): the longest zone name it is in.
    pub fn holding(&self, name: &str) -> Option<&'z Zone> {
        suffixes(name).find_map(|s| self.by_name.get(s).copied())
    }
}

/// The hostnames of a config as record names, to tell which names a rule serves the way
/// cloudflared matches hosts: the same name, or `*.suffix` and a name below `suffix` (at any
/// depth).
#[derive(Debug, Default)]
pub struct Served<'a> {
    exact: HashSet<&'a str>,
    wild: HashSet<&'a str>,
}

impl<'a> Served<'a> {
    /// The patterns (record names, `*.` kept).
    pub fn new(patterns: impl IntoIterator<Item = &'a str>) -> Self {
        let mut out = Served::default();
        for p in patterns {
            out.exact.insert(p);
            if let Some(suffix) = p.strip_prefix("*.") {
                out.wild.insert(suffix);
            }
        }
        out
    }

    /// Whether a rule serves `name` (a normal name).
    pub fn serves(&self, name: &str) -> bool {
        self.exact.contains(name) || suffixes(name).skip(1).any(|s| self.wild.contains(s))
    }
}

/// `name` without its first label (`a.b.c` → `b.c`); `None` for a single label.
pub fn parent(name: &str) -> Option<&str> {
    name.split_once('.').map(|(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(name: &str) -> Zone {
        Zone {
            id: "023e105f4ecef8ad9ca31a8372d0c353".to_owned(),
            name: name.to_owned(),
            status: "active".to_owned(),
        }
    }

    #[test]
    fn record_names_are_lowercase_punycode() {
        assert_eq!(
            record_name("App.Example.COM").as_deref(),
            Ok("app.example.com")
        );
        assert_eq!(
            record_name("bücher.example.com").as_deref(),
            Ok("xn--bcher-kva.example.com")
        );
        assert_eq!(
            record_name("*.Preview.example.com").as_deref(),
            Ok("*.preview.example.com")
        );
        assert_eq!(
            record_name("_dmarc.example.com").as_deref(),
            Ok("_dmarc.example.com")
        );
        assert_eq!(record_name("example.com.").as_deref(), Ok("example.com"));
        for (bad, why) in [
            ("a b.example.com", "a space"),
            ("a.example.com:443", "a colon"),
            ("a..example.com", "empty label"),
            ("a.*.example.com", "whole first label"),
            ("", "empty"),
        ] {
            let e = record_name(bad).err().unwrap_or_default();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let long = format!("{}.example.com", "a".repeat(64));
        assert!(record_name(&long).is_err());
        let e = record_name("a\u{1b}[2J.example.com")
            .err()
            .unwrap_or_default();
        assert!(!e.contains('\u{1b}'), "{e}");
    }

    #[test]
    fn tunnel_targets() {
        let id = "F70FF985-A4EF-4643-BBBC-4A0ED4FC8415";
        let t = tunnel_target(id);
        assert_eq!(t, "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415.cfargotunnel.com");
        assert_eq!(
            tunnel_of(&t).as_deref(),
            Some("f70ff985-a4ef-4643-bbbc-4a0ed4fc8415")
        );
        assert_eq!(
            tunnel_of("F70FF985-A4EF-4643-BBBC-4A0ED4FC8415.CFARGOTUNNEL.COM.").as_deref(),
            Some("f70ff985-a4ef-4643-bbbc-4a0ed4fc8415")
        );
        assert_eq!(tunnel_of("example.cfargotunnel.com"), None);
        assert_eq!(
            tunnel_of("f70ff985-a4ef-4643-bbbc-4a0ed4fc8415.cfargotunnel.com.evil"),
            None
        );
        assert_eq!(
            tunnel_of("xf70ff985-a4ef-4643-bbbc-4a0ed4fc8415cfargotunnel.com"),
            None
        );
    }

    #[test]
    fn the_longest_zone_wins() {
        let list = [
            zone("Example.com."),
            zone("dev.example.com"),
            zone("ample.com"),
        ];
        let zones = Zones::new(&list);
        let z = |n: &str| zones.holding(n).map(|z| normal(&z.name));
        assert_eq!(z("a.dev.example.com").as_deref(), Some("dev.example.com"));
        assert_eq!(z("dev.example.com").as_deref(), Some("dev.example.com"));
        assert_eq!(z("xdev.example.com").as_deref(), Some("example.com"));
        assert_eq!(z("*.example.com").as_deref(), Some("example.com"));
        assert_eq!(z("example.org"), None);
        assert_eq!(z("com"), None);
    }

    #[test]
    fn rules_serve_names_like_cloudflared() {
        let one = Served::new(["a.example.com"]);
        assert!(one.serves("a.example.com"));
        assert!(!one.serves("b.example.com"));
        assert!(!one.serves("x.a.example.com"));
        let wild = Served::new(["*.example.com"]);
        assert!(wild.serves("a.example.com"));
        assert!(wild.serves("a.b.example.com"));
        assert!(wild.serves("*.example.com"));
        assert!(wild.serves("*.dev.example.com"));
        assert!(!wild.serves("example.com"));
        assert!(!wild.serves("badexample.com"));
    }
}
