//! The publish review on screen: notes, the rule-level summary and the unified diff, scrolled;
//! the Confirm key publishes exactly what it shows, any other key goes back to editing.

use super::{Action, Component, Cx, Outcome};
use crate::app::keys::{Command, Context, KeyPress};
use crate::app::review::Review;

/// The review being read.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewPane {
    /// The computed review.
    pub review: Review,
    /// Lines scrolled in the diff.
    pub scroll: usize,
}

impl Component for ReviewPane {
    fn context(&self) -> Context {
        Context::Review
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        let max = self.review.diff.len().saturating_sub(1);
        let page = cx.page.max(1);
        self.scroll = match cx.keymap.command_or_other(Context::Review, key) {
            // An empty review offers nothing to confirm (it is not shown either).
            Some(Command::Confirm) if self.review.is_empty() => {
                return Outcome::CloseThen(Action::Info(
                    "nothing to send: the draft equals the source".to_owned(),
                ));
            }
            Some(Command::Confirm) => {
                return Outcome::CloseThen(Action::Publish(Box::new(self.review.clone())));
            }
            Some(Command::Down) => (self.scroll + 1).min(max),
            Some(Command::Up) => self.scroll.saturating_sub(1),
            Some(Command::PageDown) => (self.scroll + page).min(max),
            Some(Command::PageUp) => self.scroll.saturating_sub(page),
            _ => return Outcome::CloseThen(Action::CancelPublish),
        };
        Outcome::Stay
    }
}
