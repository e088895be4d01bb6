//! Sealed segments: immutable, checksummed, columnar files read zero-copy through a memory
//! map (docs/FORMAT.md §Segment).

mod format;
mod map;
mod reader;
mod trace_lookup;
mod writer;

pub use format::{Zone, CHUNK_ROWS};
pub(crate) use map::map_sealed;
pub use reader::{Group, Segment};
pub use writer::SegmentMeta;
pub(crate) use writer::{code_width, SegmentBuilder};

use std::path::{Path, PathBuf};

pub(crate) fn file_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:016x}.seg"))
}

/// Parses a segment file name back into its ID.
pub(crate) fn parse_file_name(name: &str) -> Option<u64> {
    let hex = name.strip_suffix(".seg")?;
    (hex.len() == 16).then(|| u64::from_str_radix(hex, 16).ok()).flatten()
}
