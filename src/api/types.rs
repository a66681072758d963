//! What the API returns, as cfingress uses it.

use serde::Serialize;
use serde_json::Value;

use super::error::ApiError;
use crate::config::files::from_tree;
use crate::config::jsontree::Json;
use crate::config::model::TunnelConfig;

/// A tunnel's remote configuration (`GET .../configurations`).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteConfig {
    /// The tunnel.
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

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl RemoteConfig {
    /// Reads the `result` of a configurations call straight from the parsed body.
    pub fn from_tree(result: &Json<'_>) -> Result<Self, ApiError> {
        if !matches!(result, Json::Object(_)) {
            return Err(ApiError::Unexpected(
                "the configuration answer has no result object (result: null)".to_owned(),
            ));
        }
        let text = |k: &str| match result.get(k) {
            Some(Json::String(s)) => Some(s.to_string()),
            _ => None,
        };
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
            tunnel_id: text("tunnel_id").unwrap_or_default(),
            version: match result.get("version") {
                Some(Json::Number(n)) => n.as_u64().unwrap_or(0),
                _ => 0,
            },
            source: text("source"),
            created_at: text("created_at"),
            config,
        })
    }
}

/// A tunnel as listed.
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
    /// Reads one tunnel object.
    pub fn from_value(v: &Value) -> Result<Self, ApiError> {
        let id = str_field(v, "id")
            .ok_or_else(|| ApiError::Unexpected("a tunnel without an id".to_owned()))?;
        let config_src = str_field(v, "config_src").unwrap_or_else(|| {
            match v.get("remote_config").and_then(Value::as_bool) {
                Some(true) => "cloudflare".to_owned(),
                Some(false) => "local".to_owned(),
                None => "unknown".to_owned(),
            }
        });
        Ok(Tunnel {
            id,
            name: str_field(v, "name").unwrap_or_default(),
            status: str_field(v, "status").unwrap_or_else(|| "unknown".to_owned()),
            config_src,
            created_at: str_field(v, "created_at").unwrap_or_default(),
        })
    }
}

/// An account the credentials can see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// 32 hex characters.
    pub id: String,
    /// Name.
    pub name: String,
}

impl Account {
    /// Reads one account object.
    pub fn from_value(v: &Value) -> Result<Self, ApiError> {
        Ok(Account {
            id: str_field(v, "id")
                .ok_or_else(|| ApiError::Unexpected("an account without an id".to_owned()))?,
            name: str_field(v, "name").unwrap_or_default(),
        })
    }
}

/// The result of token verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenStatus {
    /// The token's id (not the secret).
    pub id: String,
    /// `active`, `disabled`, `expired`.
    pub status: String,
}

impl TokenStatus {
    /// Reads a verify result.
    pub fn from_value(v: &Value) -> Result<Self, ApiError> {
        Ok(TokenStatus {
            id: str_field(v, "id").unwrap_or_default(),
            status: str_field(v, "status").ok_or_else(|| {
                ApiError::Unexpected("a token verification without a status".to_owned())
            })?,
        })
    }
}
