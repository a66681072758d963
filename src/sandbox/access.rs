//! The sandbox's Cloudflare Access: a Zero Trust organization (team `example`) and applications
//! that cover hostnames of the demo and example configs, in the shapes the list endpoint answers
//! (self-hosted with `destinations`, older ones with `self_hosted_domains`, an SSH application,
//! a SaaS application without a domain).

use serde_json::{Value, json};

use super::state::stable_uuid;

/// The organization's `auth_domain`.
pub const AUTH_DOMAIN: &str = "example.cloudflareaccess.com";

/// The audience tag of the demo tunnel's Grafana rule.
pub const GRAFANA_AUD: &str = "9a0c5e8b1f2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7";

/// The account's Access applications and organization.
#[derive(Debug, Clone)]
pub struct AccessState {
    /// Applications, as the API lists them.
    pub apps: Vec<Value>,
    /// The organization, as the API answers it.
    pub organization: Value,
}

fn aud(seed: &str) -> String {
    stable_uuid(seed.as_bytes()).replace('-', "")
        + &stable_uuid(format!("{seed}/2").as_bytes()).replace('-', "")
}

impl Default for AccessState {
    fn default() -> Self {
        let time = "2025-03-01T09:00:00Z";
        let app = |name: &str, kind: &str, aud: String, domain: Option<&str>, extra: Value| {
            let mut v = json!({
                "id": stable_uuid(format!("access app {name}").as_bytes()),
                "name": name, "type": kind, "aud": aud,
                "created_at": time, "updated_at": time, "session_duration": "24h",
                "allowed_idps": [], "auto_redirect_to_identity": false, "app_launcher_visible": true,
            });
            if let (Some(d), Some(o)) = (domain, v.as_object_mut()) {
                o.insert("domain".to_owned(), json!(d));
            }
            if let (Value::Object(e), Some(o)) = (extra, v.as_object_mut()) {
                o.extend(e);
            }
            v
        };
        let public = |uris: &[&str]| json!({"destinations": uris.iter().map(|u| json!({"type": "public", "uri": u})).collect::<Vec<_>>()});
        AccessState {
            apps: vec![
                app(
                    "Grafana",
                    "self_hosted",
                    GRAFANA_AUD.to_owned(),
                    Some("grafana.example.com"),
                    public(&["grafana.example.com"]),
                ),
                app(
                    "Web app",
                    "self_hosted",
                    "0b1b4f3bc2a7a9c2e2bb4f6a5c9e1d0f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d".to_owned(),
                    Some("app.example.com"),
                    json!({"self_hosted_domains": ["app.example.com"]}),
                ),
                app(
                    "Admin panel",
                    "self_hosted",
                    aud("admin"),
                    Some("admin.example.com/admin"),
                    public(&["admin.example.com/admin"]),
                ),
                app(
                    "Preview environments",
                    "self_hosted",
                    aud("preview"),
                    Some("*.preview.example.com"),
                    public(&["*.preview.example.com", "preview.example.com"]),
                ),
                app(
                    "SSH",
                    "ssh",
                    aud("ssh"),
                    Some("ssh.example.com"),
                    public(&["ssh.example.com"]),
                ),
                app("Payroll (SaaS)", "saas", aud("saas"), None, json!({})),
            ],
            organization: json!({
                "name": "Example Inc", "auth_domain": AUTH_DOMAIN,
                "allow_authenticate_via_warp": false, "auto_redirect_to_identity": false,
                "is_ui_read_only": false, "session_duration": "24h",
                "created_at": time, "updated_at": time,
            }),
        }
    }
}

impl AccessState {
    /// The applications a list request asks for: `name`, `domain` and `aud` filter by
    /// containment (by equality with `exact=true`).
    pub fn filtered(&self, filters: &[(&str, Option<String>)], exact: bool) -> Vec<Value> {
        self.apps
            .iter()
            .filter(|app| {
                filters.iter().all(|(key, want)| match want {
                    None => true,
                    Some(w) => {
                        let have = app.get(*key).and_then(Value::as_str).unwrap_or("");
                        if exact {
                            have == w
                        } else {
                            have.contains(w.as_str())
                        }
                    }
                })
            })
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_have_distinct_well_shaped_tags() {
        let s = AccessState::default();
        let mut tags: Vec<&str> = s.apps.iter().filter_map(|a| a["aud"].as_str()).collect();
        assert!(
            tags.iter()
                .all(|t| crate::api::access::is_aud(t) && t.len() == 64),
            "{tags:?}"
        );
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), s.apps.len());
        assert_eq!(
            s.filtered(&[("domain", Some("example.com".into()))], false)
                .len(),
            5
        );
        assert_eq!(
            s.filtered(&[("domain", Some("app.example.com".into()))], true)
                .len(),
            1
        );
    }
}
