//! SeamDB's benchmark harness: the machine's own limits, the standard workload ingested and
//! queried, the peers run on the same data, and the results as JSON, Markdown and a plot.
//! Shared by the `seamdb-bench` binary and the criterion benches.

pub mod harness;
pub mod heap;
pub mod ingest;
pub mod live;
pub mod machine;
pub mod peers;
pub mod plot;
pub mod python;
pub mod queries;
pub mod report;
pub mod results;
pub mod slo;
pub mod spark;
pub mod tcp;
