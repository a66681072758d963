//! Times as files store them (RFC 3339, UTC, whole seconds) and as people read them ("saved 3
//! minutes ago, 14:06" in the local time zone; "12s" for a wait). Pure functions of the times
//! given: the caller reads the clock.

use jiff::{Timestamp, Unit, ZonedDateTime};

/// The time now, with the system's time zone (UTC when it cannot be read).
pub fn now() -> ZonedDateTime {
    ZonedDateTime::now()
}

/// `t` as RFC 3339 in UTC to the second: `2024-06-19T14:06:00Z`.
pub fn rfc3339(t: Timestamp) -> String {
    t.round(Unit::Second).unwrap_or(t).to_string()
}

/// Reads an RFC 3339 time written by [`rfc3339`] (or any offset); `None` when it is not one.
pub fn parse(text: &str) -> Option<Timestamp> {
    text.trim().parse().ok()
}

fn plural(n: i64, unit: &str) -> String {
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// How long ago `then` was, seen from `now`, with the local clock time: "3 minutes ago, 14:06";
/// older than a day adds the date ("2 days ago, 2024-06-17 14:06"). A time in the future (a
/// clock that moved back) says so instead of a negative age.
pub fn ago(then: Timestamp, now: &ZonedDateTime) -> String {
    let secs = now.timestamp().as_second() - then.as_second();
    let age = match secs {
        s if s < -60 => "in the future (the clock moved back)".to_owned(),
        s if s < 60 => "just now".to_owned(),
        s if s < 3600 => format!("{} ago", plural(s / 60, "minute")),
        s if s < 86_400 => format!("{} ago", plural(s / 3600, "hour")),
        s => format!("{} ago", plural(s / 86_400, "day")),
    };
    format!("{age}, {}", clock(then, now))
}

/// `then` as the local clock reads it: "14:06" today, "2024-06-17 14:06" another day.
pub fn clock(then: Timestamp, now: &ZonedDateTime) -> String {
    let local = then.to_zoned_datetime(now.time_zone().clone());
    let secs = now.timestamp().as_second() - then.as_second();
    if secs.abs() < 86_400 && local.date() == now.date() {
        local.strftime("%H:%M").to_string()
    } else {
        local.strftime("%Y-%m-%d %H:%M").to_string()
    }
}

/// [`clock`] for a stored RFC 3339 text; the text itself (inert) when it is not a time.
pub fn clock_text(text: &str, now: &ZonedDateTime) -> String {
    match parse(text) {
        Some(t) => clock(t, now),
        None => crate::text::inert(text).into_owned(),
    }
}

/// [`ago`] for a stored RFC 3339 text; the text itself when it is not a time.
pub fn ago_text(text: &str, now: &ZonedDateTime) -> String {
    match parse(text) {
        Some(t) => ago(t, now),
        None => crate::text::inert(text).into_owned(),
    }
}

/// A wait so far, short: "0s", "12s", "1m05s", "1h02m".
pub fn elapsed(since: Timestamp, now: Timestamp) -> String {
    let s = (now.as_second() - since.as_second()).max(0);
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    fn at(text: &str) -> Timestamp {
        parse(text).unwrap_or_else(|| panic!("{text}"))
    }

    #[test]
    fn stored_times_round_trip_to_the_second() {
        let t = at("2024-06-19T14:06:00.75Z");
        assert_eq!(rfc3339(t), "2024-06-19T14:06:01Z");
        assert_eq!(parse(&rfc3339(t)), Some(at("2024-06-19T14:06:01Z")));
        assert_eq!(parse("yesterday"), None);
    }

    #[test]
    fn ages_read_as_people_say_them() {
        let now = at("2024-06-19T14:09:30Z").to_zoned_datetime(TimeZone::UTC);
        assert_eq!(
            ago(at("2024-06-19T14:06:10Z"), &now),
            "3 minutes ago, 14:06"
        );
        assert_eq!(ago(at("2024-06-19T14:09:00Z"), &now), "just now, 14:09");
        assert_eq!(ago(at("2024-06-19T13:09:00Z"), &now), "1 hour ago, 13:09");
        assert_eq!(
            ago(at("2024-06-17T14:06:00Z"), &now),
            "2 days ago, 2024-06-17 14:06"
        );
        assert!(ago(at("2024-06-19T15:09:00Z"), &now).starts_with("in the future"));
        // The clock time is the local one.
        let paris = TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC);
        if paris != TimeZone::UTC {
            let now = at("2024-06-19T14:09:30Z").to_zoned_datetime(paris);
            assert_eq!(
                ago(at("2024-06-19T14:06:10Z"), &now),
                "3 minutes ago, 16:06"
            );
        }
        assert_eq!(ago_text("not a time\u{1b}", &now_utc()), "not a time\\x1b");
    }

    fn now_utc() -> ZonedDateTime {
        at("2024-06-19T14:09:30Z").to_zoned_datetime(TimeZone::UTC)
    }

    #[test]
    fn waits_are_short() {
        let t = at("2024-06-19T14:00:00Z");
        let plus = |s: i64| Timestamp::from_second(t.as_second() + s).unwrap_or(t);
        assert_eq!(elapsed(t, t), "0s");
        assert_eq!(elapsed(t, plus(12)), "12s");
        assert_eq!(elapsed(t, plus(65)), "1m05s");
        assert_eq!(elapsed(t, plus(3720)), "1h02m");
        assert_eq!(elapsed(plus(5), t), "0s");
    }
}
