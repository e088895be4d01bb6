//! The one place SeamDB maps files into memory.

use memmap2::Mmap;
use std::fs::File;

/// Maps a whole sealed segment file read-only.
///
/// # Safety
///
/// The file must not be modified or truncated while the map lives: a change would alter
/// bytes already validated, and truncation raises SIGBUS. SeamDB upholds this because a
/// segment file is never written after it is sealed (it is created, synced, and only ever
/// read or deleted; deleting an open file keeps its pages on Linux). Another process that
/// edits files inside a database directory breaks this contract.
#[allow(unsafe_code)]
pub(crate) unsafe fn map_sealed(file: &File) -> std::io::Result<Mmap> {
    // SAFETY: the caller guarantees the file stays unmodified (see above).
    unsafe { Mmap::map(file) }
}
