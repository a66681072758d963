//! Key bindings as data: the app's own key type, one [`Command`] enum, and one binding table per
//! context (main screen, filter, form, picker, each overlay). Key handling looks commands up in
//! these tables, and the help screen and every footer are drawn from the same tables, so what a
//! key does and what the screen says it does cannot drift. A user's `[keys]` settings replace a
//! command's keys everywhere that command is bound ([`Keymap::with_overrides`]).

use std::fmt;

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    /// A character (its case says whether Shift was held).
    Char(char),
    /// Enter / Return.
    Enter,
    /// Escape.
    Esc,
    /// Tab (with Shift: back-tab).
    Tab,
    /// Backspace.
    Backspace,
    /// Delete.
    Delete,
    /// Insert.
    Insert,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Arrow left.
    Left,
    /// Arrow right.
    Right,
    /// Home.
    Home,
    /// End.
    End,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// A function key, F1 to F24.
    F(u8),
}

/// A key press: a key and the modifiers held. For characters, Shift is part of the character
/// (`K`, `?`), never a modifier, so `K` and `shift-k` are the same press.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPress {
    /// The key.
    pub code: KeyCode,
    /// Control held.
    pub ctrl: bool,
    /// Alt (Meta) held.
    pub alt: bool,
    /// Shift held (never set for characters).
    pub shift: bool,
}

impl KeyPress {
    /// A key without modifiers.
    pub const fn plain(code: KeyCode) -> Self {
        KeyPress {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    /// A character without modifiers.
    pub const fn ch(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }

    /// Control and a character.
    pub const fn ctrl(c: char) -> Self {
        KeyPress {
            code: KeyCode::Char(c),
            ctrl: true,
            alt: false,
            shift: false,
        }
    }

    /// Shift and a key that is not a character.
    pub const fn shift(code: KeyCode) -> Self {
        KeyPress {
            code,
            ctrl: false,
            alt: false,
            shift: true,
        }
    }

    /// A press as a terminal reports it, normalised: Shift folded into characters.
    pub fn new(code: KeyCode, ctrl: bool, alt: bool, shift: bool) -> Self {
        KeyPress {
            code,
            ctrl,
            alt,
            shift: shift && !matches!(code, KeyCode::Char(_)),
        }
    }

    /// The character typed, when this press types one into a text field (no Control or Alt).
    pub fn typed(self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if !self.ctrl && !self.alt && !c.is_control() => Some(c),
            _ => None,
        }
    }

    /// Parses a key name as written in the settings: `P`, `?`, `space`, `ctrl-z`, `alt-x`,
    /// `shift-tab`, `enter`, `esc`, `f1`, `pgdn`, `up`. Case-insensitive except for a single
    /// character.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("an empty key name".to_owned());
        }
        let mut rest = t;
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            let take = |p: &str| lower.starts_with(p) && rest.len() > p.len();
            if take("ctrl-") || take("ctrl+") {
                ctrl = true;
                rest = &rest[5..];
            } else if take("c-") {
                ctrl = true;
                rest = &rest[2..];
            } else if take("alt-") || take("alt+") {
                alt = true;
                rest = &rest[4..];
            } else if take("m-") {
                alt = true;
                rest = &rest[2..];
            } else if take("shift-") || take("shift+") {
                shift = true;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => {
                if shift {
                    // shift-k is K; shift-? is meaningless.
                    if !c.is_alphabetic() {
                        return Err(format!(
                            "\"{t}\": Shift cannot be combined with \"{c}\" (write the shifted character itself)"
                        ));
                    }
                    shift = false;
                    KeyCode::Char(c.to_uppercase().next().unwrap_or(c))
                } else if ctrl {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" | "ret" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => {
                    shift = true;
                    KeyCode::Tab
                }
                "backspace" | "bs" | "bksp" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" | "pgdown" => KeyCode::PageDown,
                "space" | "spc" => KeyCode::Char(' '),
                "minus" => KeyCode::Char('-'),
                "plus" => KeyCode::Char('+'),
                name => match name.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n @ 1..=24) => KeyCode::F(n),
                    _ => {
                        return Err(format!(
                            "\"{}\" is not a key name (examples: P, ?, space, enter, esc, tab, shift-tab, up, pgdn, f1, ctrl-z, alt-x)",
                            crate::text::inert(t)
                        ));
                    }
                },
            },
        };
        Ok(KeyPress {
            code,
            ctrl,
            alt,
            shift,
        })
    }

    /// The key as shown in help and footers: `Ctrl-z`, `Shift-Tab`, `PgDn`, `Space`, and the
    /// arrows as `↑ ↓ ← →` (`Up Down Left Right` in ASCII mode).
    pub fn label(self, ascii: bool) -> String {
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::Backspace => "Backspace".to_owned(),
            KeyCode::Delete => "Delete".to_owned(),
            KeyCode::Insert => "Insert".to_owned(),
            KeyCode::Up => if ascii { "Up" } else { "↑" }.to_owned(),
            KeyCode::Down => if ascii { "Down" } else { "↓" }.to_owned(),
            KeyCode::Left => if ascii { "Left" } else { "←" }.to_owned(),
            KeyCode::Right => if ascii { "Right" } else { "→" }.to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::F(n) => format!("F{n}"),
        };
        let mut out = String::new();
        if self.ctrl {
            out.push_str("Ctrl-");
        }
        if self.alt {
            out.push_str("Alt-");
        }
        if self.shift {
            out.push_str("Shift-");
        }
        out.push_str(&name);
        out
    }
}

impl fmt::Display for KeyPress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label(true))
    }
}

macro_rules! commands {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// Everything a key can do. The name is what the settings' `[keys]` table uses.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Command {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Command {
            /// Every command.
            pub const ALL: &'static [Command] = &[$(Command::$variant,)*];

            /// The name used in the settings' `[keys]` table.
            pub fn name(self) -> &'static str {
                match self {
                    $(Command::$variant => $name,)*
                }
            }
        }
    };
}

commands! {
    /// Select the next row (rule, tunnel, line).
    Down = "down",
    /// Select the previous row.
    Up = "up",
    /// Select the first row.
    First = "first",
    /// Select the last row.
    Last = "last",
    /// A page down.
    PageDown = "page_down",
    /// A page up.
    PageUp = "page_up",
    /// Start typing a row filter.
    Filter = "filter",
    /// Clear the row filter.
    ClearFilter = "clear_filter",
    /// Keep the filter typed and go back to the rows.
    KeepFilter = "keep_filter",
    /// Show or hide the detail pane.
    Details = "details",
    /// Scroll the detail pane down.
    DetailsDown = "details_down",
    /// Scroll the detail pane up.
    DetailsUp = "details_up",
    /// Edit the selected rule in a form.
    Edit = "edit",
    /// Add a rule after the selection.
    Add = "add",
    /// Duplicate the selected rule.
    Duplicate = "duplicate",
    /// Delete the selected rule.
    Delete = "delete",
    /// Move the selected rule up.
    MoveRuleUp = "move_rule_up",
    /// Move the selected rule down.
    MoveRuleDown = "move_rule_down",
    /// Add the catch-all rule `http_status:404` at the end.
    AddCatchAll = "add_catch_all",
    /// Undo the last edit.
    Undo = "undo",
    /// Redo the last undone edit.
    Redo = "redo",
    /// Edit the global originRequest.
    Global = "global",
    /// Edit warp-routing.
    Warp = "warp",
    /// Test which rule serves a URL.
    TestUrl = "test_url",
    /// Publish (remote) or save (file).
    Publish = "publish",
    /// Reload from the source.
    Reload = "reload",
    /// Show the session's messages.
    Messages = "messages",
    /// Show the tunnel's status: health, connectors, the config version each runs.
    Status = "status",
    /// In the rule form: pick the Access application that covers the hostname.
    PickAccess = "pick_access",
    /// Show the keys.
    Help = "help",
    /// Leave.
    Quit = "quit",
    /// Redraw the whole screen.
    Redraw = "redraw",
    /// Open the selected item (picker).
    Open = "open",
    /// Next form field.
    NextField = "next_field",
    /// Previous form field.
    PrevField = "prev_field",
    /// Toggle a yes/no field, cycle a choice.
    Toggle = "toggle",
    /// Clear a field back to inherit.
    Inherit = "inherit",
    /// Cycle the service's scheme.
    CycleScheme = "cycle_scheme",
    /// Apply the form.
    Apply = "apply",
    /// Close the form without applying.
    Discard = "discard",
    /// Answer yes.
    Yes = "yes",
    /// Answer no.
    No = "no",
    /// Close a window.
    Close = "close",
    /// Cancel what is under way.
    Cancel = "cancel",
    /// Confirm the publish shown in the review.
    Confirm = "confirm",
    /// Rebase the edits onto the remote version.
    Rebase = "rebase",
    /// Overwrite the remote changes.
    Overwrite = "overwrite",
    /// Restore a saved draft.
    Restore = "restore",
    /// View the saved draft's diff.
    ViewDiff = "view_diff",
    /// Discard the saved draft.
    DiscardDraft = "discard_draft",
    /// Clear the text typed.
    ClearInput = "clear_input",
    /// Try again.
    Retry = "retry",
    /// Read the DNS records of the tunnel's hostnames again.
    RefreshDns = "refresh_dns",
    /// Select the next item of a list inside a window (the review's DNS changes).
    NextItem = "next_item",
    /// Select the previous item of a list inside a window.
    PrevItem = "prev_item",
    /// Open the publish history.
    History = "history",
    /// In a rebase conflict: keep their version.
    KeepTheirs = "keep_theirs",
    /// In a rebase conflict: keep my version.
    KeepMine = "keep_mine",
    /// Take over a tunnel (or file) another editor holds.
    TakeOver = "take_over",
    /// View a tunnel (or file) another editor holds, without editing.
    ReadOnly = "read_only",
}

impl Command {
    /// The command with this settings name.
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// Where a key is pressed: each context has its own table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// Keys that work everywhere (handled by the terminal layer).
    Global,
    /// The rule table.
    Main,
    /// Typing a row filter.
    Filter,
    /// A form.
    Form,
    /// The account and tunnel pickers.
    Picker,
    /// The key help.
    Help,
    /// The publish review.
    Review,
    /// The remote changed: rebase, overwrite or cancel.
    Conflict,
    /// A yes/no question.
    Confirm,
    /// A saved draft: restore, view or discard.
    Recover,
    /// The URL tester.
    Tester,
    /// The message log.
    Messages,
    /// Waiting for background work.
    Progress,
    /// The rollout panel after a publish.
    Rollout,
    /// The tunnel's status view.
    Status,
    /// Choosing an Access application for the rule form.
    AccessPick,
    /// Reading the config at start.
    Loading,
    /// The config could not be opened.
    Failed,
    /// Settling a rebase's conflicts.
    Rebase,
    /// A notice that must be seen (a publish that raced another).
    Alert,
    /// Another editor holds the tunnel or file.
    Locked,
    /// The publish history.
    History,
}

/// Where a command shows in its context's footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footer {
    /// The label on wide terminals.
    pub label: &'static str,
    /// The label when room is short.
    pub short: &'static str,
    /// Which items stay when room runs out (lower stays longer). Commands with the same label
    /// and rank show as one item (`j/k move`).
    pub rank: u8,
}

/// One command's default keys and help in a context.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The command.
    pub command: Command,
    /// Its default keys (the first is the one footers show).
    pub keys: &'static [KeyPress],
    /// One line of help. `{publish}` reads "publish" or "save" (file mode).
    pub help: &'static str,
    /// Whether and how it shows in the footer.
    pub footer: Option<Footer>,
}

/// Bindings under a heading of the help screen.
#[derive(Debug, Clone, Copy)]
pub struct Group {
    /// The heading.
    pub title: &'static str,
    /// The bindings.
    pub bindings: &'static [Binding],
}

/// One context's table.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// The context.
    pub context: Context,
    /// Its bindings, grouped for the help screen.
    pub groups: &'static [Group],
    /// A command that any key not in the table runs (for example: any other key cancels the
    /// review), with how the help says it.
    pub other_keys: Option<(Command, &'static str)>,
    /// Whether typing text goes into a field here, so a plain character cannot be a binding.
    pub text_input: bool,
}

const fn b(
    command: Command,
    keys: &'static [KeyPress],
    help: &'static str,
    footer: Option<Footer>,
) -> Binding {
    Binding {
        command,
        keys,
        help,
        footer,
    }
}

const fn f(label: &'static str, short: &'static str, rank: u8) -> Option<Footer> {
    Some(Footer { label, short, rank })
}

use KeyCode as C;
const fn p(code: KeyCode) -> KeyPress {
    KeyPress::plain(code)
}
const fn ch(c: char) -> KeyPress {
    KeyPress::ch(c)
}
const fn ctrl(c: char) -> KeyPress {
    KeyPress::ctrl(c)
}

const DOWN: &[KeyPress] = &[ch('j'), p(C::Down)];
const UP: &[KeyPress] = &[ch('k'), p(C::Up)];
const PAGE_DOWN: &[KeyPress] = &[p(C::PageDown), ch(' ')];
const PAGE_UP: &[KeyPress] = &[p(C::PageUp)];

/// Every context's default table.
pub const TABLES: &[Table] = &[
    Table {
        context: Context::Main,
        groups: &[
            Group {
                title: "Edit",
                bindings: &[
                    b(
                        Command::Edit,
                        &[ch('e'), p(C::Enter)],
                        "edit the selected rule",
                        f("edit", "edit", 1),
                    ),
                    b(
                        Command::Add,
                        &[ch('a')],
                        "add a rule after the selection (before the catch-all)",
                        f("add", "add", 2),
                    ),
                    b(
                        Command::Duplicate,
                        &[ch('c')],
                        "duplicate the selected rule",
                        f("duplicate", "dup", 7),
                    ),
                    b(
                        Command::Delete,
                        &[ch('d'), p(C::Delete)],
                        "delete the selected rule (undoable)",
                        f("delete", "del", 2),
                    ),
                    b(
                        Command::MoveRuleUp,
                        &[ch('K')],
                        "move the rule up",
                        f("reorder", "move", 6),
                    ),
                    b(
                        Command::MoveRuleDown,
                        &[ch('J')],
                        "move the rule down",
                        f("reorder", "move", 6),
                    ),
                    b(
                        Command::AddCatchAll,
                        &[ch('A')],
                        "add the catch-all rule (http_status:404) at the end",
                        None,
                    ),
                    b(
                        Command::Undo,
                        &[ch('u'), ctrl('z')],
                        "undo",
                        f("undo", "undo", 3),
                    ),
                    b(Command::Redo, &[ctrl('r'), ctrl('y')], "redo", None),
                    b(
                        Command::Global,
                        &[ch('o')],
                        "global originRequest settings",
                        f("global", "global", 9),
                    ),
                    b(Command::Warp, &[ch('w')], "warp-routing", None),
                ],
            },
            Group {
                title: "Move",
                bindings: &[
                    b(Command::Down, DOWN, "next rule", f("move", "move", 9)),
                    b(Command::Up, UP, "previous rule", f("move", "move", 9)),
                    b(Command::First, &[ch('g'), p(C::Home)], "first rule", None),
                    b(Command::Last, &[ch('G'), p(C::End)], "last rule", None),
                    b(Command::PageDown, &[p(C::PageDown)], "a page down", None),
                    b(Command::PageUp, &[p(C::PageUp)], "a page up", None),
                    b(
                        Command::Filter,
                        &[ch('/')],
                        "filter rows by text (hostname, path, service)",
                        f("filter", "filter", 8),
                    ),
                    b(
                        Command::ClearFilter,
                        &[p(C::Esc)],
                        "clear the filter (Esc never quits)",
                        None,
                    ),
                    b(
                        Command::Details,
                        &[ch('i')],
                        "show/hide the selected rule's details: problems, effective settings, unknown keys",
                        f("details", "info", 5),
                    ),
                    b(
                        Command::DetailsDown,
                        &[ch(']')],
                        "scroll the detail pane down",
                        None,
                    ),
                    b(
                        Command::DetailsUp,
                        &[ch('[')],
                        "scroll the detail pane up",
                        None,
                    ),
                ],
            },
            Group {
                title: "Check and {publish}",
                bindings: &[
                    b(
                        Command::TestUrl,
                        &[ch('t')],
                        "test a URL: which rule serves it",
                        f("test URL", "test", 5),
                    ),
                    b(
                        Command::Publish,
                        &[ch('p')],
                        "{publish}: check, review the diff, then confirm",
                        f("{publish}", "{publish}", 1),
                    ),
                    b(Command::Reload, &[ch('r')], "reload from the source", None),
                    b(
                        Command::RefreshDns,
                        &[ch('D')],
                        "read the DNS records of the hostnames again (the DNS column)",
                        None,
                    ),
                    b(
                        Command::Messages,
                        &[ch('m')],
                        "the messages of this session, in full",
                        f("messages", "msgs", 7),
                    ),
                    b(
                        Command::History,
                        &[ch('H')],
                        "the publish history: load an earlier version into the draft (undoable)",
                        f("history", "hist", 9),
                    ),
                    b(
                        Command::Status,
                        &[ch('s')],
                        "the tunnel's status: health, connectors, the config version each runs, the last rollout",
                        f("status", "stat", 7),
                    ),
                ],
            },
            Group {
                title: "Leave",
                bindings: &[
                    b(
                        Command::Help,
                        &[ch('?'), p(C::F(1))],
                        "this help",
                        f("help", "help", 0),
                    ),
                    b(
                        Command::Quit,
                        &[ch('q'), ctrl('c')],
                        "quit (asks when edits are un{published})",
                        f("quit", "quit", 0),
                    ),
                ],
            },
        ],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Filter,
        groups: &[Group {
            title: "Typing a filter",
            bindings: &[
                b(
                    Command::KeepFilter,
                    &[p(C::Enter)],
                    "keep the filter and go back to the rows",
                    f("keep", "keep", 0),
                ),
                b(
                    Command::ClearFilter,
                    &[p(C::Esc)],
                    "clear the filter",
                    f("clear", "clear", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: true,
    },
    Table {
        context: Context::Form,
        groups: &[Group {
            title: "In a form",
            bindings: &[
                b(
                    Command::NextField,
                    &[p(C::Tab), p(C::Down)],
                    "next field",
                    f("field", "field", 1),
                ),
                b(
                    Command::PrevField,
                    &[KeyPress::shift(C::Tab), p(C::Up)],
                    "previous field",
                    f("field", "field", 1),
                ),
                b(
                    Command::PageDown,
                    &[p(C::PageDown)],
                    "eight fields down",
                    None,
                ),
                b(Command::PageUp, &[p(C::PageUp)], "eight fields up", None),
                b(
                    Command::Toggle,
                    &[ch(' ')],
                    "yes/no and choice fields: cycle the value (or type its first letter)",
                    f("toggle", "toggle", 3),
                ),
                b(
                    Command::Inherit,
                    &[ctrl('x')],
                    "clear the field: inherit again",
                    f("inherit", "inherit", 2),
                ),
                b(
                    Command::CycleScheme,
                    &[ctrl('t')],
                    "in service: cycle http:// https:// ssh:// ... http_status:",
                    None,
                ),
                b(
                    Command::PickAccess,
                    &[ctrl('p')],
                    "rule form: pick the Access application covering the hostname (fills audTag and teamName)",
                    None,
                ),
                b(
                    Command::Apply,
                    &[p(C::Enter)],
                    "apply the form (one undoable edit)",
                    f("apply", "apply", 0),
                ),
                b(
                    Command::Discard,
                    &[p(C::Esc)],
                    "discard (asks if you typed)",
                    f("discard", "discard", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: true,
    },
    Table {
        context: Context::Picker,
        groups: &[Group {
            title: "Choosing an account or tunnel",
            bindings: &[
                b(Command::Down, DOWN, "next", f("move", "move", 2)),
                b(Command::Up, UP, "previous", f("move", "move", 2)),
                b(Command::Open, &[p(C::Enter)], "open", f("open", "open", 0)),
                b(
                    Command::Filter,
                    &[ch('/')],
                    "filter by name or id",
                    f("filter", "filter", 1),
                ),
                b(Command::ClearFilter, &[p(C::Esc)], "clear the filter", None),
                b(
                    Command::Quit,
                    &[ch('q'), ctrl('c')],
                    "quit",
                    f("quit", "quit", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Help,
        groups: &[Group {
            title: "This help",
            bindings: &[
                b(Command::Down, DOWN, "scroll down", f("scroll", "scroll", 1)),
                b(Command::Up, UP, "scroll up", f("scroll", "scroll", 1)),
                b(Command::PageDown, PAGE_DOWN, "a page down", None),
                b(Command::PageUp, PAGE_UP, "a page up", None),
                b(
                    Command::Close,
                    &[p(C::Esc), ch('q'), ch('?')],
                    "close",
                    f("close", "close", 0),
                ),
            ],
        }],
        other_keys: Some((Command::Close, "close")),
        text_input: false,
    },
    Table {
        context: Context::Review,
        groups: &[Group {
            title: "The review",
            bindings: &[
                b(
                    Command::Confirm,
                    &[ch('y')],
                    "{publish} what the diff shows",
                    f("{publish}", "{publish}", 0),
                ),
                b(
                    Command::Down,
                    DOWN,
                    "scroll the diff",
                    f("scroll the diff", "scroll", 1),
                ),
                b(
                    Command::Up,
                    UP,
                    "scroll the diff back",
                    f("scroll the diff", "scroll", 1),
                ),
                b(Command::PageDown, PAGE_DOWN, "a page down", None),
                b(Command::PageUp, PAGE_UP, "a page up", None),
                b(
                    Command::NextItem,
                    &[p(C::Tab)],
                    "select the next DNS change",
                    f("DNS change", "dns", 2),
                ),
                b(
                    Command::PrevItem,
                    &[KeyPress::shift(C::Tab)],
                    "select the previous DNS change",
                    f("DNS change", "dns", 2),
                ),
                b(
                    Command::Toggle,
                    &[ch('x')],
                    "turn the selected DNS change on or off (deletions and take-overs start off)",
                    f("toggle", "toggle", 2),
                ),
                b(
                    Command::Cancel,
                    &[p(C::Esc), ch('n'), ch('q')],
                    "back to editing (nothing is sent)",
                    f("back to editing", "back", 0),
                ),
            ],
        }],
        other_keys: Some((Command::Cancel, "back to editing")),
        text_input: false,
    },
    Table {
        context: Context::Conflict,
        groups: &[Group {
            title: "Someone changed the config",
            bindings: &[
                b(
                    Command::Rebase,
                    &[ch('r')],
                    "rebase: replay your edits on the new version, then review",
                    f(
                        "rebase: replay your edits on the new version, then review",
                        "rebase",
                        0,
                    ),
                ),
                b(
                    Command::Overwrite,
                    &[ch('o')],
                    "overwrite their changes (after a review)",
                    f("overwrite their changes", "overwrite", 0),
                ),
                b(
                    Command::Cancel,
                    &[ch('c'), p(C::Esc), ch('q')],
                    "cancel: keep editing",
                    f("cancel", "cancel", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Confirm,
        groups: &[Group {
            title: "A question",
            bindings: &[
                b(
                    Command::Yes,
                    &[ch('y'), ch('Y')],
                    "answer yes",
                    f("yes", "yes", 0),
                ),
                b(
                    Command::No,
                    &[ch('n'), p(C::Esc)],
                    "answer no",
                    f("no", "no", 0),
                ),
            ],
        }],
        other_keys: Some((Command::No, "no")),
        text_input: false,
    },
    Table {
        context: Context::Recover,
        groups: &[Group {
            title: "A saved draft",
            bindings: &[
                b(
                    Command::Restore,
                    &[ch('r')],
                    "restore the saved edits",
                    f("restore them", "restore", 0),
                ),
                b(
                    Command::ViewDiff,
                    &[ch('v')],
                    "view their diff first",
                    f("view the diff first", "view", 1),
                ),
                b(
                    Command::DiscardDraft,
                    &[ch('d')],
                    "discard them",
                    f("discard them", "discard", 0),
                ),
                b(
                    Command::Down,
                    DOWN,
                    "scroll the diff",
                    f("scroll", "scroll", 2),
                ),
                b(
                    Command::Up,
                    UP,
                    "scroll the diff back",
                    f("scroll", "scroll", 2),
                ),
                b(
                    Command::Close,
                    &[p(C::Esc)],
                    "back from the diff",
                    f("back", "back", 2),
                ),
                b(
                    Command::Quit,
                    &[ch('q'), ctrl('c')],
                    "quit and keep the draft for later",
                    f("quit (keeps it)", "quit", 1),
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Tester,
        groups: &[Group {
            title: "Testing a URL",
            bindings: &[
                b(
                    Command::ClearInput,
                    &[ctrl('u')],
                    "clear the URL",
                    f("clear", "clear", 1),
                ),
                b(
                    Command::Close,
                    &[p(C::Esc), p(C::Enter)],
                    "close the tester",
                    f("close", "close", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: true,
    },
    Table {
        context: Context::Messages,
        groups: &[Group {
            title: "The message log",
            bindings: &[
                b(Command::Down, DOWN, "scroll down", f("scroll", "scroll", 1)),
                b(Command::Up, UP, "scroll up", f("scroll", "scroll", 1)),
                b(Command::PageDown, PAGE_DOWN, "a page down", None),
                b(Command::PageUp, PAGE_UP, "a page up", None),
                b(
                    Command::Close,
                    &[p(C::Esc), ch('q'), ch('m')],
                    "close",
                    f("close", "close", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Progress,
        groups: &[Group {
            title: "Waiting",
            bindings: &[
                b(
                    Command::Cancel,
                    &[p(C::Esc)],
                    "cancel (when nothing was sent yet)",
                    f("cancel", "cancel", 0),
                ),
                b(
                    Command::Quit,
                    &[ctrl('c')],
                    "quit (asks when edits are un{published})",
                    None,
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Rollout,
        groups: &[Group {
            title: "The rollout panel (any other key closes it and acts on the rules)",
            bindings: &[b(
                Command::Close,
                &[p(C::Esc)],
                "close (polling goes on; the outcome shows as a message)",
                f("close", "close", 0),
            )],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Status,
        groups: &[Group {
            title: "The status view",
            bindings: &[
                b(Command::Down, DOWN, "scroll down", f("scroll", "scroll", 1)),
                b(Command::Up, UP, "scroll up", f("scroll", "scroll", 1)),
                b(Command::PageDown, PAGE_DOWN, "a page down", None),
                b(Command::PageUp, PAGE_UP, "a page up", None),
                b(
                    Command::Retry,
                    &[ch('r')],
                    "read again",
                    f("refresh", "refresh", 1),
                ),
                b(
                    Command::Close,
                    &[p(C::Esc), ch('q'), ch('s')],
                    "close",
                    f("close", "close", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::AccessPick,
        groups: &[Group {
            title: "Choosing an Access application",
            bindings: &[
                b(Command::Down, DOWN, "next", f("move", "move", 1)),
                b(Command::Up, UP, "previous", f("move", "move", 1)),
                b(
                    Command::Open,
                    &[p(C::Enter)],
                    "fill audTag and teamName from it",
                    f("use it", "use", 0),
                ),
                b(
                    Command::Close,
                    &[p(C::Esc)],
                    "back to the form, unchanged",
                    f("back", "back", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Loading,
        groups: &[Group {
            title: "Opening",
            bindings: &[b(
                Command::Quit,
                &[ch('q'), ctrl('c')],
                "quit",
                f("quit", "quit", 0),
            )],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Failed,
        groups: &[Group {
            title: "Cannot open",
            bindings: &[
                b(
                    Command::Retry,
                    &[ch('r')],
                    "try again",
                    f("retry", "retry", 0),
                ),
                b(
                    Command::Quit,
                    &[ch('q'), p(C::Esc), ctrl('c')],
                    "quit",
                    f("quit", "quit", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Rebase,
        groups: &[Group {
            title: "Settling a rebase",
            bindings: &[
                b(
                    Command::Down,
                    DOWN,
                    "next conflict",
                    f("conflict", "next", 2),
                ),
                b(
                    Command::Up,
                    UP,
                    "previous conflict",
                    f("conflict", "next", 2),
                ),
                b(
                    Command::KeepTheirs,
                    &[ch('t')],
                    "keep their version of this rule",
                    f("keep theirs", "theirs", 0),
                ),
                b(
                    Command::KeepMine,
                    &[ch('m')],
                    "keep my version of this rule",
                    f("keep mine", "mine", 0),
                ),
                b(
                    Command::Toggle,
                    &[ch(' ')],
                    "switch between theirs and mine",
                    None,
                ),
                b(
                    Command::Apply,
                    &[p(C::Enter)],
                    "rebase with these choices, then review",
                    f("rebase and review", "rebase", 0),
                ),
                b(
                    Command::Cancel,
                    &[p(C::Esc), ch('c'), ch('q')],
                    "cancel: the draft stays as it was",
                    f("cancel", "cancel", 1),
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Alert,
        groups: &[Group {
            title: "A notice",
            bindings: &[
                b(Command::Down, DOWN, "scroll down", f("scroll", "scroll", 1)),
                b(Command::Up, UP, "scroll up", f("scroll", "scroll", 1)),
                b(
                    Command::Close,
                    &[p(C::Enter), p(C::Esc), ch('q')],
                    "close (the message log keeps it)",
                    f("close", "close", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Locked,
        groups: &[Group {
            title: "Another editor holds it",
            bindings: &[
                b(
                    Command::ReadOnly,
                    &[ch('v')],
                    "view it read-only",
                    f("view read-only", "view", 0),
                ),
                b(
                    Command::TakeOver,
                    &[ch('T')],
                    "take over: the other editor's draft is kept aside, never deleted",
                    f("take over", "take over", 0),
                ),
                b(
                    Command::Quit,
                    &[ch('q'), ctrl('c'), p(C::Esc)],
                    "quit",
                    f("quit", "quit", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::History,
        groups: &[Group {
            title: "The publish history",
            bindings: &[
                b(
                    Command::Down,
                    DOWN,
                    "next (older) entry",
                    f("move", "move", 1),
                ),
                b(
                    Command::Up,
                    UP,
                    "previous (newer) entry",
                    f("move", "move", 1),
                ),
                b(Command::PageDown, &[p(C::PageDown)], "a page down", None),
                b(Command::PageUp, &[p(C::PageUp)], "a page up", None),
                b(
                    Command::Open,
                    &[p(C::Enter)],
                    "load the config this entry published into the draft (one undoable edit)",
                    f("load this version", "load", 0),
                ),
                b(
                    Command::Close,
                    &[p(C::Esc), ch('q'), ch('H')],
                    "close",
                    f("close", "close", 0),
                ),
            ],
        }],
        other_keys: None,
        text_input: false,
    },
    Table {
        context: Context::Global,
        groups: &[Group {
            title: "Anywhere",
            bindings: &[b(
                Command::Redraw,
                &[ctrl('l')],
                "redraw the whole screen (if another program wrote over it)",
                None,
            )],
        }],
        other_keys: None,
        // Global keys work in text fields too, so they cannot be plain characters.
        text_input: true,
    },
];

/// One binding as in force: the default's help with the user's keys, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    /// The command.
    pub command: Command,
    /// Its keys in this context.
    pub keys: Vec<KeyPress>,
    /// Help text.
    pub help: &'static str,
    /// Footer placement.
    pub footer: Option<Footer>,
}

/// A user's binding from the settings, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOverride {
    /// The command name.
    pub command: String,
    /// The key names.
    pub keys: Vec<String>,
    /// Line and column of the entry (its command name) in the settings file.
    pub at: Option<(usize, usize)>,
    /// Line and column of each key name, in the order of `keys` (may be shorter: then `at`).
    pub key_at: Vec<Option<(usize, usize)>>,
}

/// One problem with the user's `[keys]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// Line and column in the settings file.
    pub at: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((line, col)) = self.at {
            write!(f, "line {line}, column {col}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// The bindings in force: the default tables, patched by the user's `[keys]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    tables: Vec<(Context, Vec<Bound>)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            tables: TABLES
                .iter()
                .map(|t| {
                    let bound = t
                        .groups
                        .iter()
                        .flat_map(|g| g.bindings)
                        .map(|b| Bound {
                            command: b.command,
                            keys: b.keys.to_vec(),
                            help: b.help,
                            footer: b.footer,
                        })
                        .collect();
                    (t.context, bound)
                })
                .collect(),
        }
    }
}

/// The default table of a context.
pub fn table(context: Context) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.context == context)
}

/// The closest command name, for "did you mean".
fn suggest(name: &str) -> Option<&'static str> {
    let distance = |a: &str, b: &str| -> usize {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.iter().enumerate() {
            let mut cur = vec![i + 1; b.len() + 1];
            for (j, cb) in b.iter().enumerate() {
                cur[j + 1] = (prev[j] + usize::from(ca != cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1);
            }
            prev = cur;
        }
        prev[b.len()]
    };
    let normal = name.to_ascii_lowercase().replace('-', "_");
    Command::ALL
        .iter()
        .map(|c| (distance(&normal, c.name()), c.name()))
        .filter(|(d, n)| *d <= 2 || n.starts_with(&normal))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

impl Keymap {
    /// The defaults with the user's bindings: each named command gets exactly the keys given,
    /// in every context where it is bound. Reports unknown commands, bad key names, a key bound
    /// to two commands of one context, and plain characters where text is typed.
    pub fn with_overrides(overrides: &[KeyOverride]) -> Result<Keymap, Vec<KeyError>> {
        let mut map = Keymap::default();
        let mut errors = Vec::new();
        // Where each command's new keys were written, for conflict messages.
        let mut written: Vec<(Command, Option<(usize, usize)>)> = Vec::new();
        for o in overrides {
            let err = |message: String| KeyError { at: o.at, message };
            let Some(command) = Command::from_name(&o.command) else {
                let hint = suggest(&o.command)
                    .map(|s| format!(" (did you mean \"{s}\"?)"))
                    .unwrap_or_default();
                errors.push(err(format!(
                    "[keys]: unknown command \"{}\"{hint}; the README lists the command names",
                    crate::text::inert(&o.command)
                )));
                continue;
            };
            if o.keys.is_empty() {
                errors.push(err(format!(
                    "[keys]: {} has no key; give at least one",
                    command.name()
                )));
                continue;
            }
            // Where each key was written, for an error about it.
            let key_at = |i: usize| o.key_at.get(i).copied().flatten().or(o.at);
            let mut keys = Vec::new();
            let mut written_at = Vec::new();
            for (i, k) in o.keys.iter().enumerate() {
                match KeyPress::parse(k) {
                    Ok(key) if !keys.contains(&key) => {
                        keys.push(key);
                        written_at.push(key_at(i));
                    }
                    Ok(_) => {}
                    Err(e) => errors.push(KeyError {
                        at: key_at(i),
                        message: format!("[keys]: {}: {e}", command.name()),
                    }),
                }
            }
            if keys.is_empty() {
                continue;
            }
            for (context, bound) in &mut map.tables {
                for b in bound.iter_mut().filter(|b| b.command == command) {
                    if table(*context).is_some_and(|t| t.text_input)
                        && command != Command::Toggle
                        && let Some(n) = keys.iter().position(|k| k.typed().is_some())
                    {
                        let k = keys[n];
                        errors.push(KeyError {
                            at: written_at.get(n).copied().flatten(),
                            message: format!(
                            "[keys]: {}: \"{}\" types text in {}, so it cannot be bound there; use a key with ctrl- or alt-, or a named key",
                            command.name(),
                            k.label(true),
                            context_name(*context)
                        ),
                        });
                        continue;
                    }
                    b.keys.clone_from(&keys);
                }
            }
            written.push((command, o.at));
        }
        let global: Vec<Bound> = map.bindings(Context::Global).to_vec();
        for (context, bound) in &map.tables {
            if *context != Context::Global {
                for g in &global {
                    for a in bound {
                        if let Some(k) = a.keys.iter().find(|k| g.keys.contains(k)) {
                            let at = written
                                .iter()
                                .find(|(c, _)| *c == a.command || *c == g.command)
                                .and_then(|(_, at)| *at);
                            errors.push(KeyError {
                                at,
                                message: format!(
                                    "[keys]: \"{}\" would run both {} (everywhere) and {} in {}; give one of them another key",
                                    k.label(true),
                                    g.command.name(),
                                    a.command.name(),
                                    context_name(*context)
                                ),
                            });
                        }
                    }
                }
            }
            for (i, a) in bound.iter().enumerate() {
                for other in &bound[i + 1..] {
                    if a.command == other.command {
                        continue;
                    }
                    if let Some(k) = a.keys.iter().find(|k| other.keys.contains(k)) {
                        let at = written
                            .iter()
                            .find(|(c, _)| *c == a.command || *c == other.command)
                            .and_then(|(_, at)| *at);
                        errors.push(KeyError {
                            at,
                            message: format!(
                                "[keys]: \"{}\" would run both {} and {} in {}; give one of them another key",
                                k.label(true),
                                a.command.name(),
                                other.command.name(),
                                context_name(*context)
                            ),
                        });
                    }
                }
            }
        }
        errors.dedup();
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(errors)
        }
    }

    /// The bindings of a context.
    pub fn bindings(&self, context: Context) -> &[Bound] {
        self.tables
            .iter()
            .find(|(c, _)| *c == context)
            .map_or(&[], |(_, b)| b.as_slice())
    }

    /// The command `key` runs in `context`, if any.
    pub fn command(&self, context: Context, key: KeyPress) -> Option<Command> {
        self.bindings(context)
            .iter()
            .find(|b| b.keys.contains(&key))
            .map(|b| b.command)
    }

    /// The command `key` runs in `context`, counting the context's "any other key" command.
    pub fn command_or_other(&self, context: Context, key: KeyPress) -> Option<Command> {
        self.command(context, key)
            .or_else(|| table(context).and_then(|t| t.other_keys).map(|(c, _)| c))
    }

    /// The keys of `command` in `context`.
    pub fn keys(&self, context: Context, command: Command) -> &[KeyPress] {
        self.bindings(context)
            .iter()
            .find(|b| b.command == command)
            .map_or(&[], |b| b.keys.as_slice())
    }

    /// The first key of `command` in `context`, as shown ("?" when unbound, which the tests
    /// rule out for the defaults).
    pub fn label(&self, context: Context, command: Command, ascii: bool) -> String {
        self.keys(context, command)
            .first()
            .map_or_else(|| "?".to_owned(), |k| k.label(ascii))
    }

    /// Every key of `command` in `context`, joined with spaces (`u Ctrl-z`).
    pub fn all_labels(&self, context: Context, command: Command, ascii: bool) -> String {
        self.keys(context, command)
            .iter()
            .map(|k| k.label(ascii))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The footer items of a context, most important first: (keys, long label, short label,
    /// rank). Commands sharing a label and rank are one item (`j/k move`). `file` words them
    /// for a file (see [`words`]); `show` filters commands that do not apply now.
    pub fn footer(
        &self,
        context: Context,
        ascii: bool,
        file: bool,
        show: impl Fn(Command) -> bool,
    ) -> Vec<FooterItem> {
        let mut items: Vec<FooterItem> = Vec::new();
        for b in self.bindings(context) {
            let Some(foot) = b.footer else { continue };
            if !show(b.command) {
                continue;
            }
            let Some(key) = b.keys.first() else { continue };
            let label = words(foot.label, file);
            let short = words(foot.short, file);
            match items
                .iter_mut()
                .find(|i| i.label == label && i.rank == foot.rank)
            {
                Some(item) => {
                    item.keys.push('/');
                    item.keys.push_str(&key.label(ascii));
                }
                None => items.push(FooterItem {
                    keys: key.label(ascii),
                    label,
                    short,
                    rank: foot.rank,
                }),
            }
        }
        items
    }
}

/// One item of a footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FooterItem {
    /// The keys (`j/k`).
    pub keys: String,
    /// What they do.
    pub label: String,
    /// The same, shorter.
    pub short: String,
    /// Which items stay when room runs out (lower stays longer).
    pub rank: u8,
}

/// A help or footer text for a remote config or a file: `{publish}` and `{published}` read
/// "publish"/"published" or "save"/"saved".
pub fn words(text: &str, file: bool) -> String {
    let (verb, done) = if file {
        ("save", "saved")
    } else {
        ("publish", "published")
    };
    text.replace("{published}", done).replace("{publish}", verb)
}

/// How a context is named in messages.
pub fn context_name(context: Context) -> &'static str {
    match context {
        Context::Global => "every screen",
        Context::Main => "the rule table",
        Context::Filter => "the filter",
        Context::Form => "forms",
        Context::Picker => "the pickers",
        Context::Help => "the help",
        Context::Review => "the review",
        Context::Conflict => "the conflict question",
        Context::Confirm => "yes/no questions",
        Context::Recover => "the restore prompt",
        Context::Tester => "the URL tester",
        Context::Messages => "the message log",
        Context::Progress => "waits",
        Context::Rollout => "the rollout panel",
        Context::Status => "the status view",
        Context::AccessPick => "the Access application list",
        Context::Loading => "the opening screen",
        Context::Failed => "the cannot-open screen",
        Context::Rebase => "the rebase window",
        Context::Alert => "notices",
        Context::Locked => "the held-by-another-editor question",
        Context::History => "the publish history",
    }
}

/// Fits footer items into `width` columns: long labels if all fit, else short ones, dropping
/// the highest ranks until the rest fit. Keeps the table's order.
pub fn fit_footer(items: &[FooterItem], width: usize) -> Vec<(String, String)> {
    let cost = |list: &[(String, String)]| -> usize {
        list.iter()
            .map(|(k, l)| k.chars().count() + 1 + l.chars().count() + 2)
            .sum()
    };
    let pick = |max_rank: u8, short: bool| -> Vec<(String, String)> {
        items
            .iter()
            .filter(|i| i.rank <= max_rank)
            .map(|i| {
                (
                    i.keys.clone(),
                    if short {
                        i.short.clone()
                    } else {
                        i.label.clone()
                    },
                )
            })
            .collect()
    };
    let mut ranks: Vec<u8> = items.iter().map(|i| i.rank).collect();
    ranks.sort_unstable();
    ranks.dedup();
    for &max in ranks.iter().rev() {
        let long = pick(max, false);
        if cost(&long) <= width {
            return long;
        }
        let short = pick(max, true);
        if cost(&short) <= width {
            return short;
        }
    }
    pick(ranks.first().copied().unwrap_or(0), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_a_binding_and_every_binding_has_help() {
        for &command in Command::ALL {
            assert!(
                TABLES
                    .iter()
                    .flat_map(|t| t.groups)
                    .flat_map(|g| g.bindings)
                    .any(|b| b.command == command && !b.keys.is_empty()),
                "{} has no binding",
                command.name()
            );
        }
        for t in TABLES {
            assert!(!t.groups.is_empty(), "{:?} has no bindings", t.context);
            for b in t.groups.iter().flat_map(|g| g.bindings) {
                assert!(
                    !b.keys.is_empty(),
                    "{} in {:?} has no key",
                    b.command.name(),
                    t.context
                );
                assert!(
                    b.help.trim().len() > 2,
                    "{} in {:?} has no help",
                    b.command.name(),
                    t.context
                );
                if t.text_input {
                    assert!(
                        b.keys.iter().all(|k| k.typed().is_none()) || b.command == Command::Toggle,
                        "{} in {:?} is bound to a key that types text",
                        b.command.name(),
                        t.context
                    );
                }
            }
            if let Some((c, text)) = t.other_keys {
                assert!(!text.is_empty());
                assert!(
                    t.groups
                        .iter()
                        .flat_map(|g| g.bindings)
                        .any(|b| b.command == c),
                    "{:?}: the any-other-key command is in the table",
                    t.context
                );
            }
        }
        // Every context has a table, and each table appears once.
        let contexts: Vec<Context> = TABLES.iter().map(|t| t.context).collect();
        for (i, c) in contexts.iter().enumerate() {
            assert!(!contexts[i + 1..].contains(c), "{c:?} twice");
        }
    }

    #[test]
    fn the_readme_names_every_command() {
        let readme = include_str!("../../README.md");
        for c in Command::ALL {
            assert!(
                readme.contains(&format!("`{}`", c.name())),
                "README.md does not document the command {}",
                c.name()
            );
        }
    }

    #[test]
    fn the_defaults_have_no_conflicts() {
        assert_eq!(Keymap::with_overrides(&[]), Ok(Keymap::default()));
    }

    #[test]
    fn names_are_unique_and_round_trip() {
        for &c in Command::ALL {
            assert_eq!(Command::from_name(c.name()), Some(c));
            assert!(
                c.name()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_'),
                "{}",
                c.name()
            );
        }
        for t in TABLES {
            for b in t.groups.iter().flat_map(|g| g.bindings) {
                for k in b.keys {
                    assert_eq!(
                        KeyPress::parse(&k.label(true)),
                        Ok(*k),
                        "{} labels as {}",
                        b.command.name(),
                        k.label(true)
                    );
                }
            }
        }
    }

    #[test]
    fn key_names_parse() {
        let ok = |s: &str| KeyPress::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(ok("P"), KeyPress::ch('P'));
        assert_eq!(ok("shift-p"), KeyPress::ch('P'));
        assert_eq!(ok("ctrl-z"), KeyPress::ctrl('z'));
        assert_eq!(ok("Ctrl-Z"), KeyPress::ctrl('z'));
        assert_eq!(ok("C-z"), KeyPress::ctrl('z'));
        assert_eq!(ok("space"), KeyPress::ch(' '));
        assert_eq!(ok("?"), KeyPress::ch('?'));
        assert_eq!(ok("-"), KeyPress::ch('-'));
        assert_eq!(ok("shift-tab"), KeyPress::shift(KeyCode::Tab));
        assert_eq!(ok("backtab"), KeyPress::shift(KeyCode::Tab));
        assert_eq!(ok("PgDn"), KeyPress::plain(KeyCode::PageDown));
        assert_eq!(ok("f1"), KeyPress::plain(KeyCode::F(1)));
        assert_eq!(
            ok("alt-x"),
            KeyPress {
                alt: true,
                ..KeyPress::ch('x')
            }
        );
        assert!(KeyPress::parse("hyper-x").is_err());
        assert!(KeyPress::parse("f99").is_err());
        assert!(KeyPress::parse("").is_err());
        assert!(KeyPress::parse("shift-?").is_err());
        assert_eq!(KeyPress::ctrl('z').label(false), "Ctrl-z");
        assert_eq!(KeyPress::plain(KeyCode::Up).label(false), "↑");
        assert_eq!(KeyPress::plain(KeyCode::Up).label(true), "Up");
    }

    fn o(command: &str, keys: &[&str], line: usize) -> KeyOverride {
        KeyOverride {
            command: command.to_owned(),
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            at: Some((line, 1)),
            key_at: Vec::new(),
        }
    }

    #[test]
    fn user_bindings_replace_the_defaults_and_are_checked() {
        let map =
            Keymap::with_overrides(&[o("publish", &["P"], 2), o("undo", &["U", "ctrl-z"], 3)])
                .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            map.command(Context::Main, KeyPress::ch('P')),
            Some(Command::Publish)
        );
        assert_eq!(map.command(Context::Main, KeyPress::ch('p')), None);
        assert_eq!(map.label(Context::Main, Command::Undo, false), "U");
        assert_eq!(
            map.all_labels(Context::Main, Command::Undo, false),
            "U Ctrl-z"
        );
        // A shared command changes in every context that has it.
        let map = Keymap::with_overrides(&[o("down", &["ctrl-n", "down"], 1)])
            .unwrap_or_else(|e| panic!("{e:?}"));
        for c in [
            Context::Main,
            Context::Picker,
            Context::Help,
            Context::Review,
        ] {
            assert_eq!(
                map.command(c, KeyPress::ctrl('n')),
                Some(Command::Down),
                "{c:?}"
            );
            assert_eq!(map.command(c, KeyPress::ch('j')), None, "{c:?}");
        }

        let errors = |list: &[KeyOverride]| -> Vec<String> {
            Keymap::with_overrides(list)
                .err()
                .unwrap_or_default()
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            errors(&[o("pubish", &["P"], 4)]),
            vec![
                "line 4, column 1: [keys]: unknown command \"pubish\" (did you mean \"publish\"?); the README lists the command names"
            ]
        );
        let e = errors(&[o("publish", &["ctrl-hyper"], 5)]);
        assert!(
            e[0].starts_with("line 5, column 1: [keys]: publish: \"ctrl-hyper\" is not a key name"),
            "{e:?}"
        );
        let e = errors(&[o("publish", &["d"], 6)]);
        assert_eq!(
            e,
            vec![
                "line 6, column 1: [keys]: \"d\" would run both delete and publish in the rule table; give one of them another key"
            ]
        );
        let e = errors(&[o("apply", &["a"], 7)]);
        assert!(e[0].contains("\"a\" types text in forms"), "{e:?}");
        let e = errors(&[o("quit", &[], 8)]);
        assert!(e[0].contains("quit has no key"), "{e:?}");
        // Keys that work everywhere can be neither text nor another screen's key.
        let e = errors(&[o("redraw", &["r"], 9)]);
        assert!(e[0].contains("\"r\" types text in every screen"), "{e:?}");
        let e = errors(&[o("redraw", &["ctrl-r"], 10)]);
        assert!(
            e.iter().any(
                |m| m.contains("would run both redraw (everywhere) and redo in the rule table")
            ),
            "{e:?}"
        );
    }

    #[test]
    fn footers_fit_the_width() {
        let map = Keymap::default();
        let items = map.footer(Context::Main, false, false, |_| true);
        let wide = fit_footer(&items, 200);
        assert!(
            wide.iter().any(|(k, l)| k == "j/k" && l == "move"),
            "{wide:?}"
        );
        assert!(
            wide.iter().any(|(k, l)| k == "K/J" && l == "reorder"),
            "{wide:?}"
        );
        // The status view and the history show when there is room.
        for (k, width) in [("s", 118), ("s", 200), ("H", 200)] {
            assert!(
                fit_footer(&items, width).iter().any(|(key, _)| key == k),
                "{k} at {width}: {:?}",
                fit_footer(&items, width)
            );
        }
        let narrow = fit_footer(&items, 78);
        let cost: usize = narrow.iter().map(|(k, l)| k.len() + l.len() + 3).sum();
        assert!(cost <= 78, "{narrow:?}");
        assert!(
            narrow.iter().any(|(k, _)| k == "p"),
            "publish stays: {narrow:?}"
        );
        assert!(
            narrow.iter().any(|(k, _)| k == "q"),
            "quit stays: {narrow:?}"
        );
        assert!(
            narrow.iter().any(|(k, _)| k == "?"),
            "help stays: {narrow:?}"
        );
    }
}
