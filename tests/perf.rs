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

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cfingress")
}

struct Term {
    parser: Arc<Mutex<vt100::Parser>>,
    bytes: Arc<Mutex<usize>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Term {
    fn screen(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    fn bytes(&self) -> usize {
        self.bytes.lock().map(|b| *b).unwrap_or(0)
    }

    /// Waits up to `limit` for the screen to satisfy `f`.
    fn within(&self, limit: Duration, f: impl Fn(&str) -> bool) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if f(&self.screen()) {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        None
    }

    fn until(&self, what: &str, f: impl Fn(&str) -> bool) -> Duration {
        let start = Instant::now();
        loop {
            if f(&self.screen()) {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "timed out waiting for {what}:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Sends keys and waits until the screen shows `settled`, then until no more bytes arrive for
    /// 30 ms. Returns the time to the settled screen and the bytes written.
    fn key(&mut self, keys: &str, settled: impl Fn(&str) -> bool) -> (Duration, usize) {
        let before = self.bytes();
        let start = Instant::now();
        self.writer
            .write_all(keys.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        self.writer.flush().unwrap_or_else(|e| panic!("{e}"));
        self.until(keys, settled);
        let t = start.elapsed();
        let mut last = self.bytes();
        loop {
            std::thread::sleep(Duration::from_millis(30));
            let now = self.bytes();
            if now == last {
                break;
            }
            last = now;
        }
        (t, last - before)
    }

    /// A memory figure of the editor from /proc (kB): `VmHWM` (peak) or `VmRSS` (now).
    fn status_kb(&self, field: &str) -> u64 {
        let pid = self.child.process_id().unwrap_or(0);
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(field))
                    .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
            })
            .unwrap_or(0)
    }

    fn peak_kb(&self) -> u64 {
        self.status_kb("VmHWM:")
    }

    fn rss_kb(&self) -> u64 {
        self.status_kb("VmRSS:")
    }
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

    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 120,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = CommandBuilder::new(bin());
    cmd.args(["--tunnel", &format!("fixture-{rules}")]);
    cmd.env_clear();
    cmd.env("TERM", "xterm-256color");
    cmd.env("HOME", dir);
    cmd.env("CFINGRESS_SETTINGS", dir.join("settings.toml"));
    cmd.env("CFINGRESS_STATE_DIR", dir.join(format!("state-{rules}")));
    cmd.env(
        "CFINGRESS_API_URL",
        info["api_url"].as_str().unwrap_or_default(),
    );
    cmd.env(
        "CLOUDFLARE_API_TOKEN",
        info["token"].as_str().unwrap_or_default(),
    );
    let start = Instant::now();
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
    let parser = Arc::new(Mutex::new(vt100::Parser::new(40, 120, 0)));
    let bytes = Arc::new(Mutex::new(0usize));
    let (p, b) = (Arc::clone(&parser), Arc::clone(&bytes));
    std::thread::spawn(move || {
        let _keep = pair.master;
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut p) = p.lock() {
                p.process(&buf[..n]);
            }
            if let Ok(mut b) = b.lock() {
                *b += n;
            }
        }
    });
    let mut t = Term {
        parser,
        bytes,
        writer,
        child,
    };
    let title = format!("Ingress rules ({rules})");
    t.until("first frame", |s| s.contains(&title) && s.contains("▶  1 "));
    let launch = start.elapsed();
    std::thread::sleep(Duration::from_millis(300));
    let loaded_kb = t.peak_kb();

    let mut moves = Vec::new();
    let mut move_bytes = Vec::new();
    for i in 0..40 {
        let want = format!("▶{:>3} ", i + 2);
        let (d, n) = t.key("j", |s| s.contains(&want));
        moves.push(d);
        move_bytes.push(n);
    }
    // The same with the detail pane shown (`i`): each move rewrites the pane.
    t.key("i", |s| s.contains("Rule #41 of"));
    let mut detail_bytes = Vec::new();
    for i in 0..10 {
        let want = format!("Rule #{} of", i + 42);
        detail_bytes.push(t.key("j", |s| s.contains(&want)).1);
    }
    t.key("i", |s| !s.contains("Rule #51 of"));
    let mut forms = Vec::new();
    for _ in 0..10 {
        forms.push(t.key("e", |s| s.contains("Tab/↑↓ field")).0);
        forms.push(t.key("\x1b", |s| !s.contains("Tab/↑↓ field")).0);
    }
    t.key("e", |s| s.contains("Tab/↑↓ field"));
    let mut typing = Vec::new();
    let mut typed = String::new();
    for i in 0..20 {
        let c = char::from(b'a' + (i % 26) as u8);
        typed.push(c);
        let want = typed.clone();
        typing.push(t.key(&c.to_string(), |s| s.contains(&want)).0);
    }
    t.key("\x1b", |s| s.contains("Discard"));
    t.key("y", |s| !s.contains("Tab/↑↓ field"));
    let mut undos = Vec::new();
    let more = format!("Ingress rules ({})", rules + 1);
    for _ in 0..10 {
        t.key("c", |s| s.contains(&more));
        undos.push(t.key("u", |s| s.contains(&title)).0);
    }
    let before_edits = t.peak_kb();
    let rss_before_edits = t.rss_kb();
    // 1 000 edits that leave the config's size unchanged (duplicate, delete): what history costs.
    for _ in 0..100 {
        let _ = t.writer.write_all(b"cdcdcdcdcd");
    }
    let _ = t.writer.flush();
    let edits = t.within(Duration::from_secs(120), |s| {
        s.contains("● 1000 unpublished")
    });
    std::thread::sleep(Duration::from_millis(1500));
    let after_edits = t.peak_kb();
    let rss_after_edits = t.rss_kb();
    let edits_cost = match edits {
        Some(d) => format!(
            "+{:.1} MB peak, {:+.1} MB resident ({} ms per edit)",
            after_edits.saturating_sub(before_edits) as f64 / 1024.0,
            (rss_after_edits as f64 - rss_before_edits as f64) / 1024.0,
            d.as_millis() / 1000
        ),
        None => "not done in 120 s".to_owned(),
    };
    let _ = t.writer.write_all(b"qy");
    let _ = t.writer.flush();
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
