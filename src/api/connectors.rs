//! A tunnel's connectors (the cloudflared processes running it) and their connections:
//! `GET /accounts/{account}/cfd_tunnel/{tunnel}/connections` and
//! `GET /accounts/{account}/cfd_tunnel/{tunnel}/connectors/{connector}`.
//!
//! Each connector reports `config_version`: the remote configuration version it last applied
//! (cloudflared's `LastAppliedVersion`), so a connector below the tunnel's current version has
//! not picked up the latest publish.

use serde::Serialize;

use super::error::{ApiError, Call};
use super::ids::IdKind;
use super::read;
use super::transport::Client;
use crate::config::jsontree::Json;

/// A listing with more connectors than this is refused: Cloudflare allows 25 replicas per
/// tunnel, and a connector that restarted lingers for a few minutes, so a real tunnel stays far
/// below it.
pub const MAX_CONNECTORS: usize = 1000;
/// Connections kept per connector (cloudflared opens 4; the rest is ignored).
pub const MAX_CONNECTIONS: usize = 64;
/// Features kept per connector.
const MAX_FEATURES: usize = 32;
/// The longest server string kept (versions, architectures, colo names, IPs, times).
const MAX_TEXT: usize = 100;

/// One connection of a connector to a Cloudflare data center. Strings are the server's, cut to
/// 100 characters: show them through `text::inert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connection {
    /// The connection's UUID (empty when absent).
    pub id: String,
    /// The data center, e.g. `FRA`.
    pub colo_name: String,
    /// The public IP address of the host running cloudflared.
    pub origin_ip: String,
    /// The connection dropped and Cloudflare keeps it a few minutes in case it comes back.
    pub is_pending_reconnect: bool,
    /// When it was opened (RFC 3339).
    pub opened_at: String,
}

/// One connector (a cloudflared process). Its id has been checked to be a UUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Connector {
    /// UUID.
    pub id: String,
    /// cloudflared's version, e.g. `2026.8.2` (empty when absent).
    pub version: String,
    /// OS and architecture, e.g. `linux_amd64`.
    pub arch: String,
    /// The remote configuration version it runs; `None` when it did not say (a connector
    /// with a locally managed config, or an old cloudflared).
    pub config_version: Option<u64>,
    /// When it started (RFC 3339).
    pub run_at: String,
    /// Its features (`ha-origin`, ...).
    pub features: Vec<String>,
    /// Its connections, at most [`MAX_CONNECTIONS`].
    pub conns: Vec<Connection>,
}

fn text(v: &Json<'_>, key: &str, at: &str) -> Result<String, ApiError> {
    Ok(read::opt_str(v, key, at)?
        .unwrap_or_default()
        .chars()
        .take(MAX_TEXT)
        .collect())
}

impl Connection {
    fn from_tree(v: &Json<'_>, at: &str) -> Result<Self, ApiError> {
        read::object(v, at)?;
        let id = read::opt_str(v, "id", at)?
            .or(read::opt_str(v, "uuid", at)?)
            .unwrap_or_default();
        if !id.is_empty() {
            IdKind::Connector.check_answered(id, &format!("{at}.id"))?;
        }
        Ok(Connection {
            id: id.to_owned(),
            colo_name: text(v, "colo_name", at)?,
            origin_ip: text(v, "origin_ip", at)?,
            is_pending_reconnect: read::opt_bool(v, "is_pending_reconnect", at)?.unwrap_or(false),
            opened_at: text(v, "opened_at", at)?,
        })
    }
}

impl Connector {
    /// Reads one connector object; `at` names it in errors (`result[2]`).
    pub fn from_tree(v: &Json<'_>, at: &str) -> Result<Self, ApiError> {
        read::object(v, at)?;
        let id = read::id(v, "id", at, IdKind::Connector)?;
        let config_version = match v.get("config_version") {
            None | Some(Json::Null) => None,
            Some(_) => Some(read::count(v, "config_version", at)?),
        };
        let list = |key: &str| -> Result<&[Json<'_>], ApiError> {
            match v.get(key) {
                None | Some(Json::Null) => Ok(&[]),
                Some(Json::Array(items)) => Ok(items.as_slice()),
                Some(other) => Err(ApiError::Unexpected(format!(
                    "{at}.{key}: expected a list, found {}",
                    read::found(other)
                ))),
            }
        };
        let conns = list("conns")?
            .iter()
            .take(MAX_CONNECTIONS)
            .enumerate()
            .map(|(i, c)| Connection::from_tree(c, &format!("{at}.conns[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let features = list("features")?
            .iter()
            .take(MAX_FEATURES)
            .filter_map(|f| match f {
                Json::String(s) => Some(s.chars().take(MAX_TEXT).collect()),
                _ => None,
            })
            .collect();
        Ok(Connector {
            id,
            version: text(v, "version", at)?,
            arch: text(v, "arch", at)?,
            config_version,
            run_at: text(v, "run_at", at)?,
            features,
            conns,
        })
    }

    /// The short form of its id (the first 8 characters), for narrow views.
    pub fn short_id(&self) -> &str {
        self.id.get(..8).unwrap_or(&self.id)
    }

    /// Whether it has a connection that serves traffic (not only ones pending a reconnect).
    pub fn is_connected(&self) -> bool {
        self.conns.iter().any(|c| !c.is_pending_reconnect)
    }

    /// Its distinct origin IPs, in order of first appearance.
    pub fn origin_ips(&self) -> Vec<&str> {
        distinct(self.conns.iter().map(|c| c.origin_ip.as_str()))
    }

    /// Its distinct data centers, in order of first appearance.
    pub fn colos(&self) -> Vec<&str> {
        distinct(self.conns.iter().map(|c| c.colo_name.as_str()))
    }
}

fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for s in items {
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

impl Client {
    /// A tunnel's connectors with their connections (one answer: the endpoint is not paged).
    pub async fn list_connectors(
        &self,
        account: &str,
        tunnel: &str,
    ) -> Result<Vec<Connector>, ApiError> {
        IdKind::Account.check_given(account)?;
        IdKind::Tunnel.check_given(tunnel)?;
        let url = self.url(&["accounts", account, "cfd_tunnel", tunnel, "connections"]);
        let what = format!("the connectors of tunnel {tunnel}");
        let env = match self
            .get(Call::Connections, &format!("tunnel {tunnel}"), url)
            .await
        {
            Ok(env) => env,
            Err(e) => return Err(self.explain_account(account, e).await),
        };
        let items = env.result_items(&what)?;
        if items.len() > MAX_CONNECTORS {
            return Err(ApiError::Unexpected(format!(
                "{what}: the API listed {} connectors, more than the {MAX_CONNECTORS} cfingress reads (Cloudflare allows 25 per tunnel): check the API URL",
                items.len()
            )));
        }
        items
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                let at = format!("result[{i}]");
                Connector::from_tree(&read::item(raw, &at)?, &at)
            })
            .collect()
    }

    /// One connector of a tunnel.
    pub async fn get_connector(
        &self,
        account: &str,
        tunnel: &str,
        connector: &str,
    ) -> Result<Connector, ApiError> {
        IdKind::Account.check_given(account)?;
        IdKind::Tunnel.check_given(tunnel)?;
        IdKind::Connector.check_given(connector)?;
        let url = self.url(&[
            "accounts",
            account,
            "cfd_tunnel",
            tunnel,
            "connectors",
            connector,
        ]);
        let env = match self
            .get(Call::Connections, &format!("connector {connector}"), url)
            .await
        {
            Ok(env) => env,
            Err(e) => return Err(self.explain_account(account, e).await),
        };
        let found = Connector::from_tree(&env.result_tree()?, "result")?;
        if !found.id.eq_ignore_ascii_case(connector) {
            return Err(ApiError::Unexpected(format!(
                "asked for connector {connector}, the API answered connector {}",
                found.id
            )));
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<Connector, String> {
        let tree: Json<'_> = serde_json::from_str(s).map_err(|e| e.to_string())?;
        Connector::from_tree(&tree, "result[0]").map_err(|e| e.to_string())
    }

    #[test]
    fn a_connector_as_cloudflared_reports_it() {
        let c = read(
            r#"{"id":"1bedc50d-42b3-473c-b108-ff3d10c0d925","arch":"linux_amd64","config_version":7,
                "features":["ha-origin","serialized_headers"],"run_at":"2026-11-29T10:00:00Z","version":"2026.8.2",
                "conns":[{"colo_name":"FRA","id":"2bedc50d-42b3-473c-b108-ff3d10c0d925","is_pending_reconnect":false,"opened_at":"2026-11-29T10:00:01Z","origin_ip":"10.0.0.7","client_id":"1bedc50d-42b3-473c-b108-ff3d10c0d925","client_version":"2026.8.2"},
                         {"colo_name":"AMS","id":"3bedc50d-42b3-473c-b108-ff3d10c0d925","is_pending_reconnect":true,"opened_at":"2026-11-29T10:00:01Z","origin_ip":"10.0.0.7"}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.config_version, Some(7));
        assert_eq!(c.short_id(), "1bedc50d");
        assert_eq!(c.origin_ips(), ["10.0.0.7"]);
        assert_eq!(c.colos(), ["FRA", "AMS"]);
        assert!(c.is_connected());
        assert_eq!(c.features.len(), 2);
    }

    #[test]
    fn hostile_connectors_are_refused_or_bounded() {
        let e = read(r#"{"id":"x\u001b[2J","config_version":1}"#)
            .err()
            .unwrap_or_default();
        assert!(e.contains("result[0].id") && !e.contains('\u{1b}'), "{e}");
        let e = read(r#"{"id":"1bedc50d-42b3-473c-b108-ff3d10c0d925","config_version":-1}"#)
            .err()
            .unwrap_or_default();
        assert!(e.contains("config_version"), "{e}");
        let e = read(r#"{"id":"1bedc50d-42b3-473c-b108-ff3d10c0d925","conns":{}}"#)
            .err()
            .unwrap_or_default();
        assert!(e.contains("result[0].conns: expected a list"), "{e}");
        let e = read(r#"{"id":"1bedc50d-42b3-473c-b108-ff3d10c0d925","conns":[{"id":"../../x"}]}"#)
            .err()
            .unwrap_or_default();
        assert!(e.contains("result[0].conns[0].id"), "{e}");
        let many = format!(
            r#"{{"id":"1bedc50d-42b3-473c-b108-ff3d10c0d925","version":"{}","conns":[{}]}}"#,
            "9".repeat(10_000),
            vec![r#"{"colo_name":"FRA"}"#; 500].join(",")
        );
        let c = read(&many).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.conns.len(), MAX_CONNECTIONS);
        assert_eq!(c.version.len(), MAX_TEXT);
        assert!(c.is_connected());
        let c = read(r#"{"id":"1bedc50d-42b3-473c-b108-ff3d10c0d925","config_version":null}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.config_version, None);
        assert!(!c.is_connected(), "no connections: not connected");
    }
}
