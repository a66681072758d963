//! A notice that stays until closed (a publish that raced another, an altered answer).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Theme, footer, window};
use crate::app::App;
use crate::app::keys::Context;
use crate::app::layout::wrap;
use crate::app::overlays::alert::Alert;
use crate::text::inert_multiline;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, a: &Alert, theme: Theme) {
    let w = area.width.saturating_sub(6).min(110);
    let inner_w = usize::from(w.saturating_sub(2)).max(1);
    let body: Vec<String> = a
        .lines
        .iter()
        .flat_map(|l| {
            inert_multiline(l)
                .lines()
                .flat_map(|l| wrap(&theme.text(l), inner_w))
                .collect::<Vec<_>>()
        })
        .collect();
    let h = (body.len() as u16)
        .saturating_add(3)
        .min(area.height.saturating_sub(2));
    let inner = window(frame, area, theme, (w, h), a.title.clone());
    let room = usize::from(inner.height).saturating_sub(1);
    let mut text: Vec<Line<'_>> = body
        .into_iter()
        .skip(a.scroll)
        .take(room)
        .map(|l| {
            let style = if l.starts_with("WARNING") {
                theme.warning().add_modifier(Modifier::BOLD)
            } else {
                ratatui::style::Style::default()
            };
            Line::from(Span::styled(l, style))
        })
        .collect();
    while text.len() < room {
        text.push(Line::from(""));
    }
    text.push(footer(app, theme, Context::Alert, inner.width, |_| true));
    frame.render_widget(Paragraph::new(text), inner);
}
