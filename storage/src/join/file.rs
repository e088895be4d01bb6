//! A join file: one driving segment's stored join into one joined component
//! (docs/FORMAT.md §Join file). Immutable once written, like a segment: a change is a new
//! file under a new ID, published by a manifest commit.
//!
//! ```text
//! offset  size       field
//! 0       8          magic "SEAMJOIN"
//! 8       4          format version (1)
//! 12      1          width w of a location: 4 (packed) or 8
//! 13      1          row bits b of a packed location (0 when w = 8)
//! 14      2          reserved, 0
//! 16      8          driving segment ID
//! 24      8          rows: the driving segment's row count
//! 32      4          joined segment count k
//! 36      4          CRC-32 of every byte from offset 64 to the end
//! 40      4          CRC-32 of bytes 0..40
//! 44      20         reserved, 0
//! 64      8·k        joined segment IDs, in the joined component's order (a prefix of its list)
//! 64+8k   w·rows     per driving row, where its trace's latest joined event is: row r of
//!                    joined segment i of the list above, as i << b | r (w = 4) or
//!                    i << 32 | r (w = 8); all ones: no event
//! ```
//! Every integer is little-endian; the locations start 8-byte aligned and are read
//! zero-copy from the map. A writer packs locations into 4 bytes whenever every (i, r) of
//! the list fits beside the all-ones value, which halves the file (docs/FORMAT.md gives the
//! numbers).

use super::{loc, split, Loc, NO_MATCH};
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

/// A join file's locations as stored, one per driving row.
#[derive(Clone, Copy, Debug)]
pub enum Locs<'a> {
    /// `i << 32 | r`, as [`Loc`].
    Wide(&'a [u64]),
    /// `i << row_bits | r`; `u32::MAX`: none.
    Packed { locs: &'a [u32], row_bits: u32 },
}

impl Locs<'_> {
    pub fn len(&self) -> usize {
        match self {
            Locs::Wide(l) => l.len(),
            Locs::Packed { locs, .. } => locs.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `row`'s location.
    #[inline]
    pub fn get(&self, row: usize) -> Loc {
        match *self {
            Locs::Wide(l) => l[row],
            Locs::Packed { locs, row_bits } => unpack(locs[row], row_bits),
        }
    }

    /// The locations of rows `rows`, appended to `out`.
    pub fn extend_range(&self, rows: std::ops::Range<usize>, out: &mut Vec<Loc>) {
        match *self {
            Locs::Wide(l) => out.extend_from_slice(&l[rows]),
            Locs::Packed { locs, row_bits } => out.extend(locs[rows].iter().map(|&v| unpack(v, row_bits))),
        }
    }

    pub fn to_vec(&self) -> Vec<Loc> {
        let mut out = Vec::with_capacity(self.len());
        self.extend_range(0..self.len(), &mut out);
        out
    }
}

#[inline]
fn unpack(v: u32, row_bits: u32) -> Loc {
    if v == u32::MAX {
        NO_MATCH
    } else {
        let v = v as u64;
        loc((v >> row_bits) as usize, (v & ((1 << row_bits) - 1)) as usize)
    }
}

/// The row bits that pack every location into `k` joined segments of at most `max_rows`
/// rows, if 4 bytes can hold them all beside the all-ones value.
fn row_bits(k: usize, max_rows: usize) -> Option<u32> {
    let bits = usize::BITS - max_rows.saturating_sub(1).leading_zeros();
    ((k as u64) << bits <= u32::MAX as u64).then_some(bits)
}

/// An open, verified join file.
#[derive(Debug)]
pub struct JoinFile {
    id: u64,
    path: PathBuf,
    bytes: Bytes,
    driving: u64,
    joined: usize,
    /// Bits of the row in a packed location; `None`: 8-byte locations.
    row_bits: Option<u32>,
}

/// A join file's bytes: mapped when opened from disk, owned when decoded from memory.
#[derive(Debug)]
enum Bytes {
    Map(Mmap),
    Owned(Vec<u64>, usize),
}

impl Bytes {
    fn get(&self) -> &[u8] {
        match self {
            Bytes::Map(m) => m,
            Bytes::Owned(v, len) => &bytemuck::cast_slice(v)[..*len],
        }
    }
}

impl JoinFile {
    /// Writes, syncs and maps a new join file; `joined` are the IDs of the joined segments
    /// the locations index and `joined_rows` the most rows any of them holds.
    pub(crate) fn write(dir: &Path, id: u64, driving: u64, joined: &[u64], joined_rows: usize, locs: &[Loc]) -> Result<JoinFile> {
        let path = file_path(dir, id);
        let bits = row_bits(joined.len(), joined_rows);
        let mut body = Vec::with_capacity(8 * joined.len() + locs.len() * if bits.is_some() { 4 } else { 8 });
        body.put_pod_slice(joined);
        match bits {
            Some(b) => body.extend(locs.iter().flat_map(|&l| {
                let (i, r) = split(l);
                let v = if l == NO_MATCH { u32::MAX } else { ((i as u64) << b | r as u64) as u32 };
                v.to_le_bytes()
            })),
            None => body.put_pod_slice(locs),
        }
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.put_u32(VERSION);
        header.put_u8(if bits.is_some() { 4 } else { 8 });
        header.put_u8(bits.unwrap_or(0) as u8);
        header.put_u16(0);
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
        Ok(JoinFile { id, bytes: Bytes::Map(map(&path)?), path, driving, joined: joined.len(), row_bits: bits })
    }

    /// Opens join file `id` and verifies it: header, checksums, and every location inside
    /// the joined segments (`joined_rows` gives a joined segment's row count by ID).
    pub(crate) fn open(dir: &Path, id: u64, joined_rows: impl Fn(u64) -> Option<usize>) -> Result<JoinFile> {
        let path = file_path(dir, id);
        let file = JoinFile::decode(Bytes::Map(map(&path)?), id, path)?;
        file.check_locations(joined_rows)?;
        Ok(file)
    }

    /// Decodes and verifies join-file bytes held in memory (the fuzz target's entry point).
    pub fn from_bytes(bytes: &[u8], joined_rows: impl Fn(u64) -> Option<usize>) -> Result<JoinFile> {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
        let file = JoinFile::decode(Bytes::Owned(words, bytes.len()), 0, PathBuf::from("<join file>"))?;
        file.check_locations(joined_rows)?;
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
        let row_bits = match (b[12], b[13]) {
            (4, bits) if bits <= 32 => Some(bits as u32),
            (8, 0) => None,
            (w, bits) => return Err(corrupt(12, &format!("location width {w} with {bits} row bits"))),
        };
        let width = if row_bits.is_some() { 4 } else { 8 };
        let (driving, rows, joined) = (u64_at(16), u64_at(24), u32_at(32) as u64);
        let expected = rows.checked_mul(width).and_then(|n| n.checked_add(HEADER as u64 + 8 * joined));
        if expected != Some(b.len() as u64) {
            return Err(corrupt(24, &format!("{} bytes do not hold {joined} joined segment IDs and {rows} locations", b.len())));
        }
        if !crate::codec::crc_matches(&b[HEADER..], u32_at(36)) {
            return Err(corrupt(HEADER, "join file checksum mismatch"));
        }
        Ok(JoinFile { id, path, bytes, driving, joined: joined as usize, row_bits })
    }

    /// Every location names a joined segment of the list and a row inside it.
    fn check_locations(&self, joined_rows: impl Fn(u64) -> Option<usize>) -> Result<()> {
        let sizes: Vec<usize> = self
            .joined()
            .iter()
            .map(|&id| joined_rows(id).ok_or_else(|| self.corrupt(HEADER as u64, format!("joined segment {id:016x} is not live"))))
            .collect::<Result<_>>()?;
        let outside = |i: usize, r: usize| sizes.get(i).is_none_or(|&n| r >= n);
        // Typed loops that only count, so they vectorize (this runs over every row at open).
        let bad = match self.locs() {
            Locs::Packed { locs, row_bits } => {
                let mask = (1u64 << row_bits) - 1;
                locs.iter().filter(|&&v| v != u32::MAX && outside((v as u64 >> row_bits) as usize, (v as u64 & mask) as usize)).count()
            }
            Locs::Wide(locs) => locs.iter().filter(|&&l| l != NO_MATCH && outside((l >> 32) as usize, (l & 0xffff_ffff) as usize)).count(),
        };
        match bad {
            0 => Ok(()),
            n => Err(self.corrupt(HEADER as u64, format!("{n} locations lie outside the joined segments"))),
        }
    }

    fn corrupt(&self, offset: u64, what: impl Into<String>) -> Error {
        Error::corrupt(&self.path, offset, what)
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
        bytemuck::cast_slice(&self.bytes.get()[HEADER..HEADER + 8 * self.joined])
    }

    /// Per driving row, where its trace's latest joined event is.
    pub fn locs(&self) -> Locs<'_> {
        let body = &self.bytes.get()[HEADER + 8 * self.joined..];
        match self.row_bits {
            Some(row_bits) => Locs::Packed { locs: bytemuck::cast_slice(body), row_bits },
            None => Locs::Wide(bytemuck::cast_slice(body)),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_locations_round_trip_and_fall_back_to_wide() {
        let dir = tempfile::tempdir().unwrap();
        let locs = [loc(0, 0), NO_MATCH, loc(2, 999), loc(1, 5)];
        let packed = JoinFile::write(dir.path(), 1, 7, &[10, 11, 12], 1000, &locs).unwrap();
        assert!(matches!(packed.locs(), Locs::Packed { row_bits: 10, .. }));
        assert_eq!(packed.locs().to_vec(), locs);
        assert_eq!(packed.size_bytes(), 64 + 24 + 16);
        // Two segments of 2^31 rows do not fit beside the all-ones value: 8 bytes a location.
        let wide = JoinFile::write(dir.path(), 2, 7, &[10, 11, 12], 1 << 31, &locs).unwrap();
        assert!(matches!(wide.locs(), Locs::Wide(_)));
        assert_eq!(wide.locs().to_vec(), locs);
        let bytes = std::fs::read(packed.path()).unwrap();
        let rows = |id: u64| (10..13).contains(&id).then_some(1000);
        assert_eq!(JoinFile::from_bytes(&bytes, rows).unwrap().locs().to_vec(), locs);
        // A location past its segment's rows is damage, however well checksummed.
        assert!(JoinFile::from_bytes(&bytes, |id| (10..13).contains(&id).then_some(999)).is_err());
    }
}
