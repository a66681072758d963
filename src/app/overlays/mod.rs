//! The windows over the main screen. Each is a component in its own file: its state, its keys
//! (looked up in its context's table of [`super::keys`]) and what it asks the app to do when it
//! closes ([`Action`]); its drawing lives in `tui/view/`. Adding one touches its own file, one
//! line of [`overlays!`] below and one arm of the view's `draw_overlay`.

pub mod access_pick;
pub mod alert;
pub mod confirm;
pub mod conflict;
pub mod help;
pub mod history;
pub mod locked;
pub mod log;
pub mod progress;
pub mod rebase;
pub mod recover;
pub mod review;
pub mod rollout;
pub mod status;
pub mod tester;

use super::Snapshot;
use super::draft::SavedDraft;
use super::forms::{Applied, Form, FormTarget};
use super::keys::{Context, KeyPress, Keymap};
use super::rebase::Rebased;
use super::review::Review;
use crate::config::model::TunnelConfig;

/// What an overlay may read while it handles a key.
#[derive(Debug, Clone, Copy)]
pub struct Cx<'a> {
    /// The bindings in force.
    pub keymap: &'a Keymap,
    /// The draft.
    pub draft: &'a TunnelConfig,
    /// The config the draft started from.
    pub base: &'a TunnelConfig,
    /// Rows in a page of the main table (for page keys).
    pub page: usize,
}

/// What a yes/no question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Quit with unpublished edits.
    Quit,
    /// Reload with unpublished edits.
    Reload,
    /// Publish despite warnings.
    Warnings,
}

/// What an overlay asks the app to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Show a message.
    Info(String),
    /// Apply a form as one edit.
    ApplyForm(FormTarget, Applied),
    /// The URL tester's match changed (the rule to highlight and select).
    Tested(Option<usize>),
    /// A question was answered.
    Answer(Ask, bool),
    /// Replay the edits onto this remote state.
    Rebase(Box<Snapshot>),
    /// The rebase's conflicts are settled: finish it.
    ResolveRebase(Box<Rebased>, Box<Snapshot>),
    /// Replace this remote state after a review.
    Overwrite(Box<Snapshot>),
    /// Send exactly what the review showed (then make the DNS changes toggled on in it).
    Publish(Box<Review>),
    /// Make these DNS changes (a review of DNS alone: the config is unchanged).
    SyncDns(Vec<crate::dns::Change>),
    /// Quit as soon as the publish under way has an outcome (it cannot be called back).
    QuitWhenPublished,
    /// View the config read-only: another editor (this one) holds it.
    ReadOnly(String),
    /// Take the tunnel (or file) over from the editor that holds it.
    TakeOver,
    /// Load the config a journaled publish published into the draft.
    LoadFromHistory(Box<history::HistoryItem>),
    /// The publish was abandoned before anything was sent.
    CancelPublish,
    /// Restore a saved draft.
    Restore(Box<SavedDraft>, Option<u64>),
    /// Discard the saved draft.
    DiscardDraft,
    /// Quit (asking when edits are unpublished).
    Quit,
    /// Quit now and keep the saved draft for a later session.
    QuitKeepingDraft,
    /// Handle this key on the main screen (an overlay that never holds editing up closed).
    Key(KeyPress),
    /// Read the tunnel's status again.
    ReadStatus,
    /// List the Access applications covering this hostname (the open form asked).
    PickAccess(String),
    /// Open this form again (back from the Access application list).
    Reopen(access_pick::Parked),
}

/// What a key did to an overlay.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It stays open.
    Stay,
    /// It stays open, and the app acts.
    StayThen(Action),
    /// It closes.
    Close,
    /// It closes, and the app acts.
    CloseThen(Action),
}

/// An overlay's behaviour.
pub trait Component {
    /// The binding table its keys are looked up in.
    fn context(&self) -> Context;
    /// Handles a key.
    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome;
    /// Handles pasted text (ignored unless the overlay takes text).
    fn paste(&mut self, _text: &str, _cx: &Cx<'_>) -> Outcome {
        Outcome::Stay
    }
}

macro_rules! overlays {
    ($($(#[doc = $doc:literal])* $variant:ident($ty:ty),)*) => {
        /// A window over the main screen (one at a time).
        #[derive(Debug, Clone)]
        pub enum Overlay {
            $($(#[doc = $doc])* $variant(Box<$ty>),)*
        }

        impl Component for Overlay {
            fn context(&self) -> Context {
                match self {
                    $(Overlay::$variant(o) => Component::context(&**o),)*
                }
            }
            fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
                match self {
                    $(Overlay::$variant(o) => Component::key(&mut **o, key, cx),)*
                }
            }
            fn paste(&mut self, text: &str, cx: &Cx<'_>) -> Outcome {
                match self {
                    $(Overlay::$variant(o) => Component::paste(&mut **o, text, cx),)*
                }
            }
        }

        $(impl From<$ty> for Overlay {
            fn from(o: $ty) -> Self {
                Overlay::$variant(Box::new(o))
            }
        })*
    };
}

overlays! {
    /// The key help.
    Help(help::Help),
    /// A form.
    Form(Form),
    /// The URL tester.
    Tester(tester::Tester),
    /// A yes/no question.
    Confirm(confirm::Confirm),
    /// The remote changed since the draft's base.
    Conflict(conflict::Conflict),
    /// The publish review.
    Review(review::ReviewPane),
    /// Settling a rebase's conflicts, rule by rule.
    Rebase(rebase::RebasePane),
    /// Something the user must see (a publish that raced another), until a key is pressed.
    Alert(alert::Alert),
    /// The publish history.
    History(history::HistoryPane),
    /// Another editor holds the tunnel or file.
    Locked(locked::Locked),
    /// Waiting for background work.
    Progress(progress::Progress),
    /// A draft from an earlier session.
    Recover(recover::Recover),
    /// The session's messages.
    Log(log::Log),
    /// The rollout of the last publish.
    Rollout(rollout::RolloutPanel),
    /// The tunnel's status.
    Status(status::StatusView),
    /// Choosing an Access application for the rule form.
    AccessPick(access_pick::AccessPick),
}
