//! Undo/redo of edits. Each user action is one [`Edit`] that knows how to apply and revert itself
//! and holds only what it changes (one rule, or the global settings), so history costs memory in
//! proportion to the changes, not to the config size. Edits can also be replayed onto another
//! config (rebasing a draft onto a newer remote version).

use crate::config::diff::rule_label;
use crate::config::model::{IngressRule, OriginRequest, Setting, TunnelConfig, WarpRouting};

/// One change to the draft.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// A rule's content replaced (a form applied).
    SetRule {
        /// Position.
        index: usize,
        /// The rule before.
        before: Box<IngressRule>,
        /// The rule after.
        after: Box<IngressRule>,
    },
    /// A rule inserted.
    Insert {
        /// Position it takes.
        index: usize,
        /// The rule.
        rule: Box<IngressRule>,
        /// "add" or "duplicate", for messages.
        verb: &'static str,
    },
    /// A rule deleted.
    Delete {
        /// Position it had.
        index: usize,
        /// The rule.
        rule: Box<IngressRule>,
    },
    /// A rule moved.
    Move {
        /// Old position.
        from: usize,
        /// New position.
        to: usize,
        /// The rule (to find it when rebasing).
        rule: Box<IngressRule>,
    },
    /// The global originRequest replaced.
    SetGlobal {
        /// Before.
        before: Box<Setting<OriginRequest>>,
        /// After.
        after: Box<Setting<OriginRequest>>,
    },
    /// warp-routing replaced.
    SetWarp {
        /// Before.
        before: Setting<WarpRouting>,
        /// After.
        after: Setting<WarpRouting>,
    },
    /// The whole draft replaced in one step (a rebase, a version loaded from the publish
    /// history), so the draft before it is one undo away. Holds both configs: it is rare.
    Replace {
        /// The draft before.
        before: Box<TunnelConfig>,
        /// The draft after.
        after: Box<TunnelConfig>,
        /// What it was, for messages: "rebase onto version 8".
        what: String,
    },
}

impl Edit {
    /// Applies the edit. Returns false (and changes nothing) if it does not fit the config.
    pub fn apply(&self, cfg: &mut TunnelConfig) -> bool {
        // Only rule edits touch `ingress` (an absent list stays absent otherwise).
        match self {
            Edit::SetGlobal { after, .. } => {
                cfg.origin_request = (**after).clone();
                return true;
            }
            Edit::SetWarp { after, .. } => {
                cfg.warp_routing = after.clone();
                return true;
            }
            Edit::Replace { after, .. } => {
                *cfg = (**after).clone();
                return true;
            }
            _ => {}
        }
        let rules = cfg.rules_mut();
        match self {
            Edit::SetRule { index, after, .. } => match rules.get_mut(*index) {
                Some(r) => {
                    *r = (**after).clone();
                    true
                }
                None => false,
            },
            Edit::Insert { index, rule, .. } => {
                if *index > rules.len() {
                    return false;
                }
                rules.insert(*index, (**rule).clone());
                true
            }
            Edit::Delete { index, .. } => {
                if *index >= rules.len() {
                    return false;
                }
                rules.remove(*index);
                true
            }
            Edit::Move { from, to, .. } => {
                if *from >= rules.len() || *to >= rules.len() {
                    return false;
                }
                let r = rules.remove(*from);
                rules.insert(*to, r);
                true
            }
            Edit::SetGlobal { .. } | Edit::SetWarp { .. } | Edit::Replace { .. } => true,
        }
    }

    /// The edit that undoes this one.
    pub fn inverse(&self) -> Edit {
        match self {
            Edit::SetRule {
                index,
                before,
                after,
            } => Edit::SetRule {
                index: *index,
                before: after.clone(),
                after: before.clone(),
            },
            Edit::Insert { index, rule, .. } => Edit::Delete {
                index: *index,
                rule: rule.clone(),
            },
            Edit::Delete { index, rule } => Edit::Insert {
                index: *index,
                rule: rule.clone(),
                verb: "restore",
            },
            Edit::Move { from, to, rule } => Edit::Move {
                from: *to,
                to: *from,
                rule: rule.clone(),
            },
            Edit::SetGlobal { before, after } => Edit::SetGlobal {
                before: after.clone(),
                after: before.clone(),
            },
            Edit::SetWarp { before, after } => Edit::SetWarp {
                before: after.clone(),
                after: before.clone(),
            },
            Edit::Replace {
                before,
                after,
                what,
            } => Edit::Replace {
                before: after.clone(),
                after: before.clone(),
                what: what.clone(),
            },
        }
    }

    /// A short description: "delete rule 4 app.example.com".
    pub fn describe(&self) -> String {
        match self {
            Edit::SetRule { index, after, .. } => {
                format!("edit rule {} {}", index + 1, rule_label(after))
            }
            Edit::Insert { index, rule, verb } => {
                format!("{verb} rule {} {}", index + 1, rule_label(rule))
            }
            Edit::Delete { index, rule } => {
                format!("delete rule {} {}", index + 1, rule_label(rule))
            }
            Edit::Move { from, to, rule } => {
                format!("move rule {} {} to {}", from + 1, rule_label(rule), to + 1)
            }
            Edit::SetGlobal { .. } => "edit global originRequest".to_owned(),
            Edit::SetWarp { .. } => "edit warp-routing".to_owned(),
            Edit::Replace { what, .. } => what.clone(),
        }
    }

    /// The rule the selection should follow after applying, if any.
    pub fn focus(&self) -> Option<usize> {
        match self {
            Edit::SetRule { index, .. } | Edit::Insert { index, .. } => Some(*index),
            Edit::Delete { index, .. } => Some(index.saturating_sub(usize::from(*index > 0))),
            Edit::Move { to, .. } => Some(*to),
            _ => None,
        }
    }

    /// Replays the edit onto another config (rebase), finding rules by content rather than by
    /// position. Returns a note when it could not be replayed as made.
    pub fn replay(&self, cfg: &mut TunnelConfig) -> Result<(), String> {
        let find = |cfg: &TunnelConfig, rule: &IngressRule, near: usize| -> Option<usize> {
            let rules = cfg.rules();
            let mut best: Option<usize> = None;
            for (i, r) in rules.iter().enumerate() {
                if r == rule && best.is_none_or(|b| i.abs_diff(near) < b.abs_diff(near)) {
                    best = Some(i);
                }
            }
            best
        };
        let len = cfg.rules().len();
        match self {
            Edit::SetRule {
                index,
                before,
                after,
            } => match find(cfg, before, *index) {
                Some(i) => {
                    cfg.rules_mut()[i] = (**after).clone();
                    Ok(())
                }
                None => Err(format!(
                    "rule {} {} was changed remotely too; your version was not applied",
                    index + 1,
                    rule_label(before)
                )),
            },
            Edit::Insert { index, rule, .. } => {
                let at = (*index).min(len.saturating_sub(1));
                cfg.rules_mut().insert(at, (**rule).clone());
                Ok(())
            }
            Edit::Delete { index, rule } => match find(cfg, rule, *index) {
                Some(i) => {
                    cfg.rules_mut().remove(i);
                    Ok(())
                }
                None => Err(format!(
                    "rule {} {} is already gone or changed remotely",
                    index + 1,
                    rule_label(rule)
                )),
            },
            Edit::Move { to, rule, from } => match find(cfg, rule, *from) {
                Some(i) => {
                    let r = cfg.rules_mut().remove(i);
                    let at = (*to).min(cfg.rules().len().saturating_sub(1));
                    cfg.rules_mut().insert(at, r);
                    Ok(())
                }
                None => Err(format!(
                    "rule {} could not be moved: it changed remotely",
                    rule_label(rule)
                )),
            },
            Edit::SetGlobal { before, after } => {
                let clash = cfg.origin_request != **before;
                cfg.origin_request = (**after).clone();
                if clash {
                    Err(
                        "the global originRequest was changed remotely too; yours replaced it"
                            .to_owned(),
                    )
                } else {
                    Ok(())
                }
            }
            Edit::SetWarp { before, after } => {
                let clash = cfg.warp_routing != *before;
                cfg.warp_routing = after.clone();
                if clash {
                    Err("warp-routing was changed remotely too; yours replaced it".to_owned())
                } else {
                    Ok(())
                }
            }
            Edit::Replace {
                before,
                after,
                what,
            } => {
                let clash = *cfg != **before;
                *cfg = (**after).clone();
                if clash {
                    Err(format!(
                        "{what}: the config was changed remotely too; yours replaced it"
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// The undo and redo stacks.
#[derive(Debug, Clone, Default)]
pub struct History {
    done: Vec<Edit>,
    undone: Vec<Edit>,
}

impl History {
    /// Records an applied edit (clears redo).
    pub fn push(&mut self, edit: Edit) {
        self.done.push(edit);
        self.undone.clear();
    }

    /// Takes the edit to undo, remembering it for redo.
    pub fn undo(&mut self) -> Option<Edit> {
        let e = self.done.pop()?;
        self.undone.push(e.clone());
        Some(e)
    }

    /// Takes the edit to redo.
    pub fn redo(&mut self) -> Option<Edit> {
        let e = self.undone.pop()?;
        self.done.push(e.clone());
        Some(e)
    }

    /// Edits applied since the base.
    pub fn done(&self) -> &[Edit] {
        &self.done
    }

    /// How many edits can be undone.
    pub fn len(&self) -> usize {
        self.done.len()
    }

    /// Whether nothing was edited.
    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }

    /// Forgets everything (after a publish or reload).
    pub fn clear(&mut self) {
        self.done.clear();
        self.undone.clear();
    }

    /// Replaces the done stack (after a rebase).
    pub fn reset_to(&mut self, done: Vec<Edit>) {
        self.done = done;
        self.undone.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    #[test]
    fn undo_all_returns_the_original() {
        let original = parse_json_str(
            r#"{"ingress":[{"hostname":"a.com","service":"http://a"},{"hostname":"b.com","service":"http://b"},{"service":"http_status:404"}]}"#,
        )
        .unwrap_or_default();
        let mut cfg = original.clone();
        let mut h = History::default();
        let edits = vec![
            Edit::Move {
                from: 0,
                to: 1,
                rule: Box::new(cfg.rules()[0].clone()),
            },
            Edit::Delete {
                index: 0,
                rule: Box::new(cfg.rules()[1].clone()),
            },
            Edit::Insert {
                index: 0,
                rule: Box::new(IngressRule::default()),
                verb: "add",
            },
            Edit::SetGlobal {
                before: Box::new(Setting::Absent),
                after: Box::new(Setting::Set(OriginRequest::default())),
            },
        ];
        for e in edits {
            assert!(e.apply(&mut cfg));
            h.push(e);
        }
        while let Some(e) = h.undo() {
            assert!(e.inverse().apply(&mut cfg));
        }
        assert_eq!(cfg, original);
        while let Some(e) = h.redo() {
            assert!(e.apply(&mut cfg));
        }
        assert_ne!(cfg, original);
    }
}
