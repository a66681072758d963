//! Zones and DNS records: the client against the sandbox over real loopback HTTP, judged by
//! `cfingress::dns` (every state, pages, permissions, unknown outcomes, wildcards, IDN), and
//! every DNS request and answer checked against the OpenAPI slice in ../shared/spec.

use std::time::Duration;

use cfingress::api::{ApiError, Client, ClientOptions, Credentials};
use cfingress::config::files::parse_json_str;
use cfingress::config::model::TunnelConfig;
use cfingress::dns::names::tunnel_target;
use cfingress::dns::{self, Action, Choices, Report, State};
use cfingress::effects::dns::{apply, read};
use cfingress::sandbox::{self, Fault, FaultKind, SandboxHandle, SandboxOptions};
use secrecy::SecretString;
use serde_json::{Value, json};

mod common;
use common::contract::Contract;

fn options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(1500),
        retry_budget: Duration::from_secs(6),
        backoff: Duration::from_millis(20),
        ..ClientOptions::default()
    }
}

/// A demo sandbox, a client of it, its account, the demo tunnel and the other tunnel.
struct Setup {
    sb: SandboxHandle,
    client: Client,
    account: String,
    demo: String,
    other: String,
}

async fn setup() -> Setup {
    let sb = sandbox::start(SandboxOptions::default())
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    let client = Client::with_options(
        &sb.info.api_url,
        Credentials::Token(SecretString::from(sb.info.token.clone())),
        options(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let id = |name: &str| {
        sb.info
            .tunnels
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.id.clone())
            .unwrap_or_default()
    };
    Setup {
        account: sb.info.account_id.clone(),
        demo: id("demo"),
        other: id("new-tunnel"),
        client,
        sb,
    }
}

impl Setup {
    async fn report(&self, config: &TunnelConfig) -> Report {
        let names = dns::check::record_names(config);
        let snap = read(&self.client, &self.account, &self.demo, &names).await;
        dns::check(config, &snap)
    }

    fn record(&self, kind: &str, name: &str, content: &str, proxied: bool) -> String {
        self.sb
            .state()
            .dns
            .add_record(kind, name, content, proxied, None)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn zone(&self, name: &str) -> String {
        self.sb
            .state()
            .dns
            .add_zone(name, "active")
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The names of every record the sandbox holds.
    fn names(&self) -> Vec<String> {
        self.sb
            .state()
            .dns
            .records
            .iter()
            .map(|r| r.name.clone())
            .collect()
    }

    /// How many record writes of `method` the sandbox received.
    fn writes(&self, method: &str) -> usize {
        self.requests("dns_records")
            .iter()
            .filter(|r| r.starts_with(method))
            .count()
    }

    /// The requests the sandbox received whose path contains `part`, as `METHOD path`.
    fn requests(&self, part: &str) -> Vec<String> {
        self.sb
            .state()
            .requests
            .iter()
            .filter(|r| r.path.contains(part))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }
}

fn config(hosts: &[&str]) -> TunnelConfig {
    let mut rules: Vec<Value> = hosts
        .iter()
        .map(|h| json!({"hostname": h, "service": "http://localhost:1"}))
        .collect();
    rules.push(json!({"service": "http_status:404"}));
    parse_json_str(&json!({ "ingress": rules }).to_string()).unwrap_or_else(|e| panic!("{e}"))
}

fn state_of(report: &Report, host: &str) -> (State, String) {
    let h = report
        .hosts
        .iter()
        .find(|h| h.hostname == host)
        .unwrap_or_else(|| panic!("no {host}"));
    (h.state, h.message.clone().unwrap_or_default())
}

fn fault(method: &str, path: &str, kind: FaultKind, times: u32) -> Fault {
    Fault {
        method: Some(method.to_owned()),
        path: Some(path.to_owned()),
        kind,
        times,
    }
}

#[tokio::test]
async fn every_state_then_every_fix_over_loopback() {
    let s = setup().await;
    s.zone("dev.example.com");
    s.zone("example.org");
    let mine = tunnel_target(&s.demo);
    s.record("CNAME", "dnsonly.example.com", &mine, false);
    s.record(
        "CNAME",
        "staging.example.com",
        &tunnel_target(&s.other),
        true,
    );
    s.record(
        "CNAME",
        "gone.example.com",
        &tunnel_target("11111111-2222-4333-8444-555555555555"),
        true,
    );
    let a = s.record("A", "web.example.com", "192.0.2.1", true);
    s.record("CNAME", "elsewhere.example.com", "lb.example.net", true);
    s.record("CNAME", "a.dev.example.com", &mine, true);
    let cfg = config(&[
        "www.example.com",
        "new.example.com",
        "dnsonly.example.com",
        "staging.example.com",
        "gone.example.com",
        "web.example.com",
        "elsewhere.example.com",
        "a.dev.example.com",
        "typo.example.net",
    ]);
    let report = s.report(&cfg).await;
    let states: Vec<(&str, State)> = report
        .hosts
        .iter()
        .map(|h| (h.hostname.as_str(), h.state))
        .collect();
    assert_eq!(
        states,
        vec![
            ("www.example.com", State::Ok),
            ("new.example.com", State::Missing),
            ("dnsonly.example.com", State::NotProxied),
            ("staging.example.com", State::OtherTunnel),
            ("gone.example.com", State::OtherTunnel),
            ("web.example.com", State::Conflict),
            ("elsewhere.example.com", State::Conflict),
            ("a.dev.example.com", State::Ok),
            ("typo.example.net", State::NoZone),
        ]
    );
    assert!(
        state_of(&report, "staging.example.com")
            .1
            .contains("tunnel new-tunnel")
    );
    assert!(
        state_of(&report, "gone.example.com")
            .1
            .contains("a deleted tunnel")
    );
    assert!(
        report
            .orphans
            .iter()
            .any(|o| o.record.name == "old-app.example.com"),
        "{:?}",
        report.orphans
    );

    // Every fix, each reported; the A record stays.
    let changes = dns::propose(
        &report,
        Choices {
            create: true,
            prune: true,
            take_over: true,
        },
    );
    let done = apply(&s.client, &changes, &s.demo, Some("demo")).await;
    assert!(done.iter().all(|d| d.result.is_ok()), "{done:#?}");
    let after = s.report(&cfg).await;
    let left: Vec<(&str, State)> = after
        .hosts
        .iter()
        .filter(|h| h.state != State::Ok)
        .map(|h| (h.hostname.as_str(), h.state))
        .collect();
    assert_eq!(
        left,
        vec![
            ("web.example.com", State::Conflict),
            ("typo.example.net", State::NoZone)
        ]
    );
    assert!(after.orphans.is_empty(), "{:?}", after.orphans);
    let st = s.sb.state();
    let kept = st.dns.records.iter().find(|r| r.id == a);
    assert!(
        kept.is_some_and(|r| r.content == "192.0.2.1"),
        "the A record is untouched"
    );
    let created = st
        .dns
        .records
        .iter()
        .find(|r| r.name == "new.example.com")
        .map(|r| (r.content.clone(), r.proxied, r.comment.clone()));
    assert_eq!(
        created,
        Some((
            mine.clone(),
            true,
            Some(format!("cfingress: tunnel demo ({})", s.demo))
        ))
    );
}

#[tokio::test]
async fn zones_and_records_are_read_page_by_page() {
    let s = setup().await;
    for i in 0..70 {
        s.zone(&format!("zone{i:02}.example.net"));
    }
    let mine = tunnel_target(&s.demo);
    {
        let mut st = s.sb.state();
        for i in 0..2300 {
            let _ = st
                .dns
                .add_record("TXT", &format!("t{i:04}.example.com"), "x", false, None);
        }
        let _ = st
            .dns
            .add_record("CNAME", "zzz-last.example.com", &mine, true, None);
    }
    let report = s.report(&config(&["zzz-last.example.com"])).await;
    assert_eq!(state_of(&report, "zzz-last.example.com").0, State::Ok);
    let zone_pages = s
        .requests("")
        .iter()
        .filter(|r| r.as_str() == "GET /zones")
        .count();
    assert_eq!(zone_pages, 2, "71 zones, 50 a page");
    let example = s.sb.state().dns.zones[0].id.clone();
    let record_pages = s.requests(&format!("/zones/{example}/dns_records")).len();
    assert_eq!(record_pages, 3, "2 3xx records, 1 000 a page");
    // The other zones are searched for orphans, at most 50 of them.
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    assert!(report.notes[0].contains("20 zones of the account were not searched"));
}

#[tokio::test]
async fn missing_permissions_are_named_once_and_nothing_more_is_sent() {
    let s = setup().await;
    let cfg = config(&["www.example.com", "one.example.com", "two.example.com"]);

    s.sb.state().dns.permissions.zone_read = false;
    let report = s.report(&cfg).await;
    assert!(report.hosts.iter().all(|h| h.state == State::Unknown));
    assert_eq!(report.missing_permissions, vec!["Zone > Zone > Read"]);
    let why = report.unreadable.map(|u| u.message).unwrap_or_default();
    assert!(
        why.contains("code 9109") && why.contains("Zone > Zone > Read"),
        "{why}"
    );

    s.sb.state().dns.permissions.zone_read = true;
    s.sb.state().dns.permissions.dns_read = false;
    s.sb.state().dns.permissions.dns_edit = false;
    let report = s.report(&cfg).await;
    assert!(report.hosts.iter().all(|h| h.state == State::Unknown));
    assert_eq!(report.missing_permissions, vec!["Zone > DNS > Read"]);

    // Reading allowed, editing not: the first write is refused (10000), the others not sent.
    s.sb.state().dns.permissions.dns_read = true;
    let report = s.report(&cfg).await;
    let changes = dns::propose(&report, Choices::DEFAULT);
    assert_eq!(changes.iter().filter(|c| c.on).count(), 2);
    let posts_before = s.writes("POST");
    let done = apply(&s.client, &changes, &s.demo, None).await;
    assert_eq!(done.len(), 2);
    assert!(
        done.iter()
            .all(|d| d.permission == Some("Zone > DNS > Edit"))
    );
    let first = done[0].result.clone().err().unwrap_or_default();
    assert!(first.contains("code 10000"), "{first}");
    assert!(
        done[1]
            .result
            .clone()
            .err()
            .is_some_and(|e| e.starts_with("not sent: ")),
        "{done:?}"
    );
    let posts = s.writes("POST");
    assert_eq!(posts - posts_before, 1);
}

#[tokio::test]
async fn writes_are_sent_once_and_unknown_outcomes_are_checked() {
    let s = setup().await;
    let cfg = config(&["a.example.com", "b.example.com"]);
    let report = s.report(&cfg).await;
    let changes = dns::propose(&report, Choices::DEFAULT);

    // Applied, then a 500: the record is there, so the create is done.
    s.sb.push_fault(fault("POST", "dns_records", FaultKind::ApplyThenFail, 1));
    // Not applied at all: a 500 before anything, and the name is still free.
    s.sb.push_fault(fault("POST", "dns_records", FaultKind::ServerError, 1));
    let done = apply(&s.client, &changes, &s.demo, None).await;
    assert!(done[0].result.is_ok(), "{:?}", done[0]);
    let e = done[1].result.clone().err().unwrap_or_default();
    assert!(e.contains("HTTP 500"), "{e}");
    let posts = s.writes("POST");
    assert_eq!(posts, 2, "each create sent once");
    let names = s.names();
    assert!(names.contains(&"a.example.com".to_owned()));
    assert!(!names.contains(&"b.example.com".to_owned()));

    // A delete whose answer is lost counts as done once the record is gone.
    let report = s.report(&config(&["www.example.com"])).await;
    let mut prune = dns::propose(
        &report,
        Choices {
            create: false,
            prune: true,
            take_over: false,
        },
    );
    prune.retain(|c| c.action == Action::Delete && c.name == "old-app.example.com");
    s.sb.push_fault(fault("DELETE", "dns_records", FaultKind::ApplyThenDrop, 1));
    let done = apply(&s.client, &prune, &s.demo, None).await;
    assert!(done[0].result.is_ok(), "{done:?}");
}

#[tokio::test]
async fn wildcard_and_idn_hostnames_get_punycode_records() {
    let s = setup().await;
    let cfg = config(&[
        "*.feature.example.com",
        "Bücher.example.com",
        "straße.example.com",
    ]);
    let report = s.report(&cfg).await;
    assert!(report.hosts.iter().all(|h| h.state == State::Missing));
    let done = apply(
        &s.client,
        &dns::propose(&report, Choices::DEFAULT),
        &s.demo,
        None,
    )
    .await;
    assert!(done.iter().all(|d| d.result.is_ok()), "{done:?}");
    let names = s.names();
    for want in [
        "*.feature.example.com",
        "xn--bcher-kva.example.com",
        "xn--strae-oqa.example.com",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    let after = s.report(&cfg).await;
    assert!(
        after.hosts.iter().all(|h| h.state == State::Ok),
        "{after:#?}"
    );
    // A subdomain the wildcard rule serves is not an orphan, and resolves through the wildcard.
    s.record(
        "CNAME",
        "pr-7.feature.example.com",
        &tunnel_target(&s.demo),
        true,
    );
    let after = s.report(&cfg).await;
    assert!(
        !after
            .orphans
            .iter()
            .any(|o| o.record.name == "pr-7.feature.example.com")
    );
}

#[tokio::test]
async fn a_zone_listing_that_never_ends_is_capped() {
    let s = setup().await;
    let page = json!({"success": true, "errors": [], "messages": [],
        "result": [{"id": "023e105f4ecef8ad9ca31a8372d0c353", "name": "example.com"}],
        "result_info": {"page": 1, "per_page": 1, "total_pages": 1_000_000}});
    s.sb.push_fault(fault(
        "GET",
        "/zones",
        FaultKind::Body {
            status: 200,
            content_type: "application/json".to_owned(),
            body: page.to_string(),
        },
        1000,
    ));
    let e = s.client.list_zones(&s.account).await.err();
    assert!(
        matches!(&e, Some(ApiError::ListCapped { pages: 200, .. })),
        "{e:?}"
    );
}

/// The template of a DNS path: `/zones/{zone_id}/dns_records/{dns_record_id}`.
fn template(path: &str) -> Option<&'static str> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["zones"] => Some("/zones"),
        ["zones", _, "dns_records"] => Some("/zones/{zone_id}/dns_records"),
        ["zones", _, "dns_records", "batch"] => Some("/zones/{zone_id}/dns_records/batch"),
        ["zones", _, "dns_records", _] => Some("/zones/{zone_id}/dns_records/{dns_record_id}"),
        _ => None,
    }
}

async fn raw(s: &Setup, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", s.sb.info.api_url))
        .bearer_auth(&s.sb.info.token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap_or_else(|e| panic!("{e}"));
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}")),
    )
}

#[tokio::test]
async fn dns_requests_and_answers_match_the_openapi_slice() {
    let Some(contract) = Contract::load() else {
        return;
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let s = setup().await;

    // What the client sends: a read, then a create, a take-over and a deletion.
    let report = s
        .report(&config(&["new.example.com", "legacy.example.com"]))
        .await;
    let all = dns::propose(
        &report,
        Choices {
            create: true,
            prune: true,
            take_over: true,
        },
    );
    let actions: Vec<Action> = all.iter().map(|c| c.action).collect();
    assert!(
        [Action::Create, Action::Repoint, Action::Delete]
            .iter()
            .all(|a| actions.contains(a)),
        "{actions:?}"
    );
    let done = apply(&s.client, &all, &s.demo, Some("demo")).await;
    assert!(done.iter().all(|d| d.result.is_ok()), "{done:?}");
    let sent = s.sb.state().requests.clone();
    let mut checked = 0;
    for r in sent.iter() {
        let Some(t) = template(&r.path) else { continue };
        let m = r.method.to_lowercase();
        contract.query(t, &m, &r.query);
        if let Some(body) = &r.body {
            contract.request(t, &m, body);
        }
        checked += 1;
    }
    assert!(checked >= 6, "{checked} requests checked");

    // What the sandbox answers, successes and errors.
    let zone = s.sb.state().dns.zones[0].id.clone();
    let record = s.record("CNAME", "raw.example.com", "x.example.net", false);
    let records = format!("/zones/{zone}/dns_records");
    let one = format!("{records}/{record}");
    use reqwest::Method as M;
    let cases: Vec<(M, String, Option<Value>)> = vec![
        (
            M::GET,
            format!("/zones?account.id={}&per_page=5", s.account),
            None,
        ),
        (M::GET, format!("{records}?per_page=3&page=2"), None),
        (
            M::GET,
            format!("{records}?type=CNAME&name.exact=raw.example.com"),
            None,
        ),
        (
            M::POST,
            records.clone(),
            Some(
                json!({"type": "CNAME", "name": "made", "content": tunnel_target(&s.demo), "proxied": true, "ttl": 1, "comment": "c"}),
            ),
        ),
        (
            M::POST,
            records.clone(),
            Some(json!({"type": "A", "name": "raw.example.com", "content": "192.0.2.1"})),
        ),
        (
            M::POST,
            records.clone(),
            Some(json!({"type": "A", "name": "bad", "content": "not an address"})),
        ),
        (M::PATCH, one.clone(), Some(json!({"proxied": true}))),
        (
            M::PATCH,
            format!("{records}/0123456789abcdef0123456789abcdef"),
            Some(json!({"proxied": true})),
        ),
        (
            M::POST,
            format!("{records}/batch"),
            Some(json!({"patches": [{"id": record, "comment": "batched"}],
                        "posts": [{"type": "TXT", "name": "b", "content": "x"}]})),
        ),
        (
            M::POST,
            format!("{records}/batch"),
            Some(json!({"deletes": [{"id": "0123456789abcdef0123456789abcdef"}]})),
        ),
        (M::DELETE, one.clone(), None),
        (M::DELETE, one.clone(), None),
        (M::GET, "/zones/nope!/dns_records".to_owned(), None),
    ];
    for (method, path, body) in cases {
        let m = method.as_str().to_lowercase();
        let t = template(path.split('?').next().unwrap_or_default()).unwrap_or_default();
        let (status, answer) = raw(&s, method, &path, body).await;
        contract.response(t, &m, status, &answer);
    }
    // Permission errors.
    s.sb.state().dns.permissions = cfingress::sandbox::dns::DnsPermissions {
        zone_read: false,
        dns_read: false,
        dns_edit: false,
    };
    for (method, path, body, code) in [
        (M::GET, "/zones".to_owned(), None, 9109),
        (M::GET, records.clone(), None, 9109),
        (
            M::POST,
            records.clone(),
            Some(json!({"type": "TXT", "name": "p", "content": "x"})),
            10000,
        ),
    ] {
        let m = method.as_str().to_lowercase();
        let t = template(&path).unwrap_or_default();
        let (status, answer) = raw(&s, method, &path, body).await;
        assert_eq!(
            (status, answer["errors"][0]["code"].clone()),
            (403, json!(code))
        );
        contract.response(t, &m, status, &answer);
    }
}
