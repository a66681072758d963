//! The editor's DNS, as keys and answers in, state and effects out: the column filling in
//! after the config, edits judged at once, the review's toggles, the changes made after the
//! PUT and each reported, a missing permission named once, a review of DNS alone.

use super::super::keys::{KeyCode as Key, KeyPress};
use super::super::review::settle;
use super::super::*;
use super::DnsMade;
use crate::api::{DnsRecord, Zone};
use crate::dns::plan::Applied;
use crate::dns::{Action as DnsAction, Snapshot as DnsSnapshot, State, Unreadable, ZoneListing};

const TUNNEL: &str = "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415";
const CONFIG: &str = r#"{"ingress":[
  {"hostname":"a.example.com","service":"http://localhost:8001"},
  {"hostname":"b.example.com","service":"http://localhost:8002"},
  {"hostname":"c.example.com","service":"http://localhost:8003"},
  {"service":"http_status:404"}]}"#;

fn record(id: u8, name: &str, content: &str, proxied: bool) -> DnsRecord {
    DnsRecord {
        id: format!("{id:032x}"),
        kind: "CNAME".to_owned(),
        name: name.to_owned(),
        content: content.to_owned(),
        proxied,
        comment: None,
    }
}

/// example.com: a ok, b DNS-only, c missing, and an orphan old.example.com.
fn listing() -> DnsSnapshot {
    let target = format!("{TUNNEL}.cfargotunnel.com");
    let zone = Zone {
        id: format!("{:032x}", 1),
        name: "example.com".to_owned(),
        status: "active".to_owned(),
    };
    DnsSnapshot {
        tunnel_id: TUNNEL.to_owned(),
        zones: Ok(vec![zone.clone()]),
        listings: vec![ZoneListing {
            zone,
            records: Ok(vec![
                record(1, "a.example.com", &target, true),
                record(2, "b.example.com", &target, false),
                record(3, "old.example.com", &target, true),
            ]),
            complete: true,
        }],
        unsearched: 0,
        tunnels: None,
    }
}

fn denied(permission: &'static str) -> DnsSnapshot {
    DnsSnapshot {
        zones: Err(Unreadable {
            message: format!("the token lacks a permission this needs: {permission}"),
            permission: Some(permission),
        }),
        listings: Vec::new(),
        ..listing()
    }
}

/// An editor on the tunnel, and the ticket of the DNS listing it asked for.
fn editing() -> (App, u64) {
    let (mut app, _) = App::remote(Some("acct".into()), Some(TUNNEL.into()));
    let config = crate::config::files::parse_json_str(CONFIG).unwrap_or_else(|e| panic!("{e}"));
    let fx = app.update(Event::Loaded(Ok(Snapshot {
        version: Some(3),
        config: Some(config),
        has_comments: false,
        saved: None,
        ..Snapshot::default()
    })));
    let ticket = match fx.as_slice() {
        [
            Effect::ReadAccess { .. },
            Effect::ReadDns {
                account,
                tunnel,
                rules,
                ticket,
            },
        ] => {
            assert_eq!((account.as_str(), tunnel.as_str()), ("acct", TUNNEL));
            assert_eq!(
                crate::dns::check::record_names_of(rules),
                ["a.example.com", "b.example.com", "c.example.com"]
            );
            *ticket
        }
        other => panic!("the config loads, then DNS is read in the background: {other:?}"),
    };
    // The table is usable at once: the column says DNS is being read.
    assert!(matches!(app.mode, Mode::Editing) && app.dns.reading);
    assert_eq!(app.dns.header(), Some(("DNS…".to_owned(), false)));
    (app, ticket)
}

fn read(app: &mut App, ticket: u64, snapshot: DnsSnapshot) {
    app.update(Event::DnsRead {
        ticket,
        snapshot: Box::new(snapshot),
    });
}

fn key(app: &mut App, c: char) -> Vec<Effect> {
    let fx = app.update(Event::Key(KeyPress::ch(c)));
    settle(app, fx)
}

fn special(app: &mut App, k: Key) -> Vec<Effect> {
    app.update(Event::Key(KeyPress::plain(k)))
}

fn states(app: &App) -> Vec<Option<State>> {
    (0..app.draft.rules().len())
        .map(|i| app.dns_of_rule(i).map(|h| h.state))
        .collect()
}

fn add_rule(app: &mut App, host: &str) {
    key(app, 'a');
    for c in host.chars() {
        key(app, c);
    }
    special(app, Key::Tab);
    special(app, Key::Tab);
    for c in "http://10.0.0.5:8080".chars() {
        key(app, c);
    }
    special(app, Key::Enter);
}

/// `p`, then the remote unchanged at version 3: the review (computed in place).
fn review(app: &mut App) -> &overlays::review::ReviewPane {
    let fx = key(app, 'p');
    assert!(
        matches!(fx.as_slice(), [Effect::FetchRemote { .. }]),
        "{fx:?}"
    );
    let base = (*app.base).clone();
    let fx = app.update(Event::Current(Ok(Snapshot {
        version: Some(3),
        config: Some(base),
        has_comments: false,
        saved: None,
        ..Snapshot::default()
    })));
    let rest = settle(app, fx);
    assert!(rest.is_empty(), "{rest:?}");
    match &app.overlay {
        Some(Overlay::Review(r)) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_dns_column_fills_in_after_the_config_and_follows_edits() {
    let (mut app, ticket) = editing();
    assert_eq!(states(&app), vec![None; 4]);
    // An answer to an older request is dropped.
    read(&mut app, ticket - 1, denied("Zone > Zone > Read"));
    assert!(app.dns.report.is_none());
    read(&mut app, ticket, listing());
    assert_eq!(
        states(&app),
        vec![
            Some(State::Ok),
            Some(State::NotProxied),
            Some(State::Missing),
            None
        ]
    );
    assert_eq!(
        app.dns.header(),
        Some(("DNS: 1 missing, 1 not-proxied, 1 orphan".to_owned(), true))
    );
    let detail = app.dns_detail(2).unwrap_or_default();
    assert!(
        detail.starts_with("DNS: missing: no record in zone example.com")
            && detail.contains("Publishing creates a proxied CNAME"),
        "{detail}"
    );
    assert!(
        app.dns_detail(3)
            .unwrap_or_default()
            .contains("needs no record")
    );
    // A rule added is judged at once; the orphan's name, used again, is no orphan.
    add_rule(&mut app, "old.example.com");
    assert_eq!(app.dns_of_rule(1).map(|h| h.state), Some(State::Ok));
    assert_eq!(
        app.dns.header(),
        Some(("DNS: 1 missing, 1 not-proxied".to_owned(), true))
    );
    // D reads DNS again, for the draft's hostnames.
    let fx = key(&mut app, 'D');
    assert!(
        matches!(fx.as_slice(), [Effect::ReadDns { rules, ticket: t, .. }]
            if crate::dns::check::record_names_of(rules).len() == 4 && *t == ticket + 1),
        "{fx:?}"
    );
}

#[test]
fn the_review_plans_dns_and_the_chosen_changes_follow_the_put() {
    let (mut app, ticket) = editing();
    read(&mut app, ticket, listing());
    add_rule(&mut app, "new.example.com");
    let pane = review(&mut app);
    let dns = pane
        .review
        .dns
        .as_ref()
        .unwrap_or_else(|| panic!("no DNS section"));
    let plan: Vec<(DnsAction, &str, bool)> = dns
        .changes
        .iter()
        .map(|c| (c.action, c.hostname.as_str(), c.on))
        .collect();
    // Creates are on; the take-over and the deletion wait for an explicit toggle.
    assert_eq!(
        plan,
        vec![
            (DnsAction::Create, "new.example.com", true),
            (DnsAction::Create, "c.example.com", true),
            (DnsAction::Proxy, "b.example.com", false),
            (DnsAction::Delete, "old.example.com", false),
        ]
    );
    // Tab to the orphan, x deletes it, x again keeps it, x once more deletes it; then Tab
    // twice (round to c.example.com) and x: c's record is not created.
    for _ in 0..3 {
        special(&mut app, Key::Tab);
    }
    for _ in 0..3 {
        key(&mut app, 'x');
    }
    special(&mut app, Key::Tab);
    special(&mut app, Key::Tab);
    key(&mut app, 'x');
    let fx = key(&mut app, 'y');
    assert!(
        matches!(fx.as_slice(), [Effect::PublishRemote { .. }]),
        "{fx:?}"
    );
    let fx = app.update(Event::Published(Ok(Published {
        version: Some(4),
        message: "Published version 4 (was 3)".to_owned(),
        warnings: Vec::new(),
    })));
    let changes = match fx.as_slice() {
        [
            Effect::DeleteDraft,
            Effect::MakeDns {
                changes, config, ..
            },
        ] => {
            assert_eq!(config.rules().len(), 5);
            changes.clone()
        }
        other => panic!("the DNS changes come after the PUT: {other:?}"),
    };
    let made: Vec<(DnsAction, &str)> = changes
        .iter()
        .map(|c| (c.action, c.hostname.as_str()))
        .collect();
    assert_eq!(
        made,
        vec![
            (DnsAction::Create, "new.example.com"),
            (DnsAction::Delete, "old.example.com")
        ],
        "what was toggled on, nothing else"
    );
    assert!(
        matches!(&app.overlay, Some(Overlay::Progress(p)) if p.what == "the config is published; making 2 DNS changes…")
    );
    // Each change is reported; the summary says the publish and the DNS outcome together.
    let fx = app.update(Event::DnsMade(Box::new(DnsMade {
        applied: vec![
            Applied {
                change: changes[0].clone(),
                result: Err("81053: a record with that host already exists".to_owned()),
                permission: None,
            },
            Applied {
                change: changes[1].clone(),
                result: Ok(()),
                permission: None,
            },
        ],
        skipped: Vec::new(),
    })));
    // Only now (after the DNS outcome) the rollout panel opens.
    assert!(
        matches!(&app.overlay, Some(Overlay::Rollout(_))),
        "{:?}",
        app.overlay
    );
    let status = app
        .messages
        .current
        .clone()
        .unwrap_or_else(|| panic!("no message"));
    assert_eq!(
        status.text,
        "Published version 4 (was 3); DNS: 1 deleted, 1 failed (new.example.com: 81053: a record with that host already exists)"
    );
    assert!(status.error);
    let log: Vec<&str> = app
        .messages
        .log
        .iter()
        .map(|l| l.status.text.as_str())
        .collect();
    assert!(log.contains(&"DNS: deleted old.example.com"), "{log:?}");
    assert!(
        log.contains(
            &"DNS: create new.example.com failed: 81053: a record with that host already exists"
        ),
        "{log:?}"
    );
    // DNS is read again: the failed one stays in the column, to retry; the rollout of the
    // published version is watched.
    assert!(
        matches!(
            fx.as_slice(),
            [
                Effect::ReadDns { .. },
                Effect::WatchRollout { version: 4, .. }
            ]
        ),
        "{fx:?}"
    );
}

#[test]
fn p_with_an_unchanged_config_reviews_dns_alone() {
    let (mut app, ticket) = editing();
    read(&mut app, ticket, listing());
    // The remote is read again first (nothing is made when it moved), then the review.
    let pane = review(&mut app);
    assert!(pane.review.dns_only);
    assert!(!pane.review.is_empty());
    let fx = key(&mut app, 'y');
    match fx.as_slice() {
        [Effect::MakeDns { changes, .. }] => {
            assert_eq!(changes.len(), 1);
            assert_eq!(changes[0].hostname, "c.example.com");
        }
        other => panic!("no config is sent, only the DNS change: {other:?}"),
    }
    let fx = app.update(Event::DnsMade(Box::new(DnsMade {
        applied: vec![Applied {
            change: crate::dns::propose(
                app.dns
                    .report
                    .as_ref()
                    .unwrap_or_else(|| panic!("no report")),
                crate::dns::Choices::DEFAULT,
            )
            .remove(0),
            result: Ok(()),
            permission: None,
        }],
        skipped: Vec::new(),
    })));
    assert_eq!(
        app.messages.current.as_ref().map(|s| s.text.as_str()),
        Some("DNS: 1 created")
    );
    assert!(matches!(fx.as_slice(), [Effect::ReadDns { .. }]));
}

#[test]
fn a_token_without_dns_permissions_publishes_and_the_permission_is_named_once() {
    let (mut app, ticket) = editing();
    read(&mut app, ticket, denied("Zone > Zone > Read"));
    assert_eq!(
        states(&app),
        vec![
            Some(State::Unknown),
            Some(State::Unknown),
            Some(State::Unknown),
            None
        ]
    );
    assert_eq!(
        app.dns.header(),
        Some((
            "DNS unknown (token lacks Zone > Zone > Read)".to_owned(),
            true
        ))
    );
    // Read again: not named again.
    let fx = key(&mut app, 'D');
    let Some(Effect::ReadDns { ticket, .. }) = fx.first() else {
        panic!("{fx:?}")
    };
    read(&mut app, *ticket, denied("Zone > Zone > Read"));
    let named = app
        .messages
        .log
        .iter()
        .filter(|l| l.status.text.contains("Zone > Zone > Read"))
        .count();
    assert_eq!(named, 1);
    // The config still publishes; no DNS change is attempted.
    add_rule(&mut app, "new.example.com");
    let pane = review(&mut app);
    assert!(
        pane.review
            .dns
            .as_ref()
            .is_some_and(|d| d.changes.is_empty())
    );
    let fx = key(&mut app, 'y');
    assert!(matches!(fx.as_slice(), [Effect::PublishRemote { .. }]));
    let fx = app.update(Event::Published(Ok(Published {
        version: Some(4),
        message: "Published version 4 (was 3)".to_owned(),
        warnings: Vec::new(),
    })));
    assert!(
        matches!(
            fx.as_slice(),
            [
                Effect::DeleteDraft,
                Effect::ReadDns { .. },
                Effect::WatchRollout { .. }
            ]
        ),
        "{fx:?}"
    );
    // Edit permission missing when the changes are made: told once for all of them.
    let (mut app, ticket) = editing();
    read(&mut app, ticket, listing());
    add_rule(&mut app, "new.example.com");
    review(&mut app);
    key(&mut app, 'y');
    let fx = app.update(Event::Published(Ok(Published {
        version: Some(4),
        message: "Published version 4 (was 3)".to_owned(),
        warnings: Vec::new(),
    })));
    let Some(Effect::MakeDns { changes, .. }) = fx.get(1) else {
        panic!("{fx:?}")
    };
    let lacks = |c: &crate::dns::Change| Applied {
        change: c.clone(),
        result: Err("the token lacks a permission this needs: Zone > DNS > Edit".to_owned()),
        permission: Some("Zone > DNS > Edit"),
    };
    app.update(Event::DnsMade(Box::new(DnsMade {
        applied: changes.iter().map(lacks).collect(),
        skipped: Vec::new(),
    })));
    let text = app
        .messages
        .current
        .clone()
        .map(|s| s.text)
        .unwrap_or_default();
    assert_eq!(
        text,
        "Published version 4 (was 3); DNS: 2 failed (the token lacks Zone > DNS > Edit)"
    );
}

#[test]
fn a_file_has_no_dns() {
    let (mut app, fx) = App::file("/tmp/x.json".into(), crate::config::files::Format::Json);
    assert!(matches!(fx.as_slice(), [Effect::LoadFile]));
    let config = crate::config::files::parse_json_str(CONFIG).unwrap_or_else(|e| panic!("{e}"));
    let fx = app.update(Event::Loaded(Ok(Snapshot {
        version: None,
        config: Some(config),
        has_comments: false,
        saved: None,
        ..Snapshot::default()
    })));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(app.dns.header(), None);
    assert_eq!(app.dns_detail(0), None);
}

#[test]
fn a_large_config_is_judged_off_the_input_path() {
    let n = super::JUDGE_AT_ONCE + 1;
    let mut rules: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"hostname":"h{i}.example.com","service":"http://localhost:8001"}}"#))
        .collect();
    rules.push(r#"{"service":"http_status:404"}"#.to_owned());
    let json = format!(r#"{{"ingress":[{}]}}"#, rules.join(","));
    let (mut app, _) = App::remote(Some("acct".into()), Some(TUNNEL.into()));
    let config = crate::config::files::parse_json_str(&json).unwrap_or_else(|e| panic!("{e}"));
    let fx = app.update(Event::Loaded(Ok(Snapshot {
        version: Some(3),
        config: Some(config),
        has_comments: false,
        saved: None,
        ..Snapshot::default()
    })));
    let Some(Effect::ReadDns { ticket, .. }) = fx.get(1) else {
        panic!("{fx:?}")
    };
    let ticket = *ticket;
    let fx = app.update(Event::DnsRead {
        ticket,
        snapshot: Box::new(listing()),
    });
    let judge = |fx: &[Effect]| match fx {
        [Effect::JudgeDns { ticket, rules, .. }] => (*ticket, rules.len()),
        other => panic!("judged in the background: {other:?}"),
    };
    let (first, hosts) = judge(&fx);
    assert_eq!(
        hosts,
        n + 1,
        "one hostname per rule (the catch-all's is empty)"
    );
    assert_eq!(app.dns.header(), Some(("DNS…".to_owned(), false)));
    // An edit while it is judged asks for nothing more yet.
    let before = app.draft.rules().to_vec();
    let fx = key(&mut app, 'd');
    assert!(fx.is_empty(), "{fx:?}");
    // The answer (for the draft before the edit) is kept, and the draft as it is now asked for.
    let fx = settle(
        &mut app,
        vec![Effect::JudgeDns {
            ticket: first,
            rules: before,
            snapshot: Arc::new(listing()),
        }],
    );
    assert!(fx.is_empty(), "settled in place: {fx:?}");
    assert!(app.dns.report.is_some());
    assert!(app.dns.judging.is_none(), "the newest draft was judged too");
    assert_eq!(app.dns.report_generation, Some(app.generation));
    // Rows find their state by name: the rule after the deleted one still has its own.
    assert_eq!(
        app.dns_of_rule(0).map(|h| h.hostname.as_str()),
        Some("h1.example.com")
    );
    // A new listing drops the answer for the old one.
    let fx = key(&mut app, 'D');
    let Some(Effect::ReadDns { ticket, .. }) = fx.first() else {
        panic!("{fx:?}")
    };
    let fx = app.update(Event::DnsRead {
        ticket: *ticket,
        snapshot: Box::new(listing()),
    });
    let (second, _) = judge(&fx);
    let fx = app.update(Event::DnsRead {
        ticket: *ticket,
        snapshot: Box::new(listing()),
    });
    let (third, _) = judge(&fx);
    assert!(third > second);
    app.update(Event::DnsJudged {
        ticket: second,
        report: Ok(Box::new(
            crate::dns::Report {
                tunnel_id: TUNNEL.to_owned(),
                hosts: Vec::new(),
                orphans: Vec::new(),
                unreadable: None,
                notes: Vec::new(),
                missing_permissions: Vec::new(),
            }
            .into(),
        )),
    });
    assert!(
        app.dns.report.as_ref().is_some_and(|r| !r.hosts.is_empty()),
        "the judgement of the replaced listing is dropped"
    );
    assert!(app.dns.judging.is_some());
}

#[test]
fn a_dns_only_review_waits_for_the_remote_read_and_nothing_is_made_when_it_moved() {
    let (mut app, ticket) = editing();
    read(&mut app, ticket, listing());
    let fx = key(&mut app, 'p');
    assert!(
        matches!(fx.as_slice(), [Effect::FetchRemote { .. }]),
        "{fx:?}"
    );
    let base = (*app.base).clone();
    let fx = app.update(Event::Current(Ok(Snapshot {
        version: Some(4),
        config: Some(base),
        ..Snapshot::default()
    })));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        matches!(&app.overlay, Some(Overlay::Conflict(_))),
        "{:?}",
        app.overlay
    );
}

#[test]
fn a_publish_with_dns_changes_and_warnings_says_both_then_the_warnings_window() {
    let (mut app, ticket) = editing();
    read(&mut app, ticket, listing());
    add_rule(&mut app, "new.example.com");
    review(&mut app);
    let fx = key(&mut app, 'y');
    assert!(
        matches!(fx.as_slice(), [Effect::PublishRemote { .. }]),
        "{fx:?}"
    );
    let fx = app.update(Event::Published(Ok(Published {
        version: Some(4),
        message: "Published version 4 (was 3)".to_owned(),
        warnings: vec!["the journal could not be written".to_owned()],
    })));
    let Some(Effect::MakeDns { changes, .. }) = fx.get(1) else {
        panic!("{fx:?}")
    };
    // While the DNS changes are made, neither the warnings nor the rollout show.
    assert!(
        matches!(&app.overlay, Some(Overlay::Progress(p)) if p.wait == Wait::Dns),
        "{:?}",
        app.overlay
    );
    assert!(app.rollout.is_none());
    let applied = changes
        .iter()
        .map(|change| Applied {
            change: change.clone(),
            result: Ok(()),
            permission: None,
        })
        .collect();
    let fx = app.update(Event::DnsMade(Box::new(DnsMade {
        applied,
        skipped: Vec::new(),
    })));
    match &app.overlay {
        Some(Overlay::Alert(a)) => assert_eq!(
            a.lines.first().map(String::as_str),
            Some("Published version 4 (was 3); DNS: 2 created"),
            "{:?}",
            a.lines
        ),
        other => panic!("the warnings window: {other:?}"),
    }
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::WatchRollout { version: 4, .. })),
        "{fx:?}"
    );
}
