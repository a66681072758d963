//! Rendering untrusted text (from the server or a file) so that it cannot act on a terminal.
//!
//! Control characters, escape sequences and bidirectional-override characters are shown as visible,
//! inert escapes (`\x1b`, `\u{202e}`) instead of being passed through.

use std::borrow::Cow;

/// Whether a character must not reach a terminal as itself.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0x061c | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb)
}

/// `s` with every unsafe character replaced by a visible escape. Borrowed when nothing changes.
pub fn inert(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            let n = c as u32;
            if n < 0x100 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_made_visible() {
        assert_eq!(inert("plain.example.com"), "plain.example.com");
        assert_eq!(inert("a\u{1b}[31mb"), "a\\x1b[31mb");
        assert_eq!(inert("evil\u{202e}moc"), "evil\\u{202e}moc");
        assert_eq!(inert("tab\there\n"), "tab\\x09here\\x0a");
        assert_eq!(inert("c1\u{9b}x"), "c1\\x9bx");
    }
}
