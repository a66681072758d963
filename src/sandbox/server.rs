//! The sandbox's HTTP/1.1 server (hyper) and its fault injection. API routes live under
//! `/client/v4`; a control API for tests lives under `/__sandbox` (same token):
//! `POST /__sandbox/faults` (a fault or a list), `DELETE /__sandbox/faults`,
//! `POST /__sandbox/tunnels/{id}/remote-edit`, `GET /__sandbox/requests`, and the DNS routes
//! under `/__sandbox/dns` (`sandbox::dns`); connectors, permissions and the rate limit are set
//! through `control`.

use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

use super::state::{Fault, FaultKind, Reply, SandboxRequest, SandboxState};

const API_PREFIX: &str = "/client/v4";
/// The largest request body the sandbox reads (from an authenticated client only).
pub const MAX_BODY: usize = 8 << 20;

type Shared = Arc<Mutex<SandboxState>>;

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, SandboxState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Accepts connections until `shutdown` fires.
pub async fn serve(
    listener: TcpListener,
    state: Shared,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => return,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let state = Arc::clone(&state);
        tokio::spawn(async move {
            let drop_now = Arc::new(Notify::new());
            let d = Arc::clone(&drop_now);
            let service = service_fn(move |req| handle(req, Arc::clone(&state), Arc::clone(&d)));
            let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                () = drop_now.notified() => {}
            }
        });
    }
}

fn respond(
    status: u16,
    headers: &[(String, String)],
    content_type: &str,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = content_type.parse() {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    for (k, v) in headers {
        if let (Ok(name), Ok(value)) = (hyper::header::HeaderName::try_from(k.as_str()), v.parse())
        {
            resp.headers_mut().insert(name, value);
        }
    }
    resp
}

fn json_reply(reply: &Reply) -> Response<Full<Bytes>> {
    respond(
        reply.status,
        &reply.headers,
        "application/json",
        reply.bytes(),
    )
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn handle(
    req: Request<Incoming>,
    state: Shared,
    drop_now: Arc<Notify>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().as_str().to_owned();
    let full_path = req.uri().path().to_owned();
    let query: Vec<(String, String)> = req.uri().query().map(url_pairs).unwrap_or_default();
    let sreq_base = SandboxRequest {
        method: method.clone(),
        path: String::new(),
        query,
        authorization: header(&req, "authorization"),
        email: header(&req, "x-auth-email"),
        key: header(&req, "x-auth-key"),
        body: Vec::new(),
    };
    // Credentials are checked from the headers before any body is read: an unauthenticated
    // client cannot make the sandbox hold anything.
    let control = full_path.strip_prefix("/__sandbox");
    let api_path = full_path.strip_prefix(API_PREFIX);
    let refused = match (control, api_path) {
        (Some(_), _) => (!control_token_ok(&state, &sreq_base)).then(|| {
            Reply::error(
                403,
                10000,
                "the sandbox control API needs the sandbox token",
            )
        }),
        (None, Some(_)) => lock(&state).check_credentials(&sreq_base).err(),
        (None, None) => Some(Reply::error(400, 7000, "No route for that URI")),
    };
    if let Some(reply) = refused {
        if let Some(path) = api_path {
            lock(&state).record(&SandboxRequest {
                path: path.to_owned(),
                ..sreq_base
            });
        }
        return Ok(json_reply(&reply));
    }
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Ok(too_large());
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return Ok(too_large()),
    };
    let mut sreq = sreq_base;
    sreq.body = body;

    if let Some(control) = control {
        sreq.path = control.to_owned();
        return Ok(control_route(&state, &sreq));
    }
    let Some(path) = api_path else {
        return Ok(json_reply(&Reply::error(
            400,
            7000,
            "No route for that URI",
        )));
    };
    sreq.path = path.to_owned();

    let fault = {
        let mut s = lock(&state);
        s.record(&sreq);
        s.take_fault(&method, path)
    };
    match &fault {
        Some(FaultKind::Latency { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Some(FaultKind::RateLimit { retry_after }) => {
            let mut r = Reply::error(
                429,
                971,
                "Please wait and consider throttling your request speed",
            );
            r.headers
                .push(("retry-after".to_owned(), retry_after.to_string()));
            return Ok(json_reply(&r));
        }
        Some(FaultKind::ServerError) => {
            return Ok(json_reply(&Reply::error(
                500,
                1000,
                "Internal Server Error",
            )));
        }
        Some(FaultKind::Drop) => {
            drop_now.notify_one();
            std::future::pending::<()>().await;
        }
        Some(FaultKind::Redirect { location }) => {
            return Ok(respond(
                301,
                &[("location".to_owned(), location.clone())],
                "text/plain",
                Bytes::from_static(b"moved"),
            ));
        }
        Some(FaultKind::Body {
            status,
            content_type,
            body,
        }) => {
            return Ok(respond(
                *status,
                &[],
                content_type,
                Bytes::from(body.clone()),
            ));
        }
        Some(FaultKind::HugeBody { bytes }) => {
            let mut body =
                b"{\"success\":true,\"errors\":[],\"messages\":[],\"result\":\"".to_vec();
            body.resize(body.len() + bytes.min(&(64 << 20)), b'x');
            body.extend_from_slice(b"\"}");
            return Ok(respond(200, &[], "application/json", Bytes::from(body)));
        }
        Some(FaultKind::Html) => {
            return Ok(respond(
                502,
                &[],
                "text/html",
                Bytes::from_static(b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"),
            ));
        }
        _ => {}
    }
    match &fault {
        Some(FaultKind::RemoteEditFirst) => {
            if let Some(id) = tunnel_in_path(path) {
                lock(&state).remote_edit(&id);
            }
        }
        Some(FaultKind::AlterConfig) => {
            if let Ok(mut body) = serde_json::from_slice::<Value>(&sreq.body)
                && let Some(config) = body.get_mut("config")
            {
                super::state::someone_elses_edit(config);
                sreq.body = serde_json::to_vec(&body).unwrap_or_default();
            }
        }
        _ => {}
    }
    let reply = lock(&state).handle(&sreq);
    match fault {
        Some(FaultKind::TruncatedJson) => {
            let bytes = reply.bytes();
            let half = Bytes::from(bytes[..bytes.len() / 2].to_vec());
            Ok(respond(
                reply.status,
                &reply.headers,
                "application/json",
                half,
            ))
        }
        Some(FaultKind::RemoteEdit) => {
            if let Some(id) = tunnel_in_path(path) {
                lock(&state).remote_edit(&id);
            }
            Ok(json_reply(&reply))
        }
        Some(FaultKind::ApplyThenFail) => Ok(json_reply(&Reply::error(
            500,
            1000,
            "Internal Server Error",
        ))),
        Some(FaultKind::ApplyThenDrop) => {
            drop_now.notify_one();
            std::future::pending::<()>().await;
            Ok(json_reply(&reply))
        }
        _ => Ok(json_reply(&reply)),
    }
}

fn tunnel_in_path(path: &str) -> Option<String> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let i = segs.iter().position(|s| *s == "cfd_tunnel")?;
    segs.get(i + 1).map(|s| (*s).to_owned())
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn too_large() -> Response<Full<Bytes>> {
    json_reply(&Reply::error(
        413,
        1001,
        &format!(
            "Request body too large (the limit is {} MiB)",
            MAX_BODY >> 20
        ),
    ))
}

fn control_token_ok(state: &Shared, req: &SandboxRequest) -> bool {
    let s = lock(state);
    s.tokens.first().is_some_and(|t| {
        req.authorization.as_deref() == Some(format!("Bearer {}", t.value).as_str())
    })
}

fn control_route(state: &Shared, req: &SandboxRequest) -> Response<Full<Bytes>> {
    let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match (req.method.as_str(), segs.as_slice()) {
        ("POST", ["faults"]) => {
            let parsed: Result<Vec<Fault>, _> = serde_json::from_slice::<Vec<Fault>>(&req.body)
                .or_else(|_| serde_json::from_slice::<Fault>(&req.body).map(|f| vec![f]));
            match parsed {
                Ok(faults) => {
                    let n = faults.len();
                    let mut s = lock(state);
                    for f in faults {
                        s.push_fault(f);
                    }
                    json_reply(&Reply {
                        status: 200,
                        headers: Vec::new(),
                        body: json!({"success": true, "queued": n}),
                        raw: None,
                    })
                }
                Err(e) => json_reply(&Reply::error(400, 1001, &format!("not a fault: {e}"))),
            }
        }
        ("DELETE", ["faults"]) => {
            lock(state).faults.clear();
            json_reply(&Reply {
                status: 200,
                headers: Vec::new(),
                body: json!({"success": true}),
                raw: None,
            })
        }
        ("POST", ["tunnels", id, "remote-edit"]) => {
            let ok = lock(state).remote_edit(id);
            json_reply(&if ok {
                Reply {
                    status: 200,
                    headers: Vec::new(),
                    body: json!({"success": true}),
                    raw: None,
                }
            } else {
                Reply::error(404, 1003, "Tunnel not found")
            })
        }
        (method, ["dns", rest @ ..]) => {
            json_reply(&lock(state).dns_control(method, rest, &req.body))
        }
        ("GET", ["requests"]) => {
            let s = lock(state);
            let body: Value = serde_json::to_value(&s.requests).unwrap_or(Value::Null);
            json_reply(&Reply {
                status: 200,
                headers: Vec::new(),
                body: json!({"success": true, "requests": body}),
                raw: None,
            })
        }
        (method, segs) => {
            let reply = lock(state).control(method, segs, &req.body);
            json_reply(&reply.unwrap_or_else(|| Reply::error(400, 7000, "No route for that URI")))
        }
    }
}
