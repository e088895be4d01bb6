//! The fixed-size structures of a segment file and its section kinds (docs/FORMAT.md §Segment).
//! All integers are little-endian; every section starts at a multiple of [`ALIGN`].

use bytemuck::{Pod, Zeroable};

pub const MAGIC: [u8; 8] = *b"SEAMSEG\0";
pub const FOOTER_MAGIC: [u8; 8] = *b"SEAMEND\0";
/// The version written. Version 2 adds the stored trace lookup (`TraceBloom`, `TraceFence`);
/// version 1 files are read too.
pub const VERSION: u32 = 2;
/// The oldest version read.
pub const OLDEST_VERSION: u32 = 1;
/// Section alignment. The map is page-aligned, so every section can be cast to any primitive
/// slice, and SIMD loads never straddle a cache line at a section start.
pub const ALIGN: usize = 64;
/// Rows per zone-map entry.
pub const CHUNK_ROWS: usize = 1 << 16;

/// Bytes 0..64 of a segment file.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable, PartialEq, Eq)]
pub struct Header {
    pub magic: [u8; 8],
    pub version: u32,
    pub flags: u32,
    pub rows: u64,
    pub min_time: i64,
    pub max_time: i64,
    pub chunk_rows: u32,
    pub n_fields: u32,
    pub reserved: [u8; 12],
    /// CRC32 of bytes 0..60.
    pub crc: u32,
}

/// The last 64 bytes of a segment file.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable, PartialEq, Eq)]
pub struct Footer {
    pub dir_offset: u64,
    pub dir_len: u64,
    pub rows: u64,
    pub dir_crc: u32,
    pub version: u32,
    pub reserved: [u8; 16],
    pub magic: [u8; 8],
    /// CRC32 of bytes 0..56.
    pub crc: u32,
    pub pad: u32,
}

/// Min and max of one chunk of a column, with its null count. `min`/`max` hold the bits of an
/// `i64` (time, int) or an `f64` (float); a chunk with no values has `min > max`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable, PartialEq, Eq)]
pub struct Zone {
    pub min: u64,
    pub max: u64,
    pub nulls: u32,
    pub rows: u32,
}

impl Zone {
    pub fn min_i64(&self) -> i64 {
        self.min as i64
    }
    pub fn max_i64(&self) -> i64 {
        self.max as i64
    }
    pub fn min_f64(&self) -> f64 {
        f64::from_bits(self.min)
    }
    pub fn max_f64(&self) -> f64 {
        f64::from_bits(self.max)
    }
}

/// What a section holds. Built-in sections have field index [`NO_FIELD`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum SectionKind {
    /// `[u128; rows]`
    TraceIds = 1,
    /// `[i64; rows]`, non-decreasing
    Times = 2,
    /// `[u32; rows]`: row numbers ordered by (trace ID, time)
    TraceOrder = 3,
    /// `[Zone; chunks]` over `Times`
    TimeZones = 4,
    /// `[[u64; 8]; blocks]`: the trace IDs' blocked Bloom filter (version 2)
    TraceBloom = 5,
    /// `[u128; ceil(rows / 128)]`: every 128th trace ID in trace order (version 2)
    TraceFence = 6,
    /// `[f64 | i64 | u8 | u32; rows]` by field type (tags hold dictionary codes)
    Values = 16,
    /// `[u64; ceil(rows / 64)]`, bit set = present; absent when no row is null
    Validity = 17,
    /// `[Zone; chunks]`, float and int fields
    Zones = 18,
    /// `[u32; values + 1]`: byte offsets into `DictBytes`, values sorted
    DictOffsets = 19,
    /// UTF-8 tag values, back to back
    DictBytes = 20,
    /// `[u64; values + 1]`: byte offsets into `Bitmaps`
    BitmapOffsets = 21,
    /// one portable roaring bitmap per tag value: the rows holding it
    Bitmaps = 22,
}

pub const NO_FIELD: u32 = u32::MAX;

impl SectionKind {
    pub fn from_code(code: u8) -> Option<SectionKind> {
        use SectionKind::*;
        Some(match code {
            1 => TraceIds,
            2 => Times,
            3 => TraceOrder,
            4 => TimeZones,
            5 => TraceBloom,
            6 => TraceFence,
            16 => Values,
            17 => Validity,
            18 => Zones,
            19 => DictOffsets,
            20 => DictBytes,
            21 => BitmapOffsets,
            22 => Bitmaps,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_structures_have_their_documented_sizes() {
        assert_eq!(std::mem::size_of::<Header>(), 64);
        assert_eq!(std::mem::size_of::<Footer>(), 64);
        assert_eq!(std::mem::size_of::<Zone>(), 24);
    }
}
