//! A faithful local fake of the Cloudflare API, served over loopback HTTP: used by `--demo`,
//! `cfingress sandbox` and the tests. [`state`] answers requests; [`server`] speaks HTTP and plays
//! the faults tests ask for (latency, 429, 500, dropped connections, HTML, truncated bodies,
//! concurrent edits). Besides tunnels and their configs: [`connectors`] (each tunnel's
//! cloudflared processes: prompt, slow and stale), [`access`] (Access applications and the Zero
//! Trust organization), [`permissions`] (groups a token can be made to lack), [`ratelimit`]
//! (the request budget and its headers) and [`dns`] (the zones and DNS records).

pub mod access;
pub mod connectors;
pub mod control;
pub mod dns;
pub mod permissions;
pub mod ratelimit;
pub mod server;
pub mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use thiserror::Error;

use crate::config::encode::config_to_json;
use crate::config::files::{parse_json, read_file};
pub use state::{Fault, FaultKind, RecordedRequest, SandboxState};

/// The demo tunnel served when no seed is given.
pub const DEMO_TUNNEL: &str = include_str!("../../assets/demo/demo-tunnel.json");

/// How to start a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// Where to listen; must be a loopback address. Port 0 picks a free port.
    pub listen: SocketAddr,
    /// Config files, each becoming one tunnel; none serves the demo tunnel.
    pub seeds: Vec<PathBuf>,
    /// The accepted token; a random one when absent.
    pub token: Option<String>,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seeds: Vec::new(),
            token: None,
        }
    }
}

/// Why the sandbox could not start.
#[derive(Debug, Error)]
pub enum SandboxError {
    /// A seed file is unreadable or cannot be a remote config.
    #[error("seed {path}: {message}")]
    Seed {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Not a loopback address.
    #[error(
        "the sandbox listens only on loopback addresses (127.0.0.1, ::1), not {0}: it accepts a well-known token"
    )]
    NotLoopback(SocketAddr),
    /// The token is not shaped like a Cloudflare API token.
    #[error("the sandbox token must be 40 characters of A-Z, a-z, 0-9, _ and -")]
    BadToken,
    /// Binding failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// One tunnel, as announced on start.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TunnelInfo {
    /// UUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Config version.
    pub version: u64,
}

/// What a started sandbox tells its user: the line `cfingress sandbox` prints.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SandboxInfo {
    /// Base URL, e.g. `http://127.0.0.1:41234/client/v4`.
    pub api_url: String,
    /// The accepted token (a sandbox-only secret).
    pub token: String,
    /// The account id.
    pub account_id: String,
    /// The tunnels.
    pub tunnels: Vec<TunnelInfo>,
}

/// Builds the initial state: one tunnel per seed (or the demo tunnel), plus a new tunnel with no
/// config; the zones and DNS records of their hostnames (the demo's with a missing record, an
/// orphan and a hostname pointing at the other tunnel).
pub fn seed_state(options: &SandboxOptions) -> Result<SandboxState, SandboxError> {
    let token = match &options.token {
        Some(t)
            if t.len() == 40
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            t.clone()
        }
        Some(_) => return Err(SandboxError::BadToken),
        None => state::random_token(),
    };
    let mut s = SandboxState::new(&token);
    let mut demo = None;
    let mut seeded = Vec::new();
    if options.seeds.is_empty() {
        let cfg = parse_json(DEMO_TUNNEL)
            .ok()
            .and_then(|l| config_to_json(&l.config).ok())
            .ok_or_else(|| SandboxError::Seed {
                path: "demo".to_owned(),
                message: "the built-in demo tunnel does not parse".to_owned(),
            })?;
        demo = Some(s.add_tunnel("demo", Some(cfg), b"demo"));
    }
    for path in &options.seeds {
        let shown = path.display().to_string();
        let loaded = read_file(path).map_err(|e| SandboxError::Seed {
            path: shown.clone(),
            message: e.error.to_string(),
        })?;
        let cfg = config_to_json(&loaded.config).map_err(|e| SandboxError::Seed {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("tunnel")
            .to_owned();
        let mut unique = name.clone();
        let mut n = 2;
        while s.tunnels.iter().any(|t| t.name == unique) {
            unique = format!("{name}-{n}");
            n += 1;
        }
        let content = cfg.to_string();
        seeded.push(s.add_tunnel(&unique, Some(cfg), content.as_bytes()));
    }
    let other = s.add_tunnel("new-tunnel", None, b"new");
    if let Some(demo) = demo {
        s.seed_demo_dns(&demo, &other);
    }
    for id in &seeded {
        s.seed_dns_for(id);
    }
    Ok(s)
}

/// A running sandbox.
pub struct SandboxHandle {
    /// What it serves.
    pub info: SandboxInfo,
    /// The listening address.
    pub addr: SocketAddr,
    state: Arc<Mutex<SandboxState>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SandboxHandle {
    /// The state, for tests that look inside or change it.
    pub fn state(&self) -> MutexGuard<'_, SandboxState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a fault for upcoming requests.
    pub fn push_fault(&self, fault: Fault) {
        self.state().push_fault(fault);
    }

    /// "Someone else" edits a tunnel now.
    pub fn remote_edit(&self, tunnel_id: &str) -> bool {
        self.state().remote_edit(tunnel_id)
    }

    /// Stops serving.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a sandbox on the current tokio runtime.
pub async fn start(options: SandboxOptions) -> Result<SandboxHandle, SandboxError> {
    if !options.listen.ip().is_loopback() {
        return Err(SandboxError::NotLoopback(options.listen));
    }
    let state = seed_state(&options)?;
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| SandboxError::Bind {
            addr: options.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
        addr: options.listen,
        source,
    })?;
    let info = SandboxInfo {
        api_url: format!("http://{addr}/client/v4"),
        token: state.tokens[0].value.clone(),
        account_id: state.account_id.clone(),
        tunnels: state
            .tunnels
            .iter()
            .map(|t| TunnelInfo {
                id: t.id.clone(),
                name: t.name.clone(),
                version: t.version,
            })
            .collect(),
    };
    let state = Arc::new(Mutex::new(state));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(server::serve(listener, Arc::clone(&state), rx));
    Ok(SandboxHandle {
        info,
        addr,
        state,
        shutdown: Some(tx),
        task: Some(task),
    })
}
