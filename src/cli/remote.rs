//! The commands that talk to the API (`tunnels`, `get`, `diff`, `apply`, `rollback`) and
//! `sandbox`; `history` (offline) lives in its own module. Exit status: 0 done, 1 a refusal (changes found by `diff`,
//! an invalid config, a version mismatch, a declined confirmation, a publish that needs
//! attention), 2 a failure (unreadable file, network or API error).

use std::io::{BufRead, IsTerminal, Write};

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::dns::{APPLY_FLAGS, DnsPlan, attention};
use super::{
    Command, ConfigFormat, DnsCommand, OutputFormat, TargetArgs, WaitArgs, diag_line,
    report_failure, shell_quote,
};
use crate::api::ids::is_uuid;
use crate::api::{self, ApiError, Client, CredentialFlags, DEFAULT_API_URL, IdKind, RemoteConfig};
use crate::config::diff::{canonical_text, summarize, unified};
use crate::config::encode::config_to_json;
use crate::config::files::{read_file, to_json_string, to_yaml_string};
use crate::config::model::TunnelConfig;
use crate::config::validate::{Diagnostic, validate};
use crate::dns::Choices;
use crate::effects::journal::{self, Found, Journal};
use crate::effects::publish::{self, Outcome};
use crate::sandbox::{self, SandboxOptions};
use crate::settings::Settings;
use crate::text::{inert, inert_multiline, json_inert};

/// A command's failure: a message for stderr and an exit status.
pub(super) struct Failure {
    pub(super) code: u8,
    pub(super) message: String,
    /// Extra fields of the JSON error object.
    pub(super) details: Option<Map<String, Value>>,
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let code = match e {
            ApiError::BadConfiguration { .. } | ApiError::Unsendable { .. } => 1,
            _ => 2,
        };
        fail(code, e.to_string())
    }
}

pub(super) fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
        details: None,
    }
}

/// Runs a remote command; prints failures to stderr (and as JSON on stdout for `--format json`).
/// `outer`: the target options given before the command's name.
pub async fn run(command: Command, outer: &TargetArgs) -> u8 {
    let json = command.json_output();
    let result = match command {
        Command::Tunnels { format, target } => tunnels(&target.or(outer), format).await,
        Command::Get { format, target } => get(&target.or(outer), format).await,
        Command::Diff {
            format,
            file,
            no_dns,
            target,
        } => diff(&target.or(outer), &file, format, !no_dns).await,
        Command::Apply {
            format,
            file,
            yes,
            expect_version,
            no_dns,
            prune_dns,
            wait,
            target,
        } => {
            let dns = (!no_dns).then_some(Choices {
                prune: prune_dns,
                ..Choices::DEFAULT
            });
            let target = target.or(outer);
            apply(&target, &file, format, yes, expect_version, dns, wait).await
        }
        Command::Dns {
            command: DnsCommand::Check { format, target },
        } => super::dns::check(&target.or(outer), format).await,
        Command::Dns {
            command:
                DnsCommand::Sync {
                    format,
                    prune,
                    take_over,
                    yes,
                    target,
                },
        } => {
            let choices = Choices {
                create: true,
                prune,
                take_over,
            };
            super::dns::sync(&target.or(outer), choices, yes, format).await
        }
        Command::History {
            format,
            file,
            target,
        } => super::history::history(&target.or(outer), file.as_deref(), format),
        Command::Rollback {
            format,
            to_version,
            yes,
            wait,
            target,
        } => rollback(&target.or(outer), to_version, yes, format, wait).await,
        Command::Status { format, target } => {
            super::status::status(&target.or(outer), format).await
        }
        Command::Doctor { format, target } => {
            super::doctor::doctor(&target.or(outer), format).await
        }
        Command::Validate { format, target, .. } => {
            super::live::validate(&target.or(outer), format).await
        }
        Command::Match {
            format,
            args,
            target,
        } => match args.first().and_then(|u| u.to_str()) {
            Some(url) => super::live::match_url(&target.or(outer), url, format).await,
            None => Err(fail(2, "the URL is not valid UTF-8")),
        },
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
        Command::Completions { .. } | Command::Man | Command::Fixture { .. } => Ok(0),
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            report_failure(&f.message, f.code, f.details.as_ref(), json);
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
pub(super) async fn connect(target: &TargetArgs) -> Result<Remote, Failure> {
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
                        .map(|a| format!("{} ({})", inert(&a.name), inert(&a.id)))
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
pub(super) fn client_for(
    target: &TargetArgs,
) -> Result<(Client, Option<String>, Option<String>), Failure> {
    let settings = load_settings()?;
    let token_files = [
        (&target.api_token_file, "the token file"),
        (&target.api_key_file, "the key file"),
    ];
    let file_warnings = token_files.into_iter().flat_map(|(path, what)| {
        path.as_deref()
            .map(|p| crate::safe_fs::permission_warnings(p, what, true))
            .unwrap_or_default()
    });
    for w in file_warnings {
        eprintln!("cfingress: warning: {}", inert(&w));
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
    let (account, tunnel) = ids_in(target, profile)?;
    Ok((client, account, tunnel))
}

fn load_settings() -> Result<Settings, Failure> {
    let settings = Settings::load().map_err(|e| fail(2, e.to_string()))?;
    for w in settings.warnings() {
        eprintln!("cfingress: warning: {}", inert(&w));
    }
    Ok(settings)
}

/// The account and tunnel given by flags, environment or profile (no network, no credentials).
pub(super) fn ids_for(target: &TargetArgs) -> Result<(Option<String>, Option<String>), Failure> {
    let settings = load_settings()?;
    let profile = settings
        .profile(target.profile.as_deref())
        .map_err(|e| fail(2, e.to_string()))?;
    ids_in(target, profile)
}

/// Whether a tunnel is given by flag, environment or profile (no network, no credentials, no
/// warnings: the command that goes on reports those once).
pub(super) fn tunnel_given(target: &TargetArgs) -> bool {
    target.tunnel.is_some()
        || env("CLOUDFLARE_TUNNEL_ID").is_some()
        || Settings::load().ok().is_some_and(|s| {
            s.profile(target.profile.as_deref())
                .ok()
                .flatten()
                .is_some_and(|p| p.tunnel_id.is_some())
        })
}

fn ids_in(
    target: &TargetArgs,
    profile: Option<&crate::settings::Profile>,
) -> Result<(Option<String>, Option<String>), Failure> {
    let account = given_id(
        IdKind::Account,
        [
            ("--account", target.account.clone()),
            ("CLOUDFLARE_ACCOUNT_ID", env("CLOUDFLARE_ACCOUNT_ID")),
            (
                "the profile's account_id",
                profile.and_then(|p| p.account_id.clone()),
            ),
        ],
    )?;
    let tunnel = target
        .tunnel
        .clone()
        .or_else(|| env("CLOUDFLARE_TUNNEL_ID"))
        .or_else(|| profile.and_then(|p| p.tunnel_id.clone()));
    Ok((account, tunnel))
}

/// The first of `sources` that is set, checked to have `kind`'s shape; the error names where it
/// came from.
fn given_id<const N: usize>(
    kind: IdKind,
    sources: [(&str, Option<String>); N],
) -> Result<Option<String>, Failure> {
    let Some((from, value)) = sources
        .into_iter()
        .find_map(|(from, v)| v.map(|v| (from, v.trim().to_owned())))
    else {
        return Ok(None);
    };
    kind.check_given(&value)
        .map_err(|e| fail(2, format!("{e} (from {from})")))?;
    Ok(Some(value))
}

/// Connects, finds the tunnel (with its name) and reads its remote config.
pub(super) async fn connect_to_tunnel(
    target: &TargetArgs,
) -> Result<(Remote, TunnelRef, RemoteConfig), Failure> {
    let remote = connect(target).await?;
    let tunnel = remote.tunnel(true).await?;
    let rc = remote
        .client
        .get_config(&remote.account, &tunnel.id)
        .await?;
    Ok((remote, tunnel, rc))
}

/// A tunnel as the commands name it.
pub(super) struct TunnelRef {
    pub(super) id: String,
    pub(super) name: Option<String>,
}

impl TunnelRef {
    /// `name (id)`, or the id alone.
    pub(super) fn shown(&self) -> String {
        match &self.name {
            Some(n) => format!("{} ({})", inert(n), inert(&self.id)),
            None => inert(&self.id).into_owned(),
        }
    }
}

impl Remote {
    /// The tunnel id: given as an id, or looked up by name.
    async fn tunnel_id(&self) -> Result<String, Failure> {
        self.tunnel(false).await.map(|t| t.id)
    }

    /// The tunnel, given as an id or a name; with `named`, its name is looked up when an id was
    /// given.
    pub(super) async fn tunnel(&self, named: bool) -> Result<TunnelRef, Failure> {
        let Some(t) = &self.tunnel else {
            return Err(fail(
                2,
                "no tunnel given: pass --tunnel ID|NAME or set CLOUDFLARE_TUNNEL_ID (`cfingress tunnels` lists them)",
            ));
        };
        if is_uuid(t) {
            let name = if named {
                Some(self.client.get_tunnel(&self.account, t).await?.name).filter(|n| !n.is_empty())
            } else {
                None
            };
            return Ok(TunnelRef {
                id: t.clone(),
                name,
            });
        }
        let mut found = self.client.list_tunnels(&self.account, Some(t)).await?;
        // The API filters by name; a server that answers other tunnels is not believed.
        found.retain(|found| found.name.eq_ignore_ascii_case(t));
        match found.as_slice() {
            [one] => Ok(TunnelRef {
                id: one.id.clone(),
                name: Some(one.name.clone()),
            }),
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
            let _ = writeln!(out, "{}", json_inert(&list));
        }
        OutputFormat::Text => {
            if list.is_empty() {
                let _ = writeln!(out, "no tunnels in account {}", inert(&remote.account));
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
                "tunnel {} has no remote config yet (version 0); `cfingress apply FILE` publishes one",
                inert(&id)
            ),
        ));
    };
    let text = match format {
        ConfigFormat::Json => to_json_string(&config, false),
        ConfigFormat::Yaml => to_yaml_string(&config),
    }
    .map_err(|e| fail(2, e.to_string()))?;
    eprintln!("# tunnel {}, config version {}", inert(&id), rc.version);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    Ok(0)
}

fn load_file(file: &Path) -> Result<TunnelConfig, Failure> {
    read_file(file)
        .map(|l| l.config)
        .map_err(|e| fail(2, e.to_string()))
}

pub(super) fn shown_path(file: &Path) -> String {
    inert(&file.display().to_string()).into_owned()
}

/// Words joined by single spaces, empty ones left out: a command line to paste.
fn command_line(words: &[&str]) -> String {
    words
        .iter()
        .filter(|w| !w.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

fn details(fields: &[(&str, Value)]) -> Option<Map<String, Value>> {
    Some(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

/// Refuses a config the API cannot store (a fractional duration, a key that would change meaning
/// in JSON), before any diff is shown: `what` says what is refused.
fn check_sendable(config: &TunnelConfig, what: &str, code: u8) -> Result<(), Failure> {
    config_to_json(config)
        .map(|_| ())
        .map_err(|e| fail(code, format!("{what}: {}", inert(&e.to_string()))))
}

/// Refuses a config cloudflared would refuse; returns its diagnostics (warnings) otherwise.
fn refuse_invalid(config: &TunnelConfig, what: &str) -> Result<Vec<Diagnostic>, Failure> {
    let diags = validate(config);
    if diags.iter().any(Diagnostic::is_error) {
        let mut msg = format!("{what}: cloudflared would refuse it:");
        for d in diags.iter().filter(|d| d.is_error()) {
            msg.push('\n');
            msg.push_str(&diag_line(config, d));
        }
        return Err(fail(1, msg));
    }
    Ok(diags)
}

struct Comparison {
    lines: Vec<String>,
    diff: String,
}

fn compare(remote: Option<&TunnelConfig>, local: &TunnelConfig, new_name: &str) -> Comparison {
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
        diff: unified(&old_text, &canonical_text(local), "remote", new_name),
    }
}

async fn diff(
    target: &TargetArgs,
    file: &Path,
    format: OutputFormat,
    with_dns: bool,
) -> Result<u8, Failure> {
    let local = load_file(file)?;
    check_sendable(
        &local,
        &format!("cannot compare {} with the remote config", shown_path(file)),
        2,
    )?;
    let remote = connect(target).await?;
    let (id, rc) = fetch(&remote).await?;
    let c = compare(rc.config.as_ref(), &local, &file.display().to_string());
    let changed = !c.diff.is_empty();
    let dns = if with_dns {
        let tunnel = TunnelRef { id, name: None };
        Some(DnsPlan::read(&remote, &tunnel, &local, Choices::DEFAULT, APPLY_FLAGS).await)
    } else {
        None
    };
    let dns_changes = dns.as_ref().is_some_and(|d| !d.to_make().is_empty());
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            let mut doc = json!({"changes": changed, "remote_version": rc.version, "summary": c.lines, "diff": c.diff});
            if let Some(d) = &dns {
                doc["dns"] = d.json();
            }
            let _ = writeln!(out, "{}", json_inert(&doc));
        }
        OutputFormat::Text => {
            if changed {
                let _ = writeln!(
                    out,
                    "Changes from the remote config (version {}) to {}:",
                    rc.version,
                    shown_path(file)
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
                    shown_path(file)
                );
            }
            if let Some(d) = &dns {
                let _ = writeln!(out);
                d.write_section(&mut out);
            }
        }
    }
    Ok(u8::from(changed || dns_changes))
}

/// Asks `question` on the terminal; `refused` starts the message when there is no terminal
/// ("not publishing").
pub(super) fn confirm(question: &str, refused: &str) -> Result<bool, Failure> {
    if !std::io::stdin().is_terminal() {
        return Err(fail(
            1,
            format!(
                "{refused}: standard input is not a terminal to confirm on; pass --yes to go ahead without asking"
            ),
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

/// The timeout of `--wait`: `--wait-timeout`, else the settings' `rollout.wait_timeout`, else
/// 60 s; `None` without `--wait`.
fn wait_timeout(wait: WaitArgs) -> Option<Duration> {
    wait.wait.then(|| match wait.wait_timeout {
        Some(secs) => Duration::from_secs(secs),
        None => Settings::load()
            .map(|s| s.rollout.timeout())
            .unwrap_or(crate::effects::rollout::DEFAULT_TIMEOUT),
    })
}

async fn apply(
    target: &TargetArgs,
    file: &Path,
    format: OutputFormat,
    yes: bool,
    expect_version: Option<u64>,
    dns: Option<Choices>,
    wait: WaitArgs,
) -> Result<u8, Failure> {
    let local = load_file(file)?;
    let refusal = format!("not publishing {}", shown_path(file));
    check_sendable(&local, &refusal, 1)?;
    let diags = refuse_invalid(&local, &refusal)?;
    let (remote, tunnel, rc) = connect_to_tunnel(target).await?;
    let words = target.shell_words();
    let quoted_file = shell_quote(&file.display().to_string());
    let again = command_line(&["cfingress diff", &words, &quoted_file]);
    if let Some(want) = expect_version
        && rc.version != want
    {
        let version = rc.version.to_string();
        let retry = command_line(&[
            "cfingress apply",
            &words,
            "--expect-version",
            &version,
            &quoted_file,
        ]);
        return Err(Failure {
            code: 1,
            message: format!(
                "not publishing: the remote config of tunnel {} is at version {version}, not {want}: someone changed it. See what changed with `{again}`; if {} is still what you want, publish it with `{retry}`",
                tunnel.shown(),
                shown_path(file),
            ),
            details: details(&[
                ("remote_version", rc.version.into()),
                ("expected_version", want.into()),
            ]),
        });
    }
    let plan = Plan {
        new_name: file.display().to_string(),
        via: format!(
            "apply {}",
            std::fs::canonicalize(file)
                .unwrap_or_else(|_| file.to_path_buf())
                .display()
        ),
        again,
        yes,
        format,
        dns,
        wait: wait_timeout(wait),
    };
    publish_reviewed(&remote, &tunnel, rc, &local, &diags, &plan).await
}

/// How a reviewed publish is named and asked for.
struct Plan {
    /// The new config's name in the diff and messages: a file, `version N`.
    new_name: String,
    /// For the journal: `apply FILE`, `rollback to version N`.
    via: String,
    /// A command that shows the difference again.
    again: String,
    /// Publish without asking.
    yes: bool,
    /// Output format.
    format: OutputFormat,
    /// Which DNS changes go with the publish; `None` leaves DNS alone.
    dns: Option<Choices>,
    /// With `--wait`: how long to wait for the connectors.
    wait: Option<Duration>,
}

/// Shows the change from `rc` to `config` (and, unless `plan.dns` is `None`, the DNS changes
/// that go with it), asks (unless `--yes`), then publishes through the checked protocol (nothing
/// is sent when the remote moved from `rc` meanwhile) and, once the config is published, makes
/// the DNS changes: a DNS failure never hides the publish, it makes the exit status 1.
async fn publish_reviewed(
    remote: &Remote,
    tunnel: &TunnelRef,
    rc: RemoteConfig,
    config: &TunnelConfig,
    diags: &[Diagnostic],
    plan: &Plan,
) -> Result<u8, Failure> {
    let text_out = plan.format == OutputFormat::Text;
    let c = compare(rc.config.as_ref(), config, &plan.new_name);
    let config_changed = !c.diff.is_empty();
    let dns = match plan.dns {
        Some(choices) => Some(DnsPlan::read(remote, tunnel, config, choices, APPLY_FLAGS).await),
        None => None,
    };
    let dns_on = dns.as_ref().map_or(0, |d| d.to_make().len());
    let show_dns = dns
        .as_ref()
        .filter(|d| dns_on > 0 || !d.report.is_clean() || d.report.has_unknown());
    {
        let mut err = std::io::stderr().lock();
        if config_changed {
            let _ = writeln!(
                err,
                "Changes to tunnel {}, from remote version {}:",
                tunnel.shown(),
                rc.version
            );
            for l in &c.lines {
                let _ = writeln!(err, "  {l}");
            }
            for d in diags {
                let _ = writeln!(err, "{}", diag_line(config, d));
            }
            let _ = writeln!(err);
            let _ = write!(err, "{}", inert_multiline(&c.diff));
        }
        if let Some(d) = show_dns {
            if config_changed {
                let _ = writeln!(err);
            }
            d.write_section(&mut err);
        }
    }
    if config_changed || dns_on > 0 {
        let (question, refused) = match (config_changed, &dns) {
            (true, Some(d)) if dns_on > 0 => (
                format!("Publish these changes and {}?", d.question()),
                "not publishing",
            ),
            (true, _) => ("Publish these changes?".to_owned(), "not publishing"),
            (false, Some(d)) => (
                format!("The config is already published; {}?", d.question()),
                "DNS not changed",
            ),
            (false, None) => (String::new(), ""),
        };
        if !plan.yes && !confirm(&question, refused)? {
            return Err(fail(
                1,
                if config_changed {
                    "not published"
                } else {
                    "DNS not changed"
                },
            ));
        }
    }
    let mut version = rc.version;
    let mut doc = json!({"published": false, "version": version});
    let mut headline = format!(
        "Nothing to publish: the remote config of tunnel {} already equals {} (version {version})",
        tunnel.shown(),
        inert(&plan.new_name),
    );
    let mut warnings = Vec::new();
    if config_changed {
        let report = publish::publish(publish::Request {
            client: &remote.client,
            account: &remote.account,
            tunnel: &tunnel.id,
            tunnel_name: tunnel.name.as_deref(),
            config,
            reviewed_version: rc.version,
            via: &plan.via,
        })
        .await?;
        if let Some(w) = report.journal.warning() {
            eprintln!("cfingress: warning: {}", inert(&w));
        }
        match report.outcome {
            Outcome::NoChanges { current } => {
                version = current.version;
                doc["version"] = version.into();
                headline = format!(
                    "Nothing to publish: the remote config of tunnel {} already equals {} (version {version})",
                    tunnel.shown(),
                    inert(&plan.new_name),
                );
            }
            Outcome::Moved { reviewed, current } => {
                // Nothing was sent, DNS changes included.
                return Err(moved(tunnel, rc.config.as_ref(), reviewed, &current, plan));
            }
            Outcome::Unknown { error, .. } => {
                let mut f = Failure::from(error);
                f.message
                    .push_str(" (journaled as a publish whose outcome is unknown)");
                return Err(f);
            }
            Outcome::Published(p) => {
                warnings = p.warnings();
                headline = p.headline();
                version = p.after.version;
                doc = json!({"published": true, "version": version, "previous_version": p.before.version});
                if !warnings.is_empty() {
                    doc["warnings"] = json!(warnings);
                }
            }
        }
    }
    // The config is published (or already was): now DNS, whatever happens to it.
    let made = match &dns {
        Some(d) => Some(d.make(remote, tunnel, config).await),
        None => None,
    };
    if let Some(m) = &made {
        doc["dns"] = m.json();
    }
    if text_out {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{headline}");
        if let Some(m) = made.as_ref().filter(|_| show_dns.is_some()) {
            m.write(&mut out);
        }
    }
    for w in &warnings {
        eprintln!("cfingress: WARNING: {}", inert_multiline(w));
    }
    let needs = made.as_ref().filter(|m| m.needs_attention());
    if let Some(m) = needs {
        let message = if doc["published"] == true {
            attention(m)
        } else {
            format!("DNS needs attention: {}", m.summary())
        };
        eprintln!("cfingress: {}", inert(&message));
    }
    // With `--wait`: the version on the remote (published now or already) is followed to the
    // connectors, after DNS.
    let (waited, rollout) = follow(remote, tunnel, plan, version, &doc).await?;
    if !text_out {
        if let Some(r) = rollout {
            doc["rollout"] = r;
        }
        let _ = writeln!(std::io::stdout().lock(), "{}", json_inert(&doc));
    }
    Ok(u8::from(!warnings.is_empty() || needs.is_some()).max(waited))
}

/// With `--wait`, follows `version` to the connectors: the exit status of the rollout and, for
/// JSON output, its report. A failure to follow it says what was published (`done`, the JSON
/// answer so far).
async fn follow(
    remote: &Remote,
    tunnel: &TunnelRef,
    plan: &Plan,
    version: u64,
    done: &Value,
) -> Result<(u8, Option<Value>), Failure> {
    let Some(timeout) = plan.wait else {
        return Ok((0, None));
    };
    super::status::wait_and_report(remote, tunnel, version, timeout, plan.format)
        .await
        .map_err(|f| Failure {
            message: format!(
                "version {version} is on the remote config, but its rollout to the connectors cannot be followed: {}",
                f.message
            ),
            details: done.as_object().cloned(),
            ..f
        })
}

/// The refusal when the remote moved while the user decided: what changed remotely.
fn moved(
    tunnel: &TunnelRef,
    reviewed_config: Option<&TunnelConfig>,
    reviewed: u64,
    current: &RemoteConfig,
    plan: &Plan,
) -> Failure {
    let empty = TunnelConfig::default();
    let theirs = summarize(
        reviewed_config.unwrap_or(&empty),
        current.config.as_ref().unwrap_or(&empty),
    )
    .lines();
    let mut message = format!(
        "not published: the remote config of tunnel {} changed while you were deciding (version {reviewed} → {}), so nothing was sent. What changed remotely:",
        tunnel.shown(),
        current.version
    );
    if theirs.is_empty() {
        message.push_str("\n  (no rule-level change: the same config was published again)");
    }
    for l in &theirs {
        message.push_str("\n  ");
        message.push_str(l);
    }
    message.push_str(&format!(
        "\nPublishing {} now would undo that. See the difference with `{}`.",
        inert(&plan.new_name),
        plan.again
    ));
    Failure {
        code: 1,
        message,
        details: details(&[
            ("reviewed_version", reviewed.into()),
            ("remote_version", current.version.into()),
            ("remote_changes", json!(theirs)),
        ]),
    }
}

async fn rollback(
    target: &TargetArgs,
    version: u64,
    yes: bool,
    format: OutputFormat,
    wait: WaitArgs,
) -> Result<u8, Failure> {
    let remote = connect(target).await?;
    let tunnel = remote.tunnel(true).await?;
    let journal = Journal::remote(&remote.account, &tunnel.id).ok_or_else(no_state_dir)?;
    let info = journal.read().map_err(|e| fail(2, e.to_string()))?;
    let kept = || {
        let v = journal::kept_versions(&info.entries);
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        }
    };
    let config = match journal::find_version(&info.entries, version) {
        Found::Kept { config, .. } => journal.config(config).map_err(|e| fail(2, e.to_string()))?,
        Found::Pruned => {
            return Err(fail(
                1,
                format!(
                    "the journal of tunnel {} no longer keeps the config of version {version} (it keeps the configs of the newest publishes, up to {} MB); versions it keeps: {}",
                    tunnel.shown(),
                    journal::MAX_CONFIG_BYTES >> 20,
                    kept()
                ),
            ));
        }
        Found::Overwritten(e) => {
            return Err(fail(
                1,
                format!(
                    "version {version} of tunnel {} was published by someone else and replaced by the publish of {} ({}) before cfingress could read it: its config is not known here; versions the journal keeps: {}",
                    tunnel.shown(),
                    inert(&e.time),
                    inert(&e.via),
                    kept()
                ),
            ));
        }
        Found::Missing if info.entries.is_empty() => {
            return Err(fail(
                1,
                format!(
                    "no journal entry for version {version} of tunnel {}: its journal is empty ({}); it holds what this user published from this machine",
                    tunnel.shown(),
                    journal.dir().display()
                ),
            ));
        }
        Found::Missing => {
            return Err(fail(
                1,
                format!(
                    "no journal entry for version {version} of tunnel {}; versions the journal keeps: {} (`cfingress history` lists its publishes)",
                    tunnel.shown(),
                    kept()
                ),
            ));
        }
    };
    let refusal = format!("not publishing version {version}");
    check_sendable(&config, &refusal, 1)?;
    let diags = refuse_invalid(&config, &refusal)?;
    let rc = remote
        .client
        .get_config(&remote.account, &tunnel.id)
        .await?;
    let to = format!("--to-version {version}");
    let plan = Plan {
        new_name: format!("version {version}"),
        via: format!("rollback to version {version}"),
        again: command_line(&["cfingress rollback", &target.shell_words(), &to]),
        yes,
        format,
        dns: None,
        wait: wait_timeout(wait),
    };
    publish_reviewed(&remote, &tunnel, rc, &config, &diags, &plan).await
}

pub(super) fn no_state_dir() -> Failure {
    fail(
        2,
        "there is no state folder for the publish journal (set CFINGRESS_STATE_DIR or HOME)",
    )
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
            // Already inert where built; this is the last line of defence for every path.
            eprint!(
                "cfingress: {}",
                inert_multiline(&format!("{}\n", f.message))
            );
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
    let (mut app, effects, ctx) = if let Some(path) = file {
        // A symbolic link the user names (config.yml -> /srv/tunnel/config.yml) is resolved once,
        // here: the editor reads and replaces the file it points to and the link stays. A link
        // planted at that name later is refused when saving (`safe_fs::write_atomic`). A file
        // that does not exist yet cannot be resolved: it is made absolute (the draft key and the
        // messages name it in full), and saving creates it.
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
        // leaving: the name was probably mistyped. One name lookup serves both cases.
        let (tunnel, unknown_name) = match &remote.tunnel {
            Some(t) if !is_uuid(t) => {
                let mut found = remote.client.list_tunnels(&remote.account, Some(t)).await?;
                // As in `Remote::tunnel`: only tunnels really bearing that name count.
                found.retain(|found| found.name.eq_ignore_ascii_case(t));
                match found.as_slice() {
                    [] => (None, Some(t.clone())),
                    [one] => (Some(one.id.clone()), None),
                    // Several with that name: the usual message asks for the id.
                    _ => (Some(remote.tunnel_id().await?), None),
                }
            }
            Some(_) => (Some(remote.tunnel_id().await?), None),
            None => (None, None),
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
    // `Context::new` leaves drafts off when the folder is refused; the editor still edits, and
    // says so.
    if let Err(why) = crate::settings::drafts_dir() {
        app.drafts_off = Some(why);
    }
    let app = app
        .with_keymap(keymap)
        .with_rollout_timeout(settings.rollout.timeout());
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
        let _ = writeln!(out, "{}", json_inert(&handle.info));
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
