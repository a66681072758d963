//! `dns check`, `dns sync`, and DNS in `diff` and `apply`, run as the built binary against a
//! `cfingress sandbox` process: exit statuses, the JSON shapes, records made after the publish,
//! a DNS failure after a successful PUT, and a token without DNS permissions.

use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

mod common;
use common::{Pty, SandboxProcess, fresh_dir};

struct Run {
    sb: SandboxProcess,
    home: PathBuf,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

impl Run {
    fn start(seeds: &[&str], tag: &str) -> Run {
        Run {
            sb: SandboxProcess::start(seeds),
            home: fresh_dir(tag),
        }
    }

    fn cmd(&self, args: &[&str]) -> Output {
        self.sb.run(&self.home, args)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.home.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path.display().to_string()
    }

    /// Every record the sandbox holds: `(name, type, content, proxied, comment)`.
    fn records(&self) -> Vec<(String, String, String, bool, Option<String>)> {
        self.sb.dns_records()
    }

    /// The paths of the requests the sandbox received.
    fn paths(&self) -> Vec<String> {
        let v = self.sb.control("GET", "/__sandbox/requests", "");
        v["requests"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                format!(
                    "{} {}",
                    r["method"].as_str().unwrap_or_default(),
                    r["path"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", out(o), err(o)))
}

#[test]
fn check_and_sync_the_demo() {
    let run = Run::start(&[], "dns-demo");
    let o = run.cmd(&["dns", "check", "--tunnel", "demo"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert!(
        text.contains("8 ok, 1 missing, 1 other-tunnel, 1 orphan"),
        "{text}"
    );
    assert!(
        text.contains("missing       hello.example.com")
            && text.contains("other-tunnel  legacy.example.com")
            && text.contains("tunnel new-tunnel (")
            && text.contains("old-app.example.com"),
        "{text}"
    );

    // The JSON has exactly the documented keys.
    let o = run.cmd(&["dns", "check", "--tunnel", "demo", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let keys = |v: &Value| -> Vec<String> {
        v.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(keys(&v), ["tunnel_id", "records", "orphans"]);
    assert_eq!(
        v["tunnel_id"].as_str(),
        Some(run.sb.tunnel_id("demo").as_str())
    );
    let records = v["records"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        records.len(),
        10,
        "one per hostname: app.example.com's two rules share one"
    );
    for r in &records {
        assert_eq!(
            keys(r),
            [
                "hostname",
                "state",
                "zone",
                "record_id",
                "content",
                "message"
            ]
        );
    }
    let hello = records
        .iter()
        .find(|r| r["hostname"] == "hello.example.com");
    assert_eq!(
        hello.map(|r| (
            r["state"].clone(),
            r["zone"].clone(),
            r["record_id"].clone()
        )),
        Some(("missing".into(), "example.com".into(), Value::Null))
    );
    let www = records.iter().find(|r| r["hostname"] == "www.example.com");
    assert_eq!(www.map(|r| r["state"].clone()), Some("ok".into()));
    assert!(www.is_some_and(|r| {
        r["content"]
            .as_str()
            .is_some_and(|c| c.ends_with(".cfargotunnel.com"))
    }));
    let orphans = v["orphans"].as_array().cloned().unwrap_or_default();
    assert_eq!(orphans.len(), 1);
    assert_eq!(keys(&orphans[0]), ["hostname", "record_id"]);
    assert_eq!(orphans[0]["hostname"], "old-app.example.com");

    // sync asks; without a terminal, nothing changes.
    let o = run.cmd(&["dns", "sync", "--tunnel", "demo"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("DNS not changed") && err(&o).contains("--yes"),
        "{}",
        err(&o)
    );
    assert!(!run.records().iter().any(|r| r.0 == "hello.example.com"));

    // Without --take-over and --prune, only the missing record is made.
    let o = run.cmd(&["dns", "sync", "--tunnel", "demo", "--yes"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "left alone: {}{}",
        out(&o),
        err(&o)
    );
    assert!(
        out(&o).contains("created    hello.example.com"),
        "{}",
        out(&o)
    );
    assert!(err(&o).contains("--take-over repoints it"), "{}", err(&o));
    let demo = run.sb.tunnel_id("demo");
    let hello = run
        .records()
        .into_iter()
        .find(|r| r.0 == "hello.example.com");
    assert_eq!(
        hello,
        Some((
            "hello.example.com".to_owned(),
            "CNAME".to_owned(),
            format!("{demo}.cfargotunnel.com"),
            true,
            Some(format!("cfingress: tunnel demo ({demo})"))
        ))
    );

    let o = run.cmd(&[
        "dns",
        "sync",
        "--tunnel",
        "demo",
        "--yes",
        "--take-over",
        "--prune",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let v = json(&o);
    assert_eq!(v["repointed"], serde_json::json!(["legacy.example.com"]));
    assert_eq!(v["deleted"], serde_json::json!(["old-app.example.com"]));
    assert_eq!(v["failed"], serde_json::json!([]));
    let o = run.cmd(&["dns", "check", "--tunnel", "demo"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains(": 10 ok"), "{}", out(&o));
    // The apex A record and the TXT record are still there.
    let records = run.records();
    assert!(records.iter().any(|r| r.0 == "example.com" && r.1 == "A"));
    assert!(records.iter().any(|r| r.0 == "example.com" && r.1 == "TXT"));
}

const CONFIG: &str = "assets/examples/config.yml";

fn with_hosts(extra: &[&str]) -> String {
    let mut rules: Vec<Value> = extra
        .iter()
        .map(|h| serde_json::json!({"hostname": h, "service": "http://10.0.0.5:8080"}))
        .collect();
    rules.push(
        serde_json::json!({"hostname": "grafana.example.com", "service": "http://localhost:3000"}),
    );
    rules.push(serde_json::json!({"service": "http_status:404"}));
    serde_json::json!({ "ingress": rules }).to_string()
}

#[test]
fn apply_makes_the_records_of_what_it_publishes() {
    let run = Run::start(&[CONFIG], "dns-apply");
    let config = run.sb.tunnel_id("config");
    let file = run.file(
        "new.json",
        &with_hosts(&[
            "new.example.com",
            "*.preview.example.com",
            "bücher.example.com",
        ]),
    );

    // diff shows the DNS plan.
    let o = run.cmd(&["diff", "--tunnel", "config", &file]);
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    assert!(
        text.contains("DNS (1 ok, 3 missing, 4 orphans):")
            && text.contains("create new.example.com: a proxied CNAME to this tunnel")
            && text.contains("create *.preview.example.com")
            && text.contains("orphans kept (--prune-dns deletes them)")
            && text.contains("api.example.com"),
        "{text}"
    );

    let o = run.cmd(&["apply", "--tunnel", "config", "--yes", &file]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).starts_with("Published version 2 (was 1)\nDNS: 3 created"),
        "{}",
        out(&o)
    );
    assert!(
        err(&o).contains("Publish") || err(&o).contains("DNS ("),
        "{}",
        err(&o)
    );
    let records = run.records();
    for name in [
        "new.example.com",
        "*.preview.example.com",
        "xn--bcher-kva.example.com",
    ] {
        let r = records.iter().find(|r| r.0 == name);
        assert!(
            r.is_some_and(|r| r.1 == "CNAME"
                && r.2 == format!("{config}.cfargotunnel.com")
                && r.3
                && r.4.as_deref() == Some(format!("cfingress: tunnel config ({config})").as_str())),
            "{name}: {records:?}"
        );
    }
    // The orphans stay without --prune-dns, and go with it.
    assert!(records.iter().any(|r| r.0 == "api.example.com"));
    let o = run.cmd(&[
        "apply",
        "--tunnel",
        "config",
        "--yes",
        "--prune-dns",
        "--format",
        "json",
        &file,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    let v = json(&o);
    assert_eq!(v["published"], false);
    let mut deleted: Vec<String> = v["dns"]["deleted"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str().map(str::to_owned))
        .collect();
    deleted.sort();
    assert_eq!(
        deleted,
        [
            "*.dev.example.com",
            "admin.example.com",
            "api.example.com",
            "ssh.example.com"
        ]
    );

    // --no-dns reads no zone and makes no record; diff --no-dns agrees.
    let file2 = run.file("more.json", &with_hosts(&["more.example.com"]));
    let before = run.paths().len();
    let o = run.cmd(&["apply", "--tunnel", "config", "--yes", "--no-dns", &file2]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert_eq!(out(&o), "Published version 3 (was 2)\n");
    let later = run.paths();
    assert!(
        !later[before..].iter().any(|p| p.contains("/zones")),
        "{later:?}"
    );
    let o = run.cmd(&["diff", "--tunnel", "config", "--no-dns", &file2]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // Without --no-dns, the record still to make is a change.
    let o = run.cmd(&["diff", "--tunnel", "config", "--format", "json", &file2]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let v = json(&o);
    assert_eq!(v["changes"], false);
    assert_eq!(v["dns"]["changes"][0]["hostname"], "more.example.com");
    assert_eq!(v["dns"]["changes"][0]["action"], "create");
}

#[test]
fn a_dns_failure_after_a_published_config_is_reported_and_retried() {
    let run = Run::start(&[CONFIG], "dns-fail");
    run.sb.control(
        "POST",
        "/__sandbox/faults",
        r#"{"method":"POST","path":"dns_records","kind":"server_error"}"#,
    );
    let file = run.file("new.json", &with_hosts(&["new.example.com"]));
    let o = run.cmd(&["apply", "--tunnel", "config", "--yes", &file]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert!(
        text.starts_with("Published version 2 (was 1)\nDNS: 1 failed"),
        "{text}"
    );
    assert!(
        text.contains("failed     create new.example.com: the Cloudflare API failed with HTTP 500"),
        "{text}"
    );
    assert!(
        err(&o).contains("cfingress: published, DNS needs attention: 1 failed"),
        "{}",
        err(&o)
    );
    // The config is published whatever happened to DNS; applying again makes the record.
    let o = run.cmd(&["apply", "--tunnel", "config", "--yes", &file]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("Nothing to publish"), "{}", out(&o));
    assert!(
        out(&o).contains("created    new.example.com"),
        "{}",
        out(&o)
    );
}

#[test]
fn a_token_without_dns_permissions_still_publishes() {
    let run = Run::start(&[CONFIG], "dns-perm");
    run.sb.control(
        "POST",
        "/__sandbox/dns/permissions",
        r#"{"zone_read":false}"#,
    );
    let file = run.file("new.json", &with_hosts(&["a.example.com", "b.example.com"]));
    let o = run.cmd(&["apply", "--tunnel", "config", "--yes", &file]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(
        out(&o).starts_with("Published version 2 (was 1)"),
        "{}",
        out(&o)
    );
    // Named once in the plan (stderr) and once in the outcome (stdout), not per hostname.
    for text in [out(&o), err(&o)] {
        assert_eq!(
            text.matches("Zone > Zone > Read").count(),
            1,
            "the permission is named once: {text}"
        );
    }
    assert!(
        out(&o).contains("unknown    a.example.com, b.example.com, grafana.example.com: the token lacks a permission this needs: Zone > Zone > Read"),
        "{}",
        out(&o)
    );
    let o = run.cmd(&["dns", "check", "--tunnel", "config"]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert_eq!(
        out(&o).matches("Zone > Zone > Read").count(),
        1,
        "{}",
        out(&o)
    );

    run.sb.control(
        "POST",
        "/__sandbox/dns/permissions",
        r#"{"zone_read":true,"dns_edit":false}"#,
    );
    let o = run.cmd(&["apply", "--tunnel", "config", "--yes", &file]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let text = out(&o);
    assert!(text.contains("DNS: 2 failed"), "{text}");
    assert_eq!(text.matches("Zone > DNS > Edit").count(), 1, "{text}");
    assert!(
        text.contains("create a.example.com, create b.example.com: the token lacks a permission this needs: Zone > DNS > Edit"),
        "{text}"
    );
    let o = run.cmd(&["dns", "sync", "--tunnel", "config", "--yes"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "a change failed: {}{}",
        out(&o),
        err(&o)
    );
}

#[test]
fn a_record_changed_while_the_question_waits_is_skipped_not_deleted() {
    let run = Run::start(&[], "dns-race");
    let mut s = Pty::spawn(
        &["dns", "sync", "--tunnel", "demo", "--prune"],
        &run.sb.env(&run.home),
        40,
        200,
    );
    let raw = |s: &Pty| String::from_utf8_lossy(&s.raw()).replace("\r\n", "\n");
    let start = std::time::Instant::now();
    while !raw(&s).contains("Make 2 DNS changes? [y/N]") {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(15),
            "no question: {}",
            raw(&s)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Meanwhile a colleague points the orphan at the other tunnel (through the API itself).
    let v = run.sb.control("GET", "/__sandbox/dns/records", "");
    let orphan = v["records"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "old-app.example.com")
        .cloned()
        .unwrap_or_default();
    let other = run.sb.tunnel_id("new-tunnel");
    run.sb.control(
        "PATCH",
        &format!(
            "/client/v4/zones/{}/dns_records/{}",
            orphan["zone_id"].as_str().unwrap_or_default(),
            orphan["id"].as_str().unwrap_or_default()
        ),
        &format!(r#"{{"content":"{other}.cfargotunnel.com"}}"#),
    );
    s.send("y\r");
    assert_eq!(s.wait_exit(), 1, "{}", raw(&s));
    let text = raw(&s);
    assert!(
        text.contains("DNS: 1 created, 1 skipped")
            && text.contains("skipped    delete old-app.example.com: it is no longer an orphan"),
        "{text}"
    );
    let kept = run
        .records()
        .into_iter()
        .find(|r| r.0 == "old-app.example.com");
    assert_eq!(
        kept.map(|r| r.2),
        Some(format!("{other}.cfargotunnel.com")),
        "their record is not deleted"
    );
}
