//! The Cloudflare v4 API client.
//!
//! - [`transport`]: the [`Client`], sending, retries, pagination and every cap on what a server
//!   can make the client do; [`envelope`] reads each answer, [`read`] the fields of its result,
//!   [`ids`] checks identifiers, [`error`] says what went wrong.
//! - One module per API area, each adding its endpoints to [`Client`] and its result types:
//!   [`configurations`], [`tunnels`], [`accounts`] (with token verification), [`connectors`]
//!   (a tunnel's cloudflared processes and the config version each runs), [`access`] (Access
//!   applications and the Zero Trust organization), [`dns`] (zones and DNS records). A new area
//!   is one more module of the same kind.
//! - [`probe`]: single-page reads for `cfingress doctor` (may these credentials read zones and
//!   DNS records?).
//! - [`ratelimit`]: the `Ratelimit` headers every answer carries, kept by the client so polling
//!   slows down before the limit.
//! - [`credentials`]: where the token comes from.

pub mod access;
pub mod accounts;
pub mod configurations;
pub mod connectors;
pub mod credentials;
pub mod dns;
pub mod envelope;
pub mod error;
pub mod ids;
pub mod probe;
pub mod ratelimit;
pub mod read;
pub mod transport;
pub mod tunnels;

pub use access::{AccessApp, AccessOrganization};
pub use accounts::{Account, TokenStatus};
pub use configurations::RemoteConfig;
pub use connectors::{Connection, Connector};
pub use credentials::{CredentialFlags, Credentials, resolve};
pub use dns::{DnsRecord, Zone};
pub use error::{ApiError, Call};
pub use ids::IdKind;
pub use ratelimit::RateLimit;
pub use transport::{Client, ClientOptions, DEFAULT_API_URL, check_base_url};
pub use tunnels::Tunnel;

/// An environment of fixed variables, for tests of what reads the environment.
#[cfg(test)]
pub(crate) fn env_of(
    pairs: &'static [(&'static str, &'static str)],
) -> impl Fn(&str) -> Option<String> {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| (*v).to_owned())
    }
}
