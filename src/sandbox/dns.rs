//! The sandbox's zones and DNS records: `GET /zones`, `GET`/`POST /zones/{zone}/dns_records`,
//! `PATCH`/`DELETE /zones/{zone}/dns_records/{id}` and `POST /zones/{zone}/dns_records/batch`,
//! answering as the API does (names stored in lowercase punycode, a CNAME alone at its name,
//! the permission errors 9109 and 10000), and the control routes under `/__sandbox/dns`:
//!
//! - `POST /__sandbox/dns/zones` `{"name", "status"?}` adds a zone;
//! - `POST /__sandbox/dns/records` `{"type", "name", "content", "proxied"?, "comment"?}` adds a
//!   record to the zone holding its name;
//! - `POST /__sandbox/dns/permissions` `{"zone_read"?, "dns_read"?, "dns_edit"?}` takes
//!   permissions from (or gives them back to) every token;
//! - `GET /__sandbox/dns/records` lists every record.
//!
//! Faults on DNS endpoints are the usual ones (`POST /__sandbox/faults` with a `path` such as
//! `dns_records`).

use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::state::{Reply, SandboxRequest, SandboxState, rfc3339, stable_uuid};
use crate::dns::names::{in_zone, record_name, tunnel_target};

/// A zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneEntry {
    /// 32 hex characters.
    pub id: String,
    /// Lowercase punycode.
    pub name: String,
    /// `active`, `pending`, ...
    pub status: String,
    /// Creation time.
    pub created_on: String,
}

/// A DNS record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordEntry {
    /// 32 hex characters.
    pub id: String,
    /// The zone's id.
    pub zone_id: String,
    /// `CNAME`, `A`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Full name, lowercase punycode.
    pub name: String,
    /// Content.
    pub content: String,
    /// Proxied by Cloudflare.
    pub proxied: bool,
    /// TTL (1 = automatic).
    pub ttl: u64,
    /// Comment.
    pub comment: Option<String>,
    /// Creation time.
    pub created_on: String,
    /// Last change.
    pub modified_on: String,
}

/// What every token may do with zones and DNS (a Global API Key may do everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsPermissions {
    /// Zone > Zone > Read.
    pub zone_read: bool,
    /// Zone > DNS > Read.
    pub dns_read: bool,
    /// Zone > DNS > Edit (read-only tokens never have it).
    pub dns_edit: bool,
}

impl Default for DnsPermissions {
    fn default() -> Self {
        DnsPermissions {
            zone_read: true,
            dns_read: true,
            dns_edit: true,
        }
    }
}

/// The account's zones and records.
#[derive(Debug, Clone, Default)]
pub struct DnsState {
    /// Zones.
    pub zones: Vec<ZoneEntry>,
    /// Records of every zone.
    pub records: Vec<RecordEntry>,
    /// What tokens may do.
    pub permissions: DnsPermissions,
    /// Makes ids unique.
    serial: u64,
}

/// The types the API knows.
const TYPES: [&str; 20] = [
    "A", "AAAA", "CAA", "CERT", "CNAME", "DNSKEY", "DS", "HTTPS", "LOC", "MX", "NAPTR", "NS",
    "PTR", "SMIMEA", "SRV", "SSHFP", "SVCB", "TLSA", "TXT", "URI",
];

/// Who is asking, as far as DNS is concerned.
#[derive(Debug, Clone, Copy)]
pub(super) struct Access {
    /// A Global API Key: everything.
    pub global: bool,
    /// The token may write (read-only tokens may not).
    pub write: bool,
}

fn unauthorized() -> Reply {
    Reply::error(403, 9109, "Unauthorized to access requested resource")
}

fn validation(message: &str) -> Reply {
    Reply::error(400, 1004, &format!("DNS Validation Error: {message}"))
}

/// A record as the API answers it.
fn record_json(r: &RecordEntry, zone_name: &str) -> Value {
    let mut v = json!({
        "id": r.id, "zone_id": r.zone_id, "zone_name": zone_name, "name": r.name, "type": r.kind,
        "content": r.content, "proxiable": matches!(r.kind.as_str(), "A" | "AAAA" | "CNAME"),
        "proxied": r.proxied, "ttl": r.ttl, "settings": {},
        "meta": {"auto_added": false, "source": "primary"},
        "tags": [], "created_on": r.created_on, "modified_on": r.modified_on,
    });
    if let Some(c) = &r.comment {
        v["comment"] = json!(c);
    }
    v
}

/// The fields of a record write (create, patch, batch), as sent.
#[derive(Debug, Default, Deserialize)]
struct Write {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    proxied: Option<bool>,
    #[serde(default)]
    ttl: Option<u64>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

/// The longest comment on the free plan.
const MAX_COMMENT: usize = 100;

impl DnsState {
    fn next_id(&mut self, seed: &str) -> String {
        self.serial += 1;
        stable_uuid(format!("{seed}/{}", self.serial).as_bytes()).replace('-', "")
    }

    /// Adds a zone (its name made lowercase punycode); returns its id.
    pub fn add_zone(&mut self, name: &str, status: &str) -> Result<String, String> {
        let name = record_name(name).map_err(|e| format!("zone {name}: {e}"))?;
        if !name.contains('.') || name.starts_with("*.") {
            return Err(format!("zone {name}: not a domain name"));
        }
        if let Some(z) = self.zones.iter().find(|z| z.name == name) {
            return Ok(z.id.clone());
        }
        let id = self.next_id(&name);
        self.zones.push(ZoneEntry {
            id: id.clone(),
            name,
            status: status.to_owned(),
            created_on: rfc3339(SystemTime::now()),
        });
        Ok(id)
    }

    /// The zone holding a full name (the longest match).
    fn zone_of(&self, name: &str) -> Option<&ZoneEntry> {
        self.zones
            .iter()
            .filter(|z| in_zone(name, &z.name))
            .max_by_key(|z| z.name.len())
    }

    /// Adds a record to the zone holding its name, checked as a create is.
    pub fn add_record(
        &mut self,
        kind: &str,
        name: &str,
        content: &str,
        proxied: bool,
        comment: Option<&str>,
    ) -> Result<String, String> {
        self.add_record_to(kind, name, content, proxied, comment, false)
    }

    /// [`Self::add_record`]; with `new_name`, the caller knows no record holds the name yet, so
    /// the record is checked alone rather than against every record (seeding 100 000 hostnames
    /// stays linear).
    fn add_record_to(
        &mut self,
        kind: &str,
        name: &str,
        content: &str,
        proxied: bool,
        comment: Option<&str>,
        new_name: bool,
    ) -> Result<String, String> {
        let full = record_name(name).map_err(|e| format!("{name}: {e}"))?;
        let zone = self
            .zone_of(&full)
            .map(|z| z.id.clone())
            .ok_or_else(|| format!("no zone holds {full}"))?;
        let write = Write {
            kind: Some(kind.to_owned()),
            name: Some(full),
            content: Some(content.to_owned()),
            proxied: Some(proxied),
            comment: comment.map(str::to_owned),
            ..Write::default()
        };
        // `create` adds the record only when it passes.
        let created = if new_name {
            let mut alone = Vec::new();
            let created = self.create(&mut alone, &zone, &write);
            self.records.append(&mut alone);
            created
        } else {
            let mut records = std::mem::take(&mut self.records);
            let created = self.create(&mut records, &zone, &write);
            self.records = records;
            created
        };
        created.map(|r| r.id).map_err(|r| {
            r.body["errors"][0]["message"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
    }

    /// A full record name from what a write sends: `@` is the apex, a name outside the zone is
    /// taken as relative to it (as the API does), unicode becomes punycode.
    fn full_name(zone: &ZoneEntry, name: &str) -> Result<String, Reply> {
        let name = name.trim();
        if name == "@" || name.is_empty() {
            return Ok(zone.name.clone());
        }
        let ascii = record_name(name).map_err(|e| validation(&format!("the name {name}: {e}")))?;
        let full = if in_zone(&ascii, &zone.name) {
            ascii
        } else {
            format!("{ascii}.{}", zone.name)
        };
        if full.len() > 255 {
            return Err(validation("the name is longer than 255 characters"));
        }
        Ok(full)
    }

    /// Checks a record as it would be after a write, against the others at its name.
    fn check_record(
        records: &[RecordEntry],
        r: &RecordEntry,
        zone: &ZoneEntry,
    ) -> Result<(), Reply> {
        if !TYPES.contains(&r.kind.as_str()) {
            return Err(validation(&format!("unknown record type {}", r.kind)));
        }
        match r.kind.as_str() {
            "A" if r.content.parse::<std::net::Ipv4Addr>().is_err() => {
                return Err(validation("content for A record must be an IPv4 address"));
            }
            "AAAA" if r.content.parse::<std::net::Ipv6Addr>().is_err() => {
                return Err(validation(
                    "content for AAAA record must be an IPv6 address",
                ));
            }
            "CNAME" => {
                let target = record_name(&r.content).map_err(|e| {
                    validation(&format!("content for CNAME record is invalid: {e}"))
                })?;
                if target == r.name {
                    return Err(validation("a CNAME cannot point at its own name"));
                }
            }
            _ => {}
        }
        if r.proxied && !matches!(r.kind.as_str(), "A" | "AAAA" | "CNAME") {
            return Err(Reply::error(
                400,
                9004,
                "This record type cannot be proxied.",
            ));
        }
        if r.ttl != 1 && !(30..=86_400).contains(&r.ttl) {
            return Err(validation(
                "ttl must be 1 (automatic) or between 30 and 86400",
            ));
        }
        if r.comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT)
        {
            return Err(validation(&format!(
                "the comment is longer than {MAX_COMMENT} characters"
            )));
        }
        if !in_zone(&r.name, &zone.name) {
            return Err(validation("the name is not in the zone"));
        }
        let others: Vec<&RecordEntry> = records
            .iter()
            .filter(|o| o.id != r.id && o.zone_id == r.zone_id && o.name == r.name)
            .collect();
        if others
            .iter()
            .any(|o| o.kind == r.kind && o.content.eq_ignore_ascii_case(&r.content))
        {
            return Err(Reply::error(
                400,
                81058,
                "An identical record already exists.",
            ));
        }
        let cname_clash = if r.kind == "CNAME" {
            !others.is_empty()
        } else {
            others.iter().any(|o| o.kind == "CNAME")
        };
        if cname_clash {
            return Err(Reply::error(
                400,
                81053,
                "An A, AAAA, or CNAME record with that host already exists.",
            ));
        }
        Ok(())
    }

    fn create(
        &mut self,
        records: &mut Vec<RecordEntry>,
        zone_id: &str,
        w: &Write,
    ) -> Result<RecordEntry, Reply> {
        let zone = self
            .zones
            .iter()
            .find(|z| z.id == zone_id)
            .cloned()
            .ok_or_else(|| Reply::error(404, 1001, "Invalid zone identifier"))?;
        let (Some(kind), Some(name), Some(content)) = (&w.kind, &w.name, &w.content) else {
            return Err(validation("type, name and content are required"));
        };
        let name = Self::full_name(&zone, name)?;
        let now = rfc3339(SystemTime::now());
        let r = RecordEntry {
            id: self.next_id(&name),
            zone_id: zone.id.clone(),
            kind: kind.to_ascii_uppercase(),
            name,
            content: if kind.eq_ignore_ascii_case("CNAME") {
                content.trim_end_matches('.').to_ascii_lowercase()
            } else {
                content.clone()
            },
            proxied: w.proxied.unwrap_or(false),
            ttl: w.ttl.unwrap_or(1),
            comment: w.comment.clone().filter(|c| !c.is_empty()),
            created_on: now.clone(),
            modified_on: now,
        };
        Self::check_record(records, &r, &zone)?;
        records.push(r.clone());
        Ok(r)
    }

    fn patch(
        &self,
        records: &mut [RecordEntry],
        zone_id: &str,
        id: &str,
        w: &Write,
        replace: bool,
    ) -> Result<RecordEntry, Reply> {
        let zone = self
            .zones
            .iter()
            .find(|z| z.id == zone_id)
            .ok_or_else(|| Reply::error(404, 1001, "Invalid zone identifier"))?;
        let idx = records
            .iter()
            .position(|r| r.id == id && r.zone_id == zone_id)
            .ok_or_else(|| Reply::error(404, 81044, "Record does not exist."))?;
        let mut r = records[idx].clone();
        if replace {
            let (Some(_), Some(_), Some(_)) = (&w.kind, &w.name, &w.content) else {
                return Err(validation("type, name and content are required"));
            };
            r.proxied = false;
            r.ttl = 1;
            r.comment = None;
        }
        if let Some(k) = &w.kind {
            r.kind = k.to_ascii_uppercase();
        }
        if let Some(n) = &w.name {
            r.name = Self::full_name(zone, n)?;
        }
        if let Some(c) = &w.content {
            r.content = if r.kind == "CNAME" {
                c.trim_end_matches('.').to_ascii_lowercase()
            } else {
                c.clone()
            };
        }
        if let Some(p) = w.proxied {
            r.proxied = p;
        }
        if let Some(t) = w.ttl {
            r.ttl = t;
        }
        if let Some(c) = &w.comment {
            r.comment = Some(c.clone()).filter(|c| !c.is_empty());
        }
        r.modified_on = rfc3339(SystemTime::now());
        Self::check_record(records, &r, zone)?;
        records[idx] = r.clone();
        Ok(r)
    }

    fn zone_name(&self, zone_id: &str) -> String {
        self.zones
            .iter()
            .find(|z| z.id == zone_id)
            .map(|z| z.name.clone())
            .unwrap_or_default()
    }

    fn zone_json(&self, z: &ZoneEntry, account_id: &str, account_name: &str) -> Value {
        json!({
            "id": z.id, "name": z.name, "status": z.status, "paused": false, "type": "full",
            "development_mode": 0,
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "original_name_servers": null, "original_registrar": null, "original_dnshost": null,
            "created_on": z.created_on, "modified_on": z.created_on,
            "activated_on": if z.status == "active" { Value::String(z.created_on.clone()) } else { Value::Null },
            "meta": {"step": 2, "custom_certificate_quota": 0, "page_rule_quota": 3, "phishing_detected": false},
            "owner": {"id": account_id, "name": account_name, "type": "organization"},
            "account": {"id": account_id, "name": account_name},
        })
    }
}

fn parse_write(body: &[u8]) -> Result<Write, Reply> {
    serde_json::from_slice::<Write>(body).map_err(|e| {
        Reply::error(
            400,
            1001,
            &format!("Invalid request: the body is not a DNS record ({e})"),
        )
    })
}

impl SandboxState {
    /// Answers `/zones...` (`rest` after `zones`).
    pub(super) fn zones_route(
        &mut self,
        method: &str,
        rest: &[&str],
        req: &SandboxRequest,
        access: Access,
    ) -> Reply {
        let perms = if access.global {
            DnsPermissions::default()
        } else {
            self.dns.permissions
        };
        match (method, rest) {
            ("GET", []) => {
                if !perms.zone_read {
                    return unauthorized();
                }
                let account = self.query(req, "account.id");
                let name = self.query(req, "name");
                let status = self.query(req, "status");
                let all: Vec<Value> = self
                    .dns
                    .zones
                    .iter()
                    .filter(|_| account.as_deref().is_none_or(|a| a == self.account_id))
                    .filter(|z| {
                        name.as_deref()
                            .is_none_or(|n| z.name.eq_ignore_ascii_case(n))
                    })
                    .filter(|z| status.as_deref().is_none_or(|s| z.status == s))
                    .map(|z| self.dns.zone_json(z, &self.account_id, &self.account_name))
                    .collect();
                self.page_of(req, 50, all)
            }
            (_, [zone, "dns_records", tail @ ..]) => {
                let zone = *zone;
                let is_id = (1..=32).contains(&zone.len())
                    && zone.bytes().all(|b| b.is_ascii_alphanumeric());
                if !is_id || !self.dns.zones.iter().any(|z| z.id == zone) {
                    return Reply::error(
                        400,
                        7003,
                        &format!(
                            "Could not route to /zones/{zone}/dns_records, perhaps your object identifier is invalid?"
                        ),
                    );
                }
                let reading = method == "GET";
                if reading && !(perms.dns_read || perms.dns_edit) {
                    return unauthorized();
                }
                if !(reading || perms.dns_edit && access.write) {
                    return Reply::error(403, 10000, "Authentication error");
                }
                self.records_route(method, zone, tail, req)
            }
            _ => Reply::error(400, 7000, "No route for that URI"),
        }
    }

    fn records_route(
        &mut self,
        method: &str,
        zone: &str,
        tail: &[&str],
        req: &SandboxRequest,
    ) -> Reply {
        let zone_name = self.dns.zone_name(zone);
        match (method, tail) {
            ("GET", []) => {
                let q = |k: &str| self.query(req, k);
                let name = q("name.exact").or_else(|| q("name")).map(|n| {
                    let n = n.trim_end_matches('.').to_ascii_lowercase();
                    record_name(&n).unwrap_or(n)
                });
                let (kind, content, proxied) = (q("type"), q("content"), q("proxied"));
                let mut all: Vec<&RecordEntry> = self
                    .dns
                    .records
                    .iter()
                    .filter(|r| r.zone_id == zone)
                    .filter(|r| name.as_deref().is_none_or(|n| r.name == n))
                    .filter(|r| {
                        kind.as_deref()
                            .is_none_or(|k| r.kind.eq_ignore_ascii_case(k))
                    })
                    .filter(|r| {
                        content
                            .as_deref()
                            .is_none_or(|c| r.content.eq_ignore_ascii_case(c.trim_end_matches('.')))
                    })
                    .filter(|r| {
                        proxied
                            .as_deref()
                            .is_none_or(|p| r.proxied.to_string() == p)
                    })
                    .collect();
                all.sort_by(|a, b| a.name.cmp(&b.name).then(a.kind.cmp(&b.kind)));
                self.page_of_with(req, 5_000, all, |r| record_json(r, &zone_name))
            }
            ("POST", []) => {
                let w = match parse_write(&req.body) {
                    Ok(w) => w,
                    Err(r) => return r,
                };
                let mut records = std::mem::take(&mut self.dns.records);
                let created = self.dns.create(&mut records, zone, &w);
                self.dns.records = records;
                match created {
                    Ok(r) => Reply::ok(record_json(&r, &zone_name)),
                    Err(e) => e,
                }
            }
            ("POST", ["batch"]) => self.batch(zone, &zone_name, &req.body),
            ("PATCH", [id]) => {
                let w = match parse_write(&req.body) {
                    Ok(w) => w,
                    Err(r) => return r,
                };
                // `patch` changes the record only when the result passes.
                let mut records = std::mem::take(&mut self.dns.records);
                let patched = self.dns.patch(&mut records, zone, id, &w, false);
                self.dns.records = records;
                match patched {
                    Ok(r) => Reply::ok(record_json(&r, &zone_name)),
                    Err(e) => e,
                }
            }
            ("DELETE", [id]) => {
                match self
                    .dns
                    .records
                    .iter()
                    .position(|r| r.id == *id && r.zone_id == zone)
                {
                    Some(idx) => {
                        self.dns.records.remove(idx);
                        Reply::ok(json!({"id": id}))
                    }
                    None => Reply::error(404, 81044, "Record does not exist."),
                }
            }
            _ => Reply::error(400, 7000, "No route for that URI"),
        }
    }

    /// A batch: deletes, patches, puts, posts, in that order, all or nothing.
    fn batch(&mut self, zone: &str, zone_name: &str, body: &[u8]) -> Reply {
        #[derive(Deserialize, Default)]
        struct Batch {
            #[serde(default)]
            deletes: Vec<Write>,
            #[serde(default)]
            patches: Vec<Write>,
            #[serde(default)]
            puts: Vec<Write>,
            #[serde(default)]
            posts: Vec<Write>,
        }
        let b: Batch = match serde_json::from_slice(body) {
            Ok(b) => b,
            Err(e) => {
                return Reply::error(400, 1001, &format!("Invalid request: not a batch ({e})"));
            }
        };
        let mut records = self.dns.records.clone();
        let mut dns = std::mem::take(&mut self.dns);
        let mut out = json!({"deletes": [], "patches": [], "puts": [], "posts": []});
        let mut push = |key: &str, r: &RecordEntry| {
            if let Some(list) = out[key].as_array_mut() {
                list.push(record_json(r, zone_name));
            }
        };
        let result = (|| -> Result<(), Reply> {
            for d in &b.deletes {
                let id = d.id.as_deref().unwrap_or_default();
                let idx = records
                    .iter()
                    .position(|r| r.id == id && r.zone_id == zone)
                    .ok_or_else(|| Reply::error(404, 81044, "Record does not exist."))?;
                push("deletes", &records.remove(idx));
            }
            for (key, list, replace) in [("patches", &b.patches, false), ("puts", &b.puts, true)] {
                for p in list {
                    let id = p.id.clone().unwrap_or_default();
                    let r = dns.patch(&mut records, zone, &id, p, replace)?;
                    push(key, &r);
                }
            }
            for p in &b.posts {
                let r = dns.create(&mut records, zone, p)?;
                push("posts", &r);
            }
            Ok(())
        })();
        self.dns = dns;
        match result {
            Ok(()) => {
                self.dns.records = records;
                Reply::ok(out)
            }
            Err(e) => e,
        }
    }

    /// The control routes under `/__sandbox/dns` (`rest` after `dns`).
    pub(super) fn dns_control(&mut self, method: &str, rest: &[&str], body: &[u8]) -> Reply {
        let done = |extra: Value| {
            let mut body = json!({"success": true});
            if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
                b.extend(e.clone());
            }
            Reply {
                status: 200,
                headers: Vec::new(),
                body,
                raw: None,
            }
        };
        let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let text = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or_default();
        match (method, rest) {
            ("POST", ["zones"]) => {
                let status = value
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("active");
                match self.dns.add_zone(text("name"), status) {
                    Ok(id) => done(json!({"id": id})),
                    Err(e) => Reply::error(400, 1001, &e),
                }
            }
            ("POST", ["records"]) => {
                let proxied = value
                    .get("proxied")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let comment = value.get("comment").and_then(Value::as_str);
                match self.dns.add_record(
                    &text("type").to_ascii_uppercase(),
                    text("name"),
                    text("content"),
                    proxied,
                    comment,
                ) {
                    Ok(id) => done(json!({"id": id})),
                    Err(e) => Reply::error(400, 1004, &e),
                }
            }
            ("POST", ["permissions"]) => {
                let p = &mut self.dns.permissions;
                for (key, slot) in [
                    ("zone_read", &mut p.zone_read),
                    ("dns_read", &mut p.dns_read),
                    ("dns_edit", &mut p.dns_edit),
                ] {
                    if let Some(b) = value.get(key).and_then(Value::as_bool) {
                        *slot = b;
                    }
                }
                done(json!({"permissions": self.dns.permissions}))
            }
            ("GET", ["records"]) => done(json!({"records": self.dns.records})),
            _ => Reply::error(400, 7000, "No route for that URI"),
        }
    }

    /// Zones and proxied CNAMEs for every hostname of a seeded tunnel, as the dashboard would
    /// have made them: each hostname's zone is its last two labels.
    pub fn seed_dns_for(&mut self, tunnel_id: &str) {
        let Some(config) = self
            .tunnels
            .iter()
            .find(|t| t.id == tunnel_id)
            .and_then(|t| t.config.clone())
        else {
            return;
        };
        let Ok(loaded) = crate::config::files::from_json_value(&config) else {
            return;
        };
        let mut named: std::collections::HashSet<String> =
            self.dns.records.iter().map(|r| r.name.clone()).collect();
        for name in crate::dns::check::record_names(&loaded.config) {
            let Ok(full) = record_name(&name) else {
                continue;
            };
            if !named.insert(full) {
                // A CNAME must be alone at its name: the first rule's record serves the rest.
                continue;
            }
            let labels: Vec<&str> = name.split('.').collect();
            if labels.len() < 2 || labels[labels.len() - 2] == "*" {
                continue;
            }
            let zone = labels[labels.len() - 2..].join(".");
            if self.dns.zone_of(&name).is_none() && self.dns.add_zone(&zone, "active").is_err() {
                continue;
            }
            let _ =
                self.dns
                    .add_record_to("CNAME", &name, &tunnel_target(tunnel_id), true, None, true);
        }
    }

    /// The demo's DNS: every hostname served but `hello.example.com` (missing), an orphan
    /// `old-app.example.com`, and `legacy.example.com` pointing at the other tunnel.
    pub fn seed_demo_dns(&mut self, demo: &str, other: &str) {
        self.seed_dns_for(demo);
        let legacy = self
            .dns
            .records
            .iter()
            .position(|r| r.name == "legacy.example.com");
        if let Some(i) = legacy {
            self.dns.records[i].content = tunnel_target(other);
        }
        self.dns.records.retain(|r| r.name != "hello.example.com");
        let target = tunnel_target(demo);
        let extra = [
            ("CNAME", "old-app.example.com", target.as_str(), true),
            ("A", "example.com", "192.0.2.10", true),
            ("TXT", "example.com", "v=spf1 -all", false),
        ];
        for (kind, name, content, proxied) in extra {
            let _ = self.dns.add_record(kind, name, content, proxied, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::state::{random_token, test_request as req};

    #[test]
    fn records_are_checked_like_the_api() {
        let mut s = SandboxState::new(&random_token());
        let zone = s.dns.add_zone("Example.com", "active").unwrap_or_default();
        let path = format!("/zones/{zone}/dns_records");
        let post = |s: &mut SandboxState, body: Value| {
            let r = req(s, "POST", &path, body);
            s.handle(&r)
        };
        let r = post(
            &mut s,
            json!({"type": "CNAME", "name": "Bücher", "content": "x.cfargotunnel.com", "proxied": true}),
        );
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["result"]["name"], "xn--bcher-kva.example.com");
        let r = post(
            &mut s,
            json!({"type": "A", "name": "xn--bcher-kva.example.com", "content": "192.0.2.1"}),
        );
        assert_eq!(r.body["errors"][0]["code"], 81053);
        let r = post(
            &mut s,
            json!({"type": "TXT", "name": "t", "content": "x", "proxied": true}),
        );
        assert_eq!(r.body["errors"][0]["code"], 9004);
        let r = post(
            &mut s,
            json!({"type": "CNAME", "name": "c", "content": "y.example.net", "comment": "c".repeat(101)}),
        );
        assert_eq!(r.status, 400);
        let r = post(
            &mut s,
            json!({"type": "A", "name": "@", "content": "192.0.2.1"}),
        );
        assert_eq!(r.body["result"]["name"], "example.com");
        let r = s.handle(&req(&s, "GET", &path, Value::Null));
        assert_eq!(r.body["result"].as_array().map(Vec::len), Some(2));

        s.dns.permissions.dns_edit = false;
        let r = post(
            &mut s,
            json!({"type": "A", "name": "b", "content": "192.0.2.2"}),
        );
        assert_eq!(
            (r.status, r.body["errors"][0]["code"].clone()),
            (403, json!(10000))
        );
        s.dns.permissions.dns_read = false;
        let r = s.handle(&req(&s, "GET", &path, Value::Null));
        assert_eq!(
            (r.status, r.body["errors"][0]["code"].clone()),
            (403, json!(9109))
        );
        s.dns.permissions.zone_read = false;
        let r = s.handle(&req(&s, "GET", "/zones", Value::Null));
        assert_eq!(r.body["errors"][0]["code"], 9109);
    }

    #[test]
    fn a_batch_is_all_or_nothing() {
        let mut s = SandboxState::new(&random_token());
        let zone = s.dns.add_zone("example.com", "active").unwrap_or_default();
        let a = s
            .dns
            .add_record("CNAME", "a.example.com", "x.example.net", false, None)
            .unwrap_or_default();
        let path = format!("/zones/{zone}/dns_records/batch");
        let bad = json!({"deletes": [{"id": a}], "posts": [{"type": "A", "name": "b", "content": "nope"}]});
        let r = s.handle(&req(&s, "POST", &path, bad));
        assert_eq!(r.status, 400);
        assert_eq!(s.dns.records.len(), 1, "nothing applied");
        let good = json!({"patches": [{"id": a, "proxied": true}], "posts": [{"type": "A", "name": "b", "content": "192.0.2.1"}]});
        let r = s.handle(&req(&s, "POST", &path, good));
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["result"]["patches"][0]["proxied"], true);
        assert_eq!(s.dns.records.len(), 2);
    }
}
