//! What changes between two configs: a rule-level summary (added, removed, moved, changed rules
//! with each changed field, old → new) and a unified diff of the canonical text.

use std::fmt;

use serde_json::{Map, Value};
use similar::TextDiff;

pub use super::encode::DurationStyle;
use super::encode::{
    config_display_value, config_to_json_for_display, config_to_yaml, origin_display_value,
    rule_display_value,
};
use super::model::{IngressRule, TunnelConfig};
use crate::text::inert;

/// The canonical text of a config: pretty remote JSON (YAML if the config holds durations JSON
/// cannot).
pub fn canonical_text(config: &TunnelConfig) -> String {
    match config_to_json_for_display(config) {
        Ok(v) => {
            let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
            s.push('\n');
            s
        }
        Err(_) => config_to_yaml(config).unwrap_or_default(),
    }
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// Path within the rule or section, e.g. `originRequest.connectTimeout`.
    pub field: String,
    /// Old value as JSON text, `None` when absent.
    pub old: Option<String>,
    /// New value as JSON text, `None` when absent.
    pub new: Option<String>,
}

impl fmt::Display for FieldChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: &Option<String>| {
            v.as_deref()
                .map_or_else(|| "(unset)".to_owned(), |s| inert(s).into_owned())
        };
        write!(
            f,
            "{} {} → {}",
            inert(&self.field),
            show(&self.old),
            show(&self.new)
        )
    }
}

/// What happened to one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleChange {
    /// A new rule at `index` (0-based, in the new config).
    Added {
        /// Position in the new config.
        index: usize,
        /// Its label.
        label: String,
    },
    /// A rule gone from `index` (0-based, in the old config).
    Removed {
        /// Position in the old config.
        index: usize,
        /// Its label.
        label: String,
    },
    /// A rule that kept its hostname and path but moved, maybe with changed fields.
    Moved {
        /// Old position.
        from: usize,
        /// New position.
        to: usize,
        /// Its label.
        label: String,
        /// Changed fields.
        fields: Vec<FieldChange>,
    },
    /// A rule with changed fields.
    Changed {
        /// Old position.
        from: usize,
        /// New position.
        to: usize,
        /// Its label (new).
        label: String,
        /// Changed fields.
        fields: Vec<FieldChange>,
    },
}

/// The change summary between two configs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    /// Rule changes: removals first (old numbering), then in new order.
    pub rules: Vec<RuleChange>,
    /// Changes of the global originRequest.
    pub global: Vec<FieldChange>,
    /// Changes of warp-routing and other top-level keys.
    pub other: Vec<FieldChange>,
}

impl Summary {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.global.is_empty() && self.other.is_empty()
    }

    /// Counts of added, removed, moved and changed rules.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut c = (0, 0, 0, 0);
        for r in &self.rules {
            match r {
                RuleChange::Added { .. } => c.0 += 1,
                RuleChange::Removed { .. } => c.1 += 1,
                RuleChange::Moved { .. } => c.2 += 1,
                RuleChange::Changed { .. } => c.3 += 1,
            }
        }
        c
    }

    /// The summary as lines of text.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.rules {
            match r {
                RuleChange::Added { index, label } => {
                    out.push(format!("+ rule #{} {label} (added)", index + 1))
                }
                RuleChange::Removed { index, label } => {
                    out.push(format!("- rule #{} {label} (removed)", index + 1))
                }
                RuleChange::Moved {
                    from,
                    to,
                    label,
                    fields,
                } => {
                    out.push(format!(
                        "↕ rule #{} {label} (moved from #{})",
                        to + 1,
                        from + 1
                    ));
                    out.extend(fields.iter().map(|f| format!("    {f}")));
                }
                RuleChange::Changed {
                    to, label, fields, ..
                } => {
                    out.push(format!("~ rule #{} {label}", to + 1));
                    out.extend(fields.iter().map(|f| format!("    {f}")));
                }
            }
        }
        if !self.global.is_empty() {
            out.push("~ global originRequest".to_owned());
            out.extend(self.global.iter().map(|f| format!("    {f}")));
        }
        for f in &self.other {
            out.push(format!("~ {f}"));
        }
        out
    }
}

/// A short label for a rule: `app.example.com ^/api/` or `(catch-all)`.
pub fn rule_label(rule: &IngressRule) -> String {
    let host = rule.hostname.as_str();
    let path = rule.path.as_str();
    let h = if host.is_empty() || host == "*" {
        if path.is_empty() {
            "(catch-all)".to_owned()
        } else {
            "(any host)".to_owned()
        }
    } else {
        inert(host).into_owned()
    };
    if path.is_empty() {
        h
    } else {
        format!("{h} {}", inert(path))
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) if !m.is_empty() || prefix.is_empty() => {
            for (k, child) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, child, out);
            }
        }
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

fn field_changes(old: &Value, new: &Value) -> Vec<FieldChange> {
    let mut a = Vec::new();
    let mut b = Vec::new();
    flatten("", old, &mut a);
    flatten("", new, &mut b);
    let mut out = Vec::new();
    for (k, v) in &a {
        match b.iter().find(|(k2, _)| k2 == k) {
            Some((_, v2)) if v2 == v => {}
            Some((_, v2)) => out.push(FieldChange {
                field: k.clone(),
                old: Some(v.clone()),
                new: Some(v2.clone()),
            }),
            None => out.push(FieldChange {
                field: k.clone(),
                old: Some(v.clone()),
                new: None,
            }),
        }
    }
    for (k, v) in &b {
        if !a.iter().any(|(k2, _)| k2 == k) {
            out.push(FieldChange {
                field: k.clone(),
                old: None,
                new: Some(v.clone()),
            });
        }
    }
    out
}

fn rule_value(rule: &IngressRule, i: usize, style: DurationStyle) -> Value {
    rule_display_value(rule, i, style)
}

/// Indices of a longest increasing subsequence of `seq`.
fn lis(seq: &[usize]) -> Vec<usize> {
    let mut tails: Vec<usize> = Vec::new();
    let mut prev = vec![usize::MAX; seq.len()];
    for i in 0..seq.len() {
        let pos = tails.partition_point(|&t| seq[t] < seq[i]);
        if pos > 0 {
            prev[i] = tails[pos - 1];
        }
        if pos == tails.len() {
            tails.push(i);
        } else {
            tails[pos] = i;
        }
    }
    let mut out = Vec::new();
    let mut cur = tails.last().copied();
    while let Some(c) = cur {
        out.push(c);
        cur = (prev[c] != usize::MAX).then_some(prev[c]);
    }
    out.reverse();
    out
}

/// Compares two configs rule by rule, durations as remote JSON's whole seconds (for remote
/// configs; see [`summarize_with`] for files).
pub fn summarize(old: &TunnelConfig, new: &TunnelConfig) -> Summary {
    summarize_with(old, new, DurationStyle::Seconds)
}

/// Compares two configs rule by rule, durations shown in `style` (config.yml: Go durations). A
/// value one format cannot hold never makes a side look empty.
pub fn summarize_with(old: &TunnelConfig, new: &TunnelConfig, style: DurationStyle) -> Summary {
    let (o, n) = (old.rules(), new.rules());
    let key = |r: &IngressRule| (r.hostname.as_str().to_owned(), r.path.as_str().to_owned());
    let mut used_old = vec![false; o.len()];
    let mut pairs: Vec<(usize, usize)> = Vec::new(); // (old, new), in new order
    let mut unmatched_new = Vec::new();
    for (j, r) in n.iter().enumerate() {
        let k = key(r);
        match (0..o.len()).find(|&i| !used_old[i] && key(&o[i]) == k) {
            Some(i) => {
                used_old[i] = true;
                pairs.push((i, j));
            }
            None => unmatched_new.push(j),
        }
    }
    // A rule whose hostname or path changed in place is a change, not a removal and an addition.
    let mut added = Vec::new();
    for j in unmatched_new {
        let same_service_or_host =
            |i: usize| o[i].service == n[j].service || o[i].hostname == n[j].hostname;
        if j < o.len() && !used_old[j] && same_service_or_host(j) {
            used_old[j] = true;
            pairs.push((j, j));
        } else {
            added.push(j);
        }
    }
    pairs.sort_by_key(|&(_, j)| j);
    let olds: Vec<usize> = pairs.iter().map(|&(i, _)| i).collect();
    let in_order: Vec<usize> = lis(&olds);
    let mut rules = Vec::new();
    for (i, used) in used_old.iter().enumerate() {
        if !used {
            rules.push(RuleChange::Removed {
                index: i,
                label: rule_label(&o[i]),
            });
        }
    }
    let mut events: Vec<(usize, RuleChange)> = Vec::new();
    for (p, &(i, j)) in pairs.iter().enumerate() {
        let fields = field_changes(&rule_value(&o[i], i, style), &rule_value(&n[j], j, style));
        let label = rule_label(&n[j]);
        if !in_order.contains(&p) {
            events.push((
                j,
                RuleChange::Moved {
                    from: i,
                    to: j,
                    label,
                    fields,
                },
            ));
        } else if !fields.is_empty() {
            events.push((
                j,
                RuleChange::Changed {
                    from: i,
                    to: j,
                    label,
                    fields,
                },
            ));
        }
    }
    for j in added {
        events.push((
            j,
            RuleChange::Added {
                index: j,
                label: rule_label(&n[j]),
            },
        ));
    }
    events.sort_by_key(|(j, _)| *j);
    rules.extend(events.into_iter().map(|(_, c)| c));

    let origin = |c: &TunnelConfig| {
        c.global()
            .map(|g| origin_display_value(g, "originRequest", style))
            .unwrap_or(Value::Object(Map::new()))
    };
    let global = field_changes(&origin(old), &origin(new));
    let rest = |c: &TunnelConfig| {
        let mut m = Map::new();
        if let Value::Object(top) = config_display_value(c, style) {
            for (k, v) in top {
                if k != "ingress" && k != "originRequest" {
                    m.insert(k, v);
                }
            }
        }
        Value::Object(m)
    };
    let other = field_changes(&rest(old), &rest(new));
    Summary {
        rules,
        global,
        other,
    }
}

/// A unified diff of two texts (empty when equal).
pub fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    fn cfg(s: &str) -> TunnelConfig {
        parse_json_str(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn summary_names_added_removed_moved_and_changed() {
        let old = cfg(r#"{"ingress":[
            {"hostname":"a.com","service":"http://a"},
            {"hostname":"b.com","service":"http://b"},
            {"hostname":"c.com","service":"http://c","originRequest":{"connectTimeout":10}},
            {"hostname":"gone.com","service":"http://g"},
            {"service":"http_status:404"}]}"#);
        let new = cfg(r#"{"ingress":[
            {"hostname":"b.com","service":"http://b"},
            {"hostname":"a.com","service":"http://a"},
            {"hostname":"c.com","service":"http://c2","originRequest":{"connectTimeout":30}},
            {"hostname":"new.com","service":"http://n"},
            {"service":"http_status:404"}],"originRequest":{"noTLSVerify":true}}"#);
        let s = summarize(&old, &new);
        let lines = s.lines().join("\n");
        assert!(lines.contains("- rule #4 gone.com (removed)"), "{lines}");
        assert!(
            lines.contains("↕ rule #2 a.com (moved from #1)")
                || lines.contains("↕ rule #1 b.com (moved from #2)"),
            "{lines}"
        );
        assert!(lines.contains("~ rule #3 c.com\n    service \"http://c\" → \"http://c2\"\n    originRequest.connectTimeout 10 → 30"), "{lines}");
        assert!(lines.contains("+ rule #4 new.com (added)"), "{lines}");
        assert!(
            lines.contains("~ global originRequest\n    noTLSVerify (unset) → true"),
            "{lines}"
        );
        assert_eq!(s.counts(), (1, 1, 1, 1));
        assert!(summarize(&old, &old).is_empty());
    }

    #[test]
    fn unified_diff_of_canonical_text() {
        let a = cfg(r#"{"ingress":[{"service":"http_status:404"}]}"#);
        let b = cfg(r#"{"ingress":[{"service":"http_status:503"}]}"#);
        let d = unified(&canonical_text(&a), &canonical_text(&b), "remote", "draft");
        assert!(
            d.contains("-      \"service\": \"http_status:404\"")
                && d.contains("+      \"service\": \"http_status:503\""),
            "{d}"
        );
        assert_eq!(unified("x", "x", "a", "b"), "");
    }
}
