//! What one harness run measured, as written to its JSON result file and read back by
//! `seamdb-bench report` to redraw the tables and the growth plot without measuring again.

use serde::{Deserialize, Serialize};

/// Median, minimum and maximum of repeated measurements, with how many there were.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
}

impl Spread {
    /// The summary of `samples` (empty: all zero). With an even count the median is the upper
    /// of the middle two, a value that was measured.
    pub fn of(samples: &[f64]) -> Spread {
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        match (sorted.first(), sorted.last()) {
            (Some(&min), Some(&max)) => Spread { median: percentile(&sorted, 0.5), min, max, runs: sorted.len() },
            _ => Spread::default(),
        }
    }

    /// The same spread under `f` (monotone increasing, or the bounds swap).
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Spread {
        let (a, b) = (f(self.min), f(self.max));
        Spread { median: f(self.median), min: a.min(b), max: a.max(b), runs: self.runs }
    }
}

/// The median and 99th percentile of `samples` by nearest rank; `None` when there are none.
pub fn p50_p99(mut samples: Vec<f64>) -> Option<(f64, f64)> {
    samples.sort_by(f64::total_cmp);
    (!samples.is_empty()).then(|| (percentile(&samples, 0.5), percentile(&samples, 0.99)))
}

/// How the report and the plot name an engine.
pub fn engine_name(engine: &str) -> &str {
    match engine {
        "seamdb" => "SeamDB",
        "duckdb" => "DuckDB",
        "polars" => "Polars",
        other => other,
    }
}

/// The `q`-quantile of sorted samples by nearest rank (0 when there are none).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The machine's own limits, measured at the start of the run.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    /// One core summing a 1 GiB `f64` array (best of 5).
    pub memory_read_gb_s: f64,
    /// 4 KiB append + fdatasync in the work directory.
    pub fsync_p50_ms: f64,
    pub fsync_p99_ms: f64,
}

/// What one experiment's JSON begins with (`seamdb-bench slo`, `python`): what ran, when,
/// and on what machine.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Header {
    pub n: u64,
    pub seed: u64,
    pub command: String,
    pub started: String,
    pub seamdb_version: String,
    pub machine: Machine,
}

impl Header {
    /// This run's, measuring the machine (fsync latency in `dir`).
    pub fn new(n: u64, seed: u64, command: &str, dir: &std::path::Path) -> std::io::Result<Header> {
        Ok(Header {
            n,
            seed,
            command: command.into(),
            started: crate::harness::now_rfc3339(),
            seamdb_version: env!("CARGO_PKG_VERSION").into(),
            machine: crate::machine::describe(dir, 3)?,
        })
    }
}

/// One way of getting the workload into a store.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Ingest {
    /// `seamdb`, `duckdb` or `polars`.
    pub engine: String,
    /// What was timed, e.g. "embedded, WAL + fdatasync".
    pub method: String,
    pub threads: usize,
    /// Rows of both components.
    pub rows: u64,
    /// Input bytes: in-memory column bytes, or the CSV files' size.
    pub input_bytes: u64,
    pub rows_per_s: Spread,
    /// Per-append acknowledgement latency (ms), over every append of every run.
    pub ack_p50_ms: Option<f64>,
    pub ack_p99_ms: Option<f64>,
    /// The store's own peak memory (MB): the engine's heap beyond the input it was given, or a
    /// peer process's peak RSS.
    pub peak_memory_mb: Option<f64>,
    /// A small query's latency from a second client while ingest runs (TCP only).
    pub query_during_p50_ms: Option<f64>,
    pub query_during_p99_ms: Option<f64>,
}

/// One query on one engine.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Query {
    pub engine: String,
    pub query: String,
    pub threads: usize,
    /// Warm runs (ms); for Q6 the whole batch of trace lookups.
    pub ms: Spread,
    /// The first run after opening (SeamDB builds its join indexes then).
    pub cold_ms: Option<f64>,
    /// SeamDB: each run a new process that opens the database and answers once, as a
    /// `seam query` from a shell or a cron job does (wall time of the process).
    pub new_process_ms: Option<Spread>,
    /// Q6 only: per-trace latency.
    pub per_trace_p50_ms: Option<f64>,
    pub per_trace_p99_ms: Option<f64>,
    /// SeamDB: heap the warm runs allocated at most (MB). Peers: process peak RSS.
    pub peak_memory_mb: Option<f64>,
    /// SeamDB: bytes of the driving component's columns the query reads.
    pub column_bytes: Option<u64>,
    /// Largest absolute difference from SeamDB's answer (peers; 0 for SeamDB itself).
    pub max_abs_diff: Option<f64>,
    /// The statement run, for the feature queries: SeamQL for SeamDB, SQL for DuckDB.
    pub text: Option<String>,
    /// Feature queries: where this answer differs from SeamDB's (a peer) or from the
    /// row-at-a-time executor's (SeamDB). The run still fails at its end, after the results
    /// are written; no time is reported for a peer's different answer.
    pub mismatch: Option<String>,
    /// Columns of the answer a peer did not compare, and why (p-values without SciPy).
    pub unchecked: Option<String>,
}

/// Everything one `--n` measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Run {
    pub n: u64,
    pub seed: u64,
    pub quick: bool,
    /// The command line that produced this.
    pub command: String,
    pub started: String,
    pub seamdb_version: String,
    /// Peer packages and versions, e.g. "duckdb 2.0.1".
    pub peers: Vec<String>,
    pub machine: Machine,
    /// Inference rows and feedback rows.
    pub rows: (u64, u64),
    /// Traces Q6 looks up.
    pub traces: usize,
    pub ingest: Vec<Ingest>,
    pub queries: Vec<Query>,
    /// What the answers were checked against, in words ("the row-at-a-time executor", ...).
    pub checked_against: Vec<String>,
}

/// Whether `query` names a feature query (F1, F2, …) rather than a standard one (Q1 … Q6).
pub fn is_feature(query: &str) -> bool {
    query.starts_with('F')
}

impl Run {
    /// Every answer found different, as "query engine threads: where", in run order.
    pub fn mismatches(&self) -> Vec<String> {
        self.queries
            .iter()
            .filter_map(|q| q.mismatch.as_ref().map(|m| format!("{} {} {} thr: {m}", q.query, engine_name(&q.engine), q.threads)))
            .collect()
    }

    /// `query` as run by `engine` (SeamDB at whatever thread count, a peer at `threads`).
    pub fn query(&self, engine: &str, threads: usize, query: &str) -> Option<&Query> {
        self.queries.iter().find(|q| q.engine == engine && q.query == query && (engine == "seamdb" || q.threads == threads))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_median_min_max_of_measured_values() {
        let s = Spread::of(&[5.0, 1.0, 3.0, 2.0]);
        assert_eq!(s, Spread { median: 3.0, min: 1.0, max: 5.0, runs: 4 });
        assert_eq!(Spread::of(&[]), Spread::default());
        // 1 / x reverses the order, so the bounds swap.
        assert_eq!(s.map(|x| 6.0 / x), Spread { median: 2.0, min: 1.2, max: 6.0, runs: 4 });
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 0.5), 51.0);
        assert_eq!(percentile(&sorted, 0.99), 99.0);
        assert_eq!(percentile(&sorted, 1.0), 100.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
