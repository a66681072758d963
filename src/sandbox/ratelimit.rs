//! The sandbox's rate limit, as Cloudflare's API keeps it: a quota of requests per window for the
//! credentials (1200 per five minutes), announced on every answer with `Ratelimit` and
//! `Ratelimit-Policy`, and answered 429 with `Retry-After` once spent. `POST
//! /__sandbox/ratelimit` with `{"quota":N,"window_secs":S}` sets a smaller budget and starts a
//! new window, so tests can watch a client slow down before the limit.

use std::time::{Duration, Instant};

use serde::Deserialize;

use super::state::Reply;

/// A request budget per window.
#[derive(Debug, Clone)]
pub struct Budget {
    /// Requests allowed per window.
    pub quota: u64,
    /// The window.
    pub window: Duration,
    /// Requests made in the current window.
    pub used: u64,
    started: Instant,
}

/// The body of `POST /__sandbox/ratelimit`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSpec {
    /// Requests per window.
    pub quota: u64,
    /// The window in seconds.
    pub window_secs: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            quota: 1200,
            window: Duration::from_secs(300),
            used: 0,
            started: Instant::now(),
        }
    }
}

impl Budget {
    /// A new budget starting now.
    pub fn set(&mut self, spec: &BudgetSpec) {
        *self = Budget {
            quota: spec.quota,
            window: Duration::from_secs(spec.window_secs.clamp(1, 3600)),
            used: 0,
            started: Instant::now(),
        };
    }

    fn roll(&mut self, now: Instant) {
        if now.saturating_duration_since(self.started) >= self.window {
            self.started = now;
            self.used = 0;
        }
    }

    fn left(&self, now: Instant) -> u64 {
        self.window
            .saturating_sub(now.saturating_duration_since(self.started))
            .as_secs_f64()
            .ceil() as u64
    }

    /// Counts one request at `now`: the 429 to answer when the budget is spent.
    pub fn spend(&mut self, now: Instant) -> Option<Reply> {
        self.roll(now);
        if self.used >= self.quota {
            let mut r = Reply::error(
                429,
                971,
                "Please wait and consider throttling your request speed",
            );
            r.headers
                .push(("retry-after".to_owned(), self.left(now).max(1).to_string()));
            self.stamp(&mut r, now);
            return Some(r);
        }
        self.used += 1;
        None
    }

    /// Adds the `Ratelimit` and `Ratelimit-Policy` headers to an answer.
    pub fn stamp(&self, reply: &mut Reply, now: Instant) {
        reply.headers.push((
            "ratelimit".to_owned(),
            format!(
                "\"default\";r={};t={}",
                self.quota.saturating_sub(self.used),
                self.left(now)
            ),
        ));
        reply.headers.push((
            "ratelimit-policy".to_owned(),
            format!("\"default\";q={};w={}", self.quota, self.window.as_secs()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::RateLimit;

    #[test]
    fn the_budget_is_announced_then_enforced() {
        let mut b = Budget::default();
        b.set(&BudgetSpec {
            quota: 2,
            window_secs: 10,
        });
        let t0 = Instant::now();
        assert!(b.spend(t0).is_none());
        let mut r = Reply::error(200, 0, "");
        b.stamp(&mut r, t0);
        let header = |r: &Reply, name: &str| {
            r.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let read = RateLimit::from_headers(
            header(&r, "ratelimit").as_deref(),
            header(&r, "ratelimit-policy").as_deref(),
            t0,
        );
        assert_eq!(
            read.map(|r| (r.remaining, r.quota, r.reset.as_secs())),
            Some((1, Some(2), 10))
        );
        assert!(b.spend(t0).is_none());
        let refused = b.spend(t0).map(|r| (r.status, header(&r, "retry-after")));
        assert_eq!(refused, Some((429, Some("10".to_owned()))));
        assert!(
            b.spend(t0 + Duration::from_secs(10)).is_none(),
            "a new window"
        );
    }
}
