//! Another editor holds this tunnel (or file): view it read-only, take over, or quit.

use super::{Action, Component, Cx, Outcome};
use crate::app::keys::{Command, Context, KeyPress};

/// The question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    /// Who holds it: `pid 4242 on web1 (oncall) since …`.
    pub holder: String,
}

impl Component for Locked {
    fn context(&self) -> Context {
        Context::Locked
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        match cx.keymap.command(Context::Locked, key) {
            Some(Command::ReadOnly) => Outcome::CloseThen(Action::ReadOnly(self.holder.clone())),
            Some(Command::TakeOver) => Outcome::CloseThen(Action::TakeOver),
            Some(Command::Quit) => Outcome::CloseThen(Action::QuitKeepingDraft),
            _ => Outcome::Stay,
        }
    }
}
