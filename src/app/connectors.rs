//! The editor's connector and Access features: the rollout panel opened by a successful
//! publish, the status view of the current tunnel, the picker's health column, the Access data
//! behind the lint and the rule form's application list. Each answer arrives as an event; none
//! holds editing up.

use std::sync::Arc;
use std::time::Duration;

use super::access::AccessData;
use super::forms::Form;
use super::overlays::access_pick::AccessPick;
use super::overlays::rollout::RolloutPanel;
use super::overlays::status::StatusView;
use super::rollout::{TunnelStatus, Watch, health_cell};
use super::{App, Effect, Mode, Origin, Overlay};
use crate::rollout::{Health, Rollout};

/// The most tunnels whose health the picker reads (two requests each).
pub const MAX_HEALTH_READS: usize = 50;

impl App {
    pub(super) fn remote_ids(&self) -> Option<(String, String)> {
        match &self.origin {
            Some(Origin::Remote {
                account_id,
                tunnel_id,
                ..
            }) => Some((account_id.clone(), tunnel_id.clone())),
            _ => None,
        }
    }

    /// After a publish of `version`: opens the rollout panel and starts polling the connectors
    /// (remote configs only).
    pub(super) fn start_rollout(&mut self, version: Option<u64>) -> Vec<Effect> {
        let (Some((account, tunnel)), Some(version)) = (self.remote_ids(), version) else {
            return Vec::new();
        };
        self.rollout_ticket += 1;
        let timeout = self.rollout_timeout;
        self.rollout = Some(Watch::new(self.rollout_ticket, version, timeout));
        if self.overlay.is_none() {
            self.overlay = Some(Overlay::from(RolloutPanel));
        }
        vec![Effect::WatchRollout {
            account,
            tunnel,
            ticket: self.rollout_ticket,
            version,
            timeout,
        }]
    }

    /// A poll's answer (or the end of polling).
    pub(super) fn on_rollout(&mut self, ticket: u64, update: Result<Rollout, String>, over: bool) {
        let Some(watch) = self.rollout.as_mut().filter(|w| w.ticket == ticket) else {
            return;
        };
        match update {
            Ok(r) => watch.rollout = Some(r),
            Err(e) => watch.error = Some(e),
        }
        if over && !watch.over {
            watch.over = true;
            let (line, bad) = (watch.headline(), watch.is_bad());
            let status = self.keymap.label(
                super::keys::Context::Main,
                super::keys::Command::Status,
                true,
            );
            if bad {
                self.error(format!("{line} ({status}: the tunnel's status)"));
            } else {
                self.info(line);
            }
        }
    }

    /// `s`: the status view of the current tunnel.
    pub(super) fn open_status(&mut self) -> Vec<Effect> {
        if self.remote_ids().is_none() {
            self.info("the status view is for a tunnel's remote config, not a file");
            return Vec::new();
        }
        self.overlay = Some(Overlay::from(StatusView::default()));
        self.read_status()
    }

    pub(super) fn read_status(&mut self) -> Vec<Effect> {
        self.remote_ids()
            .map(|(account, tunnel)| vec![Effect::ReadStatus { account, tunnel }])
            .unwrap_or_default()
    }

    pub(super) fn on_status(&mut self, result: Result<Box<TunnelStatus>, String>) {
        if let Some(Overlay::Status(view)) = &mut self.overlay {
            view.status = Some(result.map(|s| *s));
        }
    }

    /// After the tunnels are listed: the effect reading each one's health (the first
    /// [`MAX_HEALTH_READS`] that are not inactive: an inactive tunnel has no connector).
    pub(super) fn read_health(&self, account: &str, tunnels: &[super::TunnelEntry]) -> Vec<Effect> {
        let ids: Vec<(String, String)> = tunnels
            .iter()
            .filter(|t| t.status != "inactive")
            .take(MAX_HEALTH_READS)
            .map(|t| (t.id.clone(), t.status.clone()))
            .collect();
        if ids.is_empty() {
            return Vec::new();
        }
        vec![Effect::ReadHealth {
            account: account.to_owned(),
            tunnels: ids,
        }]
    }

    /// One tunnel's health for the picker's column (a failure leaves the API's status).
    pub(super) fn on_health(&mut self, id: &str, result: Result<Health, String>) {
        let Mode::PickTunnel(p) = &mut self.mode else {
            return;
        };
        let Some(column) = p.headings.iter().position(|h| *h == "HEALTH") else {
            return;
        };
        if let Some((_, cells)) = p.items.iter_mut().find(|(i, _)| i == id)
            && let Some(cell) = cells.get_mut(column)
        {
            match result {
                Ok(h) => *cell = health_cell(&h),
                Err(_) => cell.push_str(" · ?"),
            }
        }
    }

    /// The account's Access data (or why it cannot be read): the lint runs only with it.
    pub(super) fn on_access(&mut self, result: Result<Arc<AccessData>, String>) {
        match &result {
            Ok(data) => {
                self.checks.set_access(Some(Arc::clone(data)), &self.draft);
                // The published config's own Access warnings are not new when publishing.
                let lint = crate::access::lint(&self.base, &data.apps);
                if !lint.is_empty() {
                    let mut keys = (*self.base_warnings).clone();
                    keys.extend(super::publish::warning_keys(&self.base, &lint));
                    self.base_warnings = Arc::new(keys);
                }
            }
            Err(e) => {
                self.checks.set_access(None, &self.draft);
                let at = self.timestamp();
                // Logged, not shown: the lint is a bonus, and the status line has better uses.
                self.messages.log_only(
                    format!("Access applications not read, so the Access lint is off: {e}"),
                    at,
                );
            }
        }
        self.access = Some(result);
    }

    /// The rule form asked for the Access applications covering `hostname`.
    pub(super) fn pick_access(&mut self, hostname: &str) {
        let Some(Overlay::Form(form)) = self.overlay.take() else {
            return;
        };
        let mut form: Box<Form> = form;
        let note = match &self.access {
            None => Some(
                "the Access applications are still being read: try again in a moment".to_owned(),
            ),
            Some(Err(e)) => Some(format!("cannot list the Access applications: {e}")),
            Some(Ok(data)) => {
                let choices = data.choices(hostname);
                if choices.is_empty() {
                    Some(format!(
                        "no Access application of this account covers {} ({} listed)",
                        crate::text::inert(hostname),
                        data.apps.len()
                    ))
                } else {
                    self.overlay = Some(Overlay::from(AccessPick {
                        form,
                        hostname: hostname.to_owned(),
                        choices,
                        team: data.team.clone(),
                        selected: 0,
                    }));
                    return;
                }
            }
        };
        form.message = note;
        self.overlay = Some(Overlay::Form(form));
    }

    /// The rollout timeout from the settings (`[rollout] wait_timeout`).
    pub fn with_rollout_timeout(mut self, timeout: Duration) -> Self {
        self.rollout_timeout = timeout;
        self
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::super::keys::{KeyCode, KeyPress};
    use super::super::overlays::access_pick::AccessPick;
    use super::super::{App, Effect, Event, Mode, Overlay, Published, Snapshot, TunnelEntry};
    use super::AccessData;
    use crate::api::AccessApp;
    use crate::config::fields::OriginField;
    use crate::config::files::parse_json_str;
    use crate::rollout::test_connector as connector;
    use crate::rollout::{Health, Rollout};

    const CONFIG: &str = r#"{"ingress":[
      {"hostname":"wiki.example.com","service":"http://localhost:8001",
       "originRequest":{"access":{"required":true,"teamName":"acme","audTag":["0123456789abcdef"]}}},
      {"hostname":"b.example.com","service":"http://localhost:8002"},
      {"service":"http_status:404"}]}"#;

    fn editing() -> App {
        let (mut app, _) = App::remote(Some("acct".into()), Some("tun".into()));
        let config = parse_json_str(CONFIG).unwrap_or_else(|e| panic!("{e}"));
        let fx = app.update(Event::Loaded(Ok(Snapshot {
            version: Some(7),
            config: Some(config),
            has_comments: false,
            saved: None,
            draft_note: None,
            held_by: None,
            file: None,
        })));
        assert!(
            matches!(
                fx.as_slice(),
                [Effect::ReadAccess { account }, Effect::ReadDns { .. }] if account == "acct"
            ),
            "the Access data is read with the config (and DNS): {fx:?}"
        );
        assert!(matches!(app.mode, Mode::Editing));
        app
    }

    fn key(c: char) -> Event {
        Event::Key(KeyPress::ch(c))
    }

    fn esc() -> Event {
        Event::Key(KeyPress::plain(KeyCode::Esc))
    }

    fn polled(version: u64, connectors: Vec<crate::api::Connector>, secs: u64) -> Rollout {
        let mut r = Rollout::new(version);
        r.observe(connectors, Duration::from_secs(secs));
        r
    }

    fn current_message(app: &App) -> String {
        app.messages
            .current
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default()
    }

    #[test]
    fn a_publish_opens_the_rollout_panel_that_never_holds_editing_up() {
        let mut app = editing().with_rollout_timeout(Duration::from_secs(90));
        let fx = app.update(Event::Published(Ok(Published {
            version: Some(8),
            message: "Published version 8 (was 7)".into(),
            warnings: Vec::new(),
        })));
        assert_eq!(
            fx,
            [
                Effect::DeleteDraft,
                // DNS is read again after a publish (the new hostnames' records).
                Effect::ReadDns {
                    account: "acct".into(),
                    tunnel: "tun".into(),
                    rules: app.draft.rules().to_vec(),
                    ticket: 2,
                },
                Effect::WatchRollout {
                    account: "acct".into(),
                    tunnel: "tun".into(),
                    ticket: 1,
                    version: 8,
                    timeout: Duration::from_secs(90),
                }
            ]
        );
        assert_eq!(
            crate::dns::check::record_names_of(app.draft.rules()),
            ["wiki.example.com", "b.example.com"]
        );
        assert!(matches!(app.overlay, Some(Overlay::Rollout(_))));
        // A poll: one connector behind.
        app.update(Event::Rollout {
            ticket: 1,
            update: Ok(polled(
                8,
                vec![
                    connector(1, "2026.10.0", Some(8), &[false]),
                    connector(7, "2026.8.2", Some(7), &[false]),
                ],
                30,
            )),
            over: false,
        });
        let watch = app.rollout.clone().unwrap_or_else(|| panic!("no watch"));
        assert!(
            watch.headline().contains("1/2 connectors on version 8"),
            "{}",
            watch.headline()
        );
        // Any key but Esc closes it and acts on the table (j moves down).
        assert_eq!(app.current_rule(), Some(0));
        app.update(key('j'));
        assert!(app.overlay.is_none());
        assert_eq!(app.current_rule(), Some(1));
        // Polling went on: an answer for an older watch is dropped, the last one is reported.
        app.update(Event::Rollout {
            ticket: 0,
            update: Err("old".into()),
            over: true,
        });
        assert!(app.rollout.as_ref().is_some_and(|w| !w.over));
        app.update(Event::Rollout {
            ticket: 1,
            update: Ok(polled(
                8,
                vec![
                    connector(1, "2026.10.0", Some(8), &[false]),
                    connector(7, "2026.8.2", Some(8), &[false]),
                ],
                35,
            )),
            over: true,
        });
        assert_eq!(
            current_message(&app),
            "rollout of version 8: 2/2 connectors on version 8 after 35s"
        );
        assert!(app.messages.current.as_ref().is_some_and(|s| !s.error));
    }

    #[test]
    fn a_rollout_that_times_out_or_fails_is_an_error_naming_the_status_key() {
        let mut app = editing();
        app.update(Event::Published(Ok(Published {
            version: Some(8),
            message: "Published".into(),
            warnings: Vec::new(),
        })));
        // Esc closes the panel at once.
        app.update(esc());
        assert!(app.overlay.is_none());
        app.update(Event::Rollout {
            ticket: 1,
            update: Ok(polled(
                8,
                vec![connector(7, "2026.8.2", Some(7), &[false])],
                60,
            )),
            over: true,
        });
        let m = app.messages.current.clone().unwrap_or_else(|| panic!());
        assert!(m.error, "{m:?}");
        assert!(
            m.text.contains("timed out after 1m 0s")
                && m.text.contains("still on 7")
                && m.text.ends_with("(s: the tunnel's status)"),
            "{}",
            m.text
        );
        // A file save starts no rollout.
        let (mut file, _) = App::file("c.yml".into(), crate::config::files::Format::Yaml);
        file.update(Event::Loaded(Ok(Snapshot::default())));
        let fx = file.update(Event::Published(Ok(Published {
            version: None,
            message: "saved".into(),
            warnings: Vec::new(),
        })));
        assert_eq!(fx, [Effect::DeleteDraft]);
        assert!(file.overlay.is_none());
    }

    #[test]
    fn the_status_key_reads_and_shows_the_tunnel() {
        let mut app = editing();
        let fx = app.update(key('s'));
        assert_eq!(
            fx,
            [Effect::ReadStatus {
                account: "acct".into(),
                tunnel: "tun".into()
            }]
        );
        let status = super::TunnelStatus {
            name: "prod".into(),
            status: "healthy".into(),
            config_version: 7,
            connectors: vec![connector(1, "2026.10.0", Some(7), &[false])],
        };
        app.update(Event::Status(Ok(Box::new(status.clone()))));
        let Some(Overlay::Status(view)) = &app.overlay else {
            panic!("{:?}", app.overlay)
        };
        assert_eq!(view.status, Some(Ok(status)));
        // r reads again; s closes.
        assert_eq!(app.update(key('r')).len(), 1);
        app.update(key('s'));
        assert!(app.overlay.is_none());
    }

    #[test]
    fn the_tunnel_picker_fills_its_health_column() {
        let (mut app, _) = App::remote(Some("acct".into()), None);
        let t = |id: &str, status: &str| TunnelEntry {
            id: id.into(),
            name: format!("t-{id}"),
            status: status.into(),
            config_src: "cloudflare".into(),
        };
        let fx = app.update(Event::Tunnels(Ok(vec![
            t("1", "healthy"),
            t("2", "inactive"),
            t("3", "degraded"),
        ])));
        assert_eq!(
            fx,
            [Effect::ReadHealth {
                account: "acct".into(),
                tunnels: vec![
                    ("1".into(), "healthy".into()),
                    ("3".into(), "degraded".into())
                ],
            }],
            "inactive tunnels have no connectors to read"
        );
        let today = crate::rollout::cloudflared::Month {
            year: 2026,
            month: 11,
        };
        let h = Health::of(
            "healthy",
            &[
                connector(1, "2026.10.0", Some(7), &[false]),
                connector(2, "2026.10.0", Some(6), &[false]),
            ],
            Some(7),
            today,
        );
        app.update(Event::Health("1".into(), Ok(h)));
        app.update(Event::Health("3".into(), Err("no".into())));
        let Mode::PickTunnel(p) = &app.mode else {
            panic!()
        };
        assert_eq!(p.headings[2], "HEALTH");
        assert_eq!(p.items[0].1[2], "healthy · 2 conn · 1 old");
        assert_eq!(p.items[1].1[2], "inactive");
        assert_eq!(p.items[2].1[2], "degraded · ?");
    }

    fn access() -> Arc<AccessData> {
        Arc::new(AccessData {
            apps: vec![AccessApp {
                id: String::new(),
                name: "Wiki".into(),
                app_type: "self_hosted".into(),
                aud: "fedcba9876543210".into(),
                domains: vec!["wiki.example.com".into()],
            }],
            team: Some("acme".into()),
        })
    }

    #[test]
    fn the_access_lint_shows_once_the_applications_are_read() {
        let mut app = editing();
        let before = app.counts().1;
        app.update(Event::Access(Ok(access())));
        assert_eq!(app.counts().1, before + 1, "{:?}", app.diagnostics());
        assert!(
            app.checks.of_rule(0).any(|d| d
                .message
                .starts_with("audTag \"0123456789abcdef\" matches no Access application")),
            "{:?}",
            app.diagnostics()
        );
        assert_eq!(app.checks.rule_counts[0].1, 1);
        // Unreadable: no lint, one line in the log, the status line untouched.
        let shown = app.messages.current.clone();
        app.update(Event::Access(Err(
            "the token lacks Access: Apps and Policies Read".into(),
        )));
        assert_eq!(app.counts().1, before);
        assert_eq!(app.messages.current, shown);
        assert!(
            app.messages
                .log
                .back()
                .is_some_and(|m| m.status.text.contains("Access lint is off"))
        );
    }

    #[test]
    fn publishing_does_not_ask_about_access_warnings_the_published_config_has() {
        let mut app = editing();
        app.update(Event::Access(Ok(access())));
        assert_eq!(
            app.checks.rule_counts[0].1, 1,
            "rule 1 has an Access warning"
        );
        // An edit elsewhere, then publish: that warning was published already.
        app.update(key('j'));
        app.update(key('d'));
        let fx = app.update(key('p'));
        assert!(
            !matches!(app.overlay, Some(Overlay::Confirm(_))),
            "asked about old warnings: {:?} {fx:?}",
            app.overlay
        );
    }

    #[test]
    fn an_access_application_is_picked_in_the_rule_form() {
        let mut app = editing();
        app.update(Event::Access(Ok(access())));
        app.update(key('e'));
        assert!(matches!(app.overlay, Some(Overlay::Form(_))));
        app.update(Event::Key(KeyPress::ctrl('p')));
        let Some(Overlay::AccessPick(pick)) = &app.overlay else {
            panic!("{:?}", app.overlay)
        };
        let pick: &AccessPick = pick;
        assert_eq!(pick.hostname, "wiki.example.com");
        assert_eq!(pick.choices.len(), 1);
        app.update(Event::Key(KeyPress::plain(KeyCode::Enter)));
        let Some(Overlay::Form(form)) = &app.overlay else {
            panic!("{:?}", app.overlay)
        };
        let text = |f: OriginField| {
            form.fields
                .iter()
                .find(|x| x.id == super::super::forms::FieldId::Origin(f))
                .map(|x| x.text())
                .unwrap_or_default()
        };
        assert_eq!(text(OriginField::AccessAudTag), "fedcba9876543210");
        assert_eq!(text(OriginField::AccessTeamName), "acme");
        // Applying the form clears the lint warning.
        app.update(Event::Key(KeyPress::plain(KeyCode::Enter)));
        assert!(app.overlay.is_none(), "{:?}", app.overlay);
        assert!(
            !app.diagnostics()
                .iter()
                .any(|d| d.message.contains("matches no Access application")),
            "{:?}",
            app.diagnostics()
        );
        // A form whose hostname nothing covers says so and stays.
        app.update(key('j'));
        app.update(key('e'));
        app.update(Event::Key(KeyPress::ctrl('p')));
        let Some(Overlay::Form(form)) = &app.overlay else {
            panic!("{:?}", app.overlay)
        };
        assert!(
            form.message
                .as_deref()
                .is_some_and(|m| m.contains("b.example.com")),
            "{:?}",
            form.message
        );
    }
}
