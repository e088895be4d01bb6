//! `seam recover`: salvage a log that open refuses because a record in it is damaged. Every
//! whole record before and after the damage is kept, the damaged file is moved aside (never
//! deleted), and the report says what was lost (docs/RELIABILITY.md, docs/FORMAT.md §WAL).

use crate::db::{lock, WAL_DIR};
use crate::error::{Error, IoContext, Result};
use crate::fs;
use crate::manifest::Manifest;
use crate::wal::{self, Gap, Kept};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where damaged log files are moved, inside the database directory.
pub const DAMAGED_DIR: &str = "damaged";

/// What [`recover`] found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoverReport {
    pub files_checked: usize,
    /// Whole records in the log after recovery, and their rows.
    pub records_kept: u64,
    pub rows_kept: u64,
    /// Each damaged stretch of a log file, with the records it held.
    pub damage: Vec<Damage>,
    /// Damaged files, moved aside: (where it was, where it is now).
    pub moved_aside: Vec<(PathBuf, PathBuf)>,
    /// Log files written with the records kept from damaged ones.
    pub written: Vec<PathBuf>,
    /// A torn tail of the newest file (file, offset, bytes): not damage, and never
    /// acknowledged. It stays in the file for open to cut, or in the copy moved aside.
    pub torn_tail: Option<(PathBuf, u64, u64)>,
}

impl RecoverReport {
    /// Records that held data not already in a segment, and are gone.
    pub fn lost(&self) -> impl Iterator<Item = &LostRecord> {
        self.damage.iter().flat_map(|d| &d.lost).filter(|r| !r.sealed && !r.dropped)
    }
}

/// A damaged stretch of a log file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// The file as it was named in `wal/` (see [`RecoverReport::moved_aside`] for its copy).
    pub path: PathBuf,
    pub offset: u64,
    pub bytes: u64,
    pub what: String,
    /// The records it held, by LSN.
    pub lost: Vec<LostRecord>,
}

/// A record lost to damage. Its component and rows come from the damaged bytes (the
/// checksum failed, so they are a best guess) and are `None` where unreadable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostRecord {
    pub lsn: u64,
    pub component: Option<String>,
    pub rows: Option<u64>,
    /// Already sealed into a segment (the manifest says so): nothing of it is lost.
    pub sealed: bool,
    /// Its component was dropped after it was written (`seam drop`): nothing is lost.
    pub dropped: bool,
}

/// Salvages the log of the database in `dir` (which must not be open): each log file with a
/// damaged record is replaced by files holding every whole record before and after the
/// damage, and the damaged file is moved to `damaged/`. A torn tail of the newest file is
/// not damage and is left for open to cut. A database without damage is left as it is.
///
/// Crash-safe: the new files are written and synced before the damaged file is replaced,
/// and a copy of it is in `damaged/` before that; until the last step open still refuses
/// the damaged file, and running `recover` again finishes the job.
pub fn recover(dir: &Path) -> Result<RecoverReport> {
    if !dir.is_dir() {
        return Err(Error::invalid(format!("{} is not a database directory", dir.display())));
    }
    let _lock = lock(dir)?;
    // Readers in other processes read the log under a shared lock on READERS: wait until
    // none is reading, and keep new ones waiting, while log files are moved and rewritten.
    let _readers = wal::readers::exclusive(dir)?;
    let wal_dir = dir.join(WAL_DIR);
    let mut report = RecoverReport::default();
    if !wal_dir.is_dir() {
        return Ok(report);
    }
    let manifest = Manifest::load(dir)?.unwrap_or_default();
    let settled = Settled {
        sealed: manifest.components.into_iter().map(|c| (c.name, c.sealed_lsn)).collect(),
        dropped: manifest.dropped.into_iter().collect(),
    };
    remove_leftovers(&wal_dir)?;
    let files = wal::list_files(&wal_dir)?;
    report.files_checked = files.len();
    for (i, (first_lsn, path)) in files.iter().enumerate() {
        let next_file_lsn = files.get(i + 1).map(|f| f.0);
        let bytes = std::fs::read(path).context(|| format!("read {}", path.display()))?;
        let mut scan = wal::scan_file(path, *first_lsn, &bytes)?;
        report.records_kept += scan.kept.len() as u64;
        report.rows_kept += scan.kept.iter().map(|k| k.rows).sum::<u64>();
        let newest = next_file_lsn.is_none();
        if let Some(tail) = scan.gaps.pop_if(|g| newest && g.next_lsn.is_none()) {
            report.torn_tail = Some((path.clone(), tail.offset as u64, (tail.end - tail.offset) as u64));
        }
        if scan.gaps.is_empty() {
            continue;
        }
        for gap in &scan.gaps {
            report.damage.push(describe(path, &bytes, gap, next_file_lsn, &settled));
        }
        salvage(dir, path, &bytes, &scan.kept, &mut report)?;
    }
    Ok(report)
}

/// Per component, the LSN up to which its log records no longer matter: sealed into a
/// segment, or written before the component was dropped.
struct Settled {
    sealed: HashMap<String, u64>,
    dropped: HashMap<String, u64>,
}

/// A gap as damage: the records it held are those between the LSN due at its start and the
/// next whole record (or the next file's first, for a gap at the end of an older file).
fn describe(path: &Path, bytes: &[u8], gap: &Gap, next_file_lsn: Option<u64>, settled: &Settled) -> Damage {
    let until = gap.next_lsn.or(next_file_lsn).unwrap_or(gap.due).max(gap.due);
    let up_to = |map: &HashMap<String, u64>, h: &wal::LostHead| h.component.as_ref().and_then(|c| map.get(c)).is_some_and(|&s| h.lsn <= s);
    let lost = wal::lost_in(path, bytes, gap, until)
        .into_iter()
        .map(|h| {
            let (sealed, dropped) = (up_to(&settled.sealed, &h), up_to(&settled.dropped, &h));
            LostRecord { lsn: h.lsn, component: h.component, rows: h.rows, sealed, dropped }
        })
        .collect();
    Damage { path: path.to_owned(), offset: gap.offset as u64, bytes: (gap.end - gap.offset) as u64, what: gap.what.clone(), lost }
}

/// Replaces the damaged file `path` by one log file per run of consecutive LSNs among `kept`
/// (replay wants consecutive LSNs within a file), each named for its first LSN.
///
/// Order: write and sync every new file under a temporary name; copy the damaged file into
/// `damaged/`; rename the new files whose names differ from the damaged one into place; then,
/// in one step, rename the new file of the same name over it (or remove it). Until that step
/// the damaged file is in the log, so open still refuses it and nothing can be served short.
fn salvage(dir: &Path, path: &Path, bytes: &[u8], kept: &[Kept], report: &mut RecoverReport) -> Result<()> {
    let wal_dir = path.parent().unwrap_or(Path::new("."));
    let mut staged = Vec::new();
    for run in kept.chunk_by(|a, b| b.lsn == a.lsn + 1) {
        let target = wal::file_path(wal_dir, run[0].lsn);
        let mut out = wal::header().to_vec();
        for k in run {
            out.extend_from_slice(&bytes[k.offset..k.end]);
        }
        if target != path && target.exists() && std::fs::read(&target).ok().as_deref() != Some(&out[..]) {
            // Only a hand-made log has a record in one file with an LSN another file starts at.
            return Err(Error::corrupt(path, run[0].offset as u64, format!("records overlap {}", target.display())));
        }
        let tmp = target.with_extension(SALVAGE_EXT);
        fs::remove(&tmp)?;
        let mut file = fs::create_new(&tmp)?;
        fs::write_all(&mut file, &out, &tmp)?;
        fs::sync_data(&file, &tmp)?;
        staged.push((tmp, target));
    }
    fs::sync_dir(wal_dir)?;
    let aside = copy_aside(dir, path, bytes)?;
    let mut same_name = None;
    for (tmp, target) in staged {
        if target == path {
            same_name = Some(tmp);
        } else {
            fs::rename(&tmp, &target)?;
            report.written.push(target);
        }
    }
    fs::sync_dir(wal_dir)?;
    match same_name {
        Some(tmp) => {
            fs::rename(&tmp, path)?;
            report.written.push(path.to_owned());
        }
        None => fs::remove(path)?,
    }
    fs::sync_dir(wal_dir)?;
    report.moved_aside.push((path.to_owned(), aside));
    Ok(())
}

/// Temporary name of a salvaged log file until it is complete and synced.
const SALVAGE_EXT: &str = "salvage";

/// Copies the damaged file, byte for byte, to `damaged/<name>` (or `<name>.1`, ... if an
/// earlier recovery left one of that name), durably, and returns where.
fn copy_aside(dir: &Path, path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let aside_dir = dir.join(DAMAGED_DIR);
    std::fs::create_dir_all(&aside_dir).context(|| format!("create directory {}", aside_dir.display()))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let aside = (0..)
        .map(|n| aside_dir.join(if n == 0 { name.clone() } else { format!("{name}.{n}") }))
        .find(|p| !p.exists())
        .expect("an unused name");
    fs::write_atomic(&aside, bytes)?;
    fs::sync_dir(dir)?;
    Ok(aside)
}

/// Removes temporary files of an interrupted recovery.
fn remove_leftovers(wal_dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(wal_dir).context(|| format!("list {}", wal_dir.display()))? {
        let path = entry.context(|| format!("list {}", wal_dir.display()))?.path();
        if path.extension().is_some_and(|e| e == SALVAGE_EXT) {
            fs::remove(&path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Replay and recover against each other on random mutations of a real log: recover
    //! never loses a record replay would serve, keeps every record whose bytes are intact,
    //! and always leaves a log that opens.
    use crate::{BatchBuilder, Db, Error, Options, Value};
    use proptest::prelude::*;
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::sync::OnceLock;

    const BATCHES: u64 = 12;

    fn options() -> Options {
        Options { seal_rows: 1 << 20, background_seal: false, ..Options::default() }
    }

    fn rows(k: u64) -> usize {
        1 + (k as usize * 7) % 20
    }

    /// A log file's bytes and each record's (start, end).
    type Log = (Vec<u8>, Vec<(usize, usize)>);

    /// The log file holding batches 0..BATCHES.
    fn pristine() -> &'static Log {
        static LOG: OnceLock<Log> = OnceLock::new();
        LOG.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let db = Db::open_with(dir.path(), options()).unwrap();
            for k in 0..BATCHES {
                let mut b = BatchBuilder::new();
                for i in 0..rows(k) {
                    b.push((k as u128) << 32 | i as u128, i as i64, &[("k", Value::Int(k as i64))]).unwrap();
                }
                db.append("c", b.finish().unwrap()).unwrap();
            }
            drop(db);
            let bytes = std::fs::read(crate::wal::file_path(&dir.path().join("wal"), 1)).unwrap();
            let (mut pos, mut frames) = (crate::wal::HEADER_LEN, Vec::new());
            while pos < bytes.len() {
                let end = pos + 8 + u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
                // Batch records only: the sync marks between them hold no batch.
                if bytes[pos + 8] != crate::wal::KIND_MARK {
                    frames.push((pos, end));
                }
                pos = end;
            }
            assert_eq!(frames.len() as u64, BATCHES);
            (bytes, frames)
        })
    }

    /// A database whose log is `bytes`; what opening it serves (rows per batch), or the error.
    fn open_log(dir: &Path, bytes: &[u8]) -> crate::Result<BTreeMap<u64, usize>> {
        std::fs::create_dir_all(dir.join("wal")).unwrap();
        std::fs::write(crate::wal::file_path(&dir.join("wal"), 1), bytes).unwrap();
        served(dir)
    }

    fn served(dir: &Path) -> crate::Result<BTreeMap<u64, usize>> {
        let db = Db::open_with(dir, options())?;
        let mut out = BTreeMap::new();
        for part in db.snapshot().component("c").iter().flat_map(|c| c.parts()) {
            let field = part.field("k").unwrap();
            for r in 0..part.rows() {
                let Value::Int(k) = field.value(r) else { panic!("k is null") };
                assert_eq!(part.trace_ids()[r] >> 32, k as u128);
                *out.entry(k as u64).or_default() += 1;
            }
        }
        Ok(out)
    }

    /// A damaged end of an older file, with the next file's first LSN far off (a hand-made
    /// log): the lost records are bounded by the damaged bytes, not counted to that LSN.
    #[test]
    fn lost_records_are_bounded_by_the_damaged_bytes() {
        let (pristine, frames) = pristine();
        let mut bytes = pristine.clone();
        let (start, end) = frames[frames.len() - 1];
        bytes[start + 20] ^= 1;
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("wal");
        std::fs::create_dir_all(&wal).unwrap();
        std::fs::write(crate::wal::file_path(&wal, 1), &bytes).unwrap();
        std::fs::write(crate::wal::file_path(&wal, 1 << 50), crate::wal::header()).unwrap();
        let report = super::recover(dir.path()).unwrap();
        assert_eq!(report.damage.len(), 1);
        let lost = &report.damage[0].lost;
        assert!(!lost.is_empty() && lost.len() <= (end - start).div_ceil(32), "{} lost", lost.len());
        assert_eq!(lost[0].component.as_deref(), Some("c"));
        assert_eq!(served(dir.path()).unwrap().len() as u64, BATCHES - 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn recover_keeps_what_replay_serves_and_every_intact_record(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            cut in proptest::option::weighted(0.2, any::<prop::sample::Index>()),
        ) {
            let (pristine, frames) = pristine();
            let mut bytes = pristine.clone();
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            let replayed = open_log(tempfile::tempdir().unwrap().path(), &bytes);
            let dir = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(dir.path().join("wal")).unwrap();
            std::fs::write(crate::wal::file_path(&dir.path().join("wal"), 1), &bytes).unwrap();
            match super::recover(dir.path()) {
                // A header of another version: neither replay nor recover judges the file.
                Err(Error::UnsupportedVersion { .. }) => {
                    let refused = matches!(replayed, Err(Error::UnsupportedVersion { .. }));
                    prop_assert!(refused, "replay judged a file of another version");
                    return Ok(());
                }
                r => { r.unwrap(); }
            }
            let after = served(dir.path()).expect("a recovered log opens");
            for (k, n) in after.iter() {
                prop_assert_eq!(*n, rows(*k), "batch {} is whole", k);
            }
            if let Ok(replayed) = &replayed {
                for k in replayed.keys() {
                    prop_assert!(after.contains_key(k), "replay served batch {}, recover lost it", k);
                }
            }
            for (k, &(start, end)) in frames.iter().enumerate() {
                if end <= bytes.len() && bytes[start..end] == pristine[start..end] {
                    prop_assert!(after.contains_key(&(k as u64)), "batch {} was intact, recover lost it", k);
                }
            }
        }
    }
}
