//! The key help: every binding of every table, drawn from the tables themselves, so it lists
//! exactly what the keys do (the user's own keys included).

use super::{Component, Cx, Outcome};
use crate::app::keys::{Command, Context, Keymap, TABLES, words};

/// The help window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Help {
    /// Lines scrolled.
    pub scroll: usize,
}

/// One line of the help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    /// A section heading.
    Heading(String),
    /// Keys and what they do.
    Key(String, String),
    /// A blank line between sections.
    Blank,
}

/// The help's lines: one section per group of each table, in table order, worded for a file
/// when `file` (see [`words`]).
pub fn lines(keymap: &Keymap, ascii: bool, file: bool) -> Vec<HelpLine> {
    let mut out = Vec::new();
    for table in TABLES {
        let bound = keymap.bindings(table.context);
        for group in table.groups {
            if !out.is_empty() {
                out.push(HelpLine::Blank);
            }
            out.push(HelpLine::Heading(words(group.title, file)));
            for b in group.bindings {
                let keys = bound
                    .iter()
                    .find(|x| x.command == b.command)
                    .map(|x| {
                        x.keys
                            .iter()
                            .map(|k| k.label(ascii))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default();
                out.push(HelpLine::Key(keys, words(b.help, file)));
            }
            if let Some((_, text)) = table.other_keys {
                out.push(HelpLine::Key("any other key".to_owned(), text.to_owned()));
            }
        }
    }
    out
}

impl Component for Help {
    fn context(&self) -> Context {
        Context::Help
    }

    fn key(&mut self, key: crate::app::keys::KeyPress, cx: &Cx<'_>) -> Outcome {
        let max = lines(cx.keymap, true, false).len().saturating_sub(1);
        let page = cx.page.max(1);
        self.scroll = match cx.keymap.command_or_other(Context::Help, key) {
            Some(Command::Down) => self.scroll + 1,
            Some(Command::Up) => self.scroll.saturating_sub(1),
            Some(Command::PageDown) => self.scroll + page,
            Some(Command::PageUp) => self.scroll.saturating_sub(page),
            _ => return Outcome::Close,
        }
        .min(max);
        Outcome::Stay
    }
}
