//! What runs outside the pure core when a config is published: the checked publish protocol
//! ([`publish`]), the local journal of every publish ([`journal`]), and reading and changing the
//! DNS records of the tunnel's hostnames ([`dns`]). No terminal code: the headless commands and
//! the editor's effect runner call the same functions.

pub mod dns;
pub mod journal;
pub mod publish;
