//! The API's rate-limit headers, read from every answer so that polling can slow down before the
//! limit instead of running into a 429 (which blocks the credentials for minutes, the dashboard
//! included).
//!
//! Cloudflare sends, on every REST answer, headers in the shape of the IETF draft
//! "RateLimit header fields for HTTP" (<https://developers.cloudflare.com/fundamentals/api/reference/limits/>):
//! - `Ratelimit: "default";r=50;t=30`: per limit, the remaining quota (`r`) and the seconds until
//!   its window resets (`t`);
//! - `Ratelimit-Policy: "burst";q=100;w=60`: per policy, the quota (`q`) and its window in
//!   seconds (`w`).
//!
//! Both are lists; the most constraining limit (the fewest requests left) is kept. A header that
//! cannot be read is ignored: the limits are advice, and the 429 path still works without them.

use std::time::{Duration, Instant};

/// The longest header value read (a real one is a few dozen characters).
const MAX_HEADER: usize = 1024;
/// The most list items read from one header.
const MAX_ITEMS: usize = 16;
/// The longest reset or window believed (Cloudflare's window is five minutes).
const MAX_SECS: u64 = 3600;

/// What the last answer said about the rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests left in the current window (the smallest of the limits the server listed).
    pub remaining: u64,
    /// Time from `seen` until that window resets.
    pub reset: Duration,
    /// The quota of that window, when `Ratelimit-Policy` names it.
    pub quota: Option<u64>,
    /// The length of that window, when `Ratelimit-Policy` names it.
    pub window: Option<Duration>,
    /// When the answer arrived.
    pub seen: Instant,
}

/// One `"name";key=value;...` item of a structured-field list: the name and its parameters.
fn items(value: &str) -> Vec<(String, Vec<(String, u64)>)> {
    if value.len() > MAX_HEADER {
        return Vec::new();
    }
    value
        .split(',')
        .take(MAX_ITEMS)
        .filter_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next()?.trim_matches('"').to_owned();
            let params = parts
                .filter_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    Some((k.trim().to_ascii_lowercase(), v.trim().parse::<u64>().ok()?))
                })
                .collect();
            Some((name, params))
        })
        .collect()
}

fn param(params: &[(String, u64)], key: &str) -> Option<u64> {
    params.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

impl RateLimit {
    /// Reads the two headers (either may be absent); `None` when `Ratelimit` gives no usable
    /// limit.
    pub fn from_headers(
        ratelimit: Option<&str>,
        policy: Option<&str>,
        seen: Instant,
    ) -> Option<Self> {
        let limits = items(ratelimit?);
        let (name, remaining, reset) = limits
            .iter()
            .filter_map(|(name, params)| {
                Some((
                    name.as_str(),
                    param(params, "r")?,
                    param(params, "t").unwrap_or(0).min(MAX_SECS),
                ))
            })
            .min_by_key(|(_, r, _)| *r)?;
        let policies = policy.map(items).unwrap_or_default();
        // The policy of the same name; with a single policy, that one.
        let matching = policies
            .iter()
            .find(|(n, _)| n == name)
            .or_else(|| (policies.len() == 1).then(|| &policies[0]));
        Some(RateLimit {
            remaining,
            reset: Duration::from_secs(reset),
            quota: matching.and_then(|(_, p)| param(p, "q")),
            window: matching
                .and_then(|(_, p)| param(p, "w"))
                .map(|w| Duration::from_secs(w.min(MAX_SECS))),
            seen,
        })
    }

    /// How long until the window resets, as of `now` (zero once it has).
    pub fn reset_in(&self, now: Instant) -> Duration {
        self.reset
            .saturating_sub(now.saturating_duration_since(self.seen))
    }

    /// Requests to leave unused for everything else the credentials do (the dashboard, other
    /// tools, the user's next publish): a tenth of the quota, at least 1, or 10 when the quota is
    /// unknown.
    pub fn reserve(&self) -> u64 {
        self.quota.map_or(10, |q| (q / 10).max(1))
    }

    /// The shortest pause between two requests of a polling loop, as of `now`, so that the loop
    /// spreads what is left of the window (minus [`RateLimit::reserve`]) over the time until it
    /// resets: zero when the window has reset; the whole time left when nothing is left to spend.
    pub fn pace(&self, now: Instant) -> Duration {
        let left = self.reset_in(now);
        if left.is_zero() {
            return Duration::ZERO;
        }
        let usable = self.remaining.saturating_sub(self.reserve());
        if usable == 0 {
            return left;
        }
        left / u32::try_from(usable).unwrap_or(u32::MAX)
    }

    /// Whether the window is spent as of `now`: a request now would be answered 429.
    pub fn exhausted(&self, now: Instant) -> bool {
        self.remaining == 0 && !self.reset_in(now).is_zero()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudflare_headers_are_read() {
        let now = Instant::now();
        let r = RateLimit::from_headers(
            Some(r#""default";r=50;t=30"#),
            Some(r#""default";q=1200;w=300"#),
            now,
        );
        assert_eq!(
            r,
            Some(RateLimit {
                remaining: 50,
                reset: Duration::from_secs(30),
                quota: Some(1200),
                window: Some(Duration::from_secs(300)),
                seen: now,
            })
        );
        // Several limits: the most constraining one; a single policy of another name counts.
        let r = RateLimit::from_headers(
            Some(r#""default";r=500;t=100, "burst";r=3;t=7"#),
            Some(r#""burst";q=100;w=60"#),
            now,
        );
        assert_eq!(
            r.map(|r| (r.remaining, r.reset.as_secs(), r.quota)),
            Some((3, 7, Some(100)))
        );
        let r = RateLimit::from_headers(Some("x;r=5;t=2"), Some(r#""other";q=9;w=9"#), now);
        assert_eq!(r.map(|r| r.quota), Some(Some(9)));
    }

    #[test]
    fn broken_headers_are_ignored() {
        let now = Instant::now();
        for bad in [
            "",
            "nonsense",
            r#""d";t=30"#,
            r#""d";r=-1;t=3"#,
            r#""d";r=1.5"#,
        ] {
            assert_eq!(RateLimit::from_headers(Some(bad), None, now), None, "{bad}");
        }
        assert_eq!(
            RateLimit::from_headers(None, Some(r#""d";q=1;w=1"#), now),
            None
        );
        let long = format!(r#""d";r=1;t=1{}"#, " ".repeat(MAX_HEADER));
        assert_eq!(RateLimit::from_headers(Some(&long), None, now), None);
        let r = RateLimit::from_headers(Some(r#""d";r=1;t=99999999999999999"#), None, now);
        assert_eq!(r.map(|r| r.reset), Some(Duration::from_secs(MAX_SECS)));
    }

    #[test]
    fn pacing_spreads_what_is_left_over_the_window() {
        let now = Instant::now();
        let at = |remaining: u64, reset: u64, quota: Option<u64>| RateLimit {
            remaining,
            reset: Duration::from_secs(reset),
            quota,
            window: None,
            seen: now,
        };
        // Plenty left: no pause to speak of.
        assert!(at(1150, 300, Some(1200)).pace(now) < Duration::from_millis(300));
        // 20 left of 1200 (reserve 120): wait for the window.
        assert_eq!(at(20, 30, Some(1200)).pace(now), Duration::from_secs(30));
        // 11 left of 10 reserve... quota 100 → reserve 10, 1 usable: the whole window.
        assert_eq!(at(11, 40, Some(100)).pace(now), Duration::from_secs(40));
        // 30 left, reserve 10, 20 usable over 40 s: one every 2 s.
        assert_eq!(at(30, 40, Some(100)).pace(now), Duration::from_secs(2));
        // After the reset: nothing to wait for.
        assert_eq!(
            at(0, 5, None).pace(now + Duration::from_secs(6)),
            Duration::ZERO
        );
        assert!(at(0, 5, None).exhausted(now));
        assert!(!at(0, 5, None).exhausted(now + Duration::from_secs(5)));
        assert!(!at(1, 5, None).exhausted(now));
    }
}
