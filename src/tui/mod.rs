//! The terminal layer: sets up and restores the terminal, turns terminal input into events, and
//! runs the frame loop (drawing only when something changed). Effects are run by
//! [`crate::effects`].

pub mod input;
pub mod screen;
pub mod view;

use screen::Screen;

use std::sync::Arc;

use crossterm::event::EventStream;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::app::keys::{Command, Context as KeyContext};
use crate::app::{App, Effect, Event};
use crate::effects::drafts::{self, Saver};
use crate::effects::{self, Context};
pub use view::Theme;

/// How the editor ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The user quit.
    Quit,
    /// A signal (SIGHUP, SIGTERM, SIGINT, SIGQUIT) ended it.
    Signal,
}

/// Restores the terminal: mouse, bracketed paste, cursor, raw mode and the alternate screen.
fn restore(mouse: bool) {
    if mouse {
        let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableMouseCapture);
    }
    let _ = crossterm::execute!(
        std::io::stdout(),
        crossterm::event::DisableBracketedPaste,
        crossterm::cursor::Show
    );
    ratatui::restore();
}

/// A panic on the input thread restores the terminal (ratatui's hook) and says where the draft
/// is; a panic on any other thread (a background task, the draft saver) leaves the terminal to
/// the editor, which turns it into an error message ([`effects::spawn`]) and keeps running.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    let main = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() != main {
            tracing::error!(panic = %info, "a background task panicked");
            return;
        }
        // The frames hid the cursor; ratatui's hook restores everything else.
        let _ = crossterm::execute!(std::io::stdout(), crossterm::cursor::Show);
        previous(info);
        if let Some(why) = drafts::last_failure() {
            eprintln!("cfingress: your latest edits are NOT saved: {why}");
        } else if let Some(path) = drafts::last_draft() {
            eprintln!(
                "cfingress: your unpublished edits are saved in {} (at most a second old); start cfingress on the same tunnel or file to restore them",
                path.display()
            );
        }
    }));
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
    let size = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    drop(terminal);
    app.update(Event::Resize(size.0, size.1));
    app.update(Event::Tick(crate::time::now()));
    let mut screen = match Screen::new(std::io::stdout(), size.0, size.1) {
        Ok(s) => s,
        Err(e) => {
            restore(mouse);
            return Err(format!("cannot set up the terminal: {e}"));
        }
    };
    // What the last frame showed of the table, to tell a scroll from other changes.
    let mut last_table: Option<screen::TableView> = None;
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
    for e in effects {
        effects::spawn(e, Arc::clone(&ctx), tx.clone());
    }
    let saver = Saver::start(Arc::clone(&ctx), tx.clone());
    let mut input = EventStream::new();
    let mut signals = Signals::new();
    let mut dirty = true;
    let mut ticks = tokio::time::interval(std::time::Duration::from_millis(250));
    let mut next_save = std::time::Instant::now();
    let mut saved_generation = app.save_stamp();
    let mut signalled = false;
    install_panic_hook();
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
                offset: app.table.offset,
                filter: app.table.filter.clone(),
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
                restore(mouse);
                return Err(format!("cannot draw: {e}"));
            }
            dirty = false;
        }
        let mut batch = Vec::new();
        tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(ev)) => match input::to_event(ev) {
                    Some(Event::Key(k))
                        if app.keymap.command(KeyContext::Global, k) == Some(Command::Redraw) =>
                    {
                        // The screen was disturbed (another program wrote to the terminal).
                        screen.redraw_all();
                        dirty = true;
                    }
                    Some(event) => batch.push(event),
                    None => {}
                },
                Some(Err(_)) | None => break Exit::Quit,
            },
            Some(ev) = rx.recv() => batch.push(ev),
            () = signals.recv() => {
                // A publish under way is not abandoned: its outcome is awaited (and journaled),
                // then the editor leaves and says it.
                if !app.publishing() {
                    break Exit::Signal;
                }
                signalled = true;
                app.quit_when_published_now();
                dirty = true;
            }
            _ = ticks.tick() => {
                if app.shows_clock() {
                    batch.push(Event::Tick(crate::time::now()));
                }
                if app.save_stamp() != saved_generation && std::time::Instant::now() >= next_save {
                    saved_generation = app.save_stamp();
                    let started = std::time::Instant::now();
                    saver.save_later(&app, &ctx);
                    // Copying the draft takes the input thread (rules are shared, so well under
                    // a millisecond at 100 000 rules): keep that under 2% of the time while
                    // someone types, and leave the saver thread a core mostly free (its own pace).
                    next_save =
                        std::time::Instant::now() + (started.elapsed() * 50).max(saver.pace());
                }
            }
        }
        while let Ok(ev) = rx.try_recv() {
            batch.push(ev);
        }
        for ev in stamped(batch, crate::time::now) {
            dirty = true;
            for effect in app.update(ev) {
                match effect {
                    Effect::Quit => {}
                    Effect::DeleteDraft => {
                        drafts::delete(&app, &ctx);
                        saved_generation = app.save_stamp();
                    }
                    effect => effects::spawn(effect, Arc::clone(&ctx), tx.clone()),
                }
            }
        }
        if app.quit {
            break if signalled { Exit::Signal } else { Exit::Quit };
        }
    };
    let at_exit = if exit == Exit::Signal || app.save_stamp() != saved_generation {
        Some(drafts::persist(&app, &ctx))
    } else {
        None
    };
    drafts::release_lock(&app, &ctx);
    restore(mouse);
    // The outcome of a publish the user (or a signal) did not stay for.
    for line in &app.farewell {
        eprintln!("cfingress: {}", crate::text::inert(line));
    }
    // A failed save at exit is the last failure too.
    let failure = match &at_exit {
        Some(drafts::Saved::Failed(why)) => Some(why.clone()),
        _ => drafts::last_failure(),
    };
    let taken_over = match &at_exit {
        Some(drafts::Saved::TakenOver { by, aside: Ok(p) }) => Some(format!(
            "{by} took this over: your draft is kept aside in {}",
            crate::text::inert(&p.display().to_string())
        )),
        _ => drafts::taken_over(),
    };
    let failure = match &at_exit {
        Some(drafts::Saved::TakenOver {
            aside: Err(why), ..
        }) => Some(why.clone()),
        _ => failure,
    };
    match failure {
        Some(why) => eprintln!("cfingress: YOUR LATEST EDITS ARE NOT SAVED: {why}"),
        None if taken_over.is_some() => {
            if let Some(note) = taken_over {
                eprintln!("cfingress: {note}");
            }
        }
        None if exit == Exit::Signal => {
            if let Some(path) = drafts::last_draft() {
                eprintln!(
                    "cfingress: interrupted; your unpublished edits are saved in {}",
                    path.display()
                );
            }
        }
        None => {}
    }
    Ok(exit)
}

/// The events of one turn of the loop, led by the clock when any of them is more than a tick:
/// the app then knows the time each key or answer arrived (the time a message is logged with),
/// not that of the last tick, which is only sent while the screen shows a moving time.
fn stamped(batch: Vec<Event>, now: impl FnOnce() -> jiff::ZonedDateTime) -> Vec<Event> {
    if batch.iter().all(|e| matches!(e, Event::Tick(_))) {
        return batch;
    }
    let mut out = Vec::with_capacity(batch.len() + 1);
    out.push(Event::Tick(now()));
    out.extend(batch.into_iter().filter(|e| !matches!(e, Event::Tick(_))));
    out
}

/// The signals that end the editor after saving the draft: SIGHUP (a dropped SSH connection),
/// SIGTERM (a kill), SIGINT and SIGQUIT (sent by another program: in the editor's raw mode,
/// Ctrl-C and Ctrl-\ are keys, not signals).
struct Signals {
    #[cfg(unix)]
    streams: Vec<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                streams: [
                    SignalKind::hangup(),
                    SignalKind::terminate(),
                    SignalKind::interrupt(),
                    SignalKind::quit(),
                ]
                .into_iter()
                .filter_map(|k| signal(k).ok())
                .collect(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                return std::future::pending::<()>().await;
            }
            let waits = self.streams.iter_mut().map(|s| Box::pin(s.recv()));
            let _ = futures_util::future::select_all(waits).await;
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keys::KeyPress;

    fn at(second: i64) -> jiff::ZonedDateTime {
        jiff::Timestamp::from_second(second)
            .unwrap_or_default()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
    }

    fn seconds(batch: &[Event]) -> Vec<Option<i64>> {
        batch
            .iter()
            .map(|e| match e {
                Event::Tick(t) => Some(t.timestamp().as_second()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_batch_with_a_key_or_answer_tells_the_app_the_time_first() {
        let key = || Event::Key(KeyPress::ch('J'));
        // A key alone: the clock comes first, read now.
        assert_eq!(seconds(&stamped(vec![key()], || at(60))), [Some(60), None]);
        // A stale tick in the batch gives way to the time read now.
        assert_eq!(
            seconds(&stamped(vec![Event::Tick(at(1)), key(), key()], || at(60))),
            [Some(60), None, None]
        );
        // Ticks alone and empty batches are left as they are (no clock read).
        let never = || -> jiff::ZonedDateTime { panic!("the clock was read") };
        assert_eq!(
            seconds(&stamped(vec![Event::Tick(at(5))], never)),
            [Some(5)]
        );
        assert!(stamped(Vec::new(), never).is_empty());
    }
}
