//! Reading single values from text: trace IDs, times and field values (SPEC §2).

use seamdb_storage::{FieldType, TraceId};

/// The unit of integer times in the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    S,
    Ms,
    Us,
    Ns,
}

impl TimeUnit {
    pub fn parse(s: &str) -> Option<TimeUnit> {
        Some(match s {
            "s" => TimeUnit::S,
            "ms" => TimeUnit::Ms,
            "us" => TimeUnit::Us,
            "ns" => TimeUnit::Ns,
            _ => return None,
        })
    }

    /// Converts an integer in this unit to microseconds.
    fn to_us(self, v: i64) -> Option<i64> {
        match self {
            TimeUnit::S => v.checked_mul(1_000_000),
            TimeUnit::Ms => v.checked_mul(1_000),
            TimeUnit::Us => Some(v),
            TimeUnit::Ns => Some(v.div_euclid(1_000)),
        }
    }
}

/// How trace IDs that are not in an accepted form are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TraceIdMode {
    /// Anything but a decimal integer, a UUID or 32 hex digits is an error.
    #[default]
    Strict,
    /// Any other string becomes its 128-bit XXH3 hash (stable across versions and machines;
    /// documented in docs/FORMAT.md §Trace IDs). Accepted forms are still read as themselves.
    Hash,
}

/// Reads a trace ID; the error says which forms are accepted (and nothing about how to hash,
/// which is the caller's to say: see [`IngestOptions::hash_hint`](super::IngestOptions::hash_hint)).
pub fn parse_trace_id(text: &str, mode: TraceIdMode) -> Result<u128, String> {
    match (TraceId::parse(text), mode) {
        (Ok(id), _) => Ok(id.0),
        (Err(_), TraceIdMode::Hash) if !text.is_empty() => Ok(hash_trace_id(text)),
        (Err(e), _) => Err(e.to_string()),
    }
}

/// [`parse_trace_id`] with the options' hint added to the error.
pub(crate) fn read_trace_id(text: &str, o: &super::IngestOptions) -> Result<u128, String> {
    parse_trace_id(text, o.trace_ids).map_err(|e| match (o.hash_hint, o.trace_ids) {
        (Some(hint), TraceIdMode::Strict) => format!("{e}; {hint}"),
        _ => e,
    })
}

/// The documented, stable hash of a free-form trace ID: XXH3-128 of its UTF-8 bytes, seed 0.
pub fn hash_trace_id(text: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(text.as_bytes())
}

/// Reads a time: RFC 3339 with a zone (`2026-01-05T00:00:00Z`, offsets and fractions
/// allowed), a date (midnight UTC) — the times SeamQL reads, through the same parser after a
/// fast path for the common form — or an integer in `unit` (required for integers, so seconds
/// are never mistaken for microseconds).
pub fn parse_time(text: &str, unit: Option<TimeUnit>) -> Result<i64, String> {
    if looks_like_int(text) {
        let v: i64 = text.parse().map_err(|_| format!("time {text:?} is out of range"))?;
        let unit = unit.ok_or_else(|| format!("integer time {text:?} needs a unit (--time-unit s, ms, us or ns)"))?;
        return unit.to_us(v).ok_or_else(|| format!("time {text:?} is out of range"));
    }
    if let Some(us) = super::rfc3339::parse_us(text.as_bytes()) {
        return Ok(us);
    }
    seamdb_query::parse_time(text)
        .ok_or_else(|| format!("{text:?} is not a time: write {}, or an integer with --time-unit", seamdb_query::TIME_FORMS))
}

pub(crate) fn looks_like_int(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A number: anything that parses as f64, which includes, in any case, `nan`, `inf`, `+inf`,
/// `-inf`, `infinity` and `-infinity` (SPEC §2: NaN is a float value, not null).
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    text.parse::<f64>().ok()
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// SPEC §2 inference over a field's non-empty values: all integers → int; all numbers →
/// float; all `true`/`false` → bool; anything else → tag. `None` if there are no values.
pub(crate) fn infer_type<'a>(values: impl Iterator<Item = &'a str>) -> Option<FieldType> {
    let mut seen = None;
    for v in values.filter(|v| !v.is_empty()) {
        let ty = if looks_like_int(v) && v.parse::<i64>().is_ok() {
            FieldType::Int
        } else if parse_number(v).is_some() {
            FieldType::Float
        } else if parse_bool(v).is_some() {
            FieldType::Bool
        } else {
            return Some(FieldType::Tag);
        };
        seen = Some(match (seen, ty) {
            (None, t) => t,
            (Some(a), b) if a == b => a,
            (Some(FieldType::Int | FieldType::Float), FieldType::Int | FieldType::Float) => FieldType::Float,
            _ => return Some(FieldType::Tag),
        });
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_form() {
        assert_eq!(parse_time("2026-01-05T00:00:00Z", None), Ok(1_767_571_200_000_000));
        assert_eq!(parse_time("2026-01-05T01:00:00.5+01:00", None), Ok(1_767_571_200_500_000));
        assert_eq!(parse_time("1767571200", Some(TimeUnit::S)), Ok(1_767_571_200_000_000));
        assert_eq!(parse_time("1767571200123", Some(TimeUnit::Ms)), Ok(1_767_571_200_123_000));
        assert_eq!(parse_time("1767571200123456789", Some(TimeUnit::Ns)), Ok(1_767_571_200_123_456));
        assert!(parse_time("1767571200", None).unwrap_err().contains("--time-unit"));
        assert!(parse_time("yesterday", None).is_err());
        assert!(parse_time("99999999999999999", Some(TimeUnit::S)).is_err());
    }

    #[test]
    fn inference_follows_the_spec() {
        assert_eq!(infer_type(["1", "", "-3"].into_iter()), Some(FieldType::Int));
        assert_eq!(infer_type(["1", "2.5"].into_iter()), Some(FieldType::Float));
        assert_eq!(infer_type(["1e3"].into_iter()), Some(FieldType::Float));
        assert_eq!(infer_type(["TRUE", "false"].into_iter()), Some(FieldType::Bool));
        assert_eq!(infer_type(["true", "1"].into_iter()), Some(FieldType::Tag));
        assert_eq!(infer_type(["US", "1"].into_iter()), Some(FieldType::Tag));
        assert_eq!(infer_type(["nan", "1.5"].into_iter()), Some(FieldType::Float));
        assert_eq!(infer_type(["NaN", "x"].into_iter()), Some(FieldType::Tag));
        for word in ["nan", "NaN", "NAN", "inf", "-inf", "+inf", "Infinity", "-Infinity", "INF"] {
            assert_eq!(infer_type([word].into_iter()), Some(FieldType::Float), "{word}");
            assert_eq!(infer_type(["1", word].into_iter()), Some(FieldType::Float), "{word}");
        }
        assert_eq!(infer_type(["info"].into_iter()), Some(FieldType::Tag));
        assert_eq!(infer_type(["", ""].into_iter()), None);
    }

    #[test]
    fn hashing_is_opt_in_and_stable() {
        assert!(parse_trace_id("req-17", TraceIdMode::Strict).is_err());
        let h = parse_trace_id("req-17", TraceIdMode::Hash).unwrap();
        assert_eq!(h, hash_trace_id("req-17"));
        assert_eq!(parse_trace_id("17", TraceIdMode::Hash), Ok(17));
    }
}
