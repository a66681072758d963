//! The message log: every message of the session in full, wrapped, newest last.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Theme, body_and_footer, footer, window};
use crate::app::App;
use crate::app::keys::Context;
use crate::app::layout::wrap_hanging;
use crate::app::overlays::log::Log;
use crate::text::inert;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, log: &Log, theme: Theme) {
    let inner = window(
        frame,
        area,
        theme,
        (area.width.saturating_sub(2), area.height.saturating_sub(1)),
        format!("Messages of this session ({})", app.messages.log.len()),
    );
    if inner.height < 2 {
        return;
    }
    let (body, foot) = body_and_footer(inner);
    let w = usize::from(inner.width).max(10);
    let mut lines: Vec<Line<'_>> = Vec::new();
    for m in &app.messages.log {
        let when = match (&m.at, &app.now) {
            (Some(at), Some(now)) => at
                .to_zoned_datetime(now.time_zone().clone())
                .strftime("%H:%M:%S ")
                .to_string(),
            _ => String::new(),
        };
        let style = if m.status.error {
            theme.error()
        } else {
            Style::default()
        };
        let text = format!("{when}{}", theme.text(&inert(&m.status.text)));
        for l in wrap_hanging(&text, w, 2) {
            lines.push(Line::from(Span::styled(l, style)));
        }
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled("(no messages yet)", theme.dim())));
    }
    let body_h = usize::from(body.height);
    let back = log.back.min(lines.len().saturating_sub(body_h));
    let start = lines.len().saturating_sub(body_h + back);
    let shown: Vec<Line<'_>> = lines.into_iter().skip(start).take(body_h).collect();
    frame.render_widget(Paragraph::new(shown), body);
    frame.render_widget(
        Paragraph::new(footer(app, theme, Context::Messages, inner.width, |_| true)),
        foot,
    );
}
