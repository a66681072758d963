//! Rebasing a draft onto a newer config of its source (someone published, or the file changed):
//! every edit that still applies is replayed onto their config; an edit that meets a change they
//! made to the same rule (or the same settings) becomes a [`Conflict`] that names the rule and
//! both sides, and the user keeps theirs or mine, rule by rule. Nothing of the user's work is
//! thrown away: the result replaces the draft as one undoable step, so the draft before the
//! rebase is one undo away. Pure: no terminal, no network.

use crate::config::diff::{rule_label, summarize};
use crate::config::model::{IngressRule, OriginRequest, Setting, TunnelConfig, WarpRouting};

use super::history::Edit;

/// What keeping "mine" does, on top of the rebased config.
#[derive(Debug, Clone, PartialEq)]
enum Take {
    /// Their version of the rule (found by content) becomes mine.
    Rule {
        theirs: Box<IngressRule>,
        mine: Box<IngressRule>,
    },
    /// Their version of the rule is deleted (I deleted it; they changed it).
    Delete { theirs: Box<IngressRule> },
    /// Mine is added again near `index` (I changed it; they deleted it).
    Insert {
        index: usize,
        mine: Box<IngressRule>,
    },
    /// The global originRequest becomes mine.
    Global(Box<Setting<OriginRequest>>),
    /// warp-routing becomes mine.
    Warp(Setting<WarpRouting>),
    /// The whole config becomes mine (a replaced draft met their change).
    Whole(Box<TunnelConfig>),
}

/// One place where both sides changed the same thing.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// What it is about: `rule #3 app.example.com`, `the global originRequest`.
    pub label: String,
    /// Their change, as lines (`service "http://a" → "http://b"`, `deleted`).
    pub theirs: Vec<String>,
    /// My change, as lines.
    pub mine: Vec<String>,
    /// Whether to keep mine (else theirs, the default: nothing of theirs is undone unasked).
    pub keep_mine: bool,
    take: Take,
    /// The rule as it was before either change, when the conflict is about a rule.
    old: Option<Box<IngressRule>>,
}

/// A rebase worked out: their config with every edit that applied, and the conflicts to settle.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rebased {
    /// Their config with the edits that applied (each conflict still as theirs).
    pub config: TunnelConfig,
    /// How many edits were replayed as made.
    pub replayed: usize,
    /// The edits that met a change of theirs, one per rule (or settings).
    pub conflicts: Vec<Conflict>,
    /// Edits that needed no replay, and why ("rule #4 x.example.com was deleted there too").
    pub notes: Vec<String>,
    /// While replaying an insert or a move: the rule that came before it in my draft.
    anchor: Option<IngressRule>,
}

fn one_rule(rule: &IngressRule) -> TunnelConfig {
    TunnelConfig {
        ingress: Setting::Set(vec![rule.clone()]),
        ..TunnelConfig::default()
    }
}

/// The field-level change from `old` to `new` as lines, `(no change)` when none.
fn rule_change(old: &IngressRule, new: &IngressRule) -> Vec<String> {
    let lines: Vec<String> = summarize(&one_rule(old), &one_rule(new))
        .lines()
        .into_iter()
        .filter(|l| l.starts_with(' '))
        .map(|l| l.trim().to_owned())
        .collect();
    if lines.is_empty() {
        vec!["(no change)".to_owned()]
    } else {
        lines
    }
}

fn settings_change(old: &TunnelConfig, new: &TunnelConfig) -> Vec<String> {
    let lines: Vec<String> = summarize(old, new)
        .lines()
        .into_iter()
        .map(|l| l.trim_start_matches("~ ").trim().to_owned())
        .filter(|l| l != "global originRequest")
        .collect();
    if lines.is_empty() {
        vec!["(no change)".to_owned()]
    } else {
        lines
    }
}

/// The index of a rule equal to `rule`, nearest `near`.
fn find_exact(cfg: &TunnelConfig, rule: &IngressRule, near: usize) -> Option<usize> {
    cfg.rules()
        .iter()
        .enumerate()
        .filter(|(_, r)| *r == rule)
        .map(|(i, _)| i)
        .min_by_key(|i| i.abs_diff(near))
}

/// The index of a rule with the same hostname and path as `rule` (the same rule, changed),
/// nearest `near`.
fn find_same(cfg: &TunnelConfig, rule: &IngressRule, near: usize) -> Option<usize> {
    cfg.rules()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.hostname == rule.hostname && r.path == rule.path)
        .map(|(i, _)| i)
        .min_by_key(|i| i.abs_diff(near))
}

/// Where a rule inserted at `index` goes in `cfg`: never after the catch-all, unless it is one.
fn insert_at(cfg: &TunnelConfig, index: usize, rule: &IngressRule) -> usize {
    let len = cfg.rules().len();
    let catch_all_last = cfg.rules().last().is_some_and(IngressRule::is_catch_all);
    if catch_all_last && !rule.is_catch_all() {
        index.min(len.saturating_sub(1))
    } else {
        index.min(len)
    }
}

/// Edits that turn `base` into `draft`, rule by rule (a rule is the same rule when its hostname
/// and path are): deletions, then changes, then additions, each at its place in `draft`. For a
/// draft whose history holds a whole replacement (an earlier rebase, a loaded version), which
/// cannot be replayed edit by edit. Order changes of kept rules are not among them.
pub fn edits_between(base: &TunnelConfig, draft: &TunnelConfig) -> Vec<Edit> {
    let (old, new) = (base.rules(), draft.rules());
    let mut used = vec![false; old.len()];
    let mut origin: Vec<Option<usize>> = Vec::with_capacity(new.len());
    // Equal rules first, then rules with the same hostname and path.
    for r in new {
        let k = (0..old.len()).find(|&k| !used[k] && old[k] == *r);
        if let Some(k) = k {
            used[k] = true;
        }
        origin.push(k);
    }
    for (i, r) in new.iter().enumerate() {
        if origin[i].is_none() {
            let k = (0..old.len())
                .find(|&k| !used[k] && old[k].hostname == r.hostname && old[k].path == r.path);
            if let Some(k) = k {
                used[k] = true;
            }
            origin[i] = k;
        }
    }
    let mut edits = Vec::new();
    for (k, r) in old.iter().enumerate().rev() {
        if !used[k] {
            edits.push(Edit::Delete {
                index: k,
                rule: Box::new(r.clone()),
            });
        }
    }
    for (i, r) in new.iter().enumerate() {
        match origin[i] {
            Some(k) if old[k] != *r => edits.push(Edit::SetRule {
                index: i,
                before: Box::new(old[k].clone()),
                after: Box::new(r.clone()),
            }),
            Some(_) => {}
            None => edits.push(Edit::Insert {
                index: i,
                rule: Box::new(r.clone()),
                verb: "add",
            }),
        }
    }
    if base.origin_request != draft.origin_request {
        edits.push(Edit::SetGlobal {
            before: Box::new(base.origin_request.clone()),
            after: Box::new(draft.origin_request.clone()),
        });
    }
    if base.warp_routing != draft.warp_routing {
        edits.push(Edit::SetWarp {
            before: base.warp_routing.clone(),
            after: draft.warp_routing.clone(),
        });
    }
    edits
}

impl Rebased {
    /// The rebase of `draft` (made from `base` by `edits`) onto `theirs`: the edits are
    /// replayed as made, unless one replaced the whole draft; then the differences between
    /// `base` and `draft` are ([`edits_between`]).
    pub fn of_draft(
        edits: &[Edit],
        base: &TunnelConfig,
        draft: &TunnelConfig,
        theirs: &TunnelConfig,
    ) -> Rebased {
        if edits.iter().any(|e| matches!(e, Edit::Replace { .. })) {
            Rebased::compute(&edits_between(base, draft), base, theirs)
        } else {
            Rebased::compute(edits, base, theirs)
        }
    }

    /// Replays `edits` (made on `base`, in order) onto `theirs`.
    pub fn compute(edits: &[Edit], base: &TunnelConfig, theirs: &TunnelConfig) -> Rebased {
        let mut r = Rebased {
            config: theirs.clone(),
            replayed: 0,
            conflicts: Vec::new(),
            notes: Vec::new(),
            anchor: None,
        };
        // My draft as each edit met it: where an added or moved rule goes is said by the rule
        // before it there, which keeps it next to its neighbour when they added rules above.
        let mut mine = base.clone();
        for edit in edits {
            let after = match edit {
                Edit::Insert { index, .. } => index.checked_sub(1),
                Edit::Move { from, to, .. } => match to.cmp(from) {
                    std::cmp::Ordering::Greater => Some(*to),
                    _ => to.checked_sub(1),
                },
                _ => None,
            };
            r.anchor = after.and_then(|i| mine.rules().get(i).cloned());
            if !r.replay(edit, base) {
                // A replaced draft met their change: the rest cannot be replayed edit by edit.
                return r;
            }
            edit.apply(&mut mine);
        }
        r.anchor = None;
        r
    }

    /// The pending conflict whose "mine" is `rule` (a later edit of the same rule).
    fn pending(&self, rule: &IngressRule) -> Option<usize> {
        self.conflicts.iter().position(|c| match &c.take {
            Take::Rule { mine, .. } | Take::Insert { mine, .. } => **mine == *rule,
            _ => false,
        })
    }

    fn label(i: usize, rule: &IngressRule) -> String {
        format!("rule #{} {}", i + 1, rule_label(rule))
    }

    /// Replays one edit; false when the rest can no longer be replayed.
    fn replay(&mut self, edit: &Edit, base: &TunnelConfig) -> bool {
        match edit {
            Edit::SetRule {
                index,
                before,
                after,
            } => return self.set_rule(*index, before, after),
            Edit::Insert { index, rule, .. } => {
                if find_exact(&self.config, rule, *index).is_some()
                    && find_exact(base, rule, *index).is_none()
                {
                    self.notes
                        .push(format!("{} was added there too", Self::label(*index, rule)));
                } else {
                    let at = self.place(*index, rule);
                    self.config.rules_mut().insert(at, (**rule).clone());
                    self.replayed += 1;
                }
            }
            Edit::Delete { index, rule } => self.delete(*index, rule),
            Edit::Move { from, to, rule } => {
                let found = find_exact(&self.config, rule, *from)
                    .or_else(|| find_same(&self.config, rule, *from));
                match found {
                    Some(i) => {
                        let moved = self.config.rules_mut().remove(i);
                        let at = self.place(*to, &moved);
                        self.config.rules_mut().insert(at, moved);
                        self.replayed += 1;
                    }
                    None => self.notes.push(format!(
                        "{} was not moved: it was deleted there",
                        Self::label(*from, rule)
                    )),
                }
            }
            Edit::SetGlobal { before, after } => {
                let now = &self.config.origin_request;
                if now == &**before {
                    self.config.origin_request = (**after).clone();
                    self.replayed += 1;
                } else if now != &**after {
                    let show = |o: &Setting<OriginRequest>| TunnelConfig {
                        origin_request: o.clone(),
                        ..TunnelConfig::default()
                    };
                    self.settle(Conflict {
                        label: "the global originRequest".to_owned(),
                        theirs: settings_change(&show(before), &show(now)),
                        mine: settings_change(&show(before), &show(after)),
                        keep_mine: false,
                        take: Take::Global(after.clone()),
                        old: None,
                    });
                }
            }
            Edit::SetWarp { before, after } => {
                let now = &self.config.warp_routing;
                if now == before {
                    self.config.warp_routing = after.clone();
                    self.replayed += 1;
                } else if now != after {
                    let show = |w: &Setting<WarpRouting>| TunnelConfig {
                        warp_routing: w.clone(),
                        ..TunnelConfig::default()
                    };
                    self.settle(Conflict {
                        label: "warp-routing".to_owned(),
                        theirs: settings_change(&show(before), &show(now)),
                        mine: settings_change(&show(before), &show(after)),
                        keep_mine: false,
                        take: Take::Warp(after.clone()),
                        old: None,
                    });
                }
            }
            Edit::Replace {
                before,
                after,
                what,
            } => {
                if self.config == **before {
                    self.config = (**after).clone();
                    self.replayed += 1;
                } else if self.config != **after {
                    let lines = |c: &TunnelConfig| {
                        let l = summarize(before, c).lines();
                        if l.is_empty() {
                            vec!["(no change)".to_owned()]
                        } else {
                            l
                        }
                    };
                    self.conflicts.push(Conflict {
                        label: format!("the whole config ({what})"),
                        theirs: lines(&self.config),
                        mine: lines(after),
                        keep_mine: false,
                        take: Take::Whole(after.clone()),
                        old: None,
                    });
                    return false;
                }
            }
        }
        true
    }

    /// Where a rule added (or moved) at `index` of my draft goes in theirs: right after the rule
    /// that preceded it in mine, when that one is still there; else at `index`.
    fn place(&self, index: usize, rule: &IngressRule) -> usize {
        let after = self.anchor.as_ref().and_then(|a| {
            find_exact(&self.config, a, index).or_else(|| find_same(&self.config, a, index))
        });
        match after {
            Some(i) => insert_at(&self.config, i + 1, rule),
            None if self.anchor.is_none() && index == 0 => 0,
            None => insert_at(&self.config, index, rule),
        }
    }

    fn set_rule(&mut self, index: usize, before: &IngressRule, after: &IngressRule) -> bool {
        if let Some(i) = find_exact(&self.config, before, index) {
            self.config.rules_mut()[i] = after.clone();
            self.replayed += 1;
            return true;
        }
        if find_exact(&self.config, after, index).is_some() {
            self.notes.push(format!(
                "{}: the same change was made there",
                Self::label(index, after)
            ));
            return true;
        }
        // A second edit of a rule already in conflict: the conflict takes the newer version.
        if let Some(k) = self.pending(before) {
            let c = &mut self.conflicts[k];
            if let Take::Rule { mine, .. } | Take::Insert { mine, .. } = &mut c.take {
                **mine = after.clone();
            }
            c.mine = rule_change(c.old.as_deref().unwrap_or(before), after);
            return true;
        }
        let same = find_same(&self.config, before, index)
            .or_else(|| find_same(&self.config, after, index));
        let conflict = match same {
            Some(i) => {
                let theirs = self.config.rules()[i].clone();
                Conflict {
                    label: Self::label(i, &theirs),
                    theirs: rule_change(before, &theirs),
                    mine: rule_change(before, after),
                    keep_mine: false,
                    take: Take::Rule {
                        theirs: Box::new(theirs),
                        mine: Box::new(after.clone()),
                    },
                    old: Some(Box::new(before.clone())),
                }
            }
            None => Conflict {
                label: Self::label(index, before),
                theirs: vec!["deleted".to_owned()],
                mine: rule_change(before, after),
                keep_mine: false,
                take: Take::Insert {
                    index,
                    mine: Box::new(after.clone()),
                },
                old: Some(Box::new(before.clone())),
            },
        };
        self.settle(conflict);
        true
    }

    fn delete(&mut self, index: usize, rule: &IngressRule) {
        if let Some(i) = find_exact(&self.config, rule, index) {
            self.config.rules_mut().remove(i);
            self.replayed += 1;
            return;
        }
        if let Some(k) = self.pending(rule) {
            // I changed it, then deleted it: mine is now "deleted".
            let c = &mut self.conflicts[k];
            if let Take::Rule { theirs, .. } = &c.take {
                c.take = Take::Delete {
                    theirs: theirs.clone(),
                };
                c.mine = vec!["deleted".to_owned()];
            } else {
                // They deleted it and so did I, in the end: nothing to settle.
                let gone = self.conflicts.remove(k);
                self.notes
                    .push(format!("{} was deleted on both sides", gone.label));
            }
            return;
        }
        match find_same(&self.config, rule, index) {
            Some(i) => {
                let theirs = self.config.rules()[i].clone();
                self.settle(Conflict {
                    label: Self::label(i, &theirs),
                    theirs: rule_change(rule, &theirs),
                    mine: vec!["deleted".to_owned()],
                    keep_mine: false,
                    take: Take::Delete {
                        theirs: Box::new(theirs),
                    },
                    old: Some(Box::new(rule.clone())),
                });
            }
            None => self.notes.push(format!(
                "{} was deleted there too",
                Self::label(index, rule)
            )),
        }
    }

    /// Adds a conflict, or replaces the earlier one about the same settings.
    fn settle(&mut self, conflict: Conflict) {
        match self.conflicts.iter_mut().find(|c| {
            matches!(
                (&c.take, &conflict.take),
                (Take::Global(_), Take::Global(_)) | (Take::Warp(_), Take::Warp(_))
            )
        }) {
            Some(c) => *c = conflict,
            None => self.conflicts.push(conflict),
        }
    }

    /// Their config with the replayed edits and each conflict settled as chosen.
    pub fn resolved(&self) -> TunnelConfig {
        let mut cfg = self.config.clone();
        for c in self.conflicts.iter().filter(|c| c.keep_mine) {
            match &c.take {
                Take::Rule { theirs, mine } => {
                    if let Some(i) = find_exact(&cfg, theirs, 0) {
                        cfg.rules_mut()[i] = (**mine).clone();
                    }
                }
                Take::Delete { theirs } => {
                    if let Some(i) = find_exact(&cfg, theirs, 0) {
                        cfg.rules_mut().remove(i);
                    }
                }
                Take::Insert { index, mine } => {
                    let at = insert_at(&cfg, *index, mine);
                    cfg.rules_mut().insert(at, (**mine).clone());
                }
                Take::Global(g) => cfg.origin_request = (**g).clone(),
                Take::Warp(w) => cfg.warp_routing = w.clone(),
                Take::Whole(whole) => cfg = (**whole).clone(),
            }
        }
        cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    fn cfg(rules: &[(&str, &str)]) -> TunnelConfig {
        let rules: Vec<String> = rules
            .iter()
            .map(|(h, s)| format!(r#"{{"hostname":"{h}","service":"{s}"}}"#))
            .collect();
        parse_json_str(&format!(
            r#"{{"ingress":[{},{{"service":"http_status:404"}}]}}"#,
            rules.join(",")
        ))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn set(base: &TunnelConfig, i: usize, service: &str) -> Edit {
        let mut after = base.rules()[i].clone();
        after.service = Setting::Set(service.to_owned());
        Edit::SetRule {
            index: i,
            before: Box::new(base.rules()[i].clone()),
            after: Box::new(after),
        }
    }

    fn services(c: &TunnelConfig) -> Vec<String> {
        c.rules()
            .iter()
            .map(|r| format!("{}={}", r.hostname.as_str(), r.service.as_str()))
            .collect()
    }

    #[test]
    fn edits_that_still_apply_are_replayed_and_conflicts_name_both_sides() {
        let base = cfg(&[
            ("a.com", "http://a"),
            ("b.com", "http://b"),
            ("c.com", "http://c"),
        ]);
        // Mine: change a (they changed it too), change b, delete c, add d.
        let mut mine = base.clone();
        let edits = vec![
            set(&base, 0, "http://mine-a"),
            set(&base, 1, "http://mine-b"),
            Edit::Delete {
                index: 2,
                rule: Box::new(base.rules()[2].clone()),
            },
            Edit::Insert {
                index: 2,
                rule: Box::new(cfg(&[("d.com", "http://d")]).rules()[0].clone()),
                verb: "add",
            },
        ];
        for e in &edits {
            assert!(e.apply(&mut mine));
        }
        // Theirs: a changed, a new rule e at the top.
        let theirs = cfg(&[
            ("e.com", "http://e"),
            ("a.com", "http://their-a"),
            ("b.com", "http://b"),
            ("c.com", "http://c"),
        ]);
        let mut r = Rebased::compute(&edits, &base, &theirs);
        assert_eq!(r.replayed, 3);
        assert_eq!(r.conflicts.len(), 1, "{:?}", r.conflicts);
        let c = &r.conflicts[0];
        assert_eq!(c.label, "rule #2 a.com");
        assert_eq!(c.theirs, vec![r#"service "http://a" → "http://their-a""#]);
        assert_eq!(c.mine, vec![r#"service "http://a" → "http://mine-a""#]);
        // Theirs by default: their change stays, mine elsewhere applied.
        assert_eq!(
            services(&r.resolved()),
            [
                "e.com=http://e",
                "a.com=http://their-a",
                "b.com=http://mine-b",
                "d.com=http://d",
                "=http_status:404"
            ]
        );
        r.conflicts[0].keep_mine = true;
        assert_eq!(services(&r.resolved())[1], "a.com=http://mine-a");
    }

    #[test]
    fn a_rule_changed_twice_is_one_conflict_and_deletions_meet() {
        let base = cfg(&[("a.com", "http://a"), ("b.com", "http://b")]);
        let first = set(&base, 0, "http://one");
        let mut mid = base.clone();
        first.apply(&mut mid);
        let second = set(&mid, 0, "http://two");
        // They deleted a and changed b; I changed a twice and deleted b.
        let del_b = Edit::Delete {
            index: 1,
            rule: Box::new(base.rules()[1].clone()),
        };
        let theirs = cfg(&[("b.com", "http://their-b")]);
        let mut r = Rebased::compute(&[first, second, del_b], &base, &theirs);
        assert_eq!(r.replayed, 0);
        assert_eq!(r.conflicts.len(), 2, "{:?}", r.conflicts);
        assert_eq!(r.conflicts[0].theirs, vec!["deleted"]);
        assert_eq!(
            r.conflicts[0].mine,
            vec![r#"service "http://a" → "http://two""#]
        );
        assert_eq!(r.conflicts[1].label, "rule #1 b.com");
        assert_eq!(r.conflicts[1].mine, vec!["deleted"]);
        assert_eq!(
            services(&r.resolved()),
            ["b.com=http://their-b", "=http_status:404"]
        );
        for c in &mut r.conflicts {
            c.keep_mine = true;
        }
        assert_eq!(
            services(&r.resolved()),
            ["a.com=http://two", "=http_status:404"]
        );
    }

    #[test]
    fn a_second_rebase_replays_the_differences_of_a_replaced_draft() {
        let v5 = cfg(&[("a.com", "http://a"), ("b.com", "http://b")]);
        let edits = [set(&v5, 1, "http://mine-b")];
        let mut draft = v5.clone();
        edits[0].apply(&mut draft);
        // First rebase onto v8 (they changed a): one undoable replacement.
        let v8 = cfg(&[("a.com", "http://a8"), ("b.com", "http://b")]);
        let first = Rebased::of_draft(&edits, &v5, &draft, &v8);
        assert!(first.conflicts.is_empty());
        let rebased = first.resolved();
        let history = vec![
            edits[0].clone(),
            Edit::Replace {
                before: Box::new(draft.clone()),
                after: Box::new(rebased.clone()),
                what: "rebase onto version 8".into(),
            },
        ];
        // Then v9 (they added c): my change of b is replayed again, nothing conflicts.
        let v9 = cfg(&[
            ("a.com", "http://a8"),
            ("b.com", "http://b"),
            ("c.com", "http://c"),
        ]);
        let second = Rebased::of_draft(&history, &v8, &rebased, &v9);
        assert!(second.conflicts.is_empty(), "{:?}", second.conflicts);
        assert_eq!(
            services(&second.resolved()),
            [
                "a.com=http://a8",
                "b.com=http://mine-b",
                "c.com=http://c",
                "=http_status:404"
            ]
        );
    }

    #[test]
    fn settings_conflict_and_the_same_change_on_both_sides_is_not_one() {
        let base = cfg(&[("a.com", "http://a")]);
        let mut theirs = base.clone();
        theirs.rules_mut()[0].service = Setting::Set("http://same".to_owned());
        theirs.origin_request = Setting::Set(OriginRequest {
            no_tls_verify: Setting::Set(true),
            ..OriginRequest::default()
        });
        let mine_global = Setting::Set(OriginRequest {
            no_tls_verify: Setting::Set(false),
            ..OriginRequest::default()
        });
        let edits = [
            set(&base, 0, "http://same"),
            Edit::SetGlobal {
                before: Box::new(Setting::Absent),
                after: Box::new(mine_global.clone()),
            },
        ];
        let mut r = Rebased::compute(&edits, &base, &theirs);
        assert!(
            r.notes[0].contains("the same change was made there"),
            "{:?}",
            r.notes
        );
        assert_eq!(r.conflicts.len(), 1);
        assert_eq!(r.conflicts[0].label, "the global originRequest");
        assert_eq!(r.conflicts[0].theirs, vec!["noTLSVerify (unset) → true"]);
        assert_eq!(r.conflicts[0].mine, vec!["noTLSVerify (unset) → false"]);
        r.conflicts[0].keep_mine = true;
        assert_eq!(r.resolved().origin_request, mine_global);
    }
}
