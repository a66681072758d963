//! The publish flow (for a file: the save flow): refuse errors, ask about warnings the published
//! config does not already have, re-read the source, on a change offer rebase / overwrite /
//! cancel, compute the review in the background, and on confirmation send it (the effect re-reads
//! the source once more right before the PUT or the write); then take the answer.

use std::collections::HashSet;
use std::sync::Arc;

use super::App;
use super::history::{BaseState, BaseSwap, Edit};
use super::overlays::alert::Alert;
use super::overlays::confirm::Confirm;
use super::overlays::conflict::Conflict;
use super::overlays::progress::Wait;
use super::overlays::rebase::RebasePane;
use super::overlays::review::ReviewPane;
use super::rebase::Rebased;
use super::review::{FileReview, Review, ReviewRequest};
use super::{Ask, Effect, Origin, Overlay, Published, ReviewFailed, Snapshot};
use crate::config::diff::{rule_label, summarize};
use crate::config::files::Format;
use crate::config::model::TunnelConfig;
use crate::config::validate::Diagnostic;

/// What identifies a warning across versions of a config: the rule's label (not its number,
/// which shifts) and the message.
fn warning_key(config: &TunnelConfig, d: &Diagnostic) -> String {
    let at = d
        .rule
        .and_then(|r| config.rules().get(r))
        .map(rule_label)
        .unwrap_or_default();
    format!("{at}\u{1f}{}", d.message)
}

/// The warnings of `config` (its diagnostics `diags`), as [`warning_key`]s.
pub(super) fn warning_keys(config: &TunnelConfig, diags: &[Diagnostic]) -> HashSet<String> {
    diags
        .iter()
        .filter(|d| !d.is_error())
        .map(|d| warning_key(config, d))
        .collect()
}

impl App {
    /// The warnings the base already has: `validate`'s (`diags`, computed by the caller) and,
    /// once the account's Access applications are known, the Access lint's, so that publishing
    /// never asks about a warning the published config already had.
    pub(super) fn base_warning_keys(&self, diags: &[Diagnostic]) -> HashSet<String> {
        let mut keys = warning_keys(&self.base, diags);
        if let Some(Ok(access)) = &self.access {
            let lint = crate::access::lint(&self.base, &access.apps);
            keys.extend(warning_keys(&self.base, &lint));
        }
        keys
    }

    /// `p`: refuses a config cloudflared would refuse (and selects the first error), asks
    /// about new warnings, then checks the source.
    pub(super) fn publish_start(&mut self) -> Vec<Effect> {
        self.review_notes.clear();
        if let Some(why) = self.read_only_reason() {
            self.error(why);
            return Vec::new();
        }
        self.publish_gate(None)
    }

    /// The checks before the source is read again, at `p` and after a rebase (`rebased`: the
    /// version rebased onto).
    fn publish_gate(&mut self, rebased: Option<Option<u64>>) -> Vec<Effect> {
        let verb = self.verb();
        if !self.is_modified() {
            // A config equal to the source may still have DNS changes to make: they are
            // reviewed alone, once the source is read again (nothing is made if it moved).
            if rebased.is_none() && self.dns_changes_proposed() {
                return self.publish_fetch();
            }
            self.info(match rebased {
                Some(v) => format!(
                    "nothing to {verb}: after the rebase your draft equals {} ({} brings back your draft from before the rebase)",
                    version_name(v),
                    self.keymap.label(super::keys::Context::Main, super::keys::Command::Undo, true)
                ),
                None => format!("nothing to {verb}: the draft equals the source"),
            });
            return Vec::new();
        }
        let errors: Vec<&Diagnostic> = self
            .checks
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .collect();
        if let Some(first) = errors.first() {
            let n = errors.len();
            let msg = crate::text::inert(&first.message).into_owned();
            if let Some(r) = first.rule {
                self.table.filter.clear();
                self.table.filtering = false;
                self.table.select(r);
            }
            let after = if rebased.is_some() {
                "after the rebase, "
            } else {
                ""
            };
            self.error(format!(
                "cannot {verb}: {after}{n} error{} (cloudflared would refuse the config); first: {msg}",
                if n == 1 { "" } else { "s" }
            ));
            return Vec::new();
        }
        // Only warnings the published config does not already have are asked about: the others
        // were accepted when it was published.
        let mut known = 0;
        let warnings: Vec<String> = self
            .checks
            .diagnostics()
            .iter()
            .filter(|d| {
                let old = self.base_warnings.contains(&warning_key(&self.draft, d));
                known += usize::from(old);
                !old
            })
            .map(|d| {
                let at = d
                    .rule
                    .map_or_else(|| "config".to_owned(), |r| format!("rule #{}", r + 1));
                format!("{at}: {}", crate::text::inert(&d.message))
            })
            .collect();
        if !warnings.is_empty() {
            let mut lines = vec![match rebased {
                Some(v) => format!(
                    "After the rebase onto {}, the draft has {}:",
                    version_name(v),
                    crate::text::counted(warnings.len(), "new warning")
                ),
                None => format!(
                    "The draft has {}:",
                    crate::text::counted(warnings.len(), "new warning")
                ),
            }];
            // The question must fit the screen: a change near the top of a large config can
            // bring thousands of warnings, and the answer keys must stay in sight.
            const LISTED: usize = 5;
            let more = warnings.len().saturating_sub(LISTED);
            lines.extend(warnings.into_iter().take(LISTED));
            if more > 0 {
                lines.push(format!(
                    "… and {} (the rule table marks every warned rule)",
                    crate::text::counted(more, "more new warning")
                ));
            }
            if known > 0 {
                lines.push(if known == 1 {
                    format!(
                        "(1 more warning, which the {} config already has, is not asked about again.)",
                        self.verb_ed()
                    )
                } else {
                    format!(
                        "({known} more warnings, which the {} config already has, are not asked about again.)",
                        self.verb_ed()
                    )
                });
            }
            lines.push(format!("{} anyway?", capitalised(verb)));
            self.overlay = Some(Overlay::from(Confirm {
                ask: Ask::Warnings,
                lines,
                yes: "continue to the review",
                no: "cancel",
            }));
            return Vec::new();
        }
        self.publish_fetch()
    }

    /// Re-reads the source to see whether it changed since the draft's base.
    pub(super) fn publish_fetch(&mut self) -> Vec<Effect> {
        let what = "checking the source for changes since you started…";
        let effect = match &self.origin {
            Some(Origin::Remote {
                account_id,
                tunnel_id,
                ..
            }) => Effect::FetchRemote {
                account: account_id.clone(),
                tunnel: tunnel_id.clone(),
            },
            Some(Origin::File { .. }) => Effect::FetchFile,
            None => return Vec::new(),
        };
        self.wait(Wait::Checking, what);
        vec![effect]
    }

    /// The source as read before publishing: a conflict, or the review.
    pub(super) fn on_current(&mut self, result: Result<Snapshot, String>) -> Vec<Effect> {
        // A late answer to a check the user cancelled is dropped.
        let waiting = matches!(
            &self.overlay,
            Some(Overlay::Progress(p)) if p.wait == Wait::Checking
        );
        if !waiting {
            return Vec::new();
        }
        let current = match result {
            Ok(c) => c,
            Err(e) => {
                self.overlay = None;
                self.error(format!(
                    "cannot check the source before {}, nothing was sent: {e}",
                    self.verb_ing()
                ));
                return Vec::new();
            }
        };
        let changed = match &self.origin {
            Some(Origin::Remote { .. }) => current.version != self.base_version,
            _ => {
                current.config.as_ref() != Some(&*self.base)
                    && !(self.unpublished_new && current.config.is_none())
            }
        };
        if changed {
            let headline = match (&self.origin, current.version, self.base_version) {
                (Some(Origin::Remote { .. }), Some(now), Some(was)) => {
                    format!("The remote config changed since you started: version {was} → {now}.")
                }
                _ => "The file changed on disk since you opened it.".to_owned(),
            };
            self.open_conflict(current, headline);
            return Vec::new();
        }
        let base = Arc::clone(&self.base);
        self.open_review(base, !self.unpublished_new, &current, Vec::new())
    }

    /// Someone published (or changed the file) between the review and the send: nothing was sent.
    pub(super) fn on_moved(&mut self, current: Snapshot) -> Vec<Effect> {
        if matches!(&self.overlay, Some(Overlay::Progress(p)) if p.wait == Wait::Publishing) {
            self.overlay = None;
        }
        let headline = match (&self.origin, current.version) {
            (Some(Origin::Remote { .. }), Some(now)) => format!(
                "Not published: someone published version {now} while you reviewed, so nothing was sent. Your draft is kept."
            ),
            _ => "Not saved: the file changed on disk while you reviewed, so nothing was written. Your draft is kept.".to_owned(),
        };
        self.drop_dns_changes();
        self.error(headline.clone());
        self.open_conflict(current, headline);
        self.quit_when_published(Vec::new())
    }

    /// The conflict screen: what changed in the source since the draft's base, and rebase /
    /// overwrite / cancel.
    fn open_conflict(&mut self, current: Snapshot, headline: String) {
        let empty = TunnelConfig::default();
        let remote_cfg = current.config.as_ref().unwrap_or(&empty);
        let base = if self.unpublished_new {
            &empty
        } else {
            &self.base
        };
        let mut lines = vec![headline, "What changed there:".to_owned()];
        let summary = summarize(base, remote_cfg).lines();
        if summary.is_empty() {
            lines.push("  (no change to the rules: only the version moved)".to_owned());
        }
        lines.extend(summary.into_iter().map(|l| format!("  {l}")));
        self.overlay = Some(Overlay::from(Conflict {
            remote: Box::new(current),
            lines,
        }));
    }

    /// Asks for the review of the draft against `against` (computed off the input path), as it
    /// will replace `current` (its version, and for a file its exact text).
    fn open_review(
        &mut self,
        against: Arc<TunnelConfig>,
        against_exists: bool,
        current: &Snapshot,
        notes: Vec<String>,
    ) -> Vec<Effect> {
        let replaces = current.version;
        let mut notes = notes;
        notes.append(&mut self.review_notes);
        if against_exists && *against == self.draft {
            if let Some(effects) = self.dns_only_review(against, replaces, notes) {
                return effects;
            }
            self.overlay = None;
            self.info(format!(
                "nothing to {}: the draft equals what the source holds now",
                self.verb()
            ));
            return Vec::new();
        }
        let file = match &self.origin {
            Some(Origin::File { format, .. }) => Some(FileReview {
                format: *format,
                original: current.file.clone(),
            }),
            _ => None,
        };
        let old_name = match &self.origin {
            Some(Origin::File { path, .. }) => path.display().to_string(),
            _ => format!("remote (version {})", replaces.unwrap_or(0)),
        };
        self.review_ticket += 1;
        let what = format!("preparing the review of what will be {}…", self.verb_ed());
        self.wait(Wait::Preparing(self.review_ticket), what);
        vec![Effect::Review(Box::new(ReviewRequest {
            ticket: self.review_ticket,
            against: against_exists.then_some(against),
            draft: self.draft.clone(),
            yaml: matches!(
                file,
                Some(FileReview {
                    format: Format::Yaml,
                    ..
                })
            ),
            old_name,
            replaces,
            notes,
            dns: self.review_dns(),
            dns_only: false,
            file,
        }))]
    }

    /// The review (or its failure) arrived: shown only if it is still awaited.
    pub(super) fn on_reviewed(&mut self, result: Result<Box<Review>, ReviewFailed>) -> Vec<Effect> {
        let ticket = match &result {
            Ok(r) => r.ticket,
            Err(f) => f.ticket,
        };
        let awaited = matches!(
            &self.overlay,
            Some(Overlay::Progress(p)) if p.wait == Wait::Preparing(ticket)
        );
        if !awaited {
            return Vec::new();
        }
        if let Ok(review) = &result
            && let Some(d) = &review.dns
        {
            self.take_snapshot(Arc::clone(&d.snapshot));
        }
        match result {
            Ok(review) if review.is_empty() => {
                self.overlay = None;
                self.info(format!(
                    "nothing to {}: the draft equals what the source holds now",
                    self.verb()
                ));
            }
            Ok(review) => {
                self.overlay = Some(Overlay::from(ReviewPane::new(*review)));
            }
            Err(f) => {
                self.overlay = None;
                self.error(format!(
                    "cannot prepare the review, nothing was {}: {}",
                    if self.is_file() { "written" } else { "sent" },
                    f.message
                ));
            }
        }
        Vec::new()
    }

    /// `y` in the review: sends exactly what it showed.
    pub(super) fn send(&mut self, review: Box<Review>) -> Vec<Effect> {
        if let Some(why) = self.read_only_reason() {
            self.error(why);
            return Vec::new();
        }
        let review = *review;
        self.keep_dns_changes(review.dns.as_ref().map(|d| d.chosen()).unwrap_or_default());
        let effect = match &self.origin {
            Some(Origin::Remote {
                account_id,
                tunnel_id,
                ..
            }) => Effect::PublishRemote {
                account: account_id.clone(),
                tunnel: tunnel_id.clone(),
                config: Box::new(review.target),
                base_version: review.replaces.unwrap_or(0),
            },
            Some(Origin::File { .. }) => match review.file_text {
                Some(text) => Effect::WriteFile {
                    config: Box::new(review.target),
                    text,
                    expected: review.original,
                },
                None => return Vec::new(),
            },
            None => return Vec::new(),
        };
        let what = if self.is_file() {
            "saving…"
        } else {
            "publishing…"
        };
        self.wait(Wait::Publishing, what);
        vec![effect]
    }

    /// The publish (or save) finished.
    pub(super) fn on_published(&mut self, result: Result<Published, String>) -> Vec<Effect> {
        if matches!(
            &self.overlay,
            Some(Overlay::Progress(_)) | Some(Overlay::Confirm(_))
        ) {
            self.overlay = None;
        }
        let effects = match result {
            Ok(p) => {
                self.base = Arc::new(self.draft.clone());
                self.base_version = p.version.or(self.base_version);
                self.unpublished_new = false;
                self.history.clear();
                self.changes.reset(&self.base);
                self.base_warnings = Arc::new(warning_keys(&self.draft, self.checks.diagnostics()));
                self.generation += 1;
                self.farewell.push(p.message.clone());
                let mut effects = vec![Effect::DeleteDraft];
                effects.extend(self.after_publish(p));
                if self.dns_under_way() {
                    // The outcome is complete once the DNS changes are made.
                    return effects;
                }
                effects
            }
            Err(e) => {
                self.drop_dns_changes();
                let msg = format!("not {}, your draft is kept: {e}", self.verb_ed());
                self.error(msg.clone());
                self.farewell.push(msg);
                Vec::new()
            }
        };
        self.quit_when_published(effects)
    }

    /// What follows a publish once its DNS changes, if any, are made (`message`: what to say
    /// first, the publish's with the DNS outcome): the warnings window, if any, then the
    /// rollout panel.
    pub(super) fn after_put(&mut self, message: String, p: Published) -> Vec<Effect> {
        if !p.warnings.is_empty() {
            for w in &p.warnings {
                self.error(format!("WARNING: {w}"));
                self.farewell.push(format!("WARNING: {w}"));
            }
            let mut lines = vec![message, String::new()];
            for w in p.warnings {
                lines.push(format!("WARNING: {w}"));
                lines.push(String::new());
            }
            self.overlay = Some(Overlay::from(Alert {
                title: format!("{} with warnings", capitalised(self.verb_ed())),
                lines,
                scroll: 0,
            }));
        }
        self.start_rollout(p.version)
    }

    /// After a publish's outcome: quits if the user asked to while it was under way.
    pub(super) fn quit_when_published(&mut self, mut effects: Vec<Effect>) -> Vec<Effect> {
        if self.quit_after_publish {
            self.quit = true;
            effects.push(Effect::Quit);
        } else {
            self.farewell.clear();
        }
        effects
    }

    /// Overwrite after a conflict: the review compares with the remote as it is now.
    pub(super) fn overwrite(&mut self, remote: Snapshot) -> Vec<Effect> {
        let remote_cfg = Arc::new(remote.config.clone().unwrap_or_default());
        let notes = vec![format!(
            "OVERWRITE: this replaces {} and discards the changes made there since {}",
            version_name(remote.version),
            version_name(self.base_version),
        )];
        let exists = remote.config.is_some();
        self.open_review(remote_cfg, exists, &remote, notes)
    }

    /// Rebase after a conflict: replays every edit that still applies onto the source as it is
    /// now; conflicting edits are settled rule by rule in the rebase window first.
    pub(super) fn rebase(&mut self, remote: Snapshot) -> Vec<Effect> {
        let theirs = remote
            .config
            .clone()
            .unwrap_or_else(TunnelConfig::new_catch_all);
        let rebased = Rebased::of_draft(self.history.done(), &self.base, &self.draft, &theirs);
        if rebased.conflicts.is_empty() {
            return self.finish_rebase(rebased, remote);
        }
        self.overlay = Some(Overlay::from(RebasePane {
            rebased: Box::new(rebased),
            remote: Box::new(remote),
            selected: 0,
            scroll: 0,
        }));
        Vec::new()
    }

    /// The rebase settled: the draft becomes their config with the replayed edits and the chosen
    /// sides, in one undoable step; the base becomes their config. Then the checks run again.
    pub(super) fn finish_rebase(&mut self, rebased: Rebased, remote: Snapshot) -> Vec<Effect> {
        let draft = rebased.resolved();
        let version = remote.version;
        let mine = rebased.conflicts.iter().filter(|c| c.keep_mine).count();
        let theirs = rebased.conflicts.len() - mine;
        let onto = BaseState {
            config: Arc::new(remote.config.clone().unwrap_or_default()),
            version,
            unpublished_new: remote.config.is_none(),
        };
        let edit = Edit::Replace {
            before: Box::new(self.draft.clone()),
            after: Box::new(draft),
            what: format!("rebase onto {}", version_name(version)),
            rebase: Some(Box::new(BaseSwap {
                from: self.base_state(),
                onto,
            })),
        };
        // The edit moves the base too (and undoing it moves it back).
        if self.apply_to_draft(&edit) {
            self.history.push(edit);
        }
        self.overlay = None;
        let mut msg = format!(
            "rebased onto {}: {} replayed",
            version_name(version),
            crate::text::counted(rebased.replayed, "edit")
        );
        if mine + theirs > 0 {
            msg.push_str(&format!(
                ", {}: {mine} kept yours, {theirs} kept theirs",
                crate::text::counted(mine + theirs, "conflict")
            ));
        }
        for n in &rebased.notes {
            msg.push_str("; ");
            msg.push_str(n);
        }
        msg.push_str(&format!(
            " ({} brings back your draft from before the rebase)",
            self.keymap
                .label(super::keys::Context::Main, super::keys::Command::Undo, true)
        ));
        self.info(msg.clone());
        self.review_notes = vec![msg];
        self.publish_gate(Some(version))
    }
}

/// `version 8`, or `the file as it is now` (a file has no versions).
fn version_name(v: Option<u64>) -> String {
    v.map_or_else(
        || "the file as it is now".to_owned(),
        |v| format!("version {v}"),
    )
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
