//! Runs the doctor's checks (`crate::doctor`) with harmless reads only, in order, each judged as
//! it comes: the credentials, the account, tunnels, a tunnel's config and connections, zones and
//! DNS records, Access applications and the organization. A check that depends on a failed one
//! is skipped, saying which.

use crate::api::{ApiError, Client, Tunnel};
use crate::doctor::{Check, CheckId, Report, Verdict, judge};
use crate::text::inert;

const NOT_TRIED: &str = "not tried: the API has no dry run and cfingress never writes to find out";

/// What the doctor is pointed at: the account (if given) and the tunnel (an id or a name, if
/// given; else the first tunnel with a remote config).
#[derive(Debug, Clone, Copy, Default)]
pub struct Target<'a> {
    /// The account id.
    pub account: Option<&'a str>,
    /// The tunnel, an id or a name.
    pub tunnel: Option<&'a str>,
}

fn push(report: &mut Report, id: CheckId, verdict: Verdict) -> bool {
    let passed = matches!(verdict, Verdict::Pass(_));
    report.checks.push(Check { id, verdict });
    passed
}

fn skip_all(report: &mut Report, ids: &[CheckId], why: &str) {
    for id in ids {
        push(report, *id, Verdict::Skipped(why.to_owned()));
    }
}

fn plural(n: usize, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// Every check, as far as the credentials get.
pub async fn run(client: &Client, target: Target<'_>) -> Report {
    use CheckId::*;
    let mut report = Report::default();
    // 1. The credentials.
    let token = if client.uses_token() {
        let verdict = match client.verify_token(target.account).await {
            Ok(s) if s.status == "active" => Verdict::Pass(format!(
                "API token{} is active",
                if s.id.is_empty() {
                    String::new()
                } else {
                    format!(" {}", s.id)
                }
            )),
            Ok(s) => Verdict::Fail(format!(
                "the token is {}: roll it or create a new one at {}",
                inert(&s.status),
                crate::doctor::TOKENS_PAGE
            )),
            Err(e) => judge(Token, Err(e)),
        };
        push(&mut report, Token, verdict)
    } else {
        push(
            &mut report,
            Token,
            Verdict::Pass(format!(
                "{}: it can do everything its user can (an API token limited to what cfingress needs is safer)",
                client.credentials_description()
            )),
        )
    };
    // Every check after the credentials, in the order they run.
    let rest = &CheckId::ALL[1..];
    if !token {
        skip_all(&mut report, rest, "the credentials were not accepted");
        return report;
    }
    // 2. The account.
    let account = match client.list_accounts().await {
        Ok(list) => match target.account {
            Some(a) => match list.iter().find(|x| x.id.eq_ignore_ascii_case(a)) {
                Some(x) => {
                    push(
                        &mut report,
                        Account,
                        Verdict::Pass(format!("{} ({})", x.name, x.id)),
                    );
                    Some(x.id.clone())
                }
                None => {
                    let seen: Vec<String> = list.iter().take(5).map(|x| x.id.clone()).collect();
                    push(
                        &mut report,
                        Account,
                        Verdict::Fail(format!(
                            "the credentials do not see account {a} (they see {}): check --account, or give the token access to it",
                            if seen.is_empty() {
                                "none".to_owned()
                            } else {
                                seen.join(", ")
                            }
                        )),
                    );
                    None
                }
            },
            None => match list.as_slice() {
                [one] => {
                    push(
                        &mut report,
                        Account,
                        Verdict::Pass(format!("{} ({}), the only one visible", one.name, one.id)),
                    );
                    report.account = Some(format!("{} ({})", one.name, one.id));
                    Some(one.id.clone())
                }
                [] => {
                    push(&mut report, Account, Verdict::Fail("the credentials see no account: give the token an account's permissions".to_owned()));
                    None
                }
                many => {
                    push(
                        &mut report,
                        Account,
                        Verdict::Skipped(format!(
                            "the credentials see {} accounts: pass --account ID to check one",
                            many.len()
                        )),
                    );
                    None
                }
            },
        },
        // An account-scoped token may not list accounts but still reach the one given.
        Err(ApiError::MissingPermission { .. }) if target.account.is_some() => {
            push(
                &mut report,
                Account,
                Verdict::Unknown(
                    "accounts cannot be listed; the checks below use --account as given".to_owned(),
                ),
            );
            target.account.map(str::to_owned)
        }
        Err(e) => {
            push(&mut report, Account, judge(Account, Err(e)));
            None
        }
    };
    let Some(account) = account else {
        skip_all(&mut report, &rest[1..], "no account to check");
        return report;
    };
    report.account_id = Some(account.clone());
    if report.account.is_none() {
        report.account = Some(account.clone());
    }
    // 3. Tunnels, and the one to check.
    let tunnels = client.list_tunnels(&account, None).await;
    let tunnel: Option<Tunnel> = match &tunnels {
        Ok(list) => {
            push(
                &mut report,
                Tunnels,
                Verdict::Pass(plural(list.len(), "tunnel")),
            );
            match target.tunnel {
                Some(t) => list
                    .iter()
                    .find(|x| x.id.eq_ignore_ascii_case(t) || x.name.eq_ignore_ascii_case(t))
                    .cloned(),
                None => list.iter().find(|x| x.config_src == "cloudflare").cloned(),
            }
        }
        Err(_) => None,
    };
    if let Err(e) = tunnels {
        push(&mut report, Tunnels, judge(Tunnels, Err(e)));
    }
    let tunnel_id = tunnel.as_ref().map(|t| t.id.clone()).or_else(|| {
        target
            .tunnel
            .filter(|t| crate::api::ids::is_uuid(t))
            .map(str::to_owned)
    });
    report.tunnel = match (&tunnel, &tunnel_id) {
        (Some(t), _) => Some(format!("{} ({})", t.name, t.id)),
        (None, Some(id)) => Some(id.clone()),
        _ => None,
    };
    // 4. Its config, 5. writing it.
    let mut hostnames = Vec::new();
    match &tunnel_id {
        Some(id) => {
            let result = client.get_config(&account, id).await.map(|rc| {
                hostnames = rc
                    .config
                    .iter()
                    .flat_map(|c| c.rules().iter().map(|r| r.hostname.as_str().to_owned()))
                    .collect();
                format!("config version {}", rc.version)
            });
            push(&mut report, ConfigRead, judge(ConfigRead, result));
        }
        None => {
            let why = match target.tunnel {
                Some(t) => format!("no tunnel \"{}\" among those listed", inert(t)),
                None => "no tunnel with a remote config to read (pass --tunnel)".to_owned(),
            };
            push(&mut report, ConfigRead, Verdict::Unknown(why));
        }
    }
    let write = if client.uses_token() {
        Verdict::Unknown(format!("{NOT_TRIED}; the first publish tells"))
    } else {
        Verdict::Pass("a Global API Key can publish".to_owned())
    };
    push(&mut report, ConfigWrite, write);
    // 6. Zones, 7-8. DNS.
    match client.probe_zones(&account).await {
        Ok((zones, more)) => {
            let n = if more {
                format!("{}+ zones", zones.len())
            } else {
                plural(zones.len(), "zone")
            };
            push(&mut report, Zones, Verdict::Pass(n));
            // The zone of one of the tunnel's hostnames, else the first one.
            let zone = zones
                .iter()
                .filter(|z| {
                    hostnames.iter().any(|h| {
                        let h = h.to_ascii_lowercase();
                        let z = z.name.to_ascii_lowercase();
                        h == z || h.ends_with(&format!(".{z}"))
                    })
                })
                .max_by_key(|z| z.name.len())
                .or(zones.first());
            match zone {
                Some(z) => {
                    let result = client
                        .probe_dns_records(&z.id)
                        .await
                        .map(|_| format!("zone {}", z.name));
                    push(&mut report, DnsRead, judge(DnsRead, result));
                }
                None => {
                    push(
                        &mut report,
                        DnsRead,
                        Verdict::Unknown("no zone in this account to read".to_owned()),
                    );
                }
            }
        }
        Err(e) => {
            push(&mut report, Zones, judge(Zones, Err(e)));
            push(
                &mut report,
                DnsRead,
                Verdict::Skipped("zones cannot be read".to_owned()),
            );
        }
    }
    let dns_write = if client.uses_token() {
        Verdict::Unknown(format!("{NOT_TRIED}; the first DNS change tells"))
    } else {
        Verdict::Pass("a Global API Key can change DNS records".to_owned())
    };
    push(&mut report, DnsWrite, dns_write);
    // 9-10. Access.
    let apps = client
        .list_access_apps(&account)
        .await
        .map(|a| plural(a.len(), "application"));
    push(&mut report, AccessApps, judge(AccessApps, apps));
    let org = client
        .get_access_organization(&account)
        .await
        .map(|o| match o.team_name() {
            Some(team) => format!("team {team}"),
            None => format!("organization {} ({})", o.name, o.auth_domain),
        });
    push(
        &mut report,
        AccessOrganization,
        judge(AccessOrganization, org),
    );
    // 11. Connections.
    match &tunnel_id {
        Some(id) => {
            let result = client
                .list_connectors(&account, id)
                .await
                .map(|c| plural(c.len(), "connector"));
            push(&mut report, Connections, judge(Connections, result));
        }
        None => {
            push(
                &mut report,
                Connections,
                Verdict::Unknown("no tunnel to read".to_owned()),
            );
        }
    }
    report
}
