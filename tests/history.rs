//! The publish journal, `history` and `rollback`, and the checks `apply` makes around its
//! publish, run as the built binary against a `cfingress sandbox` process.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;
use common::{SandboxProcess, bin, files_under, fresh_dir};

struct Run<'a> {
    sb: &'a SandboxProcess,
    home: PathBuf,
}

impl Run<'_> {
    fn cmd(&self, args: &[&str]) -> Output {
        Command::new(bin())
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.sb.env(&self.home))
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// `rollback --tunnel config --to-version N` with `extra` options.
    fn rollback(&self, version: u64, extra: &[&str]) -> Output {
        let version = version.to_string();
        let mut args = vec!["rollback", "--tunnel", "config", "--to-version", &version];
        args.extend_from_slice(extra);
        self.cmd(&args)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.home.join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path.display().to_string()
    }

    fn history(&self) -> Vec<Value> {
        let o = self.cmd(&["history", "--tunnel", "config", "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
        v["entries"].as_array().cloned().unwrap_or_default()
    }

    fn remote(&self) -> Value {
        let o = self.cmd(&["get", "--tunnel", "config"]);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", err(&o)))
    }

    fn remote_version(&self) -> u64 {
        let o = self.cmd(&[
            "diff",
            "--tunnel",
            "config",
            "--format",
            "json",
            &self.example(),
        ]);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
        v["remote_version"].as_u64().unwrap_or(0)
    }

    fn example(&self) -> String {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets/examples/config.yml")
            .display()
            .to_string()
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The example config with rule 1's service changed.
fn variant(port: u16) -> String {
    format!(
        r#"{{"ingress":[{{"hostname":"grafana.example.com","service":"http://localhost:{port}"}},{{"hostname":"api.example.com","service":"http://localhost:8081"}},{{"service":"http_status:404"}}]}}"#
    )
}

#[test]
fn publishes_are_journaled_and_a_version_can_be_published_again() {
    let sb = SandboxProcess::start(&["assets/examples/config.yml"]);
    let run = Run {
        sb: &sb,
        home: fresh_dir("hist-rollback"),
    };
    let v2 = run.file("v2.json", &variant(3002));
    let v3 = run.file("v3 (next).json", &variant(3003));
    for (file, want) in [
        (&v2, "Published version 2 (was 1)"),
        (&v3, "Published version 3 (was 2)"),
    ] {
        let o = run.cmd(&["apply", "--tunnel", "config", "--yes", file]);
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        assert!(out(&o).contains(want), "{}", out(&o));
        assert!(
            err(&o).contains("Changes to tunnel config ("),
            "apply names the tunnel: {}",
            err(&o)
        );
    }

    // Roll back to version 2: a normal publish of version 2's config.
    let o = run.rollback(2, &["--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        out(&o).contains("Published version 4 (was 3)"),
        "{}",
        out(&o)
    );
    assert!(
        err(&o).contains("+++ version 2")
            && err(&o).contains("-      \"service\": \"http://localhost:3003\""),
        "the diff is shown: {}",
        err(&o)
    );
    assert_eq!(
        run.remote()["ingress"][0]["service"],
        "http://localhost:3002",
        "version 4 holds version 2's config"
    );

    // The journal: newest first, the documented fields first.
    let entries = run.history();
    assert_eq!(entries.len(), 3);
    let keys: Vec<&str> = entries[0]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys[..4],
        ["time", "from_version", "to_version", "summary"],
        "{keys:?}"
    );
    let versions: Vec<(u64, u64)> = entries
        .iter()
        .map(|e| {
            (
                e["from_version"].as_u64().unwrap_or(0),
                e["to_version"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(versions, [(3, 4), (2, 3), (1, 2)]);
    assert_eq!(entries[0]["via"], "rollback to version 2");
    assert_eq!(entries[0]["user"], "oncall");
    assert_eq!(entries[0]["outcome"], "published");
    assert_eq!(entries[0]["raced"], Value::Null);
    assert!(
        entries[0]["summary"][1]
            .as_str()
            .is_some_and(|l| l.contains("\"http://localhost:3003\" → \"http://localhost:3002\"")),
        "{}",
        entries[0]
    );
    assert!(
        entries[1]["via"]
            .as_str()
            .is_some_and(|v| v.starts_with("apply ") && v.ends_with("v3 (next).json"))
    );
    assert!(
        entries[2]["summary"][0]
            .as_str()
            .is_some_and(|l| l.starts_with("- rule #2"))
    );

    // Version 1 is the "before" of the first publish; the text fits 80 columns.
    let o = run.cmd(&["history", "--tunnel", "config"]);
    let text = out(&o);
    assert!(text.contains("v3 → v4  oncall@"), "{text}");
    assert!(
        text.lines()
            .filter(|l| !l.starts_with("Journal: "))
            .all(|l| l.chars().count() <= 80),
        "{text}"
    );
    let o = run.rollback(1, &["--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(run.remote()["ingress"].as_array().map(Vec::len), Some(7));

    // Publishing what is already there sends nothing.
    let o = run.rollback(5, &["--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("Nothing to publish"), "{}", out(&o));
    assert_eq!(run.remote_version(), 5, "nothing was sent");

    // A version the journal never saw.
    let o = run.rollback(42, &["--yes"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("no journal entry for version 42 of tunnel config (")
            && err(&o).contains("versions the journal keeps: 1, 2, 3, 4, 5"),
        "{}",
        err(&o)
    );
    let o = run.rollback(42, &["--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["error"]["exit_status"], 1);
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("no journal entry for version 42"))
    );

    // The journal never holds the token.
    let token = sb.field("token");
    for f in files_under(&run.home.join("state")) {
        let text = std::fs::read(&f).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains(&token),
            "{}",
            f.display()
        );
    }
    let _ = std::fs::remove_dir_all(&run.home);
}

#[test]
fn a_publish_in_the_gap_before_the_put_is_reported_and_journaled() {
    let sb = SandboxProcess::start(&["assets/examples/config.yml"]);
    let run = Run {
        sb: &sb,
        home: fresh_dir("hist-gap"),
    };
    sb.control(
        "POST",
        "/__sandbox/faults",
        r#"{"method":"PUT","path":"configurations","kind":"remote_edit_first"}"#,
    );
    let file = run.file("mine.json", &variant(3002));
    let o = run.cmd(&["apply", "--tunnel", "config", "--yes", &file]);
    assert_eq!(o.status.code(), Some(1), "needs attention: {}", err(&o));
    assert!(
        out(&o).contains("Published version 3 (was 1)"),
        "{}",
        out(&o)
    );
    assert!(
        err(&o).contains("WARNING: someone else published version 2 between cfingress's last check (version 1) and this publish (version 3)"),
        "{}",
        err(&o)
    );
    let entries = run.history();
    assert_eq!(entries[0]["raced"]["checked_version"], 1);
    assert_eq!(entries[0]["raced"]["published_version"], 3);
    assert_eq!(
        entries[0]["raced"]["overwritten_versions"],
        serde_json::json!([2, 2])
    );
    let o = run.rollback(2, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("version 2 of tunnel config (")
            && err(&o).contains("was published by someone else"),
        "{}",
        err(&o)
    );
    let o = run.cmd(&["history", "--tunnel", "config"]);
    assert!(
        out(&o).contains("! RACED: someone else published version 2"),
        "{}",
        out(&o)
    );

    // A server that changes what it is sent is reported too.
    sb.control(
        "POST",
        "/__sandbox/faults",
        r#"{"method":"PUT","path":"configurations","kind":"alter_config"}"#,
    );
    let file = run.file("next.json", &variant(3004));
    let o = run.cmd(&[
        "apply", "--tunnel", "config", "--yes", "--format", "json", &file,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["published"], true);
    assert!(
        v["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("a config other than the one sent")
                && w.contains("+ rule #1 someone-else.example.com (added)")),
        "{v}"
    );
    assert!(
        run.history()[0]["altered"][0]
            .as_str()
            .is_some_and(|l| l.contains("someone-else.example.com"))
    );
    let _ = std::fs::remove_dir_all(&run.home);
}

#[test]
fn fractional_durations_are_refused_before_any_diff() {
    let sb = SandboxProcess::start(&["assets/examples/config.yml"]);
    let run = Run {
        sb: &sb,
        home: fresh_dir("hist-durations"),
    };
    let file = run.file(
        "frac.yml",
        "ingress:\n  - hostname: a.example.com\n    service: http://localhost:1\n    originRequest:\n      connectTimeout: 1500ms\n  - service: http_status:404\n",
    );
    let o = run.cmd(&["apply", "--tunnel", "config", "--yes", &file]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("not publishing ")
            && err(&o).contains(
                "ingress[0].originRequest.connectTimeout is 1.5s, but remote configs store whole seconds: use 2s"
            )
            && !err(&o).contains("---"),
        "{}",
        err(&o)
    );
    let o = run.cmd(&["diff", "--tunnel", "config", &file]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        out(&o).is_empty() && err(&o).contains("use 2s"),
        "{}",
        err(&o)
    );
    assert_eq!(run.remote_version(), 1, "nothing was sent");
    let _ = std::fs::remove_dir_all(&run.home);
}

#[test]
fn an_unreadable_journal_is_reported_and_kept_aside() {
    let sb = SandboxProcess::start(&["assets/examples/config.yml"]);
    let run = Run {
        sb: &sb,
        home: fresh_dir("hist-corrupt"),
    };
    let file = run.file("a.json", &variant(3002));
    let o = run.cmd(&["apply", "--tunnel", "config", "--yes", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let journal = std::fs::read_dir(run.home.join("state/journal"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir())
        .unwrap_or_else(|| panic!("no journal"));
    std::fs::write(journal.join("index.json"), "{not json").unwrap_or_else(|e| panic!("{e}"));
    let id = sb.tunnel_id("config");
    let o = run.cmd(&["history", "--tunnel", &id]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("cannot be read"), "{}", err(&o));
    let o = run.rollback(1, &["--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("cannot be read"), "{}", err(&o));

    let file = run.file("b.json", &variant(3003));
    let o = run.cmd(&["apply", "--tunnel", "config", "--yes", &file]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        err(&o).contains("the publish journal could not be read, so it was moved to ")
            && err(&o).contains(".corrupt"),
        "{}",
        err(&o)
    );
    let aside = journal.with_extension("corrupt");
    assert_eq!(
        std::fs::read_to_string(aside.join("index.json"))
            .ok()
            .as_deref(),
        Some("{not json")
    );
    assert_eq!(run.history().len(), 1);
    let _ = std::fs::remove_dir_all(&run.home);
}

#[test]
fn offline_commands_take_no_remote_options_and_json_failures_are_json() {
    for cmd in ["sandbox", "completions", "man"] {
        let o = Command::new(bin())
            .args([cmd, "--help"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let help = out(&o);
        for option in [
            "--tunnel",
            "--account",
            "--api-token-file",
            "--api-url",
            "--email",
            "--profile",
        ] {
            assert!(
                !help.contains(option),
                "{cmd} --help lists {option}:\n{help}"
            );
        }
    }
    // validate and match judge files offline, or a tunnel's live config with the remote options.
    for cmd in ["apply", "validate", "match"] {
        let o = Command::new(bin())
            .args([cmd, "--help"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(out(&o).contains("--tunnel") && out(&o).contains("--api-token-file"));
    }
    let o = Command::new(bin())
        .args(["--tunnel", "prod", "validate", "x.yml"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("--tunnel is not used by `cfingress validate FILE...`"),
        "{}",
        err(&o)
    );

    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples/config.yml");
    let o = Command::new(bin())
        .args(["match", "--format", "json"])
        .arg(&example)
        .arg("api.example.com/\u{1b}[2J")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(&o)));
    assert_eq!(v["error"]["exit_status"], 2);
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(!out(&o).contains('\u{1b}'), "escaped in JSON too");
    assert!(!err(&o).is_empty(), "and said on stderr");

    // A remote failure, as JSON: no credentials.
    let o = Command::new(bin())
        .args(["tunnels", "--format", "json"])
        .env_clear()
        .env("HOME", fresh_dir("hist-nocreds"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(&o)));
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no Cloudflare credentials"))
    );
}
