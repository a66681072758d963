//! A draft from an earlier session: when it was saved, what it is based on, and its diff.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::review::diff_style;
use super::theme::{Theme, centered, footer};
use crate::app::App;
use crate::app::keys::{Command, Context};
use crate::app::overlays::recover::Recover;
use crate::text::inert;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, r: &Recover, theme: Theme) {
    let rect = centered(
        area,
        area.width.saturating_sub(4).min(110),
        area.height.saturating_sub(2),
    );
    frame.render_widget(Clear, rect);
    let saved = &r.saved;
    let when = match &app.now {
        Some(now) => crate::time::ago_text(&saved.saved_at, now),
        None => inert(&saved.saved_at).into_owned(),
    };
    let mut text: Vec<Line<'_>> = vec![
        Line::from(Span::styled(
            format!(
                "Un{} edits from an earlier session were saved.",
                app.verb_ed()
            ),
            theme.key(),
        )),
        Line::from(format!(
            "saved {when}{}{} edit(s)",
            theme.sep(),
            saved.edits.len()
        )),
    ];
    match (saved.base_version, r.current_version) {
        (Some(was), Some(now)) if was != now => text.push(Line::from(Span::styled(
            format!("they were based on version {was}; the remote is now at version {now} (publishing will offer to rebase)"),
            theme.warning(),
        ))),
        (Some(was), _) => text.push(Line::from(format!("based on version {was}, which is still the remote version"))),
        _ => {}
    }
    text.push(Line::from(""));
    let viewing = r.viewing.is_some();
    if let Some(lines) = &r.viewing {
        let room = usize::from(rect.height).saturating_sub(text.len() + 4);
        for l in lines.iter().skip(r.scroll).take(room) {
            text.push(Line::from(Span::styled(
                inert(l).into_owned(),
                diff_style(l, theme),
            )));
        }
    }
    text.push(footer(
        app,
        theme,
        Context::Recover,
        rect.width.saturating_sub(2),
        |c| match c {
            Command::ViewDiff => !viewing,
            Command::Down | Command::Up | Command::Close => viewing,
            _ => true,
        },
    ));
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: false })
            .block(theme.block("Restore your draft?")),
        rect,
    );
}
