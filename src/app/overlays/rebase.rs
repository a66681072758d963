//! Settling a rebase's conflicts: each rule (or setting) that both sides changed, with their
//! change and mine; the user keeps theirs or mine per conflict, then the rebase finishes.

use super::{Action, Component, Cx, Outcome};
use crate::app::Snapshot;
use crate::app::keys::{Command, Context, KeyPress};
use crate::app::rebase::Rebased;

/// The conflicts being settled.
#[derive(Debug, Clone, PartialEq)]
pub struct RebasePane {
    /// The rebase worked out, with the choices so far.
    pub rebased: Box<Rebased>,
    /// What the draft is rebased onto.
    pub remote: Box<Snapshot>,
    /// The conflict selected.
    pub selected: usize,
    /// Lines scrolled, so the selected conflict shows.
    pub scroll: usize,
}

impl Component for RebasePane {
    fn context(&self) -> Context {
        Context::Rebase
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        let n = self.rebased.conflicts.len();
        let i = self.selected.min(n.saturating_sub(1));
        match cx.keymap.command(Context::Rebase, key) {
            Some(Command::Down) => self.selected = (i + 1).min(n.saturating_sub(1)),
            Some(Command::Up) => self.selected = i.saturating_sub(1),
            Some(Command::KeepTheirs) => self.choose(i, false),
            Some(Command::KeepMine) => self.choose(i, true),
            Some(Command::Toggle) => {
                let mine = self.rebased.conflicts.get(i).is_some_and(|c| c.keep_mine);
                self.choose(i, !mine);
            }
            Some(Command::Apply) => {
                return Outcome::CloseThen(Action::ResolveRebase(
                    std::mem::take(&mut self.rebased),
                    std::mem::take(&mut self.remote),
                ));
            }
            Some(Command::Cancel) => {
                return Outcome::CloseThen(Action::Info(
                    "rebase cancelled: nothing was sent, and your draft is unchanged".to_owned(),
                ));
            }
            _ => {}
        }
        Outcome::Stay
    }
}

impl RebasePane {
    /// Sets conflict `i`'s choice and moves on to the next one.
    fn choose(&mut self, i: usize, mine: bool) {
        if let Some(c) = self.rebased.conflicts.get_mut(i) {
            c.keep_mine = mine;
        }
        self.selected = (i + 1).min(self.rebased.conflicts.len().saturating_sub(1));
    }
}
