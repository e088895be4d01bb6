//! A component's unsealed tail: logged batches not yet in a segment, held in memory as a few
//! columnar chunks.
//!
//! Appends publish a new version of the database state, so whatever a version holds by
//! value is copied on every append. The tail is therefore split in two: chunks that will
//! never change again (`settled`, shared between versions behind one `Arc` and copied only
//! when a chunk settles, about once per [`TAIL_CHUNK_ROWS`] rows) and the few newest entries
//! still merging (`open`, O(log chunk) of them plus appends in flight). An append so costs
//! O(its own rows), whatever the tail's length (measured in docs/BENCHMARKS.md).

use crate::join::ChunkCache;
use crate::model::Batch;
use std::sync::Arc;
use std::time::Instant;

/// Logged batches of one component, merged into one (see [`Tail::push`]).
#[derive(Clone, Debug)]
pub(crate) struct TailEntry {
    /// The LSNs of the batches it holds: all of them lie in `first_lsn..=lsn`.
    pub first_lsn: u64,
    pub lsn: u64,
    pub batch: Arc<Batch>,
    /// When its oldest batch arrived.
    pub arrived: Instant,
    /// What queries joining it worked out (see [`crate::join::TailChunk`]).
    pub cache: Arc<ChunkCache>,
}

impl TailEntry {
    pub fn new(lsn: u64, batch: Batch) -> TailEntry {
        TailEntry { first_lsn: lsn, lsn, batch: Arc::new(batch), arrived: Instant::now(), cache: Arc::default() }
    }

    fn rows(&self) -> usize {
        self.batch.rows()
    }
}

/// Tail entries grow by merging up to this many rows; a batch this large stays as it came.
pub(crate) const TAIL_CHUNK_ROWS: usize = 16_384;

/// The unsealed entries of one component, in LSN order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tail {
    /// Entries that never merge again, oldest first; shared by every version that has them.
    settled: Arc<Vec<TailEntry>>,
    /// The newest entries, still merging.
    open: Vec<TailEntry>,
    rows: usize,
    /// When the newest batch arrived.
    last_push: Option<Instant>,
}

impl Tail {
    /// Every entry, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &TailEntry> + '_ {
        self.settled.iter().chain(&self.open)
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn first(&self) -> Option<&TailEntry> {
        self.iter().next()
    }

    /// When the newest batch arrived (`None` for a tail that never had one).
    pub fn last_push(&self) -> Option<Instant> {
        self.last_push
    }

    /// Adds a logged batch, then merges the newest entries readers may already see
    /// (`lsn <= visible`) and no seal has claimed (`first_lsn > claimed`), binary-counter
    /// style: while the older of the last two holds at most twice the newer's rows and both
    /// fit in [`TAIL_CHUNK_ROWS`]. Small batches so become a few columnar chunks (a query
    /// pays per chunk, not per batch) and each row is copied O(log chunk) times. A merge
    /// never hides an acknowledged batch (both sides are visible) and never spans a seal's
    /// boundary.
    pub fn push(&mut self, entry: TailEntry, visible: u64, claimed: u64) -> crate::Result<()> {
        self.rows += entry.rows();
        self.last_push = Some(entry.arrived);
        let open = &mut self.open;
        open.push(entry);
        let mut end = open.partition_point(|e| e.lsn <= visible);
        while end >= 2 {
            let (older, newer) = (&open[end - 2], &open[end - 1]);
            let (a, b) = (older.rows(), newer.rows());
            if older.first_lsn <= claimed || a > 2 * b || a + b > TAIL_CHUNK_ROWS {
                break;
            }
            let merged = TailEntry {
                first_lsn: older.first_lsn,
                lsn: newer.lsn,
                batch: Arc::new(Batch::concat(&[&older.batch, &newer.batch])?),
                arrived: older.arrived,
                cache: Arc::new(ChunkCache::concat(&older.cache, a, &newer.cache)),
            };
            open.splice(end - 2..end, [merged]);
            end -= 1;
        }
        // An entry never merges again once a seal has claimed it or it and its newer
        // neighbour (which only grows) overflow a chunk; nor does anything older than it.
        let frozen = (0..open.len().saturating_sub(1))
            .rev()
            .find(|&i| open[i].first_lsn <= claimed || open[i].rows() + open[i + 1].rows() > TAIL_CHUNK_ROWS);
        if let Some(i) = frozen {
            Arc::make_mut(&mut self.settled).extend(open.drain(..=i));
        }
        Ok(())
    }

    /// Removes the entries at or below `lsn` (a seal's); returns their rows. Appends may
    /// have merged later entries meanwhile, never these.
    pub fn drain_through(&mut self, lsn: u64) -> usize {
        let in_settled = self.settled.partition_point(|e| e.lsn <= lsn);
        let in_open = self.open.partition_point(|e| e.lsn <= lsn);
        let mut rows = 0;
        if in_settled > 0 {
            rows += Arc::make_mut(&mut self.settled).drain(..in_settled).map(|e| e.rows()).sum::<usize>();
        }
        rows += self.open.drain(..in_open).map(|e| e.rows()).sum::<usize>();
        self.rows -= rows;
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BatchBuilder, Value};

    /// A batch of `rows` rows for LSN `lsn`: trace IDs `lsn << 16 | row`; field `x` an int in
    /// even LSNs and a float in odd ones, tag `t` only in every third.
    fn entry(lsn: u64, rows: usize) -> TailEntry {
        let mut b = BatchBuilder::new();
        for r in 0..rows {
            let x = if lsn.is_multiple_of(2) { Value::Int(r as i64) } else { Value::Float(r as f64 + 0.5) };
            let mut values = vec![("x", x)];
            if lsn.is_multiple_of(3) {
                values.push(("t", Value::Tag(format!("v{}", r % 4))));
            }
            b.push((lsn as u128) << 16 | r as u128, lsn as i64, &values).unwrap();
        }
        TailEntry::new(lsn, b.finish().unwrap())
    }

    #[test]
    fn small_batches_merge_into_few_chunks_keeping_every_row_and_value() {
        let mut tail = Tail::default();
        for lsn in 1..=2000 {
            // The newest batch is not visible yet: it never merges on its own append.
            tail.push(entry(lsn, 10), lsn - 1, 0).unwrap();
            assert_eq!(tail.iter().last().map(|e| (e.first_lsn, e.lsn)), Some((lsn, lsn)));
            assert!(tail.open.len() <= 16, "{} open entries: an append copies them all", tail.open.len());
        }
        assert!(tail.iter().count() <= 12, "{} entries for 20,000 rows", tail.iter().count());
        assert_eq!(tail.rows(), 20_000);
        let mut expected_lsn = 1;
        for e in tail.iter() {
            assert_eq!(e.first_lsn, expected_lsn, "entries cover the LSNs in order, without gaps");
            assert!(e.batch.rows() <= TAIL_CHUNK_ROWS);
            for r in 0..e.batch.rows() {
                let (id, lsn) = (e.batch.trace_ids()[r], e.batch.times()[r] as u64);
                assert_eq!(id >> 16, lsn as u128);
                let row = (id & 0xffff) as usize;
                let x = e.batch.field("x").unwrap().value(r);
                // Int and float batches merged: the int values widened, none lost.
                let want = if lsn % 2 == 0 { row as f64 } else { row as f64 + 0.5 };
                assert!(x == Value::Float(want) || x == Value::Int(row as i64), "{x:?}");
                let t = e.batch.field("t").map_or(Value::Null, |c| c.value(r));
                assert_eq!(t, if lsn % 3 == 0 { Value::Tag(format!("v{}", row % 4)) } else { Value::Null });
            }
            expected_lsn = e.lsn + 1;
        }
        assert_eq!(expected_lsn, 2001);
    }

    #[test]
    fn a_long_tail_settles_so_appends_copy_only_a_few_entries() {
        let mut tail = Tail::default();
        let mut copies = 0;
        for lsn in 1..=20_000 {
            // A reader holds the version before each append.
            let reader = tail.clone();
            tail.push(entry(lsn, 7), lsn, 0).unwrap();
            assert!(tail.open.len() <= 16, "{} open entries", tail.open.len());
            copies += usize::from(!Arc::ptr_eq(&reader.settled, &tail.settled));
        }
        assert_eq!(tail.rows(), 140_000);
        assert!(tail.settled.len() >= 7, "full chunks settle: {}", tail.settled.len());
        assert!(tail.settled.iter().all(|e| e.batch.rows() > TAIL_CHUNK_ROWS / 2));
        assert!(copies <= tail.settled.len(), "the settled list was copied {copies} times");
    }

    #[test]
    fn entries_a_seal_has_claimed_never_merge_with_later_ones() {
        let mut tail = Tail::default();
        for lsn in 1..=40 {
            // A seal takes everything up to LSN 25 once it is there.
            tail.push(entry(lsn, 10), lsn, if lsn > 25 { 25 } else { 0 }).unwrap();
        }
        let spans: Vec<_> = tail.iter().map(|e| (e.first_lsn, e.lsn)).collect();
        assert!(tail.iter().all(|e| e.lsn <= 25 || e.first_lsn > 25), "{spans:?}");
        assert!(spans.len() < 20, "merging still happens on both sides");
        assert_eq!(tail.drain_through(25), 250);
        assert_eq!((tail.rows(), tail.first().map(|e| e.first_lsn)), (150, Some(26)));
    }
}
