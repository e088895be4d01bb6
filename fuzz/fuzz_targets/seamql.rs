//! The SeamQL parser on arbitrary input: it must return a statement or an error with a line
//! and column inside the input, and never panic or hang (nesting is capped).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match seamdb_query::parse(text) {
        Ok(statement) => {
            // A parsed statement is a plain tree: walking all of it must not fail either.
            let _ = format!("{statement:?}");
        }
        Err(seamdb_query::Error::Parse { line, column, .. }) => {
            let lines = text.split('\n').count().max(1);
            assert!(line >= 1 && line <= lines, "line {line} of {lines}");
            assert!(column >= 1, "column {column}");
        }
        Err(_) => {}
    }
});
