//! A form: grouped fields, each validated as typed, with the focused field's own editing.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Theme, footer, window};
use crate::app::App;
use crate::app::forms::{FieldValue, Form};
use crate::app::keys::Context;
use crate::app::layout::{truncate_end, truncate_start, width, wrap};
use crate::app::line_input::LineInput;
use crate::text::inert;

/// A text field being edited: every character visible (control characters as escapes, see
/// [`inert`]), the cursor as a reversed cell, scrolled so the cursor stays in view.
pub(super) fn input_line(input: &LineInput, w: usize, theme: Theme) -> Line<'static> {
    let text = input.text();
    let chars: Vec<char> = text.chars().collect();
    let cursor = input.cursor().min(chars.len());
    let before: String = chars[..cursor].iter().collect();
    let at: Option<char> = chars.get(cursor).copied();
    let after: String = chars
        .get(cursor + 1..)
        .map_or(String::new(), |r| r.iter().collect());
    let at_shown = at.map_or(" ".to_owned(), |c| inert(&c.to_string()).into_owned());
    let w = w.max(2);
    let before = inert(&before);
    let room = w.saturating_sub(width(&at_shown));
    let before = if width(&before) > room {
        truncate_start(&before, room, theme.ascii)
    } else {
        before.into_owned()
    };
    let after_room = w.saturating_sub(width(&before) + width(&at_shown));
    let after = truncate_end(&inert(&after), after_room, theme.ascii);
    Line::from(vec![
        Span::raw(before),
        Span::styled(at_shown, theme.selected()),
        Span::raw(after),
    ])
}

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, form: &Form, theme: Theme) {
    let inner = window(
        frame,
        area,
        theme,
        (
            area.width.saturating_sub(2).min(120),
            area.height.saturating_sub(1),
        ),
        inert(&form.title).into_owned(),
    );
    if inner.height < 3 || inner.width < 10 {
        return;
    }
    let (message, message_style) = if form.confirm_discard {
        (
            format!(
                "Discard your changes to this form? {} = discard, any other key = keep editing",
                super::key_label(app, theme, Context::Confirm, crate::app::keys::Command::Yes)
            ),
            theme.warning().add_modifier(Modifier::BOLD),
        )
    } else if let Some(m) = &form.message {
        (inert(m).into_owned(), theme.error())
    } else if let Some(f) = form.fields.get(form.focus) {
        (format!("{}: {}", f.label, f.help), theme.dim())
    } else {
        (String::new(), Style::default())
    };
    // The message wraps to up to three lines (the body keeps one), so its end, often what to
    // do or what is missing, shows; a longer one ends with a mark and is in the log in full.
    let room = usize::from(inner.height.saturating_sub(2)).clamp(1, 3);
    let mut message_lines = wrap(&message, usize::from(inner.width));
    if message_lines.len() > room {
        message_lines.truncate(room);
        if let Some(last) = message_lines.last_mut() {
            let marked = format!("{last}{}", theme.glyph("…", "~"));
            *last = truncate_end(&marked, usize::from(inner.width), theme.ascii);
        }
    }
    let msg_h = u16::try_from(message_lines.len()).unwrap_or(1);
    let [body, msg, foot] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(msg_h),
        Constraint::Length(1),
    ])
    .areas(inner);
    // Each field takes one line, plus a line for its heading and one for its message.
    let heights: Vec<u16> = form
        .fields
        .iter()
        .map(|f| 1 + u16::from(f.group.is_some()) + u16::from(form.shows_problem(f)))
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
            (FieldValue::Text(t), true) => frame.render_widget(
                Paragraph::new(input_line(t, usize::from(value_r.width), theme)),
                value_r,
            ),
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
                    let style = if focused {
                        theme.key().add_modifier(Modifier::UNDERLINED)
                    } else {
                        ratatui::style::Style::default()
                    };
                    Span::styled(
                        truncate_end(&inert(&shown), usize::from(value_r.width), theme.ascii),
                        style,
                    )
                };
                frame.render_widget(Paragraph::new(text), value_r);
            }
        }
        if hint_w > 0 {
            frame.render_widget(
                Paragraph::new(Span::styled(
                    truncate_end(f.help, usize::from(hint_r.width), theme.ascii),
                    theme.dim(),
                )),
                hint_r,
            );
        }
        y += 1;
        if let Some(m) = f
            .error
            .as_ref()
            .map(|e| (e, theme.error()))
            .or_else(|| f.warning.as_ref().map(|w| (w, theme.warning())))
            .filter(|_| form.shows_problem(f))
        {
            if y < body.y + body.height {
                let line = format!("  {} {}", theme.glyph("↳", "->"), inert(m.0));
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        truncate_end(
                            &line,
                            usize::from(body.width.saturating_sub(2)),
                            theme.ascii,
                        ),
                        m.1,
                    )),
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
    let shown: Vec<Line<'_>> = message_lines
        .into_iter()
        .map(|l| Line::from(Span::styled(l, message_style)))
        .collect();
    frame.render_widget(Paragraph::new(shown), msg);
    frame.render_widget(
        Paragraph::new(footer(app, theme, Context::Form, foot.width, |_| true)),
        foot,
    );
}
