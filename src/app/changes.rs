//! Which rows of the draft differ from the base, for the marks in the rule table (added,
//! changed, moved) before any review. Each draft row remembers the base row it came from; an
//! edit updates that in place (no pass over the whole config per keystroke), and a rule that
//! comes back (undoing a delete) finds its base row again by content.

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

use crate::config::model::{IngressRule, TunnelConfig};

use super::history::Edit;

/// How a row of the draft differs from the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowChange {
    /// Not in the base.
    Added,
    /// In the base with other content.
    Changed,
    /// In the base, unchanged, but in another order relative to the rules around it.
    Moved,
}

impl RowChange {
    /// The mark shown beside the rule number (ASCII on every terminal).
    pub fn mark(self) -> char {
        match self {
            RowChange::Added => '+',
            RowChange::Changed => '*',
            RowChange::Moved => '^',
        }
    }
}

/// A rule's hash by (hostname, path, service): a cheap key to find equal rules (equality is
/// checked after), with no copy of the strings.
fn key(r: &IngressRule) -> u64 {
    FxBuildHasher.hash_one((r.hostname.as_str(), r.path.as_str(), r.service.as_str()))
}

/// The base row of every draft row.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Per draft row: the base row it came from.
    origin: Vec<Option<usize>>,
    /// Per base row: whether a draft row came from it.
    used: Vec<bool>,
    /// Base rows by [`key`], sorted, to find a rule that comes back (16 bytes per rule).
    index: Vec<(u64, usize)>,
    /// Per draft row: whether the user moved it (it is marked while out of the base's order).
    moved: Vec<bool>,
    /// Per draft row: whether its content was set by an edit (only such a row can differ from
    /// its base row: every other row was found by content or copied).
    edited: Vec<bool>,
}

impl Changes {
    /// The draft equals the base (a load, a publish): every row is its own origin.
    pub fn reset(&mut self, base: &TunnelConfig) {
        let n = base.rules().len();
        self.origin = (0..n).map(Some).collect();
        self.used = vec![true; n];
        self.index.clear();
        self.index
            .extend(base.rules().iter().enumerate().map(|(i, r)| (key(r), i)));
        self.index.sort_unstable();
        self.moved = vec![false; n];
        self.edited = vec![false; n];
    }

    /// The draft was replaced (a restore, a rebase): finds each row's base row by content, and
    /// marks as moved the rows outside the longest run that keeps the base's order.
    ///
    /// A row with no equal base row is paired the way the review's summary
    /// ([`crate::config::diff::summarize`]) pairs rules, so the marks and the count agree with it:
    /// a rule changed in place is one changed row, not an added row and a deleted one.
    pub fn rebuild(&mut self, base: &TunnelConfig, draft: &TunnelConfig) {
        self.reset(base);
        self.used = vec![false; base.rules().len()];
        self.origin = draft
            .rules()
            .iter()
            .enumerate()
            .map(|(i, r)| self.claim(base, r, i))
            .collect();
        self.edited = vec![false; self.origin.len()];
        self.pair_changed(base, draft);
        self.moved = out_of_order(&self.origin);
    }

    /// Pairs the draft rows that have no equal base row with the unused base rows, as the
    /// summary does: the first with the same hostname and path; else the one at the same
    /// position with the same service or hostname. Such rows are marked edited (their content
    /// differs). Costs a pass over the unpaired rows only.
    fn pair_changed(&mut self, base: &TunnelConfig, draft: &TunnelConfig) {
        let (o, n) = (base.rules(), draft.rules());
        let unpaired: Vec<usize> = (0..n.len()).filter(|&j| self.origin[j].is_none()).collect();
        if unpaired.is_empty() {
            return;
        }
        let mut free: std::collections::HashMap<(&str, &str), std::collections::VecDeque<usize>> =
            std::collections::HashMap::new();
        for (k, r) in o.iter().enumerate() {
            if !self.used[k] {
                free.entry((r.hostname.as_str(), r.path.as_str()))
                    .or_default()
                    .push_back(k);
            }
        }
        let mut left = Vec::new();
        for j in unpaired {
            let r = &n[j];
            let found = free
                .get_mut(&(r.hostname.as_str(), r.path.as_str()))
                .and_then(|ks| ks.pop_front());
            match found {
                Some(k) => {
                    self.used[k] = true;
                    self.origin[j] = Some(k);
                    self.edited[j] = true;
                }
                None => left.push(j),
            }
        }
        for j in left {
            let same = o.get(j).is_some_and(|b| {
                !self.used[j] && (b.service == n[j].service || b.hostname == n[j].hostname)
            });
            if same {
                self.used[j] = true;
                self.origin[j] = Some(j);
                self.edited[j] = true;
            }
        }
    }

    /// The unused base row equal to `rule` nearest to `near`, marked used.
    fn claim(&mut self, base: &TunnelConfig, rule: &IngressRule, near: usize) -> Option<usize> {
        let h = key(rule);
        let start = self.index.partition_point(|&(x, _)| x < h);
        let found = self.index[start..]
            .iter()
            .take_while(|&&(x, _)| x == h)
            .map(|&(_, k)| k)
            .filter(|&k| !self.used.get(k).copied().unwrap_or(true))
            .filter(|&k| base.rules().get(k) == Some(rule))
            .min_by_key(|&k| k.abs_diff(near))?;
        self.used[found] = true;
        Some(found)
    }

    /// Follows an edit just applied to the draft (now `draft`).
    pub fn after_edit(&mut self, edit: &Edit, base: &TunnelConfig, draft: &TunnelConfig) {
        match edit {
            Edit::Insert { index, rule, .. } if *index <= self.origin.len() => {
                let origin = self.claim(base, rule, *index);
                self.origin.insert(*index, origin);
                self.moved.insert(*index, false);
                self.edited.insert(*index, false);
            }
            Edit::Delete { index, .. } if *index < self.origin.len() => {
                let freed = self.origin.remove(*index);
                if let Some(k) = freed
                    && let Some(u) = self.used.get_mut(k)
                {
                    *u = false;
                }
                self.moved.remove(*index);
                self.edited.remove(*index);
                if let Some(k) = freed {
                    self.adopt(base, draft, k);
                }
            }
            Edit::Move { from, to, .. } if *from < self.origin.len() && *to < self.origin.len() => {
                let o = self.origin.remove(*from);
                self.origin.insert(*to, o);
                self.moved.remove(*from);
                self.moved.insert(*to, true);
                let e = self.edited.remove(*from);
                self.edited.insert(*to, e);
            }
            Edit::SetRule { index, .. } if *index < self.edited.len() => {
                self.edited[*index] = true;
            }
            Edit::SetGlobal { .. } | Edit::SetWarp { .. } => {}
            // A whole replacement, or an edit that did not fit the rows as known: find every
            // row's base row again by content.
            _ => self.rebuild(base, draft),
        }
    }

    /// Base row `k` was freed (its draft row deleted): a draft row equal to it that came from
    /// no base row (a copy, say) comes from it now, so duplicating a rule and deleting the
    /// original is no change. Marked moved, so it shows as moved if it is out of order.
    fn adopt(&mut self, base: &TunnelConfig, draft: &TunnelConfig, k: usize) {
        let Some(freed) = base.rules().get(k) else {
            return;
        };
        let found = self
            .origin
            .iter()
            .enumerate()
            .filter(|(_, o)| o.is_none())
            .map(|(j, _)| j)
            .filter(|&j| draft.rules().get(j) == Some(freed))
            .min_by_key(|&j| j.abs_diff(k));
        if let Some(j) = found {
            self.origin[j] = Some(k);
            self.used[k] = true;
            self.moved[j] = true;
        }
    }

    /// How many rules differ from the base: added, changed, moved (out of the base's order)
    /// and deleted. Settings outside the rules are not counted here. Linear in the rules but
    /// compares content only for rows an edit set, so it costs little even for large configs.
    pub fn count(&self, base: &TunnelConfig, draft: &TunnelConfig) -> usize {
        let rules = draft.rules();
        let mut n = 0;
        for (i, rule) in rules.iter().enumerate() {
            let differs = match self.origin.get(i).copied().flatten() {
                None => true,
                Some(k) if self.edited.get(i).copied().unwrap_or(true) => {
                    base.rules().get(k) != Some(rule)
                        || self.moved.get(i).copied().unwrap_or(false) && !self.in_order(i, k)
                }
                Some(k) => self.moved.get(i).copied().unwrap_or(false) && !self.in_order(i, k),
            };
            n += usize::from(differs);
        }
        n + self.used.iter().filter(|u| !**u).count()
    }

    /// Whether row `i` (with base row `k`) sits between its neighbours' base rows.
    fn in_order(&self, i: usize, k: usize) -> bool {
        let before = self.origin[..i].iter().rev().find_map(|o| *o);
        let after = self.origin[i + 1..].iter().find_map(|o| *o);
        before.is_none_or(|b| b < k) && after.is_none_or(|a| a > k)
    }

    /// How draft row `i` differs from the base, if it does.
    pub fn of(&self, i: usize, base: &TunnelConfig, draft: &TunnelConfig) -> Option<RowChange> {
        let rule = draft.rules().get(i)?;
        match self.origin.get(i).copied().flatten() {
            None => Some(RowChange::Added),
            Some(k) if base.rules().get(k) != Some(rule) => Some(RowChange::Changed),
            Some(k) if self.moved.get(i).copied().unwrap_or(false) && !self.in_order(i, k) => {
                Some(RowChange::Moved)
            }
            Some(_) => None,
        }
    }
}

/// The rows outside the longest run of `origin` that keeps the base's order (patience sorting,
/// O(n log n)); rows without an origin are not moved.
fn out_of_order(origin: &[Option<usize>]) -> Vec<bool> {
    let rows: Vec<(usize, usize)> = origin
        .iter()
        .enumerate()
        .filter_map(|(i, o)| o.map(|k| (i, k)))
        .collect();
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; rows.len()];
    for (r, &(_, k)) in rows.iter().enumerate() {
        let pos = tails.partition_point(|&t| rows[t].1 < k);
        prev[r] = pos.checked_sub(1).map(|p| tails[p]);
        if pos == tails.len() {
            tails.push(r);
        } else {
            tails[pos] = r;
        }
    }
    let mut moved: Vec<bool> = origin.iter().map(Option::is_some).collect();
    let mut cur = tails.last().copied();
    while let Some(r) = cur {
        moved[rows[r].0] = false;
        cur = prev[r];
    }
    moved
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    fn cfg(hosts: &[&str]) -> TunnelConfig {
        let rules: Vec<String> = hosts
            .iter()
            .map(|h| format!(r#"{{"hostname":"{h}","service":"http://x"}}"#))
            .collect();
        parse_json_str(&format!(
            r#"{{"ingress":[{},{{"service":"http_status:404"}}]}}"#,
            rules.join(",")
        ))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn marks(c: &Changes, base: &TunnelConfig, draft: &TunnelConfig) -> String {
        (0..draft.rules().len())
            .map(|i| c.of(i, base, draft).map_or('.', RowChange::mark))
            .collect()
    }

    fn apply(c: &mut Changes, base: &TunnelConfig, draft: &mut TunnelConfig, e: Edit) {
        assert!(e.apply(draft));
        c.after_edit(&e, base, draft);
    }

    #[test]
    fn edits_mark_rows_and_undo_unmarks_them() {
        let base = cfg(&["a", "b", "c", "d"]);
        let mut draft = base.clone();
        let mut c = Changes::default();
        c.reset(&base);
        assert_eq!(marks(&c, &base, &draft), ".....");
        let rule = |d: &TunnelConfig, i: usize| Box::new(d.rules()[i].clone());
        // Move c above a: only c is marked moved.
        let mv = Edit::Move {
            from: 2,
            to: 0,
            rule: rule(&draft, 2),
        };
        apply(&mut c, &base, &mut draft, mv.clone());
        assert_eq!(marks(&c, &base, &draft), "^....");
        // Add one, change another.
        let ins = Edit::Insert {
            index: 1,
            rule: Box::new(cfg(&["new"]).rules()[0].clone()),
            verb: "add",
        };
        apply(&mut c, &base, &mut draft, ins.clone());
        let mut changed = draft.rules()[3].clone();
        changed.service = crate::config::Setting::Set("http://y".to_owned());
        let set = Edit::SetRule {
            index: 3,
            before: rule(&draft, 3),
            after: Box::new(changed),
        };
        apply(&mut c, &base, &mut draft, set.clone());
        assert_eq!(marks(&c, &base, &draft), "^+.*..");
        assert_eq!(c.count(&base, &draft), 3);
        // Undo everything: no marks.
        for e in [set, ins, mv] {
            apply(&mut c, &base, &mut draft, e.inverse());
        }
        assert_eq!(draft, base);
        assert_eq!(marks(&c, &base, &draft), ".....");
        assert_eq!(c.count(&base, &draft), 0);
        // A deleted rule restored finds its place again.
        let del = Edit::Delete {
            index: 1,
            rule: rule(&draft, 1),
        };
        apply(&mut c, &base, &mut draft, del.clone());
        assert_eq!(marks(&c, &base, &draft), "....");
        assert_eq!(c.count(&base, &draft), 1, "a deleted rule counts");
        apply(&mut c, &base, &mut draft, del.inverse());
        assert_eq!(marks(&c, &base, &draft), ".....");
        // Rebuilding from contents gives the same marks.
        let mut other = base.clone();
        other.rules_mut().swap(0, 3);
        c.rebuild(&base, &other);
        assert_eq!(marks(&c, &base, &other), "^..^.");
    }

    #[test]
    fn duplicating_a_rule_then_deleting_the_original_is_no_change() {
        let base = cfg(&["a", "b", "c"]);
        let mut draft = base.clone();
        let mut c = Changes::default();
        c.reset(&base);
        let copy = Edit::Insert {
            index: 1,
            rule: Box::new(draft.rules()[0].clone()),
            verb: "duplicate",
        };
        apply(&mut c, &base, &mut draft, copy);
        assert_eq!(marks(&c, &base, &draft), ".+...");
        let original = Edit::Delete {
            index: 0,
            rule: Box::new(draft.rules()[0].clone()),
        };
        apply(&mut c, &base, &mut draft, original);
        assert_eq!(marks(&c, &base, &draft), "....");
        assert_eq!(c.count(&base, &draft), 0);
        // The copy moved below b, then the original deleted: the copy is moved, one change.
        let mut draft = base.clone();
        c.reset(&base);
        let copy = Edit::Insert {
            index: 2,
            rule: Box::new(draft.rules()[0].clone()),
            verb: "duplicate",
        };
        apply(&mut c, &base, &mut draft, copy);
        let original = Edit::Delete {
            index: 0,
            rule: Box::new(draft.rules()[0].clone()),
        };
        apply(&mut c, &base, &mut draft, original);
        assert_eq!(marks(&c, &base, &draft), ".^..", "b a c: a is out of order");
        assert_eq!(c.count(&base, &draft), 1);
    }

    #[test]
    fn edits_that_cancel_out_count_as_no_change() {
        let base = cfg(&["a", "b", "c"]);
        let mut draft = base.clone();
        let mut c = Changes::default();
        c.reset(&base);
        let rule = |d: &TunnelConfig, i: usize| Box::new(d.rules()[i].clone());
        // Down and back up.
        let down = Edit::Move {
            from: 0,
            to: 1,
            rule: rule(&draft, 0),
        };
        apply(&mut c, &base, &mut draft, down);
        assert_eq!(c.count(&base, &draft), 1);
        let up = Edit::Move {
            from: 1,
            to: 0,
            rule: rule(&draft, 1),
        };
        apply(&mut c, &base, &mut draft, up);
        assert_eq!(c.count(&base, &draft), 0);
        // A rule changed, then changed back by hand (not by undo).
        let mut changed = draft.rules()[1].clone();
        changed.service = crate::config::Setting::Set("http://elsewhere".to_owned());
        let there = Edit::SetRule {
            index: 1,
            before: rule(&draft, 1),
            after: Box::new(changed),
        };
        apply(&mut c, &base, &mut draft, there);
        assert_eq!(c.count(&base, &draft), 1);
        let back = Edit::SetRule {
            index: 1,
            before: rule(&draft, 1),
            after: rule(&base, 1),
        };
        apply(&mut c, &base, &mut draft, back);
        assert_eq!(c.count(&base, &draft), 0);
        // Deleted, then the same rule added again where it was.
        let del = Edit::Delete {
            index: 2,
            rule: rule(&draft, 2),
        };
        apply(&mut c, &base, &mut draft, del);
        let again = Edit::Insert {
            index: 2,
            rule: rule(&base, 2),
            verb: "add",
        };
        apply(&mut c, &base, &mut draft, again);
        assert_eq!(c.count(&base, &draft), 0);
        assert_eq!(draft, base);
        // A whole replacement is followed too.
        let mut other = base.clone();
        other.rules_mut().remove(0);
        let replace = Edit::Replace {
            before: Box::new(draft.clone()),
            after: Box::new(other),
            what: "load".into(),
            rebase: None,
        };
        apply(&mut c, &base, &mut draft, replace);
        assert_eq!(c.count(&base, &draft), 1);
    }

    /// After a whole replacement (a rebase, a restored draft, a version loaded from the
    /// history) a rule changed in place is one changed row, as the review's summary has it.
    #[test]
    fn a_replaced_draft_marks_rules_changed_in_place_as_the_summary_does() {
        let base = cfg(&["a", "b", "c"]);
        let mut c = Changes::default();
        c.reset(&base);
        let mut draft = base.clone();
        // b's service changed; c's hostname changed (same service, same place); d added.
        draft.rules_mut()[1].service = crate::config::Setting::Set("http://y".to_owned());
        draft.rules_mut()[2].hostname = cfg(&["c2"]).rules()[0].hostname.clone();
        let d = cfg(&["d"]).rules()[0].clone();
        draft.rules_mut().insert(3, d);
        c.rebuild(&base, &draft);
        assert_eq!(marks(&c, &base, &draft), ".**+.");
        let summary = crate::config::diff::summarize(&base, &draft);
        assert_eq!(
            c.count(&base, &draft),
            summary.rules.len(),
            "{:?}",
            summary.lines()
        );
        assert_eq!(c.count(&base, &draft), 3);
    }
}
