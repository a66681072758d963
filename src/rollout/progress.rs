//! The rollout of one published version: after each poll of the tunnel's connectors, who runs
//! which config version, who is behind and for how long, and whether waiting is over.
//!
//! Time is given, never read: `elapsed` is the time since the publish, so the state machine is
//! tested without clocks. A connector counts once it reports the published version or a later
//! one (someone may have published again). Connectors whose every connection is pending a
//! reconnect are listed but do not hold the rollout up (they serve nothing, and a cloudflared
//! that restarted leaves one behind for minutes); a tunnel with no connector at all ends the wait
//! at once, since nothing can pick the config up.

use std::time::Duration;

use serde::Serialize;

use super::short_duration;
use crate::api::Connector;
use crate::text::inert;

/// How many connectors still behind a one-line headline names.
const NAMED_IN_HEADLINE: usize = 2;

/// Where a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Not every connected connector runs the version yet, and there is time left.
    Waiting,
    /// Every connected connector runs the version (or a later one).
    Done,
    /// The tunnel has no connector: nothing will pick the config up.
    NoConnectors,
    /// The timeout passed first.
    TimedOut,
}

/// What one connector does about the published version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// It runs the published version or a later one.
    Current,
    /// It runs an older version (or did not say which).
    Behind,
    /// It has no connection that serves traffic.
    Disconnected,
}

/// One connector as the rollout saw it last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seen {
    /// What the API said.
    pub connector: Connector,
    /// Where it stands.
    pub state: State,
    /// When (since the publish) it was first seen on the version; `None` while it is not.
    pub current_after: Option<Duration>,
}

/// The rollout of one published version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    /// The published version.
    pub target: u64,
    /// The connectors, as of the last poll.
    pub seen: Vec<Seen>,
    /// Time since the publish at the last poll.
    pub elapsed: Duration,
    /// Polls so far.
    pub polls: u32,
}

impl Rollout {
    /// A rollout of version `target`, not polled yet.
    pub fn new(target: u64) -> Self {
        Rollout {
            target,
            seen: Vec::new(),
            elapsed: Duration::ZERO,
            polls: 0,
        }
    }

    /// Takes in one poll's answer, `elapsed` after the publish.
    pub fn observe(&mut self, connectors: Vec<Connector>, elapsed: Duration) {
        let before = std::mem::take(&mut self.seen);
        self.seen = connectors
            .into_iter()
            .map(|connector| {
                let state = if !connector.is_connected() {
                    State::Disconnected
                } else if connector.config_version.is_some_and(|v| v >= self.target) {
                    State::Current
                } else {
                    State::Behind
                };
                let earlier = before
                    .iter()
                    .find(|s| s.connector.id == connector.id)
                    .and_then(|s| s.current_after);
                let current_after = match state {
                    State::Current => Some(earlier.unwrap_or(elapsed)),
                    _ => None,
                };
                Seen {
                    connector,
                    state,
                    current_after,
                }
            })
            .collect();
        self.elapsed = elapsed;
        self.polls = self.polls.saturating_add(1);
    }

    /// Connected connectors on the version, and all connected connectors.
    pub fn counts(&self) -> (usize, usize) {
        let current = self.count(State::Current);
        (current, current + self.count(State::Behind))
    }

    fn count(&self, state: State) -> usize {
        self.seen.iter().filter(|s| s.state == state).count()
    }

    /// Where the rollout stands, given how long waiting may take.
    pub fn phase(&self, timeout: Duration) -> Phase {
        let (current, connected) = self.counts();
        if self.polls == 0 {
            Phase::Waiting
        } else if self.seen.is_empty() {
            Phase::NoConnectors
        } else if connected > 0 && current == connected {
            Phase::Done
        } else if self.elapsed >= timeout {
            Phase::TimedOut
        } else {
            Phase::Waiting
        }
    }

    /// The connected connectors still behind.
    pub fn behind(&self) -> impl Iterator<Item = &Seen> {
        self.seen.iter().filter(|s| s.state == State::Behind)
    }

    /// One line for a status bar or a progress report:
    /// `2/3 connectors on version 8 · 1bedc50d (2026.8.2, 10.0.0.7, FRA) still on 7 after 30s`.
    pub fn headline(&self, timeout: Duration) -> String {
        let (current, connected) = self.counts();
        let v = self.target;
        let disconnected = self.count(State::Disconnected);
        let also = if disconnected > 0 {
            format!(" ({disconnected} disconnected, not waited for)")
        } else {
            String::new()
        };
        match self.phase(timeout) {
            Phase::NoConnectors => format!(
                "no connectors: no cloudflared runs this tunnel, so nothing serves version {v}"
            ),
            Phase::Done => format!(
                "{current}/{connected} connector{} on version {v}{also} after {}",
                if connected == 1 { "" } else { "s" },
                short_duration(self.elapsed)
            ),
            _ if self.polls == 0 => format!("waiting for the connectors to report version {v}"),
            phase if connected == 0 => format!(
                "{}no connected connector yet ({disconnected} disconnected)",
                if phase == Phase::TimedOut {
                    format!("timed out after {}: ", short_duration(self.elapsed))
                } else {
                    String::new()
                }
            ),
            phase => {
                let mut line = if phase == Phase::TimedOut {
                    format!("timed out after {}: ", short_duration(self.elapsed))
                } else {
                    String::new()
                };
                line.push_str(&format!(
                    "{current}/{connected} connectors on version {v}{also}"
                ));
                let behind: Vec<&Seen> = self.behind().collect();
                for s in behind.iter().take(NAMED_IN_HEADLINE) {
                    line.push_str(" · ");
                    line.push_str(&self.still(s));
                }
                if behind.len() > NAMED_IN_HEADLINE {
                    line.push_str(&format!(
                        " · {} more behind",
                        behind.len() - NAMED_IN_HEADLINE
                    ));
                }
                line
            }
        }
    }

    /// `1bedc50d (2026.8.2, 10.0.0.7, FRA) still on 7 after 30s`.
    fn still(&self, s: &Seen) -> String {
        let on = s
            .connector
            .config_version
            .map_or_else(|| "an unknown version".to_owned(), |v| v.to_string());
        format!(
            "{} still on {on} after {}",
            describe(&s.connector),
            short_duration(self.elapsed)
        )
    }

    /// One line per connector, current ones first:
    /// `✓ 1bedc50d (2026.8.2, 10.0.0.7, FRA)  on version 8 after 2s`.
    pub fn lines(&self) -> Vec<String> {
        let mut rows: Vec<&Seen> = self.seen.iter().collect();
        rows.sort_by_key(|s| match s.state {
            State::Current => 0,
            State::Behind => 1,
            State::Disconnected => 2,
        });
        rows.into_iter()
            .map(|s| match s.state {
                State::Current => format!(
                    "✓ {}  on version {} after {}",
                    describe(&s.connector),
                    s.connector.config_version.unwrap_or(self.target),
                    short_duration(s.current_after.unwrap_or(self.elapsed))
                ),
                State::Behind => format!("… {}", self.still(s)),
                State::Disconnected => format!(
                    "- {}  disconnected (pending reconnect), on {}",
                    describe(&s.connector),
                    s.connector.config_version.map_or_else(
                        || "an unknown version".to_owned(),
                        |v| format!("version {v}")
                    )
                ),
            })
            .collect()
    }
}

/// A connector for people: `1bedc50d (2026.8.2, 10.0.0.7, FRA)` (the API gives no host name;
/// the origin IP and data center say which machine it is). Server strings are inert.
pub fn describe(c: &Connector) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !c.version.is_empty() {
        parts.push(inert(&c.version).into_owned());
    }
    let ips = c.origin_ips();
    if !ips.is_empty() {
        parts.push(inert(&ips.join(" ")).into_owned());
    }
    let colos = c.colos();
    if !colos.is_empty() {
        parts.push(inert(&colos.join(" ")).into_owned());
    }
    if parts.is_empty() {
        c.short_id().to_owned()
    } else {
        format!("{} ({})", c.short_id(), parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::test_connector as connector;

    const MINUTE: Duration = Duration::from_secs(60);

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_prompt_a_slow_and_a_stale_connector() {
        let mut r = Rollout::new(8);
        assert_eq!(r.phase(MINUTE), Phase::Waiting, "not polled yet");
        assert_eq!(
            r.headline(MINUTE),
            "waiting for the connectors to report version 8"
        );
        let poll = |prompt: u64, slow: u64, stale: u64| {
            vec![
                connector(1, "2026.8.2", Some(prompt), &[false]),
                connector(2, "2026.8.2", Some(slow), &[false, false]),
                connector(3, "2024.6.1", Some(stale), &[false]),
            ]
        };
        r.observe(poll(8, 7, 7), secs(1));
        assert_eq!(r.counts(), (1, 3));
        assert_eq!(r.phase(MINUTE), Phase::Waiting);
        assert_eq!(
            r.headline(MINUTE),
            "1/3 connectors on version 8 · 00000002 (2026.8.2, 10.0.0.2, FRA) still on 7 after 1s · 00000003 (2024.6.1, 10.0.0.3, FRA) still on 7 after 1s"
        );
        r.observe(poll(8, 8, 7), secs(30));
        assert_eq!(
            r.headline(MINUTE),
            "2/3 connectors on version 8 · 00000003 (2024.6.1, 10.0.0.3, FRA) still on 7 after 30s"
        );
        r.observe(poll(8, 8, 7), secs(61));
        assert_eq!(r.phase(MINUTE), Phase::TimedOut);
        assert!(
            r.headline(MINUTE)
                .starts_with("timed out after 1m 1s: 2/3 connectors on version 8 · 00000003"),
            "{}",
            r.headline(MINUTE)
        );
        assert_eq!(
            r.lines(),
            [
                "✓ 00000001 (2026.8.2, 10.0.0.1, FRA)  on version 8 after 1s",
                "✓ 00000002 (2026.8.2, 10.0.0.2, FRA)  on version 8 after 30s",
                "… 00000003 (2024.6.1, 10.0.0.3, FRA) still on 7 after 1m 1s",
            ]
        );
        // Once every connected one catches up it is done, even past the timeout.
        r.observe(poll(8, 8, 9), secs(62));
        assert_eq!(r.phase(MINUTE), Phase::Done);
        assert_eq!(
            r.headline(MINUTE),
            "3/3 connectors on version 8 after 1m 2s"
        );
    }

    #[test]
    fn no_connectors_and_disconnected_ones() {
        let mut r = Rollout::new(3);
        r.observe(Vec::new(), secs(0));
        assert_eq!(r.phase(MINUTE), Phase::NoConnectors);
        assert!(r.headline(MINUTE).contains("no connectors"));

        let mut r = Rollout::new(3);
        r.observe(
            vec![
                connector(1, "2026.8.2", Some(3), &[false]),
                connector(2, "2026.8.2", Some(2), &[true, true]),
            ],
            secs(2),
        );
        assert_eq!(
            r.phase(MINUTE),
            Phase::Done,
            "a disconnected one is not waited for"
        );
        assert_eq!(
            r.headline(MINUTE),
            "1/1 connector on version 3 (1 disconnected, not waited for) after 2s"
        );
        assert!(r.lines()[1].contains("disconnected (pending reconnect), on version 2"));

        let mut r = Rollout::new(3);
        r.observe(vec![connector(2, "", None, &[true])], secs(70));
        assert_eq!(r.phase(MINUTE), Phase::TimedOut);
        assert_eq!(
            r.headline(MINUTE),
            "timed out after 1m 10s: no connected connector yet (1 disconnected)"
        );
    }

    #[test]
    fn unknown_versions_and_hostile_strings() {
        let mut r = Rollout::new(3);
        let mut c = connector(1, "2026.8.2\u{1b}[2J", None, &[false]);
        c.conns[0].colo_name = "F\u{202e}RA".to_owned();
        r.observe(vec![c], secs(4));
        assert_eq!(
            r.phase(MINUTE),
            Phase::Waiting,
            "no config_version: not current"
        );
        let h = r.headline(MINUTE);
        assert!(h.contains("still on an unknown version"), "{h}");
        assert!(
            h.contains("\\x1b[2J") && h.contains("\\u{202e}") && !h.contains('\u{1b}'),
            "{h}"
        );
    }
}
