//! Every state, orphans and plans, from listings built by hand.

use super::plan::{MAX_COMMENT, comment, left_alone, orphans_kept};
use super::*;
use crate::api::{DnsRecord, Zone};
use crate::config::files::parse_json_str;
use crate::config::model::TunnelConfig;

const T: &str = "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415";
const OTHER: &str = "0b5d7c3e-9f1a-4e2b-8c6d-5a4f3e2d1c0b";
const GONE: &str = "11111111-2222-4333-8444-555555555555";

fn target(id: &str) -> String {
    names::tunnel_target(id)
}

fn zone(id: u8, name: &str) -> Zone {
    Zone {
        id: format!("{id:032x}"),
        name: name.to_owned(),
        status: "active".to_owned(),
    }
}

fn rec(n: u32, kind: &str, name: &str, content: &str, proxied: bool) -> DnsRecord {
    DnsRecord {
        id: format!("{n:032x}"),
        kind: kind.to_owned(),
        name: name.to_owned(),
        content: content.to_owned(),
        proxied,
        comment: None,
    }
}

fn config(hosts: &[&str]) -> TunnelConfig {
    let mut rules: Vec<serde_json::Value> = hosts
        .iter()
        .map(|h| serde_json::json!({"hostname": h, "service": "http://localhost:1"}))
        .collect();
    rules.push(serde_json::json!({"service": "http_status:404"}));
    parse_json_str(&serde_json::json!({ "ingress": rules }).to_string())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn snapshot(zones: Vec<Zone>, records: Vec<(usize, Vec<DnsRecord>)>) -> Snapshot {
    let listings = records
        .into_iter()
        .map(|(i, rs)| ZoneListing {
            zone: zones[i].clone(),
            records: Ok(rs),
            complete: true,
        })
        .collect();
    Snapshot {
        tunnel_id: T.to_owned(),
        zones: Ok(zones),
        listings,
        unsearched: 0,
        tunnels: Some(vec![
            (T.to_owned(), "prod".to_owned()),
            (OTHER.to_owned(), "staging".to_owned()),
        ]),
    }
}

fn state_of<'r>(report: &'r Report, host: &str) -> (&'r str, String) {
    let h = report
        .hosts
        .iter()
        .find(|h| h.hostname == host)
        .unwrap_or_else(|| panic!("no {host} in {report:#?}"));
    (h.state.as_str(), h.message.clone().unwrap_or_default())
}

#[test]
fn every_state_is_told_apart() {
    let zones = vec![zone(1, "example.com"), zone(2, "example.org")];
    let records = vec![
        rec(1, "CNAME", "ok.example.com", &target(T), true),
        rec(2, "CNAME", "dnsonly.example.com", &target(T), false),
        rec(3, "CNAME", "staging.example.com", &target(OTHER), true),
        rec(4, "CNAME", "gone.example.com", &target(GONE), true),
        rec(5, "A", "web.example.com", "192.0.2.1", true),
        rec(6, "AAAA", "web.example.com", "2001:db8::1", true),
        rec(7, "CNAME", "elsewhere.example.com", "lb.example.net", true),
        rec(8, "TXT", "ok.example.com", "v=spf1 -all", false),
    ];
    let cfg = config(&[
        "ok.example.com",
        "new.example.com",
        "dnsonly.example.com",
        "staging.example.com",
        "gone.example.com",
        "web.example.com",
        "elsewhere.example.com",
        "typo.exmaple.com",
        "a b.example.com",
    ]);
    let report = check(&cfg, &snapshot(zones, vec![(0, records)]));
    assert_eq!(state_of(&report, "ok.example.com").0, "ok");
    let (s, m) = state_of(&report, "new.example.com");
    assert_eq!(s, "missing");
    assert!(m.contains("does not resolve"), "{m}");
    assert_eq!(state_of(&report, "dnsonly.example.com").0, "not-proxied");
    let (s, m) = state_of(&report, "staging.example.com");
    assert_eq!(s, "other-tunnel");
    assert!(m.contains("tunnel staging (0b5d7c3e"), "{m}");
    let (s, m) = state_of(&report, "gone.example.com");
    assert_eq!(s, "other-tunnel");
    assert!(m.contains("a deleted tunnel (11111111"), "{m}");
    let (s, m) = state_of(&report, "web.example.com");
    assert_eq!(s, "conflict");
    assert!(
        m.contains("A record 192.0.2.1, AAAA record 2001:db8::1 hold the name"),
        "{m}"
    );
    let (s, m) = state_of(&report, "elsewhere.example.com");
    assert_eq!(s, "conflict");
    assert!(m.contains("CNAME to lb.example.net"), "{m}");
    let (s, m) = state_of(&report, "typo.exmaple.com");
    assert_eq!(s, "no-zone");
    assert!(m.contains("zones: example.com, example.org"), "{m}");
    let (s, m) = state_of(&report, "a b.example.com");
    assert_eq!(s, "no-zone");
    assert!(m.contains("a space"), "{m}");
    assert_eq!(
        report.summary(),
        "1 ok, 1 missing, 1 not-proxied, 2 other-tunnel, 2 conflict, 2 no-zone"
    );
    assert!(!report.is_clean());
    assert!(report.orphans.is_empty());
}

#[test]
fn the_longest_zone_holds_the_name_and_rules_share_a_record() {
    let zones = vec![zone(1, "example.com"), zone(2, "dev.example.com")];
    let cfg = config(&[
        "app.dev.example.com",
        "App.Dev.Example.com",
        "app.dev.example.com",
    ]);
    // The parent zone has a record of that name, but the longer zone holds it.
    let snap = snapshot(
        zones,
        vec![
            (
                0,
                vec![rec(1, "CNAME", "app.dev.example.com", &target(T), true)],
            ),
            (1, vec![]),
        ],
    );
    let report = check(&cfg, &snap);
    assert_eq!(report.hosts.len(), 1, "one record for the three rules");
    assert_eq!(report.hosts[0].rules, vec![0, 1, 2]);
    assert_eq!(report.hosts[0].state, State::Missing);
    assert_eq!(
        report.hosts[0].zone.as_ref().map(|z| z.name.as_str()),
        Some("dev.example.com")
    );
    // The record in the parent zone is shadowed by the longer zone, but a rule still uses its
    // name: not an orphan to delete.
    assert!(report.orphans.is_empty());
}

#[test]
fn wildcards_idn_and_orphans() {
    let zones = vec![zone(1, "example.com")];
    let records = vec![
        rec(1, "CNAME", "*.preview.example.com", &target(T), true),
        rec(2, "CNAME", "xn--bcher-kva.example.com", &target(T), true),
        rec(3, "CNAME", "old.example.com", &target(T), true),
        rec(4, "CNAME", "pr-1.apps.example.com", &target(T), true),
        rec(5, "CNAME", "*.legacy.example.com", &target(OTHER), true),
        rec(6, "CNAME", "*.svc.example.com", &target(T), true),
        rec(7, "A", "x.api.svc.example.com", "192.0.2.7", false),
    ];
    let cfg = config(&[
        "*.preview.example.com",
        "bücher.example.com",
        "*.apps.example.com",
        "a.legacy.example.com",
        "new.svc.example.com",
        "api.svc.example.com",
    ]);
    let report = check(&cfg, &snapshot(zones, vec![(0, records)]));
    assert_eq!(state_of(&report, "*.preview.example.com").0, "ok");
    assert_eq!(state_of(&report, "bücher.example.com").0, "ok");
    assert_eq!(report.hosts[1].name, "xn--bcher-kva.example.com");
    // A wildcard rule has no wildcard record: missing; its subdomain record is not an orphan.
    assert_eq!(state_of(&report, "*.apps.example.com").0, "missing");
    let (s, m) = state_of(&report, "a.legacy.example.com");
    assert_eq!(s, "missing");
    assert!(
        m.contains("the wildcard record *.legacy.example.com (CNAME to 0b5d7c3e"),
        "{m}"
    );
    let (s, m) = state_of(&report, "new.svc.example.com");
    assert_eq!(s, "ok");
    assert!(
        m.contains("served by the wildcard record *.svc.example.com"),
        "{m}"
    );
    // api.svc.example.com exists as a node (x.api.svc has a record): the wildcard does not answer.
    assert_eq!(state_of(&report, "api.svc.example.com").0, "missing");
    let orphans: Vec<&str> = report
        .orphans
        .iter()
        .map(|o| o.record.name.as_str())
        .collect();
    assert_eq!(orphans, vec!["*.svc.example.com", "old.example.com"]);
}

#[test]
fn unreadable_dns_is_unknown_and_names_the_permission_once() {
    let cfg = config(&["a.example.com", "b.example.com"]);
    let denied = Unreadable {
        message: "the token lacks a permission this needs: Zone > Zone > Read".to_owned(),
        permission: Some("Zone > Zone > Read"),
    };
    let snap = Snapshot {
        tunnel_id: T.to_owned(),
        zones: Err(denied.clone()),
        listings: vec![],
        unsearched: 0,
        tunnels: None,
    };
    let report = check(&cfg, &snap);
    assert!(report.hosts.iter().all(|h| h.state == State::Unknown));
    assert_eq!(report.missing_permissions, vec!["Zone > Zone > Read"]);
    assert!(report.has_unknown());
    assert_eq!(report.unreadable, Some(denied));

    let zones = vec![zone(1, "example.com")];
    let snap = Snapshot {
        tunnel_id: T.to_owned(),
        zones: Ok(zones.clone()),
        listings: vec![ZoneListing {
            zone: zones[0].clone(),
            records: Err(Unreadable {
                message: "no DNS".to_owned(),
                permission: Some("Zone > DNS > Read"),
            }),
            complete: true,
        }],
        unsearched: 3,
        tunnels: None,
    };
    let report = check(&cfg, &snap);
    assert_eq!(report.count(State::Unknown), 2);
    assert_eq!(report.missing_permissions, vec!["Zone > DNS > Read"]);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("zone example.com could not be read"))
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("3 zones of the account were not searched"))
    );

    // No zone at all: a likely missing permission is named.
    let report = check(&cfg, &snapshot(vec![], vec![]));
    let (s, m) = state_of(&report, "a.example.com");
    assert_eq!(s, "no-zone");
    assert!(m.contains("Zone > Zone > Read"), "{m}");
}

#[test]
fn a_pending_zone_is_said() {
    let mut z = zone(1, "example.com");
    z.status = "pending".to_owned();
    let report = check(
        &config(&["a.example.com"]),
        &snapshot(
            vec![z],
            vec![(0, vec![rec(1, "CNAME", "a.example.com", &target(T), true)])],
        ),
    );
    let (s, m) = state_of(&report, "a.example.com");
    assert_eq!(s, "ok");
    assert!(m.contains("zone example.com is pending"), "{m}");
}

#[test]
fn plans_create_by_default_and_never_touch_other_records_unasked() {
    let zones = vec![zone(1, "example.com")];
    let records = vec![
        rec(2, "CNAME", "dnsonly.example.com", &target(T), false),
        rec(3, "CNAME", "staging.example.com", &target(OTHER), true),
        rec(5, "A", "web.example.com", "192.0.2.1", true),
        rec(7, "CNAME", "elsewhere.example.com", "lb.example.net", true),
        rec(9, "CNAME", "old.example.com", &target(T), true),
        rec(10, "A", "stale.example.com", "192.0.2.9", true),
    ];
    let cfg = config(&[
        "new.example.com",
        "dnsonly.example.com",
        "staging.example.com",
        "web.example.com",
        "elsewhere.example.com",
    ]);
    let report = check(&cfg, &snapshot(zones, vec![(0, records)]));
    let all = propose(&report, Choices::DEFAULT);
    let on: Vec<String> = all.iter().filter(|c| c.on).map(Change::describe).collect();
    assert_eq!(
        on,
        vec!["create new.example.com: a proxied CNAME to this tunnel"]
    );
    let kinds: Vec<(Action, &str)> = all
        .iter()
        .map(|c| (c.action, c.hostname.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (Action::Create, "new.example.com"),
            (Action::Proxy, "dnsonly.example.com"),
            (Action::Repoint, "staging.example.com"),
            (Action::Repoint, "elsewhere.example.com"),
            (Action::Delete, "old.example.com"),
        ]
    );
    // Never an A record, whatever is chosen.
    let every = propose(
        &report,
        Choices {
            create: true,
            prune: true,
            take_over: true,
        },
    );
    assert!(every.iter().all(|c| c.on));
    assert!(
        every
            .iter()
            .filter_map(|c| c.record.as_ref())
            .all(|r| r.kind == "CNAME")
    );
    let left: Vec<&str> = left_alone(&report, &every)
        .iter()
        .map(|h| h.hostname.as_str())
        .collect();
    assert_eq!(left, vec!["web.example.com"]);
    let left: Vec<&str> = left_alone(&report, &all)
        .iter()
        .map(|h| h.hostname.as_str())
        .collect();
    assert_eq!(
        left,
        vec![
            "dnsonly.example.com",
            "staging.example.com",
            "web.example.com",
            "elsewhere.example.com"
        ]
    );
    assert_eq!(orphans_kept(&all).len(), 1);
    assert_eq!(orphans_kept(&every).len(), 0);
}

#[test]
fn comments_name_the_tunnel_within_the_limit() {
    assert_eq!(
        comment(T, Some("prod")),
        format!("cfingress: tunnel prod ({T})")
    );
    let long = comment(T, Some(&"n".repeat(300)));
    assert_eq!(long.chars().count(), MAX_COMMENT);
    assert!(long.ends_with(&format!("… ({T})")), "{long}");
    assert_eq!(
        comment(T, Some("a\u{1b}[2Jb\u{202e}")),
        format!("cfingress: tunnel a[2Jb ({T})")
    );
    assert_eq!(comment(T, None), format!("cfingress: tunnel {T}"));
}

#[test]
fn ten_thousand_hostnames_are_judged_without_quadratic_work() {
    let cfg = crate::fixtures::scale_config(10_000, 42);
    let snap = crate::fixtures::dns_snapshot(&cfg, T);
    let started = std::time::Instant::now();
    let report = check(&cfg, &snap);
    let took = started.elapsed();
    let hosts = report.hosts.len();
    assert!(hosts > 9_000, "{hosts}");
    assert_eq!(
        report.count(State::Ok) + report.count(State::Missing),
        hosts
    );
    assert!(report.count(State::Missing) * 10 <= hosts + 10);
    // Not a timing assertion: printed for `cargo test -- --nocapture` (the bench measures).
    println!("dns::check of {hosts} hostnames: {took:?}");
}
