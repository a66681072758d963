//! The rollout panel: a strip at the bottom of the screen (the rule table stays in sight) with
//! the rollout's headline and one line per connector.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Clear, Paragraph};

use super::status::marked_lines;
use super::theme::{Theme, body_and_footer, footer};
use crate::app::App;
use crate::app::keys::Context;
use crate::rollout::Phase;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, theme: Theme) {
    let Some(watch) = &app.rollout else { return };
    let mut lines = vec![watch.headline()];
    lines.extend(watch.lines());
    // Above the main screen's status area (the publish's message stays in sight) and its keys,
    // at most half the screen.
    let bottom = app.layout(area).status.y.max(area.y);
    let room = bottom.saturating_sub(area.y);
    let inner_w = usize::from(area.width.saturating_sub(2)).max(10);
    let wrapped: usize = lines
        .iter()
        .map(|l| crate::app::layout::wrap(l, inner_w).len().max(1))
        .sum();
    let h = u16::try_from(wrapped + 3)
        .unwrap_or(u16::MAX)
        .min(area.height / 2)
        .max(4)
        .min(room);
    let rect = Rect {
        x: area.x,
        y: bottom.saturating_sub(h),
        width: area.width,
        height: h,
    };
    frame.render_widget(Clear, rect);
    let title = match watch.phase() {
        _ if watch.error.is_some() => "Rollout: failed",
        None | Some(Phase::Waiting) => "Rollout: polling the connectors",
        Some(Phase::Done) => "Rollout: done",
        Some(Phase::NoConnectors) => "Rollout: no connectors",
        Some(Phase::TimedOut) => "Rollout: timed out",
    };
    let block = theme.block(title);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    if inner.height < 2 {
        return;
    }
    let (body, foot) = body_and_footer(inner);
    marked_lines(frame, body, theme, &lines, 0);
    let mut keys = footer(app, theme, Context::Rollout, inner.width, |_| true);
    keys.spans.push(ratatui::text::Span::styled(
        "other keys act on the rules",
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(keys), foot);
}
