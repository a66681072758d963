//! Each hostname's DNS state, and the orphans: what the zones and records the API listed (a
//! [`Snapshot`]) mean for a tunnel's config. Pure: the listing is done elsewhere
//! (`effects::dns`), so every state is tested here without a network.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::names::{Served, Zones, in_zone, normal, record_name, suffixes, tunnel_of};
use crate::api::{DnsRecord, Zone};
use crate::config::model::TunnelConfig;
use crate::text::inert;

/// A hostname's DNS state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// A proxied CNAME to this tunnel.
    Ok,
    /// No record of that name.
    Missing,
    /// The right CNAME, DNS-only: traffic would bypass Cloudflare and fail.
    NotProxied,
    /// A CNAME to another tunnel (or a deleted one).
    OtherTunnel,
    /// Some other record holds the name (A, AAAA, a CNAME elsewhere, ...).
    Conflict,
    /// No zone of the account covers the hostname.
    NoZone,
    /// DNS could not be read (permission, network).
    Unknown,
}

impl State {
    /// The state as the CLI and JSON name it: `ok`, `not-proxied`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Missing => "missing",
            State::NotProxied => "not-proxied",
            State::OtherTunnel => "other-tunnel",
            State::Conflict => "conflict",
            State::NoZone => "no-zone",
            State::Unknown => "unknown",
        }
    }

    /// Every state, in the order reports count them.
    pub const ALL: [State; 7] = [
        State::Ok,
        State::Missing,
        State::NotProxied,
        State::OtherTunnel,
        State::Conflict,
        State::NoZone,
        State::Unknown,
    ];
}

/// Why some DNS could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// What went wrong (inert).
    pub message: String,
    /// The token permission that was missing, when that was the reason.
    pub permission: Option<&'static str>,
}

/// The records of one zone as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneListing {
    /// The zone.
    pub zone: Zone,
    /// Its records, or why they could not be read.
    pub records: Result<Vec<DnsRecord>, Unreadable>,
    /// Whether every record was listed (a zone holding a hostname), or only the CNAMEs to this
    /// tunnel (a zone searched for orphans).
    pub complete: bool,
}

/// What the API said about DNS, for one tunnel.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The tunnel.
    pub tunnel_id: String,
    /// The account's zones, or why they could not be listed.
    pub zones: Result<Vec<Zone>, Unreadable>,
    /// The zones whose records were listed.
    pub listings: Vec<ZoneListing>,
    /// Zones not searched for orphans (too many zones to search them all).
    pub unsearched: usize,
    /// The account's tunnels as `(id, name)`, for naming the tunnel a CNAME points at; `None`
    /// when they were not listed.
    pub tunnels: Option<Vec<(String, String)>>,
}

/// One hostname of the config and its DNS.
#[derive(Debug, Clone, PartialEq)]
pub struct HostDns {
    /// The hostname as the first rule using it writes it.
    pub hostname: String,
    /// Its record name (lowercase punycode); empty when no DNS name can hold it.
    pub name: String,
    /// The rules (0-based) with this hostname.
    pub rules: Vec<usize>,
    /// Its state.
    pub state: State,
    /// The zone holding it.
    pub zone: Option<Zone>,
    /// The record holding the name: the CNAME, or the first record in the way.
    pub record: Option<DnsRecord>,
    /// What the state means here, in words (inert); `None` for a plain `ok`.
    pub message: Option<String>,
}

/// A CNAME to this tunnel that no rule's hostname serves any more.
#[derive(Debug, Clone, PartialEq)]
pub struct Orphan {
    /// The zone holding it.
    pub zone: Zone,
    /// The record.
    pub record: DnsRecord,
}

/// The DNS of every hostname of a config, and the orphans.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The tunnel.
    pub tunnel_id: String,
    /// One entry per hostname (rules sharing a hostname share one), in rule order.
    pub hosts: Vec<HostDns>,
    /// Orphan records, by name.
    pub orphans: Vec<Orphan>,
    /// Why DNS could not be read at all (the zones could not be listed).
    pub unreadable: Option<Unreadable>,
    /// What the report could not cover (zones whose records could not be read, zones not
    /// searched for orphans), inert.
    pub notes: Vec<String>,
    /// The token permissions found missing, each once (to be named once, not per hostname).
    pub missing_permissions: Vec<&'static str>,
}

/// The hostnames of a config that DNS records serve: `(hostname as written, record name or why
/// there is none, rules)`, one per record name, in rule order. Catch-alls and path-only rules
/// have none.
pub fn hostnames(config: &TunnelConfig) -> Vec<(String, Result<String, String>, Vec<usize>)> {
    hostnames_of(config.rules().iter().map(|r| r.hostname.as_str()))
}

/// [`hostnames`] of the rules' hostnames as given (one per rule, in order).
fn hostnames_of<'h>(
    hosts: impl Iterator<Item = &'h str>,
) -> Vec<(String, Result<String, String>, Vec<usize>)> {
    let mut out: Vec<(String, Result<String, String>, Vec<usize>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, host) in hosts.enumerate() {
        if host.is_empty() || host == "*" {
            continue;
        }
        let name = record_name(host);
        let key = match &name {
            Ok(n) => n.clone(),
            Err(_) => format!("\u{0}{host}"),
        };
        match index.get(&key) {
            Some(&at) => out[at].2.push(i),
            None => {
                index.insert(key, out.len());
                out.push((host.to_owned(), name, vec![i]));
            }
        }
    }
    out
}

/// The record names of a config's hostnames (those DNS can hold).
pub fn record_names(config: &TunnelConfig) -> Vec<String> {
    record_names_of(config.rules())
}

/// [`record_names`] of these rules.
pub fn record_names_of(rules: &[crate::config::model::IngressRule]) -> Vec<String> {
    hostnames_of(rules.iter().map(|r| r.hostname.as_str()))
        .into_iter()
        .filter_map(|(_, name, _)| name.ok())
        .collect()
}

/// The zones whose records must be listed in full for these record names.
pub fn zones_holding<'z>(names: &[String], zones: &'z [Zone]) -> Vec<&'z Zone> {
    let by_name = Zones::new(zones);
    let mut ids = HashSet::new();
    names
        .iter()
        .filter_map(|n| by_name.holding(n))
        .filter(|z| ids.insert(z.id.clone()))
        .collect()
}

fn is_type(r: &DnsRecord, kind: &str) -> bool {
    r.kind.eq_ignore_ascii_case(kind)
}

/// A record in words: `A record 192.0.2.1`, `CNAME to example.net`.
pub fn describe_record(r: &DnsRecord) -> String {
    let content: String = r.content.chars().take(80).collect();
    if is_type(r, "CNAME") {
        format!("CNAME to {}", inert(&content))
    } else {
        format!("{} record {}", inert(&r.kind), inert(&content))
    }
}

/// A tunnel in words, from the account's tunnels when they were listed.
fn describe_tunnel(id: &str, tunnels: Option<&[(String, String)]>) -> String {
    match tunnels {
        Some(list) => match list.iter().find(|(t, _)| t.eq_ignore_ascii_case(id)) {
            Some((_, name)) if !name.is_empty() => format!("tunnel {} ({id})", inert(name)),
            Some(_) => format!("tunnel {id}"),
            None => format!("a deleted tunnel ({id}: not a tunnel of this account)"),
        },
        None => format!("another tunnel ({id})"),
    }
}

/// A zone's records by name, and the names that exist in it (a record's name and every name
/// between it and the apex), so that each hostname is judged in as many steps as it has labels.
struct ZoneIndex<'r> {
    zone: String,
    by_name: HashMap<String, Vec<&'r DnsRecord>>,
    nodes: HashSet<String>,
}

impl<'r> ZoneIndex<'r> {
    fn new(zone: &Zone, records: &'r [DnsRecord]) -> Self {
        let zone = normal(&zone.name);
        let mut by_name: HashMap<String, Vec<&'r DnsRecord>> = HashMap::new();
        let mut nodes = HashSet::new();
        for r in records {
            let name = normal(&r.name);
            for s in suffixes(&name) {
                if !in_zone(s, &zone) || !nodes.insert(s.to_owned()) {
                    break;
                }
            }
            by_name.entry(name).or_default().push(r);
        }
        ZoneIndex {
            zone,
            by_name,
            nodes,
        }
    }

    fn at(&self, name: &str) -> &[&'r DnsRecord] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }

    /// The wildcard record answering for `name` (which has no record of its own), by DNS rules:
    /// the `*.parent` of the closest existing ancestor.
    fn wildcard_for(&self, name: &str) -> Option<(&'r DnsRecord, String)> {
        if self.nodes.contains(name) {
            return None;
        }
        for up in suffixes(name).skip(1) {
            if !in_zone(up, &self.zone) {
                return None;
            }
            let wild = format!("*.{up}");
            let at = self.at(&wild);
            if let Some(r) = at
                .iter()
                .find(|r| is_type(r, "CNAME"))
                .or_else(|| at.first())
            {
                return Some((r, wild));
            }
            if up == self.zone || self.nodes.contains(up) {
                return None;
            }
        }
        None
    }
}

struct Verdict {
    state: State,
    record: Option<DnsRecord>,
    message: Option<String>,
}

fn classify(
    name: &str,
    zone: &Zone,
    index: &ZoneIndex<'_>,
    tunnel_id: &str,
    tunnels: Option<&[(String, String)]>,
) -> Verdict {
    let here = index.at(name);
    let shown_zone = inert(&zone.name);
    if here.is_empty() {
        return match index.wildcard_for(name) {
            Some((r, wild))
                if is_type(r, "CNAME")
                    && r.proxied
                    && tunnel_of(&r.content).as_deref() == Some(tunnel_id) =>
            {
                Verdict {
                    state: State::Ok,
                    record: Some(r.clone()),
                    message: Some(format!(
                        "served by the wildcard record {}, a proxied CNAME to this tunnel",
                        inert(&wild)
                    )),
                }
            }
            Some((r, wild)) => Verdict {
                state: State::Missing,
                record: None,
                message: Some(format!(
                    "no record of its own in zone {shown_zone}; the wildcard record {} ({}) answers for it now",
                    inert(&wild),
                    describe_record(r)
                )),
            },
            None => Verdict {
                state: State::Missing,
                record: None,
                message: Some(format!(
                    "no record in zone {shown_zone}: the hostname does not resolve"
                )),
            },
        };
    }
    if let Some(cname) = here.iter().find(|r| is_type(r, "CNAME")) {
        let record = Some((*cname).clone());
        return match tunnel_of(&cname.content) {
            Some(id) if id == tunnel_id && cname.proxied => Verdict {
                state: State::Ok,
                record,
                message: None,
            },
            Some(id) if id == tunnel_id => Verdict {
                state: State::NotProxied,
                record,
                message: Some(
                    "the CNAME to this tunnel is DNS-only: traffic bypasses Cloudflare and fails; it must be proxied"
                        .to_owned(),
                ),
            },
            Some(other) => Verdict {
                state: State::OtherTunnel,
                record,
                message: Some(format!(
                    "a CNAME to {} holds the name: requests go there, not to this tunnel",
                    describe_tunnel(&other, tunnels)
                )),
            },
            None => Verdict {
                state: State::Conflict,
                record,
                message: Some(format!(
                    "a {} holds the name",
                    describe_record(cname)
                )),
            },
        };
    }
    let mut shown: Vec<String> = here.iter().take(3).map(|r| describe_record(r)).collect();
    if here.len() > 3 {
        shown.push(format!("and {} more", here.len() - 3));
    }
    Verdict {
        state: State::Conflict,
        record: here.first().map(|r| (*r).clone()),
        message: Some(format!(
            "{} {} the name (cfingress never changes or deletes them)",
            shown.join(", "),
            if here.len() == 1 { "holds" } else { "hold" }
        )),
    }
}

fn no_zone_message(zones: &[Zone]) -> String {
    if zones.is_empty() {
        return "the token sees no zone in this account: the zone is in another account or at another DNS provider, or the token lacks Zone > Zone > Read".to_owned();
    }
    let mut names: Vec<String> = zones
        .iter()
        .take(3)
        .map(|z| inert(&z.name).into_owned())
        .collect();
    if zones.len() > 3 {
        names.push(format!("and {} more", zones.len() - 3));
    }
    format!(
        "no zone of this account covers it (zones: {}): a typo, or a zone in another account or at another DNS provider",
        names.join(", ")
    )
}

/// Each hostname's state and the orphans, for `config` published on `snap.tunnel_id`.
pub fn check(config: &TunnelConfig, snap: &Snapshot) -> Report {
    check_hosts(config.rules().iter().map(|r| r.hostname.as_str()), snap)
}

/// [`check`] of the rules' hostnames alone (one per rule, in order; empty for none): what the
/// editor sends to a background thread instead of a copy of a large config.
pub fn check_hosts<'h>(rule_hosts: impl Iterator<Item = &'h str>, snap: &Snapshot) -> Report {
    let tunnel_id = snap.tunnel_id.to_ascii_lowercase();
    let tunnels = snap.tunnels.as_deref();
    let mut notes = Vec::new();
    let mut hosts = Vec::new();
    let names = hostnames_of(rule_hosts);
    let zones = snap.zones.as_ref().map(|z| (z, Zones::new(z)));
    let indexes: HashMap<&str, ZoneIndex<'_>> = snap
        .listings
        .iter()
        .filter(|l| l.complete)
        .filter_map(|l| {
            let records = l.records.as_ref().ok()?;
            Some((l.zone.id.as_str(), ZoneIndex::new(&l.zone, records)))
        })
        .collect();
    for (hostname, name, rules) in &names {
        let mut host = HostDns {
            hostname: hostname.clone(),
            name: name.clone().unwrap_or_default(),
            rules: rules.clone(),
            state: State::Unknown,
            zone: None,
            record: None,
            message: None,
        };
        match (name, &zones) {
            (Err(why), _) => {
                host.state = State::NoZone;
                host.message = Some(format!(
                    "not a name DNS can hold ({why}), so no zone can serve it"
                ));
            }
            (Ok(_), Err(e)) => host.message = Some(e.message.clone()),
            (Ok(name), Ok((list, by_name))) => match by_name.holding(name) {
                None => {
                    host.state = State::NoZone;
                    host.message = Some(no_zone_message(list));
                }
                Some(zone) => {
                    host.zone = Some(zone.clone());
                    let listing = snap
                        .listings
                        .iter()
                        .find(|l| l.zone.id == zone.id && l.complete);
                    match listing.map(|l| &l.records) {
                        None => {
                            host.message = Some(format!(
                                "the records of zone {} were not read",
                                inert(&zone.name)
                            ));
                        }
                        Some(Err(e)) => host.message = Some(e.message.clone()),
                        Some(Ok(_)) => {
                            if let Some(index) = indexes.get(zone.id.as_str()) {
                                let v = classify(name, zone, index, &tunnel_id, tunnels);
                                host.state = v.state;
                                host.record = v.record;
                                host.message = v.message;
                            }
                        }
                    }
                    if !zone.status.is_empty() && zone.status != "active" {
                        let note = format!(
                            "zone {} is {}: until it is active (its name servers are Cloudflare's), its records do not resolve",
                            inert(&zone.name),
                            inert(&zone.status)
                        );
                        host.message = Some(match host.message.take() {
                            Some(m) => format!("{m}; {note}"),
                            None => note,
                        });
                    }
                }
            },
        }
        hosts.push(host);
    }
    let served = Served::new(names.iter().filter_map(|(_, n, _)| n.as_deref().ok()));
    let mut orphans = Vec::new();
    let mut seen = HashSet::new();
    for listing in &snap.listings {
        match &listing.records {
            Err(e) => notes.push(format!(
                "zone {} could not be read: {}",
                inert(&listing.zone.name),
                e.message
            )),
            Ok(records) => {
                for r in records {
                    let name = normal(&r.name);
                    if is_type(r, "CNAME")
                        && tunnel_of(&r.content).as_deref() == Some(tunnel_id.as_str())
                        && !served.serves(&name)
                        && seen.insert(r.id.clone())
                    {
                        orphans.push(Orphan {
                            zone: listing.zone.clone(),
                            record: r.clone(),
                        });
                    }
                }
            }
        }
    }
    orphans.sort_by_key(|o| normal(&o.record.name));
    if snap.unsearched > 0 {
        notes.push(format!(
            "{} zone{} of the account {} not searched for orphans (only the zones the rules use and the first {} others are)",
            snap.unsearched,
            if snap.unsearched == 1 { "" } else { "s" },
            if snap.unsearched == 1 { "was" } else { "were" },
            super::MAX_OTHER_ZONES
        ));
    }
    let mut missing_permissions: Vec<&'static str> = Vec::new();
    let errors = snap.zones.as_ref().err().into_iter().chain(
        snap.listings
            .iter()
            .filter_map(|l| l.records.as_ref().err()),
    );
    for p in errors.filter_map(|e| e.permission) {
        if !missing_permissions.contains(&p) {
            missing_permissions.push(p);
        }
    }
    Report {
        tunnel_id: snap.tunnel_id.clone(),
        hosts,
        orphans,
        unreadable: snap.zones.as_ref().err().cloned(),
        notes,
        missing_permissions,
    }
}

impl Report {
    /// How many hostnames are in `state`.
    pub fn count(&self, state: State) -> usize {
        self.hosts.iter().filter(|h| h.state == state).count()
    }

    /// Whether every hostname is `ok` and there is no orphan.
    pub fn is_clean(&self) -> bool {
        self.hosts.iter().all(|h| h.state == State::Ok) && self.orphans.is_empty()
    }

    /// Whether some DNS could not be read.
    pub fn has_unknown(&self) -> bool {
        self.unreadable.is_some() || self.hosts.iter().any(|h| h.state == State::Unknown)
    }

    /// The counts in words: `9 ok, 1 missing, 1 other-tunnel, 1 orphan`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = State::ALL
            .iter()
            .map(|s| (s, self.count(*s)))
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        match self.orphans.len() {
            0 => {}
            1 => parts.push("1 orphan".to_owned()),
            n => parts.push(format!("{n} orphans")),
        }
        if parts.is_empty() {
            "no hostnames".to_owned()
        } else {
            parts.join(", ")
        }
    }
}
