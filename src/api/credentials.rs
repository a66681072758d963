//! Where credentials come from, in order: command-line flags, `CLOUDFLARE_API_TOKEN`,
//! `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`, then the settings profile (whose `token_command`
//! runs a password manager). Secrets stay inside [`SecretString`], whose `Debug` is redacted.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use super::error::ApiError;
use crate::settings::Profile;
use crate::text::inert;

/// How requests authenticate.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// `Authorization: Bearer <token>`.
    Token(SecretString),
    /// `X-Auth-Email` + `X-Auth-Key` (the Global API Key).
    GlobalKey {
        /// The account email (not secret).
        email: String,
        /// The key.
        key: SecretString,
    },
}

impl Credentials {
    /// A short, secret-free description ("API token", "global key for a@b.c").
    pub fn describe(&self) -> String {
        match self {
            Credentials::Token(_) => "API token".to_owned(),
            Credentials::GlobalKey { email, .. } => format!("Global API Key for {}", inert(email)),
        }
    }

    /// The token, for code that must put it on the wire.
    pub(crate) fn bearer(&self) -> Option<&str> {
        match self {
            Credentials::Token(t) => Some(t.expose_secret()),
            Credentials::GlobalKey { .. } => None,
        }
    }

    /// Email and key, for code that must put them on the wire.
    pub(crate) fn email_key(&self) -> Option<(&str, &str)> {
        match self {
            Credentials::GlobalKey { email, key } => Some((email, key.expose_secret())),
            Credentials::Token(_) => None,
        }
    }
}

/// Credential sources given on the command line (files, so secrets stay out of process lists).
#[derive(Debug, Clone, Default)]
pub struct CredentialFlags {
    /// A file whose content is the API token.
    pub token_file: Option<PathBuf>,
    /// The account email, for a Global API Key.
    pub email: Option<String>,
    /// A file whose content is the Global API Key.
    pub key_file: Option<PathBuf>,
}

fn read_secret_file(path: &PathBuf, what: &str) -> Result<SecretString, ApiError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ApiError::Credentials(format!(
            "cannot read the {what} file {}: {e}",
            inert(&path.display().to_string())
        ))
    })?;
    let t = text.trim();
    if t.is_empty() {
        return Err(ApiError::Credentials(format!(
            "the {what} file {} is empty",
            inert(&path.display().to_string())
        )));
    }
    Ok(SecretString::from(t.to_owned()))
}

/// Runs a `token_command` and reads the token from its standard output. The output is never shown;
/// on failure only the exit status and the first line of standard error are.
pub fn run_token_command(command: &str, timeout: Duration) -> Result<SecretString, ApiError> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ApiError::Credentials(format!("cannot run token_command: {e}")))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ApiError::Credentials(format!(
                    "token_command did not finish within {}s (it may be waiting for a passphrase on a terminal it cannot use)",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(ApiError::Credentials(format!("token_command: {e}"))),
        }
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    if !status.success() {
        let first = err.lines().next().unwrap_or("").trim();
        return Err(ApiError::Credentials(format!(
            "token_command failed ({status}){}",
            if first.is_empty() {
                String::new()
            } else {
                format!(": {}", inert(first))
            }
        )));
    }
    let token = out.lines().next().unwrap_or("").trim().to_owned();
    if token.is_empty() {
        return Err(ApiError::Credentials(
            "token_command printed nothing".to_owned(),
        ));
    }
    Ok(SecretString::from(token))
}

/// Finds credentials in the documented order. `env` reads an environment variable.
pub fn resolve(
    flags: &CredentialFlags,
    env: &dyn Fn(&str) -> Option<String>,
    profile: Option<&Profile>,
) -> Result<Credentials, ApiError> {
    let nonempty = |name: &str| {
        env(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    if let Some(path) = &flags.token_file {
        return Ok(Credentials::Token(read_secret_file(path, "token")?));
    }
    if let Some(path) = &flags.key_file {
        let email = flags
            .email
            .clone()
            .or_else(|| nonempty("CLOUDFLARE_EMAIL"))
            .ok_or_else(|| {
                ApiError::Credentials(
                    "a Global API Key needs the account email: --email or CLOUDFLARE_EMAIL"
                        .to_owned(),
                )
            })?;
        return Ok(Credentials::GlobalKey {
            email,
            key: read_secret_file(path, "key")?,
        });
    }
    if let Some(t) = nonempty("CLOUDFLARE_API_TOKEN") {
        return Ok(Credentials::Token(SecretString::from(t)));
    }
    if let (Some(email), Some(key)) = (nonempty("CLOUDFLARE_EMAIL"), nonempty("CLOUDFLARE_API_KEY"))
    {
        return Ok(Credentials::GlobalKey {
            email,
            key: SecretString::from(key),
        });
    }
    if nonempty("CLOUDFLARE_API_KEY").is_some() {
        return Err(ApiError::Credentials(
            "CLOUDFLARE_API_KEY is set but CLOUDFLARE_EMAIL is not: a Global API Key needs the account email".to_owned(),
        ));
    }
    if let Some(p) = profile {
        if let Some(cmd) = &p.token_command {
            return run_token_command(cmd, Duration::from_secs(60)).map(Credentials::Token);
        }
        if let Some(name) = &p.token_env {
            return nonempty(name)
                .map(|t| Credentials::Token(SecretString::from(t)))
                .ok_or_else(|| {
                    ApiError::Credentials(format!(
                        "the profile reads the token from ${name}, which is not set"
                    ))
                });
        }
        if let (Some(e), Some(k)) = (&p.email_env, &p.key_env) {
            return match (nonempty(e), nonempty(k)) {
                (Some(email), Some(key)) => Ok(Credentials::GlobalKey {
                    email,
                    key: SecretString::from(key),
                }),
                _ => Err(ApiError::Credentials(format!(
                    "the profile reads the email and key from ${e} and ${k}, which are not both set"
                ))),
            };
        }
        if let Some(t) = &p.api_token {
            return Ok(Credentials::Token(SecretString::from(t.clone())));
        }
    }
    Err(ApiError::NoCredentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn order_is_flags_token_key_profile() {
        let flags = CredentialFlags::default();
        let c = resolve(
            &flags,
            &env_of(&[
                ("CLOUDFLARE_API_TOKEN", "tok"),
                ("CLOUDFLARE_EMAIL", "a@b"),
                ("CLOUDFLARE_API_KEY", "k"),
            ]),
            None,
        );
        assert!(matches!(c, Ok(Credentials::Token(_))));
        let c = resolve(
            &flags,
            &env_of(&[("CLOUDFLARE_EMAIL", "a@b"), ("CLOUDFLARE_API_KEY", "k")]),
            None,
        );
        assert!(matches!(c, Ok(Credentials::GlobalKey { .. })));
        let profile = Profile {
            token_command: Some("printf 'from-command\\n'".into()),
            ..Profile::default()
        };
        let c = resolve(&flags, &env_of(&[]), Some(&profile));
        assert_eq!(
            c.ok()
                .and_then(|c| c.bearer().map(str::to_owned))
                .as_deref(),
            Some("from-command")
        );
        assert!(matches!(
            resolve(&flags, &env_of(&[]), None),
            Err(ApiError::NoCredentials)
        ));
    }

    #[test]
    fn secrets_never_reach_debug_or_errors() {
        let c = Credentials::Token(SecretString::from("super-secret-token".to_owned()));
        assert!(!format!("{c:?}").contains("super-secret"));
        let e = run_token_command(
            "echo leaked-secret; echo oops >&2; exit 3",
            Duration::from_secs(5),
        );
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("oops") && !msg.contains("leaked-secret"),
            "{msg}"
        );
    }
}
