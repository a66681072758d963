//! How far apart the polls of a rollout are: a backoff that starts at one second and settles at
//! five ("a few seconds apart"), stretched when the API's `Ratelimit` headers say the window is
//! running out, so polling slows down before the limit instead of running into a 429.

use std::time::{Duration, Instant};

use crate::api::RateLimit;

/// The pause before the second poll.
pub const FIRST: Duration = Duration::from_secs(1);
/// The longest pause the backoff reaches by itself.
pub const SETTLED: Duration = Duration::from_secs(5);

/// The pause after poll number `polls` (1 for the first), as of `now`, given what the API last
/// said about the rate limit.
pub fn next_delay(polls: u32, rate: Option<&RateLimit>, now: Instant) -> Duration {
    let exp = polls.saturating_sub(1).min(8);
    let backoff = FIRST.mul_f64(1.5f64.powi(i32::try_from(exp).unwrap_or(8)));
    let backoff = backoff.min(SETTLED);
    rate.map_or(backoff, |r| backoff.max(r.pace(now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_settles_at_a_few_seconds() {
        let now = Instant::now();
        let delays: Vec<u128> = (1..=8)
            .map(|n| next_delay(n, None, now).as_millis())
            .collect();
        assert_eq!(delays, [1000, 1500, 2250, 3375, 5000, 5000, 5000, 5000]);
        assert_eq!(next_delay(u32::MAX, None, now), SETTLED);
    }

    #[test]
    fn the_rate_limit_stretches_the_pause() {
        let now = Instant::now();
        let rate = |remaining: u64| RateLimit {
            remaining,
            reset: Duration::from_secs(60),
            quota: Some(100),
            window: Some(Duration::from_secs(60)),
            seen: now,
        };
        // Plenty left: the backoff decides.
        assert_eq!(next_delay(1, Some(&rate(90)), now), FIRST);
        // 12 left, 10 kept in reserve: 2 requests over 60 s, one every 30 s.
        assert_eq!(next_delay(1, Some(&rate(12)), now), Duration::from_secs(30));
        // Nothing left to spend: wait for the window to reset.
        assert_eq!(next_delay(1, Some(&rate(3)), now), Duration::from_secs(60));
    }
}
