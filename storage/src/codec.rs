//! Little-endian encoding helpers shared by the WAL record, manifest and segment directory
//! codecs, and the one byte [`Reader`] of the workspace (the server reads its payloads with it).
//! Decoding never panics: every read is bounds-checked and fails with `Corrupt`.

use crate::error::{Error, Result};
use std::path::Path;

/// Whether `bytes` carry the checksum `crc`. Fuzzing builds (cargo-fuzz sets `--cfg fuzzing`)
/// accept every checksum, so that mutated inputs reach the decoders behind them instead of
/// stopping at the first CRC.
pub(crate) fn crc_matches(bytes: &[u8], crc: u32) -> bool {
    cfg!(fuzzing) || crc32fast::hash(bytes) == crc
}

/// Appends little-endian values to a byte buffer.
pub(crate) trait Put {
    fn put_u8(&mut self, v: u8);
    fn put_u16(&mut self, v: u16);
    fn put_u32(&mut self, v: u32);
    fn put_u64(&mut self, v: u64);
    fn put_i64(&mut self, v: i64);
    fn put_u128(&mut self, v: u128);
    fn put_str16(&mut self, s: &str);
    fn put_pod_slice<T: bytemuck::Pod>(&mut self, v: &[T]);
}

impl Put for Vec<u8> {
    fn put_u8(&mut self, v: u8) {
        self.push(v);
    }
    fn put_u16(&mut self, v: u16) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u32(&mut self, v: u32) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_i64(&mut self, v: i64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_u128(&mut self, v: u128) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    /// A string of at most 65,535 bytes, prefixed by its u16 length.
    fn put_str16(&mut self, s: &str) {
        debug_assert!(s.len() <= u16::MAX as usize);
        self.put_u16(s.len() as u16);
        self.extend_from_slice(s.as_bytes());
    }
    /// Raw little-endian element bytes (this code assumes a little-endian host, as FORMAT.md says).
    fn put_pod_slice<T: bytemuck::Pod>(&mut self, v: &[T]) {
        self.extend_from_slice(bytemuck::cast_slice(v));
    }
}

/// Reads little-endian values from a byte slice, naming the file and absolute offset on error.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: u64,
    path: &'a Path,
}

impl<'a> Reader<'a> {
    /// `base` is the offset of `bytes[0]` in the file, so errors point at file offsets.
    pub fn new(bytes: &'a [u8], base: u64, path: &'a Path) -> Reader<'a> {
        Reader { bytes, pos: 0, base, path }
    }

    /// Bytes that are not from a file (a request's payload): errors carry an empty path and
    /// offsets from the start of `bytes`.
    pub fn payload(bytes: &'a [u8]) -> Reader<'a> {
        Reader::new(bytes, 0, Path::new(""))
    }

    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn corrupt(&self, what: impl Into<String>) -> Error {
        Error::corrupt(self.path, self.offset(), what)
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.corrupt(format!("{what}: needs {n} bytes, {} left", self.remaining())));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }
    pub fn u16(&mut self, what: &str) -> Result<u16> {
        self.array(what).map(u16::from_le_bytes)
    }
    pub fn u32(&mut self, what: &str) -> Result<u32> {
        self.array(what).map(u32::from_le_bytes)
    }
    pub fn u64(&mut self, what: &str) -> Result<u64> {
        self.array(what).map(u64::from_le_bytes)
    }
    pub fn i64(&mut self, what: &str) -> Result<i64> {
        self.array(what).map(i64::from_le_bytes)
    }
    pub fn u128(&mut self, what: &str) -> Result<u128> {
        self.array(what).map(u128::from_le_bytes)
    }

    /// A length that must fit in what is left, given `unit` bytes per element.
    pub fn len(&mut self, n: u64, unit: usize, what: &str) -> Result<usize> {
        match (n as usize).checked_mul(unit) {
            Some(bytes) if n <= usize::MAX as u64 && bytes <= self.remaining() => Ok(n as usize),
            _ => Err(self.corrupt(format!("{what}: length {n} runs past the end"))),
        }
    }

    pub fn str16(&mut self, what: &str) -> Result<&'a str> {
        let n = self.u16(what)? as usize;
        self.str(n, what)
    }

    /// `n` bytes of UTF-8.
    pub fn str(&mut self, n: usize, what: &str) -> Result<&'a str> {
        let at = self.offset();
        let bytes = self.take(n, what)?;
        std::str::from_utf8(bytes).map_err(|_| Error::corrupt(self.path, at, format!("{what}: not UTF-8")))
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.bytes[self.pos..];
        self.pos = self.bytes.len();
        out
    }

    /// Checks that nothing is left after `what`.
    pub fn finish(&self, what: &str) -> Result<()> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(self.corrupt(format!("{n} unexpected bytes after {what}"))),
        }
    }

    /// `n` elements copied out (the source need not be aligned).
    pub fn pod_vec<T: bytemuck::Pod>(&mut self, n: usize, what: &str) -> Result<Vec<T>> {
        let size = std::mem::size_of::<T>();
        let bytes = self.take(n.checked_mul(size).ok_or_else(|| self.corrupt(format!("{what}: too long")))?, what)?;
        let mut out = vec![T::zeroed(); n];
        bytemuck::cast_slice_mut::<T, u8>(&mut out).copy_from_slice(bytes);
        Ok(out)
    }
}
