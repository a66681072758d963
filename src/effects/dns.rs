//! DNS over the network: reading a tunnel's zones and records into a [`Snapshot`] (what
//! `crate::dns` judges), and making the changes of a plan one by one, each reported. Reading
//! never fails as a whole: what could not be read is in the snapshot, with why.

use futures_util::stream::{self, StreamExt};

use crate::api::{ApiError, Client, Zone};
use crate::dns::check::zones_holding;
use crate::dns::names::{tunnel_of, tunnel_target};
use crate::dns::plan::comment;
use crate::dns::{Action, Change, MAX_OTHER_ZONES, Snapshot, Unreadable, ZoneListing};
use crate::text::inert;

pub use crate::dns::plan::Applied;

/// Zones listed at the same time.
const CONCURRENT_LISTINGS: usize = 4;

/// Why something could not be read, from the client's error.
pub fn unreadable(e: &ApiError) -> Unreadable {
    Unreadable {
        message: inert(&e.to_string()).into_owned(),
        permission: match e {
            ApiError::MissingPermission { permission, .. } => Some(permission),
            _ => None,
        },
    }
}

/// Reads what judging `names` (record names) on `tunnel_id` needs: the account's zones, every
/// record of the zones holding a name, the CNAMEs to the tunnel in up to [`MAX_OTHER_ZONES`]
/// other zones (for orphans), and the account's tunnels when a record points at another one.
pub async fn read(client: &Client, account: &str, tunnel_id: &str, names: &[String]) -> Snapshot {
    let mut snap = Snapshot {
        tunnel_id: tunnel_id.to_owned(),
        zones: Ok(Vec::new()),
        listings: Vec::new(),
        unsearched: 0,
        tunnels: None,
    };
    let zones = match client.list_zones(account).await {
        Ok(z) => z,
        Err(e) => {
            snap.zones = Err(unreadable(&e));
            return snap;
        }
    };
    let holding: Vec<Zone> = zones_holding(names, &zones).into_iter().cloned().collect();
    let others: Vec<Zone> = zones
        .iter()
        .filter(|z| !holding.iter().any(|h| h.id == z.id))
        .cloned()
        .collect();
    snap.unsearched = others.len().saturating_sub(MAX_OTHER_ZONES);
    let target = tunnel_target(tunnel_id);
    let filter = [("type", "CNAME".to_owned()), ("content", target)];
    let jobs = holding
        .into_iter()
        .map(|z| (z, true))
        .chain(others.into_iter().take(MAX_OTHER_ZONES).map(|z| (z, false)));
    snap.listings = stream::iter(jobs)
        .map(|(zone, complete)| {
            let query: &[(&str, String)] = if complete { &[] } else { &filter };
            async move {
                let records = client
                    .list_dns_records(&zone, query)
                    .await
                    .map_err(|e| unreadable(&e));
                ZoneListing {
                    zone,
                    records,
                    complete,
                }
            }
        })
        .buffered(CONCURRENT_LISTINGS)
        .collect()
        .await;
    snap.zones = Ok(zones);
    let mine = tunnel_id.to_ascii_lowercase();
    let points_elsewhere = snap
        .listings
        .iter()
        .filter_map(|l| l.records.as_ref().ok())
        .flatten()
        .filter_map(|r| tunnel_of(&r.content))
        .any(|t| t != mine);
    if points_elsewhere && let Ok(tunnels) = client.list_tunnels(account, None).await {
        snap.tunnels = Some(tunnels.into_iter().map(|t| (t.id, t.name)).collect());
    }
    snap
}

/// Makes the changes that are on, in order, each once. After a change fails for a missing
/// permission, the remaining ones are not sent (they would fail the same way) and carry the
/// same failure.
pub async fn apply(
    client: &Client,
    changes: &[Change],
    tunnel_id: &str,
    tunnel_name: Option<&str>,
) -> Vec<Applied> {
    let target = tunnel_target(tunnel_id);
    let note = comment(tunnel_id, tunnel_name);
    let mut out = Vec::new();
    let mut denied: Option<(String, &'static str)> = None;
    for change in changes.iter().filter(|c| c.on) {
        if let Some((message, permission)) = &denied {
            out.push(Applied {
                change: change.clone(),
                result: Err(format!("not sent: {message}")),
                permission: Some(permission),
            });
            continue;
        }
        let result = match (change.action, &change.record) {
            (Action::Create, _) => client
                .create_cname(
                    &change.zone,
                    &crate::api::dns::NewCname {
                        name: change.name.clone(),
                        content: target.clone(),
                        comment: note.clone(),
                    },
                )
                .await
                .map(|_| ()),
            (Action::Proxy | Action::Repoint, Some(record)) => client
                .repoint_cname(
                    &change.zone,
                    record,
                    &crate::api::dns::Repoint {
                        content: target.clone(),
                        comment: note.clone(),
                    },
                )
                .await
                .map(|_| ()),
            (Action::Delete, Some(record)) => client.delete_dns_record(&change.zone, record).await,
            (_, None) => Err(ApiError::Unexpected(
                "no record to change was found".to_owned(),
            )),
        };
        let permission = match &result {
            Err(ApiError::MissingPermission { permission, .. }) => Some(*permission),
            _ => None,
        };
        let result = result.map_err(|e| inert(&e.to_string()).into_owned());
        if let (Some(p), Err(message)) = (permission, &result) {
            denied = Some((message.clone(), p));
        }
        out.push(Applied {
            change: change.clone(),
            result,
            permission,
        });
    }
    out
}

/// What [`make_reviewed`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Made {
    /// Each change sent, and what became of it.
    pub applied: Vec<Applied>,
    /// Reviewed changes not sent because their record changed meanwhile, with why.
    pub skipped: Vec<(Change, String)>,
    /// DNS as read just before the changes.
    pub snapshot: Snapshot,
}

/// Makes the changes reviewed for `config` on `tunnel_id` (those on): DNS is read again
/// first, and only the changes that still hold on the same records are sent (see
/// [`crate::dns::plan::carry`]); the others are skipped with why.
pub async fn make_reviewed(
    client: &Client,
    account: &str,
    tunnel_id: &str,
    tunnel_name: Option<&str>,
    config: &crate::config::model::TunnelConfig,
    reviewed: &[Change],
) -> Made {
    let names = crate::dns::check::record_names(config);
    let snapshot = read(client, account, tunnel_id, &names).await;
    let report = crate::dns::check(config, &snapshot);
    let mut fresh = crate::dns::propose(&report, crate::dns::Choices::DEFAULT);
    let on: Vec<&Change> = reviewed.iter().filter(|c| c.on).collect();
    let skipped = crate::dns::plan::carry(&on, &mut fresh)
        .into_iter()
        .map(|c| (c.clone(), crate::dns::plan::changed_since(&report, c)))
        .collect();
    let applied = apply(client, &fresh, tunnel_id, tunnel_name).await;
    Made {
        applied,
        skipped,
        snapshot,
    }
}
