//! Rendering untrusted text (from the server, a file, the environment or a paste) so that it cannot
//! act on a terminal or hide from the reader.
//!
//! Control characters (C0, DEL, C1), bidirectional controls and characters that draw nothing or
//! look like a space (soft hyphen, zero-width joiners, Hangul fillers, the braille blank, tag
//! characters, variation selectors, ...) are shown as visible, inert escapes (`\x1b`, `\u{202e}`)
//! in text, and as `\uXXXX` escapes in JSON output.

use std::borrow::Cow;
use std::io;

/// `n` things in words: `no edits`, `1 edit`, `3 edits` (`one`: the singular; the plural adds
/// an `s`).
pub fn counted(n: usize, one: &str) -> String {
    match n {
        0 => format!("no {one}s"),
        1 => format!("1 {one}"),
        _ => format!("{n} {one}s"),
    }
}

/// Whether a character draws nothing, or nothing distinguishable from a space, although it is not
/// a control character: readers cannot see it, so it must be shown as an escape.
pub fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00ad                  // soft hyphen
        | 0x034f                // combining grapheme joiner
        | 0x061c                // Arabic letter mark
        | 0x115f | 0x1160       // Hangul choseong/jungseong fillers
        | 0x17b4 | 0x17b5       // Khmer inherent vowels
        | 0x180b..=0x180f       // Mongolian variation selectors and vowel separator
        | 0x200b..=0x200f       // zero-width space, (non-)joiner, LRM, RLM
        | 0x2028..=0x202e       // line/paragraph separators, bidi embeddings and overrides
        | 0x2060..=0x206f       // word joiner, invisible operators, bidi isolates, deprecated formats
        | 0x2800                // braille pattern blank
        | 0x3164                // Hangul filler
        | 0xfe00..=0xfe0f       // variation selectors
        | 0xfeff                // zero-width no-break space (BOM)
        | 0xffa0                // halfwidth Hangul filler
        | 0xfff9..=0xfffb       // interlinear annotations
        | 0x1bca0..=0x1bca3     // shorthand format controls
        | 0x1d173..=0x1d17a     // musical symbol format controls
        | 0xe0000..=0xe007f     // tag characters
        | 0xe0100..=0xe01ef // variation selectors supplement
    )
}

/// Whether a character must not reach a terminal as itself: a control character (C0, DEL, C1) or
/// an invisible one ([`is_invisible`]).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// `s` with every unsafe character replaced by a visible escape. Borrowed when nothing changes.
pub fn inert(s: &str) -> Cow<'_, str> {
    // Printable ASCII, the common case, is checked a byte at a time (which vectorises).
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) || !s.chars().any(is_unsafe) {
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

/// Every line of `text` made inert, keeping the line breaks.
pub fn inert_multiline(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|l| match l.strip_suffix('\n') {
            Some(body) => format!("{}\n", inert(body)),
            None => inert(l).into_owned(),
        })
        .collect()
}

/// A JSON formatter that writes every unsafe character ([`is_unsafe`]) of a string as a `\uXXXX`
/// escape (a surrogate pair above U+FFFF); `serde_json` alone escapes only C0 controls.
struct InertFormatter<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for InertFormatter<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| is_unsafe(c)) {
            writer.write_all(&rest.as_bytes()[..at])?;
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(writer, "\\u{u:04x}")?;
            }
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    // Everything else as the wrapped formatter writes it.
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

fn json_with<T: serde::Serialize + ?Sized, F: serde_json::ser::Formatter>(
    value: &T,
    formatter: F,
) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, InertFormatter(formatter));
    if value.serialize(&mut ser).is_err() {
        // Serializing plain data into memory cannot fail; an error means a map with non-string
        // keys, which no caller builds. Say so rather than print half a document.
        return r#"{"error":{"message":"internal error: unserializable output"}}"#.to_owned();
    }
    // The formatter writes only UTF-8 (escapes are ASCII).
    String::from_utf8(out).unwrap_or_default()
}

/// `value` as compact JSON for output: every unsafe character escaped as `\uXXXX`, so no C1,
/// bidi or invisible character reaches a terminal that shows the JSON.
pub fn json_inert<T: serde::Serialize + ?Sized>(value: &T) -> String {
    json_with(value, serde_json::ser::CompactFormatter)
}

/// As [`json_inert`], indented.
pub fn json_inert_pretty<T: serde::Serialize + ?Sized>(value: &T) -> String {
    json_with(value, serde_json::ser::PrettyFormatter::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_words() {
        assert_eq!(counted(0, "edit"), "no edits");
        assert_eq!(counted(1, "edit"), "1 edit");
        assert_eq!(counted(3, "new warning"), "3 new warnings");
    }

    #[test]
    fn escapes_are_made_visible() {
        assert_eq!(inert("plain.example.com"), "plain.example.com");
        assert_eq!(inert("a\u{1b}[31mb"), "a\\x1b[31mb");
        assert_eq!(inert("evil\u{202e}moc"), "evil\\u{202e}moc");
        assert_eq!(inert("tab\there\n"), "tab\\x09here\\x0a");
        assert_eq!(inert("c1\u{9b}x"), "c1\\x9bx");
    }

    #[test]
    fn invisible_and_space_like_characters_are_made_visible() {
        for (c, shown) in [
            ('\u{ad}', "\\xad"),
            ('\u{34f}', "\\u{34f}"),
            ('\u{115f}', "\\u{115f}"),
            ('\u{1160}', "\\u{1160}"),
            ('\u{180e}', "\\u{180e}"),
            ('\u{3164}', "\\u{3164}"),
            ('\u{ffa0}', "\\u{ffa0}"),
            ('\u{2800}', "\\u{2800}"),
            ('\u{e0000}', "\\u{e0000}"),
            ('\u{e0041}', "\\u{e0041}"),
            ('\u{e007f}', "\\u{e007f}"),
            ('\u{2066}', "\\u{2066}"),
        ] {
            assert_eq!(
                inert(&format!("a{c}b")),
                format!("a{shown}b"),
                "{:x}",
                c as u32
            );
        }
        // Visible non-ASCII text is left alone.
        assert_eq!(inert("bücher.example"), "bücher.example");
        assert_eq!(inert("пример.рф"), "пример.рф");
    }

    #[test]
    fn inert_multiline_keeps_line_breaks() {
        assert_eq!(inert_multiline("a\u{1b}\nb\n"), "a\\x1b\nb\n");
        assert_eq!(inert_multiline("x\ny"), "x\ny");
    }

    #[test]
    fn json_output_escapes_c1_bidi_and_invisible_characters() {
        let v = serde_json::json!({
            "id": "abc\u{1b}]2;PWNED\u{7}",
            "c1": "\u{9b}31m",
            "bidi": "a\u{202e}b\u{2066}c",
            "invisible": "x\u{ad}\u{200b}\u{e0041}y",
            "plain": "ünïcode ok",
        });
        let out = json_inert(&v);
        assert!(out.chars().all(|c| !is_unsafe(c)), "{out}");
        assert!(out.contains(r"abc\u001b]2;PWNED\u0007"), "{out}");
        assert!(out.contains(r"\u009b31m"), "{out}");
        assert!(out.contains(r"a\u202eb\u2066c"), "{out}");
        assert!(out.contains(r"x\u00ad\u200b\udb40\udc41y"), "{out}");
        assert!(out.contains("ünïcode ok"), "{out}");
        // It reads back as the same value.
        let back: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(back, v);
        let pretty = json_inert_pretty(&v);
        assert!(pretty.contains('\n') && pretty.chars().all(|c| !is_unsafe(c) || c == '\n'));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&pretty).unwrap_or_default(),
            v
        );
    }
}
