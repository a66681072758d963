//! The real binary in a pseudo-terminal, read through a terminal-screen parser (shared by the pty
//! tests and the pty measurement).
#![allow(dead_code)] // each test crate uses its own part

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
