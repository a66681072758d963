//! The remote changed: what changed there, and rebase / overwrite / cancel.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::theme::{Theme, centered, footer};
use crate::app::App;
use crate::app::keys::Context;
use crate::app::overlays::conflict::Conflict;
use crate::text::inert;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, c: &Conflict, theme: Theme) {
    let rect = centered(
        area,
        area.width.saturating_sub(6).min(110),
        area.height.saturating_sub(4),
    );
    frame.render_widget(Clear, rect);
    let mut text: Vec<Line<'_>> = c
        .lines
        .iter()
        .map(|l| Line::from(theme.text(&inert(l))))
        .collect();
    text.push(Line::from(""));
    text.push(footer(app, theme, Context::Conflict, 500, |_| true));
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(theme.block("Someone changed the config")),
        rect,
    );
}
