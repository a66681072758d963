//! DNS in the editor, in a real terminal on the demo sandbox: the DNS column filling in after
//! the config, the review's DNS section and its toggles, the records made after the publish and
//! reported, and a token without DNS permissions (the config publishes, the permission is named
//! once, not per row).

mod common;
use common::{Pty, SandboxProcess, fresh_dir};

/// Every record the sandbox holds: `(name, content, proxied, comment)`.
fn records(sb: &SandboxProcess) -> Vec<(String, String, bool, String)> {
    sb.dns_records()
        .into_iter()
        .map(|(name, _, content, proxied, comment)| {
            (name, content, proxied, comment.unwrap_or_default())
        })
        .collect()
}

/// The table row showing `host`.
fn row<'s>(screen: &'s str, host: &str) -> &'s str {
    screen
        .lines()
        .find(|l| l.contains(&format!(" {host} ")))
        .unwrap_or_else(|| panic!("no row for {host}:\n{screen}"))
}

fn add_rule(s: &mut Pty, host: &str) {
    s.send("a");
    s.wait_for("New rule #");
    s.send(&format!("{host}\t\thttp://10.0.0.5:8080\r"));
    s.wait_for("did: add rule");
}

#[test]
fn the_dns_column_fills_in_and_the_review_makes_the_chosen_changes() {
    let sb = SandboxProcess::start(&[]);
    let home = fresh_dir("pty-dns-column");
    let mut s = Pty::spawn(&["--tunnel", "demo"], &sb.env(&home), 30, 120);
    let screen = s.wait_for("DNS: 1 missing, 1 other-tunnel, 1 orphan");
    assert!(screen.contains(" DNS "), "the column: {screen}");
    assert!(row(&screen, "hello.example.com").contains(" missing "));
    assert!(row(&screen, "legacy.example.com").contains(" other "));
    assert!(row(&screen, "www.example.com").contains(" ok "));

    // A rule added is judged at once, before anything is sent.
    add_rule(&mut s, "new.example.com");
    s.wait_for("DNS: 2 missing, 1 other-tunnel, 1 orphan");
    // The draft's only warning is the published config's own: not asked about again.
    s.send("p");
    s.wait_for("DNS (8 ok, 2 missing, 1 other-tunnel, 1 orphan): 2 of 4 changes on");
    let screen = s.wait_for("[ ] delete old-app.example.com");
    for line in [
        "[x] create new.example.com: a proxied CNAME to this tunnel",
        "[x] create hello.example.com: a proxied CNAME to this tunnel",
        "[ ] repoint legacy.example.com to this tunnel (take over)",
        "[ ] delete old-app.example.com: an orphan CNAME",
    ] {
        assert!(screen.contains(line), "{line}:\n{screen}");
    }
    // Shift-Tab goes round to the orphan (the last change); x deletes it after all.
    s.send("\x1b[Z");
    s.send("x");
    s.wait_for("[x] delete old-app.example.com");
    s.send("y");
    s.wait_for("Published version 2 (was 1); DNS: 2 created, 1 deleted");
    // Read again: the column shows DNS as it is now.
    let screen = s.wait_for("DNS: 1 other-tunnel");
    assert!(row(&screen, "new.example.com").contains(" ok "), "{screen}");
    assert!(
        row(&screen, "hello.example.com").contains(" ok "),
        "{screen}"
    );

    let all = records(&sb);
    let id = sb.tunnel_id("demo");
    let new = all
        .iter()
        .find(|r| r.0 == "new.example.com")
        .unwrap_or_else(|| panic!("{all:?}"));
    assert_eq!(new.1, format!("{id}.cfargotunnel.com"));
    assert!(new.2, "proxied");
    assert!(new.3.starts_with("cfingress: tunnel demo"), "{}", new.3);
    assert!(!all.iter().any(|r| r.0 == "old-app.example.com"), "{all:?}");
    // The take-over was not chosen: legacy still points at the other tunnel.
    let legacy = all.iter().find(|r| r.0 == "legacy.example.com");
    assert!(legacy.is_some_and(|r| !r.1.starts_with(&id)), "{legacy:?}");
    s.send("q");
    s.wait_exit();
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_token_without_dns_permissions_publishes_and_names_the_permission_once() {
    let sb = SandboxProcess::start(&[]);
    sb.control(
        "POST",
        "/__sandbox/dns/permissions",
        r#"{"zone_read":false}"#,
    );
    let home = fresh_dir("pty-dns-permission");
    let mut s = Pty::spawn(&["--tunnel", "demo"], &sb.env(&home), 30, 120);
    let screen = s.wait_for("DNS unknown (token lacks Zone > Zone > Read)");
    assert!(
        row(&screen, "hello.example.com").contains(" ? "),
        "{screen}"
    );
    let rows: String = screen
        .lines()
        .filter(|l| l.contains(".example.com"))
        .collect();
    assert!(!rows.contains("Zone >"), "not per row: {screen}");
    assert!(
        screen.contains("DNS cannot be read: the token lacks the permission Zone > Zone > Read"),
        "said once, in the status area: {screen}"
    );

    // The config still publishes.
    add_rule(&mut s, "new.example.com");
    // The draft's only warning is the published config's own: not asked about again.
    s.send("p");
    s.wait_for("DNS could not be read: the token lacks Zone > Zone > Read");
    s.send("y");
    let screen = s.wait_for("Published version 2 (was 1)");
    assert!(!screen.contains("failed"), "{screen}");

    // Reading allowed, editing not: the DNS-only review's changes fail, told once for all.
    sb.control(
        "POST",
        "/__sandbox/dns/permissions",
        r#"{"zone_read":true,"dns_edit":false}"#,
    );
    s.send("D");
    s.wait_for("DNS: 2 missing, 1 other-tunnel, 1 orphan");
    s.send("p");
    s.wait_for("Make these DNS changes? (the config is unchanged)");
    s.send("y");
    let screen = s.wait_for("DNS: 2 failed (the token lacks Zone > DNS > Edit)");
    assert_eq!(screen.matches("Zone > DNS > Edit").count(), 1, "{screen}");
    assert!(
        row(&screen, "new.example.com").contains(" missing "),
        "{screen}"
    );
    s.send("q");
    s.wait_exit();
    let _ = std::fs::remove_dir_all(&home);
}
