//! A hostile server impersonating the Cloudflare API over loopback (a small hyper server), and
//! the real binary against it: every case serves what an attacker or a broken proxy could, and
//! checks what an admin's terminal would receive. No ESC, C1, bidi or invisible character on
//! stdout or stderr, bounded requests, time and memory, a clear message, and the documented exit
//! status (0 done, 1 refused, 2 failed).

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

const ACCOUNT: &str = "699d98642c564d2e855e9661899b7252";
const TUNNEL: &str = "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415";
const TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const ZONE: &str = "023e105f4ecef8ad9ca31a8372d0c353";
/// What a hostile server puts in every string it can: a terminal title change, a screen clear,
/// a C1 control sequence introducer, bidi overrides and isolates, invisible characters.
const EVIL: &str =
    "abc\u{1b}]2;PWNED\u{7}\u{1b}[2J\u{9b}31m\u{202e}gro.\u{2066}x\u{200b}\u{ad}\u{e0041}";

/// One answer of the hostile server.
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn answer(status: u16, body: &Value) -> Answer {
    Answer {
        status,
        headers: vec![("content-type", "application/json".to_owned())],
        body: body.to_string().into_bytes(),
    }
}

fn ok(result: Value) -> Answer {
    answer(
        200,
        &json!({"success": true, "errors": [], "messages": [], "result": result}),
    )
}

fn list(items: Value, page: u64, total_pages: u64) -> Answer {
    answer(
        200,
        &json!({"success": true, "errors": [], "messages": [], "result": items,
                "result_info": {"page": page, "per_page": 100, "total_pages": total_pages}}),
    )
}

/// A request as the handler sees it: method, path (without `/client/v4`) and query.
struct Req {
    method: String,
    path: String,
    query: String,
    body: Vec<u8>,
}

impl Req {
    fn page(&self) -> u64 {
        self.query
            .split('&')
            .find_map(|p| p.strip_prefix("page="))
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
    }
}

type Handler = dyn Fn(&Req) -> Answer + Send + Sync;

/// A hostile API server on a loopback port, counting the requests it gets.
struct Hostile {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl Hostile {
    fn start(handler: impl Fn(&Req) -> Answer + Send + Sync + 'static) -> Hostile {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let hits = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let counter = Arc::clone(&hits);
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let handler = Arc::clone(&handler);
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        counter.fetch_add(1, Ordering::SeqCst);
                        let handler = Arc::clone(&handler);
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = http_body_util::BodyExt::collect(body)
                                .await
                                .map(|b| b.to_bytes().to_vec())
                                .unwrap_or_default();
                            let r = Req {
                                method: parts.method.to_string(),
                                path: parts.uri.path().trim_start_matches("/client/v4").to_owned(),
                                query: parts.uri.query().unwrap_or_default().to_owned(),
                                body,
                            };
                            let a = handler(&r);
                            let mut resp = Response::new(Full::new(Bytes::from(a.body)));
                            *resp.status_mut() = hyper::StatusCode::from_u16(a.status)
                                .unwrap_or(hyper::StatusCode::OK);
                            for (k, v) in a.headers {
                                if let Ok(v) = v.parse() {
                                    resp.headers_mut().insert(k, v);
                                }
                            }
                            Ok::<_, Infallible>(resp)
                        }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Hostile {
            addr,
            hits,
            _runtime: runtime,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/client/v4", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// A fresh, empty home for one run.
fn home(tag: &str) -> PathBuf {
    let h = std::env::temp_dir().join(format!("cfingress-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&h);
    let _ = std::fs::create_dir_all(&h);
    h
}

/// The outcome of one run: its output, how long it took, its peak memory as last seen.
struct Run {
    out: Output,
    took: Duration,
    peak_kib: u64,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    fn code(&self) -> Option<i32> {
        self.out.status.code()
    }
}

fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `cfingress ARGS` against `api` with a clean environment plus `env`.
fn run_with(api: &str, args: &[&str], env: &[(&str, String)], tag: &str) -> Run {
    let home = home(tag);
    let mut cmd = Command::new(common::bin());
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("CFINGRESS_SETTINGS", home.join("settings.toml"))
        .env("CFINGRESS_STATE_DIR", home.join("state"))
        .env("CFINGRESS_API_URL", api)
        .env("CLOUDFLARE_API_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
    let pid = child.id();
    let peak = Arc::new(AtomicUsize::new(0));
    let watch = {
        let peak = Arc::clone(&peak);
        std::thread::spawn(move || {
            while let Some(kib) = peak_kib(pid) {
                peak.fetch_max(usize::try_from(kib).unwrap_or(usize::MAX), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    let _ = watch.join();
    let _ = std::fs::remove_dir_all(&home);
    Run {
        out,
        took,
        peak_kib: peak.load(Ordering::SeqCst) as u64,
    }
}

fn run(server: &Hostile, args: &[&str], tag: &str) -> Run {
    run_with(&server.url(), args, &[], tag)
}

/// Whether a character must never reach a terminal from server data: C0 (but newline), DEL, C1,
/// bidi controls and invisible characters.
fn forbidden(c: char) -> bool {
    c != '\n' && cfingress::text::is_unsafe(c)
}

/// Asserts that both outputs are valid UTF-8 without a single forbidden character.
fn assert_inert(r: &Run, what: &str) {
    for (name, bytes) in [("stdout", &r.out.stdout), ("stderr", &r.out.stderr)] {
        let text = std::str::from_utf8(bytes)
            .unwrap_or_else(|e| panic!("{what}: {name} is not UTF-8: {e}"));
        if let Some(c) = text.chars().find(|c| forbidden(*c)) {
            panic!("{what}: {name} holds U+{:04X}:\n{text}", c as u32);
        }
    }
}

/// A tunnel object as the API lists it, with `name` as its name.
fn tunnel(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "status": EVIL, "config_src": "cloudflare",
           "created_at": EVIL, "account_tag": ACCOUNT, "connections": []})
}

fn hostile_config() -> Value {
    json!({
        "ingress": [
            {"hostname": format!("{EVIL}.example.com"), "path": format!("^/{EVIL}"),
             "service": "http://localhost:8080", "x-note": EVIL, EVIL: EVIL},
            {"service": "http_status:404"}
        ],
        "originRequest": {"httpHostHeader": EVIL},
        EVIL: [EVIL]
    })
}

/// A server that answers like the API, with hostile strings everywhere a string may go.
fn hostile_api() -> Hostile {
    Hostile::start(|r| {
        let segs: Vec<&str> = r.path.trim_matches('/').split('/').collect();
        match (r.method.as_str(), segs.as_slice()) {
            ("GET", ["accounts"]) => list(json!([{"id": ACCOUNT, "name": EVIL}]), 1, 1),
            ("GET", ["accounts", _, "cfd_tunnel"]) => list(json!([tunnel(TUNNEL, EVIL)]), 1, 1),
            ("GET", ["accounts", _, "cfd_tunnel", _, "configurations"]) => ok(json!({
                "tunnel_id": TUNNEL, "version": 4, "config": hostile_config(),
                "source": EVIL, "created_at": EVIL
            })),
            ("PUT", ["accounts", _, "cfd_tunnel", _, "configurations"]) => {
                let sent: Value = serde_json::from_slice(&r.body).unwrap_or_default();
                ok(
                    json!({"tunnel_id": TUNNEL, "version": 5, "config": sent["config"], "source": EVIL}),
                )
            }
            ("GET", ["zones"]) => list(
                json!([{"id": ZONE, "name": "example.com", "status": EVIL},
                       {"id": "0123456789abcdef0123456789abcdef", "name": EVIL}]),
                1,
                1,
            ),
            ("GET", ["zones", _, "dns_records"]) => {
                let target = format!("{TUNNEL}.cfargotunnel.com");
                list(
                    json!([
                        {"id": "1", "type": "CNAME", "name": "ok.example.com", "content": target,
                         "proxied": true, "comment": EVIL},
                        {"id": "2", "type": "CNAME", "name": format!("{EVIL}.example.com"),
                         "content": target, "proxied": false},
                        {"id": "3", "type": EVIL, "name": "ok2.example.com", "content": EVIL},
                        {"id": "4", "type": "CNAME", "name": "ok3.example.com",
                         "content": "11111111-2222-4333-8444-555555555555.cfargotunnel.com"},
                    ]),
                    1,
                    1,
                )
            }
            (_, ["zones", _, "dns_records", ..]) => answer(
                400,
                &json!({"success": false, "errors": [{"code": 1004, "message": EVIL}]}),
            ),
            _ => answer(
                404,
                &json!({"success": false, "errors": [{"code": 1003, "message": EVIL}]}),
            ),
        }
    })
}

#[test]
fn server_strings_never_reach_the_terminal_raw() {
    let server = hostile_api();

    let r = run(&server, &["tunnels"], "tunnels");
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_inert(&r, "tunnels");
    assert!(
        r.stdout().contains("abc\\x1b]2;PWNED\\x07"),
        "{}",
        r.stdout()
    );

    let r = run(&server, &["tunnels", "--format", "json"], "tunnels-json");
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_inert(&r, "tunnels --format json");
    let listed: Value = serde_json::from_str(&r.stdout()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        listed[0]["name"], EVIL,
        "the JSON reads back to the server's string"
    );

    // By name: the id comes from the server, and goes into every message.
    for (args, tag) in [
        (vec!["get", "--tunnel", EVIL], "get-json"),
        (
            vec!["get", "--tunnel", EVIL, "--format", "yaml"],
            "get-yaml",
        ),
    ] {
        let r = run(&server, &args, tag);
        assert_eq!(r.code(), Some(0), "{tag}: {}", r.stderr());
        assert_inert(&r, tag);
        assert!(
            r.stderr()
                .contains(&format!("# tunnel {TUNNEL}, config version 4"))
        );
    }
    let r = run(&server, &["get", "--tunnel", TUNNEL], "get-back");
    let got =
        cfingress::config::files::parse_json_str(&r.stdout()).unwrap_or_else(|e| panic!("{e}"));
    let want = cfingress::config::files::from_json_value(&hostile_config())
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    assert_eq!(got, want, "get --format json reads back to the same config");

    let dir = home("files");
    let mine = dir.join("mine.json");
    std::fs::write(
        &mine,
        json!({"ingress": [{"hostname": "ok.example.com", "service": "http://localhost:1"}, {"service": "http_status:404"}]})
            .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mine = mine.display().to_string();
    for (args, want, tag) in [
        (vec!["dns", "check", "--tunnel", EVIL], 1, "dns-check"),
        (
            vec!["dns", "check", "--tunnel", EVIL, "--format", "json"],
            1,
            "dns-check-json",
        ),
        (
            vec![
                "dns",
                "sync",
                "--tunnel",
                EVIL,
                "--yes",
                "--prune",
                "--take-over",
            ],
            2,
            "dns-sync",
        ),
        (vec!["diff", "--tunnel", EVIL, &mine], 1, "diff"),
        (
            vec!["diff", "--tunnel", EVIL, "--format", "json", &mine],
            1,
            "diff-json",
        ),
        (vec!["apply", "--tunnel", EVIL, "--yes", &mine], 0, "apply"),
        (
            vec![
                "apply", "--tunnel", EVIL, "--yes", "--format", "json", &mine,
            ],
            0,
            "apply-json",
        ),
        (
            vec!["apply", "--tunnel", EVIL, &mine],
            1,
            "apply-no-terminal",
        ),
    ] {
        let r = run(&server, &args, tag);
        assert_eq!(r.code(), Some(want), "{tag}: {}{}", r.stdout(), r.stderr());
        assert_inert(&r, tag);
    }
    // Record names, types, contents, zone names and statuses, tunnel names and error messages
    // all reach the DNS output, escaped.
    let r = run(
        &server,
        &["dns", "check", "--tunnel", EVIL],
        "dns-check-shown",
    );
    assert!(
        r.stdout().contains("abc\\x1b]2;PWNED\\x07") && r.stdout().contains("2 orphans"),
        "{}",
        r.stdout()
    );
    let r = run(
        &server,
        &["dns", "sync", "--tunnel", EVIL, "--yes", "--prune"],
        "dns-sync-shown",
    );
    assert!(
        r.stdout().contains("failed") && r.stdout().contains("abc\\x1b]2;PWNED\\x07"),
        "{}",
        r.stdout()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_ids_are_refused_naming_the_field() {
    let evil_accounts = Hostile::start(|r| match r.path.as_str() {
        "/accounts" => list(json!([{"id": EVIL, "name": "x"}]), 1, 1),
        _ => ok(json!(null)),
    });
    let r = run(&evil_accounts, &["tunnels"], "evil-account");
    assert_eq!(r.code(), Some(2), "{}", r.stderr());
    assert_inert(&r, "evil account id");
    assert!(
        r.stderr()
            .contains("page 1, result[0].id: the account id \"abc\\x1b]2;PWNED\\x07"),
        "{}",
        r.stderr()
    );

    let evil_tunnels = Hostile::start(|_| list(json!([tunnel(EVIL, "prod")]), 1, 1));
    for (args, tag) in [
        (vec!["tunnels", "--account", ACCOUNT], "evil-tunnel-list"),
        (
            vec!["get", "--account", ACCOUNT, "--tunnel", "prod"],
            "evil-tunnel-get",
        ),
    ] {
        let r = run(&evil_tunnels, &args, tag);
        assert_eq!(r.code(), Some(2), "{tag}: {}", r.stderr());
        assert_inert(&r, tag);
        assert!(
            r.stderr().contains("result[0].id: the tunnel id"),
            "{}",
            r.stderr()
        );
    }

    // Several accounts, with hostile names: the choice is listed inertly.
    let many = Hostile::start(|_| {
        list(
            json!([{"id": ACCOUNT, "name": EVIL}, {"id": "0123456789abcdef0123456789abcdef", "name": EVIL}]),
            1,
            1,
        )
    });
    let r = run(&many, &["tunnels"], "many");
    assert_eq!(r.code(), Some(2));
    assert_inert(&r, "several accounts");
    assert!(
        r.stderr().contains("these credentials see 2 accounts"),
        "{}",
        r.stderr()
    );

    // Ids given by the user are checked before anything is sent, naming where they came from.
    let quiet = Hostile::start(|_| ok(json!(null)));
    let r = run(
        &quiet,
        &[
            "tunnels",
            "--account",
            "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415",
        ],
        "given",
    );
    assert_eq!(r.code(), Some(2));
    assert!(
        r.stderr()
            .contains("the account id \"f70ff985-a4ef-4643-bbbc-4a0ed4fc8415\" is malformed")
            && r.stderr().contains("tunnel id perhaps")
            && r.stderr().contains("(from --account)"),
        "{}",
        r.stderr()
    );
    assert_eq!(quiet.hits(), 0);
}

#[test]
fn error_answers_are_inert_short_and_exit_two() {
    let server = Hostile::start(|_| {
        let one = json!({"code": 9999, "message": format!("{EVIL}{}", "m".repeat(10_000))});
        answer(
            400,
            &json!({"success": false, "errors": vec![one; 1_000], "result": null}),
        )
    });
    let r = run(
        &server,
        &["get", "--account", ACCOUNT, "--tunnel", TUNNEL],
        "errors",
    );
    assert_eq!(r.code(), Some(2));
    assert_inert(&r, "error envelope");
    assert!(
        r.stderr()
            .contains("the API refused the request (HTTP 400)"),
        "{}",
        r.stderr()
    );
    assert!(
        r.stderr().len() < 4_000,
        "{} bytes of message",
        r.stderr().len()
    );

    let html = Hostile::start(|_| Answer {
        status: 502,
        headers: vec![("content-type", "text/html".to_owned())],
        body: format!("<html><title>{EVIL}</title>").into_bytes(),
    });
    let r = run(
        &html,
        &["get", "--account", ACCOUNT, "--tunnel", TUNNEL],
        "html",
    );
    assert_eq!(r.code(), Some(2));
    assert_inert(&r, "HTML page");
    assert!(r.stderr().contains("HTML page"), "{}", r.stderr());
}

#[test]
fn versions_that_are_not_whole_numbers_are_errors() {
    for (version, want) in [
        (json!(-1), "found number -1"),
        (json!(2.5), "found number 2.5"),
        (json!("7"), "found string \"7\""),
        (Value::Null, "found null"),
    ] {
        let body = json!({"tunnel_id": TUNNEL, "version": version, "config": null});
        let server = Hostile::start(move |_| ok(body.clone()));
        let r = run(
            &server,
            &["get", "--account", ACCOUNT, "--tunnel", TUNNEL],
            "version",
        );
        assert_eq!(r.code(), Some(2), "{}", r.stderr());
        assert!(
            r.stderr()
                .contains("result.version: expected a whole number from 0")
                && r.stderr().contains(want),
            "{}",
            r.stderr()
        );
    }
    let server = Hostile::start(|_| ok(json!({"tunnel_id": TUNNEL, "config": null})));
    let r = run(
        &server,
        &["get", "--account", ACCOUNT, "--tunnel", TUNNEL],
        "no-version",
    );
    assert!(
        r.stderr().contains("result.version is missing"),
        "{}",
        r.stderr()
    );
}

#[test]
fn endless_pages_stop_at_the_cap_quickly_and_small() {
    // 100 well-formed tunnels a page, and always 10 000 pages more.
    let server = Hostile::start(|r| {
        let page = r.page();
        let items: Vec<Value> = (0..100)
            .map(|i| {
                tunnel(
                    &format!("00000000-0000-4000-8000-{:06x}{:06x}", page, i),
                    &format!("t{page}-{i}"),
                )
            })
            .collect();
        list(Value::Array(items), page, 10_000)
    });
    let r = run(&server, &["tunnels", "--account", ACCOUNT], "pages");
    assert_eq!(r.code(), Some(2), "{}", r.stderr());
    assert!(
        r.stderr()
            .contains("stopped listing the tunnels of account")
            && r.stderr().contains("after 100 pages and 10000 items")
            && r.stderr().contains("more than 100 pages of 100"),
        "{}",
        r.stderr()
    );
    assert!(r.stdout().is_empty(), "no partial listing: {}", r.stdout());
    assert!(server.hits() <= 101, "{} requests", server.hits());
    eprintln!(
        "endless pages: {} requests, {:?}, peak {} KiB",
        server.hits(),
        r.took,
        r.peak_kib
    );
    assert!(r.took < Duration::from_secs(60), "{:?}", r.took);
    assert!(r.peak_kib < 200 << 10, "peak {} KiB", r.peak_kib);
}

#[test]
fn huge_retry_after_and_huge_bodies_are_bounded() {
    let server = Hostile::start(|_| Answer {
        status: 429,
        headers: vec![("retry-after", "18446744073709551615".to_owned())],
        body: br#"{"success":false,"errors":[{"code":971,"message":"slow down"}]}"#.to_vec(),
    });
    let r = run(
        &server,
        &["get", "--account", ACCOUNT, "--tunnel", TUNNEL],
        "retry",
    );
    assert_eq!(r.code(), Some(2), "no panic: {}", r.stderr());
    assert!(
        r.stderr()
            .contains("rate limiting these credentials (HTTP 429); retry in 3600s"),
        "{}",
        r.stderr()
    );
    assert!(r.took < Duration::from_secs(10), "{:?}", r.took);
    assert_eq!(
        server.hits(),
        1,
        "a wait beyond the retry budget is reported, not slept"
    );

    let big = Hostile::start(|_| {
        let mut body = br#"{"success":true,"result":{"version":1,"config":{"x":""#.to_vec();
        body.resize(40 << 20, b'a');
        body.extend_from_slice(br#""}}}"#);
        Answer {
            status: 200,
            headers: vec![],
            body,
        }
    });
    let r = run(
        &big,
        &["get", "--account", ACCOUNT, "--tunnel", TUNNEL],
        "big",
    );
    assert_eq!(r.code(), Some(2));
    assert!(r.stderr().contains("larger than 16 MiB"), "{}", r.stderr());
    assert!(r.peak_kib < 200 << 10, "peak {} KiB", r.peak_kib);

    // Just under the cap, a large array the envelope does not know: skipped, not stored.
    let junk = Hostile::start(|_| {
        let mut body = br#"{"success":true,"junk":["#.to_vec();
        while body.len() < 15 << 20 {
            body.extend_from_slice(b"1,");
        }
        body.extend_from_slice(br#"1],"result":{"tunnel_id":"f70ff985-a4ef-4643-bbbc-4a0ed4fc8415","version":3,"config":null}}"#);
        Answer {
            status: 200,
            headers: vec![],
            body,
        }
    });
    let r = run(
        &junk,
        &["get", "--account", ACCOUNT, "--tunnel", TUNNEL],
        "junk",
    );
    assert_eq!(
        r.code(),
        Some(1),
        "read, and it has no config: {}",
        r.stderr()
    );
    eprintln!(
        "15 MiB answer with an unknown array: peak {} KiB",
        r.peak_kib
    );
    assert!(r.peak_kib < 100 << 10, "peak {} KiB", r.peak_kib);
}

#[test]
fn a_wrong_account_id_is_named_as_such() {
    // What the API answers for an account id the token cannot see: 403, code 10000.
    let server = Hostile::start(|r| match r.path.as_str() {
        "/accounts" => list(json!([{"id": ACCOUNT, "name": "Acme"}]), 1, 1),
        _ => answer(
            403,
            &json!({"success": false, "errors": [{"code": 10000, "message": "Authentication error"}]}),
        ),
    });
    let zone = "023e105f4ecef8ad9ca31a8372d0c353";
    let r = run(&server, &["tunnels", "--account", zone], "wrong-account");
    assert_eq!(r.code(), Some(2));
    assert!(
        r.stderr().contains(&format!(
            "the account id {zone} is not an account these credentials can see (they see Acme ({ACCOUNT}))"
        )) && r.stderr().contains("a zone id has the same shape"),
        "{}",
        r.stderr()
    );
}

#[test]
fn proxy_variables_never_see_a_loopback_api() {
    let proxy = Hostile::start(|_| ok(json!(null)));
    let api = hostile_api();
    let proxy_url = format!("http://{}", proxy.addr);
    let env: Vec<(&str, String)> = [
        "http_proxy",
        "HTTP_PROXY",
        "ALL_PROXY",
        "all_proxy",
        "https_proxy",
        "HTTPS_PROXY",
    ]
    .into_iter()
    .map(|k| (k, proxy_url.clone()))
    .collect();
    let r = run_with(&api.url(), &["tunnels"], &env, "proxy");
    assert_eq!(r.code(), Some(0), "{}", r.stderr());
    assert_eq!(proxy.hits(), 0, "the token never went to the proxy");
    assert!(api.hits() >= 2);
}

#[test]
fn the_editor_shows_hostile_names_inertly() {
    let server = hostile_api();
    let home = home("pty");
    let env = vec![
        ("HOME", home.display().to_string()),
        (
            "CFINGRESS_SETTINGS",
            home.join("settings.toml").display().to_string(),
        ),
        (
            "CFINGRESS_STATE_DIR",
            home.join("state").display().to_string(),
        ),
        ("CFINGRESS_API_URL", server.url()),
        ("CLOUDFLARE_API_TOKEN", TOKEN.to_owned()),
    ];
    // No account or tunnel given: the account is listed (one, with a hostile name), then the
    // tunnel picker shows the hostile tunnel name; opening it shows the hostile config.
    let mut s = common::Pty::spawn(&[], &env, 30, 110);
    s.wait_for("PWNED");
    s.send("\r");
    s.wait_for("Ingress rules (2)");
    s.send("i");
    std::thread::sleep(Duration::from_millis(300));
    let raw = s.raw();
    let text = String::from_utf8_lossy(&raw);
    for payload in ["\u{1b}]2;PWNED", "\u{7}\u{1b}[2J"] {
        assert!(!text.contains(payload), "{payload:?} reached the terminal");
    }
    if let Some(c) = text
        .chars()
        .find(|c| cfingress::text::is_invisible(*c) || ('\u{80}'..='\u{9f}').contains(c))
    {
        panic!("U+{:04X} reached the terminal", c as u32);
    }
    assert!(text.contains("\\x1b]2;PWNED"), "shown as visible text");
    s.send("q");
    s.wait_exit();
    let _ = std::fs::remove_dir_all(&home);
}

/// A connector as the API lists it, with hostile strings in every string field.
fn hostile_connector(n: u8, config_version: u64) -> Value {
    let id = format!("{n:08x}-0000-4000-8000-000000000000");
    json!({"id": id, "arch": EVIL, "version": EVIL, "config_version": config_version,
           "run_at": EVIL, "features": [EVIL],
           "conns": [{"id": id, "colo_name": EVIL, "origin_ip": EVIL, "opened_at": EVIL,
                      "is_pending_reconnect": false, "client_id": id, "client_version": EVIL}]})
}

/// The API with connectors (one behind), Access applications and an organization: hostile
/// strings everywhere, well-shaped ids and tags.
fn hostile_fleet_api() -> Hostile {
    Hostile::start(|r| {
        let segs: Vec<&str> = r.path.trim_matches('/').split('/').collect();
        match (r.method.as_str(), segs.as_slice()) {
            ("GET", ["user", "tokens", "verify"]) => {
                ok(json!({"id": "ed17574386854bf78a67040be0a770b0", "status": "active"}))
            }
            ("GET", ["accounts"]) => list(json!([{"id": ACCOUNT, "name": EVIL}]), 1, 1),
            ("GET", ["accounts", _, "cfd_tunnel"]) => list(json!([tunnel(TUNNEL, EVIL)]), 1, 1),
            ("GET", ["accounts", _, "cfd_tunnel", _]) => ok(tunnel(TUNNEL, EVIL)),
            ("GET", ["accounts", _, "cfd_tunnel", _, "configurations"]) => ok(json!({
                "tunnel_id": TUNNEL, "version": 4, "config": hostile_config(),
                "source": EVIL, "created_at": EVIL
            })),
            ("PUT", ["accounts", _, "cfd_tunnel", _, "configurations"]) => {
                let sent: Value = serde_json::from_slice(&r.body).unwrap_or_default();
                ok(json!({"tunnel_id": TUNNEL, "version": 5, "config": sent["config"]}))
            }
            ("GET", ["accounts", _, "cfd_tunnel", _, "connections"]) => list(
                json!([hostile_connector(1, 5), hostile_connector(2, 4)]),
                1,
                1,
            ),
            ("GET", ["accounts", _, "access", "apps"]) => list(
                json!([{"id": "f174e90a-fafe-4643-bbbc-4a0ed4fc8415", "name": EVIL, "type": EVIL,
                        "aud": "737646a56ab1df6ec9bddc7e5ca84eaf3b0768850f3ffb5d74f1534911fe3893",
                        "domain": EVIL, "destinations": [{"type": "public", "uri": EVIL}]}]),
                1,
                1,
            ),
            ("GET", ["accounts", _, "access", "organizations"]) => {
                ok(json!({"name": EVIL, "auth_domain": EVIL}))
            }
            ("GET", ["zones"]) => list(
                json!([{"id": "023e105f4ecef8ad9ca31a8372d0c353", "name": EVIL}]),
                1,
                1,
            ),
            ("GET", ["zones", _, "dns_records"]) => list(json!([]), 1, 1),
            _ => answer(
                404,
                &json!({"success": false, "errors": [{"code": 1003, "message": EVIL}]}),
            ),
        }
    })
}

#[test]
fn connectors_access_and_doctor_answers_stay_inert() {
    let server = hostile_fleet_api();
    let dir = home("fleet-files");
    let mine = dir.join("mine.json");
    std::fs::write(
        &mine,
        json!({"ingress": [{"hostname": "ok.example.com", "service": "http://localhost:1"}, {"service": "http_status:404"}]})
            .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mine = mine.display().to_string();
    for (args, want, tag) in [
        (vec!["status", "--tunnel", TUNNEL], 1, "status"),
        (
            vec!["status", "--tunnel", TUNNEL, "--format", "json"],
            1,
            "status-json",
        ),
        (vec!["doctor", "--tunnel", TUNNEL], 0, "doctor"),
        (
            vec!["doctor", "--tunnel", TUNNEL, "--format", "json"],
            0,
            "doctor-json",
        ),
        // The hostile config is invalid (its path is a broken regex): exit 1, inertly.
        (vec!["validate", "--tunnel", EVIL], 1, "validate-live"),
        (
            vec!["match", "--tunnel", TUNNEL, "https://x.example.com/"],
            1,
            "match-live",
        ),
        (
            vec![
                "apply",
                "--tunnel",
                TUNNEL,
                "--yes",
                "--wait",
                "--wait-timeout",
                "2",
                &mine,
            ],
            1,
            "apply-wait",
        ),
        (
            vec![
                "apply",
                "--tunnel",
                TUNNEL,
                "--yes",
                "--wait",
                "--wait-timeout",
                "1",
                "--format",
                "json",
                &mine,
            ],
            1,
            "apply-wait-json",
        ),
    ] {
        let r = run(&server, &args, tag);
        assert_eq!(r.code(), Some(want), "{tag}: {}{}", r.stdout(), r.stderr());
        assert_inert(&r, tag);
    }
    let r = run(&server, &["status", "--tunnel", TUNNEL], "status-text");
    assert!(
        r.stdout().contains("abc\\x1b]2;PWNED\\x07"),
        "{}",
        r.stdout()
    );
    let r = run(
        &server,
        &["status", "--tunnel", TUNNEL, "--format", "json"],
        "status-back",
    );
    let doc: Value = serde_json::from_str(&r.stdout()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc["connectors"][0]["version"], EVIL,
        "the JSON reads back to the server's string"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
