//! A draft saved by an earlier session: restore it, view its diff first, discard it, or quit
//! and keep it for later.

use super::{Action, Component, Cx, Outcome};
use crate::app::draft::SavedDraft;
use crate::app::keys::{Command, Context, KeyPress};
use crate::config::diff::{canonical_text, summarize, unified};
use crate::config::model::TunnelConfig;

/// The question.
#[derive(Debug, Clone, PartialEq)]
pub struct Recover {
    /// The saved draft.
    pub saved: Box<SavedDraft>,
    /// The source's version now.
    pub current_version: Option<u64>,
    /// The diff being viewed, if any.
    pub viewing: Option<Vec<String>>,
    /// Lines scrolled in the diff.
    pub scroll: usize,
}

impl Recover {
    /// The draft's own changes (against the base it was made from, not the source as it is
    /// now, which would show other people's later work as reverted), and whether the source
    /// moved since (`now`: the source's config as read now).
    fn own_changes(&self, now: &TunnelConfig) -> Vec<String> {
        let saved = &self.saved;
        let base_name = match saved.base_version {
            Some(v) => format!("version {v} (its base)"),
            None => "its base".to_owned(),
        };
        let mut lines = vec![format!(
            "The saved draft's own changes, against {base_name}:"
        )];
        let summary = summarize(&saved.base, &saved.draft).lines();
        if summary.is_empty() {
            lines.push("  (no change to the rules)".to_owned());
        }
        lines.extend(summary.into_iter().map(|l| format!("  {l}")));
        match (saved.base_version, self.current_version) {
            (Some(was), Some(now_v)) if was != now_v => lines.push(format!(
                "The remote moved since: version {was} → {now_v}. Restoring keeps the draft on version {was}; publishing it shows version {now_v}'s changes first (rebase / overwrite / cancel)."
            )),
            (None, _) if *saved.base != *now => lines.push(
                "The file changed on disk since: saving the restored draft shows those changes first (rebase / overwrite / cancel).".to_owned(),
            ),
            _ => {}
        }
        lines.push(String::new());
        lines.extend(
            unified(
                &canonical_text(&saved.base),
                &canonical_text(&saved.draft),
                &base_name,
                "saved draft",
            )
            .lines()
            .map(str::to_owned),
        );
        lines
    }
}

impl Component for Recover {
    fn context(&self) -> Context {
        Context::Recover
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        match cx.keymap.command(Context::Recover, key) {
            Some(Command::Restore) => {
                return Outcome::CloseThen(Action::Restore(
                    std::mem::take(&mut self.saved),
                    self.current_version,
                ));
            }
            Some(Command::DiscardDraft) => return Outcome::CloseThen(Action::DiscardDraft),
            Some(Command::Quit) => return Outcome::CloseThen(Action::QuitKeepingDraft),
            Some(Command::ViewDiff) if self.viewing.is_none() => {
                self.viewing = Some(self.own_changes(cx.base));
                self.scroll = 0;
            }
            Some(Command::Down) => {
                let max = self
                    .viewing
                    .as_ref()
                    .map_or(0, |l| l.len().saturating_sub(1));
                self.scroll = (self.scroll + 1).min(max);
            }
            Some(Command::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Command::Close) => {
                self.viewing = None;
                self.scroll = 0;
            }
            _ => {}
        }
        Outcome::Stay
    }
}
