//! Files and folders that others may have tampered with, through the real binary: the state
//! folder (used as it is, refused when unsafe without failing the command, created 0700 when
//! missing), the editor saving a linked config.yml with a link planted at its backup name, and no
//! core dumps. Tests that need another user's files run only as root (they say so otherwise).
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;
use common::{Pty, bin};

/// A fresh folder (mode 0755) for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("cfingress-files-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        chmod(&dir, 0o755);
        Scratch(dir)
    }

    /// A folder inside, with `mode`.
    fn dir(&self, name: &str, mode: u32) -> PathBuf {
        let d = self.0.join(name);
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
        chmod(&d, mode);
        d
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).map_or(0, |m| m.mode() & 0o7777)
}

fn am_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/examples/config.yml")
}

/// `cfingress validate` on the example, run in `cwd` with the state folder `state`.
fn validate(cwd: &Path, state: &Path) -> Output {
    Command::new(bin())
        .arg("validate")
        .arg(example())
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", cwd)
        .env("CFINGRESS_SETTINGS", cwd.join("settings.toml"))
        .env("CFINGRESS_STATE_DIR", state)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The "Max core file size" soft and hard limits of a running process.
fn core_limits(pid: u32) -> Vec<String> {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap_or_else(|| panic!("no core limit for {pid}:\n{limits}"));
    line.trim_start_matches("Max core file size")
        .split_whitespace()
        .take(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_current_folder_as_state_folder_is_used_as_it_is() {
    let d = Scratch::new("dot");
    let o = validate(&d.0, Path::new("."));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    assert_eq!(mode(&d.0), 0o755, "never chmod'ed");
    assert_eq!(
        mode(&d.0.join("cfingress.log")),
        0o600,
        "the log is private"
    );
}

#[test]
fn an_unsafe_state_folder_costs_the_log_never_the_command() {
    let d = Scratch::new("unsafe");
    for (name, m, says) in [
        (
            "shared",
            0o1777,
            "is writable by group and others (mode 1777): set CFINGRESS_STATE_DIR",
        ),
        (
            "team",
            0o770,
            "is writable by group (mode 0770): run `chmod go-w ",
        ),
        (
            "open",
            0o777,
            "is writable by group and others (mode 0777): run `chmod go-w ",
        ),
    ] {
        let dir = d.dir(name, m);
        for state in [dir.clone(), PathBuf::from(".")] {
            let o = validate(&dir, &state);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(0), "{err}");
            assert!(
                err.contains(says) && err.contains("no log is written"),
                "{name} as {}: {err}",
                state.display()
            );
            assert_eq!(mode(&dir), m, "{name} is never chmod'ed");
            assert!(
                !dir.join("cfingress.log").exists(),
                "nothing is written in {name}"
            );
        }
        assert!(stderr(&validate(&d.0, &dir)).contains(&dir.display().to_string()));
    }
    if !am_root() {
        eprintln!("skipped the other user's folder: only root can create one");
        return;
    }
    let theirs = d.dir("theirs", 0o700);
    std::os::unix::fs::chown(&theirs, Some(4242), Some(4242)).unwrap_or_else(|e| panic!("{e}"));
    let o = validate(&d.0, &theirs);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("belongs to uid 4242, not to you (uid 0)")
            && stderr(&o).contains("sudo -H"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_dir(&theirs).map(Iterator::count).ok(),
        Some(0)
    );
}

#[test]
fn a_missing_state_folder_is_created_0700_with_its_parents() {
    let d = Scratch::new("missing");
    let state = d.0.join("new/state");
    let o = validate(&d.0, &state);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!((mode(&d.0.join("new")), mode(&state)), (0o700, 0o700));
    assert_eq!(mode(&state.join("cfingress.log")), 0o600);
}

#[test]
fn no_core_dumps_from_a_running_command() {
    let mut child = Command::new(bin())
        .arg("sandbox")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let pid = child.id();
    let limits = core_limits(pid);
    // Not dumpable: /proc/PID belongs to root then (visible only to a test that is not root).
    let proc_owner = std::fs::metadata(format!("/proc/{pid}/status")).map(|m| m.uid());
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("api_url"), "the sandbox started: {line:?}");
    assert_eq!(limits, ["0", "0"], "soft and hard core limits");
    if !am_root() {
        assert_eq!(proc_owner.ok(), Some(0), "the process is not dumpable");
    }
}

/// The editor on `args` with its settings in `home` and its state in `state`.
fn editor(args: &[&str], home: &Path, state: &Path) -> Pty {
    let env = [
        ("HOME", home.display().to_string()),
        (
            "CFINGRESS_SETTINGS",
            home.join("settings.toml").display().to_string(),
        ),
        ("CFINGRESS_STATE_DIR", state.display().to_string()),
    ];
    Pty::spawn(args, &env, 30, 110)
}

#[test]
fn the_editor_edits_without_drafts_and_says_so_when_the_state_folder_is_unsafe() {
    let d = Scratch::new("editor-unsafe");
    let state = d.dir("state", 0o777);
    let config = d.0.join("config.yml");
    std::fs::copy(example(), &config).unwrap_or_else(|e| panic!("{e}"));
    let mut s = editor(&["--file", &config.display().to_string()], &d.0, &state);
    let screen = s.wait_for("no drafts: unsafe state folder: ");
    assert!(screen.contains("· no drafts ·"), "{screen}");
    if let Some(pid) = s.child.process_id() {
        assert_eq!(core_limits(pid), ["0", "0"], "the editor cannot dump core");
    }
    // It still edits.
    s.send("c");
    s.wait_for("Ingress rules (8)");
    s.send("u");
    s.wait_for("Ingress rules (7)");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    assert_eq!(mode(&state), 0o777, "never chmod'ed");
    assert_eq!(std::fs::read_dir(&state).map(Iterator::count).ok(), Some(0));
}

#[test]
fn saving_a_linked_config_writes_its_target_keeps_its_owner_and_replaces_a_planted_backup_link() {
    let d = Scratch::new("editor-save");
    let (a, b) = (d.dir("a", 0o755), d.dir("b", 0o755));
    let real = b.join("real.yml");
    std::fs::copy(example(), &real).unwrap_or_else(|e| panic!("{e}"));
    chmod(&real, 0o640);
    let original = std::fs::read_to_string(&real).unwrap_or_default();
    if am_root() {
        // A service account's file, edited by root.
        std::os::unix::fs::chown(&real, Some(4242), Some(4243)).unwrap_or_else(|e| panic!("{e}"));
    }
    let config = a.join("config.yml");
    std::os::unix::fs::symlink(&real, &config).unwrap_or_else(|e| panic!("{e}"));
    let victim = b.join("victim");
    std::fs::write(&victim, "precious\n").unwrap_or_else(|e| panic!("{e}"));
    chmod(&victim, 0o600);
    std::os::unix::fs::symlink(&victim, b.join("real.yml.bak")).unwrap_or_else(|e| panic!("{e}"));

    let mut s = editor(
        &["--file", &config.display().to_string()],
        &d.0,
        &d.0.join("state"),
    );
    s.wait_for("Ingress rules (7)");
    s.send("c");
    s.wait_for("Ingress rules (8)");
    s.send("p");
    s.wait_for("Save anyway?");
    s.send("y");
    s.wait_for("Write ");
    s.send("y");
    let screen = s.wait_for("Saved ");
    assert!(screen.contains("previous version kept as"), "{screen}");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);

    let link = std::fs::read_link(&config).ok();
    assert_eq!(
        link.as_deref(),
        Some(real.as_path()),
        "the user's link stays"
    );
    let saved = cfingress::config::files::read_file(&config).map(|l| l.config.rules().len());
    assert_eq!(saved.ok(), Some(8));
    let m = std::fs::symlink_metadata(&real).unwrap_or_else(|e| panic!("{e}"));
    assert!(m.is_file() && m.mode() & 0o7777 == 0o640, "{:o}", m.mode());
    let bak = b.join("real.yml.bak");
    assert!(std::fs::symlink_metadata(&bak).is_ok_and(|m| m.is_file()));
    assert_eq!(std::fs::read_to_string(&bak).ok(), Some(original));
    assert_eq!(
        std::fs::read_to_string(&victim).ok().as_deref(),
        Some("precious\n")
    );
    assert_eq!(mode(&victim), 0o600);
    if am_root() {
        assert_eq!((m.uid(), m.gid()), (4242, 4243), "the owner is kept");
    }
    let mut left: Vec<_> = std::fs::read_dir(&b)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["real.yml", "real.yml.bak", "victim"],
        "no temporary file left"
    );
}
