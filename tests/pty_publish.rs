//! The publish race in a real terminal: someone publishes while the user is deciding, in `apply`
//! (at its `[y/N]` question) and in the editor (while the review is on screen). Either way the
//! user's `y` must not overwrite the other publish.

use std::time::Duration;

mod common;
use common::{Pty, SandboxProcess, fresh_dir};

fn raw_text(s: &Pty) -> String {
    String::from_utf8_lossy(&s.raw()).into_owned()
}

fn wait_raw(s: &Pty, needle: &str) {
    let start = std::time::Instant::now();
    while !raw_text(s).contains(needle) {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting for {needle:?}; the terminal shows:\n{}",
            s.text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn apply_refuses_when_the_remote_moved_while_its_question_waited() {
    let sb = SandboxProcess::start(&["assets/examples/config.yml"]);
    let home = fresh_dir("pty-apply-race");
    let file = home.join("mine.json");
    std::fs::write(
        &file,
        r#"{"ingress":[{"hostname":"grafana.example.com","service":"http://localhost:3001"},{"service":"http_status:404"}]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let file = file.display().to_string();
    let mut s = Pty::spawn(
        &["apply", "--tunnel", "config", &file],
        &sb.env(&home),
        50,
        160,
    );
    wait_raw(&s, "Publish these changes? [y/N]");
    assert!(raw_text(&s).contains("Changes to tunnel config ("));

    // A colleague publishes while the question waits.
    let id = sb.tunnel_id("config");
    sb.control("POST", &format!("/__sandbox/tunnels/{id}/remote-edit"), "");
    s.send("y\r");
    assert_eq!(s.wait_exit(), 1);
    wait_raw(&s, "See the difference with");
    let text = raw_text(&s).replace("\r\n", "\n");
    assert!(
        text.contains("changed while you were deciding (version 1 → 2), so nothing was sent")
            && text.contains("+ rule #1 someone-else.example.com (added)"),
        "{text}"
    );
    assert!(
        !text.contains("Published version"),
        "the other publish is not overwritten: {text}"
    );

    // Their edit is still there.
    let o = std::process::Command::new(common::bin())
        .args(["get", "--tunnel", "config"])
        .env_clear()
        .envs(sb.env(&home))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let held: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(held["ingress"][0]["hostname"], "someone-else.example.com");
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn the_editor_does_not_publish_over_a_change_made_during_its_review() {
    let sb = SandboxProcess::start(&["assets/examples/config.yml"]);
    let home = fresh_dir("pty-editor-race");
    let mut s = Pty::spawn(&["--tunnel", "config"], &sb.env(&home), 30, 110);
    s.wait_for("Ingress rules (7)");
    s.send("a");
    s.wait_for("New rule #2");
    s.send("race.example.com\t\thttp://localhost:7777\r");
    s.wait_for("did: add rule 2 race.example.com");
    // The example's warnings are already published: they are not asked about again.
    s.send("p");
    s.wait_for("Publish? (replaces remote version 1)");

    let id = sb.tunnel_id("config");
    sb.control("POST", &format!("/__sandbox/tunnels/{id}/remote-edit"), "");
    s.send("y");
    // Nothing was sent: the conflict screen shows what changed, and offers to rebase.
    let screen = s.wait_for("Someone changed the config");
    assert!(
        screen.contains("someone published version 2 while you reviewed")
            && screen.contains("Your draft is kept"),
        "{screen}"
    );
    s.send("r");
    let screen = s.wait_for("Publish? (replaces remote version 2)");
    assert!(screen.contains("race.example.com"), "{screen}");
    s.send("y");
    s.wait_for("Published version 3 (was 2)");

    // Both publishes from here are in the journal; the refused one is not.
    let o = std::process::Command::new(common::bin())
        .args(["history", "--tunnel", "config", "--format", "json"])
        .env_clear()
        .envs(sb.env(&home))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    let entries = v["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "{v}");
    assert_eq!(entries[0]["via"], "editor");
    assert_eq!(entries[0]["from_version"], 2);
    assert_eq!(entries[0]["to_version"], 3);
    s.send("q");
    s.wait_exit();
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_file_saved_by_the_editor_is_journaled_with_its_exact_text() {
    let home = fresh_dir("pty-file-journal");
    let file = home.join("config.json");
    let original = "{\"ingress\":[{\"service\":\"http_status:404\"}]}\n";
    std::fs::write(&file, original).unwrap_or_else(|e| panic!("{e}"));
    let path = file.display().to_string();
    let env = [
        ("HOME", home.display().to_string()),
        ("USER", "oncall".to_owned()),
        (
            "CFINGRESS_STATE_DIR",
            home.join("state").display().to_string(),
        ),
        (
            "CFINGRESS_SETTINGS",
            home.join("settings.toml").display().to_string(),
        ),
    ];
    let mut s = Pty::spawn(&["--file", &path], &env, 30, 110);
    s.wait_for("Ingress rules (1)");
    s.send("a");
    s.wait_for("New rule #1");
    s.send("saved.example.com\t\thttp://localhost:7777\r");
    s.wait_for("did: add rule 1 saved.example.com");
    s.send("p");
    s.wait_for("Write ");
    s.send("y");
    s.wait_for("Saved ");
    s.send("q");
    s.wait_exit();

    let o = std::process::Command::new(common::bin())
        .args(["history", "--format", "json", "--file", &path])
        .env_clear()
        .envs(env.iter().cloned())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {o:?}"));
    let entries = v["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "{v}");
    assert_eq!(entries[0]["outcome"], "saved");
    assert_eq!(entries[0]["from_version"], serde_json::Value::Null);
    assert_eq!(entries[0]["via"], "editor");
    assert_eq!(
        entries[0]["summary"][0],
        "+ rule #1 saved.example.com (added)"
    );
    // The journal keeps the file's exact text before the save.
    let kept: Vec<String> = common::files_under(&home.join("state/journal"))
        .iter()
        .filter(|p| p.parent().is_some_and(|d| d.ends_with("configs")))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    assert!(kept.iter().any(|t| t == original), "{kept:?}");
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn the_editor_rolls_back_through_its_history() {
    let sb = SandboxProcess::start(&["assets/examples/config.yml"]);
    let home = fresh_dir("pty-editor-history");
    let mut s = Pty::spawn(&["--tunnel", "config"], &sb.env(&home), 30, 110);
    s.wait_for("Ingress rules (7)");
    // Version 2 adds a rule, version 3 deletes it again.
    s.send("a");
    s.wait_for("New rule #2");
    s.send("history.example.com\t\thttp://localhost:7777\r");
    s.wait_for("did: add rule 2 history.example.com");
    s.send("p");
    s.wait_for("Publish? (replaces remote version 1)");
    s.send("y");
    s.wait_for("Published version 2 (was 1)");
    s.send("d");
    s.wait_for("Ingress rules (7)");
    s.send("p");
    s.wait_for("Publish? (replaces remote version 2)");
    s.send("y");
    s.wait_for("Published version 3 (was 2)");

    // H lists both, newest first; the older one published version 2.
    s.send("H");
    let screen = s.wait_for("v1 → v2");
    assert!(screen.contains("v2 → v3"), "{screen}");
    s.send("j");
    s.send("\r");
    let screen = s.wait_for("loaded version 2 into the draft");
    assert!(screen.contains("Ingress rules (8)"), "{screen}");
    // One undo brings back the draft before the load; redo loads it again.
    s.send("u");
    s.wait_for("Ingress rules (7)");
    s.send("\x12"); // Ctrl-r
    s.wait_for("Ingress rules (8)");
    // Publishing it is a normal publish: reviewed, then a new version.
    s.send("p");
    let screen = s.wait_for("Publish? (replaces remote version 3)");
    assert!(
        screen.contains("+ rule #2 history.example.com (added)"),
        "{screen}"
    );
    s.send("y");
    s.wait_for("Published version 4 (was 3)");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&home);
}
