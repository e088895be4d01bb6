//! `seam query`: run one SeamQL statement and print the result.

use std::path::PathBuf;

/// Run a SeamQL statement against a database and print the result.
///
/// Runs `SELECT` (aggregates, JOIN on trace ID with the latest event per trace, WHERE,
/// GROUP BY window(...) and fields, HAVING, AS OF, ORDER BY, LIMIT), drift against a
/// REFERENCE, `EXPLAIN SELECT ...` (what a query reads), `SHOW COMPONENTS`, `DESCRIBE
/// component`, `TRACE 'id'`, the SLO statements (`CREATE SLO name AS SELECT ... EXPECT ...
/// [WHEN ...]`, `SHOW SLOS`, `CHECK SLO name`, `CHECK SLOS`, `DROP SLO name`) and `DIAGNOSE
/// SELECT ... AT time [BASELINE time]`. Everything but CREATE/DROP SLO only reads, beside a
/// running server too. Parse errors point at line and column. docs/QUERY.md has the whole
/// language.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory (with --remote: ignored, write "-").
    db: PathBuf,
    /// The statement, e.g. "SELECT count(), mean(score) FROM inference GROUP BY window(1h)".
    seamql: String,
    /// Output: an aligned table, one JSON array of objects, or CSV with a header.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv"])]
    format: String,
    /// Ask a `seam serve` at HOST:PORT instead of opening the directory.
    #[arg(long, value_name = "HOST:PORT")]
    remote: Option<String>,
    /// With --remote: a file holding the server's token.
    #[arg(long, requires = "remote")]
    token_file: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let table = match &args.remote {
        Some(addr) => {
            let mut client = super::remote::connect(addr, args.token_file.as_deref())?;
            client.query(&args.seamql)?
        }
        None => {
            let statement = seamdb::query::parse(&args.seamql)?;
            // Statements that only read work beside a writer; CREATE/DROP SLO need the lock.
            let db = if statement.writes() { super::open_existing(&args.db, true)? } else { super::open_read_only(&args.db)? };
            seamdb::query::run(&statement, &db)?
        }
    };
    match args.format.as_str() {
        "json" => outln!("{}", table.to_json())?,
        "csv" => out!("{}", table.to_csv())?,
        _ => out!("{}", table.to_text())?,
    }
    Ok(())
}
