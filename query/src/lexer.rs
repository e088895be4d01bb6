//! Splits SeamQL text into tokens, each with its line, column and byte span.

use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    /// A number as written (integer or decimal, optional exponent).
    Number(String),
    /// A number directly followed by a unit: `15m`, `1h`, `7d`.
    Duration(String),
    Str(String),
    Sym(&'static str),
    End,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub tok: Tok,
    pub line: usize,
    pub column: usize,
    pub start: usize,
    pub end: usize,
}

const SYMBOLS: [&str; 16] = ["<=", ">=", "!=", "<>", "(", ")", ",", ".", "*", "+", "-", "/", "=", "<", ">", ";"];

pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let (mut i, mut line, mut line_start) = (0usize, 1usize, 0usize);
    while i < bytes.len() {
        let b = bytes[i];
        let column = text[line_start..i].chars().count() + 1;
        let at = |tok, end| Token { tok, line, column, start: i, end };
        if b == b'\n' {
            i += 1;
            line += 1;
            line_start = i;
        } else if b.is_ascii_whitespace() {
            i += 1;
        } else if b == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1; // a comment runs to the end of the line
            }
        } else if b.is_ascii_alphabetic() || b == b'_' {
            let end = scan(bytes, i, |c| c.is_ascii_alphanumeric() || c == b'_');
            tokens.push(at(Tok::Ident(text[i..end].to_string()), end));
            i = end;
        } else if b.is_ascii_digit() {
            let end = number_end(bytes, i);
            let unit_end = scan(bytes, end, |c| c.is_ascii_alphabetic());
            if unit_end > end {
                tokens.push(at(Tok::Duration(text[i..unit_end].to_string()), unit_end));
                i = unit_end;
            } else {
                tokens.push(at(Tok::Number(text[i..end].to_string()), end));
                i = end;
            }
        } else if b == b'\'' {
            let (value, end) = string(text, i).ok_or_else(|| Error::Parse {
                line,
                column,
                message: "unterminated string: expected a closing '".into(),
            })?;
            tokens.push(at(Tok::Str(value), end));
            i = end;
        } else if let Some(sym) = SYMBOLS.iter().find(|s| text[i..].starts_with(*s)) {
            let end = i + sym.len();
            tokens.push(at(Tok::Sym(sym), end));
            i = end;
        } else {
            let c = text[i..].chars().next().unwrap_or('?');
            return Err(Error::Parse { line, column, message: format!("unexpected character {c:?}") });
        }
    }
    let column = text[line_start..].chars().count() + 1;
    tokens.push(Token { tok: Tok::End, line, column, start: bytes.len(), end: bytes.len() });
    Ok(tokens)
}

fn scan(bytes: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < bytes.len() && keep(bytes[i]) {
        i += 1;
    }
    i
}

/// Digits, an optional fraction, an optional exponent.
fn number_end(bytes: &[u8], start: usize) -> usize {
    let mut i = scan(bytes, start, |c| c.is_ascii_digit());
    if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = scan(bytes, i + 1, |c| c.is_ascii_digit());
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i = scan(bytes, j, |c| c.is_ascii_digit());
        }
    }
    i
}

/// A single-quoted string with `''` for a quote; returns the value and the end offset.
fn string(text: &str, start: usize) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut chars = text[start + 1..].char_indices().peekable();
    while let Some((k, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().map(|&(_, c)| c) == Some('\'') {
                chars.next();
                value.push('\'');
            } else {
                return Some((value, start + 1 + k + 1));
            }
        } else {
            value.push(c);
        }
    }
    None
}
