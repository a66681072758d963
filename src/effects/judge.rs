//! One long-lived thread that judges DNS listings against the draft and frees what the editor
//! hands back ([`crate::app::Effect::Release`]).
//!
//! At 100 000 hostnames a judgement allocates tens of megabytes. On tokio's blocking pool each
//! judgement could land on another thread, and glibc gives each thread its own arena that keeps
//! its peak: resident memory grew by hundreds of megabytes over a few dozen edits. One thread
//! keeps that memory in one arena, reused from one judgement to the next.

use std::sync::Arc;
use std::sync::mpsc::{Sender, channel};

use crate::app::Leftover;
use crate::app::dns::Judged;
use crate::config::model::IngressRule;
use crate::dns::Snapshot;

enum Job {
    Judge {
        rules: Vec<IngressRule>,
        snapshot: Arc<Snapshot>,
        answer: tokio::sync::oneshot::Sender<Judged>,
    },
    Free(Leftover),
}

/// The judge thread's inbox (started on first use).
#[derive(Default)]
pub struct Judge {
    jobs: std::sync::Mutex<Option<Sender<Job>>>,
}

/// Starts the judge thread; its inbox.
fn start() -> Option<Sender<Job>> {
    let (tx, rx) = channel::<Job>();
    std::thread::Builder::new()
        .name("dns-judge".to_owned())
        .spawn(move || {
            while let Ok(job) = rx.recv() {
                match job {
                    Job::Judge {
                        rules,
                        snapshot,
                        answer,
                    } => {
                        let _ = answer.send(Judged::new(&rules, &snapshot));
                    }
                    Job::Free(leftover) => drop(leftover),
                }
            }
        })
        .ok()?;
    Some(tx)
}

impl Judge {
    /// Queues `job`, starting the thread if needed; gives the job back when no thread can run.
    fn send(&self, job: Job) -> Result<(), Job> {
        let Ok(mut jobs) = self.jobs.lock() else {
            return Err(job);
        };
        let tx = match jobs.as_ref() {
            Some(tx) => tx.clone(),
            None => match start() {
                Some(tx) => jobs.insert(tx).clone(),
                None => return Err(job),
            },
        };
        tx.send(job).map_err(|e| {
            // The thread is gone (it panicked): the next job starts another.
            *jobs = None;
            e.0
        })
    }

    /// Judges `snapshot` against `rules` on the judge thread (on the blocking pool if that
    /// thread cannot run).
    pub async fn judge(
        &self,
        rules: Vec<IngressRule>,
        snapshot: Arc<Snapshot>,
    ) -> Result<Judged, String> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        match self.send(Job::Judge {
            rules,
            snapshot,
            answer,
        }) {
            Ok(()) => answered
                .await
                .map_err(|_| "the DNS judge stopped (see the log)".to_owned()),
            Err(job) => {
                let judged = tokio::task::spawn_blocking(move || match job {
                    Job::Judge {
                        rules, snapshot, ..
                    } => Some(Judged::new(&rules, &snapshot)),
                    Job::Free(_) => None,
                })
                .await;
                match judged {
                    Ok(Some(judged)) => Ok(judged),
                    _ => Err("the DNS judge failed".to_owned()),
                }
            }
        }
    }

    /// Frees `leftover` on the judge thread (here if it cannot run).
    pub fn free(&self, leftover: Leftover) {
        drop(self.send(Job::Free(leftover)));
    }
}
