//! Work that rewrites the set of segments: sealing the tail, compaction and retention. Each
//! builds new segment files outside any lock but `maintenance`, then swaps them in with one
//! manifest commit, which also publishes the stored joins brought up to date with them
//! ([`crate::join`]); replaced files are deleted after the commit (open maps stay valid).

use super::Inner;
use crate::error::{Error, Result};
use crate::fs;
use crate::join::{self, JoinState, Pair};
use crate::scan::Part;
use crate::segment::{self, Segment, SegmentBuilder};
use crate::snapshot::{ComponentState, Version};
use crate::tail::TailEntry;
use std::sync::Arc;

/// What [`crate::Db::compact`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CompactReport {
    pub segments_before: usize,
    pub segments_after: usize,
}

impl Inner {
    /// Seals every component whose tail is due (or every non-empty tail when `force`);
    /// says whether anything was sealed.
    pub(crate) fn seal_all(&self, force: bool) -> Result<bool> {
        let version = self.version();
        let mut sealed = false;
        for name in version.components.keys() {
            sealed |= self.seal(name, force)?;
        }
        Ok(sealed)
    }

    /// Seals `component`'s visible tail if it is due (or `force`): one segment of at most
    /// [`crate::Options::seal_rows`] rows (so a seal's memory is bounded however far the
    /// tail ran ahead; the background thread comes back for the rest), or when forced, as
    /// many as it takes to seal what is visible now.
    pub(crate) fn seal(&self, component: &str, force: bool) -> Result<bool> {
        let until = self.wal()?.visible_lsn();
        let mut sealed = false;
        while self.seal_one(component, force, until)? {
            sealed = true;
            if !force {
                break;
            }
        }
        Ok(sealed)
    }

    fn seal_one(&self, component: &str, force: bool, until: u64) -> Result<bool> {
        let mut builder = self.maintenance.lock();
        // Under the writer lock, so that no append merges what this seal takes with a later
        // batch (appends merge only above `sealing`).
        let (version, entries) = {
            let _writer = self.writer.lock();
            let visible = self.wal()?.visible_lsn().min(until);
            let version = self.version();
            let Some(state) = version.components.get(component) else {
                return Ok(false);
            };
            let take = seal_take(state.tail.iter().take_while(|e| e.lsn <= visible).map(|e| e.batch.rows()), self.options.seal_rows);
            if take == 0 || !(force || self.seal_due(state)) {
                return Ok(false);
            }
            let entries: Vec<TailEntry> = state.tail.iter().take(take).cloned().collect();
            self.sealing.fetch_max(entries[take - 1].lsn, std::sync::atomic::Ordering::SeqCst);
            (version.clone(), entries)
        };
        let state = &version.components[component];
        builder.reset(&state.schema);
        builder.reserve(entries.iter().map(|e| e.batch.rows()).sum());
        builder.append_parts(&entries.iter().map(|e| Part::Tail(&e.batch)).collect::<Vec<_>>());
        let segment = self.write_segment(&mut builder)?;
        let sealed_lsn = entries[entries.len() - 1].lsn;
        let segments = [&state.segments[..], &[segment]].concat();
        self.publish(component, segments, |c| {
            c.tail.drain_through(sealed_lsn);
            c.sealed_lsn = sealed_lsn;
            Ok(())
        })?;
        // On an error the segment file stays: the manifest's rename may have happened with
        // only its directory fsync failing, so the manifest on disk may name it. If it does
        // not, the next open removes it as an orphan (fault injection found this).
        self.remove_sealed_wal()?;
        Ok(true)
    }

    fn seal_due(&self, state: &ComponentState) -> bool {
        let o = &self.options;
        let bytes: usize = state.tail.iter().map(|e| e.batch.size_bytes()).sum();
        let idle = state.tail.rows() >= o.seal_rows / 16 && state.tail.last_push().is_some_and(|t| t.elapsed() >= o.seal_idle);
        idle || state.tail.rows() >= o.seal_rows
            || bytes >= o.seal_bytes
            || state.tail.first().is_some_and(|e| e.arrived.elapsed() >= o.seal_age)
    }

    /// Writes and maps a segment under a fresh ID. Its section checksums were computed from
    /// the bytes just written, so they are not re-read here; every later open verifies them.
    pub(crate) fn write_segment(&self, builder: &mut SegmentBuilder) -> Result<Arc<Segment>> {
        let id = self.allocate_segment_id();
        let path = segment::file_path(&self.segment_dir, id);
        let written = builder.write(&path, id).and_then(|_| fs::sync_dir(&self.segment_dir)).and_then(|_| Segment::open_written(&path, id));
        written.map(Arc::new).inspect_err(|_| {
            let _ = fs::remove(&path);
        })
    }

    /// Deletes log files whose batches are all sealed.
    pub(super) fn remove_sealed_wal(&self) -> Result<()> {
        let wal = self.wal()?;
        let keep_from = {
            let _writer = self.writer.lock();
            let version = self.version();
            let oldest_unsealed = version.components.values().filter_map(|c| c.tail.first().map(|e| e.first_lsn)).min();
            oldest_unsealed.unwrap_or_else(|| wal.next_lsn())
        };
        wal.remove_before(keep_from)
    }

    /// Merges runs of neighbouring small segments, per component.
    pub(crate) fn compact(&self) -> Result<super::CompactReport> {
        self.seal_all(true)?;
        let mut builder = self.maintenance.lock();
        let version = self.version();
        let mut report = super::CompactReport::default();
        for (name, state) in &version.components {
            report.segments_before += state.segments.len();
            let mut replacements = Vec::new();
            for run in small_runs(&state.segments, self.options.compact_rows) {
                // Verified before rewritten: a new segment's fresh checksums must not launder
                // damage in the old ones.
                run.iter().try_for_each(|s| s.verify_all())?;
                builder.reset(&state.schema);
                builder.reserve(run.iter().map(|s| s.rows()).sum());
                builder.append_parts(&run.iter().map(|s| Part::Segment(s)).collect::<Vec<_>>());
                replacements.push((run.iter().map(|s| s.id()).collect::<Vec<_>>(), Some(self.write_segment(&mut builder)?)));
            }
            self.replace_segments(name, &replacements)?;
            report.segments_after += state.segments.len() - replacements.iter().map(|(old, _)| old.len() - 1).sum::<usize>();
        }
        Ok(report)
    }

    /// Drops `component`'s events older than `min_time_us`; returns how many rows went.
    pub(crate) fn retain(&self, component: &str, min_time_us: i64) -> Result<u64> {
        self.seal(component, true)?;
        let mut builder = self.maintenance.lock();
        let version = self.version();
        let state = version.components.get(component).ok_or_else(|| Error::invalid(format!("no component {component:?}")))?;
        let mut replacements = Vec::new();
        let mut dropped = 0u64;
        for s in state.segments.iter() {
            let Some((min, max)) = s.time_range() else {
                continue;
            };
            if min >= min_time_us {
                continue;
            }
            s.verify(segment::Group::Time)?;
            let keep_from = s.times().partition_point(|&t| t < min_time_us);
            dropped += keep_from as u64;
            if max < min_time_us {
                replacements.push((vec![s.id()], None));
            } else {
                s.verify_all()?; // rewritten: see `compact`
                let rows: Vec<u32> = (keep_from as u32..s.rows() as u32).collect();
                builder.reset(&state.schema);
                builder.append(Part::Segment(s), Some(&rows));
                replacements.push((vec![s.id()], Some(self.write_segment(&mut builder)?)));
            }
        }
        self.replace_segments(component, &replacements)?;
        Ok(dropped)
    }

    /// Removes `component` with one manifest commit, then deletes its segment files and the
    /// log files nothing else needs. Its batches still in the log stay there until retired;
    /// the manifest's dropped list (name and the last LSN then assigned) makes replay skip
    /// them, so a crash at any step either keeps the component whole or drops it whole.
    pub(crate) fn drop_component(&self, component: &str) -> Result<u64> {
        // No seal, compaction or retention may write a segment for it meanwhile.
        let _maintenance = self.maintenance.lock();
        let (mut gone, mut joins) = (None, Vec::new());
        self.commit(|v| {
            let state = v.components.remove(component).ok_or_else(|| Error::invalid(format!("no component {component:?}")))?;
            // `commit` holds the writer lock: no append can take an LSN between these lines.
            v.dropped.insert(component.to_owned(), self.wal()?.next_lsn() - 1);
            gone = Some(state);
            // Its stored joins go with it, on either side.
            v.joins.retain(|pair, state| {
                let keep = pair.driving != component && pair.joined != component;
                if !keep {
                    joins.push(state.clone());
                }
                keep
            });
            Ok(())
        })?;
        let Some(state) = gone else {
            return Ok(0);
        };
        self.remove_join_files(joins.iter(), std::iter::empty())?;
        let rows = state.segments.iter().map(|s| s.rows() as u64).sum::<u64>() + state.tail.rows() as u64;
        for s in state.segments.iter() {
            fs::remove(s.path())?;
        }
        fs::sync_dir(&self.segment_dir)?;
        self.remove_sealed_wal()?;
        Ok(rows)
    }

    /// Swaps each run of old segment IDs for its replacement (or nothing), in place, with one
    /// manifest commit; then deletes the old files.
    fn replace_segments(&self, component: &str, replacements: &[(Vec<u64>, Option<Arc<Segment>>)]) -> Result<()> {
        if replacements.is_empty() {
            return Ok(());
        }
        let version = self.version();
        let mut segments = version.components.get(component).ok_or_else(|| Error::invalid("component vanished"))?.segments.to_vec();
        for (old, new) in replacements {
            let at = segments.iter().position(|s| s.id() == old[0]).ok_or_else(|| Error::invalid("segment vanished"))?;
            match new {
                Some(new) => segments[at] = new.clone(),
                None => drop(segments.remove(at)),
            }
            segments.retain(|s| !old[1..].contains(&s.id()));
        }
        self.publish(component, segments, |_| Ok(()))?;
        for id in replacements.iter().flat_map(|(old, _)| old) {
            fs::remove(&segment::file_path(&self.segment_dir, *id))?;
        }
        fs::sync_dir(&self.segment_dir)
    }

    /// Makes `segments` `component`'s sealed list, with `edit` applied to its state, in one
    /// manifest commit that also publishes every stored join brought up to date with the new
    /// list; then deletes the join files that commit replaced. The caller holds
    /// `maintenance`, so no other change to any segment list can come in between.
    pub(super) fn publish(
        &self,
        component: &str,
        segments: Vec<Arc<Segment>>,
        edit: impl FnOnce(&mut ComponentState) -> Result<()>,
    ) -> Result<()> {
        let version = self.version();
        let joins = self.joins_after(&version, component, &segments)?;
        let mut refused = true;
        let result = self.commit(|v| {
            let c = Arc::make_mut(v.components.entry(component.to_owned()).or_default());
            edit(c)?;
            refused = false;
            c.segments = segments.into();
            v.joins.extend(joins.iter().cloned());
            Ok(())
        });
        let old = || joins.iter().filter_map(|(pair, _)| version.joins.get(pair));
        let new = || joins.iter().map(|(_, state)| state);
        match result {
            Ok(()) => self.remove_join_files(old(), new()),
            // Refused before the manifest was touched: the new files are nobody's. Any other
            // failure may have replaced the manifest (see `seal`); the next open sorts it out.
            Err(e) if refused => {
                let _ = self.remove_join_files(new(), old());
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// The stored join of every maintained pair with `component` on a side, once its sealed
    /// list is `after` (new files written, not yet published).
    fn joins_after(&self, version: &Version, component: &str, after: &[Arc<Segment>]) -> Result<Vec<(Pair, Arc<JoinState>)>> {
        let files = self.join_files();
        let before: &[Arc<Segment>] = version.components.get(component).map_or(&[], |c| &c.segments);
        let list = |name: &str| if name == component { after } else { version.components.get(name).map_or(&[][..], |c| &c.segments) };
        let appended =
            (before.len() <= after.len() && before.iter().zip(after).all(|(a, b)| a.id() == b.id())).then(|| after.len() - before.len());
        let mut out = Vec::new();
        for (pair, state) in &version.joins {
            let (driving, joined) = (list(&pair.driving), list(&pair.joined));
            if pair.driving == component || pair.joined == component {
                verify_for_join(driving.iter().chain(joined))?;
            }
            let next = match (pair.driving == component, pair.joined == component, appended) {
                (false, false, _) => continue,
                (false, true, Some(appended)) => files.absorb(state, driving, joined, appended)?,
                // The joined list changed otherwise (compaction, retention; or a self-join):
                // the locations into it are rebuilt.
                (_, true, _) => files.cover(&JoinState::default(), driving, joined)?,
                (true, false, _) => files.cover(state, driving, joined)?,
            };
            out.push((pair.clone(), Arc::new(next)));
        }
        Ok(out)
    }

    fn join_files(&self) -> join::Files<'_> {
        join::Files { dir: &self.segment_dir, next_id: &self.next_segment_id, counters: &self.join_counters }
    }

    /// Deletes the files of the `old` states that no `new` state keeps.
    fn remove_join_files<'a>(
        &self,
        old: impl Iterator<Item = &'a Arc<JoinState>>,
        new: impl Iterator<Item = &'a Arc<JoinState>>,
    ) -> Result<()> {
        let keep: std::collections::HashSet<u64> = new.flat_map(|s| s.files.values().map(|f| f.id())).collect();
        let mut removed = false;
        for file in old.flat_map(|s| s.files.values()).filter(|f| !keep.contains(&f.id())) {
            fs::remove(file.path())?;
            removed = true;
        }
        if removed {
            fs::sync_dir(&self.segment_dir)?;
        }
        Ok(())
    }

    /// Starts maintaining the stored join of `driving` ← `joined`: builds a join file for
    /// every sealed driving segment and publishes the pair. Returns `false` if the pair was
    /// maintained already.
    pub(crate) fn store_join(&self, driving: &str, joined: &str) -> Result<bool> {
        let _maintenance = self.maintenance.lock();
        let version = self.version();
        let pair = Pair { driving: driving.to_owned(), joined: joined.to_owned() };
        if version.joins.contains_key(&pair) {
            return Ok(false);
        }
        let list = |name: &str| {
            version.components.get(name).map(|c| &c.segments[..]).ok_or_else(|| Error::invalid(format!("no component {name:?}")))
        };
        verify_for_join(list(driving)?.iter().chain(list(joined)?))?;
        let state = Arc::new(self.join_files().cover(&JoinState::default(), list(driving)?, list(joined)?)?);
        // On an error the files stay, for the reason `seal` gives.
        self.commit(|v| {
            v.joins.insert(pair, state);
            Ok(())
        })?;
        Ok(true)
    }
}

/// Verifies what join maintenance reads of `segments`: trace IDs, trace lookups and times.
fn verify_for_join<'a>(mut segments: impl Iterator<Item = &'a Arc<Segment>>) -> Result<()> {
    segments.try_for_each(|s| s.verify(segment::Group::Trace).and_then(|()| s.verify(segment::Group::Time)))
}

/// Runs of two or more neighbouring segments each below `target` rows, cut so that a merged
/// segment stays at or below `target`.
fn small_runs(segments: &[Arc<Segment>], target: usize) -> Vec<&[Arc<Segment>]> {
    let mut runs = Vec::new();
    let mut start = 0;
    let mut rows = 0;
    for (i, s) in segments.iter().enumerate() {
        if s.rows() >= target || rows + s.rows() > target {
            if i - start >= 2 {
                runs.push(&segments[start..i]);
            }
            start = if s.rows() >= target { i + 1 } else { i };
            rows = if s.rows() >= target { 0 } else { s.rows() };
        } else {
            rows += s.rows();
        }
    }
    if segments.len() - start >= 2 {
        runs.push(&segments[start..]);
    }
    runs
}

/// How many entries (their rows, oldest first) one seal takes: the first, then as many more
/// as fit in `seal_rows`.
fn seal_take(rows: impl Iterator<Item = usize>, seal_rows: usize) -> usize {
    let mut total = 0;
    rows.take_while(|&r| {
        let fits = total == 0 || total + r <= seal_rows;
        total += r;
        fits
    })
    .count()
}
