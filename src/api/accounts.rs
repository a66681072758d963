//! Accounts and credentials: `GET /accounts` (every page), token verification, and telling a
//! wrong account id from a missing permission.

use serde::Serialize;

use super::error::{ApiError, Call};
use super::ids::IdKind;
use super::read;
use super::transport::{Client, List};
use crate::config::jsontree::Json;
use crate::text::inert;

/// Accounts asked per page (the API's maximum).
const PER_PAGE: u32 = 50;
/// A listing with more accounts than this stops with an error.
pub const MAX_ACCOUNTS: usize = 5_000;

/// An account the credentials can see. Its id has been checked to be 32 hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// 32 hex characters.
    pub id: String,
    /// Name (the server's: show it through `text::inert`).
    pub name: String,
}

impl Account {
    /// Reads one account object; `at` names it in errors.
    pub fn from_tree(v: &Json<'_>, at: &str) -> Result<Self, ApiError> {
        read::object(v, at)?;
        Ok(Account {
            id: read::id(v, "id", at, IdKind::Account)?,
            name: read::opt_str(v, "name", at)?.unwrap_or_default().to_owned(),
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
    pub fn from_tree(v: &Json<'_>) -> Result<Self, ApiError> {
        let at = "result";
        read::object(v, at)?;
        let id = read::opt_str(v, "id", at)?.unwrap_or_default();
        if !id.is_empty() {
            IdKind::Token.check_answered(id, "result.id")?;
        }
        Ok(TokenStatus {
            id: id.to_owned(),
            status: read::req_str(v, "status", at)?.to_owned(),
        })
    }
}

/// The visible accounts, for a message: `Name (id), ...`, at most five.
fn describe(accounts: &[Account]) -> String {
    if accounts.is_empty() {
        return "they see no account".to_owned();
    }
    let mut shown: Vec<String> = accounts
        .iter()
        .take(5)
        .map(|a| {
            let name: String = a.name.chars().take(60).collect();
            format!("{} ({})", inert(&name), a.id)
        })
        .collect();
    if accounts.len() > 5 {
        shown.push(format!("and {} more", accounts.len() - 5));
    }
    format!("they see {}", shown.join(", "))
}

impl Client {
    /// Every account the credentials can see.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, ApiError> {
        let list = List {
            call: Call::Accounts,
            what: "accounts".to_owned(),
            segments: &["accounts"],
            query: &[],
            per_page: PER_PAGE,
            max_items: MAX_ACCOUNTS,
        };
        self.get_all(list, |raw, at| {
            Account::from_tree(&read::item(raw, at)?, at)
        })
        .await
    }

    /// Verifies an API token (user-owned, then account-owned when an account is given).
    pub async fn verify_token(&self, account: Option<&str>) -> Result<TokenStatus, ApiError> {
        if let Some(acct) = account {
            IdKind::Account.check_given(acct)?;
        }
        let user = self
            .get(
                Call::Verify,
                "token",
                self.url(&["user", "tokens", "verify"]),
            )
            .await;
        match (user, account) {
            (Ok(env), _) => TokenStatus::from_tree(&env.result_tree()?),
            (Err(ApiError::InvalidToken { .. }), Some(acct)) => {
                let env = self
                    .get(
                        Call::Verify,
                        "token",
                        self.url(&["accounts", acct, "tokens", "verify"]),
                    )
                    .await?;
                TokenStatus::from_tree(&env.result_tree()?)
            }
            (Err(e), _) => Err(e),
        }
    }

    /// The error to report for a call under `/accounts/{account}`. The API answers a
    /// well-formed account id the credentials cannot see (a zone id given by mistake, a typo) as
    /// a missing permission ("Authentication error", code 10000); when the credentials can list
    /// their accounts and `account` is not among them, that is what the error says instead.
    pub(super) async fn explain_account(&self, account: &str, err: ApiError) -> ApiError {
        if !matches!(err, ApiError::MissingPermission { .. }) {
            return err;
        }
        match self.list_accounts().await {
            Ok(accounts) if !accounts.iter().any(|a| a.id.eq_ignore_ascii_case(account)) => {
                ApiError::UnknownAccount {
                    account: account.to_owned(),
                    visible: describe(&accounts),
                }
            }
            _ => err,
        }
    }
}
