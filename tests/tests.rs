//! SeamDB's integration tests, in one binary (one link, one run): each module covers one
//! promise of SPEC §2–§5.

mod support;

mod abuse;
mod cli;
mod crash;
mod diagnose;
mod faults;
mod format;
mod ingest;
mod lifecycle;
mod metrics;
mod queries;
mod readers;
mod recovery;
mod roundtrip;
mod schema;
mod server;
mod slo;
