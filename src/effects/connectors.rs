//! The editor's connector and Access effects: the rollout watch (one event per poll, on a task
//! that a newer watch aborts), the status view's reads, the picker's health reads (one event per
//! tunnel, in order, within the rate limit the client keeps) and the Access data for the lint
//! and the application list. Failures carry the doctor's explanation when a permission is
//! missing ([`why`]).

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::api::{ApiError, Client};
use crate::app::Event;
use crate::app::access::AccessData;
use crate::app::rollout::TunnelStatus;
use crate::rollout::Health;
use crate::rollout::cloudflared::Month;

/// An API failure for the user; a missing permission is said by the doctor's explanation alone
/// (which names the permission first, and where to add it), not by the error's text and then
/// again by the explanation.
pub fn why(e: &ApiError) -> String {
    crate::doctor::explain(e).unwrap_or_else(|| e.to_string())
}

/// Polls the connectors until the rollout of `version` is over, sending each poll as an
/// [`Event::Rollout`]; returns the last one.
pub(super) async fn watch(
    client: Client,
    account: String,
    tunnel: String,
    ticket: u64,
    version: u64,
    timeout: std::time::Duration,
    tx: mpsc::UnboundedSender<Event>,
) -> Option<Event> {
    let result = super::rollout::wait(&client, &account, &tunnel, version, timeout, |r| {
        let _ = tx.send(Event::Rollout {
            ticket,
            update: Ok(r.clone()),
            over: false,
        });
    })
    .await;
    Some(Event::Rollout {
        ticket,
        update: result.map_err(|e| why(&e)),
        over: true,
    })
}

/// The tunnel's status: its API status, config version and connectors.
pub(super) async fn status(client: &Client, account: &str, tunnel: &str) -> Event {
    let read = async {
        let info = client.get_tunnel(account, tunnel).await?;
        let rc = client.get_config(account, tunnel).await?;
        let connectors = client.list_connectors(account, tunnel).await?;
        Ok::<_, ApiError>(TunnelStatus {
            name: info.name,
            status: info.status,
            config_version: rc.version,
            connectors,
        })
    };
    Event::Status(read.await.map(Box::new).map_err(|e| why(&e)))
}

/// Each tunnel's health (its config version and connectors, with the status the list gave),
/// one [`Event::Health`] per tunnel; stops at the first failure that
/// retrying cannot fix (a missing permission fails the same way for every tunnel).
pub(super) async fn health(
    client: Client,
    account: String,
    tunnels: Vec<(String, String)>,
    tx: mpsc::UnboundedSender<Event>,
) -> Option<Event> {
    let today = Month::now();
    for (id, status) in tunnels {
        let read = async {
            let rc = client.get_config(&account, &id).await?;
            let connectors = client.list_connectors(&account, &id).await?;
            let current = (rc.version > 0).then_some(rc.version);
            Ok::<_, ApiError>(Health::of(&status, &connectors, current, today))
        };
        let result = read.await;
        let stop = matches!(&result, Err(e) if !e.is_transient());
        let _ = tx.send(Event::Health(id, result.map_err(|e| why(&e))));
        if stop {
            break;
        }
    }
    None
}

/// The account's Access applications and its team name. The organization is optional (the
/// team name is then left as it is); the applications are not.
pub(super) async fn access(client: &Client, account: &str) -> Event {
    let apps = match client.list_access_apps(account).await {
        Ok(apps) => apps,
        Err(e) => return Event::Access(Err(why(&e))),
    };
    let team = client
        .get_access_organization(account)
        .await
        .ok()
        .and_then(|o| o.team_name().map(str::to_owned));
    Event::Access(Ok(Arc::new(AccessData { apps, team })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_permission_is_said_once_and_named_first() {
        let e = ApiError::MissingPermission {
            permission: "Account > Cloudflare Tunnel > Edit",
            detail: "Authentication error (code 10000)".to_owned(),
        };
        let text = why(&e);
        assert_eq!(text.matches("lacks").count(), 1, "{text}");
        assert_eq!(
            text.matches("Cloudflare Tunnel > Edit").count(),
            1,
            "{text}"
        );
        assert!(
            text.starts_with("the token lacks Account > Cloudflare Tunnel > Edit"),
            "{text}"
        );
        assert!(text.contains(crate::doctor::TOKENS_PAGE), "{text}");
        // Other failures keep their own words.
        let other = ApiError::Server {
            status: 502,
            detail: "bad gateway".to_owned(),
        };
        assert_eq!(why(&other), other.to_string());
    }
}
