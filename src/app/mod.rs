//! The editor as a pure state machine: `App::update(Event) -> Vec<Effect>`. Keys and the results of
//! background work come in as events; whatever needs the network or the disk goes out as effects,
//! which the terminal layer runs and answers with events. No terminal and no network here.

pub mod draft;
pub mod forms;
pub mod history;
pub mod review;

use std::path::PathBuf;
use std::sync::Arc;

use ratatui_textarea::{Input, Key, TextArea};

use crate::api::{Account, Tunnel};
use crate::config::diff::{canonical_text, rule_label, summarize, unified};
use crate::config::files::Format;
use crate::config::matching::Matcher;
use crate::config::model::{IngressRule, TunnelConfig};
use crate::config::validate::{
    CrossTables, Diagnostic, Severity, cross_related, cross_rule_diagnostics,
    cross_rule_diagnostics_of, global_diagnostics, mentions_position, rule_alias, validate_rule,
};
use draft::SavedDraft;
use forms::{Applied, Form, FormOutcome, FormTarget};
use history::{Edit, History};
use review::{Review, ReviewRequest};

/// Where the config being edited lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// A tunnel's remote configuration.
    Remote {
        /// Account id.
        account_id: String,
        /// Account name (for the header).
        account_name: String,
        /// Tunnel id.
        tunnel_id: String,
        /// Tunnel name.
        tunnel_name: String,
    },
    /// A local file.
    File {
        /// The file.
        path: PathBuf,
        /// Its format.
        format: Format,
        /// Whether it has YAML comments (which writing drops).
        has_comments: bool,
    },
}

/// A config as read (remote or file), with its version.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The remote version (`None` for a file).
    pub version: Option<u64>,
    /// The config; `None` when the tunnel has no config yet.
    pub config: Option<TunnelConfig>,
    /// For a file: whether it has comments.
    pub has_comments: bool,
    /// A draft saved by an earlier session for the same tunnel or file.
    pub saved: Option<Box<SavedDraft>>,
}

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A key.
    Key(Input),
    /// The terminal size.
    Resize(u16, u16),
    /// Pasted text.
    Paste(String),
    /// Accounts listed.
    Accounts(Result<Vec<Account>, String>),
    /// Tunnels listed.
    Tunnels(Result<Vec<Tunnel>, String>),
    /// The config to edit was read.
    Loaded(Result<Snapshot, String>),
    /// The current remote (or file) state, read before publishing.
    Current(Result<Snapshot, String>),
    /// The publish finished: the new version (remote) or a message (file).
    Published(Result<Published, String>),
    /// The publish review asked for by [`Effect::Review`] is ready.
    Reviewed(Box<Review>),
}

/// A successful publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The version the server returned.
    pub version: Option<u64>,
    /// What to tell the user.
    pub message: String,
}

/// Work for the terminal layer.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// List accounts.
    ListAccounts,
    /// List an account's tunnels.
    ListTunnels {
        /// Account.
        account: String,
    },
    /// Read a tunnel's config.
    LoadRemote {
        /// Account.
        account: String,
        /// Tunnel.
        tunnel: String,
    },
    /// Read the file.
    LoadFile,
    /// Read the current remote config (before publishing).
    FetchRemote {
        /// Account.
        account: String,
        /// Tunnel.
        tunnel: String,
    },
    /// Read the file again (before writing it).
    FetchFile,
    /// PUT the config.
    PublishRemote {
        /// Account.
        account: String,
        /// Tunnel.
        tunnel: String,
        /// The config.
        config: Box<TunnelConfig>,
        /// The version it is based on.
        base_version: u64,
    },
    /// Write the file (atomically, keeping a .bak).
    WriteFile {
        /// The config.
        config: Box<TunnelConfig>,
    },
    /// Compute the publish review (in the background: it is slow for large configs) and answer
    /// with [`Event::Reviewed`].
    Review(Box<ReviewRequest>),
    /// Remove the saved draft (published, discarded, or deliberately abandoned).
    DeleteDraft,
    /// Leave.
    Quit,
}

/// A line for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The text.
    pub text: String,
    /// Whether it reports a failure.
    pub error: bool,
}

/// A list to pick from (accounts, tunnels).
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    /// Rows: id and columns.
    pub items: Vec<(String, Vec<String>)>,
    /// Column headings.
    pub headings: Vec<&'static str>,
    /// Filter text.
    pub filter: String,
    /// Typing into the filter.
    pub filtering: bool,
    /// Selected row among the visible ones.
    pub selected: usize,
}

impl Picker {
    /// Rows matching the filter.
    pub fn visible(&self) -> Vec<usize> {
        let f = self.filter.to_lowercase();
        (0..self.items.len())
            .filter(|&i| {
                f.is_empty()
                    || self.items[i]
                        .1
                        .iter()
                        .any(|c| c.to_lowercase().contains(&f))
                    || self.items[i].0.contains(&f)
            })
            .collect()
    }
}

/// The main modes.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Waiting for something.
    Loading(String),
    /// Choosing an account.
    PickAccount(Picker),
    /// Choosing a tunnel.
    PickTunnel(Picker),
    /// Editing.
    Editing,
    /// Loading failed.
    Failed(String),
}

/// What a confirmation is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Quit with unpublished edits.
    Quit,
    /// Reload with unpublished edits.
    Reload,
    /// Publish despite warnings.
    Warnings,
}

/// A window over the main screen.
#[derive(Debug, Clone)]
pub enum Overlay {
    /// The key help.
    Help {
        /// Scroll offset.
        scroll: usize,
    },
    /// A form.
    Form(Box<Form>),
    /// The URL tester.
    Tester {
        /// The URL typed.
        input: Box<TextArea<'static>>,
        /// The rule it matches, or why not.
        result: Option<Result<usize, String>>,
    },
    /// A yes/no question.
    Confirm {
        /// About what.
        ask: Ask,
        /// The text.
        lines: Vec<String>,
    },
    /// The remote changed since the draft's base.
    Conflict {
        /// What the remote is now.
        remote: Box<Snapshot>,
        /// What changed remotely since the base.
        lines: Vec<String>,
    },
    /// The confirmation diff.
    Review {
        /// What will be published.
        target: Box<TunnelConfig>,
        /// The version it replaces (remote).
        replaces: Option<u64>,
        /// Rule-level summary.
        summary: Vec<String>,
        /// Unified diff lines.
        diff: Vec<String>,
        /// Notes (rebase results, dropped comments, overwrite).
        notes: Vec<String>,
        /// Scroll offset in the diff.
        scroll: usize,
    },
    /// Background work.
    Busy(String),
    /// Waiting for the publish review to be computed (Esc cancels).
    Preparing {
        /// The request awaited.
        ticket: u64,
    },
    /// A draft from an earlier session: restore, view, or discard.
    Recover {
        /// The saved draft.
        saved: Box<SavedDraft>,
        /// The source's version now.
        current_version: Option<u64>,
        /// The diff being viewed, if any.
        viewing: Option<Vec<String>>,
        /// Scroll in the diff.
        scroll: usize,
    },
}

/// The editor state.
#[derive(Debug, Clone)]
pub struct App {
    /// Where the config lives (None until a tunnel is chosen).
    pub origin: Option<Origin>,
    /// The main mode.
    pub mode: Mode,
    /// The overlay, if any.
    pub overlay: Option<Overlay>,
    /// The config the draft started from.
    /// (Shared: a draft save takes it without copying.)
    pub base: Arc<TunnelConfig>,
    /// The remote version the draft started from.
    pub base_version: Option<u64>,
    /// Whether the remote had no config (the draft is new, not yet published).
    pub unpublished_new: bool,
    /// The draft.
    pub draft: TunnelConfig,
    /// Undo/redo.
    pub history: History,
    /// Diagnostics of the draft.
    pub diagnostics: Vec<Diagnostic>,
    /// Per rule: (errors, warnings).
    pub rule_counts: Vec<(u32, u32)>,
    /// Selected rule (index into the rules).
    pub selected: usize,
    /// Row filter.
    pub filter: String,
    /// Typing into the filter.
    pub filtering: bool,
    /// The status line.
    pub status: Option<Status>,
    /// Terminal size.
    pub size: (u16, u16),
    /// Rule highlighted by the URL tester.
    pub tester_match: Option<usize>,
    /// The URL tester's index of the draft, rebuilt only when the draft changed.
    matcher: Option<(u64, std::sync::Arc<Matcher>)>,
    /// First visible row of the table (position among the visible rules): it scrolls only when
    /// the selection would leave the window, so a move redraws two rows, not the whole table.
    pub table_offset: usize,
    /// Whether the detail pane (the selected rule's effective settings) is shown. Off by
    /// default: with it, every move rewrites a dozen lines, which is slow over thin SSH links.
    pub show_details: bool,
    /// Why drafts cannot be saved (the state folder was refused), or `None` when they are: shown
    /// when the config loads and in the header, so nobody relies on a draft that is not there.
    pub drafts_off: Option<String>,
    /// Whether to leave.
    pub quit: bool,
    /// The accounts listed (to name the account in the header).
    accounts: Vec<Account>,
    /// Bumped on every change to the draft, so the terminal layer knows when to save it.
    pub generation: u64,
    /// Each rule's own diagnostics, kept so an edit re-checks only the rules it touches.
    rule_diags: Vec<Vec<Diagnostic>>,
    /// Numbers review requests, so a late answer to a cancelled one is dropped.
    review_ticket: u64,
    /// Scratch tables of the cross-rule checks, kept between edits.
    cross_tables: CrossTables,
    /// Each rule's diagnostics from the checks that compare rules.
    rule_cross: Vec<Vec<Diagnostic>>,
    /// Each rule's punycode alias (for those checks).
    aliases: Vec<Option<String>>,
}

fn ctrl(input: &Input, c: char) -> bool {
    input.ctrl && input.key == Key::Char(c)
}

/// A key typed into a row filter: Esc clears it, Enter keeps it, Backspace and characters edit
/// it. Returns whether a character was added.
fn edit_filter(filtering: &mut bool, filter: &mut String, input: &Input) -> bool {
    match input.key {
        Key::Esc => {
            *filtering = false;
            filter.clear();
        }
        Key::Enter => *filtering = false,
        Key::Backspace => {
            filter.pop();
        }
        Key::Char(c) if !input.ctrl => {
            filter.push(c);
            return true;
        }
        _ => {}
    }
    false
}

fn plain(input: &Input, c: char) -> bool {
    !input.ctrl && !input.alt && input.key == Key::Char(c)
}

impl App {
    /// An editor for a remote tunnel (ids may be missing: pickers ask).
    pub fn remote(account: Option<String>, tunnel: Option<String>) -> (Self, Vec<Effect>) {
        let mut app = App::empty();
        let effects = match (account, tunnel) {
            (Some(a), Some(t)) => {
                app.origin = Some(Origin::Remote {
                    account_id: a.clone(),
                    account_name: String::new(),
                    tunnel_id: t.clone(),
                    tunnel_name: t.clone(),
                });
                app.mode = Mode::Loading(format!("reading the config of tunnel {t}…"));
                vec![Effect::LoadRemote {
                    account: a,
                    tunnel: t,
                }]
            }
            (Some(a), None) => {
                app.mode = Mode::Loading("listing tunnels…".to_owned());
                app.accounts = vec![Account {
                    id: a.clone(),
                    name: String::new(),
                }];
                vec![Effect::ListTunnels { account: a }]
            }
            (None, _) => {
                app.mode = Mode::Loading("listing accounts…".to_owned());
                vec![Effect::ListAccounts]
            }
        };
        (app, effects)
    }

    /// An editor for a local file.
    pub fn file(path: PathBuf, format: Format) -> (Self, Vec<Effect>) {
        let mut app = App::empty();
        app.mode = Mode::Loading(format!("reading {}…", path.display()));
        app.origin = Some(Origin::File {
            path,
            format,
            has_comments: false,
        });
        (app, vec![Effect::LoadFile])
    }

    fn empty() -> Self {
        App {
            origin: None,
            mode: Mode::Loading(String::new()),
            overlay: None,
            base: Arc::default(),
            base_version: None,
            unpublished_new: false,
            draft: TunnelConfig::default(),
            history: History::default(),
            diagnostics: Vec::new(),
            rule_counts: Vec::new(),
            selected: 0,
            filter: String::new(),
            filtering: false,
            status: None,
            size: (80, 24),
            tester_match: None,
            matcher: None,
            table_offset: 0,
            show_details: false,
            drafts_off: None,
            quit: false,
            accounts: Vec::new(),
            generation: 0,
            rule_diags: Vec::new(),
            review_ticket: 0,
            cross_tables: CrossTables::default(),
            rule_cross: Vec::new(),
            aliases: Vec::new(),
        }
    }

    /// Whether there is work that publishing would save.
    pub fn is_modified(&self) -> bool {
        !self.history.is_empty() || self.unpublished_new
    }

    /// Errors and warnings of the whole draft.
    pub fn counts(&self) -> (usize, usize) {
        let e = self.diagnostics.iter().filter(|d| d.is_error()).count();
        (e, self.diagnostics.len() - e)
    }

    /// Rules shown (filtered).
    pub fn visible_rules(&self) -> Vec<usize> {
        let rules = self.draft.rules();
        if self.filter.is_empty() {
            return (0..rules.len()).collect();
        }
        let f = self.filter.to_lowercase();
        (0..rules.len())
            .filter(|&i| {
                let r = &rules[i];
                [r.hostname.as_str(), r.path.as_str(), r.service.as_str()]
                    .iter()
                    .any(|s| s.to_lowercase().contains(&f))
            })
            .collect()
    }

    /// Height of the detail pane under the table (0 when hidden), as the view lays it out.
    pub fn detail_rows(&self) -> u16 {
        match (self.show_details, self.size.1 >= 30) {
            (false, _) => 0,
            (true, true) => 12,
            (true, false) => 8,
        }
    }

    /// Rows per page in the table (as the view lays it out).
    pub fn page(&self) -> usize {
        let h = usize::from(self.size.1);
        h.saturating_sub(1 + usize::from(self.detail_rows()) + 2 + 3)
            .max(1)
    }

    fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }

    fn rule_check(&self, i: usize) -> Vec<Diagnostic> {
        let rules = self.draft.rules();
        rules
            .get(i)
            .map(|r| validate_rule(i, r, rules.len(), self.draft.global()))
            .unwrap_or_default()
    }

    /// Re-checks every rule (after a load, a rebase or a change to the global settings).
    fn revalidate(&mut self) {
        let n = self.draft.rules().len();
        self.rule_diags = (0..n).map(|i| self.rule_check(i)).collect();
        self.recheck_all_cross();
        self.assemble();
    }

    /// The cross-rule checks over every rule (one pass).
    fn recheck_all_cross(&mut self) {
        let n = self.draft.rules().len();
        let mut cross = vec![Vec::new(); n];
        for d in cross_rule_diagnostics(self.draft.rules(), &mut self.cross_tables) {
            if let Some(list) = d.rule.and_then(|i| cross.get_mut(i)) {
                list.push(d);
            }
        }
        self.rule_cross = cross;
        self.aliases = self.cross_tables.take_aliases();
        self.aliases.resize(n, None);
    }

    /// Re-checks only what `edit` can affect: the rules it changed, rules whose messages name
    /// their position, the first and last rules (the catch-all checks), and for the checks that
    /// compare rules, the rules related to the changed ones by name plus those already warned.
    fn revalidate_after(&mut self, edit: &Edit) {
        let n = self.draft.rules().len();
        let old_last = self.rule_diags.len().checked_sub(1);
        let mut dirty: Vec<usize> = Vec::new();
        // Rules whose names changed (old and new versions), for the cross-rule checks.
        let mut touched: Vec<&IngressRule> = Vec::new();
        let shifted = match edit {
            Edit::SetRule {
                index,
                before,
                after,
            } if *index < self.rule_diags.len() => {
                dirty.push(*index);
                if before.hostname != after.hostname || before.path != after.path {
                    touched.extend([&**before, &**after]);
                    self.aliases[*index] = rule_alias(after);
                }
                true
            }
            Edit::Insert { index, rule, .. } if *index <= self.rule_diags.len() => {
                self.rule_diags.insert(*index, Vec::new());
                self.rule_cross.insert(*index, Vec::new());
                self.aliases.insert(*index, rule_alias(rule));
                dirty.push(*index);
                touched.push(rule);
                true
            }
            Edit::Delete { index, rule } if *index < self.rule_diags.len() => {
                self.rule_diags.remove(*index);
                self.rule_cross.remove(*index);
                self.aliases.remove(*index);
                touched.push(rule);
                true
            }
            Edit::Move { from, to, rule }
                if *from < self.rule_diags.len() && *to < self.rule_diags.len() =>
            {
                let d = self.rule_diags.remove(*from);
                self.rule_diags.insert(*to, d);
                let c = self.rule_cross.remove(*from);
                self.rule_cross.insert(*to, c);
                let a = self.aliases.remove(*from);
                self.aliases.insert(*to, a);
                touched.push(rule);
                true
            }
            Edit::SetWarp { .. } => true,
            _ => false,
        };
        if !shifted
            || self.rule_diags.len() != n
            || self.rule_cross.len() != n
            || self.aliases.len() != n
        {
            self.revalidate();
            return;
        }
        for (i, diags) in self.rule_diags.iter_mut().enumerate() {
            for d in diags.iter_mut() {
                if d.rule != Some(i) {
                    d.rule = Some(i);
                }
            }
        }
        for (i, diags) in self.rule_diags.iter().enumerate() {
            if mentions_position(diags) {
                dirty.push(i);
            }
        }
        dirty.extend(old_last);
        dirty.extend(n.checked_sub(1));
        dirty.extend(n.checked_sub(2));
        dirty.sort_unstable();
        dirty.dedup();
        for i in dirty {
            if i < n {
                self.rule_diags[i] = self.rule_check(i);
            }
        }
        if !touched.is_empty() {
            self.recheck_cross(&touched, edit.focus());
        }
        self.assemble();
    }

    /// Re-checks the cross-rule diagnostics an edit of `touched` rules can change: the edited
    /// rule, rules related to it by name (see [`cross_related`]), and every rule already warned
    /// (its message names a rule number, which may have moved). Falls back to a whole pass when
    /// that is most of the config.
    fn recheck_cross(&mut self, touched: &[&IngressRule], at: Option<usize>) {
        let rules = self.draft.rules();
        let touched: Vec<(&IngressRule, Option<String>)> =
            touched.iter().map(|t| (*t, rule_alias(t))).collect();
        let mut again: Vec<usize> = at.into_iter().collect();
        for (i, rule) in rules.iter().enumerate() {
            let alias = self.aliases.get(i).and_then(Option::as_deref);
            if !self.rule_cross[i].is_empty()
                || touched
                    .iter()
                    .any(|(t, t_alias)| cross_related(rule, alias, t, t_alias.as_deref()))
            {
                again.push(i);
            }
        }
        again.sort_unstable();
        again.dedup();
        if again.len() > 64 {
            self.recheck_all_cross();
            return;
        }
        for i in again {
            if i < rules.len() {
                self.rule_cross[i] = cross_rule_diagnostics_of(rules, &self.aliases, i);
            }
        }
    }

    /// Puts the diagnostics together in [`crate::config::validate::validate`]'s order.
    fn assemble(&mut self) {
        let mut all = global_diagnostics(&self.draft);
        // Reuse the counts' memory: a fresh 10 000-entry vector per edit costs page faults.
        let mut counts = std::mem::take(&mut self.rule_counts);
        counts.clear();
        counts.resize(self.rule_diags.len(), (0, 0));
        for (i, (own, cross)) in self.rule_diags.iter().zip(&self.rule_cross).enumerate() {
            for d in own.iter().chain(cross) {
                if d.severity == Severity::Error {
                    counts[i].0 += 1;
                } else {
                    counts[i].1 += 1;
                }
                all.push(d.clone());
            }
        }
        self.diagnostics = all;
        self.rule_counts = counts;
        let n = self.draft.rules().len();
        if self.selected >= n {
            self.selected = n.saturating_sub(1);
        }
    }

    fn start_editing(&mut self, snapshot: Snapshot) {
        self.unpublished_new = snapshot.config.is_none();
        let config = snapshot.config.unwrap_or_else(TunnelConfig::new_catch_all);
        if let Some(Origin::File { has_comments, .. }) = &mut self.origin {
            *has_comments = snapshot.has_comments;
        }
        self.base = Arc::new(if self.unpublished_new {
            TunnelConfig::default()
        } else {
            config.clone()
        });
        self.base_version = snapshot.version;
        self.draft = config;
        self.matcher = None;
        self.history.clear();
        self.selected = 0;
        self.mode = Mode::Editing;
        self.overlay = None;
        self.revalidate();
        if self.unpublished_new {
            self.info("this tunnel has no remote config yet: a new config with one catch-all rule is ready; p publishes it");
        }
        if let Some(why) = &self.drafts_off {
            self.error(format!("no drafts: {why}"));
        }
    }

    /// Applies an edit as one undoable step.
    pub fn apply(&mut self, edit: Edit) {
        if self.apply_to_draft(&edit) {
            self.info(format!("did: {}", edit.describe()));
            self.history.push(edit);
        }
    }

    /// Applies `edit` to the draft (no history): selects what it touched, starts a new draft
    /// version and re-validates what it can affect. False when the edit changed nothing.
    fn apply_to_draft(&mut self, edit: &Edit) -> bool {
        if !edit.apply(&mut self.draft) {
            return false;
        }
        if let Some(f) = edit.focus() {
            self.selected = f;
        }
        self.generation += 1;
        self.revalidate_after(edit);
        true
    }

    fn undo(&mut self) {
        match self.history.undo() {
            Some(e) => {
                self.apply_to_draft(&e.inverse());
                self.info(format!("undid: {}", e.describe()));
            }
            None => self.info("nothing to undo"),
        }
    }

    fn redo(&mut self) {
        match self.history.redo() {
            Some(e) => {
                self.apply_to_draft(&e);
                self.info(format!("redid: {}", e.describe()));
            }
            None => self.info("nothing to redo"),
        }
    }

    fn catch_all_last(&self) -> bool {
        self.draft
            .rules()
            .last()
            .is_some_and(IngressRule::is_catch_all)
    }

    /// The matcher for the current draft (built once per draft version; compiled regexes are
    /// kept inside it).
    fn matcher(&mut self) -> std::sync::Arc<Matcher> {
        match &self.matcher {
            Some((generation, m)) if *generation == self.generation => std::sync::Arc::clone(m),
            _ => {
                let m = std::sync::Arc::new(Matcher::new(self.draft.rules()));
                self.matcher = Some((self.generation, std::sync::Arc::clone(&m)));
                m
            }
        }
    }

    /// Scrolls the table as little as possible to keep the selection in view.
    fn keep_selection_visible(&mut self) {
        let visible = self.visible_rules();
        let pos = visible
            .iter()
            .position(|&i| i == self.selected)
            .unwrap_or(0);
        let page = self.page();
        if pos < self.table_offset {
            self.table_offset = pos;
        } else if pos >= self.table_offset + page {
            self.table_offset = pos + 1 - page;
        }
        self.table_offset = self.table_offset.min(visible.len().saturating_sub(page));
    }

    /// Handles one event.
    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let effects = self.handle(event);
        if matches!(self.mode, Mode::Editing) {
            self.keep_selection_visible();
        }
        effects
    }

    fn handle(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Event::Key(input) => self.key(input),
            Event::Paste(text) => {
                let line: String = text
                    .chars()
                    .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
                    .collect();
                match &mut self.overlay {
                    // A paste goes into the focused field at once (one validation, however long).
                    Some(Overlay::Form(form)) => form.paste(&line, &self.draft),
                    Some(Overlay::Tester { input, .. }) => {
                        input.insert_str(&line);
                        let url = input.lines().join("");
                        let result = self
                            .matcher()
                            .match_url(url.trim())
                            .map_err(|e| e.to_string());
                        self.tester_match = result.as_ref().ok().copied();
                        if let Some(Overlay::Tester { result: r, .. }) = &mut self.overlay {
                            *r = Some(result);
                        }
                    }
                    _ if self.filtering => self.filter.push_str(&line),
                    _ => {}
                }
                Vec::new()
            }
            Event::Accounts(Ok(accounts)) => {
                self.accounts = accounts.clone();
                match accounts.as_slice() {
                    [] => {
                        self.mode = Mode::Failed("these credentials see no account".to_owned());
                        Vec::new()
                    }
                    [one] => {
                        self.accounts = vec![one.clone()];
                        self.mode = Mode::Loading("listing tunnels…".to_owned());
                        vec![Effect::ListTunnels {
                            account: one.id.clone(),
                        }]
                    }
                    many => {
                        self.mode = Mode::PickAccount(Picker {
                            items: many
                                .iter()
                                .map(|a| (a.id.clone(), vec![a.name.clone(), a.id.clone()]))
                                .collect(),
                            headings: vec!["ACCOUNT", "ID"],
                            filter: String::new(),
                            filtering: false,
                            selected: 0,
                        });
                        Vec::new()
                    }
                }
            }
            Event::Tunnels(Ok(tunnels)) => {
                self.mode = Mode::PickTunnel(Picker {
                    items: tunnels
                        .iter()
                        .map(|t| {
                            (
                                t.id.clone(),
                                vec![
                                    t.name.clone(),
                                    t.id.clone(),
                                    t.status.clone(),
                                    t.config_src.clone(),
                                ],
                            )
                        })
                        .collect(),
                    headings: vec!["TUNNEL", "ID", "STATUS", "CONFIG"],
                    filter: String::new(),
                    filtering: false,
                    selected: 0,
                });
                Vec::new()
            }
            Event::Accounts(Err(e)) | Event::Tunnels(Err(e)) => {
                self.mode = Mode::Failed(e);
                Vec::new()
            }
            Event::Loaded(Ok(mut snapshot)) => {
                let saved = snapshot.saved.take();
                let current_version = snapshot.version;
                self.start_editing(snapshot);
                if let Some(saved) = saved {
                    self.overlay = Some(Overlay::Recover {
                        saved,
                        current_version,
                        viewing: None,
                        scroll: 0,
                    });
                }
                Vec::new()
            }
            Event::Loaded(Err(e)) => {
                if matches!(self.mode, Mode::Editing) {
                    self.overlay = None;
                    self.error(format!("reload failed, your draft is unchanged: {e}"));
                } else {
                    self.mode = Mode::Failed(e);
                }
                Vec::new()
            }
            Event::Current(result) => self.on_current(result),
            Event::Reviewed(review) => {
                if matches!(self.overlay, Some(Overlay::Preparing { ticket }) if ticket == review.ticket)
                {
                    let Review {
                        target,
                        replaces,
                        summary,
                        diff,
                        notes,
                        ..
                    } = *review;
                    self.overlay = Some(Overlay::Review {
                        target: Box::new(target),
                        replaces,
                        summary,
                        diff,
                        notes,
                        scroll: 0,
                    });
                }
                Vec::new()
            }
            Event::Published(result) => {
                self.overlay = None;
                match result {
                    Ok(p) => {
                        self.base = Arc::new(self.draft.clone());
                        self.base_version = p.version.or(self.base_version);
                        self.unpublished_new = false;
                        self.history.clear();
                        self.generation += 1;
                        self.info(p.message);
                        return vec![Effect::DeleteDraft];
                    }
                    Err(e) => self.error(format!("not published, your draft is kept: {e}")),
                }
                Vec::new()
            }
        }
    }

    fn key(&mut self, input: Input) -> Vec<Effect> {
        if input.key == Key::Null {
            return Vec::new();
        }
        if let Some(overlay) = self.overlay.take() {
            return self.overlay_key(overlay, input);
        }
        match &mut self.mode {
            Mode::Editing => self.main_key(input),
            Mode::PickAccount(_) | Mode::PickTunnel(_) => self.picker_key(input),
            Mode::Loading(_) => {
                if plain(&input, 'q') || ctrl(&input, 'c') {
                    self.quit = true;
                    return vec![Effect::Quit];
                }
                Vec::new()
            }
            Mode::Failed(_) => {
                if plain(&input, 'q') || ctrl(&input, 'c') || input.key == Key::Esc {
                    self.quit = true;
                    return vec![Effect::Quit];
                }
                if plain(&input, 'r') {
                    return self.reload_effects();
                }
                Vec::new()
            }
        }
    }

    fn reload_effects(&mut self) -> Vec<Effect> {
        match &self.origin {
            Some(Origin::Remote {
                account_id,
                tunnel_id,
                ..
            }) => {
                let e = Effect::LoadRemote {
                    account: account_id.clone(),
                    tunnel: tunnel_id.clone(),
                };
                if !matches!(self.mode, Mode::Editing) {
                    self.mode = Mode::Loading("reading the config…".to_owned());
                } else {
                    self.overlay = Some(Overlay::Busy("reloading…".to_owned()));
                }
                vec![e]
            }
            Some(Origin::File { .. }) => {
                if !matches!(self.mode, Mode::Editing) {
                    self.mode = Mode::Loading("reading the file…".to_owned());
                } else {
                    self.overlay = Some(Overlay::Busy("reloading…".to_owned()));
                }
                vec![Effect::LoadFile]
            }
            None => vec![Effect::ListAccounts],
        }
    }

    fn picker_key(&mut self, input: Input) -> Vec<Effect> {
        let is_account = matches!(self.mode, Mode::PickAccount(_));
        let (Mode::PickAccount(p) | Mode::PickTunnel(p)) = &mut self.mode else {
            return Vec::new();
        };
        if p.filtering {
            if edit_filter(&mut p.filtering, &mut p.filter, &input) {
                p.selected = 0;
            }
            return Vec::new();
        }
        let visible = p.visible();
        match input.key {
            Key::Char('q') | Key::Esc => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Key::Char('c') if input.ctrl => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Key::Char('/') => p.filtering = true,
            Key::Down | Key::Char('j') => {
                p.selected = (p.selected + 1).min(visible.len().saturating_sub(1))
            }
            Key::Up | Key::Char('k') => p.selected = p.selected.saturating_sub(1),
            Key::Enter => {
                let Some(&i) = visible.get(p.selected) else {
                    return Vec::new();
                };
                let (id, cols) = p.items[i].clone();
                if is_account {
                    self.note_account(&id);
                    self.mode = Mode::Loading("listing tunnels…".to_owned());
                    return vec![Effect::ListTunnels { account: id }];
                }
                let account = self
                    .accounts
                    .first()
                    .map(|a| a.id.clone())
                    .unwrap_or_default();
                let account_name = self
                    .accounts
                    .first()
                    .map(|a| a.name.clone())
                    .unwrap_or_default();
                self.origin = Some(Origin::Remote {
                    account_id: account.clone(),
                    account_name,
                    tunnel_id: id.clone(),
                    tunnel_name: cols.first().cloned().unwrap_or_default(),
                });
                self.mode = Mode::Loading(format!(
                    "reading the config of {}…",
                    cols.first().cloned().unwrap_or_default()
                ));
                return vec![Effect::LoadRemote {
                    account,
                    tunnel: id,
                }];
            }
            _ => {}
        }
        Vec::new()
    }

    /// The account a tunnel list belongs to, remembered when the tunnels were asked for.
    pub fn note_account(&mut self, account: &str) {
        if let Some(a) = self.accounts.iter().find(|a| a.id == account).cloned() {
            self.accounts = vec![a];
        } else {
            self.accounts = vec![Account {
                id: account.to_owned(),
                name: String::new(),
            }];
        }
    }

    fn move_selection(&mut self, delta: isize) {
        let visible = self.visible_rules();
        if visible.is_empty() {
            return;
        }
        let pos = visible
            .iter()
            .position(|&i| i == self.selected)
            .unwrap_or(0) as isize;
        let new = (pos + delta).clamp(0, visible.len() as isize - 1) as usize;
        self.selected = visible[new];
    }

    fn main_key(&mut self, input: Input) -> Vec<Effect> {
        // A message stays until the next key; then the status line shows the selected rule's
        // first problem again (or what this key did).
        self.status = None;
        if self.filtering {
            edit_filter(&mut self.filtering, &mut self.filter, &input);
            let visible = self.visible_rules();
            if !visible.contains(&self.selected)
                && let Some(&first) = visible.first()
            {
                self.selected = first;
            }
            return Vec::new();
        }
        let n = self.draft.rules().len();
        match input.key {
            Key::Down | Key::Char('j') if !input.ctrl => self.move_selection(1),
            Key::Up | Key::Char('k') if !input.ctrl => self.move_selection(-1),
            Key::Char('g') | Key::Home => self.move_selection(-(n as isize)),
            Key::Char('G') | Key::End => self.move_selection(n as isize),
            Key::PageDown => self.move_selection(self.page() as isize),
            Key::PageUp => self.move_selection(-(self.page() as isize)),
            Key::Enter | Key::Char('e') if !input.ctrl => {
                if let Some(rule) = self.draft.rules().get(self.selected).cloned() {
                    self.overlay = Some(Overlay::Form(Box::new(Form::rule(
                        &self.draft,
                        self.selected,
                        false,
                        rule,
                    ))));
                }
            }
            Key::Char('a') if !input.ctrl => {
                let at = if n == 0 {
                    0
                } else if self.selected + 1 >= n && self.catch_all_last() {
                    n - 1
                } else {
                    self.selected + 1
                };
                let rule = IngressRule::default();
                self.overlay = Some(Overlay::Form(Box::new(Form::rule(
                    &self.draft,
                    at,
                    true,
                    rule,
                ))));
            }
            Key::Char('c') if input.ctrl => return self.ask_quit(),
            Key::Char('c') => {
                let Some(rule) = self.draft.rules().get(self.selected).cloned() else {
                    return Vec::new();
                };
                if self.selected + 1 == n && rule.is_catch_all() {
                    self.error("the catch-all rule cannot be duplicated: only the last rule may match every request");
                    return Vec::new();
                }
                self.apply(Edit::Insert {
                    index: self.selected + 1,
                    rule: Box::new(rule),
                    verb: "duplicate",
                });
            }
            Key::Char('d') | Key::Delete if !input.ctrl => {
                let Some(rule) = self.draft.rules().get(self.selected).cloned() else {
                    return Vec::new();
                };
                if self.selected + 1 == n && rule.is_catch_all() {
                    self.error("the catch-all rule cannot be deleted: cloudflared needs a last rule that matches every request");
                    return Vec::new();
                }
                self.apply(Edit::Delete {
                    index: self.selected,
                    rule: Box::new(rule),
                });
            }
            Key::Char('K') => self.move_rule(-1),
            Key::Char('J') => self.move_rule(1),
            Key::Char('u') if !input.ctrl => self.undo(),
            Key::Char('z') if input.ctrl => self.undo(),
            Key::Char('r' | 'y') if input.ctrl => self.redo(),
            Key::Char('o') => {
                self.overlay = Some(Overlay::Form(Box::new(Form::global(&self.draft))))
            }
            Key::Char('w') => self.overlay = Some(Overlay::Form(Box::new(Form::warp(&self.draft)))),
            Key::Char('/') => self.filtering = true,
            Key::Char('i') if !input.ctrl => self.show_details = !self.show_details,
            Key::Char('t') => {
                self.overlay = Some(Overlay::Tester {
                    input: Box::default(),
                    result: None,
                })
            }
            Key::Char('r') => {
                if self.is_modified() {
                    self.overlay = Some(Overlay::Confirm {
                        ask: Ask::Reload,
                        lines: vec![
                            format!("You have {} unpublished edit(s).", self.history.len()),
                            "Reload from the source and lose them? y = reload, any other key = keep editing".to_owned(),
                        ],
                    });
                } else {
                    return self.reload_effects();
                }
            }
            Key::Char('p') => return self.publish_start(),
            Key::Char('?') | Key::F(1) => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Key::Char('q') | Key::Esc => return self.ask_quit(),
            _ => {}
        }
        Vec::new()
    }

    fn ask_quit(&mut self) -> Vec<Effect> {
        if self.is_modified() {
            self.overlay = Some(Overlay::Confirm {
                ask: Ask::Quit,
                lines: vec![
                    format!(
                        "You have {} unpublished edit(s){}.",
                        self.history.len(),
                        if self.unpublished_new {
                            " and a new config not yet published"
                        } else {
                            ""
                        }
                    ),
                    "Quit and lose them? y = quit, any other key = keep editing".to_owned(),
                ],
            });
            Vec::new()
        } else {
            self.quit = true;
            vec![Effect::Quit]
        }
    }

    fn move_rule(&mut self, delta: isize) {
        let n = self.draft.rules().len();
        let i = self.selected;
        let catch_all_last = self.catch_all_last();
        if i >= n {
            return;
        }
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

    fn overlay_key(&mut self, overlay: Overlay, input: Input) -> Vec<Effect> {
        match overlay {
            Overlay::Help { scroll } => {
                self.overlay = match input.key {
                    Key::Down | Key::Char('j') => Some(Overlay::Help { scroll: scroll + 1 }),
                    Key::Up | Key::Char('k') => Some(Overlay::Help {
                        scroll: scroll.saturating_sub(1),
                    }),
                    _ => None,
                };
                Vec::new()
            }
            Overlay::Form(mut form) => {
                match form.key(input, &self.draft) {
                    FormOutcome::Editing => self.overlay = Some(Overlay::Form(form)),
                    FormOutcome::Cancelled => self.info("form closed, nothing changed"),
                    FormOutcome::Apply(applied) => self.apply_form(&form.target, applied),
                }
                Vec::new()
            }
            Overlay::Tester {
                input: mut field, ..
            } => {
                if input.key == Key::Esc || input.key == Key::Enter {
                    self.tester_match = None;
                    return Vec::new();
                }
                field.input(input);
                let url = field.lines().join("");
                let result = if url.trim().is_empty() {
                    None
                } else {
                    Some(
                        self.matcher()
                            .match_url(url.trim())
                            .map_err(|e| e.to_string()),
                    )
                };
                self.tester_match = result.as_ref().and_then(|r| r.as_ref().ok().copied());
                if let Some(i) = self.tester_match {
                    self.selected = i;
                }
                self.overlay = Some(Overlay::Tester {
                    input: field,
                    result,
                });
                Vec::new()
            }
            Overlay::Confirm { ask, lines } => {
                let yes = plain(&input, 'y') || plain(&input, 'Y');
                if !yes {
                    if ask == Ask::Warnings {
                        self.info("publish cancelled");
                    }
                    return Vec::new();
                }
                match ask {
                    Ask::Quit => {
                        self.quit = true;
                        vec![Effect::DeleteDraft, Effect::Quit]
                    }
                    Ask::Reload => {
                        let mut fx = vec![Effect::DeleteDraft];
                        fx.extend(self.reload_effects());
                        fx
                    }
                    Ask::Warnings => {
                        let _ = lines;
                        self.publish_fetch()
                    }
                }
            }
            Overlay::Conflict { remote, lines } => match input.key {
                Key::Char('r') => self.rebase(*remote),
                Key::Char('o') => {
                    let remote_cfg = Arc::new(remote.config.clone().unwrap_or_default());
                    let mut notes = vec![format!(
                        "OVERWRITE: this replaces version {} and discards the remote changes made since version {}",
                        remote
                            .version
                            .map_or_else(|| "?".to_owned(), |v| v.to_string()),
                        self.base_version
                            .map_or_else(|| "?".to_owned(), |v| v.to_string())
                    )];
                    notes.extend(self.format_notes());
                    self.open_review(remote_cfg, remote.config.is_some(), remote.version, notes)
                }
                Key::Char('c') | Key::Esc | Key::Char('q') => {
                    self.info("publish cancelled; your draft is unchanged");
                    Vec::new()
                }
                _ => {
                    self.overlay = Some(Overlay::Conflict { remote, lines });
                    Vec::new()
                }
            },
            Overlay::Review {
                target,
                replaces,
                summary,
                diff,
                notes,
                scroll,
            } => match input.key {
                Key::Char('y') if !input.ctrl => {
                    self.overlay = Some(Overlay::Busy("publishing…".to_owned()));
                    match &self.origin {
                        Some(Origin::Remote {
                            account_id,
                            tunnel_id,
                            ..
                        }) => vec![Effect::PublishRemote {
                            account: account_id.clone(),
                            tunnel: tunnel_id.clone(),
                            config: target,
                            base_version: replaces.unwrap_or(0),
                        }],
                        Some(Origin::File { .. }) => vec![Effect::WriteFile { config: target }],
                        None => Vec::new(),
                    }
                }
                Key::Down
                | Key::Char('j')
                | Key::PageDown
                | Key::Char(' ')
                | Key::Up
                | Key::Char('k')
                | Key::PageUp => {
                    let max = diff.len().saturating_sub(1);
                    let scroll = match input.key {
                        Key::PageDown | Key::Char(' ') => (scroll + self.page()).min(max),
                        Key::PageUp => scroll.saturating_sub(self.page()),
                        Key::Up | Key::Char('k') => scroll.saturating_sub(1),
                        _ => (scroll + 1).min(max),
                    };
                    self.overlay = Some(Overlay::Review {
                        target,
                        replaces,
                        summary,
                        diff,
                        notes,
                        scroll,
                    });
                    Vec::new()
                }
                _ => {
                    self.info("publish cancelled; your draft is unchanged");
                    Vec::new()
                }
            },
            Overlay::Recover {
                saved,
                current_version,
                viewing,
                scroll,
            } => match (input.key, viewing) {
                (Key::Char('r'), _) => {
                    self.restore(*saved, current_version);
                    Vec::new()
                }
                (Key::Char('d'), _) => {
                    self.info("the saved draft was discarded");
                    vec![Effect::DeleteDraft]
                }
                (key, viewing) => {
                    // Viewing the diff, or waiting for a choice: restore, view or discard.
                    let (viewing, scroll) = match (key, viewing) {
                        (Key::Char('v'), None) => (
                            Some(
                                unified(
                                    &canonical_text(&self.base),
                                    &canonical_text(&saved.draft),
                                    "now",
                                    "saved draft",
                                )
                                .lines()
                                .map(str::to_owned)
                                .collect(),
                            ),
                            0,
                        ),
                        (Key::Down | Key::Char('j'), Some(lines)) => {
                            let max = lines.len().saturating_sub(1);
                            (Some(lines), (scroll + 1).min(max))
                        }
                        (Key::Up | Key::Char('k'), Some(lines)) => {
                            (Some(lines), scroll.saturating_sub(1))
                        }
                        (Key::Esc, Some(_)) => (None, 0),
                        (_, viewing) => (viewing, scroll),
                    };
                    self.overlay = Some(Overlay::Recover {
                        saved,
                        current_version,
                        viewing,
                        scroll,
                    });
                    Vec::new()
                }
            },
            Overlay::Preparing { ticket } => {
                if input.key == Key::Esc || plain(&input, 'q') {
                    self.info("publish cancelled; your draft is unchanged");
                } else {
                    self.overlay = Some(Overlay::Preparing { ticket });
                    if ctrl(&input, 'c') {
                        return self.ask_quit();
                    }
                }
                Vec::new()
            }
            Overlay::Busy(text) => {
                self.overlay = Some(Overlay::Busy(text));
                if ctrl(&input, 'c') {
                    return self.ask_quit();
                }
                Vec::new()
            }
        }
    }

    fn apply_form(&mut self, target: &FormTarget, applied: Applied) {
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

    fn publish_start(&mut self) -> Vec<Effect> {
        if !self.is_modified() {
            self.info("nothing to publish: the draft equals the source");
            return Vec::new();
        }
        let errors: Vec<&Diagnostic> = self.diagnostics.iter().filter(|d| d.is_error()).collect();
        if let Some(first) = errors.first() {
            if let Some(r) = first.rule {
                self.filter.clear();
                self.selected = r;
            }
            let n = errors.len();
            let msg = crate::text::inert(&first.message).into_owned();
            self.error(format!(
                "cannot publish: {n} error{} (cloudflared would refuse the config); first: {msg}",
                if n == 1 { "" } else { "s" }
            ));
            return Vec::new();
        }
        let warnings: Vec<String> = self
            .diagnostics
            .iter()
            .map(|d| {
                let at = d
                    .rule
                    .map_or_else(|| "config".to_owned(), |r| format!("rule #{}", r + 1));
                format!("{at}: {}", crate::text::inert(&d.message))
            })
            .collect();
        if !warnings.is_empty() {
            let mut lines = vec![format!("The draft has {} warning(s):", warnings.len())];
            lines.extend(warnings);
            lines.push(
                "Publish anyway? y = continue to the review, any other key = cancel".to_owned(),
            );
            self.overlay = Some(Overlay::Confirm {
                ask: Ask::Warnings,
                lines,
            });
            return Vec::new();
        }
        self.publish_fetch()
    }

    fn publish_fetch(&mut self) -> Vec<Effect> {
        self.overlay = Some(Overlay::Busy(
            "checking the source for changes since you started…".to_owned(),
        ));
        match &self.origin {
            Some(Origin::Remote {
                account_id,
                tunnel_id,
                ..
            }) => vec![Effect::FetchRemote {
                account: account_id.clone(),
                tunnel: tunnel_id.clone(),
            }],
            Some(Origin::File { .. }) => vec![Effect::FetchFile],
            None => Vec::new(),
        }
    }

    fn format_notes(&self) -> Vec<String> {
        match &self.origin {
            Some(Origin::File {
                format: Format::Yaml,
                has_comments: true,
                path,
            }) => vec![format!(
                "{} has comments: writing config.yml drops them (the previous file is kept as {}.bak)",
                path.display(),
                path.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("the file")
            )],
            _ => Vec::new(),
        }
    }

    fn on_current(&mut self, result: Result<Snapshot, String>) -> Vec<Effect> {
        let current = match result {
            Ok(c) => c,
            Err(e) => {
                self.overlay = None;
                self.error(format!(
                    "cannot check the source before publishing, nothing was sent: {e}"
                ));
                return Vec::new();
            }
        };
        let changed = match &self.origin {
            Some(Origin::Remote { .. }) => current.version != self.base_version,
            _ => {
                current.config.as_ref() != Some(&*self.base)
                    && !(self.unpublished_new && current.config.is_none())
            }
        };
        if changed {
            let empty = TunnelConfig::default();
            let remote_cfg = current.config.as_ref().unwrap_or(&empty);
            let base = if self.unpublished_new {
                &empty
            } else {
                &self.base
            };
            let mut lines = vec![match (&self.origin, current.version, self.base_version) {
                (Some(Origin::Remote { .. }), Some(now), Some(was)) => {
                    format!("The remote config changed since you started: version {was} → {now}.")
                }
                _ => "The file changed on disk since you opened it.".to_owned(),
            }];
            lines.push("What changed there:".to_owned());
            let summary = summarize(base, remote_cfg).lines();
            if summary.is_empty() {
                lines.push("  (no change to the rules: only the version moved)".to_owned());
            }
            lines.extend(summary.into_iter().map(|l| format!("  {l}")));
            self.overlay = Some(Overlay::Conflict {
                remote: Box::new(current),
                lines,
            });
            return Vec::new();
        }
        let base = Arc::clone(&self.base);
        let notes = self.format_notes();
        self.open_review(base, !self.unpublished_new, current.version, notes)
    }

    /// Asks for the review of the draft against `against` (computed off the input path).
    fn open_review(
        &mut self,
        against: Arc<TunnelConfig>,
        against_exists: bool,
        replaces: Option<u64>,
        notes: Vec<String>,
    ) -> Vec<Effect> {
        let yaml = matches!(
            &self.origin,
            Some(Origin::File {
                format: Format::Yaml,
                ..
            })
        );
        let old_name = match &self.origin {
            Some(Origin::File { path, .. }) => path.display().to_string(),
            _ => format!("remote (version {})", replaces.unwrap_or(0)),
        };
        self.review_ticket += 1;
        self.overlay = Some(Overlay::Preparing {
            ticket: self.review_ticket,
        });
        vec![Effect::Review(Box::new(ReviewRequest {
            ticket: self.review_ticket,
            against: against_exists.then_some(against),
            draft: self.draft.clone(),
            yaml,
            old_name,
            replaces,
            notes,
        }))]
    }

    fn rebase(&mut self, remote: Snapshot) -> Vec<Effect> {
        let remote_cfg = remote
            .config
            .clone()
            .unwrap_or_else(TunnelConfig::new_catch_all);
        let mut draft = remote_cfg.clone();
        let mut kept = Vec::new();
        let mut notes = Vec::new();
        for edit in self.history.done() {
            let before = draft.clone();
            match edit.replay(&mut draft) {
                Ok(()) => kept.push(concrete(edit, &before, &draft)),
                Err(note) => notes.push(note),
            }
        }
        self.base = Arc::new(if remote.config.is_some() {
            remote_cfg
        } else {
            TunnelConfig::default()
        });
        self.unpublished_new = remote.config.is_none();
        self.base_version = remote.version;
        self.draft = draft;
        self.history.reset_to(kept);
        self.generation += 1;
        self.revalidate();
        notes.insert(
            0,
            format!(
                "rebased {} edit(s) onto version {}",
                self.history.len(),
                remote
                    .version
                    .map_or_else(|| "?".to_owned(), |v| v.to_string())
            ),
        );
        notes.extend(self.format_notes());
        if self.diagnostics.iter().any(Diagnostic::is_error) {
            self.overlay = None;
            self.error(format!(
                "rebased onto version {}; the result has errors, fix them and publish again ({})",
                remote.version.unwrap_or(0),
                notes.join("; ")
            ));
            return Vec::new();
        }
        let base = Arc::clone(&self.base);
        self.open_review(base, remote.config.is_some(), remote.version, notes)
    }

    fn restore(&mut self, saved: SavedDraft, current_version: Option<u64>) {
        let moved = match (&self.origin, saved.base_version, current_version) {
            (Some(Origin::Remote { .. }), Some(was), Some(now)) if was != now => Some((was, now)),
            _ => None,
        };
        let file_moved =
            matches!(self.origin, Some(Origin::File { .. })) && saved.base != self.base;
        self.base = saved.base;
        self.base_version = saved.base_version;
        self.unpublished_new = saved.unpublished_new;
        self.draft = saved.draft;
        self.history.reset_to(saved.edits);
        self.generation += 1;
        self.revalidate();
        self.overlay = None;
        self.info(match moved {
            Some((was, now)) => format!(
                "restored {} edit(s) saved {}; the remote moved on since (v{was} → v{now}): publishing will offer to rebase",
                self.history.len(),
                saved.saved_at
            ),
            None if file_moved => format!(
                "restored {} edit(s) saved {}; the file changed since: publishing will offer to rebase",
                self.history.len(),
                saved.saved_at
            ),
            None => format!("restored {} edit(s) saved {}", self.history.len(), saved.saved_at),
        });
    }

    /// The key this session's draft is saved under.
    pub fn draft_key(&self) -> Option<String> {
        match &self.origin {
            Some(Origin::Remote {
                account_id,
                tunnel_id,
                ..
            }) => Some(draft::remote_key(account_id, tunnel_id)),
            Some(Origin::File { path, .. }) => Some(draft::file_key(path)),
            None => None,
        }
    }

    /// The draft to save now, or `None` when there is nothing unpublished.
    pub fn to_saved(&self, saved_at: &str) -> Option<SavedDraft> {
        if !self.is_modified() || !matches!(self.mode, Mode::Editing) {
            return None;
        }
        Some(SavedDraft {
            key: self.draft_key()?,
            saved_at: saved_at.to_owned(),
            base_version: self.base_version,
            unpublished_new: self.unpublished_new,
            base: Arc::clone(&self.base),
            draft: self.draft.clone(),
            edits: self.history.done().to_vec(),
        })
    }

    /// The label of a rule for messages.
    pub fn rule_label(&self, i: usize) -> String {
        self.draft
            .rules()
            .get(i)
            .map(rule_label)
            .unwrap_or_default()
    }
}

/// The concrete edit a replay performed (positions as found in the rebased config), so undo
/// keeps working after a rebase.
fn concrete(edit: &Edit, before: &TunnelConfig, after: &TunnelConfig) -> Edit {
    let find_changed = || {
        let (b, a) = (before.rules(), after.rules());
        (0..b.len().min(a.len())).find(|&i| b[i] != a[i])
    };
    match edit {
        Edit::SetRule {
            before: old,
            after: new,
            index,
        } => Edit::SetRule {
            index: find_changed().unwrap_or(*index),
            before: old.clone(),
            after: new.clone(),
        },
        Edit::Insert { rule, verb, index } => Edit::Insert {
            index: find_changed().unwrap_or((*index).min(after.rules().len().saturating_sub(1))),
            rule: rule.clone(),
            verb,
        },
        Edit::Delete { rule, index } => Edit::Delete {
            index: find_changed().unwrap_or(*index),
            rule: rule.clone(),
        },
        Edit::Move { rule, .. } => {
            let from = before
                .rules()
                .iter()
                .position(|r| r == &**rule)
                .unwrap_or(0);
            let to = after.rules().iter().position(|r| r == &**rule).unwrap_or(0);
            Edit::Move {
                from,
                to,
                rule: rule.clone(),
            }
        }
        Edit::SetGlobal { after: a, .. } => Edit::SetGlobal {
            before: Box::new(before.origin_request.clone()),
            after: a.clone(),
        },
        Edit::SetWarp { after: a, .. } => Edit::SetWarp {
            before: before.warp_routing.clone(),
            after: a.clone(),
        },
    }
}

/// The canonical text of the draft (for tests and the review).
pub fn draft_text(app: &App) -> String {
    canonical_text(&app.draft)
}

#[cfg(test)]
mod tests;
