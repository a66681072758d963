//! The main screen's layout, computed once for the app (a page of the table, what a scroll
//! moves) and the view (where to draw): header, banner, rule table, detail pane, status area,
//! footer. Also the text fitting both use: wrapping and truncation by display width.

use ratatui::layout::Rect;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The main screen's parts, top to bottom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MainLayout {
    /// One line: tunnel, account, version, counts.
    pub header: Rect,
    /// One or two lines when something needs fixing first (no rules, no catch-all, a new
    /// config).
    pub banner: Rect,
    /// The rule table, with its border and heading.
    pub table: Rect,
    /// The detail pane (height 0 when hidden).
    pub detail: Rect,
    /// The filter and the message (or the selected rule's first problem).
    pub status: Rect,
    /// The keys.
    pub footer: Rect,
}

impl MainLayout {
    /// Splits `area` (heights in rows: `banner`, `detail`, `status` at least 1).
    pub fn new(area: Rect, banner: u16, detail: u16, status: u16) -> Self {
        let mut y = area.y;
        let mut take = |h: u16| {
            let r = Rect {
                x: area.x,
                y,
                width: area.width,
                height: h,
            };
            y = y.saturating_add(h);
            r
        };
        // The table keeps three rows when it can; the detail pane, then the banner give way.
        let status = status.min(area.height.saturating_sub(2));
        let avail = area.height.saturating_sub(1 + status + 1);
        let extra = avail - 3.min(avail);
        let detail = detail.min(extra);
        let banner = banner.min(extra - detail);
        let table_h = avail - detail - banner;
        MainLayout {
            header: take(1),
            banner: take(banner),
            table: take(table_h),
            detail: take(detail),
            status: take(status),
            footer: take(1),
        }
    }

    /// How many rules the table shows at once (inside its border, under its heading).
    pub fn table_rows(&self) -> usize {
        usize::from(self.table.height.saturating_sub(3)).max(1)
    }

    /// The screen rows holding the table's rules (what a scroll of the table moves).
    pub fn table_body(&self) -> Option<std::ops::Range<u16>> {
        let top = self.table.y + 2;
        let bottom = (self.table.y + self.table.height).saturating_sub(1);
        (top < bottom).then_some(top..bottom)
    }
}

/// The display width of `s` in terminal cells.
pub fn width(s: &str) -> usize {
    s.width()
}

/// `s` wrapped to lines of at most `max` cells, breaking at spaces where it can.
pub fn wrap(s: &str, max: usize) -> Vec<String> {
    wrap_hanging(s, max, 0)
}

/// [`wrap`] with a hanging indent: every line after a paragraph's first starts with `indent`
/// spaces and still fits in `max` cells, so nothing is cut where the line is drawn.
pub fn wrap_hanging(s: &str, max: usize, indent: usize) -> Vec<String> {
    let max = max.max(1);
    let indent = indent.min(max - 1);
    let mut lines = Vec::new();
    for para in s.split('\n') {
        let first = lines.len();
        // The room on the line being filled: all of it on a paragraph's first line.
        let room = |lines: &Vec<String>| {
            if lines.len() == first {
                max
            } else {
                max - indent
            }
        };
        let mut line = String::new();
        let mut line_w = 0;
        for word in para.split_inclusive(' ') {
            let w = word.width();
            let fits = line_w + word.trim_end().width() <= room(&lines);
            if !fits && !line.is_empty() {
                lines.push(line.trim_end().to_owned());
                line = String::new();
                line_w = 0;
            }
            if word.trim_end().width() > room(&lines) {
                // A word longer than a line: cut it by cells.
                for c in word.chars() {
                    let cw = c.width().unwrap_or(0);
                    if c == ' ' && line_w + cw > room(&lines) {
                        continue;
                    }
                    if line_w + cw > room(&lines) && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        line_w = 0;
                    }
                    line.push(c);
                    line_w += cw;
                }
            } else {
                line.push_str(word);
                line_w += w;
            }
        }
        lines.push(line.trim_end().to_owned());
        let pad = " ".repeat(indent);
        for l in lines.iter_mut().skip(first + 1) {
            l.insert_str(0, &pad);
        }
    }
    lines
}

/// Column widths that fit `avail` cells (one cell between columns): each column gets its
/// `natural` width when all fit; otherwise the columns in `shrink` (first to give way first)
/// are narrowed, each down to its `min`, then below it when that is still too wide (to one
/// cell at least). Columns not in `shrink` keep their natural width.
pub fn fit_columns(natural: &[usize], min: &[usize], shrink: &[usize], avail: usize) -> Vec<usize> {
    let mut widths = natural.to_vec();
    let gaps = widths.len().saturating_sub(1);
    let mut excess = (widths.iter().sum::<usize>() + gaps).saturating_sub(avail);
    for floor in [Some(min), None] {
        for &i in shrink {
            if excess == 0 {
                return widths;
            }
            let Some(w) = widths.get_mut(i) else {
                continue;
            };
            let lowest = floor
                .and_then(|m| m.get(i).copied())
                .unwrap_or(1)
                .clamp(1, (*w).max(1));
            let give = excess.min(w.saturating_sub(lowest));
            *w -= give;
            excess -= give;
        }
    }
    widths
}

/// `s` cut to `max` cells, ending with `…` (`~` in ASCII mode) when cut.
pub fn truncate_end(s: &str, max: usize, ascii: bool) -> String {
    if s.width() <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push(if ascii { '~' } else { '…' });
    out
}

/// `s` cut to `max` cells keeping its end, starting with `…` (`~` in ASCII mode) when cut: for
/// hostnames, whose end identifies them.
pub fn truncate_start(s: &str, max: usize, ascii: bool) -> String {
    if s.width() <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let mut tail: Vec<char> = Vec::new();
    let mut w = 0;
    for c in s.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        tail.push(c);
        w += cw;
    }
    let mut out = String::from(if ascii { '~' } else { '…' });
    out.extend(tail.into_iter().rev());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_gets_what_is_left() {
        let l = MainLayout::new(Rect::new(0, 0, 80, 24), 0, 0, 1);
        assert_eq!((l.header.y, l.table.y, l.table.height), (0, 1, 21));
        assert_eq!((l.status.y, l.footer.y), (22, 23));
        assert_eq!(l.table_rows(), 18);
        assert_eq!(l.table_body(), Some(3..21));
        let l = MainLayout::new(Rect::new(0, 0, 80, 24), 1, 8, 3);
        assert_eq!(l.banner.height, 1);
        assert_eq!(l.table.height, 24 - 1 - 1 - 8 - 3 - 1);
        // Too small: the table keeps three rows.
        let l = MainLayout::new(Rect::new(0, 0, 80, 8), 1, 12, 1);
        assert_eq!(l.table.height, 3);
        assert_eq!(l.footer.y + 1, 8);
    }

    #[test]
    fn columns_give_way_in_order() {
        // TUNNEL, ID, HEALTH, CONFIG: all fit at 120 columns.
        let natural = [10, 36, 40, 10];
        let min = [8, 9, 8, 6];
        let order = [1, 3, 0, 2];
        assert_eq!(fit_columns(&natural, &min, &order, 120), natural);
        // At 76 the id gives way first, down to its first characters, and HEALTH keeps its room.
        assert_eq!(fit_columns(&natural, &min, &order, 76), [10, 13, 40, 10]);
        assert_eq!(fit_columns(&natural, &min, &order, 70), [10, 9, 40, 8]);
        // Then the rest, HEALTH last.
        assert_eq!(fit_columns(&natural, &min, &order, 60), [8, 9, 34, 6]);
        // Below every minimum, still within the width and never zero.
        let tiny = fit_columns(&natural, &min, &order, 10);
        assert!(
            tiny.iter().sum::<usize>() + 3 <= 10 || tiny.iter().all(|&w| w == 1),
            "{tiny:?}"
        );
        assert!(tiny.iter().all(|&w| w >= 1));
    }

    #[test]
    fn wrapping_and_truncation_by_cells() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), vec![""]);
        // Continuation lines are indented and still fit: nothing is lost at the break.
        let text = "12:00:00 still on 1 after 1m 0s (s: the tunnel's status)";
        for max in [10, 21, 23, 80] {
            let lines = wrap_hanging(text, max, 2);
            assert!(lines.iter().all(|l| l.width() <= max), "{max}: {lines:?}");
            let joined: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
            let words: Vec<&str> = text.split_whitespace().collect();
            assert_eq!(joined.concat(), words.concat(), "{max}: {lines:?}");
        }
        assert_eq!(
            wrap_hanging("one two three four", 9, 2),
            vec!["one two", "  three", "  four"]
        );
        // Wide and multi-byte text is measured in cells, and a long word is cut, not dropped.
        let wide = "é日本語のテキスト ümlaut-ärger-öde (code 10000)); add it";
        for max in [6, 7, 12] {
            let lines = wrap_hanging(wide, max, 2);
            assert!(lines.iter().all(|l| l.width() <= max), "{max}: {lines:?}");
            let kept: String = lines.iter().flat_map(|l| l.split_whitespace()).collect();
            assert_eq!(kept, wide.split_whitespace().collect::<String>(), "{max}");
        }
        assert_eq!(wrap_hanging("a\nb", 9, 2), vec!["a", "b"]);
        assert_eq!(truncate_end("legacy.example.com", 10, false), "legacy.ex…");
        assert_eq!(
            truncate_start("legacy.example.com", 10, false),
            "…ample.com"
        );
        assert_eq!(truncate_start("legacy.example.com", 10, true), "~ample.com");
        assert_eq!(truncate_end("short", 10, false), "short");
        assert_eq!(truncate_end("日本語のテキスト", 7, false), "日本語…");
    }
}
