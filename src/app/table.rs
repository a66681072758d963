//! The rule table's state: the selection, the row filter, the scroll offset and the detail
//! pane. With a filter, the selection is always a rule the filter shows, or none: actions never
//! reach a rule the user cannot see.

use crate::config::model::IngressRule;

/// The rule table's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleTable {
    /// Selected rule (index into the rules).
    pub selected: usize,
    /// Row filter (case-insensitive text in hostname, path or service).
    pub filter: String,
    /// Typing into the filter.
    pub filtering: bool,
    /// First visible row (position among the shown rules): it scrolls only when the selection
    /// would leave the window, so a move redraws two rows, not the whole table.
    pub offset: usize,
    /// Whether the detail pane (the selected rule's problems and effective settings) is shown.
    /// Off by default: with it, every move rewrites a dozen lines, which is slow over thin SSH
    /// links.
    pub show_details: bool,
    /// Lines scrolled in the detail pane (back to 0 when the selection moves).
    pub detail_scroll: u16,
}

impl RuleTable {
    /// Whether a filter is typed or kept.
    pub fn filter_active(&self) -> bool {
        self.filtering || !self.filter.is_empty()
    }

    /// Whether the filter shows `rule`.
    pub fn shows(&self, rule: &IngressRule) -> bool {
        if self.filter.is_empty() {
            return true;
        }
        let f = self.filter.to_lowercase();
        [
            rule.hostname.as_str(),
            rule.path.as_str(),
            rule.service.as_str(),
        ]
        .iter()
        .any(|s| s.to_lowercase().contains(&f))
    }

    /// The rules shown, in order.
    pub fn visible(&self, rules: &[IngressRule]) -> Vec<usize> {
        if self.filter.is_empty() {
            return (0..rules.len()).collect();
        }
        (0..rules.len())
            .filter(|&i| self.shows(&rules[i]))
            .collect()
    }

    /// The selected rule, when it exists and the filter shows it.
    pub fn current(&self, rules: &[IngressRule]) -> Option<usize> {
        rules
            .get(self.selected)
            .filter(|r| self.shows(r))
            .map(|_| self.selected)
    }

    /// Selects `i` (the detail pane scrolls back to its top).
    pub fn select(&mut self, i: usize) {
        if i != self.selected {
            self.detail_scroll = 0;
        }
        self.selected = i;
    }

    /// Moves the selection `delta` rows among the shown rules.
    pub fn move_by(&mut self, rules: &[IngressRule], delta: isize) {
        let visible = self.visible(rules);
        if visible.is_empty() {
            return;
        }
        let pos = visible
            .iter()
            .position(|&i| i == self.selected)
            .unwrap_or(0) as isize;
        let new = (pos + delta).clamp(0, visible.len() as isize - 1) as usize;
        self.select(visible[new]);
    }

    /// After the filter changed: selects the first shown rule if the selection is hidden.
    pub fn follow_filter(&mut self, rules: &[IngressRule]) {
        if self.current(rules).is_none()
            && let Some(first) = (0..rules.len()).find(|&i| self.shows(&rules[i]))
        {
            self.select(first);
        }
        self.offset = 0;
    }

    /// Scrolls as little as possible to keep the selection among `page` rows.
    pub fn keep_visible(&mut self, rules: &[IngressRule], page: usize) {
        let visible = self.visible(rules);
        let pos = visible
            .iter()
            .position(|&i| i == self.selected)
            .unwrap_or(0);
        if pos < self.offset {
            self.offset = pos;
        } else if pos >= self.offset + page {
            self.offset = pos + 1 - page;
        }
        self.offset = self.offset.min(visible.len().saturating_sub(page));
    }

    /// Height of the detail pane in a window `height` rows tall (0 when hidden).
    pub fn detail_rows(&self, height: u16) -> u16 {
        match (self.show_details, height >= 30) {
            (false, _) => 0,
            (true, true) => 12,
            (true, false) => 8,
        }
    }
}
