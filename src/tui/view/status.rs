//! The status view of the current tunnel (what `cfingress status` prints), with the last
//! rollout on top; and the scrolled, marked list of lines it shares with the rollout panel.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Theme, body_and_footer, footer, window};
use crate::app::App;
use crate::app::keys::Context;
use crate::app::layout::wrap_hanging;
use crate::app::overlays::status::StatusView;
use crate::rollout::cloudflared::Month;
use crate::text::inert;

pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, view: &StatusView, theme: Theme) {
    let title = match &app.origin {
        Some(crate::app::Origin::Remote { tunnel_name, .. }) => {
            format!("Status of {}", inert(tunnel_name))
        }
        _ => "Status".to_owned(),
    };
    let inner = window(
        frame,
        area,
        theme,
        (
            area.width.saturating_sub(2).min(120),
            area.height.saturating_sub(1),
        ),
        title,
    );
    if inner.height < 2 {
        return;
    }
    let (body, foot) = body_and_footer(inner);
    let mut lines: Vec<String> = Vec::new();
    if let Some(w) = &app.rollout {
        lines.push(w.headline());
        lines.push(String::new());
    }
    match &view.status {
        None => lines.push("reading the tunnel's status…".to_owned()),
        Some(Err(e)) => lines.push(format!("cannot read the status: {}", inert(e))),
        Some(Ok(s)) => lines.extend(s.lines(month(app))),
    }
    marked_lines(frame, body, theme, &lines, view.scroll);
    frame.render_widget(
        Paragraph::new(footer(app, theme, Context::Status, inner.width, |_| true)),
        foot,
    );
}

/// The month for the cloudflared support rule: the app's clock when known.
fn month(app: &App) -> Month {
    match &app.now {
        Some(now) => Month {
            year: i32::from(now.year()),
            month: u8::try_from(now.month()).unwrap_or(1),
        },
        None => Month::now(),
    }
}

/// `lines` wrapped to `area`, from line `scroll` on; a line's first mark sets its colour
/// (`✓` current, `…`/`!` behind or flagged, `-` disconnected). The lines are already inert.
pub(super) fn marked_lines(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: Theme,
    lines: &[String],
    scroll: usize,
) {
    let w = usize::from(area.width).max(10);
    let mut out: Vec<Line<'_>> = Vec::new();
    for l in lines {
        let (style, text) = if let Some(rest) = l.strip_prefix("✓ ") {
            (theme.ok(), format!("{} {rest}", theme.glyph("✓", "+")))
        } else if l.starts_with("… ") || l.starts_with("! ") || l.starts_with("    ") {
            (theme.warning(), l.clone())
        } else if l.starts_with("- ") {
            (theme.dim(), l.clone())
        } else {
            (ratatui::style::Style::default(), l.clone())
        };
        for part in wrap_hanging(&theme.text(&text), w, 2) {
            out.push(Line::from(Span::styled(part, style)));
        }
    }
    let h = usize::from(area.height);
    let scroll = scroll.min(out.len().saturating_sub(h));
    let shown: Vec<Line<'_>> = out.into_iter().skip(scroll).take(h).collect();
    frame.render_widget(Paragraph::new(shown), area);
}
