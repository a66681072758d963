//! The control API for connectors, permissions and the rate limit (`/__sandbox/...`, with the
//! sandbox token); the older routes (faults, remote edits, the request log) live in `server`.

use serde::de::DeserializeOwned;
use serde_json::json;

use super::connectors::ConnectorSpec;
use super::permissions::Denied;
use super::ratelimit::BudgetSpec;
use super::state::{Reply, SandboxState};

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|e| Reply::error(400, 1001, &format!("bad body: {e}")))
}

fn done(detail: serde_json::Value) -> Reply {
    let mut body = json!({"success": true});
    if let (Some(b), serde_json::Value::Object(d)) = (body.as_object_mut(), detail) {
        b.extend(d);
    }
    Reply {
        status: 200,
        headers: Vec::new(),
        body,
        raw: None,
    }
}

impl SandboxState {
    /// Answers a control route of this module; `None` when `segs` is not one of them.
    pub fn control(&mut self, method: &str, segs: &[&str], body: &[u8]) -> Option<Reply> {
        let result = match (method, segs) {
            ("POST", ["tunnels", id, "connectors", rest @ ..]) if rest.len() <= 1 => {
                let Some(version) = self.tunnels.iter().find(|t| t.id == *id).map(|t| t.version)
                else {
                    return Some(Reply::error(404, 1003, "Tunnel not found"));
                };
                match rest {
                    [] => parse::<Vec<ConnectorSpec>>(body).and_then(|specs| {
                        self.connectors
                            .replace(id, version, &specs)
                            .map(|n| done(json!({"connectors": n})))
                            .map_err(|e| Reply::error(400, 1001, &e))
                    }),
                    [which] => parse::<ConnectorSpec>(body).and_then(|spec| {
                        self.connectors
                            .change(id, which, &spec)
                            .map(|()| done(json!({})))
                            .map_err(|e| Reply::error(404, 1003, &e))
                    }),
                    _ => return None,
                }
            }
            ("POST", ["permissions"]) => parse::<Denied>(body).map(|d| {
                self.denied = d.deny;
                done(json!({}))
            }),
            ("POST", ["ratelimit"]) => parse::<BudgetSpec>(body).map(|spec| {
                self.budget.set(&spec);
                done(json!({}))
            }),
            _ => return None,
        };
        Some(result.unwrap_or_else(|e| e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_routes() {
        let mut s = SandboxState::new(&super::super::state::random_token());
        let id = s.add_tunnel(
            "t",
            Some(json!({"ingress": [{"service": "http_status:404"}]})),
            b"",
        );
        let path = ["tunnels", id.as_str(), "connectors"];
        let r = s.control("POST", &path, br#"[{"lag_ms":100},{"stale":true}]"#);
        assert_eq!(r.map(|r| r.body["connectors"].clone()), Some(json!(2)));
        assert_eq!(s.connectors.of(&id).len(), 2);
        let r = s.control(
            "POST",
            &["tunnels", &id, "connectors", "1"],
            br#"{"stale":false}"#,
        );
        assert_eq!(r.map(|r| r.status), Some(200));
        let r = s.control("POST", &["tunnels", &id, "connectors", "7"], b"{}");
        assert_eq!(r.map(|r| r.status), Some(404));
        let r = s.control("POST", &["tunnels", "nope", "connectors"], b"[]");
        assert_eq!(r.map(|r| r.status), Some(404));
        let r = s.control("POST", &["permissions"], br#"{"deny":["access_apps"]}"#);
        assert_eq!(r.map(|r| r.status), Some(200));
        assert_eq!(s.denied, [super::super::permissions::Group::AccessApps]);
        let r = s.control("POST", &["permissions"], br#"{"deny":"all"}"#);
        assert_eq!(r.map(|r| r.status), Some(400));
        let r = s.control("POST", &["ratelimit"], br#"{"quota":5,"window_secs":60}"#);
        assert_eq!((r.map(|r| r.status), s.budget.quota), (Some(200), 5));
        assert!(s.control("GET", &["faults"], b"").is_none());
    }
}
