//! A write-ahead-log file of arbitrary bytes (checksums accepted: built with `--cfg fuzzing`)
//! in an otherwise empty database: opening replays what decodes (a torn tail is cut and
//! reported) or fails with an error; `check` reports instead of panicking.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = seamdb_fuzz::scratch();
    std::fs::create_dir_all(dir.join("wal")).unwrap();
    std::fs::write(dir.join("wal").join(format!("{:020}.wal", 1)), data).unwrap();
    let _ = seamdb_storage::check(&dir);
    if let Ok(db) = seamdb_storage::Db::open(&dir) {
        seamdb_fuzz::touch(&db.snapshot());
    }
});
