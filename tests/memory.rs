//! On-demand measurement of peak memory per byte of input (not a timed or asserted test: it is
//! ignored by default and prints figures). Run it on a release build:
//!
//! ```sh
//! cargo test --release --test memory -- --ignored --nocapture
//! ```
//!
//! For each input it prints the file size, the peak resident memory (max RSS, from GNU
//! `/usr/bin/time`) and wall time of one whole `cfingress` process, and the ratio of the two
//! sizes: `validate` of generated configs in both formats (10 000 and 100 000 rules, and the
//! largest file accepted), of configs holding one huge unknown list, and the same config served
//! by a loopback sandbox and printed by `get`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cfingress")
}

/// Runs cfingress under GNU time: (max RSS in kB, seconds, exit code).
fn measure(args: &[&str], env: &[(&str, &str)]) -> (u64, f64, i32) {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M %e"])
        .arg(bin())
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("cannot run /usr/bin/time: {e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or_default();
    let mut parts = last.split_whitespace();
    let kb = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0);
    let secs = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
    (kb, secs, out.status.code().unwrap_or(-1))
}

fn report(name: &str, input: u64, (kb, secs, code): (u64, f64, i32)) {
    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "{name:48} input {:8.1} MB  peak {:8.1} MB  ({:5.1}x)  {:6.0} ms  exit {code}",
        mb(input),
        mb(kb * 1000),
        (kb * 1000) as f64 / input.max(1) as f64,
        secs * 1000.0,
    );
}

fn write(path: &Path, text: &str) -> u64 {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    text.len() as u64
}

fn fixture(dir: &Path, rules: usize, yaml: bool) -> (PathBuf, u64) {
    let path = dir.join(format!(
        "rules-{rules}.{}",
        if yaml { "yml" } else { "json" }
    ));
    let mut args = vec!["fixture".to_owned(), format!("--rules={rules}")];
    if yaml {
        args.push("--yaml".to_owned());
    }
    let out = Command::new(bin())
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let size = write(&path, &text);
    (path, size)
}

#[test]
#[ignore = "a measurement, run on demand on a release build"]
fn peak_memory_per_byte_of_input() {
    let dir = std::env::temp_dir().join(format!("cfingress-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let s = |p: &Path| p.to_string_lossy().into_owned();

    let (empty, _) = (dir.join("empty.json"), write(&dir.join("empty.json"), "{}"));
    report(
        "validate {} (the process alone)",
        2,
        measure(&["validate", &s(&empty)], &[]),
    );
    for rules in [10_000, 100_000, 470_000] {
        for yaml in [false, true] {
            let (path, size) = fixture(&dir, rules, yaml);
            let name = format!(
                "validate {rules} rules as {}",
                if yaml { "YAML" } else { "JSON" }
            );
            report(&name, size, measure(&["validate", &s(&path)], &[]));
        }
    }

    // One unknown list of 7.5 million zeros (15 MB), in both formats.
    let zeros = 7_500_000;
    let mut json = String::from("{\"ingress\":[{\"service\":\"http_status:404\"}],\"x\":[0");
    json.push_str(&",0".repeat(zeros - 1));
    json.push_str("]}");
    let big_json = dir.join("unknown-list.json");
    let size = write(&big_json, &json);
    report(
        "validate JSON with a 15 MB unknown list",
        size,
        measure(&["validate", &s(&big_json)], &[]),
    );
    let mut yaml = String::from("ingress:\n  - service: http_status:404\nx:\n");
    yaml.push_str(&"  - 0\n".repeat(zeros));
    let big_yaml = dir.join("unknown-list.yml");
    let size = write(&big_yaml, &yaml);
    report(
        "validate YAML with a 45 MB unknown list",
        size,
        measure(&["validate", &s(&big_yaml)], &[]),
    );

    // The same JSON config served by a loopback sandbox (the client caps bodies at 16 MiB).
    let mut sandbox = Command::new(bin())
        .args(["sandbox", "--seed", &s(&big_json)])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    if let Some(out) = sandbox.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let info: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
    let text = |k: &str| info[k].as_str().unwrap_or_default().to_owned();
    let tunnel = info["tunnels"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let home = dir.join("home");
    let _ = std::fs::create_dir_all(&home);
    let settings = home.join("settings.toml");
    let (api, token, state) = (text("api_url"), text("token"), s(&home));
    let account = text("account_id");
    let env = [
        ("CFINGRESS_API_URL", api.as_str()),
        ("CLOUDFLARE_API_TOKEN", token.as_str()),
        ("HOME", state.as_str()),
        ("CFINGRESS_STATE_DIR", state.as_str()),
        ("CLOUDFLARE_ACCOUNT_ID", account.as_str()),
    ];
    let _ = std::fs::File::create(&settings).and_then(|mut f| f.write_all(b""));
    report(
        "sandbox answer with a 15 MB unknown list: get",
        size_of(&big_json),
        measure(&["get", "--tunnel", &tunnel], &env),
    );
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

fn size_of(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}
