//! Writing an edited config back into its file while changing only what was edited: what you
//! review is what gets written. One entry point, [`rewrite`].
//!
//! # How
//! The text is edited by the spans of its parsed document. config.yml is parsed with
//! saphyr-parser, the parser the project's reader uses, whose events carry the span of every
//! scalar and collection; JSON with a small scanner (serde_json keeps no positions). Both configs,
//! the one read from the file and the edited one, become value trees in the file's terms, and the
//! two trees are walked with the span tree:
//! - an unchanged value keeps its bytes (so an unchanged config gives the file back byte for byte);
//! - a changed scalar replaces just that scalar, in its old quoting when that can hold the new
//!   value, plain when YAML (and cloudflared's yaml.v3) reads it back as the same string,
//!   double-quoted otherwise; durations stay Go duration strings (`1.5s`) in config.yml;
//! - an added key gets its own line(s) at its siblings' indentation, after the key it follows in
//!   cfingress's key order (so `path` lands after `hostname`); a removed key removes its lines;
//! - rules are aligned one by one (unchanged stretches skipped, then a patience diff keyed by each
//!   rule's content, changed rules paired by hostname and path, then by hostname or two equal
//!   settings, then by position): a changed rule is edited in
//!   place, a deleted rule removes its lines *and the comment lines directly above it* (no blank
//!   line between, indented no deeper than its `-`), a moved rule carries its text with those
//!   comments, a duplicated rule copies its text, and a new rule is written with the indentation,
//!   blank-line separation and quoting of the rule above it. Comment lines at the very top of a
//!   file are its header and belong to no entry; comments indented under a rule belong to it.
//! - JSON members and items (and YAML flow collections) are added and removed with their commas,
//!   in the file's indentation (2 or 4 spaces, tabs), key separator and line layout.
//!
//! Where a value cannot be edited in place (a `|`/`>` block scalar, `? key` syntax, a JSON object
//! that repeats the edited key, an empty `{}` that gets keys), the smallest enclosing value is
//! written anew (the value, the rule, the ingress list),
//! and a note says so when comments or layout are lost. Every result is then read back with the
//! project's reader ([`crate::config::files::parse_str`]); if it does not read back as exactly the
//! edited config, the whole file is written anew, with a note; so the text returned always reads
//! back as the edited config. Editing inside a YAML anchor that an alias repeats goes that way on
//! purpose (the aliases would change too); the property tests have found no other case.
//!
//! # Why not a format-preserving YAML library
//! The one maintained lossless YAML editor on crates.io, `yaml-edit` (rowan-based), was weighed:
//! it brings a second, hand-written YAML grammar, so its idea of where a value starts and ends can
//! differ from saphyr's, which decides what cfingress reads; it is a 0.x crate with breaking
//! releases and one maintainer, whose own test suite keeps lists of known edit-invariant failures
//! (CRLF files among them); its insertions follow its own indentation and quoting, not the
//! neighbours'; and JSON files need the same care, which it does not give. Spans from the
//! project's own parser, with every result verified by the project's own reader, keep one grammar
//! and one source of truth.
//!
//! # Using it
//! Read the file (`files::parse_str`), keep its text and the [`Loaded`](crate::config::Loaded)
//! config; when the user saves, call [`rewrite`] with that text, format and shape, the config read
//! and the draft. Show a unified diff of `original` → [`Rewrite::text`] and the [`Rewrite::notes`]
//! in the review, and write exactly `text`. An error means the draft cannot be written in this
//! format at all (for example a fractional duration in a JSON file). An editor that reviews many
//! times builds a [`Rewriter`] once (when the file is loaded, off the input thread) and calls
//! [`Rewriter::rewrite`] per review: it skips re-parsing the original's layout.
//!
//! # Cost
//! A rewrite parses the original's layout (skipped by a prepared [`Rewriter`]), compares and edits
//! (a few milliseconds; only changed rules are converted), and reads the result back with the
//! project's reader, which is most of the time for a large config.yml.

mod align;
mod doc;
mod patch;
mod render;

use serde_json::Value;
use thiserror::Error;

use super::encode::{EncodeError, config_to_json};
use super::files::{Format, Shape, parse_str, to_json_string, to_yaml_string};
use super::model::TunnelConfig;
use doc::{Doc, Kind, NodeId};
use patch::{Fail, Patcher};

/// The new content of a file, and where its layout could not be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    /// The exact bytes to write; read back, they give the edited config.
    pub text: String,
    /// One sentence per place whose comments or layout could not be kept ("rule #4 was
    /// rewritten whole: its comments are dropped"); empty when only the edits changed.
    pub notes: Vec<String>,
}

/// Why an edited config cannot be written to its file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RewriteError {
    /// The format cannot hold the config (a fractional duration in JSON, a key too long for YAML,
    /// ...).
    #[error("{0}")]
    Encode(#[from] EncodeError),
    /// Even written anew, the file would not read back as the edited config (a bug; nothing is
    /// written).
    #[error("the edited config cannot be written so that it reads back the same: {0}")]
    NotReadBack(String),
}

/// The new text of a config file after editing: `original` (in `format`, with the config where
/// `shape` says) was read as `read`, and should now hold `edited`. Only what differs between
/// `read` and `edited` changes in the text; the rest keeps its bytes (see the module docs).
/// To rewrite the same file several times (every review of a long session), prepare a
/// [`Rewriter`] once instead.
pub fn rewrite(
    original: &str,
    format: Format,
    shape: Shape,
    read: &TunnelConfig,
    edited: &TunnelConfig,
) -> Result<Rewrite, RewriteError> {
    if read == edited {
        return Ok(Rewrite {
            text: original.to_owned(),
            notes: Vec::new(),
        });
    }
    let layout = Layout::read(original.to_owned(), format);
    rewrite_with(&layout, format, shape, read, edited)
}

/// A config file read once, ready to be rewritten with any number of edited configs: its layout
/// is parsed once, so each [`Rewriter::rewrite`] costs only the edit and the read-back check.
#[derive(Debug)]
pub struct Rewriter {
    format: Format,
    shape: Shape,
    read: TunnelConfig,
    layout: Layout,
}

impl Rewriter {
    /// Prepares `original` (in `format`, the config where `shape` says), which reads as `read`.
    pub fn new(original: String, format: Format, shape: Shape, read: TunnelConfig) -> Self {
        Rewriter {
            format,
            shape,
            read,
            layout: Layout::read(original, format),
        }
    }

    /// The file's text as it was read.
    pub fn original(&self) -> &str {
        self.layout.text()
    }

    /// The config read from it.
    pub fn read(&self) -> &TunnelConfig {
        &self.read
    }

    /// The new text of the file holding `edited` (see [`rewrite`]).
    pub fn rewrite(&self, edited: &TunnelConfig) -> Result<Rewrite, RewriteError> {
        if self.read == *edited {
            return Ok(Rewrite {
                text: self.original().to_owned(),
                notes: Vec::new(),
            });
        }
        rewrite_with(&self.layout, self.format, self.shape, &self.read, edited)
    }
}

/// A file's span tree, or why it could not be built.
#[derive(Debug)]
enum Layout {
    Parsed(Doc),
    Unreadable { text: String, reason: String },
}

impl Layout {
    fn read(text: String, format: Format) -> Self {
        let parsed = match format {
            Format::Yaml => doc::parse_yaml(text),
            Format::Json => doc::parse_json(text),
        };
        match parsed {
            Ok(doc) => Layout::Parsed(doc),
            Err((text, e)) => Layout::Unreadable {
                text,
                reason: format!("its layout could not be read: {}", e.0),
            },
        }
    }

    fn text(&self) -> &str {
        match self {
            Layout::Parsed(doc) => &doc.text,
            Layout::Unreadable { text, .. } => text,
        }
    }
}

fn rewrite_with(
    layout: &Layout,
    format: Format,
    shape: Shape,
    read: &TunnelConfig,
    edited: &TunnelConfig,
) -> Result<Rewrite, RewriteError> {
    let reason = match layout {
        Layout::Parsed(doc) => match in_place(doc, format, shape, read, edited) {
            Ok(rewrite) if reads_back(&rewrite.text, format, edited) => return Ok(rewrite),
            Ok(_) => "an edit could not be placed so that the file reads back the same".to_owned(),
            Err(Fail::Encode(e)) => return Err(RewriteError::Encode(e)),
            Err(Fail::Whole(reason)) => reason,
            Err(Fail::Layout) => "its layout could not be followed".to_owned(),
        },
        Layout::Unreadable { reason, .. } => reason.clone(),
    };
    whole_file(layout.text(), format, shape, edited, &reason)
}

fn reads_back(text: &str, format: Format, edited: &TunnelConfig) -> bool {
    parse_str(text, format).is_ok_and(|l| l.config == *edited)
}

fn in_place(
    doc: &Doc,
    format: Format,
    shape: Shape,
    read: &TunnelConfig,
    edited: &TunnelConfig,
) -> Result<Rewrite, Fail> {
    let node = locate(doc, shape)?;
    let mut patcher = Patcher::new(doc, format == Format::Yaml);
    patcher.config(node, read, edited)?;
    let (edits, notes) = patcher.into_edits();
    let text = patch::apply(&doc.text, 0, edits)
        .ok_or_else(|| Fail::Whole("two edits would overlap".to_owned()))?;
    Ok(Rewrite { text, notes })
}

/// The node that holds the config: the root, or `config` of a PUT body, or `result.config` of an
/// API response.
fn locate(doc: &Doc, shape: Shape) -> Result<Option<NodeId>, Fail> {
    let field = |node: Option<NodeId>, key: &str| -> Result<Option<NodeId>, Fail> {
        let Some(node) = node else { return Ok(None) };
        match &doc.node(node).kind {
            Kind::Map { entries, .. } => {
                Ok(entries.iter().rev().find(|e| e.key == key).map(|e| e.value))
            }
            _ => Ok(None),
        }
    };
    let missing = || Fail::Whole("the config could not be found in the file's layout".to_owned());
    match shape {
        Shape::ConfigYml | Shape::Bare => Ok(doc.root),
        Shape::PutBody => field(doc.root, "config")?.map(Some).ok_or_else(missing),
        Shape::Envelope => {
            let result = field(doc.root, "result")?;
            field(result, "config")?.map(Some).ok_or_else(missing)
        }
    }
}

/// The edited config written anew as the whole file, for when its layout cannot be kept.
fn whole_file(
    original: &str,
    format: Format,
    shape: Shape,
    edited: &TunnelConfig,
    reason: &str,
) -> Result<Rewrite, RewriteError> {
    let text = match (format, shape) {
        (Format::Yaml, _) => to_yaml_string(edited)?,
        (Format::Json, Shape::PutBody) => to_json_string(edited, true)?,
        (Format::Json, Shape::Envelope) => match serde_json::from_str::<Value>(original) {
            Ok(mut envelope) if envelope.pointer("/result/config").is_some() => {
                if let Some(slot) = envelope.pointer_mut("/result/config") {
                    *slot = config_to_json(edited)?;
                }
                crate::text::json_inert_pretty(&envelope) + "\n"
            }
            _ => to_json_string(edited, false)?,
        },
        (Format::Json, _) => to_json_string(edited, false)?,
    };
    if !reads_back(&text, format, edited) {
        return Err(RewriteError::NotReadBack(reason.to_owned()));
    }
    let lost = match format {
        Format::Yaml => "its comments, blank lines, key order and quoting are not kept",
        Format::Json => "its indentation and key order are not kept",
    };
    Ok(Rewrite {
        text,
        notes: vec![format!(
            "the whole file was written anew ({reason}): {lost}"
        )],
    })
}

#[cfg(test)]
mod tests;
