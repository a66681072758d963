//! Terminal input to the app's events: crossterm's keys become the app's own [`KeyPress`].

use crossterm::event::{Event as TermEvent, KeyCode as TermKey, KeyEventKind, KeyModifiers};

use crate::app::Event;
use crate::app::keys::{KeyCode, KeyPress};

/// The app's key for a crossterm key (`None` for keys the app has no use for).
pub fn key_press(k: &crossterm::event::KeyEvent) -> Option<KeyPress> {
    let m = k.modifiers;
    let (code, shift) = match k.code {
        TermKey::Char(c) => (KeyCode::Char(c), false),
        TermKey::Enter => (KeyCode::Enter, false),
        TermKey::Esc => (KeyCode::Esc, false),
        TermKey::Tab => (KeyCode::Tab, m.contains(KeyModifiers::SHIFT)),
        TermKey::BackTab => (KeyCode::Tab, true),
        TermKey::Backspace => (KeyCode::Backspace, false),
        TermKey::Delete => (KeyCode::Delete, false),
        TermKey::Insert => (KeyCode::Insert, false),
        TermKey::Up => (KeyCode::Up, m.contains(KeyModifiers::SHIFT)),
        TermKey::Down => (KeyCode::Down, m.contains(KeyModifiers::SHIFT)),
        TermKey::Left => (KeyCode::Left, m.contains(KeyModifiers::SHIFT)),
        TermKey::Right => (KeyCode::Right, m.contains(KeyModifiers::SHIFT)),
        TermKey::Home => (KeyCode::Home, false),
        TermKey::End => (KeyCode::End, false),
        TermKey::PageUp => (KeyCode::PageUp, false),
        TermKey::PageDown => (KeyCode::PageDown, false),
        TermKey::F(n) => (KeyCode::F(n), false),
        _ => return None,
    };
    Some(KeyPress::new(
        code,
        m.contains(KeyModifiers::CONTROL),
        m.contains(KeyModifiers::ALT),
        shift,
    ))
}

/// The app's event for a terminal event (`None` for events the app has no use for).
pub fn to_event(ev: TermEvent) -> Option<Event> {
    match ev {
        TermEvent::Key(k) if k.kind != KeyEventKind::Release => key_press(&k).map(Event::Key),
        TermEvent::Resize(w, h) => Some(Event::Resize(w, h)),
        TermEvent::Paste(text) => Some(Event::Paste(text)),
        // Only delivered when mouse capture is on (settings: ui.mouse = true).
        TermEvent::Mouse(m) => match m.kind {
            crossterm::event::MouseEventKind::ScrollDown => {
                Some(Event::Key(KeyPress::plain(KeyCode::Down)))
            }
            crossterm::event::MouseEventKind::ScrollUp => {
                Some(Event::Key(KeyPress::plain(KeyCode::Up)))
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEvent;

    #[test]
    fn shift_is_folded_into_characters() {
        let k = |code, m| key_press(&KeyEvent::new(code, m));
        assert_eq!(
            k(TermKey::Char('K'), KeyModifiers::SHIFT),
            Some(KeyPress::ch('K'))
        );
        assert_eq!(
            k(TermKey::BackTab, KeyModifiers::SHIFT),
            Some(KeyPress::shift(KeyCode::Tab))
        );
        assert_eq!(
            k(TermKey::Char('z'), KeyModifiers::CONTROL),
            Some(KeyPress::ctrl('z'))
        );
        assert_eq!(k(TermKey::CapsLock, KeyModifiers::NONE), None);
    }
}
