//! The publish history (`H`): the local journal of this tunnel (or file), newest first, with the
//! versions its publishes replaced that were not published from here. Choosing an entry loads
//! its config into the draft as one undoable edit, to be reviewed and published as usual.

use super::{Action, Component, Cx, Outcome};
use crate::app::keys::{Command, Context, KeyPress};

/// One journaled publish, as the history window shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryItem {
    /// When (RFC 3339, UTC).
    pub time: String,
    /// The version it replaced.
    pub from_version: Option<u64>,
    /// The version it created.
    pub to_version: Option<u64>,
    /// `user@host`.
    pub who: String,
    /// What published it (`editor`, `apply FILE`, `rollback to version N`).
    pub via: String,
    /// The rule-level summary.
    pub summary: Vec<String>,
    /// The journal's file holding the config it published (`None`: pruned).
    pub config: Option<String>,
    /// What else to know: a publish in the gap, an altered answer, an unknown outcome.
    pub notes: Vec<String>,
}

impl HistoryItem {
    /// `version 7` or `the save of 2026-11-29T18:00:00Z`, for messages.
    pub fn label(&self) -> String {
        match self.to_version {
            Some(v) => format!("version {v}"),
            None => format!("the save of {}", crate::text::inert(&self.time)),
        }
    }
}

/// The history window.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryPane {
    /// The entries, newest first (`None` while the journal is read).
    pub items: Option<Vec<HistoryItem>>,
    /// Why the journal could not be read.
    pub error: Option<String>,
    /// The entry selected.
    pub selected: usize,
}

impl Component for HistoryPane {
    fn context(&self) -> Context {
        Context::History
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        let n = self.items.as_ref().map_or(0, Vec::len);
        let last = n.saturating_sub(1);
        let page = (cx.page / 3).max(1);
        match cx.keymap.command(Context::History, key) {
            Some(Command::Down) => self.selected = (self.selected + 1).min(last),
            Some(Command::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Command::PageDown) => self.selected = (self.selected + page).min(last),
            Some(Command::PageUp) => self.selected = self.selected.saturating_sub(page),
            Some(Command::Close) => return Outcome::Close,
            Some(Command::Open) => {
                let Some(item) = self.items.as_ref().and_then(|i| i.get(self.selected)) else {
                    return Outcome::Stay;
                };
                return match &item.config {
                    Some(_) => Outcome::CloseThen(Action::LoadFromHistory(Box::new(item.clone()))),
                    None => Outcome::StayThen(Action::Info(format!(
                        "{} is no longer kept in the journal (pruned): only its summary is",
                        item.label()
                    ))),
                };
            }
            _ => {}
        }
        Outcome::Stay
    }
}
