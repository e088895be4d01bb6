//! `seam check`: verify every checksum of a database directory without opening it for
//! writing, and name each damaged file.

use crate::db::{join_files, open_join, retried, segment_files, Attempt, SEGMENT_DIR, WAL_DIR};
use crate::error::{Error, Result};
use crate::manifest::{self, Manifest};
use crate::segment::{self, Segment};
use crate::snapshot::{ComponentState, Version};
use crate::wal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What [`check`] found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub segments_checked: usize,
    /// Join files checked: checksums, and every location against a join built anew.
    pub join_files_checked: usize,
    pub bytes_checked: u64,
    pub wal_records_checked: u64,
    /// Damage: each error names its file and offset.
    pub damaged: Vec<Error>,
    /// Not damage, but worth knowing: a torn log tail that the next open will cut, or files
    /// no manifest refers to.
    pub notes: Vec<String>,
}

impl CheckReport {
    pub fn is_ok(&self) -> bool {
        self.damaged.is_empty()
    }
}

/// Reads every live segment and log record in `dir` and verifies their checksums. It changes
/// nothing on disk, so it is safe beside a running writer (whose newest log record may then
/// show up as a torn tail note). Beside a writer it reads as a read-only open does
/// (db/read_only.rs): it starts over when a commit happened while it read, and it reports
/// damage only when it finds the same damage twice in a row, so that a file deleted or a
/// log page written while it read is not taken for damage.
pub fn check(dir: &Path) -> Result<CheckReport> {
    if !dir.is_dir() {
        return Err(Error::invalid(format!("{} is not a database directory", dir.display())));
    }
    retried(dir, |last| {
        let before = manifest::read_bytes(dir)?;
        let report = check_once(dir)?;
        if manifest::read_bytes(dir)? != before {
            return Ok(Attempt::Again("a commit happened meanwhile".into()));
        }
        let damage = report.damaged.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        Ok(if damage.is_empty() || last == Some(&damage) { Attempt::Done(report) } else { Attempt::Again(damage) })
    })
}

fn check_once(dir: &Path) -> Result<CheckReport> {
    let mut report = CheckReport::default();
    let manifest = match Manifest::load(dir) {
        Ok(m) => m.unwrap_or_default(),
        Err(e) => {
            report.damaged.push(e);
            return Ok(report);
        }
    };
    let segment_dir = dir.join(SEGMENT_DIR);
    let mut live = std::collections::HashSet::new();
    // The segments that verify, by component, for checking the join files against.
    let mut version = Version::default();
    for c in &manifest.components {
        let mut segments = Vec::new();
        for meta in &c.segments {
            live.insert(meta.id);
            match Segment::open(&segment::file_path(&segment_dir, meta.id), meta.id).and_then(|s| s.verify_trace_lookup().map(|()| s)) {
                Ok(s) => {
                    report.segments_checked += 1;
                    report.bytes_checked += s.size_bytes();
                    segments.push(Arc::new(s));
                }
                Err(e) => report.damaged.push(e),
            }
        }
        version.components.insert(c.name.clone(), Arc::new(ComponentState { segments: segments.into(), ..ComponentState::default() }));
    }
    for entry in &manifest.pairs {
        live.extend(entry.files.iter().map(|&(_, id)| id));
        match open_join(&segment_dir, &version, entry) {
            Ok((_, state)) => {
                let segments = |name: &str| version.components.get(name).map_or(&[][..], |c| &c.segments[..]);
                let driving: Vec<&Segment> = segments(&entry.driving).iter().map(|s| &**s).collect();
                let built = crate::join::build(&driving, segments(&entry.joined));
                for (segment, locs) in driving.iter().zip(built) {
                    let file = &state.files[&segment.id()];
                    report.join_files_checked += 1;
                    report.bytes_checked += file.size_bytes();
                    if let Some(row) = file.locs().to_vec().iter().zip(&locs).position(|(a, b)| a != b) {
                        report.damaged.push(Error::corrupt(file.path(), 0, format!("row {row}'s location differs from a join built anew")));
                    }
                }
            }
            Err(e) => report.damaged.push(e),
        }
    }
    if segment_dir.is_dir() {
        for (id, path) in segment_files(&segment_dir)?.into_iter().chain(join_files(&segment_dir)?) {
            if !live.contains(&id) {
                let why = "left by a crash, or a writer's commit not yet done; removed on next open";
                report.notes.push(format!("{}: not in the manifest ({why})", path.display()));
            }
        }
    }
    let _readers = wal::readers::shared(dir)?;
    check_wal(&dir.join(WAL_DIR), &mut report)?;
    Ok(report)
}

fn check_wal(dir: &Path, report: &mut CheckReport) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let files: Vec<(u64, PathBuf)> = wal::list_files(dir)?;
    for (i, (first_lsn, path)) in files.iter().enumerate() {
        match wal::verify_file(path, *first_lsn, i + 1 == files.len()) {
            Ok(file) => {
                report.wal_records_checked += file.records;
                report.bytes_checked += file.bytes;
                if let Some((offset, dropped)) = file.torn {
                    report.notes.push(format!(
                        "{}: torn tail of {dropped} bytes at offset {offset} (cut on next open; or a writer is writing there now)",
                        path.display()
                    ));
                }
            }
            Err(e) => report.damaged.push(e),
        }
    }
    Ok(())
}
