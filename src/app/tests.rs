//! Key sequences → state and effects, for every key and flow of the editor.

use super::keys::{KeyCode as Key, KeyPress};

use super::history::Edit;
use super::keys;
use super::review::settle;
use super::*;
use super::{Account, TunnelEntry as Tunnel};
use crate::config::files::parse_json_str;

const CONFIG: &str = r#"{"ingress":[
  {"hostname":"a.example.com","service":"http://localhost:8001"},
  {"hostname":"b.example.com","path":"^/api/","service":"http://localhost:8002"},
  {"hostname":"c.example.com","service":"http://localhost:8003"},
  {"service":"http_status:404"}]}"#;

/// What a load or a fetch returns: a config (or none) at a version (none for files).
fn snap(version: Option<u64>, config: Option<TunnelConfig>) -> Snapshot {
    Snapshot {
        version,
        config,
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    }
}

fn cfg(json: &str) -> TunnelConfig {
    parse_json_str(json).unwrap_or_else(|e| panic!("{e}"))
}

fn editing(json: &str, version: u64) -> App {
    editing_config(cfg(json), version)
}

/// An editor on a remote tunnel whose config is `config` at `version`.
fn editing_config(config: TunnelConfig, version: u64) -> App {
    let (mut app, fx) = App::remote(Some("acct".into()), Some("tun".into()));
    assert_eq!(
        fx,
        vec![Effect::LoadRemote {
            account: "acct".into(),
            tunnel: "tun".into()
        }]
    );
    app.update(Event::Loaded(Ok(snap(Some(version), Some(config)))));
    assert!(matches!(app.mode, Mode::Editing));
    app
}

/// Updates and runs the review effect in place (the terminal layer runs it in the background).
fn upd(app: &mut App, ev: Event) -> Vec<Effect> {
    let fx = app.update(ev);
    settle(app, fx)
}

/// The app's incrementally kept diagnostics equal a full validation of its draft, and so do
/// their counts and each rule's share.
fn assert_fully_validated(app: &App, after: impl std::fmt::Display) {
    assert_checks_are(app, &crate::config::validate::validate(&app.draft), after);
}

/// The app's incrementally kept diagnostics, their counts and each rule's share are `full`.
fn assert_checks_are(
    app: &App,
    full: &[crate::config::validate::Diagnostic],
    after: impl std::fmt::Display,
) {
    assert_eq!(app.checks.diagnostics(), full, "{after}");
    let errors = full.iter().filter(|d| d.is_error()).count();
    assert_eq!(
        app.checks.counts(),
        (errors, full.len() - errors),
        "{after}"
    );
    assert_eq!(app.checks.has_errors(), errors > 0, "{after}");
    for i in 0..app.draft.rules().len() {
        let of_rule: Vec<_> = full.iter().filter(|d| d.rule == Some(i)).cloned().collect();
        assert_eq!(
            app.checks.of_rule(i).collect::<Vec<_>>(),
            of_rule,
            "{after}"
        );
        let e = of_rule.iter().filter(|d| d.is_error()).count() as u32;
        let w = of_rule.len() as u32 - e;
        assert_eq!(app.checks.rule_counts.get(i), Some(&(e, w)), "{after}");
    }
}

fn k(c: char) -> Event {
    Event::Key(KeyPress::ch(c))
}

fn ctrl(c: char) -> Event {
    Event::Key(KeyPress::ctrl(c))
}

fn special(key: Key) -> Event {
    Event::Key(KeyPress::plain(key))
}

fn typ(app: &mut App, s: &str) {
    for c in s.chars() {
        app.update(k(c));
    }
}

/// The review on screen.
fn review_of(app: &App) -> &review::Review {
    match &app.overlay {
        Some(Overlay::Review(p)) => &p.review,
        other => panic!("{other:?}"),
    }
}

fn status(app: &App) -> String {
    app.messages
        .current
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

fn hosts(app: &App) -> Vec<String> {
    app.draft
        .rules()
        .iter()
        .map(|r| r.hostname.as_str().to_owned())
        .collect()
}

#[test]
fn navigation_keys_and_filter() {
    let mut app = editing(CONFIG, 3);
    app.update(k('j'));
    assert_eq!(app.table.selected, 1);
    app.update(special(Key::Down));
    app.update(special(Key::Up));
    assert_eq!(app.table.selected, 1);
    app.update(k('G'));
    assert_eq!(app.table.selected, 3);
    app.update(k('g'));
    assert_eq!(app.table.selected, 0);
    app.update(special(Key::PageDown));
    assert_eq!(app.table.selected, 3);
    app.update(special(Key::PageUp));
    assert_eq!(app.table.selected, 0);
    app.update(k('/'));
    typ(&mut app, "c.ex");
    assert_eq!(app.visible_rules(), vec![2]);
    assert_eq!(app.table.selected, 2);
    app.update(special(Key::Enter));
    assert!(!app.table.filtering && app.table.filter == "c.ex");
    app.update(k('/'));
    app.update(special(Key::Esc));
    assert!(app.table.filter.is_empty());
    assert_eq!(app.visible_rules().len(), 4);
}

#[test]
fn add_through_the_form_then_undo_and_redo() {
    let mut app = editing(CONFIG, 3);
    app.update(k('G'));
    app.update(k('a'));
    let Some(Overlay::Form(form)) = &app.overlay else {
        panic!("no form")
    };
    assert!(
        matches!(
            form.target,
            forms::FormTarget::Rule {
                index: 3,
                insert: true,
                ..
            }
        ),
        "before the catch-all"
    );
    assert_eq!(form.focus, 0, "the cursor starts in the first field");
    typ(&mut app, "new.example.com");
    app.update(special(Key::Tab));
    app.update(special(Key::Tab));
    typ(&mut app, "http://localhost:9000");
    app.update(special(Key::Enter));
    assert!(app.overlay.is_none());
    assert_eq!(
        hosts(&app),
        [
            "a.example.com",
            "b.example.com",
            "c.example.com",
            "new.example.com",
            ""
        ]
    );
    assert_eq!(app.history.len(), 1, "one form, one undo step");
    assert_eq!(app.table.selected, 3);
    app.update(k('u'));
    assert_eq!(app.draft.rules().len(), 4);
    assert_eq!(status(&app), "undid: add rule 4 new.example.com");
    app.update(ctrl('r'));
    assert_eq!(app.draft.rules().len(), 5);
    assert_eq!(status(&app), "redid: add rule 4 new.example.com");
    app.update(ctrl('z'));
    app.update(ctrl('y'));
    assert_eq!(app.draft.rules().len(), 5);
}

#[test]
fn escape_on_a_new_rule_adds_nothing() {
    let mut app = editing(CONFIG, 3);
    app.update(k('a'));
    app.update(special(Key::Esc));
    assert!(app.overlay.is_none());
    assert_eq!(app.draft.rules().len(), 4);
    assert!(!app.is_modified());
}

#[test]
fn delete_duplicate_and_move_respect_the_catch_all() {
    let mut app = editing(CONFIG, 3);
    app.update(k('d'));
    assert_eq!(hosts(&app), ["b.example.com", "c.example.com", ""]);
    assert_eq!(status(&app), "did: delete rule 1 a.example.com");
    app.update(k('u'));
    assert_eq!(app.draft, cfg(CONFIG));
    app.update(k('G'));
    app.update(k('d'));
    assert!(status(&app).contains("catch-all rule cannot be deleted"));
    app.update(k('c'));
    assert!(status(&app).contains("cannot be duplicated"));
    app.update(k('K'));
    assert!(status(&app).contains("stays last"));
    app.update(k('k'));
    app.update(k('J'));
    assert!(status(&app).contains("just above the catch-all"));
    app.update(k('K'));
    assert_eq!(
        hosts(&app),
        ["a.example.com", "c.example.com", "b.example.com", ""]
    );
    assert_eq!(app.table.selected, 1);
    app.update(k('c'));
    assert_eq!(hosts(&app)[2], "c.example.com");
    assert_eq!(app.history.len(), 2);
    app.update(k('u'));
    app.update(k('u'));
    assert_eq!(app.draft, cfg(CONFIG), "undo all returns the original");
}

#[test]
fn rule_global_and_warp_forms_are_one_edit_each() {
    let mut app = editing(CONFIG, 3);
    app.update(k('e'));
    app.update(special(Key::Tab));
    app.update(special(Key::Tab));
    typ(&mut app, "1");
    app.update(special(Key::Enter));
    assert_eq!(
        app.draft.rules()[0].service.as_str(),
        "http://localhost:80011"
    );
    app.update(k('o'));
    let Some(Overlay::Form(form)) = &app.overlay else {
        panic!()
    };
    let ct = form
        .fields
        .iter()
        .position(|f| f.label == "connectTimeout")
        .unwrap_or(0);
    for _ in 0..ct {
        app.update(special(Key::Tab));
    }
    typ(&mut app, "45");
    app.update(special(Key::Enter));
    assert_eq!(
        app.draft
            .global()
            .and_then(|g| g.connect_timeout.get().copied()),
        Some(crate::config::Duration::from_secs(45))
    );
    app.update(k('w'));
    app.update(k(' '));
    app.update(special(Key::Enter));
    assert!(
        app.draft
            .warp_routing
            .get()
            .is_some_and(|w| w.enabled.is_true())
    );
    assert_eq!(app.history.len(), 3);
    assert!(
        app.checks
            .diagnostics()
            .iter()
            .any(|d| d.message.contains("warp-routing has no effect"))
    );
}

#[test]
fn publish_refuses_errors_and_jumps_to_the_first() {
    let mut app = editing(CONFIG, 3);
    app.update(k('e'));
    app.update(special(Key::Tab));
    app.update(special(Key::Tab));
    app.update(ctrl('x'));
    typ(&mut app, "localhost:1");
    app.update(special(Key::Enter));
    app.update(k('G'));
    let fx = app.update(k('p'));
    assert!(fx.is_empty());
    assert_eq!(app.table.selected, 0);
    assert!(
        status(&app).starts_with("cannot publish: 1 error"),
        "{}",
        status(&app)
    );
    assert!(app.messages.current.as_ref().is_some_and(|s| s.error));
}

#[test]
fn publish_flow_with_warnings_review_and_success() {
    let mut app = editing(CONFIG, 3);
    app.update(k('j'));
    app.update(k('e'));
    app.update(special(Key::Tab));
    app.update(ctrl('x'));
    typ(&mut app, "api/");
    app.update(special(Key::Enter));
    let fx = app.update(k('p'));
    assert!(fx.is_empty());
    let Some(Overlay::Confirm(question)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(question.ask, Ask::Warnings);
    let lines = &question.lines;
    assert!(lines.iter().any(|l| l.contains("not anchored")));
    let fx = app.update(k('y'));
    assert_eq!(
        fx,
        vec![Effect::FetchRemote {
            account: "acct".into(),
            tunnel: "tun".into()
        }]
    );
    let fx = upd(
        &mut app,
        Event::Current(Ok(snap(Some(3), Some(cfg(CONFIG))))),
    );
    assert!(fx.is_empty());
    let review::Review { summary, diff, .. } = review_of(&app);
    assert!(
        summary
            .iter()
            .any(|l| l.contains("~ rule #2 b.example.com api/")),
        "{summary:?}"
    );
    assert!(
        diff.iter().any(|l| l == "+      \"path\": \"api/\","),
        "{diff:?}"
    );
    app.update(k('j'));
    let fx = app.update(k('y'));
    let [
        Effect::PublishRemote {
            base_version: 3,
            config,
            ..
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(**config, app.draft);
    app.update(Event::Published(Ok(Published {
        version: Some(4),
        message: "Published version 4 (was 3)".into(),
        warnings: Vec::new(),
    })));
    assert_eq!(status(&app), "Published version 4 (was 3)");
    assert_eq!(app.base_version, Some(4));
    assert!(!app.is_modified());
    assert_eq!(*app.base, app.draft);
}

#[test]
fn a_failed_publish_keeps_the_draft() {
    let mut app = editing(CONFIG, 3);
    app.update(k('d'));
    app.update(k('p'));
    upd(
        &mut app,
        Event::Current(Ok(snap(Some(3), Some(cfg(CONFIG))))),
    );
    app.update(k('y'));
    let draft = app.draft.clone();
    app.update(Event::Published(Err(
        "the API refused the configuration: Bad Configuration: x".into(),
    )));
    assert_eq!(app.draft, draft);
    assert!(app.is_modified());
    assert!(status(&app).starts_with("not published, your draft is kept: the API refused"));
    assert!(app.overlay.is_none());
}

#[test]
fn a_review_can_be_cancelled_with_any_other_key() {
    let mut app = editing(CONFIG, 3);
    app.update(k('d'));
    app.update(k('p'));
    upd(
        &mut app,
        Event::Current(Ok(snap(Some(3), Some(cfg(CONFIG))))),
    );
    let fx = app.update(k('n'));
    assert!(fx.is_empty() && app.overlay.is_none());
    assert!(app.is_modified());
}

fn someone_elses() -> TunnelConfig {
    cfg(r#"{"ingress":[
      {"hostname":"z.example.com","service":"http://localhost:9999"},
      {"hostname":"a.example.com","service":"http://localhost:8001"},
      {"hostname":"b.example.com","path":"^/api/","service":"http://localhost:8002"},
      {"hostname":"c.example.com","service":"http://localhost:8003"},
      {"service":"http_status:404"}]}"#)
}

#[test]
fn a_conflict_offers_rebase_overwrite_and_cancel() {
    let mut app = editing(CONFIG, 3);
    app.update(k('G'));
    app.update(k('k'));
    app.update(k('d')); // delete c.example.com
    app.update(k('p'));
    upd(
        &mut app,
        Event::Current(Ok(snap(Some(5), Some(someone_elses())))),
    );
    let Some(Overlay::Conflict(conflict)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    let lines = &conflict.lines;
    assert!(lines[0].contains("version 3 → 5"), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("+ rule #1 z.example.com (added)")),
        "{lines:?}"
    );
    let kept = app.overlay.clone();

    // Cancel.
    app.update(k('c'));
    assert!(app.overlay.is_none() && app.base_version == Some(3));

    // Overwrite: explicit, and the review says so.
    app.overlay = kept.clone();
    upd(&mut app, k('o'));
    let review::Review { notes, summary, .. } = review_of(&app);
    assert!(notes[0].starts_with("OVERWRITE"));
    assert!(
        summary
            .iter()
            .any(|l| l.contains("- rule #1 z.example.com (removed)")),
        "{summary:?}"
    );
    let fx = app.update(k('y'));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::PublishRemote {
                base_version: 5,
                ..
            }]
        ),
        "{fx:?}"
    );

    // Rebase: both changes survive; the source is read again before the review.
    app.overlay = kept;
    let before_rebase = app.draft.clone();
    let fx = app.update(k('r'));
    assert!(
        status(&app).contains("rebased onto version 5: 1 edit replayed"),
        "{}",
        status(&app)
    );
    assert!(
        matches!(fx.as_slice(), [Effect::FetchRemote { .. }]),
        "{fx:?}"
    );
    upd(
        &mut app,
        Event::Current(Ok(snap(Some(5), Some(someone_elses())))),
    );
    review_of(&app);
    assert_eq!(
        hosts(&app),
        ["z.example.com", "a.example.com", "b.example.com", ""]
    );
    assert_eq!(app.base_version, Some(5));
    // The draft from before the rebase is one undo away.
    app.overlay = None;
    app.update(k('u'));
    assert_eq!(app.draft, before_rebase);
}

/// Undoing a rebase brings back the draft from before it, and its base too: publishing that
/// draft meets the version rebased onto as a conflict again, never silently overwrites it.
#[test]
fn undoing_a_rebase_and_publishing_meets_their_version_as_a_conflict() {
    let mut app = editing(CONFIG, 3);
    app.update(k('G'));
    app.update(k('k'));
    app.update(k('d')); // delete c.example.com
    app.update(k('p'));
    upd(
        &mut app,
        Event::Current(Ok(snap(Some(5), Some(someone_elses())))),
    );
    assert!(matches!(&app.overlay, Some(Overlay::Conflict(_))));
    let before_rebase = app.draft.clone();
    app.update(k('r'));
    assert_eq!(app.base_version, Some(5));
    app.overlay = None;
    app.update(k('u'));
    assert_eq!(app.draft, before_rebase);
    assert_eq!(app.base_version, Some(3), "the draft's own base is back");
    assert_eq!(app.change_count(), 1, "{}", status(&app));

    // Publishing it: the remote is still at version 5, which the draft is not based on.
    let fx = app.update(k('p'));
    assert!(
        matches!(fx.as_slice(), [Effect::FetchRemote { .. }]),
        "{fx:?}"
    );
    upd(
        &mut app,
        Event::Current(Ok(snap(Some(5), Some(someone_elses())))),
    );
    let Some(Overlay::Conflict(conflict)) = &app.overlay else {
        panic!("no conflict screen: {:?}", app.overlay)
    };
    assert!(
        conflict.lines[0].contains("version 3 → 5"),
        "{:?}",
        conflict.lines
    );
    assert!(
        conflict
            .lines
            .iter()
            .any(|l| l.contains("+ rule #1 z.example.com (added)")),
        "{:?}",
        conflict.lines
    );

    // Redo puts the rebase (and its base) back.
    app.overlay = None;
    app.update(ctrl('r'));
    assert_eq!(app.base_version, Some(5));
    assert!(
        app.draft
            .rules()
            .iter()
            .any(|r| r.hostname.as_str() == "z.example.com")
    );
}

#[test]
fn quitting_and_reloading_ask_when_edits_are_unpublished() {
    let mut app = editing(CONFIG, 3);
    assert_eq!(app.update(k('q')), vec![Effect::Quit]);
    let mut app = editing(CONFIG, 3);
    app.update(k('d'));
    assert!(app.update(k('q')).is_empty());
    assert!(matches!(
        &app.overlay,
        Some(Overlay::Confirm(c)) if c.ask == Ask::Quit
    ));
    app.update(k('n'));
    assert!(!app.quit && app.overlay.is_none());
    app.update(ctrl('c'));
    assert_eq!(app.update(k('y')), vec![Effect::DeleteDraft, Effect::Quit]);
    assert!(app.quit);

    let mut app = editing(CONFIG, 3);
    app.update(k('d'));
    app.update(k('r'));
    assert!(matches!(
        &app.overlay,
        Some(Overlay::Confirm(c)) if c.ask == Ask::Reload
    ));
    let fx = app.update(k('y'));
    assert_eq!(
        fx,
        vec![
            Effect::DeleteDraft,
            Effect::LoadRemote {
                account: "acct".into(),
                tunnel: "tun".into()
            }
        ]
    );
    app.update(Event::Loaded(Ok(snap(Some(4), Some(cfg(CONFIG))))));
    assert!(!app.is_modified() && app.base_version == Some(4));
}

#[test]
fn a_tunnel_without_config_opens_as_a_new_catch_all() {
    let (mut app, _) = App::remote(Some("acct".into()), Some("tun".into()));
    app.update(Event::Loaded(Ok(snap(Some(0), None))));
    assert_eq!(app.draft, TunnelConfig::new_catch_all());
    assert!(app.is_modified() && app.unpublished_new);
    app.update(k('p'));
    upd(&mut app, Event::Current(Ok(snap(Some(0), None))));
    let review::Review { diff, .. } = review_of(&app);
    assert!(
        diff.iter()
            .any(|l| l.contains("+      \"service\": \"http_status:404\""))
    );
    let fx = app.update(k('y'));
    assert!(matches!(
        fx.as_slice(),
        [Effect::PublishRemote {
            base_version: 0,
            ..
        }]
    ));
}

#[test]
fn the_url_tester_highlights_the_rule() {
    let mut app = editing(CONFIG, 3);
    app.update(k('t'));
    typ(&mut app, "https://b.example.com/api/x");
    assert_eq!(app.tester_match, Some(1));
    assert_eq!(app.table.selected, 1);
    let Some(Overlay::Tester(tester)) = &app.overlay else {
        panic!()
    };
    assert!(matches!(&tester.result, Some(Ok(t)) if t.rule == 1));
    for _ in 0..8 {
        app.update(special(Key::Backspace));
    }
    assert_eq!(
        app.tester_match,
        Some(3),
        "nothing matched: the last rule serves"
    );
    app.update(special(Key::Esc));
    assert!(app.overlay.is_none() && app.tester_match.is_none());
}

#[test]
fn help_opens_and_closes() {
    let mut app = editing(CONFIG, 3);
    app.update(k('?'));
    assert!(matches!(app.overlay, Some(Overlay::Help(_))));
    app.update(special(Key::Esc));
    assert!(app.overlay.is_none());
}

#[test]
fn pickers_lead_to_a_tunnel() {
    let (mut app, fx) = App::remote(None, None);
    assert_eq!(fx, vec![Effect::ListAccounts]);
    let accounts = vec![
        Account {
            id: "a1".into(),
            name: "Prod".into(),
        },
        Account {
            id: "a2".into(),
            name: "Staging".into(),
        },
    ];
    app.update(Event::Accounts(Ok(accounts)));
    assert!(matches!(app.mode, Mode::PickAccount(_)));
    app.update(k('j'));
    assert_eq!(
        app.update(special(Key::Enter)),
        vec![Effect::ListTunnels {
            account: "a2".into()
        }]
    );
    let t = |id: &str, name: &str| Tunnel {
        id: id.into(),
        name: name.into(),
        status: "healthy".into(),
        config_src: "cloudflare".into(),
    };
    app.update(Event::Tunnels(Ok(vec![
        t("t1", "web"),
        t("t2", "db"),
        t("t3", "webhooks"),
    ])));
    app.update(k('/'));
    typ(&mut app, "hook");
    app.update(special(Key::Enter));
    let fx = app.update(special(Key::Enter));
    assert_eq!(
        fx,
        vec![Effect::LoadRemote {
            account: "a2".into(),
            tunnel: "t3".into()
        }]
    );
    assert!(
        matches!(&app.origin, Some(Origin::Remote { tunnel_name, account_name, .. }) if tunnel_name == "webhooks" && account_name == "Staging")
    );
}

/// A file snapshot as the effects read it: its config and its exact text.
fn file_snap(text: &str, format: Format) -> Snapshot {
    let read = crate::config::files::parse_str(text, format).unwrap_or_else(|e| panic!("{e}"));
    Snapshot {
        config: Some(read.config),
        has_comments: text.contains('#'),
        file: Some(text.into()),
        ..Snapshot::default()
    }
}

const COMMENTED_YAML: &str = "# Production tunnel: ask #ops before changing.
tunnel: 6ff42ae2-765d-4adf-8112-31c55c1551ef

ingress:
  # The API
  - hostname: a.example.com
    service: http://localhost:8001   # port from the compose file

  - hostname: b.example.com
    path: ^/api/
    service: 'http://localhost:8002'
  - hostname: c.example.com
    service: http://localhost:8003
  - service: http_status:404
";

#[test]
fn file_mode_reviews_and_writes_the_exact_bytes() {
    let (mut app, fx) = App::file("/tmp/x/config.yml".into(), Format::Yaml);
    assert_eq!(fx, vec![Effect::LoadFile]);
    app.update(Event::Loaded(Ok(file_snap(COMMENTED_YAML, Format::Yaml))));
    app.update(k('G'));
    app.update(k('k'));
    app.update(k('d')); // c.example.com
    assert_eq!(app.update(k('p')), vec![Effect::FetchFile]);
    upd(
        &mut app,
        Event::Current(Ok(file_snap(COMMENTED_YAML, Format::Yaml))),
    );
    let review::Review { diff, .. } = review_of(&app);
    let changed: Vec<&str> = diff
        .iter()
        .map(String::as_str)
        .filter(|l| (l.starts_with('-') || l.starts_with('+')) && !l.starts_with("---"))
        .filter(|l| !l.starts_with("+++"))
        .collect();
    assert_eq!(
        changed,
        [
            "-  - hostname: c.example.com",
            "-    service: http://localhost:8003"
        ],
        "{diff:#?}"
    );
    let fx = app.update(k('y'));
    let [Effect::WriteFile { text, expected, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(
        *text,
        COMMENTED_YAML.replace(
            "  - hostname: c.example.com\n    service: http://localhost:8003\n",
            ""
        ),
        "comments, blank lines and quoting stay as they were"
    );
    assert_eq!(expected.as_deref(), Some(COMMENTED_YAML));

    // A file changed on disk meanwhile is a conflict too.
    let (mut app, _) = App::file("/tmp/x/config.json".into(), Format::Json);
    app.update(Event::Loaded(Ok(snap(None, Some(cfg(CONFIG))))));
    app.update(k('d'));
    app.update(k('p'));
    upd(
        &mut app,
        Event::Current(Ok(snap(None, Some(someone_elses())))),
    );
    assert!(matches!(app.overlay, Some(Overlay::Conflict(_))));
}

#[test]
fn load_failures_can_be_retried() {
    let (mut app, _) = App::remote(Some("acct".into()), Some("tun".into()));
    app.update(Event::Loaded(Err("not found: tunnel tun".into())));
    assert!(matches!(app.mode, Mode::Failed(_)));
    assert_eq!(
        app.update(k('r')),
        vec![Effect::LoadRemote {
            account: "acct".into(),
            tunnel: "tun".into()
        }]
    );
    assert_eq!(app.update(k('q')), vec![Effect::Quit]);
}

#[test]
fn a_huge_paste_goes_in_at_once() {
    let mut app = editing(CONFIG, 3);
    app.update(k('e'));
    let big = "x".repeat(1_000_000);
    let started = std::time::Instant::now();
    app.update(Event::Paste(big));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "no hang"
    );
    app.update(special(Key::Enter));
    assert_eq!(
        app.draft.rules()[0].hostname.as_str().len(),
        1_000_000 + "a.example.com".len()
    );
}

/// The restore prompt's diff shows the draft's own changes (against its base), not the
/// difference from the remote as it is now, and says when the remote moved since.
#[test]
fn the_restore_prompt_diff_shows_the_drafts_own_changes_and_a_moved_remote() {
    let base = cfg(CONFIG);
    let mut draft_cfg = base.clone();
    let edit = history::Edit::Delete {
        index: 0,
        rule: Box::new(base.rules()[0].clone()),
    };
    edit.apply(&mut draft_cfg);
    let saved = draft::SavedDraft {
        key: draft::remote_key("acct", "tun"),
        saved_at: "2026-11-28T05:00:00Z".into(),
        base_version: Some(3),
        unpublished_new: false,
        base: base.clone().into(),
        draft: draft_cfg,
        edits: vec![edit],
        form: None,
    };
    let (mut app, _) = App::remote(Some("acct".into()), Some("tun".into()));
    // Since then, someone else added z.example.com (version 5).
    app.update(Event::Loaded(Ok(Snapshot {
        version: Some(5),
        config: Some(someone_elses()),
        has_comments: false,
        saved: Some(Box::new(saved)),
        draft_note: None,
        held_by: None,
        file: None,
    })));
    app.update(k('v'));
    let Some(Overlay::Recover(r)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    let lines = r.viewing.clone().unwrap_or_default();
    let text = lines.join("\n");
    assert!(text.contains("against version 3 (its base)"), "{text}");
    assert!(text.contains("- rule #1 a.example.com (removed)"), "{text}");
    assert!(
        !text.contains("z.example.com"),
        "their work is not shown as reverted: {text}"
    );
    assert!(
        text.contains("The remote moved since: version 3 → 5"),
        "{text}"
    );
}

#[test]
fn a_saved_draft_is_offered_restored_viewed_or_discarded() {
    let base = cfg(CONFIG);
    let mut draft_cfg = base.clone();
    let edit = history::Edit::Delete {
        index: 0,
        rule: Box::new(base.rules()[0].clone()),
    };
    edit.apply(&mut draft_cfg);
    let saved = draft::SavedDraft {
        key: draft::remote_key("acct", "tun"),
        saved_at: "2026-11-28T05:00:00Z".into(),
        base_version: Some(3),
        unpublished_new: false,
        base: base.clone().into(),
        draft: draft_cfg.clone(),
        edits: vec![edit],
        form: None,
    };
    let open = |saved: &draft::SavedDraft, version| {
        let (mut app, _) = App::remote(Some("acct".into()), Some("tun".into()));
        app.update(Event::Loaded(Ok(Snapshot {
            version: Some(version),
            config: Some(cfg(CONFIG)),
            has_comments: false,
            saved: Some(Box::new(saved.clone())),
            draft_note: None,
            held_by: None,
            file: None,
        })));
        app
    };
    let mut app = open(&saved, 5);
    assert!(matches!(app.overlay, Some(Overlay::Recover(_))));
    app.update(k('x'));
    assert!(
        matches!(app.overlay, Some(Overlay::Recover(_))),
        "a choice is needed"
    );
    app.update(k('v'));
    assert!(
        matches!(&app.overlay, Some(Overlay::Recover(r)) if r.viewing.as_ref().is_some_and(|lines| lines.iter().any(|l| l.contains("a.example.com"))))
    );
    app.update(k('j'));
    assert!(matches!(
        &app.overlay,
        Some(Overlay::Recover(r)) if r.viewing.is_some() && r.scroll == 1
    ));
    app.update(special(Key::Esc));
    assert!(matches!(
        &app.overlay,
        Some(Overlay::Recover(r)) if r.viewing.is_none() && r.scroll == 0
    ));
    app.update(k('r'));
    assert_eq!(app.draft, draft_cfg);
    assert_eq!(app.base_version, Some(3));
    assert_eq!(app.history.len(), 1);
    assert!(
        status(&app).contains("the remote moved on since (v3 → v5)"),
        "{}",
        status(&app)
    );
    // It publishes through the normal conflict check.
    app.update(k('p'));
    app.update(Event::Current(Ok(snap(Some(5), Some(cfg(CONFIG))))));
    assert!(matches!(app.overlay, Some(Overlay::Conflict(_))));
    // And the draft to save carries the history.
    let again = app.to_saved("later").unwrap_or_else(|| panic!("modified"));
    assert_eq!(again.edits.len(), 1);

    let mut app = open(&saved, 3);
    assert_eq!(app.update(k('d')), vec![Effect::DeleteDraft]);
    assert_eq!(app.draft, cfg(CONFIG));
}

#[test]
fn the_warnings_question_lists_a_few_and_counts_the_rest() {
    let rules: Vec<String> = (0..12)
        .map(|i| {
            format!(
                r#"{{"hostname":"h{i}.example.com","service":"http://localhost:{}"}}"#,
                8000 + i
            )
        })
        .chain([r#"{"service":"http_status:404"}"#.to_owned()])
        .collect();
    let mut app = editing(&format!(r#"{{"ingress":[{}]}}"#, rules.join(",")), 3);
    for i in 0..9 {
        app.table.select(i);
        app.update(k('e'));
        app.update(special(Key::Tab));
        typ(&mut app, "admin");
        app.update(special(Key::Enter));
        app.overlay = None;
    }
    assert_eq!(app.counts(), (0, 9), "{:?}", app.diagnostics());
    app.update(k('p'));
    let Some(Overlay::Confirm(c)) = &app.overlay else {
        panic!("{:?}", app.overlay)
    };
    assert_eq!(c.lines[0], "The draft has 9 new warnings:");
    assert_eq!(c.lines.len(), 1 + 5 + 1 + 1, "{:?}", c.lines);
    assert_eq!(
        c.lines[6],
        "… and 4 more new warnings (the rule table marks every warned rule)"
    );
    assert_eq!(c.lines[7], "Publish anyway?");
}

/// Presses `steps` keys drawn from `keys` (seeded by `seed`), a redo every `redo_every` steps,
/// and runs `check` after each.
fn random_keys(
    app: &mut App,
    (seed, steps, redo_every): (u64, usize, usize),
    keys: &[char],
    check: impl Fn(&App, std::fmt::Arguments<'_>),
) {
    let mut rng = crate::fixtures::Rng::new(seed);
    for step in 0..steps {
        let c = keys[rng.below(keys.len() as u64) as usize];
        if step % redo_every == 0 {
            app.update(ctrl('r'));
        }
        app.update(k(c));
        app.overlay = None;
        check(app, format_args!("after {c:?} at step {step}"));
    }
}

#[test]
fn incremental_validation_equals_a_full_pass() {
    let mut app = editing_config(crate::fixtures::scale_config(60, 3), 1);
    let keys = ['j', 'k', 'd', 'c', 'K', 'J', 'u', 'G', 'g'];
    random_keys(&mut app, (9, 400, 7), &keys, |app, after| {
        assert_fully_validated(app, after)
    });
    // Edits that make errors appear and disappear (catch-all in the middle, bad regexes).
    app.update(k('g'));
    app.update(k('e'));
    app.update(ctrl('x'));
    app.update(special(Key::Enter));
    app.update(k('e'));
    app.update(special(Key::Tab));
    typ(&mut app, "(");
    app.update(special(Key::Enter));
    for c in ['J', 'J', 'K', 'd', 'u', 'u', 'u'] {
        app.update(k(c));
        app.overlay = None;
        assert_fully_validated(&app, format_args!("after {c:?}"));
    }
}

#[test]
fn incremental_access_lint_equals_a_full_lint_after_random_edits() {
    // The lint is kept per rule and re-run only on the rules an edit changed; after any edit it
    // must equal `validate` followed by a whole lint of the draft.
    let mut app = editing_config(crate::fixtures::scale_config(120, 3), 1);
    let protected: Vec<(String, String)> = app
        .draft
        .rules()
        .iter()
        .filter_map(|r| {
            let access = r.overrides()?.access.get()?;
            let tag = access.aud_tag.get()?.first()?.clone();
            Some((r.hostname.as_str().to_owned(), tag))
        })
        .collect();
    assert!(
        protected.len() >= 2,
        "the fixture protects rules: {protected:?}"
    );
    // One rule's application exists (no warning), the others' do not (two warnings each).
    let apps = vec![crate::api::AccessApp {
        id: String::new(),
        name: "the one".to_owned(),
        app_type: "self_hosted".to_owned(),
        aud: protected[0].1.to_ascii_uppercase(),
        domains: vec![protected[0].0.clone()],
    }];
    app.update(Event::Access(Ok(Arc::new(access::AccessData {
        apps: apps.clone(),
        team: None,
    }))));
    let check = |app: &App, after: &dyn std::fmt::Display| {
        let mut full = crate::config::validate::validate(&app.draft);
        full.extend(crate::access::lint(&app.draft, &apps));
        assert_checks_are(app, &full, after);
    };
    check(&app, &"after the applications were read");
    assert!(
        app.checks
            .diagnostics()
            .iter()
            .any(|d| d.message.contains("matches no Access application")),
        "the fixture's other tags are unknown"
    );
    // Edits of the protected rules themselves: duplicated (the copy is linted), renamed onto
    // and off the application's domain, moved, deleted, undone and redone.
    let at = |app: &App, host: &str| {
        app.draft
            .rules()
            .iter()
            .position(|r| r.hostname.as_str() == host)
            .unwrap_or_else(|| panic!("{host} is in the draft"))
    };
    for (host, _) in &protected {
        app.table.select(at(&app, host));
        for keys in ["c", "ex\n", "K", "J", "d", "u", "u", "\x12", "u", "u"] {
            for c in keys.chars() {
                app.update(match c {
                    '\n' => special(Key::Enter),
                    '\x12' => ctrl('r'),
                    c => k(c),
                });
            }
            app.overlay = None;
            check(&app, &format_args!("after {keys:?} on {host}"));
        }
    }
    let other = &protected[1].0;
    app.table.select(at(&app, other));
    app.update(k('e'));
    for _ in 0..other.len() {
        app.update(special(Key::Backspace));
    }
    typ(&mut app, &protected[0].0);
    app.update(special(Key::Enter));
    app.overlay = None;
    check(&app, &"after renaming a rule onto the covered hostname");
    let keys = ['j', 'k', 'd', 'c', 'K', 'J', 'u', 'G', 'g', 'j', 'j', 'j'];
    random_keys(&mut app, (21, 300, 9), &keys, |app, after| {
        check(app, &after)
    });
}

#[test]
fn incremental_validation_with_many_warned_rules_equals_a_full_pass() {
    // More warned rules than the incremental re-check handles one by one, then edits above,
    // among and below them: only shifted rows' warnings and rules related by name to the edit
    // are re-checked, and the result must still equal a full pass.
    let mut app = editing_config(crate::fixtures::scale_config(40, 5), 1);
    for _ in 0..3 {
        app.update(k('j'));
    }
    for _ in 0..70 {
        app.update(k('c'));
    }
    app.overlay = None;
    assert!(app.checks.counts().1 >= 70, "{:?}", app.checks.counts());
    assert_fully_validated(&app, "after 70 duplicates");
    // Edits of an unrelated rule above the warned ones: nothing shifts.
    app.update(k('g'));
    for (keys, what) in [("ez", "hostname"), ("e\t/x", "path")] {
        for c in keys.chars() {
            app.update(match c {
                '\t' => special(Key::Tab),
                c => k(c),
            });
        }
        app.update(special(Key::Enter));
        app.overlay = None;
        assert_fully_validated(&app, format_args!("after editing the first rule's {what}"));
    }
    let keys = ['j', 'k', 'd', 'c', 'K', 'J', 'u', 'g', 'G', 'j', 'j'];
    random_keys(&mut app, (11, 200, 5), &keys, |app, after| {
        assert_fully_validated(app, after)
    });
}

#[test]
fn the_review_is_computed_off_the_input_path_and_can_be_cancelled() {
    let mut app = editing(CONFIG, 3);
    app.update(k('d'));
    app.update(k('p'));
    let current = || Event::Current(Ok(snap(Some(3), Some(cfg(CONFIG)))));
    // The answer to "unchanged?" only asks for the review; keys still work meanwhile.
    let fx = app.update(current());
    let [Effect::Review(first)] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let first = first.as_ref().clone();
    assert!(
        matches!(&app.overlay, Some(Overlay::Progress(p)) if matches!(p.wait, overlays::progress::Wait::Preparing(_)))
    );
    assert!(app.update(k('x')).is_empty());
    assert!(
        matches!(&app.overlay, Some(Overlay::Progress(p)) if matches!(p.wait, overlays::progress::Wait::Preparing(_)))
    );
    // Esc cancels; the late answer is dropped and nothing can be published from it.
    app.update(special(Key::Esc));
    assert!(app.overlay.is_none());
    assert!(
        status(&app).contains("publish cancelled"),
        "{}",
        status(&app)
    );
    app.update(Event::Reviewed(Ok(Box::new(
        first.clone().compute().unwrap_or_else(|e| panic!("{e}")),
    ))));
    assert!(app.overlay.is_none());
    // Asking again: the stale answer to the first request is still ignored, the new one shows.
    app.update(k('p'));
    let fx = app.update(current());
    app.update(Event::Reviewed(Ok(Box::new(
        first.compute().unwrap_or_else(|e| panic!("{e}")),
    ))));
    assert!(
        matches!(&app.overlay, Some(Overlay::Progress(p)) if matches!(p.wait, overlays::progress::Wait::Preparing(_)))
    );
    settle(&mut app, fx);
    let review::Review { summary, .. } = review_of(&app);
    assert!(
        summary.iter().any(|l| l.contains("a.example.com")),
        "{summary:?}"
    );
}

#[test]
fn a_yaml_file_is_reviewed_as_yaml_on_both_sides() {
    let yaml = crate::config::files::to_yaml_string(&cfg(CONFIG)).unwrap_or_else(|e| panic!("{e}"));
    let (mut app, _) = App::file("/tmp/x/config.yml".into(), Format::Yaml);
    app.update(Event::Loaded(Ok(file_snap(&yaml, Format::Yaml))));
    app.update(k('d'));
    app.update(k('p'));
    upd(&mut app, Event::Current(Ok(file_snap(&yaml, Format::Yaml))));
    let review::Review { diff, .. } = review_of(&app);
    let changed: Vec<&String> = diff
        .iter()
        .filter(|l| (l.starts_with('-') || l.starts_with('+')) && !l.starts_with("---"))
        .filter(|l| !l.starts_with("+++"))
        .collect();
    assert!(
        !changed.is_empty() && changed.iter().all(|l| l.starts_with('-')),
        "only the deleted rule's lines change: {diff:#?}"
    );
    assert!(
        diff.iter().any(|l| l.contains("hostname: a.example.com")),
        "{diff:#?}"
    );
}

#[test]
fn the_detail_pane_is_hidden_until_asked_for_and_the_page_follows() {
    let mut app = editing(CONFIG, 3);
    app.update(Event::Resize(120, 40));
    assert!(!app.table.show_details);
    let full = app.page();
    app.update(k('i'));
    assert!(app.table.show_details);
    assert_eq!(app.page(), full - 12, "the pane takes 12 rows at 40 lines");
    app.update(k('i'));
    assert_eq!(app.page(), full);
}

#[test]
fn incremental_cross_rule_checks_equal_a_full_pass_under_renames() {
    use crate::config::model::Setting;
    let mut rules = crate::config::validate::tests::tangled(5, 30);
    rules.push(IngressRule::new(crate::config::model::RuleFields {
        service: Setting::Set("http_status:404".to_owned()),
        ..crate::config::model::RuleFields::default()
    }));
    let config = TunnelConfig {
        ingress: Setting::Set(rules),
        ..TunnelConfig::default()
    };
    let mut app = editing_config(config, 1);
    let pool = crate::config::validate::tests::tangled(77, 400);
    let mut rng = crate::fixtures::Rng::new(11);
    for step in 0..600 {
        let n = app.draft.rules().len();
        let i = rng.below(n.saturating_sub(1).max(1) as u64) as usize;
        let other = pool[step % pool.len()].clone();
        let edit = match rng.below(6) {
            0 | 1 => Edit::SetRule {
                index: i,
                before: Box::new(app.draft.rules()[i].clone()),
                after: Box::new(IngressRule::new(crate::config::model::RuleFields {
                    service: app.draft.rules()[i].service.clone(),
                    ..crate::config::model::RuleFields::clone(&other)
                })),
            },
            2 => Edit::Insert {
                index: i,
                rule: Box::new(other),
                verb: "add",
            },
            3 if n > 2 => Edit::Delete {
                index: i,
                rule: Box::new(app.draft.rules()[i].clone()),
            },
            4 if n > 2 => Edit::Move {
                from: i,
                to: (i + 1).min(n - 2),
                rule: Box::new(app.draft.rules()[i].clone()),
            },
            _ => {
                app.update(k('u'));
                if step % 3 == 0 {
                    app.update(ctrl('r'));
                }
                assert_fully_validated(&app, format_args!("after undo/redo at step {step}"));
                continue;
            }
        };
        let described = format!("{edit:?}");
        app.apply(edit);
        assert_fully_validated(&app, format_args!("after {described} at step {step}"));
    }
}

#[test]
fn a_message_stays_until_the_next_key() {
    let mut app = editing(CONFIG, 3);
    app.update(k('d'));
    assert!(status(&app).starts_with("did: delete"), "{}", status(&app));
    // Results that arrive meanwhile do not clear it; the next key does.
    app.update(Event::Resize(100, 30));
    assert!(status(&app).starts_with("did: delete"), "{}", status(&app));
    app.update(k('j'));
    assert!(app.messages.current.is_none(), "{:?}", app.messages.current);
    app.update(k('u'));
    assert!(
        status(&app).starts_with("undid: delete"),
        "{}",
        status(&app)
    );
}

#[test]
fn the_review_scrolls_within_bounds() {
    let mut app = editing(CONFIG, 3);
    app.update(Event::Resize(80, 24));
    app.update(k('d'));
    app.update(k('p'));
    upd(
        &mut app,
        Event::Current(Ok(snap(Some(3), Some(cfg(CONFIG))))),
    );
    let scroll = |app: &App| match &app.overlay {
        Some(Overlay::Review(p)) => (p.scroll, p.review.diff.len()),
        other => panic!("{other:?}"),
    };
    let (_, lines) = scroll(&app);
    assert!(lines > 3, "a diff to scroll");
    app.update(k('j'));
    assert_eq!(scroll(&app).0, 1);
    app.update(k('k'));
    app.update(k('k'));
    assert_eq!(scroll(&app).0, 0, "not above the top");
    app.update(special(Key::PageDown));
    assert_eq!(scroll(&app).0, lines - 1, "not past the last line");
    app.update(special(Key::PageUp));
    assert_eq!(scroll(&app).0, 0);
    app.update(k('x'));
    assert!(app.overlay.is_none(), "any other key goes back to editing");
}

// ---- Issue 12: the rough edges of a real on-call session ----

fn visible_status(app: &App) -> String {
    app.message_lines(200).join(" ")
}

#[test]
fn with_a_filter_actions_never_reach_hidden_rules() {
    let mut app = editing(CONFIG, 3);
    app.update(k('/'));
    typ(&mut app, "zzz");
    app.update(special(Key::Enter));
    assert_eq!(app.visible_rules(), Vec::<usize>::new());
    assert_eq!(app.current_rule(), None);
    for key in ['d', 'e', 'c', 'K', 'J'] {
        app.update(k(key));
        assert!(app.overlay.is_none(), "{key}");
        assert!(!app.is_modified(), "{key} touched a hidden rule");
        assert!(
            status(&app).contains("the filter shows none"),
            "{key}: {}",
            status(&app)
        );
    }
    // A filter that shows one rule: the selection is that rule.
    app.update(special(Key::Esc));
    app.update(k('/'));
    typ(&mut app, "b.ex");
    app.update(special(Key::Enter));
    assert_eq!(app.current_rule(), Some(1));
    app.update(k('d'));
    assert_eq!(hosts(&app), vec!["a.example.com", "c.example.com", ""]);
}

#[test]
fn an_added_rule_the_filter_hides_clears_the_filter() {
    let mut app = editing(CONFIG, 3);
    app.update(k('/'));
    typ(&mut app, "b.ex");
    app.update(special(Key::Enter));
    app.update(k('a'));
    typ(&mut app, "new.example.com");
    app.update(special(Key::Tab));
    app.update(special(Key::Tab));
    typ(&mut app, "http://localhost:1");
    app.update(special(Key::Enter));
    assert!(app.table.filter.is_empty(), "the new rule is in view");
    assert_eq!(app.current_rule(), Some(2));
    assert!(
        status(&app).contains("the filter was cleared to show it"),
        "{}",
        status(&app)
    );
    // Undo lands on a rule the filter hides: it is shown too.
    app.update(k('/'));
    typ(&mut app, "a.ex");
    app.update(special(Key::Enter));
    app.update(k('u'));
    app.update(k('u'));
    assert_eq!(app.history.len(), 0);
}

#[test]
fn esc_clears_the_filter_and_never_quits() {
    let mut app = editing(CONFIG, 3);
    app.update(k('/'));
    typ(&mut app, "c.ex");
    app.update(special(Key::Enter));
    assert_eq!(app.table.filter, "c.ex");
    assert!(app.update(special(Key::Esc)).is_empty());
    assert!(app.table.filter.is_empty() && !app.quit);
    // Esc, Esc again, after a form: never quits.
    app.update(k('e'));
    app.update(special(Key::Esc));
    for _ in 0..3 {
        assert!(app.update(special(Key::Esc)).is_empty());
        assert!(!app.quit);
    }
    assert!(
        status(&app).contains("Esc does not quit: q quits"),
        "{}",
        status(&app)
    );
    assert_eq!(app.update(k('q')), vec![Effect::Quit]);
}

#[test]
fn messages_and_the_filter_hint_both_stay_visible() {
    let mut app = editing(CONFIG, 3);
    app.update(k('/'));
    typ(&mut app, "ex");
    app.update(special(Key::Enter));
    app.update(k('c'));
    assert!(app.table.filter_active());
    assert!(
        status(&app).starts_with("did: duplicate"),
        "{}",
        status(&app)
    );
    // Layout: one line for the filter, one for the message.
    let l = app.layout(ratatui::layout::Rect::new(0, 0, 80, 24));
    assert_eq!(l.status.height, 2);
}

#[test]
fn long_messages_wrap_and_the_log_keeps_every_message() {
    let mut app = editing(CONFIG, 3);
    let long = format!(
        "the API answered with rate limiting these credentials (HTTP 429); {} retry after 30 seconds",
        "x ".repeat(30)
    );
    app.error(long.clone());
    let lines = app.message_lines(60);
    assert!(lines.len() > 1 && lines.len() <= 3, "{lines:?}");
    assert!(lines.join(" ").contains("retry after 30"), "{lines:?}");
    let very_long = "word ".repeat(200);
    app.error(very_long);
    let lines = app.message_lines(60);
    assert_eq!(lines.len(), 3);
    assert!(lines[2].ends_with("(m shows it all)"), "{lines:?}");
    // The log keeps both, in full.
    app.update(k('m'));
    assert!(matches!(app.overlay, Some(Overlay::Log(_))));
    assert_eq!(app.messages.log.len(), 2);
    assert_eq!(app.messages.log[0].status.text, long);
    app.update(k('m'));
    assert!(app.overlay.is_none());
}

#[test]
fn changed_rows_are_marked_before_the_review() {
    let mut app = editing(CONFIG, 3);
    let marks = |app: &App| -> String {
        (0..app.draft.rules().len())
            .map(|i| app.row_change(i).map_or('.', changes::RowChange::mark))
            .collect()
    };
    assert_eq!(marks(&app), "....");
    app.update(k('J')); // a.example.com below b
    assert_eq!(marks(&app), ".^..");
    app.update(k('c')); // duplicate a
    assert_eq!(marks(&app), ".^+..");
    app.update(k('u'));
    app.update(k('K')); // and back up: nothing moved
    assert_eq!(marks(&app), "....");
    app.update(k('u'));
    app.update(k('u'));
    app.update(k('u'));
    assert_eq!(marks(&app), "....");
}

#[test]
fn a_paste_into_a_single_line_field_is_trimmed() {
    let mut app = editing(CONFIG, 3);
    app.update(k('e'));
    app.update(special(Key::Tab));
    app.update(special(Key::Tab));
    app.update(ctrl('x'));
    app.update(Event::Paste("  http://localhost:8080 \n".into()));
    let Some(Overlay::Form(form)) = &app.overlay else {
        panic!()
    };
    assert_eq!(form.fields[2].text(), "http://localhost:8080");
    assert!(form.fields[2].error.is_none(), "{:?}", form.fields[2].error);
}

#[test]
fn yes_no_and_choice_fields_react_to_typing() {
    let mut app = editing(CONFIG, 3);
    app.update(k('e'));
    let pos = |app: &App, id| match &app.overlay {
        Some(Overlay::Form(f)) => f.fields.iter().position(|x| x.id == id).unwrap_or(0),
        _ => 0,
    };
    let value = |app: &App, i: usize| match &app.overlay {
        Some(Overlay::Form(f)) => f.fields[i].text(),
        _ => String::new(),
    };
    let tls = pos(
        &app,
        forms::FieldId::Origin(crate::config::fields::OriginField::NoTlsVerify),
    );
    let proxy = pos(
        &app,
        forms::FieldId::Origin(crate::config::fields::OriginField::ProxyType),
    );
    let focus = |app: &mut App, i: usize| {
        if let Some(Overlay::Form(f)) = &mut app.overlay {
            f.focus = i;
        }
    };
    focus(&mut app, tls);
    app.update(k('t'));
    assert_eq!(value(&app, tls), "true");
    app.update(k('n'));
    assert_eq!(value(&app, tls), "false");
    app.update(k(' '));
    assert_eq!(value(&app, tls), "", "Space cycles back to unset");
    app.update(k('q'));
    let Some(Overlay::Form(f)) = &app.overlay else {
        panic!()
    };
    assert!(
        f.message
            .as_deref()
            .is_some_and(|m| m.contains("type t(rue) or f(alse)")),
        "{:?}",
        f.message
    );
    focus(&mut app, proxy);
    app.update(k('s'));
    assert_eq!(value(&app, proxy), "socks");
}

#[test]
fn empty_states_say_what_is_wrong_and_offer_a_fix() {
    let mut app = editing(r#"{"ingress":[]}"#, 2);
    assert_eq!(app.banner(), Some(Banner::NoRules));
    app.update(k('d'));
    assert!(
        status(&app).contains("there are no rules"),
        "{}",
        status(&app)
    );
    app.update(k('A'));
    assert_eq!(app.banner(), None);
    assert_eq!(app.draft.rules().len(), 1);
    assert!(app.draft.rules()[0].is_catch_all());
    assert!(!app.checks.has_errors());

    let mut app = editing(
        r#"{"ingress":[{"hostname":"a.example.com","service":"http://a"}]}"#,
        2,
    );
    assert_eq!(app.banner(), Some(Banner::NoCatchAll));
    app.update(k('A'));
    assert_eq!(app.banner(), None);
    assert_eq!(
        app.draft.rules().last().map(|r| r.service.as_str()),
        Some("http_status:404")
    );
    app.update(k('A'));
    assert!(status(&app).contains("already is a catch-all"));

    // A tunnel without config says so until it is published.
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    app.update(Event::Loaded(Ok(snap(Some(0), None))));
    assert_eq!(app.banner(), Some(Banner::NewConfig));
}

#[test]
fn file_mode_speaks_of_saving_and_creates_a_missing_file() {
    let (mut app, _) = App::file("/tmp/x/new.yml".into(), Format::Yaml);
    // The effect reads a missing file as no config.
    app.update(Event::Loaded(Ok(snap(None, None))));
    assert!(matches!(app.mode, Mode::Editing));
    assert!(app.is_modified() && app.banner() == Some(Banner::NewConfig));
    assert!(
        status(&app).contains("p saves it (creating the file)"),
        "{}",
        status(&app)
    );
    assert_eq!((app.verb(), app.verb_ed()), ("save", "saved"));
    let fx = app.update(k('p'));
    assert_eq!(fx, vec![Effect::FetchFile]);
    let fx = upd(&mut app, Event::Current(Ok(snap(None, None))));
    assert!(fx.is_empty());
    assert!(matches!(app.overlay, Some(Overlay::Review(_))));
    let fx = app.update(k('y'));
    assert!(matches!(fx.as_slice(), [Effect::WriteFile { .. }]));
    app.update(Event::Published(Err("disk full".into())));
    assert_eq!(status(&app), "not saved, your draft is kept: disk full");
    app.update(k('q'));
    let Some(Overlay::Confirm(c)) = &app.overlay else {
        panic!()
    };
    assert!(c.lines[0].contains("unsaved"), "{:?}", c.lines);
}

#[test]
fn esc_cancels_the_check_before_publishing_and_its_answer_is_dropped() {
    let mut app = editing(CONFIG, 3);
    app.update(Event::Tick(
        jiff::Timestamp::from_second(1_718_806_000)
            .unwrap_or_default()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC),
    ));
    app.update(k('d'));
    assert_eq!(app.update(k('p')).len(), 1);
    let Some(Overlay::Progress(p)) = &app.overlay else {
        panic!()
    };
    assert!(p.cancellable() && p.since.is_some());
    app.update(special(Key::Esc));
    assert!(app.overlay.is_none());
    assert!(status(&app).contains("publish cancelled"));
    // The late answer changes nothing.
    assert!(
        app.update(Event::Current(Ok(snap(Some(9), Some(cfg(CONFIG))))))
            .is_empty()
    );
    assert!(app.overlay.is_none());
    // A failed review closes only its own wait.
    app.update(k('p'));
    upd(
        &mut app,
        Event::Current(Ok(snap(Some(3), Some(cfg(CONFIG))))),
    );
    assert!(matches!(app.overlay, Some(Overlay::Review(_))));
    app.update(Event::Reviewed(Err(ReviewFailed {
        ticket: 99,
        message: "boom".into(),
    })));
    assert!(
        matches!(app.overlay, Some(Overlay::Review(_))),
        "not closed by another ticket"
    );
}

#[test]
fn the_restore_prompt_and_message_say_when_in_human_time() {
    let base = cfg(CONFIG);
    let saved = SavedDraft {
        key: draft::remote_key("acct", "tun"),
        saved_at: "2024-06-19T14:06:10Z".into(),
        base_version: Some(3),
        unpublished_new: false,
        base: Arc::new(base.clone()),
        draft: base.clone(),
        edits: Vec::new(),
        form: None,
    };
    let (mut app, _) = App::remote(Some("acct".into()), Some("tun".into()));
    app.update(Event::Tick(
        jiff::Timestamp::from_second(1_718_806_170)
            .unwrap_or_default()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC),
    ));
    app.update(Event::Loaded(Ok(Snapshot {
        saved: Some(Box::new(saved)),
        draft_note: None,
        held_by: None,
        ..snap(Some(3), Some(base))
    })));
    assert!(app.shows_clock());
    app.update(k('r'));
    assert!(
        status(&app).contains("saved 3 minutes ago, 14:06"),
        "{}",
        status(&app)
    );
}

#[test]
fn the_url_tester_reads_urls_as_browsers_send_them_and_ctrl_u_clears() {
    let mut app = editing(CONFIG, 3);
    app.update(k('t'));
    typ(&mut app, "B.Example.COM/api/x");
    assert_eq!(app.tester_match, Some(1));
    let Some(Overlay::Tester(t)) = &app.overlay else {
        panic!()
    };
    let Some(Ok(tested)) = &t.result else {
        panic!()
    };
    assert_eq!(tested.notes.len(), 2, "{:?}", tested.notes);
    app.update(ctrl('u'));
    let Some(Overlay::Tester(t)) = &app.overlay else {
        panic!()
    };
    assert!(t.input.is_empty() && t.result.is_none());
}

#[test]
fn an_unknown_tunnel_name_opens_the_picker_filtered_by_it() {
    let (mut app, fx) = App::remote_pick("acct".into(), "stagin".into());
    assert_eq!(
        fx,
        vec![Effect::ListTunnels {
            account: "acct".into()
        }]
    );
    let t = |id: &str, name: &str| Tunnel {
        id: id.into(),
        name: name.into(),
        status: "healthy".into(),
        config_src: "cloudflare".into(),
    };
    app.update(Event::Tunnels(Ok(vec![
        t("1", "production"),
        t("2", "staging"),
    ])));
    let Mode::PickTunnel(p) = &app.mode else {
        panic!()
    };
    assert_eq!(p.filter, "stagin");
    assert_eq!(p.visible(), vec![1]);
    assert!(
        p.note
            .as_deref()
            .is_some_and(|n| n.contains("No tunnel is named \"stagin\""))
    );
    let fx = app.update(special(Key::Enter));
    assert_eq!(
        fx,
        vec![Effect::LoadRemote {
            account: "acct".into(),
            tunnel: "2".into()
        }]
    );
}

#[test]
fn esc_in_a_picker_clears_its_filter_and_does_not_quit() {
    let (mut app, _) = App::remote(None, None);
    app.update(Event::Accounts(Ok(vec![
        Account {
            id: "1".into(),
            name: "One".into(),
        },
        Account {
            id: "2".into(),
            name: "Two".into(),
        },
    ])));
    app.update(k('/'));
    typ(&mut app, "tw");
    app.update(special(Key::Enter));
    assert!(app.update(special(Key::Esc)).is_empty());
    let Mode::PickAccount(p) = &app.mode else {
        panic!()
    };
    assert!(p.filter.is_empty() && !app.quit);
    assert_eq!(app.update(k('q')), vec![Effect::Quit]);
}

#[test]
fn user_keys_drive_the_app_and_its_hints() {
    let keymap = keys::Keymap::with_overrides(&[
        keys::KeyOverride {
            command: "publish".into(),
            keys: vec!["P".into()],
            at: None,
            key_at: Vec::new(),
        },
        keys::KeyOverride {
            command: "quit".into(),
            keys: vec!["Q".into()],
            at: None,
            key_at: Vec::new(),
        },
    ])
    .unwrap_or_else(|e| panic!("{e:?}"));
    let mut app = editing(CONFIG, 3).with_keymap(keymap);
    app.update(k('d'));
    assert!(app.update(k('p')).is_empty(), "p no longer publishes");
    assert_eq!(app.update(k('P')).len(), 1, "P does");
    app.update(special(Key::Esc));
    app.update(special(Key::Esc));
    assert!(status(&app).contains("Q quits"), "{}", status(&app));
    assert!(app.update(k('q')).is_empty());
    app.update(k('Q'));
    assert!(matches!(&app.overlay, Some(Overlay::Confirm(c)) if c.ask == Ask::Quit));
    let _ = visible_status(&app);
}

#[test]
fn a_saved_draft_waiting_for_its_answer_is_never_removed_and_a_failed_save_is_said() {
    let base = cfg(CONFIG);
    let mut edited = base.clone();
    edited.rules_mut().remove(0);
    let saved = SavedDraft {
        key: draft::remote_key("a", "t"),
        saved_at: "2026-11-29T18:00:00Z".into(),
        base_version: Some(3),
        unpublished_new: false,
        base: Arc::new(base.clone()),
        draft: edited,
        edits: Vec::new(),
        form: None,
    };
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    app.update(Event::Loaded(Ok(Snapshot {
        saved: Some(Box::new(saved)),
        ..snap(Some(3), Some(base))
    })));
    assert!(matches!(app.overlay, Some(Overlay::Recover(_))));
    // Nothing to save in this session yet, and the saved draft is not to be removed.
    assert!(app.to_saved("now").is_none());
    assert!(!app.may_remove_draft());
    app.update(k('q'));
    assert!(app.quit);

    let mut app = editing(CONFIG, 3);
    app.update(k('d'));
    app.update(Event::DraftSaved(Err(
        "cannot save the draft to /x: disk full".into(),
    )));
    assert!(
        status(&app).contains("YOUR EDITS ARE NOT SAVED: cannot save"),
        "{}",
        status(&app)
    );
    assert!(app.draft_failure.is_some());
    app.update(Event::DraftSaved(Ok(())));
    assert!(app.draft_failure.is_none());
    assert_eq!(status(&app), "the draft is saved again");
}

#[test]
fn h_opens_the_history_and_an_entry_loads_as_one_undoable_edit() {
    use overlays::history::HistoryItem;
    let mut app = editing(CONFIG, 3);
    let before = app.draft.clone();
    let fx = app.update(k('H'));
    assert!(
        matches!(fx.as_slice(), [Effect::ReadHistory { remote: Some(_) }]),
        "{fx:?}"
    );
    let item = |v: u64, config: Option<&str>| HistoryItem {
        time: "2026-11-29T18:00:00Z".into(),
        from_version: Some(v - 1),
        to_version: Some(v),
        who: "oncall@web1".into(),
        via: "editor".into(),
        summary: vec!["- rule #1 a.example.com (removed)".into()],
        config: config.map(str::to_owned),
        notes: Vec::new(),
    };
    app.update(Event::History(Ok(vec![
        item(3, Some("c3.json")),
        item(2, None),
    ])));
    // A pruned entry says so and stays.
    app.update(k('j'));
    app.update(special(Key::Enter));
    assert!(status(&app).contains("pruned"), "{}", status(&app));
    app.update(k('k'));
    let fx = app.update(special(Key::Enter));
    let [Effect::ReadHistoryConfig { config, label, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!((config.as_str(), label.as_str()), ("c3.json", "version 3"));
    assert!(app.overlay.is_none());
    let mut older = before.clone();
    older.rules_mut().remove(0);
    app.update(Event::HistoryConfig(Ok((
        Box::new(older.clone()),
        "version 3".into(),
    ))));
    assert_eq!(app.draft, older);
    assert_eq!(app.change_count(), 1);
    assert!(
        status(&app).contains(
            "loaded version 3 into the draft: p reviews and publishes it, u undoes the load"
        ),
        "{}",
        status(&app)
    );
    app.update(k('u'));
    assert_eq!(app.draft, before);
    assert!(!app.is_modified());
}

#[test]
fn half_typed_text_in_an_open_form_is_part_of_the_draft() {
    let mut app = editing(CONFIG, 3);
    assert!(app.to_saved("now").is_none());
    let stamp = app.save_stamp();
    app.update(k('j'));
    app.update(k('e'));
    // Into the service field, half a new address.
    app.update(special(Key::Tab));
    app.update(special(Key::Tab));
    for c in "x".chars() {
        app.update(k(c));
    }
    assert_ne!(app.save_stamp(), stamp, "typing in a form asks for a save");
    let saved = app
        .to_saved("now")
        .unwrap_or_else(|| panic!("the form is saved"));
    let form = saved.form.clone().unwrap_or_else(|| panic!("no form"));
    assert_eq!(form.form, "rule");
    assert_eq!(form.index, 1);
    let typed = form.fields.clone();
    assert_eq!(typed.len(), 1, "{typed:?}");
    assert!(typed[0].1.ends_with('x'), "{typed:?}");
    // Through the draft file and back: the form opens again with the text.
    let back = SavedDraft::from_json(&saved.to_json()).unwrap_or_else(|e| panic!("{e}"));
    let (mut fresh, _) = App::remote(Some("a".into()), Some("t".into()));
    fresh.update(Event::Loaded(Ok(Snapshot {
        saved: Some(Box::new(back)),
        ..snap(Some(3), Some(cfg(CONFIG)))
    })));
    fresh.update(k('r'));
    let Some(Overlay::Form(f)) = &fresh.overlay else {
        panic!("{:?}", fresh.overlay)
    };
    assert_eq!(f.to_draft(), Some(form));
    assert!(
        status(&fresh).contains("the form you were typing in is open again"),
        "{}",
        status(&fresh)
    );
}
