//! The remote changed since the draft's base: rebase the edits onto it, overwrite it after a
//! review, or cancel.

use super::{Action, Component, Cx, Outcome};
use crate::app::Snapshot;
use crate::app::keys::{Command, Context, KeyPress};

/// The question, with what changed remotely.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// What the remote is now.
    pub remote: Box<Snapshot>,
    /// What changed remotely since the base.
    pub lines: Vec<String>,
}

impl Component for Conflict {
    fn context(&self) -> Context {
        Context::Conflict
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        match cx.keymap.command(Context::Conflict, key) {
            Some(Command::Rebase) => {
                Outcome::CloseThen(Action::Rebase(std::mem::take(&mut self.remote)))
            }
            Some(Command::Overwrite) => {
                Outcome::CloseThen(Action::Overwrite(std::mem::take(&mut self.remote)))
            }
            Some(Command::Cancel) => Outcome::CloseThen(Action::CancelPublish),
            _ => Outcome::Stay,
        }
    }
}
