//! Which permission groups the sandbox's tokens lack, so tests and `cfingress doctor` can meet
//! partial tokens. The groups are Cloudflare's (a route needs the one the real API asks for);
//! `POST /__sandbox/permissions` with `{"deny":["access_apps", ...]}` sets the groups every token
//! lacks (the Global API Key keeps everything, as its user does). The read-only token lacks
//! `tunnel_write` besides.

use serde::Deserialize;

/// A permission group an endpoint needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// Account > Cloudflare Tunnel > Read: tunnels, configurations, connections.
    TunnelRead,
    /// Account > Cloudflare Tunnel > Edit: PUT configurations.
    TunnelWrite,
    /// Account > Access: Apps and Policies > Read.
    AccessApps,
    /// Account > Access: Organizations, Identity Providers, and Groups > Read.
    AccessOrganization,
}

/// The body of `POST /__sandbox/permissions`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Denied {
    /// The groups every token lacks from now on (replacing the previous list).
    pub deny: Vec<Group>,
}

/// The group a route under `/accounts/{id}/` needs (`rest` is the path after the account).
pub fn needed(method: &str, rest: &[&str]) -> Option<Group> {
    match (method, rest) {
        ("PUT", ["cfd_tunnel", _, "configurations"]) => Some(Group::TunnelWrite),
        (_, ["cfd_tunnel", ..]) => Some(Group::TunnelRead),
        (_, ["access", "apps", ..]) => Some(Group::AccessApps),
        (_, ["access", "organizations", ..]) => Some(Group::AccessOrganization),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_need_the_real_groups() {
        assert_eq!(
            needed("PUT", &["cfd_tunnel", "x", "configurations"]),
            Some(Group::TunnelWrite)
        );
        assert_eq!(
            needed("GET", &["cfd_tunnel", "x", "connections"]),
            Some(Group::TunnelRead)
        );
        assert_eq!(needed("GET", &["access", "apps"]), Some(Group::AccessApps));
        assert_eq!(needed("GET", &["tokens", "verify"]), None);
        let d: Result<Denied, _> =
            serde_json::from_str(r#"{"deny":["tunnel_write","access_organization"]}"#);
        assert_eq!(
            d.map(|d| d.deny).ok(),
            Some(vec![Group::TunnelWrite, Group::AccessOrganization])
        );
        assert!(serde_json::from_str::<Denied>(r#"{"deny":["everything"]}"#).is_err());
    }
}
