//! Which rule of the edited list is which rule of the file: unchanged stretches are skipped, the
//! rest aligned by a patience diff keyed by each rule's content, and within a replaced stretch old
//! and new rules are paired (same hostname and path, then same hostname or two equal settings,
//! then by position). Rules deleted in one place and inserted in another are moves; a new rule
//! equal to an existing one is a copy. Pure: the caller turns the alignment into text edits.

use std::hash::{Hash, Hasher};

use rustc_hash::{FxHashMap, FxHasher};
use similar::{Algorithm, DiffOp, capture_diff_slices};

use crate::config::model::IngressRule;

/// How the new rules relate to the old ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Alignment {
    /// For each old rule: gone from where it was (deleted, or moved elsewhere).
    pub deleted: Vec<bool>,
    /// (old, new) rules that are the same rule, changed.
    pub pairs: Vec<(usize, usize)>,
    /// New rules that take a new place, in new order.
    pub inserted: Vec<Inserted>,
}

/// A rule in a new place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Inserted {
    /// Its index in the new list.
    pub new: usize,
    /// In front of this old rule (the old count: at the end), among the old rules that stay.
    pub at: usize,
    /// Where its text comes from.
    pub source: Source,
}

/// Where an inserted rule's text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// Written anew.
    New,
    /// Old rule `o`, deleted from its place (changed or not).
    Moved(usize),
    /// A copy of old rule `o`'s text (equal to it).
    Copy(usize),
}

/// Aligns the old and new rule lists.
pub(super) fn align(old: &[IngressRule], new: &[IngressRule]) -> Alignment {
    let pre = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let max_suf = old.len().min(new.len()) - pre;
    let suf = old
        .iter()
        .rev()
        .zip(new.iter().rev())
        .take(max_suf)
        .take_while(|(a, b)| a == b)
        .count();
    let old_keys: Vec<u64> = old[pre..old.len() - suf].iter().map(rule_hash).collect();
    let new_keys: Vec<u64> = new[pre..new.len() - suf].iter().map(rule_hash).collect();
    let ops = capture_diff_slices(Algorithm::Patience, &old_keys, &new_keys);

    let mut deleted = vec![false; old.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut inserted: Vec<(usize, usize)> = Vec::new(); // (new index, at old index)
    for op in ops {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                // Equal keys; a hash collision makes a changed pair.
                for t in 0..len {
                    let (o, n) = (pre + old_index + t, pre + new_index + t);
                    if old[o] != new[n] {
                        pairs.push((o, n));
                    }
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                let o = pre + old_index;
                deleted[o..o + old_len].fill(true);
            }
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => {
                let n = pre + new_index;
                inserted.extend((n..n + new_len).map(|n| (n, pre + old_index)));
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let (o0, n0) = (pre + old_index, pre + new_index);
                let block = pair_block(&old[o0..o0 + old_len], &new[n0..n0 + new_len]);
                deleted[o0..o0 + old_len].fill(true);
                for &(o, _) in &block {
                    deleted[o0 + o] = false;
                }
                let mut next_pair = 0;
                for n in 0..new_len {
                    while next_pair < block.len() && block[next_pair].1 < n {
                        next_pair += 1;
                    }
                    match block.get(next_pair) {
                        Some(&(o, pn)) if pn == n => pairs.push((o0 + o, n0 + n)),
                        Some(&(o, _)) => inserted.push((n0 + n, o0 + o)),
                        None => inserted.push((n0 + n, o0 + old_len)),
                    }
                }
            }
        }
    }
    inserted.sort_by_key(|&(n, _)| n);

    // Deleted here and inserted there: a move (the same rule, or the only one deleted with its
    // hostname and path). Equal to a rule still in the list: a copy.
    let mut by_id: FxHashMap<Option<(&str, &str)>, Vec<usize>> = FxHashMap::default();
    for o in (0..old.len()).filter(|&o| deleted[o]) {
        by_id.entry(identity(&old[o])).or_default().push(o);
    }
    let mut by_hash: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    if !inserted.is_empty() {
        for (o, r) in old.iter().enumerate() {
            by_hash.entry(rule_hash(r)).or_default().push(o);
        }
    }
    let inserted = inserted
        .into_iter()
        .map(|(n, at)| {
            let moved = by_id.get_mut(&identity(&new[n])).and_then(|c| {
                let exact = c.iter().position(|&o| old[o] == new[n]);
                let only = (c.len() == 1 && identity(&new[n]).is_some()).then_some(0);
                Some(c.remove(exact.or(only)?))
            });
            let copy = || {
                by_hash
                    .get(&rule_hash(&new[n]))
                    .and_then(|c| c.iter().find(|&&o| old[o] == new[n]))
                    .copied()
            };
            let source = match moved {
                Some(o) => Source::Moved(o),
                None => copy().map_or(Source::New, Source::Copy),
            };
            Inserted { new: n, at, source }
        })
        .collect();
    Alignment {
        deleted,
        pairs,
        inserted,
    }
}

/// A hash of everything a rule holds (equal rules, equal hashes).
fn rule_hash(r: &IngressRule) -> u64 {
    let mut h = FxHasher::default();
    for s in [&r.hostname, &r.path, &r.service] {
        (s.is_present(), s.get()).hash(&mut h);
    }
    if r.origin_request.is_present() || !r.extra.is_empty() {
        format!("{:?}{:?}", r.origin_request, r.extra).hash(&mut h);
    }
    h.finish()
}

/// What a person calls "the same rule": its hostname and path (none for a catch-all).
fn identity(r: &IngressRule) -> Option<(&str, &str)> {
    let id = (r.hostname.as_str(), r.path.as_str());
    (id != ("", "")).then_some(id)
}

/// Pairs old and new rules of a replaced stretch, keeping their order: first rules with the same
/// hostname and path, then (between those) rules with the same hostname or that share two of
/// path, service and originRequest, then (between those) rules by position where the counts match.
fn pair_block(old: &[IngressRule], new: &[IngressRule]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    fill_pairs(old, new, (0, old.len()), (0, new.len()), 0, &mut pairs);
    pairs.sort_unstable();
    pairs
}

fn same_identity(a: &IngressRule, b: &IngressRule) -> bool {
    identity(a).is_some() && identity(a) == identity(b)
}

fn similar_enough(a: &IngressRule, b: &IngressRule) -> bool {
    if !a.hostname.as_str().is_empty() && a.hostname == b.hostname {
        return true;
    }
    let same = [
        a.hostname.is_set() && a.hostname == b.hostname,
        a.path.is_set() && a.path == b.path,
        a.service.is_set() && a.service == b.service,
        a.origin_request.is_set() && a.origin_request == b.origin_request,
    ];
    same.iter().filter(|&&s| s).count() >= 2
}

fn fill_pairs(
    old: &[IngressRule],
    new: &[IngressRule],
    (o_start, o_end): (usize, usize),
    (n_start, n_end): (usize, usize),
    pass: usize,
    out: &mut Vec<(usize, usize)>,
) {
    if o_start >= o_end || n_start >= n_end {
        return;
    }
    let same: fn(&IngressRule, &IngressRule) -> bool = match pass {
        0 => same_identity,
        1 => similar_enough,
        _ => {
            if o_end - o_start == n_end - n_start {
                out.extend((o_start..o_end).zip(n_start..n_end));
            }
            return;
        }
    };
    let mut anchors = Vec::new();
    let mut next = o_start;
    for (n, rule) in new.iter().enumerate().take(n_end).skip(n_start) {
        if let Some(o) = (next..o_end).find(|&o| same(&old[o], rule)) {
            anchors.push((o, n));
            next = o + 1;
        }
    }
    let (mut o0, mut n0) = (o_start, n_start);
    for (o, n) in anchors.into_iter().chain(std::iter::once((o_end, n_end))) {
        fill_pairs(old, new, (o0, o), (n0, n), pass + 1, out);
        if o < o_end {
            out.push((o, n));
        }
        (o0, n0) = (o + 1, n + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::model::Setting;

    fn rule(host: &str, service: &str) -> IngressRule {
        IngressRule::new(crate::config::model::RuleFields {
            hostname: if host.is_empty() {
                Setting::Absent
            } else {
                Setting::Set(host.to_owned())
            },
            service: Setting::Set(service.to_owned()),
            ..crate::config::model::RuleFields::default()
        })
    }

    #[test]
    fn replaced_rules_pair_by_hostname_then_position() {
        let old = [rule("a", "1"), rule("b", "1"), rule("c", "1")];
        let new = [rule("b", "2"), rule("x", "2")];
        assert_eq!(pair_block(&old, &new), [(1, 0), (2, 1)]);
        let new = [rule("b", "1"), rule("x", "2"), rule("y", "2")];
        assert_eq!(pair_block(&old, &new), [(1, 0)]);
        let mut moved_path = rule("c", "1");
        moved_path.path = Setting::Set("/x".into());
        let new = [moved_path];
        assert_eq!(pair_block(&old[1..], &new), [(1, 0)]);
        let new = [rule("a", "2"), rule("y", "2"), rule("c", "2")];
        assert_eq!(pair_block(&old, &new), [(0, 0), (1, 1), (2, 2)]);
        let new = [rule("z", "2")];
        assert_eq!(pair_block(&old[..1], &new), [(0, 0)]);
    }

    #[test]
    fn edits_are_recognised() {
        let old = [
            rule("a", "1"),
            rule("b", "1"),
            rule("c", "1"),
            rule("", "404"),
        ];
        // A changed service is a changed pair.
        let mut new = old.to_vec();
        new[1].service = Setting::Set("2".into());
        let a = align(&old, &new);
        assert_eq!(
            (a.pairs.as_slice(), a.inserted.as_slice()),
            (&[(1, 1)][..], &[][..])
        );
        // A move: deleted at 0, inserted in front of old rule 3, carrying its text.
        let new = [
            old[1].clone(),
            old[2].clone(),
            old[0].clone(),
            old[3].clone(),
        ];
        let a = align(&old, &new);
        assert_eq!(a.deleted, [true, false, false, false]);
        assert_eq!(
            a.inserted,
            [Inserted {
                new: 2,
                at: 3,
                source: Source::Moved(0)
            }]
        );
        // Moved and changed: still the same rule.
        let mut new = new;
        new[2].service = Setting::Set("9".into());
        assert_eq!(align(&old, &new).inserted[0].source, Source::Moved(0));
        // A duplicate copies; a new rule is new; a deletion is a deletion.
        let new = [
            old[0].clone(),
            old[0].clone(),
            old[1].clone(),
            rule("x", "1"),
            old[2].clone(),
            old[3].clone(),
        ];
        let a = align(&old, &new);
        assert_eq!(a.deleted, [false; 4]);
        assert_eq!(
            a.inserted
                .iter()
                .map(|i| (i.new, i.at, i.source))
                .collect::<Vec<_>>(),
            [(1, 1, Source::Copy(0)), (3, 2, Source::New)]
        );
        let a = align(&old, &[old[0].clone(), old[2].clone(), old[3].clone()]);
        assert_eq!(
            (a.deleted.as_slice(), a.inserted.len()),
            (&[false, true, false, false][..], 0)
        );
    }
}
