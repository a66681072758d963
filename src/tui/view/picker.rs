//! The account and tunnel pickers.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::key_label;
use super::theme::{Theme, footer};
use crate::app::keys::{Command, Context};
use crate::app::layout::{fit_columns, truncate_end, width};
use crate::app::{App, Picker};
use crate::text::inert;

pub(super) fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    theme: Theme,
    title: &str,
    p: &Picker,
) {
    let note_h = u16::from(p.note.is_some());
    let [top, note, list, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(note_h),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let filter = if p.filtering || !p.filter.is_empty() {
        format!(
            "filter: {}{}",
            inert(&p.filter),
            if p.filtering {
                format!(
                    "{}  ({} keeps it, {} clears)",
                    theme.glyph("▏", "_"),
                    key_label(app, theme, Context::Filter, Command::KeepFilter),
                    key_label(app, theme, Context::Filter, Command::ClearFilter)
                )
            } else {
                String::new()
            }
        )
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(format!("cfingress{}{title}  ", theme.sep()), theme.accent()),
            Span::raw(filter),
        ])),
        top,
    );
    if let Some(n) = &p.note {
        frame.render_widget(
            Paragraph::new(Span::styled(theme.text(&inert(n)), theme.warning())),
            note,
        );
    }
    let visible = p.visible();
    let widths = column_widths(p, usize::from(list.width.saturating_sub(2)));
    let rows: Vec<Row<'_>> = visible
        .iter()
        .enumerate()
        .map(|(pos, &i)| {
            let style = if pos == p.selected {
                theme.selected()
            } else {
                Style::default()
            };
            Row::new(
                p.items[i]
                    .1
                    .iter()
                    .zip(&widths)
                    .map(|(c, &w)| Cell::from(truncate_end(&inert(c), w, theme.ascii))),
            )
            .style(style)
        })
        .collect();
    let widths: Vec<Constraint> = widths
        .iter()
        .map(|&w| Constraint::Length(u16::try_from(w).unwrap_or(u16::MAX)))
        .collect();
    let header = Row::new(p.headings.iter().map(|h| Cell::from(*h))).style(theme.key());
    let empty = if visible.is_empty() {
        " (nothing matches) "
    } else {
        ""
    };
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(theme.block(format!("{title}{empty}"))),
        list,
    );
    frame.render_widget(
        Paragraph::new(footer(app, theme, Context::Picker, area.width, |_| true)),
        foot,
    );
}

/// The picker's column widths in `avail` cells: every column as wide as its widest cell when
/// they fit; else the id gives way first (to its first 8 characters and a mark, enough to tell
/// tunnels apart), then CONFIG and the name, and HEALTH last: it is what the admin chooses by.
fn column_widths(p: &Picker, avail: usize) -> Vec<usize> {
    let natural: Vec<usize> = p
        .headings
        .iter()
        .enumerate()
        .map(|(col, h)| {
            p.items
                .iter()
                .filter_map(|(_, cells)| cells.get(col))
                .map(|c| width(&inert(c)))
                .fold(width(h), usize::max)
        })
        .collect();
    let min: Vec<usize> = p
        .headings
        .iter()
        .enumerate()
        .map(|(col, h)| match (col, *h) {
            (1, _) => 9,
            (_, "HEALTH") => 24,
            _ => width(h).max(8),
        })
        .collect();
    // A column is at least its minimum wide when there is room, so HEALTH does not jump as the
    // tunnels' health arrives.
    let natural: Vec<usize> = natural.iter().zip(&min).map(|(&n, &m)| n.max(m)).collect();
    let health = p.headings.iter().position(|h| *h == "HEALTH");
    let mut order: Vec<usize> = vec![1];
    order.extend(
        (0..p.headings.len())
            .rev()
            .filter(|&c| c != 1 && Some(c) != health),
    );
    order.extend(health);
    fit_columns(&natural, &min, &order, avail)
}
