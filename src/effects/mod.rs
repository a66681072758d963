//! What runs outside the pure core when a config is published: the checked publish protocol
//! ([`publish`]), the local journal of every publish ([`journal`]) and the wait for the published
//! version to reach the connectors ([`rollout`]); and the token doctor's checks ([`doctor`]). No terminal code: the headless commands and the
//! editor's effect runner call the same functions.

pub mod doctor;
pub mod journal;
pub mod publish;
pub mod rollout;
