//! Records what `cfingress --version` reports: the git commit the binary was built from (and
//! whether its sources had uncommitted changes), the build time, the target and the compiler.
//!
//! Without git, or outside the project's own checkout (sources unpacked from a tarball, even
//! inside some other repository), the commit is left empty and `--version` says "unknown
//! commit". `SOURCE_DATE_EPOCH` (reproducible builds) replaces the build time when set.
//!
//! Environment set for the crate: `CFINGRESS_COMMIT` (full hash or empty), `CFINGRESS_DIRTY`
//! ("1" or empty), `CFINGRESS_BUILD_EPOCH` (seconds), `CFINGRESS_TARGET`, `CFINGRESS_RUSTC`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// What goes into the binary. A change there runs this script again, so that "dirty" and the
/// build time stay true (a change to the tests alone does not).
const INPUTS: [&str; 5] = ["src", "assets", "build.rs", "Cargo.toml", "Cargo.lock"];

/// 9999-12-31T23:59:59Z: a larger `SOURCE_DATE_EPOCH` is a mistake, not a date.
const LAST_EPOCH: u64 = 253_402_300_799;

fn main() {
    for input in INPUTS {
        println!("cargo:rerun-if-changed={input}");
    }
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");

    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let (commit, dirty) = match git_state(&dir) {
        Some(state) => {
            for path in state.watch {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            (state.commit, state.dirty)
        }
        None => (String::new(), false),
    };
    println!("cargo:rustc-env=CFINGRESS_COMMIT={commit}");
    println!(
        "cargo:rustc-env=CFINGRESS_DIRTY={}",
        if dirty { "1" } else { "" }
    );
    println!("cargo:rustc-env=CFINGRESS_BUILD_EPOCH={}", build_epoch());
    println!(
        "cargo:rustc-env=CFINGRESS_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );
    println!("cargo:rustc-env=CFINGRESS_RUSTC={}", rustc_version());
}

/// The commit of the checkout at `dir`, and the git files that change when it moves.
struct GitState {
    commit: String,
    dirty: bool,
    watch: Vec<PathBuf>,
}

fn git_state(dir: &Path) -> Option<GitState> {
    // Only the project's own checkout counts: sources unpacked inside another repository would
    // otherwise report that repository's commit.
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if std::fs::canonicalize(top.trim()).ok()? != std::fs::canonicalize(dir).ok()? {
        return None;
    }
    let commit = git(dir, &["rev-parse", "HEAD"])?.trim().to_owned();
    if !matches!(commit.len(), 40 | 64) || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut status = vec!["status", "--porcelain", "--untracked-files=normal", "--"];
    status.extend(INPUTS);
    let dirty = !git(dir, &status)?.trim().is_empty();

    // HEAD moves (commit, checkout, reset) are logged in logs/HEAD; the branch's ref, the packed
    // refs and the index cover the rest. `--git-path` resolves them in linked worktrees too.
    let mut names = vec!["HEAD", "logs/HEAD", "packed-refs", "index"];
    let branch = git(dir, &["symbolic-ref", "-q", "HEAD"]).unwrap_or_default();
    if !branch.trim().is_empty() {
        names.push(branch.trim());
    }
    let watch = names
        .into_iter()
        .filter_map(|name| git(dir, &["rev-parse", "--git-path", name]))
        .map(|path| dir.join(path.trim()))
        .filter(|path| path.exists())
        .collect();
    Some(GitState {
        commit,
        dirty,
        watch,
    })
}

/// Runs git in `dir`; its standard output when it succeeds. `--no-optional-locks` keeps
/// `git status` from rewriting the index, which would run this script again at the next build.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("--no-optional-locks")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok()
}

/// Seconds since 1970 when this build ran, or `SOURCE_DATE_EPOCH` when it is set and sane.
fn build_epoch() -> u64 {
    if let Ok(text) = std::env::var("SOURCE_DATE_EPOCH") {
        match text.trim().parse::<u64>() {
            Ok(secs) if secs <= LAST_EPOCH => return secs,
            _ => println!(
                "cargo:warning=SOURCE_DATE_EPOCH={text:?} is not a number of seconds since 1970; using the current time"
            ),
        }
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `rustc 1.95.0 (59807616e 2026-04-14)`, as the compiler building this crate names itself.
fn rustc_version() -> String {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}
