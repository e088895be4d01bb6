//! A fast path for the one time format that dominates machine-written files:
//! `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. Anything else returns `None` and is left to
//! the one time parser (`seamdb_query::parse_time`, built on `jiff`). Measured at about 7% of CSV ingest time with
//! `jiff` alone on the standard workload (docs/BENCHMARKS.md), hence this code.

/// Microseconds since the epoch, or `None` if `s` is not in the fast-path form or not a
/// valid date and time (the caller then asks the full parser, which reports the error).
pub(crate) fn parse_us(s: &[u8]) -> Option<i64> {
    if s.len() < 20 || s[4] != b'-' || s[7] != b'-' || !matches!(s[10], b'T' | b't' | b' ') || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        s[r].iter().try_fold(0i64, |v, &b| b.is_ascii_digit().then(|| v * 10 + (b - b'0') as i64))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut i = 19;
    let mut micros = 0i64;
    let mut fraction_digits = 0;
    if s[i] == b'.' {
        i += 1;
        let start = i;
        while i < s.len() && s[i].is_ascii_digit() {
            if i - start < 6 {
                micros = micros * 10 + (s[i] - b'0') as i64;
            }
            i += 1;
        }
        fraction_digits = i - start;
        if fraction_digits == 0 || fraction_digits > 9 {
            return None;
        }
        for _ in fraction_digits..6 {
            micros *= 10;
        }
    }
    let offset_s = match &s[i..] {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let d = |b: &u8| b.is_ascii_digit().then(|| (b - b'0') as i64);
            let (h, m) = (d(h1)? * 10 + d(h2)?, d(m1)? * 10 + d(m2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let off = h * 3600 + m * 60;
            if *sign == b'+' {
                off
            } else {
                -off
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let us = (days * 86_400 + hour * 3600 + minute * 60 + second - offset_s) * 1_000_000 + micros;
    // Sub-microsecond digits are dropped; before 1970 that rounds the other way from jiff's
    // truncation toward zero, so leave that rare case to jiff.
    if us < 0 && fraction_digits > 6 {
        return None;
    }
    Some(us)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::parse_us;
    use proptest::prelude::*;

    fn jiff_us(s: &str) -> Option<i64> {
        s.parse::<jiff::Timestamp>().ok().map(|t| t.as_microsecond())
    }

    proptest! {
        /// Whenever the fast path answers, it agrees with jiff to the microsecond.
        #[test]
        fn agrees_with_jiff(y in 1900i64..2200, mo in 0i64..14, d in 0i64..33, h in 0i64..25, mi in 0i64..61, s in 0i64..61,
                            frac in proptest::option::of("[0-9]{1,9}"), off in proptest::option::of((any::<bool>(), 0i64..25, 0i64..61))) {
            let mut text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
            if let Some(f) = &frac { text.push('.'); text.push_str(f); }
            match off {
                None => text.push('Z'),
                Some((plus, oh, om)) => text.push_str(&format!("{}{oh:02}:{om:02}", if plus { '+' } else { '-' })),
            }
            if let Some(fast) = parse_us(text.as_bytes()) {
                prop_assert_eq!(Some(fast), jiff_us(&text), "{}", text);
            }
        }
    }

    #[test]
    fn handles_the_common_forms_and_leaves_the_rest() {
        assert_eq!(parse_us(b"2026-01-05T00:00:00Z"), Some(1_767_571_200_000_000));
        assert_eq!(parse_us(b"2026-01-05T00:00:00.041241Z"), Some(1_767_571_200_041_241));
        assert_eq!(parse_us(b"2026-01-05T01:00:00.5+01:00"), Some(1_767_571_200_500_000));
        assert_eq!(parse_us(b"2024-02-29T12:00:00Z"), jiff_us("2024-02-29T12:00:00Z"));
        assert_eq!(parse_us(b"2023-02-29T12:00:00Z"), None);
        assert_eq!(parse_us(b"2026-01-05"), None);
        assert_eq!(parse_us(b"2026-01-05T00:00:00"), None);
    }
}
