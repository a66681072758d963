//! The account and tunnel pickers.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::key_label;
use super::theme::{Theme, footer};
use crate::app::keys::{Command, Context};
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
                    .map(|c| Cell::from(inert(c).into_owned())),
            )
            .style(style)
        })
        .collect();
    let widths: Vec<Constraint> = p
        .headings
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if i == 1 {
                Constraint::Length(38)
            } else if *h == "HEALTH" {
                // `healthy · 3 conn · 1 old · 1 unsupported` should fit when there is room.
                Constraint::Fill(2)
            } else {
                Constraint::Fill(1)
            }
        })
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
