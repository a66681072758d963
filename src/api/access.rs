//! Cloudflare Access: the account's applications (`GET /accounts/{account}/access/apps`, every
//! page) and its Zero Trust organization (`GET /accounts/{account}/access/organizations`), which
//! give a rule's `originRequest.access` its `audTag` (an application's `aud`) and `teamName` (the
//! organization's `auth_domain` before `.cloudflareaccess.com`).

use serde::Serialize;

use super::error::{ApiError, Call};
use super::ids::IdKind;
use super::read;
use super::transport::{Client, List};
use crate::config::jsontree::Json;

/// Applications asked per page.
const PER_PAGE: u32 = 50;
/// A listing with more applications than this stops with an error (Cloudflare allows a few
/// hundred per account).
pub const MAX_APPS: usize = 5_000;
/// Domains kept per application.
const MAX_DOMAINS: usize = 100;
/// The longest server string kept (names, domains).
const MAX_TEXT: usize = 300;
/// The suffix of an organization's `auth_domain`.
pub const TEAM_DOMAIN_SUFFIX: &str = ".cloudflareaccess.com";

/// An Access application. Its id, when given, is a UUID, and its `aud` is 1 to 64 letters and
/// digits (it is written into configs); the other strings are the server's, to be shown through
/// `text::inert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessApp {
    /// UUID (empty when absent).
    pub id: String,
    /// Name.
    pub name: String,
    /// `self_hosted`, `saas`, `ssh`, ... (empty when absent).
    pub app_type: String,
    /// The audience tag (empty for application types that have none).
    pub aud: String,
    /// Every public hostname pattern it protects, with its path: `app.example.com`,
    /// `*.example.com/admin` (from `destinations` of type public, else `self_hosted_domains`,
    /// plus `domain`).
    pub domains: Vec<String>,
}

/// The Zero Trust organization of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessOrganization {
    /// Its name.
    pub name: String,
    /// `<team>.cloudflareaccess.com`.
    pub auth_domain: String,
}

impl AccessOrganization {
    /// The team name a rule's `access.teamName` expects: `auth_domain` before
    /// `.cloudflareaccess.com`, when it has that shape (a DNS label).
    pub fn team_name(&self) -> Option<&str> {
        let d = self.auth_domain.trim();
        let cut = d.len().checked_sub(TEAM_DOMAIN_SUFFIX.len())?;
        let (team, suffix) = (d.get(..cut)?, d.get(cut..)?);
        let label = |s: &str| {
            (1..=63).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        (suffix.eq_ignore_ascii_case(TEAM_DOMAIN_SUFFIX) && label(team)).then_some(team)
    }
}

fn text(v: &Json<'_>, key: &str, at: &str) -> Result<String, ApiError> {
    Ok(read::opt_str(v, key, at)?
        .unwrap_or_default()
        .chars()
        .take(MAX_TEXT)
        .collect())
}

/// Whether `s` can be an audience tag: 1 to 64 ASCII letters and digits.
pub fn is_aud(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl AccessApp {
    /// Reads one application; `at` names it in errors (`page 1, result[3]`).
    pub fn from_tree(v: &Json<'_>, at: &str) -> Result<Self, ApiError> {
        read::object(v, at)?;
        let id = read::opt_str(v, "id", at)?.unwrap_or_default();
        if !id.is_empty() {
            IdKind::AccessApp.check_answered(id, &format!("{at}.id"))?;
        }
        let aud = read::opt_str(v, "aud", at)?.unwrap_or_default();
        if !aud.is_empty() && !is_aud(aud) {
            return Err(ApiError::Unexpected(format!(
                "{at}.aud: \"{}\" is not an audience tag (1 to 64 letters and digits)",
                crate::text::inert(&aud.chars().take(80).collect::<String>())
            )));
        }
        let strings = |items: &[Json<'_>]| -> Vec<String> {
            items
                .iter()
                .filter_map(|d| match d {
                    Json::String(s) => Some(s.chars().take(MAX_TEXT).collect()),
                    _ => None,
                })
                .collect()
        };
        // `destinations` supersedes `self_hosted_domains` when given.
        let mut domains: Vec<String> = match v.get("destinations") {
            Some(Json::Array(dests)) if !dests.is_empty() => dests
                .iter()
                .filter(|d| matches!(d.get("type"), Some(Json::String(t)) if t == "public"))
                .filter_map(|d| match d.get("uri") {
                    Some(Json::String(u)) => Some(u.chars().take(MAX_TEXT).collect()),
                    _ => None,
                })
                .collect(),
            _ => match v.get("self_hosted_domains") {
                Some(Json::Array(items)) => strings(items),
                _ => Vec::new(),
            },
        };
        let domain = text(v, "domain", at)?;
        if !domain.is_empty() && !domains.contains(&domain) {
            domains.insert(0, domain);
        }
        domains.truncate(MAX_DOMAINS);
        Ok(AccessApp {
            id: id.to_owned(),
            name: text(v, "name", at)?,
            app_type: text(v, "type", at)?,
            aud: aud.to_owned(),
            domains,
        })
    }
}

impl Client {
    /// Every Access application of the account (every page).
    pub async fn list_access_apps(&self, account: &str) -> Result<Vec<AccessApp>, ApiError> {
        IdKind::Account.check_given(account)?;
        let list = List {
            call: Call::AccessApps,
            what: format!("the Access applications of account {account}"),
            segments: &["accounts", account, "access", "apps"],
            query: &[],
            per_page: PER_PAGE,
            max_items: MAX_APPS,
        };
        let result = self
            .get_all(list, |raw, at| {
                AccessApp::from_tree(&read::item(raw, at)?, at)
            })
            .await;
        match result {
            Ok(apps) => Ok(apps),
            Err(e) => Err(self.explain_account(account, e).await),
        }
    }

    /// The account's Zero Trust organization.
    pub async fn get_access_organization(
        &self,
        account: &str,
    ) -> Result<AccessOrganization, ApiError> {
        IdKind::Account.check_given(account)?;
        let url = self.url(&["accounts", account, "access", "organizations"]);
        let env = match self
            .get(Call::AccessOrganization, "the Zero Trust organization", url)
            .await
        {
            Ok(env) => env,
            Err(e) => return Err(self.explain_account(account, e).await),
        };
        let v = env.result_tree()?;
        read::object(&v, "result")?;
        Ok(AccessOrganization {
            name: text(&v, "name", "result")?,
            auth_domain: text(&v, "auth_domain", "result")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(s: &str) -> Result<AccessApp, String> {
        let tree: Json<'_> = serde_json::from_str(s).map_err(|e| e.to_string())?;
        AccessApp::from_tree(&tree, "page 1, result[0]").map_err(|e| e.to_string())
    }

    #[test]
    fn domains_come_from_destinations_else_self_hosted_domains() {
        let a = app(
            r#"{"id":"f174e90a-fafe-4643-bbbc-4a0ed4fc8415","name":"Grafana","type":"self_hosted","aud":"737646a56ab1df6ec9bddc7e5ca84eaf3b0768850f3ffb5d74f1534911fe3893",
                "domain":"grafana.example.com","self_hosted_domains":["old.example.com"],
                "destinations":[{"type":"public","uri":"grafana.example.com"},{"type":"public","uri":"*.grafana.example.com/admin"},{"type":"private","cidr":"10.0.0.0/8"}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            a.domains,
            ["grafana.example.com", "*.grafana.example.com/admin"]
        );
        let a = app(r#"{"domain":"a.example.com","self_hosted_domains":["b.example.com",7]}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.domains, ["a.example.com", "b.example.com"]);
        assert_eq!(a.aud, "");
    }

    #[test]
    fn hostile_apps_are_refused() {
        let e = app(r#"{"aud":"abc\"],\"x\":[\""}"#)
            .err()
            .unwrap_or_default();
        assert!(e.contains("result[0].aud"), "{e}");
        let e = app(r#"{"id":"nope"}"#).err().unwrap_or_default();
        assert!(e.contains("result[0].id"), "{e}");
        let e = app(&format!(r#"{{"aud":"{}"}}"#, "a".repeat(65)))
            .err()
            .unwrap_or_default();
        assert!(e.contains("aud"), "{e}");
        let e = app(r#"{"name":7}"#).err().unwrap_or_default();
        assert!(e.contains("result[0].name: expected a string"), "{e}");
    }

    #[test]
    fn team_names() {
        let org = |d: &str| AccessOrganization {
            name: String::new(),
            auth_domain: d.to_owned(),
        };
        assert_eq!(org("acme.cloudflareaccess.com").team_name(), Some("acme"));
        assert_eq!(
            org("Acme-2.CloudflareAccess.com").team_name(),
            Some("Acme-2")
        );
        assert_eq!(org("cloudflareaccess.com").team_name(), None);
        assert_eq!(org("a.b.cloudflareaccess.com").team_name(), None);
        assert_eq!(org("acme.example.com").team_name(), None);
        assert_eq!(org("x\u{1b}.cloudflareaccess.com").team_name(), None);
    }
}
