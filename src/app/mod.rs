//! The editor as a pure state machine: `App::update(Event) -> Vec<Effect>`. Keys and the results of
//! background work come in as events; whatever needs the network or the disk goes out as effects,
//! which `crate::effects` runs and answers with events. No terminal and no network here.
//!
//! This module holds the types and the routing: a key goes to the open overlay (each a component
//! in `overlays/`), else to the mode (pickers, the rule table); what the key means comes from the
//! binding tables in `keys`. The checks live in `checks`, the table state in `table`, the publish
//! flow in `publish`.

pub mod access;
pub mod changes;
pub mod checks;
mod connectors;
pub mod dns;
pub mod draft;
mod editing;
pub mod forms;
pub mod gapvec;
pub mod history;
pub mod keys;
pub mod layout;
pub mod line_input;
pub mod messages;
pub mod overlays;
pub mod picker;
mod publish;
pub mod rebase;
pub mod review;
pub mod rollout;
pub mod table;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::{Timestamp, ZonedDateTime};

use crate::config::files::Format;
use crate::config::matching::Matcher;
use crate::config::model::{IngressRule, TunnelConfig};
use changes::{Changes, RowChange};
use checks::Checks;
use draft::SavedDraft;
use history::History;
use keys::{Command, Context, KeyPress, Keymap};
use layout::MainLayout;
use messages::Messages;
pub use messages::Status;
use overlays::history::HistoryItem;
use overlays::progress::{Progress, Wait};
use overlays::recover::Recover;
pub use overlays::{Action, Ask, Component, Cx, Outcome, Overlay};
pub use picker::{Account, Picked, Picker, TunnelEntry};
use review::Review;
use table::RuleTable;

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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Snapshot {
    /// The remote version (`None` for a file).
    pub version: Option<u64>,
    /// The config; `None` when the tunnel has no config yet (or the file does not exist yet).
    pub config: Option<TunnelConfig>,
    /// For a file: whether it has comments.
    pub has_comments: bool,
    /// A draft saved by an earlier session for the same tunnel or file.
    pub saved: Option<Box<SavedDraft>>,
    /// Something to tell about the saved draft (it could not be read and was moved aside).
    pub draft_note: Option<String>,
    /// Another live editor holds this tunnel or file: who (its draft is not read).
    pub held_by: Option<String>,
    /// For a file: its exact text as read (what a save's review and write are made against).
    pub file: Option<Arc<str>>,
}

/// A review that could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewFailed {
    /// The request it answers.
    pub ticket: u64,
    /// Why.
    pub message: String,
}

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A key.
    Key(KeyPress),
    /// The terminal size.
    Resize(u16, u16),
    /// Pasted text.
    Paste(String),
    /// The clock (for waits and ages); sent while something shows a time.
    Tick(ZonedDateTime),
    /// Accounts listed.
    Accounts(Result<Vec<Account>, String>),
    /// Tunnels listed.
    Tunnels(Result<Vec<TunnelEntry>, String>),
    /// The config to edit was read.
    Loaded(Result<Snapshot, String>),
    /// The current remote (or file) state, read before publishing.
    Current(Result<Snapshot, String>),
    /// The publish finished: the new version (remote) or a message (file).
    Published(Result<Published, String>),
    /// Nothing was sent: the source moved between the review and the send (this is the source
    /// as it is now).
    Moved(Snapshot),
    /// The tunnel (or file) was taken over from another editor: where its draft was kept.
    TookOver(Result<Option<PathBuf>, String>),
    /// A background draft save finished: `Err` says why the newest edits are not saved.
    DraftSaved(Result<(), String>),
    /// A draft save found that another editor took this tunnel (or file) over: `by` names it;
    /// this editor's draft was kept aside there (`Ok`) or could not be (`Err`: why).
    LockLost {
        /// The editor that holds it now.
        by: String,
        /// Where this editor's draft was kept, or why it could not be.
        aside: Result<PathBuf, String>,
    },
    /// The publish history was read (newest first).
    History(Result<Vec<HistoryItem>, String>),
    /// A config from the publish history was read: load it into the draft.
    HistoryConfig(Result<(Box<TunnelConfig>, String), String>),
    /// The publish review asked for by [`Effect::Review`] is ready (or failed).
    Reviewed(Result<Box<Review>, ReviewFailed>),
    /// The tunnel's DNS as listed for [`Effect::ReadDns`] (what could not be read is inside).
    DnsRead {
        /// The request it answers.
        ticket: u64,
        /// The listing.
        snapshot: Box<crate::dns::Snapshot>,
    },
    /// The DNS changes of [`Effect::MakeDns`] were made (or tried), each with its outcome.
    DnsMade(Box<dns::DnsMade>),
    /// The judgement asked for by [`Effect::JudgeDns`] (or why it failed).
    DnsJudged {
        /// The request it answers.
        ticket: u64,
        /// Each hostname's state and the orphans.
        report: Result<Box<dns::Judged>, String>,
    },
    /// A poll of the rollout started by [`Effect::WatchRollout`] (`over`: the last one).
    Rollout {
        /// The watch it answers.
        ticket: u64,
        /// The connectors as polled, or why polling stopped.
        update: Result<crate::rollout::Rollout, String>,
        /// Whether polling is over.
        over: bool,
    },
    /// The current tunnel's status, asked for by [`Effect::ReadStatus`].
    Status(Result<Box<rollout::TunnelStatus>, String>),
    /// One listed tunnel's health (its id first), asked for by [`Effect::ReadHealth`].
    Health(String, Result<crate::rollout::Health, String>),
    /// The account's Access applications and team, asked for by [`Effect::ReadAccess`].
    Access(Result<Arc<access::AccessData>, String>),
}

/// A successful publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The version the server returned.
    pub version: Option<u64>,
    /// What to tell the user.
    pub message: String,
    /// What the user must not miss: someone published in the gap before the PUT, the server
    /// stored something else than was sent, the journal could not be written.
    pub warnings: Vec<String>,
}

/// Something large the editor no longer needs, handed to [`Effect::Release`]. Compares equal to
/// any other (what it holds is never looked at again).
#[derive(Clone)]
pub struct Leftover(
    #[expect(dead_code, reason = "held only to be dropped off the input path")]
    Arc<dyn std::any::Any + Send + Sync>,
);

impl std::fmt::Debug for Leftover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Leftover")
    }
}

impl PartialEq for Leftover {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Effect {
    /// Frees `value` off the input path.
    pub fn release(value: impl std::any::Any + Send + Sync) -> Effect {
        Effect::Release(Leftover(Arc::new(value)))
    }
}

/// Work for `crate::effects`.
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
    /// Read the file (a missing file is a new, empty one).
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
    /// Write the file (atomically, keeping a .bak): exactly `text`, and only if the file still
    /// holds `expected` (else nothing is written and the answer is [`Event::Moved`]).
    WriteFile {
        /// The config `text` holds.
        config: Box<TunnelConfig>,
        /// The exact bytes to write (what the review showed).
        text: String,
        /// The file's text the review was made against (`None`: the file did not exist).
        expected: Option<Arc<str>>,
    },
    /// Compute the publish review (in the background: it is slow for large configs) and answer
    /// with [`Event::Reviewed`].
    Review(Box<review::ReviewRequest>),
    /// List the tunnel's zones and DNS records for these record names (in the background) and
    /// answer with [`Event::DnsRead`].
    ReadDns {
        /// Account.
        account: String,
        /// Tunnel.
        tunnel: String,
        /// The draft's rules (their record names are worked out off the input path: IDNA for
        /// 100 000 hostnames takes a sizeable part of a second).
        rules: Vec<crate::config::model::IngressRule>,
        /// Numbers the request.
        ticket: u64,
    },
    /// Make the DNS changes chosen in the review (after the config was published): DNS is
    /// read again first and only changes whose record is still as reviewed are sent; answers
    /// with [`Event::DnsMade`].
    MakeDns {
        /// Account.
        account: String,
        /// Tunnel.
        tunnel: String,
        /// Tunnel name (for the records' comment).
        tunnel_name: String,
        /// The config as published (its hostnames are judged).
        config: Box<TunnelConfig>,
        /// The changes (all on).
        changes: Vec<crate::dns::Change>,
    },
    /// Judge a DNS listing against the draft's hostnames (a large config: off the input path)
    /// and answer with [`Event::DnsJudged`].
    JudgeDns {
        /// Numbers the request.
        ticket: u64,
        /// The draft's rules, in order.
        rules: Vec<crate::config::model::IngressRule>,
        /// The listing.
        snapshot: Arc<crate::dns::Snapshot>,
    },
    /// Read the publish history of this tunnel (account and tunnel ids), or of the file when
    /// `None`, and answer with [`Event::History`].
    ReadHistory {
        /// The account and tunnel.
        remote: Option<(String, String)>,
    },
    /// Read a config kept in the publish history (`config`: its journal file) and answer with
    /// [`Event::HistoryConfig`], carrying `label`.
    ReadHistoryConfig {
        /// The account and tunnel (`None`: the file's history).
        remote: Option<(String, String)>,
        /// The journal's file.
        config: String,
        /// What it is (`version 7`), for the message.
        label: String,
    },
    /// Take the lock from the editor that holds it, keeping its draft aside; answers with
    /// [`Event::TookOver`].
    TakeOver {
        /// The draft key.
        key: String,
    },
    /// Remove the saved draft (published, discarded, or deliberately abandoned).
    DeleteDraft,
    /// Poll the tunnel's connectors until they run `version` or `timeout` passes, answering
    /// each poll with [`Event::Rollout`]; a newer watch replaces an older one.
    WatchRollout {
        /// Account.
        account: String,
        /// Tunnel.
        tunnel: String,
        /// Numbers the watch.
        ticket: u64,
        /// The published version.
        version: u64,
        /// How long to wait.
        timeout: std::time::Duration,
    },
    /// Read the tunnel's status and connectors ([`Event::Status`]).
    ReadStatus {
        /// Account.
        account: String,
        /// Tunnel.
        tunnel: String,
    },
    /// Read each tunnel's health, one [`Event::Health`] per tunnel.
    ReadHealth {
        /// Account.
        account: String,
        /// Tunnel ids, each with the status the list gave.
        tunnels: Vec<(String, String)>,
    },
    /// Read the account's Access applications and organization ([`Event::Access`]).
    ReadAccess {
        /// Account.
        account: String,
    },
    /// Free memory the editor is done with, off the input path (a 100 000-hostname DNS
    /// report takes milliseconds to free). Answers nothing.
    Release(Leftover),
    /// Leave.
    Quit,
}

/// The main modes.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Waiting for something.
    Loading {
        /// What.
        what: String,
        /// Since when (when the clock is known).
        since: Option<Timestamp>,
    },
    /// Choosing an account.
    PickAccount(Picker),
    /// Choosing a tunnel.
    PickTunnel(Picker),
    /// Editing.
    Editing,
    /// Loading failed.
    Failed(String),
}

/// What the main screen's banner says needs attention first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Banner {
    /// The config has no rules: cloudflared refuses it.
    NoRules,
    /// The last rule is not a catch-all: cloudflared refuses it.
    NoCatchAll,
    /// The source had no config (or the file does not exist): this one is new.
    NewConfig,
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
    /// Whether the source had no config (the draft is new, not yet published).
    pub unpublished_new: bool,
    /// The draft.
    pub draft: TunnelConfig,
    /// Undo/redo.
    pub history: History,
    /// The draft's diagnostics, kept up to date by each edit.
    pub checks: Checks,
    /// Which rows differ from the base.
    pub changes: Changes,
    /// Selection, filter, scroll and detail pane.
    pub table: RuleTable,
    /// The current message and the session's log.
    pub messages: Messages,
    /// Terminal size.
    pub size: (u16, u16),
    /// Rule highlighted by the URL tester.
    pub tester_match: Option<usize>,
    /// The URL tester's index of the draft, rebuilt only when the draft changed.
    matcher: Option<(u64, Arc<Matcher>)>,
    /// Why drafts cannot be saved (the state folder was refused), or `None` when they are: shown
    /// when the config loads and in the header, so nobody relies on a draft that is not there.
    pub drafts_off: Option<String>,
    /// Whether to leave.
    pub quit: bool,
    /// The accounts listed (to name the account in the header).
    accounts: Vec<Account>,
    /// A tunnel name given on the command line that matched nothing: the tunnel picker opens
    /// filtered by it.
    pending_pick: Option<String>,
    /// Bumped on every change to the draft, so the terminal layer knows when to save it.
    pub generation: u64,
    /// How many changes the draft holds compared with its base, and the draft generation and
    /// base it was counted for ([`App::change_count`]).
    counted: (usize, Option<(u64, usize)>),
    /// Numbers review requests, so a late answer to a cancelled one is dropped.
    review_ticket: u64,
    /// The bindings in force (defaults patched by the settings' `[keys]`).
    pub keymap: Arc<Keymap>,
    /// The clock as last told (by [`Event::Tick`]), for waits and ages.
    pub now: Option<ZonedDateTime>,
    /// The tunnel's DNS (remote tunnels): the DNS column, the header's counts, the review.
    pub dns: dns::DnsView,
    /// The warnings the source's config already had (as published), not asked about again.
    base_warnings: Arc<HashSet<String>>,
    /// What the terminal layer prints after leaving: a publish's outcome when the user quit
    /// while it was under way.
    pub farewell: Vec<String>,
    /// The user asked to quit while a publish was under way: quit once it has an outcome.
    quit_after_publish: bool,
    /// Why this editor must not publish or save (another editor holds the tunnel or file and
    /// this one views it read-only), or `None`.
    pub read_only: Option<String>,
    /// Why the last draft save failed, while no save has succeeded since.
    pub draft_failure: Option<String>,
    /// Another editor took this over (found by a draft save): why nothing may be published
    /// from here any more, and where this editor's draft was kept.
    pub lock_lost: Option<String>,
    /// Bumped on every key typed into an open form, whose text is part of the draft.
    form_generation: u64,
    /// Notes for the next review (what a rebase did).
    review_notes: Vec<String>,
    /// The rollout of the last publish (polled in the background; the panel shows it).
    pub rollout: Option<rollout::Watch>,
    /// How long a rollout is waited for (`[rollout] wait_timeout`).
    pub rollout_timeout: std::time::Duration,
    /// Numbers rollout watches.
    rollout_ticket: u64,
    /// The account's Access data, or why it could not be read (`None`: not read yet).
    pub access: Option<Result<Arc<access::AccessData>, String>>,
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
                app.loading(format!("reading the config of tunnel {t}…"));
                vec![Effect::LoadRemote {
                    account: a,
                    tunnel: t,
                }]
            }
            (Some(a), None) => {
                app.loading("listing tunnels…");
                app.accounts = vec![Account {
                    id: a.clone(),
                    name: String::new(),
                }];
                vec![Effect::ListTunnels { account: a }]
            }
            (None, _) => {
                app.loading("listing accounts…");
                vec![Effect::ListAccounts]
            }
        };
        (app, effects)
    }

    /// An editor whose tunnel picker opens filtered by `name` (a tunnel name given on the
    /// command line that matched no tunnel), saying so.
    pub fn remote_pick(account: String, name: String) -> (Self, Vec<Effect>) {
        let (mut app, effects) = App::remote(Some(account), None);
        app.pending_pick = Some(name);
        (app, effects)
    }

    /// An editor for a local file.
    pub fn file(path: PathBuf, format: Format) -> (Self, Vec<Effect>) {
        let mut app = App::empty();
        app.loading(format!("reading {}…", path.display()));
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
            mode: Mode::Loading {
                what: String::new(),
                since: None,
            },
            overlay: None,
            base: Arc::default(),
            base_version: None,
            unpublished_new: false,
            draft: TunnelConfig::default(),
            history: History::default(),
            checks: Checks::default(),
            changes: Changes::default(),
            table: RuleTable::default(),
            messages: Messages::default(),
            size: (80, 24),
            tester_match: None,
            matcher: None,
            drafts_off: None,
            quit: false,
            accounts: Vec::new(),
            pending_pick: None,
            generation: 0,
            counted: (0, None),
            review_ticket: 0,
            keymap: Arc::new(Keymap::default()),
            now: None,
            dns: dns::DnsView::default(),
            base_warnings: Arc::default(),
            farewell: Vec::new(),
            quit_after_publish: false,
            read_only: None,
            draft_failure: None,
            lock_lost: None,
            form_generation: 0,
            review_notes: Vec::new(),
            rollout: None,
            rollout_timeout: crate::effects::rollout::DEFAULT_TIMEOUT,
            rollout_ticket: 0,
            access: None,
        }
    }

    /// Uses `keymap` (the settings' `[keys]` applied) from now on.
    pub fn with_keymap(mut self, keymap: Keymap) -> Self {
        self.keymap = Arc::new(keymap);
        self
    }

    fn loading(&mut self, what: impl Into<String>) {
        self.mode = Mode::Loading {
            what: what.into(),
            since: self.timestamp(),
        };
    }

    fn timestamp(&self) -> Option<Timestamp> {
        self.now.as_ref().map(ZonedDateTime::timestamp)
    }

    /// Whether the screen shows a time that moves (a wait, an age): the terminal layer sends
    /// [`Event::Tick`] and redraws only then.
    pub fn shows_clock(&self) -> bool {
        matches!(self.mode, Mode::Loading { .. })
            || matches!(
                self.overlay,
                Some(Overlay::Progress(_) | Overlay::Recover(_))
            )
    }

    /// Loads a config from the publish history into the draft, as one undoable edit.
    fn load_from_history(&mut self, config: TunnelConfig, label: &str) {
        if config == self.draft {
            self.info(format!("the draft already equals {label}"));
            return;
        }
        let edit = history::Edit::Replace {
            before: Box::new(self.draft.clone()),
            after: Box::new(config),
            what: format!("load {label} from the history"),
            rebase: None,
        };
        if self.apply_to_draft(&edit) {
            self.history.push(edit);
            let undo = self.keymap.label(Context::Main, Command::Undo, true);
            let publish = self.keymap.label(Context::Main, Command::Publish, true);
            self.info(format!(
                "loaded {label} into the draft: {publish} reviews and {} it, {undo} undoes the load",
                if self.is_file() { "saves" } else { "publishes" }
            ));
        }
    }

    /// Whether a draft file may be removed because there is nothing to save: only while
    /// editing, with no saved draft waiting for an answer (the restore prompt) and not read-only
    /// (then the draft is another editor's).
    pub fn may_remove_draft(&self) -> bool {
        matches!(self.mode, Mode::Editing)
            && !matches!(self.overlay, Some(Overlay::Recover(_)))
            && self.read_only.is_none()
    }

    /// Whether a publish (or save) was sent and its answer is awaited, or the DNS changes made
    /// after it (or alone).
    pub fn publishing(&self) -> bool {
        matches!(
            &self.overlay,
            Some(Overlay::Progress(p)) if matches!(p.wait, Wait::Publishing | Wait::Dns)
        )
    }

    /// Quit as soon as the publish under way has an outcome (Ctrl-C or a signal while
    /// publishing): what was sent cannot be called back, so its outcome is awaited and said.
    pub fn quit_when_published_now(&mut self) {
        self.quit_after_publish = true;
        self.info(format!(
            "quitting as soon as the {} under way has an outcome (it cannot be called back)",
            self.verb()
        ));
    }

    /// Why this editor must not publish or save now, or `None`.
    pub fn read_only_reason(&self) -> Option<String> {
        if let Some(lost) = &self.lock_lost {
            return Some(format!("not {}: {lost}", self.verb_ed()));
        }
        self.read_only
            .as_ref()
            .map(|why| format!("read-only: {why}; nothing is {}", self.verb_ed()))
    }

    /// Whether the config is a file (saved, not published).
    pub fn is_file(&self) -> bool {
        matches!(self.origin, Some(Origin::File { .. }))
    }

    /// "publish" for a remote config, "save" for a file.
    pub fn verb(&self) -> &'static str {
        if self.is_file() { "save" } else { "publish" }
    }

    /// "published" or "saved".
    pub fn verb_ed(&self) -> &'static str {
        if self.is_file() { "saved" } else { "published" }
    }

    /// "publishing" or "saving".
    pub fn verb_ing(&self) -> &'static str {
        if self.is_file() {
            "saving"
        } else {
            "publishing"
        }
    }

    /// Whether publishing would change anything: the draft differs from its base (edits that
    /// cancel out do not count), or the source has no config yet.
    pub fn is_modified(&self) -> bool {
        self.change_count() > 0 || self.unpublished_new
    }

    /// How many changes the draft holds compared with its base, not how many edits were made:
    /// rules added, changed, moved or deleted, plus one each for the global settings,
    /// warp-routing and the other top-level keys when they differ. Moving a rule down and back
    /// up is no change.
    pub fn change_count(&self) -> usize {
        self.counted.0
    }

    /// Counts the changes again when the draft or the base changed since the last count.
    pub(crate) fn recount(&mut self) {
        let key = Some((self.generation, Arc::as_ptr(&self.base) as usize));
        if self.counted.1 == key {
            return;
        }
        let (base, draft) = (&*self.base, &self.draft);
        let mut n = self.changes.count(base, draft)
            + usize::from(base.origin_request != draft.origin_request)
            + usize::from(base.warp_routing != draft.warp_routing)
            + usize::from(base.extra != draft.extra);
        // The count follows rows; whatever it cannot see (an absent list become empty) still
        // is a change. Comparing whole configs costs a pass, so only when the count says none.
        if n == 0 && !self.history.is_empty() && base != draft {
            n = 1;
        }
        self.counted = (n, key);
    }

    /// Errors and warnings of the whole draft.
    pub fn counts(&self) -> (usize, usize) {
        self.checks.counts()
    }

    /// The draft's diagnostics.
    pub fn diagnostics(&self) -> &[crate::config::validate::Diagnostic] {
        self.checks.diagnostics()
    }

    /// Rules shown (filtered).
    pub fn visible_rules(&self) -> Vec<usize> {
        self.table.visible(self.draft.rules())
    }

    /// The selected rule, when the filter shows it.
    pub fn current_rule(&self) -> Option<usize> {
        self.table.current(self.draft.rules())
    }

    /// How row `i` of the draft differs from the base.
    pub fn row_change(&self, i: usize) -> Option<RowChange> {
        if self.history.is_empty() && !self.unpublished_new {
            return None;
        }
        self.changes.of(i, &self.base, &self.draft)
    }

    /// What the banner above the table says, if anything.
    pub fn banner(&self) -> Option<Banner> {
        if !matches!(self.mode, Mode::Editing) {
            return None;
        }
        let rules = self.draft.rules();
        if rules.is_empty() {
            Some(Banner::NoRules)
        } else if !rules.last().is_some_and(IngressRule::is_catch_all) {
            Some(Banner::NoCatchAll)
        } else if self.unpublished_new {
            Some(Banner::NewConfig)
        } else {
            None
        }
    }

    /// The banner's text, if any.
    pub fn banner_text(&self) -> Option<String> {
        let k = |c| self.keymap.label(Context::Main, c, true);
        Some(match self.banner()? {
            Banner::NoRules => format!(
                "No rules: cloudflared refuses a config without ingress rules. {} adds the catch-all (http_status:404), {} adds a rule.",
                k(Command::AddCatchAll),
                k(Command::Add)
            ),
            Banner::NoCatchAll => format!(
                "The last rule is not a catch-all, so cloudflared refuses the config: {} adds the catch-all (http_status:404) at the end.",
                k(Command::AddCatchAll)
            ),
            Banner::NewConfig if self.is_file() => format!(
                "This file does not exist yet: {} saves it, creating the file.",
                k(Command::Publish)
            ),
            Banner::NewConfig => format!(
                "This tunnel has no remote config yet: this one is new ({} publishes it).",
                k(Command::Publish)
            ),
        })
    }

    /// The banner's lines at `width` columns (at most two).
    pub fn banner_lines(&self, width: u16) -> Vec<String> {
        let Some(text) = self.banner_text() else {
            return Vec::new();
        };
        let mut lines = layout::wrap(&text, usize::from(width).max(10));
        lines.truncate(2);
        lines
    }

    /// The status area's message lines at `width` columns: the message wrapped to at most
    /// three lines (the last ending with a pointer to the log when cut); empty without one.
    pub fn message_lines(&self, width: u16) -> Vec<String> {
        let Some(s) = &self.messages.current else {
            return Vec::new();
        };
        let width = usize::from(width).max(10);
        let text = crate::text::inert(&s.text);
        let mut lines = layout::wrap(&text, width);
        if lines.len() > 3 {
            let more = format!(
                " … ({} shows it all)",
                self.keymap.label(Context::Main, Command::Messages, true)
            );
            lines.truncate(3);
            let keep = width.saturating_sub(more.chars().count());
            lines[2] = format!("{}{more}", layout::truncate_end(&lines[2], keep, true));
        }
        lines
    }

    /// The main screen's layout in a window of `area`.
    pub fn layout(&self, area: ratatui::layout::Rect) -> MainLayout {
        let status = u16::from(self.table.filter_active())
            + (self.message_lines(area.width).len() as u16).max(1);
        MainLayout::new(
            area,
            self.banner_lines(area.width).len() as u16,
            self.table.detail_rows(area.height),
            status,
        )
    }

    /// Rows per page in the table (as the view lays it out).
    pub fn page(&self) -> usize {
        self.layout(ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1))
            .table_rows()
    }

    fn cx(&self) -> Cx<'_> {
        Cx {
            keymap: &self.keymap,
            draft: &self.draft,
            base: &self.base,
            page: self.page(),
        }
    }

    fn info(&mut self, text: impl Into<String>) {
        let at = self.timestamp();
        self.messages.push(text.into(), false, at);
    }

    fn error(&mut self, text: impl Into<String>) {
        let at = self.timestamp();
        self.messages.push(text.into(), true, at);
    }

    /// Shows a wait over the screen.
    fn wait(&mut self, wait: Wait, what: impl Into<String>) {
        self.overlay = Some(Overlay::from(Progress {
            wait,
            what: what.into(),
            since: self.timestamp(),
        }));
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
        self.table.select(0);
        self.mode = Mode::Editing;
        self.overlay = None;
        self.checks.reset(&self.draft);
        self.base_warnings = Arc::new(publish::warning_keys(
            &self.draft,
            self.checks.diagnostics(),
        ));
        if self.unpublished_new {
            self.changes.rebuild(&self.base, &self.draft);
            let p = self.keymap.label(Context::Main, Command::Publish, true);
            if self.is_file() {
                self.info(format!(
                    "this file does not exist yet: a new config with one catch-all rule is ready; {p} saves it (creating the file)"
                ));
            } else {
                self.info(format!(
                    "this tunnel has no remote config yet: a new config with one catch-all rule is ready; {p} publishes it"
                ));
            }
        } else {
            self.changes.reset(&self.base);
        }
        if let Some(why) = &self.drafts_off {
            self.error(format!("no drafts: {why}"));
        }
    }

    /// The matcher for the current draft (built once per draft version; compiled regexes are
    /// kept inside it).
    fn matcher(&mut self) -> Arc<Matcher> {
        match &self.matcher {
            Some((generation, m)) if *generation == self.generation => Arc::clone(m),
            _ => {
                let m = Arc::new(Matcher::new(self.draft.rules()));
                self.matcher = Some((self.generation, Arc::clone(&m)));
                m
            }
        }
    }

    /// Changes whenever what [`App::to_saved`] would save changes: the draft, or the text of
    /// an open form. The terminal layer saves the draft when it moves.
    pub fn save_stamp(&self) -> u64 {
        self.generation.wrapping_add(self.form_generation)
    }

    /// Handles one event.
    pub fn update(&mut self, event: Event) -> Vec<Effect> {
        let typed = matches!(event, Event::Key(_) | Event::Paste(_))
            && matches!(self.overlay, Some(Overlay::Form(_)));
        let effects = self.handle(event);
        if typed {
            self.form_generation = self.form_generation.wrapping_add(1);
        }
        self.recount();
        if matches!(self.mode, Mode::Editing) {
            let page = self.page();
            self.table.keep_visible(self.draft.rules(), page);
            let mut effects = effects;
            effects.extend(self.judge_dns());
            return effects;
        }
        effects
    }

    fn handle(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Event::Tick(now) => {
                // A wait that began before the clock was known starts now.
                let t = now.timestamp();
                if let Mode::Loading {
                    since: since @ None,
                    ..
                } = &mut self.mode
                {
                    *since = Some(t);
                }
                if let Some(Overlay::Progress(p)) = &mut self.overlay
                    && p.since.is_none()
                {
                    p.since = Some(t);
                }
                self.now = Some(now);
                Vec::new()
            }
            Event::Key(key) => self.key(key),
            Event::Paste(text) => self.paste(&text),
            Event::Accounts(Ok(accounts)) => self.on_accounts(accounts),
            Event::Tunnels(Ok(tunnels)) => {
                let mut picker = Picker::new(
                    tunnels
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
                    vec!["TUNNEL", "ID", "HEALTH", "CONFIG"],
                );
                let account = self.accounts.first().map(|a| a.id.clone());
                let effects = account
                    .map(|a| self.read_health(&a, &tunnels))
                    .unwrap_or_default();
                if let Some(name) = self.pending_pick.take() {
                    picker.note = Some(format!(
                        "No tunnel is named \"{}\": choose one (the list is filtered by that name; {} clears the filter)",
                        crate::text::inert(&name),
                        self.keymap
                            .label(Context::Filter, Command::ClearFilter, true)
                    ));
                    picker.filter = name;
                }
                self.mode = Mode::PickTunnel(picker);
                effects
            }
            Event::Accounts(Err(e)) | Event::Tunnels(Err(e)) => {
                self.mode = Mode::Failed(e);
                Vec::new()
            }
            Event::Loaded(Ok(mut snapshot)) => {
                let access = match &self.origin {
                    Some(Origin::Remote { account_id, .. }) => vec![Effect::ReadAccess {
                        account: account_id.clone(),
                    }],
                    _ => Vec::new(),
                };
                let saved = snapshot.saved.take();
                let note = snapshot.draft_note.take();
                let held_by = snapshot.held_by.take();
                let current_version = snapshot.version;
                self.start_editing(snapshot);
                if let Some(note) = note {
                    self.error(note);
                }
                if let Some(holder) = held_by {
                    // Nothing of this editor touches the holder's draft until it takes over.
                    self.read_only = Some(format!("another editor holds it ({holder})"));
                    self.overlay = Some(Overlay::from(overlays::locked::Locked { holder }));
                    return Vec::new();
                }
                if let Some(saved) = saved {
                    self.overlay = Some(Overlay::from(Recover {
                        saved,
                        current_version,
                        viewing: None,
                        scroll: 0,
                    }));
                }
                // DNS fills in the background: the table is usable at once.
                let mut effects = access;
                effects.extend(self.read_dns());
                effects
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
            Event::Reviewed(result) => self.on_reviewed(result),
            Event::Published(result) => self.on_published(result),
            Event::DnsRead { ticket, snapshot } => {
                self.on_dns_read(ticket, *snapshot);
                Vec::new()
            }
            Event::DnsMade(made) => self.on_dns_made(*made),
            Event::DnsJudged { ticket, report } => self.on_dns_judged(ticket, report),
            Event::Moved(current) => self.on_moved(current),
            Event::History(result) => {
                if let Some(Overlay::History(pane)) = &mut self.overlay {
                    match result {
                        Ok(items) => pane.items = Some(items),
                        Err(e) => {
                            pane.items = Some(Vec::new());
                            pane.error = Some(e);
                        }
                    }
                }
                Vec::new()
            }
            Event::HistoryConfig(Ok((config, label))) => {
                self.load_from_history(*config, &label);
                Vec::new()
            }
            Event::HistoryConfig(Err(e)) => {
                self.error(format!("cannot load it from the history: {e}"));
                Vec::new()
            }
            Event::TookOver(Ok(aside)) => {
                self.read_only = None;
                self.info(match aside {
                    Some(p) => format!(
                        "taken over; the other editor's draft is kept in {}",
                        crate::text::inert(&p.display().to_string())
                    ),
                    None => "taken over (the other editor had no unsaved draft)".to_owned(),
                });
                Vec::new()
            }
            Event::TookOver(Err(e)) => {
                self.error(format!("not taken over: {e}"));
                Vec::new()
            }
            Event::DraftSaved(Ok(())) => {
                if self.draft_failure.take().is_some() {
                    self.info("the draft is saved again");
                }
                Vec::new()
            }
            Event::LockLost { by, aside } => {
                let lost = match &aside {
                    Ok(p) => format!(
                        "{by} took this over; your draft is kept aside in {} (nothing can be {} from this editor any more)",
                        crate::text::inert(&p.display().to_string()),
                        self.verb_ed()
                    ),
                    Err(why) => format!(
                        "{why} (nothing can be {} from this editor any more)",
                        self.verb_ed()
                    ),
                };
                // Said again after every save (saves follow edits), as a failed save is.
                self.error(format!("TAKEN OVER: {lost}"));
                self.draft_failure = aside.err();
                self.lock_lost = Some(lost);
                Vec::new()
            }
            Event::DraftSaved(Err(why)) => {
                // Said again after every edit that could not be saved (saves follow edits).
                self.error(format!("YOUR EDITS ARE NOT SAVED: {why}"));
                self.draft_failure = Some(why);
                Vec::new()
            }
            Event::Rollout {
                ticket,
                update,
                over,
            } => {
                self.on_rollout(ticket, update, over);
                Vec::new()
            }
            Event::Status(result) => {
                self.on_status(result);
                Vec::new()
            }
            Event::Health(id, result) => {
                self.on_health(&id, result);
                Vec::new()
            }
            Event::Access(result) => {
                self.on_access(result);
                Vec::new()
            }
        }
    }

    fn on_accounts(&mut self, accounts: Vec<Account>) -> Vec<Effect> {
        self.accounts.clone_from(&accounts);
        match accounts.as_slice() {
            [] => {
                self.mode = Mode::Failed("these credentials see no account".to_owned());
                Vec::new()
            }
            [one] => {
                self.accounts = vec![one.clone()];
                self.loading("listing tunnels…");
                vec![Effect::ListTunnels {
                    account: one.id.clone(),
                }]
            }
            many => {
                self.mode = Mode::PickAccount(Picker::new(
                    many.iter()
                        .map(|a| (a.id.clone(), vec![a.name.clone(), a.id.clone()]))
                        .collect(),
                    vec!["ACCOUNT", "ID"],
                ));
                Vec::new()
            }
        }
    }

    fn paste(&mut self, text: &str) -> Vec<Effect> {
        if let Some(mut overlay) = self.overlay.take() {
            let outcome = overlay.paste(text, &self.cx());
            return self.after_overlay(overlay, outcome);
        }
        if matches!(self.mode, Mode::Editing) && self.table.filtering {
            self.table
                .filter
                .push_str(&text.trim().replace(['\n', '\r'], " "));
            self.table.follow_filter(self.draft.rules());
        }
        Vec::new()
    }

    fn key(&mut self, key: KeyPress) -> Vec<Effect> {
        if let Some(mut overlay) = self.overlay.take() {
            let outcome = overlay.key(key, &self.cx());
            return self.after_overlay(overlay, outcome);
        }
        match &mut self.mode {
            Mode::Editing => self.main_key(key),
            Mode::PickAccount(_) | Mode::PickTunnel(_) => self.picker_key(key),
            Mode::Loading { .. } => {
                if self.keymap.command(Context::Loading, key) == Some(Command::Quit) {
                    self.quit = true;
                    return vec![Effect::Quit];
                }
                Vec::new()
            }
            Mode::Failed(_) => match self.keymap.command(Context::Failed, key) {
                Some(Command::Quit) => {
                    self.quit = true;
                    vec![Effect::Quit]
                }
                Some(Command::Retry) => self.reload_effects(),
                _ => Vec::new(),
            },
        }
    }

    /// Puts the overlay back or not, and does what it asked.
    fn after_overlay(&mut self, overlay: Overlay, outcome: Outcome) -> Vec<Effect> {
        match outcome {
            Outcome::Stay => {
                self.overlay = Some(overlay);
                Vec::new()
            }
            Outcome::StayThen(action) => {
                self.overlay = Some(overlay);
                self.act(action)
            }
            Outcome::Close => Vec::new(),
            Outcome::CloseThen(action) => self.act(action),
        }
    }

    /// Does what an overlay asked.
    fn act(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Info(text) => self.info(text),
            Action::ApplyForm(target, applied) => self.apply_form(&target, applied),
            Action::Tested(rule) => {
                self.tester_match = rule;
                if let Some(i) = rule {
                    if !self
                        .draft
                        .rules()
                        .get(i)
                        .is_some_and(|r| self.table.shows(r))
                    {
                        self.table.filter.clear();
                    }
                    self.table.select(i);
                }
            }
            Action::Answer(ask, yes) => return self.answer(ask, yes),
            Action::Rebase(remote) => return self.rebase(*remote),
            Action::Overwrite(remote) => return self.overwrite(*remote),
            Action::Publish(review) => return self.send(review),
            Action::SyncDns(changes) => return self.sync_dns(changes),
            Action::ResolveRebase(rebased, remote) => {
                return self.finish_rebase(*rebased, *remote);
            }
            Action::QuitWhenPublished => self.quit_when_published_now(),
            Action::ReadOnly(holder) => {
                self.info(format!(
                    "read-only: {holder} holds this {}; nothing here is saved or {}",
                    if self.is_file() { "file" } else { "tunnel" },
                    self.verb_ed()
                ));
                self.read_only = Some(format!("another editor holds it ({holder})"));
            }
            Action::TakeOver => {
                return self
                    .draft_key()
                    .map(|key| Effect::TakeOver { key })
                    .into_iter()
                    .collect();
            }
            Action::LoadFromHistory(item) => {
                if let Some(config) = item.config.clone() {
                    return vec![Effect::ReadHistoryConfig {
                        remote: self.remote_ids(),
                        config,
                        label: item.label(),
                    }];
                }
            }
            Action::CancelPublish => {
                self.info(format!(
                    "{} cancelled; your draft is unchanged",
                    self.verb()
                ));
            }
            Action::Restore(saved, current) => self.restore(*saved, current),
            Action::DiscardDraft => {
                self.info("the saved draft was discarded");
                return vec![Effect::DeleteDraft];
            }
            Action::Quit => return self.ask_quit(),
            Action::Key(key) if matches!(self.mode, Mode::Editing) => return self.main_key(key),
            Action::Key(_) => {}
            Action::ReadStatus => return self.read_status(),
            Action::PickAccess(hostname) => self.pick_access(&hostname),
            Action::Reopen(form) => self.overlay = Some(Overlay::Form(form.0)),
            Action::QuitKeepingDraft => {
                self.quit = true;
                return vec![Effect::Quit];
            }
        }
        Vec::new()
    }

    fn answer(&mut self, ask: Ask, yes: bool) -> Vec<Effect> {
        match (ask, yes) {
            (Ask::Quit, true) => {
                self.quit = true;
                vec![Effect::DeleteDraft, Effect::Quit]
            }
            (Ask::Reload, true) => {
                let mut fx = vec![Effect::DeleteDraft];
                fx.extend(self.reload_effects());
                fx
            }
            (Ask::Warnings, true) => self.publish_fetch(),
            (Ask::Warnings, false) => {
                self.info(format!("{} cancelled", self.verb()));
                Vec::new()
            }
            (_, false) => Vec::new(),
        }
    }

    fn reload_effects(&mut self) -> Vec<Effect> {
        let effect = match &self.origin {
            Some(Origin::Remote {
                account_id,
                tunnel_id,
                ..
            }) => Effect::LoadRemote {
                account: account_id.clone(),
                tunnel: tunnel_id.clone(),
            },
            Some(Origin::File { .. }) => Effect::LoadFile,
            None => return vec![Effect::ListAccounts],
        };
        if matches!(self.mode, Mode::Editing) {
            self.wait(Wait::Reloading, "reloading…");
        } else {
            let what = if self.is_file() {
                "reading the file…"
            } else {
                "reading the config…"
            };
            self.loading(what);
        }
        vec![effect]
    }

    fn picker_key(&mut self, key: KeyPress) -> Vec<Effect> {
        let is_account = matches!(self.mode, Mode::PickAccount(_));
        let (Mode::PickAccount(p) | Mode::PickTunnel(p)) = &mut self.mode else {
            return Vec::new();
        };
        match p.key(key, &self.keymap) {
            Picked::Choosing => Vec::new(),
            Picked::Quit => {
                self.quit = true;
                vec![Effect::Quit]
            }
            Picked::Open(id, _) if is_account => {
                self.note_account(&id);
                self.loading("listing tunnels…");
                vec![Effect::ListTunnels { account: id }]
            }
            Picked::Open(id, name) => {
                let (account, account_name) = self
                    .accounts
                    .first()
                    .map(|a| (a.id.clone(), a.name.clone()))
                    .unwrap_or_default();
                self.origin = Some(Origin::Remote {
                    account_id: account.clone(),
                    account_name,
                    tunnel_id: id.clone(),
                    tunnel_name: name.clone(),
                });
                self.loading(format!("reading the config of {name}…"));
                vec![Effect::LoadRemote {
                    account,
                    tunnel: id,
                }]
            }
        }
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

    fn restore(&mut self, saved: SavedDraft, current_version: Option<u64>) {
        let moved = match (&self.origin, saved.base_version, current_version) {
            (Some(Origin::Remote { .. }), Some(was), Some(now)) if was != now => Some((was, now)),
            _ => None,
        };
        let file_moved = self.is_file() && saved.base != self.base;
        let when = match &self.now {
            Some(now) => crate::time::ago_text(&saved.saved_at, now),
            None => crate::text::inert(&saved.saved_at).into_owned(),
        };
        self.base = saved.base;
        self.base_version = saved.base_version;
        self.unpublished_new = saved.unpublished_new;
        self.draft = saved.draft;
        self.history.reset_to(saved.edits);
        self.generation += 1;
        self.checks.reset(&self.draft);
        self.changes.rebuild(&self.base, &self.draft);
        let base_diags = crate::config::validate::validate(&self.base);
        self.base_warnings = Arc::new(self.base_warning_keys(&base_diags));
        self.overlay = saved
            .form
            .as_ref()
            .and_then(|f| forms::Form::from_draft(&self.draft, f))
            .map(Overlay::from);
        let form_note = if self.overlay.is_some() {
            "; the form you were typing in is open again, with what you typed"
        } else {
            ""
        };
        let n = self.history.len();
        let msg = match moved {
            Some((was, now)) => format!(
                "restored {n} edit(s) saved {when}; the remote moved on since (v{was} → v{now}): publishing will offer to rebase"
            ),
            None if file_moved => format!(
                "restored {n} edit(s) saved {when}; the file changed since: saving will offer to rebase"
            ),
            None => format!("restored {n} edit(s) saved {when}"),
        };
        self.info(format!("{msg}{form_note}"));
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
        if !matches!(self.mode, Mode::Editing) || self.read_only.is_some() {
            return None;
        }
        let form = match &self.overlay {
            Some(Overlay::Form(f)) => f.to_draft(),
            _ => None,
        };
        if !self.is_modified() && form.is_none() {
            return None;
        }
        Some(SavedDraft {
            form,
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
            .map(crate::config::diff::rule_label)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests;
