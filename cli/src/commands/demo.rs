//! `seam demo`: generate a synthetic ML deployment, ingest it durably, and show what is stored.

use seamdb::ingest::format_time;
use seamdb::storage::Part;
use seamdb::workload::{Workload, COUNTRIES};
use seamdb::{Db, TraceId, Value};
use std::path::PathBuf;
use std::time::Instant;

/// Generate a synthetic deployment (predictions and late labels), ingest it, and show it.
///
/// Writes the standard benchmark workload: `inference` events over a week with score,
/// model version, country, device and two features, and `feedback` labels for 80% of the
/// traces arriving about an hour later. Every batch is acknowledged only once durable.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory to fill; it must not hold data yet [default: a temporary directory,
    /// removed afterwards].
    db: Option<PathBuf>,
    /// Number of predictions.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let temp;
    let dir = match &args.db {
        Some(d) => d.clone(),
        None => {
            temp = std::env::temp_dir().join(format!("seam-demo-{}", std::process::id()));
            temp.clone()
        }
    };
    let result = demo(&dir, &args);
    if args.db.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn demo(dir: &std::path::Path, args: &Args) -> anyhow::Result<()> {
    let db = Db::open(dir)?;
    if db.snapshot().components().next().is_some() {
        anyhow::bail!("{} already holds data; give an empty or new directory", dir.display());
    }
    let workload = Workload::new(args.rows, args.seed);
    println!("SeamDB demo: {} predictions over a week, labels for 80% arriving ~1 h later", args.rows);
    let start = Instant::now();
    let mut rows = 0;
    for k in 0..workload.chunks() {
        let inference = workload.inference_batch(k);
        let feedback = workload.feedback_batch(k);
        rows += inference.rows() + feedback.rows();
        db.append("inference", inference)?;
        db.append("feedback", feedback)?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!("ingested {rows} events durably (fsync before every acknowledgement) in {secs:.2} s: {:.0} events/s", rows as f64 / secs);
    db.flush()?;
    let snapshot = db.snapshot();
    println!("\n{:<12} {:>10} {:>9} {:>12}  time range", "component", "rows", "segments", "bytes");
    for c in snapshot.components() {
        let (a, b) = c.time_range().unwrap_or((0, 0));
        println!(
            "{:<12} {:>10} {:>9} {:>12}  {} .. {}",
            c.name(),
            c.rows(),
            c.segments().len(),
            c.size_bytes(),
            format_time(a),
            format_time(b)
        );
    }
    if let Some(inference) = snapshot.component("inference") {
        println!("\nslice index (one roaring bitmap per tag value, per segment):");
        for country in &COUNTRIES[..5] {
            let mut n = 0;
            for part in inference.parts() {
                n += part.tag_rows("country", country)?.len();
            }
            println!("  country = {country:<3} {n:>9} predictions");
        }
        let first = inference.parts().find_map(|p: Part<'_>| p.trace_ids().first().copied());
        if let Some(id) = first {
            println!("\none trace across components (seam trace {}):", TraceId(id));
            let events = snapshot.trace(TraceId(id));
            for e in &events {
                let fields: Vec<String> = e.fields.iter().map(|(n, v)| format!("{n}={}", show(v))).collect();
                println!("  {} {:<9} {}", format_time(e.time_us), e.component, fields.join(" "));
            }
            if let [prediction, label, ..] = events.as_slice() {
                let delay_s = (label.time_us - prediction.time_us) as f64 / 1e6;
                println!("  the label arrived {:.0} min after the prediction: the join SeamDB is built for", delay_s / 60.0);
            }
        }
    }
    Ok(())
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Float(x) => format!("{x:.3}"),
        Value::Int(x) => x.to_string(),
        Value::Bool(x) => x.to_string(),
        Value::Tag(t) => t.clone(),
    }
}
