//! `cfingress dns check` and `cfingress dns sync`, and the DNS section of `diff` and `apply`:
//! reading the tunnel's DNS (`effects::dns`), judging it (`crate::dns`), showing the plan and
//! reporting every change made.

use std::io::Write;

use serde_json::{Value, json};

use super::OutputFormat;
use super::TargetArgs;
use super::remote::{Failure, Remote, TunnelRef, confirm, connect_to_tunnel, fail};
use crate::config::model::TunnelConfig;
use crate::dns::check::record_names;
use crate::dns::plan::{left_alone, orphans_kept};
use crate::dns::{self, Action, Change, Choices, HostDns, Report, State};
use crate::effects::dns::{Applied, read};
use crate::text::{inert, json_inert};

/// How a command names the options that turn on what its plan leaves off.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flags {
    /// What deletes orphans.
    pub prune: &'static str,
    /// What repoints CNAMEs.
    pub take_over: &'static str,
}

/// `dns sync`'s options.
const SYNC_FLAGS: Flags = Flags {
    prune: "--prune",
    take_over: "--take-over",
};

/// What `dns check` points at.
const CHECK_FLAGS: Flags = Flags {
    prune: "`cfingress dns sync --prune`",
    take_over: "`cfingress dns sync --take-over`",
};

/// `apply`'s and `diff`'s options.
pub(super) const APPLY_FLAGS: Flags = Flags {
    prune: "--prune-dns",
    take_over: "`cfingress dns sync --take-over`",
};

/// A name as stored, with its unicode form when it is punycode: `xn--bcher-kva.example.com
/// (bücher.example.com)`; inert.
fn shown_name(name: &str) -> String {
    let (unicode, ok) = idna::domain_to_unicode(name);
    if ok.is_ok() && unicode != name {
        format!("{} ({})", inert(name), inert(&unicode))
    } else {
        inert(name).into_owned()
    }
}

/// The tunnel's DNS as judged for a config, and the changes to make.
pub(super) struct DnsPlan {
    /// Each hostname's state and the orphans.
    pub report: Report,
    /// Every change that could be made, each on or off.
    pub changes: Vec<Change>,
    choices: Choices,
    flags: Flags,
}

impl DnsPlan {
    /// Reads the tunnel's DNS and judges it for `config` (the published config, or the one
    /// about to be). Never fails: what could not be read is in the report.
    pub async fn read(
        remote: &Remote,
        tunnel: &TunnelRef,
        config: &TunnelConfig,
        choices: Choices,
        flags: Flags,
    ) -> DnsPlan {
        let names = record_names(config);
        let snap = read(&remote.client, &remote.account, &tunnel.id, &names).await;
        let report = dns::check(config, &snap);
        let changes = dns::propose(&report, choices);
        DnsPlan {
            report,
            changes,
            choices,
            flags,
        }
    }

    /// The changes that are on.
    pub fn to_make(&self) -> Vec<&Change> {
        self.changes.iter().filter(|c| c.on).collect()
    }

    /// A question about the changes: `create 1 DNS record`, `make 3 DNS changes`.
    pub fn question(&self) -> String {
        let on = self.to_make();
        let plural = if on.len() == 1 { "" } else { "s" };
        if on.iter().all(|c| c.action == Action::Create) {
            format!("create {} DNS record{plural}", on.len())
        } else {
            format!("make {} DNS change{plural}", on.len())
        }
    }

    fn hint(&self, h: &HostDns) -> String {
        let cname = h
            .record
            .as_ref()
            .is_some_and(|r| r.kind.eq_ignore_ascii_case("CNAME"));
        match h.state {
            State::NotProxied | State::OtherTunnel => {
                format!(" ({} repoints it)", self.flags.take_over)
            }
            State::Conflict if cname => format!(" ({} repoints it)", self.flags.take_over),
            State::Conflict => {
                " (remove it in the dashboard if this tunnel should serve the name)".to_owned()
            }
            _ => String::new(),
        }
    }

    /// What could not be read, each reason once.
    fn unread(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let reasons = self
            .report
            .unreadable
            .iter()
            .map(|u| u.message.clone())
            .chain(
                self.report
                    .hosts
                    .iter()
                    .filter(|h| h.state == State::Unknown)
                    .filter_map(|h| h.message.clone()),
            );
        for r in reasons {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }

    /// The DNS section of a plan, as text.
    pub fn write_section(&self, out: &mut dyn Write) {
        let _ = writeln!(out, "DNS ({}):", self.report.summary());
        for reason in self.unread() {
            let _ = writeln!(out, "  DNS could not be read: {reason}");
        }
        for c in self.to_make() {
            let _ = writeln!(out, "  {}", c.describe());
        }
        let left: Vec<&HostDns> = left_alone(&self.report, &self.changes)
            .into_iter()
            .filter(|h| h.state != State::Unknown)
            .collect();
        if !left.is_empty() {
            let _ = writeln!(out, "  left alone:");
            for h in left {
                let _ = writeln!(
                    out,
                    "    {:<12}  {}: {}{}",
                    h.state.as_str(),
                    inert(&h.hostname),
                    h.message.as_deref().unwrap_or_default(),
                    self.hint(h)
                );
            }
        }
        let unknown: Vec<String> = self
            .report
            .hosts
            .iter()
            .filter(|h| h.state == State::Unknown)
            .map(|h| inert(&h.hostname).into_owned())
            .collect();
        if !unknown.is_empty() {
            let _ = writeln!(out, "  unknown: {}", list_of(&unknown));
        }
        let kept = orphans_kept(&self.changes);
        if !kept.is_empty() {
            let _ = writeln!(
                out,
                "  orphans kept ({} deletes them): CNAMEs to this tunnel that no rule uses",
                self.flags.prune
            );
            for c in kept {
                let _ = writeln!(out, "    {}", shown_name(&c.name));
            }
        }
        for n in &self.report.notes {
            let _ = writeln!(out, "  note: {n}");
        }
    }

    /// The plan as JSON: `{"summary", "changes":[{"action","hostname","zone","record_id"}],
    /// "left":[{"hostname","state","message"}], "orphans":[{"hostname","record_id","delete"}],
    /// "unreadable":[S]}`.
    pub fn json(&self) -> Value {
        let changes: Vec<Value> = self
            .to_make()
            .into_iter()
            .map(|c| {
                json!({"action": c.action, "hostname": c.hostname, "zone": c.zone.name,
                       "record_id": c.record.as_ref().map(|r| &r.id)})
            })
            .collect();
        let left: Vec<Value> = left_alone(&self.report, &self.changes)
            .into_iter()
            .map(|h| json!({"hostname": h.hostname, "state": h.state, "message": h.message}))
            .collect();
        let orphans: Vec<Value> = self
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete)
            .map(|c| {
                json!({"hostname": c.name, "record_id": c.record.as_ref().map(|r| &r.id), "delete": c.on})
            })
            .collect();
        json!({"summary": self.report.summary(), "changes": changes, "left": left,
               "orphans": orphans, "unreadable": self.unread()})
    }

    /// Makes the changes that are on, each reported. DNS is read again first (the plan may have
    /// waited on a question): only the changes that still hold, on the same records, are made;
    /// one whose record changed meanwhile (an orphan repointed elsewhere, a name taken) is
    /// skipped and said, never made on what it has become.
    pub async fn make(&self, remote: &Remote, tunnel: &TunnelRef, config: &TunnelConfig) -> Made {
        let reviewed = self.to_make();
        if reviewed.is_empty() {
            return self.made(Vec::new(), Vec::new());
        }
        let mut fresh = DnsPlan::read(remote, tunnel, config, self.choices, self.flags).await;
        let skipped: Vec<(Change, String)> = dns::plan::carry(&reviewed, &mut fresh.changes)
            .into_iter()
            .map(|c| (c.clone(), dns::plan::changed_since(&fresh.report, c)))
            .collect();
        let applied = crate::effects::dns::apply(
            &remote.client,
            &fresh.changes,
            &tunnel.id,
            tunnel.name.as_deref(),
        )
        .await;
        fresh.made(applied, skipped)
    }

    fn made(&self, applied: Vec<Applied>, skipped: Vec<(Change, String)>) -> Made {
        let done: Vec<&str> = applied
            .iter()
            .filter(|a| a.result.is_ok())
            .map(|a| a.change.name.as_str())
            .collect();
        let left = left_alone(&self.report, &self.changes)
            .into_iter()
            .map(|h| (h.hostname.clone(), h.state, h.message.clone()))
            .collect();
        let orphans_kept = self
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete && !(c.on && done.contains(&c.name.as_str())))
            .map(|c| (c.name.clone(), c.record.as_ref().map(|r| r.id.clone())))
            .collect();
        Made {
            applied,
            skipped,
            left,
            orphans_kept,
        }
    }
}

/// Up to ten items joined, then how many more.
fn list_of(items: &[String]) -> String {
    let mut shown: Vec<String> = items.iter().take(10).cloned().collect();
    if items.len() > 10 {
        shown.push(format!("and {} more", items.len() - 10));
    }
    shown.join(", ")
}

/// What a plan's changes did.
pub(super) struct Made {
    applied: Vec<Applied>,
    /// Changes not made because their record changed after the plan was shown, with why.
    skipped: Vec<(Change, String)>,
    /// Hostnames left other than `ok`: hostname, state, why.
    left: Vec<(String, State, Option<String>)>,
    /// Orphans still there: name, record id.
    orphans_kept: Vec<(String, Option<String>)>,
}

impl Made {
    /// Changes that failed.
    fn failed(&self) -> Vec<&Applied> {
        self.applied.iter().filter(|a| a.result.is_err()).collect()
    }

    /// Whether a hostname of the config is left without a working record (a failed change, or
    /// one left alone).
    pub fn needs_attention(&self) -> bool {
        !self.failed().is_empty() || !self.left.is_empty()
    }

    /// Whether a change failed.
    pub fn has_failures(&self) -> bool {
        !self.failed().is_empty()
    }

    /// Whether orphans are still there.
    pub fn has_orphans(&self) -> bool {
        !self.orphans_kept.is_empty()
    }

    /// `1 created, 1 failed`.
    pub fn summary(&self) -> String {
        let mut parts = dns::plan::done_counts(&self.applied);
        let failed = self.failed().len();
        if failed > 0 {
            parts.push(format!("{failed} failed"));
        }
        if !self.skipped.is_empty() {
            parts.push(format!("{} skipped", self.skipped.len()));
        }
        if !self.left.is_empty() {
            parts.push(format!("{} left alone", self.left.len()));
        }
        if parts.is_empty() {
            "nothing to change".to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// Each change and what became of it, as text; failures for the same missing permission
    /// are told once.
    pub fn write(&self, out: &mut dyn Write) {
        let _ = writeln!(out, "DNS: {}", self.summary());
        for a in self.applied.iter().filter(|a| a.result.is_ok()) {
            let _ = writeln!(
                out,
                "  {:<9}  {}",
                a.change.action.done(),
                shown_name(&a.change.name)
            );
        }
        let mut told: Vec<&'static str> = Vec::new();
        for a in self.failed() {
            match a.permission {
                Some(p) if told.contains(&p) => continue,
                Some(p) => {
                    told.push(p);
                    let names: Vec<String> = self
                        .failed()
                        .iter()
                        .filter(|b| b.permission == Some(p))
                        .map(|b| {
                            format!("{} {}", b.change.action.verb(), shown_name(&b.change.name))
                        })
                        .collect();
                    let first = self
                        .failed()
                        .iter()
                        .find(|b| b.permission == Some(p))
                        .and_then(|b| b.result.as_ref().err().cloned())
                        .unwrap_or_default();
                    let _ = writeln!(out, "  failed     {}: {first}", list_of(&names));
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  failed     {} {}: {}",
                        a.change.action.verb(),
                        shown_name(&a.change.name),
                        a.result.as_ref().err().cloned().unwrap_or_default()
                    );
                }
            }
        }
        for (c, why) in &self.skipped {
            let _ = writeln!(
                out,
                "  skipped    {} {}: {why}",
                c.action.verb(),
                shown_name(&c.name)
            );
        }
        // What could not be read is told once per reason, with the hostnames it hides.
        let mut unknown: Vec<(Option<&String>, Vec<String>)> = Vec::new();
        for (host, state, why) in &self.left {
            if *state == State::Unknown {
                match unknown.iter_mut().find(|(w, _)| *w == why.as_ref()) {
                    Some((_, hosts)) => hosts.push(inert(host).into_owned()),
                    None => unknown.push((why.as_ref(), vec![inert(host).into_owned()])),
                }
                continue;
            }
            let _ = writeln!(
                out,
                "  left       {} ({}){}",
                inert(host),
                state.as_str(),
                why.as_deref().map(|w| format!(": {w}")).unwrap_or_default()
            );
        }
        for (why, hosts) in unknown {
            let _ = writeln!(
                out,
                "  unknown    {}{}",
                list_of(&hosts),
                why.map(|w| format!(": {w}")).unwrap_or_default()
            );
        }
        for (name, _) in &self.orphans_kept {
            let _ = writeln!(
                out,
                "  kept       {} (orphan: a CNAME to this tunnel that no rule uses)",
                shown_name(name)
            );
        }
    }

    /// The outcome as JSON: `{"created":[S],"proxied":[S],"repointed":[S],"deleted":[S],
    /// "failed":[{"action","hostname","message"}],"skipped":[{"action","hostname","message"}],
    /// "left":[{"hostname","state","message"}],"orphans":[{"hostname","record_id"}]}`.
    pub fn json(&self) -> Value {
        let done = |action: Action| -> Vec<&str> {
            self.applied
                .iter()
                .filter(|a| a.change.action == action && a.result.is_ok())
                .map(|a| a.change.hostname.as_str())
                .collect()
        };
        let failed: Vec<Value> = self
            .failed()
            .iter()
            .map(|a| {
                json!({"action": a.change.action, "hostname": a.change.hostname,
                       "message": a.result.as_ref().err()})
            })
            .collect();
        let left: Vec<Value> = self
            .left
            .iter()
            .map(|(h, s, m)| json!({"hostname": h, "state": s, "message": m}))
            .collect();
        let orphans: Vec<Value> = self
            .orphans_kept
            .iter()
            .map(|(h, id)| json!({"hostname": h, "record_id": id}))
            .collect();
        let skipped: Vec<Value> = self
            .skipped
            .iter()
            .map(|(c, why)| json!({"action": c.action, "hostname": c.hostname, "message": why}))
            .collect();
        json!({"created": done(Action::Create), "proxied": done(Action::Proxy),
               "repointed": done(Action::Repoint), "deleted": done(Action::Delete),
               "failed": failed, "skipped": skipped, "left": left, "orphans": orphans})
    }
}

/// The message that goes with exit status 1 after a publish whose DNS is not in step.
pub(super) fn attention(made: &Made) -> String {
    format!("published, DNS needs attention: {}", made.summary())
}

async fn remote_config(
    target: &TargetArgs,
) -> Result<(Remote, TunnelRef, TunnelConfig, u64), Failure> {
    let (remote, tunnel, rc) = connect_to_tunnel(target).await?;
    Ok((remote, tunnel, rc.config.unwrap_or_default(), rc.version))
}

/// `cfingress dns check`: exit 0 all `ok` and no orphan, 1 otherwise, 2 when DNS could not be
/// read.
pub(super) async fn check(target: &TargetArgs, format: OutputFormat) -> Result<u8, Failure> {
    let (remote, tunnel, config, version) = remote_config(target).await?;
    let snap = read(
        &remote.client,
        &remote.account,
        &tunnel.id,
        &record_names(&config),
    )
    .await;
    let report = dns::check(&config, &snap);
    let plan = DnsPlan {
        changes: dns::propose(&report, Choices::DEFAULT),
        report,
        choices: Choices::DEFAULT,
        flags: CHECK_FLAGS,
    };
    let report = &plan.report;
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            let records: Vec<Value> = report
                .hosts
                .iter()
                .map(|h| {
                    json!({"hostname": h.hostname, "state": h.state,
                           "zone": h.zone.as_ref().map(|z| &z.name),
                           "record_id": h.record.as_ref().map(|r| &r.id),
                           "content": h.record.as_ref().map(|r| &r.content),
                           "message": h.message})
                })
                .collect();
            let orphans: Vec<Value> = report
                .orphans
                .iter()
                .map(|o| json!({"hostname": o.record.name, "record_id": o.record.id}))
                .collect();
            let doc = json!({"tunnel_id": tunnel.id, "records": records, "orphans": orphans});
            let _ = writeln!(out, "{}", json_inert(&doc));
        }
        OutputFormat::Text => {
            let _ = writeln!(
                out,
                "DNS of tunnel {}, config version {version}: {}",
                tunnel.shown(),
                report.summary()
            );
            for reason in plan.unread() {
                let _ = writeln!(out, "DNS could not be read: {reason}");
            }
            let width = report
                .hosts
                .iter()
                .map(|h| inert(&h.hostname).chars().count())
                .max()
                .unwrap_or(8)
                .clamp(8, 40);
            for h in &report.hosts {
                let detail = match h.state {
                    State::Unknown => String::new(),
                    _ => format!(
                        "{}{}",
                        h.message.as_deref().unwrap_or_default(),
                        plan.hint(h)
                    ),
                };
                let line = format!(
                    "  {:<12}  {:<width$}  {detail}",
                    h.state.as_str(),
                    inert(&h.hostname)
                );
                let _ = writeln!(out, "{}", line.trim_end());
            }
            if !report.orphans.is_empty() {
                let _ = writeln!(
                    out,
                    "orphans: CNAMEs to this tunnel that no rule uses (`cfingress dns sync --prune` deletes them)"
                );
                for o in &report.orphans {
                    let _ = writeln!(
                        out,
                        "  {}  (zone {}, record {}{})",
                        shown_name(&o.record.name),
                        inert(&o.zone.name),
                        inert(&o.record.id),
                        if o.record.proxied { "" } else { ", DNS-only" }
                    );
                }
            }
            for n in &report.notes {
                let _ = writeln!(out, "note: {n}");
            }
            if report.count(State::Missing) > 0 {
                let _ = writeln!(
                    out,
                    "`cfingress dns sync` creates the missing records (a proxied CNAME to the tunnel each)"
                );
            }
        }
    }
    Ok(if report.has_unknown() {
        2
    } else {
        u8::from(!report.is_clean())
    })
}

/// `cfingress dns sync`: exit 0 when DNS is in step afterwards, 1 when something is left (not
/// confirmed, left alone, orphans kept), 2 when DNS could not be read or a change failed.
pub(super) async fn sync(
    target: &TargetArgs,
    choices: Choices,
    yes: bool,
    format: OutputFormat,
) -> Result<u8, Failure> {
    let (remote, tunnel, config, _) = remote_config(target).await?;
    let plan = DnsPlan::read(&remote, &tunnel, &config, choices, SYNC_FLAGS).await;
    {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "DNS of tunnel {}:", tunnel.shown());
        plan.write_section(&mut err);
    }
    if let Some(u) = &plan.report.unreadable {
        return Err(fail(2, format!("DNS could not be read: {}", u.message)));
    }
    let on = plan.to_make().len();
    if on > 0
        && !yes
        && !confirm(
            &format!("{}?", capitalized(&plan.question())),
            "DNS not changed",
        )?
    {
        return Err(fail(1, "DNS not changed"));
    }
    let made = plan.make(&remote, &tunnel, &config).await;
    match format {
        OutputFormat::Json => {
            println!("{}", json_inert(&made.json()));
        }
        OutputFormat::Text => {
            let mut out = std::io::stdout().lock();
            made.write(&mut out);
        }
    }
    let unknown = plan.report.has_unknown();
    Ok(if made.has_failures() || unknown {
        2
    } else {
        u8::from(made.needs_attention() || made.has_orphans())
    })
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_show_their_unicode_form() {
        assert_eq!(
            shown_name("xn--bcher-kva.example.com"),
            "xn--bcher-kva.example.com (bücher.example.com)"
        );
        assert_eq!(shown_name("www.example.com"), "www.example.com");
        assert_eq!(shown_name("a\u{1b}b.example.com"), "a\\x1bb.example.com");
    }
}
