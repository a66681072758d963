//! Waiting for background work (checking the source, preparing the review, publishing,
//! reloading), with the time waited so far; Esc cancels what can still be cancelled.

use jiff::Timestamp;

use super::{Action, Component, Cx, Outcome};
use crate::app::keys::{Command, Context, KeyPress};

/// What is awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The source is read again before publishing (cancellable: nothing was sent).
    Checking,
    /// The review is computed (cancellable); the answer carries this ticket.
    Preparing(u64),
    /// The config was sent: its answer must be awaited.
    Publishing,
    /// The source is read again to replace the draft.
    Reloading,
    /// The DNS changes chosen in the review are made (after the publish): awaited.
    Dns,
}

/// The wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// What is awaited.
    pub wait: Wait,
    /// What the screen says.
    pub what: String,
    /// When the wait began (when the clock was known).
    pub since: Option<Timestamp>,
}

impl Progress {
    /// Whether Esc may abandon it.
    pub fn cancellable(&self) -> bool {
        matches!(self.wait, Wait::Checking | Wait::Preparing(_))
    }
}

impl Component for Progress {
    fn context(&self) -> Context {
        Context::Progress
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        match cx.keymap.command(Context::Progress, key) {
            Some(Command::Cancel) if self.cancellable() => {
                Outcome::CloseThen(Action::CancelPublish)
            }
            Some(Command::Cancel) => Outcome::StayThen(Action::Info(
                "this cannot be cancelled any more: its answer is awaited".to_owned(),
            )),
            // What was sent (a config, DNS changes) cannot be called back: quit once its outcome
            // is known and said.
            Some(Command::Quit) if matches!(self.wait, Wait::Publishing | Wait::Dns) => {
                Outcome::StayThen(Action::QuitWhenPublished)
            }
            Some(Command::Quit) => Outcome::StayThen(Action::Quit),
            _ => Outcome::Stay,
        }
    }
}
