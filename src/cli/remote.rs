//! The commands that talk to the API (`tunnels`, `get`, `diff`, `apply`) and `sandbox`.
//! Exit status: 0 done, 1 a refusal (changes found by `diff`, an invalid config, a version
//! mismatch, a declined confirmation), 2 a failure (unreadable file, network or API error).

use std::io::{BufRead, IsTerminal, Write};

use std::path::Path;

use serde_json::json;

use super::{Command, ConfigFormat, OutputFormat, TargetArgs, diag_line};
use crate::api::{self, ApiError, Client, CredentialFlags, DEFAULT_API_URL, RemoteConfig};
use crate::config::diff::{canonical_text, summarize, unified};
use crate::config::files::{read_file, to_json_string, to_yaml_string};
use crate::config::model::TunnelConfig;
use crate::config::validate::{Diagnostic, validate};
use crate::sandbox::{self, SandboxOptions};
use crate::settings::Settings;
use crate::text::{inert, inert_multiline};

/// A command's failure: a message for stderr and an exit status.
struct Failure {
    code: u8,
    message: String,
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let code = match e {
            ApiError::BadConfiguration { .. } | ApiError::Unsendable { .. } => 1,
            _ => 2,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

/// Runs a remote command; prints failures to stderr.
pub async fn run(command: Command, target: &TargetArgs) -> u8 {
    let result = match command {
        Command::Tunnels { format } => tunnels(target, format).await,
        Command::Get { format } => get(target, format).await,
        Command::Diff { format, file } => diff(target, &file, format).await,
        Command::Apply {
            format,
            file,
            yes,
            expect_version,
        } => apply(target, &file, format, yes, expect_version).await,
        Command::Sandbox {
            listen,
            seeds,
            token,
        } => {
            run_sandbox(SandboxOptions {
                listen,
                seeds,
                token,
            })
            .await
        }
        Command::Validate { .. }
        | Command::Match { .. }
        | Command::Completions { .. }
        | Command::Man
        | Command::Fixture { .. } => Ok(0),
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            eprintln!("cfingress: {}", f.message);
            f.code
        }
    }
}

/// A connected client with the account (and maybe tunnel) to use.
pub struct Remote {
    /// The client.
    pub client: Client,
    /// The account id.
    pub account: String,
    /// The tunnel as given (id or name), if any.
    pub tunnel: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Builds a client from flags, environment and settings, and settles the account.
async fn connect(target: &TargetArgs) -> Result<Remote, Failure> {
    let (client, account, tunnel) = client_for(target)?;
    let account = match account {
        Some(a) => a,
        None => {
            let accounts = client.list_accounts().await?;
            match accounts.as_slice() {
                [one] => one.id.clone(),
                [] => {
                    return Err(fail(
                        2,
                        "these credentials see no account; pass --account ID",
                    ));
                }
                many => {
                    let names: Vec<String> = many
                        .iter()
                        .map(|a| format!("{} ({})", inert(&a.name), a.id))
                        .collect();
                    return Err(fail(
                        2,
                        format!(
                            "these credentials see {} accounts; pass --account ID: {}",
                            many.len(),
                            names.join(", ")
                        ),
                    ));
                }
            }
        }
    };
    Ok(Remote {
        client,
        account,
        tunnel,
    })
}

/// The client, and the account and tunnel given by flags, environment or profile (if any).
fn client_for(target: &TargetArgs) -> Result<(Client, Option<String>, Option<String>), Failure> {
    let settings = Settings::load().map_err(|e| fail(2, e.to_string()))?;
    for w in settings.warnings() {
        eprintln!("cfingress: warning: {w}");
    }
    let profile = settings
        .profile(target.profile.as_deref())
        .map_err(|e| fail(2, e.to_string()))?;
    let api_url = target
        .api_url
        .clone()
        .or_else(|| env("CFINGRESS_API_URL"))
        .or_else(|| profile.and_then(|p| p.api_url.clone()))
        .unwrap_or_else(|| DEFAULT_API_URL.to_owned());
    let flags = CredentialFlags {
        token_file: target.api_token_file.clone(),
        email: target.email.clone(),
        key_file: target.api_key_file.clone(),
    };
    let creds = api::resolve(&flags, &|k| std::env::var(k).ok(), profile)?;
    let client = Client::new(&api_url, creds)?;
    let account = target
        .account
        .clone()
        .or_else(|| env("CLOUDFLARE_ACCOUNT_ID"))
        .or_else(|| profile.and_then(|p| p.account_id.clone()));
    let tunnel = target
        .tunnel
        .clone()
        .or_else(|| env("CLOUDFLARE_TUNNEL_ID"))
        .or_else(|| profile.and_then(|p| p.tunnel_id.clone()));
    Ok((client, account, tunnel))
}

fn looks_like_uuid(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

impl Remote {
    /// The tunnel id: given as an id, or looked up by name.
    async fn tunnel_id(&self) -> Result<String, Failure> {
        let Some(t) = &self.tunnel else {
            return Err(fail(
                2,
                "no tunnel given: pass --tunnel ID|NAME or set CLOUDFLARE_TUNNEL_ID (`cfingress tunnels` lists them)",
            ));
        };
        if looks_like_uuid(t) {
            return Ok(t.clone());
        }
        let found = self.client.list_tunnels(&self.account, Some(t)).await?;
        match found.as_slice() {
            [one] => Ok(one.id.clone()),
            [] => Err(fail(
                2,
                format!(
                    "no tunnel named \"{}\" in this account (`cfingress tunnels` lists them)",
                    inert(t)
                ),
            )),
            _ => Err(fail(
                2,
                format!("several tunnels are named \"{}\"; pass its id", inert(t)),
            )),
        }
    }
}

async fn tunnels(target: &TargetArgs, format: OutputFormat) -> Result<u8, Failure> {
    let remote = connect(target).await?;
    let list = remote.client.list_tunnels(&remote.account, None).await?;
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            let _ = writeln!(out, "{}", serde_json::to_string(&list).unwrap_or_default());
        }
        OutputFormat::Text => {
            if list.is_empty() {
                let _ = writeln!(out, "no tunnels in account {}", remote.account);
                return Ok(0);
            }
            let w = list
                .iter()
                .map(|t| inert(&t.name).chars().count())
                .max()
                .unwrap_or(4)
                .max(4);
            let _ = writeln!(
                out,
                "{:<w$}  {:<36}  {:<8}  {:<10}  CREATED",
                "NAME", "ID", "STATUS", "CONFIG"
            );
            for t in &list {
                let _ = writeln!(
                    out,
                    "{:<w$}  {:<36}  {:<8}  {:<10}  {}",
                    inert(&t.name),
                    inert(&t.id),
                    inert(&t.status),
                    inert(&t.config_src),
                    inert(&t.created_at)
                );
            }
        }
    }
    Ok(0)
}

async fn fetch(remote: &Remote) -> Result<(String, RemoteConfig), Failure> {
    let id = remote.tunnel_id().await?;
    let config = remote.client.get_config(&remote.account, &id).await?;
    Ok((id, config))
}

async fn get(target: &TargetArgs, format: ConfigFormat) -> Result<u8, Failure> {
    let remote = connect(target).await?;
    let (id, rc) = fetch(&remote).await?;
    let Some(config) = rc.config else {
        return Err(fail(
            1,
            format!(
                "tunnel {id} has no remote config yet (version 0); `cfingress apply FILE` publishes one"
            ),
        ));
    };
    let text = match format {
        ConfigFormat::Json => to_json_string(&config, false),
        ConfigFormat::Yaml => to_yaml_string(&config),
    }
    .map_err(|e| fail(2, e.to_string()))?;
    eprintln!("# tunnel {id}, config version {}", rc.version);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    Ok(0)
}

fn load_file(file: &Path) -> Result<TunnelConfig, Failure> {
    read_file(file)
        .map(|l| l.config)
        .map_err(|e| fail(2, e.to_string()))
}

struct Comparison {
    lines: Vec<String>,
    diff: String,
}

fn compare(remote: Option<&TunnelConfig>, local: &TunnelConfig, file: &Path) -> Comparison {
    let empty = TunnelConfig::default();
    let old = remote.unwrap_or(&empty);
    let summary = summarize(old, local);
    let old_text = if remote.is_some() {
        canonical_text(old)
    } else {
        String::new()
    };
    Comparison {
        lines: summary.lines(),
        diff: unified(
            &old_text,
            &canonical_text(local),
            "remote",
            &file.display().to_string(),
        ),
    }
}

async fn diff(target: &TargetArgs, file: &Path, format: OutputFormat) -> Result<u8, Failure> {
    let local = load_file(file)?;
    let remote = connect(target).await?;
    let (_, rc) = fetch(&remote).await?;
    let c = compare(rc.config.as_ref(), &local, file);
    let changed = !c.diff.is_empty();
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            let _ = writeln!(
                out,
                "{}",
                json!({"changes": changed, "remote_version": rc.version, "summary": c.lines, "diff": c.diff})
            );
        }
        OutputFormat::Text => {
            if changed {
                let _ = writeln!(
                    out,
                    "Changes from the remote config (version {}) to {}:",
                    rc.version,
                    inert(&file.display().to_string())
                );
                for l in &c.lines {
                    let _ = writeln!(out, "  {l}");
                }
                let _ = writeln!(out);
                let _ = write!(out, "{}", inert_multiline(&c.diff));
            } else {
                let _ = writeln!(
                    out,
                    "No changes: the remote config (version {}) equals {}",
                    rc.version,
                    inert(&file.display().to_string())
                );
            }
        }
    }
    Ok(u8::from(changed))
}

fn confirm(question: &str) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(fail(
            1,
            "not publishing: standard input is not a terminal to confirm on; pass --yes to publish without asking",
        ));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| fail(2, format!("cannot read the answer: {e}")))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

async fn apply(
    target: &TargetArgs,
    file: &Path,
    format: OutputFormat,
    yes: bool,
    expect_version: Option<u64>,
) -> Result<u8, Failure> {
    let local = load_file(file)?;
    let diags = validate(&local);
    if diags.iter().any(Diagnostic::is_error) {
        let mut msg = format!(
            "not publishing {}: cloudflared would refuse it:",
            inert(&file.display().to_string())
        );
        for d in diags.iter().filter(|d| d.is_error()) {
            msg.push('\n');
            msg.push_str(&diag_line(&local, d));
        }
        return Err(fail(1, msg));
    }
    let remote = connect(target).await?;
    let (id, rc) = fetch(&remote).await?;
    if let Some(want) = expect_version
        && rc.version != want
    {
        return Err(fail(
            1,
            format!(
                "not publishing: the remote config is at version {}, not {want}: someone changed it; run `cfingress diff {}` and retry with --expect-version {}",
                rc.version,
                inert(&file.display().to_string()),
                rc.version
            ),
        ));
    }
    let c = compare(rc.config.as_ref(), &local, file);
    let text_out = format == OutputFormat::Text;
    if c.diff.is_empty() {
        if text_out {
            println!(
                "Nothing to publish: the remote config (version {}) already equals {}",
                rc.version,
                inert(&file.display().to_string())
            );
        } else {
            println!("{}", json!({"published": false, "version": rc.version}));
        }
        return Ok(0);
    }
    {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "Changes to tunnel {id} (remote version {}):",
            rc.version
        );
        for l in &c.lines {
            let _ = writeln!(err, "  {l}");
        }
        for d in diags.iter() {
            let _ = writeln!(err, "{}", diag_line(&local, d));
        }
        let _ = writeln!(err);
        let _ = write!(err, "{}", inert_multiline(&c.diff));
    }
    if !yes && !confirm("Publish these changes?")? {
        return Err(fail(1, "not published"));
    }
    let published = remote
        .client
        .put_config(&remote.account, &id, &local, Some(rc.version))
        .await?;
    if text_out {
        println!(
            "Published version {} (was {})",
            published.version, rc.version
        );
    } else {
        println!(
            "{}",
            json!({"published": true, "version": published.version, "previous_version": rc.version})
        );
    }
    Ok(0)
}

/// Opens the editor: on the demo sandbox, on a file, or on a tunnel.
pub async fn editor(
    target: &TargetArgs,
    demo: bool,
    file: Option<std::path::PathBuf>,
    ascii: bool,
) -> u8 {
    match editor_inner(target, demo, file, ascii).await {
        Ok(code) => code,
        Err(f) => {
            eprintln!("cfingress: {}", f.message);
            f.code
        }
    }
}

async fn editor_inner(
    target: &TargetArgs,
    demo: bool,
    file: Option<std::path::PathBuf>,
    ascii: bool,
) -> Result<u8, Failure> {
    use crate::app::App;
    use crate::config::files::Format;
    use crate::effects::Context;
    use crate::tui::{Exit, Theme};
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(fail(
            2,
            "the editor needs a terminal; for scripts use the headless commands (validate, match, get, diff, apply; see --help)",
        ));
    }
    let settings = Settings::load().map_err(|e| fail(2, e.to_string()))?;
    // Bad `[keys]` are reported now, each with its line and column, before the screen changes.
    let keymap = settings.keymap().map_err(|e| fail(2, e.to_string()))?;
    let theme = Theme {
        color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && settings.ui.color != Some(false),
        ascii: ascii || settings.ui.ascii == Some(true),
    };
    let mut _sandbox = None;
    let (app, effects, ctx) = if let Some(path) = file {
        // A file that does not exist yet cannot be canonicalized: make it absolute (the draft
        // key and the messages name it in full); saving creates it.
        let path = std::fs::canonicalize(&path)
            .or_else(|_| std::path::absolute(&path))
            .unwrap_or(path);
        let format = Format::from_path(&path);
        let (app, effects) = App::file(path.clone(), format);
        let ctx = Context::new(None, Some((path, format)));
        (app, effects, ctx)
    } else if demo {
        let handle = sandbox::start(SandboxOptions::default())
            .await
            .map_err(|e| fail(2, e.to_string()))?;
        let token = secrecy::SecretString::from(handle.info.token.clone());
        let client = Client::new(&handle.info.api_url, api::Credentials::Token(token))?;
        let demo_id = handle
            .info
            .tunnels
            .iter()
            .find(|t| t.name == "demo")
            .map(|t| t.id.clone());
        let (mut app, effects) = App::remote(Some(handle.info.account_id.clone()), demo_id);
        if let Some(crate::app::Origin::Remote {
            account_name,
            tunnel_name,
            ..
        }) = &mut app.origin
        {
            *account_name = "Sandbox Account".to_owned();
            *tunnel_name = "demo".to_owned();
        }
        _sandbox = Some(handle);
        let ctx = Context::new(Some(client), None);
        (app, effects, ctx)
    } else {
        let (client, account, tunnel_arg) = client_for(target)?;
        // With a tunnel named, settle the account now (the only one visible, if not given);
        // without one, the pickers ask.
        let remote = if tunnel_arg.is_some() {
            connect(target).await?
        } else {
            Remote {
                client,
                account: account.clone().unwrap_or_default(),
                tunnel: None,
            }
        };
        // A tunnel name that matches nothing opens the picker filtered by it, rather than
        // leaving: the name was probably mistyped.
        let unknown_name = match &remote.tunnel {
            Some(t) if !looks_like_uuid(t) => {
                let found = remote.client.list_tunnels(&remote.account, Some(t)).await?;
                found.is_empty().then(|| t.clone())
            }
            _ => None,
        };
        let tunnel = match (&remote.tunnel, &unknown_name) {
            (Some(_), None) => Some(remote.tunnel_id().await?),
            _ => None,
        };
        let account = if tunnel.is_some() || unknown_name.is_some() {
            Some(remote.account.clone())
        } else {
            account
        };
        let (mut app, effects) = match (unknown_name, account) {
            (Some(name), Some(account)) => App::remote_pick(account, name),
            (_, account) => App::remote(account, tunnel.clone()),
        };
        if let (Some(crate::app::Origin::Remote { tunnel_name, .. }), Some(name)) =
            (&mut app.origin, &remote.tunnel)
            && Some(name) != tunnel.as_ref()
        {
            *tunnel_name = name.clone();
        }
        let ctx = Context::new(Some(remote.client), None);
        (app, effects, ctx)
    };
    let app = app.with_keymap(keymap);
    match crate::tui::run(app, effects, ctx, theme, settings.ui.mouse == Some(true)).await {
        Ok(Exit::Quit) => Ok(0),
        Ok(Exit::Signal) => Ok(1),
        Err(e) => Err(fail(2, e)),
    }
}

async fn run_sandbox(options: SandboxOptions) -> Result<u8, Failure> {
    let handle = sandbox::start(options)
        .await
        .map_err(|e| fail(2, e.to_string()))?;
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string(&handle.info).unwrap_or_default()
        );
        let _ = out.flush();
    }
    eprintln!(
        "cfingress sandbox: serving {} tunnel(s) at {} until interrupted (Ctrl-C)",
        handle.info.tunnels.len(),
        handle.info.api_url
    );
    wait_for_signal().await;
    handle.stop().await;
    Ok(0)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let hup = signal(SignalKind::hangup());
        match (term, hup) {
            (Ok(mut term), Ok(mut hup)) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                    _ = hup.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
