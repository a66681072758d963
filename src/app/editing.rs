//! Editing on the main screen: the rule table's commands, and edits applied to the draft as
//! undoable steps (with the checks, the row marks and the selection following each one).

use super::forms::{Applied, Form, FormTarget};
use super::history::{BaseState, Edit};
use super::keys::{self, Command, Context, KeyPress};
use super::overlays::confirm::Confirm;
use super::overlays::help::Help;
use super::overlays::log::Log;
use super::overlays::tester::Tester;
use super::{App, Ask, Effect, Overlay};
use crate::config::model::{IngressRule, RuleFields, Setting};

impl App {
    /// Applies an edit as one undoable step.
    pub fn apply(&mut self, edit: Edit) {
        if self.apply_to_draft(&edit) {
            let note = self.reveal_focus(&edit);
            self.info(format!("did: {}{note}", edit.describe()));
            self.history.push(edit);
        }
    }

    /// Applies `edit` to the draft (no history): selects what it touched, starts a new draft
    /// version and re-validates what it can affect. False when the edit changed nothing.
    pub(super) fn apply_to_draft(&mut self, edit: &Edit) -> bool {
        if let Edit::Replace {
            rebase: Some(swap), ..
        } = edit
        {
            self.set_base(&swap.onto);
        }
        if !edit.apply(&mut self.draft) {
            return false;
        }
        if let Some(f) = edit.focus() {
            self.table.select(f);
        }
        self.generation += 1;
        self.checks.after_edit(&self.draft, edit);
        self.changes.after_edit(edit, &self.base, &self.draft);
        let n = self.draft.rules().len();
        if self.table.selected >= n {
            self.table.select(n.saturating_sub(1));
        }
        self.recount();
        true
    }

    /// What the draft is based on now.
    pub(super) fn base_state(&self) -> BaseState {
        BaseState {
            config: std::sync::Arc::clone(&self.base),
            version: self.base_version,
            unpublished_new: self.unpublished_new,
        }
    }

    /// Bases the draft on `base` (a rebase, or undoing one): the warnings it already has and
    /// the row marks follow.
    pub(super) fn set_base(&mut self, base: &BaseState) {
        self.base = std::sync::Arc::clone(&base.config);
        self.base_version = base.version;
        self.unpublished_new = base.unpublished_new;
        let diags = crate::config::validate::validate(&self.base);
        self.base_warnings = std::sync::Arc::new(self.base_warning_keys(&diags));
        self.changes.reset(&self.base);
    }

    /// When the filter hides the rule an edit selected, clears the filter (an edit must never
    /// land out of sight) and says so.
    fn reveal_focus(&mut self, edit: &Edit) -> &'static str {
        if edit.focus().is_some() && !self.table.filter.is_empty() && self.current_rule().is_none()
        {
            self.table.filter.clear();
            self.table.filtering = false;
            " (the filter was cleared to show it)"
        } else {
            ""
        }
    }

    fn undo(&mut self) {
        match self.history.undo() {
            Some(e) => {
                let inverse = e.inverse();
                self.apply_to_draft(&inverse);
                let mut note = self.reveal_focus(&inverse).to_owned();
                if let Edit::Replace {
                    rebase: Some(swap), ..
                } = &e
                    && let (Some(was), Some(onto)) = (swap.from.version, swap.onto.version)
                {
                    note.push_str(&format!(
                        "; the draft is based on version {was} again, so publishing it shows version {onto}'s changes as a conflict first"
                    ));
                }
                self.info(format!("undid: {}{note}", e.describe()));
            }
            None => self.info("nothing to undo"),
        }
    }

    fn redo(&mut self) {
        match self.history.redo() {
            Some(e) => {
                self.apply_to_draft(&e);
                let note = self.reveal_focus(&e);
                self.info(format!("redid: {}{note}", e.describe()));
            }
            None => self.info("nothing to redo"),
        }
    }

    pub(super) fn catch_all_last(&self) -> bool {
        self.draft
            .rules()
            .last()
            .is_some_and(IngressRule::is_catch_all)
    }

    pub(super) fn main_key(&mut self, key: KeyPress) -> Vec<Effect> {
        // A message stays until the next key; then the status line shows the selected rule's
        // first problem again (or what this key did).
        self.messages.clear();
        if self.table.filtering {
            match self.keymap.command(Context::Filter, key) {
                Some(Command::ClearFilter) => {
                    self.table.filtering = false;
                    self.table.filter.clear();
                }
                Some(Command::KeepFilter) => self.table.filtering = false,
                _ => {
                    if key.code == keys::KeyCode::Backspace {
                        self.table.filter.pop();
                    } else if let Some(c) = key.typed() {
                        self.table.filter.push(c);
                    }
                }
            }
            self.table.follow_filter(self.draft.rules());
            return Vec::new();
        }
        match self.keymap.command(Context::Main, key) {
            Some(command) => self.main_command(command),
            None => Vec::new(),
        }
    }

    /// The selected rule, or a message saying why there is none.
    fn selected_or_say(&mut self) -> Option<usize> {
        let current = self.current_rule();
        if current.is_none() {
            if self.draft.rules().is_empty() {
                self.info(format!(
                    "there are no rules: {} adds one, {} adds the catch-all",
                    self.keymap.label(Context::Main, Command::Add, true),
                    self.keymap.label(Context::Main, Command::AddCatchAll, true)
                ));
            } else {
                self.info(format!(
                    "no rule selected: the filter shows none ({} clears it)",
                    self.keymap.label(Context::Main, Command::ClearFilter, true)
                ));
            }
        }
        current
    }

    fn main_command(&mut self, command: Command) -> Vec<Effect> {
        let n = self.draft.rules().len();
        let page = self.page() as isize;
        match command {
            Command::Down => self.table.move_by(self.draft.rules(), 1),
            Command::Up => self.table.move_by(self.draft.rules(), -1),
            Command::First => self.table.move_by(self.draft.rules(), -(n as isize)),
            Command::Last => self.table.move_by(self.draft.rules(), n as isize),
            Command::PageDown => self.table.move_by(self.draft.rules(), page),
            Command::PageUp => self.table.move_by(self.draft.rules(), -page),
            Command::Filter => self.table.filtering = true,
            Command::ClearFilter => {
                if self.table.filter_active() {
                    self.table.filter.clear();
                    self.table.filtering = false;
                    self.table.follow_filter(self.draft.rules());
                } else {
                    self.info(format!(
                        "Esc does not quit: {} quits",
                        self.keymap.label(Context::Main, Command::Quit, true)
                    ));
                }
            }
            Command::Details => {
                self.table.show_details = !self.table.show_details;
                self.table.detail_scroll = 0;
            }
            Command::DetailsDown | Command::DetailsUp if !self.table.show_details => {
                self.info(format!(
                    "the detail pane is hidden: {} shows it",
                    self.keymap.label(Context::Main, Command::Details, true)
                ));
            }
            Command::DetailsDown => {
                self.table.detail_scroll = self.table.detail_scroll.saturating_add(1).min(500);
            }
            Command::DetailsUp => {
                self.table.detail_scroll = self.table.detail_scroll.saturating_sub(1);
            }
            Command::Edit => {
                if let Some(i) = self.selected_or_say() {
                    let rule = self.draft.rules()[i].clone();
                    let form = Form::rule(&self.draft, i, false, rule)
                        .with_whole_seconds(&self.draft, !self.is_file());
                    self.overlay = Some(Overlay::from(form));
                }
            }
            Command::Add => {
                let at = match self.current_rule() {
                    _ if n == 0 => 0,
                    Some(i) if i + 1 < n || !self.catch_all_last() => i + 1,
                    _ if self.catch_all_last() => n - 1,
                    _ => n,
                };
                let form = Form::rule(&self.draft, at, true, IngressRule::default())
                    .with_whole_seconds(&self.draft, !self.is_file());
                self.overlay = Some(Overlay::from(form));
            }
            Command::Duplicate => {
                let Some(i) = self.selected_or_say() else {
                    return Vec::new();
                };
                let rule = self.draft.rules()[i].clone();
                if i + 1 == n && rule.is_catch_all() {
                    self.error("the catch-all rule cannot be duplicated: only the last rule may match every request");
                    return Vec::new();
                }
                self.apply(Edit::Insert {
                    index: i + 1,
                    rule: Box::new(rule),
                    verb: "duplicate",
                });
            }
            Command::Delete => {
                let Some(i) = self.selected_or_say() else {
                    return Vec::new();
                };
                let rule = self.draft.rules()[i].clone();
                if i + 1 == n && rule.is_catch_all() {
                    self.error("the catch-all rule cannot be deleted: cloudflared needs a last rule that matches every request");
                    return Vec::new();
                }
                self.apply(Edit::Delete {
                    index: i,
                    rule: Box::new(rule),
                });
            }
            Command::MoveRuleUp => self.move_rule(-1),
            Command::MoveRuleDown => self.move_rule(1),
            Command::AddCatchAll => {
                if self.catch_all_last() {
                    self.info("the last rule already is a catch-all");
                } else {
                    self.apply(Edit::Insert {
                        index: n,
                        rule: Box::new(IngressRule::new(RuleFields {
                            service: Setting::Set("http_status:404".to_owned()),
                            ..RuleFields::default()
                        })),
                        verb: "add",
                    });
                }
            }
            Command::Undo => self.undo(),
            Command::Redo => self.redo(),
            Command::Global => {
                let form =
                    Form::global(&self.draft).with_whole_seconds(&self.draft, !self.is_file());
                self.overlay = Some(Overlay::from(form));
            }
            Command::Warp => self.overlay = Some(Overlay::from(Form::warp(&self.draft))),
            Command::TestUrl => {
                let matcher = self.matcher();
                self.overlay = Some(Overlay::from(Tester::new(matcher)));
            }
            Command::Reload => {
                if self.is_modified() {
                    self.overlay = Some(Overlay::from(Confirm {
                        ask: Ask::Reload,
                        lines: vec![
                            format!(
                                "You have {} un{} change(s).",
                                self.change_count(),
                                self.verb_ed()
                            ),
                            "Reload from the source and lose them?".to_owned(),
                        ],
                        yes: "reload",
                        no: "keep editing",
                    }));
                } else {
                    return self.reload_effects();
                }
            }
            Command::Publish => return self.publish_start(),
            Command::RefreshDns => return self.refresh_dns(),
            Command::Messages => self.overlay = Some(Overlay::from(Log::default())),
            Command::History => {
                self.overlay = Some(Overlay::from(
                    super::overlays::history::HistoryPane::default(),
                ));
                return vec![Effect::ReadHistory {
                    remote: self.remote_ids(),
                }];
            }
            Command::Status => return self.open_status(),
            Command::Help => self.overlay = Some(Overlay::from(Help::default())),
            Command::Quit => return self.ask_quit(),
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn ask_quit(&mut self) -> Vec<Effect> {
        if self.is_modified() {
            self.overlay = Some(Overlay::from(Confirm {
                ask: Ask::Quit,
                lines: vec![
                    format!(
                        "You have {} un{} change(s){}.",
                        self.change_count(),
                        self.verb_ed(),
                        if self.unpublished_new {
                            format!(" and a new config not yet {}", self.verb_ed())
                        } else {
                            String::new()
                        }
                    ),
                    match &self.lock_lost {
                        Some(lost) => format!("{}. Quit?", capitalised_first(lost)),
                        None => "Quit and lose them?".to_owned(),
                    },
                ],
                yes: "quit",
                no: "keep editing",
            }));
            Vec::new()
        } else {
            self.quit = true;
            vec![Effect::Quit]
        }
    }

    fn move_rule(&mut self, delta: isize) {
        let Some(i) = self.selected_or_say() else {
            return;
        };
        let n = self.draft.rules().len();
        let catch_all_last = self.catch_all_last();
        if catch_all_last && i + 1 == n {
            self.error("the catch-all rule stays last");
            return;
        }
        let to = i as isize + delta;
        let limit = if catch_all_last {
            n as isize - 2
        } else {
            n as isize - 1
        };
        if to < 0 || to > limit {
            self.info(if delta < 0 {
                "already the first rule"
            } else {
                "already just above the catch-all"
            });
            return;
        }
        let rule = Box::new(self.draft.rules()[i].clone());
        self.apply(Edit::Move {
            from: i,
            to: to as usize,
            rule,
        });
    }

    pub(super) fn apply_form(&mut self, target: &FormTarget, applied: Applied) {
        match (target, applied) {
            (
                FormTarget::Rule {
                    index,
                    insert,
                    original,
                },
                Applied::Rule(rule),
            ) => {
                if *insert {
                    self.apply(Edit::Insert {
                        index: *index,
                        rule,
                        verb: "add",
                    });
                } else if *rule != **original {
                    self.apply(Edit::SetRule {
                        index: *index,
                        before: original.clone(),
                        after: rule,
                    });
                } else {
                    self.info("no change");
                }
            }
            (FormTarget::Global { original }, Applied::Global(g)) => {
                if *g != **original {
                    self.apply(Edit::SetGlobal {
                        before: original.clone(),
                        after: g,
                    });
                } else {
                    self.info("no change");
                }
            }
            (FormTarget::Warp { original }, Applied::Warp(w)) => {
                if w != *original {
                    self.apply(Edit::SetWarp {
                        before: original.clone(),
                        after: w,
                    });
                } else {
                    self.info("no change");
                }
            }
            _ => {}
        }
    }
}

/// `s` with its first letter upper-case.
fn capitalised_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
