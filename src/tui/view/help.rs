//! The key help, drawn from the binding tables: as wide as the terminal (two columns when
//! there is room), scrolled, saying how to close it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Theme, body_and_footer, footer, window};
use crate::app::App;
use crate::app::keys::{Command, Context};
use crate::app::layout::truncate_end;
use crate::app::overlays::help::{Help, HelpLine, lines};

fn render(l: &HelpLine, key_w: usize, w: usize, theme: Theme) -> Line<'static> {
    match l {
        HelpLine::Heading(t) => Line::from(Span::styled(theme.text(t), theme.accent())),
        HelpLine::Key(k, what) => Line::from(vec![
            Span::styled(format!("  {k:<key_w$} "), theme.key()),
            Span::raw(truncate_end(
                &theme.text(what),
                w.saturating_sub(key_w + 3),
                theme.ascii,
            )),
        ]),
        HelpLine::Blank => Line::from(""),
    }
}

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, help: &Help, theme: Theme) {
    let inner = window(
        frame,
        area,
        theme,
        (area.width.saturating_sub(2), area.height.saturating_sub(2)),
        format!(
            "Keys ({} closes, {}/{} scroll)",
            super::key_label(app, theme, Context::Help, Command::Close),
            super::key_label(app, theme, Context::Help, Command::Down),
            super::key_label(app, theme, Context::Help, Command::Up),
        ),
    );
    if inner.height < 2 {
        return;
    }
    let (body, foot) = body_and_footer(inner);
    let all = lines(&app.keymap, theme.ascii, app.is_file());
    let key_w = all
        .iter()
        .map(|l| match l {
            HelpLine::Key(k, _) => k.chars().count(),
            _ => 0,
        })
        .max()
        .unwrap_or(10)
        .min(24);
    let body_h = usize::from(body.height);
    // Two columns when both fit 70 cells: the list is split at a section boundary.
    let columns = if inner.width >= 150 { 2 } else { 1 };
    let col_w = usize::from(inner.width) / columns;
    let per_col = all.len().div_ceil(columns);
    let mut cols: Vec<Vec<&HelpLine>> = Vec::new();
    let mut rest: &[HelpLine] = &all;
    for c in 0..columns {
        if c + 1 == columns {
            cols.push(rest.iter().collect());
            break;
        }
        let mut cut = per_col.min(rest.len());
        while cut < rest.len() && !matches!(rest[cut], HelpLine::Blank) {
            cut += 1;
        }
        cols.push(rest[..cut].iter().collect());
        rest = rest.get(cut + 1..).unwrap_or(&[]);
    }
    let tallest = cols.iter().map(Vec::len).max().unwrap_or(0);
    let scroll = help.scroll.min(tallest.saturating_sub(body_h));
    for (c, col) in cols.iter().enumerate() {
        let text: Vec<Line<'_>> = col
            .iter()
            .skip(scroll)
            .take(body_h)
            .map(|l| render(l, key_w, col_w, theme))
            .collect();
        let x = inner.x + (c * col_w) as u16;
        frame.render_widget(
            Paragraph::new(text),
            Rect {
                x,
                y: inner.y,
                width: col_w as u16,
                height: body_h as u16,
            },
        );
    }
    frame.render_widget(
        Paragraph::new(footer(app, theme, Context::Help, inner.width, |_| true)),
        foot,
    );
}
