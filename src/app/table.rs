//! The rule table's state: the selection, the row filter, the scroll offset and the detail
//! pane. With a filter, the selection is always a rule the filter shows, or none: actions never
//! reach a rule the user cannot see.

use crate::config::model::IngressRule;

/// The rules a table shows: all of them (no filter: nothing to allocate, even for 100 000
/// rules), or the positions the filter keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// Every rule, `0..n`.
    All(usize),
    /// The rules the filter shows, in order.
    Some(Vec<usize>),
}

impl Shown {
    /// How many rules are shown.
    pub fn len(&self) -> usize {
        match self {
            Shown::All(n) => *n,
            Shown::Some(v) => v.len(),
        }
    }

    /// Whether none is shown.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rule at position `pos` among the shown ones.
    pub fn get(&self, pos: usize) -> Option<usize> {
        match self {
            Shown::All(n) => (pos < *n).then_some(pos),
            Shown::Some(v) => v.get(pos).copied(),
        }
    }

    /// The position of rule `i` among the shown ones.
    pub fn position(&self, i: usize) -> Option<usize> {
        match self {
            Shown::All(n) => (i < *n).then_some(i),
            Shown::Some(v) => v.iter().position(|&x| x == i),
        }
    }
}

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
        match self.shown(rules) {
            Shown::All(n) => (0..n).collect(),
            Shown::Some(v) => v,
        }
    }

    /// The rules shown, without a list when all are.
    pub fn shown(&self, rules: &[IngressRule]) -> Shown {
        if self.filter.is_empty() {
            return Shown::All(rules.len());
        }
        Shown::Some(
            (0..rules.len())
                .filter(|&i| self.shows(&rules[i]))
                .collect(),
        )
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
        let shown = self.shown(rules);
        if shown.is_empty() {
            return;
        }
        let pos = shown.position(self.selected).unwrap_or(0) as isize;
        let new = (pos + delta).clamp(0, shown.len() as isize - 1) as usize;
        if let Some(i) = shown.get(new) {
            self.select(i);
        }
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
        let shown = self.shown(rules);
        let pos = shown.position(self.selected).unwrap_or(0);
        if pos < self.offset {
            self.offset = pos;
        } else if pos >= self.offset + page {
            self.offset = pos + 1 - page;
        }
        self.offset = self.offset.min(shown.len().saturating_sub(page));
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
