//! The draft's diagnostics, kept up to date incrementally: [`Checks::reset`] checks everything
//! (after a load, a rebase, a restore), [`Checks::after_edit`] re-checks only what one edit can
//! affect. Both give exactly what [`crate::config::validate::validate`] gives (the tests and the
//! fuzz target compare them after random edits).

use crate::config::model::{IngressRule, TunnelConfig};
use crate::config::validate::{
    CrossTables, Diagnostic, Severity, cross_related, cross_rule_diagnostics,
    cross_rule_diagnostics_of, global_diagnostics, mentions_position, rule_alias, validate_rule,
};

use super::history::Edit;

/// The diagnostics of a config and what is kept to update them cheaply.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// Every diagnostic, in `validate`'s order.
    pub diagnostics: Vec<Diagnostic>,
    /// Per rule: (errors, warnings).
    pub rule_counts: Vec<(u32, u32)>,
    /// Each rule's own diagnostics.
    rule_diags: Vec<Vec<Diagnostic>>,
    /// Scratch tables of the cross-rule checks, kept between edits.
    cross_tables: CrossTables,
    /// Each rule's diagnostics from the checks that compare rules.
    rule_cross: Vec<Vec<Diagnostic>>,
    /// Each rule's punycode alias (for those checks).
    aliases: Vec<Option<String>>,
    /// The account's Access applications, when they could be read: the Access lint
    /// ([`crate::access::lint`]) joins the diagnostics. `None` (files, tests, the fuzz target):
    /// exactly `validate`'s diagnostics.
    access: Option<std::sync::Arc<super::access::AccessData>>,
}

fn rule_check(config: &TunnelConfig, i: usize) -> Vec<Diagnostic> {
    let rules = config.rules();
    rules
        .get(i)
        .map(|r| validate_rule(i, r, rules.len(), config.global()))
        .unwrap_or_default()
}

impl Checks {
    /// Errors and warnings of the whole config.
    pub fn counts(&self) -> (usize, usize) {
        let e = self.diagnostics.iter().filter(|d| d.is_error()).count();
        (e, self.diagnostics.len() - e)
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The diagnostics of rule `i`.
    pub fn of_rule(&self, i: usize) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(move |d| d.rule == Some(i))
    }

    /// Uses the account's Access applications for the Access lint from now on (`None`: no lint).
    pub fn set_access(
        &mut self,
        access: Option<std::sync::Arc<super::access::AccessData>>,
        config: &TunnelConfig,
    ) {
        self.access = access;
        if self.rule_diags.len() == config.rules().len() {
            self.assemble(config);
        } else {
            self.reset(config);
        }
    }

    /// Checks every rule of `config` (after a load, a rebase or a change to the global settings).
    pub fn reset(&mut self, config: &TunnelConfig) {
        let n = config.rules().len();
        self.rule_diags = (0..n).map(|i| rule_check(config, i)).collect();
        self.recheck_all_cross(config);
        self.assemble(config);
    }

    /// The cross-rule checks over every rule (one pass).
    fn recheck_all_cross(&mut self, config: &TunnelConfig) {
        let n = config.rules().len();
        let mut cross = vec![Vec::new(); n];
        for d in cross_rule_diagnostics(config.rules(), &mut self.cross_tables) {
            if let Some(list) = d.rule.and_then(|i| cross.get_mut(i)) {
                list.push(d);
            }
        }
        self.rule_cross = cross;
        self.aliases = self.cross_tables.take_aliases();
        self.aliases.resize(n, None);
    }

    /// Re-checks only what `edit` (already applied to `config`) can affect: the rules it
    /// changed, rules whose messages name their position, the first and last rules (the
    /// catch-all checks), and for the checks that compare rules, the rules related to the
    /// changed ones by name plus those already warned.
    pub fn after_edit(&mut self, config: &TunnelConfig, edit: &Edit) {
        let n = config.rules().len();
        let old_last = self.rule_diags.len().checked_sub(1);
        let mut dirty: Vec<usize> = Vec::new();
        // Rules whose names changed (old and new versions), for the cross-rule checks.
        let mut touched: Vec<&IngressRule> = Vec::new();
        let shifted = match edit {
            Edit::SetRule {
                index,
                before,
                after,
            } if *index < self.rule_diags.len() => {
                dirty.push(*index);
                if before.hostname != after.hostname || before.path != after.path {
                    touched.extend([&**before, &**after]);
                    self.aliases[*index] = rule_alias(after);
                }
                true
            }
            Edit::Insert { index, rule, .. } if *index <= self.rule_diags.len() => {
                self.rule_diags.insert(*index, Vec::new());
                self.rule_cross.insert(*index, Vec::new());
                self.aliases.insert(*index, rule_alias(rule));
                dirty.push(*index);
                touched.push(rule);
                true
            }
            Edit::Delete { index, rule } if *index < self.rule_diags.len() => {
                self.rule_diags.remove(*index);
                self.rule_cross.remove(*index);
                self.aliases.remove(*index);
                touched.push(rule);
                true
            }
            Edit::Move { from, to, rule }
                if *from < self.rule_diags.len() && *to < self.rule_diags.len() =>
            {
                let d = self.rule_diags.remove(*from);
                self.rule_diags.insert(*to, d);
                let c = self.rule_cross.remove(*from);
                self.rule_cross.insert(*to, c);
                let a = self.aliases.remove(*from);
                self.aliases.insert(*to, a);
                touched.push(rule);
                true
            }
            Edit::SetWarp { .. } => true,
            _ => false,
        };
        if !shifted
            || self.rule_diags.len() != n
            || self.rule_cross.len() != n
            || self.aliases.len() != n
        {
            self.reset(config);
            return;
        }
        for (i, diags) in self.rule_diags.iter_mut().enumerate() {
            for d in diags.iter_mut() {
                if d.rule != Some(i) {
                    d.rule = Some(i);
                }
            }
        }
        for (i, diags) in self.rule_diags.iter().enumerate() {
            if mentions_position(diags) {
                dirty.push(i);
            }
        }
        dirty.extend(old_last);
        dirty.extend(n.checked_sub(1));
        dirty.extend(n.checked_sub(2));
        dirty.sort_unstable();
        dirty.dedup();
        for i in dirty {
            if i < n {
                self.rule_diags[i] = rule_check(config, i);
            }
        }
        if !touched.is_empty() {
            self.recheck_cross(config, &touched, edit.focus());
        }
        self.assemble(config);
    }

    /// Re-checks the cross-rule diagnostics an edit of `touched` rules can change: the edited
    /// rule, rules related to it by name (see [`cross_related`]), and every rule already warned
    /// (its message names a rule number, which may have moved). Falls back to a whole pass when
    /// that is most of the config.
    fn recheck_cross(
        &mut self,
        config: &TunnelConfig,
        touched: &[&IngressRule],
        at: Option<usize>,
    ) {
        let rules = config.rules();
        let touched: Vec<(&IngressRule, Option<String>)> =
            touched.iter().map(|t| (*t, rule_alias(t))).collect();
        let mut again: Vec<usize> = at.into_iter().collect();
        for (i, rule) in rules.iter().enumerate() {
            let alias = self.aliases.get(i).and_then(Option::as_deref);
            if !self.rule_cross[i].is_empty()
                || touched
                    .iter()
                    .any(|(t, t_alias)| cross_related(rule, alias, t, t_alias.as_deref()))
            {
                again.push(i);
            }
        }
        again.sort_unstable();
        again.dedup();
        if again.len() > 64 {
            self.recheck_all_cross(config);
            return;
        }
        for i in again {
            if i < rules.len() {
                self.rule_cross[i] = cross_rule_diagnostics_of(rules, &self.aliases, i);
            }
        }
    }

    /// Puts the diagnostics together in [`crate::config::validate::validate`]'s order.
    fn assemble(&mut self, config: &TunnelConfig) {
        let mut all = global_diagnostics(config);
        // Reuse the counts' memory: a fresh 10 000-entry vector per edit costs page faults.
        let mut counts = std::mem::take(&mut self.rule_counts);
        counts.clear();
        counts.resize(self.rule_diags.len(), (0, 0));
        for (i, (own, cross)) in self.rule_diags.iter().zip(&self.rule_cross).enumerate() {
            for d in own.iter().chain(cross) {
                if d.severity == Severity::Error {
                    counts[i].0 += 1;
                } else {
                    counts[i].1 += 1;
                }
                all.push(d.clone());
            }
        }
        if let Some(access) = &self.access {
            for d in crate::access::lint(config, &access.apps) {
                if let Some(c) = d.rule.and_then(|i| counts.get_mut(i)) {
                    c.1 += 1;
                }
                all.push(d);
            }
        }
        self.diagnostics = all;
        self.rule_counts = counts;
    }
}
