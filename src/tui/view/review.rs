//! The publish review: notes, rule summary, and the unified diff, scrolled.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Theme, footer, window};
use crate::app::keys::{Command, Context};
use crate::app::overlays::review::ReviewPane;
use crate::app::{App, Origin};
use crate::text::inert;

/// The style of a diff line.
pub(super) fn diff_style(l: &str, theme: Theme) -> Style {
    if l.starts_with("+++") || l.starts_with("---") {
        theme.key()
    } else if l.starts_with('+') {
        theme.ok()
    } else if l.starts_with('-') {
        theme.error()
    } else if l.starts_with("@@") {
        theme.accent()
    } else {
        Style::default()
    }
}

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, pane: &ReviewPane, theme: Theme) {
    let review = &pane.review;
    let title = match (&app.origin, review.replaces) {
        _ if review.dns_only => "Make these DNS changes? (the config is unchanged)".to_owned(),
        (Some(Origin::File { path, .. }), _) => {
            format!("Write {}?", inert(&path.display().to_string()))
        }
        (_, Some(v)) => format!("Publish? (replaces remote version {v})"),
        _ => "Publish?".to_owned(),
    };
    let inner = window(
        frame,
        area,
        theme,
        (area.width.saturating_sub(2), area.height.saturating_sub(1)),
        title,
    );
    let mut text: Vec<Line<'_>> = Vec::new();
    for n in &review.notes {
        text.push(Line::from(Span::styled(
            theme.text(&inert(n)),
            theme.warning().add_modifier(Modifier::BOLD),
        )));
    }
    for s in &review.summary {
        text.push(Line::from(inert(s).into_owned()));
    }
    if let Some(dns) = &review.dns {
        text.extend(super::review_dns::lines(app, dns, pane.dns_cursor, theme));
    }
    text.push(Line::from(Span::styled(
        theme.glyph("─", "-").repeat(usize::from(inner.width)),
        theme.dim(),
    )));
    let head = text.len();
    let room = usize::from(inner.height).saturating_sub(head + 1);
    for l in review.diff.iter().skip(pane.scroll).take(room) {
        text.push(Line::from(Span::styled(
            inert(l).into_owned(),
            diff_style(l, theme),
        )));
    }
    while text.len() < usize::from(inner.height).saturating_sub(1) {
        text.push(Line::from(""));
    }
    let has_dns = review.dns.as_ref().is_some_and(|d| !d.changes.is_empty());
    text.push(footer(app, theme, Context::Review, inner.width, |c| {
        has_dns || !matches!(c, Command::NextItem | Command::PrevItem | Command::Toggle)
    }));
    frame.render_widget(Paragraph::new(text), inner);
}
