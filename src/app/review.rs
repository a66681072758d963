//! The publish review (rule summary and unified diff), computed off the input path: for a large
//! config, writing both texts and diffing them takes far longer than a keystroke may, so the app
//! asks for it as an effect and shows the result when it arrives.

use crate::config::diff::{canonical_text, summarize, unified};
use crate::config::files::to_yaml_string;
use crate::config::model::TunnelConfig;

/// What the review compares, and what to show with it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewRequest {
    /// Which request this is (a late answer to an abandoned one is dropped).
    pub ticket: u64,
    /// What the draft replaces; `None` when there is nothing yet (a new tunnel config).
    pub against: Option<std::sync::Arc<TunnelConfig>>,
    /// The draft, as it will be published.
    pub draft: TunnelConfig,
    /// Show both sides as config.yml text (a YAML file) instead of JSON.
    pub yaml: bool,
    /// The label of the old side of the diff.
    pub old_name: String,
    /// The remote version being replaced.
    pub replaces: Option<u64>,
    /// Notes to show above the diff.
    pub notes: Vec<String>,
}

/// A computed review, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// The request it answers.
    pub ticket: u64,
    /// What will be published.
    pub target: TunnelConfig,
    /// The remote version it replaces.
    pub replaces: Option<u64>,
    /// Rule-level summary lines.
    pub summary: Vec<String>,
    /// Unified diff lines.
    pub diff: Vec<String>,
    /// Notes.
    pub notes: Vec<String>,
}

impl ReviewRequest {
    /// Computes the summary and the diff (pure; may take a while for a large config).
    pub fn compute(self) -> Review {
        let empty = TunnelConfig::default();
        let against = self.against.as_deref().unwrap_or(&empty);
        let summary = summarize(against, &self.draft).lines();
        let text = |c: &TunnelConfig| {
            if self.yaml {
                to_yaml_string(c).unwrap_or_else(|_| canonical_text(c))
            } else {
                canonical_text(c)
            }
        };
        let old_text = self.against.as_deref().map(text).unwrap_or_default();
        let diff = unified(&old_text, &text(&self.draft), &self.old_name, "draft")
            .lines()
            .map(str::to_owned)
            .collect();
        Review {
            ticket: self.ticket,
            target: self.draft,
            replaces: self.replaces,
            summary,
            diff,
            notes: self.notes,
        }
    }
}

/// Runs, in this thread, the effects that need neither disk nor network (the review), feeding
/// their answers back to the app; returns the other effects. For tests, benchmarks and callers
/// without a background executor.
pub fn settle(app: &mut super::App, effects: Vec<super::Effect>) -> Vec<super::Effect> {
    let mut rest = Vec::new();
    let mut queue = std::collections::VecDeque::from(effects);
    while let Some(effect) = queue.pop_front() {
        match effect {
            super::Effect::Review(request) => {
                let answer = super::Event::Reviewed(Ok(Box::new(request.compute())));
                queue.extend(app.update(answer));
            }
            other => rest.push(other),
        }
    }
    rest
}
