//! A manifest of arbitrary bytes (checksums accepted: built with `--cfg fuzzing`): opening the
//! database fails with an error or opens what the manifest describes; nothing panics.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = seamdb_fuzz::scratch();
    std::fs::write(dir.join("MANIFEST"), data).unwrap();
    let _ = seamdb_storage::check(&dir);
    if let Ok(db) = seamdb_storage::Db::open(&dir) {
        seamdb_fuzz::touch(&db.snapshot());
    }
});
