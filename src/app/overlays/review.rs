//! The publish review on screen: notes, the rule-level summary, the DNS section (each change
//! with a toggle) and the unified diff, scrolled; the Confirm key publishes exactly what it
//! shows (then makes the DNS changes that are on), any other key goes back to editing.

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
    /// The DNS change the toggle key flips.
    pub dns_cursor: usize,
}

impl ReviewPane {
    /// A review, scrolled to the top, the first DNS change selected.
    pub fn new(review: Review) -> Self {
        ReviewPane {
            review,
            scroll: 0,
            dns_cursor: 0,
        }
    }

    fn dns_len(&self) -> usize {
        self.review.dns.as_ref().map_or(0, |d| d.changes.len())
    }
}

impl Component for ReviewPane {
    fn context(&self) -> Context {
        Context::Review
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        let max = self.review.diff.len().saturating_sub(1);
        let page = cx.page.max(1);
        // Without DNS changes the DNS keys are not shown, and act as any other key.
        let n = self.dns_len();
        self.scroll = match cx.keymap.command_or_other(Context::Review, key) {
            // An empty review offers nothing to confirm (it is not shown either).
            Some(Command::Confirm) if self.review.is_empty() => {
                return Outcome::CloseThen(Action::Info(
                    "nothing to send: the draft equals the source".to_owned(),
                ));
            }
            Some(Command::Confirm) => {
                if self.review.dns_only {
                    let dns = self
                        .review
                        .dns
                        .as_ref()
                        .map(|d| d.chosen())
                        .unwrap_or_default();
                    return Outcome::CloseThen(Action::SyncDns(dns));
                }
                return Outcome::CloseThen(Action::Publish(Box::new(self.review.clone())));
            }
            Some(Command::NextItem) if n > 0 => {
                self.dns_cursor = (self.dns_cursor + 1) % n;
                self.scroll
            }
            Some(Command::PrevItem) if n > 0 => {
                self.dns_cursor = (self.dns_cursor + n - 1) % n;
                self.scroll
            }
            Some(Command::Toggle) if n > 0 => {
                if let Some(c) = self
                    .review
                    .dns
                    .as_mut()
                    .and_then(|d| d.changes.get_mut(self.dns_cursor))
                {
                    c.on = !c.on;
                }
                self.scroll
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
