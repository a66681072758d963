//! The Cloudflare v4 API client: rustls, no redirects with credentials, connect and request
//! timeouts, a cap on response size, GETs retried with backoff, and PUTs that are never sent twice.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

use super::credentials::Credentials;
use super::error::{ApiError, Call, Envelope, parse_response};
use super::types::{Account, RemoteConfig, TokenStatus, Tunnel};
use crate::config::encode::config_to_json;
use crate::config::model::TunnelConfig;
use crate::text::inert;

/// Cloudflare's API base URL.
pub const DEFAULT_API_URL: &str = "https://api.cloudflare.com/client/v4";

/// Tunables (tests shorten them).
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included.
    pub request_timeout: Duration,
    /// Attempts for a GET (1 = no retry).
    pub max_attempts: u32,
    /// Total time a GET may spend retrying.
    pub retry_budget: Duration,
    /// First backoff; doubled at each retry.
    pub backoff: Duration,
    /// Largest body read.
    pub max_body: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_attempts: 4,
            retry_budget: Duration::from_secs(30),
            backoff: Duration::from_millis(500),
            max_body: 16 << 20,
        }
    }
}

/// A client for one set of credentials and one API base URL.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    host: String,
    credentials: Credentials,
    options: ClientOptions,
}

fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks an API base URL: https anywhere, plain http only to loopback addresses.
pub fn check_base_url(raw: &str) -> Result<Url, ApiError> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        ApiError::BadBaseUrl(format!("the API URL {} is not a URL: {e}", inert(raw)))
    })?;
    let host = url.host_str().unwrap_or_default().to_owned();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&host) => {}
        "http" => {
            return Err(ApiError::BadBaseUrl(format!(
                "refusing plain http:// to {}: credentials would travel unencrypted; http:// is allowed only to loopback addresses (127.0.0.1, ::1, localhost), use https://",
                inert(&host)
            )));
        }
        other => {
            return Err(ApiError::BadBaseUrl(format!(
                "the API URL must start with https:// (or http:// to a loopback address), not {}://",
                inert(other)
            )));
        }
    }
    if url.cannot_be_a_base() || host.is_empty() {
        return Err(ApiError::BadBaseUrl(format!(
            "the API URL {} has no host",
            inert(raw)
        )));
    }
    Ok(url)
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

impl Client {
    /// A client with default options.
    pub fn new(base_url: &str, credentials: Credentials) -> Result<Self, ApiError> {
        Self::with_options(base_url, credentials, ClientOptions::default())
    }

    /// A client with the given options.
    pub fn with_options(
        base_url: &str,
        credentials: Credentials,
        options: ClientOptions,
    ) -> Result<Self, ApiError> {
        let base = check_base_url(base_url)?;
        // Both calls are idempotent: the first installs ring as the process-wide TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = HeaderMap::new();
        match (credentials.bearer(), credentials.email_key()) {
            (Some(token), _) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                    ApiError::Credentials(
                        "the API token contains characters that cannot be sent in a header"
                            .to_owned(),
                    )
                })?;
                v.set_sensitive(true);
                headers.insert(reqwest::header::AUTHORIZATION, v);
            }
            (None, Some((email, key))) => {
                let e = HeaderValue::from_str(email).map_err(|_| {
                    ApiError::Credentials(
                        "the email contains characters that cannot be sent in a header".to_owned(),
                    )
                })?;
                let mut k = HeaderValue::from_str(key).map_err(|_| {
                    ApiError::Credentials(
                        "the API key contains characters that cannot be sent in a header"
                            .to_owned(),
                    )
                })?;
                k.set_sensitive(true);
                headers.insert("X-Auth-Email", e);
                headers.insert("X-Auth-Key", k);
            }
            (None, None) => return Err(ApiError::NoCredentials),
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("cfingress/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .build()
            .map_err(|e| ApiError::Connect {
                host: base.host_str().unwrap_or_default().to_owned(),
                detail: format!("cannot set up the HTTP client: {e}"),
            })?;
        Ok(Client {
            http,
            host: base.host_str().unwrap_or_default().to_owned(),
            base,
            credentials,
            options,
        })
    }

    /// The API base URL.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The credentials, described without the secret.
    pub fn credentials_description(&self) -> String {
        self.credentials.describe()
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut s) = url.path_segments_mut() {
            s.pop_if_empty();
            s.extend(segments);
        }
        url
    }

    fn map_send_error(&self, e: &reqwest::Error) -> ApiError {
        if e.is_timeout() {
            return ApiError::Timeout {
                host: self.host.clone(),
                secs: self.options.request_timeout.as_secs(),
                during: if e.is_connect() {
                    "connecting"
                } else {
                    "waiting for the answer"
                },
            };
        }
        if e.is_connect() {
            let mut detail = e.to_string();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                detail = s.to_string();
                src = s.source();
            }
            return ApiError::Connect {
                host: self.host.clone(),
                detail: inert(&detail).into_owned(),
            };
        }
        ApiError::Connect {
            host: self.host.clone(),
            detail: "the connection dropped before the answer was complete".to_owned(),
        }
    }

    /// One request, one attempt.
    async fn send(
        &self,
        call: Call,
        what: &str,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Envelope, ApiError> {
        let started = std::time::Instant::now();
        let path = url.path().to_owned();
        let method_name = method.to_string();
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(b);
        }
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let err = self.map_send_error(&e);
                tracing::warn!(method = %method_name, path = %path, error = %err, "request failed");
                return Err(err);
            }
        };
        let status = resp.status();
        tracing::info!(method = %method_name, path = %path, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "api");
        if status.is_redirection() {
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(no location)");
            return Err(ApiError::Redirect {
                status: status.as_u16(),
                location: inert(location).into_owned(),
            });
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let wait = retry_after(resp.headers());
        if resp
            .content_length()
            .is_some_and(|n| n > self.options.max_body as u64)
        {
            return Err(ApiError::TooLarge {
                limit: self.options.max_body,
            });
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > self.options.max_body {
                        return Err(ApiError::TooLarge {
                            limit: self.options.max_body,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(self.map_send_error(&e)),
                Err(_) => {
                    // A body cut short: judge what arrived (it reads as a truncated body).
                    break;
                }
            }
        }
        parse_response(
            call,
            what,
            status.as_u16(),
            content_type.as_deref(),
            wait,
            &body,
        )
    }

    /// A GET with retries on transient failures, bounded in count and time.
    async fn get(&self, call: Call, what: &str, url: Url) -> Result<Envelope, ApiError> {
        let started = Instant::now();
        let mut attempt = 1;
        let mut backoff = self.options.backoff;
        loop {
            let result = self.send(call, what, Method::GET, url.clone(), None).await;
            let err = match result {
                Ok(env) => return Ok(env),
                Err(e) => e,
            };
            if !err.is_transient() || attempt >= self.options.max_attempts {
                return Err(err);
            }
            let wait = match &err {
                ApiError::RateLimited {
                    retry_after: Some(d),
                } => *d,
                _ => backoff,
            };
            if started.elapsed() + wait > self.options.retry_budget {
                return Err(err);
            }
            tokio::time::sleep(wait).await;
            backoff *= 2;
            attempt += 1;
        }
    }

    /// Every page of a list endpoint.
    async fn get_all(
        &self,
        call: Call,
        what: &str,
        segments: &[&str],
        query: &[(&str, String)],
        per_page: u32,
    ) -> Result<Vec<Value>, ApiError> {
        let mut out = Vec::new();
        let mut page = 1u32;
        loop {
            let mut url = self.url(segments);
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in query {
                    q.append_pair(k, v);
                }
                q.append_pair("page", &page.to_string());
                q.append_pair("per_page", &per_page.to_string());
            }
            let env = self.get(call, what, url).await?;
            let items = match env.result() {
                Value::Array(items) => items,
                Value::Null => Vec::new(),
                other => {
                    return Err(ApiError::Unexpected(format!(
                        "{what}: expected a list, got {}",
                        short(&other)
                    )));
                }
            };
            let count = items.len();
            out.extend(items);
            let total_pages = env
                .result_info
                .as_ref()
                .and_then(|i| i.get("total_pages"))
                .and_then(Value::as_u64);
            let more = match total_pages {
                Some(t) => u64::from(page) < t,
                None => count >= per_page as usize,
            };
            if !more || count == 0 || page >= 10_000 {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// `GET /accounts/{account}/cfd_tunnel/{tunnel}/configurations`.
    pub async fn get_config(&self, account: &str, tunnel: &str) -> Result<RemoteConfig, ApiError> {
        let url = self.url(&["accounts", account, "cfd_tunnel", tunnel, "configurations"]);
        let env = self
            .get(Call::GetConfig, &format!("tunnel {}", inert(tunnel)), url)
            .await?;
        env.remote_config()
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
        let sent = config_to_json(config).map_err(|e| ApiError::Unsendable {
            message: e.to_string(),
        })?;
        let body = json!({ "config": sent });
        let url = self.url(&["accounts", account, "cfd_tunnel", tunnel, "configurations"]);
        let what = format!("tunnel {}", inert(tunnel));
        let err = match self
            .send(Call::PutConfig, &what, Method::PUT, url, Some(&body))
            .await
        {
            Ok(env) => return env.remote_config(),
            Err(e) => e,
        };
        let outcome_unknown = match &err {
            ApiError::Timeout { .. } | ApiError::Server { .. } => true,
            ApiError::Connect { detail, .. } => detail.contains("dropped"),
            ApiError::NotJson { status, .. } => *status >= 500 || *status == 200,
            _ => false,
        };
        if !outcome_unknown {
            return Err(err);
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

    /// The account's tunnels (deleted ones excluded), every page, optionally filtered by name.
    pub async fn list_tunnels(
        &self,
        account: &str,
        name: Option<&str>,
    ) -> Result<Vec<Tunnel>, ApiError> {
        let mut query = vec![("is_deleted", "false".to_owned())];
        if let Some(n) = name {
            query.push(("name", n.to_owned()));
        }
        let items = self
            .get_all(
                Call::Tunnels,
                &format!("account {}", inert(account)),
                &["accounts", account, "cfd_tunnel"],
                &query,
                100,
            )
            .await?;
        items.iter().map(Tunnel::from_value).collect()
    }

    /// One tunnel.
    pub async fn get_tunnel(&self, account: &str, tunnel: &str) -> Result<Tunnel, ApiError> {
        let url = self.url(&["accounts", account, "cfd_tunnel", tunnel]);
        let env = self
            .get(Call::Tunnels, &format!("tunnel {}", inert(tunnel)), url)
            .await?;
        Tunnel::from_value(&env.result())
    }

    /// Every account the credentials can see.
    pub async fn list_accounts(&self) -> Result<Vec<Account>, ApiError> {
        let items = self
            .get_all(Call::Accounts, "accounts", &["accounts"], &[], 50)
            .await?;
        items.iter().map(Account::from_value).collect()
    }

    /// Verifies an API token (user-owned, then account-owned when an account is given).
    pub async fn verify_token(&self, account: Option<&str>) -> Result<TokenStatus, ApiError> {
        let user = self
            .get(
                Call::Verify,
                "token",
                self.url(&["user", "tokens", "verify"]),
            )
            .await;
        match (user, account) {
            (Ok(env), _) => TokenStatus::from_value(&env.result()),
            (Err(ApiError::InvalidToken { .. }), Some(acct)) => {
                let env = self
                    .get(
                        Call::Verify,
                        "token",
                        self.url(&["accounts", acct, "tokens", "verify"]),
                    )
                    .await?;
                TokenStatus::from_value(&env.result())
            }
            (Err(e), _) => Err(e),
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    inert(&s.chars().take(80).collect::<String>()).into_owned()
}

/// HTTP status codes the client treats as "try again later".
pub fn is_retryable_status(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert!(check_base_url(DEFAULT_API_URL).is_ok());
        assert!(check_base_url("http://127.0.0.1:8080/client/v4").is_ok());
        assert!(check_base_url("http://[::1]:9/").is_ok());
        assert!(check_base_url("http://localhost:9/").is_ok());
        let e = check_base_url("http://api.example.com/");
        assert!(e.is_err_and(|e| e.to_string().contains("only to loopback")));
        assert!(check_base_url("http://127.0.0.1.example.com/").is_err());
        assert!(check_base_url("ftp://x/").is_err());
        assert!(check_base_url("not a url").is_err());
    }
}
