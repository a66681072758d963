//! The sandbox's connectors: the cloudflared processes that would run each tunnel, and the config
//! version each one reports.
//!
//! Every tunnel seeded with a config gets three connectors: one that picks a new version up at
//! once, one that adopts it [`SLOW_LAG`] later, and a stale one that never does (and runs a
//! cloudflared older than Cloudflare supports). A tunnel without a config has none. A connector
//! adopts version N when N was published at least its lag ago, so the config version it reports
//! is computed from the tunnel's publish times whenever it is asked.
//!
//! The control API changes them (same token as the sandbox):
//! - `POST /__sandbox/tunnels/{id}/connectors` with a list of connector specs replaces the
//!   tunnel's connectors (`[]`: none);
//! - `POST /__sandbox/tunnels/{id}/connectors/{n}` with one spec changes connector `n` (0-based,
//!   or its id): its `lag_ms`, `stale`, `pending_reconnect` or cloudflared `version`.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use serde_json::{Value, json};

use super::state::{rfc3339, stable_uuid};
use crate::rollout::cloudflared::Month;

/// How long after a publish the default slow connector adopts it.
pub const SLOW_LAG: Duration = Duration::from_secs(6);
/// Publish times kept per tunnel.
const MAX_HISTORY: usize = 100;
/// Connectors a tunnel may be given through the control API.
pub const MAX_PER_TUNNEL: usize = 100;

/// One fake cloudflared process.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxConnector {
    /// UUID.
    pub id: String,
    /// cloudflared's version.
    pub version: String,
    /// OS and architecture.
    pub arch: String,
    /// The public IP of its host.
    pub origin_ip: String,
    /// The data centers it connects to, one connection each.
    pub colos: Vec<String>,
    /// How long after a publish it adopts the new version.
    pub lag: Duration,
    /// Never adopts a new version (stays on `pinned`).
    pub stale: bool,
    /// Every connection dropped and is pending a reconnect.
    pub pending_reconnect: bool,
    /// The version it runs when stale, or before any publish the sandbox saw.
    pub pinned: u64,
    /// When it started (RFC 3339).
    pub run_at: String,
}

/// A connector as the control API describes it; every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorSpec {
    /// Adoption delay in milliseconds.
    #[serde(default)]
    pub lag_ms: Option<u64>,
    /// Never adopt new versions.
    #[serde(default)]
    pub stale: Option<bool>,
    /// All connections pending a reconnect.
    #[serde(default)]
    pub pending_reconnect: Option<bool>,
    /// cloudflared's version.
    #[serde(default)]
    pub version: Option<String>,
}

/// Every tunnel's connectors and publish times.
#[derive(Debug, Clone, Default)]
pub struct Connectors {
    by_tunnel: HashMap<String, Vec<SandboxConnector>>,
    /// `(version, when it was published)`, oldest first, per tunnel.
    history: HashMap<String, Vec<(u64, Instant)>>,
    /// Tunnels that have had connectors (a tunnel that loses them all is down, not inactive).
    ran: HashMap<String, bool>,
}

/// A recent cloudflared version for `today`: the previous month's first release.
fn recent_version(today: Month) -> String {
    let (year, month) = if today.month == 1 {
        (today.year - 1, 12)
    } else {
        (today.year, today.month - 1)
    };
    format!("{year}.{month}.1")
}

impl Connectors {
    /// Gives a tunnel at `version` the three default connectors.
    pub fn seed(&mut self, tunnel: &str, version: u64) {
        let today = Month::now();
        let recent = recent_version(today);
        let started = rfc3339(
            SystemTime::now()
                .checked_sub(Duration::from_secs(3 * 3600 + 17 * 60))
                .unwrap_or_else(SystemTime::now),
        );
        let make = |n: u8,
                    cloudflared: String,
                    arch: &str,
                    ip: &str,
                    colos: &[&str],
                    lag: Duration,
                    stale: bool| {
            SandboxConnector {
                id: stable_uuid(format!("{n} connector of {tunnel}").as_bytes()),
                version: cloudflared,
                arch: arch.to_owned(),
                origin_ip: ip.to_owned(),
                colos: colos.iter().map(|c| (*c).to_owned()).collect(),
                lag,
                stale,
                pending_reconnect: false,
                pinned: version,
                run_at: started.clone(),
            }
        };
        let list = vec![
            make(
                0,
                recent.clone(),
                "linux_amd64",
                "203.0.113.10",
                &["FRA", "AMS"],
                Duration::ZERO,
                false,
            ),
            make(
                1,
                recent,
                "linux_amd64",
                "203.0.113.11",
                &["FRA", "CDG"],
                SLOW_LAG,
                false,
            ),
            make(
                2,
                format!("{}.{}.0", today.year - 2, today.month),
                "linux_arm64",
                "198.51.100.23",
                &["LHR"],
                Duration::ZERO,
                true,
            ),
        ];
        self.by_tunnel.insert(tunnel.to_owned(), list);
        self.ran.insert(tunnel.to_owned(), true);
    }

    /// Notes that `tunnel`'s config became `version` at `now`.
    pub fn published(&mut self, tunnel: &str, version: u64, now: Instant) {
        let h = self.history.entry(tunnel.to_owned()).or_default();
        h.push((version, now));
        if h.len() > MAX_HISTORY {
            h.remove(0);
        }
    }

    /// The config version `c` of `tunnel` reports at `now`.
    fn config_version(&self, tunnel: &str, c: &SandboxConnector, now: Instant) -> u64 {
        if c.stale {
            return c.pinned;
        }
        self.history
            .get(tunnel)
            .and_then(|h| {
                h.iter()
                    .rev()
                    .find(|(_, at)| now.saturating_duration_since(*at) >= c.lag)
                    .map(|(v, _)| *v)
            })
            .map_or(c.pinned, |v| v.max(c.pinned))
    }

    /// A tunnel's connectors.
    pub fn of(&self, tunnel: &str) -> &[SandboxConnector] {
        self.by_tunnel.get(tunnel).map_or(&[], Vec::as_slice)
    }

    /// The status the API gives the tunnel: `inactive` (never ran), `down` (no connection),
    /// `degraded` (some connector disconnected) or `healthy`.
    pub fn status(&self, tunnel: &str) -> &'static str {
        let list = self.of(tunnel);
        let up = list.iter().filter(|c| !c.pending_reconnect).count();
        if list.is_empty() && !self.ran.get(tunnel).copied().unwrap_or(false) {
            "inactive"
        } else if up == 0 {
            "down"
        } else if up < list.len() {
            "degraded"
        } else {
            "healthy"
        }
    }

    fn client_json(&self, tunnel: &str, c: &SandboxConnector, now: Instant) -> Value {
        let conns: Vec<Value> = c
            .colos
            .iter()
            .enumerate()
            .map(|(i, colo)| {
                let id = stable_uuid(format!("{i} connection of {}", c.id).as_bytes());
                json!({
                    "id": id, "uuid": id, "client_id": c.id, "client_version": c.version,
                    "colo_name": colo, "is_pending_reconnect": c.pending_reconnect,
                    "opened_at": c.run_at, "origin_ip": c.origin_ip,
                })
            })
            .collect();
        json!({
            "id": c.id, "arch": c.arch, "config_version": self.config_version(tunnel, c, now),
            "conns": conns, "features": ["ha-origin", "serialized_headers", "management_logs"],
            "run_at": c.run_at, "version": c.version,
        })
    }

    /// `GET .../connections`: every connector of the tunnel.
    pub fn list_json(&self, tunnel: &str, now: Instant) -> Vec<Value> {
        self.of(tunnel)
            .iter()
            .map(|c| self.client_json(tunnel, c, now))
            .collect()
    }

    /// `GET .../connectors/{id}`.
    pub fn one_json(&self, tunnel: &str, connector: &str, now: Instant) -> Option<Value> {
        self.of(tunnel)
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(connector))
            .map(|c| self.client_json(tunnel, c, now))
    }

    /// Replaces a tunnel's connectors (the control API); `version` is the tunnel's current one.
    pub fn replace(
        &mut self,
        tunnel: &str,
        version: u64,
        specs: &[ConnectorSpec],
    ) -> Result<usize, String> {
        if specs.len() > MAX_PER_TUNNEL {
            return Err(format!("at most {MAX_PER_TUNNEL} connectors per tunnel"));
        }
        let now = SystemTime::now();
        let list: Vec<SandboxConnector> = specs
            .iter()
            .enumerate()
            .map(|(n, spec)| {
                let mut c = SandboxConnector {
                    id: stable_uuid(format!("{n} custom connector of {tunnel}").as_bytes()),
                    version: recent_version(Month::now()),
                    arch: "linux_amd64".to_owned(),
                    origin_ip: format!("203.0.113.{}", 100 + n % 100),
                    colos: vec!["FRA".to_owned(), "AMS".to_owned()],
                    lag: Duration::ZERO,
                    stale: false,
                    pending_reconnect: false,
                    pinned: version,
                    run_at: rfc3339(now),
                };
                apply(&mut c, spec);
                c
            })
            .collect();
        let n = list.len();
        if n > 0 {
            self.ran.insert(tunnel.to_owned(), true);
        }
        self.by_tunnel.insert(tunnel.to_owned(), list);
        Ok(n)
    }

    /// Changes connector `which` (an index or an id) of a tunnel (the control API).
    pub fn change(
        &mut self,
        tunnel: &str,
        which: &str,
        spec: &ConnectorSpec,
    ) -> Result<(), String> {
        let now = Instant::now();
        let idx = self
            .by_tunnel
            .get(tunnel)
            .and_then(|l| {
                which
                    .parse::<usize>()
                    .ok()
                    .filter(|i| *i < l.len())
                    .or_else(|| l.iter().position(|c| c.id.eq_ignore_ascii_case(which)))
            })
            .ok_or_else(|| format!("no connector {which} on that tunnel"))?;
        // Freeze the version it runs now before it goes stale or changes lag.
        let running = self.config_version(tunnel, &self.of(tunnel)[idx], now);
        if let Some(c) = self.by_tunnel.get_mut(tunnel).and_then(|l| l.get_mut(idx)) {
            c.pinned = running;
            apply(c, spec);
        }
        Ok(())
    }
}

fn apply(c: &mut SandboxConnector, spec: &ConnectorSpec) {
    if let Some(ms) = spec.lag_ms {
        c.lag = Duration::from_millis(ms.min(24 * 3600 * 1000));
    }
    if let Some(s) = spec.stale {
        c.stale = s;
    }
    if let Some(p) = spec.pending_reconnect {
        c.pending_reconnect = p;
    }
    if let Some(v) = &spec.version {
        c.version = v.chars().take(64).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_default_connector_adopts_as_documented() {
        let mut c = Connectors::default();
        c.seed("t", 1);
        let t0 = Instant::now();
        let versions = |c: &Connectors, at: Instant| -> Vec<u64> {
            c.of("t")
                .iter()
                .map(|x| c.config_version("t", x, at))
                .collect()
        };
        assert_eq!(versions(&c, t0), [1, 1, 1]);
        c.published("t", 2, t0);
        assert_eq!(versions(&c, t0), [2, 1, 1], "prompt at once");
        assert_eq!(
            versions(&c, t0 + SLOW_LAG),
            [2, 2, 1],
            "slow after its lag, stale never"
        );
        assert_eq!(c.status("t"), "healthy");
        assert_eq!(c.status("none"), "inactive");
        let unsupported = crate::rollout::cloudflared::support(&c.of("t")[2].version, Month::now());
        assert!(matches!(
            unsupported,
            crate::rollout::cloudflared::Support::Unsupported { .. }
        ));
    }

    #[test]
    fn the_control_api_changes_lag_staleness_and_connections() {
        let mut c = Connectors::default();
        c.seed("t", 4);
        let t0 = Instant::now();
        c.published("t", 5, t0);
        // The prompt one goes stale on the version it runs now.
        let change =
            |lag_ms: Option<u64>, stale: Option<bool>, pending: Option<bool>| ConnectorSpec {
                lag_ms,
                stale,
                pending_reconnect: pending,
                version: None,
            };
        assert!(c.change("t", "0", &change(None, Some(true), None)).is_ok());
        c.published("t", 6, t0 + Duration::from_millis(1));
        let now = t0 + Duration::from_secs(60);
        assert_eq!(c.config_version("t", &c.of("t")[0], now), 5);
        let id = c.of("t")[1].id.clone();
        assert!(c.change("t", &id, &change(None, None, Some(true))).is_ok());
        assert_eq!(c.status("t"), "degraded");
        assert!(c.change("t", "9", &ConnectorSpec::default()).is_err());
        assert_eq!(c.replace("t", 6, &[]), Ok(0));
        assert_eq!(c.status("t"), "down", "it ran before: down, not inactive");
        assert_eq!(c.replace("t", 6, &[change(Some(500), None, None)]), Ok(1));
        let later = Instant::now();
        c.published("t", 7, later);
        assert_eq!(c.config_version("t", &c.of("t")[0], later), 6);
        assert_eq!(
            c.config_version("t", &c.of("t")[0], later + Duration::from_millis(500)),
            7
        );
        assert!(
            c.replace("t", 1, &vec![ConnectorSpec::default(); MAX_PER_TUNNEL + 1])
                .is_err()
        );
    }
}
