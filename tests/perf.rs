//! On-demand measurement of the real binary in a pseudo-terminal (not a timed test: it is ignored
//! by default and prints figures). Run it on a release build:
//!
//! ```sh
//! cargo test --release --test perf -- --ignored --nocapture
//! ```
//!
//! For 100 / 1 000 / 10 000 / 100 000 generated rules it reports: launch to first complete frame
//! against a loopback sandbox, keystroke to settled frame (median) for moving the selection,
//! opening/closing a form, typing in a field and undo, bytes written per selection move (detail
//! pane hidden, the default, and shown), peak
//! memory (VmHWM) once loaded and after 1 000 edits, and `cfingress validate` as a whole process.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{Pty, bin};

/// Sends keys and waits until the screen shows `settled`, then until no more bytes arrive for
/// 30 ms. Returns the time to the settled screen and the bytes written.
fn key(t: &mut Pty, keys: &str, settled: impl Fn(&str) -> bool) -> (Duration, usize) {
    let before = t.bytes();
    let start = Instant::now();
    t.write(keys);
    t.until(keys, Duration::from_secs(60), settled);
    let took = start.elapsed();
    let mut last = t.bytes();
    loop {
        std::thread::sleep(Duration::from_millis(30));
        let now = t.bytes();
        if now == last {
            break;
        }
        last = now;
    }
    (took, last - before)
}

/// A memory figure of the editor from /proc (kB): `VmHWM:` (peak) or `VmRSS:` (now).
fn status_kb(t: &Pty, field: &str) -> u64 {
    let pid = t.child.process_id().unwrap_or(0);
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn measure(rules: usize, dir: &std::path::Path) {
    let fixture = dir.join(format!("fixture-{rules}.json"));
    let out = Command::new(bin())
        .args(["fixture", "--rules", &rules.to_string()])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&fixture, &out.stdout).unwrap_or_else(|e| panic!("{e}"));

    // validate as a whole process
    let runs: Vec<Duration> = (0..15)
        .map(|_| {
            let start = Instant::now();
            let _ = Command::new(bin())
                .arg("validate")
                .arg(&fixture)
                .stdout(Stdio::null())
                .status();
            start.elapsed()
        })
        .collect();
    let validate = median(runs);

    let mut sb = Command::new(bin())
        .args(["sandbox", "--seed"])
        .arg(&fixture)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    BufReader::new(sb.stdout.take().unwrap_or_else(|| panic!()))
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    let info: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}"));

    let start = Instant::now();
    let mut t = Pty::spawn(
        &["--tunnel", &format!("fixture-{rules}")],
        &[
            ("HOME", dir.display().to_string()),
            (
                "CFINGRESS_SETTINGS",
                dir.join("settings.toml").display().to_string(),
            ),
            (
                "CFINGRESS_STATE_DIR",
                dir.join(format!("state-{rules}")).display().to_string(),
            ),
            (
                "CFINGRESS_API_URL",
                info["api_url"].as_str().unwrap_or_default().to_owned(),
            ),
            (
                "CLOUDFLARE_API_TOKEN",
                info["token"].as_str().unwrap_or_default().to_owned(),
            ),
        ],
        40,
        120,
    );
    let title = format!("Ingress rules ({rules})");
    // The row numbers are as wide as the largest (at least 3 digits).
    let digits = rules.to_string().len().max(3);
    let first = format!("▶{:>digits$} ", 1);
    t.until("first frame", Duration::from_secs(60), |s| {
        s.contains(&title) && s.contains(&first)
    });
    let launch = start.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    let loaded_kb = status_kb(&t, "VmHWM:");

    let mut moves = Vec::new();
    let mut move_bytes = Vec::new();
    for i in 0..40 {
        let want = format!("▶{:>digits$} ", i + 2);
        let (d, n) = key(&mut t, "j", |s| s.contains(&want));
        moves.push(d);
        move_bytes.push(n);
    }
    // The same with the detail pane shown (`i`): each move rewrites the pane.
    key(&mut t, "i", |s| s.contains("Rule #41 of"));
    let mut detail_bytes = Vec::new();
    for i in 0..10 {
        let want = format!("Rule #{} of", i + 42);
        detail_bytes.push(key(&mut t, "j", |s| s.contains(&want)).1);
    }
    key(&mut t, "i", |s| !s.contains("Rule #51 of"));
    let mut forms = Vec::new();
    for _ in 0..10 {
        forms.push(key(&mut t, "e", |s| s.contains("Tab/Shift-Tab field")).0);
        forms.push(key(&mut t, "\x1b", |s| !s.contains("Tab/Shift-Tab field")).0);
    }
    key(&mut t, "e", |s| s.contains("Tab/Shift-Tab field"));
    let mut typing = Vec::new();
    let mut typed = String::new();
    for i in 0..20 {
        let c = char::from(b'a' + (i % 26) as u8);
        typed.push(c);
        let want = typed.clone();
        typing.push(key(&mut t, &c.to_string(), |s| s.contains(&want)).0);
    }
    key(&mut t, "\x1b", |s| s.contains("Discard"));
    key(&mut t, "y", |s| !s.contains("Tab/Shift-Tab field"));
    let mut undos = Vec::new();
    let more = format!("Ingress rules ({})", rules + 1);
    for _ in 0..10 {
        key(&mut t, "c", |s| s.contains(&more));
        undos.push(key(&mut t, "u", |s| s.contains(&title)).0);
    }
    let before_edits = status_kb(&t, "VmHWM:");
    let rss_before_edits = status_kb(&t, "VmRSS:");
    // 1 000 edits that leave the config's size unchanged (duplicate, delete): what history costs.
    // Each pair cancels out (the header counts changes from the base, so it says none): the
    // detail pane, asked for after them, shows once every edit before it is done.
    for _ in 0..100 {
        t.write("cdcdcdcdcd");
    }
    t.write("i");
    let edits = t.within(Duration::from_secs(120), |s| s.contains("Rule #"));
    std::thread::sleep(Duration::from_millis(1500));
    let after_edits = status_kb(&t, "VmHWM:");
    let rss_after_edits = status_kb(&t, "VmRSS:");
    let edits_cost = match edits {
        Some(d) => format!(
            "+{:.1} MB peak, {:+.1} MB resident ({} ms per edit)",
            after_edits.saturating_sub(before_edits) as f64 / 1024.0,
            (rss_after_edits as f64 - rss_before_edits as f64) / 1024.0,
            d.as_millis() / 1000
        ),
        None => "not done in 120 s".to_owned(),
    };
    t.write("qy");
    std::thread::sleep(Duration::from_millis(300));
    let _ = t.child.kill();
    let _ = sb.kill();
    let _ = sb.wait();

    println!(
        "| {rules:>6} | {} | {} | {} | {} | {} | {} B | {} B | {:.1} MB | {edits_cost} | {} |",
        ms(launch),
        ms(median(moves)),
        ms(median(forms)),
        ms(median(typing)),
        ms(median(undos)),
        move_bytes.iter().copied().max().unwrap_or(0),
        detail_bytes.iter().copied().max().unwrap_or(0),
        loaded_kb as f64 / 1024.0,
        ms(validate),
    );
}

#[test]
#[ignore = "a measurement, run on demand on a release build"]
fn measure_the_real_binary() {
    let dir = std::env::temp_dir().join(format!("cfingress-perf-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let sizes: Vec<usize> = std::env::var("CFINGRESS_PERF_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 1_000, 10_000, 100_000]);
    println!(
        "| rules | launch to first frame | move (median) | open/close form | type in field | undo | bytes per move (max) | same, details shown | peak memory loaded | 1000 edits | validate (process) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        measure(n, &dir);
    }
    let _ = std::fs::remove_dir_all(PathBuf::from(&dir));
}
