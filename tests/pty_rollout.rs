//! The editor's view of the connectors in a real terminal, against the sandbox's connectors
//! (one prompt, one six seconds late, one stale): the rollout panel after a publish and the
//! tunnel picker's health column.

use std::time::Duration;

mod common;
use common::{Pty, SandboxProcess, fresh_dir};

#[test]
fn a_publish_shows_the_rollout_panel_which_never_holds_editing_up() {
    let sb = SandboxProcess::start(&[]);
    let home = fresh_dir("pty-rollout");
    // A short wait, so the stale connector times the rollout out within the test.
    std::fs::write(home.join("settings.toml"), "[rollout]\nwait_timeout = 4\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut s = Pty::spawn(&["--tunnel", "demo"], &sb.env(&home), 30, 120);
    s.wait_for("Ingress rules (");
    s.send("a");
    s.wait_for("New rule #");
    s.send("rollout.example.com\t\thttp://localhost:7777\r");
    s.wait_for("did: add rule");
    s.send("p");
    let screen = s.wait_for("Publish");
    if screen.contains("Publish anyway?") {
        s.send("y");
        s.wait_for("Publish? (replaces remote version");
    }
    s.send("y");
    let screen = s.wait_for("Rollout: polling the connectors");
    assert!(
        screen.contains("connectors on version") || screen.contains("waiting for the connectors"),
        "{screen}"
    );
    // The prompt connector is current at once; the stale one is named as behind.
    let screen = s.wait_for("still on");
    assert!(
        screen.contains("1/3 connectors on version")
            || screen.contains("2/3 connectors on version"),
        "{screen}"
    );
    // A key the panel does not use closes it and acts on the rules: the filter opens.
    s.send("/");
    let screen = s.wait_for("filter:");
    assert!(!screen.contains("Rollout: polling"), "{screen}");
    s.send("\u{1b}");
    // Polling went on: the timeout's outcome reaches the status line, naming who is behind.
    let screen = s.wait_for("timed out after");
    assert!(
        screen.contains("rollout of version") && screen.contains("still on"),
        "{screen}"
    );
    // The status view shows the tunnel's connectors and the last rollout.
    s.send("s");
    let screen = s.wait_for("config version");
    assert!(
        screen.contains("Status of demo") && screen.contains("unsupported"),
        "{screen}"
    );
    s.send("\u{1b}");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn the_tunnel_picker_shows_each_tunnels_health() {
    let sb = SandboxProcess::start(&[]);
    let home = fresh_dir("pty-health");
    let mut s = Pty::spawn(&[], &sb.env(&home), 30, 120);
    let screen = s.wait_for("Choose a tunnel");
    assert!(screen.contains("HEALTH"), "{screen}");
    // The demo tunnel's connectors: three, one on an older config once something is
    // published, one whose cloudflared is unsupported.
    let screen = s.wait_for("3 conn");
    assert!(screen.contains("unsupported"), "{screen}");
    let took = s.within(Duration::from_secs(10), |t| !t.contains(" · ?"));
    assert!(took.is_some(), "no tunnel's health failed: {}", s.text());
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&home);
}
