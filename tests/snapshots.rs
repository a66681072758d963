//! Every screen of the editor rendered into ratatui's TestBackend at 80×24 and 120×40, as text
//! snapshots (insta), plus the smallest sizes that must not break.

use cfingress::app::keys::{KeyCode as Key, KeyPress};
use cfingress::app::review::settle;
use cfingress::app::{Account, App, Event, Snapshot, TunnelEntry as Tunnel};
use cfingress::config::files::parse_json;
use cfingress::sandbox::DEMO_TUNNEL;
use cfingress::tui::{Theme, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const THEME: Theme = Theme {
    color: true,
    ascii: false,
};

fn render(app: &App, w: u16, h: u16) -> String {
    render_with(app, w, h, THEME)
}

fn key(app: &mut App, c: char) {
    app.update(Event::Key(KeyPress::ch(c)));
}

fn special(app: &mut App, k: Key) {
    app.update(Event::Key(KeyPress::plain(k)));
}

fn demo() -> App {
    let (mut app, _) = App::remote(
        Some("5a9d0c0ffee05a9d0c0ffee05a9d0c0f".into()),
        Some("demo".into()),
    );
    if let Some(cfingress::app::Origin::Remote {
        account_name,
        tunnel_name,
        ..
    }) = &mut app.origin
    {
        *account_name = "Sandbox Account".into();
        *tunnel_name = "demo".into();
    }
    let config = parse_json(DEMO_TUNNEL)
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    app.update(Event::Loaded(Ok(Snapshot {
        version: Some(7),
        config: Some(config),
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    })));
    app
}

fn both(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render(app, 120, 40));
}

#[test]
fn main_screen() {
    let mut app = demo();
    for _ in 0..10 {
        key(&mut app, 'j');
    }
    both("main", &app);
    // `i` shows the detail pane: the rule's problems and effective settings with their source.
    key(&mut app, 'i');
    both("main_details", &app);
}

#[test]
fn main_screen_modified_with_an_error() {
    let mut app = demo();
    key(&mut app, 'e');
    special(&mut app, Key::Tab);
    special(&mut app, Key::Tab);
    app.update(Event::Key(KeyPress::ctrl('x')));
    for c in "localhost:8080".chars() {
        key(&mut app, c);
    }
    special(&mut app, Key::Enter);
    both("main_error", &app);
    // The next key clears the message: the status line shows the selected rule's problems.
    key(&mut app, 'G');
    key(&mut app, 'g');
    let screen = render(&app, 120, 40);
    let status = screen.lines().nth(38).unwrap_or_default();
    assert!(
        status.starts_with("#1 error service: localhost:8080 is an invalid address"),
        "{status}"
    );
    // A rule with several problems says how many more the detail pane (i) shows.
    for c in "Gkkcjk".chars() {
        key(&mut app, c);
    }
    let screen = render(&app, 120, 40);
    let status = screen.lines().nth(38).unwrap_or_default();
    assert!(
        status.starts_with("#12 warning ") && status.contains(" (+1 more, i shows all): "),
        "{status}"
    );
}

#[test]
fn rule_form() {
    let mut app = demo();
    key(&mut app, 'j');
    key(&mut app, 'e');
    special(&mut app, Key::Tab);
    special(&mut app, Key::Tab);
    key(&mut app, '/');
    both("rule_form", &app);
}

#[test]
fn a_new_rule_form_judges_no_field_before_it_is_typed_in() {
    let mut app = demo();
    key(&mut app, 'a');
    let screen = render(&app, 120, 40);
    assert!(screen.contains("New rule #"), "{screen}");
    assert!(!screen.contains("invalid address"), "{screen}");
    // Typed in and emptied again: judged.
    special(&mut app, Key::Tab);
    special(&mut app, Key::Tab);
    key(&mut app, 'x');
    special(&mut app, Key::Backspace);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("invalid address"), "{screen}");
}

#[test]
fn global_form() {
    let mut app = demo();
    key(&mut app, 'o');
    both("global_form", &app);
}

#[test]
fn help() {
    let mut app = demo();
    key(&mut app, '?');
    both("help", &app);
}

#[test]
fn url_tester() {
    let mut app = demo();
    key(&mut app, 't');
    for c in "https://x.preview.example.com/".chars() {
        key(&mut app, c);
    }
    both("tester", &app);
}

/// The demo with rule 1 deleted and `p`, `y` pressed, answered by a remote config (the base,
/// changed by `remote`) at `version`; the review, if asked for, is computed.
fn publishing(
    version: u64,
    remote: impl FnOnce(&mut cfingress::config::model::TunnelConfig),
) -> App {
    let mut app = demo();
    key(&mut app, 'd');
    key(&mut app, 'p');
    key(&mut app, 'y');
    let mut config = (*app.base).clone();
    remote(&mut config);
    let fx = app.update(Event::Current(Ok(Snapshot {
        version: Some(version),
        config: Some(config),
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    })));
    settle(&mut app, fx);
    app
}

#[test]
fn review() {
    both("review", &publishing(7, |_| {}));
}

/// The demo with DNS read as the sandbox's demo has it: `hello.example.com` missing,
/// `legacy.example.com` on another tunnel, an orphan `old-app.example.com`.
fn demo_with_dns() -> App {
    const TUNNEL: &str = "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415";
    let mut app = demo();
    let mut snap = cfingress::fixtures::dns_snapshot(&app.draft, TUNNEL);
    for listing in &mut snap.listings {
        if let Ok(records) = &mut listing.records {
            for r in records.iter_mut() {
                if r.name == "legacy.example.com" {
                    r.content = "85aff937-4ba1-461f-9951-a57716403806.cfargotunnel.com".into();
                }
            }
            if listing.zone.name == "example.com" {
                let mut orphan = records[0].clone();
                orphan.id = "f".repeat(32);
                orphan.name = "old-app.example.com".into();
                orphan.content = format!("{TUNNEL}.cfargotunnel.com");
                records.push(orphan);
            }
        }
    }
    app.update(Event::DnsRead {
        ticket: 1,
        snapshot: Box::new(snap),
    });
    app
}

#[test]
fn dns_column_details_and_review() {
    let mut app = demo_with_dns();
    for _ in 0..11 {
        key(&mut app, 'j');
    }
    key(&mut app, 'i');
    both("main_dns_details", &app);
    key(&mut app, 'i');
    // A rule added: its record is created after the publish; the take-over and the orphan's
    // deletion wait for a toggle (here the orphan's, selected with Tab and turned on with x).
    key(&mut app, 'a');
    for c in "new.example.com".chars() {
        key(&mut app, c);
    }
    special(&mut app, Key::Tab);
    special(&mut app, Key::Tab);
    for c in "http://10.0.0.5:8080".chars() {
        key(&mut app, c);
    }
    special(&mut app, Key::Enter);
    key(&mut app, 'p');
    key(&mut app, 'y');
    let base = (*app.base).clone();
    let fx = app.update(Event::Current(Ok(Snapshot {
        version: Some(7),
        config: Some(base),
        has_comments: false,
        saved: None,
        ..Snapshot::default()
    })));
    settle(&mut app, fx);
    for _ in 0..3 {
        special(&mut app, Key::Tab);
    }
    key(&mut app, 'x');
    both("review_dns", &app);
}

#[test]
fn conflict() {
    let app = publishing(9, |config| {
        config.rules_mut().remove(11);
    });
    both("conflict", &app);
}

#[test]
fn quit_confirmation() {
    let mut app = demo();
    key(&mut app, 'd');
    key(&mut app, 'q');
    both("quit", &app);
}

#[test]
fn pickers_and_loading() {
    let (mut app, _) = App::remote(None, None);
    both("loading", &app);
    app.update(Event::Accounts(Ok(vec![
        Account {
            id: "699d98642c564d2e855e9661899b7252".into(),
            name: "Production".into(),
        },
        Account {
            id: "0c0ffee0c0ffee0c0ffee0c0ffee0c0f".into(),
            name: "Staging".into(),
        },
    ])));
    both("account_picker", &app);
    special(&mut app, Key::Enter);
    let t = |id: &str, name: &str, status: &str| Tunnel {
        id: id.into(),
        name: name.into(),
        status: status.into(),
        config_src: "cloudflare".into(),
    };
    app.update(Event::Tunnels(Ok(vec![
        t("f70ff985-a4ef-4643-bbbc-4a0ed4fc8415", "office", "healthy"),
        t("0b1b4f3b-c2a7-4a9c-8e2b-b4f6a5c9e1d0", "lab", "down"),
    ])));
    both("tunnel_picker", &app);
    app.update(Event::Loaded(Err(
        "the API token was refused (Invalid access token (code 9109))".into(),
    )));
    both("failed", &app);
}

#[test]
fn tiny_terminals_do_not_break() {
    let mut app = demo();
    for (w, h) in [(20, 5), (1, 1), (30, 8), (80, 10)] {
        let _ = render(&app, w, h);
    }
    key(&mut app, 'e');
    for (w, h) in [(20, 5), (1, 1), (25, 6)] {
        let _ = render(&app, w, h);
    }
}

#[test]
fn hostile_text_is_shown_inert() {
    let json = "{\"ingress\":[{\"hostname\":\"a\\u001b]0;owned\\u0007.example.com\",\"service\":\"http://x\\u202e\"},{\"service\":\"http_status:404\"}]}";
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    let config = parse_json(json).unwrap_or_else(|e| panic!("{e}")).config;
    app.update(Event::Loaded(Ok(Snapshot {
        version: Some(1),
        config: Some(config),
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    })));
    let screen = render(&app, 120, 40);
    assert!(
        !screen.contains('\u{1b}') && !screen.contains('\u{7}') && !screen.contains('\u{202e}')
    );
    assert!(
        screen.contains("a\\x1b]0;owned\\x07.example.com"),
        "{screen}"
    );
}

#[test]
fn huge_configs_and_hostnames_neither_panic_nor_hang() {
    let started = std::time::Instant::now();
    let mut config = cfingress::fixtures::scale_config(100_000, 1);
    config.rules_mut()[0].hostname =
        cfingress::config::Setting::Set("h".repeat(100_000) + ".example.com");
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    app.update(Event::Loaded(Ok(Snapshot {
        version: Some(1),
        config: Some(config),
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    })));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("Ingress rules (100000)"), "{screen}");
    key(&mut app, 'G');
    let screen = render(&app, 80, 24);
    assert!(screen.contains("(catch-all)"));
    key(&mut app, 'd');
    key(&mut app, 'g');
    key(&mut app, 'e');
    let _ = render(&app, 80, 24);
    special(&mut app, Key::Esc);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "took {:?}",
        started.elapsed()
    );
}

// ---- Screens without a snapshot before issue 12 ----

fn render_with(app: &App, w: u16, h: u16, theme: Theme) -> String {
    let mut app = app.clone();
    app.update(Event::Resize(w, h));
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
    terminal
        .draw(|f| view::draw(f, &app, theme))
        .unwrap_or_else(|e| panic!("{e}"));
    let buf = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_owned()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The clock at 2024-06-19 14:09:30 UTC.
fn tick() -> Event {
    Event::Tick(
        jiff::Timestamp::from_second(1_718_806_170)
            .unwrap_or_default()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC),
    )
}

#[test]
fn restore_draft() {
    let mut app = demo();
    app.update(tick());
    key(&mut app, 'd');
    let saved = app
        .to_saved("2024-06-19T14:06:10Z")
        .unwrap_or_else(|| panic!("modified"));
    let mut fresh = demo();
    fresh.update(tick());
    fresh.update(Event::Loaded(Ok(Snapshot {
        version: Some(8),
        config: Some((*app.base).clone()),
        has_comments: false,
        saved: Some(Box::new(saved)),
        draft_note: None,
        held_by: None,
        file: None,
    })));
    both("restore_draft", &fresh);
    key(&mut fresh, 'v');
    both("restore_draft_diff", &fresh);
}

#[test]
fn warnings_question() {
    // A duplicated rule is a new warning (the demo's own warning is already published, so it
    // is not asked about again).
    let mut app = demo();
    key(&mut app, 'c');
    key(&mut app, 'p');
    both("warnings_question", &app);
}

#[test]
fn preparing_the_review() {
    let mut app = demo();
    app.update(tick());
    key(&mut app, 'd');
    key(&mut app, 'p');
    key(&mut app, 'y');
    // Checking the source, 12 s in.
    app.update(Event::Tick(
        jiff::Timestamp::from_second(1_718_806_182)
            .unwrap_or_default()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC),
    ));
    both("checking_the_source", &app);
    let config = (*app.base).clone();
    app.update(Event::Current(Ok(Snapshot {
        version: Some(7),
        config: Some(config),
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    })));
    both("preparing_the_review", &app);
}

#[test]
fn warp_form() {
    let mut app = demo();
    key(&mut app, 'w');
    both("warp_form", &app);
}

#[test]
fn active_filter() {
    let mut app = demo();
    key(&mut app, '/');
    for c in "example.com".chars() {
        key(&mut app, c);
    }
    both("filter_typing", &app);
    special(&mut app, Key::Enter);
    key(&mut app, 'c');
    // The message and the filter both show.
    both("filter_kept_with_a_message", &app);
}

#[test]
fn message_log() {
    let mut app = demo();
    app.update(tick());
    key(&mut app, 'd');
    key(&mut app, 'u');
    key(&mut app, 'G');
    key(&mut app, 'd'); // the catch-all cannot be deleted: an error
    key(&mut app, 'm');
    both("message_log", &app);
}

#[test]
fn help_at_200_columns() {
    let mut app = demo();
    key(&mut app, '?');
    insta::assert_snapshot!("help_200x50", render(&app, 200, 50));
    // Scrolled to its end in a short window, the help still says how to close it.
    for _ in 0..200 {
        key(&mut app, 'j');
    }
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Keys (Esc closes, j/k scroll)"), "{screen}");
    assert!(
        screen.contains("Ctrl-l"),
        "the last lines are reachable: {screen}"
    );
}

#[test]
fn empty_states_and_a_new_tunnel() {
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    app.update(Event::Loaded(Ok(Snapshot {
        version: Some(2),
        config: Some(
            parse_json(r#"{"ingress":[]}"#)
                .unwrap_or_else(|e| panic!("{e}"))
                .config,
        ),
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    })));
    both("no_rules", &app);
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    app.update(Event::Loaded(Ok(Snapshot {
        version: Some(0),
        config: None,
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    })));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("This tunnel has no remote config yet"),
        "{screen}"
    );
}

#[test]
fn ascii_mode_draws_only_ascii() {
    let ascii = Theme {
        color: false,
        ascii: true,
    };
    let mut app = demo();
    for _ in 0..10 {
        key(&mut app, 'j');
    }
    key(&mut app, 'd');
    key(&mut app, 'i');
    let check = |app: &App, what: &str| {
        for (w, h) in [(80, 24), (120, 40)] {
            let screen = render_with(app, w, h, ascii);
            assert!(screen.is_ascii(), "{what} at {w}x{h}:\n{screen}");
        }
    };
    check(&app, "main screen");
    key(&mut app, 'e');
    special(&mut app, Key::Tab);
    special(&mut app, Key::Tab);
    app.update(Event::Key(KeyPress::ctrl('x')));
    for c in "localhost".chars() {
        key(&mut app, c);
    }
    check(&app, "rule form with an error");
    special(&mut app, Key::Esc);
    key(&mut app, 'y');
    key(&mut app, '?');
    check(&app, "help");
    special(&mut app, Key::Esc);
    key(&mut app, 't');
    for c in "x.preview.example.com".chars() {
        key(&mut app, c);
    }
    check(&app, "URL tester");
    special(&mut app, Key::Esc);
    key(&mut app, 'p');
    check(&app, "warnings question");
    key(&mut app, 'y');
    check(&app, "checking");
    let (mut picker, _) = App::remote(None, None);
    picker.update(Event::Accounts(Ok(vec![
        Account {
            id: "a".into(),
            name: "A".into(),
        },
        Account {
            id: "b".into(),
            name: "B".into(),
        },
    ])));
    key(&mut picker, '/');
    check(&picker, "picker with a filter");
}

#[test]
fn rule_numbers_fit_and_cut_cells_say_so() {
    let config = cfingress::fixtures::scale_config(20_000, 3);
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    app.update(Event::Loaded(Ok(Snapshot {
        version: Some(1),
        config: Some(config),
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    })));
    key(&mut app, 'G');
    for _ in 0..8 {
        key(&mut app, 'k');
    }
    let screen = render(&app, 80, 24);
    for n in 19_991..=19_999 {
        assert!(
            screen.contains(&format!(" {n} "))
                || screen.contains(&format!(">{n}"))
                || screen.contains(&format!("▶{n}")),
            "{n} in full:\n{screen}"
        );
    }
    assert!(screen.contains('…'), "cut cells end with …:\n{screen}");
    // A long hostname keeps its end.
    let json = r#"{"ingress":[{"hostname":"a-very-long-service-name-for-the-legacy-billing.example.com","service":"http://x"},{"service":"http_status:404"}]}"#;
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    app.update(Event::Loaded(Ok(Snapshot {
        version: Some(1),
        config: Some(parse_json(json).unwrap_or_else(|e| panic!("{e}")).config),
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    })));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("billing.example.com "), "{screen}");
    assert!(screen.contains("…"), "{screen}");
}

#[test]
fn a_focused_field_shows_control_characters() {
    let mut app = demo();
    key(&mut app, 'e');
    app.update(Event::Key(KeyPress::ctrl('x')));
    app.update(Event::Paste("a\u{1b}]0;x".into()));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("a\\x1b]0;x"), "{screen}");
    assert!(!screen.contains('\u{1b}'));
}

#[test]
fn the_detail_pane_scrolls_and_shows_unknown_keys() {
    let json = r#"{"ingress":[{"hostname":"a.example.com","service":"http://x","x-owner":"team-a","originRequest":{"connectTimeout":5,"x-note":"keep"}},{"service":"http_status:404"}]}"#;
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    app.update(Event::Loaded(Ok(Snapshot {
        version: Some(1),
        config: Some(parse_json(json).unwrap_or_else(|e| panic!("{e}")).config),
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    })));
    key(&mut app, 'i');
    let screen = render(&app, 80, 24);
    assert!(screen.contains("unknown keys"), "{screen}");
    assert!(screen.contains("x-owner=\"team-a\""), "{screen}");
    let before = render(&app, 80, 24);
    key(&mut app, ']');
    let after = render(&app, 80, 24);
    assert_ne!(before, after, "the pane scrolled");
    assert!(after.contains("x-note"), "{after}");
    for _ in 0..20 {
        key(&mut app, ']');
    }
    let end = render(&app, 80, 24);
    assert!(
        end.contains("environment"),
        "the last setting is reachable: {end}"
    );
}

#[test]
fn publish_history() {
    use cfingress::app::overlays::history::HistoryItem;
    let mut app = demo();
    app.update(tick());
    key(&mut app, 'H');
    both("history_reading", &app);
    let item = |from: u64, via: &str, summary: &[&str], notes: &[&str]| HistoryItem {
        time: format!("2024-06-19T1{from}:04:05Z"),
        from_version: Some(from),
        to_version: Some(from + 1),
        who: "oncall@bastion".into(),
        via: via.into(),
        summary: summary.iter().map(|s| (*s).to_owned()).collect(),
        config: Some(format!("c{from}.json")),
        notes: notes.iter().map(|s| (*s).to_owned()).collect(),
    };
    app.update(Event::History(Ok(vec![
        item(
            6,
            "editor",
            &["~ rule #2 app.example.com", "    service \"http://a\" → \"http://b\""],
            &["someone else published version 7 between cfingress's last check (version 6) and this publish (version 8): this publish replaced it"],
        ),
        item(5, "apply config.yml", &["+ rule #1 www.example.com (added)"], &[]),
        item(4, "rollback to version 3", &["- rule #9 old.example.com (removed)"], &[]),
    ])));
    both("history", &app);
}

#[test]
fn rebase_conflicts() {
    // I delete the first rule; someone else changed its service meanwhile.
    let mut app = demo();
    let mut theirs = (*app.base).clone();
    theirs.rules_mut()[0].service =
        cfingress::config::model::Setting::Set("http://10.0.0.9:8080".into());
    key(&mut app, 'd');
    key(&mut app, 'p');
    app.update(Event::Current(Ok(Snapshot {
        version: Some(8),
        config: Some(theirs),
        ..Snapshot::default()
    })));
    key(&mut app, 'r');
    both("rebase", &app);
}

fn connector(n: u8, version: &str, config: Option<u64>, colo: &str) -> cfingress::api::Connector {
    cfingress::api::Connector {
        id: format!("{n}{n}{n}{n}{n}{n}{n}{n}-0000-4000-8000-000000000000"),
        version: version.to_owned(),
        arch: "linux_amd64".to_owned(),
        config_version: config,
        run_at: "2024-06-19T10:00:00Z".to_owned(),
        features: Vec::new(),
        conns: vec![cfingress::api::Connection {
            id: String::new(),
            colo_name: colo.to_owned(),
            origin_ip: format!("203.0.113.{n}"),
            is_pending_reconnect: false,
            opened_at: String::new(),
        }],
    }
}

#[test]
fn rollout_panel_status_view_and_access_picker() {
    let mut app = demo();
    app.update(tick());
    app.update(Event::Published(Ok(cfingress::app::Published {
        version: Some(8),
        message: "Published version 8 (was 7)".into(),
        warnings: Vec::new(),
    })));
    let mut rollout = cfingress::rollout::Rollout::new(8);
    rollout.observe(
        vec![
            connector(1, "2024.6.0", Some(8), "FRA"),
            connector(2, "2024.6.0", Some(8), "AMS"),
            connector(3, "2023.2.1", Some(7), "LHR"),
        ],
        std::time::Duration::from_secs(12),
    );
    app.update(Event::Rollout {
        ticket: 1,
        update: Ok(rollout),
        over: false,
    });
    both("rollout_panel", &app);
    special(&mut app, Key::Esc);
    key(&mut app, 's');
    app.update(Event::Status(Ok(Box::new(
        cfingress::app::rollout::TunnelStatus {
            name: "demo".into(),
            status: "degraded".into(),
            config_version: 8,
            connectors: vec![
                connector(1, "2024.6.0", Some(8), "FRA"),
                connector(3, "2023.2.1", Some(7), "LHR"),
            ],
        },
    ))));
    both("status_view", &app);
    special(&mut app, Key::Esc);
    app.update(Event::Access(Ok(std::sync::Arc::new(
        cfingress::app::access::AccessData {
            apps: vec![
                cfingress::api::AccessApp {
                    id: String::new(),
                    name: "Grafana".into(),
                    app_type: "self_hosted".into(),
                    aud: "9a0c5e8b1f2d3c4b5a69788776655443".into(),
                    domains: vec!["grafana.example.com".into()],
                },
                cfingress::api::AccessApp {
                    id: String::new(),
                    name: "Internal tools".into(),
                    app_type: "self_hosted".into(),
                    aud: "5b1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f".into(),
                    domains: vec!["*.example.com".into()],
                },
            ],
            team: Some("example".into()),
        },
    ))));
    for _ in 0..3 {
        key(&mut app, 'j');
    }
    key(&mut app, 'e');
    app.update(Event::Key(KeyPress::ctrl('p')));
    both("access_picker", &app);
}

#[test]
fn the_tunnel_picker_health_column() {
    let (mut app, _) = App::remote(Some("5a9d0c0ffee05a9d0c0ffee05a9d0c0f".into()), None);
    let t = |id: &str, name: &str, status: &str| Tunnel {
        id: id.into(),
        name: name.into(),
        status: status.into(),
        config_src: "cloudflare".into(),
    };
    app.update(Event::Tunnels(Ok(vec![
        t(
            "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415",
            "web-prod",
            "healthy",
        ),
        t(
            "1c5ee0a2-6a4b-4c8e-9f62-0d3b7e2f9a11",
            "staging",
            "degraded",
        ),
        t(
            "9b2d4c6e-0f1a-4b3c-8d5e-7f6a5b4c3d2e",
            "old-office",
            "inactive",
        ),
    ])));
    let month = cfingress::rollout::cloudflared::Month {
        year: 2024,
        month: 6,
    };
    app.update(Event::Health(
        "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415".into(),
        Ok(cfingress::rollout::Health::of(
            "healthy",
            &[
                connector(1, "2024.6.0", Some(8), "FRA"),
                connector(2, "2024.6.0", Some(8), "AMS"),
                connector(3, "2024.6.0", Some(7), "LHR"),
            ],
            Some(8),
            month,
        )),
    ));
    both("tunnel_picker_health", &app);
    // HEALTH has priority: at 80 columns the id gives way (marked as cut), the health does not.
    let narrow = render(&app, 80, 24);
    assert!(narrow.contains("healthy · 3 conn · 1 old"), "{narrow}");
    assert!(narrow.contains("f70ff985-"), "{narrow}");
    assert!(narrow.contains('…'), "{narrow}");
    assert!(render(&app, 120, 40).contains("f70ff985-a4ef-4643-bbbc-4a0ed4fc8415 "));
}

#[test]
fn the_message_log_loses_no_character_where_lines_wrap() {
    for n in 10..60 {
        let text = format!(
            "{}still on 1 after 1m 0s (s: the tunnel's status); add it to the token",
            "ab ".repeat(n)
        );
        let mut app = demo();
        app.update(tick());
        app.messages.push(text, false, None);
        key(&mut app, 'm');
        for (w, h) in [(80, 24), (100, 30)] {
            let screen = render(&app, w, h);
            let words: Vec<String> = screen
                .lines()
                .map(|l| l.replace(['│', '╭', '╮', '╰', '╯', '─'], " "))
                .collect::<Vec<_>>();
            let words: Vec<&str> = words.iter().flat_map(|l| l.split_whitespace()).collect();
            for needed in ["0s", "(s:", "status);", "add", "token"] {
                assert!(words.contains(&needed), "{n} at {w}: {needed}\n{screen}");
            }
        }
    }
}

#[test]
fn a_long_form_message_wraps_so_the_permission_shows() {
    let mut app = demo();
    key(&mut app, 'j');
    key(&mut app, 'e');
    let Some(cfingress::app::overlays::Overlay::Form(form)) = &mut app.overlay else {
        panic!("no form");
    };
    form.message = Some(format!(
        "cannot list the Access applications: {}",
        cfingress::effects::connectors::why(&cfingress::api::ApiError::MissingPermission {
            permission: "Account > Access: Apps and Policies > Read",
            detail: "Authentication error (code 10000)".into(),
        })
    ));
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(&app, w, h).replace(['│', '\n'], " ");
        let words = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            words.contains("Account > Access: Apps and Policies > Read"),
            "{w}: {}",
            render(&app, w, h)
        );
    }
    insta::assert_snapshot!("form_long_message_80x24", render(&app, 80, 24));
}
