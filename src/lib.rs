//! cfingress: edit the ingress configuration of Cloudflare Tunnels from a terminal.
//!
//! The library holds the domain core ([`config`]) and the headless commands ([`cli`]); the binary
//! only parses the command line and dispatches.

pub mod access;
pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod dns;
pub mod doctor;
pub mod effects;
pub mod fixtures;
pub mod hardening;
pub mod logging;
pub mod rollout;
pub mod safe_fs;
pub mod sandbox;
pub mod settings;
pub mod text;
pub mod time;
pub mod tui;
pub mod version;
