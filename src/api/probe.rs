//! Single-page reads that only ask "may these credentials read this?", for `cfingress doctor`:
//! the first page of the account's zones and of one zone's DNS records. Nothing is written, and
//! nothing more than one page is read.

use super::error::{ApiError, Call};
use super::ids::IdKind;
use super::read;
use super::transport::Client;

/// Zones asked for (the API's largest page).
const ZONES_PER_PAGE: u32 = 50;

/// A zone as the probe saw it: its id has the API's shape; its name is the server's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRef {
    /// Zone id.
    pub id: String,
    /// Zone name (`example.com`).
    pub name: String,
}

impl Client {
    /// The first page of the account's zones, and whether more pages follow.
    pub async fn probe_zones(&self, account: &str) -> Result<(Vec<ZoneRef>, bool), ApiError> {
        IdKind::Account.check_given(account)?;
        let mut url = self.url(&["zones"]);
        url.query_pairs_mut()
            .append_pair("account.id", account)
            .append_pair("page", "1")
            .append_pair("per_page", &ZONES_PER_PAGE.to_string());
        let env = self.get(Call::Zones, "the account's zones", url).await?;
        let items = env.result_items("the account's zones")?;
        let more = env
            .total_pages()
            .map_or(items.len() >= ZONES_PER_PAGE as usize, |t| t > 1);
        let zones = items
            .into_iter()
            .take(ZONES_PER_PAGE as usize)
            .enumerate()
            .map(|(i, raw)| {
                let at = format!("result[{i}]");
                let v = read::item(raw, &at)?;
                Ok(ZoneRef {
                    id: read::id(&v, "id", &at, IdKind::Zone)?,
                    name: read::opt_str(&v, "name", &at)?
                        .unwrap_or_default()
                        .chars()
                        .take(253)
                        .collect(),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok((zones, more))
    }

    /// How many DNS records the first (small) page of a zone holds.
    pub async fn probe_dns_records(&self, zone: &str) -> Result<usize, ApiError> {
        IdKind::Zone.check_given(zone)?;
        let mut url = self.url(&["zones", zone, "dns_records"]);
        url.query_pairs_mut()
            .append_pair("page", "1")
            .append_pair("per_page", "5");
        let env = self
            .get(
                Call::DnsRead,
                &format!("the DNS records of zone {zone}"),
                url,
            )
            .await?;
        Ok(env.result_items("DNS records")?.len())
    }
}
