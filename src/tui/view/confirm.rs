//! A yes/no question.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};

use super::theme::{Theme, centered, keys_line};
use crate::app::App;
use crate::app::keys::{Command, Context};
use crate::app::layout::wrap;
use crate::app::overlays::confirm::Confirm;
use crate::text::inert;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, c: &Confirm, theme: Theme) {
    let w = area.width.saturating_sub(8).min(100);
    let inner_w = usize::from(w.saturating_sub(2)).max(1);
    let mut text: Vec<Line<'_>> = c
        .lines
        .iter()
        .flat_map(|l| wrap(&theme.text(&inert(l)), inner_w))
        .map(Line::from)
        .collect();
    text.push(keys_line(
        theme,
        &[
            (
                super::key_label(app, theme, Context::Confirm, Command::Yes),
                c.yes.to_owned(),
            ),
            ("any other key".to_owned(), c.no.to_owned()),
        ],
    ));
    let rect = centered(area, w, (text.len() as u16).saturating_add(2));
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(text).block(theme.block("Confirm")), rect);
}
