//! Small, exact reproductions of the Go standard-library parsers that decide cloudflared's verdicts:
//! `net/url.Parse` (with `URL.Hostname()`), `net.SplitHostPort`, `strconv.Atoi` and `strconv.Quote`.
//!
//! The `url` crate implements the WHATWG URL standard, which normalises and rejects differently
//! (it lowercases hosts, rejects spaces Go keeps in paths, and accepts hosts Go refuses), so it
//! cannot stand in for Go here. Each function below follows Go's algorithm step by step and is
//! pinned by tests with Go's own outputs.

use std::borrow::Cow;

/// The parts of a URL that cloudflared looks at, as Go's `url.Parse` fills them. Parts borrow
/// from the input when no decoding was needed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoUrl<'a> {
    /// Lowercased scheme ("" when none).
    pub scheme: Cow<'a, str>,
    /// Opaque part of `scheme:opaque` URLs.
    pub opaque: &'a str,
    /// Whether `user@` was present.
    pub has_user: bool,
    /// `host` or `host:port`, unescaped.
    pub host: Cow<'a, str>,
    /// The decoded path.
    pub path: Cow<'a, str>,
    /// The raw query without `?`.
    pub raw_query: &'a str,
    /// The decoded fragment.
    pub fragment: Cow<'a, str>,
}

impl GoUrl<'_> {
    /// Go's `URL.Port()`: the digits after the host's last colon ("" when there is no valid port).
    pub fn port(&self) -> &str {
        match self.host.rfind(':') {
            Some(colon) if valid_optional_port(&self.host[colon..]) => &self.host[colon + 1..],
            _ => "",
        }
    }

    /// Go's `URL.Hostname()`: the host without a valid `:port` and without IPv6 brackets.
    pub fn hostname(&self) -> &str {
        let mut host: &str = &self.host;
        if let Some(colon) = host.rfind(':')
            && valid_optional_port(&host[colon..])
        {
            host = &host[..colon];
        }
        if host.starts_with('[') && host.ends_with(']') && host.len() >= 2 {
            host = &host[1..host.len() - 1];
        }
        host
    }
}

/// Go's `strconv.Quote`: double quotes, Go escapes for non-printable characters.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() || is_format_or_separator(c) => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Characters Go's `unicode.IsPrint` rejects beyond controls: format characters (bidi marks,
/// zero-width characters) and line/paragraph separators.
fn is_format_or_separator(c: char) -> bool {
    matches!(c as u32,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f | 0x2028..=0x202e
        | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb | 0xe0001 | 0xe0020..=0xe007f
        | 0xa0 | 0x1680 | 0x2000..=0x200a | 0x202f | 0x205f | 0x3000)
}

/// An error of `url.Parse`, formatted as Go prints it: `parse "<url>": <reason>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError {
    /// The URL text Go names in the message (without the fragment when the error is before it).
    pub url: String,
    /// Go's reason.
    pub reason: String,
}

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "parse {}: {}", go_quote(&self.url), self.reason)
    }
}

impl std::error::Error for UrlError {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

fn should_escape(c: u8, mode: Mode) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if matches!(mode, Mode::Host | Mode::Zone)
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => match mode {
            Mode::Path => c == b'?',
            Mode::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
            Mode::Fragment => false,
            Mode::Host | Mode::Zone => true,
        },
        b'!' | b'(' | b')' | b'*' if mode == Mode::Fragment => false,
        _ => true,
    }
}

fn unhex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Go's `url.unescape`: validates `%XX` escapes for the mode and decodes them.
fn unescape(s: &str, mode: Mode) -> Result<Cow<'_, str>, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                n += 1;
                if i + 2 >= b.len() || unhex(b[i + 1]).is_none() || unhex(b[i + 2]).is_none() {
                    let end = (i + 3).min(b.len());
                    return Err(format!(
                        "invalid URL escape {}",
                        go_quote(&String::from_utf8_lossy(&b[i..end]))
                    ));
                }
                let hi = unhex(b[i + 1]).unwrap_or(0);
                let lo = unhex(b[i + 2]).unwrap_or(0);
                if mode == Mode::Host && hi < 8 && &b[i..i + 3] != b"%25" {
                    return Err(format!(
                        "invalid URL escape {}",
                        go_quote(&String::from_utf8_lossy(&b[i..i + 3]))
                    ));
                }
                if mode == Mode::Zone {
                    let v = hi << 4 | lo;
                    if &b[i..i + 3] != b"%25" && v != b' ' && should_escape(v, Mode::Host) {
                        return Err(format!(
                            "invalid URL escape {}",
                            go_quote(&String::from_utf8_lossy(&b[i..i + 3]))
                        ));
                    }
                }
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape(c, mode) {
                    return Err(format!(
                        "invalid character {} in host name",
                        go_quote(&(c as char).to_string())
                    ));
                }
                i += 1;
            }
        }
    }
    if n == 0 {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(unhex(b[i + 1]).unwrap_or(0) << 4 | unhex(b[i + 2]).unwrap_or(0));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    // Go strings may hold invalid UTF-8; ours cannot. Decoded bytes that are not UTF-8 are kept
    // as replacement characters, which only affects matching of such (rare) paths.
    Ok(Cow::Owned(String::from_utf8_lossy(&out).into_owned()))
}

fn valid_optional_port(port: &str) -> bool {
    if port.is_empty() {
        return true;
    }
    let Some(digits) = port.strip_prefix(':') else {
        return false;
    };
    digits.bytes().all(|b| b.is_ascii_digit())
}

fn valid_userinfo(s: &str) -> bool {
    s.chars().all(|r| {
        r.is_ascii_alphanumeric()
            || matches!(
                r,
                '-' | '.'
                    | '_'
                    | ':'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | '%'
                    | '@'
            )
    })
}

fn get_scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok(("", raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err("missing protocol scheme".to_owned());
                }
                return Ok((&raw[..i], &raw[i + 1..]));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go 1.26's `parseHost`. An IP-literal (`[...]`) must open the host and hold an IPv6 address
/// (`netip.ParseAddr`; IPv4 is refused). Without brackets, the port starts at the last colon,
/// except for `http` and `https`, where Go 1.26 takes the first (GODEBUG `urlstrictcolons=1`, the
/// default), so a host with several colons fails there (go.dev/issue/75223).
fn parse_host<'a>(scheme: &str, host: &'a str) -> Result<Cow<'a, str>, String> {
    match host.rfind('[') {
        Some(open) if open > 0 => return Err("invalid IP-literal".to_owned()),
        Some(_) => {
            let Some(close) = host.rfind(']') else {
                return Err("missing ']' in host".to_owned());
            };
            let colon_port = &host[close + 1..];
            if !valid_optional_port(colon_port) {
                return Err(format!("invalid port {} after host", go_quote(colon_port)));
            }
            let inside = &host[1..close];
            let unescaped = match inside.find("%25") {
                Some(zone) => {
                    let addr = unescape(&inside[..zone], Mode::Host)?;
                    let zone = unescape(&inside[zone..], Mode::Zone)?;
                    Cow::Owned(format!("{addr}{zone}"))
                }
                None => unescape(inside, Mode::Host)?,
            };
            if parse_ip_addr(&unescaped).map_err(|e| format!("invalid host: {e}"))? == IpFamily::V4
            {
                return Err("invalid IP-literal".to_owned());
            }
            if matches!(unescaped, Cow::Borrowed(_)) {
                return Ok(Cow::Borrowed(host));
            }
            return Ok(Cow::Owned(format!("[{unescaped}]{colon_port}")));
        }
        None => {
            if let Some(first) = host.find(':') {
                let strict = scheme == "http" || scheme == "https";
                let i = if strict {
                    first
                } else {
                    host.rfind(':').unwrap_or(first)
                };
                let colon_port = &host[i..];
                if !valid_optional_port(colon_port) {
                    return Err(format!("invalid port {} after host", go_quote(colon_port)));
                }
            }
        }
    }
    unescape(host, Mode::Host)
}

/// The family of an address `netip.ParseAddr` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    /// Dotted decimal.
    V4,
    /// IPv6, possibly with a zone.
    V6,
}

/// Go's `netip.ParseAddr`, with its error text (`ParseAddr("x"): unable to parse IP`).
pub fn parse_ip_addr(s: &str) -> Result<IpFamily, String> {
    let err = |msg: &str, at: Option<&str>| addr_error(s, msg, at);
    for b in s.bytes() {
        match b {
            b'.' => return parse_ipv4_fields(s, s).map(|_| IpFamily::V4),
            b':' => return parse_ipv6(s).map(|()| IpFamily::V6),
            b'%' => return Err(err("missing IPv6 address", None)),
            _ => {}
        }
    }
    Err(err("unable to parse IP", None))
}

/// Go's `parseAddrError` text: `ParseAddr("in"): msg (at "rest")`, the last part only when the
/// rest is known and not empty.
fn addr_error(input: &str, msg: &str, at: Option<&str>) -> String {
    match at {
        Some(at) if !at.is_empty() => format!(
            "ParseAddr({}): {msg} (at {})",
            go_quote(input),
            go_quote(at)
        ),
        _ => format!("ParseAddr({}): {msg}", go_quote(input)),
    }
}

/// Go's `parseIPv4Fields` on `part` (all of `whole`, or its embedded IPv4 tail); errors name
/// `whole`.
fn parse_ipv4_fields(whole: &str, part: &str) -> Result<[u8; 4], String> {
    let err = |msg: &str, at: Option<&str>| addr_error(whole, msg, at);
    let b = part.as_bytes();
    let mut fields = [0u8; 4];
    let (mut val, mut pos, mut digits) = (0u32, 0usize, 0usize);
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                if digits == 1 && val == 0 {
                    return Err(err("IPv4 field has octet with leading zero", None));
                }
                val = val * 10 + u32::from(c - b'0');
                digits += 1;
                if val > 255 {
                    return Err(err("IPv4 field has value >255", None));
                }
            }
            b'.' => {
                if i == 0 || i == b.len() - 1 || b[i - 1] == b'.' {
                    return Err(err(
                        "IPv4 field must have at least one digit",
                        Some(&part[i..]),
                    ));
                }
                if pos == 3 {
                    return Err(err("IPv4 address too long", None));
                }
                fields[pos] = val as u8;
                pos += 1;
                val = 0;
                digits = 0;
            }
            _ => return Err(err("unexpected character", Some(&part[i..]))),
        }
    }
    if pos < 3 {
        return Err(err("IPv4 address too short", None));
    }
    fields[3] = val as u8;
    Ok(fields)
}

/// Go's `parseIPv6` (which `netip.ParseAddr` calls for anything with a colon).
fn parse_ipv6(input: &str) -> Result<(), String> {
    let err = |msg: &str, at: Option<&str>| addr_error(input, msg, at);
    let mut s = input;
    let mut zone_len = None;
    if let Some(i) = s.find('%') {
        let zone = &s[i + 1..];
        if zone.is_empty() {
            return Err(err("zone must be a non-empty string", None));
        }
        zone_len = Some(zone.len());
        s = &s[..i];
    }
    let mut ellipsis: Option<usize> = None;
    if s.starts_with("::") {
        ellipsis = Some(0);
        s = &s[2..];
        if s.is_empty() {
            return Ok(());
        }
    }
    let mut i = 0usize;
    while i < 16 {
        let bytes = s.as_bytes();
        let mut off = 0usize;
        let mut acc = 0u32;
        while off < bytes.len() {
            let Some(d) = (bytes[off] as char).to_digit(16) else {
                break;
            };
            acc = (acc << 4) + d;
            if off > 3 {
                return Err(err("each group must have 4 or less digits", Some(s)));
            }
            if acc > 0xffff {
                return Err(err("IPv6 field has value >=2^16", Some(s)));
            }
            off += 1;
        }
        if off == 0 {
            return Err(err(
                "each colon-separated field must have at least one digit",
                Some(s),
            ));
        }
        if off < bytes.len() && bytes[off] == b'.' {
            if ellipsis.is_none() && i != 12 {
                return Err(err(
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    Some(s),
                ));
            }
            if i + 4 > 16 {
                return Err(err(
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    Some(s),
                ));
            }
            let end = input.len() - zone_len.map_or(0, |z| z + 1);
            parse_ipv4_fields(input, &input[end - s.len()..end])?;
            s = "";
            i += 4;
            break;
        }
        i += 2;
        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if !s.starts_with(':') {
            return Err(err("unexpected character, want colon", Some(s)));
        } else if s.len() == 1 {
            return Err(err("colon must be followed by more characters", Some(s)));
        }
        s = &s[1..];
        if s.starts_with(':') {
            if ellipsis.is_some() {
                return Err(err("multiple :: in address", Some(s)));
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(err("trailing garbage after address", Some(s)));
    }
    if i < 16 {
        if ellipsis.is_none() {
            return Err(err("address string too short", None));
        }
    } else if ellipsis.is_some() {
        return Err(err(
            "the :: must expand to at least one field of zeros",
            None,
        ));
    }
    Ok(())
}

fn parse_authority<'a>(authority: &'a str, url: &mut GoUrl<'a>) -> Result<(), String> {
    let at = authority.rfind('@');
    let host_part = at.map_or(authority, |i| &authority[i + 1..]);
    url.host = parse_host(&url.scheme, host_part)?;
    if let Some(i) = at {
        let userinfo = &authority[..i];
        if !valid_userinfo(userinfo) {
            return Err("net/url: invalid userinfo".to_owned());
        }
        match userinfo.split_once(':') {
            None => {
                unescape(userinfo, Mode::UserPassword)?;
            }
            Some((user, pass)) => {
                unescape(user, Mode::UserPassword)?;
                unescape(pass, Mode::UserPassword)?;
            }
        }
        url.has_user = true;
    }
    Ok(())
}

fn parse_no_fragment(raw: &str) -> Result<GoUrl<'_>, String> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err("net/url: invalid control character in URL".to_owned());
    }
    let mut url = GoUrl::default();
    if raw == "*" {
        url.path = Cow::Borrowed("*");
        return Ok(url);
    }
    let (scheme, mut rest) = get_scheme(raw)?;
    url.scheme = if scheme.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(scheme.to_ascii_lowercase())
    } else {
        Cow::Borrowed(scheme)
    };
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        url.raw_query = q;
        rest = r;
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest;
            return Ok(url);
        }
        let segment = rest.split('/').next().unwrap_or("");
        if segment.contains(':') {
            return Err("first path segment in URL cannot contain colon".to_owned());
        }
    }
    let mut path = rest;
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority_and_path = &rest[2..];
        let (authority, p) = match authority_and_path.find('/') {
            Some(i) => (&authority_and_path[..i], &authority_and_path[i..]),
            None => (authority_and_path, ""),
        };
        parse_authority(authority, &mut url)?;
        path = p;
    }
    url.path = unescape(path, Mode::Path)?;
    Ok(url)
}

/// Go's `url.Parse`.
pub fn parse_url(raw: &str) -> Result<GoUrl<'_>, UrlError> {
    let (u, frag) = match raw.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (raw, None),
    };
    let mut url = parse_no_fragment(u).map_err(|reason| UrlError {
        url: u.to_owned(),
        reason,
    })?;
    if let Some(frag) = frag
        && !frag.is_empty()
    {
        url.fragment = unescape(frag, Mode::Fragment).map_err(|reason| UrlError {
            url: raw.to_owned(),
            reason,
        })?;
    }
    Ok(url)
}

/// Why Go's `net.SplitHostPort` refused an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitError {
    /// "missing port in address"
    MissingPort,
    /// "too many colons in address"
    TooManyColons,
    /// "missing ']' in address"
    MissingBracket,
    /// "unexpected '[' in address"
    UnexpectedOpenBracket,
    /// "unexpected ']' in address"
    UnexpectedCloseBracket,
}

/// Go's `net.SplitHostPort`: `Ok((host, port))` when the address splits.
pub fn split_host_port(hostport: &str) -> Result<(&str, &str), SplitError> {
    let Some(i) = hostport.rfind(':') else {
        return Err(SplitError::MissingPort);
    };
    let (host, j, k);
    if hostport.starts_with('[') {
        let Some(end) = hostport.find(']') else {
            return Err(SplitError::MissingBracket);
        };
        if end + 1 == hostport.len() {
            return Err(SplitError::MissingPort);
        } else if end + 1 != i {
            if hostport.as_bytes()[end + 1] == b':' {
                return Err(SplitError::TooManyColons);
            }
            return Err(SplitError::MissingPort);
        }
        host = &hostport[1..end];
        j = 1;
        k = end + 1;
    } else {
        host = &hostport[..i];
        if host.contains(':') {
            return Err(SplitError::TooManyColons);
        }
        j = 0;
        k = 0;
    }
    if hostport[j..].contains('[') {
        return Err(SplitError::UnexpectedOpenBracket);
    }
    if hostport[k..].contains(']') {
        return Err(SplitError::UnexpectedCloseBracket);
    }
    Ok((host, &hostport[i + 1..]))
}

/// Go's `strconv.Atoi` on a 64-bit platform, with its error text
/// (`strconv.Atoi: parsing "abc": invalid syntax`).
pub fn atoi(s: &str) -> Result<i64, String> {
    let syntax = || format!("strconv.Atoi: parsing {}: invalid syntax", go_quote(s));
    let range = || format!("strconv.Atoi: parsing {}: value out of range", go_quote(s));
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax());
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v * 10 + i128::from(b - b'0');
        if v > i128::from(i64::MAX) + 1 {
            return Err(range());
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).map_err(|_| range())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> GoUrl<'_> {
        match parse_url(raw) {
            Ok(u) => u,
            Err(e) => panic!("{raw}: {e}"),
        }
    }

    fn err(raw: &str) -> String {
        match parse_url(raw) {
            Ok(u) => panic!("{raw} parsed: {u:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn url_parse_accepts_what_go_accepts() {
        let u = ok("http://localhost:8080");
        assert_eq!(
            (&*u.scheme, &*u.host, &*u.path),
            ("http", "localhost:8080", "")
        );
        assert_eq!((u.hostname(), u.port()), ("localhost", "8080"));
        assert_eq!(ok("https://[::1]:443").port(), "443");
        assert_eq!(ok("https://[::1]").port(), "");
        assert_eq!(ok("https://h:").port(), "");
        let u = ok("HTTP://LOCALHOST:8080");
        assert_eq!((&*u.scheme, u.hostname()), ("http", "LOCALHOST"));
        assert_eq!(ok("https://[::1]:443").hostname(), "::1");
        assert_eq!(ok("http://host:").hostname(), "host");
        assert_eq!(ok("http://host:99999").hostname(), "host");
        assert_eq!(ok("http://user:pw@host?q=1#frag").hostname(), "host");
        let u = ok("localhost:8000");
        assert_eq!((&*u.scheme, u.opaque, &*u.host), ("localhost", "8000", ""));
        let u = ok("http:localhost:80");
        assert_eq!((&*u.scheme, &*u.host), ("http", ""));
        let u = ok("//host/path");
        assert_eq!((&*u.scheme, u.hostname(), &*u.path), ("", "host", "/path"));
        assert_eq!(ok("https://localhost:8000/").path, "/");
        assert_eq!(&*ok("http://h/a%20b").path, "/a b");
        assert_eq!(ok("http://h/a b").path, "/a b");
        assert_eq!(ok("http://caf%C3%A9.example/").hostname(), "café.example");
        assert_eq!(ok("*").path, "*");
        assert_eq!(ok("ftp://127.0.0.1").scheme, "ftp");
    }

    #[test]
    fn url_parse_errors_read_like_go() {
        assert_eq!(
            err("https://local host:8000"),
            r#"parse "https://local host:8000": invalid character " " in host name"#
        );
        assert_eq!(
            err("http://host:abc"),
            r#"parse "http://host:abc": invalid port ":abc" after host"#
        );
        assert_eq!(
            err("http://[::1"),
            r#"parse "http://[::1": missing ']' in host"#
        );
        assert_eq!(
            err("1http://x"),
            r#"parse "1http://x": first path segment in URL cannot contain colon"#
        );
        assert_eq!(
            err("http://h/%zz"),
            r#"parse "http://h/%zz": invalid URL escape "%zz""#
        );
        assert_eq!(err(":foo"), r#"parse ":foo": missing protocol scheme"#);
        assert_eq!(
            err("http://h\n"),
            "parse \"http://h\\n\": net/url: invalid control character in URL"
        );
        assert_eq!(
            err("http://a%2fb/"),
            r#"parse "http://a%2fb/": invalid URL escape "%2f""#
        );
        assert_eq!(
            err("http://a b@h"),
            r#"parse "http://a b@h": net/url: invalid userinfo"#
        );
        assert_eq!(
            err("http://h/#%zz"),
            r#"parse "http://h/#%zz": invalid URL escape "%zz""#
        );
    }

    #[test]
    fn go_1_26_takes_the_port_from_the_first_colon_for_http_and_https_only() {
        assert_eq!(
            err("http://a:b:80"),
            r#"parse "http://a:b:80": invalid port ":b:80" after host"#
        );
        assert_eq!(
            err("https://::1:8443"),
            r#"parse "https://::1:8443": invalid port "::1:8443" after host"#
        );
        assert_eq!(
            err("HTTP://host:80:"),
            r#"parse "HTTP://host:80:": invalid port ":80:" after host"#
        );
        assert_eq!(
            err("http://u:p@a:1:2/x"),
            r#"parse "http://u:p@a:1:2/x": invalid port ":1:2" after host"#
        );
        // Other schemes (and scheme-relative URLs) keep the last colon, as before Go 1.26.
        let u = ok("tcp://a:b:80");
        assert_eq!((&*u.host, u.hostname()), ("a:b:80", "a:b"));
        assert_eq!(ok("ssh://::1:22").hostname(), "::1");
        assert_eq!(ok("wss://a:b:443").hostname(), "a:b");
        assert_eq!(ok("//a:b:80/x").hostname(), "a:b");
        assert_eq!(
            err("tcp://a:1:b"),
            r#"parse "tcp://a:1:b": invalid port ":b" after host"#
        );
        // One colon is the same rule either way.
        assert_eq!(ok("http://host:").hostname(), "host");
        assert_eq!(ok("https://host:8443").hostname(), "host");
    }

    #[test]
    fn ip_literals_must_open_the_host_and_hold_ipv6() {
        assert_eq!(ok("http://[::1]:8080").hostname(), "::1");
        assert_eq!(ok("http://[::ffff:10.0.0.1]").hostname(), "::ffff:10.0.0.1");
        let u = ok("http://[fe80::1%25en0]:80");
        assert_eq!(
            (&*u.host, u.hostname()),
            ("[fe80::1%en0]:80", "fe80::1%en0")
        );
        for (raw, reason) in [
            ("http://x[::1]", "invalid IP-literal"),
            ("http://[::1]x[", "invalid IP-literal"),
            ("http://[127.0.0.1]:80", "invalid IP-literal"),
            ("ssh://[10.0.0.1]", "invalid IP-literal"),
            (
                "http://[foo]",
                r#"invalid host: ParseAddr("foo"): unable to parse IP"#,
            ),
            (
                "http://[]",
                r#"invalid host: ParseAddr(""): unable to parse IP"#,
            ),
            (
                "http://[1::2::3]",
                r#"invalid host: ParseAddr("1::2::3"): multiple :: in address (at ":3")"#,
            ),
            (
                "http://[::1%25]",
                r#"invalid host: ParseAddr("::1%"): zone must be a non-empty string"#,
            ),
            (
                "http://[12345::1]",
                r#"invalid host: ParseAddr("12345::1"): each group must have 4 or less digits (at "12345::1")"#,
            ),
            ("http://[::1]:abc", r#"invalid port ":abc" after host"#),
            ("http://[::1", "missing ']' in host"),
        ] {
            assert_eq!(
                err(raw),
                format!("parse {}: {reason}", go_quote(raw)),
                "{raw}"
            );
        }
    }

    #[test]
    fn parse_addr_is_go_netip() {
        assert_eq!(parse_ip_addr("10.0.0.1"), Ok(IpFamily::V4));
        assert_eq!(parse_ip_addr("::"), Ok(IpFamily::V6));
        assert_eq!(parse_ip_addr("::1"), Ok(IpFamily::V6));
        assert_eq!(parse_ip_addr("1:2:3:4:5:6:7:8"), Ok(IpFamily::V6));
        assert_eq!(parse_ip_addr("::ffff:1.2.3.4"), Ok(IpFamily::V6));
        assert_eq!(parse_ip_addr("1:2:3:4:5:6:1.2.3.4"), Ok(IpFamily::V6));
        assert_eq!(parse_ip_addr("fe80::1%eth0"), Ok(IpFamily::V6));
        assert_eq!(parse_ip_addr("1::"), Ok(IpFamily::V6));
        for (input, msg) in [
            ("", r#"ParseAddr(""): unable to parse IP"#),
            ("%en0", r#"ParseAddr("%en0"): missing IPv6 address"#),
            (
                "010.0.0.1",
                r#"ParseAddr("010.0.0.1"): IPv4 field has octet with leading zero"#,
            ),
            (
                "1.2.3.256",
                r#"ParseAddr("1.2.3.256"): IPv4 field has value >255"#,
            ),
            (
                "1..2.3",
                r#"ParseAddr("1..2.3"): IPv4 field must have at least one digit (at ".2.3")"#,
            ),
            (
                "1.2.3.4.5",
                r#"ParseAddr("1.2.3.4.5"): IPv4 address too long"#,
            ),
            ("1.2.3", r#"ParseAddr("1.2.3"): IPv4 address too short"#),
            (
                "1.2.3.x",
                r#"ParseAddr("1.2.3.x"): unexpected character (at "x")"#,
            ),
            ("1:2", r#"ParseAddr("1:2"): address string too short"#),
            (
                "1:2:3:4:5:6:7:8:9",
                r#"ParseAddr("1:2:3:4:5:6:7:8:9"): trailing garbage after address (at "9")"#,
            ),
            (
                "1:2:3:4::5:6:7:8",
                r#"ParseAddr("1:2:3:4::5:6:7:8"): the :: must expand to at least one field of zeros"#,
            ),
            (
                "1:",
                r#"ParseAddr("1:"): colon must be followed by more characters (at ":")"#,
            ),
            (
                "1:x",
                r#"ParseAddr("1:x"): each colon-separated field must have at least one digit (at "x")"#,
            ),
            (
                "1x:2",
                r#"ParseAddr("1x:2"): unexpected character, want colon (at "x:2")"#,
            ),
            (
                "1.2.3.4:5",
                r#"ParseAddr("1.2.3.4:5"): unexpected character (at ":5")"#,
            ),
            (
                "1:2.3.4.5",
                r#"ParseAddr("1:2.3.4.5"): embedded IPv4 address must replace the final 2 fields of the address (at "2.3.4.5")"#,
            ),
            ("::1.2.3", r#"ParseAddr("::1.2.3"): IPv4 address too short"#),
            (
                "::1%",
                r#"ParseAddr("::1%"): zone must be a non-empty string"#,
            ),
        ] {
            assert_eq!(parse_ip_addr(input), Err(msg.to_owned()), "{input}");
        }
    }

    #[test]
    fn split_host_port_is_go() {
        assert_eq!(split_host_port("a.com:443"), Ok(("a.com", "443")));
        assert_eq!(split_host_port("a.com:"), Ok(("a.com", "")));
        assert_eq!(split_host_port("a.com:abc"), Ok(("a.com", "abc")));
        assert_eq!(split_host_port("[::1]:80"), Ok(("::1", "80")));
        assert_eq!(split_host_port(":80"), Ok(("", "80")));
        assert_eq!(split_host_port("a.com"), Err(SplitError::MissingPort));
        assert_eq!(split_host_port(""), Err(SplitError::MissingPort));
        assert_eq!(split_host_port("::1"), Err(SplitError::TooManyColons));
        assert_eq!(split_host_port("a:b:c"), Err(SplitError::TooManyColons));
        assert_eq!(split_host_port("[::1]"), Err(SplitError::MissingPort));
        assert_eq!(split_host_port("[::1]x:80"), Err(SplitError::MissingPort));
        assert_eq!(split_host_port("[a]:1:2"), Err(SplitError::TooManyColons));
        assert_eq!(split_host_port("[a:80"), Err(SplitError::MissingBracket));
        assert_eq!(
            split_host_port("a[b:80"),
            Err(SplitError::UnexpectedOpenBracket)
        );
        assert_eq!(
            split_host_port("a]b:80"),
            Err(SplitError::UnexpectedCloseBracket)
        );
    }

    #[test]
    fn atoi_is_go() {
        assert_eq!(atoi("404"), Ok(404));
        assert_eq!(atoi("+404"), Ok(404));
        assert_eq!(atoi("0404"), Ok(404));
        assert_eq!(atoi("-1"), Ok(-1));
        assert_eq!(
            atoi(" 404"),
            Err(r#"strconv.Atoi: parsing " 404": invalid syntax"#.into())
        );
        assert_eq!(
            atoi("abc"),
            Err(r#"strconv.Atoi: parsing "abc": invalid syntax"#.into())
        );
        assert_eq!(
            atoi(""),
            Err(r#"strconv.Atoi: parsing "": invalid syntax"#.into())
        );
        assert_eq!(
            atoi("+"),
            Err(r#"strconv.Atoi: parsing "+": invalid syntax"#.into())
        );
        assert_eq!(
            atoi("1_000"),
            Err(r#"strconv.Atoi: parsing "1_000": invalid syntax"#.into())
        );
        assert_eq!(atoi("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(atoi("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(
            atoi("99999999999999999999"),
            Err(r#"strconv.Atoi: parsing "99999999999999999999": value out of range"#.into())
        );
    }

    #[test]
    fn quote_is_go() {
        assert_eq!(go_quote("a\"b\\c\n\u{1b}"), r#""a\"b\\c\n\x1b""#);
        assert_eq!(go_quote("münchen"), "\"münchen\"");
        assert_eq!(go_quote("\u{202e}"), r#""\u202e""#);
    }
}
