//! `seam trace`: every event of one trace, in every component, as JSON.

use seamdb::ingest::{parse_trace_id, TraceIdMode};
use seamdb::query::format_time;
use seamdb::{TraceId, Value};
use serde_json::{json, Map};
use std::path::PathBuf;

/// Print every event of one trace in every component, ordered by time, as a JSON array.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory.
    db: PathBuf,
    /// Trace ID: a decimal integer, a UUID or 32 hex digits.
    id: String,
    /// Hash an ID given in another form, as `seam ingest --hash-trace-ids` did.
    #[arg(long)]
    hash_trace_ids: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mode = if args.hash_trace_ids { TraceIdMode::Hash } else { TraceIdMode::Strict };
    let hint = if args.hash_trace_ids { "" } else { "; pass --hash-trace-ids to hash other strings" };
    let id = TraceId(parse_trace_id(&args.id, mode).map_err(|e| anyhow::anyhow!("{e}{hint}"))?);
    let db = super::open_read_only(&args.db)?;
    let events: Vec<serde_json::Value> = db
        .snapshot()
        .trace(id)?
        .into_iter()
        .map(|e| {
            let mut obj = Map::new();
            obj.insert("component".into(), json!(e.component));
            obj.insert("trace_id".into(), json!(e.trace_id.to_string()));
            obj.insert("time".into(), json!(format_time(e.time_us)));
            for (name, value) in e.fields {
                obj.insert(name, to_json(value));
            }
            serde_json::Value::Object(obj)
        })
        .collect();
    outln!("{}", serde_json::to_string_pretty(&events)?)?;
    Ok(())
}

fn to_json(v: Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Float(x) => json!(x),
        Value::Int(x) => json!(x),
        Value::Bool(x) => json!(x),
        Value::Tag(s) => json!(s),
    }
}
