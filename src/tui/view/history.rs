//! The publish history: the journal's entries, newest first, the selected one's summary below.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Theme, body_and_footer, footer, window};
use crate::app::App;
use crate::app::keys::Context;
use crate::app::layout::wrap;
use crate::app::overlays::history::{HistoryItem, HistoryPane};
use crate::text::inert;

fn when(app: &App, item: &HistoryItem) -> String {
    match (&app.now, item.time.parse::<jiff::Timestamp>()) {
        (Some(now), Ok(t)) => t
            .to_zoned_datetime(now.time_zone().clone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        _ => inert(&item.time).into_owned(),
    }
}

fn versions(item: &HistoryItem) -> String {
    let v = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| format!("v{v}"));
    if item.from_version.is_none() && item.to_version.is_none() {
        "saved".to_owned()
    } else {
        format!("{} → {}", v(item.from_version), v(item.to_version))
    }
}

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, pane: &HistoryPane, theme: Theme) {
    let inner = window(
        frame,
        area,
        theme,
        (area.width.saturating_sub(2), area.height.saturating_sub(1)),
        "Publish history (this machine's journal, newest first)",
    );
    if inner.height < 3 {
        return;
    }
    let (body, foot) = body_and_footer(inner);
    let w = usize::from(body.width).max(10);
    let mut lines: Vec<Line<'_>> = Vec::new();
    match (&pane.items, &pane.error) {
        (_, Some(e)) => {
            for l in wrap(&theme.text(&inert(e)), w) {
                lines.push(Line::from(Span::styled(l, theme.error())));
            }
        }
        (None, None) => lines.push(Line::from(Span::styled(
            "reading the journal…",
            theme.dim(),
        ))),
        (Some(items), None) if items.is_empty() => lines.push(Line::from(Span::styled(
            format!(
                "nothing {} from this machine yet: every publish is journaled here",
                app.verb_ed()
            ),
            theme.dim(),
        ))),
        (Some(items), None) => {
            let list_h = (usize::from(body.height) / 2).max(3);
            let selected = pane.selected.min(items.len().saturating_sub(1));
            let start = selected.saturating_sub(list_h.saturating_sub(1));
            for (i, item) in items.iter().enumerate().skip(start).take(list_h) {
                let mark = if i == selected {
                    theme.glyph("▶ ", "> ")
                } else {
                    "  "
                };
                let text = format!(
                    "{mark}{:<16}  {:<14}  {:<24}  {}{}",
                    when(app, item),
                    versions(item),
                    theme.text(&inert(&item.who)),
                    theme.text(&inert(&item.via)),
                    if item.notes.is_empty() { "" } else { "  (!)" }
                );
                let style = if i == selected {
                    theme.key().add_modifier(Modifier::BOLD)
                } else {
                    Style::default()
                };
                let text: String = text.chars().take(w).collect();
                lines.push(Line::from(Span::styled(text, style)));
            }
            lines.push(Line::from(Span::styled(
                theme.glyph("─", "-").repeat(w),
                theme.dim(),
            )));
            if let Some(item) = items.get(selected) {
                for n in &item.notes {
                    for l in wrap(&theme.text(&inert(n)), w) {
                        lines.push(Line::from(Span::styled(
                            l,
                            theme.warning().add_modifier(Modifier::BOLD),
                        )));
                    }
                }
                // A version kept as replaced (`- → v6`) has no change of its own to show.
                let replaced = item.from_version.is_none() && item.to_version.is_some();
                if item.summary.is_empty() && !replaced {
                    lines.push(Line::from(Span::styled(
                        "(no change to the rules)",
                        theme.dim(),
                    )));
                }
                for s in &item.summary {
                    lines.push(Line::from(theme.text(&inert(s))));
                }
            }
        }
    }
    let shown: Vec<Line<'_>> = lines.into_iter().take(usize::from(body.height)).collect();
    frame.render_widget(Paragraph::new(shown), body);
    frame.render_widget(
        Paragraph::new(footer(app, theme, Context::History, inner.width, |_| true)),
        foot,
    );
}
