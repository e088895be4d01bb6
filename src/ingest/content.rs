//! What an ingest may write into (SPEC §5): the same content is not stored twice by mistake,
//! and a misspelt component does not silently start a new one.

use crate::error::{Error, Result};
use seamdb_storage::Snapshot;
use std::io::Read;
use xxhash_rust::xxh3::Xxh3Default;

/// Reads through to `inner`, hashing every byte read, so an ingest learns the hash of its
/// content without a second pass over the input (standard input has no second pass).
pub(crate) struct Hashing<R> {
    inner: R,
    hasher: Xxh3Default,
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Hashing<R> {
        Hashing { inner, hasher: Xxh3Default::new() }
    }

    pub fn digest(&self) -> u128 {
        self.hasher.digest128()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The content hash an ingest records: XXH3-128 (seed 0) of every byte of the input.
pub fn content_hash(input: impl Read) -> std::io::Result<u128> {
    let mut hashing = Hashing::new(input);
    std::io::copy(&mut hashing, &mut std::io::sink())?;
    Ok(hashing.digest())
}

/// Fails with [`Error::UnknownComponent`] (naming the components there are and the nearest
/// one) unless `component` exists.
pub fn require_component(snapshot: &Snapshot, component: &str) -> Result<()> {
    if snapshot.component(component).is_some() {
        return Ok(());
    }
    let existing: Vec<String> = snapshot.component_names().map(str::to_owned).collect();
    let nearest = seamdb_query::nearest(component, existing.iter().map(String::as_str)).map(str::to_owned);
    Err(Error::UnknownComponent { component: component.to_owned(), existing, nearest })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_is_xxh3_128_of_the_bytes() {
        assert_eq!(content_hash(&b"trace_id,time\n"[..]).unwrap(), xxhash_rust::xxh3::xxh3_128(b"trace_id,time\n"));
    }
}
