//! The DNS of a tunnel's hostnames, pure (no network): the dashboard creates the proxied CNAME
//! `<hostname> → <tunnel id>.cfargotunnel.com` for each public hostname; cfingress checks it,
//! reports drift and plans the changes a publish makes.
//!
//! - [`names`]: record names (lowercase punycode), zones (the longest match wins), tunnel targets.
//! - [`check`]: what the listed zones and records ([`Snapshot`]) mean for each hostname of a
//!   config ([`State`]), and the orphans (CNAMEs to the tunnel that no rule uses).
//! - [`plan`]: the changes to make ([`Change`]), each on or off by the user's choice.
//!
//! The listing and the changes themselves run in `effects::dns`.

pub mod check;
pub mod names;
pub mod plan;

pub use check::{HostDns, Orphan, Report, Snapshot, State, Unreadable, ZoneListing, check};
pub use plan::{Action, Change, Choices, propose};

/// Zones not holding any hostname that are searched for orphans, at most (one request each; an
/// account with more zones is searched in the zones its rules use and this many others).
pub const MAX_OTHER_ZONES: usize = 50;

#[cfg(test)]
mod tests;
