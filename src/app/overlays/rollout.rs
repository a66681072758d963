//! The rollout panel, opened when a publish succeeds: whether the connectors run the new
//! version, updated by each background poll ([`crate::app::rollout::Watch`], held by the app so
//! polling goes on when the panel is closed). It never holds editing up: its own keys scroll
//! and close it, any other key closes it and acts on the rule table.

use super::{Action, Component, Cx, Outcome};
use crate::app::keys::{Command, Context, KeyPress};

/// The panel (what it shows is the app's `rollout`; the status view, `s`, lists every connector
/// when they do not all fit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolloutPanel;

impl Component for RolloutPanel {
    fn context(&self) -> Context {
        Context::Rollout
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        match cx.keymap.command(Context::Rollout, key) {
            Some(Command::Close) => Outcome::Close,
            _ => Outcome::CloseThen(Action::Key(key)),
        }
    }
}
