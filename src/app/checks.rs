//! The draft's diagnostics, kept up to date incrementally: [`Checks::reset`] checks everything
//! (after a load, a rebase, a restore), [`Checks::after_edit`] re-checks only what one edit can
//! affect. Both give exactly what [`crate::config::validate::validate`] gives (the tests and the
//! fuzz target compare them after random edits).
//!
//! An edit costs in proportion to what it re-checks, not to the number of diagnostics: the
//! diagnostics stay per rule, the counts are kept as they change, and the whole list in
//! `validate`'s order is put together only when asked for ([`Checks::diagnostics`]: publishing,
//! the tests), once per draft version.

use std::cell::OnceCell;
use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

use crate::access::Linter;
use crate::config::model::{IngressRule, TunnelConfig};
use crate::config::validate::{
    CrossTables, Diagnostic, Severity, cross_related, cross_rule_diagnostics,
    cross_rule_diagnostics_of, global_diagnostics, mentions_position, rule_alias, validate_rule,
};

use super::gapvec::GapVec;
use super::history::Edit;

/// The diagnostics of a config and what is kept to update them cheaply.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// Per rule: (errors, warnings).
    pub rule_counts: GapVec<(u32, u32)>,
    /// Errors and warnings of the whole config.
    totals: (usize, usize),
    /// Diagnostics of the config as a whole and the global settings.
    global: Vec<Diagnostic>,
    /// Each rule's own diagnostics.
    rule_diags: GapVec<Vec<Diagnostic>>,
    /// Per rule: whether its own messages name a rule position ([`mentions_position`]).
    positional: GapVec<bool>,
    /// Scratch tables of the cross-rule checks, kept between edits.
    cross_tables: CrossTables,
    /// Each rule's diagnostics from the checks that compare rules.
    rule_cross: GapVec<Vec<Diagnostic>>,
    /// Each rule's punycode alias (for those checks).
    aliases: GapVec<Option<String>>,
    /// Each rule's [`names`]: finds the rules an edit relates to from one compact array rather
    /// than by reading every rule's strings (which at 100 000 rules means 100 000 cache misses).
    names: GapVec<Names>,
    /// The account's Access applications prepared for the lint, when they could be read: the
    /// Access lint ([`crate::access::lint`]) joins the diagnostics. `None` (files, tests, the
    /// fuzz target): exactly `validate`'s diagnostics.
    linter: Option<std::sync::Arc<Linter>>,
    /// Each rule's Access lint diagnostics (after every other in [`Checks::diagnostics`]).
    rule_access: GapVec<Vec<Diagnostic>>,
    /// Every diagnostic in `validate`'s order, put together on demand.
    all: OnceCell<Vec<Diagnostic>>,
}

/// Hashes of a rule's hostname and of its punycode alias (0: none); never 0 for a hostname.
type Names = (u64, u64);

fn name_hash(name: &str) -> u64 {
    FxBuildHasher.hash_one(name) | 1
}

fn names(rule: &IngressRule, alias: Option<&str>) -> Names {
    (
        name_hash(rule.hostname.as_str()),
        alias.map_or(0, name_hash),
    )
}

/// Whether rules named `a` and `b` may be related by name in [`cross_related`]'s sense, apart
/// from wildcards: the same hostname, or one's alias equal to the other's hostname or alias.
/// (Hashes: true may be a collision, false is sure.)
fn names_meet(a: Names, b: Names) -> bool {
    a.0 == b.0 || (b.1 != 0 && (a.0 == b.1 || a.1 == b.1)) || (a.1 != 0 && a.1 == b.0)
}

fn severity_counts<'a>(diags: impl Iterator<Item = &'a Diagnostic>) -> (u32, u32) {
    diags.fold((0, 0), |(e, w), d| {
        if d.severity == Severity::Error {
            (e + 1, w)
        } else {
            (e, w + 1)
        }
    })
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
        self.totals
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.totals.0 > 0
    }

    /// Every diagnostic, in [`crate::config::validate::validate`]'s order (put together on the
    /// first call after a change).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        self.all.get_or_init(|| {
            let mut all = self.global.clone();
            for (i, (own, cross)) in self
                .rule_diags
                .iter()
                .zip(self.rule_cross.iter())
                .enumerate()
            {
                all.extend(own.iter().chain(cross).map(|d| numbered(d, i)));
            }
            for (i, lint) in self.rule_access.iter().enumerate() {
                all.extend(lint.iter().map(|d| numbered(d, i)));
            }
            all
        })
    }

    /// Uses the account's Access applications for the Access lint from now on (`None`: no lint).
    pub fn set_access(
        &mut self,
        access: Option<std::sync::Arc<super::access::AccessData>>,
        config: &TunnelConfig,
    ) {
        self.linter = access.map(|a| std::sync::Arc::new(Linter::new(&a.apps)));
        if self.rule_diags.len() == config.rules().len() {
            self.lint_all(config);
            for i in 0..self.rule_counts.len() {
                self.recount(i);
            }
            self.total();
        } else {
            self.reset(config);
        }
    }

    /// Runs the Access lint on every rule (empty lists without the account's applications).
    fn lint_all(&mut self, config: &TunnelConfig) {
        self.rule_access = match &self.linter {
            Some(linter) => config
                .rules()
                .iter()
                .enumerate()
                .map(|(i, r)| linter.rule(i, r))
                .collect(),
            None => std::iter::repeat_with(Vec::new)
                .take(config.rules().len())
                .collect(),
        };
    }

    /// The diagnostics of rule `i`, in `validate`'s order.
    pub fn of_rule(&self, i: usize) -> impl Iterator<Item = Diagnostic> {
        let own = self.rule_diags.get(i).map_or(&[][..], Vec::as_slice);
        let cross = self.rule_cross.get(i).map_or(&[][..], Vec::as_slice);
        let access = self.rule_access.get(i).map_or(&[][..], Vec::as_slice);
        own.iter()
            .chain(cross)
            .chain(access)
            .map(move |d| numbered(d, i))
    }

    /// Checks every rule of `config` (after a load, a rebase or a change to the global settings).
    pub fn reset(&mut self, config: &TunnelConfig) {
        let n = config.rules().len();
        self.rule_diags = (0..n).map(|i| rule_check(config, i)).collect();
        self.positional = self
            .rule_diags
            .iter()
            .map(|d| mentions_position(d))
            .collect();
        self.recheck_all_cross(config);
        self.global = global_diagnostics(config);
        self.lint_all(config);
        self.rule_counts.clear();
        self.rule_counts.extend(
            self.rule_diags
                .iter()
                .zip(self.rule_cross.iter())
                .zip(self.rule_access.iter())
                .map(|((own, cross), access)| {
                    severity_counts(own.iter().chain(cross).chain(access))
                }),
        );
        self.total();
    }

    /// Sums the counts of the global and every rule's diagnostics.
    fn total(&mut self) {
        let (e, w) = severity_counts(self.global.iter());
        let mut totals = (e as usize, w as usize);
        for (e, w) in self.rule_counts.iter() {
            totals.0 += *e as usize;
            totals.1 += *w as usize;
        }
        self.totals = totals;
        self.all = OnceCell::new();
    }

    /// Recounts rule `i` after its diagnostics changed.
    fn recount(&mut self, i: usize) {
        if let Some(c) = self.rule_counts.get_mut(i) {
            *c = severity_counts(
                self.rule_diags[i]
                    .iter()
                    .chain(&self.rule_cross[i])
                    .chain(&self.rule_access[i]),
            );
        }
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
        self.rule_cross = cross.into();
        let mut aliases = self.cross_tables.take_aliases();
        aliases.resize(n, None);
        self.aliases = aliases.into();
        self.names = config
            .rules()
            .iter()
            .zip(self.aliases.iter())
            .map(|(r, a)| names(r, a.as_deref()))
            .collect();
    }

    /// Re-checks only what `edit` (already applied to `config`) can affect: the rules it
    /// changed, rules whose messages name their position, the first and last rules (the
    /// catch-all checks), and for the checks that compare rules, the rules related to the
    /// changed ones by name plus, when rows shifted, those warned from the first shifted row on.
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
                    if let Some(n) = self.names.get_mut(*index) {
                        *n = names(after, self.aliases[*index].as_deref());
                    }
                }
                true
            }
            Edit::Insert { index, rule, .. } if *index <= self.rule_diags.len() => {
                self.rule_diags.insert(*index, Vec::new());
                self.positional.insert(*index, false);
                self.rule_cross.insert(*index, Vec::new());
                self.rule_access.insert(*index, Vec::new());
                self.rule_counts.insert(*index, (0, 0));
                let alias = rule_alias(rule);
                self.names.insert(*index, names(rule, alias.as_deref()));
                self.aliases.insert(*index, alias);
                dirty.push(*index);
                touched.push(rule);
                true
            }
            Edit::Delete { index, rule } if *index < self.rule_diags.len() => {
                self.rule_diags.remove(*index);
                self.positional.remove(*index);
                self.rule_cross.remove(*index);
                self.rule_access.remove(*index);
                self.rule_counts.remove(*index);
                self.aliases.remove(*index);
                self.names.remove(*index);
                touched.push(rule);
                true
            }
            Edit::Move { from, to, rule }
                if *from < self.rule_diags.len() && *to < self.rule_diags.len() =>
            {
                self.rule_diags.move_item(*from, *to);
                self.positional.move_item(*from, *to);
                self.rule_cross.move_item(*from, *to);
                self.rule_access.move_item(*from, *to);
                self.rule_counts.move_item(*from, *to);
                self.aliases.move_item(*from, *to);
                self.names.move_item(*from, *to);
                touched.push(rule);
                true
            }
            Edit::SetWarp { .. } => true,
            _ => false,
        };
        if !shifted
            || [
                self.rule_diags.len(),
                self.positional.len(),
                self.rule_cross.len(),
                self.rule_access.len(),
                self.rule_counts.len(),
                self.aliases.len(),
                self.names.len(),
            ]
            .iter()
            .any(|&len| len != n)
        {
            self.reset(config);
            return;
        }
        // Rows from the first shifted one on carry new numbers (their stored diagnostics keep
        // the old ones: see [`numbered`]).
        let from = match edit {
            Edit::Insert { index, .. } | Edit::Delete { index, .. } => *index,
            Edit::Move { from, to, .. } => *from.min(to),
            _ => n,
        };
        dirty.extend(
            self.positional
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.then_some(i)),
        );
        dirty.extend(old_last);
        dirty.extend(n.checked_sub(1));
        dirty.extend(n.checked_sub(2));
        dirty.sort_unstable();
        dirty.dedup();
        for &i in &dirty {
            if i < n {
                self.rule_diags[i] = rule_check(config, i);
                self.positional[i] = mentions_position(&self.rule_diags[i]);
                if let Some(linter) = &self.linter {
                    self.rule_access[i] = linter.rule(i, &config.rules()[i]);
                }
                self.recount(i);
            }
        }
        if !touched.is_empty() {
            self.recheck_cross(config, &touched, edit.focus(), from);
        }
        self.global = global_diagnostics(config);
        self.total();
    }

    /// Re-checks the cross-rule diagnostics an edit of `touched` rules can change: the edited
    /// rule, rules related to it by name (see [`cross_related`]), and the rules already warned
    /// from row `shifted` on (their message names an earlier rule's number, which may have
    /// moved; a warned rule before `shifted` names a rule before it, which kept its number).
    /// Falls back to a whole pass when that is most of the config.
    fn recheck_cross(
        &mut self,
        config: &TunnelConfig,
        touched: &[&IngressRule],
        at: Option<usize>,
        shifted: usize,
    ) {
        let rules = config.rules();
        let touched: Vec<(&IngressRule, Option<String>, Names)> = touched
            .iter()
            .map(|t| {
                let alias = rule_alias(t);
                let n = names(t, alias.as_deref());
                (*t, alias, n)
            })
            .collect();
        // A wildcard relates to every name under it: only then are the rules' strings read.
        let wildcard = touched
            .iter()
            .any(|(t, _, _)| t.hostname.as_str().starts_with("*."));
        let mut again: Vec<usize> = at.into_iter().collect();
        for (i, (warned, &n)) in self.rule_cross.iter().zip(self.names.iter()).enumerate() {
            if (i >= shifted && !warned.is_empty())
                || ((wildcard || touched.iter().any(|(_, _, t)| names_meet(n, *t)))
                    && touched.iter().any(|(t, t_alias, _)| {
                        let alias = self.aliases.get(i).and_then(Option::as_deref);
                        cross_related(&rules[i], alias, t, t_alias.as_deref())
                    }))
            {
                again.push(i);
            }
        }
        again.sort_unstable();
        again.dedup();
        if again.len() > 64 {
            self.recheck_all_cross(config);
            for i in 0..rules.len() {
                self.recount(i);
            }
            return;
        }
        for i in again {
            if i < rules.len() {
                let aliases = &self.aliases;
                self.rule_cross[i] = cross_rule_diagnostics_of(
                    rules,
                    |j| aliases.get(j).and_then(Option::as_deref),
                    i,
                );
                self.recount(i);
            }
        }
    }
}

/// A copy of stored diagnostic `d` of row `i` with that row's number. Stored diagnostics keep
/// the number their row had when checked: renumbering every later row after an insert or a
/// delete near the top would touch every stored diagnostic, scattered over the heap.
fn numbered(d: &Diagnostic, i: usize) -> Diagnostic {
    let mut d = d.clone();
    if d.rule.is_some() {
        d.rule = Some(i);
    }
    d
}
