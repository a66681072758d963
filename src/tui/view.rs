//! Drawing the editor: pure functions of the state. Every text from a config, the server or a file
//! goes through [`inert`] so it cannot act on the terminal.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, BorderType, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};

use crate::app::forms::{FieldValue, Form};
use crate::app::{App, Mode, Origin, Overlay, Picker};
use crate::config::effective::{Source, effective};
use crate::config::fields::Field;
use crate::config::validate::Severity;
use crate::text::inert;

/// Colours and glyphs.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// Use colours (off with `NO_COLOR`).
    pub color: bool,
    /// ASCII-only borders and marks.
    pub ascii: bool,
}

impl Theme {
    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }
    fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    fn warning(self) -> Style {
        if self.color {
            Style::default().fg(Color::Yellow)
        } else {
            Style::default().add_modifier(Modifier::UNDERLINED)
        }
    }
    fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    fn dim(self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }
    fn accent(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    fn key(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    fn block(self, title: impl Into<String>) -> Block<'static> {
        let b = Block::default()
            .borders(Borders::ALL)
            .title(Span::styled(format!(" {} ", title.into()), self.key()));
        if self.ascii {
            b.border_set(ratatui::symbols::border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            })
        } else {
            b.border_type(BorderType::Rounded)
        }
    }
    fn marks(self) -> (&'static str, &'static str, &'static str) {
        if self.ascii {
            ("x err", "! warn", "ok")
        } else {
            ("✗ err", "! warn", "✓ ok")
        }
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App, theme: Theme) {
    let area = frame.area();
    if area.width < 20 || area.height < 5 {
        frame.render_widget(
            Paragraph::new("cfingress: window too small").wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    match &app.mode {
        Mode::Loading(msg) => centered_message(
            frame,
            area,
            theme,
            "cfingress",
            &[inert(msg).into_owned(), String::new(), "q quits".to_owned()],
        ),
        Mode::Failed(msg) => centered_message(
            frame,
            area,
            theme,
            "cannot open",
            &[
                inert(msg).into_owned(),
                String::new(),
                "r retry · q quit".to_owned(),
            ],
        ),
        Mode::PickAccount(p) => picker(frame, area, theme, "Choose an account", p),
        Mode::PickTunnel(p) => picker(frame, area, theme, "Choose a tunnel", p),
        Mode::Editing => main_screen(frame, area, app, theme),
    }
    if let Some(overlay) = &app.overlay {
        draw_overlay(frame, area, app, overlay, theme);
    }
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn centered_message(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: Theme,
    title: &str,
    lines: &[String],
) {
    let w = lines
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(20)
        .clamp(30, 100) as u16
        + 4;
    let rect = centered(area, w, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(
            lines
                .iter()
                .map(|l| Line::from(l.clone()))
                .collect::<Vec<_>>(),
        )
        .wrap(Wrap { trim: false })
        .block(theme.block(title)),
        rect,
    );
}

fn picker(frame: &mut Frame<'_>, area: Rect, theme: Theme, title: &str, p: &Picker) {
    let [top, list, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let filter = if p.filtering || !p.filter.is_empty() {
        format!(
            "filter: {}{}",
            inert(&p.filter),
            if p.filtering { "▏" } else { "" }
        )
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!("cfingress · {title}  "), theme.accent()),
            Span::raw(filter),
        ])),
        top,
    );
    let visible = p.visible();
    let rows: Vec<Row<'_>> = visible
        .iter()
        .enumerate()
        .map(|(pos, &i)| {
            let style = if pos == p.selected {
                theme.selected()
            } else {
                Style::default()
            };
            Row::new(
                p.items[i]
                    .1
                    .iter()
                    .map(|c| Cell::from(inert(c).into_owned())),
            )
            .style(style)
        })
        .collect();
    let widths: Vec<Constraint> = p
        .headings
        .iter()
        .enumerate()
        .map(|(i, _)| {
            if i == 1 {
                Constraint::Length(38)
            } else {
                Constraint::Min(8)
            }
        })
        .collect();
    let header = Row::new(p.headings.iter().map(|h| Cell::from(*h))).style(theme.key());
    let empty = if visible.is_empty() {
        " (nothing matches) "
    } else {
        ""
    };
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(theme.block(format!("{title}{empty}"))),
        list,
    );
    frame.render_widget(
        Paragraph::new(keys_line(
            theme,
            &[
                ("↑↓", "move"),
                ("Enter", "open"),
                ("/", "filter"),
                ("q", "quit"),
            ],
        )),
        foot,
    );
}

fn keys_line(theme: Theme, keys: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (k, what) in keys {
        spans.push(Span::styled((*k).to_owned(), theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    Line::from(spans)
}

fn header_line(app: &App, theme: Theme) -> Line<'static> {
    let (name, place, base) = match &app.origin {
        Some(Origin::Remote {
            account_name,
            tunnel_name,
            tunnel_id,
            ..
        }) => (
            inert(if tunnel_name.is_empty() {
                tunnel_id
            } else {
                tunnel_name
            })
            .into_owned(),
            inert(account_name).into_owned(),
            match app.base_version {
                _ if app.unpublished_new => "new config".to_owned(),
                Some(v) => format!("base v{v}"),
                None => String::new(),
            },
        ),
        Some(Origin::File { path, .. }) => (
            inert(&path.display().to_string()).into_owned(),
            String::new(),
            "file".to_owned(),
        ),
        None => (String::new(), String::new(), String::new()),
    };
    let (errors, warnings) = app.counts();
    let sep = || Span::styled(" · ", theme.dim());
    let mut spans = vec![Span::styled(name, theme.accent())];
    if !place.is_empty() {
        spans.push(sep());
        spans.push(Span::raw(place));
    }
    if !base.is_empty() {
        spans.push(sep());
        spans.push(Span::styled(base, theme.dim()));
    }
    spans.push(sep());
    if app.is_modified() {
        spans.push(Span::styled(
            format!(
                "● {} {}",
                app.history.len(),
                if matches!(app.origin, Some(Origin::File { .. })) {
                    "unsaved"
                } else {
                    "unpublished"
                }
            ),
            theme.warning().add_modifier(Modifier::BOLD),
        ));
    } else {
        spans.push(Span::styled(
            if matches!(app.origin, Some(Origin::File { .. })) {
                "saved"
            } else {
                "published"
            },
            theme.dim(),
        ));
    }
    if app.drafts_off.is_some() {
        spans.push(sep());
        spans.push(Span::styled("no drafts", theme.error()));
    }
    spans.push(sep());
    spans.push(Span::styled(
        format!("{errors} error{}", if errors == 1 { "" } else { "s" }),
        if errors > 0 {
            theme.error()
        } else {
            theme.dim()
        },
    ));
    spans.push(sep());
    spans.push(Span::styled(
        format!("{warnings} warning{}", if warnings == 1 { "" } else { "s" }),
        if warnings > 0 {
            theme.warning()
        } else {
            theme.dim()
        },
    ));
    Line::from(spans)
}

/// The main screen's parts: header, table, detail pane, status line, key line.
fn main_areas(area: Rect, app: &App) -> [Rect; 5] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(app.detail_rows()),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The screen rows holding the rule table's rows (inside its border, under its heading), when
/// the main screen is shown with nothing over it: the rows a scroll of the table moves.
pub fn table_rows(area: Rect, app: &App) -> Option<std::ops::Range<u16>> {
    if !matches!(app.mode, Mode::Editing)
        || app.overlay.is_some()
        || area.width < 20
        || area.height < 5
    {
        return None;
    }
    let [_, table, ..] = main_areas(area, app);
    let top = table.y + 2;
    let bottom = (table.y + table.height).saturating_sub(1);
    (top < bottom).then_some(top..bottom)
}

fn main_screen(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let [head, table, detail, status, foot] = main_areas(area, app);
    frame.render_widget(Paragraph::new(header_line(app, theme)), head);
    rules_table(frame, table, app, theme);
    if app.show_details {
        detail_pane(frame, detail, app, theme);
    }
    let status_line = match (&app.status, app.filtering || !app.filter.is_empty()) {
        (_, true) => Line::from(vec![
            Span::styled("filter: ", theme.key()),
            Span::raw(inert(&app.filter).into_owned()),
            Span::raw(if app.filtering {
                "▏  (Enter keeps it, Esc clears)"
            } else {
                "  (/ to change, Esc clears)"
            }),
        ]),
        (Some(s), _) => Line::from(Span::styled(
            inert(&s.text).into_owned(),
            if s.error {
                theme.error()
            } else {
                Style::default()
            },
        )),
        (None, _) => selected_rule_problem(app, theme)
            .unwrap_or_else(|| Line::from(Span::styled("? shows every key", theme.dim()))),
    };
    frame.render_widget(Paragraph::new(status_line), status);
    let keys: &[(&str, &str)] = if area.width >= 130 {
        &[
            ("↑↓", "move"),
            ("e", "edit"),
            ("a", "add"),
            ("c", "duplicate"),
            ("d", "delete"),
            ("K/J", "reorder"),
            ("u", "undo"),
            ("o", "global"),
            ("i", "details"),
            ("t", "test URL"),
            ("/", "filter"),
            ("p", "publish"),
            ("?", "help"),
            ("q", "quit"),
        ]
    } else {
        &[
            ("e", "edit"),
            ("a", "add"),
            ("d", "del"),
            ("K/J", "move"),
            ("u", "undo"),
            ("i", "info"),
            ("t", "test"),
            ("p", "publish"),
            ("?", "help"),
            ("q", "quit"),
        ]
    };
    // Narrow terminals: reordering is the key to leave out (help lists it).
    let narrow: Vec<(&str, &str)>;
    let keys = if area.width < 90 {
        narrow = keys.iter().copied().filter(|(k, _)| *k != "K/J").collect();
        &narrow[..]
    } else {
        keys
    };
    frame.render_widget(Paragraph::new(keys_line(theme, keys)), foot);
}

/// With the detail pane hidden, the selected rule's first problem goes in the status line.
fn selected_rule_problem(app: &App, theme: Theme) -> Option<Line<'static>> {
    if app.show_details {
        return None;
    }
    let i = app.selected;
    let mut problems = app.diagnostics.iter().filter(|d| d.rule == Some(i));
    let first = problems.next()?;
    let more = problems.count();
    let field = first
        .field
        .as_ref()
        .map(Field::to_string)
        .unwrap_or_default();
    let style = if first.severity == Severity::Error {
        theme.error()
    } else {
        theme.warning()
    };
    // The count goes first: a long message is cut at the window's edge.
    let spans = vec![
        Span::styled(
            format!("#{} {} {}", i + 1, first.severity.as_str(), inert(&field)),
            style,
        ),
        Span::styled(
            if more > 0 {
                format!(" (+{more} more, i shows all)")
            } else {
                String::new()
            },
            theme.dim(),
        ),
        Span::styled(": ", style),
        Span::raw(inert(&first.message).into_owned()),
    ];
    Some(Line::from(spans))
}

fn rules_table(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let visible = app.visible_rules();
    let rows_fit = usize::from(area.height.saturating_sub(3)).max(1);
    let pos = visible.iter().position(|&i| i == app.selected).unwrap_or(0);
    // The app keeps the offset (it scrolls only when the selection would leave the window);
    // clamp it here too in case this window is smaller than the app thinks.
    let mut offset = app.table_offset.min(visible.len().saturating_sub(1));
    if pos < offset {
        offset = pos;
    } else if pos >= offset + rows_fit {
        offset = pos + 1 - rows_fit;
    }
    let rules = app.draft.rules();
    let last = rules.len().saturating_sub(1);
    let (err_mark, warn_mark, ok_mark) = theme.marks();
    let rows: Vec<Row<'_>> = visible
        .iter()
        .skip(offset)
        .take(rows_fit)
        .map(|&i| {
            let r = &rules[i];
            let host = r.hostname.as_str();
            let host_cell = if r.is_catch_all() && i == last {
                "(catch-all)".to_owned()
            } else if host.is_empty() || host == "*" {
                "* (any host)".to_owned()
            } else {
                inert(host).into_owned()
            };
            let mut opts = String::new();
            if r.overrides().is_some_and(|o| !o.is_empty()) {
                opts.push('O');
            }
            if crate::config::effective::access_enforced(r) {
                opts.push('A');
            }
            let (e, w) = app.rule_counts.get(i).copied().unwrap_or((0, 0));
            let status = if e > 0 {
                Span::styled(err_mark, theme.error())
            } else if w > 0 {
                Span::styled(warn_mark, theme.warning())
            } else {
                Span::styled(ok_mark, theme.ok())
            };
            let mut style = Style::default();
            if app.tester_match == Some(i) {
                style = style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
            }
            // The selection is a marker and a reversed number, not a reversed row: moving it
            // rewrites a few cells instead of two whole lines (cheap over slow SSH links).
            let selected = i == app.selected;
            let number = if selected {
                Cell::from(format!(
                    "{}{:>3}",
                    if theme.ascii { ">" } else { "▶" },
                    i + 1
                ))
                .style(theme.selected())
            } else {
                Cell::from(format!(" {:>3}", i + 1))
            };
            Row::new(vec![
                number,
                Cell::from(host_cell),
                Cell::from(inert(r.path.as_str()).into_owned()),
                Cell::from(inert(r.service.as_str()).into_owned()),
                Cell::from(opts),
                Cell::from(status),
            ])
            .style(style)
        })
        .collect();
    let header =
        Row::new(vec!["   #", "HOSTNAME", "PATH", "SERVICE", "OPT", "STATUS"]).style(theme.key());
    let widths = [
        Constraint::Length(5),
        Constraint::Percentage(34),
        Constraint::Percentage(18),
        Constraint::Percentage(34),
        Constraint::Length(3),
        Constraint::Length(7),
    ];
    let title = if visible.len() == rules.len() {
        format!("Ingress rules ({})", rules.len())
    } else {
        format!(
            "Ingress rules ({} of {} match the filter)",
            visible.len(),
            rules.len()
        )
    };
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(theme.block(title))
            .column_spacing(1),
        area,
    );
}

fn detail_pane(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let Some(rule) = app.draft.rules().get(app.selected) else {
        frame.render_widget(
            Paragraph::new("no rules").block(theme.block("Details")),
            area,
        );
        return;
    };
    let i = app.selected;
    let mut lines: Vec<Line<'_>> = Vec::new();
    let show = |s: &str| {
        if s.is_empty() {
            "(any)".to_owned()
        } else {
            inert(s).into_owned()
        }
    };
    lines.push(Line::from(vec![
        Span::styled("hostname ", theme.dim()),
        Span::raw(show(rule.hostname.as_str())),
        Span::styled("  path ", theme.dim()),
        Span::raw(show(rule.path.as_str())),
        Span::styled("  service ", theme.dim()),
        Span::raw(inert(rule.service.as_str()).into_owned()),
    ]));
    for d in app.diagnostics.iter().filter(|d| d.rule == Some(i)) {
        let field = d.field.as_ref().map(Field::to_string).unwrap_or_default();
        let style = if d.severity == Severity::Error {
            theme.error()
        } else {
            theme.warning()
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {}: ", d.severity.as_str(), inert(&field)),
                style,
            ),
            Span::raw(inert(&d.message).into_owned()),
        ]));
    }
    let eff = effective(rule, app.draft.global());
    let mut spans: Vec<Span<'_>> = vec![Span::styled("effective: ", theme.dim())];
    let mut ordered: Vec<_> = eff.iter().collect();
    ordered.sort_by_key(|e| match e.source {
        Source::Rule | Source::Service => 0,
        Source::Global => 1,
        Source::Default => 2,
    });
    for e in ordered {
        let style = match e.source {
            Source::Rule | Source::Service => theme.key(),
            Source::Global => Style::default(),
            Source::Default => theme.dim(),
        };
        spans.push(Span::styled(
            format!("{}={}", e.field.path(), e.display),
            style,
        ));
        spans.push(Span::styled(
            format!(" ({})  ", e.source.label()),
            theme.dim(),
        ));
    }
    lines.push(Line::from(spans));
    let title = format!("Rule #{} of {}", i + 1, app.draft.rules().len());
    frame.render_widget(
        Paragraph::new(Text::from(lines))
            .wrap(Wrap { trim: true })
            .block(theme.block(title)),
        area,
    );
}

fn draw_overlay(frame: &mut Frame<'_>, area: Rect, app: &App, overlay: &Overlay, theme: Theme) {
    match overlay {
        Overlay::Help { scroll } => help(frame, area, theme, *scroll),
        Overlay::Form(form) => draw_form(frame, area, form, theme),
        Overlay::Tester { input, result } => {
            let h = 5u16;
            let rect = Rect {
                x: area.x,
                y: area.y + area.height.saturating_sub(h + 1),
                width: area.width,
                height: h.min(area.height),
            };
            frame.render_widget(Clear, rect);
            let block = theme.block("Test a URL: type it, see which rule serves it (Esc closes)");
            let inner = block.inner(rect);
            frame.render_widget(block, rect);
            if inner.height == 0 {
                return;
            }
            let [line, res] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
            frame.render_widget(&**input, line);
            let text = match result {
                None => Line::from(Span::styled(
                    "e.g. https://app.example.com/login",
                    theme.dim(),
                )),
                Some(Ok(i)) => Line::from(vec![
                    Span::styled(
                        format!("→ rule #{} ", i + 1),
                        theme.ok().add_modifier(Modifier::BOLD),
                    ),
                    Span::raw(format!(
                        "{}  serves it: {}",
                        app.rule_label(*i),
                        inert(
                            app.draft
                                .rules()
                                .get(*i)
                                .map(|r| r.service.as_str())
                                .unwrap_or("")
                        )
                    )),
                ]),
                Some(Err(e)) => Line::from(Span::styled(inert(e).into_owned(), theme.error())),
            };
            frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), res);
        }
        Overlay::Confirm { lines, .. } => {
            let w = area.width.saturating_sub(8).min(100);
            let inner_w = usize::from(w.saturating_sub(2)).max(1);
            let rows: usize = lines
                .iter()
                .map(|l| l.chars().count().div_ceil(inner_w).max(1))
                .sum();
            let rect = centered(area, w, (rows as u16).saturating_add(2).min(area.height));
            frame.render_widget(Clear, rect);
            let text: Vec<Line<'_>> = lines
                .iter()
                .map(|l| Line::from(inert(l).into_owned()))
                .collect();
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: false })
                    .block(theme.block("Confirm")),
                rect,
            );
        }
        Overlay::Conflict { lines, .. } => {
            let rect = centered(
                area,
                area.width.saturating_sub(6).min(110),
                area.height.saturating_sub(4),
            );
            frame.render_widget(Clear, rect);
            let mut text: Vec<Line<'_>> = lines
                .iter()
                .map(|l| Line::from(inert(l).into_owned()))
                .collect();
            text.push(Line::from(""));
            text.push(keys_line(
                theme,
                &[
                    (
                        "r",
                        "rebase: replay your edits on the new version, then review",
                    ),
                    ("o", "overwrite their changes"),
                    ("c", "cancel"),
                ],
            ));
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: false })
                    .block(theme.block("Someone changed the config")),
                rect,
            );
        }
        Overlay::Review {
            summary,
            diff,
            notes,
            scroll,
            replaces,
            ..
        } => {
            let rect = centered(
                area,
                area.width.saturating_sub(2),
                area.height.saturating_sub(1),
            );
            frame.render_widget(Clear, rect);
            let title = match (&app.origin, replaces) {
                (Some(Origin::File { path, .. }), _) => {
                    format!("Write {}?", inert(&path.display().to_string()))
                }
                (_, Some(v)) => format!("Publish? (replaces remote version {v})"),
                _ => "Publish?".to_owned(),
            };
            let block = theme.block(title);
            let inner = block.inner(rect);
            frame.render_widget(block, rect);
            let mut text: Vec<Line<'_>> = Vec::new();
            for n in notes {
                text.push(Line::from(Span::styled(
                    inert(n).into_owned(),
                    theme.warning().add_modifier(Modifier::BOLD),
                )));
            }
            for s in summary {
                text.push(Line::from(inert(s).into_owned()));
            }
            text.push(Line::from(Span::styled(
                "─".repeat(usize::from(inner.width)),
                theme.dim(),
            )));
            let head = text.len();
            let room = usize::from(inner.height).saturating_sub(head + 1);
            for l in diff.iter().skip(*scroll).take(room) {
                let style = if l.starts_with("+++") || l.starts_with("---") {
                    theme.key()
                } else if l.starts_with('+') {
                    theme.ok()
                } else if l.starts_with('-') {
                    theme.error()
                } else if l.starts_with("@@") {
                    theme.accent()
                } else {
                    Style::default()
                };
                text.push(Line::from(Span::styled(inert(l).into_owned(), style)));
            }
            while text.len() < usize::from(inner.height).saturating_sub(1) {
                text.push(Line::from(""));
            }
            text.push(keys_line(
                theme,
                &[
                    ("y", "publish"),
                    ("j/k PgDn/PgUp", "scroll the diff"),
                    ("any other key", "back to editing"),
                ],
            ));
            frame.render_widget(Paragraph::new(text), inner);
        }
        Overlay::Busy(msg) => {
            centered_message(frame, area, theme, "working", &[inert(msg).into_owned()])
        }
        Overlay::Preparing { .. } => centered_message(
            frame,
            area,
            theme,
            "working",
            &[
                "preparing the review of what will be published…".to_owned(),
                String::new(),
                "Esc cancels".to_owned(),
            ],
        ),
        Overlay::Recover {
            saved,
            current_version,
            viewing,
            scroll,
        } => {
            let rect = centered(
                area,
                area.width.saturating_sub(4).min(110),
                area.height.saturating_sub(2),
            );
            frame.render_widget(Clear, rect);
            let mut text: Vec<Line<'_>> = vec![
                Line::from(Span::styled(
                    "Unpublished edits from an earlier session were saved.",
                    theme.key(),
                )),
                Line::from(format!(
                    "saved at {} · {} edit(s)",
                    inert(&saved.saved_at),
                    saved.edits.len()
                )),
            ];
            match (saved.base_version, current_version) {
                (Some(was), Some(now)) if was != *now => text.push(Line::from(Span::styled(
                    format!("they were based on version {was}; the remote is now at version {now} (publishing will offer to rebase)"),
                    theme.warning(),
                ))),
                (Some(was), _) => text.push(Line::from(format!("based on version {was}, which is still the remote version"))),
                _ => {}
            }
            text.push(Line::from(""));
            match viewing {
                Some(lines) => {
                    let room = usize::from(rect.height).saturating_sub(text.len() + 4);
                    for l in lines.iter().skip(*scroll).take(room) {
                        let style = if l.starts_with('+') {
                            theme.ok()
                        } else if l.starts_with('-') {
                            theme.error()
                        } else {
                            Style::default()
                        };
                        text.push(Line::from(Span::styled(inert(l).into_owned(), style)));
                    }
                    text.push(keys_line(
                        theme,
                        &[
                            ("r", "restore"),
                            ("d", "discard"),
                            ("j/k", "scroll"),
                            ("Esc", "back"),
                        ],
                    ));
                }
                None => text.push(keys_line(
                    theme,
                    &[
                        ("r", "restore them"),
                        ("v", "view the diff first"),
                        ("d", "discard them"),
                    ],
                )),
            }
            frame.render_widget(
                Paragraph::new(text)
                    .wrap(Wrap { trim: false })
                    .block(theme.block("Restore your draft?")),
                rect,
            );
        }
    }
}

const HELP: &[(&str, &[(&str, &str)])] = &[
    (
        "Move",
        &[
            ("j/k ↑/↓", "previous/next rule"),
            ("g/G", "first/last rule"),
            ("PgUp/PgDn", "a page"),
            ("/", "filter rows by text (Esc clears)"),
            (
                "i",
                "show/hide the selected rule's details: problems, effective settings",
            ),
        ],
    ),
    (
        "Edit",
        &[
            ("Enter/e", "edit the selected rule"),
            ("a", "add a rule after the selection (before the catch-all)"),
            ("c", "duplicate the selected rule"),
            ("d", "delete the selected rule (undoable)"),
            ("K/J", "move the rule up/down"),
            ("o", "global originRequest settings"),
            ("w", "warp-routing"),
            ("u Ctrl-z", "undo"),
            ("Ctrl-r Ctrl-y", "redo"),
        ],
    ),
    (
        "In a form",
        &[
            ("Tab/Shift-Tab ↑/↓", "next/previous field"),
            ("Space", "toggle a yes/no field, cycle a choice"),
            ("Ctrl-x", "clear the field: inherit again"),
            (
                "Ctrl-t",
                "in service: cycle http:// https:// ssh:// ... http_status:",
            ),
            ("Enter", "apply the form (one undoable edit)"),
            ("Esc", "discard (asks if you typed)"),
        ],
    ),
    (
        "Check and publish",
        &[
            ("t", "test a URL: which rule serves it"),
            ("p", "publish: review the diff, then y"),
            ("r", "reload from the source"),
        ],
    ),
    (
        "Leave",
        &[
            ("q Ctrl-c", "quit (asks when edits are unpublished)"),
            ("?", "this help"),
            ("Esc", "close a window"),
            ("Ctrl-l", "redraw the screen"),
        ],
    ),
];

fn help(frame: &mut Frame<'_>, area: Rect, theme: Theme, scroll: usize) {
    let rect = centered(area, 78, area.height.saturating_sub(2));
    frame.render_widget(Clear, rect);
    let mut lines: Vec<Line<'_>> = Vec::new();
    for (group, keys) in HELP {
        lines.push(Line::from(Span::styled(
            (*group).to_owned(),
            theme.accent(),
        )));
        for (k, what) in *keys {
            lines.push(Line::from(vec![
                Span::styled(format!("  {k:<20}"), theme.key()),
                Span::raw((*what).to_owned()),
            ]));
        }
    }
    let lines: Vec<Line<'_>> = lines.into_iter().skip(scroll).collect();
    frame.render_widget(
        Paragraph::new(lines).block(theme.block("Keys (any key closes)")),
        rect,
    );
}

fn draw_form(frame: &mut Frame<'_>, area: Rect, form: &Form, theme: Theme) {
    let rect = centered(
        area,
        area.width.saturating_sub(2).min(120),
        area.height.saturating_sub(1),
    );
    frame.render_widget(Clear, rect);
    let block = theme.block(inert(&form.title).into_owned());
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if inner.height < 3 || inner.width < 10 {
        return;
    }
    let [body, msg, foot] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    // Each field takes one line, plus a line for its heading and one for its message.
    let heights: Vec<u16> = form
        .fields
        .iter()
        .map(|f| {
            1 + u16::from(f.group.is_some()) + u16::from(f.error.is_some() || f.warning.is_some())
        })
        .collect();
    let mut start = 0;
    let mut used: u16 = heights.iter().take(form.focus + 1).sum();
    while used > body.height && start < form.focus {
        used -= heights[start];
        start += 1;
    }
    let label_w = 24u16.min(body.width / 3);
    let hint_w = if body.width > 90 { 30 } else { 0 };
    let mut y = body.y;
    for (i, f) in form.fields.iter().enumerate().skip(start) {
        if y >= body.y + body.height {
            break;
        }
        if let Some(g) = f.group {
            frame.render_widget(
                Paragraph::new(Span::styled(g.to_owned(), theme.accent())),
                Rect {
                    x: body.x,
                    y,
                    width: body.width,
                    height: 1,
                },
            );
            y += 1;
            if y >= body.y + body.height {
                break;
            }
        }
        let focused = i == form.focus;
        let row = Rect {
            x: body.x,
            y,
            width: body.width,
            height: 1,
        };
        let [label_r, value_r, hint_r] = Layout::horizontal([
            Constraint::Length(label_w),
            Constraint::Min(5),
            Constraint::Length(hint_w),
        ])
        .areas(row);
        let label_style = if focused {
            theme.selected()
        } else {
            theme.key()
        };
        let marker = if f.touched { "*" } else { " " };
        frame.render_widget(
            Paragraph::new(Span::styled(format!("{marker}{}", f.label), label_style)),
            label_r,
        );
        match (&f.value, focused) {
            (FieldValue::Text(t), true) => frame.render_widget(&**t, value_r),
            _ => {
                let text = if f.is_unset() {
                    let hint = if f.inherited.is_empty() {
                        "(empty)".to_owned()
                    } else {
                        format!("(unset: {})", f.inherited)
                    };
                    Span::styled(hint, theme.dim())
                } else {
                    let v = f.text();
                    let shown = match &f.value {
                        FieldValue::Bool(_) | FieldValue::Choice(..) => format!("[{v}]"),
                        FieldValue::Text(_) => v,
                    };
                    Span::raw(inert(&shown).into_owned())
                };
                frame.render_widget(Paragraph::new(text), value_r);
            }
        }
        if hint_w > 0 {
            frame.render_widget(
                Paragraph::new(Span::styled(f.help.to_owned(), theme.dim())),
                hint_r,
            );
        }
        y += 1;
        if let Some(m) = f
            .error
            .as_ref()
            .map(|e| (e, theme.error()))
            .or_else(|| f.warning.as_ref().map(|w| (w, theme.warning())))
        {
            if y < body.y + body.height {
                frame.render_widget(
                    Paragraph::new(Span::styled(format!("  ↳ {}", inert(m.0)), m.1)),
                    Rect {
                        x: body.x + label_w.min(2),
                        y,
                        width: body.width.saturating_sub(2),
                        height: 1,
                    },
                );
            }
            y += 1;
        }
    }
    let message = if form.confirm_discard {
        Span::styled(
            "Discard your changes to this form? y = discard, any other key = keep editing",
            theme.warning().add_modifier(Modifier::BOLD),
        )
    } else if let Some(m) = &form.message {
        Span::styled(inert(m).into_owned(), theme.error())
    } else if let Some(f) = form.fields.get(form.focus) {
        Span::styled(format!("{}: {}", f.label, f.help), theme.dim())
    } else {
        Span::raw("")
    };
    frame.render_widget(Paragraph::new(message), msg);
    frame.render_widget(
        Paragraph::new(keys_line(
            theme,
            &[
                ("Tab/↑↓", "field"),
                ("Space", "toggle"),
                ("Ctrl-x", "inherit"),
                ("Enter", "apply"),
                ("Esc", "discard"),
            ],
        )),
        foot,
    );
}
