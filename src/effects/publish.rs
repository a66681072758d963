//! The checked publish: what `apply`, `rollback` and the editor use to replace a tunnel's config.
//!
//! The API has no precondition on PUT (no ETag, no version parameter), so the window in which
//! someone else's publish can be overwritten is made as small as the API allows, and whatever
//! happens in it is detected and said:
//!
//! 1. Right before the PUT (call this after every human pause: a review, a question, a prompt),
//!    the remote config is read again. If its version moved from the one the user reviewed,
//!    nothing is sent: [`Outcome::Moved`] carries the current remote, so the caller can show what
//!    changed. If it already equals the config, nothing is sent either ([`Outcome::NoChanges`]).
//! 2. The PUT is sent once (`Client::put_config`: never twice; an unknown outcome is re-read).
//! 3. The answer is checked: a version more than one above the one just read means someone
//!    published in the gap between the re-read and the PUT, and their config was overwritten
//!    ([`Published::gap`]); a config other than the one sent is reported ([`Published::altered`]).
//!
//! [`publish`] does all of this while holding the tunnel's journal lock (so two cfingress
//! processes of the same user on the same machine cannot race each other at all) and journals
//! the result.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::journal::{
    ConfigText, Journal, JournalError, Locked, NewEntry, Outcome as JournalOutcome, Recorded,
    VersionGap,
};
use crate::api::{ApiError, Client, RemoteConfig};
use crate::config::diff::{Summary, summarize};
use crate::config::encode::config_to_json;
use crate::config::fields::OriginField;
use crate::config::model::TunnelConfig;

/// How long a publish waits for another cfingress process publishing the same tunnel (its PUT
/// and re-read are bounded by the client's timeouts, 30 s each by default).
pub const LOCK_WAIT: Duration = Duration::from_secs(90);

/// What a checked publish did.
#[derive(Debug)]
pub enum Outcome {
    /// The config was published.
    Published(Box<Published>),
    /// The remote version is no longer the one reviewed: nothing was sent.
    Moved {
        /// The version the user reviewed.
        reviewed: u64,
        /// The remote as it is now.
        current: Box<RemoteConfig>,
    },
    /// The remote config already equals the config: nothing was sent.
    NoChanges {
        /// The remote as it is now.
        current: Box<RemoteConfig>,
    },
    /// The PUT was sent but its answer was lost and the re-read failed: it may have landed.
    Unknown {
        /// The remote read right before the PUT.
        before: Box<RemoteConfig>,
        /// What went wrong (an [`ApiError::OutcomeUnknown`]).
        error: ApiError,
    },
}

/// A publish that landed.
#[derive(Debug)]
pub struct Published {
    /// The remote read right before the PUT: what this publish replaced (unless `gap` says
    /// someone else published in between).
    pub before: RemoteConfig,
    /// The server's answer: the new version and its config.
    pub after: RemoteConfig,
    /// Set when the new version is not exactly one above `before`'s.
    pub gap: Option<VersionGap>,
    /// Set when the answered config differs from the one sent: sent → answered.
    pub altered: Option<Summary>,
}

impl Published {
    /// `Published version M (was K)`.
    pub fn headline(&self) -> String {
        format!(
            "Published version {} (was {})",
            self.after.version, self.before.version
        )
    }

    /// Loud warnings about this publish (empty when it went as expected).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(gap) = &self.gap {
            out.push(gap.message());
        }
        if let Some(altered) = &self.altered {
            let mut msg = "the server answered with a config other than the one sent (what it holds now differs from what you reviewed):".to_owned();
            for line in altered.lines() {
                msg.push_str("\n  ");
                msg.push_str(&line);
            }
            out.push(msg);
        }
        out
    }
}

/// What cloudflared reads from a config, as remote JSON, for comparing what was sent with what
/// the server answered. Removed, because cloudflared cannot tell them from absence:
/// - `null` values and empty objects;
/// - `warp-routing.enabled: false` (the API's documented default);
/// - an origin-request setting equal to cloudflared's built-in default (`noTLSVerify: false`,
///   `keepAliveTimeout: 90`, an empty `ipRules` list), in the global `originRequest`, and in a
///   rule's own where the global does not set that key (there it overrides the global). `access`
///   is compared as written.
///
/// So a server that stores and answers its defaults is not reported as having altered the
/// config, while any value that changes what cloudflared does still is. Only cloudflared's
/// defaults count: the OpenAPI slice's `connectTimeout` default of 10 differs from cloudflared's
/// 30, so a `connectTimeout: 10` added by a server is reported.
fn meaning(config: Option<&TunnelConfig>) -> Option<Value> {
    fn strip(v: &mut Value) -> bool {
        match v {
            Value::Null => false,
            Value::Object(m) => {
                m.retain(|_, child| strip(child));
                !m.is_empty()
            }
            Value::Array(items) => {
                for item in items.iter_mut() {
                    if !strip(item) {
                        *item = Value::Null;
                    }
                }
                true
            }
            _ => true,
        }
    }
    /// Drops the settings of an originRequest object that equal cloudflared's default, unless
    /// `overridden` (set in the global) names them; returns the keys left.
    fn drop_defaults(origin: &mut Value, overridden: &[String]) -> Vec<String> {
        let Value::Object(m) = origin else {
            return Vec::new();
        };
        m.retain(|key, value| {
            let Some(field) = OriginField::find_origin_key(|k| k == key) else {
                return true;
            };
            if field == OriginField::Access || overridden.iter().any(|o| o == key) {
                return true;
            }
            let empty_list = matches!(value, Value::Array(a) if a.is_empty());
            let default = field.default_json();
            !(empty_list || !default.is_null() && *value == default)
        });
        m.keys().cloned().collect()
    }
    let mut v = config_to_json(config?).ok()?;
    if let Value::Object(top) = &mut v {
        if let Some(Value::Object(w)) = top.get_mut("warp-routing")
            && w.get("enabled") == Some(&Value::Bool(false))
        {
            w.remove("enabled");
        }
        let global = top
            .get_mut("originRequest")
            .map(|g| drop_defaults(g, &[]))
            .unwrap_or_default();
        if let Some(Value::Array(rules)) = top.get_mut("ingress") {
            for rule in rules {
                if let Some(origin) = rule.get_mut("originRequest") {
                    drop_defaults(origin, &global);
                }
            }
        }
    }
    strip(&mut v);
    Some(v)
}

/// Whether two configs are the same as remote JSON, exactly.
fn same_json(a: Option<&TunnelConfig>, b: &TunnelConfig) -> bool {
    a.and_then(|a| config_to_json(a).ok()) == config_to_json(b).ok()
}

/// Publishes `config` unless the remote moved from `reviewed_version`: the protocol of this
/// module's documentation, without the journal. Errors are the client's (nothing was published,
/// or `NotApplied`: the PUT was checked and did not land).
pub async fn publish_checked(
    client: &Client,
    account: &str,
    tunnel: &str,
    config: &TunnelConfig,
    reviewed_version: u64,
) -> Result<Outcome, ApiError> {
    let current = client.get_config(account, tunnel).await?;
    if same_json(current.config.as_ref(), config) {
        return Ok(Outcome::NoChanges {
            current: Box::new(current),
        });
    }
    if current.version != reviewed_version {
        return Ok(Outcome::Moved {
            reviewed: reviewed_version,
            current: Box::new(current),
        });
    }
    let after = match client
        .put_config(account, tunnel, config, Some(current.version))
        .await
    {
        Ok(after) => after,
        Err(error @ ApiError::OutcomeUnknown { .. }) => {
            return Ok(Outcome::Unknown {
                before: Box::new(current),
                error,
            });
        }
        Err(e) => return Err(e),
    };
    let gap = VersionGap::between(current.version, after.version);
    let altered = (meaning(after.config.as_ref()) != meaning(Some(config))).then(|| {
        summarize(
            config,
            after.config.as_ref().unwrap_or(&TunnelConfig::default()),
        )
    });
    if gap.is_some() || altered.is_some() {
        tracing::warn!(
            checked = current.version,
            published = after.version,
            altered = altered.is_some(),
            "publish did not land as checked"
        );
    }
    Ok(Outcome::Published(Box::new(Published {
        before: current,
        after,
        gap,
        altered,
    })))
}

/// What to publish, and how to name it in the journal.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The client.
    pub client: &'a Client,
    /// The account id.
    pub account: &'a str,
    /// The tunnel id.
    pub tunnel: &'a str,
    /// The tunnel's name, if known (remembered by the journal).
    pub tunnel_name: Option<&'a str>,
    /// The config to publish.
    pub config: &'a TunnelConfig,
    /// The remote version the user reviewed the change against.
    pub reviewed_version: u64,
    /// What is publishing, for the journal: `apply FILE`, `rollback to version N`, `editor`.
    pub via: &'a str,
}

/// What happened to the journal entry of a publish.
#[derive(Debug)]
pub enum JournalNote {
    /// Nothing to journal (nothing was sent).
    Nothing,
    /// Journaled.
    Recorded(Recorded),
    /// The publish is not journaled, and why.
    Failed(JournalError),
    /// There is no state folder to journal in.
    NoStateDir,
}

impl JournalNote {
    /// A warning for the user, when the journal needs their attention.
    pub fn warning(&self) -> Option<String> {
        match self {
            JournalNote::Nothing => None,
            JournalNote::Recorded(r) => r.moved_aside.as_ref().map(|p| {
                format!(
                    "the publish journal could not be read, so it was moved to {} and a new one started",
                    p.display()
                )
            }),
            JournalNote::Failed(e) => Some(format!("this publish is not journaled: {e}")),
            JournalNote::NoStateDir => Some(
                "this publish is not journaled: there is no state folder (set CFINGRESS_STATE_DIR or HOME)"
                    .to_owned(),
            ),
        }
    }
}

/// A journaled publish.
#[derive(Debug)]
pub struct Report {
    /// What the publish did.
    pub outcome: Outcome,
    /// What happened to its journal entry.
    pub journal: JournalNote,
}

/// Takes the journal's lock without blocking the async runtime.
async fn lock_journal(journal: &Journal) -> Result<Locked<'_>, JournalError> {
    let started = Instant::now();
    loop {
        if let Some(locked) = journal.try_lock()? {
            return Ok(locked);
        }
        if started.elapsed() >= LOCK_WAIT {
            // One last blocking-free attempt reports the same error as a sync caller would get.
            return journal.lock(Duration::ZERO);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The journal entry of a publish outcome (`None` when nothing was sent).
pub fn journal_entry(
    outcome: &Outcome,
    sent: &TunnelConfig,
    via: &str,
    tunnel_name: Option<&str>,
) -> Option<NewEntry> {
    let empty = TunnelConfig::default();
    let kept = |c: Option<&TunnelConfig>| c.and_then(|c| ConfigText::remote(c).ok());
    let (before, after, to_version, outcome_kind, raced, altered) = match outcome {
        Outcome::Published(p) => (
            &p.before,
            p.after.config.as_ref(),
            Some(p.after.version),
            JournalOutcome::Published,
            p.gap,
            p.altered.as_ref().map(Summary::lines),
        ),
        Outcome::Unknown { before, .. } => (
            &**before,
            Some(sent),
            None,
            JournalOutcome::Unknown,
            None,
            None,
        ),
        Outcome::Moved { .. } | Outcome::NoChanges { .. } => return None,
    };
    Some(NewEntry {
        from_version: before.config.as_ref().map(|_| before.version),
        to_version,
        summary: summarize(
            before.config.as_ref().unwrap_or(&empty),
            after.unwrap_or(&empty),
        )
        .lines(),
        via: via.to_owned(),
        outcome: outcome_kind,
        raced,
        altered,
        before: kept(before.config.as_ref()),
        after: kept(after),
        name: tunnel_name.map(str::to_owned),
    })
}

/// The checked publish ([`publish_checked`]) under the tunnel's journal lock, journaled. A
/// journal that cannot be locked or written never stops the publish: [`Report::journal`] says.
pub async fn publish(request: Request<'_>) -> Result<Report, ApiError> {
    let journal = Journal::remote(request.account, request.tunnel);
    let locked = match &journal {
        Some(j) => Some(lock_journal(j).await),
        None => None,
    };
    let outcome = publish_checked(
        request.client,
        request.account,
        request.tunnel,
        request.config,
        request.reviewed_version,
    )
    .await?;
    let mut entry = journal_entry(&outcome, request.config, request.via, request.tunnel_name);
    // The journal remembers the tunnel's name (for `history --tunnel NAME`, offline): look it up
    // once when the caller does not know it.
    if let (Some(e), Some(j)) = (&mut entry, &journal)
        && e.name.is_none()
        && j.read().is_ok_and(|info| info.name.is_none())
    {
        e.name = request
            .client
            .get_tunnel(request.account, request.tunnel)
            .await
            .ok()
            .map(|t| t.name)
            .filter(|n| !n.is_empty());
    }
    let note = match (entry, locked) {
        (None, _) => JournalNote::Nothing,
        (Some(_), None) => JournalNote::NoStateDir,
        (Some(_), Some(Err(e))) => JournalNote::Failed(e),
        (Some(entry), Some(Ok(locked))) => match locked.record(entry) {
            Ok(r) => JournalNote::Recorded(r),
            Err(e) => JournalNote::Failed(e),
        },
    };
    if let Some(w) = note.warning() {
        tracing::warn!(warning = %w, "journal");
    }
    Ok(Report {
        outcome,
        journal: note,
    })
}

/// The editor's publish: [`publish`] with `via: "editor"`, answered as the app's event:
/// `Published` with the new version, a status message and the warnings the user must not miss
/// (a publish in the gap, an altered answer, an unjournaled publish); `Moved` with the remote as
/// it is now when it moved since the review (nothing was sent); or why nothing was published.
pub async fn publish_for_editor(
    client: &Client,
    account: &str,
    tunnel: &str,
    config: &TunnelConfig,
    reviewed_version: u64,
) -> crate::app::Event {
    use crate::app::{Event, Published as AppPublished, Snapshot};
    let report = match publish(Request {
        client,
        account,
        tunnel,
        tunnel_name: None,
        config,
        reviewed_version,
        via: "editor",
    })
    .await
    {
        Ok(report) => report,
        Err(e) => return Event::Published(Err(super::connectors::why(&e))),
    };
    let journal = report.journal.warning();
    match report.outcome {
        Outcome::Published(p) => {
            let mut warnings = p.warnings();
            warnings.extend(journal);
            Event::Published(Ok(AppPublished {
                version: Some(p.after.version),
                message: p.headline(),
                warnings,
            }))
        }
        Outcome::NoChanges { current } => Event::Published(Ok(AppPublished {
            version: Some(current.version),
            message: format!(
                "Nothing to publish: the remote config (version {}) already equals your draft",
                current.version
            ),
            warnings: journal.into_iter().collect(),
        })),
        Outcome::Moved { current, .. } => Event::Moved(Snapshot {
            version: Some(current.version),
            config: current.config,
            ..Snapshot::default()
        }),
        Outcome::Unknown { error, .. } => Event::Published(Err(format!(
            "{error} (journaled){}",
            journal
                .map(|w| format!("; warning: {w}"))
                .unwrap_or_default()
        ))),
    }
}

/// Journals a save of a file by the editor (`before`: its text before, if it existed; `after`:
/// the text written). Returns a warning for the user when the save is not journaled.
pub fn journal_file_save(
    path: &std::path::Path,
    format: crate::config::files::Format,
    before: Option<&str>,
    after: &str,
    via: &str,
) -> Option<String> {
    use crate::config::files::parse_str;
    let Some(journal) = Journal::file(path) else {
        return JournalNote::NoStateDir.warning();
    };
    let read = |text: &str| parse_str(text, format).map(|l| l.config).ok();
    let empty = TunnelConfig::default();
    let old = before.and_then(read);
    let new = read(after);
    let summary = summarize(
        old.as_ref().unwrap_or(&empty),
        new.as_ref().unwrap_or(&empty),
    )
    .lines();
    let entry = NewEntry {
        from_version: None,
        to_version: None,
        summary,
        via: via.to_owned(),
        outcome: JournalOutcome::Saved,
        raced: None,
        altered: None,
        before: before.map(|t| ConfigText::file(t.to_owned(), format)),
        after: Some(ConfigText::file(after.to_owned(), format)),
        name: None,
    };
    let note = match journal
        .lock(Duration::from_secs(5))
        .and_then(|l| l.record(entry))
    {
        Ok(r) => JournalNote::Recorded(r),
        Err(e) => JournalNote::Failed(e),
    };
    note.warning()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    fn cfg(s: &str) -> TunnelConfig {
        parse_json_str(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn nulls_and_empty_objects_are_not_differences() {
        let sent = cfg(
            r#"{"ingress":[{"hostname":"a.com","service":"http://a"},{"service":"http_status:404"}]}"#,
        );
        let answered = cfg(
            r#"{"ingress":[{"hostname":"a.com","service":"http://a","originRequest":{}},{"service":"http_status:404","path":null}],"originRequest":{"access":{}}}"#,
        );
        assert_eq!(meaning(Some(&sent)), meaning(Some(&answered)));
        let other = cfg(
            r#"{"ingress":[{"hostname":"a.com","service":"http://b"},{"service":"http_status:404"}]}"#,
        );
        assert_ne!(meaning(Some(&sent)), meaning(Some(&other)));
        assert_ne!(meaning(Some(&sent)), meaning(None));
    }

    #[test]
    fn defaults_a_server_adds_are_not_an_altered_config_but_real_changes_are() {
        let sent = cfg(
            r#"{"ingress":[{"hostname":"a.com","service":"https://a","originRequest":{"connectTimeout":5}},{"service":"http_status:404"}]}"#,
        );
        // What the API may store and answer: warp-routing's documented default, cloudflared's
        // defaults in the global settings and in a rule the global does not override, an empty
        // list.
        let answered = cfg(
            r#"{"ingress":[{"hostname":"a.com","service":"https://a","originRequest":{"connectTimeout":5,"noTLSVerify":false,"keepAliveTimeout":90,"ipRules":[]}},{"service":"http_status:404"}],"warp-routing":{"enabled":false},"originRequest":{"tlsTimeout":10,"noHappyEyeballs":false}}"#,
        );
        assert_eq!(meaning(Some(&sent)), meaning(Some(&answered)));
        // Each of these changes what cloudflared does, so each is reported.
        for changed in [
            // warp-routing switched on.
            r#"{"ingress":[{"hostname":"a.com","service":"https://a","originRequest":{"connectTimeout":5}},{"service":"http_status:404"}],"warp-routing":{"enabled":true}}"#,
            // The OpenAPI default (10 s) is not cloudflared's (30 s).
            r#"{"ingress":[{"hostname":"a.com","service":"https://a","originRequest":{"connectTimeout":5}},{"service":"http_status:404"}],"originRequest":{"connectTimeout":10}}"#,
            // A rule's own default value overrides a global that sets another.
            r#"{"ingress":[{"hostname":"a.com","service":"https://a","originRequest":{"connectTimeout":5,"tlsTimeout":10}},{"service":"http_status:404"}],"originRequest":{"tlsTimeout":3}}"#,
            // A different service.
            r#"{"ingress":[{"hostname":"a.com","service":"https://b","originRequest":{"connectTimeout":5}},{"service":"http_status:404"}]}"#,
            // The rule's own setting dropped.
            r#"{"ingress":[{"hostname":"a.com","service":"https://a"},{"service":"http_status:404"}]}"#,
        ] {
            assert_ne!(
                meaning(Some(&sent)),
                meaning(Some(&cfg(changed))),
                "{changed}"
            );
        }
        // The global default with a rule's override stays a difference only where it matters.
        let with_global = cfg(
            r#"{"ingress":[{"hostname":"a.com","service":"https://a","originRequest":{"connectTimeout":5,"tlsTimeout":3}},{"service":"http_status:404"}],"originRequest":{"tlsTimeout":3}}"#,
        );
        let answered = cfg(
            r#"{"ingress":[{"hostname":"a.com","service":"https://a","originRequest":{"connectTimeout":5,"tlsTimeout":3}},{"service":"http_status:404"}],"originRequest":{"tlsTimeout":3,"noTLSVerify":false}}"#,
        );
        assert_eq!(meaning(Some(&with_global)), meaning(Some(&answered)));
    }

    #[test]
    fn a_version_gap_names_what_was_overwritten() {
        let gap = VersionGap {
            checked_version: 7,
            published_version: 9,
        };
        assert!(
            gap.message().contains("version 8 between"),
            "{}",
            gap.message()
        );
        let back = VersionGap {
            checked_version: 7,
            published_version: 7,
        };
        assert_eq!(back.overwritten(), None);
        assert!(back.message().contains("cannot be trusted"));
        // The assumption behind the detection is said, with the version it expected.
        assert!(
            gap.message().contains(
                "assumes every publish raises the version by exactly 1, so version 8 was expected"
            ),
            "{}",
            gap.message()
        );
        assert_eq!(VersionGap::between(7, 8), None);
    }
}
