//! The narrow file-system seam of the write path: every create, write, fsync, rename and
//! delete that durability depends on goes through here, so it can be audited and, with the
//! `failpoints` feature, made to fail on purpose (see [`failpoints`]) in one place.

use crate::error::{IoContext, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

use failpoints::Op;

/// Creates a new file for writing; fails if it exists.
pub(crate) fn create_new(path: &Path) -> Result<File> {
    failpoints::check(Op::Create, path)
        .and_then(|()| OpenOptions::new().write(true).create_new(true).open(path))
        .context(|| format!("create {}", path.display()))
}

/// Opens an existing file for writing from its start, keeping its contents.
pub(crate) fn open_write(path: &Path) -> Result<File> {
    OpenOptions::new().write(true).open(path).context(|| format!("open {}", path.display()))
}

pub(crate) fn set_len(file: &File, len: u64, path: &Path) -> Result<()> {
    failpoints::check(Op::Truncate, path).and_then(|()| file.set_len(len)).context(|| format!("truncate {}", path.display()))
}

pub(crate) fn write_all(file: &mut impl Write, bytes: &[u8], path: &Path) -> Result<()> {
    write_io(file, bytes, path).context(|| format!("write {}", path.display()))
}

/// [`write_all`] for writers that report `std::io::Error` and add their own context.
pub(crate) fn write_io(file: &mut impl Write, bytes: &[u8], path: &Path) -> std::io::Result<()> {
    injected_write(path, bytes, |b| file.write_all(b))
}

/// Writes `bytes` at `offset` (pwrite), leaving the file position alone: a failed write
/// can be retried at the same offset, and bytes a short write left past it are overwritten.
pub(crate) fn write_all_at(file: &File, bytes: &[u8], offset: u64, path: &Path) -> Result<()> {
    injected_write(path, bytes, |b| file.write_all_at(b, offset)).context(|| format!("write {}", path.display()))
}

/// `write(bytes)`, or, when a failpoint says so, `write` of the part a short write would
/// store and then the failpoint's error.
fn injected_write(path: &Path, bytes: &[u8], mut write: impl FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<()> {
    match failpoints::write_fault(path, bytes.len()) {
        None => write(bytes),
        Some((written, e)) => write(&bytes[..written]).and(Err(e)),
    }
}

pub(crate) fn sync_data(file: &File, path: &Path) -> Result<()> {
    failpoints::check(Op::Sync, path).and_then(|()| file.sync_data()).context(|| format!("fdatasync {}", path.display()))
}

/// Makes a directory's entries (created, renamed, removed files) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    failpoints::check(Op::SyncDir, dir)
        .and_then(|()| File::open(dir))
        .and_then(|d| d.sync_all())
        .context(|| format!("fsync directory {}", dir.display()))
}

pub(crate) fn rename(from: &Path, to: &Path) -> Result<()> {
    failpoints::check(Op::Rename, to)
        .and_then(|()| fs::rename(from, to))
        .context(|| format!("rename {} to {}", from.display(), to.display()))
}

pub(crate) fn remove(path: &Path) -> Result<()> {
    match failpoints::check(Op::Remove, path).and_then(|()| fs::remove_file(path)) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        r => r.context(|| format!("remove {}", path.display())),
    }
}

pub(crate) fn truncate(path: &Path, len: u64) -> Result<()> {
    let file = OpenOptions::new().write(true).open(path).context(|| format!("open {}", path.display()))?;
    set_len(&file, len, path)?;
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

/// Fault injection for tests: with the `failpoints` feature, a test arms a [`Plan`] for every
/// path under one directory (so tests running in parallel do not disturb each other) and the
/// chosen operation fails as the plan says. Without the feature every check is a no-op the
/// compiler removes.
#[cfg_attr(not(feature = "failpoints"), allow(dead_code))]
pub mod failpoints {
    use std::path::Path;

    /// The operations of this seam.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum Op {
        Create,
        Write,
        Sync,
        SyncDir,
        Rename,
        Remove,
        Truncate,
    }

    impl Op {
        pub const ALL: [Op; 7] = [Op::Create, Op::Write, Op::Sync, Op::SyncDir, Op::Rename, Op::Remove, Op::Truncate];
    }

    /// How an operation fails.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Fault {
        /// `EIO`.
        Io,
        /// `ENOSPC`: the disk is full.
        NoSpace,
        /// A write stores the first half of its bytes, then fails with `ENOSPC`; any other
        /// operation fails as [`Fault::NoSpace`].
        ShortWrite,
    }

    impl Fault {
        fn error(self) -> std::io::Error {
            std::io::Error::from_raw_os_error(match self {
                Fault::Io => libc::EIO,
                Fault::NoSpace | Fault::ShortWrite => libc::ENOSPC,
            })
        }
    }

    /// Which operation fails, and how: the `skip`-th one of kind `op` (0 = the next) under the
    /// armed directory; with `sticky`, every one after it as well (a full disk), until healed.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Plan {
        pub op: Op,
        pub skip: u64,
        pub fault: Fault,
        pub sticky: bool,
    }

    #[cfg(feature = "failpoints")]
    mod armed {
        use super::{Fault, Op, Plan};
        use parking_lot::Mutex;
        use std::collections::HashMap;
        use std::path::{Path, PathBuf};
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::Arc;

        #[derive(Debug)]
        pub struct Site {
            root: PathBuf,
            plan: Mutex<Option<Plan>>,
            seen: Mutex<HashMap<Op, u64>>,
            fired: AtomicU64,
        }

        static ANY: AtomicBool = AtomicBool::new(false);
        static SITES: Mutex<Vec<Arc<Site>>> = Mutex::new(Vec::new());

        /// Counts every operation under `root` and applies `plan` to them while the returned
        /// guard lives.
        pub fn arm(root: &Path, plan: Option<Plan>) -> Guard {
            let site = Arc::new(Site { root: root.to_owned(), plan: Mutex::new(plan), seen: Mutex::default(), fired: AtomicU64::new(0) });
            SITES.lock().push(site.clone());
            ANY.store(true, Ordering::Release);
            Guard(site)
        }

        /// An armed directory; dropping it disarms.
        #[derive(Debug)]
        pub struct Guard(Arc<Site>);

        impl Guard {
            /// Operations of kind `op` seen so far (failed ones included).
            pub fn count(&self, op: Op) -> u64 {
                self.0.seen.lock().get(&op).copied().unwrap_or(0)
            }

            /// Operations failed so far.
            pub fn fired(&self) -> u64 {
                self.0.fired.load(Ordering::Acquire)
            }

            /// No more faults (space was freed); counting goes on.
            pub fn heal(&self) {
                *self.0.plan.lock() = None;
            }
        }

        impl Drop for Guard {
            fn drop(&mut self) {
                let mut sites = SITES.lock();
                sites.retain(|s| !Arc::ptr_eq(s, &self.0));
                ANY.store(!sites.is_empty(), Ordering::Release);
            }
        }

        pub(super) fn fault(op: Op, path: &Path) -> Option<Fault> {
            if !ANY.load(Ordering::Acquire) {
                return None;
            }
            let site = SITES.lock().iter().find(|s| path.starts_with(&s.root)).cloned()?;
            let nth = {
                let mut seen = site.seen.lock();
                let n = seen.entry(op).or_insert(0);
                *n += 1;
                *n - 1
            };
            let plan = (*site.plan.lock())?;
            let hit = plan.op == op && (nth == plan.skip || (plan.sticky && nth > plan.skip));
            hit.then(|| {
                site.fired.fetch_add(1, Ordering::AcqRel);
                plan.fault
            })
        }
    }

    #[cfg(feature = "failpoints")]
    pub use armed::{arm, Guard};

    #[cfg(feature = "failpoints")]
    fn fault(op: Op, path: &Path) -> Option<Fault> {
        armed::fault(op, path)
    }

    #[cfg(not(feature = "failpoints"))]
    #[inline(always)]
    fn fault(_: Op, _: &Path) -> Option<Fault> {
        None
    }

    /// Fails `op` on `path` if a plan says so.
    #[inline]
    pub(crate) fn check(op: Op, path: &Path) -> std::io::Result<()> {
        match fault(op, path) {
            None => Ok(()),
            Some(f) => Err(f.error()),
        }
    }

    /// For a write of `len` bytes to `path`: `None` to write normally, or how many bytes to
    /// write before failing with the error.
    #[inline]
    pub(crate) fn write_fault(path: &Path, len: usize) -> Option<(usize, std::io::Error)> {
        let f = fault(Op::Write, path)?;
        Some((if f == Fault::ShortWrite { len / 2 } else { 0 }, f.error()))
    }
}
