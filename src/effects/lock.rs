//! One editor per tunnel (or file) per user: a lock file next to the draft
//! (`drafts/NAME.lock`, 0600) that says who holds it: pid, host, user and since when.
//!
//! A second editor reads it and offers read-only viewing or taking over. Taking over moves the
//! first editor's draft aside (`NAME.json.taken-over-TIME`), never deletes it; the first editor
//! notices on its next save that the lock is no longer its own and saves its draft aside too. A
//! lock whose process is gone (same host, no such pid) is stale and taken over at once; so is
//! one that cannot be read. The lock is advisory and local: it cannot stop an editor on
//! another machine (the publish check does that).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// Its machine.
    pub host: String,
    /// Its user.
    pub user: String,
    /// Since when (RFC 3339, UTC).
    pub since: String,
}

impl Holder {
    /// This process, now.
    pub fn me() -> Self {
        Holder {
            pid: std::process::id(),
            host: super::journal::host(),
            user: super::journal::user(),
            since: super::journal::now(),
        }
    }

    /// `pid 4242 on web1 (oncall) since 14:02` (the local clock; the stored text, inert, when
    /// it is not a time).
    pub fn describe(&self) -> String {
        let since = crate::time::clock_text(&self.since, &crate::time::now());
        crate::text::inert(&format!(
            "pid {} on {} ({}) since {since}",
            self.pid, self.host, self.user
        ))
        .into_owned()
    }

    /// Whether it is this process.
    fn is_me(&self) -> bool {
        self.pid == std::process::id() && self.host == super::journal::host()
    }

    /// Whether its process is certainly gone: on this host, with no such pid.
    fn is_gone(&self) -> bool {
        self.host == super::journal::host()
            && cfg!(target_os = "linux")
            && !Path::new(&format!("/proc/{}", self.pid)).exists()
    }
}

/// What trying the lock found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquired {
    /// It is ours now (`stale`: a dead process's lock was taken over).
    Mine {
        /// The dead holder whose lock was taken over, if any.
        stale: Option<Holder>,
    },
    /// Another live editor holds it.
    Held(Holder),
}

/// The lock file of a draft file.
pub fn lock_path(draft: &Path) -> PathBuf {
    draft.with_extension("lock")
}

fn read(path: &Path) -> Option<Holder> {
    let text = crate::config::files::read_text_capped(path, 4096).ok()?;
    serde_json::from_str(&text).ok()
}

fn write(path: &Path) -> Result<(), String> {
    let text = serde_json::to_string(&Holder::me()).unwrap_or_default();
    super::drafts::save_draft_file(path, |w| w.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write the editor lock {}: {e}", path.display()))
}

/// Takes the lock of the draft file `draft` unless another live editor holds it.
pub fn acquire(draft: &Path) -> Result<Acquired, String> {
    let path = lock_path(draft);
    let stale = match read(&path) {
        Some(h) if h.is_me() => None,
        Some(h) if h.is_gone() => Some(h),
        Some(h) => return Ok(Acquired::Held(h)),
        None => None,
    };
    write(&path)?;
    Ok(Acquired::Mine { stale })
}

/// Takes the lock from the editor that holds it: its draft is moved aside first (never
/// deleted). Returns where it went, if there was one.
pub fn take_over(draft: &Path) -> Result<Option<PathBuf>, String> {
    let aside = if draft.exists() {
        let mut name = draft.as_os_str().to_owned();
        name.push(format!(
            ".taken-over-{}",
            jiff::Timestamp::now().as_second()
        ));
        let aside = PathBuf::from(name);
        std::fs::rename(draft, &aside).map_err(|e| {
            format!("cannot keep the other editor's draft aside, so nothing was taken over: {e}")
        })?;
        Some(aside)
    } else {
        None
    };
    write(&lock_path(draft))?;
    Ok(aside)
}

/// Whether this process still holds the lock of `draft` (no lock file at all counts as held:
/// drafts were saved before locks existed, and a lock that could not be written must not stop
/// saving).
pub fn still_mine(draft: &Path) -> bool {
    match read(&lock_path(draft)) {
        Some(h) => h.is_me(),
        None => true,
    }
}

/// Who holds the lock of `draft` now, if it can be read.
pub fn holder(draft: &Path) -> Option<Holder> {
    read(&lock_path(draft))
}

/// Removes the lock of `draft` if this process holds it.
pub fn release(draft: &Path) {
    let path = lock_path(draft);
    if read(&path).is_some_and(|h| h.is_me()) {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_holder_is_named_a_dead_one_is_taken_over_and_taking_over_keeps_the_draft() {
        let dir = std::env::temp_dir().join(format!("cfingress-lock-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let draft = dir.join("remote-x.json");
        assert_eq!(acquire(&draft), Ok(Acquired::Mine { stale: None }));
        assert!(still_mine(&draft));
        // Another live process on this host (pid 1 always exists).
        let other = Holder {
            pid: 1,
            ..Holder::me()
        };
        std::fs::write(
            lock_path(&draft),
            serde_json::to_string(&other).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!still_mine(&draft));
        assert_eq!(acquire(&draft), Ok(Acquired::Held(other.clone())));
        assert!(other.describe().starts_with("pid 1 on "));
        // The local clock, not the stored RFC 3339 text.
        assert!(
            other.describe().contains(" since ") && !other.describe().contains(&other.since),
            "{}",
            other.describe()
        );
        // Taking over moves its draft aside.
        std::fs::write(&draft, "theirs").unwrap_or_else(|e| panic!("{e}"));
        let aside = take_over(&draft)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no aside"));
        assert_eq!(
            std::fs::read_to_string(&aside).unwrap_or_default(),
            "theirs"
        );
        assert!(!draft.exists() && still_mine(&draft));
        // A dead process's lock is stale.
        let dead = Holder {
            pid: u32::MAX - 7,
            ..Holder::me()
        };
        std::fs::write(
            lock_path(&draft),
            serde_json::to_string(&dead).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        if cfg!(target_os = "linux") {
            assert_eq!(acquire(&draft), Ok(Acquired::Mine { stale: Some(dead) }));
        }
        release(&draft);
        assert!(!lock_path(&draft).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
