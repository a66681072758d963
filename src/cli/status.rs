//! `cfingress status` (a tunnel's health and connectors) and the rollout report of `apply
//! --wait` / `rollback --wait`: whether the published version reached every connector.

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};

use super::history::readable_time;
use super::remote::{Failure, Remote, TunnelRef, connect};
use super::{OutputFormat, TargetArgs};
use crate::api::Connector;
use crate::effects::rollout;
use crate::rollout::cloudflared::Month;
use crate::rollout::health::flags;
use crate::rollout::progress::State;
use crate::rollout::{ConnectorFlag, Health, Phase, Rollout, age, short_duration};
use crate::text::{inert, json_inert};

/// `cfingress status`.
pub(super) async fn status(target: &TargetArgs, format: OutputFormat) -> Result<u8, Failure> {
    let remote = connect(target).await?;
    let tunnel = remote.tunnel(true).await?;
    let (account, id) = (&remote.account, &tunnel.id);
    let info = remote.client.get_tunnel(account, id).await?;
    let rc = remote.client.get_config(account, id).await?;
    let connectors = remote.client.list_connectors(account, id).await?;
    let today = Month::now();
    let now = time::OffsetDateTime::now_utc();
    let current = (rc.version > 0).then_some(rc.version);
    let health = Health::of(&info.status, &connectors, current, today);
    let rows: Vec<(&Connector, Vec<ConnectorFlag>)> = connectors
        .iter()
        .map(|c| (c, flags(c, current, today)))
        .collect();
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            let list: Vec<Value> = rows
                .iter()
                .map(|(c, f)| {
                    json!({
                        "id": c.id, "version": c.version, "arch": c.arch,
                        "config_version": c.config_version,
                        "origin_ips": c.origin_ips(), "colos": c.colos(),
                        "run_at": c.run_at,
                        "up_secs": age(&c.run_at, now).map(|d| d.as_secs()),
                        "connections": c.conns.len(),
                        "pending_reconnect": c.conns.iter().filter(|x| x.is_pending_reconnect).count(),
                        "flags": f,
                    })
                })
                .collect();
            let doc = json!({
                "tunnel_id": id, "tunnel_name": info.name, "status": info.status,
                "config_version": rc.version, "config_created_at": rc.created_at,
                "summary": health.summary(), "needs_attention": health.needs_attention(),
                "connectors": list,
            });
            let _ = writeln!(out, "{}", json_inert(&doc));
        }
        OutputFormat::Text => {
            let _ = writeln!(out, "Tunnel {}: {}", tunnel.shown(), health.summary());
            if rc.version == 0 {
                let _ = writeln!(out, "No remote config yet (version 0)");
            } else {
                let since = rc
                    .created_at
                    .as_deref()
                    .map(|t| format!(" (published {})", readable_time(t)))
                    .unwrap_or_default();
                let _ = writeln!(out, "Config version {}{since}", rc.version);
            }
            if !rows.is_empty() {
                let _ = writeln!(out);
                for line in table(&rows, now) {
                    let _ = writeln!(out, "{line}");
                }
            }
            for (c, f) in &rows {
                for flag in f {
                    let _ = writeln!(out, "! {}: {}", c.short_id(), flag.text());
                }
            }
        }
    }
    Ok(u8::from(health.needs_attention()))
}

/// The connectors as an aligned table (every server string inert).
fn table(rows: &[(&Connector, Vec<ConnectorFlag>)], now: time::OffsetDateTime) -> Vec<String> {
    let header = [
        "CONNECTOR",
        "CLOUDFLARED",
        "ARCH",
        "ORIGIN IP",
        "COLOS",
        "CONFIG",
        "UP",
    ];
    let mut cells: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for (c, f) in rows {
        let config = match c.config_version {
            None => "?".to_owned(),
            Some(v)
                if f.iter()
                    .any(|f| matches!(f, ConnectorFlag::OldConfig { .. })) =>
            {
                format!("v{v} old")
            }
            Some(v) => format!("v{v}"),
        };
        let up = if c.is_connected() {
            age(&c.run_at, now).map_or_else(|| "?".to_owned(), short_duration)
        } else {
            "down".to_owned()
        };
        cells.push(vec![
            c.short_id().to_owned(),
            inert(&c.version).into_owned(),
            inert(&c.arch).into_owned(),
            inert(&c.origin_ips().join(" ")).into_owned(),
            inert(&c.colos().join(" ")).into_owned(),
            config,
            up,
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].chars().count().min(40))
                .max()
                .unwrap_or(0)
        })
        .collect();
    cells
        .iter()
        .map(|row| {
            row.iter()
                .zip(&widths)
                .map(|(cell, w)| {
                    let cell: String = cell.chars().take(40).collect();
                    format!("{cell:<w$}")
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_owned()
        })
        .collect()
}

/// The longest silence while waiting for the connectors.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Waits for `version` to reach the tunnel's connectors after a publish, printing progress on
/// stderr (text output) and the outcome on stdout. Returns the exit status (0 every connector
/// runs it, 1 the timeout passed or there is no connector) and, for JSON output, the `rollout`
/// object to add to the publish's answer.
pub(super) async fn wait_and_report(
    remote: &Remote,
    tunnel: &TunnelRef,
    version: u64,
    timeout: Duration,
    format: OutputFormat,
) -> Result<(u8, Option<Value>), Failure> {
    let text = format == OutputFormat::Text;
    if text {
        eprintln!(
            "Waiting up to {} for the connectors of tunnel {} to run version {version}…",
            short_duration(timeout),
            tunnel.shown()
        );
    }
    // Progress: when a connector changes state, and every 10 s otherwise (an SSH session that
    // shows nothing for a minute looks hung).
    let mut last: Option<(Vec<State>, Duration)> = None;
    let r = rollout::wait(
        &remote.client,
        &remote.account,
        &tunnel.id,
        version,
        timeout,
        |r| {
            let states: Vec<State> = r.seen.iter().map(|s| s.state).collect();
            let due = last.as_ref().is_none_or(|(before, at)| {
                *before != states || r.elapsed.saturating_sub(*at) >= PROGRESS_EVERY
            });
            if text && due && r.phase(timeout) == Phase::Waiting {
                eprintln!("  {}", r.headline(timeout));
                last = Some((states, r.elapsed));
            }
        },
    )
    .await?;
    let phase = r.phase(timeout);
    let code = u8::from(phase != Phase::Done);
    if text {
        let mut out = std::io::stdout().lock();
        for l in r.lines() {
            let _ = writeln!(out, "  {l}");
        }
        let _ = writeln!(out, "{}", outcome_line(&r, phase, timeout));
        return Ok((code, None));
    }
    Ok((code, Some(rollout_json(&r, phase))))
}

/// The last line of a rollout report.
fn outcome_line(r: &Rollout, phase: Phase, timeout: Duration) -> String {
    match phase {
        Phase::Done => format!("Rollout complete: {}", r.headline(timeout)),
        Phase::NoConnectors => format!(
            "Not rolled out: {}; start cloudflared with the tunnel's token (`cfingress status` shows the connectors)",
            r.headline(timeout)
        ),
        Phase::TimedOut | Phase::Waiting => {
            let (current, connected) = r.counts();
            let behind: Vec<String> = r
                .behind()
                .map(|s| {
                    let on = s
                        .connector
                        .config_version
                        .map_or_else(|| "an unknown version".to_owned(), |v| v.to_string());
                    format!("{} on {on}", s.connector.short_id())
                })
                .collect();
            let who = if behind.is_empty() {
                "no connector is connected".to_owned()
            } else {
                format!("still behind: {}", behind.join(", "))
            };
            format!(
                "Not rolled out within {}: {current}/{connected} connectors on version {}; {who}. A connector that stays behind serves the old rules: restart its cloudflared (`cfingress status` shows it)",
                short_duration(timeout),
                r.target
            )
        }
    }
}

fn rollout_json(r: &Rollout, phase: Phase) -> Value {
    let list: Vec<Value> = r
        .seen
        .iter()
        .map(|s| {
            json!({
                "id": s.connector.id, "version": s.connector.version, "arch": s.connector.arch,
                "origin_ips": s.connector.origin_ips(), "colos": s.connector.colos(),
                "config_version": s.connector.config_version,
                "state": s.state,
                "current_after_secs": s.current_after.map(|d| d.as_secs_f64()),
            })
        })
        .collect();
    let (current, connected) = r.counts();
    json!({
        "outcome": phase, "version": r.target, "elapsed_secs": r.elapsed.as_secs_f64(),
        "current": current, "connected": connected,
        "behind": r.behind().map(|s| s.connector.id.clone()).collect::<Vec<_>>(),
        "disconnected": r.seen.iter().filter(|s| s.state == State::Disconnected).count(),
        "connectors": list,
    })
}
