//! A tunnel's health as the API reports it, and what is worth flagging about each connector: a
//! config older than the tunnel's current one, connections pending a reconnect, a cloudflared
//! that Cloudflare no longer supports.

use serde::Serialize;

use super::cloudflared::{Month, Support, support};
use crate::api::Connector;

/// Something about a connector that needs attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum ConnectorFlag {
    /// It runs a config version older than the tunnel's current one.
    OldConfig {
        /// The version it runs.
        runs: u64,
        /// The tunnel's current version.
        current: u64,
    },
    /// Some of its connections dropped and are kept for a possible reconnect.
    PendingReconnect {
        /// Connections pending a reconnect.
        pending: usize,
        /// All its connections.
        of: usize,
    },
    /// It has no connection that serves traffic.
    Disconnected,
    /// Its cloudflared is older than the oldest one Cloudflare supports.
    UnsupportedCloudflared {
        /// Its version.
        version: String,
        /// The oldest supported release month (`2025.11`).
        oldest: String,
    },
}

impl ConnectorFlag {
    /// The flag in words (server strings inert).
    pub fn text(&self) -> String {
        match self {
            ConnectorFlag::OldConfig { runs, current } => {
                format!("runs config version {runs}, not the current {current}")
            }
            ConnectorFlag::PendingReconnect { pending, of } => {
                format!("{pending} of {of} connections pending reconnect")
            }
            ConnectorFlag::Disconnected => {
                "disconnected (every connection pending reconnect)".to_owned()
            }
            ConnectorFlag::UnsupportedCloudflared { version, oldest } => format!(
                "cloudflared {} is no longer supported (Cloudflare supports releases from {oldest} on): update it",
                crate::text::inert(version)
            ),
        }
    }
}

/// What is worth flagging about `c`, given the tunnel's current config version and the month.
pub fn flags(c: &Connector, current: Option<u64>, today: Month) -> Vec<ConnectorFlag> {
    let mut out = Vec::new();
    if let (Some(runs), Some(current)) = (c.config_version, current)
        && runs < current
    {
        out.push(ConnectorFlag::OldConfig { runs, current });
    }
    let pending = c.conns.iter().filter(|x| x.is_pending_reconnect).count();
    if !c.is_connected() {
        out.push(ConnectorFlag::Disconnected);
    } else if pending > 0 {
        out.push(ConnectorFlag::PendingReconnect {
            pending,
            of: c.conns.len(),
        });
    }
    if let Support::Unsupported { oldest } = support(&c.version, today) {
        out.push(ConnectorFlag::UnsupportedCloudflared {
            version: c.version.clone(),
            oldest,
        });
    }
    out
}

/// A tunnel's health: the API's status and what its connectors say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// The API's status: `healthy`, `degraded`, `down`, `inactive` (or what the server said).
    pub status: String,
    /// Connectors with a connection that serves traffic.
    pub connectors: usize,
    /// Connectors that are listed but have no such connection.
    pub disconnected: usize,
    /// Connected connectors that run an older config than the current one.
    pub behind: usize,
    /// Connectors whose cloudflared Cloudflare no longer supports.
    pub unsupported: usize,
    /// Connectors with any flag.
    pub flagged: usize,
}

impl Health {
    /// The health of a tunnel whose API status is `status`, whose config is at `current`.
    pub fn of(status: &str, connectors: &[Connector], current: Option<u64>, today: Month) -> Self {
        let mut h = Health {
            status: status.to_owned(),
            connectors: 0,
            disconnected: 0,
            behind: 0,
            unsupported: 0,
            flagged: 0,
        };
        for c in connectors {
            let f = flags(c, current, today);
            if c.is_connected() {
                h.connectors += 1;
                if f.iter()
                    .any(|f| matches!(f, ConnectorFlag::OldConfig { .. }))
                {
                    h.behind += 1;
                }
            } else {
                h.disconnected += 1;
            }
            if f.iter()
                .any(|f| matches!(f, ConnectorFlag::UnsupportedCloudflared { .. }))
            {
                h.unsupported += 1;
            }
            h.flagged += usize::from(!f.is_empty());
        }
        h
    }

    /// Whether anything needs attention: a status other than healthy, or a flagged connector.
    pub fn needs_attention(&self) -> bool {
        self.status != "healthy" || self.flagged > 0
    }

    /// One line: `healthy · 3 connectors · 1 on an older config`.
    pub fn summary(&self) -> String {
        let mut parts = vec![crate::text::inert(&self.status).into_owned()];
        parts.push(match self.connectors {
            0 => "no connectors".to_owned(),
            1 => "1 connector".to_owned(),
            n => format!("{n} connectors"),
        });
        if self.behind > 0 {
            parts.push(format!("{} on an older config", self.behind));
        }
        if self.disconnected > 0 {
            parts.push(format!("{} disconnected", self.disconnected));
        }
        if self.unsupported > 0 {
            parts.push(format!("{} unsupported cloudflared", self.unsupported));
        }
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::test_connector as connector;

    const NOV_2026: Month = Month {
        year: 2026,
        month: 11,
    };

    #[test]
    fn each_flag() {
        let c = connector(1, "2026.10.0", Some(8), &[false, false]);
        assert!(flags(&c, Some(8), NOV_2026).is_empty());
        assert!(
            flags(&c, None, NOV_2026).is_empty(),
            "no current version: nothing to compare"
        );
        assert_eq!(
            flags(&c, Some(9), NOV_2026),
            [ConnectorFlag::OldConfig {
                runs: 8,
                current: 9
            }]
        );
        let c = connector(2, "2025.10.1", None, &[false, true]);
        assert_eq!(
            flags(&c, Some(9), NOV_2026),
            [
                ConnectorFlag::PendingReconnect { pending: 1, of: 2 },
                ConnectorFlag::UnsupportedCloudflared {
                    version: "2025.10.1".to_owned(),
                    oldest: "2025.11".to_owned()
                }
            ]
        );
        let c = connector(3, "2025.11.0", Some(9), &[true]);
        assert_eq!(flags(&c, Some(9), NOV_2026), [ConnectorFlag::Disconnected]);
        assert!(
            ConnectorFlag::UnsupportedCloudflared {
                version: "x\u{1b}[2J".to_owned(),
                oldest: "2025.11".to_owned()
            }
            .text()
            .contains("x\\x1b[2J")
        );
    }

    #[test]
    fn health_counts_and_summary() {
        let list = [
            connector(1, "2026.10.0", Some(9), &[false]),
            connector(2, "2026.10.0", Some(8), &[false]),
            connector(3, "2024.1.0", Some(9), &[false]),
            connector(4, "2026.10.0", Some(7), &[true]),
        ];
        let h = Health::of("healthy", &list, Some(9), NOV_2026);
        assert_eq!(
            (
                h.connectors,
                h.disconnected,
                h.behind,
                h.unsupported,
                h.flagged
            ),
            (3, 1, 1, 1, 3)
        );
        assert!(h.needs_attention());
        assert_eq!(
            h.summary(),
            "healthy · 3 connectors · 1 on an older config · 1 disconnected · 1 unsupported cloudflared"
        );
        let h = Health::of("healthy", &list[..1], Some(9), NOV_2026);
        assert!(!h.needs_attention());
        assert_eq!(h.summary(), "healthy · 1 connector");
        let h = Health::of("inactive", &[], Some(0), NOV_2026);
        assert!(h.needs_attention());
        assert_eq!(h.summary(), "inactive · no connectors");
    }
}
