//! The origin-request settings a rule really runs with: the rule's value over the global one over
//! cloudflared's default, field by field (`ipRules` and `access` are replaced as a whole), with
//! where each value comes from.

use serde_json::{Value, json};

use super::duration::Duration;
use super::encode::origin_to_json_for_display as origin_to_json;
use super::fields::{OriginField, Slot};
use super::model::{Access, IngressRule, OriginRequest, Setting};

/// Where an effective value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Set on the rule.
    Rule,
    /// Inherited from the global originRequest.
    Global,
    /// cloudflared's built-in default.
    Default,
    /// Forced by the service (`bastion` turns bastionMode on).
    Service,
}

impl Source {
    /// A short label for the editor.
    pub fn label(self) -> &'static str {
        match self {
            Source::Rule => "rule",
            Source::Global => "global",
            Source::Default => "default",
            Source::Service => "service",
        }
    }
}

/// One resolved setting.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveField {
    /// Which field.
    pub field: OriginField,
    /// The value as remote JSON (durations in seconds).
    pub value: Value,
    /// The value as a person reads it.
    pub display: String,
    /// Where it comes from.
    pub source: Source,
}

/// The value of a field when it is set on `o` (for `ipRules`, only a non-empty list replaces, as in
/// cloudflared).
fn set_value(o: &OriginRequest, json: &Value, field: OriginField) -> Option<Value> {
    if field == OriginField::IpRules && o.ip_rules.get().is_none_or(Vec::is_empty) {
        return None;
    }
    let v = json.get(field.key())?;
    if field == OriginField::IpRules {
        // cloudflared's merged rules always carry all three fields.
        let rules = v.as_array()?;
        return Some(Value::Array(
            rules
                .iter()
                .map(|r| {
                    json!({
                        "prefix": r.get("prefix").cloned().unwrap_or(Value::Null),
                        "ports": r.get("ports").cloned().unwrap_or(Value::Null),
                        "allow": r.get("allow").cloned().filter(|a| !a.is_null()).unwrap_or(json!(false)),
                    })
                })
                .collect(),
        ));
    }
    (!v.is_null()).then(|| v.clone())
}

fn display(field: OriginField, v: &Value) -> String {
    match field.kind() {
        super::fields::FieldKind::Duration => v
            .as_i64()
            .map_or_else(|| v.to_string(), |s| Duration::from_secs(s).to_string()),
        _ => match v {
            Value::String(s) if s.is_empty() => "\"\"".to_owned(),
            Value::String(s) => crate::text::inert(s).into_owned(),
            Value::Null => "none".to_owned(),
            Value::Array(items) if field == OriginField::IpRules => format!(
                "{} rule{}",
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            ),
            Value::Array(items) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map_or_else(|| i.to_string(), |s| crate::text::inert(s).into_owned())
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        },
    }
}

fn access_source<'a>(
    rule: Option<&'a OriginRequest>,
    global: Option<&'a OriginRequest>,
) -> (Option<&'a Access>, Source) {
    if let Some(a) = rule.and_then(|o| o.access.get()) {
        return (Some(a), Source::Rule);
    }
    if let Some(a) = global.and_then(|o| o.access.get()) {
        return (Some(a), Source::Global);
    }
    (None, Source::Default)
}

fn access_leaf(a: &Access, field: OriginField) -> Value {
    match field.access_slot(a) {
        Some(Slot::Bool(b)) => json!(b.is_true()),
        Some(Slot::Text(t)) => json!(t.as_str()),
        Some(Slot::TextList(Setting::Set(t))) => json!(t),
        _ => Value::Null,
    }
}

/// Whether cloudflared checks Access tokens for `rule`: only the rule's own `access` with
/// `required: true` is enforced (a global `access` is ignored, and without `required` the
/// `teamName`/`audTag` do nothing).
pub fn access_enforced(rule: &IngressRule) -> bool {
    rule.overrides()
        .and_then(|o| o.access.get())
        .is_some_and(|a| a.required.is_true())
}

/// How `access.required` reads when the access block a rule shows is not enforced, so the
/// detail pane does not read as fine.
const NOT_ENFORCED: &str = " (Access NOT enforced)";

/// Every editable field of `rule`, resolved against `global`.
pub fn effective(rule: &IngressRule, global: Option<&OriginRequest>) -> Vec<EffectiveField> {
    let own = rule.overrides();
    let (access, access_src) = access_source(own, global);
    let own_json = own.map(|o| (o, origin_to_json(o, "originRequest").unwrap_or(Value::Null)));
    let global_json =
        global.map(|g| (g, origin_to_json(g, "originRequest").unwrap_or(Value::Null)));
    OriginField::FORM_ORDER
        .iter()
        .map(|&field| {
            let (value, source) = if field.is_access_leaf() {
                match access {
                    Some(a) => (access_leaf(a, field), access_src),
                    None => (field.default_json(), Source::Default),
                }
            } else if field == OriginField::BastionMode && rule.service.as_str() == "bastion" {
                (json!(true), Source::Service)
            } else if let Some(v) = own_json.as_ref().and_then(|(o, j)| set_value(o, j, field)) {
                (v, Source::Rule)
            } else if let Some(v) = global_json
                .as_ref()
                .and_then(|(g, j)| set_value(g, j, field))
            {
                (v, Source::Global)
            } else {
                (field.default_json(), Source::Default)
            };
            let mut display = display(field, &value);
            if field == OriginField::AccessRequired && access.is_some() && !access_enforced(rule) {
                display.push_str(NOT_ENFORCED);
            }
            EffectiveField {
                field,
                display,
                value,
                source,
            }
        })
        .collect()
}

/// The resolved settings as one JSON object, in the shape of cloudflared's merged config.
pub fn effective_json(rule: &IngressRule, global: Option<&OriginRequest>) -> Value {
    let fields = effective(rule, global);
    let mut out = serde_json::Map::new();
    let mut access = serde_json::Map::new();
    for f in fields {
        if f.field.is_access_leaf() {
            if f.field == OriginField::AccessEnvironment && f.value == json!("") {
                continue;
            }
            access.insert(f.field.key().to_owned(), f.value);
        } else {
            out.insert(f.field.key().to_owned(), f.value);
        }
    }
    out.insert("access".to_owned(), Value::Object(access));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    fn required_display(json: &str) -> (bool, String) {
        let config = match parse_json_str(json) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let rule = &config.rules()[0];
        let shown = effective(rule, config.global())
            .into_iter()
            .find(|e| e.field == OriginField::AccessRequired)
            .map(|e| e.display)
            .unwrap_or_default();
        (access_enforced(rule), shown)
    }

    #[test]
    fn access_reads_as_enforced_only_when_cloudflared_enforces_it() {
        let rule = |access: &str| {
            format!(
                r#"{{"ingress":[{{"service":"http://x","originRequest":{{"access":{access}}}}}]}}"#
            )
        };
        assert_eq!(
            required_display(&rule(r#"{"required":true,"teamName":"t","audTag":["a"]}"#)),
            (true, "true".to_owned())
        );
        assert_eq!(
            required_display(&rule(r#"{"teamName":"t","audTag":["a"]}"#)),
            (false, "false (Access NOT enforced)".to_owned())
        );
        assert_eq!(
            required_display(&rule(r#"{"required":false,"teamName":"t"}"#)),
            (false, "false (Access NOT enforced)".to_owned())
        );
        // A global access block is neither validated nor enforced, even with required: true.
        assert_eq!(
            required_display(
                r#"{"originRequest":{"access":{"required":true,"teamName":"t"}},"ingress":[{"service":"http://x"}]}"#
            ),
            (false, "true (Access NOT enforced)".to_owned())
        );
        // No access anywhere: nothing to enforce, nothing to flag.
        assert_eq!(
            required_display(r#"{"ingress":[{"service":"http://x"}]}"#),
            (false, "false".to_owned())
        );
    }
}
