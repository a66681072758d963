//! A draft saved by an earlier session: restore it, view its diff first, discard it, or quit
//! and keep it for later.

use super::{Action, Component, Cx, Outcome};
use crate::app::draft::SavedDraft;
use crate::app::keys::{Command, Context, KeyPress};
use crate::config::diff::{canonical_text, unified};

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
                self.viewing = Some(
                    unified(
                        &canonical_text(cx.base),
                        &canonical_text(&self.saved.draft),
                        "now",
                        "saved draft",
                    )
                    .lines()
                    .map(str::to_owned)
                    .collect(),
                );
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
