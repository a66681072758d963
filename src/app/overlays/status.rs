//! The status view of the current tunnel: its health, config version and every connector with
//! its flags (what `cfingress status` prints), read when it opens and again on request.

use super::{Action, Component, Cx, Outcome};
use crate::app::keys::{Command, Context, KeyPress};
use crate::app::rollout::TunnelStatus;

/// The view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusView {
    /// What was read (`None` while reading).
    pub status: Option<Result<TunnelStatus, String>>,
    /// Lines scrolled past.
    pub scroll: usize,
}

impl Component for StatusView {
    fn context(&self) -> Context {
        Context::Status
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        match cx.keymap.command(Context::Status, key) {
            Some(Command::Down) => self.scroll = self.scroll.saturating_add(1).min(10_000),
            Some(Command::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Command::PageDown) => {
                self.scroll = self.scroll.saturating_add(cx.page.max(1)).min(10_000);
            }
            Some(Command::PageUp) => self.scroll = self.scroll.saturating_sub(cx.page.max(1)),
            Some(Command::Retry) if self.status.is_some() => {
                self.status = None;
                return Outcome::StayThen(Action::ReadStatus);
            }
            Some(Command::Close) => return Outcome::Close,
            _ => {}
        }
        Outcome::Stay
    }
}
