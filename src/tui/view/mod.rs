//! Drawing the editor: pure functions of the state. Every text from a config, the server or a file
//! goes through [`inert`](crate::text::inert) so it cannot act on the terminal. One file per
//! screen and per overlay; `draw_overlay` below is where an overlay's drawing is registered.

mod access_pick;
mod alert;
mod confirm;
mod conflict;
mod form;
mod help;
mod history;
mod locked;
mod log;
mod main_screen;
mod picker;
mod progress;
mod rebase;
mod recover;
mod review;
mod review_dns;
mod rollout;
mod status;
mod tester;
mod theme;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::keys::{Command, Context};
use crate::app::{App, Mode, Overlay};
use crate::text::inert;
pub use theme::Theme;
use theme::{footer, message_box};

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App, theme: Theme) {
    let area = frame.area();
    if area.width < 20 || area.height < 5 {
        frame.render_widget(
            Paragraph::new("cfingress: window too small").wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    match &app.mode {
        Mode::Loading { what, since } => {
            let mut line = inert(what).into_owned();
            if let (Some(since), Some(now)) = (since, &app.now) {
                line.push_str(&format!(
                    " {}",
                    crate::time::elapsed(*since, now.timestamp())
                ));
            }
            message_box(
                frame,
                area,
                theme,
                "cfingress",
                &[line],
                footer(app, theme, Context::Loading, area.width, |_| true),
            );
        }
        Mode::Failed(msg) => message_box(
            frame,
            area,
            theme,
            "cannot open",
            &[inert(msg).into_owned()],
            footer(app, theme, Context::Failed, area.width, |_| true),
        ),
        Mode::PickAccount(p) => picker::draw(frame, area, app, theme, "Choose an account", p),
        Mode::PickTunnel(p) => picker::draw(frame, area, app, theme, "Choose a tunnel", p),
        Mode::Editing => main_screen::draw(frame, area, app, theme),
    }
    if let Some(overlay) = &app.overlay {
        draw_overlay(frame, area, app, overlay, theme);
    }
}

/// Each overlay's drawing (one arm per overlay).
fn draw_overlay(frame: &mut Frame<'_>, area: Rect, app: &App, overlay: &Overlay, theme: Theme) {
    match overlay {
        Overlay::Help(h) => help::draw(frame, area, app, h, theme),
        Overlay::Form(form) => form::draw(frame, area, app, form, theme),
        Overlay::Tester(t) => tester::draw(frame, area, app, t, theme),
        Overlay::Confirm(c) => confirm::draw(frame, area, app, c, theme),
        Overlay::Conflict(c) => conflict::draw(frame, area, app, c, theme),
        Overlay::Review(r) => review::draw(frame, area, app, r, theme),
        Overlay::Progress(p) => progress::draw(frame, area, app, p, theme),
        Overlay::Recover(r) => recover::draw(frame, area, app, r, theme),
        Overlay::Log(l) => log::draw(frame, area, app, l, theme),
        Overlay::Rebase(r) => rebase::draw(frame, area, app, r, theme),
        Overlay::Alert(a) => alert::draw(frame, area, app, a, theme),
        Overlay::History(h) => history::draw(frame, area, app, h, theme),
        Overlay::Locked(l) => locked::draw(frame, area, app, l, theme),
        Overlay::Rollout(_) => rollout::draw(frame, area, app, theme),
        Overlay::Status(s) => status::draw(frame, area, app, s, theme),
        Overlay::AccessPick(a) => access_pick::draw(frame, area, app, a, theme),
    }
}

/// The screen rows holding the rule table's rows (inside its border, under its heading), when
/// the main screen is shown with nothing over it: the rows a scroll of the table moves.
pub fn table_rows(area: Rect, app: &App) -> Option<std::ops::Range<u16>> {
    if !matches!(app.mode, Mode::Editing)
        || app.overlay.is_some()
        || area.width < 20
        || area.height < 5
    {
        return None;
    }
    app.layout(area).table_body()
}

/// The label of a command's first key in a context.
fn key_label(app: &App, theme: Theme, context: Context, command: Command) -> String {
    app.keymap.label(context, command, theme.ascii)
}
