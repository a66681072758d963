//! Waiting for a published version to reach the connectors: polls the tunnel's connectors with
//! backoff, within the API's rate limit ([`crate::rollout::pace`]), until every connected
//! connector runs the version, the tunnel turns out to have none, or the timeout passes. The
//! headless `apply --wait` and the editor's rollout panel both run this.

use std::time::{Duration, Instant};

use crate::api::{ApiError, Client};
use crate::rollout::{Phase, Rollout, pace};

/// The default time to wait for the connectors.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Polls until the rollout of `target` is over; calls `progress` after every poll. A failure
/// that retrying cannot fix (a missing permission, a refused token) ends the wait with the
/// error; transient ones (the client already retried them) are waited out until the timeout,
/// and the last one is returned if no poll ever succeeded.
pub async fn wait(
    client: &Client,
    account: &str,
    tunnel: &str,
    target: u64,
    timeout: Duration,
    mut progress: impl FnMut(&Rollout),
) -> Result<Rollout, ApiError> {
    let started = Instant::now();
    let mut rollout = Rollout::new(target);
    let mut attempts = 0u32;
    loop {
        attempts = attempts.saturating_add(1);
        match client.list_connectors(account, tunnel).await {
            Ok(list) => {
                rollout.observe(list, started.elapsed());
                progress(&rollout);
                if rollout.phase(timeout) != Phase::Waiting {
                    return Ok(rollout);
                }
            }
            Err(e) if e.is_transient() => {
                if started.elapsed() >= timeout {
                    if rollout.polls == 0 {
                        return Err(e);
                    }
                    rollout.elapsed = started.elapsed();
                    return Ok(rollout);
                }
            }
            Err(e) => return Err(e),
        }
        let delay = pace::next_delay(attempts, client.rate_limit().as_ref(), Instant::now());
        let left = timeout.saturating_sub(started.elapsed());
        // One last poll right at the timeout, so a connector that caught up just in time counts.
        tokio::time::sleep(delay.min(left)).await;
    }
}
