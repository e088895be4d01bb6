//! `seam stats`: per component, rows, segments, bytes and time range; per stored join pair,
//! its files and bytes.

use seamdb::query::format_time;
use serde_json::json;
use std::path::PathBuf;

/// Show each component's rows, segments, bytes on disk and time range, and each stored join
/// (driving <- joined) with its files and bytes on disk.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory.
    db: PathBuf,
    /// Output format.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let db = super::open_read_only(&args.db)?;
    let snapshot = db.snapshot();
    let rows: Vec<serde_json::Value> = snapshot
        .components()
        .map(|c| {
            let (min, max) = c.time_range().map_or((None, None), |(a, b)| (Some(format_time(a)), Some(format_time(b))));
            json!({
                "name": c.name(),
                "rows": c.rows(),
                "sealed_rows": c.sealed_rows(),
                "unsealed_rows": c.rows() - c.sealed_rows(),
                "segments": c.segments().len(),
                "bytes": c.size_bytes(),
                "min_time": min,
                "max_time": max,
                "fields": c.schema().fields().iter().map(|(n, t)| json!({"name": n, "type": t.name()})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let joins: Vec<serde_json::Value> = snapshot
        .stored_joins()
        .map(|j| json!({ "driving": j.driving(), "joined": j.joined(), "files": j.files(), "bytes": j.size_bytes() }))
        .collect();
    if args.format == "json" {
        outln!("{}", serde_json::to_string_pretty(&json!({ "components": rows, "stored_joins": joins }))?)?;
        return Ok(());
    }
    // Format the numbers themselves: a `serde_json::Value` ignores width and alignment.
    let number = |r: &serde_json::Value, key: &str| r[key].as_u64().unwrap_or(0);
    let width = rows.iter().filter_map(|r| r["name"].as_str()).map(str::len).chain([9]).max().unwrap_or(9);
    outln!("{:<width$} {:>12} {:>9} {:>14}  time range", "component", "rows", "segments", "bytes")?;
    for r in &rows {
        outln!(
            "{:<width$} {:>12} {:>9} {:>14}  {} .. {}",
            r["name"].as_str().unwrap_or(""),
            number(r, "rows"),
            number(r, "segments"),
            number(r, "bytes"),
            r["min_time"].as_str().unwrap_or("-"),
            r["max_time"].as_str().unwrap_or("-")
        )?;
    }
    if !joins.is_empty() {
        outln!()?;
        outln!("{:<30} {:>9} {:>14}", "stored join", "files", "bytes")?;
        for j in &joins {
            let pair = format!("{} <- {}", j["driving"].as_str().unwrap_or(""), j["joined"].as_str().unwrap_or(""));
            outln!("{pair:<30} {:>9} {:>14}", number(j, "files"), number(j, "bytes"))?;
        }
    }
    Ok(())
}
