//! Reproducible scale fixtures for benchmarks and tests: generated configs with wildcards, path
//! regexes and per-rule origin-request settings, and request URLs to match against them.

use crate::config::duration::Duration;
use crate::config::model::{Access, IngressRule, OriginRequest, Setting, TunnelConfig};

/// A small deterministic PRNG (SplitMix64), so fixtures are identical for a seed on any machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const WORDS: &[&str] = &[
    "api", "app", "grafana", "auth", "cdn", "docs", "git", "jira", "wiki", "mail", "vpn", "ssh",
    "db", "metrics", "status", "shop", "admin", "portal", "files", "chat",
];

/// The hostname of generated rule `i` (unique per `i`).
pub fn hostname(i: usize) -> String {
    format!(
        "{}-{}.team{}.example.com",
        WORDS[i % WORDS.len()],
        i,
        i % 97
    )
}

/// A valid config of `n` rules (the last a catch-all): about 10% wildcards, 30% path regexes, 25%
/// per-rule originRequest, some Access, ssh/rdp/unix services, and a global originRequest.
pub fn scale_config(n: usize, seed: u64) -> TunnelConfig {
    let mut rng = Rng::new(seed);
    let mut rules = Vec::with_capacity(n);
    for i in 0..n.saturating_sub(1) {
        let roll = rng.below(100);
        let host = if roll < 10 {
            format!("*.zone{i}.example.net")
        } else {
            hostname(i)
        };
        let path = if rng.below(100) < 30 {
            Setting::Set(match rng.below(4) {
                0 => format!("^/api/v{}/", rng.below(5)),
                1 => "^/(static|assets)/.*\\.(js|css|png)$".to_owned(),
                2 => format!("^/team{}/[a-z0-9-]+$", rng.below(50)),
                _ => "^/health$".to_owned(),
            })
        } else {
            Setting::Absent
        };
        let service = match rng.below(20) {
            0 => "ssh://localhost:22".to_owned(),
            1 => "rdp://10.0.0.5:3389".to_owned(),
            2 => format!("unix:/run/app{i}.sock"),
            3 => "http_status:404".to_owned(),
            _ => format!(
                "http://10.{}.{}.{}:{}",
                rng.below(256),
                rng.below(256),
                rng.below(256),
                8000 + rng.below(1000)
            ),
        };
        let origin = if rng.below(100) < 25 {
            let mut o = OriginRequest {
                connect_timeout: Setting::Set(Duration::from_secs(
                    5 + i64::try_from(rng.below(60)).unwrap_or(0),
                )),
                no_tls_verify: Setting::Set(rng.below(2) == 0),
                http_host_header: Setting::Set(format!("internal-{i}.svc.cluster.local")),
                ..OriginRequest::default()
            };
            if rng.below(10) == 0 {
                o.access = Setting::Set(Access {
                    required: Setting::Set(true),
                    team_name: Setting::Set("example".to_owned()),
                    aud_tag: Setting::Set(vec![format!("{:064x}", rng.next_u64())]),
                    ..Access::default()
                });
            }
            Setting::Set(Box::new(o))
        } else {
            Setting::Absent
        };
        rules.push(IngressRule {
            hostname: Setting::Set(host),
            path,
            service: Setting::Set(service),
            origin_request: origin,
            ..IngressRule::default()
        });
    }
    rules.push(IngressRule {
        service: Setting::Set("http_status:404".to_owned()),
        ..IngressRule::default()
    });
    TunnelConfig {
        ingress: Setting::Set(rules),
        origin_request: Setting::Set(OriginRequest {
            connect_timeout: Setting::Set(Duration::from_secs(30)),
            keep_alive_connections: Setting::Set(100),
            ..OriginRequest::default()
        }),
        ..TunnelConfig::default()
    }
}

/// `count` request URLs for a config made by [`scale_config`] with `n` rules: most hit a rule,
/// some hit wildcards or paths, some miss.
pub fn urls(n: usize, count: usize, seed: u64) -> Vec<String> {
    let mut rng = Rng::new(seed ^ 0x5eed);
    (0..count)
        .map(|_| {
            let i = usize::try_from(rng.below(n.max(1) as u64)).unwrap_or(0);
            match rng.below(10) {
                0 => format!("https://deep.x.zone{i}.example.net/"),
                1 => format!("https://unknown-{i}.example.org/"),
                2 => format!("https://{}/api/v{}/users", hostname(i), rng.below(5)),
                3 => format!("https://{}/static/app.js", hostname(i)),
                _ => format!("https://{}/", hostname(i)),
            }
        })
        .collect()
}

/// What the API would list for `config` on tunnel `tunnel_id`, for DNS benchmarks and tests: a
/// zone per hostname's last two labels, a proxied CNAME to the tunnel for nine hostnames in ten
/// (the tenth missing), and as many unrelated TXT records as hostnames.
pub fn dns_snapshot(config: &TunnelConfig, tunnel_id: &str) -> crate::dns::Snapshot {
    use crate::api::{DnsRecord, Zone};
    use crate::dns::names::tunnel_target;
    let names = crate::dns::check::record_names(config);
    let mut zones: Vec<Zone> = Vec::new();
    let mut records: Vec<Vec<DnsRecord>> = Vec::new();
    let target = tunnel_target(tunnel_id);
    for (i, name) in names.iter().enumerate() {
        let labels: Vec<&str> = name.rsplitn(3, '.').collect();
        let Some(zone_name) = labels.get(1).map(|l| format!("{l}.{}", labels[0])) else {
            continue;
        };
        let z = match zones.iter().position(|z| z.name == zone_name) {
            Some(z) => z,
            None => {
                zones.push(Zone {
                    id: format!("{:032x}", zones.len()),
                    name: zone_name,
                    status: "active".to_owned(),
                });
                records.push(Vec::new());
                zones.len() - 1
            }
        };
        let record = |n: usize, kind: &str, name: String, content: &str| DnsRecord {
            id: format!("{n:032x}"),
            kind: kind.to_owned(),
            name,
            content: content.to_owned(),
            proxied: kind == "CNAME",
            comment: None,
        };
        if i % 10 != 9 {
            records[z].push(record(2 * i, "CNAME", name.clone(), &target));
        }
        records[z].push(record(2 * i + 1, "TXT", format!("_txt{i}.{name}"), "v=x"));
    }
    crate::dns::Snapshot {
        tunnel_id: tunnel_id.to_owned(),
        listings: zones
            .iter()
            .zip(records)
            .map(|(zone, records)| crate::dns::ZoneListing {
                zone: zone.clone(),
                records: Ok(records),
                complete: true,
            })
            .collect(),
        zones: Ok(zones),
        unsearched: 0,
        tunnels: None,
    }
}
