//! `validate` and `match` on a tunnel's live remote config (`--tunnel T`, or the tunnel of the
//! environment or profile): the first thing an on-call admin runs when a URL answers 404. The
//! output names the tunnel and the config version judged; `validate` adds the Access lint when
//! the token can read the account's Access applications.

use serde_json::json;

use super::remote::{Failure, Remote, TunnelRef, connect_to_tunnel, fail, tunnel_given};
use super::{Judged, OutputFormat, TargetArgs, match_config, print_validation};
use crate::api::ApiError;
use crate::config::model::TunnelConfig;
use crate::config::validate::validate as judge;
use crate::text::inert;

/// The tunnel's live config, with what names it in the output.
async fn live_config(target: &TargetArgs) -> Result<(Remote, TunnelConfig, Judged), Failure> {
    if !tunnel_given(target) {
        return Err(fail(
            2,
            "no config to judge: give FILE, or --tunnel ID|NAME (or set CLOUDFLARE_TUNNEL_ID) for the tunnel's live config",
        ));
    }
    let (remote, tunnel, rc) = connect_to_tunnel(target).await?;
    let judged = judged(&tunnel, rc.version);
    let Some(config) = rc.config else {
        return Err(Failure {
            details: Some(judged.json),
            ..fail(
                2,
                format!(
                    "tunnel {} has no remote config yet (version 0): nothing to judge; `cfingress apply FILE` publishes one",
                    tunnel.shown()
                ),
            )
        });
    };
    Ok((remote, config, judged))
}

fn judged(tunnel: &TunnelRef, version: u64) -> Judged {
    let mut fields = serde_json::Map::new();
    fields.insert("tunnel_id".to_owned(), json!(tunnel.id));
    fields.insert("tunnel_name".to_owned(), json!(tunnel.name));
    fields.insert("config_version".to_owned(), json!(version));
    Judged {
        label: format!("tunnel {}, remote config version {version}", tunnel.shown()),
        json: fields,
    }
}

/// `cfingress validate` without files.
pub(super) async fn validate(target: &TargetArgs, format: OutputFormat) -> Result<u8, Failure> {
    let (remote, config, mut judged) = live_config(target).await?;
    let mut diags = judge(&config);
    let uses_access = config
        .rules()
        .iter()
        .any(|r| r.overrides().is_some_and(|o| o.access.is_set()));
    if uses_access {
        let checked = match remote.client.list_access_apps(&remote.account).await {
            Ok(apps) => {
                diags.extend(crate::access::lint(&config, &apps));
                json!(true)
            }
            Err(e) => {
                let why = match &e {
                    ApiError::MissingPermission { permission, .. } => {
                        format!("the token cannot read Access applications (add {permission})")
                    }
                    other => other.to_string(),
                };
                eprintln!("cfingress: note: Access lint skipped: {}", inert(&why));
                json!(false)
            }
        };
        judged.json.insert("access_checked".to_owned(), checked);
    }
    let results = vec![(judged.label.clone(), Ok((config, diags)))];
    let mut out = std::io::stdout().lock();
    Ok(print_validation(&results, format, &mut out, Some(&judged)))
}

/// `cfingress match URL` without a file.
pub(super) async fn match_url(
    target: &TargetArgs,
    url: &str,
    format: OutputFormat,
) -> Result<u8, Failure> {
    let (_, config, judged) = live_config(target).await?;
    let mut out = std::io::stdout().lock();
    Ok(match_config(
        &config,
        &judged.label,
        url,
        format,
        &mut out,
        Some(&judged),
    ))
}
