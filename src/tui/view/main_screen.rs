//! The main screen: header, banner, rule table, detail pane, status area and footer, laid out by
//! [`App::layout`] (the same arithmetic the app pages with).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::key_label;
use super::theme::{Theme, footer};
use crate::app::keys::{Command, Context};
use crate::app::layout::{truncate_end, truncate_start};
use crate::app::{App, Banner, Origin};
use crate::config::effective::{Source, effective};
use crate::config::fields::Field;
use crate::config::validate::Severity;
use crate::dns::State;
use crate::text::inert;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let l = app.layout(area);
    frame.render_widget(
        Paragraph::new(header_line(app, theme, area.width)),
        l.header,
    );
    if l.banner.height > 0 {
        frame.render_widget(
            Paragraph::new(banner_text(app, theme, area.width)),
            l.banner,
        );
    }
    rules_table(frame, l.table, app, theme);
    if app.table.show_details && l.detail.height > 0 {
        detail_pane(frame, l.detail, app, theme);
    }
    frame.render_widget(
        Paragraph::new(status_lines(app, theme, area.width)),
        l.status,
    );
    frame.render_widget(
        Paragraph::new(footer(app, theme, Context::Main, area.width, |_| true)),
        l.footer,
    );
}

fn header_line(app: &App, theme: Theme, width: u16) -> Line<'static> {
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
            if app.unpublished_new {
                "new file".to_owned()
            } else {
                "file".to_owned()
            },
        ),
        None => (String::new(), String::new(), String::new()),
    };
    let (errors, warnings) = app.counts();
    let sep = || Span::styled(theme.sep(), theme.dim());
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
                "{} {} un{}",
                theme.glyph("●", "*"),
                app.change_count(),
                app.verb_ed()
            ),
            theme.warning().add_modifier(Modifier::BOLD),
        ));
    } else {
        spans.push(Span::styled(app.verb_ed(), theme.dim()));
    }
    if app.read_only.is_some() {
        spans.push(sep());
        spans.push(Span::styled(
            "READ-ONLY",
            theme.error().add_modifier(Modifier::BOLD),
        ));
    }
    if app.drafts_off.is_some() {
        spans.push(sep());
        spans.push(Span::styled("no drafts", theme.error()));
    } else if app.draft_failure.is_some() {
        spans.push(sep());
        spans.push(Span::styled(
            "DRAFT NOT SAVED",
            theme.error().add_modifier(Modifier::BOLD),
        ));
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
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = usize::from(width).saturating_sub(used + 3);
    let dns = match app.dns.header() {
        Some((long, p)) if long.chars().count() <= room => Some((long, p)),
        _ => app.dns.header_short(),
    };
    if let Some((dns, problem)) = dns {
        spans.push(sep());
        spans.push(Span::styled(
            theme.text(&dns),
            if problem {
                theme.warning()
            } else {
                theme.dim()
            },
        ));
    }
    Line::from(spans)
}

fn banner_text(app: &App, theme: Theme, width: u16) -> Text<'static> {
    let style = match app.banner() {
        Some(Banner::NewConfig) => theme.accent(),
        _ => theme.error(),
    };
    Text::from(
        app.banner_lines(width)
            .into_iter()
            .map(|l| Line::from(Span::styled(l, style)))
            .collect::<Vec<_>>(),
    )
}

/// The filter line (if any), then the message (wrapped), or the selected rule's first problem,
/// or where the keys are.
fn status_lines(app: &App, theme: Theme, width: u16) -> Text<'static> {
    let mut lines = Vec::new();
    if app.table.filter_active() {
        let hint = if app.table.filtering {
            format!(
                "{}  ({} keeps it, {} clears)",
                theme.glyph("▏", "_"),
                key_label(app, theme, Context::Filter, Command::KeepFilter),
                key_label(app, theme, Context::Filter, Command::ClearFilter),
            )
        } else {
            format!(
                "  ({} changes it, {} clears)",
                key_label(app, theme, Context::Main, Command::Filter),
                key_label(app, theme, Context::Main, Command::ClearFilter),
            )
        };
        lines.push(Line::from(vec![
            Span::styled("filter: ", theme.key()),
            Span::raw(inert(&app.table.filter).into_owned()),
            Span::raw(hint),
        ]));
    }
    let message = app.message_lines(width);
    if let Some(s) = &app.messages.current {
        let style = if s.error {
            theme.error()
        } else {
            Style::default()
        };
        for l in message {
            lines.push(Line::from(Span::styled(theme.text(&l), style)));
        }
    } else if let Some(problem) = selected_rule_problem(app, theme) {
        lines.push(problem);
    } else if !app.table.filter_active() {
        lines.push(Line::from(Span::styled(
            format!(
                "{} shows every key",
                key_label(app, theme, Context::Main, Command::Help)
            ),
            theme.dim(),
        )));
    }
    Text::from(lines)
}

/// With the detail pane hidden, the selected rule's first problem goes in the status line.
fn selected_rule_problem(app: &App, theme: Theme) -> Option<Line<'static>> {
    if app.table.show_details {
        return None;
    }
    let i = app.current_rule()?;
    let mut problems = app.checks.of_rule(i);
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
                format!(
                    " (+{more} more, {} shows all)",
                    key_label(app, theme, Context::Main, Command::Details)
                )
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
    let rules = app.draft.rules();
    let visible = app.table.shown(rules);
    let rows_fit = usize::from(area.height.saturating_sub(3)).max(1);
    let pos = visible.position(app.table.selected).unwrap_or(0);
    // The app keeps the offset (it scrolls only when the selection would leave the window);
    // clamp it here too in case this window is smaller than the app thinks.
    let mut offset = app.table.offset.min(visible.len().saturating_sub(1));
    if pos < offset {
        offset = pos;
    } else if pos >= offset + rows_fit {
        offset = pos + 1 - rows_fit;
    }
    let last = rules.len().saturating_sub(1);
    let (err_mark, warn_mark, ok_mark) = theme.marks();
    // Widths: the number column fits the largest rule number; the text columns share the rest.
    let digits = rules.len().max(1).to_string().len().max(3);
    let num_w = digits + 2;
    let inner = usize::from(area.width.saturating_sub(2));
    // The DNS column (remote tunnels): each hostname's record state.
    let dns_w = if app.is_file() { 0 } else { DNS_WIDTH };
    let rest = inner.saturating_sub(num_w + 3 + 7 + 5 + dns_w + usize::from(dns_w > 0));
    // The DNS column's room comes mostly from the service: hostnames stay readable.
    let host_w = rest * if dns_w > 0 { 38 } else { 34 } / 86;
    let path_w = rest * 18 / 86;
    let service_w = rest.saturating_sub(host_w + path_w);
    let current = app.current_rule();
    let rows: Vec<Row<'_>> = (offset..offset + rows_fit)
        .map_while(|pos| visible.get(pos))
        .map(|i| {
            let r = &rules[i];
            let host = r.hostname.as_str();
            let host_cell = if r.is_catch_all() && i == last {
                "(catch-all)".to_owned()
            } else if host.is_empty() || host == "*" {
                "* (any host)".to_owned()
            } else {
                truncate_start(&inert(host), host_w, theme.ascii)
            };
            let mut opts = String::new();
            if r.overrides().is_some_and(|o| !o.is_empty()) {
                opts.push('O');
            }
            if crate::config::effective::access_enforced(r) {
                opts.push('A');
            }
            let (e, w) = app.checks.rule_counts.get(i).copied().unwrap_or((0, 0));
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
            let change = app.row_change(i).map_or(' ', |c| c.mark());
            let number = if current == Some(i) {
                Cell::from(format!(
                    "{}{:>digits$}{change}",
                    theme.glyph("▶", ">"),
                    i + 1
                ))
                .style(theme.selected())
            } else {
                Cell::from(format!(" {:>digits$}{change}", i + 1))
            };
            let mut cells = vec![
                number,
                Cell::from(host_cell),
                Cell::from(truncate_end(&inert(r.path.as_str()), path_w, theme.ascii)),
                Cell::from(truncate_end(
                    &inert(r.service.as_str()),
                    service_w,
                    theme.ascii,
                )),
                Cell::from(opts),
            ];
            if dns_w > 0 {
                cells.push(Cell::from(dns_cell(app, i, theme)));
            }
            cells.push(Cell::from(status));
            Row::new(cells).style(style)
        })
        .collect();
    let mut names = vec![
        format!("{:>w$}", "#", w = digits + 1),
        "HOSTNAME".to_owned(),
        "PATH".to_owned(),
        "SERVICE".to_owned(),
        "OPT".to_owned(),
    ];
    let mut widths = vec![
        Constraint::Length(num_w as u16),
        Constraint::Length(host_w as u16),
        Constraint::Length(path_w as u16),
        Constraint::Length(service_w as u16),
        Constraint::Length(3),
    ];
    if dns_w > 0 {
        names.push("DNS".to_owned());
        widths.push(Constraint::Length(dns_w as u16));
    }
    names.push("STATUS".to_owned());
    widths.push(Constraint::Length(7));
    let header = Row::new(names).style(theme.key());
    let mut title = if visible.len() == rules.len() {
        format!("Ingress rules ({})", rules.len())
    } else {
        format!(
            "Ingress rules ({} of {} match the filter)",
            visible.len(),
            rules.len()
        )
    };
    if app.is_modified() {
        title.push_str(" · + added * changed ^ moved");
    }
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(theme.block(title))
            .column_spacing(1),
        area,
    );
}

/// The DNS column's width: its longest word (`conflict`, `dns-only`).
const DNS_WIDTH: usize = 8;

/// Rule `i`'s DNS cell: its hostname's record state, `…` while DNS is read, empty without a
/// hostname.
fn dns_cell(app: &App, i: usize, theme: Theme) -> Span<'static> {
    let Some(h) = app.dns_of_rule(i) else {
        let has_host = app.draft.rules().get(i).is_some_and(|r| {
            let h = r.hostname.as_str();
            !h.is_empty() && h != "*"
        });
        return if has_host && app.dns.reading {
            Span::styled(theme.glyph("…", "..."), theme.dim())
        } else {
            Span::raw("")
        };
    };
    let style = match h.state {
        State::Ok => theme.ok(),
        State::Unknown => theme.dim(),
        State::NoZone | State::Conflict => theme.error(),
        _ => theme.warning(),
    };
    Span::styled(crate::app::dns::short(h.state), style)
}

fn detail_pane(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let Some(i) = app.current_rule() else {
        frame.render_widget(
            Paragraph::new("no rule selected").block(theme.block("Details")),
            area,
        );
        return;
    };
    let rule = &app.draft.rules()[i];
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
    if let Some(dns) = app.dns_detail(i) {
        let style = match app.dns_of_rule(i).map(|h| h.state) {
            Some(State::Ok) | None => theme.dim(),
            Some(_) => theme.warning(),
        };
        lines.push(Line::from(Span::styled(theme.text(&dns), style)));
    }
    for d in app.checks.of_rule(i) {
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
    // Keys cfingress does not model: kept and written back as they are.
    let mut unknown: Vec<String> = rule
        .extra
        .iter()
        .map(|(k, v)| format!("{}={}", inert(k), crate::text::json_inert(&v.to_value())))
        .collect();
    if let Some(o) = rule.overrides() {
        unknown.extend(o.extra.iter().map(|(k, v)| {
            format!(
                "originRequest.{}={}",
                inert(k),
                crate::text::json_inert(&v.to_value())
            )
        }));
    }
    if !unknown.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("unknown keys (kept as they are): ", theme.dim()),
            Span::raw(unknown.join("  ")),
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
    let title = format!(
        "Rule #{} of {} ({}/{} scroll)",
        i + 1,
        app.draft.rules().len(),
        key_label(app, theme, Context::Main, Command::DetailsUp),
        key_label(app, theme, Context::Main, Command::DetailsDown),
    );
    // The pane scrolls no further than its last line.
    let inner_w = usize::from(area.width.saturating_sub(2)).max(1);
    let total: usize = lines
        .iter()
        .map(|l| crate::app::layout::wrap(&l.to_string(), inner_w).len())
        .sum();
    let max = total.saturating_sub(usize::from(area.height.saturating_sub(2)));
    let scroll = usize::from(app.table.detail_scroll).min(max) as u16;
    frame.render_widget(
        Paragraph::new(Text::from(lines))
            .wrap(Wrap { trim: true })
            .scroll((scroll, 0))
            .block(theme.block(title)),
        area,
    );
}
