//! A fast reader for the plain block style almost every config.yml is written in: nested block
//! mappings and sequences of one-line plain or quoted scalars, with comments and blank lines.
//! It builds the same tree as [`super::yamltree::parse`] (values, styles and positions) about
//! four times faster than the general parser, because it only handles what it can decide for
//! sure, line by line, and gives up on anything else: tabs, carriage returns, non-ASCII text,
//! flow collections, anchors, aliases, tags, block scalars, escapes, multi-line scalars, empty
//! values, directives, several documents, duplicated keys or anything it does not recognise.
//! Then the caller reads the text again with the general parser, which also owns every error
//! message: this reader never reports an error.
//!
//! Whether the two agree is checked by tests on every example file and on generated documents,
//! and by the `yaml_fast` fuzz target (every text this reader accepts must give the general
//! parser's tree).

use std::borrow::Cow;

use saphyr_parser::ScalarStyle;

use super::yamltree::{MAX_DEPTH, ScalarTag, YamlNode, YamlValue, duplicate_key};

/// One collection being read.
struct Frame<'a> {
    /// The column of its entries (0-based).
    indent: usize,
    node: YamlNode<'a>,
    /// For a mapping: the key whose value is being read.
    key: Option<YamlNode<'a>>,
}

/// Reads `text` if it is in the subset this reader knows; `None` when the general parser must.
pub fn parse(text: &str) -> Option<YamlNode<'_>> {
    if !text
        .bytes()
        .all(|b| b == b'\n' || (0x20..0x7f).contains(&b))
    {
        return None;
    }
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut root: Option<YamlNode<'_>> = None;
    // After `key:` or `-` with nothing else: the column of the collection waiting for a value.
    let mut pending: Option<usize> = None;
    // After a scalar value: the column deeper than which the next line would continue it.
    let mut scalar_floor: Option<usize> = None;
    for (index, line) in text.split('\n').enumerate() {
        let line_no = index + 1;
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if content.is_empty() {
            continue;
        }
        if let Some(floor) = scalar_floor.take()
            && indent > floor
        {
            return None;
        }
        if content.starts_with('#') {
            continue;
        }
        if indent == 0 && (content.starts_with("---") || content.starts_with("...")) {
            return None;
        }
        if content.starts_with('%') && indent == 0 {
            return None;
        }
        let is_entry = content == "-" || content.starts_with("- ");
        match pending.take() {
            Some(parent) => {
                let parent_is_map = stack
                    .last()
                    .is_some_and(|f| matches!(f.node.value, YamlValue::Map { .. }));
                let nested = indent > parent || (parent_is_map && indent == parent && is_entry);
                if !nested {
                    // An empty value (a null): left to the general parser.
                    return None;
                }
                open(&mut stack, indent, is_entry, line_no)?;
                if is_entry && indent == parent {
                    // saphyr places a sequence at its parent key's column at its first item;
                    // only the plain `- item` form is certain.
                    let item = content.strip_prefix("- ").unwrap_or_default();
                    if item.is_empty() || item.starts_with([' ', '#']) {
                        return None;
                    }
                    if let Some(top) = stack.last_mut() {
                        top.node.col = indent + 3;
                    }
                }
            }
            None => {
                close_to(&mut stack, &mut root, indent, is_entry)?;
                match stack.last() {
                    Some(top) if top.indent == indent => {
                        let top_is_seq = matches!(top.node.value, YamlValue::Seq { .. });
                        if top_is_seq != is_entry {
                            return None;
                        }
                    }
                    None if indent == 0 && !is_entry && root.is_none() => {
                        open(&mut stack, 0, false, line_no)?;
                    }
                    _ => return None,
                }
            }
        }
        if stack.len() > MAX_DEPTH {
            return None;
        }
        if is_entry {
            let rest = content[1..].trim_start_matches(' ');
            let col = line.len() - rest.len();
            if rest.is_empty() || rest.starts_with('#') {
                pending = Some(indent);
                continue;
            }
            if rest.starts_with("- ") || rest == "-" {
                return None;
            }
            match read_key(rest) {
                Some(_) => {
                    open(&mut stack, col, false, line_no)?;
                    if stack.len() > MAX_DEPTH {
                        return None;
                    }
                    let (p, s) = map_entry(&mut stack, rest, col, line_no)?;
                    pending = p;
                    scalar_floor = s;
                }
                None => {
                    let value = read_value(rest, col, line_no)?;
                    if let Some(YamlValue::Seq { items, .. }) =
                        stack.last_mut().map(|f| &mut f.node.value)
                    {
                        items.push(value);
                    }
                    scalar_floor = Some(indent);
                }
            }
        } else {
            let (p, s) = map_entry(&mut stack, content, indent, line_no)?;
            pending = p;
            scalar_floor = s;
        }
    }
    if pending.is_some() {
        return None;
    }
    while !stack.is_empty() {
        pop(&mut stack, &mut root)?;
    }
    root
}

/// Starts a collection whose first entry is at `indent` on line `line_no`.
fn open(stack: &mut Vec<Frame<'_>>, indent: usize, seq: bool, line_no: usize) -> Option<()> {
    let value = if seq {
        YamlValue::Seq {
            items: Vec::new(),
            foreign_tag: false,
        }
    } else {
        YamlValue::Map {
            entries: Vec::new(),
            foreign_tag: false,
        }
    };
    stack.push(Frame {
        indent,
        node: YamlNode {
            value,
            line: line_no,
            col: indent + 1,
        },
        key: None,
    });
    Some(())
}

/// Closes the collections a line at `indent` ends.
fn close_to<'a>(
    stack: &mut Vec<Frame<'a>>,
    root: &mut Option<YamlNode<'a>>,
    indent: usize,
    is_entry: bool,
) -> Option<()> {
    while let Some(top) = stack.last() {
        let top_is_seq = matches!(top.node.value, YamlValue::Seq { .. });
        // A sequence may sit at its parent key's column (`key:\n- a`): a key line there ends it.
        let ends = top.indent > indent
            || (top.indent == indent && top_is_seq && !is_entry && {
                stack.len() > 1 && stack[stack.len() - 2].indent == indent
            });
        if !ends {
            break;
        }
        pop(stack, root)?;
    }
    Some(())
}

/// Closes the innermost collection into its parent.
fn pop<'a>(stack: &mut Vec<Frame<'a>>, root: &mut Option<YamlNode<'a>>) -> Option<()> {
    let frame = stack.pop()?;
    if let YamlValue::Map { entries, .. } = &frame.node.value
        && duplicate_key(entries).is_some()
    {
        return None;
    }
    match stack.last_mut() {
        None => {
            if root.is_some() {
                return None;
            }
            *root = Some(frame.node);
        }
        Some(parent) => match &mut parent.node.value {
            YamlValue::Seq { items, .. } => items.push(frame.node),
            YamlValue::Map { entries, .. } => {
                let key = parent.key.take()?;
                entries.push((key, frame.node));
            }
            _ => return None,
        },
    }
    Some(())
}

/// Reads `key: value` (or `key:` with a nested value) at column `col`; gives what the next line
/// must do: `(pending, scalar_floor)`.
fn map_entry<'a>(
    stack: &mut [Frame<'a>],
    content: &'a str,
    col: usize,
    line_no: usize,
) -> Option<(Option<usize>, Option<usize>)> {
    let (key, after) = read_key(content)?;
    let key_node = scalar_node(key, col, line_no);
    let rest = after.trim_start_matches(' ');
    let top = stack.last_mut()?;
    if top.indent != col || !matches!(top.node.value, YamlValue::Map { .. }) {
        return None;
    }
    if rest.is_empty() || (rest.starts_with('#') && rest.len() < after.len()) {
        top.key = Some(key_node);
        return Some((Some(col), None));
    }
    if rest.len() == after.len() {
        return None;
    }
    let value_col = col + (content.len() - rest.len());
    let value = read_value(rest, value_col, line_no)?;
    if let YamlValue::Map { entries, .. } = &mut top.node.value {
        entries.push((key_node, value));
    }
    Some((None, Some(col)))
}

/// A scalar token: its text, style and the rest of the line after it.
struct Token<'a> {
    text: Cow<'a, str>,
    style: ScalarStyle,
}

fn scalar_node<'a>(t: Token<'a>, col: usize, line_no: usize) -> YamlNode<'a> {
    YamlNode {
        value: YamlValue::Scalar {
            text: t.text,
            style: t.style,
            tag: ScalarTag::None,
        },
        line: line_no,
        col: col + 1,
    }
}

/// Characters that cannot start a plain scalar here (or change its meaning).
fn bad_plain_start(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'%'
            | b'@'
            | b'`'
            | b'"'
            | b'\''
    )
}

/// A quoted scalar at the start of `s`, on one line: its text and the rest of the line. Double
/// quotes may hold the escapes `\\`, `\"`, `\/`, `\t` and `\n`; single quotes no doubled quote.
fn quoted(s: &str) -> Option<(Token<'_>, &str)> {
    let q = s.as_bytes().first().copied()?;
    let body = &s[1..];
    if q == b'\'' {
        let end = body.find('\'')?;
        if body[end + 1..].starts_with('\'') {
            return None;
        }
        let token = Token {
            text: Cow::Borrowed(&body[..end]),
            style: ScalarStyle::SingleQuoted,
        };
        return Some((token, &body[end + 1..]));
    }
    if q != b'"' {
        return None;
    }
    let end = body.find(['"', '\\'])?;
    if body.as_bytes()[end] == b'"' {
        let token = Token {
            text: Cow::Borrowed(&body[..end]),
            style: ScalarStyle::DoubleQuoted,
        };
        return Some((token, &body[end + 1..]));
    }
    let mut text = String::with_capacity(body.len());
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let token = Token {
                    text: Cow::Owned(text),
                    style: ScalarStyle::DoubleQuoted,
                };
                return Some((token, &body[i + 1..]));
            }
            '\\' => text.push(match chars.next()?.1 {
                '\\' => '\\',
                '"' => '"',
                '/' => '/',
                't' => '\t',
                'n' => '\n',
                _ => return None,
            }),
            c => text.push(c),
        }
    }
    None
}

/// A mapping key at the start of `s` followed by `:` and a space or the end: the key and what
/// follows the colon. `None` when `s` is not a key this reader knows.
fn read_key(s: &str) -> Option<(Token<'_>, &str)> {
    let (token, rest) = if s.starts_with('"') || s.starts_with('\'') {
        quoted(s)?
    } else {
        if bad_plain_start(*s.as_bytes().first()?) {
            return None;
        }
        let b = s.as_bytes();
        let mut i = 0;
        loop {
            if i == b.len() {
                return None;
            }
            if b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' ') {
                break;
            }
            if b[i] == b'#' && i > 0 && b[i - 1] == b' ' {
                return None;
            }
            i += 1;
        }
        let text = s[..i].trim_end_matches(' ');
        (
            Token {
                text: Cow::Borrowed(text),
                style: ScalarStyle::Plain,
            },
            &s[i..],
        )
    };
    if token.text.len() > 1000 {
        return None;
    }
    let after = rest.strip_prefix(':')?;
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    Some((token, after))
}

/// A one-line scalar value at the start of `s` (column `col`), up to a comment.
fn read_value(s: &str, col: usize, line_no: usize) -> Option<YamlNode<'_>> {
    if s.starts_with('"') || s.starts_with('\'') {
        let (token, rest) = quoted(s)?;
        let rest_trim = rest.trim_start_matches(' ');
        if !(rest_trim.is_empty() || (rest_trim.starts_with('#') && rest_trim.len() < rest.len())) {
            return None;
        }
        return Some(scalar_node(token, col, line_no));
    }
    if bad_plain_start(*s.as_bytes().first()?) {
        return None;
    }
    let text = match s.find(" #") {
        Some(i) => &s[..i],
        None => s,
    }
    .trim_end_matches(' ');
    if text.contains(": ") || text.ends_with(':') {
        return None;
    }
    Some(scalar_node(
        Token {
            text: Cow::Borrowed(text),
            style: ScalarStyle::Plain,
        },
        col,
        line_no,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yamltree;

    /// The fast reader either declines or gives exactly the general parser's tree.
    pub(crate) fn agrees(text: &str) -> bool {
        match parse(text) {
            None => true,
            Some(fast) => yamltree::parse(text) == Ok(Some(fast)),
        }
    }

    fn assert_same(text: &str) {
        let fast = parse(text);
        assert!(fast.is_some(), "declined:\n{text}");
        assert_eq!(Ok(fast), yamltree::parse(text), "{text}");
    }

    #[test]
    fn reads_the_usual_config_yml_like_the_general_parser() {
        assert_same(
            "tunnel: 6ff42ae2-765d-4adf-8112-31c55c1551ef\ncredentials-file: /root/.cloudflared/x.json # the secret\n\n# rules\ningress:\n  - hostname: \"a.example.com\"\n    service: http://localhost:8000\n    originRequest:\n      noTLSVerify: true\n      connectTimeout: 10s\n  - hostname: 'b.example.com'\n    path: ^/api/(v1|v2)/.*$\n    service: https://10.0.0.1:8443\n  - service: http_status:404\n",
        );
        assert_same(
            "ingress:\n- service: a\n  hostname: b\n- service: c\nwarp-routing:\n  enabled: true\n",
        );
        assert_same(
            "originRequest:\n  access:\n    required: true\n    audTag:\n      - aaa\n      - bbb\n",
        );
        assert_same("a:\n  -\n    b: c\n  - d\n");
    }

    #[test]
    fn declines_what_it_does_not_know() {
        for text in [
            "a: [1, 2]\n",
            "a: &x 1\nb: *x\n",
            "a: |\n  text\n",
            "a: \"x\\u0041\"\n",
            "a: b\n  continued\n",
            "a:\nb: 1\n",
            "a: 1\na: 2\n",
            "a:\tb\n",
            "a: é\n",
            "- a\n",
            "a: b: c\n",
            "--- \na: 1\n",
            "a: 'it''s'\n",
            "? a\n: b\n",
            "a: -1\n",
            // Found by the yaml_fast fuzzer: where saphyr places a sequence at its parent key's
            // column whose first item is empty is not certain.
            ".9:\n- #a$...- .  0 0 .0: #0:\\1|2 - .\n - a'0:).",
            "a:\n-   b\n",
            "",
        ] {
            assert!(parse(text).is_none(), "accepted {text:?}");
            assert!(agrees(text));
        }
    }

    #[test]
    fn agrees_with_the_general_parser_on_every_example() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!("no {}", dir.display())
        };
        for entry in entries.flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            assert!(agrees(&text), "{}", entry.path().display());
        }
        for seed in 1..4 {
            let fixture =
                crate::config::files::to_yaml_string(&crate::fixtures::scale_config(300, seed))
                    .unwrap_or_default();
            assert_same(&fixture);
        }
    }

    #[test]
    fn agrees_on_broken_variants_of_the_examples() {
        // Every line of each example deleted, re-indented or cut: the fast reader must decline
        // or agree, never read something else.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
        let mut texts: Vec<String> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                e.path()
                    .extension()
                    .is_some_and(|x| x == "yml" || x == "yaml")
            })
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect();
        texts.push(
            "a:\n- b: 'c' # x\n  d: \"e\\\\f\"\n-   g\n- h: i:j\nk:\n  l:\n    - m\n".to_owned(),
        );
        let mut tried = 0;
        for text in &texts {
            let lines: Vec<&str> = text.lines().collect();
            for i in 0..lines.len() {
                let line = lines[i];
                let mut variants = vec![String::new(), format!(" {line}"), format!("  {line}")];
                if let Some(rest) = line.strip_prefix("  ") {
                    variants.push(rest.to_owned());
                }
                for cut in [1, 2, line.len() / 2, line.len().saturating_sub(1)] {
                    if line.is_char_boundary(cut) && cut < line.len() {
                        variants.push(format!("{}{}", &line[..cut], &line[cut + 1..]));
                        variants.push(format!("{}: {}", &line[..cut], &line[cut..]));
                        variants.push(format!("{}\n{}", &line[..cut], &line[cut..]));
                    }
                }
                for v in variants {
                    let mut changed = lines.clone();
                    changed[i] = &v;
                    let text = changed.join("\n");
                    assert!(agrees(&text), "disagree on:\n{text}");
                    tried += 1;
                }
            }
        }
        assert!(tried > 100);
    }
}
