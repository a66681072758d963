//! API answers: any status, content type and body is read without panicking, within bounds, into
//! an envelope or an error whose message is inert on a terminal; whatever an envelope holds, the
//! area readers (configuration, tunnel list, accounts) accept it or explain it inertly, and every
//! id they accept has the API's shape.
#![no_main]

use std::time::Duration;

use cfingress::api::envelope::parse_response;
use cfingress::api::{Account, ApiError, Call, IdKind, RemoteConfig, Tunnel};
use cfingress::api::read;
use cfingress::text::is_unsafe;
use libfuzzer_sys::fuzz_target;

fn inert(e: &ApiError) {
    let msg = e.to_string();
    assert!(!msg.chars().any(is_unsafe), "raw control in {msg:?}");
    assert!(msg.len() < 64 << 10, "a message of {} bytes", msg.len());
}

fuzz_target!(|data: &[u8]| {
    // The first bytes choose the status, the content type and the call; the rest is the body.
    let [s, ct, call, body @ ..] = data else { return };
    let status = [200u16, 201, 400, 401, 403, 404, 429, 500, 502, 503][usize::from(*s) % 10];
    let content_type = match ct % 4 {
        0 => None,
        1 => Some("application/json"),
        2 => Some("text/html; charset=utf-8"),
        _ => Some("text/plain"),
    };
    let call = [Call::GetConfig, Call::PutConfig, Call::Tunnels, Call::Accounts, Call::Verify]
        [usize::from(*call) % 5];
    let env = match parse_response(
        call,
        "tunnel t",
        status,
        content_type,
        Some(Duration::from_secs(1)),
        body.to_vec(),
    ) {
        Ok(env) => env,
        Err(e) => return inert(&e),
    };
    match env.result_tree() {
        Ok(tree) => match RemoteConfig::from_tree(&tree, None) {
            Ok(rc) => assert!(rc.tunnel_id.is_empty() || IdKind::Tunnel.is_valid(&rc.tunnel_id)),
            Err(e) => inert(&e),
        },
        Err(e) => inert(&e),
    }
    match env.result_items("things") {
        Ok(items) => {
            for (i, raw) in items.into_iter().enumerate() {
                let at = format!("result[{i}]");
                match read::item(raw, &at) {
                    Ok(tree) => {
                        match Tunnel::from_tree(&tree, &at) {
                            Ok(t) => assert!(IdKind::Tunnel.is_valid(&t.id)),
                            Err(e) => inert(&e),
                        }
                        match Account::from_tree(&tree, &at) {
                            Ok(a) => assert!(IdKind::Account.is_valid(&a.id)),
                            Err(e) => inert(&e),
                        }
                    }
                    Err(e) => inert(&e),
                }
            }
        }
        Err(e) => inert(&e),
    }
    let _ = env.total_pages();
});
