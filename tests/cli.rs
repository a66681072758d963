//! The `validate` and `match` commands, run as the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cfingress"))
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/examples")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cfingress: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cfingress-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

#[test]
fn validate_valid_file_exits_zero_and_names_warnings() {
    let file = example("config.yml");
    let o = run(&["validate", s(&file)]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("config.yml: valid (7 rules, 1 warning)"),
        "{out}"
    );
    assert!(
        out.contains("warning  rule #6 (admin.example.com /admin) path: path is not anchored"),
        "{out}"
    );
}

#[test]
fn validate_warns_about_what_cloudflared_accepts_silently() {
    let file = example("mistakes.yml");
    let o = run(&["validate", s(&file)]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "warnings never fail: {}",
        stdout(&o)
    );
    let out = stdout(&o);
    assert!(
        out.contains("mistakes.yml: valid (7 rules, 8 warnings)"),
        "{out}"
    );
    for line in [
        "warning  config orginRequest: unknown key \"orginRequest\" is ignored by cloudflared, so originRequest is not set here; did you mean \"originRequest\"?",
        "warning  rule #1 (grafana.example.com) originRequest.access.required: Access is not enforced",
        "warning  rule #2 (api.example.com) originRequest.conectTimeout: unknown key \"conectTimeout\"",
        "warning  rule #2 (api.example.com) originRequest.noTLSVerify: noTLSVerify does nothing for the service \"http://localhost:8081\"",
        "warning  rule #3 (ssh.example.com) originRequest.httpHostHeader: httpHostHeader does nothing",
        "warning  rule #4 (wiki.example.com) service: \"htp://localhost:8083\" has the unknown scheme \"htp\"",
        "xn--pypal-4ve.example.com",
        "warning  rule #6 (docs.example.com/api) hostname: hostname \"docs.example.com/api\" holds a path",
    ] {
        assert!(out.contains(line), "missing {line:?} in\n{out}");
    }
    let o = run(&["validate", "--format", "json", s(&file)]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    let diags = v["files"][0]["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(diags.len(), 8, "{v}");
    assert!(diags.iter().all(|d| d["severity"] == "warning"), "{v}");
    let fields: Vec<&str> = diags.iter().filter_map(|d| d["field"].as_str()).collect();
    assert_eq!(
        fields,
        [
            "orginRequest",
            "originRequest.access.required",
            "originRequest.conectTimeout",
            "originRequest.noTLSVerify",
            "originRequest.httpHostHeader",
            "service",
            "hostname",
            "hostname"
        ],
        "{v}"
    );
    assert_eq!(diags[5]["rule"], 3);
}

#[test]
fn validate_invalid_file_names_file_rule_and_field() {
    let file = example("broken.yml");
    let o = run(&["validate", s(&file)]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("broken.yml: invalid: 3 errors, 1 warning; cloudflared would refuse it with: Hostname cannot contain a port"), "{out}");
    assert!(
        out.contains(
            "error    rule #2 (api.example.com) service: localhost:8081 is an invalid address"
        ),
        "{out}"
    );
}

#[test]
fn validate_json_output_has_the_documented_shape() {
    let good = example("remote-config.json");
    let bad = example("broken.yml");
    let o = run(&["validate", "--format", "json", s(&good), s(&bad)]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)));
    let files = v["files"].as_array().cloned().unwrap_or_default();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["valid"], Value::Bool(true));
    assert_eq!(files[1]["valid"], Value::Bool(false));
    let d = &files[1]["diagnostics"][1];
    assert_eq!(d["rule"], 1, "rule is 0-based");
    assert_eq!(d["field"], "service");
    assert_eq!(d["severity"], "error");
    assert_eq!(
        d["message"],
        "localhost:8081 is an invalid address, please make sure it has a scheme and a hostname"
    );
}

#[test]
fn unreadable_input_exits_two_with_position() {
    let json = temp_file(
        "bad.json",
        "{\n  \"ingress\": [\n    {\"service\": \"x\",}\n  ]\n}\n",
    );
    let o = run(&["validate", s(&json)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("unreadable: line 3, column"),
        "{}",
        stdout(&o)
    );

    let typed = temp_file(
        "typed.json",
        r#"{"ingress":[{"service":"http://x"},{"hostname":["a"],"service":"y"}]}"#,
    );
    let o = run(&["validate", s(&typed)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("ingress[1].hostname (rule #2): expected a string, found a list"),
        "{}",
        stdout(&o)
    );

    let yaml = temp_file(
        "dur.yaml",
        "originRequest:\n  connectTimeout: 30\ningress:\n  - service: http_status:404\n",
    );
    let o = run(&["validate", s(&yaml)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("line 2, column 19: originRequest.connectTimeout"),
        "{}",
        stdout(&o)
    );

    let missing = run(&["validate", "/nonexistent/cfingress.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stdout(&missing).contains("No such file"),
        "{}",
        stdout(&missing)
    );
}

#[test]
fn worst_status_wins_across_files() {
    let good = example("config.yml");
    let o = run(&["validate", s(&good), "/nonexistent.json"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn match_reports_the_rule_like_cloudflared() {
    let file = example("config.yml");
    let o = run(&["match", s(&file), "https://api.example.com/v2/users"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(
            "served by rule #2 (api.example.com ^/v2/) (cloudflared: \"Matched rule #1\")"
        ),
        "{out}"
    );
    assert!(out.contains("service   http://localhost:8082"), "{out}");

    let o = run(&[
        "match",
        "--format",
        "json",
        s(&file),
        "https://deep.x.dev.example.com:8443/",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        v,
        serde_json::json!({"rule":3,"hostname":"*.dev.example.com","path":null,"service":"https://localhost:8443"})
    );

    let o = run(&[
        "match",
        "--format",
        "json",
        s(&file),
        "https://nowhere.example.org/",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["rule"], 6);
}

#[test]
fn match_refuses_bad_urls_and_invalid_configs() {
    let file = example("config.yml");
    let o = run(&["match", s(&file), "api.example.com"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("api.example.com doesn't have a hostname, consider adding a scheme")
    );
    let o = run(&["match", s(&file), "http://bad host/"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("http://bad host/ is not a valid URL"));
    let broken = example("broken.yml");
    let o = run(&["match", s(&broken), "https://app.example.com/"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("Hostname cannot contain a port"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn hostile_text_is_rendered_inert() {
    let file = temp_file(
        "evil.json",
        "{\"ingress\":[{\"hostname\":\"a\\u001b]0;pwned\\u0007.example.com\",\"service\":\"http://x\"},{\"hostname\":\"b\\u202e.com\",\"service\":\"http_status:404\"}]}",
    );
    let o = run(&["validate", s(&file)]);
    let out = stdout(&o);
    assert!(
        !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{202e}'),
        "{out:?}"
    );
    assert!(out.contains("a\\x1b]0;pwned\\x07.example.com"), "{out}");
}

#[test]
fn completions_and_manual() {
    let o = run(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("cfingress") && stdout(&o).contains("validate"));
    let o = run(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains(".TH cfingress"), "{}", stdout(&o));
}

/// `--version` names the version, the commit (or says it is unknown) and the build date, so an
/// admin can tell exactly which build runs; `-V` is its first line.
#[test]
fn version_names_commit_and_build_date() {
    let line = regex::Regex::new(
        r"^cfingress (\d+\.\d+\.\d+\S*) \((?:commit ([0-9a-f]{12})(?:-dirty)?|unknown commit), built (\d{4}-\d\d-\d\d)\)$",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = run(&["-V"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let short = stdout(&o);
    let short = short.trim_end();
    let caps = line
        .captures(short)
        .unwrap_or_else(|| panic!("-V printed {short:?}"));
    assert_eq!(&caps[1], env!("CARGO_PKG_VERSION"));

    let o = run(&["--version"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let long = stdout(&o);
    let lines: Vec<&str> = long.lines().collect();
    assert_eq!(lines.first(), Some(&short), "{long}");
    let commit = lines.iter().find_map(|l| l.strip_prefix("commit:   "));
    match caps.get(2) {
        Some(short_hash) => {
            let full = commit.unwrap_or_else(|| panic!("no commit line: {long}"));
            assert!(full.starts_with(short_hash.as_str()), "{long}");
        }
        None => assert_eq!(
            commit,
            Some("unknown (not built from a git checkout)"),
            "{long}"
        ),
    }
    let built = lines.iter().find_map(|l| l.strip_prefix("built:    "));
    let built = built.unwrap_or_else(|| panic!("no build time: {long}"));
    assert!(
        built.starts_with(&caps[3]) && built.ends_with(" UTC"),
        "{long}"
    );
    assert!(lines.iter().any(|l| l.starts_with("target:   ")), "{long}");

    // Built from this checkout: the commit is its HEAD.
    let root = env!("CARGO_MANIFEST_DIR");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let top = git(&["rev-parse", "--show-toplevel"]).map(PathBuf::from);
    if top.and_then(|t| t.canonicalize().ok()) == Path::new(root).canonicalize().ok()
        && let Some(head) = git(&["rev-parse", "HEAD"])
    {
        assert_eq!(
            commit.map(|c| c.split(' ').next()),
            Some(Some(head.as_str())),
            "{long}"
        );
    }
}

#[test]
fn the_editor_refuses_without_a_terminal() {
    let o = run(&["--file", "assets/examples/config.yml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("the editor needs a terminal"),
        "{}",
        stderr(&o)
    );
}

/// Runs `cfingress validate PATH` and gives up (failing) after 20 s instead of hanging.
fn validate_within_20s(path: &str) -> (Option<i32>, String) {
    let mut child = bin()
        .args(["validate", path])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run cfingress: {e}"));
    let start = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > std::time::Duration::from_secs(20) => {
                let _ = child.kill();
                panic!("validate {path} hung");
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => panic!("{e}"),
        }
    }
    let o = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("cannot read cfingress's output: {e}"));
    (o.status.code(), format!("{}{}", stdout(&o), stderr(&o)))
}

#[test]
fn hostile_files_are_refused_quickly_with_what_is_wrong() {
    // Nested 20 000 levels: a clear error at the 101st level, not a stack overflow (exit 134).
    let deep_yaml = temp_file("deep.yml", &format!("{}a\n", "- ".repeat(20_000)));
    let (code, out) = validate_within_20s(s(&deep_yaml));
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("line 1, column 201: not valid YAML: nested more than 100 levels deep"),
        "{out}"
    );
    let deep_json = temp_file(
        "deep.json",
        &format!("{}{}", "[".repeat(20_000), "]".repeat(20_000)),
    );
    let (code, out) = validate_within_20s(s(&deep_json));
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("nested more than 128 levels deep"), "{out}");

    // Devices, pipes and folders are refused before anything is read from them.
    let (code, out) = validate_within_20s("/dev/zero");
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("/dev/zero: unreadable: not a regular file but a character device"),
        "{out}"
    );
    let fifo = deep_yaml.with_file_name("fifo.yml");
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo failed");
    let (code, out) = validate_within_20s(s(&fifo));
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("a named pipe (FIFO)"), "{out}");
    let dir = deep_yaml.with_file_name("");
    let (code, out) = validate_within_20s(s(&dir));
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("not a regular file but a folder"), "{out}");

    // Larger than 64 MiB: refused from its size (a sparse file: nothing is written or read).
    let big = deep_yaml.with_file_name("big.json");
    let f = std::fs::File::create(&big).unwrap_or_else(|e| panic!("{e}"));
    f.set_len((64 << 20) + 1).unwrap_or_else(|e| panic!("{e}"));
    let (code, out) = validate_within_20s(s(&big));
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("the file is 67108865 bytes, more than the 67108864 bytes cfingress reads"),
        "{out}"
    );
    let _ = std::fs::remove_file(&big);
}

/// A pasted argument can hold escape sequences; the argument errors that quote it show it inert.
#[test]
fn argument_errors_quote_hostile_arguments_inert() {
    let evil = "x\u{1b}]2;PWNED\u{7}\u{1b}[2J\u{202e}\u{9b}31m\u{200b}";
    for args in [
        vec![evil],
        vec!["rollback", "--to-version", evil],
        vec!["completions", evil],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        // (clap drops ESC sequences itself when stderr is not a terminal; the rest is shown.)
        assert!(err.contains("\\u{202e}"), "the argument is quoted: {err}");
        assert!(
            !err.chars()
                .any(|c| c != '\n' && cfingress::text::is_unsafe(c)),
            "{args:?}: {err:?}"
        );
    }
    // Help and version are untouched.
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Usage"));
}
