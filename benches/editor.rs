//! The editor's hot paths on generated 10 000- and 100 000-rule configs: each common key through
//! `App::update` (undo and redo included), the launch path from the config's JSON text to the
//! first frame, rendering the main screen and the confirmation diff into a TestBackend, and the
//! memory the loaded config and 1 000 edits take (printed once per size, from the process's
//! resident size). Targets: keystroke to settled frame median ≤ 5 ms at both sizes; launch
//! ≤ 150 ms at 10 000 rules and ≤ 1 s at 100 000; ≤ 40 MB loaded and ≤ 5 MB per 1 000 edits
//! at 10 000 rules. `cargo bench --bench editor -- 100000` runs the larger size only.

use std::hint::black_box;

use cfingress::app::keys::{KeyCode as Key, KeyPress};
use cfingress::app::review::{ReviewRequest, settle};
use cfingress::app::{App, Effect, Event, Snapshot};
use cfingress::config::files::{parse_json, to_json_string};
use cfingress::config::model::TunnelConfig;
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

fn loaded_with(config: TunnelConfig) -> App {
    let (mut app, _) = App::remote(Some("a".into()), Some("t".into()));
    app.update(Event::Resize(120, 40));
    app.update(Event::Loaded(Ok(Snapshot {
        version: Some(1),
        config: Some(config),
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

fn loaded(n: usize) -> App {
    loaded_with(scale_config(n, 42))
}

fn frame(terminal: &mut Terminal<TestBackend>, app: &App) {
    let _ = terminal.draw(|f| view::draw(f, app, THEME));
}

fn memory_report(n: usize) {
    let before = rss();
    let mut app = loaded(n);
    let loaded_bytes = rss() - before;
    let mid = rss();
    for i in 0..1000 {
        app.update(key(if i % 2 == 0 { 'c' } else { 'j' }));
    }
    let edits = rss() - mid;
    println!(
        "memory: {n}-rule config loaded in the editor {:.1} MB; 1000 edits add {:.2} MB ({} edits in history)",
        loaded_bytes as f64 / 1e6,
        edits as f64 / 1e6,
        app.history.len()
    );
    black_box(app);
}

/// Times `timed` only, running `untimed` after each (to put the app back).
fn alternate(
    b: &mut criterion::Bencher<'_>,
    app: &mut App,
    terminal: &mut Terminal<TestBackend>,
    timed: &Event,
    untimed: &Event,
) {
    b.iter_custom(|iters| {
        let mut spent = std::time::Duration::ZERO;
        for _ in 0..iters {
            let start = std::time::Instant::now();
            app.update(timed.clone());
            frame(terminal, app);
            spent += start.elapsed();
            app.update(untimed.clone());
        }
        spent
    })
}

fn editor(c: &mut Criterion) {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap_or_else(|e| panic!("{e}"));
    for n in [10_000usize, 100_000] {
        memory_report(n);
        sizes(c, &mut terminal, n);
    }
    with_dns_keys(c, &mut terminal);
    review(c, &mut terminal);
}

/// Each key, undo and redo, and the launch path at `n` rules.
fn sizes(c: &mut Criterion, terminal: &mut Terminal<TestBackend>, n: usize) {
    let mut group = c.benchmark_group(format!("editor_{n}_rules"));
    group.sample_size(if n > 10_000 { 10 } else { 30 });

    // Launch: the config's JSON text decoded, handed to the editor, and the first frame drawn.
    let text = to_json_string(&scale_config(n, 42), false).unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("launch_decode_load_and_first_frame", |b| {
        b.iter(|| {
            let config = parse_json(black_box(&text)).unwrap_or_else(|e| panic!("{e}"));
            let app = loaded_with(config.config);
            frame(terminal, &app);
            app
        })
    });
    let config = scale_config(n, 42);
    group.bench_function("launch_load_and_first_frame", |b| {
        b.iter_batched(
            || config.clone(),
            |config| {
                let app = loaded_with(config);
                frame(terminal, &app);
                app
            },
            BatchSize::LargeInput,
        )
    });

    let mut app = loaded(n);
    app.update(key('G'));
    group.bench_function("key_move_selection_and_draw", |b| {
        let mut up = true;
        b.iter(|| {
            app.update(key(if up { 'k' } else { 'j' }));
            up = !up;
            frame(terminal, &app);
        })
    });

    let mut app = loaded(n);
    group.bench_function("key_open_and_close_form_and_draw", |b| {
        b.iter(|| {
            app.update(key('e'));
            frame(terminal, &app);
            app.update(special(Key::Esc));
            frame(terminal, &app);
        })
    });

    let mut app = loaded(n);
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
            frame(terminal, &app);
        })
    });

    // Undo and redo of a duplicate near the top (the costliest place: every later row shifts).
    let mut app = loaded(n);
    app.update(key('g'));
    app.update(key('c'));
    let (undo, redo) = (key('u'), Event::Key(KeyPress::ctrl('r')));
    group.bench_function("key_undo_and_draw", |b| {
        alternate(b, &mut app, terminal, &undo, &redo)
    });
    app.update(undo.clone());
    group.bench_function("key_redo_and_draw", |b| {
        alternate(b, &mut app, terminal, &redo, &undo)
    });
    let (delete, duplicate) = (key('d'), key('c'));
    group.bench_function("key_delete_and_draw", |b| {
        alternate(b, &mut app, terminal, &delete, &duplicate)
    });

    let mut app = loaded(n);
    app.update(key('g'));
    group.bench_function("key_edit_then_undo_and_draw", |b| {
        b.iter(|| {
            app.update(key('c'));
            frame(terminal, &app);
            app.update(key('u'));
            frame(terminal, &app);
        })
    });

    let app = loaded(n);
    group.bench_function("draw_main_screen", |b| b.iter(|| frame(terminal, &app)));
    group.finish();
}

/// Keys with the DNS of 10 000 hostnames read: every row's DNS cell is drawn, and an edit asks
/// for a background judgement of the draft's hostnames.
fn with_dns_keys(c: &mut Criterion, terminal: &mut Terminal<TestBackend>) {
    let mut group = c.benchmark_group("editor_10000_rules");
    group.sample_size(30);
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
            frame(terminal, &app);
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
                frame(terminal, &app);
            }
        })
    });
    group.finish();
}

/// Opening the review of 20 edits of 10 000 rules, and drawing its diff.
fn review(c: &mut Criterion, terminal: &mut Terminal<TestBackend>) {
    let mut group = c.benchmark_group("editor_10000_rules");
    group.sample_size(30);
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
        b.iter(|| frame(terminal, &app))
    });
    group.finish();
}

criterion_group!(benches, editor);
criterion_main!(benches);
