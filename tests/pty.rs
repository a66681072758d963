//! The real binary in a pseudo-terminal, read through a terminal-screen parser, against a
//! `cfingress sandbox` process: open a tunnel, add a rule through the form, undo and redo it,
//! publish, and check both the screen and what the sandbox now holds.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

mod common;
use common::{Pty, bin, files_under};

struct Sandbox {
    child: Child,
    info: Value,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sandbox(seed: &str) -> Sandbox {
    let seed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(seed);
    let mut child = Command::new(bin())
        .args(["sandbox", "--seed"])
        .arg(&seed)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    let out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    BufReader::new(out)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    let info = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    Sandbox { child, info }
}

/// An empty folder for one test's settings, state and files.
fn fresh_home(test: &str) -> PathBuf {
    let home = std::env::temp_dir().join(format!("cfingress-pty-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::create_dir_all(&home);
    home
}

/// The editor on the example tunnel (7 rules) of a fresh sandbox, with a fresh home.
fn example_editor(test: &str) -> (Sandbox, PathBuf, Pty) {
    let sb = sandbox("assets/examples/config.yml");
    let home = fresh_home(test);
    let s = open_editor(&sb, &["--tunnel", "config"], &home);
    s.wait_for("Ingress rules (7)");
    (sb, home, s)
}

fn open_editor(sb: &Sandbox, args: &[&str], home: &std::path::Path) -> Pty {
    open_in_pty(Some(sb), args, home, 30, 110)
}

/// The editor with its settings and state under `home`, against `sb` when given.
fn open_in_pty(
    sb: Option<&Sandbox>,
    args: &[&str],
    home: &std::path::Path,
    rows: u16,
    cols: u16,
) -> Pty {
    let mut env = vec![
        ("HOME", home.display().to_string()),
        (
            "CFINGRESS_SETTINGS",
            home.join("settings.toml").display().to_string(),
        ),
        (
            "CFINGRESS_STATE_DIR",
            home.join("state").display().to_string(),
        ),
    ];
    if let Some(sb) = sb {
        env.push((
            "CFINGRESS_API_URL",
            sb.info["api_url"].as_str().unwrap_or_default().to_owned(),
        ));
        env.push((
            "CLOUDFLARE_API_TOKEN",
            sb.info["token"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    Pty::spawn(args, &env, rows, cols)
}

#[test]
fn add_undo_redo_publish_in_a_real_terminal() {
    let (sb, home, mut s) = example_editor("main");
    s.wait_for("base v1");

    // Add a rule through the form.
    s.send("a");
    s.wait_for("New rule #2");
    s.send("e2e.example.com\t\thttp://localhost:7777\r");
    let screen = s.wait_for("did: add rule 2 e2e.example.com");
    assert!(
        screen.contains("Ingress rules (8)") && screen.contains("● 1 unpublished"),
        "{screen}"
    );

    // Undo and redo it.
    s.send("u");
    let screen = s.wait_for("undid: add rule 2 e2e.example.com");
    assert!(screen.contains("Ingress rules (7)"), "{screen}");
    s.send("\x12"); // Ctrl-r
    let screen = s.wait_for("redid: add rule 2 e2e.example.com");
    assert!(screen.contains("Ingress rules (8)"), "{screen}");

    // Publish: the example's warning is already published, so not asked about again; the
    // review, then y.
    s.send("p");
    let screen = s.wait_for("Publish? (replaces remote version 1)");
    assert!(
        screen.contains("+ rule #2 e2e.example.com (added)"),
        "{screen}"
    );
    s.send("y");
    let screen = s.wait_for("Published version 2 (was 1)");
    assert!(
        screen.contains("base v2") && screen.contains("published"),
        "{screen}"
    );

    // The sandbox holds the edit.
    let held = sandbox_config(&sb, &home);
    assert_eq!(held["ingress"][1]["hostname"], "e2e.example.com");
    assert_eq!(held["ingress"][1]["service"], "http://localhost:7777");

    // Quit restores the terminal.
    s.send("q");
    s.wait_exit();
    std::thread::sleep(Duration::from_millis(100));
    let raw = s.raw();
    let raw = String::from_utf8_lossy(&raw);
    assert!(
        raw.contains("\x1b[?1049h") && raw.contains("\x1b[?1049l"),
        "alternate screen entered and left"
    );
    assert!(
        raw.rfind("\x1b[?25h") > raw.rfind("\x1b[?25l"),
        "the cursor is shown again"
    );
    assert!(
        !raw.contains(sb.info["token"].as_str().unwrap_or("?")),
        "the token never reaches the terminal"
    );
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn the_demo_opens_without_an_account() {
    let home = fresh_home("demo");
    let mut s = open_in_pty(None, &["--demo"], &home, 24, 80);
    let screen = s.wait_for("Ingress rules (13)");
    assert!(screen.contains("demo"), "{screen}");
    s.send("q");
    s.wait_exit();
    let _ = std::fs::remove_dir_all(&home);
}

// ---- Never lose an edit ----

fn kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status();
    assert!(status.is_ok_and(|s| s.success()), "kill -{signal} {pid}");
}

/// A request to the sandbox's control API (faults, concurrent edits).
fn control(sb: &Sandbox, method: &str, path: &str, body: &str) {
    let url = sb.info["api_url"].as_str().unwrap_or_default();
    let hostport = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    let mut stream = std::net::TcpStream::connect(hostport).unwrap_or_else(|e| panic!("{e}"));
    let token = sb.info["token"].as_str().unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(req.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

fn add_rule(s: &mut Pty, host: &str) {
    add_rule_quietly(s, host);
    s.wait_for("did: add rule");
}

/// Adds a rule and waits for it in the table only (another message may take the status line
/// at once, as a failed autosave does).
fn add_rule_quietly(s: &mut Pty, host: &str) {
    s.send("a");
    s.wait_for("New rule #");
    s.send(&format!("{host}\t\thttp://localhost:7777\r"));
    s.wait_for(host);
}

fn publish(s: &mut Pty) {
    s.send("p");
}

/// The draft files under `dir` (not the editors' locks next to them).
fn drafts_under(dir: &std::path::Path) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|f| f.extension().is_none_or(|e| e != "lock"))
        .collect()
}

fn sandbox_config(sb: &Sandbox, home: &std::path::Path) -> Value {
    let out = Command::new(bin())
        .args(["get", "--tunnel", "config"])
        .env("CFINGRESS_SETTINGS", home.join("settings.toml"))
        .env(
            "CFINGRESS_API_URL",
            sb.info["api_url"].as_str().unwrap_or_default(),
        )
        .env(
            "CLOUDFLARE_API_TOKEN",
            sb.info["token"].as_str().unwrap_or_default(),
        )
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn kill_9_then_restore_and_publish() {
    let sb = sandbox("assets/examples/config.yml");
    let home = fresh_home("k9");

    let mut s = open_editor(&sb, &["--tunnel", "config"], &home);
    s.wait_for("Ingress rules (7)");
    add_rule(&mut s, "kept.example.com");
    std::thread::sleep(Duration::from_millis(1200)); // the autosave has run
    let pid = s.child.process_id().unwrap_or(0);
    kill(pid, "9");
    s.wait_exit();
    let drafts = drafts_under(&home.join("state").join("drafts"));
    assert_eq!(drafts.len(), 1, "{drafts:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&drafts[0])
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600, "drafts are private");
    }

    let mut s = open_editor(&sb, &["--tunnel", "config"], &home);
    let screen = s.wait_for("Restore your draft?");
    assert!(
        screen.contains("1 edit(s)") && screen.contains("still the remote version"),
        "{screen}"
    );
    s.send("v");
    s.wait_for("+      \"hostname\": \"kept.example.com\"");
    s.send("r");
    s.wait_for("restored 1 edit(s)");
    s.wait_for("Ingress rules (8)");
    publish(&mut s);
    s.wait_for("Publish? (replaces remote version 1)");
    s.send("y");
    s.wait_for("Published version 2 (was 1)");
    assert_eq!(
        sandbox_config(&sb, &home)["ingress"][1]["hostname"],
        "kept.example.com"
    );
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        drafts_under(&home.join("state").join("drafts")).is_empty(),
        "the draft is removed after publishing"
    );
    s.send("q");
    assert_eq!(s.wait_exit(), 0);

    let token = sb.info["token"].as_str().unwrap_or("?");
    for f in files_under(&home) {
        let text = std::fs::read(&f).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains(token),
            "{} holds the token",
            f.display()
        );
    }
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn sighup_saves_the_draft_and_exits_non_zero() {
    let (sb, home, mut s) = example_editor("hup");
    add_rule(&mut s, "hup.example.com");
    let pid = s.child.process_id().unwrap_or(0);
    kill(pid, "HUP");
    assert_ne!(s.wait_exit(), 0);
    std::thread::sleep(Duration::from_millis(100));
    let raw = String::from_utf8_lossy(&s.raw()).into_owned();
    assert!(raw.contains("\x1b[?1049l"), "the terminal is restored");
    assert_eq!(
        drafts_under(&home.join("state").join("drafts")).len(),
        1,
        "the draft was saved at once"
    );

    let mut s = open_editor(&sb, &["--tunnel", "config"], &home);
    s.wait_for("Restore your draft?");
    s.send("r");
    s.wait_for("Ingress rules (8)");
    s.send("q");
    s.wait_for("Quit and lose them?");
    s.send("y");
    assert_eq!(s.wait_exit(), 0);
    assert!(
        drafts_under(&home.join("state").join("drafts")).is_empty(),
        "quitting deliberately drops the draft"
    );
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_500_then_success_and_a_conflict_during_publish() {
    let (sb, home, mut s) = example_editor("500");
    add_rule(&mut s, "retry.example.com");

    control(
        &sb,
        "POST",
        "/__sandbox/faults",
        r#"{"method":"PUT","path":"configurations","kind":"server_error"}"#,
    );
    publish(&mut s);
    s.wait_for("Publish? (replaces remote version 1)");
    s.send("y");
    let screen = s.wait_for("not published, your draft is kept");
    assert!(screen.contains("● 1 unpublished"), "{screen}");
    publish(&mut s);
    s.wait_for("Publish? (replaces remote version 1)");
    s.send("y");
    s.wait_for("Published version 2 (was 1)");

    // Someone else changes the tunnel while we edit.
    add_rule(&mut s, "ours.example.com");
    let tunnel = sb.info["tunnels"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    control(
        &sb,
        "POST",
        &format!("/__sandbox/tunnels/{tunnel}/remote-edit"),
        "",
    );
    publish(&mut s);
    let screen = s.wait_for("Someone changed the config");
    assert!(
        screen.contains("version 2 → 3") && screen.contains("someone-else.example.com"),
        "{screen}"
    );
    s.send("r");
    let screen = s.wait_for("Publish? (replaces remote version 3)");
    assert!(
        screen.contains("rebased onto version 3: 1 edit replayed"),
        "{screen}"
    );
    s.send("y");
    s.wait_for("Published version 4 (was 3)");
    let held = sandbox_config(&sb, &home);
    let hosts: Vec<&str> = held["ingress"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["hostname"].as_str())
        .collect();
    assert!(
        hosts.contains(&"someone-else.example.com")
            && hosts.contains(&"ours.example.com")
            && hosts.contains(&"retry.example.com"),
        "{hosts:?}"
    );
    s.send("q");
    s.wait_exit();
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn hostile_config_never_reaches_the_terminal_raw() {
    let dir = std::env::temp_dir().join(format!("cfingress-pty-evil-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let seed = dir.join("evil.json");
    std::fs::write(
        &seed,
        "{\"ingress\":[{\"hostname\":\"x\\u001b]0;pwned\\u0007\\u001b[2J.example.com\",\"path\":\"^/\\u202eevil\",\"service\":\"http://localhost:1\",\"x-note\":\"\\u001b[31mred\"},{\"service\":\"http_status:404\"}]}",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new(bin())
        .args(["sandbox", "--seed"])
        .arg(&seed)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap_or_else(|| panic!()))
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    let sb = Sandbox {
        child,
        info: serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}")),
    };
    let mut s = open_editor(&sb, &["--tunnel", "evil"], &dir);
    s.wait_for("Ingress rules (2)");
    s.send("i"); // the detail pane shows the whole hostname
    let screen = s.wait_for("Rule #1 of 2");
    assert!(
        screen.contains("x\\x1b]0;pwned\\x07\\x1b[2J.example.com"),
        "{screen}"
    );
    s.send("p"); // nothing to publish; also exercises the status line
    s.send("e");
    s.wait_for("Rule #1");
    s.send("\x1b");
    std::thread::sleep(Duration::from_millis(200));
    let raw = s.raw();
    let raw_text = String::from_utf8_lossy(&raw);
    assert!(
        !raw_text.contains("\x1b]0;pwned"),
        "the OSC title sequence never reaches the terminal"
    );
    assert!(
        !raw_text.contains("\x07\x1b[2J"),
        "nor the clear-screen sequence"
    );
    assert!(
        raw_text.contains("\\x1b]0;pwned"),
        "it is shown as visible, inert text"
    );
    assert!(
        !raw_text.contains('\u{202e}'),
        "no bidi override reaches the terminal"
    );
    assert!(!raw_text.contains("\x1b[31mred"));
    s.send("q");
    s.wait_exit();
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- Big configs over thin links ----

/// The rows of the table on screen: (marked as selected, rule number).
fn table_rows(screen: &str) -> Vec<(bool, usize)> {
    screen
        .lines()
        .filter_map(|l| {
            let inner = l.strip_prefix('│')?;
            let selected = inner.starts_with('▶');
            let number = inner.trim_start_matches('▶').split_whitespace().next()?;
            Some((selected, number.parse().ok()?))
        })
        .collect()
}

#[test]
fn scrolling_a_large_table_draws_what_a_full_redraw_draws() {
    let home = fresh_home("scroll");
    let file = home.join("big.json");
    let out = Command::new(bin())
        .args(["fixture", "--rules", "300"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&file, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let path = file.display().to_string();
    let mut s = open_in_pty(None, &["--file", &path], &home, 24, 80);
    s.wait_for("Ingress rules (300)");
    // Down past the bottom (the table scrolls one row per move), a page, back up, to the end.
    for (keys, selected) in [
        ("j".repeat(40), 41),
        ("\x1b[6~".to_owned(), 59),
        ("k".repeat(30), 29),
        ("G".to_owned(), 300),
        ("k".repeat(3), 297),
    ] {
        s.send(&keys);
        let screen = s.wait_for(&format!("▶{selected:>3} "));
        let rows = table_rows(&screen);
        assert!(rows.len() >= 15, "{screen}");
        assert!(
            rows.windows(2).all(|w| w[1].1 == w[0].1 + 1),
            "rows are consecutive after scrolling to {selected}:\n{screen}"
        );
        assert_eq!(
            rows.iter()
                .filter(|(sel, _)| *sel)
                .map(|r| r.1)
                .collect::<Vec<_>>(),
            vec![selected],
            "{screen}"
        );
        // Ctrl-L redraws everything from scratch: the screen must not change. Trailing blanks
        // are compared as a terminal shows them: spaces written over a longer status message
        // and cells never written look the same.
        std::thread::sleep(Duration::from_millis(150));
        let shown = |text: String| {
            text.lines()
                .map(str::trim_end)
                .collect::<Vec<_>>()
                .join("\n")
        };
        let before = shown(s.text());
        s.send("\x0c");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(
            shown(s.text()),
            before,
            "incremental drawing equals a full redraw"
        );
    }
    s.send("q");
    s.wait_exit();
    let _ = std::fs::remove_dir_all(&home);
}

// ---- Issue 12: keys, filter and Esc, signals, names and files that do not exist ----

#[test]
fn user_key_bindings_drive_the_editor_and_its_footer() {
    let sb = sandbox("assets/examples/config.yml");
    let home = fresh_home("keys");
    std::fs::write(
        home.join("settings.toml"),
        "[keys]\npublish = \"P\"\nquit = [\"Q\", \"ctrl-c\"]\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut s = open_editor(&sb, &["--tunnel", "config"], &home);
    s.wait_for("Ingress rules (7)");
    let screen = s.wait_for("P publish");
    assert!(
        screen.contains("Q quit"),
        "the footer shows the user's keys: {screen}"
    );
    add_rule(&mut s, "keys.example.com");
    s.send("p");
    std::thread::sleep(Duration::from_millis(200));
    assert!(!s.text().contains("Publish? ("), "p is unbound now");
    s.send("P");
    s.wait_for("Publish? (");
    s.send("n");
    s.send("?");
    s.wait_for("Keys (");
    s.send("\x1b[6~"); // PgDn
    let help = s.wait_for("publish: check");
    assert!(
        help.lines()
            .any(|l| l.contains("  P ") && l.contains("publish: check")),
        "the help lists the user's key: {help}"
    );
    s.send("\x1b");
    s.send("q");
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !s.text().contains("Quit and lose them?"),
        "q is unbound now"
    );
    s.send("Q");
    s.wait_for("Quit and lose them?");
    s.send("y");
    assert_eq!(s.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn bad_key_bindings_are_refused_with_their_line_and_column() {
    let home = fresh_home("badkeys");
    std::fs::write(
        home.join("settings.toml"),
        "[ui]\nascii = true\n\n[keys]\npubish = \"P\"\nundo = \"d\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut s = open_in_pty(None, &["--demo"], &home, 24, 100);
    assert_eq!(s.wait_exit(), 2);
    std::thread::sleep(Duration::from_millis(200));
    let screen = s.text();
    assert!(
        screen.contains(
            "line 5, column 1: [keys]: unknown command \"pubish\" (did you mean \"publish\"?)"
        ),
        "{screen}"
    );
    assert!(screen.contains("\"d\" would run both"), "{screen}");
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn esc_clears_the_filter_and_never_quits_and_actions_stay_in_view() {
    let (_sb, home, mut s) = example_editor("filter");
    s.send("/");
    s.send("zzz");
    s.wait_for("filter: zzz");
    s.send("\r");
    s.send("d");
    let screen = s.wait_for("the filter shows none");
    assert!(screen.contains("Ingress rules (0 of 7"), "{screen}");
    s.send("\x1b");
    let screen = s.wait_for("Ingress rules (7)");
    assert!(!screen.contains("filter:"), "{screen}");
    // Esc again, twice: the editor stays.
    s.send("\x1b");
    s.wait_for("Esc does not quit: q quits");
    s.send("\x1b");
    std::thread::sleep(Duration::from_millis(300));
    assert!(matches!(s.child.try_wait(), Ok(None)), "still running");
    // A form closed with Esc, then Esc on the main screen: still running.
    s.send("e");
    s.wait_for("Rule #1");
    s.send("\x1b");
    s.wait_for("form closed");
    s.send("\x1b");
    std::thread::sleep(Duration::from_millis(300));
    assert!(matches!(s.child.try_wait(), Ok(None)), "still running");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn sigint_and_sigquit_save_the_draft_and_restore_the_terminal() {
    for signal in ["INT", "QUIT"] {
        let (_sb, home, mut s) = example_editor(&format!("sig{signal}"));
        add_rule(&mut s, "signal.example.com");
        let pid = s.child.process_id().unwrap_or(0);
        kill(pid, signal);
        assert_ne!(s.wait_exit(), 0, "{signal}");
        std::thread::sleep(Duration::from_millis(100));
        let raw = String::from_utf8_lossy(&s.raw()).into_owned();
        assert!(
            raw.contains("\x1b[?1049l"),
            "{signal}: the terminal is restored"
        );
        assert_eq!(
            drafts_under(&home.join("state").join("drafts")).len(),
            1,
            "{signal}: the draft was saved"
        );
        let _ = std::fs::remove_dir_all(&home);
    }
}

#[test]
fn an_unknown_tunnel_name_opens_the_picker() {
    let sb = sandbox("assets/examples/config.yml");
    let home = fresh_home("pick");
    let mut s = open_editor(&sb, &["--tunnel", "confi"], &home);
    let screen = s.wait_for("Choose a tunnel");
    assert!(
        screen.contains("No tunnel is named \"confi\"") && screen.contains("filter: confi"),
        "{screen}"
    );
    s.send("\r");
    s.wait_for("Ingress rules (7)");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_file_that_does_not_exist_yet_is_created_on_save() {
    let home = fresh_home("newfile");
    let file = home.join("new-config.yml");
    let path = file.display().to_string();
    let mut s = open_in_pty(None, &["--file", &path], &home, 24, 100);
    let screen = s.wait_for("This file does not exist yet");
    assert!(
        screen.contains("p save"),
        "file mode speaks of saving: {screen}"
    );
    add_rule(&mut s, "created.example.com");
    s.send("p");
    s.wait_for("Write ");
    s.send("y");
    s.wait_for("(a new file)");
    let written = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(written.contains("created.example.com"), "{written}");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_double_disconnect_at_the_restore_prompt_keeps_the_draft_and_q_and_ctrl_c_keep_it() {
    let (sb, home, mut s) = example_editor("double-hup");
    add_rule(&mut s, "twice.example.com");
    kill(s.child.process_id().unwrap_or(0), "HUP");
    s.wait_exit();
    let drafts = home.join("state").join("drafts");
    assert_eq!(drafts_under(&drafts).len(), 1);
    // The link drops again while "Restore your draft?" is on screen.
    let mut s = open_editor(&sb, &["--tunnel", "config"], &home);
    s.wait_for("Restore your draft?");
    kill(s.child.process_id().unwrap_or(0), "HUP");
    s.wait_exit();
    assert_eq!(drafts_under(&drafts).len(), 1, "the draft survives");
    // q and Ctrl-C on the prompt leave, keeping it.
    for key in ["q", "\x03"] {
        let mut s = open_editor(&sb, &["--tunnel", "config"], &home);
        s.wait_for("Restore your draft?");
        s.send(key);
        assert_eq!(s.wait_exit(), 0, "{key:?}");
        assert_eq!(drafts_under(&drafts).len(), 1, "{key:?} keeps the draft");
    }
    let mut s = open_editor(&sb, &["--tunnel", "config"], &home);
    s.wait_for("Restore your draft?");
    s.send("r");
    s.wait_for("twice.example.com");
    s.wait_for("Ingress rules (8)");
    s.send("q");
    s.wait_for("Quit and lose them?");
    s.send("y");
    assert_eq!(s.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_failed_autosave_shows_at_once_and_nothing_claims_the_edits_were_saved() {
    let sb = sandbox("assets/examples/config.yml");
    let home = fresh_home("nosave");
    // Once the editor runs, the drafts folder becomes unwritable (a file in its place), as on a
    // full or read-only disk (the tests may run as root, which ignores permissions).
    let mut s = open_editor(&sb, &["--tunnel", "config"], &home);
    s.wait_for("Ingress rules (7)");
    let drafts = home.join("state").join("drafts");
    let _ = std::fs::remove_dir_all(&drafts);
    std::fs::write(&drafts, "not a folder").unwrap_or_else(|e| panic!("{e}"));
    add_rule_quietly(&mut s, "lost.example.com");
    // The frame is drawn top to bottom: wait for its last part.
    s.wait_for("YOUR EDITS ARE NOT SAVED");
    s.wait_for("DRAFT NOT SAVED");
    kill(s.child.process_id().unwrap_or(0), "HUP");
    s.wait_exit();
    std::thread::sleep(Duration::from_millis(100));
    let raw = String::from_utf8_lossy(&s.raw()).into_owned();
    assert!(raw.contains("YOUR LATEST EDITS ARE NOT SAVED"), "{raw}");
    assert!(!raw.contains("edits are saved in"), "{raw}");
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn ctrl_c_and_sigint_while_publishing_wait_for_the_outcome_and_report_it() {
    for how in ["key", "INT"] {
        let sb = sandbox("assets/examples/config.yml");
        let home = fresh_home(&format!("pubint-{how}"));
        let mut s = open_editor(&sb, &["--tunnel", "config"], &home);
        s.wait_for("Ingress rules (7)");
        add_rule(&mut s, "slow.example.com");
        control(
            &sb,
            "POST",
            "/__sandbox/faults",
            r#"{"method":"PUT","path":"configurations","kind":"latency","ms":1500}"#,
        );
        publish(&mut s);
        s.wait_for("Publish? (replaces remote version 1)");
        s.send("y");
        s.wait_for("publishing");
        if how == "key" {
            s.send("\x03");
        } else {
            kill(s.child.process_id().unwrap_or(0), how);
        }
        let code = s.wait_exit();
        std::thread::sleep(Duration::from_millis(100));
        let raw = String::from_utf8_lossy(&s.raw()).into_owned();
        assert!(
            raw.contains("cfingress: Published version 2 (was 1)"),
            "{how}: {raw}"
        );
        assert_eq!(
            sandbox_config(&sb, &home)["ingress"][1]["hostname"],
            "slow.example.com"
        );
        assert!(
            drafts_under(&home.join("state").join("drafts")).is_empty(),
            "{how}: published, so no draft is left"
        );
        if how == "key" {
            assert_eq!(code, 0);
        } else {
            assert_ne!(code, 0);
        }
        let _ = std::fs::remove_dir_all(&home);
    }
}

#[test]
fn a_publish_that_raced_another_in_the_gap_says_so_loudly() {
    let (sb, home, mut s) = example_editor("gap");
    add_rule(&mut s, "gap.example.com");
    control(
        &sb,
        "POST",
        "/__sandbox/faults",
        r#"{"method":"PUT","path":"configurations","kind":"remote_edit_first"}"#,
    );
    publish(&mut s);
    s.wait_for("Publish? (replaces remote version 1)");
    s.send("y");
    let screen = s.wait_for("Published with warnings");
    assert!(screen.contains("WARNING"), "{screen}");
    assert!(screen.contains("Published version 3 (was 1)"), "{screen}");
    s.send("\r");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn half_typed_form_text_survives_a_disconnect() {
    let (sb, home, mut s) = example_editor("formtext");
    s.send("a");
    s.wait_for("New rule #");
    s.send("half-typed.example");
    s.wait_for("half-typed.example");
    std::thread::sleep(Duration::from_millis(600));
    kill(s.child.process_id().unwrap_or(0), "HUP");
    s.wait_exit();
    let mut s = open_editor(&sb, &["--tunnel", "config"], &home);
    s.wait_for("Restore your draft?");
    s.send("r");
    // The form is open again, with what was typed.
    let screen = s.wait_for("New rule #2");
    assert!(screen.contains("half-typed.example"), "{screen}");
    s.send("\x1b");
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_second_editor_names_the_first_and_offers_read_only_or_taking_over() {
    let (sb, home, mut first) = example_editor("second");
    add_rule(&mut first, "first.example.com");
    std::thread::sleep(Duration::from_millis(1200)); // the autosave has run
    let drafts = home.join("state").join("drafts");

    // Read-only: nothing can be published, and quitting leaves everything as it was.
    let mut second = open_editor(&sb, &["--tunnel", "config"], &home);
    let screen = second.wait_for("Held by another editor");
    let pid = first.child.process_id().unwrap_or(0);
    assert!(screen.contains(&format!("pid {pid} on ")), "{screen}");
    second.send("v");
    second.wait_for("READ-ONLY");
    second.send("p");
    second.wait_for("read-only: another editor holds it");
    second.send("q");
    assert_eq!(second.wait_exit(), 0);

    // Taking over keeps the first editor's draft aside.
    let mut third = open_editor(&sb, &["--tunnel", "config"], &home);
    third.wait_for("Held by another editor");
    third.send("T");
    third.wait_for("taken over; the other editor's draft is kept in");
    let files = drafts_under(&drafts);
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().contains(".taken-over-")),
        "{files:?}"
    );
    // The first editor learns it on its next save, and keeps its draft aside too.
    // It says so, names the holder and where its draft went, and refuses to publish.
    add_rule(&mut first, "after.example.com");
    let screen = first.wait_for("TAKEN OVER");
    assert!(!screen.contains("DRAFT NOT SAVED"), "{screen}");
    let third_pid = third.child.process_id().unwrap_or(0);
    first.wait_for(&format!("pid {third_pid} on "));
    first.wait_for("draft is kept aside in");
    let files = drafts_under(&drafts);
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().ends_with(".aside")),
        "{files:?}"
    );
    first.send("p");
    let screen = first.wait_for("not published: another editor");
    assert!(!screen.contains("Review"), "{screen}");
    first.send("q");
    first.wait_for("Quit?");
    first.send("y");
    let out = first.wait_for("took this over: your draft is kept aside in");
    assert!(!out.contains("NOT SAVED"), "{out}");
    first.wait_exit();

    // A dead editor's lock is taken over without a question.
    kill(third.child.process_id().unwrap_or(0), "9");
    third.wait_exit();
    let mut fourth = open_editor(&sb, &["--tunnel", "config"], &home);
    fourth.wait_for("lock was taken over");
    fourth.send("q");
    fourth.wait_exit();
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_conflicting_rebase_names_the_rule_and_keeps_mine_when_asked() {
    let (sb, home, mut s) = example_editor("rebase-conflict");
    // Mine: delete grafana (rule #1) and add a rule.
    s.send("d");
    s.wait_for("did: delete rule 1");
    add_rule(&mut s, "mine.example.com");
    // Theirs, from another shell: grafana points elsewhere now.
    let mut theirs = sandbox_config(&sb, &home);
    theirs["ingress"][0]["service"] = Value::from("http://localhost:3999");
    let file = home.join("theirs.json");
    std::fs::write(&file, theirs.to_string()).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(bin())
        .args(["apply", "--tunnel", "config", "--yes"])
        .arg(&file)
        .env("CFINGRESS_SETTINGS", home.join("settings.toml"))
        .env("CFINGRESS_STATE_DIR", home.join("other-state"))
        .env(
            "CFINGRESS_API_URL",
            sb.info["api_url"].as_str().unwrap_or_default(),
        )
        .env(
            "CLOUDFLARE_API_TOKEN",
            sb.info["token"].as_str().unwrap_or_default(),
        )
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    publish(&mut s);
    s.wait_for("Someone changed the config");
    s.send("r");
    let screen = s.wait_for("Rebase onto version 2");
    assert!(
        screen.contains("1 edit replayed as made; 1 conflict")
            && screen.contains("rule #1 grafana.example.com")
            && screen.contains("http://localhost:3999")
            && screen.contains("deleted"),
        "{screen}"
    );
    s.send("m");
    s.wait_for("keeping: MINE");
    s.send("\r");
    let screen = s.wait_for("Publish? (replaces remote version 2)");
    assert!(
        screen.contains("1 conflict: 1 kept yours, 0 kept theirs"),
        "{screen}"
    );
    s.send("y");
    s.wait_for("Published version 3 (was 2)");
    let held = sandbox_config(&sb, &home);
    let hosts: Vec<&str> = held["ingress"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["hostname"].as_str())
        .collect();
    assert!(!hosts.contains(&"grafana.example.com"), "{hosts:?}");
    assert!(hosts.contains(&"mine.example.com"), "{hosts:?}");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&home);
}
