//! The terminal layer: sets up and restores the terminal, turns terminal input into events, runs
//! the app's effects on tokio tasks and feeds their results back, and draws only when something
//! changed.

pub mod screen;
pub mod view;

use screen::Screen;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crossterm::event::{Event as TermEvent, EventStream};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::api::{Client, RemoteConfig};
use crate::app::draft::{self, SavedDraft};
use crate::app::{App, Effect, Event, Published, Snapshot};
use crate::config::files::{
    Format, Shape, parse_str, to_json_string, to_yaml_string, yaml_has_comments,
};
pub use view::Theme;

/// What the effects need: an API client (remote mode) or the file (file mode).
pub struct Context {
    /// The client, in remote mode.
    pub client: Option<Client>,
    /// The file, in file mode.
    pub file: Option<(PathBuf, Format)>,
    /// How the file wrapped its config (kept when writing).
    pub shape: std::sync::Mutex<Shape>,
    /// Where drafts are saved (`None`: not saved).
    pub drafts_dir: Option<PathBuf>,
    /// Numbers draft saves and removals: a background save only writes if nothing newer happened.
    pub draft_seq: std::sync::atomic::AtomicU64,
    /// Held while a draft file is written or removed, so a removal never races a write.
    pub draft_lock: std::sync::Mutex<()>,
}

impl Context {
    /// A context for a remote tunnel (`client`) or a file; drafts go to the state directory.
    pub fn new(client: Option<Client>, file: Option<(PathBuf, Format)>) -> Self {
        Context {
            client,
            file,
            shape: std::sync::Mutex::new(Shape::Bare),
            drafts_dir: crate::settings::drafts_dir().ok(),
            draft_seq: std::sync::atomic::AtomicU64::new(0),
            draft_lock: std::sync::Mutex::new(()),
        }
    }

    fn draft_path(&self, key: &str) -> Option<PathBuf> {
        self.drafts_dir
            .as_ref()
            .map(|d| d.join(draft::file_name(key)))
    }

    fn saved_draft(&self, key: &str) -> Option<Box<SavedDraft>> {
        let path = self.draft_path(key)?;
        let text = match crate::config::files::read_text_capped(&path, draft::MAX_DRAFT_BYTES) {
            Ok(text) => text,
            Err(crate::config::files::ReadError::Io(_)) if !path.exists() => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "draft not read");
                return None;
            }
        };
        match SavedDraft::from_json(&text) {
            Ok(d) if d.key == key => Some(Box::new(d)),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "draft not read");
                None
            }
        }
    }
}

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

/// Where the last draft was saved, for the panic message.
static LAST_DRAFT: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

/// Writes `saved` to `path` (or removes the file when there is nothing to save) and records where
/// the last draft is, for the panic message. Returns the path written.
fn write_or_remove(path: PathBuf, saved: Option<&SavedDraft>, base_text: &str) -> Option<PathBuf> {
    match saved {
        Some(saved) => match save_draft_file(&path, |w| saved.write_json(w, base_text)) {
            Ok(()) => {
                tracing::debug!(path = %path.display(), edits = saved.edits.len(), "draft saved");
                if let Ok(mut last) = LAST_DRAFT.lock() {
                    *last = Some(path.clone());
                }
                Some(path)
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot save the draft");
                None
            }
        },
        None => {
            let _ = std::fs::remove_file(&path);
            if let Ok(mut last) = LAST_DRAFT.lock() {
                *last = None;
            }
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
struct Saver {
    jobs: std::sync::mpsc::Sender<SaveJob>,
}

impl Saver {
    fn start(ctx: Arc<Context>) -> Self {
        let (jobs, rx) = std::sync::mpsc::channel::<SaveJob>();
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
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the draft saver; drafts are saved at exit only");
        }
        Saver { jobs }
    }

    /// Queues a save (or removal) of the app's draft; the copy is taken here.
    fn save_later(&self, app: &App, ctx: &Context) {
        let Some(path) = app.draft_key().and_then(|k| ctx.draft_path(&k)) else {
            return;
        };
        let now = crate::sandbox::state::rfc3339(std::time::SystemTime::now());
        let saved = app.to_saved(&now);
        let seq = ctx.draft_seq.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = self.jobs.send(SaveJob { seq, path, saved });
    }
}

/// Saves (or removes) the app's draft now. Returns where it was saved.
fn persist_draft(app: &App, ctx: &Context) -> Option<PathBuf> {
    ctx.draft_seq.fetch_add(1, Ordering::SeqCst);
    let _writing = ctx.draft_lock.lock().ok()?;
    let path = ctx.draft_path(&app.draft_key()?)?;
    let now = crate::sandbox::state::rfc3339(std::time::SystemTime::now());
    let saved = app.to_saved(&now);
    let base_text = saved
        .as_ref()
        .map(|s| draft::config_text(&s.base))
        .unwrap_or_default();
    write_or_remove(path, saved.as_ref(), &base_text)
}

fn delete_draft(app: &App, ctx: &Context) {
    ctx.draft_seq.fetch_add(1, Ordering::SeqCst);
    let _writing = ctx.draft_lock.lock();
    if let Some(path) = app.draft_key().and_then(|k| ctx.draft_path(&k)) {
        let _ = std::fs::remove_file(path);
    }
    if let Ok(mut last) = LAST_DRAFT.lock() {
        *last = None;
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

fn snapshot(rc: RemoteConfig) -> Snapshot {
    Snapshot {
        version: Some(rc.version),
        config: rc.config,
        has_comments: false,
        saved: None,
    }
}

fn read_snapshot(
    path: &Path,
    format: Format,
    shape: &std::sync::Mutex<Shape>,
) -> Result<Snapshot, String> {
    let text = crate::config::files::read_config_text(path).map_err(|e| e.to_string())?;
    let loaded = parse_str(&text, format).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Ok(mut s) = shape.lock() {
        *s = loaded.shape;
    }
    Ok(Snapshot {
        version: None,
        config: Some(loaded.config),
        has_comments: format == Format::Yaml && yaml_has_comments(&text),
        saved: None,
    })
}

/// Writes `text` to `path` atomically ([`crate::safe_fs::write_atomic`]): the new file keeps the
/// replaced one's mode, owner and group, and the replaced one is kept as `PATH.bak`. Returns the
/// backup's path, if there was a file to back up.
pub fn write_atomically(path: &Path, text: &str) -> Result<Option<PathBuf>, String> {
    crate::safe_fs::write_atomic(path, text.as_bytes(), &crate::safe_fs::WriteOptions::CONFIG)
        .map(|written| written.backup)
        .map_err(|e| {
            format!(
                "cannot write {}: {e}",
                crate::text::inert(&path.display().to_string())
            )
        })
}

/// Runs one effect; its result comes back as an event.
pub async fn run_effect(effect: Effect, ctx: Arc<Context>, tx: mpsc::UnboundedSender<Event>) {
    let no_client = || "no API client (this editor is on a file)".to_owned();
    let event = match effect {
        Effect::Quit | Effect::DeleteDraft => return,
        Effect::Review(request) => {
            match tokio::task::spawn_blocking(move || request.compute()).await {
                Ok(review) => Event::Reviewed(Box::new(review)),
                // The computation panicked (a bug): say so instead of waiting forever.
                Err(e) => Event::Published(Err(format!("cannot prepare the review: {e}"))),
            }
        }
        Effect::ListAccounts => match &ctx.client {
            Some(c) => Event::Accounts(c.list_accounts().await.map_err(|e| e.to_string())),
            None => Event::Accounts(Err(no_client())),
        },
        Effect::ListTunnels { account } => match &ctx.client {
            Some(c) => Event::Tunnels(
                c.list_tunnels(&account, None)
                    .await
                    .map_err(|e| e.to_string()),
            ),
            None => Event::Tunnels(Err(no_client())),
        },
        Effect::LoadRemote { account, tunnel } => match &ctx.client {
            Some(c) => {
                let saved = ctx.saved_draft(&draft::remote_key(&account, &tunnel));
                Event::Loaded(
                    c.get_config(&account, &tunnel)
                        .await
                        .map(|rc| Snapshot {
                            saved,
                            ..snapshot(rc)
                        })
                        .map_err(|e| e.to_string()),
                )
            }
            None => Event::Loaded(Err(no_client())),
        },
        Effect::FetchRemote { account, tunnel } => match &ctx.client {
            Some(c) => Event::Current(
                c.get_config(&account, &tunnel)
                    .await
                    .map(snapshot)
                    .map_err(|e| e.to_string()),
            ),
            None => Event::Current(Err(no_client())),
        },
        Effect::LoadFile | Effect::FetchFile => {
            let result = match &ctx.file {
                Some((path, format)) => read_snapshot(path, *format, &ctx.shape),
                None => Err("no file".to_owned()),
            };
            if matches!(effect, Effect::LoadFile) {
                let saved = ctx
                    .file
                    .as_ref()
                    .and_then(|(p, _)| ctx.saved_draft(&draft::file_key(p)));
                Event::Loaded(result.map(|s| Snapshot { saved, ..s }))
            } else {
                Event::Current(result)
            }
        }
        Effect::PublishRemote {
            account,
            tunnel,
            config,
            base_version,
        } => match &ctx.client {
            Some(c) => Event::Published(
                crate::effects::publish::publish_for_editor(
                    c,
                    &account,
                    &tunnel,
                    &config,
                    base_version,
                )
                .await
                .map(|(version, message)| Published {
                    version: Some(version),
                    message,
                }),
            ),
            None => Event::Published(Err(no_client())),
        },
        Effect::WriteFile { config } => {
            let result = match &ctx.file {
                Some((path, format)) => {
                    let shape = ctx.shape.lock().map(|s| *s).unwrap_or(Shape::Bare);
                    let text = match format {
                        Format::Yaml => to_yaml_string(&config),
                        Format::Json => to_json_string(&config, shape == Shape::PutBody),
                    };
                    let before = std::fs::read_to_string(path).ok();
                    match text {
                        Err(e) => Err(e.to_string()),
                        Ok(text) => write_atomically(path, &text).map(|backup| {
                            let journal = crate::effects::publish::journal_file_save(
                                path,
                                *format,
                                before.as_deref(),
                                &text,
                                "editor",
                            )
                            .map(|w| format!("; warning: {w}"))
                            .unwrap_or_default();
                            Published {
                                version: None,
                                message: match backup {
                                    Some(b) => format!(
                                        "Saved {} (previous version kept as {}){journal}",
                                        path.display(),
                                        b.display()
                                    ),
                                    None => format!("Saved {}{journal}", path.display()),
                                },
                            }
                        }),
                    }
                }
                None => Err("no file".to_owned()),
            };
            Event::Published(result)
        }
    };
    let _ = tx.send(event);
}

/// Ctrl-L, which redraws the whole screen (as in vim, less or htop).
fn is_redraw_key(ev: &TermEvent) -> bool {
    matches!(ev, TermEvent::Key(k)
        if k.kind != crossterm::event::KeyEventKind::Release
            && k.code == crossterm::event::KeyCode::Char('l')
            && k.modifiers == crossterm::event::KeyModifiers::CONTROL)
}

fn to_event(ev: TermEvent) -> Option<Event> {
    match ev {
        TermEvent::Key(k) if k.kind != crossterm::event::KeyEventKind::Release => {
            Some(Event::Key(k.into()))
        }
        TermEvent::Resize(w, h) => Some(Event::Resize(w, h)),
        TermEvent::Paste(text) => Some(Event::Paste(text)),
        // Only delivered when mouse capture is on (settings: ui.mouse = true).
        TermEvent::Mouse(m) => match m.kind {
            crossterm::event::MouseEventKind::ScrollDown => {
                Some(Event::Key(ratatui_textarea::Input {
                    key: ratatui_textarea::Key::Down,
                    ..Default::default()
                }))
            }
            crossterm::event::MouseEventKind::ScrollUp => {
                Some(Event::Key(ratatui_textarea::Input {
                    key: ratatui_textarea::Key::Up,
                    ..Default::default()
                }))
            }
            _ => None,
        },
        _ => None,
    }
}

/// How the editor ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The user quit.
    Quit,
    /// A signal (SIGHUP/SIGTERM) ended it.
    Signal,
}

/// Runs the editor until the user quits, on a terminal set up here and restored on every exit path
/// (a panic included, through ratatui's hook).
pub async fn run(
    mut app: App,
    effects: Vec<Effect>,
    ctx: Context,
    theme: Theme,
    mouse: bool,
) -> Result<Exit, String> {
    let ctx = Arc::new(ctx);
    // ratatui sets up raw mode and the alternate screen and restores them on panic; frames are
    // written by `Screen` (which can scroll the table instead of redrawing it).
    let terminal = ratatui::try_init().map_err(|e| format!("cannot set up the terminal: {e}"))?;
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableBracketedPaste);
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableMouseCapture);
    }
    let restore = || {
        if mouse {
            let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
        }
        let _ = crossterm::execute!(
            std::io::stdout(),
            crossterm::event::DisableBracketedPaste,
            crossterm::cursor::Show
        );
        ratatui::restore();
    };
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    drop(terminal);
    app.update(Event::Resize(size.0, size.1));
    let mut screen = match Screen::new(std::io::stdout(), size.0, size.1) {
        Ok(s) => s,
        Err(e) => {
            restore();
            return Err(format!("cannot set up the terminal: {e}"));
        }
    };
    // What the last frame showed of the table, to tell a scroll from other changes.
    let mut last_table: Option<screen::TableView> = None;
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    for e in effects {
        tokio::spawn(run_effect(e, Arc::clone(&ctx), tx.clone()));
    }
    let saver = Saver::start(Arc::clone(&ctx));
    let mut input = EventStream::new();
    let mut signals = Signals::new();
    let mut dirty = true;
    let mut autosave = tokio::time::interval(std::time::Duration::from_millis(250));
    let mut next_save = std::time::Instant::now();
    let mut saved_generation = app.generation;
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // The frames hid the cursor; ratatui's hook restores everything else.
        let _ = crossterm::execute!(std::io::stdout(), crossterm::cursor::Show);
        previous_hook(info);
        if let Some(path) = LAST_DRAFT.lock().ok().and_then(|p| p.clone()) {
            eprintln!(
                "cfingress: your unpublished edits are saved in {} (at most a second old); start cfingress on the same tunnel or file to restore them",
                path.display()
            );
        }
    }));
    let exit = loop {
        if dirty {
            // One frame = one synchronized update: terminals that support it show it at once,
            // which avoids tearing over slow SSH links; others ignore the sequences.
            let _ = crossterm::execute!(
                std::io::stdout(),
                crossterm::terminal::BeginSynchronizedUpdate
            );
            let size = crossterm::terminal::size().unwrap_or(app.size);
            let area = ratatui::layout::Rect::new(0, 0, size.0, size.1);
            let table = view::table_rows(area, &app).map(|rows| screen::TableView {
                rows,
                offset: app.table_offset,
                filter: app.filter.clone(),
            });
            let scroll = table
                .as_ref()
                .and_then(|t| t.scroll_since(last_table.as_ref()?));
            last_table = table;
            let drawn = screen.draw(size, scroll, |f| view::draw(f, &app, theme));
            let _ = crossterm::execute!(
                std::io::stdout(),
                crossterm::terminal::EndSynchronizedUpdate
            );
            if let Err(e) = drawn {
                restore();
                return Err(format!("cannot draw: {e}"));
            }
            dirty = false;
        }
        let mut batch = Vec::new();
        tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(ev)) if is_redraw_key(&ev) => {
                    // Ctrl-L: the screen was disturbed (another program wrote to the terminal).
                    screen.redraw_all();
                    dirty = true;
                }
                Some(Ok(ev)) => batch.extend(to_event(ev)),
                Some(Err(_)) | None => break Exit::Quit,
            },
            Some(ev) = rx.recv() => batch.push(ev),
            () = signals.recv() => break Exit::Signal,
            _ = autosave.tick() => {
                if app.generation != saved_generation && std::time::Instant::now() >= next_save {
                    saved_generation = app.generation;
                    let started = std::time::Instant::now();
                    saver.save_later(&app, &ctx);
                    // Copying the draft takes the input thread (3.5 ms at 10 000 rules, 40 ms at
                    // 100 000): keep that under 2% of the time while someone types.
                    next_save = std::time::Instant::now() + started.elapsed() * 50;
                }
            }
        }
        while let Ok(ev) = rx.try_recv() {
            batch.push(ev);
        }
        for ev in batch {
            dirty = true;
            for effect in app.update(ev) {
                if effect == Effect::Quit {
                    continue;
                }
                if effect == Effect::DeleteDraft {
                    delete_draft(&app, &ctx);
                    saved_generation = app.generation;
                    continue;
                }
                tokio::spawn(run_effect(effect, Arc::clone(&ctx), tx.clone()));
            }
        }
        if app.quit {
            break Exit::Quit;
        }
    };
    if exit == Exit::Signal || app.generation != saved_generation {
        persist_draft(&app, &ctx);
    }
    restore();
    if exit == Exit::Signal
        && let Some(path) = LAST_DRAFT.lock().ok().and_then(|p| p.clone())
    {
        eprintln!(
            "cfingress: interrupted; your unpublished edits are saved in {}",
            path.display()
        );
    }
    Ok(exit)
}

/// SIGHUP and SIGTERM (a dropped SSH connection, a kill).
struct Signals {
    #[cfg(unix)]
    hup: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                hup: signal(SignalKind::hangup()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            match (&mut self.hup, &mut self.term) {
                (Some(h), Some(t)) => {
                    tokio::select! {
                        _ = h.recv() => {}
                        _ = t.recv() => {}
                    }
                }
                _ => std::future::pending::<()>().await,
            }
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    }
}
