//! A segment file of arbitrary bytes (checksums accepted: built with `--cfg fuzzing`): opening
//! either fails with an error or yields a segment every accessor of which reads without
//! panicking or reading out of bounds.

#![no_main]

use libfuzzer_sys::fuzz_target;
use seamdb_storage::segment::Segment;

fuzz_target!(|data: &[u8]| {
    let dir = seamdb_fuzz::scratch();
    let path = dir.join("0000000000000001.seg");
    std::fs::write(&path, data).unwrap();
    if let Ok(segment) = Segment::open(&path, 1) {
        seamdb_fuzz::touch_segment(&segment);
    }
});
