//! Did a publish reach the connectors, and is the tunnel healthy? Pure logic over what the API
//! reports (no network, no terminal), shared by `cfingress status`, `apply --wait` and the
//! editor:
//!
//! - [`progress`]: the rollout after a publish: which connector runs which config version, who
//!   is behind and for how long, and when waiting is over;
//! - [`health`]: a tunnel's health and each connector's flags (old config, pending reconnect,
//!   unsupported cloudflared);
//! - [`cloudflared`]: the cloudflared-version support rule, as Cloudflare documents it;
//! - [`pace`]: how far apart polls are, with backoff and within the API's rate limit.

pub mod cloudflared;
pub mod health;
pub mod pace;
pub mod progress;

use std::time::Duration;

pub use health::{ConnectorFlag, Health};
pub use progress::{Phase, Rollout};

/// A duration for people: `45s`, `2m 5s`, `3h 20m`, `4d 2h`.
pub fn short_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// The time since an RFC 3339 timestamp of the server's, as of `now`; `None` when it is not one
/// or lies in the future.
pub fn age(timestamp: &str, now: time::OffsetDateTime) -> Option<Duration> {
    let t = time::OffsetDateTime::parse(
        timestamp.trim(),
        &time::format_description::well_known::Rfc3339,
    )
    .ok()?;
    Duration::try_from(now - t).ok()
}

/// A connector for tests: `id` picks its id and IP; one connection per `pending` entry.
#[cfg(test)]
pub(crate) fn test_connector(
    id: u8,
    version: &str,
    config: Option<u64>,
    pending: &[bool],
) -> crate::api::Connector {
    crate::api::Connector {
        id: format!("{id:08x}-0000-4000-8000-000000000000"),
        version: version.to_owned(),
        arch: "linux_amd64".to_owned(),
        config_version: config,
        run_at: "2026-11-29T10:00:00Z".to_owned(),
        features: Vec::new(),
        conns: pending
            .iter()
            .map(|p| crate::api::Connection {
                id: String::new(),
                colo_name: "FRA".to_owned(),
                origin_ip: format!("10.0.0.{id}"),
                is_pending_reconnect: *p,
                opened_at: String::new(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_ages() {
        assert_eq!(short_duration(Duration::from_secs(45)), "45s");
        assert_eq!(short_duration(Duration::from_secs(125)), "2m 5s");
        assert_eq!(short_duration(Duration::from_secs(12_000)), "3h 20m");
        assert_eq!(short_duration(Duration::from_secs(360_000)), "4d 4h");
        let now = time::OffsetDateTime::parse(
            "2026-11-29T12:00:00Z",
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        assert_eq!(
            age("2026-11-29T11:00:00.123456Z", now),
            Some(Duration::from_micros(3_599_876_544))
        );
        assert_eq!(age("2026-11-29T13:00:00Z", now), None, "in the future");
        assert_eq!(age("yesterday", now), None);
        assert_eq!(age("", now), None);
    }
}
