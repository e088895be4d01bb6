//! `seam ingest`: load a CSV or JSON Lines file into one component, atomically.

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use seamdb::ingest::{self, Format, IngestOptions, TimeUnit, TraceIdMode};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Instant;

/// Load events from a CSV or JSON Lines file into a component.
///
/// CSV needs a header row with `trace_id`, `time` (or `ts`) and one column per field; an empty
/// cell is null. JSON Lines holds one object per line with the same keys. Field types are
/// inferred for new fields (integers → int, numbers → float, true/false → bool, else tag);
/// NaN, inf and Infinity are floats, not nulls.
/// The file is ingested atomically: all of its rows become visible, or none.
///
/// The database remembers the content (a hash of the bytes) each ingest stored, per
/// component, and refuses the same content again unless --again. Once the database has
/// components, a new one is started only with --create, so a typo does not start a stream.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory (created if missing; with --remote: ignored, write "-").
    db: PathBuf,
    /// Component to load into, e.g. inference or feedback.
    #[arg(long, short)]
    component: String,
    /// Input format [default: from the file extension: .jsonl/.ndjson → jsonl, else csv].
    #[arg(long, value_parser = ["csv", "jsonl"])]
    format: Option<String>,
    /// Unit of integer times; without it, integer times are an error.
    #[arg(long, value_parser = ["s", "ms", "us", "ns"])]
    time_unit: Option<String>,
    /// Hash trace IDs that are not a decimal integer, UUID or 32 hex digits (XXH3-128).
    #[arg(long)]
    hash_trace_ids: bool,
    /// Store the good rows and report each bad one instead of failing.
    #[arg(long)]
    skip_bad_rows: bool,
    /// Store the input even though the component already holds the same bytes.
    #[arg(long)]
    again: bool,
    /// Start the component if it does not exist yet (needed once the database has any).
    #[arg(long)]
    create: bool,
    /// Input file, or - for standard input.
    #[arg(default_value = "-")]
    file: PathBuf,
    /// Send the file to a `seam serve` at HOST:PORT, as one request: stored whole or not at all.
    #[arg(long, value_name = "HOST:PORT")]
    remote: Option<String>,
    /// With --remote: a file holding the server's token.
    #[arg(long, requires = "remote")]
    token_file: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let stdin = args.file.as_os_str() == "-";
    let ext = args.file.extension().and_then(|e| e.to_str()).unwrap_or("");
    let format = match args.format.as_deref() {
        Some("jsonl") => Format::Jsonl,
        Some(_) => Format::Csv,
        None if matches!(ext, "jsonl" | "ndjson") => Format::Jsonl,
        None => Format::Csv,
    };
    let options = IngestOptions {
        format,
        time_unit: args.time_unit.as_deref().and_then(TimeUnit::parse),
        trace_ids: if args.hash_trace_ids { TraceIdMode::Hash } else { TraceIdMode::Strict },
        skip_bad_rows: args.skip_bad_rows,
        hash_hint: Some("pass --hash-trace-ids to hash other strings"),
        again: args.again,
        create: args.create,
        ..IngestOptions::default()
    };
    let (input, size): (Box<dyn Read>, Option<u64>) = if stdin {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let file = std::fs::File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let name = if stdin { "standard input".to_string() } else { args.file.display().to_string() };
    if let Some(addr) = &args.remote {
        return super::remote::ingest(addr, args.token_file.as_deref(), &args.component, &name, input, &options);
    }
    // Content the component already holds is refused by the commit (the hash is taken as the
    // input is read, so the file is read once).
    let db = super::open(&args.db, true)?;
    let bar = progress_bar(size);
    let start = Instant::now();
    let result = ingest::ingest(&db, &args.component, input, &options, &mut |bytes| {
        if let Some(bar) = &bar {
            bar.set_position(bytes);
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = result.map_err(|e| explain(e, &name))?;
    for bad in &report.bad_rows {
        eprintln!("skipped {}: {}", bad.place, bad.message);
    }
    let secs = start.elapsed().as_secs_f64();
    outln!(
        "ingested {} rows into {} in {:.2} s ({:.0} rows/s){}",
        report.rows,
        args.component,
        secs,
        report.rows as f64 / secs.max(1e-9),
        if report.bad_rows.is_empty() { String::new() } else { format!("; skipped {} bad rows", report.bad_rows.len()) }
    )?;
    Ok(())
}

/// The one-line message of a failed ingest, with the flag that overrides a refusal.
fn explain(e: seamdb::Error, name: &str) -> anyhow::Error {
    match e {
        seamdb::Error::UnknownComponent { .. } => anyhow::anyhow!("{e}; pass --create to start a new one"),
        seamdb::Error::Storage(seamdb::storage::Error::AlreadyIngested { .. }) => {
            anyhow::anyhow!("{name}: nothing was stored: {e}; pass --again to store it again")
        }
        e => anyhow::Error::new(e).context(format!("{name}: nothing was stored")),
    }
}

/// A byte progress bar on a terminal for inputs over 16 MiB; nothing otherwise.
fn progress_bar(size: Option<u64>) -> Option<ProgressBar> {
    let size = size.filter(|&s| s > 16 << 20)?;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(size);
    bar.set_style(ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}").ok()?);
    Some(bar)
}
