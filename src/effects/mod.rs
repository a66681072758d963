//! What runs outside the pure core when a config is published: the checked publish protocol
//! ([`publish`]) and the local journal of every publish ([`journal`]). No terminal code: the
//! headless commands and the editor's effect runner call the same functions.

pub mod journal;
pub mod publish;
