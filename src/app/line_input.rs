//! A one-line text field (form fields, the URL tester): editing by ratatui-textarea, fed the
//! app's own keys. The view draws it itself (every character made visible, see
//! [`crate::text::inert`]), so the textarea's own rendering, which drops control characters, is
//! never used.

use ratatui_textarea::{CursorMove, Input, Key, TextArea};

use super::keys::{KeyCode, KeyPress};

/// A one-line text field.
#[derive(Debug, Clone, Default)]
pub struct LineInput {
    area: TextArea<'static>,
}

impl PartialEq for LineInput {
    fn eq(&self, other: &Self) -> bool {
        self.area.lines() == other.area.lines() && self.area.cursor() == other.area.cursor()
    }
}

fn to_input(key: KeyPress) -> Option<Input> {
    let k = match key.code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Delete => Key::Delete,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Tab => Key::Tab,
        // Keys that would add lines or scroll (a field is one line), and unmapped keys.
        KeyCode::Enter
        | KeyCode::Esc
        | KeyCode::Up
        | KeyCode::Down
        | KeyCode::PageUp
        | KeyCode::PageDown
        | KeyCode::Insert
        | KeyCode::F(_) => return None,
    };
    // ratatui-textarea's Ctrl-m and Ctrl-j insert a line break; a field has one line.
    if key.ctrl && matches!(key.code, KeyCode::Char('m' | 'j')) {
        return None;
    }
    Some(Input {
        key: k,
        ctrl: key.ctrl,
        alt: key.alt,
        shift: key.shift,
    })
}

impl LineInput {
    /// A field holding `value` (line breaks become spaces), the cursor at its end.
    pub fn new(value: &str) -> Self {
        let mut area = TextArea::new(vec![value.replace(['\n', '\r'], " ")]);
        area.move_cursor(CursorMove::End);
        LineInput { area }
    }

    /// The text.
    pub fn text(&self) -> String {
        self.area.lines().join("")
    }

    /// The cursor's position, in characters from the start.
    pub fn cursor(&self) -> usize {
        self.area.cursor().1
    }

    /// Whether the field is empty.
    pub fn is_empty(&self) -> bool {
        self.area.lines().iter().all(String::is_empty)
    }

    /// Edits by one key; returns whether the text changed.
    pub fn key(&mut self, key: KeyPress) -> bool {
        let Some(input) = to_input(key) else {
            return false;
        };
        let before = self.area.lines().to_vec();
        self.area.input(input);
        if self.area.lines().len() > 1 {
            // Nothing should add a line; if something did, join it back.
            let joined = self.area.lines().join(" ");
            *self = LineInput::new(&joined);
        }
        self.area.lines() != before.as_slice()
    }

    /// Inserts pasted text at the cursor (line breaks become spaces).
    pub fn insert(&mut self, text: &str) {
        self.area.insert_str(text.replace(['\n', '\r'], " "));
    }

    /// Empties the field.
    pub fn clear(&mut self) {
        *self = LineInput::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_stay_on_one_line() {
        let mut f = LineInput::new("ab\ncd");
        assert_eq!(f.text(), "ab cd");
        assert_eq!(f.cursor(), 5);
        assert!(f.key(KeyPress::plain(KeyCode::Backspace)));
        assert!(!f.key(KeyPress::plain(KeyCode::Enter)));
        assert!(!f.key(KeyPress::ctrl('m')));
        f.insert("x\ny");
        assert_eq!(f.text(), "ab cx y");
        f.key(KeyPress::plain(KeyCode::Home));
        assert_eq!(f.cursor(), 0);
        f.clear();
        assert!(f.is_empty());
    }
}
