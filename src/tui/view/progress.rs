//! A wait, with the time waited so far and how to cancel it (when it still can be).

use ratatui::Frame;
use ratatui::layout::Rect;

use super::theme::{Theme, footer, message_box};
use crate::app::App;
use crate::app::keys::{Command, Context};
use crate::app::overlays::progress::Progress;
use crate::text::inert;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, p: &Progress, theme: Theme) {
    let mut line = inert(&p.what).into_owned();
    if let (Some(since), Some(now)) = (p.since, &app.now) {
        line.push_str(&format!(
            " {}",
            crate::time::elapsed(since, now.timestamp())
        ));
    }
    let cancellable = p.cancellable();
    let keys = footer(app, theme, Context::Progress, area.width, |c| {
        c != Command::Cancel || cancellable
    });
    message_box(frame, area, theme, "working", &[line], keys);
}
