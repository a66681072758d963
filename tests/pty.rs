//! The real binary in a pseudo-terminal, read through a terminal-screen parser, against a
//! `cfingress sandbox` process: open a tunnel, add a rule through the form, undo and redo it,
//! publish, and check both the screen and what the sandbox now holds.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::Value;

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

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cfingress")
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

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Screen {
    fn text(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if text.contains(needle) {
                return text;
            }
            if start.elapsed() > Duration::from_secs(15) {
                panic!("timed out waiting for {needle:?}; the screen shows:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn send(&mut self, bytes: &str) {
        self.writer
            .write_all(bytes.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        self.writer.flush().unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(Duration::from_millis(60));
    }
}

fn open_editor(sb: &Sandbox, args: &[&str], home: &std::path::Path) -> Screen {
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize {
            rows: 30,
            cols: 110,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = CommandBuilder::new(bin());
    cmd.args(args);
    cmd.env_clear();
    cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", home);
    cmd.env("CFINGRESS_SETTINGS", home.join("settings.toml"));
    cmd.env("CFINGRESS_STATE_DIR", home.join("state"));
    cmd.env(
        "CFINGRESS_API_URL",
        sb.info["api_url"].as_str().unwrap_or_default(),
    );
    cmd.env(
        "CLOUDFLARE_API_TOKEN",
        sb.info["token"].as_str().unwrap_or_default(),
    );
    let child = pair
        .slave
        .spawn_command(cmd)
        .unwrap_or_else(|e| panic!("{e}"));
    drop(pair.slave);
    let mut reader = pair
        .master
        .try_clone_reader()
        .unwrap_or_else(|e| panic!("{e}"));
    let writer = pair.master.take_writer().unwrap_or_else(|e| panic!("{e}"));
    let parser = Arc::new(Mutex::new(vt100::Parser::new(30, 110, 0)));
    let raw = Arc::new(Mutex::new(Vec::new()));
    let (p, r) = (Arc::clone(&parser), Arc::clone(&raw));
    std::thread::spawn(move || {
        let _keep_master = pair.master;
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut p) = p.lock() {
                p.process(&buf[..n]);
            }
            if let Ok(mut r) = r.lock() {
                r.extend_from_slice(&buf[..n]);
            }
        }
    });
    Screen {
        parser,
        raw,
        writer,
        child,
    }
}

#[test]
fn add_undo_redo_publish_in_a_real_terminal() {
    let sb = sandbox("assets/examples/config.yml");
    let home = std::env::temp_dir().join(format!("cfingress-pty-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&home);
    let mut s = open_editor(&sb, &["--tunnel", "config"], &home);
    s.wait_for("Ingress rules (7)");
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

    // Publish: the example has a warning, then the review, then y.
    s.send("p");
    s.wait_for("Publish anyway?");
    s.send("y");
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
    let held: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(held["ingress"][1]["hostname"], "e2e.example.com");
    assert_eq!(held["ingress"][1]["service"], "http://localhost:7777");

    // Quit restores the terminal.
    s.send("q");
    let start = Instant::now();
    while s.child.try_wait().ok().flatten().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the editor did not quit"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    std::thread::sleep(Duration::from_millis(100));
    let raw = s.raw.lock().map(|r| r.clone()).unwrap_or_default();
    let raw = String::from_utf8_lossy(&raw);
    assert!(
        raw.contains("\x1b[?1049h") && raw.contains("\x1b[?1049l"),
        "alternate screen entered and left"
    );
    assert!(
        !raw.contains(sb.info["token"].as_str().unwrap_or("?")),
        "the token never reaches the terminal"
    );
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn the_demo_opens_without_an_account() {
    let home = std::env::temp_dir().join(format!("cfingress-pty-demo-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&home);
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = CommandBuilder::new(bin());
    cmd.arg("--demo");
    cmd.env_clear();
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", &home);
    cmd.env("CFINGRESS_SETTINGS", home.join("settings.toml"));
    cmd.env("CFINGRESS_STATE_DIR", home.join("state"));
    let mut child = pair
        .slave
        .spawn_command(cmd)
        .unwrap_or_else(|e| panic!("{e}"));
    drop(pair.slave);
    let mut reader = pair
        .master
        .try_clone_reader()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut writer = pair.master.take_writer().unwrap_or_else(|e| panic!("{e}"));
    let parser = Arc::new(Mutex::new(vt100::Parser::new(24, 80, 0)));
    let p = Arc::clone(&parser);
    std::thread::spawn(move || {
        let _keep = pair.master;
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut p) = p.lock() {
                p.process(&buf[..n]);
            }
        }
    });
    let start = Instant::now();
    loop {
        let text = parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default();
        if text.contains("Ingress rules (13)") && text.contains("demo") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the demo did not open:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    let _ = writer.write_all(b"q");
    let _ = writer.flush();
    let start = Instant::now();
    while child.try_wait().ok().flatten().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the demo did not quit"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    let _ = std::fs::remove_dir_all(&home);
}
