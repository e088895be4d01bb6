//! Tuning knobs and durability modes, with defaults that suit a single machine.

use std::time::Duration;

/// What an acknowledged append survives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// The default. An append returns after its WAL record is on stable storage (fdatasync);
    /// concurrent appends share one fdatasync (group commit). Survives `kill -9` and power loss.
    Sync,
    /// An append returns once its record is written to the OS; a background thread syncs the
    /// log every `interval`. Survives `kill -9` (the page cache keeps it); a power loss can
    /// lose the last `interval` of acknowledged appends.
    Relaxed { interval: Duration },
}

/// Options for [`crate::Db::open_with`].
#[derive(Clone, Debug)]
pub struct Options {
    pub durability: Durability,
    /// A component's unsealed rows are sealed into a segment once they reach this many rows...
    pub seal_rows: usize,
    /// ...or this many bytes...
    pub seal_bytes: usize,
    /// ...or once the oldest unsealed batch is this old...
    pub seal_age: Duration,
    /// ...or once nothing has been appended for this long to a tail of at least
    /// `seal_rows / 16` rows: when ingest pauses, queries get segments (slice bitmaps,
    /// stored joins) without waiting for `seal_age`, while a trickle of rows still waits
    /// rather than becoming a segment each pause.
    pub seal_idle: Duration,
    /// Compaction merges neighbouring segments smaller than this many rows, up to this size.
    pub compact_rows: usize,
    /// Run sealing on a background thread (otherwise only on [`crate::Db::flush`]).
    pub background_seal: bool,
    /// Size past which the log moves on to a new file. Hidden, as no workload gains from
    /// another size: tests set it small so that log files rotate, retire and are reused
    /// every few appends.
    #[doc(hidden)]
    pub wal_file_bytes: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            durability: Durability::Sync,
            seal_rows: 1 << 20,
            seal_bytes: 128 << 20,
            seal_age: Duration::from_secs(60),
            seal_idle: Duration::from_secs(1),
            compact_rows: 1 << 22,
            background_seal: true,
            wal_file_bytes: 64 << 20,
        }
    }
}

impl Options {
    /// The most unsealed rows a component may hold before appends wait for the sealer:
    /// this is what bounds ingest memory.
    pub fn max_unsealed_rows(&self) -> usize {
        self.seal_rows.saturating_mul(4)
    }
}
