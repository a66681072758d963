//! The API client against the sandbox over real loopback HTTP: every endpoint, every error the
//! client explains, every fault mode; and every sandbox response and client request body checked
//! against the OpenAPI slice in ../shared/spec, so the two cannot drift from the real contract.

use std::time::{Duration, Instant};

use cfingress::api::{ApiError, Client, ClientOptions, Credentials};
use cfingress::config::files::parse_json_str;
use cfingress::sandbox::{self, Fault, FaultKind, SandboxHandle, SandboxOptions};
use secrecy::SecretString;
use serde_json::{Value, json};

mod common;
use common::contract::Contract;

fn options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(1500),
        max_attempts: 4,
        retry_budget: Duration::from_secs(6),
        backoff: Duration::from_millis(20),
        max_body: 1 << 20,
        ..ClientOptions::default()
    }
}

async fn sandbox() -> SandboxHandle {
    sandbox::start(SandboxOptions::default())
        .await
        .unwrap_or_else(|e| panic!("sandbox: {e}"))
}

fn token_client(sb: &SandboxHandle, token: &str) -> Client {
    Client::with_options(
        &sb.info.api_url,
        Credentials::Token(SecretString::from(token.to_owned())),
        options(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn client(sb: &SandboxHandle) -> Client {
    token_client(sb, &sb.info.token)
}

/// A sandbox, a client of it, its account and its demo tunnel.
async fn demo_setup() -> (SandboxHandle, Client, String, String) {
    let sb = sandbox().await;
    let c = client(&sb);
    let (account, demo) = (sb.info.account_id.clone(), demo_id(&sb));
    (sb, c, account, demo)
}

fn demo_id(sb: &SandboxHandle) -> String {
    sb.info
        .tunnels
        .iter()
        .find(|t| t.name == "demo")
        .map(|t| t.id.clone())
        .unwrap_or_default()
}

fn new_id(sb: &SandboxHandle) -> String {
    sb.info
        .tunnels
        .iter()
        .find(|t| t.name == "new-tunnel")
        .map(|t| t.id.clone())
        .unwrap_or_default()
}

fn fault(method: &str, path: &str, kind: FaultKind, times: u32) -> Fault {
    Fault {
        method: Some(method.to_owned()),
        path: Some(path.to_owned()),
        kind,
        times,
    }
}

fn small_config() -> cfingress::config::TunnelConfig {
    parse_json_str(r#"{"ingress":[{"hostname":"a.example.com","service":"http://localhost:8080","x-team":"web"},{"service":"http_status:404"}],"futureTopLevel":{"k":1}}"#)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn endpoints_work_end_to_end() {
    let sb = sandbox().await;
    let c = client(&sb);
    let account = sb.info.account_id.clone();

    let accounts = c.list_accounts().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].id, account);

    let tunnels = c
        .list_tunnels(&account, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(tunnels.len(), 2);
    let named = c
        .list_tunnels(&account, Some("demo"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].config_src, "cloudflare");
    let one = c
        .get_tunnel(&account, &demo_id(&sb))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(one.name, "demo");

    let rc = c
        .get_config(&account, &demo_id(&sb))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rc.version, 1);
    assert_eq!(rc.config.as_ref().map(|c| c.rules().len()), Some(13));

    let fresh = c
        .get_config(&account, &new_id(&sb))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fresh.version, 0);
    assert!(fresh.config.is_none(), "config: null is 'no config yet'");

    let cfg = small_config();
    let put = c
        .put_config(&account, &new_id(&sb), &cfg, Some(0))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(put.version, 1);
    assert_eq!(put.source.as_deref(), Some("cloudflare"));
    let back = c
        .get_config(&account, &new_id(&sb))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back.config.as_ref(), Some(&cfg), "unknown keys round-trip");

    let status = c.verify_token(None).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status.status, "active");
    let expired_token = sb.state().expired_token().to_owned();
    let expired = token_client(&sb, &expired_token);
    assert_eq!(
        expired
            .verify_token(None)
            .await
            .map(|s| s.status)
            .ok()
            .as_deref(),
        Some("expired")
    );
}

#[tokio::test]
async fn lists_follow_every_page() {
    let sb = sandbox().await;
    {
        let mut s = sb.state();
        for i in 0..230 {
            s.add_tunnel(&format!("t{i:03}"), None, b"x");
        }
    }
    let c = client(&sb);
    let all = c
        .list_tunnels(&sb.info.account_id, None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 232);
    let pages = sb
        .state()
        .requests
        .iter()
        .filter(|r| r.path.ends_with("/cfd_tunnel"))
        .count();
    assert_eq!(pages, 3, "100 per page");
}

#[tokio::test]
async fn errors_say_what_to_do() {
    let sb = sandbox().await;
    let account = sb.info.account_id.clone();
    let demo = demo_id(&sb);

    let e = token_client(&sb, &"z".repeat(40))
        .get_config(&account, &demo)
        .await
        .err();
    assert!(matches!(e, Some(ApiError::InvalidToken { .. })), "{e:?}");
    let e = token_client(&sb, "0123456789abcdef0123456789abcdef01234")
        .get_config(&account, &demo)
        .await
        .err();
    assert!(
        matches!(e, Some(ApiError::GlobalKeyAsToken { .. })),
        "{e:?}"
    );
    let expired_token = sb.state().expired_token().to_owned();
    let e = token_client(&sb, &expired_token)
        .get_config(&account, &demo)
        .await
        .err();
    assert!(matches!(e, Some(ApiError::InvalidToken { .. })), "{e:?}");

    let key = { sb.state().global_key.clone() };
    let good_key = Client::with_options(
        &sb.info.api_url,
        Credentials::GlobalKey {
            email: key.0.clone(),
            key: SecretString::from(key.1.clone()),
        },
        options(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(good_key.get_config(&account, &demo).await.is_ok());
    let bad_key = Client::with_options(
        &sb.info.api_url,
        Credentials::GlobalKey {
            email: key.0,
            key: SecretString::from("nope".to_owned()),
        },
        options(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        bad_key.get_config(&account, &demo).await,
        Err(ApiError::InvalidGlobalKey { .. })
    ));

    let ro_token = sb.state().read_only_token().to_owned();
    let ro = token_client(&sb, &ro_token);
    assert!(
        ro.get_config(&account, &demo).await.is_ok(),
        "a read-only token reads"
    );
    let e = ro
        .put_config(&account, &demo, &small_config(), None)
        .await
        .err();
    match e {
        Some(ApiError::MissingPermission { permission, .. }) => {
            assert!(permission.contains("Cloudflare Tunnel Write"))
        }
        other => panic!("{other:?}"),
    }

    let c = client(&sb);
    let sent_before = sb.state().requests.len();
    let e = c.get_config("not-an-account", &demo).await.err();
    assert!(
        e.as_ref().is_some_and(|e| e.to_string().contains(
            "the account id \"not-an-account\" is malformed: it should be 32 hexadecimal characters"
        )),
        "{e:?}"
    );
    let e = c.get_config(&account, "not-a-uuid").await.err();
    assert!(
        matches!(
            e,
            Some(ApiError::InvalidId {
                kind: cfingress::api::IdKind::Tunnel,
                ..
            })
        ),
        "{e:?}"
    );
    assert_eq!(
        sb.state().requests.len(),
        sent_before,
        "a malformed id is refused before anything is sent"
    );
    let e = c
        .get_config(&account, "00000000-0000-4000-8000-000000000000")
        .await
        .err();
    assert!(matches!(e, Some(ApiError::NotFound { .. })), "{e:?}");
    // A well-formed account id the token cannot see: the API says "Authentication error"
    // (10000), the client says it is the wrong account, perhaps a zone id.
    let e = c
        .get_config("0123456789abcdef0123456789abcdef", &demo)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("the account id 0123456789abcdef0123456789abcdef is not an account these credentials can see")
            && e.contains(&format!("they see Sandbox Account ({account})"))
            && e.contains("zone id"),
        "{e}"
    );
    let e = c
        .list_tunnels("0123456789abcdef0123456789abcdef", None)
        .await
        .err();
    assert!(matches!(e, Some(ApiError::UnknownAccount { .. })), "{e:?}");
    // The right account with a token lacking the permission stays a permission error.
    let e = ro
        .put_config(&account, &demo, &small_config(), None)
        .await
        .err();
    assert!(
        matches!(e, Some(ApiError::MissingPermission { .. })),
        "{e:?}"
    );

    let bad = parse_json_str(r#"{"ingress":[{"hostname":"a.com:443","service":"http://x"},{"service":"http_status:404"}]}"#)
        .unwrap_or_default();
    let e = c.put_config(&account, &demo, &bad, Some(1)).await.err();
    assert_eq!(
        e.map(|e| e.to_string()).as_deref(),
        Some(
            "the API refused the configuration: Bad Configuration: Validation failed: Hostname cannot contain a port"
        )
    );
    assert_eq!(
        sb.state()
            .tunnels
            .iter()
            .find(|t| t.id == demo)
            .map(|t| t.version),
        Some(1),
        "a refused PUT changes nothing"
    );
}

#[tokio::test]
async fn gets_are_retried_within_bounds() {
    let (sb, c, account, demo) = demo_setup().await;

    sb.push_fault(fault("GET", "configurations", FaultKind::ServerError, 2));
    assert!(
        c.get_config(&account, &demo).await.is_ok(),
        "two 500s then success"
    );

    sb.push_fault(fault("GET", "configurations", FaultKind::Drop, 1));
    assert!(
        c.get_config(&account, &demo).await.is_ok(),
        "a dropped connection is retried"
    );

    sb.push_fault(fault(
        "GET",
        "configurations",
        FaultKind::RateLimit { retry_after: 1 },
        1,
    ));
    let started = Instant::now();
    assert!(c.get_config(&account, &demo).await.is_ok());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "retry-after is honoured"
    );

    sb.push_fault(fault("GET", "configurations", FaultKind::ServerError, 10));
    let e = c.get_config(&account, &demo).await.err();
    assert!(
        matches!(e, Some(ApiError::Server { status: 500, .. })),
        "{e:?}"
    );
    sb.state().faults.clear();

    sb.push_fault(fault(
        "GET",
        "configurations",
        FaultKind::RateLimit { retry_after: 3600 },
        1,
    ));
    let e = c.get_config(&account, &demo).await.err();
    assert_eq!(
        e.map(|e| e.to_string()).as_deref(),
        Some("the Cloudflare API is rate limiting these credentials (HTTP 429); retry in 3600s"),
        "a wait beyond the budget is reported, not slept"
    );

    sb.push_fault(fault(
        "GET",
        "configurations",
        FaultKind::Latency { ms: 300 },
        1,
    ));
    assert!(
        c.get_config(&account, &demo).await.is_ok(),
        "latency within the timeout"
    );
    sb.push_fault(fault(
        "GET",
        "configurations",
        FaultKind::Latency { ms: 5000 },
        10,
    ));
    let e = c.get_config(&account, &demo).await.err();
    assert!(matches!(e, Some(ApiError::Timeout { .. })), "{e:?}");
}

#[tokio::test]
async fn bodies_that_are_not_the_envelope_are_explained() {
    let (sb, c, account, demo) = demo_setup().await;
    let one = |kind| fault("GET", "configurations", kind, 4);

    sb.push_fault(one(FaultKind::Html));
    let e = c
        .get_config(&account, &demo)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("HTTP 502 with an HTML page") && e.contains("502 Bad Gateway"),
        "{e}"
    );

    sb.state().faults.clear();
    sb.push_fault(one(FaultKind::TruncatedJson));
    let e = c
        .get_config(&account, &demo)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("HTTP 200 with a body that is not complete JSON instead of its JSON envelope; it starts: {\"success\":true"), "{e}");

    sb.state().faults.clear();
    sb.push_fault(one(FaultKind::HugeBody { bytes: 2 << 20 }));
    let e = c.get_config(&account, &demo).await.err();
    assert!(matches!(e, Some(ApiError::TooLarge { .. })), "{e:?}");

    sb.state().faults.clear();
    sb.push_fault(one(FaultKind::Redirect {
        location: "https://evil.example/steal".to_owned(),
    }));
    let e = c
        .get_config(&account, &demo)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("redirect (HTTP 301) to https://evil.example/steal"),
        "{e}"
    );
    assert!(
        !sb.state().requests.iter().any(|r| r.path.contains("steal")),
        "the redirect was not followed"
    );
}

#[tokio::test]
async fn a_put_is_never_sent_twice_and_unknown_outcomes_are_checked() {
    let (sb, c, account, demo) = demo_setup().await;
    let puts = |sb: &SandboxHandle| {
        sb.state()
            .requests
            .iter()
            .filter(|r| r.method == "PUT")
            .count()
    };

    // Applied, then the answer is lost: the client re-reads and reports the new version.
    sb.push_fault(fault("PUT", "configurations", FaultKind::ApplyThenFail, 1));
    let r = c
        .put_config(&account, &demo, &small_config(), Some(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.version, 2);
    assert_eq!(puts(&sb), 1);

    let mut next = small_config();
    next.rules_mut()[0].service =
        cfingress::config::Setting::Set("http://localhost:8081".to_owned());
    sb.push_fault(fault("PUT", "configurations", FaultKind::ApplyThenDrop, 1));
    let r = c
        .put_config(&account, &demo, &next, Some(2))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.version, 3);
    assert_eq!(puts(&sb), 2);

    // Lost before it was applied: reported as not applied, safe to retry.
    let mut third = next.clone();
    third.rules_mut()[0].service =
        cfingress::config::Setting::Set("http://localhost:8082".to_owned());
    sb.push_fault(fault("PUT", "configurations", FaultKind::Drop, 1));
    let e = c.put_config(&account, &demo, &third, Some(3)).await.err();
    match e {
        Some(ApiError::NotApplied { version, .. }) => assert_eq!(version, 3),
        other => panic!("{other:?}"),
    }
    assert_eq!(puts(&sb), 3, "no automatic resend");

    // A 429 on PUT is not retried behind the user's back.
    sb.push_fault(fault(
        "PUT",
        "configurations",
        FaultKind::RateLimit { retry_after: 2 },
        1,
    ));
    let e = c.put_config(&account, &demo, &third, Some(3)).await.err();
    assert!(
        matches!(e, Some(ApiError::RateLimited { retry_after: Some(d) }) if d == Duration::from_secs(2)),
        "{e:?}"
    );
    assert_eq!(puts(&sb), 4);
}

#[tokio::test]
async fn a_concurrent_edit_bumps_the_version() {
    let (sb, c, account, demo) = demo_setup().await;
    sb.push_fault(fault("GET", "configurations", FaultKind::RemoteEdit, 1));
    let first = c
        .get_config(&account, &demo)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let second = c
        .get_config(&account, &demo)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.version + 1, second.version);
    assert_eq!(
        second
            .config
            .as_ref()
            .map(|c| c.rules()[0].hostname.as_str().to_owned())
            .as_deref(),
        Some("someone-else.example.com")
    );
}

// ---- The OpenAPI contract ----

/// The OpenAPI slice as a contract to check against (`None`, said on stderr, when it is absent).
fn contract() -> Option<Contract> {
    let contract = Contract::load()?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    Some(contract)
}

async fn raw(
    sb: &SandboxHandle,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let http = reqwest::Client::new();
    let mut req = http
        .request(method, format!("{}{path}", sb.info.api_url))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap_or_else(|e| panic!("{e}"));
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}")),
    )
}

#[tokio::test]
async fn sandbox_responses_and_client_requests_match_the_openapi_slice() {
    let Some(contract) = contract() else { return };
    let sb = sandbox().await;
    let token = sb.info.token.clone();
    let a = sb.info.account_id.clone();
    let (demo, fresh) = (demo_id(&sb), new_id(&sb));
    let ro_token = { sb.state().read_only_token().to_owned() };
    use reqwest::Method as M;
    let cases: Vec<(M, String, &str, Option<Value>, String)> = vec![
        (M::GET, "/accounts".into(), "/accounts", None, token.clone()),
        (
            M::GET,
            "/user/tokens/verify".into(),
            "/user/tokens/verify",
            None,
            token.clone(),
        ),
        (
            M::GET,
            format!("/accounts/{a}/tokens/verify"),
            "/accounts/{account_id}/tokens/verify",
            None,
            token.clone(),
        ),
        (
            M::GET,
            format!("/accounts/{a}/cfd_tunnel?is_deleted=false&per_page=1&page=2"),
            "/accounts/{account_id}/cfd_tunnel",
            None,
            token.clone(),
        ),
        (
            M::GET,
            format!("/accounts/{a}/cfd_tunnel/{demo}"),
            "/accounts/{account_id}/cfd_tunnel/{tunnel_id}",
            None,
            token.clone(),
        ),
        (
            M::GET,
            format!("/accounts/{a}/cfd_tunnel/{demo}/configurations"),
            "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations",
            None,
            token.clone(),
        ),
        (
            M::GET,
            format!("/accounts/{a}/cfd_tunnel/{fresh}/configurations"),
            "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations",
            None,
            token.clone(),
        ),
        (
            M::PUT,
            format!("/accounts/{a}/cfd_tunnel/{fresh}/configurations"),
            "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations",
            Some(
                json!({"config": {"ingress": [{"hostname": "x.example.com", "service": "http://localhost:1"}, {"service": "http_status:404"}]}}),
            ),
            token.clone(),
        ),
        // Errors.
        (
            M::PUT,
            format!("/accounts/{a}/cfd_tunnel/{demo}/configurations"),
            "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations",
            Some(
                json!({"config": {"ingress": [{"hostname": "x.example.com:1", "service": "http://localhost:1"}]}}),
            ),
            token.clone(),
        ),
        (
            M::GET,
            format!("/accounts/{a}/cfd_tunnel/{demo}/configurations"),
            "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations",
            None,
            "z".repeat(40),
        ),
        (
            M::GET,
            format!("/accounts/{a}/cfd_tunnel/{demo}/configurations"),
            "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations",
            None,
            "0123456789abcdef0123456789abcdef01234".into(),
        ),
        (
            M::GET,
            format!("/accounts/{a}/cfd_tunnel/nope/configurations"),
            "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations",
            None,
            token.clone(),
        ),
        (
            M::GET,
            format!("/accounts/{a}/cfd_tunnel/00000000-0000-4000-8000-000000000000"),
            "/accounts/{account_id}/cfd_tunnel/{tunnel_id}",
            None,
            token.clone(),
        ),
        (
            M::GET,
            "/accounts/xyz/cfd_tunnel".into(),
            "/accounts/{account_id}/cfd_tunnel",
            None,
            token.clone(),
        ),
        (
            M::PUT,
            format!("/accounts/{a}/cfd_tunnel/{demo}/configurations"),
            "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations",
            Some(json!({"config": {"ingress": [{"service": "http_status:404"}]}})),
            ro_token,
        ),
    ];
    for (method, path, template, body, tok) in cases {
        let m = method.as_str().to_lowercase();
        let (status, answer) = raw(&sb, method, &path, &tok, body).await;
        contract.response(template, &m, status, &answer);
    }
    sb.push_fault(fault(
        "GET",
        "configurations",
        FaultKind::RateLimit { retry_after: 1 },
        1,
    ));
    let (status, mut answer) = raw(
        &sb,
        M::GET,
        &format!("/accounts/{a}/cfd_tunnel/{demo}/configurations"),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 429);
    // The live API answers rate limits with code 971, below the slice's `minimum: 1000` for codes;
    // the sandbox keeps the live code, and everything else about the body is checked.
    assert_eq!(answer["errors"][0]["code"], 971);
    answer["errors"][0]["code"] = json!(1000);
    contract.response(
        "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations",
        "get",
        status,
        &answer,
    );

    // What the client itself sends.
    let c = client(&sb);
    let cfg = parse_json_str(
        r#"{"ingress":[{"hostname":"app.example.com","service":"http://localhost:8080","originRequest":{"connectTimeout":10,"access":{"required":true,"teamName":"t","audTag":["a"]}}},{"service":"http_status:404"}],"originRequest":{"noTLSVerify":false}}"#,
    )
    .unwrap_or_default();
    c.put_config(&a, &demo, &cfg, Some(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let sent: Vec<Value> = sb
        .state()
        .requests
        .iter()
        .filter(|r| r.method == "PUT")
        .filter_map(|r| r.body.clone())
        .collect();
    assert!(!sent.is_empty());
    for body in &sent {
        contract.request(
            "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/configurations",
            "put",
            body,
        );
    }
}

#[tokio::test]
async fn hostile_and_broken_replies_never_panic_and_always_explain() {
    let (sb, c, account, demo) = demo_setup().await;
    let body = |status: u16, ct: &str, body: &str| FaultKind::Body {
        status,
        content_type: ct.to_owned(),
        body: body.to_owned(),
    };
    let cases: Vec<(FaultKind, &str)> = vec![
        (
            body(
                400,
                "application/json",
                r#"{"success":false,"errors":[],"messages":[],"result":null}"#,
            ),
            "no error details were given",
        ),
        (
            body(
                200,
                "application/json",
                r#"{"success":true,"errors":[],"messages":[],"result":null}"#,
            ),
            "no result object",
        ),
        (
            body(
                200,
                "text/plain",
                r#"{"success":true,"errors":[],"messages":[],"result":{"version":3,"config":{"ingress":[{"service":"http_status:404"}]}}}"#,
            ),
            "",
        ),
        (
            body(
                200,
                "application/json",
                r#"{"success":true,"errors":[],"messages":[],"result":{"version":3,"config":{"ingress":[{"hostname":7}]}}}"#,
            ),
            "ingress[0].hostname (rule #1): expected a string",
        ),
        (
            body(
                200,
                "application/json",
                "{\"success\":true,\"errors\":[],\"messages\":[],\"result\":{\"version\":3,\"config\":{\"ingress\":[{\"hostname\":\"\\u001b[2Jx\",\"service\":\"http://x\"},{\"service\":\"http_status:404\"}]}}}",
            ),
            "",
        ),
        (
            body(503, "text/html", "<html><title>\u{1b}]0;owned\u{7}</title>"),
            "\\x1b]0;owned\\x07",
        ),
        (body(200, "application/json", ""), "an empty body"),
        (
            body(200, "application/json", "[1,2,3]"),
            "JSON of another shape",
        ),
    ];
    for (kind, want) in cases {
        sb.state().faults.clear();
        sb.push_fault(fault("GET", "configurations", kind.clone(), 4));
        let got = c.get_config(&account, &demo).await;
        match (&got, want.is_empty()) {
            (Ok(rc), true) => {
                assert_eq!(rc.version, 3, "{kind:?}");
            }
            (Err(e), false) => {
                let msg = e.to_string();
                assert!(msg.contains(want), "{kind:?}: {msg}");
                assert!(
                    !msg.contains('\u{1b}') && !msg.contains('\u{7}'),
                    "errors are inert: {msg:?}"
                );
            }
            other => panic!("{kind:?}: {other:?}"),
        }
    }
}

/// Sends raw request headers (no body) and returns the status line the sandbox answers.
fn status_without_body(sb: &SandboxHandle, headers: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let addr = sb
        .info
        .api_url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut stream = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    stream
        .write_all(headers.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    let _ = BufReader::new(stream).read_line(&mut line);
    line
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sandbox_answers_unauthenticated_writes_before_reading_them() {
    let (sb, _, account, demo) = demo_setup().await;
    let path = format!("/client/v4/accounts/{account}/cfd_tunnel/{demo}/configurations");
    // 8 MB announced, none sent: the answer comes from the headers alone, for a request without
    // credentials, with a wrong token, and (over the cap) with the right one.
    let wrong = "z".repeat(40);
    for (auth, length, want) in [
        (None, 8_000_000, "HTTP/1.1 400"),
        (Some(wrong.as_str()), 8_000_000, "HTTP/1.1 401"),
        (Some(sb.info.token.as_str()), 9_000_000, "HTTP/1.1 413"),
    ] {
        let auth = auth
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let headers = format!(
            "PUT {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
        );
        let line = tokio::task::block_in_place(|| status_without_body(&sb, &headers));
        assert!(line.starts_with(want), "{want}: {line:?}");
    }
    assert_eq!(
        sb.state()
            .tunnels
            .iter()
            .find(|t| t.id == demo)
            .map(|t| t.version),
        Some(1)
    );
}

// ---- Connectors, Access, permissions and the rate limit ----

#[tokio::test]
async fn connectors_report_the_config_version_they_run() {
    let (sb, c, account, demo) = demo_setup().await;
    let versions = |list: &[cfingress::api::Connector]| -> Vec<Option<u64>> {
        list.iter().map(|c| c.config_version).collect()
    };
    let list = c
        .list_connectors(&account, &demo)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(versions(&list), [Some(1), Some(1), Some(1)]);
    assert!(
        list.iter()
            .all(|c| c.is_connected() && !c.version.is_empty())
    );
    assert_eq!(list[0].colos(), ["FRA", "AMS"]);
    assert_eq!(list[2].origin_ips(), ["198.51.100.23"]);

    // The slow one adopts 300 ms after a publish; the stale one never does.
    sb.state()
        .connectors
        .change(
            &demo,
            "1",
            &serde_json::from_value(json!({"lag_ms": 300})).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    c.put_config(&account, &demo, &small_config(), Some(1))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let list = c.list_connectors(&account, &demo).await.unwrap_or_default();
    assert_eq!(versions(&list), [Some(2), Some(1), Some(1)]);
    tokio::time::sleep(Duration::from_millis(350)).await;
    let list = c.list_connectors(&account, &demo).await.unwrap_or_default();
    assert_eq!(versions(&list), [Some(2), Some(2), Some(1)]);

    let one = c
        .get_connector(&account, &demo, &list[2].id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(one, list[2]);
    let e = c
        .get_connector(&account, &demo, "00000000-0000-4000-8000-000000000000")
        .await
        .err();
    assert!(matches!(e, Some(ApiError::NotFound { .. })), "{e:?}");
    let e = c.get_connector(&account, &demo, "../x").await.err();
    assert!(matches!(e, Some(ApiError::InvalidId { .. })), "{e:?}");

    // A tunnel never run has none, and its status says so.
    let none = c
        .list_connectors(&account, &new_id(&sb))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(none.is_empty());
    let t = c
        .get_tunnel(&account, &new_id(&sb))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.status, "inactive");
    sb.state()
        .connectors
        .change(
            &demo,
            "0",
            &serde_json::from_value(json!({"pending_reconnect": true})).unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let t = c
        .get_tunnel(&account, &demo)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.status, "degraded");
}

#[tokio::test]
async fn access_applications_and_the_organization() {
    let (sb, c, account, _) = demo_setup().await;
    let apps = c
        .list_access_apps(&account)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(apps.len(), 6);
    let grafana = apps.iter().find(|a| a.name == "Grafana");
    assert_eq!(
        grafana.map(|a| (a.aud.as_str(), a.domains.clone())),
        Some((
            cfingress::sandbox::access::GRAFANA_AUD,
            vec!["grafana.example.com".to_owned()]
        ))
    );
    let org = c
        .get_access_organization(&account)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(org.team_name(), Some("example"));

    // Every page is read: 130 more applications make three pages of 50.
    {
        let mut s = sb.state();
        for i in 0..130 {
            let mut app = s.access.apps[0].clone();
            app["name"] = json!(format!("app {i}"));
            app["aud"] = json!(format!("{i:064x}"));
            s.access.apps.push(app);
        }
    }
    let before = sb.state().requests.len();
    let apps = c.list_access_apps(&account).await.unwrap_or_default();
    assert_eq!(apps.len(), 136);
    assert_eq!(sb.state().requests.len() - before, 3);
}

#[tokio::test]
async fn permission_errors_name_the_group_to_add() {
    let (sb, c, account, demo) = demo_setup().await;
    let deny = |groups: Value| {
        sb.state().denied =
            serde_json::from_value::<Vec<cfingress::sandbox::permissions::Group>>(groups)
                .unwrap_or_default();
    };
    deny(json!(["access_apps", "access_organization"]));
    let e = c
        .list_access_apps(&account)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("Account > Access: Apps and Policies > Read"),
        "{e}"
    );
    let e = c
        .get_access_organization(&account)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("Access: Organizations, Identity Providers, and Groups"),
        "{e}"
    );
    assert!(c.list_connectors(&account, &demo).await.is_ok());
    deny(json!(["tunnel_read"]));
    let e = c
        .list_connectors(&account, &demo)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("Account > Cloudflare Tunnel > Read"), "{e}");
    // The Global API Key keeps every permission, as its user does.
    let (email, key) = sb.state().global_key.clone();
    let global = Client::with_options(
        &sb.info.api_url,
        Credentials::GlobalKey {
            email,
            key: SecretString::from(key),
        },
        options(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(global.list_connectors(&account, &demo).await.is_ok());
}

#[tokio::test]
async fn polling_reads_the_rate_limit_and_never_runs_into_it() {
    let (sb, c, account, demo) = demo_setup().await;
    assert_eq!(c.rate_limit(), None, "nothing asked yet");
    c.list_connectors(&account, &demo).await.unwrap_or_default();
    let r = c
        .rate_limit()
        .unwrap_or_else(|| panic!("no Ratelimit header read"));
    assert_eq!((r.remaining, r.quota), (1199, Some(1200)));

    // A budget of 4 per 2 s: the fifth request waits for the window instead of getting a 429.
    sb.state().budget.set(
        &serde_json::from_value(json!({"quota": 4, "window_secs": 2}))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let started = Instant::now();
    let before = sb.state().requests.len();
    for _ in 0..6 {
        c.list_connectors(&account, &demo)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "waited for the window"
    );
    let r = c.rate_limit().unwrap_or_else(|| panic!("no header"));
    assert!(r.remaining <= 2 && r.quota == Some(4), "{r:?}");
    assert!(
        cfingress::rollout::pace::next_delay(1, Some(&r), Instant::now())
            > Duration::from_millis(900),
        "polling slows down near the limit"
    );
    assert_eq!(
        sb.state().requests.len() - before,
        6,
        "one request per call: none was answered 429 and retried"
    );
    // A window the client cannot wait for is reported, and nothing is sent.
    sb.state().budget.set(
        &serde_json::from_value(json!({"quota": 1, "window_secs": 60}))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    c.list_connectors(&account, &demo).await.unwrap_or_default();
    let sent = sb.state().requests.len();
    let e = c
        .list_connectors(&account, &demo)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("not sent") && e.contains("used up"), "{e}");
    assert_eq!(sb.state().requests.len(), sent, "nothing was sent");
}

#[tokio::test]
async fn connector_and_access_answers_match_the_openapi_slice() {
    let Some(contract) = contract() else { return };
    let sb = sandbox().await;
    let token = sb.info.token.clone();
    let a = sb.info.account_id.clone();
    let (demo, fresh) = (demo_id(&sb), new_id(&sb));
    let connector = sb.state().connectors.of(&demo)[0].id.clone();
    use reqwest::Method as M;
    let connections = "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/connections";
    let one = "/accounts/{account_id}/cfd_tunnel/{tunnel_id}/connectors/{connector_id}";
    let apps = "/accounts/{account_id}/access/apps";
    let org = "/accounts/{account_id}/access/organizations";
    let mut cases: Vec<(String, &str)> = vec![
        (
            format!("/accounts/{a}/cfd_tunnel/{demo}/connections"),
            connections,
        ),
        (
            format!("/accounts/{a}/cfd_tunnel/{fresh}/connections"),
            connections,
        ),
        (
            format!("/accounts/{a}/cfd_tunnel/{demo}/connectors/{connector}"),
            one,
        ),
        (
            format!(
                "/accounts/{a}/cfd_tunnel/{demo}/connectors/00000000-0000-4000-8000-000000000000"
            ),
            one,
        ),
        (
            format!("/accounts/{a}/cfd_tunnel/{demo}/connectors/nope"),
            one,
        ),
        (format!("/accounts/{a}/access/apps"), apps),
        (
            format!("/accounts/{a}/access/apps?page=2&per_page=2&domain=example.com"),
            apps,
        ),
        (format!("/accounts/{a}/access/organizations"), org),
    ];
    for (path, template) in &cases {
        let (status, answer) = raw(&sb, M::GET, path, &token, None).await;
        contract.response(template, "get", status, &answer);
    }
    // Every answer also when the token lacks the permission, or the connectors lag.
    sb.state().denied =
        serde_json::from_value(json!(["tunnel_read", "access_apps", "access_organization"]))
            .unwrap_or_default();
    cases.truncate(8);
    for (path, template) in &cases {
        let (status, answer) = raw(&sb, M::GET, path, &token, None).await;
        assert_eq!(status, 403, "{path}");
        contract.response(template, "get", status, &answer);
    }
    // What the client sends to these endpoints: GETs without a body, with the query parameters
    // the slice lists.
    sb.state().denied.clear();
    let c = client(&sb);
    c.list_connectors(&a, &demo)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.list_access_apps(&a)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    c.get_access_organization(&a)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for r in sb.state().requests.iter().rev().take(3) {
        assert_eq!(
            (r.method.as_str(), r.body.is_none()),
            ("GET", true),
            "{r:?}"
        );
    }
    let params: Vec<&str> = spec_params(&contract.spec, apps);
    assert!(
        params.contains(&"page") && params.contains(&"per_page"),
        "{params:?}"
    );
}

fn spec_params<'a>(spec: &'a Value, path: &str) -> Vec<&'a str> {
    spec["paths"][path]["get"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect()
}
