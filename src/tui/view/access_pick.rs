//! The list of Access applications covering the rule's hostname.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Theme, body_and_footer, footer, window};
use crate::app::App;
use crate::app::keys::Context;
use crate::app::overlays::access_pick::AccessPick;
use crate::text::inert;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, pick: &AccessPick, theme: Theme) {
    let h = (pick.choices.len() as u16 + 5).min(area.height.saturating_sub(2));
    let inner = window(
        frame,
        area,
        theme,
        (area.width.saturating_sub(4).min(110), h),
        format!("Access applications covering {}", inert(&pick.hostname)),
    );
    if inner.height < 2 {
        return;
    }
    let (body, foot) = body_and_footer(inner);
    let mut lines = vec![Line::from(Span::styled(
        match &pick.team {
            Some(team) => format!(
                "fills audTag with the application's tag and teamName with \"{}\"",
                inert(team)
            ),
            None => {
                "fills audTag (teamName unchanged: the organization could not be read)".to_owned()
            }
        },
        theme.dim(),
    ))];
    let rows = usize::from(body.height.saturating_sub(1)).max(1);
    let start = pick.selected.saturating_sub(rows - 1);
    for (i, c) in pick.choices.iter().enumerate().skip(start).take(rows) {
        let text = format!(
            "{}  {}  {}",
            inert(&c.name),
            inert(&c.domain),
            inert(&c.aud)
        );
        let style = if i == pick.selected {
            theme.selected()
        } else {
            ratatui::style::Style::default()
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    frame.render_widget(Paragraph::new(lines), body);
    frame.render_widget(
        Paragraph::new(footer(app, theme, Context::AccessPick, inner.width, |_| {
            true
        })),
        foot,
    );
}
