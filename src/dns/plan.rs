//! What to change so that DNS serves a config: records to create for `missing` hostnames, CNAMEs
//! to take over (`not-proxied`, `other-tunnel`, a CNAME elsewhere), orphans to delete. Each change
//! is on or off by the user's choice; nothing is deleted or repointed unless chosen, and only
//! CNAMEs are ever changed or deleted (A, AAAA and every other record are left alone).

use serde::Serialize;

use super::check::{HostDns, Report, State};
use super::names::normal;
use crate::api::{DnsRecord, Zone};
use crate::text::{inert, is_unsafe};

/// What a change does to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Create a proxied CNAME to this tunnel.
    Create,
    /// Make this tunnel's DNS-only CNAME proxied.
    Proxy,
    /// Point a CNAME (to another tunnel, or elsewhere) at this tunnel, proxied.
    Repoint,
    /// Delete an orphan CNAME to this tunnel.
    Delete,
}

impl Action {
    /// The verb: `create`, `proxy`, `repoint`, `delete`.
    pub fn verb(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Proxy => "proxy",
            Action::Repoint => "repoint",
            Action::Delete => "delete",
        }
    }

    /// The past participle: `created`, ...
    pub fn done(self) -> &'static str {
        match self {
            Action::Create => "created",
            Action::Proxy => "proxied",
            Action::Repoint => "repointed",
            Action::Delete => "deleted",
        }
    }
}

/// One change to one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// What it does.
    pub action: Action,
    /// The hostname as the rules write it (an orphan's record name).
    pub hostname: String,
    /// The record name (lowercase punycode).
    pub name: String,
    /// The zone holding it.
    pub zone: Zone,
    /// The record changed or deleted; `None` for a create.
    pub record: Option<DnsRecord>,
    /// Whether it is to be done.
    pub on: bool,
}

impl Change {
    /// Whether this change takes a record over from what it serves now.
    pub fn is_take_over(&self) -> bool {
        matches!(self.action, Action::Proxy | Action::Repoint)
    }

    /// The change in words (inert): `create hello.example.com (a proxied CNAME to this tunnel)`.
    pub fn describe(&self) -> String {
        let host = inert(&self.hostname);
        let from = self
            .record
            .as_ref()
            .map(super::check::describe_record)
            .unwrap_or_default();
        match self.action {
            Action::Create => format!("create {host}: a proxied CNAME to this tunnel"),
            Action::Proxy => format!("proxy {host}: its CNAME to this tunnel becomes proxied"),
            Action::Repoint => {
                format!("repoint {host}: its {from} becomes a proxied CNAME to this tunnel")
            }
            Action::Delete => format!("delete {host}: a {from} that no rule uses"),
        }
    }
}

/// Which kinds of change are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Choices {
    /// Create records for `missing` hostnames.
    pub create: bool,
    /// Delete orphans.
    pub prune: bool,
    /// Repoint `not-proxied`, `other-tunnel` and CNAME `conflict` records.
    pub take_over: bool,
}

impl Choices {
    /// What a publish does unless told otherwise: create missing records, nothing else.
    pub const DEFAULT: Choices = Choices {
        create: true,
        prune: false,
        take_over: false,
    };
}

fn is_cname(r: &DnsRecord) -> bool {
    r.kind.eq_ignore_ascii_case("CNAME")
}

/// Every change that would bring the report's DNS in step, in the order they are made (creates,
/// take-overs, deletions), each on as `choices` say.
pub fn propose(report: &Report, choices: Choices) -> Vec<Change> {
    let mut creates = Vec::new();
    let mut takes = Vec::new();
    for h in &report.hosts {
        let Some(zone) = &h.zone else { continue };
        let change = |action, record: Option<&DnsRecord>, on| Change {
            action,
            hostname: h.hostname.clone(),
            name: h.name.clone(),
            zone: zone.clone(),
            record: record.cloned(),
            on,
        };
        match (h.state, &h.record) {
            (State::Missing, _) => creates.push(change(Action::Create, None, choices.create)),
            (State::NotProxied, Some(r)) if is_cname(r) => {
                takes.push(change(Action::Proxy, Some(r), choices.take_over));
            }
            (State::OtherTunnel | State::Conflict, Some(r)) if is_cname(r) => {
                takes.push(change(Action::Repoint, Some(r), choices.take_over));
            }
            _ => {}
        }
    }
    let deletes = report
        .orphans
        .iter()
        .filter(|o| is_cname(&o.record))
        .map(|o| Change {
            action: Action::Delete,
            hostname: normal(&o.record.name),
            name: normal(&o.record.name),
            zone: o.zone.clone(),
            record: Some(o.record.clone()),
            on: choices.prune,
        });
    creates.into_iter().chain(takes).chain(deletes).collect()
}

/// Carries a reviewed plan over to a fresh one (DNS read again just before the changes are
/// made): turns on, in `fresh`, each change of `reviewed` that still holds on the same record,
/// and turns off the rest of `fresh`; returns the reviewed changes that no longer hold (their
/// record changed or went away meanwhile), which must not be made on what it has become.
pub fn carry<'c>(reviewed: &[&'c Change], fresh: &mut [Change]) -> Vec<&'c Change> {
    for f in fresh.iter_mut() {
        f.on = false;
    }
    let mut gone = Vec::new();
    for c in reviewed {
        let same = |f: &&mut Change| {
            f.action == c.action
                && f.name == c.name
                && f.zone.id == c.zone.id
                && f.record.as_ref().map(|r| &r.id) == c.record.as_ref().map(|r| &r.id)
        };
        match fresh.iter_mut().find(same) {
            Some(f) => f.on = true,
            None => gone.push(*c),
        }
    }
    gone
}

/// Why a reviewed change was not made, from the fresh report: what its record is now.
pub fn changed_since(fresh: &Report, c: &Change) -> String {
    if c.action == Action::Delete {
        return "it is no longer an orphan CNAME to this tunnel (changed or deleted since the plan was shown)".to_owned();
    }
    match fresh.hosts.iter().find(|h| h.name == c.name) {
        Some(h) => format!(
            "its DNS changed since the plan was shown: now {}{}",
            h.state.as_str(),
            h.message
                .as_deref()
                .map(|m| format!(" ({m})"))
                .unwrap_or_default()
        ),
        None => "its DNS changed since the plan was shown".to_owned(),
    }
}

/// The hostnames that stay other than `ok` after the changes that are on.
pub fn left_alone<'r>(report: &'r Report, changes: &[Change]) -> Vec<&'r HostDns> {
    report
        .hosts
        .iter()
        .filter(|h| h.state != State::Ok)
        .filter(|h| {
            !changes
                .iter()
                .any(|c| c.on && c.action != Action::Delete && c.name == h.name)
        })
        .collect()
}

/// The orphans a plan keeps (their deletion is off).
pub fn orphans_kept(changes: &[Change]) -> Vec<&Change> {
    changes
        .iter()
        .filter(|c| c.action == Action::Delete && !c.on)
        .collect()
}

/// What became of one change.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The change.
    pub change: Change,
    /// `Ok` when done; the API's message (inert) when not.
    pub result: Result<(), String>,
    /// The token permission that was missing, when that was why.
    pub permission: Option<&'static str>,
}

/// What was done, counted by action in plan order: `["2 created", "1 deleted"]`.
pub fn done_counts(applied: &[Applied]) -> Vec<String> {
    [
        Action::Create,
        Action::Proxy,
        Action::Repoint,
        Action::Delete,
    ]
    .into_iter()
    .filter_map(|action| {
        let n = applied
            .iter()
            .filter(|a| a.change.action == action && a.result.is_ok())
            .count();
        (n > 0).then(|| format!("{n} {}", action.done()))
    })
    .collect()
}

/// The longest comment the free plan allows on a record.
pub const MAX_COMMENT: usize = 100;

/// The comment on records cfingress writes: `cfingress: tunnel NAME (ID)`, at most
/// [`MAX_COMMENT`] characters (the name is shortened), without control or invisible characters.
pub fn comment(tunnel_id: &str, tunnel_name: Option<&str>) -> String {
    let fixed = format!("cfingress: tunnel  ({tunnel_id})");
    let room = MAX_COMMENT.saturating_sub(fixed.chars().count());
    let name: String = tunnel_name
        .unwrap_or_default()
        .chars()
        .filter(|c| !is_unsafe(*c))
        .collect();
    let name = if name.chars().count() > room {
        let mut cut: String = name.chars().take(room.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        name
    };
    if name.is_empty() {
        let plain = format!("cfingress: tunnel {tunnel_id}");
        return plain.chars().take(MAX_COMMENT).collect();
    }
    format!("cfingress: tunnel {name} ({tunnel_id})")
        .chars()
        .take(MAX_COMMENT)
        .collect()
}
