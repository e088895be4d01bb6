//! Which window a time falls in (SPEC §4 "Windows"). Windows are numbered: fixed widths from
//! the epoch (`t div width`), days in a time zone from 1970-01-01 local, ISO weeks from the
//! Monday before the epoch (1969-12-29), months from January 1970; `n` of a unit group `n`
//! consecutive ones. A window's start is the instant its first unit begins, local midnight
//! in its zone, so days at DST changes last 23 or 25 hours. The zone arithmetic is jiff's.

use crate::ast::WindowWidth;
use crate::output::Cell;
use jiff::tz::TimeZone;

const DAY_US: i64 = 86_400_000_000;

/// One query's windows.
#[derive(Clone, Debug)]
pub(crate) struct Windowing {
    width: WindowWidth,
    /// `None`: UTC.
    zone: Option<TimeZone>,
}

impl Windowing {
    pub fn new(width: WindowWidth, zone: Option<&str>) -> crate::error::Result<Windowing> {
        let zone = zone
            .map(|name| TimeZone::get(name).map_err(|e| crate::error::Error::Invalid(format!("time zone {name:?}: {e}"))))
            .transpose()?;
        Ok(Windowing { width, zone })
    }

    /// The number of the window `t` (µs since the epoch) falls in.
    pub fn index(&self, t: i64) -> i64 {
        match (self.width, &self.zone) {
            (WindowWidth::Fixed(w), None) => t.div_euclid(w),
            (WindowWidth::Fixed(w), Some(_)) => self.local_day(t).div_euclid(w / DAY_US),
            // 1970-01-01 was a Thursday: Monday-based weeks start 3 days before it.
            (WindowWidth::Weeks(n), _) => (self.local_day(t) + 3).div_euclid(7).div_euclid(n),
            (WindowWidth::Months(n), _) => {
                let (y, m, _) = civil_from_days(self.local_day(t));
                ((y - 1970) * 12 + (m as i64 - 1)).div_euclid(n)
            }
        }
    }

    /// When window `index` starts (µs since the epoch).
    pub fn start(&self, index: i64) -> i64 {
        match self.width {
            WindowWidth::Fixed(w) if self.zone.is_none() => index.saturating_mul(w),
            WindowWidth::Fixed(w) => self.midnight(index.saturating_mul(w / DAY_US)),
            WindowWidth::Weeks(n) => self.midnight(index.saturating_mul(n).saturating_mul(7) - 3),
            WindowWidth::Months(n) => {
                let months = index.saturating_mul(n);
                self.midnight(days_from_civil(1970 + months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1))
            }
        }
    }

    /// A window start as the output prints it: UTC with `Z`, or with its zone's offset then.
    pub fn cell(&self, start: i64) -> Cell {
        let Some(zone) = &self.zone else { return Cell::Time(start) };
        match jiff::Timestamp::from_microsecond(start) {
            Ok(t) => Cell::Text(t.display_with_offset(zone.to_offset(t)).to_string()),
            Err(_) => Cell::Time(start),
        }
    }

    /// Days since 1970-01-01 of `t`'s local date.
    fn local_day(&self, t: i64) -> i64 {
        let offset_us = match (&self.zone, jiff::Timestamp::from_microsecond(t)) {
            (Some(zone), Ok(ts)) => i64::from(zone.to_offset(ts).seconds()) * 1_000_000,
            _ => 0,
        };
        t.saturating_add(offset_us).div_euclid(DAY_US)
    }

    /// The instant local day `day` (since 1970-01-01) begins: midnight, or the first instant
    /// after it where a DST change skips midnight.
    fn midnight(&self, day: i64) -> i64 {
        let utc = day.saturating_mul(DAY_US);
        let Some(zone) = &self.zone else { return utc };
        let (y, m, d) = civil_from_days(day);
        let date = jiff::civil::Date::new(y as i16, m as i8, d as i8);
        match date.ok().and_then(|date| date.to_zoned(zone.clone()).ok()) {
            Some(z) => z.timestamp().as_microsecond(),
            None => utc,
        }
    }

    /// How `window(…)` reads in EXPLAIN.
    pub fn describe(&self) -> String {
        let width = match self.width {
            WindowWidth::Fixed(w) => format!("{} s", w / 1_000_000),
            WindowWidth::Weeks(n) => format!("{n} ISO week(s)"),
            WindowWidth::Months(n) => format!("{n} month(s)"),
        };
        match &self.zone {
            Some(zone) => format!("window of {width} in {}", zone.iana_name().unwrap_or("a fixed offset")),
            None => format!("window of {width}"),
        }
    }
}

/// The civil (proleptic Gregorian) date of a day number since 1970-01-01: (year, month, day).
/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The day number since 1970-01-01 of a civil date (the inverse of [`civil_from_days`]).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> i64 {
        crate::parse_time(s).unwrap()
    }

    #[test]
    fn civil_days_round_trip_against_jiff() {
        for day in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
            let date = jiff::civil::Date::new(y as i16, m as i8, d as i8).unwrap();
            let epoch = jiff::civil::date(1970, 1, 1);
            assert_eq!(epoch.until(date).unwrap().get_days() as i64, day, "{date}");
        }
    }

    #[test]
    fn every_time_falls_in_the_window_that_starts_at_or_before_it_and_ends_after_it() {
        let widths =
            [WindowWidth::Fixed(DAY_US), WindowWidth::Weeks(1), WindowWidth::Weeks(2), WindowWidth::Months(1), WindowWidth::Months(3)];
        for width in widths {
            for zone in [None, Some("Europe/Berlin"), Some("America/St_Johns")] {
                let w = Windowing::new(width, zone).unwrap();
                // Every 7 hours 13 minutes over six years, through DST changes and a leap day.
                let mut at = t("2023-01-01T00:00:00Z");
                while at < t("2029-01-01T00:00:00Z") {
                    let i = w.index(at);
                    assert!(w.start(i) <= at && at < w.start(i + 1), "{width:?} {zone:?} at {at}: window {i}");
                    at += 26_000_000_000;
                }
            }
        }
    }

    #[test]
    fn calendar_windows_start_where_the_calendar_says() {
        let utc = |width| Windowing::new(width, None).unwrap();
        let start = |w: &Windowing, at: &str| w.cell(w.start(w.index(t(at))));
        // 2026-01-07 is a Wednesday: its ISO week starts on Monday the 5th.
        assert_eq!(start(&utc(WindowWidth::Weeks(1)), "2026-01-07T12:00:00Z"), Cell::Time(t("2026-01-05T00:00:00Z")));
        assert_eq!(start(&utc(WindowWidth::Months(1)), "2024-02-29T23:59:59Z"), Cell::Time(t("2024-02-01T00:00:00Z")));
        assert_eq!(start(&utc(WindowWidth::Months(3)), "2026-05-20T00:00:00Z"), Cell::Time(t("2026-04-01T00:00:00Z")));
        assert_eq!(start(&utc(WindowWidth::Months(12)), "2026-05-20T00:00:00Z"), Cell::Time(t("2026-01-01T00:00:00Z")));
        // Berlin's spring-forward day is 23 hours long, its autumn day 25.
        let berlin = Windowing::new(WindowWidth::Fixed(DAY_US), Some("Europe/Berlin")).unwrap();
        let day = berlin.index(t("2026-03-29T12:00:00Z"));
        assert_eq!(berlin.cell(berlin.start(day)), Cell::Text("2026-03-29T00:00:00+01:00".into()));
        assert_eq!(berlin.start(day + 1) - berlin.start(day), 23 * 3_600_000_000);
        let day = berlin.index(t("2026-10-25T12:00:00Z"));
        assert_eq!(berlin.start(day + 1) - berlin.start(day), 25 * 3_600_000_000);
        assert_eq!(berlin.cell(berlin.start(day + 1)), Cell::Text("2026-10-26T00:00:00+01:00".into()));
    }
}
