//! A yes/no question (quit, reload, publish despite warnings): the keys of the Confirm table
//! answer yes, any other key no.

use super::{Action, Ask, Component, Cx, Outcome};
use crate::app::keys::{Command, Context, KeyPress};

/// The question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// About what.
    pub ask: Ask,
    /// The text.
    pub lines: Vec<String>,
    /// What "yes" does ("quit", "reload"), for the footer.
    pub yes: &'static str,
    /// What "no" does.
    pub no: &'static str,
}

impl Component for Confirm {
    fn context(&self) -> Context {
        Context::Confirm
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        let yes = cx.keymap.command_or_other(Context::Confirm, key) == Some(Command::Yes);
        Outcome::CloseThen(Action::Answer(self.ask, yes))
    }
}
