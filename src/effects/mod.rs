//! Runs the app's effects: API calls and file reads and writes on tokio tasks, draft saves on
//! their own thread; each answers with an [`crate::app::Event`]. A panic in a task becomes that
//! effect's failure event, so the editor never waits forever for an answer.

pub mod drafts;
pub mod files;
mod runner;

pub use runner::{Context, spawn};
