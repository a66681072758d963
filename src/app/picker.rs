//! Choosing an account or a tunnel: a filtered list, and the app's own types for what the API
//! lists (the effects convert the API's types into these).

use super::keys::{Command, Context, KeyCode, KeyPress, Keymap};

/// An account the credentials can see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account id (32 hex digits).
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A tunnel as the picker lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelEntry {
    /// The tunnel id (a UUID).
    pub id: String,
    /// Its name.
    pub name: String,
    /// `healthy`, `degraded`, `down`, `inactive`.
    pub status: String,
    /// Where its config lives: `cloudflare` (remote) or `local`.
    pub config_src: String,
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
    /// A note above the list (why it is shown: "no tunnel named x").
    pub note: Option<String>,
}

/// What a key did in a picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    /// Still choosing.
    Choosing,
    /// Chosen: the id and the first column (the name).
    Open(String, String),
    /// Leave.
    Quit,
}

impl Picker {
    /// A picker over `items` with `headings`.
    pub fn new(items: Vec<(String, Vec<String>)>, headings: Vec<&'static str>) -> Self {
        Picker {
            items,
            headings,
            filter: String::new(),
            filtering: false,
            selected: 0,
            note: None,
        }
    }

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

    /// Handles a key.
    pub fn key(&mut self, key: KeyPress, keymap: &Keymap) -> Picked {
        if self.filtering {
            match keymap.command(Context::Filter, key) {
                Some(Command::ClearFilter) => {
                    self.filtering = false;
                    self.filter.clear();
                }
                Some(Command::KeepFilter) => self.filtering = false,
                _ => {
                    if key.code == KeyCode::Backspace {
                        self.filter.pop();
                    } else if let Some(c) = key.typed() {
                        self.filter.push(c);
                    }
                    self.selected = 0;
                }
            }
            return Picked::Choosing;
        }
        let visible = self.visible();
        match keymap.command(Context::Picker, key) {
            Some(Command::Quit) => return Picked::Quit,
            Some(Command::ClearFilter) => {
                self.filter.clear();
                self.selected = 0;
            }
            Some(Command::Filter) => self.filtering = true,
            Some(Command::Down) => {
                self.selected = (self.selected + 1).min(visible.len().saturating_sub(1));
            }
            Some(Command::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Command::Open) => {
                if let Some(&i) = visible.get(self.selected) {
                    let (id, cols) = &self.items[i];
                    return Picked::Open(id.clone(), cols.first().cloned().unwrap_or_default());
                }
            }
            _ => {}
        }
        Picked::Choosing
    }
}
