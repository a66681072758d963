//! The token doctor (pure): what cfingress checks about the credentials, how each answer is
//! judged, the permission group to add when a check fails, and the report `cfingress doctor`
//! prints. The checks themselves (harmless reads only) run in `effects::doctor`.
//!
//! Writes are never tried: the API has no dry run, so "config writable" and "DNS writable" are
//! `unknown` for an API token (judged at the first publish) and pass for a Global API Key, which
//! can do whatever its user can.

use serde::Serialize;
use serde_json::{Value, json};

use crate::api::ApiError;
use crate::text::inert;

/// Where API tokens are edited.
pub const TOKENS_PAGE: &str = "https://dash.cloudflare.com/profile/api-tokens";

/// One thing the doctor checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckId {
    /// The token is valid and active.
    Token,
    /// The account can be read.
    Account,
    /// The account's tunnels can be listed.
    Tunnels,
    /// A tunnel's remote config can be read.
    ConfigRead,
    /// A tunnel's remote config can be written.
    ConfigWrite,
    /// The account's zones can be read.
    Zones,
    /// DNS records can be read.
    DnsRead,
    /// DNS records can be written.
    DnsWrite,
    /// Access applications can be listed.
    AccessApps,
    /// The Zero Trust organization can be read.
    AccessOrganization,
    /// A tunnel's connections can be read.
    Connections,
}

impl CheckId {
    /// Every check, in the order the doctor runs them.
    pub const ALL: [CheckId; 11] = [
        CheckId::Token,
        CheckId::Account,
        CheckId::Tunnels,
        CheckId::ConfigRead,
        CheckId::ConfigWrite,
        CheckId::Zones,
        CheckId::DnsRead,
        CheckId::DnsWrite,
        CheckId::AccessApps,
        CheckId::AccessOrganization,
        CheckId::Connections,
    ];

    /// What is checked, as the report names it.
    pub fn label(self) -> &'static str {
        match self {
            CheckId::Token => "credentials valid and active",
            CheckId::Account => "account readable",
            CheckId::Tunnels => "tunnels listable",
            CheckId::ConfigRead => "config readable",
            CheckId::ConfigWrite => "config writable",
            CheckId::Zones => "zones readable",
            CheckId::DnsRead => "DNS readable",
            CheckId::DnsWrite => "DNS writable",
            CheckId::AccessApps => "Access applications readable",
            CheckId::AccessOrganization => "Zero Trust organization readable",
            CheckId::Connections => "connections readable",
        }
    }

    /// The dashboard permission group the check needs (for a token), as the token editor
    /// names it.
    pub fn permission(self) -> Option<&'static str> {
        Some(match self {
            CheckId::Token => return None,
            CheckId::Account => "Account > Account Settings > Read",
            CheckId::Tunnels | CheckId::ConfigRead | CheckId::Connections => {
                "Account > Cloudflare Tunnel > Read"
            }
            CheckId::ConfigWrite => "Account > Cloudflare Tunnel > Edit",
            CheckId::Zones => "Zone > Zone > Read",
            CheckId::DnsRead => "Zone > DNS > Read",
            CheckId::DnsWrite => "Zone > DNS > Edit",
            CheckId::AccessApps => "Account > Access: Apps and Policies > Read",
            CheckId::AccessOrganization => {
                "Account > Access: Organizations, Identity Providers, and Groups > Read"
            }
        })
    }

    /// What in cfingress needs it.
    pub fn used_by(self) -> &'static str {
        match self {
            CheckId::Token => "everything",
            CheckId::Account => "finding the account when --account is left out",
            CheckId::Tunnels => "tunnels, --tunnel NAME, the editor's tunnel picker",
            CheckId::ConfigRead => "get, diff, apply, validate/match --tunnel, the editor",
            CheckId::ConfigWrite => "apply, rollback, publishing from the editor",
            CheckId::Zones => "DNS checks (which zone holds a hostname)",
            CheckId::DnsRead => "dns check, the DNS plan of diff and apply",
            CheckId::DnsWrite => "dns sync, the DNS records apply creates",
            CheckId::AccessApps => "the rule form's Access picker, the Access lint",
            CheckId::AccessOrganization => "filling teamName from the Access picker",
            CheckId::Connections => "status, apply --wait, the rollout panel, the picker's health",
        }
    }
}

/// How a check came out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
pub enum Verdict {
    /// It works (what was seen).
    Pass(String),
    /// It does not (why, and what to do).
    Fail(String),
    /// It cannot be judged with harmless reads (why).
    Unknown(String),
    /// Not tried, because an earlier check failed (which).
    Skipped(String),
    /// The API failed in a way that says nothing about the credentials (network, 5xx).
    Error(String),
}

/// One check and its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// How it came out.
    pub verdict: Verdict,
}

/// Judges the answer to a check's request: `Ok(what was seen)` passes; a missing permission, a
/// refused token, an account the token cannot see or a missing object fails; anything else (the
/// network, Cloudflare's side) is an error that says nothing about the credentials.
pub fn judge(id: CheckId, result: Result<String, ApiError>) -> Verdict {
    match result {
        Ok(seen) => Verdict::Pass(seen),
        Err(ApiError::MissingPermission { .. }) => Verdict::Fail(match id.permission() {
            Some(p) => format!("refused: add \"{p}\" to the token"),
            None => "refused".to_owned(),
        }),
        Err(
            e @ (ApiError::InvalidToken { .. }
            | ApiError::GlobalKeyAsToken { .. }
            | ApiError::InvalidGlobalKey { .. }
            | ApiError::UnknownAccount { .. }
            | ApiError::NotFound { .. }
            | ApiError::InvalidId { .. }
            | ApiError::MalformedId { .. }),
        ) => Verdict::Fail(e.to_string()),
        Err(e) => Verdict::Error(e.to_string()),
    }
}

/// The explanation shown when a request fails for a permission reason: which group to add,
/// where, and what else `cfingress doctor` checks. `None` for other failures.
pub fn explain(err: &ApiError) -> Option<String> {
    let ApiError::MissingPermission { permission, .. } = err else {
        return None;
    };
    Some(format!(
        "the token lacks {permission}: edit it at {TOKENS_PAGE} (Permissions > add), or use another; `cfingress doctor` checks every permission cfingress uses"
    ))
}

/// Everything the doctor found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// The id of the account checked, when one was settled.
    pub account_id: Option<String>,
    /// The account checked, for people: `Name (id)`.
    pub account: Option<String>,
    /// The tunnel checked, when one was found: `name (id)`.
    pub tunnel: Option<String>,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

impl Report {
    fn count(&self, f: impl Fn(&Verdict) -> bool) -> usize {
        self.checks.iter().filter(|c| f(&c.verdict)).count()
    }

    /// 1 when a check failed, else 2 when one could not be made (an API or network failure),
    /// else 0 (unknown and skipped checks do not fail).
    pub fn exit_code(&self) -> u8 {
        if self.count(|v| matches!(v, Verdict::Fail(_))) > 0 {
            1
        } else if self.count(|v| matches!(v, Verdict::Error(_))) > 0 {
            2
        } else {
            0
        }
    }

    /// The report as lines of text (server strings inert).
    pub fn text(&self) -> Vec<String> {
        let width = self
            .checks
            .iter()
            .map(|c| c.id.label().len())
            .max()
            .unwrap_or(0);
        let mut out = Vec::new();
        let mut head = Vec::new();
        if let Some(a) = &self.account {
            head.push(format!("account {}", inert(a)));
        }
        if let Some(t) = &self.tunnel {
            head.push(format!("tunnel {}", inert(t)));
        }
        if !head.is_empty() {
            out.push(format!("Checked with {}:", head.join(", ")));
        }
        for c in &self.checks {
            let (mark, detail) = match &c.verdict {
                Verdict::Pass(d) => ("✓", inert(d).into_owned()),
                Verdict::Fail(d) => ("✗", format!("{} (needed by {})", inert(d), c.id.used_by())),
                Verdict::Unknown(d) => (
                    "?",
                    match c.id.permission() {
                        Some(p) => format!("{}; needs \"{p}\"", inert(d)),
                        None => inert(d).into_owned(),
                    },
                ),
                Verdict::Skipped(d) => ("-", format!("skipped: {}", inert(d))),
                Verdict::Error(d) => ("!", format!("could not check: {}", inert(d))),
            };
            out.push(format!("{mark} {:<width$}  {detail}", c.id.label()));
        }
        let failed = self.count(|v| matches!(v, Verdict::Fail(_)));
        let errors = self.count(|v| matches!(v, Verdict::Error(_)));
        let unknown = self.count(|v| matches!(v, Verdict::Unknown(_)));
        out.push(String::new());
        out.push(if failed > 0 {
            format!(
                "{failed} check{} failed: add the permission groups named above to the token at {TOKENS_PAGE}",
                if failed == 1 { "" } else { "s" }
            )
        } else if errors > 0 {
            format!(
                "{errors} check{} could not be made (the API or the network failed): run doctor again",
                if errors == 1 { "" } else { "s" }
            )
        } else if unknown > 0 {
            format!(
                "Every check that can be judged passed ({unknown} unknown: {} says why)",
                if unknown == 1 { "its line" } else { "their lines" }
            )
        } else {
            "Every check passed".to_owned()
        });
        out
    }

    /// The report as JSON: `{"ok", "account_id", "account", "tunnel", "checks":[{"check",
    /// "label", "result", "detail", "permission", "used_by"}]}`.
    pub fn json(&self) -> Value {
        let checks: Vec<Value> = self
            .checks
            .iter()
            .map(|c| {
                let mut v = serde_json::to_value(&c.verdict).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.insert("check".to_owned(), json!(c.id));
                    o.insert("label".to_owned(), json!(c.id.label()));
                    o.insert("permission".to_owned(), json!(c.id.permission()));
                    o.insert("used_by".to_owned(), json!(c.id.used_by()));
                }
                v
            })
            .collect();
        json!({
            "ok": self.exit_code() == 0,
            "account_id": self.account_id,
            "account": self.account,
            "tunnel": self.tunnel,
            "checks": checks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing() -> ApiError {
        ApiError::MissingPermission {
            permission: "Account > Access: Apps and Policies > Read",
            detail: "Authentication error (code 10000)".to_owned(),
        }
    }

    #[test]
    fn answers_are_judged() {
        assert_eq!(
            judge(CheckId::Tunnels, Ok("2 tunnels".into())),
            Verdict::Pass("2 tunnels".into())
        );
        assert_eq!(
            judge(CheckId::AccessApps, Err(missing())),
            Verdict::Fail(
                "refused: add \"Account > Access: Apps and Policies > Read\" to the token".into()
            )
        );
        let bad = ApiError::InvalidToken {
            detail: "Invalid access token (code 9109)".into(),
        };
        assert!(matches!(judge(CheckId::Token, Err(bad)), Verdict::Fail(_)));
        let net = ApiError::Server {
            status: 502,
            detail: "x".into(),
        };
        assert!(matches!(judge(CheckId::Zones, Err(net)), Verdict::Error(_)));
        assert!(explain(&missing()).is_some_and(|e| e.contains(TOKENS_PAGE)));
        assert_eq!(explain(&ApiError::NoCredentials), None);
    }

    #[test]
    fn exit_codes_and_text() {
        let mut r = Report {
            account_id: None,
            account: Some("Sandbox Account (32c3…)".into()),
            tunnel: None,
            checks: vec![
                Check {
                    id: CheckId::Token,
                    verdict: Verdict::Pass("token active".into()),
                },
                Check {
                    id: CheckId::ConfigWrite,
                    verdict: Verdict::Unknown("not tried".into()),
                },
            ],
        };
        assert_eq!(r.exit_code(), 0, "an unknown does not fail");
        assert!(r.text().last().is_some_and(|l| l.contains("1 unknown")));
        assert!(r.text()[2].contains("needs \"Account > Cloudflare Tunnel > Edit\""));
        r.checks.push(Check {
            id: CheckId::Zones,
            verdict: Verdict::Error("502".into()),
        });
        assert_eq!(r.exit_code(), 2);
        r.checks.push(Check {
            id: CheckId::AccessApps,
            verdict: judge(CheckId::AccessApps, Err(missing())),
        });
        assert_eq!(r.exit_code(), 1, "a failure outranks an error");
        let text = r.text();
        assert!(
            text.iter()
                .any(|l| l.starts_with("✗ Access applications readable")
                    && l.contains("Apps and Policies")
                    && l.contains("needed by the rule form's Access picker"))
        );
        assert!(text.last().is_some_and(|l| l.contains(TOKENS_PAGE)));
        let j = r.json();
        assert_eq!(j["ok"], false);
        assert_eq!(j["checks"][3]["check"], "access_apps");
        assert_eq!(j["checks"][3]["result"], "fail");
        assert_eq!(
            j["checks"][1]["permission"],
            "Account > Cloudflare Tunnel > Edit"
        );
    }

    #[test]
    fn hostile_details_are_inert() {
        let r = Report {
            account_id: None,
            account: Some("\u{1b}]2;x\u{7}".into()),
            tunnel: None,
            checks: vec![Check {
                id: CheckId::Tunnels,
                verdict: Verdict::Pass("name \u{202e}x".into()),
            }],
        };
        assert!(
            r.text()
                .iter()
                .all(|l| !l.chars().any(crate::text::is_unsafe))
        );
    }
}
