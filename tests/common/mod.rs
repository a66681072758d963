//! The real binary in a pseudo-terminal, read through a terminal-screen parser (shared by the pty
//! tests and the pty measurement).
#![allow(dead_code)] // each test crate uses its own part

pub mod contract;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_cfingress")
}

/// A running editor in a pseudo-terminal.
pub struct Pty {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    /// The editor process.
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Pty {
    /// Starts `cfingress ARGS` in a `rows`×`cols` terminal with a clean environment plus `env`.
    pub fn spawn(args: &[&str], env: &[(&str, String)], rows: u16, cols: u16) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let mut cmd = CommandBuilder::new(bin());
        cmd.args(args);
        cmd.env_clear();
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd.env("TERM", "xterm-256color");
        for (k, v) in env {
            cmd.env(k, v);
        }
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
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (Arc::clone(&parser), Arc::clone(&raw));
        std::thread::spawn(move || {
            let _keep_master = pair.master;
            let mut buf = [0u8; 65536];
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
        Pty {
            parser,
            raw,
            writer,
            child,
        }
    }

    /// The screen's text.
    pub fn text(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    /// Everything the editor wrote so far.
    pub fn raw(&self) -> Vec<u8> {
        self.raw.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// How many bytes the editor wrote so far.
    pub fn bytes(&self) -> usize {
        self.raw.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Types `keys` (without waiting).
    pub fn write(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        self.writer.flush().unwrap_or_else(|e| panic!("{e}"));
    }

    /// Types `keys` and gives the editor a moment.
    pub fn send(&mut self, keys: &str) {
        self.write(keys);
        std::thread::sleep(Duration::from_millis(60));
    }

    /// Waits up to `limit` for the screen to satisfy `f`; returns how long it took.
    pub fn within(&self, limit: Duration, f: impl Fn(&str) -> bool) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if f(&self.text()) {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        None
    }

    /// Waits (up to `limit`, else fails naming `what`) for the screen to satisfy `f`.
    pub fn until(&self, what: &str, limit: Duration, f: impl Fn(&str) -> bool) -> Duration {
        match self.within(limit, f) {
            Some(d) => d,
            None => panic!(
                "timed out waiting for {what:?}; the screen shows:\n{}",
                self.text()
            ),
        }
    }

    /// Waits for `needle` on the screen (15 s at most) and returns the screen.
    pub fn wait_for(&self, needle: &str) -> String {
        self.until(needle, Duration::from_secs(15), |s| s.contains(needle));
        self.text()
    }

    /// Waits for the editor to exit (10 s at most) and returns its exit code.
    pub fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.exit_code();
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the editor did not exit"
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

/// A `cfingress sandbox` process, stopped when dropped.
pub struct SandboxProcess {
    child: std::process::Child,
    /// The line it printed: `api_url`, `token`, `account_id`, `tunnels`.
    pub info: serde_json::Value,
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SandboxProcess {
    /// Starts a sandbox serving `seeds` (paths relative to the repository).
    pub fn start(seeds: &[&str]) -> SandboxProcess {
        use std::io::BufRead;
        let mut cmd = std::process::Command::new(bin());
        cmd.arg("sandbox");
        for s in seeds {
            cmd.arg("--seed")
                .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(s));
        }
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the sandbox: {e}"));
        let out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let mut line = String::new();
        std::io::BufReader::new(out)
            .read_line(&mut line)
            .unwrap_or_else(|e| panic!("{e}"));
        let info = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        SandboxProcess { child, info }
    }

    /// Every DNS record the sandbox holds: `(name, type, content, proxied, comment)`.
    pub fn dns_records(&self) -> Vec<(String, String, String, bool, Option<String>)> {
        let v = self.control("GET", "/__sandbox/dns/records", "");
        v["records"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["name"].as_str().unwrap_or_default().to_owned(),
                    r["type"].as_str().unwrap_or_default().to_owned(),
                    r["content"].as_str().unwrap_or_default().to_owned(),
                    r["proxied"].as_bool().unwrap_or_default(),
                    r["comment"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }

    /// A string field of the announcement.
    pub fn field(&self, key: &str) -> String {
        self.info[key].as_str().unwrap_or_default().to_owned()
    }

    /// The id of the tunnel named `name`.
    pub fn tunnel_id(&self, name: &str) -> String {
        self.info["tunnels"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["name"] == name)
            .and_then(|t| t["id"].as_str())
            .unwrap_or_default()
            .to_owned()
    }

    /// The environment that points cfingress at this sandbox, with settings and state in `home`.
    pub fn env(&self, home: &std::path::Path) -> Vec<(&'static str, String)> {
        vec![
            ("HOME", home.display().to_string()),
            ("USER", "oncall".to_owned()),
            (
                "CFINGRESS_SETTINGS",
                home.join("settings.toml").display().to_string(),
            ),
            (
                "CFINGRESS_STATE_DIR",
                home.join("state").display().to_string(),
            ),
            ("CFINGRESS_API_URL", self.field("api_url")),
            ("CLOUDFLARE_API_TOKEN", self.field("token")),
        ]
    }

    /// Runs `cfingress ARGS` against this sandbox with a clean environment (settings and state
    /// in `home`, no terminal).
    pub fn run(&self, home: &std::path::Path, args: &[&str]) -> std::process::Output {
        std::process::Command::new(bin())
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env(home))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Calls the sandbox's control API (`/__sandbox/...`); panics unless it answers 200, and
    /// returns the answer's body.
    pub fn control(&self, method: &str, path: &str, body: &str) -> serde_json::Value {
        let api_url = self.field("api_url");
        let hostport = api_url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut stream = std::net::TcpStream::connect(&hostport).unwrap_or_else(|e| panic!("{e}"));
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.field("token"),
            body.len()
        );
        stream
            .write_all(req.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
    }
}

/// An empty folder for one test's settings, state and files.
pub fn fresh_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cfingress-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Every file below `dir`.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}
