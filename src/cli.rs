//! The command line: clap definitions and the headless subcommands.

mod dns;
mod doctor;
mod history;
mod live;
mod remote;
mod status;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::config::files::{FileError, read_file};
use crate::config::matching::Matcher;
use crate::config::model::{IngressRule, TunnelConfig};
use crate::config::validate::{Diagnostic, Severity, first_error, validate};
use crate::text::inert;

/// Edit the ingress rules of Cloudflare Tunnels from a terminal, safely.
#[derive(Debug, Parser)]
#[command(
    name = "cfingress",
    version = crate::version::short(),
    long_version = crate::version::long(),
    about,
    after_help = "Without a subcommand, cfingress opens the editor on a tunnel (--tunnel, or a picker), on a file (--file), or on a built-in sandbox (--demo)."
)]
pub struct Cli {
    /// Which account, tunnel and credentials the editor opens (remote commands take the same
    /// options after their name; given here, before it, they count for them too).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Open the editor on a built-in sandbox with a demo tunnel: no account needed.
    #[arg(long, conflicts_with = "file")]
    pub demo: bool,
    /// Open the editor on a local JSON or cloudflared config.yml file.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// ASCII borders and marks, for terminals without line drawing.
    #[arg(long)]
    pub ascii: bool,
    /// Log level for the log file in the state directory (error, warn, info, debug, trace).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// What to do (none: open the editor).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where the remote commands point, and with which credentials.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// Cloudflare account id (default: $CLOUDFLARE_ACCOUNT_ID, the profile, or the only account the
    /// credentials see).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Tunnel id or name (default: $CLOUDFLARE_TUNNEL_ID or the profile's).
    #[arg(long, value_name = "ID|NAME")]
    pub tunnel: Option<String>,
    /// Settings profile to use.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// API base URL (default: $CFINGRESS_API_URL, the profile's, or Cloudflare's). Plain http:// is
    /// allowed only to loopback addresses.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Read the API token from this file (keeps it out of process lists).
    #[arg(long, value_name = "FILE")]
    pub api_token_file: Option<PathBuf>,
    /// Account email, for a Global API Key.
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// Read a Global API Key from this file (with --email or $CLOUDFLARE_EMAIL).
    #[arg(long, value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
}

impl TargetArgs {
    /// These options, each falling back to `outer`'s (given before the subcommand's name).
    pub fn or(&self, outer: &TargetArgs) -> TargetArgs {
        TargetArgs {
            account: self.account.clone().or_else(|| outer.account.clone()),
            tunnel: self.tunnel.clone().or_else(|| outer.tunnel.clone()),
            profile: self.profile.clone().or_else(|| outer.profile.clone()),
            api_url: self.api_url.clone().or_else(|| outer.api_url.clone()),
            api_token_file: self
                .api_token_file
                .clone()
                .or_else(|| outer.api_token_file.clone()),
            email: self.email.clone().or_else(|| outer.email.clone()),
            api_key_file: self
                .api_key_file
                .clone()
                .or_else(|| outer.api_key_file.clone()),
        }
    }

    /// The options given, as shell words ready to paste (`--tunnel 'my tunnel'`).
    pub fn shell_words(&self) -> String {
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        let given = [
            ("--account", self.account.clone()),
            ("--tunnel", self.tunnel.clone()),
            ("--profile", self.profile.clone()),
            ("--api-url", self.api_url.clone()),
            ("--api-token-file", path(&self.api_token_file)),
            ("--email", self.email.clone()),
            ("--api-key-file", path(&self.api_key_file)),
        ];
        let mut out = Vec::new();
        for (flag, value) in given {
            if let Some(v) = value {
                out.push(format!("{flag} {}", shell_quote(&v)));
            }
        }
        out.join(" ")
    }

    /// The long names of the options given.
    fn given(&self) -> Vec<&'static str> {
        [
            ("--account", self.account.is_some()),
            ("--tunnel", self.tunnel.is_some()),
            ("--profile", self.profile.is_some()),
            ("--api-url", self.api_url.is_some()),
            ("--api-token-file", self.api_token_file.is_some()),
            ("--email", self.email.is_some()),
            ("--api-key-file", self.api_key_file.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, given)| given.then_some(flag))
        .collect()
    }
}

/// `--wait` and `--wait-timeout` of the commands that publish.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct WaitArgs {
    /// After publishing, poll the tunnel's connectors until each runs the new version.
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits (default: the settings' rollout.wait_timeout, else 60).
    #[arg(long, value_name = "SECS", requires = "wait", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub wait_timeout: Option<u64>,
}

/// Which tunnel's journal `history` reads: offline, so without the API and credential options.
#[derive(Debug, Clone, Default, Args)]
pub struct JournalTarget {
    /// Cloudflare account id, when journals of tunnels of the same name exist in several accounts
    /// (default: $CLOUDFLARE_ACCOUNT_ID or the profile's).
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Tunnel id, or the name the journal remembers (default: $CLOUDFLARE_TUNNEL_ID or the
    /// profile's).
    #[arg(long, value_name = "ID|NAME")]
    pub tunnel: Option<String>,
    /// Settings profile to use.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

impl JournalTarget {
    /// As [`TargetArgs`], each option falling back to `outer`'s.
    pub fn or(&self, outer: &TargetArgs) -> TargetArgs {
        TargetArgs {
            account: self.account.clone(),
            tunnel: self.tunnel.clone(),
            profile: self.profile.clone(),
            ..TargetArgs::default()
        }
        .or(outer)
    }
}

/// `s` as one shell word that pastes back as itself (inert first: never a control character).
pub fn shell_quote(s: &str) -> String {
    let s = inert(s);
    shlex::try_quote(&s).map_or_else(|_| format!("'{s}'"), |q| q.into_owned())
}

/// Output format of the headless commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Readable text.
    #[default]
    Text,
    /// JSON for scripts.
    Json,
}

/// Output format of `get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ConfigFormat {
    /// The remote JSON config.
    #[default]
    Json,
    /// A cloudflared config.yml.
    Yaml,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check config files, or a tunnel's live config, as cloudflared would (exit 0 valid, 1
    /// invalid, 2 unreadable).
    ///
    /// FILE may be an API response, a PUT body, a bare config (JSON) or a cloudflared config.yml
    /// (.yml/.yaml). Without FILE, the remote config of the tunnel (--tunnel, $CLOUDFLARE_TUNNEL_ID
    /// or the profile's) is judged, with the Access lint when the token can read Access
    /// applications; the output names the version judged. Errors are cloudflared's verdicts with
    /// its messages; warnings flag what it accepts but is almost surely a mistake.
    #[command(
        override_usage = "cfingress validate [--format text|json] FILE...\n       cfingress validate [--format text|json] [--tunnel ID|NAME] [--account ID] [OPTIONS]"
    )]
    Validate {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Config files (none: the tunnel's live remote config).
        #[arg(value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Which tunnel and credentials, to judge the live remote config instead of files.
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Show which rule serves a URL, as `cloudflared tunnel ingress rule URL` does.
    ///
    /// With FILE, the rule of that config; with a URL alone, the rule of the tunnel's live remote
    /// config (--tunnel, $CLOUDFLARE_TUNNEL_ID or the profile's), naming the version judged.
    #[command(
        override_usage = "cfingress match [--format text|json] FILE URL\n       cfingress match [--format text|json] [--tunnel ID|NAME] [--account ID] [OPTIONS] URL"
    )]
    Match {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// The config file (left out: the live remote config), then the request URL, e.g.
        /// https://app.example.com/login.
        #[arg(value_name = "[FILE] URL", num_args = 1..=2, required = true)]
        args: Vec<std::ffi::OsString>,
        /// Which tunnel and credentials, to judge the live remote config instead of a file.
        #[command(flatten)]
        target: TargetArgs,
    },
    /// List the account's tunnels.
    Tunnels {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Which account and credentials.
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Print a tunnel's remote config.
    Get {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: ConfigFormat,
        /// Which tunnel and credentials.
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Compare the remote config with FILE, and show the DNS changes `apply` would make (exit 0
    /// nothing to change, 1 changes, 2 error).
    Diff {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// The config to compare with.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Leave DNS out (no zone or record is read).
        #[arg(long)]
        no_dns: bool,
        /// Which tunnel and credentials.
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Publish FILE as the tunnel's config, after showing the diff and asking.
    ///
    /// The remote version is read again after the question: if someone published meanwhile,
    /// nothing is sent (exit 1) and what they changed is shown. Every publish is journaled
    /// (`cfingress history`). Then the hostnames without a DNS record get a proxied CNAME to the
    /// tunnel (unless --no-dns); a record that cannot be made is reported and the exit status is
    /// 1 ("published, DNS needs attention").
    Apply {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// The config to publish.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Publish without asking.
        #[arg(long)]
        yes: bool,
        /// Refuse unless the remote config is at this version (guards against concurrent edits).
        #[arg(long, value_name = "N")]
        expect_version: Option<u64>,
        /// Leave DNS alone: no record is read, created or deleted.
        #[arg(long)]
        no_dns: bool,
        /// Also delete the orphan records: CNAMEs to this tunnel that no rule uses any more.
        #[arg(long, conflicts_with = "no_dns")]
        prune_dns: bool,
        /// After publishing, wait until every connector runs the new version (exit 1 when the
        /// timeout passes first, naming the connectors behind, or when the tunnel has none).
        #[command(flatten)]
        wait: WaitArgs,
        /// Which tunnel and credentials.
        #[command(flatten)]
        target: TargetArgs,
    },
    /// The DNS records of the tunnel's hostnames: check them, or bring them in step.
    Dns {
        /// What to do.
        #[command(subcommand)]
        command: DnsCommand,
    },
    /// List the local journal of a tunnel's publishes (or a file's saves), newest first.
    ///
    /// The journal holds what this user published from this machine (with apply, rollback or the
    /// editor): time, user@host, versions, the rule-level summary and both configs. It is read
    /// offline.
    History {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// The journal of a file edited with `cfingress --file PATH`, instead of a tunnel's.
        #[arg(long, value_name = "PATH", conflicts_with = "tunnel")]
        file: Option<PathBuf>,
        /// Which tunnel (an id or a name the journal remembers; no credentials needed).
        #[command(flatten)]
        target: JournalTarget,
    },
    /// Publish a journaled version's config again, as a normal publish (diff, question, check).
    ///
    /// Version N's config is the one a journaled publish created, or the one it replaced.
    Rollback {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// The version whose config to publish again.
        #[arg(long, value_name = "N")]
        to_version: u64,
        /// Publish without asking.
        #[arg(long)]
        yes: bool,
        /// After publishing, wait until every connector runs the new version.
        #[command(flatten)]
        wait: WaitArgs,
        /// Which tunnel and credentials.
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Show a tunnel's health and connectors: each connector's cloudflared version, origin,
    /// data centers and the config version it runs.
    ///
    /// Flags connectors on an older config than the current one, connections pending a
    /// reconnect, and cloudflared versions older than Cloudflare supports (releases within one
    /// year of the latest). Exit 0 healthy, 1 needs attention, 2 failed.
    Status {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Which tunnel and credentials.
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Check what the credentials can do, with harmless reads only, and what each feature needs.
    ///
    /// Each failing check names the permission group to add to the token in the dashboard.
    /// Exit 0 when every check that can be judged passes (an unknown is shown, not failed), 1
    /// when one fails, 2 when the checks could not run.
    Doctor {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Which account, tunnel and credentials.
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
    /// Write a generated config for benchmarks (reproducible: same seed, same config).
    #[command(hide = true)]
    Fixture {
        /// Number of rules.
        #[arg(long, default_value_t = 10_000)]
        rules: usize,
        /// Seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Write a config.yml instead of JSON.
        #[arg(long)]
        yaml: bool,
    },
    /// Run a local fake of the Cloudflare API in the foreground (until interrupted).
    ///
    /// Prints one line of JSON: {"api_url","token","account_id","tunnels":[{"id","name","version"}]}.
    Sandbox {
        /// Loopback address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
        listen: SocketAddr,
        /// A config file to serve as a tunnel (repeatable); the demo tunnel when none.
        #[arg(long = "seed", value_name = "FILE")]
        seeds: Vec<PathBuf>,
        /// The token the sandbox accepts (40 characters of A-Za-z0-9_-; random when absent).
        #[arg(long, value_name = "TOKEN")]
        token: Option<String>,
    },
}

/// `cfingress dns ...`.
#[derive(Debug, Subcommand)]
pub enum DnsCommand {
    /// Every hostname's DNS state, and the orphan records (exit 0 all ok, 1 something to fix, 2
    /// DNS could not be read).
    ///
    /// States: ok (a proxied CNAME to this tunnel), missing, not-proxied, other-tunnel,
    /// conflict (another record holds the name), no-zone, unknown (with the reason). Orphans are
    /// CNAMEs to this tunnel that no rule uses.
    Check {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Which tunnel and credentials.
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Create the missing records, after showing the plan and asking (exit as apply).
    ///
    /// A/AAAA and other records are never changed or deleted; CNAMEs are repointed only with
    /// --take-over, orphans deleted only with --prune.
    Sync {
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: OutputFormat,
        /// Also delete the orphans (CNAMEs to this tunnel that no rule uses).
        #[arg(long)]
        prune: bool,
        /// Also repoint CNAMEs that hold a hostname elsewhere (DNS-only, another tunnel, another
        /// target) to this tunnel, proxied.
        #[arg(long)]
        take_over: bool,
        /// Change without asking.
        #[arg(long)]
        yes: bool,
        /// Which tunnel and credentials.
        #[command(flatten)]
        target: TargetArgs,
    },
}

/// Help and version as clap prints them; an argument error with every argument it quotes made
/// inert, because argv can hold escape sequences (a pasted value) that must not reach the terminal.
fn argument_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let code = u8::try_from(e.exit_code()).unwrap_or(2);
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
        }
        _ => eprint!("{}", crate::text::inert_multiline(&e.render().to_string())),
    }
    ExitCode::from(code)
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    // First: no token read later may end up in a core dump.
    let dumps = crate::hardening::forbid_core_dumps();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return argument_error(&e),
    };
    // A refused state folder costs the log, never the command: the editor says that its drafts
    // are not saved, and only commands that cannot work without the folder fail.
    if let Err(e) = crate::logging::init(cli.log_level.as_deref()) {
        eprintln!("cfingress: warning: {e}; no log is written");
    }
    if let Err(e) = dumps {
        eprintln!("cfingress: warning: {e}: a crash could write the token to a core dump");
    }
    tracing::info!(version = crate::version::short(), "cfingress started");
    if let Some(command) = &cli.command
        && let Some(name) = command.offline_name()
    {
        let given = cli.target.given();
        if !given.is_empty() {
            report_failure(
                &format!(
                    "{} {} not used by `cfingress {name}`, which reads only local files",
                    given.join(", "),
                    if given.len() == 1 { "is" } else { "are" }
                ),
                2,
                None,
                command.json_output(),
            );
            return ExitCode::from(2);
        }
    }
    let mut out = std::io::stdout().lock();
    let code = match cli.command {
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "cfingress", &mut out);
            0
        }
        Some(Command::Fixture { rules, seed, yaml }) => {
            let config = crate::fixtures::scale_config(rules, seed);
            let text = if yaml {
                crate::config::files::to_yaml_string(&config)
            } else {
                crate::config::files::to_json_string(&config, false)
            };
            match text {
                Ok(t) => {
                    let _ = out.write_all(t.as_bytes());
                    0
                }
                Err(e) => {
                    eprintln!("cfingress: {e}");
                    2
                }
            }
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(cmd).render(&mut out) {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("cfingress: cannot write the manual: {e}");
                    2
                }
            }
        }
        Some(Command::Validate {
            format,
            ref files,
            ref target,
        }) if !files.is_empty() => match refuse_target(
            target,
            &cli.target,
            "validate",
            "FILE...",
            format == OutputFormat::Json,
        ) {
            Some(code) => code,
            None => cmd_validate(files, format, &mut out),
        },
        Some(Command::Match {
            format,
            ref args,
            ref target,
        }) if args.len() == 2 => match refuse_target(
            target,
            &cli.target,
            "match",
            "FILE URL",
            format == OutputFormat::Json,
        ) {
            Some(code) => code,
            None => match args[1].to_str() {
                Some(url) => cmd_match(std::path::Path::new(&args[0]), url, format, &mut out),
                None => {
                    report_failure(
                        "the URL is not valid UTF-8",
                        2,
                        None,
                        format == OutputFormat::Json,
                    );
                    2
                }
            },
        },
        command => {
            drop(out);
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("cfingress: cannot start the async runtime: {e}");
                    return ExitCode::from(2);
                }
            };
            let code = match command {
                Some(command) => runtime.block_on(remote::run(command, &cli.target)),
                None => runtime.block_on(remote::editor(
                    &cli.target,
                    cli.demo,
                    cli.file.clone(),
                    cli.ascii,
                )),
            };
            runtime.shutdown_timeout(std::time::Duration::from_millis(200));
            return ExitCode::from(code);
        }
    };
    let _ = out.flush();
    ExitCode::from(code)
}

impl Command {
    /// The name of a command that reads only local files (no tunnel, no credentials).
    fn offline_name(&self) -> Option<&'static str> {
        match self {
            Command::Completions { .. } => Some("completions"),
            Command::Man => Some("man"),
            Command::Fixture { .. } => Some("fixture"),
            Command::Sandbox { .. } => Some("sandbox"),
            _ => None,
        }
    }

    /// Whether the command's output is a JSON report (`--format json`), so failures are
    /// reported as JSON on stdout too. Not `get`: its JSON is the config itself, and an error
    /// object saved in its place would read as a config.
    pub fn json_output(&self) -> bool {
        match self {
            Command::Validate { format, .. }
            | Command::Match { format, .. }
            | Command::Tunnels { format, .. }
            | Command::Diff { format, .. }
            | Command::Apply { format, .. }
            | Command::History { format, .. }
            | Command::Rollback { format, .. }
            | Command::Status { format, .. }
            | Command::Doctor { format, .. }
            | Command::Dns {
                command: DnsCommand::Check { format, .. } | DnsCommand::Sync { format, .. },
            } => *format == OutputFormat::Json,
            _ => false,
        }
    }
}

/// With local files, `validate` and `match` read only them: target options (given after the
/// command's name or before it) are refused, with exit status 2. `None` when none was given.
fn refuse_target(
    target: &TargetArgs,
    outer: &TargetArgs,
    name: &str,
    files: &str,
    json: bool,
) -> Option<u8> {
    let given = target.or(outer).given();
    if given.is_empty() {
        return None;
    }
    report_failure(
        &format!(
            "{} {} not used by `cfingress {name} {files}`, which reads only local files; to judge a tunnel's live config, leave the file{} out",
            given.join(", "),
            if given.len() == 1 { "is" } else { "are" },
            if files.ends_with("...") { "s" } else { "" }
        ),
        2,
        None,
        json,
    );
    Some(2)
}

/// Reports a failure: `cfingress: MESSAGE` on stderr and, for JSON output,
/// `{"error":{"message":S,"exit_status":N,...details}}` on stdout.
pub fn report_failure(
    message: &str,
    code: u8,
    details: Option<&serde_json::Map<String, serde_json::Value>>,
    json: bool,
) {
    eprintln!("cfingress: {}", crate::text::inert_multiline(message));
    if json {
        let mut error = serde_json::Map::new();
        error.insert("message".to_owned(), message.into());
        error.insert("exit_status".to_owned(), code.into());
        if let Some(d) = details {
            error.extend(d.clone());
        }
        let doc = serde_json::json!({ "error": error });
        println!("{}", crate::text::json_inert(&doc));
    }
}

/// How a rule is named in text: `rule #2 (app.example.com)`.
pub fn rule_label(index: usize, rule: &IngressRule) -> String {
    let host = rule.hostname.as_str();
    let path = rule.path.as_str();
    let what = match (host.is_empty() || host == "*", path.is_empty()) {
        (true, true) => "catch-all".to_owned(),
        (true, false) => format!("any host, path {}", inert(path)),
        (false, true) => inert(host).into_owned(),
        (false, false) => format!("{} {}", inert(host), inert(path)),
    };
    format!("rule #{} ({what})", index + 1)
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: Option<usize>,
    field: Option<String>,
    severity: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    file: String,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

fn diag_line(config: &TunnelConfig, d: &Diagnostic) -> String {
    let mut where_ = match d.rule {
        Some(i) => config
            .rules()
            .get(i)
            .map_or_else(|| format!("rule #{}", i + 1), |r| rule_label(i, r)),
        None => "config".to_owned(),
    };
    if let Some(f) = &d.field {
        where_.push(' ');
        where_.push_str(&inert(&f.to_string()));
    }
    format!(
        "  {:<8} {where_}: {}",
        d.severity.as_str(),
        inert(&d.message)
    )
}

type FileResult = Result<(TunnelConfig, Vec<Diagnostic>), FileError>;

/// The live config a command judged, for its output: `tunnel web-prod (f70f…), remote config
/// version 8`, and the fields JSON output adds (`tunnel_id`, `tunnel_name`, `config_version`).
pub(crate) struct Judged {
    /// The words naming it.
    pub label: String,
    /// Extra fields of the JSON output.
    pub json: serde_json::Map<String, serde_json::Value>,
}

fn cmd_validate(files: &[PathBuf], format: OutputFormat, out: &mut impl Write) -> u8 {
    let mut results: Vec<(String, FileResult)> = Vec::new();
    for path in files {
        let shown = path.display().to_string();
        let result = read_file(path).map(|loaded| {
            let diags = validate(&loaded.config);
            (loaded.config, diags)
        });
        results.push((shown, result));
    }
    let code = print_validation(&results, format, out, None);
    // The process ends right after this: freeing every rule of a large config one by one would
    // only add to the time a script waits (a few ms at 10 000 rules); the OS takes it all back.
    std::mem::forget(results);
    code
}

/// Prints the verdicts of `validate` (one entry per file, or the one live config with `live`'s
/// JSON fields) and returns the exit status: the worst of 0 valid, 1 invalid, 2 unreadable.
fn print_validation(
    results: &[(String, FileResult)],
    format: OutputFormat,
    out: &mut impl Write,
    live: Option<&Judged>,
) -> u8 {
    let code = results
        .iter()
        .map(|(_, r)| match r {
            Err(_) => 2,
            Ok((_, d)) if d.iter().any(Diagnostic::is_error) => 1,
            Ok(_) => 0,
        })
        .max()
        .unwrap_or(0);
    match format {
        OutputFormat::Json => {
            let files: Vec<JsonFile<'_>> = results
                .iter()
                .map(|(file, r)| match r {
                    Ok((_, diags)) => JsonFile {
                        file: file.clone(),
                        valid: !diags.iter().any(Diagnostic::is_error),
                        error: None,
                        diagnostics: diags
                            .iter()
                            .map(|d| JsonDiagnostic {
                                rule: d.rule,
                                field: d.field.as_ref().map(ToString::to_string),
                                severity: d.severity.as_str(),
                                message: &d.message,
                            })
                            .collect(),
                    },
                    Err(e) => JsonFile {
                        file: file.clone(),
                        valid: false,
                        error: Some(e.error.to_string()),
                        diagnostics: Vec::new(),
                    },
                })
                .collect();
            let mut doc = live.map(|l| l.json.clone()).unwrap_or_default();
            doc.insert("files".to_owned(), serde_json::json!(files));
            let _ = writeln!(out, "{}", crate::text::json_inert(&doc));
        }
        OutputFormat::Text => {
            for (file, r) in results {
                let file = inert(file);
                match r {
                    Err(e) => {
                        let _ =
                            writeln!(out, "{file}: unreadable: {}", inert(&e.error.to_string()));
                    }
                    Ok((config, diags)) => {
                        let errors = diags
                            .iter()
                            .filter(|d| d.severity == Severity::Error)
                            .count();
                        let warnings = diags.len() - errors;
                        let summary = if errors == 0 {
                            format!(
                                "valid ({} rules{})",
                                config.rules().len(),
                                plural_warnings(warnings)
                            )
                        } else {
                            format!(
                                "invalid: {errors} error{}{}; cloudflared would refuse it with: {}",
                                if errors == 1 { "" } else { "s" },
                                plural_warnings(warnings),
                                first_error(diags)
                                    .map(|d| inert(&d.message).into_owned())
                                    .unwrap_or_default()
                            )
                        };
                        let _ = writeln!(out, "{file}: {summary}");
                        for d in diags {
                            let _ = writeln!(out, "{}", diag_line(config, d));
                        }
                    }
                }
            }
        }
    }
    code
}

fn plural_warnings(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => ", 1 warning".to_owned(),
        n => format!(", {n} warnings"),
    }
}

#[derive(Serialize)]
struct JsonMatch<'a> {
    rule: usize,
    hostname: Option<&'a str>,
    path: Option<&'a str>,
    service: &'a str,
}

fn cmd_match(file: &std::path::Path, url: &str, format: OutputFormat, out: &mut impl Write) -> u8 {
    match read_file(file) {
        Ok(l) => match_config(
            &l.config,
            &inert(&file.display().to_string()),
            url,
            format,
            out,
            None,
        ),
        Err(e) => {
            report_failure(&e.to_string(), 2, None, format == OutputFormat::Json);
            2
        }
    }
}

/// Prints which rule of `config` serves `url` and returns the exit status (0 matched, 1 invalid
/// config, 2 a URL cloudflared refuses). `what` names the config in errors; `live` is set for
/// the tunnel's live config.
fn match_config(
    config: &TunnelConfig,
    what: &str,
    url: &str,
    format: OutputFormat,
    out: &mut impl Write,
    live: Option<&Judged>,
) -> u8 {
    let json = format == OutputFormat::Json;
    let failed = |message: &str, code: u8| {
        report_failure(message, code, live.map(|l| &l.json), json);
        code
    };
    let diags = validate(config);
    if let Some(err) = first_error(&diags) {
        let at = err
            .rule
            .and_then(|i| {
                config
                    .rules()
                    .get(i)
                    .map(|r| format!(" ({})", rule_label(i, r)))
            })
            .unwrap_or_default();
        return failed(
            &format!(
                "{what} is not a valid config, so cloudflared would not serve it{at}: {}",
                inert(&err.message)
            ),
            1,
        );
    }
    let matcher = Matcher::new(config.rules());
    let index = match matcher.match_url(url) {
        Ok(i) => i,
        Err(e) => return failed(&inert(&e.to_string()), 2),
    };
    let rule = &config.rules()[index];
    match format {
        OutputFormat::Json => {
            let m = JsonMatch {
                rule: index,
                hostname: rule.hostname.get().map(String::as_str),
                path: rule.path.get().map(String::as_str),
                service: rule.service.as_str(),
            };
            let mut doc = match serde_json::to_value(&m) {
                Ok(serde_json::Value::Object(m)) => m,
                _ => serde_json::Map::new(),
            };
            if let Some(l) = live {
                doc.extend(l.json.clone());
            }
            let _ = writeln!(out, "{}", crate::text::json_inert(&doc));
        }
        OutputFormat::Text => {
            let of = live.map(|l| format!(" of {}", l.label)).unwrap_or_default();
            let _ = writeln!(
                out,
                "{} is served by {}{of} (cloudflared: \"Matched rule #{index}\")",
                inert(url),
                rule_label(index, rule)
            );
            let show = |v: &str| {
                if v.is_empty() {
                    "(any)".to_owned()
                } else {
                    inert(v).into_owned()
                }
            };
            let _ = writeln!(out, "  hostname  {}", show(rule.hostname.as_str()));
            let _ = writeln!(out, "  path      {}", show(rule.path.as_str()));
            let _ = writeln!(out, "  service   {}", inert(rule.service.as_str()));
        }
    }
    0
}
