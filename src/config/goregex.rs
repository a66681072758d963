//! Go's RE2 regular-expression syntax (package `regexp/syntax` with `syntax.Perl` flags), which
//! cloudflared uses for ingress `path` patterns.
//!
//! The `regex` crate is close to RE2 but not identical: it rejects some patterns Go accepts
//! (`a{,3}`, `\Q..\E`, octal escapes, `[\d-z]`), accepts some Go rejects (`a{1001}`, `a**`, `\u0041`,
//! `(?x)`, `[[:foo:]]`, nested counted repeats above 1000), and reads some differently (`&&` in a
//! class, Unicode `\d`/`\w`/`\s`/`\b`). So cloudflared's verdict cannot come from the crate. This
//! module parses a pattern exactly as Go's parser does, producing Go's error message for a bad one,
//! and for a good one an equivalent pattern in the `regex` crate's syntax, used for matching.

use std::fmt;

/// A Go regexp syntax error, printed as Go prints it:
/// ``error parsing regexp: missing argument to repetition operator: `*` ``.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    /// Go's error code text (`invalid repeat count`, ...).
    pub code: &'static str,
    /// The part of the pattern Go names.
    pub expr: String,
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error parsing regexp: {}: `{}`", self.code, self.expr)
    }
}

impl std::error::Error for RegexError {}

const INVALID_CHAR_CLASS_RANGE: &str = "invalid character class range";
const INVALID_ESCAPE: &str = "invalid escape sequence";
const INVALID_NAMED_CAPTURE: &str = "invalid named capture";
const INVALID_PERL_OP: &str = "invalid or unsupported Perl syntax";
const INVALID_REPEAT_OP: &str = "invalid nested repetition operator";
const INVALID_REPEAT_SIZE: &str = "invalid repeat count";
const MISSING_BRACKET: &str = "missing closing ]";
const MISSING_PAREN: &str = "missing closing )";
const MISSING_REPEAT_ARGUMENT: &str = "missing argument to repetition operator";
const TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";
const UNEXPECTED_PAREN: &str = "unexpected )";
const NESTING_DEPTH: &str = "expression nests too deeply";

const MAX_REPEAT: i64 = 1000;
const MAX_HEIGHT: usize = 1000;

fn err(code: &'static str, expr: &str) -> RegexError {
    RegexError {
        code,
        expr: expr.to_owned(),
    }
}

/// Parser flags, as in Go (`syntax.Perl` = ClassNL | OneLine | PerlX | UnicodeGroups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flags {
    fold_case: bool,
    one_line: bool,
    dot_nl: bool,
    non_greedy: bool,
}

const PERL: Flags = Flags {
    fold_case: false,
    one_line: true,
    dot_nl: false,
    non_greedy: false,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Perl {
    Digit,
    Space,
    Word,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum ClassItem {
    Range(char, char),
    Perl(Perl, bool),
    Posix(&'static str, bool),
    Unicode(&'static str, bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Empty,
    Lit(char, bool),
    Class {
        items: Vec<ClassItem>,
        negated: bool,
        fold: bool,
    },
    Any(bool),
    BeginLine,
    EndLine,
    BeginText,
    EndText,
    WordBoundary,
    NoWordBoundary,
    Repeat {
        sub: Box<Node>,
        min: i64,
        max: i64, // -1: unbounded
        greedy: bool,
        counted: bool,
    },
    Group {
        sub: Box<Node>,
        capture: bool,
    },
    Concat(Vec<Node>),
    Alt(Vec<Node>),
}

struct Frame {
    alternatives: Vec<Node>,
    current: Vec<Node>,
    saved_flags: Flags,
    capture: bool,
}

impl Frame {
    fn new(saved_flags: Flags, capture: bool) -> Self {
        Frame {
            alternatives: Vec::new(),
            current: Vec::new(),
            saved_flags,
            capture,
        }
    }

    fn finish(mut self) -> Node {
        let cur = std::mem::take(&mut self.current);
        let concat = concat(cur);
        if self.alternatives.is_empty() {
            concat
        } else {
            self.alternatives.push(concat);
            Node::Alt(self.alternatives)
        }
    }
}

fn concat(mut nodes: Vec<Node>) -> Node {
    match nodes.len() {
        0 => Node::Empty,
        1 => nodes.pop().unwrap_or(Node::Empty),
        _ => Node::Concat(nodes),
    }
}

/// A path pattern that Go's regexp accepts, with its translation for the `regex` crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoRegex {
    source: String,
    rust: String,
}

impl GoRegex {
    /// Parses `pattern` as Go's `regexp.Compile` would; on success keeps a `regex`-crate
    /// translation with the same meaning.
    pub fn parse(pattern: &str) -> Result<Self, RegexError> {
        let node = Parser::new(pattern).parse()?;
        if height(&node) > MAX_HEIGHT {
            return Err(err(NESTING_DEPTH, pattern));
        }
        let mut rust = String::with_capacity(pattern.len() + 8);
        emit(&node, &mut rust);
        Ok(GoRegex {
            source: pattern.to_owned(),
            rust,
        })
    }

    /// Checks `pattern` as Go's `regexp.Compile` would, without building the translation.
    pub fn check(pattern: &str) -> Result<(), RegexError> {
        let node = Parser::new(pattern).parse()?;
        if height(&node) > MAX_HEIGHT {
            return Err(err(NESTING_DEPTH, pattern));
        }
        Ok(())
    }

    /// The pattern as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The equivalent pattern in the `regex` crate's syntax.
    pub fn rust_pattern(&self) -> &str {
        &self.rust
    }

    /// Compiles the translation. Fails only when the compiled program would exceed the size
    /// limit (a pattern valid for Go that is too large for this machine's matcher).
    pub fn compile(&self) -> Result<regex::Regex, regex::Error> {
        regex::RegexBuilder::new(&self.rust)
            .size_limit(64 << 20)
            .dfa_size_limit(16 << 20)
            .build()
    }
}

struct Parser<'a> {
    whole: &'a str,
    flags: Flags,
    frames: Vec<Frame>,
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

fn unhex(c: char) -> Option<u32> {
    c.to_digit(16)
}

/// The rest of `s` after its first char.
fn next(s: &str) -> (Option<char>, &str) {
    let mut it = s.chars();
    let c = it.next();
    (c, it.as_str())
}

impl<'a> Parser<'a> {
    fn new(whole: &'a str) -> Self {
        Parser {
            whole,
            flags: PERL,
            frames: vec![Frame::new(PERL, false)],
        }
    }

    fn top(&mut self) -> &mut Frame {
        if self.frames.is_empty() {
            self.frames.push(Frame::new(PERL, false));
        }
        let last = self.frames.len() - 1;
        &mut self.frames[last]
    }

    fn push(&mut self, node: Node) {
        self.top().current.push(node);
    }

    fn parse(mut self) -> Result<Node, RegexError> {
        let mut t: &str = self.whole;
        let mut last_repeat: &str = "";
        while !t.is_empty() {
            let mut repeat: &str = "";
            let c = t.as_bytes()[0];
            match c {
                b'(' => {
                    if t.len() >= 2 && t.as_bytes()[1] == b'?' {
                        t = self.parse_perl_flags(t)?;
                    } else {
                        let saved = self.flags;
                        self.frames.push(Frame::new(saved, true));
                        t = &t[1..];
                    }
                }
                b'|' => {
                    let frame = self.top();
                    let cur = std::mem::take(&mut frame.current);
                    frame.alternatives.push(concat(cur));
                    t = &t[1..];
                }
                b')' => {
                    if self.frames.len() < 2 {
                        return Err(err(UNEXPECTED_PAREN, self.whole));
                    }
                    let Some(frame) = self.frames.pop() else {
                        return Err(err(UNEXPECTED_PAREN, self.whole));
                    };
                    self.flags = frame.saved_flags;
                    let capture = frame.capture;
                    let sub = frame.finish();
                    self.push(Node::Group {
                        sub: Box::new(sub),
                        capture,
                    });
                    t = &t[1..];
                }
                b'^' => {
                    self.push(if self.flags.one_line {
                        Node::BeginText
                    } else {
                        Node::BeginLine
                    });
                    t = &t[1..];
                }
                b'$' => {
                    self.push(if self.flags.one_line {
                        Node::EndText
                    } else {
                        Node::EndLine
                    });
                    t = &t[1..];
                }
                b'.' => {
                    self.push(Node::Any(self.flags.dot_nl));
                    t = &t[1..];
                }
                b'[' => {
                    t = self.parse_class(t)?;
                }
                b'*' | b'+' | b'?' => {
                    let before = t;
                    let (min, max) = match c {
                        b'*' => (0, -1),
                        b'+' => (1, -1),
                        _ => (0, 1),
                    };
                    let after = &t[1..];
                    t = self.repeat(min, max, false, before, after, last_repeat)?;
                    repeat = before;
                }
                b'{' => {
                    let before = t;
                    match parse_repeat(t) {
                        None => {
                            self.push(Node::Lit('{', self.flags.fold_case));
                            t = &t[1..];
                        }
                        Some((min, max, after)) => {
                            if !(0..=MAX_REPEAT).contains(&min)
                                || max > MAX_REPEAT
                                || max >= 0 && min > max
                            {
                                return Err(err(
                                    INVALID_REPEAT_SIZE,
                                    &before[..before.len() - after.len()],
                                ));
                            }
                            t = self.repeat(min, max, true, before, after, last_repeat)?;
                            repeat = before;
                        }
                    }
                }
                b'\\' => {
                    t = self.parse_backslash(t)?;
                }
                _ => {
                    let (ch, rest) = next(t);
                    if let Some(ch) = ch {
                        self.push(Node::Lit(ch, self.flags.fold_case));
                    }
                    t = rest;
                }
            }
            last_repeat = repeat;
        }
        if self.frames.len() != 1 {
            return Err(err(MISSING_PAREN, self.whole));
        }
        match self.frames.pop() {
            Some(frame) => Ok(frame.finish()),
            None => Err(err(MISSING_PAREN, self.whole)),
        }
    }

    fn repeat<'s>(
        &mut self,
        min: i64,
        max: i64,
        counted: bool,
        before: &'s str,
        mut after: &'s str,
        last_repeat: &'s str,
    ) -> Result<&'s str, RegexError> {
        let mut greedy = !self.flags.non_greedy;
        if after.starts_with('?') {
            after = &after[1..];
            greedy = !greedy;
        }
        if !last_repeat.is_empty() {
            return Err(err(
                INVALID_REPEAT_OP,
                &last_repeat[..last_repeat.len() - after.len()],
            ));
        }
        let op_text = &before[..before.len() - after.len()];
        let Some(sub) = self.top().current.pop() else {
            return Err(err(MISSING_REPEAT_ARGUMENT, op_text));
        };
        let node = Node::Repeat {
            sub: Box::new(sub),
            min,
            max,
            greedy,
            counted,
        };
        if counted && (min >= 2 || max >= 2) && !repeat_is_valid(&node, MAX_REPEAT) {
            return Err(err(INVALID_REPEAT_SIZE, op_text));
        }
        self.push(node);
        Ok(after)
    }

    fn parse_backslash<'s>(&mut self, t: &'s str) -> Result<&'s str, RegexError> {
        let b = t.as_bytes();
        if b.len() >= 2 {
            match b[1] {
                b'A' => {
                    self.push(Node::BeginText);
                    return Ok(&t[2..]);
                }
                b'b' => {
                    self.push(Node::WordBoundary);
                    return Ok(&t[2..]);
                }
                b'B' => {
                    self.push(Node::NoWordBoundary);
                    return Ok(&t[2..]);
                }
                b'C' => return Err(err(INVALID_ESCAPE, &t[..2])),
                b'Q' => {
                    let (lit, rest) = match t.find("\\E") {
                        Some(i) => (&t[2..i], &t[i + 2..]),
                        None => (&t[2..], ""),
                    };
                    for ch in lit.chars() {
                        self.push(Node::Lit(ch, self.flags.fold_case));
                    }
                    return Ok(rest);
                }
                b'z' => {
                    self.push(Node::EndText);
                    return Ok(&t[2..]);
                }
                _ => {}
            }
        }
        if b.len() >= 2 && (b[1] == b'p' || b[1] == b'P') {
            let (item, rest) = parse_unicode_class(t)?;
            self.push(Node::Class {
                items: vec![item],
                negated: false,
                fold: self.flags.fold_case,
            });
            return Ok(rest);
        }
        if let Some((item, rest)) = parse_perl_class(t) {
            self.push(Node::Class {
                items: vec![item],
                negated: false,
                fold: self.flags.fold_case,
            });
            return Ok(rest);
        }
        let (ch, rest) = parse_escape(t)?;
        self.push(Node::Lit(ch, self.flags.fold_case));
        Ok(rest)
    }

    fn parse_perl_flags<'s>(&mut self, s: &'s str) -> Result<&'s str, RegexError> {
        let b = s.as_bytes();
        let starts_with_p = b.len() > 4 && b[2] == b'P' && b[3] == b'<';
        let starts_with_name = b.len() > 3 && b[2] == b'<';
        if starts_with_p || starts_with_name {
            let name_start = if starts_with_p { 4 } else { 3 };
            let Some(end) = s.find('>') else {
                return Err(err(INVALID_NAMED_CAPTURE, s));
            };
            let capture = &s[..=end];
            let name = &s[name_start..end];
            if name.is_empty() || !name.chars().all(|c| c == '_' || is_alnum(c)) {
                return Err(err(INVALID_NAMED_CAPTURE, capture));
            }
            let saved = self.flags;
            self.frames.push(Frame::new(saved, true));
            return Ok(&s[end + 1..]);
        }
        let mut t = &s[2..];
        let mut flags = self.flags;
        let mut negate = false;
        let mut saw_flag = false;
        loop {
            let (c, rest) = next(t);
            let Some(c) = c else { break };
            t = rest;
            match c {
                'i' => {
                    flags.fold_case = !negate;
                    saw_flag = true;
                }
                'm' => {
                    flags.one_line = negate;
                    saw_flag = true;
                }
                's' => {
                    flags.dot_nl = !negate;
                    saw_flag = true;
                }
                'U' => {
                    flags.non_greedy = !negate;
                    saw_flag = true;
                }
                '-' => {
                    if negate {
                        break;
                    }
                    negate = true;
                    saw_flag = false;
                }
                ':' | ')' => {
                    if negate && !saw_flag {
                        break;
                    }
                    if c == ':' {
                        let saved = self.flags;
                        self.frames.push(Frame::new(saved, false));
                    }
                    self.flags = flags;
                    return Ok(t);
                }
                _ => break,
            }
        }
        Err(err(INVALID_PERL_OP, &s[..s.len() - t.len()]))
    }

    fn parse_class<'s>(&mut self, s: &'s str) -> Result<&'s str, RegexError> {
        let mut t = &s[1..];
        let mut negated = false;
        if t.starts_with('^') {
            negated = true;
            t = &t[1..];
        }
        let mut items = Vec::new();
        let mut first = true;
        while t.is_empty() || !t.starts_with(']') || first {
            first = false;
            if t.len() > 2
                && t.starts_with("[:")
                && let Some((item, rest)) = parse_named_class(t)?
            {
                items.push(item);
                t = rest;
                continue;
            }
            if t.len() >= 2 && t.starts_with('\\') && matches!(t.as_bytes()[1], b'p' | b'P') {
                let (item, rest) = parse_unicode_class(t)?;
                items.push(item);
                t = rest;
                continue;
            }
            if let Some((item, rest)) = parse_perl_class(t) {
                items.push(item);
                t = rest;
                continue;
            }
            let rng = t;
            let (lo, rest) = parse_class_char(t, s)?;
            t = rest;
            let mut hi = lo;
            if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
                let (h, rest) = parse_class_char(&t[1..], s)?;
                t = rest;
                hi = h;
                if hi < lo {
                    return Err(err(INVALID_CHAR_CLASS_RANGE, &rng[..rng.len() - t.len()]));
                }
            }
            items.push(ClassItem::Range(lo, hi));
        }
        t = &t[1..];
        self.push(Node::Class {
            items,
            negated,
            fold: self.flags.fold_case,
        });
        Ok(t)
    }
}

fn parse_class_char<'s>(s: &'s str, whole_class: &str) -> Result<(char, &'s str), RegexError> {
    if s.is_empty() {
        return Err(err(MISSING_BRACKET, whole_class));
    }
    if s.starts_with('\\') {
        return parse_escape(s);
    }
    let (c, rest) = next(s);
    Ok((c.unwrap_or('\u{fffd}'), rest))
}

/// Go's `parseRepeat`: `{n}`, `{n,}`, `{n,m}`; `None` when `s` is not of that form (then `{` is a
/// literal). A number of 10^8 or more gives min -1 (reported as an invalid count).
fn parse_repeat(s: &str) -> Option<(i64, i64, &str)> {
    let s = s.strip_prefix('{')?;
    let (min, s) = parse_int(s)?;
    if s.is_empty() {
        return None;
    }
    let (mut min, max, s) = if let Some(s) = s.strip_prefix(',') {
        if s.is_empty() {
            return None;
        }
        if let Some(rest) = s.strip_prefix('}') {
            return Some((min, -1, rest));
        }
        let (max, s) = parse_int(s)?;
        (min, max, s)
    } else {
        (min, min, s)
    };
    if max < 0 {
        min = -1;
    }
    let rest = s.strip_prefix('}')?;
    Some((min, max, rest))
}

fn parse_int(s: &str) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() {
        return None;
    }
    if b.len() >= 2 && b[0] == b'0' && b[1].is_ascii_digit() {
        return None;
    }
    let end = b
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(b.len());
    let mut n: i64 = 0;
    for &d in &b[..end] {
        if n >= 100_000_000 {
            n = -1;
            break;
        }
        n = n * 10 + i64::from(d - b'0');
    }
    Some((n, &s[end..]))
}

fn repeat_is_valid(node: &Node, mut n: i64) -> bool {
    match node {
        Node::Repeat {
            sub,
            min,
            max,
            counted,
            ..
        } => {
            if *counted {
                let mut m = *max;
                if m == 0 {
                    return true;
                }
                if m < 0 {
                    m = *min;
                }
                if m > n {
                    return false;
                }
                if m > 0 {
                    n /= m;
                }
            }
            repeat_is_valid(sub, n)
        }
        Node::Group { sub, .. } => repeat_is_valid(sub, n),
        Node::Concat(subs) | Node::Alt(subs) => subs.iter().all(|s| repeat_is_valid(s, n)),
        _ => true,
    }
}

fn height(node: &Node) -> usize {
    match node {
        Node::Repeat { sub, .. } => 1 + height(sub),
        Node::Group { sub, capture } => usize::from(*capture) + height(sub),
        Node::Concat(subs) | Node::Alt(subs) => 1 + subs.iter().map(height).max().unwrap_or(0),
        _ => 1,
    }
}

/// Go's `parseEscape`: a single-character escape at the start of `s` (which begins with `\`).
fn parse_escape(s: &str) -> Result<(char, &str), RegexError> {
    let t = &s[1..];
    if t.is_empty() {
        return Err(err(TRAILING_BACKSLASH, ""));
    }
    let (c, mut t) = next(t);
    let c = c.unwrap_or('\u{fffd}');
    let consumed = |t: &str| s[..s.len() - t.len()].to_owned();
    match c {
        '1'..='7' if !t.starts_with(|d: char| ('0'..='7').contains(&d)) => {}
        '0'..='7' => {
            let mut r = c as u32 - '0' as u32;
            for _ in 1..3 {
                match t.chars().next() {
                    Some(d @ '0'..='7') => {
                        r = r * 8 + (d as u32 - '0' as u32);
                        t = &t[1..];
                    }
                    _ => break,
                }
            }
            return Ok((char::from_u32(r).unwrap_or('\u{fffd}'), t));
        }
        'x' => {
            if t.is_empty() {
                return Err(RegexError {
                    code: INVALID_ESCAPE,
                    expr: consumed(t),
                });
            }
            let (c2, rest) = next(t);
            t = rest;
            let c2 = c2.unwrap_or('\u{fffd}');
            if c2 == '{' {
                let mut nhex = 0;
                let mut r: u32 = 0;
                loop {
                    let (d, rest) = next(t);
                    let Some(d) = d else {
                        return Err(RegexError {
                            code: INVALID_ESCAPE,
                            expr: consumed(t),
                        });
                    };
                    t = rest;
                    if d == '}' {
                        break;
                    }
                    let Some(v) = unhex(d) else {
                        return Err(RegexError {
                            code: INVALID_ESCAPE,
                            expr: consumed(t),
                        });
                    };
                    r = r * 16 + v;
                    if r > 0x10ffff {
                        return Err(RegexError {
                            code: INVALID_ESCAPE,
                            expr: consumed(t),
                        });
                    }
                    nhex += 1;
                }
                if nhex == 0 {
                    return Err(RegexError {
                        code: INVALID_ESCAPE,
                        expr: consumed(t),
                    });
                }
                return Ok((char::from_u32(r).unwrap_or('\u{fffd}'), t));
            }
            let x = unhex(c2);
            let (c3, rest) = next(t);
            t = rest;
            let y = c3.and_then(unhex);
            if let (Some(x), Some(y)) = (x, y) {
                return Ok((char::from_u32(x * 16 + y).unwrap_or('\u{fffd}'), t));
            }
        }
        'a' => return Ok(('\u{7}', t)),
        'f' => return Ok(('\u{c}', t)),
        'n' => return Ok(('\n', t)),
        'r' => return Ok(('\r', t)),
        't' => return Ok(('\t', t)),
        'v' => return Ok(('\u{b}', t)),
        c if c.is_ascii() && !is_alnum(c) => return Ok((c, t)),
        _ => {}
    }
    Err(RegexError {
        code: INVALID_ESCAPE,
        expr: consumed(t),
    })
}

fn parse_perl_class(s: &str) -> Option<(ClassItem, &str)> {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'\\' {
        return None;
    }
    let item = match b[1] {
        b'd' => ClassItem::Perl(Perl::Digit, false),
        b'D' => ClassItem::Perl(Perl::Digit, true),
        b's' => ClassItem::Perl(Perl::Space, false),
        b'S' => ClassItem::Perl(Perl::Space, true),
        b'w' => ClassItem::Perl(Perl::Word, false),
        b'W' => ClassItem::Perl(Perl::Word, true),
        _ => return None,
    };
    Some((item, &s[2..]))
}

const POSIX: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

fn parse_named_class(s: &str) -> Result<Option<(ClassItem, &str)>, RegexError> {
    let Some(i) = s[2..].find(":]") else {
        return Ok(None);
    };
    let i = i + 2;
    let name = &s[..i + 2];
    let rest = &s[i + 2..];
    let inner = &name[2..name.len() - 2];
    let (negated, inner) = match inner.strip_prefix('^') {
        Some(n) => (true, n),
        None => (false, inner),
    };
    match POSIX.iter().find(|p| **p == inner) {
        Some(p) => Ok(Some((ClassItem::Posix(p, negated), rest))),
        None => Err(err(INVALID_CHAR_CLASS_RANGE, name)),
    }
}

fn parse_unicode_class(s: &str) -> Result<(ClassItem, &str), RegexError> {
    let mut negated = s.as_bytes()[1] == b'P';
    let t = &s[2..];
    let (c, after) = next(t);
    let (seq, name, rest) = if c != Some('{') {
        let seq = &s[..s.len() - after.len()];
        (seq, &seq[2..], after)
    } else {
        let Some(end) = s.find('}') else {
            return Err(err(INVALID_CHAR_CLASS_RANGE, s));
        };
        (&s[..=end], &s[3..end], &s[end + 1..])
    };
    let name = match name.strip_prefix('^') {
        Some(n) => {
            negated = !negated;
            n
        }
        None => name,
    };
    match unicode_class_name(name) {
        Some(canonical) => Ok((ClassItem::Unicode(canonical, negated), rest)),
        None => Err(err(INVALID_CHAR_CLASS_RANGE, seq)),
    }
}

/// Go's `\p{...}` names: general categories (and their long aliases), scripts, and `Any`,
/// `ASCII`, `Assigned`; looked up loosely (case, spaces, `_` and `-` ignored) as Go 1.25 does.
/// Returns the name to give the `regex` crate.
fn unicode_class_name(name: &str) -> Option<&'static str> {
    let key: String = name
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect();
    if key.is_empty() {
        return None;
    }
    for (alias, canonical) in CATEGORY_ALIASES {
        if loose(alias) == key {
            return Some(canonical);
        }
    }
    for cat in CATEGORIES {
        if loose(cat) == key {
            return Some(cat);
        }
    }
    SCRIPTS.iter().find(|s| loose(s) == key).copied()
}

fn loose(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

const CATEGORIES: &[&str] = &[
    "Any", "ASCII", "Assigned", "C", "Cc", "Cf", "Cn", "Co", "Cs", "L", "LC", "Ll", "Lm", "Lo",
    "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi",
    "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs",
];

const CATEGORY_ALIASES: &[(&str, &str)] = &[
    ("Cased_Letter", "LC"),
    ("Close_Punctuation", "Pe"),
    ("Combining_Mark", "M"),
    ("Connector_Punctuation", "Pc"),
    ("Control", "Cc"),
    ("cntrl", "Cc"),
    ("Currency_Symbol", "Sc"),
    ("Dash_Punctuation", "Pd"),
    ("Decimal_Number", "Nd"),
    ("digit", "Nd"),
    ("Enclosing_Mark", "Me"),
    ("Final_Punctuation", "Pf"),
    ("Format", "Cf"),
    ("Initial_Punctuation", "Pi"),
    ("Letter", "L"),
    ("Letter_Number", "Nl"),
    ("Line_Separator", "Zl"),
    ("Lowercase_Letter", "Ll"),
    ("Mark", "M"),
    ("Math_Symbol", "Sm"),
    ("Modifier_Letter", "Lm"),
    ("Modifier_Symbol", "Sk"),
    ("Nonspacing_Mark", "Mn"),
    ("Number", "N"),
    ("Open_Punctuation", "Ps"),
    ("Other", "C"),
    ("Other_Letter", "Lo"),
    ("Other_Number", "No"),
    ("Other_Punctuation", "Po"),
    ("Other_Symbol", "So"),
    ("Paragraph_Separator", "Zp"),
    ("Private_Use", "Co"),
    ("Punctuation", "P"),
    ("punct", "P"),
    ("Separator", "Z"),
    ("Space_Separator", "Zs"),
    ("Spacing_Mark", "Mc"),
    ("Surrogate", "Cs"),
    ("Symbol", "S"),
    ("Titlecase_Letter", "Lt"),
    ("Unassigned", "Cn"),
    ("Uppercase_Letter", "Lu"),
];

/// The scripts of Go's `unicode.Scripts` (Unicode 15.0).
const SCRIPTS: &[&str] = &[
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Toto",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];

// ---- Emission in the `regex` crate's syntax ----

fn push_char(c: char, in_class: bool, out: &mut String) {
    let meta = if in_class {
        matches!(c, '\\' | '[' | ']' | '-' | '^' | '&' | '~')
    } else {
        matches!(
            c,
            '\\' | '.'
                | '+'
                | '*'
                | '?'
                | '('
                | ')'
                | '|'
                | '['
                | ']'
                | '{'
                | '}'
                | '^'
                | '$'
                | '#'
                | '&'
                | '-'
                | '~'
        )
    };
    if meta {
        out.push('\\');
        out.push(c);
    } else if c.is_control() || c.is_whitespace() && c != ' ' {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    } else {
        out.push(c);
    }
}

fn has_case(c: char) -> bool {
    c.to_lowercase().ne(std::iter::once(c)) || c.to_uppercase().ne(std::iter::once(c))
}

fn emit_class_item(item: &ClassItem, out: &mut String) {
    match item {
        ClassItem::Range(lo, hi) => {
            push_char(*lo, true, out);
            if hi != lo {
                out.push('-');
                push_char(*hi, true, out);
            }
        }
        ClassItem::Perl(p, negated) => {
            let body = match p {
                Perl::Digit => "0-9",
                Perl::Space => "\\t\\n\\x0C\\r ",
                Perl::Word => "0-9A-Za-z_",
            };
            if *negated {
                out.push_str("[^");
                out.push_str(body);
                out.push(']');
            } else {
                out.push_str(body);
            }
        }
        ClassItem::Posix(name, negated) => {
            out.push_str(if *negated { "[[:^" } else { "[[:" });
            out.push_str(name);
            out.push_str(":]]");
        }
        ClassItem::Unicode(name, negated) => {
            out.push_str(if *negated { "\\P{" } else { "\\p{" });
            out.push_str(name);
            out.push('}');
        }
    }
}

fn emit(node: &Node, out: &mut String) {
    match node {
        Node::Empty => {}
        Node::Lit(c, fold) => {
            if *fold && has_case(*c) {
                out.push_str("(?i:");
                push_char(*c, false, out);
                out.push(')');
            } else {
                push_char(*c, false, out);
            }
        }
        Node::Class {
            items,
            negated,
            fold,
        } => {
            if *fold {
                out.push_str("(?i:");
            }
            out.push('[');
            if *negated {
                out.push('^');
            }
            if items.is_empty() {
                // Go's `[^]...`-style empty classes cannot be written; a class that matches
                // nothing (or everything, negated) is equivalent.
                out.push_str("\\x{10FFFF}&&\\x00");
            }
            for item in items {
                emit_class_item(item, out);
            }
            out.push(']');
            if *fold {
                out.push(')');
            }
        }
        Node::Any(dot_nl) => out.push_str(if *dot_nl { "(?s:.)" } else { "." }),
        Node::BeginLine => out.push_str("(?m:^)"),
        Node::EndLine => out.push_str("(?m:$)"),
        Node::BeginText => out.push_str("\\A"),
        Node::EndText => out.push_str("\\z"),
        Node::WordBoundary => out.push_str("(?-u:\\b)"),
        Node::NoWordBoundary => out.push_str("(?-u:\\B)"),
        Node::Repeat {
            sub,
            min,
            max,
            greedy,
            counted,
        } => {
            out.push_str("(?:");
            emit(sub, out);
            out.push(')');
            match (*counted, *min, *max) {
                (false, 0, -1) => out.push('*'),
                (false, 1, -1) => out.push('+'),
                (false, 0, 1) => out.push('?'),
                (_, min, -1) => out.push_str(&format!("{{{min},}}")),
                (_, min, max) if min == max => out.push_str(&format!("{{{min}}}")),
                (_, min, max) => out.push_str(&format!("{{{min},{max}}}")),
            }
            if !*greedy {
                out.push('?');
            }
        }
        Node::Group { sub, .. } => {
            out.push_str("(?:");
            emit(sub, out);
            out.push(')');
        }
        Node::Concat(subs) => {
            for s in subs {
                emit(s, out);
            }
        }
        Node::Alt(subs) => {
            out.push_str("(?:");
            for (i, s) in subs.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                emit(s, out);
            }
            out.push(')');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go_ok(p: &str) -> regex::Regex {
        match GoRegex::parse(p) {
            Ok(r) => match r.compile() {
                Ok(re) => re,
                Err(e) => panic!(
                    "{p}: translated to {:?}, which does not compile: {e}",
                    r.rust_pattern()
                ),
            },
            Err(e) => panic!("{p}: Go accepts it, we refused: {e}"),
        }
    }

    fn go_err(p: &str) -> String {
        match GoRegex::parse(p) {
            Ok(r) => panic!(
                "{p}: Go refuses it, we accepted (as {:?})",
                r.rust_pattern()
            ),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn differences_from_the_regex_crate_follow_go() {
        // Valid in Go, errors in the regex crate.
        assert!(go_ok("a{,3}").is_match("a{,3}"));
        assert!(!go_ok("a{,3}").is_match("aaa"));
        assert!(go_ok(r"\Q.*\E").is_match(".*"));
        assert!(!go_ok(r"\Q.*\E").is_match("ab"));
        assert!(go_ok(r"\0").is_match("\0"));
        assert!(go_ok(r"\07").is_match("\u{7}"));
        assert!(go_ok(r"a\12").is_match("a\n"));
        let re = go_ok(r"[\d-z]");
        assert!(re.is_match("5") && re.is_match("-") && re.is_match("z") && !re.is_match("y"));
        // `&&` is two literal ampersands in Go; `]` after the class is a literal.
        let re = go_ok(r"[a-z&&[^e]]");
        assert!(re.is_match("e]") && re.is_match("&]") && re.is_match("[]") && !re.is_match("e"));
        // Invalid in Go, valid in the regex crate.
        assert_eq!(
            go_err("a{1001}"),
            "error parsing regexp: invalid repeat count: `{1001}`"
        );
        assert_eq!(
            go_err("x{2}{3}"),
            "error parsing regexp: invalid nested repetition operator: `{2}{3}`"
        );
        assert_eq!(
            go_err("a**"),
            "error parsing regexp: invalid nested repetition operator: `**`"
        );
        assert_eq!(
            go_err("a++"),
            "error parsing regexp: invalid nested repetition operator: `++`"
        );
        assert_eq!(
            go_err(r"\u0041"),
            "error parsing regexp: invalid escape sequence: `\\u`"
        );
        assert_eq!(
            go_err("(?x) a"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?x`"
        );
        assert_eq!(
            go_err("[[:foo:]]"),
            "error parsing regexp: invalid character class range: `[:foo:]`"
        );
        // Invalid in both, with Go's messages.
        assert_eq!(
            go_err(r"\8"),
            "error parsing regexp: invalid escape sequence: `\\8`"
        );
        assert_eq!(
            go_err(r"\G"),
            "error parsing regexp: invalid escape sequence: `\\G`"
        );
        assert_eq!(
            go_err(r"\Z"),
            "error parsing regexp: invalid escape sequence: `\\Z`"
        );
        assert_eq!(
            go_err(r"\e"),
            "error parsing regexp: invalid escape sequence: `\\e`"
        );
        assert_eq!(
            go_err(r"\C"),
            "error parsing regexp: invalid escape sequence: `\\C`"
        );
        assert_eq!(
            go_err("(?#c)"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?#`"
        );
        assert_eq!(
            go_err("(?>a)"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?>`"
        );
        assert_eq!(
            go_err("(?=a)"),
            "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"
        );
        assert_eq!(
            go_err("*/subpath2"),
            "error parsing regexp: missing argument to repetition operator: `*`"
        );
    }

    #[test]
    fn perl_classes_and_boundaries_are_ascii_as_in_go() {
        assert!(!go_ok(r"\d").is_match("٣"));
        assert!(!go_ok(r"^\w$").is_match("é"));
        assert!(!go_ok(r"\s").is_match("\u{a0}"));
        assert!(go_ok(r"\bfoo\b").is_match("a foo b"));
        assert!(go_ok(r"^\D$").is_match("é"));
        assert!(go_ok(r"(?i)straße").is_match("STRAßE"));
    }

    #[test]
    fn anchors_and_flags() {
        assert!(!go_ok("^a$").is_match("a\n"));
        assert!(go_ok("(?m)^a$").is_match("b\na\n"));
        assert!(!go_ok("a.b").is_match("a\nb"));
        assert!(go_ok("(?s)a.b").is_match("a\nb"));
        assert!(go_ok("(?i)ABC").is_match("xabcx"));
        assert!(go_ok("(?i:A)b").is_match("ab") && !go_ok("(?i:A)b").is_match("aB"));
        assert!(go_ok("a(?i)b").is_match("aB") && !go_ok("a(?i)b").is_match("AB"));
        assert!(
            go_ok("(?U)a+")
                .find("aaa")
                .is_some_and(|m| m.as_str() == "a")
        );
        assert!(
            go_ok("(?U)a+?")
                .find("aaa")
                .is_some_and(|m| m.as_str() == "aaa")
        );
        assert!(go_ok("a(?i)*").is_match("aaa"));
        assert!(go_ok("^*").is_match(""));
        assert!(go_ok(r"\b+").is_match("a"));
        assert!(go_ok("()*").is_match("x"));
        assert!(go_ok("a|").is_match("zzz"));
        assert!(go_ok(r"a\Q\E*").is_match("aaa"));
        assert!(go_ok("^/login").is_match("/login/2fa"));
        assert!(!go_ok("^/login").is_match("/x/login"));
    }

    /// Verdicts of Go's `regexp.Compile` (checked against the Go binary by others; see
    /// INGRESS_RULES.md for the ones cloudflared users meet).
    #[test]
    fn go_verdicts() {
        let refused = [
            r"(?=\d)\d+",
            "a(?!b)",
            "(?<=a)b",
            "(?<!a)b",
            r"(\d)\1*",
            r"(a)\9",
            r"(?<n>a)\k<n>",
            r"[\1]",
            r"a\k",
            r"\8",
            r"\cA",
            r"\c1",
            r"[\cA]",
            r"\e",
            r"\u0041",
            r"\E",
            r"\é",
            r"\x",
            r"\x4",
            r"\x4g",
            r"\x{}",
            r"\x{110000}",
            r"\x{g}",
            "[]",
            "[^]",
            "[]a(?:b)",
            "[^](?:b)",
            r"[\b]",
            r"[\Q]",
            r"[\z]",
            r"[a-\d]",
            r"[a-\pL]",
            "[z-a]",
            r"[a-\a]",
            "[[:foo:]]",
            "[[:Alpha:]]",
            "[[:a]b:]]",
            r"\p{Foo}",
            r"\pq",
            r"\p",
            r"\p{}",
            r"\p{^}",
            r"\p{Script=Greek}",
            r"\p{L&}",
            "(?i-:a)",
            "(?-:a)",
            "(?x:a)",
            "(?<$n>a)",
            "(?<é>a)",
            "(?<>a)",
            "(?#c)",
            "(?P=n)",
            "(a",
            "a)",
            "(?:a",
            "a{1001}",
            r"\d{1,1001}",
            "a{1001,}",
            "a{0,1001}",
            "a{100000000}",
            "a{2,1}",
            "(a{100}){11}",
            "(?:a{2}b){501}",
            "((a{10}){10}){11}",
            "((a{2})*){501}",
            "*a",
            "(*a)",
            "a|*",
            "a**",
            "a*??",
            "a{2}{3}",
            "a{2}*",
            r"\Q\E*",
            r"\",
        ];
        for p in refused {
            assert!(GoRegex::parse(p).is_err(), "Go refuses {p:?}");
        }
        let compiled = [
            "[(?=]a",
            r"\(?=a\)",
            "(?<name>a)",
            "(?:a)",
            "(?P<name>a)",
            r"\\1",
            r"a\12",
            r"\0",
            r"\123",
            r"[\12]",
            r"\d\w\s",
            r"T-\d+",
            r"\x41",
            r"\x{41}",
            r"\x{10FFFF}",
            r"\x{1001}",
            r"[\x{41}]",
            r"\-",
            r"\_",
            r"\ ",
            r"\Q\e\E",
            r"\Qa(\E",
            r"\Q\c",
            "[]a]",
            "[^]a]",
            r"[\d-z]",
            r"[\w-]",
            "[a-]",
            "[-a]",
            "[[:alpha:]]",
            "[[:^digit:]x]",
            r"\pL",
            r"\PL",
            r"\pl",
            r"\p{Greek}",
            r"\p{^Greek}",
            r"\P{Lu}",
            r"[\p{Han}]",
            r"\p{Old_Italic}",
            r"\p{old italic}",
            r"\p{OLDITALIC}",
            r"\p{Letter}",
            r"\p{Any}",
            "(?i:a)",
            "(?-i:a)",
            "(?i-s:a)",
            "(?U:a)",
            "(?<_1>a)",
            "(?<1n>a)",
            "(?i)abc",
            "a{1000}",
            "a{0,1000}",
            "a{01001}",
            "a{,1001}",
            "(a{100}){10}",
            "(a{1000}b{1000}){0}",
            "(a{1000}){1}",
            "(a{1000}){0,1}",
            "(a{500})*",
            "a{2}?",
            "x{2}y{1000}z{1000}",
            "^*",
            r"\b+",
            "a*?",
            "()*",
            r"a\Q\E*",
            "(?i)[k]",
            "[^\\x00-\\x{10FFFF}]",
        ];
        for p in compiled {
            go_ok(p);
        }
    }

    #[test]
    fn literal_braces_and_escapes_match_themselves() {
        assert!(go_ok("a{01001}").is_match("a{01001}"));
        assert!(go_ok("x{").is_match("x{"));
        assert!(go_ok("}").is_match("}"));
        assert!(go_ok("a{2,").is_match("a{2,"));
        assert!(go_ok(r"\Qa(\E").is_match("a("));
        assert!(go_ok("[]a]").is_match("]"));
        assert!(go_ok("#").is_match("#"));
        assert!(go_ok("~").is_match("~"));
        assert!(go_ok("a{2}").is_match("aa") && !go_ok("^a{2}$").is_match("a"));
        assert!(!go_ok("[^\\x00-\\x{10FFFF}]").is_match("a"));
    }

    #[test]
    fn nesting_depth_is_limited_like_go() {
        let deep = format!("{}a{}", "(".repeat(1001), ")".repeat(1001));
        assert_eq!(
            GoRegex::parse(&deep).map_err(|e| e.code),
            Err(NESTING_DEPTH)
        );
        let fine = format!("{}a{}", "(".repeat(100), ")".repeat(100));
        go_ok(&fine);
    }
}
