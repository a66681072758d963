//! The transport under every API area: one [`Client`] per credentials and base URL, rustls, no
//! redirects followed with credentials, no proxy for a loopback API URL, connect and request
//! timeouts, a cap on each answer's size, GETs retried with bounded backoff, a PUT sent once, and
//! lists read page by page within caps on pages, items, bytes and time.
//!
//! The area modules (`configurations`, `tunnels`, `accounts`, ...) add their endpoints as
//! `impl Client` blocks on top of [`Client::get`], [`Client::get_all`] and [`Client::send`].

use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use serde_json::value::RawValue;

use super::credentials::Credentials;
use super::envelope::{Envelope, parse_response};
use super::error::{ApiError, Call};
use super::ratelimit::RateLimit;
use crate::text::inert;

/// Cloudflare's API base URL.
pub const DEFAULT_API_URL: &str = "https://api.cloudflare.com/client/v4";

/// The longest `Retry-After` the client believes: a server asking for more is waited on (or
/// reported) as asking for this.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

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
    /// Total time one listing (every page) may take.
    pub list_budget: Duration,
    /// Total bytes the pages of one listing may add up to.
    pub max_list_bytes: usize,
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
            list_budget: Duration::from_secs(120),
            max_list_bytes: 64 << 20,
        }
    }
}

/// A client for one set of credentials and one API base URL.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    host: String,
    /// The proxy requests go through, described without credentials (`http://proxy:3128 (from
    /// HTTPS_PROXY)`).
    proxy: Option<String>,
    credentials: Credentials,
    options: ClientOptions,
    /// What the last answer's `Ratelimit` headers said (shared by clones: one budget per
    /// credentials).
    rate: Arc<Mutex<Option<RateLimit>>>,
}

/// One list endpoint, for [`Client::get_all`].
pub(super) struct List<'a> {
    /// Which call, for error messages.
    pub call: Call,
    /// What is listed, for messages ("tunnels of account 699d…").
    pub what: String,
    /// Path segments under the base URL.
    pub segments: &'a [&'a str],
    /// Query pairs besides `page` and `per_page`.
    pub query: &'a [(&'a str, String)],
    /// Items asked per page.
    pub per_page: u32,
    /// More items than this stops the listing with [`ApiError::ListCapped`]; the page cap is the
    /// number of full pages this makes.
    pub max_items: usize,
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

/// Whether a `NO_PROXY` list (curl's rules: comma-separated names, each matching itself and its
/// subdomains with or without a leading dot, `*` for all, IP addresses and CIDR ranges) covers
/// `host`.
pub fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.');
    let ip = host.parse::<IpAddr>().ok();
    list.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        if let (Some(ip), Some((net, bits))) = (ip, entry.split_once('/')) {
            return cidr_contains(net, bits, ip);
        }
        let entry = entry
            .trim_start_matches('.')
            .trim_start_matches('[')
            .trim_end_matches(']');
        if entry.is_empty() {
            return false;
        }
        if let (Some(ip), Ok(e)) = (ip, entry.parse::<IpAddr>()) {
            return ip == e;
        }
        host.eq_ignore_ascii_case(entry)
            || host.len() > entry.len()
                && host.as_bytes()[host.len() - entry.len() - 1] == b'.'
                && host[host.len() - entry.len()..].eq_ignore_ascii_case(entry)
    })
}

fn cidr_contains(net: &str, bits: &str, ip: IpAddr) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// The proxy for an API base URL, as `(proxy URL, described for messages)`: none for a loopback
/// URL (a proxy would see a plain-http token, or be asked to reach its own loopback); otherwise
/// the first of `HTTPS_PROXY`, `https_proxy`, `ALL_PROXY`, `all_proxy` unless `NO_PROXY` (or
/// `no_proxy`) lists the host, as curl does. `HTTP_PROXY` is never used: plain http goes only to
/// loopback.
pub fn proxy_for(
    base: &Url,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(Url, String)>, ApiError> {
    let host = base.host_str().unwrap_or_default();
    if is_loopback_host(host) || base.scheme() != "https" {
        return Ok(None);
    }
    let nonempty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let Some((var, value)) = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .into_iter()
        .find_map(|k| nonempty(k).map(|v| (k, v)))
    else {
        return Ok(None);
    };
    if let Some(list) = nonempty("NO_PROXY").or_else(|| nonempty("no_proxy"))
        && no_proxy_matches(&list, host)
    {
        return Ok(None);
    }
    let value = value.trim();
    let with_scheme = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let bad = |why: &str| {
        ApiError::BadBaseUrl(format!(
            "{var} is set to a proxy cfingress cannot use ({why}); it takes http:// or https:// proxies; unset it or add {} to NO_PROXY",
            inert(host)
        ))
    };
    let url = Url::parse(&with_scheme).map_err(|_| bad("not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(&format!("{}://", inert(url.scheme()))));
    }
    let Some(proxy_host) = url.host_str() else {
        return Err(bad("no host"));
    };
    let shown = match url.port() {
        Some(p) => format!("{}://{}:{p}", url.scheme(), inert(proxy_host)),
        None => format!("{}://{}", url.scheme(), inert(proxy_host)),
    };
    Ok(Some((url, format!("{shown} (from {var})"))))
}

/// `Retry-After` in seconds, clamped to [`MAX_RETRY_AFTER`]; an HTTP date or anything else is
/// ignored.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let secs = v.parse::<u64>().ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

fn auth_headers(credentials: &Credentials) -> Result<HeaderMap, ApiError> {
    let mut headers = HeaderMap::new();
    match (credentials.bearer(), credentials.email_key()) {
        (Some(token), _) => {
            let mut v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                ApiError::Credentials(
                    "the API token contains characters that cannot be sent in a header".to_owned(),
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
                    "the API key contains characters that cannot be sent in a header".to_owned(),
                )
            })?;
            k.set_sensitive(true);
            headers.insert("X-Auth-Email", e);
            headers.insert("X-Auth-Key", k);
        }
        (None, None) => return Err(ApiError::NoCredentials),
    }
    Ok(headers)
}

impl Client {
    /// A client with default options.
    pub fn new(base_url: &str, credentials: Credentials) -> Result<Self, ApiError> {
        Self::with_options(base_url, credentials, ClientOptions::default())
    }

    /// A client with the given options; the proxy comes from the process environment
    /// ([`proxy_for`]).
    pub fn with_options(
        base_url: &str,
        credentials: Credentials,
        options: ClientOptions,
    ) -> Result<Self, ApiError> {
        Self::with_env(base_url, credentials, options, &|k| std::env::var(k).ok())
    }

    /// As [`Client::with_options`], reading proxy variables through `env`.
    pub fn with_env(
        base_url: &str,
        credentials: Credentials,
        options: ClientOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ApiError> {
        let base = check_base_url(base_url)?;
        let host = base.host_str().unwrap_or_default().to_owned();
        // Both calls are idempotent: the first installs ring as the process-wide TLS provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let proxy = proxy_for(&base, env)?;
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("cfingress/", env!("CARGO_PKG_VERSION")))
            .default_headers(auth_headers(&credentials)?)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout);
        builder = match &proxy {
            // Only https destinations exist here (plain http goes only to loopback).
            Some((url, _)) => builder.proxy(reqwest::Proxy::https(url.as_str()).map_err(|e| {
                ApiError::BadBaseUrl(format!("cannot use the proxy: {}", inert(&e.to_string())))
            })?),
            None => builder.no_proxy(),
        };
        let http = builder.build().map_err(|e| ApiError::Connect {
            host: host.clone(),
            detail: format!("cannot set up the HTTP client: {e}"),
        })?;
        Ok(Client {
            http,
            host,
            base,
            proxy: proxy.map(|(_, shown)| shown),
            credentials,
            options,
            rate: Arc::new(Mutex::new(None)),
        })
    }

    /// What the last answer said about the rate limit, if it said anything.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        *self.rate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The API base URL.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The proxy requests go through, described without credentials; `None` for a direct
    /// connection.
    pub fn proxy(&self) -> Option<&str> {
        self.proxy.as_deref()
    }

    /// The credentials, described without the secret.
    pub fn credentials_description(&self) -> String {
        self.credentials.describe()
    }

    /// Whether the credentials are an API token (else a Global API Key).
    pub fn uses_token(&self) -> bool {
        self.credentials.bearer().is_some()
    }

    /// The URL of `segments` under the base URL (each segment percent-encoded).
    pub(super) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut s) = url.path_segments_mut() {
            s.pop_if_empty();
            s.extend(segments);
        }
        url
    }

    fn host_shown(&self) -> String {
        match &self.proxy {
            Some(p) => format!("{} through the proxy {p}", self.host),
            None => self.host.clone(),
        }
    }

    fn map_send_error(&self, e: &reqwest::Error) -> ApiError {
        if e.is_timeout() {
            return ApiError::Timeout {
                host: self.host_shown(),
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
                host: self.host_shown(),
                detail: inert(&detail).into_owned(),
            };
        }
        ApiError::Connect {
            host: self.host_shown(),
            detail: "the connection dropped before the answer was complete".to_owned(),
        }
    }

    /// One request, one attempt: the answer read within the size cap and judged by
    /// [`parse_response`].
    pub(super) async fn send(
        &self,
        call: Call,
        what: &str,
        method: Method,
        url: Url,
        body: Option<&Value>,
    ) -> Result<Envelope, ApiError> {
        let started = Instant::now();
        let path = url.path().to_owned();
        let method_name = method.to_string();
        // A request that would be answered 429 is not sent: a 429 blocks the credentials for
        // minutes, for the dashboard too.
        if let Some(rate) = self.rate_limit()
            && rate.exhausted(started)
        {
            return Err(ApiError::RateBudgetSpent {
                retry_after: rate.reset_in(started),
            });
        }
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
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok());
        if let Some(rate) = RateLimit::from_headers(
            header("ratelimit"),
            header("ratelimit-policy"),
            Instant::now(),
        ) {
            *self.rate.lock().unwrap_or_else(PoisonError::into_inner) = Some(rate);
        }
        tracing::info!(method = %method_name, path = %path, status = status.as_u16(), ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX), "api");
        if status.is_redirection() {
            let location = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(no location)");
            let location: String = location.chars().take(200).collect();
            return Err(ApiError::Redirect {
                status: status.as_u16(),
                location: inert(&location).into_owned(),
            });
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect::<String>());
        let wait = retry_after(resp.headers());
        let limit = self.options.max_body;
        if resp
            .content_length()
            .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
        {
            return Err(ApiError::TooLarge { limit });
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len().saturating_add(chunk.len()) > limit {
                        return Err(ApiError::TooLarge { limit });
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
            body,
        )
    }

    /// A GET with retries on transient failures, bounded in count and time.
    pub(super) async fn get(&self, call: Call, what: &str, url: Url) -> Result<Envelope, ApiError> {
        let started = Instant::now();
        let mut attempt = 1u32;
        let mut backoff = self.options.backoff;
        loop {
            let err = match self.send(call, what, Method::GET, url.clone(), None).await {
                Ok(env) => return Ok(env),
                Err(e) => e,
            };
            if !err.is_transient() || attempt >= self.options.max_attempts {
                return Err(err);
            }
            let wait = match &err {
                ApiError::RateLimited {
                    retry_after: Some(d),
                }
                | ApiError::RateBudgetSpent { retry_after: d } => *d,
                _ => backoff,
            };
            let within_budget = started
                .elapsed()
                .checked_add(wait)
                .is_some_and(|t| t <= self.options.retry_budget);
            if !within_budget {
                return Err(err);
            }
            tokio::time::sleep(wait).await;
            backoff = backoff.saturating_mul(2);
            attempt = attempt.saturating_add(1);
        }
    }

    /// Every page of a list endpoint, each item read by `read` (given the item and where it was,
    /// `page 2, result[3]`) as its page arrives, so only the typed items are kept. Stops with
    /// [`ApiError::ListCapped`] past `list.max_items` items, the pages they fill, the listing's
    /// byte cap or its time budget.
    pub(super) async fn get_all<T>(
        &self,
        list: List<'_>,
        mut read: impl FnMut(&RawValue, &str) -> Result<T, ApiError>,
    ) -> Result<Vec<T>, ApiError> {
        let started = Instant::now();
        let per_page = list.per_page.max(1);
        let max_pages = u32::try_from(list.max_items.div_ceil(per_page as usize))
            .unwrap_or(u32::MAX)
            .max(1);
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut page = 1u32;
        let capped = |pages: u32, items: usize, reason: String| ApiError::ListCapped {
            what: list.what.clone(),
            pages,
            items,
            reason,
        };
        loop {
            let mut url = self.url(list.segments);
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in list.query {
                    q.append_pair(k, v);
                }
                q.append_pair("page", &page.to_string());
                q.append_pair("per_page", &per_page.to_string());
            }
            let env = self.get(list.call, &list.what, url).await?;
            bytes = bytes.saturating_add(env.body_len());
            if bytes > self.options.max_list_bytes {
                return Err(capped(
                    page,
                    out.len(),
                    format!(
                        "the answers add up to more than {} MiB",
                        self.options.max_list_bytes >> 20
                    ),
                ));
            }
            let items = env.result_items(&list.what)?;
            let count = items.len();
            if out.len().saturating_add(count) > list.max_items {
                return Err(capped(
                    page,
                    out.len().saturating_add(count),
                    format!("more than {} items", list.max_items),
                ));
            }
            for (i, raw) in items.into_iter().enumerate() {
                out.push(read(raw, &format!("page {page}, result[{i}]"))?);
            }
            let more = match env.total_pages() {
                Some(t) => u64::from(page) < t,
                None => count >= per_page as usize,
            };
            if !more || count == 0 {
                return Ok(out);
            }
            if page >= max_pages {
                return Err(capped(
                    page,
                    out.len(),
                    format!("the API announces more than {max_pages} pages of {per_page}"),
                ));
            }
            if started.elapsed() > self.options.list_budget {
                return Err(capped(
                    page,
                    out.len(),
                    format!(
                        "it took longer than {}s",
                        self.options.list_budget.as_secs()
                    ),
                ));
            }
            page += 1;
        }
    }
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

    use crate::api::env_of;

    fn proxy(base: &str, env: &'static [(&'static str, &'static str)]) -> Option<String> {
        let url = check_base_url(base).unwrap_or_else(|e| panic!("{e}"));
        proxy_for(&url, &env_of(env))
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|(_, shown)| shown)
    }

    #[test]
    fn loopback_never_goes_through_a_proxy() {
        let all: &[(&str, &str)] = &[
            ("http_proxy", "http://proxy:3128"),
            ("HTTP_PROXY", "http://proxy:3128"),
            ("ALL_PROXY", "http://proxy:3128"),
            ("all_proxy", "http://proxy:3128"),
            ("HTTPS_PROXY", "http://proxy:3128"),
        ];
        let all: &'static [(&str, &str)] = Box::leak(all.to_vec().into_boxed_slice());
        for base in [
            "http://127.0.0.1:9/client/v4",
            "http://localhost:9/",
            "http://[::1]:9/",
            "https://127.0.0.1:9/",
        ] {
            assert_eq!(proxy(base, all), None, "{base}");
        }
    }

    #[test]
    fn https_follows_https_proxy_and_no_proxy_like_curl() {
        assert_eq!(proxy(DEFAULT_API_URL, &[]), None);
        assert_eq!(
            proxy(DEFAULT_API_URL, &[("HTTP_PROXY", "http://p:1")]),
            None,
            "HTTP_PROXY is for http:// URLs, which only go to loopback"
        );
        assert_eq!(
            proxy(
                DEFAULT_API_URL,
                &[("https_proxy", "http://u:secret@p:3128")]
            )
            .as_deref(),
            Some("http://p:3128 (from https_proxy)"),
            "credentials in the proxy URL are never shown"
        );
        assert_eq!(
            proxy(DEFAULT_API_URL, &[("ALL_PROXY", "p.corp:8080")]).as_deref(),
            Some("http://p.corp:8080 (from ALL_PROXY)")
        );
        for no in [
            "cloudflare.com",
            ".cloudflare.com",
            "*",
            "x, api.cloudflare.com ,y",
        ] {
            let env: &'static [(&str, &str)] =
                Box::leak(vec![("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", no)].into_boxed_slice());
            assert_eq!(proxy(DEFAULT_API_URL, env), None, "NO_PROXY={no}");
        }
        assert!(
            proxy(
                DEFAULT_API_URL,
                &[
                    ("HTTPS_PROXY", "http://p:1"),
                    ("no_proxy", "notcloudflare.com")
                ]
            )
            .is_some()
        );
        let url = check_base_url(DEFAULT_API_URL).unwrap_or_else(|e| panic!("{e}"));
        let e = proxy_for(&url, &env_of(&[("HTTPS_PROXY", "socks5://p:1080")]));
        assert!(e.is_err_and(
            |e| e.to_string().contains("HTTPS_PROXY") && e.to_string().contains("socks5")
        ),);
    }

    #[test]
    fn no_proxy_entries() {
        assert!(no_proxy_matches("10.0.0.0/8", "10.1.2.3"));
        assert!(!no_proxy_matches("10.0.0.0/8", "11.1.2.3"));
        assert!(no_proxy_matches("::1", "[::1]"));
        assert!(no_proxy_matches("example.com", "EXAMPLE.com."));
        assert!(!no_proxy_matches("ample.com", "example.com"));
        assert!(!no_proxy_matches("", "example.com"));
        assert!(!no_proxy_matches("10.0.0.0/99", "10.0.0.1"));
    }

    #[test]
    fn retry_after_is_clamped() {
        let mut h = HeaderMap::new();
        h.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_static("18446744073709551615"),
        );
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
    }
}
