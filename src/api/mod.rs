//! The Cloudflare v4 API client: credentials, the response envelope, errors, retries, pagination.

pub mod client;
pub mod credentials;
pub mod error;
pub mod types;

pub use client::{Client, ClientOptions, DEFAULT_API_URL, check_base_url};
pub use credentials::{CredentialFlags, Credentials, resolve};
pub use error::{ApiError, Call};
pub use types::{Account, RemoteConfig, TokenStatus, Tunnel};
