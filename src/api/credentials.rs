//! Where credentials come from, in order: command-line flags, `CLOUDFLARE_API_TOKEN`,
//! `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`, then the settings profile (whose `token_command`
//! runs a password manager). Secrets stay inside [`SecretString`], whose `Debug` is redacted.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::zeroize::Zeroize;
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

/// The most a secret file or a `token_command` may print: a token is 40 characters.
pub const MAX_SECRET_OUTPUT: usize = 64 << 10;

/// Reads at most [`MAX_SECRET_OUTPUT`] bytes (a pipe such as `<(pass show x)` is fine; `/dev/zero`
/// is refused, not read forever).
fn read_secret_file(path: &PathBuf, what: &str) -> Result<SecretString, ApiError> {
    let shown = || inert(&path.display().to_string()).into_owned();
    let mut bytes = Vec::new();
    let read = std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SECRET_OUTPUT as u64 + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        return Err(ApiError::Credentials(format!(
            "cannot read the {what} file {}: {e}",
            shown()
        )));
    }
    let result = if bytes.len() > MAX_SECRET_OUTPUT {
        Err(ApiError::Credentials(format!(
            "the {what} file {} is larger than {} KiB: it should hold only the {what}",
            shown(),
            MAX_SECRET_OUTPUT >> 10
        )))
    } else {
        match std::str::from_utf8(&bytes).map(str::trim) {
            Ok("") => Err(ApiError::Credentials(format!(
                "the {what} file {} is empty",
                shown()
            ))),
            Ok(t) => Ok(SecretString::from(t.to_owned())),
            Err(_) => Err(ApiError::Credentials(format!(
                "the {what} file {} is not text",
                shown()
            ))),
        }
    };
    bytes.zeroize();
    result
}

/// What one of the command's output pipes delivered so far.
#[derive(Default)]
struct Captured {
    data: Vec<u8>,
    overflow: bool,
    done: bool,
}

/// Reads `pipe` on a thread into a buffer capped at [`MAX_SECRET_OUTPUT`], so the command never
/// blocks on a full pipe and never makes us hold more than the cap.
fn capture(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<Captured>> {
    let shared = Arc::new(Mutex::new(Captured::default()));
    let out = Arc::clone(&shared);
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            let n = match pipe.read(&mut buf) {
                Ok(0) | Err(_) => 0,
                Ok(n) => n,
            };
            let Ok(mut c) = out.lock() else { break };
            if n == 0 {
                c.done = true;
                break;
            }
            if c.data.len() + n > MAX_SECRET_OUTPUT {
                c.overflow = true;
                c.done = true;
                break;
            }
            c.data.extend_from_slice(&buf[..n]);
        }
        buf.zeroize();
    });
    shared
}

fn take(c: &Mutex<Captured>) -> Captured {
    c.lock()
        .map(|mut c| std::mem::take(&mut *c))
        .unwrap_or_default()
}

/// Kills the command and everything it started in its process group.
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        let _ = rustix::process::kill_process_group(
            rustix::process::Pid::from_child(child),
            rustix::process::Signal::KILL,
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether a line of the command's error output may hold the secret: it contains the first line
/// of its standard output, or a word shaped like a token or key (24 or more characters of
/// letters, digits, `-` and `_`).
fn may_hold_secret(line: &str, stdout_first: &str) -> bool {
    let out = stdout_first.trim();
    (out.len() >= 8 && line.contains(out))
        || line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .any(|w| w.len() >= 24)
}

/// Runs a `token_command` (with `sh -c`, in its own process group, standard input closed) and
/// reads the token from the first line of its standard output. Both outputs are read while it
/// runs, each capped at [`MAX_SECRET_OUTPUT`]; past `timeout` or the cap, the command and what it
/// started are killed. The output is never shown; on failure, the first line of standard error is,
/// unless it may hold the token. The command cannot use the terminal: a password manager must be
/// unlocked beforehand (an agent), since a prompt has nowhere to go.
pub fn run_token_command(command: &str, timeout: Duration) -> Result<SecretString, ApiError> {
    let mut cmd = Command::new("sh");
    // In its own process group, the command is in the background of the terminal: reading it
    // would stop the command (SIGTTIN) until the timeout; ignored, the read fails at once.
    cmd.arg("-c")
        .arg(format!("trap '' TTIN TTOU\n{command}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| ApiError::Credentials(format!("cannot run token_command: {e}")))?;
    let out = child.stdout.take().map(capture);
    let err = child.stderr.take().map(capture);
    let overflowed = |c: &Option<Arc<Mutex<Captured>>>| {
        c.as_ref()
            .is_some_and(|c| c.lock().is_ok_and(|c| c.overflow))
    };
    let started = Instant::now();
    let status = loop {
        if overflowed(&out) {
            kill_group(&mut child);
            return Err(ApiError::Credentials(format!(
                "token_command printed more than {} KiB; it should print only the token",
                MAX_SECRET_OUTPUT >> 10
            )));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                kill_group(&mut child);
                return Err(ApiError::Credentials(format!(
                    "token_command did not finish within {}s and was stopped; it cannot ask for a passphrase (it runs without the terminal): unlock the password manager first",
                    timeout.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                kill_group(&mut child);
                return Err(ApiError::Credentials(format!("token_command: {e}")));
            }
        }
    };
    // Something the command left running may still hold its pipes: wait a little, then use what
    // arrived.
    let settle = Instant::now();
    let done = |c: &Option<Arc<Mutex<Captured>>>| {
        c.as_ref().is_none_or(|c| c.lock().map_or(true, |c| c.done))
    };
    while !(done(&out) && done(&err)) && settle.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut stdout = out.as_deref().map(take).unwrap_or_default();
    let stderr = err.as_deref().map(take).unwrap_or_default();
    if stdout.overflow {
        stdout.data.zeroize();
        return Err(ApiError::Credentials(format!(
            "token_command printed more than {} KiB; it should print only the token",
            MAX_SECRET_OUTPUT >> 10
        )));
    }
    let text = String::from_utf8_lossy(&stdout.data).into_owned();
    stdout.data.zeroize();
    let mut text = SecretString::from(text);
    let first = text.expose_secret().lines().next().unwrap_or("").trim();
    if !status.success() {
        let err_text = String::from_utf8_lossy(&stderr.data);
        let line = err_text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("");
        let shown = if line.is_empty() {
            String::new()
        } else if may_hold_secret(line, first) {
            ": its error output is not shown because it may contain the token".to_owned()
        } else {
            let short: String = line.chars().take(200).collect();
            format!(": {}", inert(&short))
        };
        return Err(ApiError::Credentials(format!(
            "token_command failed ({status}){shown}"
        )));
    }
    if first.is_empty() {
        return Err(ApiError::Credentials(
            "token_command printed nothing".to_owned(),
        ));
    }
    let token = SecretString::from(first.to_owned());
    text.zeroize();
    Ok(token)
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

    use crate::api::env_of;

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
    fn a_loud_token_command_is_read_while_it_runs_and_stopped() {
        // 1 MiB of output: no deadlock on a full pipe, a clear message, quickly.
        let started = Instant::now();
        let e = run_token_command(
            "head -c 1048576 /dev/zero | tr '\\0' a; sleep 30",
            Duration::from_secs(20),
        );
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("more than 64 KiB"), "{msg}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        // Just under the cap, on one line after the token: fine.
        let ok = run_token_command(
            "echo tok; head -c 60000 /dev/zero | tr '\\0' b",
            Duration::from_secs(20),
        );
        assert_eq!(
            ok.ok().map(|t| t.expose_secret().to_owned()).as_deref(),
            Some("tok")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_timeout_kills_the_command_and_what_it_started() {
        let marker = std::env::temp_dir().join(format!("cfingress-tc-{}", std::process::id()));
        let _ = std::fs::remove_file(&marker);
        let started = Instant::now();
        let cmd = format!("(sleep 2; touch '{}') & sleep 30", marker.display());
        let e = run_token_command(&cmd, Duration::from_millis(300));
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("did not finish within"), "{msg}");
        assert!(started.elapsed() < Duration::from_secs(3));
        std::thread::sleep(Duration::from_millis(2500));
        assert!(
            !marker.exists(),
            "the background child of the command was killed with it"
        );
    }

    #[test]
    fn error_output_that_may_hold_the_token_is_not_shown() {
        let e = run_token_command(
            "echo 0123456789abcdefghij0123456789abcdefghij; echo \"bad: 0123456789abcdefghij0123456789abcdefghij\" >&2; exit 1",
            Duration::from_secs(5),
        );
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("not shown") && !msg.contains("0123456789abcdefghij"),
            "{msg}"
        );
        let e = run_token_command(
            "printf 'x\\033]2;owned\\007\\n' >&2; exit 2",
            Duration::from_secs(5),
        );
        let msg = e.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains("\\x1b]2;owned\\x07") && !msg.contains('\u{1b}'),
            "{msg}"
        );
    }

    #[test]
    fn secret_files_are_bounded() {
        let e = read_secret_file(&PathBuf::from("/dev/zero"), "token")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("larger than 64 KiB"), "{e}");
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
