//! Settling a rebase: each rule (or setting) both sides changed, their change and mine, and
//! which one is kept.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Theme, footer, window};
use crate::app::App;
use crate::app::keys::Context;
use crate::app::layout::wrap;
use crate::app::overlays::rebase::RebasePane;
use crate::text::inert;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, pane: &RebasePane, theme: Theme) {
    let r = &pane.rebased;
    let version = pane.remote.version.map_or_else(
        || "the file as it is now".to_owned(),
        |v| format!("version {v}"),
    );
    let inner = window(
        frame,
        area,
        theme,
        (area.width.saturating_sub(2), area.height.saturating_sub(1)),
        format!("Rebase onto {version}"),
    );
    let w = usize::from(inner.width).max(10);
    let mut head: Vec<Line<'_>> = wrap(
        &format!(
            "{} edit(s) replayed as made; {} conflict(s): both sides changed the same rule. Keep theirs or mine for each.",
            r.replayed,
            r.conflicts.len()
        ),
        w,
    )
    .into_iter()
    .map(Line::from)
    .collect();
    for n in &r.notes {
        head.push(Line::from(Span::styled(theme.text(&inert(n)), theme.dim())));
    }
    let mut body: Vec<(usize, Line<'_>)> = Vec::new();
    for (i, c) in r.conflicts.iter().enumerate() {
        let selected = i == pane.selected;
        let marker = if selected {
            theme.glyph("▶ ", "> ")
        } else {
            "  "
        };
        body.push((
            i,
            Line::from(vec![
                Span::styled(
                    format!("{marker}{}", theme.text(&inert(&c.label))),
                    if selected {
                        theme.key().add_modifier(Modifier::BOLD)
                    } else {
                        theme.key()
                    },
                ),
                Span::raw("  keeping: "),
                Span::styled(
                    if c.keep_mine { "MINE" } else { "THEIRS" },
                    theme.warning().add_modifier(Modifier::BOLD),
                ),
            ]),
        ));
        let side = |who: &str, lines: &[String], kept: bool| {
            lines
                .iter()
                .enumerate()
                .map(|(k, l)| {
                    let lead = if k == 0 {
                        format!("    {who:<8}")
                    } else {
                        " ".repeat(12)
                    };
                    Line::from(Span::styled(
                        format!("{lead}{}", theme.text(&inert(l))),
                        if kept { theme.ok() } else { theme.dim() },
                    ))
                })
                .collect::<Vec<_>>()
        };
        body.extend(
            side("theirs:", &c.theirs, !c.keep_mine)
                .into_iter()
                .map(|l| (i, l)),
        );
        body.extend(
            side("mine:", &c.mine, c.keep_mine)
                .into_iter()
                .map(|l| (i, l)),
        );
    }
    let room = usize::from(inner.height).saturating_sub(head.len() + 2);
    // Scroll so the selected conflict's first line shows.
    let first = body
        .iter()
        .position(|(i, _)| *i == pane.selected)
        .unwrap_or(0);
    let skip = first.saturating_sub(room.saturating_sub(4).min(first));
    let skip = if first < room { 0 } else { skip };
    let mut text = head;
    text.push(Line::from(""));
    text.extend(body.into_iter().skip(skip).take(room).map(|(_, l)| l));
    while text.len() < usize::from(inner.height).saturating_sub(1) {
        text.push(Line::from(""));
    }
    text.push(footer(app, theme, Context::Rebase, inner.width, |_| true));
    frame.render_widget(Paragraph::new(text), inner);
}
