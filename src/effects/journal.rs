//! The local publish journal: every publish of a tunnel (or save of a file) made from this
//! machine and user, with both full configs, so that `cfingress history` can list them and
//! `cfingress rollback` can publish an earlier one again.
//!
//! Layout, in the state folder (`settings::state_dir()`), all folders 0700 and files 0600:
//!
//! ```text
//! journal/<name>-<hash>.lock         an advisory lock: one writer at a time
//! journal/<name>-<hash>/index.json   {"format","key","name","entries":[..]}, oldest entry first
//! journal/<name>-<hash>/configs/     the configs, one file each, named by a hash of the text
//! ```
//!
//! A config is stored once however many entries refer to it (the "after" of one publish is
//! usually the "before" of the next). Every file is written atomically (temporary file, fsync,
//! rename), the configs before the index that refers to them, so a crash leaves the previous
//! journal or the new one, never a mix. The journal keeps the last [`MAX_ENTRIES`] entries, and
//! the configs of the newest entries up to [`MAX_CONFIG_BYTES`] (older entries keep their summary
//! and say their configs were pruned). An index that cannot be read is never overwritten: the
//! next publish moves the whole folder aside (`<name>-<hash>.corrupt`) and starts a new journal.
//! No credential is ever written here: entries hold configs, versions, times and user@host.

use std::collections::HashSet;
use std::fs::File;
use std::hash::Hasher;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::config::encode::{EncodeError, config_to_json_text};
use crate::config::files::{Format, parse_str};
use crate::config::model::TunnelConfig;
use crate::text::inert;

/// Entries kept per tunnel (or file); older ones are dropped.
pub const MAX_ENTRIES: usize = 200;
/// Bytes of configs kept per tunnel (or file), newest first; older entries keep their summary.
pub const MAX_CONFIG_BYTES: u64 = 256 << 20;
/// The largest index read (200 entries of summaries take far less).
const MAX_INDEX_BYTES: u64 = 64 << 20;
/// The largest config file read (the API answers at most 16 MB).
const MAX_CONFIG_FILE_BYTES: u64 = 64 << 20;
const FORMAT: &str = "cfingress-journal-1";
const INDEX: &str = "index.json";
const CONFIGS: &str = "configs";

/// How a journaled publish ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The server answered with the new version.
    Published,
    /// The request was sent but its outcome is unknown (the answer was lost and the re-read
    /// failed): the "after" config is what was sent.
    Unknown,
    /// A file was written.
    Saved,
}

/// A publish that did not land exactly one version above the version checked just before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionGap {
    /// The remote version read right before the PUT.
    pub checked_version: u64,
    /// The version the server answered for this publish.
    pub published_version: u64,
}

/// How much one publish raises a tunnel's config version, as cfingress assumes it. The API
/// documents no rule for versions (the OpenAPI slice only says `version` is an integer); the real
/// API and the sandbox raise it by exactly one per PUT. Every check that infers "someone else
/// published in between" from the version numbers goes through [`expected_version`], so this is
/// the one place the assumption lives, and [`VersionGap::message`] states it.
pub const VERSION_STEP: u64 = 1;

/// The version a publish is expected to create when the remote was at `checked` right before it.
pub fn expected_version(checked: u64) -> u64 {
    checked.saturating_add(VERSION_STEP)
}

impl VersionGap {
    /// The gap between the version checked right before a PUT and the version the PUT created,
    /// or `None` when the PUT created exactly [`expected_version`].
    pub fn between(checked_version: u64, published_version: u64) -> Option<Self> {
        (published_version != expected_version(checked_version)).then_some(VersionGap {
            checked_version,
            published_version,
        })
    }

    /// The versions someone else published between the check and this publish (and which this
    /// publish replaced), first and last; `None` when the server's version did not even grow.
    pub fn overwritten(&self) -> Option<(u64, u64)> {
        (self.published_version > expected_version(self.checked_version)).then(|| {
            (
                expected_version(self.checked_version),
                self.published_version - VERSION_STEP,
            )
        })
    }

    /// What happened, for people.
    pub fn message(&self) -> String {
        let (c, p) = (self.checked_version, self.published_version);
        let text = match self.overwritten() {
            Some((a, b)) if a == b => format!(
                "someone else published version {a} between cfingress's last check (version {c}) and this publish (version {p}): this publish replaced it, and its config is not known to cfingress"
            ),
            Some((a, b)) => format!(
                "someone else published versions {a} to {b} between cfingress's last check (version {c}) and this publish (version {p}): this publish replaced them, and their configs are not known to cfingress"
            ),
            None => format!(
                "the server answered version {p} for this publish, but the version checked just before was {c}: its version numbers cannot be trusted to detect other publishes"
            ),
        };
        format!(
            "{text} (cfingress assumes every publish raises the version by exactly {VERSION_STEP}, so version {} was expected)",
            expected_version(c)
        )
    }
}

/// One journaled publish (or file save).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When it was recorded (RFC 3339, UTC).
    pub time: String,
    /// The remote version it replaced (`None` for files and for a tunnel without a config).
    pub from_version: Option<u64>,
    /// The version it created (`None` for files and for an unknown outcome).
    pub to_version: Option<u64>,
    /// The rule-level summary of the change (`config::diff::Summary::lines`).
    pub summary: Vec<String>,
    /// The local user who published.
    pub user: String,
    /// The machine it was published from.
    pub host: String,
    /// What published it: `apply FILE`, `rollback to version N`, `editor`.
    pub via: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Set when the version did not grow by exactly one: someone else published in between.
    #[serde(default)]
    pub raced: Option<VersionGap>,
    /// Set when the server answered with a config other than the one sent: the summary of the
    /// difference (sent → answered). The "after" config is the answered one.
    #[serde(default)]
    pub altered: Option<Vec<String>>,
    /// The config before (a file under `configs/`), `None` when there was none or it was pruned.
    #[serde(default)]
    pub before: Option<String>,
    /// The config after, `None` when it was pruned.
    #[serde(default)]
    pub after: Option<String>,
    /// Whether the configs were dropped to keep the journal within [`MAX_CONFIG_BYTES`].
    #[serde(default)]
    pub pruned: bool,
}

/// A config to keep: its text and how to read it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigText {
    /// The syntax of `text`.
    pub format: Format,
    /// The text.
    pub text: String,
}

impl ConfigText {
    /// A remote config, kept as a PUT body (`{"config":..}`): unambiguous whatever its keys.
    pub fn remote(config: &TunnelConfig) -> Result<Self, EncodeError> {
        Ok(ConfigText {
            format: Format::Json,
            text: format!("{{\"config\":{}}}\n", config_to_json_text(config)?),
        })
    }

    /// A file's exact text.
    pub fn file(text: String, format: Format) -> Self {
        ConfigText { format, text }
    }

    fn extension(&self) -> &'static str {
        match self.format {
            Format::Json => "json",
            Format::Yaml => "yml",
        }
    }
}

/// What to record; the time, user and host are added by [`Locked::record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// See [`Entry::from_version`].
    pub from_version: Option<u64>,
    /// See [`Entry::to_version`].
    pub to_version: Option<u64>,
    /// See [`Entry::summary`].
    pub summary: Vec<String>,
    /// See [`Entry::via`].
    pub via: String,
    /// See [`Entry::outcome`].
    pub outcome: Outcome,
    /// See [`Entry::raced`].
    pub raced: Option<VersionGap>,
    /// See [`Entry::altered`].
    pub altered: Option<Vec<String>>,
    /// The config before (`None`: the tunnel had none).
    pub before: Option<ConfigText>,
    /// The config after.
    pub after: Option<ConfigText>,
    /// The tunnel's name, remembered so that `history --tunnel NAME` works offline.
    pub name: Option<String>,
}

/// Why the journal could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JournalError {
    /// The index (or a config) cannot be read or is not a journal of this tunnel.
    #[error("the journal {path} cannot be read: {message}")]
    Unreadable {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Writing failed (a read-only or full disk).
    #[error("cannot write the journal {path}: {message}")]
    Write {
        /// The file or folder.
        path: String,
        /// Why.
        message: String,
    },
    /// Another cfingress process held the journal for too long.
    #[error(
        "the journal {path} stayed locked by another cfingress process for {secs} s (a publish to the same tunnel from this user); try again when it has finished"
    )]
    Busy {
        /// The lock file.
        path: String,
        /// How long this process waited.
        secs: u64,
    },
}

#[derive(Debug, Serialize, Deserialize)]
struct Index {
    format: String,
    key: String,
    #[serde(default)]
    name: Option<String>,
    entries: Vec<Entry>,
}

/// What a journal is about, read from its index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalInfo {
    /// `remote:ACCOUNT:TUNNEL` or `file:PATH`.
    pub key: String,
    /// The tunnel's last known name.
    pub name: Option<String>,
    /// Entries, oldest first.
    pub entries: Vec<Entry>,
}

impl JournalInfo {
    /// The account and tunnel ids of a remote journal.
    pub fn remote_ids(&self) -> Option<(&str, &str)> {
        self.key.strip_prefix("remote:")?.split_once(':')
    }
}

/// The journal of one tunnel (or file). Creating it touches nothing on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    dir: PathBuf,
    key: String,
}

/// Where a config of some version is, in a journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found<'a> {
    /// Kept: the entry that has it, and the config file.
    Kept {
        /// The newest entry with this version on either side.
        entry: &'a Entry,
        /// The config file under `configs/`.
        config: &'a str,
    },
    /// The journal mentions the version but no longer keeps its config.
    Pruned,
    /// Someone else published this version, and a publish from here replaced it before
    /// cfingress ever read it.
    Overwritten(&'a Entry),
    /// The journal never saw this version.
    Missing,
}

impl Journal {
    /// The journal of a tunnel, in the state folder (`None` when there is none).
    pub fn remote(account: &str, tunnel: &str) -> Option<Self> {
        let state = crate::settings::state_dir()?;
        Some(Self::in_state_dir(
            &state,
            &crate::app::draft::remote_key(account, tunnel),
        ))
    }

    /// The journal of a file (its path as given: callers canonicalize it first).
    pub fn file(path: &Path) -> Option<Self> {
        let state = crate::settings::state_dir()?;
        Some(Self::in_state_dir(
            &state,
            &crate::app::draft::file_key(path),
        ))
    }

    /// The journal with this key under `state` (tests use their own folder).
    pub fn in_state_dir(state: &Path, key: &str) -> Self {
        let name = crate::app::draft::file_name(key);
        let stem = name.strip_suffix(".json").unwrap_or(&name);
        Journal {
            dir: state.join("journal").join(stem),
            key: key.to_owned(),
        }
    }

    /// Every journal under `state` whose index can be read, for looking one up by tunnel name.
    pub fn all(state: &Path) -> Vec<(Journal, JournalInfo)> {
        let Ok(list) = std::fs::read_dir(state.join("journal")) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in list.flatten() {
            let dir = item.path();
            if !dir.is_dir() || dir.extension().is_some() {
                continue;
            }
            if let Ok(index) = read_index(&dir.join(INDEX)) {
                let journal = Journal {
                    dir,
                    key: index.key.clone(),
                };
                out.push((
                    journal,
                    JournalInfo {
                        key: index.key,
                        name: index.name,
                        entries: index.entries,
                    },
                ));
            }
        }
        out.sort_by(|a, b| a.1.key.cmp(&b.1.key));
        out
    }

    /// Journals under `state` whose index exists but cannot be read, with why.
    pub fn unreadable(state: &Path) -> Vec<(PathBuf, JournalError)> {
        let Ok(list) = std::fs::read_dir(state.join("journal")) else {
            return Vec::new();
        };
        list.flatten()
            .map(|item| item.path())
            .filter(|dir| dir.is_dir() && dir.extension().is_none())
            .filter_map(|dir| {
                let index = dir.join(INDEX);
                let e = read_index(&index).err().filter(|_| index.exists())?;
                Some((dir, e))
            })
            .collect()
    }

    /// The index file.
    pub fn index_path(&self) -> PathBuf {
        self.dir.join(INDEX)
    }

    /// The folder holding the index and the configs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.with_extension("lock")
    }

    /// The journal's entries (oldest first) and the tunnel's last known name; an empty journal
    /// when none was written yet.
    pub fn read(&self) -> Result<JournalInfo, JournalError> {
        let path = self.index_path();
        if !path.exists() {
            return Ok(JournalInfo {
                key: self.key.clone(),
                name: None,
                entries: Vec::new(),
            });
        }
        let index = read_index(&path)?;
        if index.key != self.key {
            return Err(unreadable(
                &path,
                format!(
                    "it is the journal of {}, not of {}",
                    inert(&index.key),
                    inert(&self.key)
                ),
            ));
        }
        Ok(JournalInfo {
            key: index.key,
            name: index.name,
            entries: index.entries,
        })
    }

    /// Reads a kept config (`config`: an [`Entry::before`] or [`Entry::after`]).
    pub fn config(&self, config: &str) -> Result<TunnelConfig, JournalError> {
        let path = self.dir.join(CONFIGS).join(config);
        let is_plain_name = !config.is_empty()
            && config
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && !config.starts_with('.');
        if !is_plain_name {
            return Err(unreadable(&path, "not a config file name".to_owned()));
        }
        // configs/, the tunnel's folder, journal/, the state folder.
        let text = read_bounded(&path, MAX_CONFIG_FILE_BYTES, 4)?;
        let format = Format::from_path(&path);
        parse_str(&text, format)
            .map(|l| l.config)
            .map_err(|e| unreadable(&path, e.to_string()))
    }

    /// Takes the journal's lock if no other process holds it.
    pub fn try_lock(&self) -> Result<Option<Locked<'_>>, JournalError> {
        let file = self.open_lock()?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Locked {
                journal: self,
                _file: file,
            })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(write_error(&self.lock_path(), &e)),
        }
    }

    /// Takes the journal's lock, waiting up to `wait` for another process to release it.
    pub fn lock(&self, wait: Duration) -> Result<Locked<'_>, JournalError> {
        let started = Instant::now();
        loop {
            if let Some(locked) = self.try_lock()? {
                return Ok(locked);
            }
            if started.elapsed() >= wait {
                return Err(JournalError::Busy {
                    path: self.lock_path().display().to_string(),
                    secs: wait.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn open_lock(&self) -> Result<File, JournalError> {
        let parent = self.dir.parent().unwrap_or(Path::new("."));
        private_dir(parent)?;
        crate::safe_fs::open_append(&self.lock_path())
            .map_err(|e| write_error(&self.lock_path(), &e))
    }
}

/// Where `version`'s config is in `entries` (oldest first): the newest entry that has it, as the
/// config it created or the one it replaced.
pub fn find_version(entries: &[Entry], version: u64) -> Found<'_> {
    let mut mentioned = false;
    for entry in entries.iter().rev() {
        let published = entry.outcome == Outcome::Published;
        let sides = [
            (
                entry.to_version.filter(|_| published),
                entry.after.as_deref(),
            ),
            (entry.from_version, entry.before.as_deref()),
        ];
        for (v, config) in sides {
            if v == Some(version) {
                match config {
                    Some(config) => return Found::Kept { entry, config },
                    None => mentioned |= entry.pruned,
                }
            }
        }
    }
    if mentioned {
        return Found::Pruned;
    }
    let overwritten = entries.iter().rev().find(|e| {
        e.raced
            .and_then(|r| r.overwritten())
            .is_some_and(|(a, b)| (a..=b).contains(&version))
    });
    match overwritten {
        Some(e) => Found::Overwritten(e),
        None => Found::Missing,
    }
}

/// The versions whose configs `entries` keep, ascending.
pub fn kept_versions(entries: &[Entry]) -> Vec<u64> {
    let mut out: Vec<u64> = entries
        .iter()
        .flat_map(|e| {
            let published = e.outcome == Outcome::Published;
            [
                e.to_version.filter(|_| published && e.after.is_some()),
                e.from_version.filter(|_| e.before.is_some()),
            ]
        })
        .flatten()
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A journal held by this process: the only way to add entries.
#[derive(Debug)]
pub struct Locked<'a> {
    journal: &'a Journal,
    _file: File,
}

/// Where an entry went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The index written.
    pub index: PathBuf,
    /// Where an unreadable journal was moved before this one was started.
    pub moved_aside: Option<PathBuf>,
}

impl Locked<'_> {
    /// The journal this lock holds.
    pub fn journal(&self) -> &Journal {
        self.journal
    }

    /// Adds an entry (time, user and host of now), keeps the journal within its bounds, and
    /// writes it. An index that cannot be read is moved aside first, never overwritten.
    pub fn record(&self, new: NewEntry) -> Result<Recorded, JournalError> {
        self.record_within(new, MAX_ENTRIES, MAX_CONFIG_BYTES)
    }

    fn record_within(
        &self,
        new: NewEntry,
        max_entries: usize,
        max_bytes: u64,
    ) -> Result<Recorded, JournalError> {
        let journal = self.journal;
        let mut moved_aside = None;
        let mut index = match journal.read() {
            Ok(info) => Index {
                format: FORMAT.to_owned(),
                key: info.key,
                name: info.name,
                entries: info.entries,
            },
            Err(e) => {
                tracing::warn!(error = %e, "moving an unreadable journal aside");
                moved_aside = Some(move_aside(&journal.dir)?);
                Index {
                    format: FORMAT.to_owned(),
                    key: journal.key.clone(),
                    name: None,
                    entries: Vec::new(),
                }
            }
        };
        private_dir(&journal.dir)?;
        let configs = journal.dir.join(CONFIGS);
        private_dir(&configs)?;
        let before = new
            .before
            .as_ref()
            .map(|c| store_config(&configs, c))
            .transpose()?;
        let after = new
            .after
            .as_ref()
            .map(|c| store_config(&configs, c))
            .transpose()?;
        if new.name.is_some() {
            index.name = new.name;
        }
        index.entries.push(Entry {
            time: now(),
            from_version: new.from_version,
            to_version: new.to_version,
            summary: new.summary,
            user: user(),
            host: host(),
            via: new.via,
            outcome: new.outcome,
            raced: new.raced,
            altered: new.altered,
            before,
            after,
            pruned: false,
        });
        let excess = index.entries.len().saturating_sub(max_entries);
        index.entries.drain(..excess);
        prune(&mut index.entries, &configs, max_bytes);
        let text = serde_json::to_vec(&index).map_err(|e| JournalError::Write {
            path: journal.index_path().display().to_string(),
            message: e.to_string(),
        })?;
        write_private(&journal.index_path(), &text)?;
        remove_unreferenced(&index.entries, &configs);
        Ok(Recorded {
            index: journal.index_path(),
            moved_aside,
        })
    }
}

fn unreadable(path: &Path, message: String) -> JournalError {
    JournalError::Unreadable {
        path: path.display().to_string(),
        message,
    }
}

fn write_error(path: &Path, e: &std::io::Error) -> JournalError {
    JournalError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Reads a journal file only as the writer would have left it: a regular file, not a symbolic
/// link, in folders (`levels` of them, up to the state folder) that only this user can write in;
/// a FIFO or device is refused before anything waits on it, and at most `limit` bytes are read.
/// A planted link or a folder others can write in must never feed a rollback.
fn read_bounded(path: &Path, limit: u64, levels: usize) -> Result<String, JournalError> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| unreadable(path, e.to_string()))?;
    if meta.file_type().is_symlink() {
        return Err(unreadable(
            path,
            "it is a symbolic link, which cfingress never writes there".to_owned(),
        ));
    }
    for dir in path.ancestors().skip(1).take(levels) {
        if let Err(e) = crate::safe_fs::private_dir(dir) {
            return Err(unreadable(
                path,
                format!("its folder cannot be trusted: {e}"),
            ));
        }
    }
    crate::config::files::read_text_capped(path, limit).map_err(|e| unreadable(path, e.to_string()))
}

fn read_index(path: &Path) -> Result<Index, JournalError> {
    // The tunnel's folder, journal/, the state folder.
    let text = read_bounded(path, MAX_INDEX_BYTES, 3)?;
    let index: Index =
        serde_json::from_str(&text).map_err(|e| unreadable(path, format!("damaged: {e}")))?;
    if index.format != FORMAT {
        return Err(unreadable(
            path,
            format!(
                "not a cfingress journal (format \"{}\")",
                inert(&index.format)
            ),
        ));
    }
    Ok(index)
}

/// Makes sure `dir` is a folder only this user can write in ([`crate::safe_fs::private_dir`]:
/// created 0700 when missing, refused when others can write in it).
fn private_dir(dir: &Path) -> Result<(), JournalError> {
    crate::safe_fs::private_dir(dir).map_err(|e| JournalError::Write {
        path: dir.display().to_string(),
        message: e.to_string(),
    })
}

/// Writes a private file atomically (the one place the journal writes a file).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), JournalError> {
    crate::safe_fs::write_atomic(path, bytes, &crate::safe_fs::WriteOptions::PRIVATE)
        .map(|_| ())
        .map_err(|e| write_error(path, &e))
}

/// Moves an unreadable journal folder aside (`NAME.corrupt`, `NAME.corrupt-2`, ...).
fn move_aside(dir: &Path) -> Result<PathBuf, JournalError> {
    let base = dir.with_extension("corrupt");
    let mut target = base.clone();
    let mut n = 2;
    while target.exists() {
        target = PathBuf::from(format!("{}-{n}", base.display()));
        n += 1;
    }
    std::fs::rename(dir, &target).map_err(|e| write_error(dir, &e))?;
    Ok(target)
}

fn text_hash(text: &str) -> u64 {
    // Names only need to be stable within one build: the index records each name it uses, and
    // a name whose file holds other text gets a suffix.
    let mut h = std::hash::DefaultHasher::new();
    h.write(text.as_bytes());
    h.finish()
}

/// Stores a config under `configs/` (once: the same text reuses the same file); returns its name.
fn store_config(configs: &Path, config: &ConfigText) -> Result<String, JournalError> {
    let hash = text_hash(&config.text);
    for n in 0u32..100 {
        let name = if n == 0 {
            format!("{hash:016x}.{}", config.extension())
        } else {
            format!("{hash:016x}-{n}.{}", config.extension())
        };
        let path = configs.join(&name);
        match std::fs::read(&path) {
            Ok(existing) if existing == config.text.as_bytes() => return Ok(name),
            Ok(_) => continue,
            Err(_) => {
                write_private(&path, config.text.as_bytes())?;
                return Ok(name);
            }
        }
    }
    Err(JournalError::Write {
        path: configs.display().to_string(),
        message: "too many different configs share one hash".to_owned(),
    })
}

/// Drops the configs of the oldest entries once those of newer ones exceed `max_bytes` (the
/// newest entry always keeps its own).
fn prune(entries: &mut [Entry], configs: &Path, max_bytes: u64) {
    let mut counted: HashSet<String> = HashSet::new();
    let mut total = 0u64;
    for (i, entry) in entries.iter_mut().rev().enumerate() {
        let mut size = 0u64;
        for name in [&entry.before, &entry.after].into_iter().flatten() {
            if !counted.contains(name) {
                size += std::fs::metadata(configs.join(name)).map_or(0, |m| m.len());
            }
        }
        if i > 0 && total + size > max_bytes {
            if entry.before.is_some() || entry.after.is_some() {
                entry.before = None;
                entry.after = None;
                entry.pruned = true;
            }
            continue;
        }
        total += size;
        counted.extend([&entry.before, &entry.after].into_iter().flatten().cloned());
    }
}

/// Removes config files that no entry refers to any more.
fn remove_unreferenced(entries: &[Entry], configs: &Path) {
    let used: HashSet<&str> = entries
        .iter()
        .flat_map(|e| [e.before.as_deref(), e.after.as_deref()])
        .flatten()
        .collect();
    let Ok(list) = std::fs::read_dir(configs) else {
        return;
    };
    for item in list.flatten() {
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        // Temporary files of a write in progress start with a dot.
        if !name.starts_with('.') && !used.contains(name) {
            let _ = std::fs::remove_file(item.path());
        }
    }
}

/// Now, RFC 3339 in UTC.
pub fn now() -> String {
    crate::sandbox::state::rfc3339(std::time::SystemTime::now())
}

fn bounded_name(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| inert(&t.chars().take(64).collect::<String>()).into_owned())
}

/// The local user's name (`$USER`, `$LOGNAME`), or `unknown`.
pub fn user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().and_then(|v| bounded_name(&v)))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The machine's name, or `unknown`.
pub fn host() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| {
            let mut text = String::new();
            File::open(p)
                .ok()?
                .take(256)
                .read_to_string(&mut text)
                .ok()?;
            bounded_name(text.lines().next()?)
        })
        .or_else(|| {
            std::env::var("HOSTNAME")
                .ok()
                .and_then(|v| bounded_name(&v))
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    fn temp_state(test: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("cfingress-journal-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn config(service: &str) -> ConfigText {
        let c = parse_json_str(&format!(
            r#"{{"ingress":[{{"hostname":"a.example.com","service":"{service}"}},{{"service":"http_status:404"}}]}}"#
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        ConfigText::remote(&c).unwrap_or_else(|e| panic!("{e}"))
    }

    fn publish(from: u64, to: u64) -> NewEntry {
        NewEntry {
            from_version: Some(from),
            to_version: Some(to),
            summary: vec![format!("~ rule #1 a.example.com (v{to})")],
            via: "test".to_owned(),
            outcome: Outcome::Published,
            raced: None,
            altered: None,
            before: Some(config(&format!("http://localhost:{from}"))),
            after: Some(config(&format!("http://localhost:{to}"))),
            name: Some("t".to_owned()),
        }
    }

    fn record(j: &Journal, e: NewEntry) -> Recorded {
        let locked = j
            .lock(Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{e}"));
        locked.record(e).unwrap_or_else(|e| panic!("{e}"))
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|l| l.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn keeps_the_last_200_entries_and_only_their_configs() {
        let state = temp_state("bounds");
        let j = Journal::in_state_dir(&state, "remote:a:t");
        // Five real publishes, then 195 more written straight into the index (recording each
        // would spend most of a second in fsync), then the 201st publish.
        for v in 1..=5 {
            record(&j, publish(v, v + 1));
        }
        assert_eq!(
            files(&j.dir().join(CONFIGS)).len(),
            6,
            "each config is stored once: versions 1 to 6"
        );
        let mut info = j.read().unwrap_or_else(|e| panic!("{e}"));
        let template = info.entries[4].clone();
        for v in 6..=200 {
            info.entries.push(Entry {
                from_version: Some(v),
                to_version: Some(v + 1),
                ..template.clone()
            });
        }
        let index = Index {
            format: FORMAT.to_owned(),
            key: info.key,
            name: info.name,
            entries: info.entries,
        };
        let text = serde_json::to_vec(&index).unwrap_or_default();
        write_private(&j.index_path(), &text).unwrap_or_else(|e| panic!("{e}"));
        record(&j, publish(201, 202));

        let info = j.read().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(info.entries.len(), 200);
        assert_eq!(info.entries[0].from_version, Some(2), "the oldest went");
        assert_eq!(info.entries[199].to_version, Some(202));
        assert_eq!(info.name.as_deref(), Some("t"));
        assert_eq!(find_version(&info.entries, 1), Found::Missing);
        let Found::Kept { config, .. } = find_version(&info.entries, 2) else {
            panic!("version 2 is the before of the oldest entry")
        };
        let c = j.config(config).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.rules()[0].service.as_str(), "http://localhost:2");
        // Version 1's config went with the entry that referred to it; the rest stay.
        assert_eq!(files(&j.dir().join(CONFIGS)).len(), 7);
        assert!(kept_versions(&info.entries).starts_with(&[2, 3, 4]));
        let _ = std::fs::remove_dir_all(&state);
    }

    #[cfg(unix)]
    #[test]
    fn the_history_window_offers_the_versions_replaced_but_not_published_from_here() {
        let state = temp_state("replaced");
        let j = Journal::in_state_dir(&state, "remote:a:t");
        record(&j, publish(1, 2));
        record(&j, publish(2, 3));
        // A colleague published version 4; this machine published over it.
        record(&j, publish(4, 5));
        let items = crate::effects::history::items(Some(&j)).unwrap_or_else(|e| panic!("{e}"));
        let shown: Vec<(Option<u64>, Option<u64>)> = items
            .iter()
            .map(|i| (i.from_version, i.to_version))
            .collect();
        assert_eq!(
            shown,
            [
                (Some(4), Some(5)),
                (None, Some(4)),
                (Some(2), Some(3)),
                (Some(1), Some(2)),
                (None, Some(1)),
            ]
        );
        // Each replaced version loads the config kept as "before" with its publish.
        let first = &items[4];
        assert_eq!(first.label(), "version 1");
        let kept = first
            .config
            .as_deref()
            .map(|f| j.config(f).unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(
            kept.as_ref()
                .and_then(|c| c.rules().first())
                .map(|r| r.service.as_str().to_owned()),
            Some("http://localhost:1".to_owned())
        );
        let _ = std::fs::remove_dir_all(&state);
    }

    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let state = temp_state("modes");
        let j = Journal::in_state_dir(&state, "remote:a:t");
        record(&j, publish(1, 2));
        let mode = |p: &Path| {
            std::fs::metadata(p)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0)
        };
        assert_eq!(mode(&state.join("journal")), 0o700);
        assert_eq!(mode(j.dir()), 0o700);
        assert_eq!(mode(&j.dir().join(CONFIGS)), 0o700);
        assert_eq!(mode(&j.index_path()), 0o600);
        assert_eq!(mode(&j.lock_path()), 0o600);
        for f in files(&j.dir().join(CONFIGS)) {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
        let _ = std::fs::remove_dir_all(&state);
    }

    #[test]
    fn an_unreadable_journal_is_reported_then_moved_aside_never_overwritten() {
        let state = temp_state("corrupt");
        let j = Journal::in_state_dir(&state, "remote:a:t");
        record(&j, publish(1, 2));
        let damaged =
            b"{\"format\":\"cfingress-journal-1\",\"key\":\"remote:a:t\",\"entries\":[{\"ti";
        std::fs::write(j.index_path(), damaged).unwrap_or_else(|e| panic!("{e}"));
        let e = j.read().err();
        assert!(
            matches!(&e, Some(JournalError::Unreadable { message, .. }) if message.starts_with("damaged")),
            "{e:?}"
        );
        // Reading never changes it.
        assert_eq!(
            std::fs::read(j.index_path()).ok().as_deref(),
            Some(&damaged[..])
        );

        let r = record(&j, publish(2, 3));
        let aside = r.moved_aside.unwrap_or_else(|| panic!("not moved aside"));
        assert_eq!(
            std::fs::read(aside.join(INDEX)).ok().as_deref(),
            Some(&damaged[..]),
            "the damaged index is kept as it was"
        );
        assert_eq!(files(&aside.join(CONFIGS)).len(), 2, "with its configs");
        let info = j.read().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(info.entries.len(), 1);
        assert_eq!(info.entries[0].to_version, Some(3));
        // A second damaged journal goes to another place.
        std::fs::write(j.index_path(), "[]").unwrap_or_else(|e| panic!("{e}"));
        let r = record(&j, publish(3, 4));
        assert!(
            r.moved_aside
                .is_some_and(|p| p.display().to_string().ends_with(".corrupt-2"))
        );
        let _ = std::fs::remove_dir_all(&state);
    }

    /// What the writer never leaves behind is never read: a link planted for a kept config, a
    /// FIFO (refused at once, not waited on), a folder others can write in.
    #[cfg(unix)]
    #[test]
    fn planted_links_fifos_and_open_folders_are_never_read() {
        use std::os::unix::fs::PermissionsExt;
        let state = temp_state("planted");
        let j = Journal::in_state_dir(&state, "remote:a:t");
        record(&j, publish(1, 2));
        let info = j.read().unwrap_or_else(|e| panic!("{e}"));
        let Found::Kept { config, .. } = find_version(&info.entries, 1) else {
            panic!("version 1 is kept")
        };
        let kept = j.dir().join(CONFIGS).join(config);
        let outside = state.join("outside.json");
        let refused = |r: Result<TunnelConfig, JournalError>, why: &str| match r {
            Err(JournalError::Unreadable { message, .. }) => {
                assert!(message.contains(why), "{message}")
            }
            other => panic!("read: {other:?}"),
        };
        assert!(j.config(config).is_ok());
        std::fs::rename(&kept, &outside).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(&outside, &kept).unwrap_or_else(|e| panic!("{e}"));
        refused(j.config(config), "symbolic link");

        std::fs::remove_file(&kept).unwrap_or_else(|e| panic!("{e}"));
        let made = std::process::Command::new("mkfifo").arg(&kept).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        refused(j.config(config), "not a regular file");

        std::fs::remove_file(&kept).unwrap_or_else(|e| panic!("{e}"));
        std::fs::rename(&outside, &kept).unwrap_or_else(|e| panic!("{e}"));
        let set = |p: &Path, mode| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        set(&state.join("journal"), 0o777);
        assert!(
            matches!(j.read(), Err(JournalError::Unreadable { message, .. }) if message.contains("cannot be trusted"))
        );
        refused(j.config(config), "cannot be trusted");
        set(&state.join("journal"), 0o700);
        assert!(j.config(config).is_ok());
        let _ = std::fs::remove_dir_all(&state);
    }

    #[test]
    fn another_tunnels_index_is_not_read_as_this_one() {
        let state = temp_state("key");
        let a = Journal::in_state_dir(&state, "remote:a:t");
        record(&a, publish(1, 2));
        let b = Journal {
            dir: a.dir().to_path_buf(),
            key: "remote:a:other".to_owned(),
        };
        assert!(
            matches!(b.read(), Err(JournalError::Unreadable { message, .. }) if message.contains("remote:a:t"))
        );
        let _ = std::fs::remove_dir_all(&state);
    }

    #[test]
    fn old_configs_are_pruned_beyond_the_byte_budget() {
        let state = temp_state("prune");
        let j = Journal::in_state_dir(&state, "remote:a:t");
        let one = config("http://localhost:1").text.len() as u64;
        let locked = j
            .lock(Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("{e}"));
        for v in 1..=5 {
            locked
                .record_within(publish(v, v + 1), 200, one * 3)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        drop(locked);
        let info = j.read().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(info.entries.len(), 5, "entries stay");
        let pruned: Vec<bool> = info.entries.iter().map(|e| e.pruned).collect();
        assert_eq!(pruned, [true, true, true, false, false]);
        assert_eq!(files(&j.dir().join(CONFIGS)).len(), 3);
        assert_eq!(find_version(&info.entries, 2), Found::Pruned);
        assert!(matches!(find_version(&info.entries, 4), Found::Kept { .. }));
        let _ = std::fs::remove_dir_all(&state);
    }

    #[test]
    fn a_held_lock_makes_others_wait() {
        let state = temp_state("lock");
        let j = Journal::in_state_dir(&state, "remote:a:t");
        let held = j.try_lock().unwrap_or_else(|e| panic!("{e}"));
        assert!(held.is_some());
        let other = j.clone();
        let e = std::thread::spawn(move || other.lock(Duration::from_millis(120)).err())
            .join()
            .unwrap_or_else(|_| panic!("panicked"));
        assert!(matches!(e, Some(JournalError::Busy { .. })), "{e:?}");
        drop(held);
        assert!(j.try_lock().is_ok_and(|l| l.is_some()));
        let _ = std::fs::remove_dir_all(&state);
    }

    #[test]
    fn overwritten_versions_are_named() {
        let mut e = publish(5, 8);
        e.raced = Some(VersionGap {
            checked_version: 5,
            published_version: 8,
        });
        let state = temp_state("raced");
        let j = Journal::in_state_dir(&state, "remote:a:t");
        record(&j, e);
        let info = j.read().unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            find_version(&info.entries, 6),
            Found::Overwritten(_)
        ));
        assert!(matches!(find_version(&info.entries, 8), Found::Kept { .. }));
        let gap = info.entries[0].raced.unwrap_or_else(|| panic!("no gap"));
        assert_eq!(gap.overwritten(), Some((6, 7)));
        assert!(
            gap.message().contains("versions 6 to 7"),
            "{}",
            gap.message()
        );
        let _ = std::fs::remove_dir_all(&state);
    }
}
