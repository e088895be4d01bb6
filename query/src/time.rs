//! Times as a user writes them wherever SeamDB expects one (SPEC §4 "Times"): in SeamQL
//! (`time >= '2026-01-05'`, `AS OF`, a `REFERENCE` condition) and on the command line
//! (`seam retain --before`). One parser for all of them, so a time means the same everywhere.

/// An RFC 3339 time with a zone (`2026-01-05T00:00:00Z`, `2026-01-05T02:00:00+02:00`,
/// fractions allowed) or a date (`2026-01-05`, midnight UTC), in microseconds since the
/// epoch. A time without a zone is refused rather than guessed: the same text would mean
/// different instants on machines in different zones.
pub fn parse_time(text: &str) -> Option<i64> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Some(t.as_microsecond());
    }
    // Exactly a date: `2026-01-05`, not `2026-01-05T00:00:00` (a time without a zone).
    if text.len() == 10 {
        let date = text.parse::<jiff::civil::Date>().ok()?;
        return date.to_zoned(jiff::tz::TimeZone::UTC).ok().map(|z| z.timestamp().as_microsecond());
    }
    None
}

/// What [`parse_time`] accepts, for error messages.
pub const TIME_FORMS: &str =
    "an RFC 3339 time with a zone ('2026-01-05T00:00:00Z', '2026-01-05T02:00:00+02:00') or a date ('2026-01-05', midnight UTC)";

/// The current time, in microseconds since the epoch.
pub fn now() -> i64 {
    seamdb_storage::model::now_us()
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn dates_are_midnight_utc_and_times_need_a_zone() {
        let midnight = 1_767_571_200_000_000; // 2026-01-05T00:00:00Z
        assert_eq!(parse_time("2026-01-05"), Some(midnight));
        assert_eq!(parse_time("2026-01-05T00:00:00Z"), Some(midnight));
        assert_eq!(parse_time("2026-01-05T02:00:00+02:00"), Some(midnight));
        assert_eq!(parse_time("2026-01-05T00:00:00.5Z"), Some(midnight + 500_000));
        for bad in ["2026-01-05T00:00:00", "yesterday", "", "2026-13-01", "2026-01-5", "1767571200"] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }
}
