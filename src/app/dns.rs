//! The editor's view of DNS (remote tunnels only): the last listing of the tunnel's zones and
//! records ([`crate::dns::Snapshot`], read in the background after the config and on the
//! refresh key), judged against the draft after every edit; what the rule table's DNS column,
//! the header and the detail pane say; and what happens to the DNS changes chosen in the
//! review once the config is published (`crate::effects::dns` makes them, each reported).

use std::collections::HashMap;
use std::sync::Arc;

use super::keys::{Command, Context};
use super::overlays::progress::Wait;
use super::{App, Effect, Mode, Origin};
use crate::config::model::TunnelConfig;
use crate::dns::names::record_name;
use crate::dns::plan::{Action, Applied};
use crate::dns::{Change, HostDns, Report, Snapshot, State};
use crate::text::inert;

/// The DNS of the tunnel as the editor knows it.
#[derive(Debug, Clone, Default)]
pub struct DnsView {
    /// The last listing, if any.
    pub snapshot: Option<Arc<Snapshot>>,
    /// The listing judged against the draft (recomputed when the draft changes).
    pub report: Option<Report>,
    /// Which host of [`Self::report`] holds each record name (a hostname no DNS name can hold
    /// is keyed `\0hostname`): rows find their state by name, so a report judged for a slightly
    /// older draft still fits every row whose hostname it knows.
    by_name: HashMap<String, u32>,
    /// How many hostnames of the report are in each state of [`State::ALL`] (the header says
    /// them every frame).
    counts: [usize; State::ALL.len()],
    /// The draft generation the report was computed for.
    report_generation: Option<u64>,
    /// The background judgement under way (large configs): its ticket and draft generation.
    judging: Option<(u64, u64)>,
    /// Numbers background judgements: an answer for a listing since replaced is dropped.
    judge_ticket: u64,
    /// Numbers listings asked for: an answer to an older one is dropped.
    ticket: u64,
    /// Whether a listing is under way.
    pub reading: bool,
    /// The missing token permissions already named (each is told once per session).
    told: Vec<&'static str>,
    /// The changes chosen in the review, made once the config is published.
    pending: Vec<Change>,
    /// The publish waiting for the DNS outcome (its message is said with it; its warnings and
    /// rollout come after it).
    published: Option<super::Published>,
}

/// What the DNS changes made after a publish (or a DNS-only review) did.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsMade {
    /// Each change that was sent, and what became of it.
    pub applied: Vec<Applied>,
    /// Changes not sent because their record changed after the review, with why.
    pub skipped: Vec<(Change, String)>,
}

/// A listing judged against a draft's rules, with the index the rule table finds each row's
/// state by. Built where it is judged: at 100 000 hostnames the index alone takes milliseconds.
#[derive(Debug, Clone)]
pub struct Judged {
    /// Each hostname's state and the orphans.
    pub report: Report,
    /// Which host of the report holds each record name (a hostname no DNS name can hold is
    /// keyed `\0hostname`).
    by_name: HashMap<String, u32>,
    /// How many hostnames are in each state of [`State::ALL`].
    counts: [usize; State::ALL.len()],
}

impl Judged {
    /// Judges `snapshot` against `rules` (each rule's hostname, in order).
    pub fn new(rules: &[crate::config::model::IngressRule], snapshot: &Snapshot) -> Judged {
        let hosts = rules.iter().map(|r| r.hostname.as_str());
        Judged::from(crate::dns::check::check_hosts(hosts, snapshot))
    }
}

impl From<Report> for Judged {
    fn from(report: Report) -> Judged {
        let by_name = report
            .hosts
            .iter()
            .enumerate()
            .map(|(at, h)| {
                let key = if h.name.is_empty() {
                    format!("\0{}", h.hostname)
                } else {
                    h.name.clone()
                };
                (key, at as u32)
            })
            .collect();
        let mut counts = [0; State::ALL.len()];
        for h in &report.hosts {
            if let Some(at) = State::ALL.iter().position(|s| *s == h.state) {
                counts[at] += 1;
            }
        }
        Judged {
            report,
            by_name,
            counts,
        }
    }
}

/// Configs with up to this many rules have their DNS judged on the input path after each edit
/// (about 0.6 ms for 250 hostnames); larger ones in the background. At 1 000 rules judging on
/// the input path took 2.5 ms of every keystroke, half the budget of 5 ms.
pub const JUDGE_AT_ONCE: usize = 250;

/// What the review needs to plan DNS: the last listing, read again for the draft's hostnames
/// by the effect runner before the review is computed (`tunnel` of `account`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewDns {
    /// The last listing (kept when reading again fails, or where nothing reads: tests).
    pub snapshot: Option<Arc<Snapshot>>,
    /// The account.
    pub account: String,
    /// The tunnel.
    pub tunnel: String,
}

/// The review's DNS section: each hostname's state for the draft and the changes to make,
/// each on or off (creates on, take-overs and deletions off until toggled).
#[derive(Debug, Clone, PartialEq)]
pub struct DnsReview {
    /// The draft's DNS.
    pub report: Report,
    /// Every change that could be made; the toggles flip `on`.
    pub changes: Vec<Change>,
    /// The listing it was judged from (the app keeps it as the freshest).
    pub snapshot: Arc<Snapshot>,
}

impl DnsReview {
    /// Judges `snapshot` for `draft` and proposes the default changes (pure).
    pub fn new(draft: &TunnelConfig, snapshot: Arc<Snapshot>) -> DnsReview {
        let report = crate::dns::check(draft, &snapshot);
        let changes = crate::dns::propose(&report, crate::dns::Choices::DEFAULT);
        DnsReview {
            report,
            changes,
            snapshot,
        }
    }

    /// The hostnames no change can fix here (another record type holds the name, no zone,
    /// unknown), with why.
    pub fn left_alone(&self) -> Vec<&HostDns> {
        self.report
            .hosts
            .iter()
            .filter(|h| h.state != State::Ok)
            .filter(|h| {
                !self
                    .changes
                    .iter()
                    .any(|c| c.action != Action::Delete && c.name == h.name)
            })
            .collect()
    }

    /// The changes that are on.
    pub fn chosen(&self) -> Vec<Change> {
        self.changes.iter().filter(|c| c.on).cloned().collect()
    }
}

/// The DNS column's word for a state (at most 8 columns).
pub fn short(state: State) -> &'static str {
    match state {
        State::Ok => "ok",
        State::Missing => "missing",
        State::NotProxied => "dns-only",
        State::OtherTunnel => "other",
        State::Conflict => "conflict",
        State::NoZone => "no zone",
        State::Unknown => "?",
    }
}

impl DnsView {
    /// The DNS of a rule's hostname, when it has one and DNS was judged for it.
    pub fn of_host(&self, hostname: &str) -> Option<&HostDns> {
        if hostname.is_empty() || hostname == "*" {
            return None;
        }
        let key = record_name(hostname).unwrap_or_else(|_| format!("\0{hostname}"));
        let at = *self.by_name.get(&key)?;
        self.report.as_ref()?.hosts.get(at as usize)
    }

    /// Whether the report is for `generation` of the draft.
    fn is_current(&self, generation: u64) -> bool {
        self.report_generation == Some(generation)
    }

    /// Keeps a report judged for draft `generation`; gives back the one it replaces (large:
    /// freed off the input path by [`Effect::Release`]).
    fn keep(&mut self, judged: Judged, generation: u64) -> Option<Judged> {
        let by_name = std::mem::replace(&mut self.by_name, judged.by_name);
        let counts = std::mem::replace(&mut self.counts, judged.counts);
        let old = self.report.replace(judged.report);
        self.report_generation = Some(generation);
        old.map(|report| Judged {
            report,
            by_name,
            counts,
        })
    }

    /// The header's words: `DNS: 1 missing, 1 other-tunnel, 1 orphan`, `DNS ok`, `DNS…`;
    /// `None` when there is nothing to say (no listing asked for). The flag says whether it
    /// is a problem.
    pub fn header(&self) -> Option<(String, bool)> {
        let Some(report) = &self.report else {
            return (self.reading || self.judging.is_some()).then(|| ("DNS…".to_owned(), false));
        };
        if let Some(p) = report.missing_permissions.first() {
            return Some((format!("DNS unknown (token lacks {p})"), true));
        }
        let mut parts: Vec<String> = State::ALL
            .iter()
            .zip(self.counts)
            .filter(|(s, _)| **s != State::Ok)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {}", s.as_str()))
            .collect();
        match report.orphans.len() {
            0 => {}
            1 => parts.push("1 orphan".to_owned()),
            n => parts.push(format!("{n} orphans")),
        }
        let reading = if self.reading { "…" } else { "" };
        if parts.is_empty() {
            Some((format!("DNS ok{reading}"), false))
        } else {
            Some((format!("DNS{reading}: {}", parts.join(", ")), true))
        }
    }
}

impl DnsView {
    /// The header's words when room is short: `DNS 3!` (hostnames not `ok`, and orphans).
    pub fn header_short(&self) -> Option<(String, bool)> {
        let (long, problem) = self.header()?;
        let Some(report) = self.report.as_ref().filter(|_| problem) else {
            return Some((long, problem));
        };
        if !report.missing_permissions.is_empty() {
            return Some(("DNS unknown".to_owned(), true));
        }
        let n = State::ALL
            .iter()
            .zip(self.counts)
            .filter(|(s, _)| **s != State::Ok)
            .map(|(_, n)| n)
            .sum::<usize>()
            + report.orphans.len();
        Some((format!("DNS {n}!"), true))
    }
}

impl App {
    fn dns_target(&self) -> Option<(String, String, String)> {
        match &self.origin {
            Some(Origin::Remote {
                account_id,
                tunnel_id,
                tunnel_name,
                ..
            }) => Some((account_id.clone(), tunnel_id.clone(), tunnel_name.clone())),
            _ => None,
        }
    }

    /// Asks for a listing of the tunnel's DNS for the draft's hostnames (remote only).
    pub(super) fn read_dns(&mut self) -> Vec<Effect> {
        let Some((account, tunnel, _)) = self.dns_target() else {
            return Vec::new();
        };
        self.dns.ticket += 1;
        self.dns.reading = true;
        vec![Effect::ReadDns {
            account,
            tunnel,
            rules: self.draft.rules().to_vec(),
            ticket: self.dns.ticket,
        }]
    }

    /// The refresh key.
    pub(super) fn refresh_dns(&mut self) -> Vec<Effect> {
        if self.is_file() {
            self.info("DNS is checked for a tunnel's remote config only (this is a file)");
            return Vec::new();
        }
        self.info("reading the DNS records of the tunnel's hostnames…");
        self.read_dns()
    }

    /// A listing arrived.
    pub(super) fn on_dns_read(&mut self, ticket: u64, snapshot: Snapshot) {
        if ticket != self.dns.ticket || !matches!(self.mode, Mode::Editing) {
            return;
        }
        self.dns.reading = false;
        self.take_snapshot(Arc::new(snapshot));
    }

    /// Keeps a listing (from a refresh, a review or after DNS changes) and names a missing
    /// permission the first time it is seen.
    pub(super) fn take_snapshot(&mut self, snapshot: Arc<Snapshot>) {
        let errors = snapshot.zones.as_ref().err().into_iter().chain(
            snapshot
                .listings
                .iter()
                .filter_map(|l| l.records.as_ref().err()),
        );
        let mut new: Vec<&'static str> = Vec::new();
        for p in errors.filter_map(|e| e.permission) {
            if !self.dns.told.contains(&p) && !new.contains(&p) {
                new.push(p);
            }
        }
        self.dns.snapshot = Some(snapshot);
        // Judged again (by `update`, after this event); a judgement of the old listing is
        // dropped when it arrives.
        self.dns.report_generation = None;
        self.dns.judging = None;
        if !new.is_empty() {
            self.dns.told.extend(new.iter().copied());
            self.error(format!(
                "DNS cannot be read: the token lacks the permission {}; DNS states are unknown (the config still publishes; add the permission to the token to check and fix DNS)",
                new.join(" and ")
            ));
        }
    }

    /// Judges the last listing against the draft, unless that was done for this draft: at
    /// once for a config of up to [`JUDGE_AT_ONCE`] rules, else in the background (one
    /// judgement at a time; the answer for an older draft is kept, and the newest asked for).
    pub(super) fn judge_dns(&mut self) -> Vec<Effect> {
        let Some(snapshot) = &self.dns.snapshot else {
            return Vec::new();
        };
        if self.dns.is_current(self.generation) || self.dns.judging.is_some() {
            return Vec::new();
        }
        if self.draft.rules().len() <= JUDGE_AT_ONCE {
            let judged = Judged::new(self.draft.rules(), snapshot);
            // The report replaced may be a large config's (this one shrank): freed elsewhere.
            return self
                .dns
                .keep(judged, self.generation)
                .filter(|old| old.report.hosts.len() > JUDGE_AT_ONCE)
                .map(Effect::release)
                .into_iter()
                .collect();
        }
        // Handles to the rules: copying them costs far less than copying their hostnames.
        let rules = self.draft.rules().to_vec();
        let snapshot = Arc::clone(snapshot);
        self.dns.judge_ticket += 1;
        self.dns.judging = Some((self.dns.judge_ticket, self.generation));
        vec![Effect::JudgeDns {
            ticket: self.dns.judge_ticket,
            rules,
            snapshot,
        }]
    }

    /// A background judgement arrived.
    pub(super) fn on_dns_judged(
        &mut self,
        ticket: u64,
        judged: Result<Box<Judged>, String>,
    ) -> Vec<Effect> {
        let Some((awaited, generation)) = self.dns.judging else {
            return vec![Effect::release(judged)];
        };
        if awaited != ticket {
            return vec![Effect::release(judged)];
        }
        self.dns.judging = None;
        match judged {
            Ok(judged) => match self.dns.keep(*judged, generation) {
                Some(old) => vec![Effect::release(old)],
                None => Vec::new(),
            },
            Err(e) => {
                // Not judged again for this draft (it would fail the same way).
                self.dns.report_generation = Some(self.generation);
                self.error(format!("DNS could not be judged: {e}"));
                Vec::new()
            }
        }
    }

    /// The DNS of rule `i` of the draft, when it has a hostname and DNS was judged for it.
    pub fn dns_of_rule(&self, i: usize) -> Option<&HostDns> {
        self.dns
            .of_host(self.draft.rules().get(i)?.hostname.as_str())
    }

    /// The detail pane's DNS lines for rule `i`: its state and what a publish does about it.
    pub fn dns_detail(&self, i: usize) -> Option<String> {
        if self.is_file() {
            return None;
        }
        let rule = self.draft.rules().get(i)?;
        let host = rule.hostname.as_str();
        if host.is_empty() || host == "*" {
            return Some("DNS: none (a rule without a hostname needs no record)".to_owned());
        }
        let refresh = self.keymap.label(Context::Main, Command::RefreshDns, true);
        let Some(h) = self.dns.of_host(host) else {
            return Some(if self.dns.reading || self.dns.judging.is_some() {
                "DNS: reading…".to_owned()
            } else {
                format!("DNS: not read yet ({refresh} reads it)")
            });
        };
        let what = match h.state {
            State::Ok => String::new(),
            State::Missing => {
                " Publishing creates a proxied CNAME to this tunnel (the review can turn it off)."
                    .to_owned()
            }
            State::NotProxied | State::OtherTunnel => {
                " Publishing leaves it as it is unless you take it over in the review.".to_owned()
            }
            State::Conflict
                if h.record
                    .as_ref()
                    .is_some_and(|r| r.kind.eq_ignore_ascii_case("CNAME")) =>
            {
                " Publishing leaves it as it is unless you take it over in the review.".to_owned()
            }
            State::Conflict => " cfingress never changes it: remove it in the dashboard if this tunnel should serve the name.".to_owned(),
            State::NoZone => " No record can be created: add the zone to this account, or correct the hostname.".to_owned(),
            State::Unknown => format!(" {refresh} reads it again."),
        };
        let shared = if h.rules.len() > 1 {
            format!(" ({} rules share this record)", h.rules.len())
        } else {
            String::new()
        };
        Some(format!(
            "DNS: {}{shared}{}{what}",
            h.state.as_str(),
            h.message
                .as_deref()
                .map(|m| format!(": {}.", inert(m).trim_end_matches('.')))
                .unwrap_or_default()
        ))
    }

    /// The review was confirmed with these DNS changes: they are made once the config is
    /// published.
    pub(super) fn keep_dns_changes(&mut self, changes: Vec<Change>) {
        self.dns.pending = changes.into_iter().filter(|c| c.on).collect();
    }

    /// The publish `p` succeeded: makes the DNS changes chosen (then says both, and goes on
    /// with [`App::after_put`]), or says it, reads DNS again (the published hostnames may be
    /// in zones not listed yet) and goes on at once.
    pub(super) fn after_publish(&mut self, p: super::Published) -> Vec<Effect> {
        if self.dns_target().is_some() && !self.dns.pending.is_empty() {
            return self.make_dns(Some(p));
        }
        self.info(p.message.clone());
        let mut effects = if self.dns_target().is_some() {
            self.read_dns()
        } else {
            Vec::new()
        };
        effects.extend(self.after_put(p.message.clone(), p));
        effects
    }

    /// Whether DNS changes are being made after a publish (its outcome is said with theirs).
    pub(super) fn dns_under_way(&self) -> bool {
        self.dns.published.is_some()
    }

    /// Sends the pending DNS changes; `published` is the publish to say with them.
    fn make_dns(&mut self, published: Option<super::Published>) -> Vec<Effect> {
        let Some((account, tunnel, name)) = self.dns_target() else {
            return Vec::new();
        };
        let changes = std::mem::take(&mut self.dns.pending);
        let n = changes.len();
        let doing = format!("making {n} DNS change{}…", if n == 1 { "" } else { "s" });
        let what = match &published {
            Some(_) => format!("the config is published; {doing}"),
            None => doing,
        };
        self.dns.published = published;
        self.wait(Wait::Dns, what);
        self.dns.ticket += 1;
        self.dns.reading = true;
        vec![Effect::MakeDns {
            account,
            tunnel,
            tunnel_name: name,
            config: Box::new(self.draft.clone()),
            changes,
        }]
    }

    /// The publish failed: the DNS changes chosen are dropped with it.
    pub(super) fn drop_dns_changes(&mut self) {
        self.dns.pending.clear();
    }

    /// A DNS-only review was confirmed: makes its changes now.
    pub(super) fn sync_dns(&mut self, changes: Vec<Change>) -> Vec<Effect> {
        self.keep_dns_changes(changes);
        if self.dns.pending.is_empty() {
            self.info("no DNS change chosen: nothing was sent");
            return Vec::new();
        }
        self.make_dns(None)
    }

    /// The DNS changes were made (or tried): each is logged, one line sums them up with the
    /// publish, and the column shows DNS as it is now; then the publish's warnings window and
    /// rollout panel, and the quit asked for while they were under way.
    pub(super) fn on_dns_made(&mut self, made: DnsMade) -> Vec<Effect> {
        if matches!(&self.overlay, Some(super::Overlay::Progress(p)) if p.wait == Wait::Dns) {
            self.overlay = None;
        }
        self.dns.reading = false;
        let published = self.dns.published.take();
        let mut told: Vec<&'static str> = Vec::new();
        let mut failures: Vec<String> = Vec::new();
        for a in &made.applied {
            let name = inert(&a.change.hostname).into_owned();
            match &a.result {
                Ok(()) => self.info(format!("DNS: {} {name}", a.change.action.done())),
                Err(e) => match a.permission {
                    Some(p) if told.contains(&p) => {}
                    Some(p) => {
                        told.push(p);
                        if !self.dns.told.contains(&p) {
                            self.dns.told.push(p);
                        }
                        failures.push(format!("the token lacks {p}"));
                        self.error(format!(
                            "DNS: {} {name} failed: {e}",
                            a.change.action.verb()
                        ));
                    }
                    None => {
                        failures.push(format!("{name}: {e}"));
                        self.error(format!(
                            "DNS: {} {name} failed: {e}",
                            a.change.action.verb()
                        ));
                    }
                },
            }
        }
        for (c, why) in &made.skipped {
            self.info(format!(
                "DNS: {} {} skipped: {why}",
                c.action.verb(),
                inert(&c.hostname)
            ));
        }
        let mut parts = crate::dns::plan::done_counts(&made.applied);
        let failed = made.applied.iter().filter(|a| a.result.is_err()).count();
        if failed > 0 {
            parts.push(format!("{failed} failed ({})", failures.join("; ")));
        }
        if !made.skipped.is_empty() {
            parts.push(format!(
                "{} skipped (changed since the review)",
                made.skipped.len()
            ));
        }
        let dns = if parts.is_empty() {
            "nothing changed".to_owned()
        } else {
            parts.join(", ")
        };
        let text = match &published {
            Some(p) => format!("{}; DNS: {dns}", p.message),
            None => format!("DNS: {dns}"),
        };
        if failed > 0 || !made.skipped.is_empty() {
            self.error(text.clone());
        } else {
            self.info(text.clone());
        }
        // The publish's own message is already among the words said after quitting.
        self.farewell.push(format!("DNS: {dns}"));
        // DNS as it is now (the failed ones stay in the column, to retry with the review).
        let mut effects = self.read_dns();
        if let Some(p) = published {
            effects.extend(self.after_put(text, p));
        }
        self.quit_when_published(effects)
    }

    /// The review's DNS input: the last listing, and whether to read it again first.
    pub(super) fn review_dns(&self) -> Option<ReviewDns> {
        let (account, tunnel, _) = self.dns_target()?;
        Some(ReviewDns {
            snapshot: self.dns.snapshot.clone(),
            account,
            tunnel,
        })
    }

    /// Whether the draft's DNS, as last judged, has changes a review could propose.
    pub(super) fn dns_changes_proposed(&self) -> bool {
        self.dns_target().is_some()
            && self.dns.report.as_ref().is_some_and(|report| {
                !crate::dns::propose(report, crate::dns::Choices::DEFAULT).is_empty()
            })
    }

    /// `p` with nothing to publish (the source, read again, holds `against`, version
    /// `replaces`, equal to the draft): a review of the DNS changes alone, when there are any.
    pub(super) fn dns_only_review(
        &mut self,
        against: Arc<TunnelConfig>,
        replaces: Option<u64>,
        notes: Vec<String>,
    ) -> Option<Vec<Effect>> {
        if !self.dns_changes_proposed() {
            return None;
        }
        let mut notes = notes;
        notes.push(
            "The config equals the published one: only DNS changes are reviewed (nothing is published)."
                .to_owned(),
        );
        self.review_ticket += 1;
        self.wait(
            Wait::Preparing(self.review_ticket),
            "preparing the review of the DNS changes…",
        );
        Some(vec![Effect::Review(Box::new(
            super::review::ReviewRequest {
                ticket: self.review_ticket,
                against: Some(against),
                draft: self.draft.clone(),
                yaml: false,
                old_name: format!("remote (version {})", replaces.unwrap_or(0)),
                replaces,
                notes,
                dns: self.review_dns(),
                dns_only: true,
                file: None,
            },
        ))])
    }
}

#[cfg(test)]
#[path = "dns_tests.rs"]
mod tests;
