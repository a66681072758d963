//! Runs the app's effects: API calls and file reads and writes on tokio tasks, draft saves on
//! their own thread; each answers with an [`crate::app::Event`]. A panic in a task becomes that
//! effect's failure event, so the editor never waits forever for an answer. The checked publish
//! protocol ([`publish`]), the local journal of every publish ([`journal`]), reading and
//! changing the DNS records of the tunnel's hostnames ([`dns`]), the wait for the published
//! version to reach the connectors ([`rollout`]) and the token doctor's checks ([`doctor`]) are
//! shared with the headless commands.

pub mod connectors;
pub mod dns;
pub mod doctor;
pub mod drafts;
pub mod files;
pub mod history;
pub mod journal;
pub mod judge;
pub mod lock;
pub mod publish;
pub mod rollout;
mod runner;

pub use runner::{Context, spawn};
