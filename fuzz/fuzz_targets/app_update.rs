//! The editor under arbitrary key sequences: no panic, its incremental validation always equals
//! a full pass, and undoing every edit returns the original config.
#![no_main]

use cfingress::app::{App, Event, Snapshot};
use cfingress::config::files::parse_json;
use cfingress::config::validate::validate;
use cfingress::sandbox::DEMO_TUNNEL;
use libfuzzer_sys::fuzz_target;
use cfingress::app::keys::{KeyCode as Key, KeyPress};

/// A byte as a key: the named keys, Shift-Tab, printable characters, and Control with a letter.
fn key(b: u8) -> KeyPress {
    let code = match b {
        0 => Key::Enter,
        1 => Key::Esc,
        2 | 11 => Key::Tab,
        3 => Key::Backspace,
        4 => Key::Up,
        5 => Key::Down,
        6 => Key::PageUp,
        7 => Key::PageDown,
        8 => Key::Delete,
        9 => Key::Home,
        10 => Key::End,
        12 => Key::F(1),
        b if b >= 0x20 && b < 0x7f => Key::Char(b as char),
        b => Key::Char(char::from(b'a' + (b % 26))),
    };
    // 11 is Shift-Tab (previous field); bytes from 0xe0 hold Control.
    KeyPress::new(code, b >= 0xe0, false, b == 11)
}

fuzz_target!(|data: &[u8]| {
    let Ok(loaded) = parse_json(DEMO_TUNNEL) else { return };
    let original = loaded.config.clone();
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    app.update(Event::Resize(80, 24));
    app.update(Event::Loaded(Ok(Snapshot { version: Some(1), config: Some(loaded.config), has_comments: false, saved: None, draft_note: None, held_by: None, file: None })));
    for &b in data.iter().take(2000) {
        if app.quit {
            break;
        }
        if b == 0xff {
            app.update(Event::Paste("pasted text".into()));
            continue;
        }
        let _ = app.update(Event::Key(key(b)));
        assert_eq!(app.checks.diagnostics(), validate(&app.draft).as_slice(), "incremental = full validation");
    }
    app.overlay = None;
    app.table.filtering = false;
    let mut guard = 0;
    while !app.history.is_empty() && guard < 10_000 {
        app.update(Event::Key(KeyPress::ch('u')));
        guard += 1;
    }
    assert_eq!(app.draft, original, "undo all returns the original");
});
