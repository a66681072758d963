//! The URL tester at the bottom of the screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::form::input_line;
use super::theme::{Theme, footer};
use crate::app::App;
use crate::app::keys::Context;
use crate::app::overlays::tester::Tester;
use crate::text::inert;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, t: &Tester, theme: Theme) {
    let h = 6u16;
    let rect = Rect {
        x: area.x,
        y: area.y + area.height.saturating_sub(h + 1),
        width: area.width,
        height: h.min(area.height),
    };
    frame.render_widget(Clear, rect);
    let block = theme.block("Test a URL: type it, see which rule serves it");
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if inner.height == 0 {
        return;
    }
    let [line, res, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(input_line(&t.input, usize::from(line.width), theme)),
        line,
    );
    let text: Text<'_> = match &t.result {
        None => Line::from(Span::styled(
            "e.g. https://app.example.com/login",
            theme.dim(),
        ))
        .into(),
        Some(Ok(tested)) => {
            let mut lines = vec![Line::from(vec![
                Span::styled(
                    format!("{} rule #{} ", theme.glyph("→", "->"), tested.rule + 1),
                    theme.ok().add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!(
                    "{}  serves it: {}",
                    app.rule_label(tested.rule),
                    inert(
                        app.draft
                            .rules()
                            .get(tested.rule)
                            .map(|r| r.service.as_str())
                            .unwrap_or("")
                    )
                )),
            ])];
            if !tested.notes.is_empty() {
                lines.push(Line::from(Span::styled(
                    format!("({})", tested.notes.join("; ")),
                    theme.dim(),
                )));
            }
            Text::from(lines)
        }
        Some(Err(e)) => Line::from(Span::styled(inert(e).into_owned(), theme.error())).into(),
    };
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), res);
    frame.render_widget(
        Paragraph::new(footer(app, theme, Context::Tester, foot.width, |_| true)),
        foot,
    );
}
