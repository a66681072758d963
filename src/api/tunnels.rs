//! Tunnels: `GET /accounts/{account}/cfd_tunnel` (every page) and
//! `GET /accounts/{account}/cfd_tunnel/{tunnel}`.

use serde::Serialize;

use super::error::{ApiError, Call};
use super::ids::IdKind;
use super::read;
use super::transport::{Client, List};
use crate::config::jsontree::Json;

/// Tunnels asked per page.
const PER_PAGE: u32 = 100;
/// A listing with more tunnels than this stops with an error: Cloudflare allows 1 000 tunnels per
/// account, so a server announcing more is broken or hostile.
pub const MAX_TUNNELS: usize = 10_000;

/// A tunnel as listed. Its id has been checked to be a UUID; the other strings are the server's,
/// to be shown through `text::inert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tunnel {
    /// UUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// `healthy`, `degraded`, `down`, `inactive`.
    pub status: String,
    /// Where its config lives: `cloudflare` (remote) or `local`.
    pub config_src: String,
    /// Creation time.
    pub created_at: String,
}

impl Tunnel {
    /// Reads one tunnel object; `at` names it in errors (`result[3]`).
    pub fn from_tree(v: &Json<'_>, at: &str) -> Result<Self, ApiError> {
        read::object(v, at)?;
        let id = read::id(v, "id", at, IdKind::Tunnel)?;
        let text = |key: &str, default: &str| -> Result<String, ApiError> {
            Ok(read::opt_str(v, key, at)?.unwrap_or(default).to_owned())
        };
        let config_src = match read::opt_str(v, "config_src", at)? {
            Some(s) => s.to_owned(),
            None => match read::opt_bool(v, "remote_config", at)? {
                Some(true) => "cloudflare".to_owned(),
                Some(false) => "local".to_owned(),
                None => "unknown".to_owned(),
            },
        };
        Ok(Tunnel {
            id,
            name: text("name", "")?,
            status: text("status", "unknown")?,
            config_src,
            created_at: text("created_at", "")?,
        })
    }
}

impl Client {
    /// The account's tunnels (deleted ones excluded), every page, optionally filtered by name.
    pub async fn list_tunnels(
        &self,
        account: &str,
        name: Option<&str>,
    ) -> Result<Vec<Tunnel>, ApiError> {
        IdKind::Account.check_given(account)?;
        let mut query = vec![("is_deleted", "false".to_owned())];
        if let Some(n) = name {
            query.push(("name", n.to_owned()));
        }
        let list = List {
            call: Call::Tunnels,
            what: format!("the tunnels of account {account}"),
            segments: &["accounts", account, "cfd_tunnel"],
            query: &query,
            per_page: PER_PAGE,
            max_items: MAX_TUNNELS,
        };
        let result = self
            .get_all(list, |raw, at| Tunnel::from_tree(&read::item(raw, at)?, at))
            .await;
        match result {
            Ok(tunnels) => Ok(tunnels),
            Err(e) => Err(self.explain_account(account, e).await),
        }
    }

    /// One tunnel.
    pub async fn get_tunnel(&self, account: &str, tunnel: &str) -> Result<Tunnel, ApiError> {
        IdKind::Account.check_given(account)?;
        IdKind::Tunnel.check_given(tunnel)?;
        let url = self.url(&["accounts", account, "cfd_tunnel", tunnel]);
        let env = match self
            .get(Call::Tunnels, &format!("tunnel {tunnel}"), url)
            .await
        {
            Ok(env) => env,
            Err(e) => return Err(self.explain_account(account, e).await),
        };
        Tunnel::from_tree(&env.result_tree()?, "result")
    }
}
