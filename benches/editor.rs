//! The editor's hot paths on a generated 10 000-rule config: each common key through
//! `App::update`, rendering the main screen and the confirmation diff into a TestBackend, and the
//! memory the loaded config and 1 000 edits take (printed once, from the process's resident
//! size). Targets: keystroke to settled frame median ≤ 5 ms; ≤ 40 MB loaded, ≤ 5 MB per
//! 1 000 edits.

use std::hint::black_box;

use cfingress::app::keys::{KeyCode as Key, KeyPress};
use cfingress::app::review::{ReviewRequest, settle};
use cfingress::app::{App, Effect, Event, Snapshot};
use cfingress::fixtures::{dns_snapshot, scale_config};
use cfingress::tui::{Theme, view};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Resident memory of this process (VmRSS) in bytes, from /proc (Linux).
fn rss() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<i64>().ok())
            })
        })
        .map_or(0, |kb| kb * 1024)
}

const THEME: Theme = Theme {
    color: true,
    ascii: false,
};

fn key(c: char) -> Event {
    Event::Key(KeyPress::ch(c))
}

fn special(k: Key) -> Event {
    Event::Key(KeyPress::plain(k))
}

fn loaded(n: usize) -> App {
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    app.update(Event::Resize(120, 40));
    app.update(Event::Loaded(Ok(Snapshot {
        version: Some(1),
        config: Some(scale_config(n, 42)),
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    })));
    app
}

/// The editor with the DNS of its hostnames read and judged (nine in ten `ok`).
fn with_dns(mut app: App) -> App {
    let snapshot = dns_snapshot(&app.draft, "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415");
    let fx = app.update(Event::DnsRead {
        ticket: 1,
        snapshot: Box::new(snapshot),
    });
    settle(&mut app, fx);
    assert!(app.dns.report.is_some(), "DNS judged");
    app
}

fn frame(terminal: &mut Terminal<TestBackend>, app: &App) {
    let _ = terminal.draw(|f| view::draw(f, app, THEME));
}

fn memory_report() {
    let before = rss();
    let mut app = loaded(10_000);
    let loaded_bytes = rss() - before;
    let mid = rss();
    for i in 0..1000 {
        app.update(key(if i % 2 == 0 { 'c' } else { 'j' }));
    }
    let edits = rss() - mid;
    println!(
        "memory: 10000-rule config loaded in the editor {:.1} MB; 1000 edits add {:.2} MB ({} edits in history)",
        loaded_bytes as f64 / 1e6,
        edits as f64 / 1e6,
        app.history.len()
    );
    black_box(app);
}

fn editor(c: &mut Criterion) {
    memory_report();
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap_or_else(|e| panic!("{e}"));
    let mut group = c.benchmark_group("editor_10000_rules");
    group.sample_size(30);

    let mut app = loaded(10_000);
    app.update(key('G'));
    group.bench_function("key_move_selection_and_draw", |b| {
        let mut up = true;
        b.iter(|| {
            app.update(key(if up { 'k' } else { 'j' }));
            up = !up;
            frame(&mut terminal, &app);
        })
    });

    let mut app = loaded(10_000);
    group.bench_function("key_open_and_close_form_and_draw", |b| {
        b.iter(|| {
            app.update(key('e'));
            frame(&mut terminal, &app);
            app.update(special(Key::Esc));
            frame(&mut terminal, &app);
        })
    });

    let mut app = loaded(10_000);
    app.update(key('e'));
    group.bench_function("key_type_in_field_and_draw", |b| {
        let mut add = true;
        b.iter(|| {
            app.update(if add {
                key('x')
            } else {
                special(Key::Backspace)
            });
            add = !add;
            frame(&mut terminal, &app);
        })
    });

    let mut app = loaded(10_000);
    app.update(key('g'));
    group.bench_function("key_edit_then_undo_and_draw", |b| {
        b.iter(|| {
            app.update(key('c'));
            frame(&mut terminal, &app);
            app.update(key('u'));
            frame(&mut terminal, &app);
        })
    });

    // With DNS read (every row's DNS cell is looked up by record name when drawn), an edit asks
    // for a background judgement of the draft's hostnames: the input path pays for the list of
    // hostnames. The judgement is answered at once (as failed, which is cheap) so that every
    // edit asks again.
    let mut app = with_dns(loaded(10_000));
    app.update(key('G'));
    group.bench_function("key_move_selection_and_draw_with_dns", |b| {
        let mut up = true;
        b.iter(|| {
            app.update(key(if up { 'k' } else { 'j' }));
            up = !up;
            frame(&mut terminal, &app);
        })
    });
    let mut app = with_dns(loaded(10_000));
    app.update(key('g'));
    group.bench_function("key_edit_then_undo_and_draw_with_dns", |b| {
        b.iter(|| {
            for k in ['c', 'u'] {
                for fx in app.update(key(k)) {
                    if let Effect::JudgeDns { ticket, .. } = fx {
                        app.update(Event::DnsJudged {
                            ticket,
                            report: Err(String::new()),
                        });
                    }
                }
                frame(&mut terminal, &app);
            }
        })
    });

    let app = loaded(10_000);
    group.bench_function("draw_main_screen", |b| {
        b.iter(|| frame(&mut terminal, &app))
    });

    let mut app = loaded(10_000);
    for _ in 0..20 {
        app.update(key('c'));
        app.update(key('j'));
    }
    app.update(key('p'));
    app.update(key('y'));
    let base = (*app.base).clone();
    let current = || {
        Event::Current(Ok(Snapshot {
            version: Some(1),
            config: Some(base.clone()),
            has_comments: false,
            saved: None,
            draft_note: None,
            held_by: None,
            file: None,
        }))
    };
    // The remote answered "unchanged": on the input path the app only asks for the review...
    group.bench_function("open_review_input_path", |b| {
        b.iter_batched(
            || (app.clone(), current()),
            |(mut a, event)| a.update(event),
            BatchSize::LargeInput,
        )
    });
    // ...which is computed in the background: summary and unified diff of 10 000 rules with 20 edits.
    let request = match app.clone().update(current()).pop() {
        Some(Effect::Review(request)) => *request,
        other => panic!("expected a review request, got {other:?}"),
    };
    group.bench_function("compute_review_diff_background", |b| {
        b.iter_batched(
            || request.clone(),
            ReviewRequest::compute,
            BatchSize::LargeInput,
        )
    });
    let fx = app.update(current());
    settle(&mut app, fx);
    group.bench_function("draw_confirmation_diff", |b| {
        b.iter(|| frame(&mut terminal, &app))
    });
    group.finish();
}

criterion_group!(benches, editor);
criterion_main!(benches);
