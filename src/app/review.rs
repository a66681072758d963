//! The publish review (rule summary and unified diff), computed off the input path: for a large
//! config, writing both texts and diffing them takes far longer than a keystroke may, so the app
//! asks for it as an effect and shows the result when it arrives.

use std::sync::Arc;

use crate::config::diff::{DurationStyle, canonical_text, summarize_with, unified};
use crate::config::files::{Format, parse_str, to_json_string, to_yaml_string};
use crate::config::model::TunnelConfig;
use crate::config::preserve;

/// The file a review is for: the exact bytes to write are worked out from its text as read.
#[derive(Debug, Clone, PartialEq)]
pub struct FileReview {
    /// Its format.
    pub format: Format,
    /// Its exact text as read just before the review (`None`: the file does not exist yet).
    pub original: Option<Arc<str>>,
}

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
    /// What the DNS section needs (remote tunnels); `None`: no DNS section.
    pub dns: Option<super::dns::ReviewDns>,
    /// Whether only DNS changes are reviewed (the config equals the source).
    pub dns_only: bool,
    /// For a file: the diff is of the file's text before and after, exactly as written.
    pub file: Option<FileReview>,
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
    /// The DNS section (remote tunnels whose DNS was read).
    pub dns: Option<Box<super::dns::DnsReview>>,
    /// Whether only DNS changes are reviewed: confirming sends no config.
    pub dns_only: bool,
    /// For a file: the exact bytes that confirming writes (the diff is of these).
    pub file_text: Option<String>,
    /// For a file: the text the review was made against; the write refuses if the file no
    /// longer holds it.
    pub original: Option<Arc<str>>,
    /// Whether the config would not change (the review then offers nothing to confirm, unless
    /// it reviews DNS changes alone).
    pub unchanged: bool,
}

impl Review {
    /// Whether there is nothing to publish, write or change: the config is unchanged and no DNS
    /// change is reviewed alone.
    pub fn is_empty(&self) -> bool {
        self.unchanged
            && !(self.dns_only && self.dns.as_ref().is_some_and(|d| !d.changes.is_empty()))
    }
}

impl ReviewRequest {
    /// Computes the summary and the diff, and for a file the exact text to write (pure; may
    /// take a while for a large config). Fails when a file cannot hold the draft (a fractional
    /// duration in JSON).
    pub fn compute(self) -> Result<Review, String> {
        let empty = TunnelConfig::default();
        let against = self.against.as_deref().unwrap_or(&empty);
        // A config.yml holds Go durations (`1.5s`), which remote JSON's whole seconds cannot.
        let yaml_file = matches!(&self.file, Some(f) if f.format == Format::Yaml);
        let style = if self.yaml || yaml_file {
            DurationStyle::Go
        } else {
            DurationStyle::Seconds
        };
        let summary = summarize_with(against, &self.draft, style).lines();
        let mut notes = self.notes;
        let (diff, file_text, original, unchanged) = match self.file {
            Some(file) => {
                let new_text = file_text(&file, &self.draft, &mut notes)?;
                let old_text = file.original.as_deref().unwrap_or("");
                let diff = unified(old_text, &new_text, &self.old_name, "after saving");
                let unchanged = file.original.as_deref() == Some(new_text.as_str());
                (diff, Some(new_text), file.original, unchanged)
            }
            None => {
                let text = |c: &TunnelConfig| {
                    if self.yaml {
                        to_yaml_string(c).unwrap_or_else(|_| canonical_text(c))
                    } else {
                        canonical_text(c)
                    }
                };
                let old_text = self.against.as_deref().map(text).unwrap_or_default();
                let diff = unified(&old_text, &text(&self.draft), &self.old_name, "draft");
                let unchanged = self.against.as_deref() == Some(&self.draft);
                (diff, None, None, unchanged)
            }
        };
        let dns = self
            .dns
            .and_then(|d| d.snapshot)
            .map(|snap| Box::new(super::dns::DnsReview::new(&self.draft, snap)));
        Ok(Review {
            ticket: self.ticket,
            dns,
            dns_only: self.dns_only,
            target: self.draft,
            replaces: self.replaces,
            summary,
            diff: diff.lines().map(str::to_owned).collect(),
            notes,
            file_text,
            original,
            unchanged,
        })
    }
}

/// The exact new text of a file holding `draft`: the file's own text with only what was edited
/// changed ([`preserve::rewrite`]), with a note wherever the layout could not be kept; a new file
/// is written in full.
fn file_text(
    file: &FileReview,
    draft: &TunnelConfig,
    notes: &mut Vec<String>,
) -> Result<String, String> {
    let Some(original) = file.original.as_deref() else {
        return match file.format {
            Format::Yaml => to_yaml_string(draft),
            Format::Json => to_json_string(draft, false),
        }
        .map_err(|e| format!("the file cannot hold this config: {e}"));
    };
    let read = parse_str(original, file.format)
        .map_err(|e| format!("the file as read cannot be parsed any more: {e}"))?;
    let rewrite = preserve::rewrite(original, file.format, read.shape, &read.config, draft)
        .map_err(|e| format!("the file cannot hold this config: {e}"))?;
    notes.extend(rewrite.notes.into_iter().map(|n| format!("LAYOUT: {n}")));
    Ok(rewrite.text)
}

/// Runs, in this thread, the effects that need neither disk nor network (the review, a DNS
/// judgement, freeing leftovers), feeding their answers back to the app; returns the other
/// effects. For tests,
/// benchmarks and callers without a background executor.
pub fn settle(app: &mut super::App, effects: Vec<super::Effect>) -> Vec<super::Effect> {
    let mut rest = Vec::new();
    let mut queue = std::collections::VecDeque::from(effects);
    while let Some(effect) = queue.pop_front() {
        match effect {
            super::Effect::Review(request) => {
                let ticket = request.ticket;
                let answer = super::Event::Reviewed(
                    request
                        .compute()
                        .map(Box::new)
                        .map_err(|message| super::ReviewFailed { ticket, message }),
                );
                queue.extend(app.update(answer));
            }
            super::Effect::JudgeDns {
                ticket,
                rules,
                snapshot,
            } => {
                let judged = super::dns::Judged::new(&rules, &snapshot);
                let answer = super::Event::DnsJudged {
                    ticket,
                    report: Ok(Box::new(judged)),
                };
                queue.extend(app.update(answer));
            }
            super::Effect::Release(leftover) => drop(leftover),
            other => rest.push(other),
        }
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A config.yml with a fractional duration (which remote JSON cannot hold) is summarized by
    /// what changed, in Go durations: never as if one side were empty.
    #[test]
    fn file_summary_with_fractional_duration_lists_only_the_change() {
        let before = "originRequest:\n  connectTimeout: 1m30s\n  tlsTimeout: 1.5s # slow NAS\nwarp-routing:\n  enabled: false\ningress:\n  - hostname: a.example.com\n    service: http://localhost:8080\n  - service: http_status:404\n";
        let after = before.replace("1.5s", "2s");
        let read = |t: &str| {
            parse_str(t, Format::Yaml)
                .map(|l| l.config)
                .unwrap_or_else(|e| panic!("{e}"))
        };
        let request = ReviewRequest {
            ticket: 1,
            against: Some(Arc::new(read(before))),
            draft: read(&after),
            yaml: true,
            old_name: "config.yml".to_owned(),
            replaces: None,
            notes: Vec::new(),
            file: Some(FileReview {
                format: Format::Yaml,
                original: Some(Arc::from(before)),
            }),
            dns: None,
            dns_only: false,
        };
        let review = request.compute().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            review.summary,
            vec![
                "~ global originRequest".to_owned(),
                "    tlsTimeout \"1.5s\" → \"2s\"".to_owned(),
            ]
        );
    }
}
