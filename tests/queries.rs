//! Data-driven SeamQL tests: every `tests/queries/*.test` file holds statements with the
//! exact CSV they must produce (or the error they must raise) on the data in
//! `tests/queries/data/` (one CSV file per component).

use crate::support::{open, small_options, temp};
use seamdb::ingest::{ingest, IngestOptions};
use std::path::Path;

struct Case {
    file: String,
    line: usize,
    statement: String,
    expect_error: bool,
    expected: String,
}

fn cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap();
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let mut cases = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let (expect_error, statement) = match (line.strip_prefix("query "), line.strip_prefix("error ")) {
            (Some(s), _) => (false, s),
            (_, Some(s)) => (true, s),
            _ => continue, // comments and blank lines between cases
        };
        assert_eq!(lines.next().map(|l| l.1), Some("----"), "{file}:{}: expected ---- after the statement", n + 1);
        let mut expected = Vec::new();
        while let Some((_, l)) = lines.next_if(|(_, l)| !l.is_empty()) {
            expected.push(l);
        }
        cases.push(Case { file: file.clone(), line: n + 1, statement: statement.to_string(), expect_error, expected: expected.join("\n") });
    }
    cases
}

#[test]
fn every_query_file_gives_its_expected_results() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/queries");
    let dir = temp();
    let db = open(dir.path(), small_options());
    for entry in std::fs::read_dir(root.join("data")).unwrap() {
        let path = entry.unwrap().path();
        let component = path.file_stem().unwrap().to_string_lossy().to_string();
        let input = std::fs::File::open(&path).unwrap();
        ingest(&db, &component, input, &IngestOptions::default(), &mut |_| {}).unwrap();
    }
    let mut files: Vec<_> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "test")).collect();
    files.sort();
    let mut checked = 0;
    for path in files {
        for case in cases(&path) {
            let at = format!("{}:{} ({})", case.file, case.line, case.statement);
            match (seamdb::query::query(&case.statement, &db.snapshot()), case.expect_error) {
                (Ok(table), false) => assert_eq!(table.to_csv().trim_end(), case.expected, "{at}"),
                (Err(e), true) => assert!(e.to_string().contains(&case.expected), "{at}: error {e:?} lacks {:?}", case.expected),
                (Ok(table), true) => panic!("{at}: expected an error, got\n{}", table.to_csv()),
                (Err(e), false) => panic!("{at}: {e}"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} cases found");
}
