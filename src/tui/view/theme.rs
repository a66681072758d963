//! Colours and glyphs, and the small widgets every screen shares: a block, a footer of keys,
//! a centred box.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

use crate::app::App;
use crate::app::keys::{Command, Context, fit_footer};
use crate::app::layout::{truncate_end, wrap};

/// Colours and glyphs.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// Use colours (off with `NO_COLOR`).
    pub color: bool,
    /// ASCII only: borders, marks and every symbol of the program's own.
    pub ascii: bool,
}

impl Theme {
    pub(super) fn fg(self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }
    pub(super) fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub(super) fn warning(self) -> Style {
        if self.color {
            Style::default().fg(Color::Yellow)
        } else {
            Style::default().add_modifier(Modifier::UNDERLINED)
        }
    }
    pub(super) fn ok(self) -> Style {
        self.fg(Color::Green)
    }
    pub(super) fn dim(self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }
    pub(super) fn accent(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub(super) fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    pub(super) fn key(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub(super) fn block(self, title: impl Into<String>) -> Block<'static> {
        let b = Block::default().borders(Borders::ALL).title(Span::styled(
            format!(" {} ", self.text(&title.into())),
            self.key(),
        ));
        if self.ascii {
            b.border_set(ratatui::symbols::border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            })
        } else {
            b.border_type(BorderType::Rounded)
        }
    }
    /// The status marks: error, warning, ok.
    pub(super) fn marks(self) -> (&'static str, &'static str, &'static str) {
        if self.ascii {
            ("x err", "! warn", "ok")
        } else {
            ("✗ err", "! warn", "✓ ok")
        }
    }
    /// The separator between header items.
    pub(super) fn sep(self) -> &'static str {
        if self.ascii { " | " } else { " · " }
    }
    /// A glyph: the Unicode one, or its ASCII stand-in.
    pub(super) fn glyph(self, unicode: &'static str, ascii: &'static str) -> &'static str {
        if self.ascii { ascii } else { unicode }
    }
    /// The program's own text with its symbols in ASCII when asked (`…` `→` `·` `─`).
    pub(super) fn text(self, s: &str) -> String {
        if !self.ascii || s.is_ascii() {
            return s.to_owned();
        }
        s.replace('…', "...")
            .replace('→', "->")
            .replace('·', "|")
            .replace('─', "-")
            .replace('▏', "_")
    }
}

/// A line of keys: `k label  k label`.
pub(super) fn keys_line(theme: Theme, items: &[(String, String)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (k, what) in items {
        spans.push(Span::styled(k.clone(), theme.key()));
        spans.push(Span::raw(format!(" {}  ", theme.text(what))));
    }
    Line::from(spans)
}

/// A context's footer, from the key tables, fitted to `width`.
pub(super) fn footer(
    app: &App,
    theme: Theme,
    context: Context,
    width: u16,
    show: impl Fn(Command) -> bool,
) -> Line<'static> {
    let items = app.keymap.footer(context, theme.ascii, app.is_file(), show);
    keys_line(theme, &fit_footer(&items, usize::from(width)))
}

/// A rectangle of at most `w`×`h` centred in `area`.
pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// A window of at most `w`×`h` centred in `area`, over what is under it, with `title`; its
/// inside (body) and, when `footer`, its last inside line apart (for the keys).
pub(super) fn window(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: Theme,
    (w, h): (u16, u16),
    title: impl Into<String>,
) -> Rect {
    let rect = centered(area, w, h);
    // A window that nearly fills the screen leaves a column or a row of the screen under it on
    // its sides, which read as stray characters (`f╭`, `?╰`): those are cleared too.
    let mut cleared = rect;
    if rect.width + 2 >= area.width {
        cleared.x = area.x;
        cleared.width = area.width;
    }
    if rect.height + 2 >= area.height && cleared.width == area.width {
        cleared.y = area.y;
        cleared.height = area.height;
    }
    frame.render_widget(Clear, cleared);
    let block = theme.block(title);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

/// `inner` split into its body and its last line.
pub(super) fn body_and_footer(inner: Rect) -> (Rect, Rect) {
    let body_h = inner.height.saturating_sub(1);
    (
        Rect {
            height: body_h,
            ..inner
        },
        Rect {
            y: inner.y + body_h,
            height: inner.height.min(1),
            ..inner
        },
    )
}

/// A box with `message` wrapped and, always on its last line, `keys` (it never scrolls off:
/// the message is cut first).
pub(super) fn message_box(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: Theme,
    title: &str,
    message: &[String],
    keys: Line<'static>,
) {
    let longest = message
        .iter()
        .map(|l| l.chars().count())
        .chain(std::iter::once(keys.width()))
        .max()
        .unwrap_or(20);
    let w = (longest.clamp(30, 100) as u16 + 4).min(area.width);
    let inner_w = usize::from(w.saturating_sub(2)).max(1);
    let mut lines: Vec<String> = message
        .iter()
        .flat_map(|m| wrap(&theme.text(m), inner_w))
        .collect();
    let room = usize::from(area.height.saturating_sub(4)).max(1);
    if lines.len() > room {
        lines.truncate(room);
        if let Some(last) = lines.last_mut() {
            *last = truncate_end(&format!("{last} …"), inner_w, theme.ascii);
        }
    }
    let mut text: Vec<Line<'_>> = lines.into_iter().map(Line::from).collect();
    text.push(Line::from(""));
    text.push(keys);
    let rect = centered(area, w, text.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(text).block(theme.block(title)), rect);
}
