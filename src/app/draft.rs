//! Unpublished work as a value that survives the process: the draft, the config it started from,
//! the base version and the undo history (so a restored draft can still be rebased and undone).
//! Serialisation only; the terminal layer writes it (atomically, mode 0600) and reads it back.
//! A draft holds configuration only, never a credential.

use serde_json::{Value, json};

use super::history::Edit;
use crate::config::encode::{config_to_json, config_to_json_text, origin_to_json, rule_to_json};
use crate::config::files::{from_json_value, parse_yaml, to_yaml_string};
use crate::config::model::{IngressRule, OriginRequest, Setting, TunnelConfig, WarpRouting};

/// The largest draft file read back: room for two configs of the largest config file read
/// (`files::MAX_CONFIG_BYTES`) and their history.
pub const MAX_DRAFT_BYTES: u64 = 256 << 20;

/// The format tag written in every draft file.
pub const FORMAT: &str = "cfingress-draft/1";

/// A draft as saved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SavedDraft {
    /// What it belongs to (`remote:ACCOUNT:TUNNEL` or `file:PATH`).
    pub key: String,
    /// When it was saved (RFC 3339).
    pub saved_at: String,
    /// The remote version the draft started from.
    pub base_version: Option<u64>,
    /// Whether the source had no config (a new config, never published).
    pub unpublished_new: bool,
    /// The config the draft started from.
    pub base: std::sync::Arc<TunnelConfig>,
    /// The draft.
    pub draft: TunnelConfig,
    /// The undo history.
    pub edits: Vec<Edit>,
    /// A form that was open, with what was typed in it.
    pub form: Option<super::forms::FormDraft>,
}

/// A config as draft-file JSON text: `{"json": CONFIG}`, or `{"yaml": TEXT}` for a config.yml
/// that remote JSON cannot hold (fractional-second durations, ...).
pub fn config_text(c: &TunnelConfig) -> String {
    match config_to_json_text(c) {
        Ok(text) => format!("{{\"json\":{text}}}"),
        Err(_) => {
            let yaml = json!({"yaml": to_yaml_string(c).unwrap_or_default()});
            serde_json::to_string(&yaml).unwrap_or_else(|_| "null".to_owned())
        }
    }
}

fn config_from(v: &Value) -> Result<TunnelConfig, String> {
    if let Some(j) = v.get("json") {
        return from_json_value(j)
            .map(|l| l.config)
            .map_err(|e| e.to_string());
    }
    if let Some(y) = v.get("yaml").and_then(Value::as_str) {
        return parse_yaml(y).map(|l| l.config).map_err(|e| e.to_string());
    }
    Err("a config is missing".to_owned())
}

fn setting_value<T>(s: &Setting<T>, f: impl FnOnce(&T) -> Option<Value>) -> Option<Value> {
    Some(match s {
        Setting::Absent => json!({"state": "absent"}),
        Setting::Null => json!({"state": "null"}),
        Setting::Set(v) => json!({"state": "set", "value": f(v)?}),
    })
}

fn setting_from<T>(
    v: &Value,
    f: impl FnOnce(&Value) -> Result<T, String>,
) -> Result<Setting<T>, String> {
    match v.get("state").and_then(Value::as_str) {
        Some("absent") => Ok(Setting::Absent),
        Some("null") => Ok(Setting::Null),
        Some("set") => f(v.get("value").unwrap_or(&Value::Null)).map(Setting::Set),
        _ => Err("a setting without a state".to_owned()),
    }
}

fn rule_from(v: &Value) -> Result<IngressRule, String> {
    let cfg = from_json_value(&json!({"ingress": [v]}))
        .map_err(|e| e.to_string())?
        .config;
    cfg.rules()
        .first()
        .cloned()
        .ok_or_else(|| "a rule is missing".to_owned())
}

fn origin_from(v: &Value) -> Result<OriginRequest, String> {
    let cfg = from_json_value(&json!({"originRequest": v}))
        .map_err(|e| e.to_string())?
        .config;
    cfg.global()
        .cloned()
        .ok_or_else(|| "originRequest is missing".to_owned())
}

fn warp_from(v: &Value) -> Result<WarpRouting, String> {
    let cfg = from_json_value(&json!({"warp-routing": v}))
        .map_err(|e| e.to_string())?
        .config;
    cfg.warp_routing
        .get()
        .cloned()
        .ok_or_else(|| "warp-routing is missing".to_owned())
}

fn edit_value(e: &Edit) -> Option<Value> {
    let rule = |r: &IngressRule, i: usize| rule_to_json(r, i).ok();
    Some(match e {
        Edit::SetRule {
            index,
            before,
            after,
        } => {
            json!({"op": "set_rule", "index": index, "before": rule(before, *index)?, "after": rule(after, *index)?})
        }
        Edit::Insert {
            index,
            rule: r,
            verb,
        } => json!({"op": "insert", "index": index, "rule": rule(r, *index)?, "verb": verb}),
        Edit::Delete { index, rule: r } => {
            json!({"op": "delete", "index": index, "rule": rule(r, *index)?})
        }
        Edit::Move { from, to, rule: r } => {
            json!({"op": "move", "from": from, "to": to, "rule": rule(r, *from)?})
        }
        Edit::SetGlobal { before, after } => {
            let o = |o: &OriginRequest| origin_to_json(o, "originRequest").ok();
            json!({"op": "set_global", "before": setting_value(before, o)?, "after": setting_value(after, o)?})
        }
        Edit::SetWarp { before, after } => {
            let w = |w: &WarpRouting| {
                config_to_json(&TunnelConfig {
                    warp_routing: Setting::Set(w.clone()),
                    ..TunnelConfig::default()
                })
                .ok()
                .and_then(|v| v.get("warp-routing").cloned())
            };
            json!({"op": "set_warp", "before": setting_value(before, w)?, "after": setting_value(after, w)?})
        }
        Edit::Replace {
            before,
            after,
            what,
        } => {
            let c = |c: &TunnelConfig| serde_json::from_str::<Value>(&config_text(c)).ok();
            json!({"op": "replace", "what": what, "before": c(before)?, "after": c(after)?})
        }
    })
}

fn verb(v: &Value) -> &'static str {
    match v.get("verb").and_then(Value::as_str) {
        Some("duplicate") => "duplicate",
        Some("restore") => "restore",
        _ => "add",
    }
}

fn edit_from(v: &Value) -> Result<Edit, String> {
    let idx = |k: &str| {
        v.get(k)
            .and_then(Value::as_u64)
            .map(|n| n as usize)
            .ok_or_else(|| format!("edit without {k}"))
    };
    let field = |k: &str| v.get(k).ok_or_else(|| format!("edit without {k}"));
    match v.get("op").and_then(Value::as_str) {
        Some("set_rule") => Ok(Edit::SetRule {
            index: idx("index")?,
            before: Box::new(rule_from(field("before")?)?),
            after: Box::new(rule_from(field("after")?)?),
        }),
        Some("insert") => Ok(Edit::Insert {
            index: idx("index")?,
            rule: Box::new(rule_from(field("rule")?)?),
            verb: verb(v),
        }),
        Some("delete") => Ok(Edit::Delete {
            index: idx("index")?,
            rule: Box::new(rule_from(field("rule")?)?),
        }),
        Some("move") => Ok(Edit::Move {
            from: idx("from")?,
            to: idx("to")?,
            rule: Box::new(rule_from(field("rule")?)?),
        }),
        Some("set_global") => Ok(Edit::SetGlobal {
            before: Box::new(setting_from(field("before")?, origin_from)?),
            after: Box::new(setting_from(field("after")?, origin_from)?),
        }),
        Some("set_warp") => Ok(Edit::SetWarp {
            before: setting_from(field("before")?, warp_from)?,
            after: setting_from(field("after")?, warp_from)?,
        }),
        Some("replace") => Ok(Edit::Replace {
            before: Box::new(config_from(field("before")?)?),
            after: Box::new(config_from(field("after")?)?),
            what: v
                .get("what")
                .and_then(Value::as_str)
                .unwrap_or("replace the config")
                .to_owned(),
        }),
        other => Err(format!("unknown edit {other:?}")),
    }
}

impl SavedDraft {
    /// The draft as JSON text. Edits that cannot be written (durations JSON cannot hold) drop the
    /// history, never the draft itself.
    pub fn to_json(&self) -> String {
        let mut out = Vec::new();
        // Writing into memory cannot fail.
        let _ = self.write_json(&mut out, &config_text(&self.base));
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes the draft as JSON, with the base config already encoded by [`config_text`] (it
    /// changes rarely, so a saver encodes it once). Configs are written a rule at a time and each
    /// edit on its own, so saving a large draft needs little memory beyond the text itself.
    pub fn write_json(&self, w: &mut dyn std::io::Write, base_text: &str) -> std::io::Result<()> {
        let json = |v: &Value| serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned());
        write!(
            w,
            "{{\"format\":{},\"key\":{},\"saved_at\":{},\"base_version\":{},\"unpublished_new\":{},",
            json(&json!(FORMAT)),
            json(&json!(self.key)),
            json(&json!(self.saved_at)),
            json(&json!(self.base_version)),
            json(&json!(self.unpublished_new)),
        )?;
        write!(w, "\"base\":{base_text},\"draft\":")?;
        w.write_all(config_text(&self.draft).as_bytes())?;
        w.write_all(b",\"edits\":[")?;
        let edits: Option<Vec<String>> = self
            .edits
            .iter()
            .map(|e| edit_value(e).map(|v| json(&v)))
            .collect();
        for (i, e) in edits.unwrap_or_default().iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            w.write_all(e.as_bytes())?;
        }
        w.write_all(b"]")?;
        if let Some(form) = self
            .form
            .as_ref()
            .and_then(|f| serde_json::to_string(f).ok())
        {
            write!(w, ",\"form\":{form}")?;
        }
        w.write_all(b"}\n")
    }

    /// Reads a draft file's text.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| format!("the draft file is damaged: {e}"))?;
        if v.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err("not a cfingress draft (or from another version)".to_owned());
        }
        let edits = v
            .get("edits")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(edit_from).collect::<Result<Vec<_>, _>>())
            .transpose()?
            .unwrap_or_default();
        Ok(SavedDraft {
            key: v
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            saved_at: v
                .get("saved_at")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            base_version: v.get("base_version").and_then(Value::as_u64),
            unpublished_new: v
                .get("unpublished_new")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            base: std::sync::Arc::new(config_from(v.get("base").unwrap_or(&Value::Null))?),
            draft: config_from(v.get("draft").unwrap_or(&Value::Null))?,
            edits,
            form: v
                .get("form")
                .and_then(|f| serde_json::from_value(f.clone()).ok()),
        })
    }
}

/// The draft key of a remote tunnel.
pub fn remote_key(account: &str, tunnel: &str) -> String {
    format!("remote:{account}:{tunnel}")
}

/// The draft key of a file.
pub fn file_key(path: &std::path::Path) -> String {
    format!("file:{}", path.display())
}

/// A file name for a draft key: readable, and unique by a hash of the whole key.
pub fn file_name(key: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let readable: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .rev()
        .take(40)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{readable}-{h:016x}.json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    #[test]
    fn a_draft_round_trips_with_its_history() {
        let base = parse_json_str(r#"{"ingress":[{"hostname":"a.com","service":"http://a","x":1},{"service":"http_status:404"}]}"#).unwrap_or_default();
        let mut draft = base.clone();
        let edits = vec![
            Edit::Insert {
                index: 1,
                rule: Box::new(base.rules()[0].clone()),
                verb: "duplicate",
            },
            Edit::SetGlobal {
                before: Box::new(Setting::Absent),
                after: Box::new(Setting::Set(OriginRequest::default())),
            },
            Edit::SetWarp {
                before: Setting::Null,
                after: Setting::Set(WarpRouting::default()),
            },
            Edit::Move {
                from: 0,
                to: 1,
                rule: Box::new(base.rules()[0].clone()),
            },
            Edit::Replace {
                before: Box::new(base.clone()),
                after: Box::new(TunnelConfig::new_catch_all()),
                what: "rebase onto version 4".into(),
            },
        ];
        for e in &edits {
            e.apply(&mut draft);
        }
        let saved = SavedDraft {
            key: "remote:acct:tun".into(),
            saved_at: "2026-11-28T05:00:00Z".into(),
            base_version: Some(3),
            unpublished_new: false,
            base: base.into(),
            draft,
            edits,
            form: Some(crate::app::forms::FormDraft {
                form: "rule".into(),
                index: 1,
                fields: vec![("service".into(), "http://half-ty".into())],
            }),
        };
        let back = SavedDraft::from_json(&saved.to_json());
        assert_eq!(back.as_ref(), Ok(&saved));
        assert!(SavedDraft::from_json("{}").is_err());
        assert!(SavedDraft::from_json("{not json").is_err());
        assert!(file_name("file:/etc/cloudflared/config.yml").ends_with(".json"));
    }

    #[test]
    fn a_config_yml_draft_that_json_cannot_hold_round_trips_as_yaml() {
        let base = parse_yaml(
            "ingress:\n  - hostname: a.example.com\n    service: http://localhost:1\n    originRequest:\n      connectTimeout: 1.5s\n  - service: http_status:404\n",
        )
        .map(|l| l.config)
        .unwrap_or_else(|e| panic!("{e}"));
        let mut draft = base.clone();
        let edit = Edit::Delete {
            index: 0,
            rule: Box::new(base.rules()[0].clone()),
        };
        edit.apply(&mut draft);
        let saved = SavedDraft {
            key: "file:/tmp/config.yml".into(),
            saved_at: "2026-11-28T05:00:00Z".into(),
            base_version: None,
            unpublished_new: false,
            base: base.into(),
            draft,
            edits: vec![edit],
            form: None,
        };
        let text = saved.to_json();
        assert!(text.contains("\"yaml\""), "{text}");
        let back = SavedDraft::from_json(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(back.base, saved.base);
        assert_eq!(back.draft, saved.draft);
        // The edit's rule cannot be JSON: the history is dropped, never the draft.
        assert!(back.edits.is_empty());
    }
}

#[cfg(test)]
mod hostile_tests {
    use super::*;

    fn draft_with(base: &str) -> String {
        format!(
            "{{\"format\":\"{FORMAT}\",\"key\":\"file:x\",\"saved_at\":\"\",\"base_version\":null,\"unpublished_new\":false,\"base\":{base},\"draft\":{{\"json\":{{}}}},\"edits\":[]}}"
        )
    }

    #[test]
    fn a_tampered_draft_nested_deeply_is_refused_not_a_crash() {
        // A config.yml draft stored as YAML text, nested 20 000 levels: refused at level 101.
        let yaml = serde_json::to_string(&format!("{}a", "- ".repeat(20_000))).unwrap_or_default();
        let e = SavedDraft::from_json(&draft_with(&format!("{{\"yaml\":{yaml}}}")));
        assert!(
            e.as_ref()
                .is_err_and(|e| e.contains("nested more than 100 levels")),
            "{e:?}"
        );
        // The same depth as JSON stops at serde_json's limit.
        let json = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        let e = SavedDraft::from_json(&draft_with(&format!("{{\"json\":{json}}}")));
        assert!(e.is_err());
        assert!(SavedDraft::from_json(&draft_with("{\"json\":{}}")).is_ok());
    }
}
