//! Files and folders that someone else may have tampered with. Every file cfingress writes (a
//! config file, a draft, the journal, the log) and every folder it keeps state in goes through
//! here, so that a symbolic link or a file planted beside the target never redirects a write.
//!
//! - [`write_atomic`] (and [`write_atomic_with`], for streamed output) writes a temporary file
//!   under a random name that it creates itself (`O_CREAT|O_EXCL|O_NOFOLLOW`), gives it its mode
//!   and owner through the open descriptor, syncs it, keeps the replaced file as `NAME.bak` (a
//!   hard link to it, or a copy written the same way), renames it over the target and syncs the
//!   folder. The only name it follows is the folder part of `path`; `path` itself is refused when
//!   it is a symbolic link (a caller that accepts the user's link resolves it once, up front,
//!   as the editor does for `--file`).
//! - [`open_append`] opens a log or journal for appending without following a symbolic link.
//! - [`private_dir`] vets a folder cfingress keeps state in: a missing one is created 0700, an
//!   existing one is never chmod'ed, and one owned by someone else or writable by group or others
//!   is refused.
//! - [`permission_warnings`] says when a file cfingress reads credentials or commands from can be
//!   read or changed by others.
//!
//! On Unix these use the `*at` system calls through `rustix`; elsewhere a plain temporary file and
//! rename.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::text::inert;

/// How [`write_atomic`] writes a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Permission bits of a new file, and of any file when `keep_existing` is off.
    pub mode: u32,
    /// Give the new file the permission bits, owner and group of the file it replaces. When the
    /// owner cannot be kept (not running as root or as the owner), the write is refused rather
    /// than handing the file over to whoever runs cfingress.
    pub keep_existing: bool,
    /// Keep the replaced file as `NAME.bak` beside it.
    pub backup: bool,
}

impl WriteOptions {
    /// Drafts and the journal: mode 0600, owned by whoever runs cfingress, no backup.
    pub const PRIVATE: WriteOptions = WriteOptions {
        mode: 0o600,
        keep_existing: false,
        backup: false,
    };

    /// A user's config file: keeps the replaced file's mode, owner and group, and the file itself
    /// as `NAME.bak`; a new file gets mode 0644 (cloudflared, often another user, must read it).
    pub const CONFIG: WriteOptions = WriteOptions {
        mode: 0o644,
        keep_existing: true,
        backup: true,
    };
}

/// What [`write_atomic`] did besides writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Where the replaced file was kept, when a backup was asked for and there was a file.
    pub backup: Option<PathBuf>,
}

/// Writes `bytes` to `path` atomically; see the module documentation and [`WriteOptions`].
/// Errors name the step and the file that failed.
pub fn write_atomic(path: &Path, bytes: &[u8], options: &WriteOptions) -> io::Result<Written> {
    write_atomic_with(path, options, |w| w.write_all(bytes))
}

/// [`write_atomic`] with the content streamed by `write` (buffered) instead of held in memory.
pub fn write_atomic_with(
    path: &Path,
    options: &WriteOptions,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<Written> {
    let (dir, name) = split(path)?;
    imp::write_atomic(dir, name, options, write)
}

/// Opens `path` for appending (creating it with mode 0600), refusing a symbolic link or anything
/// but a regular file at that name: for the log and the journal, in a folder vetted by
/// [`private_dir`].
pub fn open_append(path: &Path) -> io::Result<File> {
    imp::open_append(path)
}

/// Why a folder cannot hold cfingress's state.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FolderError {
    /// Something other than a folder is at that path.
    #[error("{path} is not a folder")]
    NotAFolder {
        /// The path, made inert.
        path: String,
    },
    /// Someone else owns it, and could plant or read what cfingress keeps there.
    #[error("{path} belongs to uid {owner}, not to you (uid {me})")]
    Owner {
        /// The path, made inert.
        path: String,
        /// Its owner.
        owner: u32,
        /// The effective user id of this process.
        me: u32,
    },
    /// Other users can create, replace or remove files in it (it is this user's: the owner is
    /// checked first).
    #[error("{path} is writable by {who} (mode {mode:04o})")]
    Writable {
        /// The path, made inert.
        path: String,
        /// "group", "others" or "group and others".
        who: &'static str,
        /// Its permission bits, with the sticky and set-id bits.
        mode: u32,
    },
    /// It is missing and would have to be created in another user's folder.
    #[error(
        "{path} does not exist, and cfingress will not create it inside {parent}, which belongs to uid {owner}"
    )]
    ForeignParent {
        /// The missing folder, made inert.
        path: String,
        /// Its nearest existing ancestor, made inert.
        parent: String,
        /// The ancestor's owner.
        owner: u32,
    },
    /// It could not be created or examined.
    #[error("{path}: {message}")]
    Io {
        /// The path, made inert.
        path: String,
        /// The system's error.
        message: String,
    },
}

impl FolderError {
    /// A command that fixes the folder itself, when one is safe to suggest: `chmod go-w` on a
    /// folder of one's own, unless its sticky bit marks it as shared on purpose (root's `/tmp`).
    pub fn chmod_fix(&self) -> Option<String> {
        match self {
            FolderError::Writable { path, mode, .. } if mode & 0o1000 == 0 => {
                Some(format!("chmod go-w {path}"))
            }
            _ => None,
        }
    }
}

/// Makes sure `path` is a folder only this user can write in: a missing folder is created with
/// mode 0700 (missing parents too, but only inside a folder of this user or of root); an
/// existing one is used as it is, never chmod'ed, and refused when another user owns it or group
/// or others can write in it. A symbolic link at `path` is followed (the user chose the path).
pub fn private_dir(path: &Path) -> Result<(), FolderError> {
    imp::private_dir(path)
}

/// Warnings about a file cfingress reads credentials or commands from (`what`: "the settings
/// file", "the token file"): owned by another user, writable by group or others, readable by
/// group or others when it `holds_secret`, or in a folder where another user can replace it.
/// Nothing for a missing file or one that is not a regular file (a pipe from `<(pass ...)`).
pub fn permission_warnings(path: &Path, what: &str, holds_secret: bool) -> Vec<String> {
    imp::permission_warnings(path, what, holds_secret)
}

/// A path as shown in messages: inert, so a hostile name cannot act on the terminal.
fn shown(path: &Path) -> String {
    inert(&path.display().to_string()).into_owned()
}

/// The folder (`.` for a bare name) and the file name of `path`.
fn split(path: &Path) -> io::Result<(&Path, &OsStr)> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", shown(path)),
        )
    })?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    Ok((dir, name))
}

/// `error` with `what` in front, keeping its kind.
fn context(what: impl std::fmt::Display, error: impl Into<io::Error>) -> io::Error {
    let error = error.into();
    io::Error::new(error.kind(), format!("{what}: {error}"))
}

/// A name no one can predict: `.NAME.cfingress-<16 hex digits>.tmp`, beside the file it is for.
/// The digits come from a SipHash keyed by the OS's randomness (std's `RandomState`), over a
/// counter, the process id and the time. `O_EXCL` is what makes the file safe; the randomness only
/// stops someone from taking the names in advance.
fn temp_name(name: &OsStr) -> OsString {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    // Short enough that the whole name stays under the 255-byte limit of most file systems.
    let short: String = name.to_string_lossy().chars().take(48).collect();
    OsString::from(format!(".{short}.cfingress-{:016x}.tmp", h.finish()))
}

/// `NAME.bak`.
fn backup_name(name: &OsStr) -> OsString {
    let mut b = name.to_os_string();
    b.push(".bak");
    b
}

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;

#[cfg(not(unix))]
mod imp {
    use std::ffi::OsStr;
    use std::fs::File;
    use std::io::{self, BufWriter, Write};
    use std::path::Path;

    use super::{FolderError, WriteOptions, Written, backup_name, context, shown, temp_name};

    pub(super) fn write_atomic(
        dir: &Path,
        name: &OsStr,
        options: &WriteOptions,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<Written> {
        let path = dir.join(name);
        let tmp = dir.join(temp_name(name));
        let result = (|| {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            let mut out = BufWriter::new(file);
            write(&mut out)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            let backup = if options.backup && path.is_file() {
                let bak = dir.join(backup_name(name));
                std::fs::copy(&path, &bak)?;
                Some(bak)
            } else {
                None
            };
            std::fs::rename(&tmp, &path)?;
            Ok(Written { backup })
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result.map_err(|e: io::Error| context(shown(&path), e))
    }

    pub(super) fn open_append(path: &Path) -> io::Result<File> {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    }

    pub(super) fn private_dir(path: &Path) -> Result<(), FolderError> {
        std::fs::create_dir_all(path).map_err(|e| FolderError::Io {
            path: shown(path),
            message: e.to_string(),
        })
    }

    pub(super) fn permission_warnings(_: &Path, _: &str, _: bool) -> Vec<String> {
        Vec::new()
    }
}
