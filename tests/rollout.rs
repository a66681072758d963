//! Did it reach the connectors: `status`, `apply --wait`, `doctor` and the live forms of `match`
//! and `validate`, run as the built binary against a `cfingress sandbox` process whose
//! connectors, permissions and Access applications the tests set through its control API.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{SandboxProcess, bin, fresh_dir};
use serde_json::Value;

struct Setup {
    sb: SandboxProcess,
    home: PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

fn setup(test: &str) -> Setup {
    Setup {
        sb: SandboxProcess::start(&[]),
        home: fresh_dir(&format!("rollout-{test}")),
    }
}

impl Setup {
    fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    fn run_env(&self, args: &[&str], extra: &[(&str, String)]) -> Output {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdin(Stdio::null());
        for (k, v) in self.sb.env(&self.home) {
            cmd.env(k, v);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().unwrap_or_else(|e| panic!("{e}"))
    }

    fn demo(&self) -> String {
        self.sb.tunnel_id("demo")
    }

    /// Replaces the demo tunnel's connectors.
    fn connectors(&self, specs: &str) {
        self.sb.control(
            "POST",
            &format!("/__sandbox/tunnels/{}/connectors", self.demo()),
            specs,
        );
    }

    /// A copy of the demo config with one service changed, to publish.
    fn changed_config(&self, port: u16) -> PathBuf {
        let o = self.run(&["get", "--tunnel", "demo"]);
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        let text = regex::Regex::new(r"http://localhost:80\d\d")
            .unwrap_or_else(|e| panic!("{e}"))
            .replace(&out(&o), format!("http://localhost:{port}").as_str())
            .into_owned();
        let path = self.home.join(format!("demo-{port}.json"));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        path
    }

    /// The read-only token the sandbox derives from its token.
    fn read_only_token(&self) -> String {
        let mut ro: String = self.sb.field("token").chars().rev().collect();
        ro.replace_range(0..3, "RO_");
        ro
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_str(out(o).trim()).unwrap_or_else(|e| panic!("{e}: {}", out(o)))
}

const PROMPT: &str = r#"{"lag_ms":0}"#;
const SLOW: &str = r#"{"lag_ms":1500}"#;
const STALE: &str = r#"{"stale":true}"#;

#[test]
fn status_shows_health_connectors_and_flags() {
    let s = setup("status");
    let o = s.run(&["status", "--tunnel", "demo"]);
    let text = out(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "an unsupported cloudflared needs attention: {text}"
    );
    assert!(text.starts_with("Tunnel demo ("), "{text}");
    assert!(
        text.contains("healthy · 3 connectors · 1 unsupported cloudflared"),
        "{text}"
    );
    assert!(text.contains("Config version 1 (published "), "{text}");
    assert!(
        text.contains("CONNECTOR  CLOUDFLARED  ARCH         ORIGIN IP      COLOS    CONFIG  UP"),
        "{text}"
    );
    assert!(text.contains("198.51.100.23  LHR"), "{text}");
    assert!(
        text.contains("is no longer supported (Cloudflare supports releases from "),
        "{text}"
    );

    let o = s.run(&["status", "--tunnel", "demo", "--format", "json"]);
    let doc = json(&o);
    assert_eq!(doc["tunnel_id"], s.demo());
    assert_eq!(
        (doc["status"].as_str(), doc["config_version"].as_u64()),
        (Some("healthy"), Some(1))
    );
    let list = doc["connectors"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 3);
    for c in &list {
        for key in [
            "id",
            "version",
            "arch",
            "config_version",
            "origin_ips",
            "colos",
            "run_at",
            "flags",
        ] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
    }
    assert_eq!(list[2]["flags"][0]["flag"], "unsupported_cloudflared");

    // Healthy connectors, one behind and one pending a reconnect.
    s.connectors(&format!("[{PROMPT},{PROMPT}]"));
    let o = s.run(&["status", "--tunnel", "demo"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let id = s.demo();
    s.sb.control(
        "POST",
        &format!("/__sandbox/tunnels/{id}/connectors/1"),
        r#"{"stale":true}"#,
    );
    s.sb.control("POST", &format!("/__sandbox/tunnels/{id}/remote-edit"), "");
    s.sb.control(
        "POST",
        &format!("/__sandbox/tunnels/{id}/connectors/0"),
        r#"{"pending_reconnect":true}"#,
    );
    let o = s.run(&["status", "--tunnel", "demo"]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("degraded · 1 connector · 1 on an older config · 1 disconnected"),
        "{text}"
    );
    assert!(
        text.contains("v1 old") && text.contains("runs config version 1, not the current 2"),
        "{text}"
    );
    assert!(
        text.contains("disconnected (every connection pending reconnect)"),
        "{text}"
    );

    let o = s.run(&["status", "--tunnel", "new-tunnel"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("inactive · no connectors") && out(&o).contains("No remote config yet")
    );
}

// `apply` runs with --no-dns where the rollout is the point: the demo's DNS drifts on purpose
// (legacy.example.com is another tunnel's), which makes `apply` exit 1.
#[test]
fn apply_wait_with_prompt_connectors_exits_zero() {
    let s = setup("wait-prompt");
    s.connectors(&format!("[{PROMPT},{PROMPT}]"));
    let file = s.changed_config(8081);
    let path = file.display().to_string();
    let o = s.run(&[
        "apply", "--no-dns", "--tunnel", "demo", &path, "--yes", "--wait",
    ]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}{}", err(&o));
    assert!(text.starts_with("Published version 2 (was 1)\n"), "{text}");
    assert!(
        text.contains("Rollout complete: 2/2 connectors on version 2 after "),
        "{text}"
    );
    assert_eq!(text.matches("✓ ").count(), 2, "{text}");
    // Nothing to publish: the connectors are still waited for.
    let o = s.run(&[
        "apply", "--no-dns", "--tunnel", "demo", &path, "--yes", "--wait",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).starts_with("Nothing to publish") && out(&o).contains("Rollout complete: 2/2"));
}

#[test]
fn apply_wait_follows_a_slow_connector_until_it_catches_up() {
    let s = setup("wait-slow");
    s.connectors(&format!("[{PROMPT},{SLOW}]"));
    let path = s.changed_config(8082).display().to_string();
    let started = Instant::now();
    let o = s.run(&[
        "apply", "--no-dns", "--tunnel", "demo", &path, "--yes", "--wait", "--format", "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let doc = json(&o);
    assert_eq!(
        (doc["published"].as_bool(), doc["version"].as_u64()),
        (Some(true), Some(2))
    );
    let r = &doc["rollout"];
    assert_eq!(r["outcome"], "done");
    assert_eq!(
        (r["current"].as_u64(), r["connected"].as_u64()),
        (Some(2), Some(2))
    );
    let slow = r["connectors"][1]["current_after_secs"]
        .as_f64()
        .unwrap_or_default();
    assert!(slow >= 1.5, "{r}");
}

#[test]
fn apply_wait_times_out_naming_the_stale_connector() {
    let s = setup("wait-stale");
    s.connectors(&format!("[{PROMPT},{SLOW},{STALE}]"));
    let path = s.changed_config(8083).display().to_string();
    let o = s.run(&[
        "apply",
        "--no-dns",
        "--tunnel",
        "demo",
        &path,
        "--yes",
        "--wait",
        "--wait-timeout",
        "3",
    ]);
    let (text, progress) = (out(&o), err(&o));
    assert_eq!(o.status.code(), Some(1), "{text}{progress}");
    assert!(
        progress.contains("Waiting up to 3s for the connectors of tunnel demo"),
        "{progress}"
    );
    assert!(
        progress.contains("1/3 connectors on version 2 · "),
        "{progress}"
    );
    let stale = {
        let doc = json(&s.run(&["status", "--tunnel", "demo", "--format", "json"]));
        doc["connectors"][2]["id"].as_str().unwrap_or_default()[..8].to_owned()
    };
    assert!(
        text.contains(&format!(
            "Not rolled out within 3s: 2/3 connectors on version 2; still behind: {stale} on 1"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("… {stale} (")), "{text}");

    // JSON names the connectors behind; the config was published all the same.
    let path = s.changed_config(8084).display().to_string();
    let o = s.run(&[
        "apply",
        "--no-dns",
        "--tunnel",
        "demo",
        &path,
        "--yes",
        "--wait",
        "--wait-timeout",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let doc = json(&o);
    assert_eq!(doc["published"], true, "{doc}");
    assert_eq!(doc["rollout"]["outcome"], "timed_out");
    assert_eq!(doc["rollout"]["behind"].as_array().map(Vec::len), Some(1));
}

#[test]
fn apply_wait_on_a_tunnel_without_connectors_says_so() {
    let s = setup("wait-none");
    let path = s.changed_config(8085).display().to_string();
    let started = Instant::now();
    let o = s.run(&[
        "apply",
        "--no-dns",
        "--tunnel",
        "new-tunnel",
        &path,
        "--yes",
        "--wait",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "no waiting for nothing"
    );
    assert!(
        out(&o).contains("Not rolled out: no connectors: no cloudflared runs this tunnel, so nothing serves version 1"),
        "{}",
        out(&o)
    );
    // Without --wait nothing changes, and --wait-timeout needs --wait.
    let o = s.run(&[
        "apply",
        "--no-dns",
        "--tunnel",
        "new-tunnel",
        &path,
        "--yes",
        "--wait-timeout",
        "5",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--wait"), "{}", err(&o));
}

#[test]
fn match_and_validate_judge_the_live_config_and_name_its_version() {
    let s = setup("live");
    let o = s.run(&[
        "match",
        "--tunnel",
        "demo",
        "https://grafana.example.com/d/1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        out(&o).starts_with(&format!(
            "https://grafana.example.com/d/1 is served by rule #4 (grafana.example.com) of tunnel demo ({}), remote config version 1",
            s.demo()
        )),
        "{}",
        out(&o)
    );
    let o = s.run(&[
        "--tunnel",
        "demo",
        "match",
        "--format",
        "json",
        "https://nothing.example.org/",
    ]);
    let doc = json(&o);
    assert_eq!(
        (doc["rule"].as_u64(), doc["config_version"].as_u64()),
        (Some(12), Some(1))
    );
    assert_eq!(doc["tunnel_id"], s.demo());
    // The tunnel from the environment, as elsewhere.
    let o = s.run_env(&["validate"], &[("CLOUDFLARE_TUNNEL_ID", s.demo())]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).starts_with(&format!(
        "tunnel demo ({}), remote config version 1: valid (13 rules, 1 warning)",
        s.demo()
    )));
    // A file and --tunnel do not mix; nothing given at all is explained.
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/examples/config.yml");
    let ex = example.display().to_string();
    let o = s.run(&["match", &ex, "https://api.example.com/", "--tunnel", "demo"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("leave the file out"), "{}", err(&o));
    let o = s.run(&["validate", "--tunnel", "demo", &ex]);
    assert_eq!(o.status.code(), Some(2));
    let o = s.run(&["validate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("give FILE, or --tunnel"), "{}", err(&o));
    let o = s.run(&["validate", "--tunnel", "new-tunnel", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(json(&o)["error"]["config_version"], 0);
    // Offline use is unchanged.
    let o = s.run(&["match", &ex, "https://api.example.com/v2/x"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

#[test]
fn live_validate_adds_the_access_lint_when_it_can() {
    let s = setup("lint");
    let o = s.run(&["get", "--tunnel", "demo"]);
    let text = out(&o).replace(
        "9a0c5e8b1f2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7",
        "00000000000000000000000000000000000000000000000000000000000000aa",
    );
    let path = s.home.join("wrong-aud.json");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let o = s.run(&[
        "apply",
        "--no-dns",
        "--tunnel",
        "demo",
        &path.display().to_string(),
        "--yes",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = s.run(&["validate", "--tunnel", "demo"]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "warnings only: {text}");
    assert!(text.contains("valid (13 rules, 2 warnings)"), "{text}");
    assert!(
        text.contains("rule #4 (grafana.example.com) originRequest.access.audTag: audTag \"0000000000000000…\" matches no Access application of this account"),
        "{text}"
    );
    // Without the permission the lint is skipped, and says so.
    s.sb.control(
        "POST",
        "/__sandbox/permissions",
        r#"{"deny":["access_apps"]}"#,
    );
    let o = s.run(&["validate", "--tunnel", "demo", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(err(&o).contains("Access lint skipped: the token cannot read Access applications (add Account > Access: Apps and Policies > Read)"), "{}", err(&o));
    let doc = json(&o);
    assert_eq!(doc["access_checked"], false);
    assert_eq!(
        doc["files"][0]["diagnostics"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn doctor_with_full_and_partial_credentials() {
    let s = setup("doctor");
    let o = s.run(&["doctor", "--tunnel", "demo"]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}{}", err(&o));
    for line in [
        "✓ credentials valid and active",
        "✓ tunnels listable                  2 tunnels",
        "✓ config readable                   config version 1",
        "? config writable",
        "✓ Access applications readable      6 applications",
        "✓ Zero Trust organization readable  team example",
        "✓ connections readable              3 connectors",
    ] {
        assert!(text.contains(line), "{line:?} in\n{text}");
    }
    assert!(
        text.contains("needs \"Account > Cloudflare Tunnel > Edit\""),
        "{text}"
    );

    // A read-only token: reading passes, writing stays unknown (never tried).
    let ro = s.read_only_token();
    let o = s.run_env(
        &["doctor", "--tunnel", "demo"],
        &[("CLOUDFLARE_API_TOKEN", ro)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));

    // Access taken away: two failures, each naming the group to add.
    s.sb.control(
        "POST",
        "/__sandbox/permissions",
        r#"{"deny":["access_apps","access_organization"]}"#,
    );
    let o = s.run(&["doctor", "--tunnel", "demo", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let doc = json(&o);
    assert_eq!(doc["ok"], false);
    let failed: Vec<(String, String)> = doc["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["result"] == "fail")
        .map(|c| {
            (
                c["check"].as_str().unwrap_or_default().to_owned(),
                c["detail"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(failed[0].0, "access_apps");
    assert!(
        failed[0]
            .1
            .contains("add \"Account > Access: Apps and Policies > Read\" to the token")
    );
    assert!(
        failed[1]
            .1
            .contains("Access: Organizations, Identity Providers, and Groups")
    );

    // Tunnel permission gone: everything about tunnels fails, Access passes again.
    s.sb.control(
        "POST",
        "/__sandbox/permissions",
        r#"{"deny":["tunnel_read"]}"#,
    );
    let o = s.run(&["doctor", "--tunnel", "demo"]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("✗ tunnels listable") && text.contains("Account > Cloudflare Tunnel > Read"),
        "{text}"
    );
    assert!(text.contains("✓ Access applications readable"), "{text}");

    // An expired token: the first check fails and the rest are skipped.
    let mut ex: String = s.sb.field("token").chars().rev().collect();
    ex.replace_range(0..3, "EX_");
    let o = s.run_env(&["doctor"], &[("CLOUDFLARE_API_TOKEN", ex)]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("✗ credentials valid and active") && text.contains("the token is expired"),
        "{text}"
    );
    assert!(
        text.contains("- connections readable") && text.contains("skipped"),
        "{text}"
    );
}

#[test]
fn apply_wait_makes_the_dns_changes_before_following_the_connectors() {
    let s = setup("wait-dns");
    s.connectors(&format!("[{PROMPT},{PROMPT}]"));
    let path = s.changed_config(8083).display().to_string();
    let o = s.run(&["apply", "--tunnel", "demo", &path, "--yes", "--wait"]);
    let text = out(&o);
    // The demo's legacy.example.com belongs to another tunnel and is left alone: DNS needs
    // attention (exit 1), the rollout completes all the same.
    assert_eq!(o.status.code(), Some(1), "{text}{}", err(&o));
    let published = text.find("Published version 2 (was 1)");
    let dns = text.find("DNS: 1 created");
    let rollout = text.find("Rollout complete: 2/2 connectors on version 2");
    assert!(
        published.is_some() && published < dns && dns < rollout,
        "{text}"
    );
}
