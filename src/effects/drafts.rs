//! Saving unpublished work: draft files written atomically with mode 0600, by one background
//! thread so the input path never waits for a write, or at once (exit, signals).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Context;
use crate::app::App;
use crate::app::draft::{self, SavedDraft};

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

fn now_text() -> String {
    crate::time::rfc3339(jiff::Timestamp::now())
}

/// Writes `saved` to `path` (or removes the file when there is nothing to save) and records where
/// the last draft is. Returns the path written.
fn write_or_remove(path: PathBuf, saved: Option<&SavedDraft>, base_text: &str) -> Option<PathBuf> {
    match saved {
        Some(saved) => match save_draft_file(&path, |w| saved.write_json(w, base_text)) {
            Ok(()) => {
                tracing::debug!(path = %path.display(), edits = saved.edits.len(), "draft saved");
                note_last(Some(path.clone()));
                Some(path)
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot save the draft");
                None
            }
        },
        None => {
            let _ = std::fs::remove_file(&path);
            note_last(None);
            None
        }
    }
}

/// One background save: the draft (or `None`: remove it), numbered by `Context::draft_seq`.
struct SaveJob {
    seq: u64,
    path: PathBuf,
    saved: Option<SavedDraft>,
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
    /// Starts the saver thread.
    pub fn start(ctx: Arc<Context>) -> Self {
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
                        write_or_remove(job.path, job.saved.as_ref(), base_text);
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
        let seq = ctx.draft_seq.fetch_add(1, Ordering::SeqCst) + 1;
        if self.jobs.send(SaveJob { seq, path, saved }).is_err() {
            tracing::error!("the draft saver stopped; saving on the input thread");
            persist(app, ctx);
        }
    }
}

/// Saves (or removes) the app's draft now. Returns where it was saved.
pub fn persist(app: &App, ctx: &Context) -> Option<PathBuf> {
    ctx.draft_seq.fetch_add(1, Ordering::SeqCst);
    let _writing = ctx.draft_lock.lock().ok()?;
    let path = ctx.draft_path(&app.draft_key()?)?;
    let saved = app.to_saved(&now_text());
    let base_text = saved
        .as_ref()
        .map(|s| draft::config_text(&s.base))
        .unwrap_or_default();
    write_or_remove(path, saved.as_ref(), &base_text)
}

/// Removes the app's draft file (published, saved, or discarded).
pub fn delete(app: &App, ctx: &Context) {
    ctx.draft_seq.fetch_add(1, Ordering::SeqCst);
    let _writing = ctx.draft_lock.lock();
    if let Some(path) = app.draft_key().and_then(|k| ctx.draft_path(&k)) {
        let _ = std::fs::remove_file(path);
    }
    note_last(None);
}
