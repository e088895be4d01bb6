//! A join file of arbitrary bytes (checksums accepted: built with `--cfg fuzzing`) against
//! joined segments 1 to 4 of 1,000 rows each: decoding fails with an error, or every location
//! it yields lies inside those segments — what the query layer indexes with, unchecked.

#![no_main]

use libfuzzer_sys::fuzz_target;
use seamdb_storage::join::{split, JoinFile, NO_MATCH};

const ROWS: usize = 1_000;

fuzz_target!(|data: &[u8]| {
    let rows = |id: u64| (1..=4).contains(&id).then_some(ROWS);
    if let Ok(file) = JoinFile::from_bytes(data, rows) {
        let joined = file.joined().len();
        for loc in file.locs().to_vec() {
            if loc != NO_MATCH {
                let (i, r) = split(loc);
                assert!(i < joined && r < ROWS, "location {loc:#x} outside the joined segments");
            }
        }
    }
});
