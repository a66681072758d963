//! `cfingress doctor`: what the credentials can do, with harmless reads only.

use std::io::Write;

use super::remote::{Failure, client_for};
use super::{OutputFormat, TargetArgs};
use crate::effects::doctor::{Target, run};
use crate::text::json_inert;

/// Runs every check and prints the report; the exit status is the report's.
pub(super) async fn doctor(target: &TargetArgs, format: OutputFormat) -> Result<u8, Failure> {
    let (client, account, tunnel) = client_for(target)?;
    let report = run(
        &client,
        Target {
            account: account.as_deref(),
            tunnel: tunnel.as_deref(),
        },
    )
    .await;
    let mut out = std::io::stdout().lock();
    match format {
        OutputFormat::Json => {
            let _ = writeln!(out, "{}", json_inert(&report.json()));
        }
        OutputFormat::Text => {
            for line in report.text() {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    Ok(report.exit_code())
}
