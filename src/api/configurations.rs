//! A tunnel's remote configuration: `GET` and `PUT
//! /accounts/{account}/cfd_tunnel/{tunnel}/configurations`.

use reqwest::Method;
use serde_json::json;

use super::envelope::Envelope;
use super::error::{ApiError, Call};
use super::ids::IdKind;
use super::read;
use super::transport::Client;
use crate::config::encode::config_to_json;
use crate::config::files::from_tree;
use crate::config::jsontree::Json;
use crate::config::model::TunnelConfig;

/// A tunnel's remote configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteConfig {
    /// The tunnel (a UUID; empty when the answer did not say).
    pub tunnel_id: String,
    /// The configuration version; 0 for a tunnel that never had one.
    pub version: u64,
    /// `cloudflare` or `local`.
    pub source: Option<String>,
    /// When this version was created.
    pub created_at: Option<String>,
    /// The config; `None` for a tunnel with no remote config yet (`config: null`).
    pub config: Option<TunnelConfig>,
}

impl RemoteConfig {
    /// Reads the `result` of a configurations call. `tunnel` is the tunnel asked for: an answer
    /// about another tunnel is an error. The version must be a whole number from 0: missing,
    /// negative, fractional or not a number is an error, never read as 0.
    pub fn from_tree(result: &Json<'_>, tunnel: Option<&str>) -> Result<Self, ApiError> {
        if !matches!(result, Json::Object(_)) {
            return Err(ApiError::Unexpected(format!(
                "the configuration answer has no result object (result: {})",
                read::found(result)
            )));
        }
        let at = "result";
        let tunnel_id = match read::opt_str(result, "tunnel_id", at)? {
            Some(id) => {
                IdKind::Tunnel.check_answered(id, "result.tunnel_id")?;
                if let Some(asked) = tunnel
                    && !asked.eq_ignore_ascii_case(id)
                {
                    return Err(ApiError::Unexpected(format!(
                        "asked for the config of tunnel {asked}, the API answered the config of tunnel {id}"
                    )));
                }
                id.to_owned()
            }
            None => tunnel.unwrap_or_default().to_owned(),
        };
        let version = read::count(result, "version", at)?;
        let config = match result.get("config") {
            None | Some(Json::Null) => None,
            Some(cfg) => Some(
                from_tree(cfg)
                    .map_err(|e| {
                        ApiError::Unexpected(format!("the remote config cannot be read: {e}"))
                    })?
                    .config,
            ),
        };
        Ok(RemoteConfig {
            tunnel_id,
            version,
            source: read::opt_str(result, "source", at)?.map(str::to_owned),
            created_at: read::opt_str(result, "created_at", at)?.map(str::to_owned),
            config,
        })
    }

    fn from_envelope(env: &Envelope, tunnel: &str) -> Result<Self, ApiError> {
        // Only what a config reader reads is built; unknown lists stay slices of the body.
        let tree = match env.result_raw()? {
            None => Json::Null,
            Some(raw) => crate::config::jsontree::parse_config(raw.get())
                .map_err(|e| ApiError::Unexpected(format!("result: {e}")))?,
        };
        Self::from_tree(&tree, Some(tunnel))
    }
}

impl Client {
    /// `GET /accounts/{account}/cfd_tunnel/{tunnel}/configurations`.
    pub async fn get_config(&self, account: &str, tunnel: &str) -> Result<RemoteConfig, ApiError> {
        IdKind::Account.check_given(account)?;
        IdKind::Tunnel.check_given(tunnel)?;
        let url = self.url(&["accounts", account, "cfd_tunnel", tunnel, "configurations"]);
        let env = match self
            .get(Call::GetConfig, &format!("tunnel {tunnel}"), url)
            .await
        {
            Ok(env) => env,
            Err(e) => return Err(self.explain_account(account, e).await),
        };
        RemoteConfig::from_envelope(&env, tunnel)
    }

    /// `PUT /accounts/{account}/cfd_tunnel/{tunnel}/configurations`: publishes `config` once. If the
    /// outcome is unknown (a timeout or a failure after sending), re-reads the config and reports
    /// whether it was applied, and at which version; it never sends the PUT again.
    pub async fn put_config(
        &self,
        account: &str,
        tunnel: &str,
        config: &TunnelConfig,
        base_version: Option<u64>,
    ) -> Result<RemoteConfig, ApiError> {
        IdKind::Account.check_given(account)?;
        IdKind::Tunnel.check_given(tunnel)?;
        let sent = config_to_json(config).map_err(|e| ApiError::Unsendable {
            message: e.to_string(),
        })?;
        let body = json!({ "config": sent });
        let url = self.url(&["accounts", account, "cfd_tunnel", tunnel, "configurations"]);
        let what = format!("tunnel {tunnel}");
        let err = match self
            .send(Call::PutConfig, &what, Method::PUT, url, Some(&body))
            .await
        {
            Ok(env) => return RemoteConfig::from_envelope(&env, tunnel),
            Err(e) => e,
        };
        if !err.leaves_outcome_unknown() {
            return Err(self.explain_account(account, err).await);
        }
        match self.get_config(account, tunnel).await {
            Ok(remote) => {
                let applied = remote
                    .config
                    .as_ref()
                    .and_then(|c| config_to_json(c).ok())
                    .as_ref()
                    == Some(&sent)
                    && base_version.is_none_or(|b| remote.version != b);
                if applied {
                    Ok(remote)
                } else {
                    Err(ApiError::NotApplied {
                        cause: err.to_string(),
                        version: remote.version,
                    })
                }
            }
            Err(reread) => Err(ApiError::OutcomeUnknown {
                cause: err.to_string(),
                reread: reread.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Result<RemoteConfig, String> {
        let tree: Json<'_> = serde_json::from_str(s).map_err(|e| e.to_string())?;
        RemoteConfig::from_tree(&tree, Some("f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn versions_must_be_whole_numbers() {
        let ok = read(r#"{"version":0,"config":null}"#);
        assert_eq!(ok.map(|r| (r.version, r.config.is_none())), Ok((0, true)));
        for (body, want) in [
            (r#"{"config":null}"#, "result.version is missing"),
            (r#"{"version":-3,"config":null}"#, "found number -3"),
            (r#"{"version":2.5,"config":null}"#, "found number 2.5"),
            (r#"{"version":"7","config":null}"#, "found string \"7\""),
            (r#"{"version":null,"config":null}"#, "found null"),
        ] {
            let e = read(body).err().unwrap_or_default();
            assert!(e.contains(want), "{body}: {e}");
        }
    }

    #[test]
    fn the_answer_is_about_the_tunnel_asked_for() {
        let e = read(
            r#"{"version":1,"tunnel_id":"00000000-0000-4000-8000-000000000000","config":null}"#,
        )
        .err()
        .unwrap_or_default();
        assert!(e.contains("answered the config of tunnel 00000000"), "{e}");
        let e = read(r#"{"version":1,"tunnel_id":"x\u001b[2J","config":null}"#)
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("result.tunnel_id") && !e.contains('\u{1b}'),
            "{e}"
        );
        let e = read(r#"{"version":1,"source":7,"config":null}"#)
            .err()
            .unwrap_or_default();
        assert!(e.contains("result.source: expected a string"), "{e}");
        let ok = read(
            r#"{"version":1,"tunnel_id":"F70FF985-A4EF-4643-BBBC-4A0ED4FC8415","config":null}"#,
        );
        assert!(ok.is_ok(), "{ok:?}");
        let e = read("[]").err().unwrap_or_default();
        assert!(e.contains("no result object"), "{e}");
    }
}
