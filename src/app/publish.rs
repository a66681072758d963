//! The publish flow (for a file: the save flow): refuse errors, ask about warnings, re-read the
//! source, on a change offer rebase / overwrite / cancel, compute the review in the background,
//! and on confirmation send it; then take the answer.

use std::sync::Arc;

use super::overlays::confirm::Confirm;
use super::overlays::conflict::Conflict;
use super::overlays::progress::Wait;
use super::overlays::review::ReviewPane;
use super::review::{Review, ReviewRequest};
use super::{App, history::Edit};
use super::{Ask, Effect, Mode, Origin, Overlay, Published, ReviewFailed, Snapshot};
use crate::config::diff::summarize;
use crate::config::files::Format;
use crate::config::model::TunnelConfig;
use crate::config::validate::Diagnostic;

impl App {
    /// `p`: refuses a config cloudflared would refuse (and selects the first error), asks
    /// about warnings, then checks the source.
    pub(super) fn publish_start(&mut self) -> Vec<Effect> {
        let verb = self.verb();
        if !self.is_modified() {
            self.info(format!("nothing to {verb}: the draft equals the source"));
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
            self.error(format!(
                "cannot {verb}: {n} error{} (cloudflared would refuse the config); first: {msg}",
                if n == 1 { "" } else { "s" }
            ));
            return Vec::new();
        }
        let warnings: Vec<String> = self
            .checks
            .diagnostics()
            .iter()
            .map(|d| {
                let at = d
                    .rule
                    .map_or_else(|| "config".to_owned(), |r| format!("rule #{}", r + 1));
                format!("{at}: {}", crate::text::inert(&d.message))
            })
            .collect();
        if !warnings.is_empty() {
            let mut lines = vec![format!("The draft has {} warning(s):", warnings.len())];
            lines.extend(warnings);
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

    fn format_notes(&self) -> Vec<String> {
        match &self.origin {
            Some(Origin::File {
                format: Format::Yaml,
                has_comments: true,
                path,
            }) => vec![format!(
                "{} has comments: writing config.yml drops them (the previous file is kept as {}.bak)",
                path.display(),
                path.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("the file")
            )],
            _ => Vec::new(),
        }
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
            let empty = TunnelConfig::default();
            let remote_cfg = current.config.as_ref().unwrap_or(&empty);
            let base = if self.unpublished_new {
                &empty
            } else {
                &self.base
            };
            let mut lines = vec![match (&self.origin, current.version, self.base_version) {
                (Some(Origin::Remote { .. }), Some(now), Some(was)) => {
                    format!("The remote config changed since you started: version {was} → {now}.")
                }
                _ => "The file changed on disk since you opened it.".to_owned(),
            }];
            lines.push("What changed there:".to_owned());
            let summary = summarize(base, remote_cfg).lines();
            if summary.is_empty() {
                lines.push("  (no change to the rules: only the version moved)".to_owned());
            }
            lines.extend(summary.into_iter().map(|l| format!("  {l}")));
            self.overlay = Some(Overlay::from(Conflict {
                remote: Box::new(current),
                lines,
            }));
            return Vec::new();
        }
        let base = Arc::clone(&self.base);
        let notes = self.format_notes();
        self.open_review(base, !self.unpublished_new, current.version, notes)
    }

    /// Asks for the review of the draft against `against` (computed off the input path).
    fn open_review(
        &mut self,
        against: Arc<TunnelConfig>,
        against_exists: bool,
        replaces: Option<u64>,
        notes: Vec<String>,
    ) -> Vec<Effect> {
        let yaml = matches!(
            &self.origin,
            Some(Origin::File {
                format: Format::Yaml,
                ..
            })
        );
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
            yaml,
            old_name,
            replaces,
            notes,
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
        match result {
            Ok(review) => {
                self.overlay = Some(Overlay::from(ReviewPane {
                    review: *review,
                    scroll: 0,
                }));
            }
            Err(f) => {
                self.overlay = None;
                self.error(format!(
                    "cannot prepare the review, nothing was sent: {}",
                    f.message
                ));
            }
        }
        Vec::new()
    }

    /// `y` in the review: sends exactly what it showed.
    pub(super) fn send(&mut self, target: Box<TunnelConfig>, replaces: Option<u64>) -> Vec<Effect> {
        let effect = match &self.origin {
            Some(Origin::Remote {
                account_id,
                tunnel_id,
                ..
            }) => Effect::PublishRemote {
                account: account_id.clone(),
                tunnel: tunnel_id.clone(),
                config: target,
                base_version: replaces.unwrap_or(0),
            },
            Some(Origin::File { .. }) => Effect::WriteFile { config: target },
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
        match result {
            Ok(p) => {
                self.base = Arc::new(self.draft.clone());
                self.base_version = p.version.or(self.base_version);
                self.unpublished_new = false;
                self.history.clear();
                self.changes.reset(&self.base);
                self.generation += 1;
                self.info(p.message);
                let mut effects = vec![Effect::DeleteDraft];
                effects.extend(self.start_rollout(p.version));
                effects
            }
            Err(e) => {
                self.error(format!("not {}, your draft is kept: {e}", self.verb_ed()));
                Vec::new()
            }
        }
    }

    /// Overwrite after a conflict: the review compares with the remote as it is now.
    pub(super) fn overwrite(&mut self, remote: Snapshot) -> Vec<Effect> {
        let remote_cfg = Arc::new(remote.config.clone().unwrap_or_default());
        let mut notes = vec![format!(
            "OVERWRITE: this replaces version {} and discards the remote changes made since version {}",
            remote
                .version
                .map_or_else(|| "?".to_owned(), |v| v.to_string()),
            self.base_version
                .map_or_else(|| "?".to_owned(), |v| v.to_string())
        )];
        notes.extend(self.format_notes());
        self.open_review(remote_cfg, remote.config.is_some(), remote.version, notes)
    }

    /// Rebase after a conflict: replays every edit that still applies onto the remote state.
    pub(super) fn rebase(&mut self, remote: Snapshot) -> Vec<Effect> {
        let remote_cfg = remote
            .config
            .clone()
            .unwrap_or_else(TunnelConfig::new_catch_all);
        let mut draft = remote_cfg.clone();
        let mut kept = Vec::new();
        let mut notes = Vec::new();
        for edit in self.history.done() {
            let before = draft.clone();
            match edit.replay(&mut draft) {
                Ok(()) => kept.push(concrete(edit, &before, &draft)),
                Err(note) => notes.push(note),
            }
        }
        self.base = Arc::new(if remote.config.is_some() {
            remote_cfg
        } else {
            TunnelConfig::default()
        });
        self.unpublished_new = remote.config.is_none();
        self.base_version = remote.version;
        self.draft = draft;
        self.history.reset_to(kept);
        self.generation += 1;
        self.checks.reset(&self.draft);
        self.changes.rebuild(&self.base, &self.draft);
        notes.insert(
            0,
            format!(
                "rebased {} edit(s) onto version {}",
                self.history.len(),
                remote
                    .version
                    .map_or_else(|| "?".to_owned(), |v| v.to_string())
            ),
        );
        notes.extend(self.format_notes());
        if self.checks.has_errors() {
            self.overlay = None;
            self.error(format!(
                "rebased onto version {}; the result has errors, fix them and {} again ({})",
                remote.version.unwrap_or(0),
                self.verb(),
                notes.join("; ")
            ));
            return Vec::new();
        }
        debug_assert!(matches!(self.mode, Mode::Editing));
        let base = Arc::clone(&self.base);
        self.open_review(base, remote.config.is_some(), remote.version, notes)
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The concrete edit a replay performed (positions as found in the rebased config), so undo
/// keeps working after a rebase.
fn concrete(edit: &Edit, before: &TunnelConfig, after: &TunnelConfig) -> Edit {
    let find_changed = || {
        let (b, a) = (before.rules(), after.rules());
        (0..b.len().min(a.len())).find(|&i| b[i] != a[i])
    };
    match edit {
        Edit::SetRule {
            before: old,
            after: new,
            index,
        } => Edit::SetRule {
            index: find_changed().unwrap_or(*index),
            before: old.clone(),
            after: new.clone(),
        },
        Edit::Insert { rule, verb, index } => Edit::Insert {
            index: find_changed().unwrap_or((*index).min(after.rules().len().saturating_sub(1))),
            rule: rule.clone(),
            verb,
        },
        Edit::Delete { rule, index } => Edit::Delete {
            index: find_changed().unwrap_or(*index),
            rule: rule.clone(),
        },
        Edit::Move { rule, .. } => {
            let from = before
                .rules()
                .iter()
                .position(|r| r == &**rule)
                .unwrap_or(0);
            let to = after.rules().iter().position(|r| r == &**rule).unwrap_or(0);
            Edit::Move {
                from,
                to,
                rule: rule.clone(),
            }
        }
        Edit::SetGlobal { after: a, .. } => Edit::SetGlobal {
            before: Box::new(before.origin_request.clone()),
            after: a.clone(),
        },
        Edit::SetWarp { after: a, .. } => Edit::SetWarp {
            before: before.warp_routing.clone(),
            after: a.clone(),
        },
    }
}
