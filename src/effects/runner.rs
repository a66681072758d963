//! The effect runner: each effect on its own tokio task, its answer sent back as an event.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::connectors;
use super::files::{read_snapshot, write_reviewed};
use crate::api::{Client, RemoteConfig};
use crate::app::dns::DnsMade;
use crate::app::draft::{self, SavedDraft};
use crate::app::{Account, Effect, Event, ReviewFailed, Snapshot, TunnelEntry};
use crate::config::files::{Format, Shape};

/// What the effects need: an API client (remote mode) or the file (file mode).
pub struct Context {
    /// The client, in remote mode.
    pub client: Option<Client>,
    /// The file, in file mode.
    pub file: Option<(PathBuf, Format)>,
    /// How the file wrapped its config (kept when writing).
    pub shape: std::sync::Mutex<Shape>,
    /// Where drafts are saved (`None`: not saved).
    pub drafts_dir: Option<PathBuf>,
    /// Numbers draft saves and removals: a background save only writes if nothing newer happened.
    pub draft_seq: std::sync::atomic::AtomicU64,
    /// Held while a draft file is written or removed, so a removal never races a write.
    pub draft_lock: std::sync::Mutex<()>,
    /// The rollout watch under way: a newer one aborts it.
    pub rollout_task: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
    /// Where DNS is judged and leftovers are freed.
    pub judge: super::judge::Judge,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context for a remote tunnel (`client`) or a file; drafts go to the state directory.
    pub fn new(client: Option<Client>, file: Option<(PathBuf, Format)>) -> Self {
        Context {
            client,
            file,
            shape: std::sync::Mutex::new(Shape::Bare),
            drafts_dir: crate::settings::drafts_dir().ok(),
            draft_seq: std::sync::atomic::AtomicU64::new(0),
            draft_lock: std::sync::Mutex::new(()),
            rollout_task: std::sync::Mutex::new(None),
            judge: super::judge::Judge::default(),
        }
    }

    /// The file a draft key is saved in.
    pub fn draft_path(&self, key: &str) -> Option<PathBuf> {
        self.drafts_dir
            .as_ref()
            .map(|d| d.join(draft::file_name(key)))
    }

    /// The publish journal of the tunnel `remote` (account, tunnel), or of the edited file.
    fn journal(&self, remote: Option<&(String, String)>) -> Option<super::journal::Journal> {
        match remote {
            Some((account, tunnel)) => super::journal::Journal::remote(account, tunnel),
            None => super::journal::Journal::file(&self.file.as_ref()?.0),
        }
    }

    /// Takes the editor lock of `key`'s draft: `Some(holder)` when another live editor holds it,
    /// and a note when a dead editor's lock was taken over.
    fn lock(&self, key: &str) -> (Option<String>, Option<String>) {
        let Some(path) = self.draft_path(key) else {
            return (None, None);
        };
        match super::lock::acquire(&path) {
            Ok(super::lock::Acquired::Held(h)) => (Some(h.describe()), None),
            Ok(super::lock::Acquired::Mine { stale: Some(h) }) => (
                None,
                Some(format!(
                    "the editor that held this before ({}) is gone; its lock was taken over",
                    h.describe()
                )),
            ),
            Ok(super::lock::Acquired::Mine { stale: None }) => (None, None),
            Err(e) => (
                None,
                Some(format!("{e}: a second editor will not be warned")),
            ),
        }
    }

    /// The lock, then the saved draft: the draft of an editor that holds the lock is not read.
    fn lock_and_draft(
        &self,
        key: &str,
    ) -> (Option<Box<SavedDraft>>, Option<String>, Option<String>) {
        let (held, lock_note) = self.lock(key);
        if held.is_some() {
            return (None, lock_note, held);
        }
        let (saved, note) = self.saved_draft(key);
        let note = match (note, lock_note) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        (saved, note, None)
    }

    /// The draft an earlier session saved under `key`, and what to tell the user about it: a
    /// draft file that cannot be read is moved aside (`NAME.corrupt`), never overwritten.
    fn saved_draft(&self, key: &str) -> (Option<Box<SavedDraft>>, Option<String>) {
        let Some(path) = self.draft_path(key) else {
            return (None, None);
        };
        let why = match crate::config::files::read_text_capped(&path, draft::MAX_DRAFT_BYTES) {
            Ok(text) => match SavedDraft::from_json(&text) {
                Ok(d) if d.key == key => return (Some(Box::new(d)), None),
                Ok(_) => return (None, None),
                Err(e) => e.to_string(),
            },
            Err(crate::config::files::ReadError::Io(_))
                if std::fs::symlink_metadata(&path).is_err() =>
            {
                return (None, None);
            }
            Err(e) => e.to_string(),
        };
        tracing::warn!(path = %path.display(), error = %why, "draft not read");
        (None, Some(move_aside(&path, &why)))
    }
}

/// Moves an unreadable draft file aside, so the next save does not overwrite it; says where.
fn move_aside(path: &std::path::Path, why: &str) -> String {
    let shown = |p: &std::path::Path| crate::text::inert(&p.display().to_string()).into_owned();
    let mut aside = path.as_os_str().to_owned();
    aside.push(".corrupt");
    let mut aside = PathBuf::from(aside);
    if aside.exists() {
        let mut stamped = aside.into_os_string();
        stamped.push(format!(".{}", jiff::Timestamp::now().as_second()));
        aside = PathBuf::from(stamped);
    }
    match std::fs::rename(path, &aside) {
        Ok(()) => format!(
            "the saved draft could not be read ({}), so it was moved to {}; your edits from now on are saved as usual",
            crate::text::inert(why),
            shown(&aside)
        ),
        Err(e) => format!(
            "the saved draft {} could not be read ({}) nor moved aside ({e}): drafts of this session may overwrite it",
            shown(path),
            crate::text::inert(why)
        ),
    }
}

fn snapshot(rc: RemoteConfig) -> Snapshot {
    Snapshot {
        version: Some(rc.version),
        config: rc.config,
        has_comments: false,
        saved: None,
        draft_note: None,
        held_by: None,
        file: None,
    }
}

/// The event that reports `effect` failed with `message` (`None` for effects that answer
/// nothing).
fn failure(effect: &Effect) -> Option<Box<dyn FnOnce(String) -> Event + Send>> {
    Some(match effect {
        Effect::ListAccounts => Box::new(|m| Event::Accounts(Err(m))),
        Effect::ListTunnels { .. } => Box::new(|m| Event::Tunnels(Err(m))),
        Effect::LoadRemote { .. } | Effect::LoadFile => Box::new(|m| Event::Loaded(Err(m))),
        Effect::FetchRemote { .. } | Effect::FetchFile => Box::new(|m| Event::Current(Err(m))),
        Effect::PublishRemote { .. } | Effect::WriteFile { .. } => Box::new(|m| {
            Event::Published(Err(format!(
                "{m}; whether it was applied is unknown: reload (r) to see the source as it is"
            )))
        }),
        Effect::Review(request) => {
            let ticket = request.ticket;
            Box::new(move |message| Event::Reviewed(Err(ReviewFailed { ticket, message })))
        }
        Effect::ReadDns { ticket, .. } => {
            let ticket = *ticket;
            Box::new(move |message| Event::DnsRead {
                ticket,
                snapshot: Box::new(unread_snapshot(String::new(), message)),
            })
        }
        Effect::MakeDns { changes, .. } => {
            let changes = changes.clone();
            Box::new(move |message| {
                Event::DnsMade(Box::new(DnsMade {
                    applied: changes
                        .into_iter()
                        .map(|change| crate::dns::plan::Applied {
                            change,
                            result: Err(format!("unknown whether it was made: {message}")),
                            permission: None,
                        })
                        .collect(),
                    skipped: Vec::new(),
                }))
            })
        }
        Effect::JudgeDns { ticket, .. } => {
            let ticket = *ticket;
            Box::new(move |m| Event::DnsJudged {
                ticket,
                report: Err(m),
            })
        }
        Effect::ReadHistory { .. } => Box::new(|m| Event::History(Err(m))),
        Effect::TakeOver { .. } => Box::new(|m| Event::TookOver(Err(m))),
        Effect::ReadHistoryConfig { .. } => Box::new(|m| Event::HistoryConfig(Err(m))),
        Effect::WatchRollout { ticket, .. } => {
            let ticket = *ticket;
            Box::new(move |m| Event::Rollout {
                ticket,
                update: Err(m),
                over: true,
            })
        }
        Effect::ReadStatus { .. } => Box::new(|m| Event::Status(Err(m))),
        Effect::ReadAccess { .. } => Box::new(|m| Event::Access(Err(m))),
        Effect::ReadHealth { .. } | Effect::DeleteDraft | Effect::Release(_) | Effect::Quit => {
            return None;
        }
    })
}

/// A DNS listing that says only why nothing could be read.
fn unread_snapshot(tunnel_id: String, message: String) -> crate::dns::Snapshot {
    crate::dns::Snapshot {
        tunnel_id,
        zones: Err(crate::dns::Unreadable {
            message,
            permission: None,
        }),
        listings: Vec::new(),
        unsearched: 0,
        tunnels: None,
    }
}

fn panic_text(e: tokio::task::JoinError) -> String {
    let what = match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_owned()),
        Err(e) => e.to_string(),
    };
    format!("internal error (a bug in cfingress, please report it): {what}")
}

/// Runs `effect` on a tokio task and sends its answer to `tx`. If the task panics, the answer
/// is the effect's failure event with what happened, so the editor never waits forever.
pub fn spawn(effect: Effect, ctx: Arc<Context>, tx: mpsc::UnboundedSender<Event>) {
    let on_panic = failure(&effect);
    let Some(client) = ctx.client.clone() else {
        supervise(run(effect, ctx), on_panic, tx);
        return;
    };
    // The effects that answer more than once get the sender.
    match effect {
        Effect::WatchRollout {
            account,
            tunnel,
            ticket,
            version,
            timeout,
        } => {
            let work = connectors::watch(
                client,
                account,
                tunnel,
                ticket,
                version,
                timeout,
                tx.clone(),
            );
            let handle = supervise(work, on_panic, tx);
            if let Ok(mut slot) = ctx.rollout_task.lock()
                && let Some(older) = slot.replace(handle)
            {
                older.abort();
            }
        }
        Effect::ReadHealth { account, tunnels } => {
            supervise(
                connectors::health(client, account, tunnels, tx.clone()),
                on_panic,
                tx,
            );
        }
        effect => {
            supervise(run(effect, ctx), on_panic, tx);
        }
    }
}

/// Runs `work` on a task; sends its event, or, if it panics, `on_panic`'s. Returns the handle
/// that aborts the work (an aborted task answers nothing).
fn supervise(
    work: impl Future<Output = Option<Event>> + Send + 'static,
    on_panic: Option<Box<dyn FnOnce(String) -> Event + Send>>,
    tx: mpsc::UnboundedSender<Event>,
) -> tokio::task::AbortHandle {
    let task = tokio::spawn(work);
    let handle = task.abort_handle();
    tokio::spawn(async move {
        let event = match task.await {
            Ok(event) => event,
            Err(e) if e.is_cancelled() => None,
            Err(e) => {
                let message = panic_text(e);
                tracing::error!(%message, "an effect failed");
                on_panic.map(|f| f(message))
            }
        };
        if let Some(event) = event {
            let _ = tx.send(event);
        }
    });
    handle
}

/// Runs one effect; returns its answer.
async fn run(effect: Effect, ctx: Arc<Context>) -> Option<Event> {
    let no_client = || "no API client (this editor is on a file)".to_owned();
    let event = match effect {
        Effect::Quit | Effect::DeleteDraft => return None,
        Effect::Release(leftover) => {
            ctx.judge.free(leftover);
            return None;
        }
        Effect::TakeOver { key } => Event::TookOver(match ctx.draft_path(&key) {
            Some(path) => super::lock::take_over(&path),
            None => Err("this editor has no draft folder".to_owned()),
        }),
        Effect::ReadHistory { remote } => {
            let journal = ctx.journal(remote.as_ref());
            Event::History(
                tokio::task::spawn_blocking(move || super::history::items(journal.as_ref()))
                    .await
                    .unwrap_or_else(|e| Err(panic_text(e))),
            )
        }
        Effect::ReadHistoryConfig {
            remote,
            config,
            label,
        } => {
            let journal = ctx.journal(remote.as_ref());
            Event::HistoryConfig(
                tokio::task::spawn_blocking(move || match journal {
                    Some(j) => j
                        .config(&config)
                        .map(|c| (Box::new(c), label))
                        .map_err(|e| e.to_string()),
                    None => Err("there is no state folder, so no history".to_owned()),
                })
                .await
                .unwrap_or_else(|e| Err(panic_text(e))),
            )
        }
        // Sent to their own tasks by `spawn` (reaching here: no client, file mode).
        Effect::WatchRollout { .. } | Effect::ReadHealth { .. } => return None,
        Effect::ReadStatus { account, tunnel } => match &ctx.client {
            Some(c) => connectors::status(c, &account, &tunnel).await,
            None => Event::Status(Err(no_client())),
        },
        Effect::ReadAccess { account } => match &ctx.client {
            Some(c) => connectors::access(c, &account).await,
            None => Event::Access(Err(no_client())),
        },
        Effect::Review(mut request) => {
            let ticket = request.ticket;
            // The DNS section is planned on DNS as it is now, for the draft's hostnames.
            if let (Some(dns), Some(c)) = (request.dns.as_mut(), &ctx.client) {
                let names = crate::dns::check::record_names(&request.draft);
                let snap = super::dns::read(c, &dns.account, &dns.tunnel, &names).await;
                dns.snapshot = Some(Arc::new(snap));
            }
            match tokio::task::spawn_blocking(move || request.compute()).await {
                Ok(review) => Event::Reviewed(
                    review
                        .map(Box::new)
                        .map_err(|message| ReviewFailed { ticket, message }),
                ),
                // The computation panicked (a bug): say so instead of waiting forever.
                Err(e) => Event::Reviewed(Err(ReviewFailed {
                    ticket,
                    message: panic_text(e),
                })),
            }
        }
        Effect::JudgeDns {
            ticket,
            rules,
            snapshot,
        } => {
            let judged = ctx.judge.judge(rules, snapshot).await;
            Event::DnsJudged {
                ticket,
                report: judged.map(Box::new),
            }
        }
        Effect::ReadDns {
            account,
            tunnel,
            rules,
            ticket,
        } => {
            let names =
                tokio::task::spawn_blocking(move || crate::dns::check::record_names_of(&rules))
                    .await
                    .map_err(panic_text);
            let snapshot = match (&ctx.client, names) {
                (Some(c), Ok(names)) => super::dns::read(c, &account, &tunnel, &names).await,
                (_, Err(e)) => unread_snapshot(tunnel, e),
                (None, Ok(_)) => unread_snapshot(tunnel, no_client()),
            };
            Event::DnsRead {
                ticket,
                snapshot: Box::new(snapshot),
            }
        }
        Effect::MakeDns {
            account,
            tunnel,
            tunnel_name,
            config,
            changes,
        } => match &ctx.client {
            Some(c) => {
                let name = (!tunnel_name.is_empty()).then_some(tunnel_name.as_str());
                let made =
                    super::dns::make_reviewed(c, &account, &tunnel, name, &config, &changes).await;
                Event::DnsMade(Box::new(DnsMade {
                    applied: made.applied,
                    skipped: made.skipped,
                }))
            }
            None => Event::DnsMade(Box::new(DnsMade {
                applied: Vec::new(),
                skipped: Vec::new(),
            })),
        },
        Effect::ListAccounts => match &ctx.client {
            Some(c) => Event::Accounts(
                c.list_accounts()
                    .await
                    .map(|list| {
                        list.into_iter()
                            .map(|a| Account {
                                id: a.id,
                                name: a.name,
                            })
                            .collect()
                    })
                    .map_err(|e| connectors::why(&e)),
            ),
            None => Event::Accounts(Err(no_client())),
        },
        Effect::ListTunnels { account } => match &ctx.client {
            Some(c) => Event::Tunnels(
                c.list_tunnels(&account, None)
                    .await
                    .map(|list| {
                        list.into_iter()
                            .map(|t| TunnelEntry {
                                id: t.id,
                                name: t.name,
                                status: t.status,
                                config_src: t.config_src,
                            })
                            .collect()
                    })
                    .map_err(|e| connectors::why(&e)),
            ),
            None => Event::Tunnels(Err(no_client())),
        },
        Effect::LoadRemote { account, tunnel } => match &ctx.client {
            Some(c) => {
                let (saved, draft_note, held_by) =
                    ctx.lock_and_draft(&draft::remote_key(&account, &tunnel));
                Event::Loaded(
                    c.get_config(&account, &tunnel)
                        .await
                        .map(|rc| Snapshot {
                            saved,
                            draft_note,
                            held_by,
                            ..snapshot(rc)
                        })
                        .map_err(|e| connectors::why(&e)),
                )
            }
            None => Event::Loaded(Err(no_client())),
        },
        Effect::FetchRemote { account, tunnel } => match &ctx.client {
            Some(c) => Event::Current(
                c.get_config(&account, &tunnel)
                    .await
                    .map(snapshot)
                    .map_err(|e| connectors::why(&e)),
            ),
            None => Event::Current(Err(no_client())),
        },
        Effect::LoadFile | Effect::FetchFile => {
            let result = match &ctx.file {
                Some((path, format)) => read_snapshot(path, *format, &ctx.shape),
                None => Err("no file".to_owned()),
            };
            if matches!(effect, Effect::LoadFile) {
                let (saved, draft_note, held_by) = ctx
                    .file
                    .as_ref()
                    .map(|(p, _)| ctx.lock_and_draft(&draft::file_key(p)))
                    .unwrap_or_default();
                Event::Loaded(result.map(|s| Snapshot {
                    saved,
                    draft_note,
                    held_by,
                    ..s
                }))
            } else {
                Event::Current(result)
            }
        }
        Effect::PublishRemote {
            account,
            tunnel,
            config,
            base_version,
        } => match &ctx.client {
            Some(c) => {
                super::publish::publish_for_editor(c, &account, &tunnel, &config, base_version)
                    .await
            }
            None => Event::Published(Err(no_client())),
        },
        Effect::WriteFile { text, expected, .. } => match &ctx.file {
            Some((path, format)) => {
                let (path, format) = (path.clone(), *format);
                let ctx = Arc::clone(&ctx);
                tokio::task::spawn_blocking(move || {
                    write_reviewed(&path, format, &ctx.shape, &text, expected.as_deref())
                })
                .await
                .unwrap_or_else(|e| Event::Published(Err(panic_text(e))))
            }
            None => Event::Published(Err("no file".to_owned())),
        },
    };
    Some(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_draft_is_moved_aside_and_said() {
        let dir = std::env::temp_dir().join(format!("cfingress-corrupt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let ctx = Context {
            drafts_dir: Some(dir.clone()),
            ..Context::new(None, None)
        };
        let key = draft::remote_key("acc", "tun");
        let path = ctx.draft_path(&key).unwrap_or_else(|| panic!("no path"));
        std::fs::write(&path, "{\"key\": [truncated").unwrap_or_else(|e| panic!("{e}"));
        let (saved, note) = ctx.saved_draft(&key);
        assert!(saved.is_none());
        let note = note.unwrap_or_default();
        assert!(
            note.contains("could not be read") && note.contains(".corrupt"),
            "{note}"
        );
        assert!(!path.exists(), "moved aside, so no save overwrites it");
        let mut aside = path.clone().into_os_string();
        aside.push(".corrupt");
        assert_eq!(
            std::fs::read_to_string(aside).unwrap_or_default(),
            "{\"key\": [truncated"
        );
        // No draft at all is nothing to say.
        assert_eq!(ctx.saved_draft(&key), (None, None));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_panicking_effect_answers_with_its_failure() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let effect = Effect::FetchRemote {
            account: "a".into(),
            tunnel: "t".into(),
        };
        supervise(async { panic!("boom") }, failure(&effect), tx.clone());
        match rx.recv().await {
            Some(Event::Current(Err(m))) => {
                assert!(m.contains("internal error") && m.contains("boom"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        // A review that panics answers for its own ticket, so the app can tell it apart.
        let request = crate::app::review::ReviewRequest {
            ticket: 7,
            against: None,
            draft: crate::config::model::TunnelConfig::default(),
            yaml: false,
            old_name: String::new(),
            replaces: None,
            notes: Vec::new(),
            dns: None,
            dns_only: false,
            file: None,
        };
        supervise(
            async { panic!("review") },
            failure(&Effect::Review(Box::new(request))),
            tx,
        );
        assert!(matches!(
            rx.recv().await,
            Some(Event::Reviewed(Err(ReviewFailed { ticket: 7, .. })))
        ));
    }
}
