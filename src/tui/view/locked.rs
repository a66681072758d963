//! Another editor holds this tunnel or file.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};

use super::theme::{Theme, centered, footer};
use crate::app::App;
use crate::app::keys::Context;
use crate::app::layout::wrap;
use crate::app::overlays::locked::Locked;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, l: &Locked, theme: Theme) {
    let w = area.width.saturating_sub(8).min(100);
    let inner_w = usize::from(w.saturating_sub(2)).max(1);
    let what = if app.is_file() { "file" } else { "tunnel" };
    let mut text: Vec<Line<'_>> = [
        format!("Another cfingress editor has this {what} open: {}.", l.holder),
        format!(
            "View it read-only (nothing is saved or {}), or take over: the other editor's draft is kept aside, never deleted, and it is told on its next save.",
            app.verb_ed()
        ),
    ]
    .iter()
    .flat_map(|l| wrap(&theme.text(l), inner_w))
    .map(Line::from)
    .collect();
    text.push(Line::from(""));
    text.push(footer(
        app,
        theme,
        Context::Locked,
        w.saturating_sub(2),
        |_| true,
    ));
    let rect = centered(area, w, (text.len() as u16).saturating_add(2));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text).block(theme.block("Held by another editor")),
        rect,
    );
}
