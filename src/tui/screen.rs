//! Writes frames to the terminal, sending only the cells that changed since the last frame. When
//! the rule table scrolled, the terminal itself is asked to scroll those rows (a scroll region,
//! as `less` and `vim` do), so a move that scrolls sends the row that came into view instead of
//! every row of the table: that matters over a thin SSH link.
//!
//! ratatui's own `Terminal` keeps the "what the terminal shows" buffer private, so it cannot be
//! told about a scroll; this keeps that buffer here (a `TestBackend` used as a model of the
//! terminal, which applies the same scroll and the same cells) and renders each frame off screen.

use std::io::{self, Write};
use std::ops::Range;

use ratatui::Frame;
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, TestBackend};
use ratatui::buffer::Cell;
use ratatui::layout::Rect;

/// Rows of the screen whose content moved up (`by > 0`) or down (`by < 0`) since the last frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scroll {
    /// The rows that scroll (screen rows, top inclusive, bottom exclusive).
    pub rows: Range<u16>,
    /// How many rows the content moved up (negative: down).
    pub by: i32,
}

/// What a frame showed of the rule table: its rows on screen, its first rule, its filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableView {
    /// The screen rows of the table's body.
    pub rows: Range<u16>,
    /// The position (among the visible rules) of its first row.
    pub offset: usize,
    /// The row filter.
    pub filter: String,
}

impl TableView {
    /// How the table scrolled since `before`, when the same rows show the same list.
    pub fn scroll_since(&self, before: &TableView) -> Option<Scroll> {
        if self.rows != before.rows || self.filter != before.filter {
            return None;
        }
        let (now, was) = (
            i32::try_from(self.offset).ok()?,
            i32::try_from(before.offset).ok()?,
        );
        Some(Scroll {
            rows: self.rows.clone(),
            by: now - was,
        })
    }
}

/// The terminal, as frames are written to it.
pub struct Screen<W: Write> {
    out: W,
    /// What the terminal shows now (a model of it).
    shown: TestBackend,
    /// Where frames are rendered before being compared with `shown`.
    offscreen: Terminal<TestBackend>,
    /// Whether the next frame must clear the terminal first (first frame, resize).
    clear: bool,
}

impl<W: Write> Screen<W> {
    /// A screen of `width`×`height` cells writing to `out`; the first frame clears it.
    pub fn new(out: W, width: u16, height: u16) -> io::Result<Self> {
        Ok(Screen {
            out,
            shown: TestBackend::new(width, height),
            offscreen: infallible(Terminal::new(TestBackend::new(width, height))),
            clear: true,
        })
    }

    /// Makes the next frame clear the terminal and send every cell (Ctrl-L).
    pub fn redraw_all(&mut self) {
        self.clear = true;
    }

    /// The writer (for tests).
    pub fn writer(&self) -> &W {
        &self.out
    }

    /// Draws a frame of `width`×`height` cells. `scroll` says which rows moved since the last frame,
    /// if the caller knows; a wrong hint costs bytes, never correctness (every cell that differs
    /// from what the terminal shows after the scroll is still sent).
    pub fn draw(
        &mut self,
        (width, height): (u16, u16),
        scroll: Option<Scroll>,
        render: impl FnOnce(&mut Frame<'_>),
    ) -> io::Result<()> {
        if self.shown.buffer().area != Rect::new(0, 0, width, height) {
            self.shown.resize(width, height);
            self.offscreen.backend_mut().resize(width, height);
            infallible(self.offscreen.resize(Rect::new(0, 0, width, height)));
            self.clear = true;
        }
        let mut out = CrosstermBackend::new(&mut self.out);
        if self.clear {
            out.clear_region(ClearType::All)?;
            out.hide_cursor()?;
            infallible(self.shown.clear());
            self.clear = false;
        } else if let Some(Scroll { rows, by }) = scroll {
            let n = by.unsigned_abs();
            let fits = rows.start < rows.end && rows.end <= height;
            if fits && n > 0 && n < u32::from(rows.end - rows.start) {
                let n = n as u16;
                if by > 0 {
                    out.scroll_region_up(rows.clone(), n)?;
                    infallible(self.shown.scroll_region_up(rows, n));
                } else {
                    out.scroll_region_down(rows.clone(), n)?;
                    infallible(self.shown.scroll_region_down(rows, n));
                }
            }
        }
        let frame = infallible(self.offscreen.draw(render));
        let diff = self.shown.buffer().diff(frame.buffer);
        let changes = bridged(&diff, frame.buffer);
        if !changes.is_empty() {
            out.draw(changes.iter().map(|(x, y, c)| (*x, *y, c)))?;
            // The terminal now shows the frame, every cell of it (as ratatui's own terminal
            // assumes by swapping buffers). Copying only the cells sent would keep stale text
            // beside a wide character, and a later diff would skip a cell that needs sending.
            let all = frame.buffer;
            let cells = all.content.iter().enumerate().map(|(i, c)| {
                let (x, y) = all.pos_of(i);
                (x, y, c)
            });
            infallible(self.shown.draw(cells));
        }
        Backend::flush(&mut out)
    }
}

/// The longest run of unchanged cells rewritten rather than moved over: a cursor move costs 6 to
/// 8 bytes, a cell of plain ASCII in the same colours one.
const BRIDGE: u16 = 6;

/// The changed cells, each short run of unchanged cells between two changes on a row added
/// (taken from `frame`, so the terminal shows the same either way). A message line whose words
/// change otherwise costs a cursor move per word, since the spaces between them did not change.
/// Only runs of single-byte ASCII cells in the previous change's colours are bridged, so no
/// colour change and no wide character is ever written in between.
fn bridged(diff: &[(u16, u16, &Cell)], frame: &ratatui::buffer::Buffer) -> Vec<(u16, u16, Cell)> {
    let mut out: Vec<(u16, u16, Cell)> = Vec::with_capacity(diff.len());
    for &(x, y, cell) in diff {
        if let Some((px, py, prev)) = out.last()
            && *py == y
            && prev.symbol().len() == 1
            && x > px + 1
            && x - px - 1 <= BRIDGE
        {
            let (from, prev) = (*px + 1, prev.clone());
            let same = |c: &Cell| {
                c.symbol().len() == 1
                    && c.symbol().is_ascii()
                    && c.diff_option == ratatui::buffer::CellDiffOption::None
                    && (c.fg, c.bg, c.modifier) == (prev.fg, prev.bg, prev.modifier)
            };
            let run: Option<Vec<Cell>> = (from..x)
                .map(|gx| frame.cell((gx, y)).filter(|c| same(c)).cloned())
                .collect();
            if let Some(run) = run {
                out.extend((from..x).zip(run).map(|(gx, c)| (gx, y, c)));
            }
        }
        out.push((x, y, cell.clone()));
    }
    out
}

/// The value of a `TestBackend` operation (which cannot fail).
fn infallible<T>(r: Result<T, std::convert::Infallible>) -> T {
    match r {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::widgets::Paragraph;

    /// A "table" of numbered lines between a header and a footer, starting at `offset`.
    fn page(f: &mut Frame<'_>, offset: usize, selected: usize) {
        let area = f.area();
        let mut lines = vec!["header".to_owned()];
        for i in offset..offset + usize::from(area.height) - 2 {
            let mark = if i == selected { '>' } else { ' ' };
            lines.push(format!("{mark} row {i:04} of the long list"));
        }
        lines.push(format!("footer: {selected}"));
        f.render_widget(Paragraph::new(lines.join("\n")), area);
    }

    fn screen_text(parser: &vt100::Parser) -> String {
        parser
            .screen()
            .contents()
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn expected(offset: usize, selected: usize) -> String {
        let mut t = Terminal::new(TestBackend::new(40, 12)).unwrap_or_else(|e| panic!("{e}"));
        let frame = t
            .draw(|f| page(f, offset, selected))
            .unwrap_or_else(|e| panic!("{e}"));
        let b = frame.buffer;
        (0..b.area.height)
            .map(|y| {
                (0..b.area.width)
                    .map(|x| b[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_scroll_sends_the_new_row_and_the_terminal_shows_the_same_as_a_full_redraw() {
        let mut s = Screen::new(Vec::new(), 40, 12).unwrap_or_else(|e| panic!("{e}"));
        let mut parser = vt100::Parser::new(12, 40, 0);
        let rows = 1..11;
        s.draw((40, 12), None, |f| page(f, 0, 9))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut fed = s.writer().len();
        parser.process(s.writer());
        assert_eq!(screen_text(&parser), expected(0, 9));

        // Down one: the list scrolls by one row.
        let mut state = (0usize, 9usize);
        for (offset, selected, by) in [(1, 10, 1), (2, 11, 1), (1, 1, -1), (0, 0, -1), (4, 13, 4)] {
            s.draw(
                (40, 12),
                Some(Scroll {
                    rows: rows.clone(),
                    by,
                }),
                |f| page(f, offset, selected),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let sent = &s.writer()[fed..];
            parser.process(sent);
            assert_eq!(
                screen_text(&parser),
                expected(offset, selected),
                "after scrolling from {state:?} by {by}"
            );
            if by.abs() == 1 {
                // One new row (~30 B) plus the marker, the footer and the escapes: far less than
                // the ~350 B of ten redrawn rows.
                assert!(
                    sent.len() < 160,
                    "{} bytes: {:?}",
                    sent.len(),
                    String::from_utf8_lossy(sent)
                );
            }
            fed = s.writer().len();
            state = (offset, selected);
        }
    }

    #[test]
    fn changed_words_on_a_line_are_sent_as_one_run_and_show_the_same() {
        let line = |text: &'static str| {
            move |f: &mut Frame<'_>| {
                let area = f.area();
                f.render_widget(
                    Paragraph::new(vec![
                        ratatui::text::Line::from("header"),
                        ratatui::text::Line::from(vec![
                            ratatui::text::Span::styled(
                                "#3 warning: ",
                                ratatui::style::Style::default().fg(ratatui::style::Color::Yellow),
                            ),
                            ratatui::text::Span::raw(text),
                        ]),
                        ratatui::text::Line::from("wide: 漢字 end"),
                    ]),
                    area,
                );
            }
        };
        let mut s = Screen::new(Vec::new(), 60, 4).unwrap_or_else(|e| panic!("{e}"));
        let mut parser = vt100::Parser::new(4, 60, 0);
        s.draw(
            (60, 4),
            None,
            line("noTLSVerify does nothing for the service a"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let fed = s.writer().len();
        s.draw(
            (60, 4),
            None,
            line("caPool is ignored for this origin so b"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let sent = s.writer()[fed..].to_vec();
        parser.process(s.writer());
        let shown = screen_text(&parser);
        assert_eq!(
            shown.lines().nth(1),
            Some("#3 warning: caPool is ignored for this origin so b"),
            "{shown}"
        );
        assert_eq!(shown.lines().nth(2), Some("wide: 漢字 end"));
        // One cursor move to the first change, none between the words.
        let moves = String::from_utf8_lossy(&sent).matches('H').count();
        assert!(
            moves <= 2,
            "{moves} moves: {:?}",
            String::from_utf8_lossy(&sent)
        );
    }

    #[test]
    fn text_over_a_wide_character_shows_what_the_frame_holds() {
        let text =
            |t: &'static str| move |f: &mut Frame<'_>| f.render_widget(Paragraph::new(t), f.area());
        let mut s = Screen::new(Vec::new(), 2, 1).unwrap_or_else(|e| panic!("{e}"));
        let mut parser = vt100::Parser::new(1, 2, 0);
        for (t, want) in [
            ("ab", "ab"),
            ("漢", "漢"),
            ("ab", "ab"),
            ("a", "a"),
            ("漢", "漢"),
            ("xb", "xb"),
        ] {
            s.draw((2, 1), None, text(t))
                .unwrap_or_else(|e| panic!("{e}"));
            parser.process(s.writer());
            s.out.clear();
            assert_eq!(screen_text(&parser), want, "after drawing {t:?}");
        }
    }

    #[test]
    fn a_wrong_hint_costs_bytes_not_correctness() {
        let mut s = Screen::new(Vec::new(), 40, 12).unwrap_or_else(|e| panic!("{e}"));
        let mut parser = vt100::Parser::new(12, 40, 0);
        s.draw((40, 12), None, |f| page(f, 0, 0))
            .unwrap_or_else(|e| panic!("{e}"));
        // Claims a scroll of 3 although the content moved by 1.
        s.draw((40, 12), Some(Scroll { rows: 1..11, by: 3 }), |f| {
            page(f, 1, 1)
        })
        .unwrap_or_else(|e| panic!("{e}"));
        parser.process(s.writer());
        assert_eq!(screen_text(&parser), expected(1, 1));
        // Nonsense hints (outside the screen, larger than the region) are ignored.
        s.draw((40, 12), Some(Scroll { rows: 5..50, by: 1 }), |f| {
            page(f, 2, 2)
        })
        .unwrap_or_else(|e| panic!("{e}"));
        s.draw(
            (40, 12),
            Some(Scroll {
                rows: 1..11,
                by: -10,
            }),
            |f| page(f, 3, 3),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let mut parser = vt100::Parser::new(12, 40, 0);
        parser.process(s.writer());
        assert_eq!(screen_text(&parser), expected(3, 3));
    }

    #[test]
    fn a_scroll_is_a_change_of_offset_over_the_same_rows_and_filter() {
        let view = |rows: Range<u16>, offset: usize, filter: &str| TableView {
            rows,
            offset,
            filter: filter.to_owned(),
        };
        let was = view(2..30, 10, "");
        assert_eq!(
            view(2..30, 11, "").scroll_since(&was),
            Some(Scroll { rows: 2..30, by: 1 })
        );
        assert_eq!(
            view(2..30, 7, "").scroll_since(&was),
            Some(Scroll {
                rows: 2..30,
                by: -3
            })
        );
        assert_eq!(view(2..20, 11, "").scroll_since(&was), None, "resized");
        assert_eq!(view(2..30, 0, "api").scroll_since(&was), None, "filtered");
    }

    #[test]
    fn a_resize_redraws_everything() {
        let mut s = Screen::new(Vec::new(), 40, 12).unwrap_or_else(|e| panic!("{e}"));
        s.draw((40, 12), None, |f| page(f, 0, 0))
            .unwrap_or_else(|e| panic!("{e}"));
        s.draw((30, 8), None, |f| page(f, 0, 0))
            .unwrap_or_else(|e| panic!("{e}"));
        let all = String::from_utf8_lossy(s.writer()).into_owned();
        let second = &all[all.rfind("\x1b[2J").unwrap_or(0)..];
        assert!(second.contains("footer:"), "{second:?}");
        assert!(second.contains("0005"), "{second:?}");
    }
}
