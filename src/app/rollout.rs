//! What the editor knows about the tunnel's connectors: the rollout of the last publish (polled
//! in the background by `crate::effects::rollout::wait`, one [`Event::Rollout`] per poll), the
//! status view's snapshot, and each listed tunnel's health for the picker. Pure data and text;
//! the drawing is in `tui/view/`.
//!
//! [`Event::Rollout`]: super::Event::Rollout

use std::time::Duration;

use crate::api::Connector;
use crate::rollout::cloudflared::Month;
use crate::rollout::health::flags;
use crate::rollout::{Health, Phase, Rollout};
use crate::text::inert;

/// The rollout of one publish, as the last poll left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    /// Numbers watches: an answer for an older publish is dropped.
    pub ticket: u64,
    /// The published version.
    pub version: u64,
    /// How long the connectors are waited for.
    pub timeout: Duration,
    /// The last poll's view (`None` before the first answer).
    pub rollout: Option<Rollout>,
    /// Why polling stopped early (a missing permission, a refused token).
    pub error: Option<String>,
    /// Whether polling is over (all on the version, no connectors, timed out or failed).
    pub over: bool,
}

impl Watch {
    /// A watch of `version`, nothing polled yet.
    pub fn new(ticket: u64, version: u64, timeout: Duration) -> Self {
        Watch {
            ticket,
            version,
            timeout,
            rollout: None,
            error: None,
            over: false,
        }
    }

    /// Where it stands (`None` while nothing was polled or polling failed).
    pub fn phase(&self) -> Option<Phase> {
        self.rollout.as_ref().map(|r| r.phase(self.timeout))
    }

    /// Whether the outcome is bad news: a timeout, no connectors, or a failure.
    pub fn is_bad(&self) -> bool {
        self.error.is_some() || matches!(self.phase(), Some(Phase::TimedOut | Phase::NoConnectors))
    }

    /// One line: `rollout of version 8: 2/3 connectors on version 8 · … still on 7 after 30s`.
    pub fn headline(&self) -> String {
        let v = self.version;
        match (&self.error, &self.rollout) {
            (Some(e), _) => format!(
                "rollout of version {v}: cannot read the connectors: {}",
                inert(e)
            ),
            (None, Some(r)) => format!("rollout of version {v}: {}", r.headline(self.timeout)),
            (None, None) => format!("rollout of version {v}: waiting for the connectors to report"),
        }
    }

    /// One line per connector (current ones first).
    pub fn lines(&self) -> Vec<String> {
        self.rollout
            .as_ref()
            .map(Rollout::lines)
            .unwrap_or_default()
    }
}

/// A tunnel's state as the status view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelStatus {
    /// The tunnel's name.
    pub name: String,
    /// The API's status (`healthy`, `degraded`, `down`, `inactive`).
    pub status: String,
    /// The remote config's version (0: none yet).
    pub config_version: u64,
    /// Its connectors.
    pub connectors: Vec<Connector>,
}

impl TunnelStatus {
    /// Its health as of `today` (for the cloudflared support rule).
    pub fn health(&self, today: Month) -> Health {
        Health::of(&self.status, &self.connectors, self.current(), today)
    }

    fn current(&self) -> Option<u64> {
        (self.config_version > 0).then_some(self.config_version)
    }

    /// The view's lines: the summary, the config version, then each connector with its flags.
    pub fn lines(&self, today: Month) -> Vec<String> {
        let mut out = vec![self.health(today).summary()];
        out.push(if self.config_version == 0 {
            "no remote config yet (version 0)".to_owned()
        } else {
            format!("config version {}", self.config_version)
        });
        if self.connectors.is_empty() {
            out.push(
                "no connectors: no cloudflared runs this tunnel, so nothing serves its config"
                    .to_owned(),
            );
        }
        for c in &self.connectors {
            let on = c
                .config_version
                .map_or_else(|| "config ?".to_owned(), |v| format!("config {v}"));
            let f = flags(c, self.current(), today);
            let mark = if f.is_empty() { "✓" } else { "!" };
            out.push(format!(
                "{mark} {}  {}  {on}",
                crate::rollout::progress::describe(c),
                inert(&c.arch)
            ));
            for flag in f {
                out.push(format!("    {}", flag.text()));
            }
        }
        out
    }
}

/// The picker's health cell of a tunnel: `healthy · 3 conn · 1 old` (the API's status alone
/// until its connectors were read).
pub fn health_cell(h: &Health) -> String {
    let mut cell = inert(&h.status).into_owned();
    cell.push_str(&format!(" · {} conn", h.connectors));
    if h.behind > 0 {
        cell.push_str(&format!(" · {} old", h.behind));
    }
    if h.unsupported > 0 {
        cell.push_str(&format!(" · {} unsupported", h.unsupported));
    }
    cell
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
    fn a_watch_reads_its_polls() {
        let mut w = Watch::new(1, 8, Duration::from_secs(60));
        assert_eq!(w.phase(), None);
        assert!(w.headline().contains("waiting"), "{}", w.headline());
        let mut r = Rollout::new(8);
        r.observe(
            vec![
                connector(1, "2026.10.0", Some(8), &[false]),
                connector(7, "2026.8.2", Some(7), &[false]),
            ],
            Duration::from_secs(30),
        );
        w.rollout = Some(r.clone());
        assert_eq!(w.phase(), Some(Phase::Waiting));
        let h = w.headline();
        assert!(
            h.starts_with("rollout of version 8: 1/2 connectors on version 8 · ")
                && h.contains("10.0.0.7, FRA) still on 7 after 30s"),
            "{h}"
        );
        assert!(!w.is_bad());
        r.observe(Vec::new(), Duration::from_secs(31));
        w.rollout = Some(r);
        assert!(w.is_bad(), "no connectors is bad news");
        w.error = Some("the token lacks\u{1b}[31m X".to_owned());
        assert!(!w.headline().contains('\u{1b}'));
    }

    #[test]
    fn the_status_lists_each_connector_with_its_flags() {
        let s = TunnelStatus {
            name: "prod".to_owned(),
            status: "degraded".to_owned(),
            config_version: 9,
            connectors: vec![
                connector(1, "2026.10.0", Some(9), &[false]),
                connector(2, "2025.1.0", Some(8), &[false, true]),
            ],
        };
        let lines = s.lines(NOV_2026);
        assert_eq!(lines[0], s.health(NOV_2026).summary());
        assert_eq!(lines[1], "config version 9");
        assert!(lines[2].starts_with("✓ 00000001"), "{lines:?}");
        assert!(lines[3].starts_with("! 00000002"), "{lines:?}");
        assert!(lines.len() > 4, "the flags follow: {lines:?}");
        assert_eq!(
            health_cell(&s.health(NOV_2026)),
            "degraded · 2 conn · 1 old · 1 unsupported"
        );
        let none = TunnelStatus {
            connectors: Vec::new(),
            config_version: 0,
            ..s
        };
        assert!(
            none.lines(NOV_2026)
                .iter()
                .any(|l| l.starts_with("no connectors"))
        );
    }
}
