//! Frames: the unit of the protocol in both directions (docs/PROTOCOL.md §Frames).
//!
//! ```text
//! u32 LE  length   bytes that follow: 1 (kind) + payload
//! u8      kind     what the payload is (see `protocol`)
//! [u8]    payload
//! ```
//!
//! A reader never allocates more than the length it has checked against its limit.

use crate::error::{Error, Result};
use std::io::{self, Read, Write};

/// One frame: a kind and its payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub kind: u8,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn new(kind: u8, payload: impl Into<Vec<u8>>) -> Frame {
        Frame { kind, payload: payload.into() }
    }

    /// The frame's bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5 + self.payload.len());
        out.extend_from_slice(&(self.payload.len() as u32 + 1).to_le_bytes());
        out.push(self.kind);
        out.extend_from_slice(&self.payload);
        out
    }

    pub fn write_to(&self, w: &mut impl Write) -> io::Result<()> {
        w.write_all(&self.encode())?;
        w.flush()
    }

    /// Reads one frame; `Ok(None)` at a clean end of stream (between frames).
    pub fn read_from(r: &mut impl Read, limit: u64) -> Result<Option<Frame>> {
        Frame::read_admitted(r, limit, |_| true)
    }

    /// [`Frame::read_from`], asking `admit(length)` after the length passed the limit and
    /// before the body is allocated; a refusal is [`Error::NotAdmitted`].
    pub fn read_admitted(r: &mut impl Read, limit: u64, admit: impl FnOnce(u64) -> bool) -> Result<Option<Frame>> {
        let mut header = [0u8; 4];
        match read_full(r, &mut header)? {
            0 => return Ok(None),
            4 => {}
            _ => return Err(Error::Truncated),
        }
        let length = u32::from_le_bytes(header) as u64;
        if length == 0 {
            return Err(Error::EmptyFrame);
        }
        if length > limit {
            return Err(Error::TooLarge { length, limit });
        }
        if !admit(length) {
            return Err(Error::NotAdmitted { length });
        }
        let mut body = vec![0u8; length as usize];
        if read_full(r, &mut body)? != body.len() {
            return Err(Error::Truncated);
        }
        let kind = body.remove(0);
        Ok(Some(Frame { kind, payload: body }))
    }

    /// Decodes one frame from the front of `bytes`: the frame and the bytes it took, `None`
    /// if more bytes are needed.
    pub fn decode(bytes: &[u8], limit: u64) -> Result<Option<(Frame, usize)>> {
        let Some(header) = bytes.get(..4) else { return Ok(None) };
        let length = u32::from_le_bytes(header.try_into().expect("4 bytes")) as u64;
        if length == 0 {
            return Err(Error::EmptyFrame);
        }
        if length > limit {
            return Err(Error::TooLarge { length, limit });
        }
        let end = 4 + length as usize;
        Ok(bytes.get(4..end).map(|body| (Frame { kind: body[0], payload: body[1..].to_vec() }, end)))
    }
}

/// Reads until `buf` is full or the stream ends; the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_bad_lengths_are_refused() {
        let f = Frame::new(3, b"hello".to_vec());
        let bytes = f.encode();
        assert_eq!(bytes[..5], [6, 0, 0, 0, 3]);
        assert_eq!(Frame::read_from(&mut &bytes[..], 1 << 20).unwrap(), Some(f.clone()));
        assert_eq!(Frame::decode(&bytes, 1 << 20).unwrap(), Some((f, bytes.len())));
        assert_eq!(Frame::decode(&bytes[..7], 1 << 20).unwrap(), None);
        assert!(matches!(Frame::read_from(&mut &bytes[..7], 1 << 20), Err(Error::Truncated)));
        assert!(matches!(Frame::read_from(&mut &bytes[..], 4), Err(Error::TooLarge { length: 6, limit: 4 })));
        assert!(matches!(Frame::read_from(&mut &[0u8, 0, 0, 0][..], 16), Err(Error::EmptyFrame)));
        assert_eq!(Frame::read_from(&mut &[][..], 16).unwrap(), None);
    }
}
