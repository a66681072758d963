//! The message log: every message of the session, in full, newest last.

use super::{Component, Cx, Outcome};
use crate::app::keys::{Command, Context, KeyPress};

/// The log window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Log {
    /// Lines scrolled up from the end (0: the newest messages show).
    pub back: usize,
}

impl Component for Log {
    fn context(&self) -> Context {
        Context::Messages
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        let page = cx.page.max(1);
        self.back = match cx.keymap.command(Context::Messages, key) {
            Some(Command::Up) => self.back + 1,
            Some(Command::Down) => self.back.saturating_sub(1),
            Some(Command::PageUp) => self.back + page,
            Some(Command::PageDown) => self.back.saturating_sub(page),
            Some(Command::Close) => return Outcome::Close,
            _ => self.back,
        }
        // The view clamps to what there is; this keeps the number from running away.
        .min(crate::app::messages::LOG_LIMIT * 4);
        Outcome::Stay
    }
}
