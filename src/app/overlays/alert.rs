//! A notice the user must see before going on (a publish that raced someone else's, a server
//! that stored something else): it stays until closed, and the message log keeps it.

use super::{Component, Cx, Outcome};
use crate::app::keys::{Command, Context, KeyPress};

/// The notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// Its title.
    pub title: String,
    /// Its text.
    pub lines: Vec<String>,
    /// Lines scrolled.
    pub scroll: usize,
}

impl Component for Alert {
    fn context(&self) -> Context {
        Context::Alert
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        match cx.keymap.command(Context::Alert, key) {
            Some(Command::Close) => return Outcome::Close,
            Some(Command::Down) => {
                self.scroll = (self.scroll + 1).min(self.lines.len().saturating_sub(1));
            }
            Some(Command::Up) => self.scroll = self.scroll.saturating_sub(1),
            _ => {}
        }
        Outcome::Stay
    }
}
