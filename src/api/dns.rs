//! Zones and DNS records: `GET /zones` (every page), `GET /zones/{zone}/dns_records` (every page)
//! and creating, changing and deleting one record (`POST`, `PATCH`, `DELETE`). What these answers
//! mean for a tunnel's hostnames is decided in `crate::dns`, without a network.
//!
//! A write is sent once, never retried: when its outcome is unknown (a timeout, a 5xx, a dropped
//! connection), the record's name is read again and the write counts as done only when the
//! record is there as asked (or gone, for a delete).

use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use super::error::{ApiError, Call};
use super::ids::IdKind;
use super::read;
use super::transport::{Client, List};
use crate::config::jsontree::Json;

/// Zones asked per page (the API's maximum).
const ZONES_PER_PAGE: u32 = 50;
/// A listing with more zones than this stops with an error.
pub const MAX_ZONES: usize = 10_000;
/// Records asked per page.
const RECORDS_PER_PAGE: u32 = 1_000;
/// A zone listing with more records than this stops with an error (Cloudflare's largest plans
/// allow tens of thousands of records per zone).
pub const MAX_RECORDS: usize = 100_000;

/// A zone of the account. Its id has been checked; its name is the server's (punycode in
/// practice), to be compared through `crate::dns::names` and shown through `text::inert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Zone {
    /// The zone id (32 hex characters in practice).
    pub id: String,
    /// The domain name, e.g. `example.com`.
    pub name: String,
    /// `active`, `pending`, `initializing`, `moved` (empty when not said).
    pub status: String,
}

impl Zone {
    /// Reads one zone object; `at` names it in errors (`page 1, result[3]`).
    pub fn from_tree(v: &Json<'_>, at: &str) -> Result<Self, ApiError> {
        read::object(v, at)?;
        Ok(Zone {
            id: read::id(v, "id", at, IdKind::Zone)?,
            name: read::req_str(v, "name", at)?.to_owned(),
            status: read::opt_str(v, "status", at)?
                .unwrap_or_default()
                .to_owned(),
        })
    }
}

/// A DNS record. Its id has been checked; every string is the server's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    /// The record id.
    pub id: String,
    /// The record type: `CNAME`, `A`, `AAAA`, `TXT`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The full name, in punycode (`www.example.com`, `*.preview.example.com`).
    pub name: String,
    /// The content: a CNAME's target, an address, a text.
    pub content: String,
    /// Whether Cloudflare proxies it.
    pub proxied: bool,
    /// The record's comment, if any.
    pub comment: Option<String>,
}

impl DnsRecord {
    /// Reads one record object; `at` names it in errors.
    pub fn from_tree(v: &Json<'_>, at: &str) -> Result<Self, ApiError> {
        read::object(v, at)?;
        Ok(DnsRecord {
            id: read::id(v, "id", at, IdKind::DnsRecord)?,
            kind: read::req_str(v, "type", at)?.to_owned(),
            name: read::req_str(v, "name", at)?.to_owned(),
            content: read::opt_str(v, "content", at)?
                .unwrap_or_default()
                .to_owned(),
            proxied: read::opt_bool(v, "proxied", at)?.unwrap_or(false),
            comment: read::opt_str(v, "comment", at)?.map(str::to_owned),
        })
    }
}

/// A proxied CNAME to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCname {
    /// The full record name, in punycode.
    pub name: String,
    /// The target (`<tunnel id>.cfargotunnel.com`).
    pub content: String,
    /// The record's comment (at most 100 characters: the free plan's limit).
    pub comment: String,
}

/// What to change in a CNAME: it becomes a proxied CNAME to `content`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repoint {
    /// The new target.
    pub content: String,
    /// The record's new comment.
    pub comment: String,
}

/// One write to send.
struct Write<'a> {
    zone: &'a Zone,
    method: Method,
    segments: &'a [&'a str],
    /// The object, for "not found".
    what: String,
    body: &'a Value,
}

/// A record as "not found" messages name it: `DNS record 372e… (www.example.com)`.
fn describe(record: &DnsRecord) -> String {
    format!(
        "DNS record {} ({})",
        record.id,
        crate::text::inert(&record.name)
    )
}

impl Client {
    /// Every zone of the account (all pages).
    pub async fn list_zones(&self, account: &str) -> Result<Vec<Zone>, ApiError> {
        IdKind::Account.check_given(account)?;
        let query = [("account.id", account.to_owned())];
        let list = List {
            call: Call::Zones,
            what: format!("the zones of account {account}"),
            segments: &["zones"],
            query: &query,
            per_page: ZONES_PER_PAGE,
            max_items: MAX_ZONES,
        };
        self.get_all(list, |raw, at| Zone::from_tree(&read::item(raw, at)?, at))
            .await
    }

    /// The zone's DNS records (all pages), filtered by `query` (`type`, `content`,
    /// `name.exact`, ...; none lists them all).
    pub async fn list_dns_records(
        &self,
        zone: &Zone,
        query: &[(&str, String)],
    ) -> Result<Vec<DnsRecord>, ApiError> {
        IdKind::Zone.check_given(&zone.id)?;
        let list = List {
            call: Call::DnsRead,
            what: format!("the DNS records of zone {}", crate::text::inert(&zone.name)),
            segments: &["zones", &zone.id, "dns_records"],
            query,
            per_page: RECORDS_PER_PAGE,
            max_items: MAX_RECORDS,
        };
        self.get_all(list, |raw, at| {
            DnsRecord::from_tree(&read::item(raw, at)?, at)
        })
        .await
    }

    /// Sends one write (never twice) and reads the record it answers. When the outcome is
    /// unknown, the records named `name` are read again and the one `landed` accepts is the
    /// answer; without one, the write's error stands.
    async fn write_checked(
        &self,
        write: Write<'_>,
        name: &str,
        landed: impl Fn(&DnsRecord) -> bool,
    ) -> Result<DnsRecord, ApiError> {
        let url = self.url(write.segments);
        let err = match self
            .send(
                Call::DnsEdit,
                &write.what,
                write.method,
                url,
                Some(write.body),
            )
            .await
        {
            Ok(env) => {
                return match env.result_tree()? {
                    tree @ Json::Object(_) => DnsRecord::from_tree(&tree, "result"),
                    other => Err(ApiError::Unexpected(format!(
                        "the record written is not in the answer (result: {})",
                        read::found(&other)
                    ))),
                };
            }
            Err(e) => e,
        };
        if !err.leaves_outcome_unknown() {
            return Err(err);
        }
        let found = self
            .records_named(write.zone, name)
            .await
            .ok()
            .and_then(|rs| rs.into_iter().find(|r| landed(r)));
        found.ok_or(err)
    }

    /// The records of `zone` named `name` (for checking a write whose outcome is unknown).
    async fn records_named(&self, zone: &Zone, name: &str) -> Result<Vec<DnsRecord>, ApiError> {
        self.list_dns_records(zone, &[("name.exact", name.to_owned())])
            .await
    }

    /// Creates a proxied CNAME in `zone`. Sent once; when the outcome is unknown, the name is
    /// read again and the record found there is the answer.
    pub async fn create_cname(&self, zone: &Zone, new: &NewCname) -> Result<DnsRecord, ApiError> {
        IdKind::Zone.check_given(&zone.id)?;
        let body = json!({
            "type": "CNAME",
            "name": new.name,
            "content": new.content,
            "proxied": true,
            "ttl": 1,
            "comment": new.comment,
        });
        let write = Write {
            zone,
            method: Method::POST,
            segments: &["zones", &zone.id, "dns_records"],
            what: format!("zone {}", crate::text::inert(&zone.name)),
            body: &body,
        };
        self.write_checked(write, &new.name, |r| {
            r.kind.eq_ignore_ascii_case("CNAME")
                && r.content.eq_ignore_ascii_case(&new.content)
                && r.proxied
        })
        .await
    }

    /// Makes an existing CNAME a proxied CNAME to `change.content`. Sent once; an unknown
    /// outcome is checked as for [`Client::create_cname`].
    pub async fn repoint_cname(
        &self,
        zone: &Zone,
        record: &DnsRecord,
        change: &Repoint,
    ) -> Result<DnsRecord, ApiError> {
        IdKind::Zone.check_given(&zone.id)?;
        IdKind::DnsRecord.check_given(&record.id)?;
        let body = json!({
            "type": "CNAME",
            "content": change.content,
            "proxied": true,
            "comment": change.comment,
        });
        let write = Write {
            zone,
            method: Method::PATCH,
            segments: &["zones", &zone.id, "dns_records", &record.id],
            what: describe(record),
            body: &body,
        };
        self.write_checked(write, &record.name, |r| {
            r.id == record.id && r.content.eq_ignore_ascii_case(&change.content) && r.proxied
        })
        .await
    }

    /// Deletes a record. Sent once; when the outcome is unknown, the record counts as deleted
    /// only when it is no longer listed.
    pub async fn delete_dns_record(&self, zone: &Zone, record: &DnsRecord) -> Result<(), ApiError> {
        IdKind::Zone.check_given(&zone.id)?;
        IdKind::DnsRecord.check_given(&record.id)?;
        let url = self.url(&["zones", &zone.id, "dns_records", &record.id]);
        let err = match self
            .send(Call::DnsEdit, &describe(record), Method::DELETE, url, None)
            .await
        {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        if !err.leaves_outcome_unknown() {
            return Err(err);
        }
        match self.records_named(zone, &record.name).await {
            Ok(rs) if !rs.iter().any(|r| r.id == record.id) => Ok(()),
            _ => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(s: &str) -> Json<'_> {
        serde_json::from_str(s).unwrap_or(Json::Null)
    }

    #[test]
    fn records_and_zones_are_read_with_their_ids_checked() {
        let r = DnsRecord::from_tree(
            &tree(
                r#"{"id":"372e67954025e0ba6aaa6d586b9e0b59","type":"CNAME","name":"www.example.com","content":"x.cfargotunnel.com","proxied":true,"comment":null,"extra":[1]}"#,
            ),
            "result[0]",
        );
        assert!(
            r.as_ref().is_ok_and(|r| r.proxied && r.comment.is_none()),
            "{r:?}"
        );
        let e = DnsRecord::from_tree(
            &tree(r#"{"id":"../../zones","type":"CNAME","name":"a"}"#),
            "page 2, result[1]",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            e.contains("page 2, result[1].id") && e.contains("DNS record id"),
            "{e}"
        );
        let e = DnsRecord::from_tree(
            &tree(r#"{"id":"372e67954025e0ba6aaa6d586b9e0b59","type":"CNAME","name":"a","proxied":"yes"}"#),
            "r",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("r.proxied: expected true or false"), "{e}");
        let z = Zone::from_tree(
            &tree(
                r#"{"id":"023e105f4ecef8ad9ca31a8372d0c353","name":"example.com","status":"active"}"#,
            ),
            "result[0]",
        );
        assert!(z.is_ok_and(|z| z.name == "example.com"));
        let e = Zone::from_tree(&tree(r#"{"id":"023e105f4ecef8ad9ca31a8372d0c353"}"#), "r")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("r.name is missing"), "{e}");
    }
}
