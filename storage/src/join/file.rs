//! A join file: one driving segment's stored join into one joined component
//! (docs/FORMAT.md §Join file). Immutable once written, like a segment: a change is a new
//! file under a new ID, published by a manifest commit.
//!
//! ```text
//! offset  size     field
//! 0       8        magic "SEAMJOIN"
//! 8       4        format version (1)
//! 12      4        reserved, 0
//! 16      8        driving segment ID
//! 24      8        rows: the driving segment's row count
//! 32      4        joined segment count k
//! 36      4        CRC-32 of every byte from offset 64 to the end
//! 40      4        CRC-32 of bytes 0..40
//! 44      20       reserved, 0
//! 64      8·k      joined segment IDs, in the joined component's order (a prefix of its list)
//! 64+8k   8·rows   per driving row: i << 32 | r, the latest event of the row's trace is row r
//!                  of joined segment i of the list above; u64::MAX: no event
//! ```
//! Every integer is little-endian; the location array starts 8-byte aligned and is read
//! zero-copy from the map.

use super::{Loc, NO_MATCH};
use crate::codec::Put;
use crate::error::{Error, IoContext, Result};
use crate::fs;
use crate::segment::map_sealed;
use memmap2::Mmap;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"SEAMJOIN";
const VERSION: u32 = 1;
const HEADER: usize = 64;

/// The path of join file `id` in the segment directory.
pub(crate) fn file_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:016x}.join"))
}

/// Parses a join file name back into its ID.
pub(crate) fn parse_file_name(name: &str) -> Option<u64> {
    let hex = name.strip_suffix(".join")?;
    (hex.len() == 16).then(|| u64::from_str_radix(hex, 16).ok()).flatten()
}

/// An open, verified join file.
#[derive(Debug)]
pub struct JoinFile {
    id: u64,
    path: PathBuf,
    bytes: Bytes,
    driving: u64,
    joined: usize,
    rows: usize,
}

/// A join file's bytes: mapped when opened from disk, owned when decoded from memory.
#[derive(Debug)]
enum Bytes {
    Map(Mmap),
    Owned(Vec<u64>),
}

impl Bytes {
    fn get(&self) -> &[u8] {
        match self {
            Bytes::Map(m) => m,
            Bytes::Owned(v) => bytemuck::cast_slice(v),
        }
    }
}

impl JoinFile {
    /// Writes, syncs and maps a new join file.
    pub(crate) fn write(dir: &Path, id: u64, driving: u64, joined: &[u64], locs: &[Loc]) -> Result<JoinFile> {
        let path = file_path(dir, id);
        let mut body = Vec::with_capacity(8 * (joined.len() + locs.len()));
        body.put_pod_slice(joined);
        body.put_pod_slice(locs);
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.put_u32(VERSION);
        header.put_u32(0);
        header.put_u64(driving);
        header.put_u64(locs.len() as u64);
        header.put_u32(joined.len() as u32);
        header.put_u32(crc32fast::hash(&body));
        let crc = crc32fast::hash(&header);
        header.put_u32(crc);
        header.resize(HEADER, 0);
        let written = (|| {
            let mut file = fs::create_new(&path)?;
            fs::write_all(&mut file, &header, &path)?;
            fs::write_all(&mut file, &body, &path)?;
            fs::sync_data(&file, &path)
        })();
        if let Err(e) = written {
            let _ = fs::remove(&path);
            return Err(e);
        }
        Ok(JoinFile { id, bytes: Bytes::Map(map(&path)?), path, driving, joined: joined.len(), rows: locs.len() })
    }

    /// Opens join file `id` and verifies it: header, checksums, and every location inside
    /// the joined segments (`joined_rows` gives a joined segment's row count by ID).
    pub(crate) fn open(dir: &Path, id: u64, joined_rows: impl Fn(u64) -> Option<usize>) -> Result<JoinFile> {
        let path = file_path(dir, id);
        let file = JoinFile::decode(Bytes::Map(map(&path)?), id, path)?;
        file.check_locations(joined_rows)?;
        Ok(file)
    }

    /// Decodes and verifies join-file bytes (the fuzz target's entry point).
    pub fn from_bytes(bytes: &[u8], joined_rows: impl Fn(u64) -> Option<usize>) -> Result<JoinFile> {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
        let mut file = JoinFile::decode(Bytes::Owned(words), 0, PathBuf::from("<join file>"))?;
        if bytes.len() % 8 != 0 {
            return Err(file.corrupt(bytes.len() as u64, "length is not a multiple of 8"));
        }
        file.check_locations(joined_rows)?;
        file.id = 0;
        Ok(file)
    }

    fn decode(bytes: Bytes, id: u64, path: PathBuf) -> Result<JoinFile> {
        let b = bytes.get();
        let corrupt = |offset: usize, what: &str| Error::corrupt(&path, offset as u64, what);
        if b.len() < HEADER || &b[..8] != MAGIC {
            return Err(corrupt(0, "not a join file (bad magic)"));
        }
        let u32_at = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
        let u64_at = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        if !crate::codec::crc_matches(&b[..40], u32_at(40)) {
            return Err(corrupt(40, "join file header checksum mismatch"));
        }
        let version = u32_at(8);
        if version != VERSION {
            return Err(Error::UnsupportedVersion { path, found: version, supported: VERSION });
        }
        let (driving, rows, joined) = (u64_at(16), u64_at(24), u32_at(32) as u64);
        let expected = (joined + rows).checked_mul(8).and_then(|n| n.checked_add(HEADER as u64));
        if expected != Some(b.len() as u64) {
            return Err(corrupt(24, &format!("{} bytes do not hold {joined} joined segment IDs and {rows} locations", b.len())));
        }
        if !crate::codec::crc_matches(&b[HEADER..], u32_at(36)) {
            return Err(corrupt(HEADER, "join file checksum mismatch"));
        }
        Ok(JoinFile { id, path, bytes, driving, joined: joined as usize, rows: rows as usize })
    }

    /// Every location names a joined segment of the list and a row inside it.
    fn check_locations(&self, joined_rows: impl Fn(u64) -> Option<usize>) -> Result<()> {
        let sizes: Vec<usize> = self
            .joined()
            .iter()
            .map(|&id| joined_rows(id).ok_or_else(|| self.corrupt(HEADER as u64, format!("joined segment {id:016x} is not live"))))
            .collect::<Result<_>>()?;
        for (row, &loc) in self.locs().iter().enumerate() {
            if loc != NO_MATCH {
                let (i, r) = super::split(loc);
                if sizes.get(i).is_none_or(|&n| r >= n) {
                    return Err(self.corrupt((HEADER + 8 * (self.joined + row)) as u64, format!("location {loc:#x} is outside the joined segments")));
                }
            }
        }
        Ok(())
    }

    fn corrupt(&self, offset: u64, what: impl Into<String>) -> Error {
        Error::corrupt(&self.path, offset, what)
    }

    fn words(&self) -> &[u64] {
        bytemuck::cast_slice(&self.bytes.get()[HEADER..])
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The driving segment this file belongs to.
    pub fn driving_segment(&self) -> u64 {
        self.driving
    }

    /// The joined segments the locations point into, by ID, in the joined component's order.
    pub fn joined(&self) -> &[u64] {
        &self.words()[..self.joined]
    }

    /// Per driving row, where its trace's latest joined event is (or [`NO_MATCH`]).
    pub fn locs(&self) -> &[Loc] {
        &self.words()[self.joined..self.joined + self.rows]
    }

    pub fn size_bytes(&self) -> u64 {
        self.bytes.get().len() as u64
    }
}

fn map(path: &Path) -> Result<Mmap> {
    let file = std::fs::File::open(path).context(|| format!("open {}", path.display()))?;
    // SAFETY: join files are immutable once written, like segments (see `map_sealed`).
    #[allow(unsafe_code)]
    unsafe { map_sealed(&file) }.context(|| format!("map {}", path.display()))
}
