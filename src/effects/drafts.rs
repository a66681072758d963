//! Saving unpublished work: draft files written atomically with mode 0600, by one background
//! thread so the input path never waits for a write, or at once (exit, signals).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Context;
use crate::app::draft::{self, SavedDraft};
use crate::app::{App, Event};

/// Writes a draft atomically with mode 0600 ([`crate::safe_fs::write_atomic_with`]), in a folder
/// only this user can write in ([`crate::safe_fs::private_dir`]: created 0700 when missing).
pub fn save_draft_file(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    crate::safe_fs::private_dir(dir)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::PermissionDenied, e.to_string()))?;
    crate::safe_fs::write_atomic_with(path, &crate::safe_fs::WriteOptions::PRIVATE, write)
        .map(|_| ())
}

/// Where the last draft was saved, for the panic and signal messages.
static LAST_DRAFT: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

/// Where the last draft was saved, if one is on disk.
pub fn last_draft() -> Option<PathBuf> {
    LAST_DRAFT.lock().ok().and_then(|p| p.clone())
}

fn note_last(path: Option<PathBuf>) {
    if let Ok(mut last) = LAST_DRAFT.lock() {
        *last = path;
    }
}

/// Why the last draft save failed, while it has not succeeded since: the exit messages say the
/// newest edits are not saved instead of pointing at an older file.
static LAST_FAILURE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// When another editor took this draft over: what to tell the user at exit (who, and where this
/// editor's draft was kept aside).
static TAKEN_OVER: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// What to say at exit when another editor took this draft over, if one did.
pub fn taken_over() -> Option<String> {
    TAKEN_OVER.lock().ok().and_then(|t| t.clone())
}

fn note_taken_over(note: String) {
    if let Ok(mut t) = TAKEN_OVER.lock() {
        *t = Some(note);
    }
}

/// Why the newest draft could not be saved, if it could not.
pub fn last_failure() -> Option<String> {
    LAST_FAILURE.lock().ok().and_then(|f| f.clone())
}

fn note_failure(failure: Option<String>) {
    if let Ok(mut last) = LAST_FAILURE.lock() {
        *last = failure;
    }
}

fn now_text() -> String {
    crate::time::rfc3339(jiff::Timestamp::now())
}

/// What a draft save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Written there.
    Written(PathBuf),
    /// Nothing to save: the file was removed (the draft equals its source).
    Removed,
    /// Left as it is (a saved draft not yet restored or discarded, another editor's).
    Kept,
    /// The write failed (a read-only or full disk): the newest edits are not saved.
    Failed(String),
    /// Another editor took the draft over: this editor's draft was written aside (`Ok`: where)
    /// or could not be (`Err`: why). `by` names the editor that holds it now.
    TakenOver {
        /// The holder now (`pid 42 on web1 (oncall) since …`), or "another editor".
        by: String,
        /// Where this editor's draft was kept, or why it could not be.
        aside: Result<PathBuf, String>,
    },
}

/// Writes `saved` to `path` (or removes the file when there is nothing to save and `remove`
/// allows it) and records where the last draft is, or why it could not be saved.
fn write_or_remove(
    path: PathBuf,
    saved: Option<&SavedDraft>,
    remove: bool,
    base_text: &str,
) -> Saved {
    // Another editor took this tunnel over: its draft file is not ours to write or remove any
    // more; ours goes aside, loudly.
    let taken = !super::lock::still_mine(&path);
    if taken {
        let by = super::lock::holder(&path).map_or_else(
            || "another editor".to_owned(),
            |h| format!("another editor, {}", h.describe()),
        );
        let mut aside = path.into_os_string();
        aside.push(format!(".{}.aside", std::process::id()));
        let aside = PathBuf::from(aside);
        let aside = match saved {
            // Nothing unsaved (or published since): the draft kept aside earlier, if any.
            None => match last_draft() {
                Some(p) if p == aside => Ok(p),
                _ => return Saved::Kept,
            },
            Some(saved) => match save_draft_file(&aside, |w| saved.write_json(w, base_text)) {
                Ok(()) => {
                    note_last(Some(aside.clone()));
                    note_failure(None);
                    Ok(aside)
                }
                Err(e) => {
                    let why = format!(
                        "another editor took this over ({by}), and your draft could not be kept aside in {}: {e}",
                        crate::text::inert(&aside.display().to_string())
                    );
                    note_failure(Some(why.clone()));
                    Err(why)
                }
            },
        };
        if let Ok(p) = &aside {
            note_taken_over(format!(
                "{by} took this over: your draft is kept aside in {}",
                crate::text::inert(&p.display().to_string())
            ));
        }
        return Saved::TakenOver { by, aside };
    }
    match saved {
        Some(saved) => match save_draft_file(&path, |w| saved.write_json(w, base_text)) {
            Ok(()) => {
                tracing::debug!(path = %path.display(), edits = saved.edits.len(), "draft saved");
                note_last(Some(path.clone()));
                note_failure(None);
                Saved::Written(path)
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot save the draft");
                let why = format!(
                    "cannot save the draft to {}: {e}",
                    crate::text::inert(&path.display().to_string())
                );
                note_failure(Some(why.clone()));
                Saved::Failed(why)
            }
        },
        None if remove => {
            let _ = std::fs::remove_file(&path);
            note_last(None);
            note_failure(None);
            Saved::Removed
        }
        None => Saved::Kept,
    }
}

/// One background save: the draft (or `None`: remove it), numbered by `Context::draft_seq`.
struct SaveJob {
    seq: u64,
    path: PathBuf,
    saved: Option<SavedDraft>,
    remove: bool,
}

/// Saves drafts on one long-lived thread, so the encoding and the write stay off the input path.
/// One thread (rather than tokio's blocking pool) keeps the memory a save needs in one allocator
/// arena; only the newest waiting job is written; the base config's text is encoded once per base.
pub struct Saver {
    jobs: std::sync::mpsc::Sender<SaveJob>,
    /// How long the last save took the saver thread (encoding and writing), in microseconds.
    last_save_micros: Arc<std::sync::atomic::AtomicU64>,
}

impl Saver {
    /// Starts the saver thread; it tells the editor through `tx` when a save fails (and when
    /// one succeeds again), so a failure shows at once.
    pub fn start(ctx: Arc<Context>, tx: tokio::sync::mpsc::UnboundedSender<Event>) -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<SaveJob>();
        let last_save_micros = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let took = Arc::clone(&last_save_micros);
        let spawned = std::thread::Builder::new()
            .name("draft-saver".to_owned())
            .spawn(move || {
                let mut base_cache: Option<(Arc<crate::config::model::TunnelConfig>, String)> =
                    None;
                while let Ok(mut job) = rx.recv() {
                    while let Ok(newer) = rx.try_recv() {
                        job = newer;
                    }
                    let newest = |seq| ctx.draft_seq.load(Ordering::SeqCst) == seq;
                    if !newest(job.seq) {
                        continue;
                    }
                    let started = std::time::Instant::now();
                    let base_text = match (&job.saved, &base_cache) {
                        (Some(saved), Some((base, text))) if Arc::ptr_eq(base, &saved.base) => {
                            text.as_str()
                        }
                        (Some(saved), _) => {
                            let text = draft::config_text(&saved.base);
                            &base_cache.insert((Arc::clone(&saved.base), text)).1
                        }
                        (None, _) => "",
                    };
                    // Held while writing: a removal or a save at exit waits, never races it;
                    // the input thread only bumps the number, so it never waits for a write.
                    let Ok(_writing) = ctx.draft_lock.lock() else {
                        return;
                    };
                    if newest(job.seq) {
                        let outcome =
                            write_or_remove(job.path, job.saved.as_ref(), job.remove, base_text);
                        let _ = tx.send(match outcome {
                            Saved::Failed(why) => Event::DraftSaved(Err(why)),
                            Saved::TakenOver { by, aside } => Event::LockLost { by, aside },
                            _ => Event::DraftSaved(Ok(())),
                        });
                    }
                    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                    took.store(micros, Ordering::Relaxed);
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the draft saver; drafts are saved at exit only");
        }
        Saver {
            jobs,
            last_save_micros,
        }
    }

    /// How long to wait after a save before the next: five times what the last one took the
    /// saver thread, so saving a large draft while someone edits keeps to a sixth of one core
    /// (at 100 000 rules a save encodes and writes 16 MB: a few hundred milliseconds).
    pub fn pace(&self) -> std::time::Duration {
        std::time::Duration::from_micros(self.last_save_micros.load(Ordering::Relaxed)) * 5
    }

    /// Queues a save (or removal) of the app's draft; the copy is taken here. If the saver
    /// thread is gone (it panicked), saves at once on this thread instead.
    pub fn save_later(&self, app: &App, ctx: &Context) {
        let Some(path) = app.draft_key().and_then(|k| ctx.draft_path(&k)) else {
            return;
        };
        let saved = app.to_saved(&now_text());
        let remove = app.may_remove_draft();
        if saved.is_none() && !remove {
            return;
        }
        let seq = ctx.draft_seq.fetch_add(1, Ordering::SeqCst) + 1;
        let job = SaveJob {
            seq,
            path,
            saved,
            remove,
        };
        if self.jobs.send(job).is_err() {
            tracing::error!("the draft saver stopped; saving on the input thread");
            persist(app, ctx);
        }
    }
}

/// Saves (or removes) the app's draft now.
pub fn persist(app: &App, ctx: &Context) -> Saved {
    ctx.draft_seq.fetch_add(1, Ordering::SeqCst);
    let Ok(_writing) = ctx.draft_lock.lock() else {
        return Saved::Failed("the draft saver failed".to_owned());
    };
    let Some(path) = app.draft_key().and_then(|k| ctx.draft_path(&k)) else {
        return Saved::Kept;
    };
    let saved = app.to_saved(&now_text());
    let base_text = saved
        .as_ref()
        .map(|s| draft::config_text(&s.base))
        .unwrap_or_default();
    write_or_remove(path, saved.as_ref(), app.may_remove_draft(), &base_text)
}

/// Removes the app's draft file (published, saved, or discarded), unless another editor took
/// it over.
pub fn delete(app: &App, ctx: &Context) {
    ctx.draft_seq.fetch_add(1, Ordering::SeqCst);
    let _writing = ctx.draft_lock.lock();
    if let Some(path) = app.draft_key().and_then(|k| ctx.draft_path(&k))
        && super::lock::still_mine(&path)
        && app.read_only.is_none()
    {
        let _ = std::fs::remove_file(path);
    }
    note_last(None);
}

/// Gives up the editor lock of the app's tunnel or file, if this editor holds it.
pub fn release_lock(app: &App, ctx: &Context) {
    if let Some(path) = app.draft_key().and_then(|k| ctx.draft_path(&k)) {
        super::lock::release(&path);
    }
}
