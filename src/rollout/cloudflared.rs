//! Which cloudflared versions Cloudflare still supports.
//!
//! The rule, from Cloudflare's documentation ("Deprecated releases" on
//! <https://developers.cloudflare.com/cloudflare-one/networks/connectors/cloudflare-tunnel/downloads/>,
//! and the "Deprecated versions" section of cloudflared's README):
//!
//! > Cloudflare supports versions of cloudflared that are within one year of the most recent
//! > release. Breaking changes unrelated to feature availability may be introduced that will
//! > impact versions released more than one year ago. For example, as of January 2023 Cloudflare
//! > will support cloudflared version 2023.1.1 to cloudflared 2022.1.1.
//!
//! cloudflared's versions are `YEAR.MONTH.PATCH` (calendar versioning), and the example counts
//! by release month: as of a month, the oldest supported version is the first one released in the
//! same month of the year before. The "most recent release" is taken as the current month (the
//! documentation's own example does so, and cloudflared releases every month or so), so the
//! verdict needs no network.

use std::fmt;

/// A calendar month, the unit of the support rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Month {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
}

impl Month {
    /// The current month (UTC).
    pub fn now() -> Month {
        let now = time::OffsetDateTime::now_utc();
        Month {
            year: now.year(),
            month: u8::from(now.month()),
        }
    }

    fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    /// The same month one year earlier: the oldest release month still supported.
    pub fn year_before(self) -> Month {
        Month {
            year: self.year - 1,
            month: self.month,
        }
    }
}

/// A cloudflared version: `2026.8.2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    /// Release year.
    pub year: i32,
    /// Release month, 1 to 12.
    pub month: u8,
    /// Release of that month.
    pub patch: u32,
}

impl Version {
    /// Reads `YEAR.MONTH.PATCH` (a leading `v` and a suffix after `-` or `+` are allowed: `v2026.8.2-rc1`);
    /// `None` for anything else (`DEV`, an empty string, a version before calendar versioning).
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim();
        let s = s.strip_prefix('v').unwrap_or(s);
        let core = s.split(['-', '+']).next()?;
        let mut parts = core.split('.');
        let year: i32 = parts.next()?.parse().ok()?;
        let month: u8 = parts.next()?.parse().ok()?;
        let patch: u32 = parts.next().unwrap_or("0").parse().ok()?;
        if parts.next().is_some() || !(2017..=9999).contains(&year) || !(1..=12).contains(&month) {
            return None;
        }
        Some(Version { year, month, patch })
    }

    /// The month it was released in.
    pub fn month(self) -> Month {
        Month {
            year: self.year,
            month: self.month,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.year, self.month, self.patch)
    }
}

/// Whether Cloudflare supports a cloudflared version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// Released within a year of the current month.
    Supported,
    /// Released more than a year before the current month: Cloudflare may break it.
    Unsupported {
        /// The oldest supported release month, as a version prefix: `2025.11`.
        oldest: String,
    },
    /// Not a calendar version, so the rule cannot judge it.
    Unknown,
}

/// Judges `version` as of `today` (see the module documentation for the rule).
pub fn support(version: &str, today: Month) -> Support {
    let Some(v) = Version::parse(version) else {
        return Support::Unknown;
    };
    let oldest = today.year_before();
    if v.month().index() < oldest.index() {
        Support::Unsupported {
            oldest: format!("{}.{}", oldest.year, oldest.month),
        }
    } else {
        Support::Supported
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAN_2023: Month = Month {
        year: 2023,
        month: 1,
    };

    #[test]
    fn the_documented_example() {
        // "as of January 2023 Cloudflare will support cloudflared version 2023.1.1 to
        // cloudflared 2022.1.1"
        assert_eq!(support("2023.1.1", JAN_2023), Support::Supported);
        assert_eq!(support("2022.1.1", JAN_2023), Support::Supported);
        assert_eq!(support("2022.1.0", JAN_2023), Support::Supported);
        assert_eq!(
            support("2021.12.4", JAN_2023),
            Support::Unsupported {
                oldest: "2022.1".to_owned()
            }
        );
        assert_eq!(
            support("2020.5.0", JAN_2023),
            support("2021.12.4", JAN_2023)
        );
    }

    #[test]
    fn versions_parse_or_are_unknown() {
        assert_eq!(
            Version::parse("v2026.8.2-rc1"),
            Some(Version {
                year: 2026,
                month: 8,
                patch: 2
            })
        );
        assert_eq!(Version::parse("2026.8").map(|v| v.patch), Some(0));
        for bad in [
            "",
            "DEV",
            "2026.13.1",
            "2026.0.1",
            "1.2.3",
            "2026.8.2.1",
            "x.y.z",
        ] {
            assert_eq!(Version::parse(bad), None, "{bad}");
            assert_eq!(support(bad, JAN_2023), Support::Unknown, "{bad}");
        }
        assert!(Version::parse("2026.8.10") > Version::parse("2026.8.9"));
        assert_eq!(
            Month {
                year: 2026,
                month: 3
            }
            .year_before(),
            Month {
                year: 2025,
                month: 3
            }
        );
        let now = Month::now();
        assert!((1..=12).contains(&now.month) && now.year >= 2024);
    }
}
