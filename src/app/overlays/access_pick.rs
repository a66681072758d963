//! Choosing an Access application for the rule form's Access group: the account's applications
//! whose domain covers the rule's hostname. Choosing one fills `audTag` with its `aud` and
//! `teamName` with the organization's team; either way the form comes back as it was.

use super::{Action, Component, Cx, Outcome};
use crate::app::forms::Form;
use crate::app::keys::{Command, Context, KeyPress};

/// A form handed back through an [`Action`]. Forms hold editing state with no meaningful
/// equality, so a parked form equals only itself (the equality is for comparing actions in
/// tests).
#[derive(Debug, Clone)]
pub struct Parked(pub Box<Form>);

impl PartialEq for Parked {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// One application to choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Its name (the server's: shown through `inert`).
    pub name: String,
    /// The domain that covers the hostname.
    pub domain: String,
    /// Its audience tag.
    pub aud: String,
}

/// The list, over the form it came from.
#[derive(Debug, Clone)]
pub struct AccessPick {
    /// The form, given back on close.
    pub form: Box<Form>,
    /// The rule's hostname.
    pub hostname: String,
    /// The applications covering it.
    pub choices: Vec<Choice>,
    /// The team name from the organization (`None` when it could not be read).
    pub team: Option<String>,
    /// The selected row.
    pub selected: usize,
}

impl Component for AccessPick {
    fn context(&self) -> Context {
        Context::AccessPick
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        let last = self.choices.len().saturating_sub(1);
        match cx.keymap.command(Context::AccessPick, key) {
            Some(Command::Down) => self.selected = (self.selected + 1).min(last),
            Some(Command::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Command::Open) => {
                let mut form = self.form.clone();
                let Some(choice) = self.choices.get(self.selected) else {
                    return Outcome::CloseThen(Action::Reopen(Parked(form)));
                };
                form.fill_access(&choice.aud, self.team.as_deref(), cx.draft);
                return Outcome::CloseThen(Action::Reopen(Parked(form)));
            }
            Some(Command::Close) => {
                return Outcome::CloseThen(Action::Reopen(Parked(self.form.clone())));
            }
            _ => {}
        }
        Outcome::Stay
    }
}
