//! The narrow file-system seam of the write path: every create, write, fsync, rename and
//! delete that durability depends on goes through here, so it can be audited (and, later,
//! fault-injected) in one place.

use crate::error::{IoContext, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Creates a new file for writing; fails if it exists.
pub(crate) fn create_new(path: &Path) -> Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path).context(|| format!("create {}", path.display()))
}

/// Opens an existing file for writing from its start, keeping its contents.
pub(crate) fn open_write(path: &Path) -> Result<File> {
    OpenOptions::new().write(true).open(path).context(|| format!("open {}", path.display()))
}

pub(crate) fn set_len(file: &File, len: u64, path: &Path) -> Result<()> {
    file.set_len(len).context(|| format!("truncate {}", path.display()))
}

pub(crate) fn write_all(file: &mut File, bytes: &[u8], path: &Path) -> Result<()> {
    file.write_all(bytes).context(|| format!("write {}", path.display()))
}

pub(crate) fn sync_data(file: &File, path: &Path) -> Result<()> {
    file.sync_data().context(|| format!("fdatasync {}", path.display()))
}

/// Makes a directory's entries (created, renamed, removed files) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).context(|| format!("fsync directory {}", dir.display()))
}

pub(crate) fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).context(|| format!("rename {} to {}", from.display(), to.display()))
}

pub(crate) fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        r => r.context(|| format!("remove {}", path.display())),
    }
}

pub(crate) fn truncate(path: &Path, len: u64) -> Result<()> {
    let file = OpenOptions::new().write(true).open(path).context(|| format!("open {}", path.display()))?;
    file.set_len(len).context(|| format!("truncate {}", path.display()))?;
    sync_data(&file, path)
}

/// Replaces `path` with `bytes` atomically: write a temporary file, fsync it, rename it over
/// the target, fsync the directory. A crash leaves either the old or the new contents.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    remove(&tmp)?;
    let mut file = create_new(&tmp)?;
    write_all(&mut file, bytes, &tmp)?;
    sync_data(&file, &tmp)?;
    drop(file);
    rename(&tmp, path)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Asks the kernel to start writing back `len` bytes of `file` from `offset`, without waiting
/// (Linux `sync_file_range(SYNC_FILE_RANGE_WRITE)`). Purely a hint for speed: durability still
/// comes from the fdatasync that follows, so a failure here is ignored.
pub(crate) fn start_writeback(file: &File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for the duration of the call (borrowed from `file`), and
    // sync_file_range reads no memory of ours; it only schedules I/O on that file.
    #[allow(unsafe_code)]
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset as libc::off64_t, len as libc::off64_t, libc::SYNC_FILE_RANGE_WRITE);
    }
}
