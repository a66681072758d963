//! Durations as cloudflared reads them: whole seconds in the remote JSON, Go duration strings
//! (`30s`, `1m30s`, `1.5h`) in `config.yml`. Go's `time.ParseDuration` and `Duration.String` are
//! reproduced here exactly, since the `humantime`-style crates accept and print other forms.

use std::fmt;

const NS_PER_SEC: i128 = 1_000_000_000;

/// A duration in nanoseconds (wide enough for any JSON seconds value and any Go duration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration {
    nanos: i128,
}

impl Duration {
    /// A duration of whole seconds.
    pub fn from_secs(secs: i64) -> Self {
        Duration {
            nanos: i128::from(secs) * NS_PER_SEC,
        }
    }

    /// A duration of nanoseconds.
    pub fn from_nanos(nanos: i64) -> Self {
        Duration {
            nanos: i128::from(nanos),
        }
    }

    /// Nanoseconds.
    pub fn nanos(self) -> i128 {
        self.nanos
    }

    /// Whole seconds, if the duration is a whole number of seconds that fits an i64 (what the
    /// remote JSON can hold).
    pub fn whole_secs(self) -> Option<i64> {
        if self.nanos % NS_PER_SEC != 0 {
            return None;
        }
        i64::try_from(self.nanos / NS_PER_SEC).ok()
    }

    /// Whether the duration is below zero.
    pub fn is_negative(self) -> bool {
        self.nanos < 0
    }

    /// Go's `time.Duration.String()` form (`1m30s`, `1h0m0s`, `1.5s`, `500ms`, `0s`), or `None`
    /// when the value does not fit Go's 64-bit duration.
    pub fn to_go_string(self) -> Option<String> {
        i64::try_from(self.nanos).ok().map(go_duration_string)
    }

    /// Parses what a person types in the editor: a bare integer is seconds (`90`), anything else a
    /// Go duration (`1m30s`).
    pub fn parse_user(input: &str) -> Result<Self, String> {
        let t = input.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
            || t.starts_with('-') && t.len() > 1 && t[1..].bytes().all(|b| b.is_ascii_digit())
        {
            return t
                .parse::<i64>()
                .map(Duration::from_secs)
                .map_err(|_| format!("{t} seconds is too large"));
        }
        parse_go_duration(t).map(Duration::from_nanos)
    }
}

impl fmt::Display for Duration {
    /// Go's form when it fits, else seconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_go_string() {
            Some(s) => f.write_str(&s),
            None => write!(f, "{}s", self.nanos / NS_PER_SEC),
        }
    }
}

fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Go's `time.ParseDuration`, with its error messages. Returns nanoseconds.
pub fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_quote(orig));
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c) = s.first()
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u64 = 1 << 63;
    let mut d: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // Leading integer.
        let mut i = 0;
        let mut v: u64 = 0;
        while i < s.len() && s[i].is_ascii_digit() {
            if v > LIMIT / 10 {
                return Err(invalid());
            }
            v = v * 10 + u64::from(s[i] - b'0');
            if v > LIMIT {
                return Err(invalid());
            }
            i += 1;
        }
        let pre = i > 0;
        s = &s[i..];
        // Fraction.
        let mut f: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let mut j = 0;
            let mut overflow = false;
            while j < s.len() && s[j].is_ascii_digit() {
                if !overflow {
                    if f > (LIMIT - 1) / 10 {
                        overflow = true;
                    } else {
                        let y = f * 10 + u64::from(s[j] - b'0');
                        if y > LIMIT {
                            overflow = true;
                        } else {
                            f = y;
                            scale *= 10.0;
                        }
                    }
                }
                j += 1;
            }
            post = j > 0;
            s = &s[j..];
        }
        if !pre && !post {
            return Err(invalid());
        }
        // Unit.
        let mut k = 0;
        while k < s.len() && !(s[k] == b'.' || s[k].is_ascii_digit()) {
            k += 1;
        }
        if k == 0 {
            return Err(format!("time: missing unit in duration {}", go_quote(orig)));
        }
        let unit_bytes = &s[..k];
        s = &s[k..];
        let unit_str = String::from_utf8_lossy(unit_bytes);
        let Some(unit) = unit_nanos(&unit_str) else {
            return Err(format!(
                "time: unknown unit {} in duration {}",
                go_quote(&unit_str),
                go_quote(orig)
            ));
        };
        if v > LIMIT / unit {
            return Err(invalid());
        }
        v *= unit;
        if f > 0 {
            #[allow(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss
            )]
            let frac = (f as f64 * (unit as f64 / scale)) as u64;
            v += frac;
            if v > LIMIT {
                return Err(invalid());
            }
        }
        d += v;
        if d > LIMIT {
            return Err(invalid());
        }
    }
    if neg {
        // d <= 2^63 here, so -d fits.
        return Ok((d as i128).wrapping_neg() as i64);
    }
    if d > LIMIT - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

/// Go's `time.Duration.String()`.
pub fn go_duration_string(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_owned();
    }
    let neg = nanos < 0;
    let mut u = nanos.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (prec, unit) = if u < 1_000 {
            (0, "ns")
        } else if u < 1_000_000 {
            (3, "µs")
        } else {
            (6, "ms")
        };
        let (frac, whole) = frac_part(u, prec);
        out.push_str(&whole.to_string());
        out.push_str(&frac);
        out.push_str(unit);
    } else {
        let (frac, secs) = frac_part(u, 9);
        u = secs;
        let s = format!("{}{}s", u % 60, frac);
        u /= 60;
        if u > 0 {
            let m = u % 60;
            u /= 60;
            if u > 0 {
                out.push_str(&format!("{u}h"));
            }
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&s);
    }
    if neg {
        out.insert(0, '-');
    }
    out
}

/// The fractional digits of `v / 10^prec` (".5", or "" when zero) and the integer part.
fn frac_part(v: u64, prec: u32) -> (String, u64) {
    if prec == 0 {
        return (String::new(), v);
    }
    let div = 10u64.pow(prec);
    let frac = v % div;
    if frac == 0 {
        return (String::new(), v / div);
    }
    let digits = format!("{:0width$}", frac, width = prec as usize);
    (format!(".{}", digits.trim_end_matches('0')), v / div)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("30s", 30_000_000_000),
            ("1m30s", 90_000_000_000),
            ("1h", 3_600_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("-5s", -5_000_000_000),
            ("+5s", 5_000_000_000),
            ("500ms", 500_000_000),
            ("1us", 1_000),
            ("1µs", 1_000),
            ("1μs", 1_000),
            (".5s", 500_000_000),
            ("1.s", 1_000_000_000),
            ("2h45m", 9_900_000_000_000),
            ("-0", 0),
        ];
        for (input, want) in cases {
            assert_eq!(parse_go_duration(input), Ok(*want), "{input}");
        }
    }

    #[test]
    fn rejects_like_go() {
        assert_eq!(
            parse_go_duration("30"),
            Err("time: missing unit in duration \"30\"".into())
        );
        assert_eq!(
            parse_go_duration(""),
            Err("time: invalid duration \"\"".into())
        );
        assert_eq!(
            parse_go_duration("1d"),
            Err("time: unknown unit \"d\" in duration \"1d\"".into())
        );
        assert_eq!(
            parse_go_duration(".s"),
            Err("time: invalid duration \".s\"".into())
        );
        assert_eq!(
            parse_go_duration(" 1s"),
            Err("time: invalid duration \" 1s\"".into())
        );
        assert!(parse_go_duration("9999999999h").is_err());
        assert!(parse_go_duration("3000000h").is_err());
    }

    #[test]
    fn prints_like_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (30_000_000_000, "30s"),
            (90_000_000_000, "1m30s"),
            (3_600_000_000_000, "1h0m0s"),
            (1_500_000_000, "1.5s"),
            (500_000_000, "500ms"),
            (1_500_000, "1.5ms"),
            (1_000, "1µs"),
            (7, "7ns"),
            (-90_000_000_000, "-1m30s"),
            (61_500_000_000, "1m1.5s"),
        ];
        for (nanos, want) in cases {
            assert_eq!(go_duration_string(*nanos), *want);
        }
        assert_eq!(go_duration_string(i64::MIN), "-2562047h47m16.854775808s");
    }

    #[test]
    fn whole_seconds() {
        assert_eq!(Duration::from_secs(30).whole_secs(), Some(30));
        assert_eq!(Duration::from_nanos(1_500_000_000).whole_secs(), None);
        assert_eq!(Duration::parse_user("90"), Ok(Duration::from_secs(90)));
        assert_eq!(Duration::parse_user("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(Duration::parse_user("-5"), Ok(Duration::from_secs(-5)));
        assert!(Duration::parse_user("abc").is_err());
    }
}
