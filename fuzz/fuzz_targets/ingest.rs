//! CSV and JSON Lines ingest of arbitrary bytes (the first byte picks the format and the
//! options): every input is stored whole or refused with an error naming its line; nothing
//! panics; a refused input leaves the component as it was.

#![no_main]

use libfuzzer_sys::fuzz_target;
use seamdb::ingest::{ingest, Format, IngestOptions, TimeUnit, TraceIdMode};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, input)) = data.split_first() else { return };
    let options = IngestOptions {
        format: if knobs & 1 == 0 { Format::Csv } else { Format::Jsonl },
        time_unit: (knobs & 2 != 0).then_some(TimeUnit::Ms),
        trace_ids: if knobs & 4 == 0 { TraceIdMode::Strict } else { TraceIdMode::Hash },
        skip_bad_rows: knobs & 8 != 0,
        chunk_bytes: if knobs & 16 == 0 { 4 << 20 } else { 7 },
        hash_hint: None,
        // Without `again`, content the component already holds is refused (nothing stored).
        again: knobs & 32 != 0,
        create: true,
    };
    seamdb_fuzz::with_shared_db(|db| {
        let rows = || db.snapshot().component("c").map_or(0, |c| c.rows());
        let before = rows();
        match ingest(db, "c", input, &options, &mut |_| {}) {
            Ok(report) => assert_eq!(rows(), before + report.rows as usize),
            Err(_) => assert_eq!(rows(), before),
        }
    });
});
