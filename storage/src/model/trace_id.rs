//! 128-bit trace IDs and their three accepted text forms (SPEC §2).

use std::fmt;

/// A trace ID: 128 bits, stored as a little-endian `u128`.
///
/// Accepted text forms: an unsigned decimal integer, a UUID (`8-4-4-4-12` hex), or exactly 32
/// hex digits (W3C / OpenTelemetry). A string of exactly 32 characters is read as hex even when
/// every character is a decimal digit: that is the W3C form, and output never prints 32-digit
/// decimals (see [`TraceId`]'s `Display`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct TraceId(pub u128);

/// Why a string is not a trace ID.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a trace ID (expected a decimal integer below 2^128, a UUID or 32 hex digits)")]
pub struct BadTraceId(pub String);

impl TraceId {
    /// Parses any of the accepted forms; surrounding whitespace is not accepted.
    pub fn parse(text: &str) -> Result<TraceId, BadTraceId> {
        let bad = || BadTraceId(text.to_owned());
        let bytes = text.as_bytes();
        if bytes.len() == 32 {
            return parse_hex(bytes).map(TraceId).ok_or_else(bad);
        }
        if bytes.len() == 36 && [8, 13, 18, 23].iter().all(|&i| bytes[i] == b'-') {
            let mut hex = [0u8; 32];
            let mut n = 0;
            for &b in bytes.iter().filter(|&&b| b != b'-') {
                if n == 32 {
                    return Err(bad());
                }
                hex[n] = b;
                n += 1;
            }
            return if n == 32 { parse_hex(&hex).map(TraceId).ok_or_else(bad) } else { Err(bad()) };
        }
        if !bytes.is_empty() && bytes.len() <= 39 && bytes.iter().all(u8::is_ascii_digit) {
            // Up to 19 digits always fit a u64, whose parse is several times cheaper.
            if bytes.len() <= 19 {
                return Ok(TraceId(bytes.iter().fold(0u64, |v, &b| v * 10 + (b - b'0') as u64) as u128));
            }
            return text.parse::<u128>().map(TraceId).map_err(|_| bad());
        }
        Err(bad())
    }
}

fn parse_hex(bytes: &[u8]) -> Option<u128> {
    let mut value = 0u128;
    for &b in bytes {
        let digit = (b as char).to_digit(16)?;
        value = (value << 4) | digit as u128;
    }
    Some(value)
}

impl fmt::Display for TraceId {
    /// Below 2^64 in decimal, otherwise as 32 lowercase hex digits (SPEC §2).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 <= u64::MAX as u128 {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:032x}", self.0)
        }
    }
}

impl From<u128> for TraceId {
    fn from(v: u128) -> Self {
        TraceId(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_form() {
        assert_eq!(TraceId::parse("42").unwrap().0, 42);
        assert_eq!(TraceId::parse("4bf92f3577b34da6a3ce929d0e0e4736").unwrap().0, 0x4bf92f3577b34da6a3ce929d0e0e4736);
        assert_eq!(TraceId::parse("4BF92F35-77B3-4DA6-A3CE-929D0E0E4736").unwrap().0, 0x4bf92f3577b34da6a3ce929d0e0e4736);
        assert_eq!(TraceId::parse(&u128::MAX.to_string()).unwrap().0, u128::MAX);
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "-1",
            "abc",
            "4bf92f3577b34da6a3ce929d0e0e473",
            "4bf92f35-77b3-4da6-a3ce-929d0e0e473g",
            "340282366920938463463374607431768211456",
            " 42",
            "4bf92f35-77b3-4da6-a3ce-929d0e0e47-6",
        ] {
            assert!(TraceId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn displays_small_ids_in_decimal_and_large_in_hex() {
        assert_eq!(TraceId(7).to_string(), "7");
        assert_eq!(TraceId(u64::MAX as u128).to_string(), u64::MAX.to_string());
        let big = TraceId(1u128 << 64);
        assert_eq!(big.to_string(), "00000000000000010000000000000000");
        assert_eq!(TraceId::parse(&big.to_string()).unwrap(), big);
    }
}
