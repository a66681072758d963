//! The remote commands (`tunnels`, `get`, `diff`, `apply`), run as the built binary against a
//! `cfingress sandbox` process the test starts.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use cfingress::config::files::{Format, parse_str, read_file};
use serde_json::Value;

struct Sandbox {
    child: Child,
    info: Value,
    home: PathBuf,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cfingress"))
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/examples")
        .join(name)
}

fn start(seeds: &[PathBuf], tag: &str) -> Sandbox {
    let home = std::env::temp_dir().join(format!("cfingress-cmd-{tag}-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&home);
    let mut cmd = bin();
    cmd.arg("sandbox");
    for s in seeds {
        cmd.arg("--seed").arg(s);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the sandbox: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    let info: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    Sandbox { child, info, home }
}

impl Sandbox {
    fn run(&self, args: &[&str]) -> Output {
        self.run_with_token(args, self.info["token"].as_str().unwrap_or_default())
    }

    fn run_with_token(&self, args: &[&str], token: &str) -> Output {
        bin()
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("CFINGRESS_SETTINGS", self.home.join("settings.toml"))
            .env(
                "CFINGRESS_API_URL",
                self.info["api_url"].as_str().unwrap_or_default(),
            )
            .env("CLOUDFLARE_API_TOKEN", token)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn sandbox_announces_itself_with_stable_ids() {
    let a = start(&[example("config.yml")], "ids-a");
    let b = start(&[example("config.yml")], "ids-b");
    assert_eq!(a.info["tunnels"], b.info["tunnels"], "same seeds, same ids");
    let names: Vec<&str> = a.info["tunnels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert_eq!(names, ["config", "new-tunnel"]);
    assert_eq!(a.info["tunnels"][1]["version"], 0);
    assert_eq!(a.info["account_id"].as_str().map(str::len), Some(32));
    assert!(
        a.info["api_url"]
            .as_str()
            .unwrap_or_default()
            .starts_with("http://127.0.0.1:")
    );
}

#[test]
fn tunnels_get_diff_apply_round_trip() {
    let sb = start(&[example("config.yml")], "flow");

    let o = sb.run(&["tunnels"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        out(&o).contains("config") && out(&o).contains("new-tunnel") && out(&o).contains("CONFIG"),
        "{}",
        out(&o)
    );
    let o = sb.run(&["tunnels", "--format", "json"]);
    let list: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(list.as_array().map(Vec::len), Some(2));

    // get: the seeded config, as JSON and as config.yml.
    let o = sb.run(&["get", "--tunnel", "config"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let seeded = read_file(&example("config.yml"))
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    let got = parse_str(&out(&o), Format::Json)
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    assert_eq!(got, seeded);
    assert!(err(&o).contains("config version 1"));
    let o = sb.run(&["get", "--tunnel", "config", "--format", "yaml"]);
    let got = parse_str(&out(&o), Format::Yaml)
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    assert_eq!(got, seeded);

    // diff: none, then some.
    let o = sb.run(&[
        "diff",
        "--tunnel",
        "config",
        example("config.yml").to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", out(&o), err(&o));
    assert!(out(&o).contains("No changes"));
    let changed = sb.home.join("changed.json");
    std::fs::write(
        &changed,
        r#"{"ingress":[{"hostname":"grafana.example.com","service":"http://localhost:3001","x-ticket":"OPS-42"},{"service":"http_status:404"}],"originRequest":{"connectTimeout":10,"noHappyEyeballs":true,"futureOption":"kept"},"tunnel":"6ff42ae2-765d-4adf-8112-31c55c1551ef","credentials-file":"/etc/cloudflared/6ff42ae2-765d-4adf-8112-31c55c1551ef.json"}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let file = changed.to_str().unwrap_or_default();
    let o = sb.run(&["diff", "--tunnel", "config", file]);
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    assert!(text.contains("~ rule #1 grafana.example.com"), "{text}");
    assert!(
        text.contains("service \"http://localhost:3000\" → \"http://localhost:3001\""),
        "{text}"
    );
    assert!(
        text.contains("- rule #2 api.example.com ^/v2/ (removed)"),
        "{text}"
    );
    assert!(
        text.contains("+++ ") && text.contains("-      \"service\": \"http://localhost:3000\""),
        "{text}"
    );

    // apply: refused without a terminal, then published with --yes.
    let o = sb.run(&["apply", "--tunnel", "config", file]);
    assert_eq!(o.status.code(), Some(1));
    assert!(err(&o).contains("pass --yes"), "{}", err(&o));
    let o = sb.run(&["apply", "--tunnel", "config", "--yes", file]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        out(&o).contains("Published version 2 (was 1)"),
        "{}",
        out(&o)
    );
    // What the sandbox holds now equals the file, unknown keys included.
    let o = sb.run(&["get", "--tunnel", "config"]);
    let held = parse_str(&out(&o), Format::Json)
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    let want = read_file(&changed).unwrap_or_else(|e| panic!("{e}")).config;
    assert_eq!(held, want);
    assert!(
        out(&o).contains("\"x-ticket\": \"OPS-42\"")
            && out(&o).contains("\"futureOption\": \"kept\"")
    );

    // Idempotent, version-guarded.
    let o = sb.run(&["apply", "--tunnel", "config", "--yes", file]);
    assert!(out(&o).contains("Nothing to publish"), "{}", out(&o));
    let o = sb.run(&[
        "apply",
        "--tunnel",
        "config",
        "--yes",
        "--expect-version",
        "1",
        example("config.yml").to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("is at version 2, not 1: someone changed it")
            && err(&o)
                .contains("publish it with `cfingress apply --tunnel config --expect-version 2 "),
        "{}",
        err(&o)
    );
    let o = sb.run(&[
        "apply",
        "--tunnel",
        "config",
        "--yes",
        "--expect-version",
        "2",
        "--format",
        "json",
        example("config.yml").to_str().unwrap_or_default(),
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", err(&o)));
    assert_eq!(
        (&v["published"], &v["version"], &v["previous_version"]),
        (&Value::from(true), &Value::from(3), &Value::from(2)),
        "{v}"
    );
    // The seeded hostnames kept their records: nothing for DNS to do.
    assert_eq!(v["dns"]["created"], serde_json::json!([]), "{v}");
    assert_eq!(v["dns"]["failed"], serde_json::json!([]), "{v}");

    // An invalid file is refused before anything is sent.
    let o = sb.run(&[
        "apply",
        "--tunnel",
        "config",
        "--yes",
        example("broken.yml").to_str().unwrap_or_default(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("cloudflared would refuse it")
            && err(&o).contains("Hostname cannot contain a port")
    );

    // A new tunnel has no config yet.
    let o = sb.run(&["get", "--tunnel", "new-tunnel"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("has no remote config yet (version 0)"),
        "{}",
        err(&o)
    );
}

#[test]
fn remote_errors_are_explained_and_exit_two() {
    let sb = start(&[], "errors");
    let o = sb.run_with_token(&["tunnels"], &"q".repeat(40));
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("the API token was refused"), "{}", err(&o));
    let o = sb.run(&["get"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("no tunnel given"), "{}", err(&o));
    let o = sb.run(&["get", "--tunnel", "nope"]);
    assert!(err(&o).contains("no tunnel named \"nope\""), "{}", err(&o));
    let o = sb.run(&["--api-url", "http://api.example.com/client/v4", "tunnels"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("only to loopback addresses"),
        "{}",
        err(&o)
    );
    let o = sb.run_with_token(&["tunnels"], "");
    assert!(err(&o).contains("no Cloudflare credentials"), "{}", err(&o));
    let all = format!("{}{}", out(&o), err(&o));
    assert!(
        !all.contains(sb.info["token"].as_str().unwrap_or("?")),
        "the token is never printed"
    );
}

#[cfg(unix)]
#[test]
fn settings_and_token_files_that_others_can_change_or_read_are_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let chmod = |p: &std::path::Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{e}"));
    };
    let sb = start(&[], "exposed");
    let settings = sb.home.join("settings.toml");
    std::fs::write(&settings, "[ui]\nascii = true\n").unwrap_or_else(|e| panic!("{e}"));
    chmod(&settings, 0o666);
    let token = sb.home.join("token");
    std::fs::write(&token, sb.info["token"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    chmod(&token, 0o644);
    let token_arg = token.display().to_string();
    let args = ["tunnels", "--api-token-file", token_arg.as_str()];
    let o = sb.run_with_token(&args, "");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let (s, t) = (settings.display(), token.display());
    assert!(
        err(&o).contains(&format!(
            "warning: the settings file {s} can be changed by other users (mode 0666)"
        )) && err(&o).contains(&format!("run `chmod go-w {s}`")),
        "{}",
        err(&o)
    );
    assert!(
        err(&o).contains(&format!(
            "warning: the token file {t} holds a secret and can be read or changed by other users (mode 0644): run `chmod 600 {t}`"
        )),
        "{}",
        err(&o)
    );
    chmod(&settings, 0o644);
    chmod(&token, 0o600);
    let o = sb.run_with_token(&args, "");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(!err(&o).contains("warning"), "{}", err(&o));
}
