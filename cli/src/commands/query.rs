//! `seam query`: run one SeamQL statement and print the result.

use std::path::PathBuf;

/// Run a SeamQL statement against a database and print the result.
///
/// Runs `SELECT` (aggregates, JOIN on trace ID with the latest event per trace, WHERE,
/// GROUP BY window(...) and fields, AS OF, LIMIT), `SHOW COMPONENTS`, `DESCRIBE component` and
/// `TRACE 'id'`, drift against a REFERENCE, and `EXPLAIN SELECT ...` (what a query reads).
/// Parse errors point at line and column. docs/QUERY.md has the whole language.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory.
    db: PathBuf,
    /// The statement, e.g. "SELECT count(), mean(score) FROM inference GROUP BY window(1h)".
    seamql: String,
    /// Output: an aligned table, one JSON array of objects, or CSV with a header.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv"])]
    format: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let statement = seamdb::query::parse(&args.seamql)?;
    let db = super::open_existing(&args.db)?;
    let table = seamdb::query::execute(&statement, &db.snapshot())?;
    match args.format.as_str() {
        "json" => println!("{}", table.to_json()),
        "csv" => print!("{}", table.to_csv()),
        _ => print!("{}", table.to_text()),
    }
    Ok(())
}
