//! The live shape: clients appending small batches of predictions and their labels through a
//! running `seam serve` (each acknowledged once durable) while another client asks Q1 once a
//! second; then Q1 once the writers have stopped, from a new `seam query` process, and from a
//! freshly started server. The Rust port of bench/probes/live_q1.py, with the server in a
//! process of its own as deployed, so that its peak RSS is its own.

use crate::results::{p50_p99, percentile, Spread};
use crate::{ingest, queries};
use seamdb::workload::{Workload, SPAN_US, START_US};
use seamdb::{Batch, BatchBuilder, Durability, Value};
use seamdb_server::Client;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What to run: the preload, then every (batch rows, writers) pair for `seconds` each.
#[derive(Clone, Debug)]
pub struct Config {
    pub preload: u64,
    pub batch_rows: Vec<u64>,
    pub writers: Vec<usize>,
    pub seconds: f64,
    /// The `seam` binary.
    pub server_bin: PathBuf,
}

/// Everything one run measured, as `--out` writes it.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub preload: u64,
    pub seconds: f64,
    pub configurations: Vec<Outcome>,
}

/// One (batch rows, writers) configuration.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub batch_rows: u64,
    pub writers: usize,
    /// From the writers' start to the last one's last acknowledgement.
    pub seconds: f64,
    pub predictions: u64,
    pub labels: u64,
    pub predictions_per_s: f64,
    pub labels_per_s: f64,
    pub rows_per_s: f64,
    /// Every append's acknowledgement latency, both components.
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    pub q1_during: Latency,
    /// Q1 through the same server 2 s after the writers stopped.
    pub q1_after_ms: Spread,
    /// `seam query DB Q1`, wall time of the whole process.
    pub q1_fresh_process_ms: Spread,
    /// Q1 through a newly started server, after one Q1 to warm it.
    pub q1_fresh_warm_ms: Spread,
    /// The live server's peak resident set (VmHWM).
    pub server_peak_rss_mb: f64,
    /// Bytes in DB/segments by file extension once the servers are stopped; `join` (the stored
    /// join sidecars) is always present, 0 when there are none.
    pub segment_bytes: BTreeMap<String, u64>,
    /// Join maintenance in the live server, from the run's start to its stop (which seals
    /// what is left), as `seam serve` reports it on stopping.
    pub join: JoinCost,
}

/// What maintaining the stored join cost the live server.
#[derive(Clone, Debug, Default, Serialize)]
pub struct JoinCost {
    pub events_resolved: u64,
    pub events_per_s: f64,
    pub files_written: u64,
    pub bytes_written: u64,
}

impl JoinCost {
    /// From the line `seam serve` writes to stderr on stopping (the last one in `log`).
    fn from_log(log: &Path, seconds: f64) -> anyhow::Result<JoinCost> {
        let text = std::fs::read_to_string(log)?;
        let line = text.lines().rev().find(|l| l.contains("Stored joins maintained meanwhile:"));
        let numbers: Vec<u64> = line
            .ok_or_else(|| anyhow::anyhow!("{}: no join maintenance line from seam serve", log.display()))?
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        let [events, files, bytes] = numbers[..] else { anyhow::bail!("{}: unexpected join maintenance line", log.display()) };
        Ok(JoinCost { events_resolved: events, events_per_s: events as f64 / seconds, files_written: files, bytes_written: bytes })
    }
}

/// Latencies of a query asked while the writers run (ms).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    fn of(mut ms: Vec<f64>) -> Latency {
        ms.sort_by(f64::total_cmp);
        let at = |q| percentile(&ms, q);
        Latency { samples: ms.len(), p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1.0) }
    }
}

/// Preloads the standard workload into `work`/preload, then measures every configuration on a
/// copy of it, so that each starts from the same database.
pub fn run(work: &Path, config: &Config) -> anyhow::Result<Report> {
    anyhow::ensure!(
        config.server_bin.is_file(),
        "no server binary at {}: build it with `cargo build --release -p seamdb-cli`, or pass --server-bin",
        config.server_bin.display()
    );
    let preload = work.join("preload");
    // An earlier run's database would be appended to, and the counts checked would be off.
    remove_if_present(&preload)?;
    let start = Instant::now();
    let loaded = ingest::run(&preload, ingest::batches(&Workload::new(config.preload, 42), true), Durability::Sync, 1)?;
    println!("preloaded {} predictions and their labels ({} rows) in {:.1} s", config.preload, loaded.rows, start.elapsed().as_secs_f64());
    let mut configurations = Vec::new();
    for &batch_rows in &config.batch_rows {
        for &writers in &config.writers {
            let db = work.join(format!("b{batch_rows}-w{writers}"));
            remove_if_present(&db)?;
            copy_dir(&preload, &db)?;
            let outcome = configuration(&db, config, batch_rows.max(1), writers.max(1))?;
            print!("{}", table(&outcome));
            configurations.push(outcome);
        }
    }
    Ok(Report { preload: config.preload, seconds: config.seconds, configurations })
}

fn configuration(db: &Path, config: &Config, batch_rows: u64, writers: usize) -> anyhow::Result<Outcome> {
    let q1 = queries::standard("Q1")?.text;
    let log = db.with_extension("serve.log");
    let server = Server::start(&config.server_bin, db, &log)?;
    let live = write_and_ask(server.addr, batch_rows, writers, Duration::from_secs_f64(config.seconds), q1)?;
    // Lets work the appends left behind (sealing the tail) settle before "after" is asked.
    std::thread::sleep(Duration::from_secs(2));
    let q1_after_ms = repeat(server.addr, q1, 5)?;
    let server_peak_rss_mb = server.peak_rss_mb()?;
    server.stop()?;
    let join = JoinCost::from_log(&log, live.seconds)?;

    let mut fresh = Command::new(&config.server_bin);
    fresh.arg("query").arg(db).arg(q1).stdout(Stdio::null());
    let times = (0..3).map(|_| queries::process_ms(&mut fresh, "seam query Q1")).collect::<anyhow::Result<Vec<_>>>()?;
    let q1_fresh_process_ms = Spread::of(&times);

    let server = Server::start(&config.server_bin, db, &log)?;
    Client::connect(server.addr, None)?.query(q1)?;
    let q1_fresh_warm_ms = repeat(server.addr, q1, 5)?;
    server.stop()?;

    let (predictions, labels) = (live.predictions as f64, live.labels as f64);
    let (ack_p50_ms, ack_p99_ms) = p50_p99(live.ack_ms).unwrap_or_default();
    Ok(Outcome {
        batch_rows,
        writers,
        seconds: live.seconds,
        predictions: live.predictions,
        labels: live.labels,
        predictions_per_s: predictions / live.seconds,
        labels_per_s: labels / live.seconds,
        rows_per_s: (predictions + labels) / live.seconds,
        ack_p50_ms,
        ack_p99_ms,
        q1_during: Latency::of(live.q1_ms),
        q1_after_ms,
        q1_fresh_process_ms,
        q1_fresh_warm_ms,
        server_peak_rss_mb,
        segment_bytes: segment_bytes(db)?,
        join,
    })
}

/// What the writers and the query client measured while they ran together.
#[derive(Debug, Default)]
struct Live {
    seconds: f64,
    predictions: u64,
    labels: u64,
    ack_ms: Vec<f64>,
    q1_ms: Vec<f64>,
}

/// `writers` clients append at full speed for `duration` while this thread asks `q1` once a
/// second through a connection of its own.
fn write_and_ask(addr: SocketAddr, batch_rows: u64, writers: usize, duration: Duration, q1: &str) -> anyhow::Result<Live> {
    // Connected before the clock starts: the run measures appends, not handshakes.
    let clients = (0..writers).map(|_| Client::connect(addr, None)).collect::<Result<Vec<_>, _>>()?;
    let mut asker = Client::connect(addr, None)?;
    let start = Instant::now();
    let deadline = start + duration;
    std::thread::scope(|s| -> anyhow::Result<Live> {
        let handles: Vec<_> = clients
            .into_iter()
            .enumerate()
            .map(|(w, client)| s.spawn(move || write(client, Stream::new(w, batch_rows), start, deadline)))
            .collect();
        let mut q1_ms = Vec::new();
        while Instant::now() < deadline {
            let t = Instant::now();
            asker.query(q1)?;
            q1_ms.push(t.elapsed().as_secs_f64() * 1e3);
            std::thread::sleep(Duration::from_secs(1).saturating_sub(t.elapsed()));
        }
        let mut live = Live { q1_ms, ..Live::default() };
        for h in handles {
            let w = h.join().map_err(|_| anyhow::anyhow!("writer panicked"))??;
            live.predictions += w.predictions;
            live.labels += w.labels;
            live.ack_ms.extend(w.ack_ms);
            // Not the time of the join: the last Q1 can run well past the deadline.
            live.seconds = live.seconds.max(w.seconds);
        }
        Ok(live)
    })
}

/// One writer: a batch of predictions, then that batch's labels, until `deadline`. Event time
/// runs with the wall clock from the end of the preloaded week.
fn write(mut client: Client, mut stream: Stream, start: Instant, deadline: Instant) -> anyhow::Result<Live> {
    let mut live = Live::default();
    while Instant::now() < deadline {
        let now_us = START_US + SPAN_US + start.elapsed().as_micros() as i64;
        live.predictions += append(&mut client, "inference", &stream.predictions(now_us), &mut live.ack_ms)?;
        let labels = stream.labels();
        // A small batch can have no labelled prediction; an empty append would measure nothing.
        if labels.rows() > 0 {
            live.labels += append(&mut client, "feedback", &labels, &mut live.ack_ms)?;
        }
    }
    live.seconds = start.elapsed().as_secs_f64();
    Ok(live)
}

fn append(client: &mut Client, component: &str, batch: &Batch, ack_ms: &mut Vec<f64>) -> anyhow::Result<u64> {
    let t = Instant::now();
    let acked = client.append_batch(component, batch)?;
    ack_ms.push(t.elapsed().as_secs_f64() * 1e3);
    anyhow::ensure!(acked == batch.rows() as u64, "{component}: {acked} of {} rows acknowledged", batch.rows());
    Ok(acked)
}

/// `runs` answers to `query` through a new connection (ms).
fn repeat(addr: SocketAddr, query: &str, runs: usize) -> anyhow::Result<Spread> {
    let mut client = Client::connect(addr, None)?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        client.query(query)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok(Spread::of(&times))
}

/// One writer's events: the standard workload's predictions (its score, country and label
/// distributions, so Q1's answer stays meaningful) under trace IDs of the writer's own, and
/// labels for exactly the predictions it handed out before.
#[derive(Debug)]
struct Stream {
    workload: Workload,
    writer: u128,
    chunk: u64,
    /// Trace ID, prediction time and label of the last predictions that have a label.
    pending: Vec<(u128, i64, i64)>,
}

/// Labels arrive an hour of event time after their prediction.
const LABEL_DELAY_US: i64 = 3_600_000_000;

impl Stream {
    fn new(writer: usize, batch_rows: u64) -> Stream {
        // n only bounds the chunks: a run ends by time, never by running out of rows. A seed
        // per writer, apart from the preload's 42, so writers do not send the same rows.
        let workload = Workload { chunk_rows: batch_rows, ..Workload::new(u64::MAX / 2, 1_000 + writer as u64) };
        Stream { workload, writer: writer as u128, chunk: 0, pending: Vec::new() }
    }

    /// The next `batch_rows` predictions, all at event time `now_us`.
    fn predictions(&mut self, now_us: i64) -> Batch {
        let rows = self.workload.chunk(self.chunk);
        let first = self.chunk * self.workload.chunk_rows;
        self.chunk += 1;
        self.pending.clear();
        let mut b = BatchBuilder::new();
        for (i, r) in (first..).zip(&rows) {
            let id = self.trace_id(i);
            // The same field names and types as the standard workload's, so the schema matches.
            let _ = b.push(id, now_us, &[("score", Value::Float(r.score)), ("country", Value::Tag(r.country.into()))]);
            if let Some((_, label)) = r.feedback {
                self.pending.push((id, now_us, label));
            }
        }
        b.finish().unwrap_or_default()
    }

    /// Labels for the predictions of the last [`Stream::predictions`] that have one (the
    /// workload's share), each an hour after its prediction; then none until the next.
    fn labels(&mut self) -> Batch {
        let mut b = BatchBuilder::new();
        for (id, time_us, label) in self.pending.drain(..) {
            let _ = b.push(id, time_us + LABEL_DELAY_US, &[("label", Value::Int(label))]);
        }
        b.finish().unwrap_or_default()
    }

    /// The preload's trace IDs are below 2^64, so IDs from 2^64 up never meet them; the
    /// writer's number above bit 40 keeps writers apart.
    fn trace_id(&self, i: u64) -> u128 {
        1 << 64 | self.writer << 40 | i as u128
    }
}

/// A `seam serve` child process on a free loopback port.
#[derive(Debug)]
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts `bin serve db`, its stderr appended to `log`, and waits until it accepts
    /// connections (opening a large database takes a while).
    fn start(bin: &Path, db: &Path, log: &Path) -> anyhow::Result<Server> {
        // Another process could take the port between here and the bind; unlikely on loopback.
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let stderr = File::options().create(true).append(true).open(log)?;
        let child =
            Command::new(bin).arg("serve").arg(db).arg("--listen").arg(addr.to_string()).stdout(Stdio::null()).stderr(stderr).spawn()?;
        let mut server = Server { child, addr };
        let give_up = Instant::now() + Duration::from_secs(120);
        while Client::connect(addr, None).is_err() {
            if let Some(status) = server.child.try_wait()? {
                anyhow::bail!("{} serve exited ({status}) before accepting connections; see {}", bin.display(), log.display());
            }
            anyhow::ensure!(Instant::now() < give_up, "{} serve did not accept connections on {addr} within 120 s", bin.display());
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// The process's peak resident set, from /proc (Linux).
    fn peak_rss_mb(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .ok_or_else(|| anyhow::anyhow!("no VmHWM in /proc/{}/status", self.child.id()))?;
        Ok(kb * 1024.0 / 1e6)
    }

    /// SIGTERM, the way an operator stops it: the server finishes what is in flight and
    /// flushes, so the next process finds everything sealed. `kill(1)` sends it, as this
    /// crate has no unsafe code for signals.
    fn stop(mut self) -> anyhow::Result<()> {
        let sent = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status()?;
        anyhow::ensure!(sent.success(), "kill -TERM {} failed", self.child.id());
        let status = self.child.wait()?;
        anyhow::ensure!(status.success(), "seam serve exited with {status} after SIGTERM");
        Ok(())
    }
}

impl Drop for Server {
    /// A run that failed midway must not leave a server holding the database.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Bytes of the files in `db`/segments by extension, with `join` always present.
fn segment_bytes(db: &Path) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut bytes = BTreeMap::from([("join".to_string(), 0)]);
    for entry in std::fs::read_dir(db.join("segments"))? {
        let path = entry?.path();
        let ext = path.extension().map_or_else(String::new, |e| e.to_string_lossy().into_owned());
        *bytes.entry(ext).or_default() += std::fs::metadata(&path)?.len();
    }
    Ok(bytes)
}

fn remove_if_present(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Copies a closed database (files and subdirectories) to `to`.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// One configuration as a small two-column table.
fn table(o: &Outcome) -> String {
    let k = |x: f64| format!("{:.1} K/s", x / 1e3);
    let spread = |s: &Spread| format!("{:.1} ms ({:.1}–{:.1}, {} runs)", s.median, s.min, s.max, s.runs);
    let d = &o.q1_during;
    let segments: Vec<String> = o.segment_bytes.iter().map(|(ext, b)| format!(".{ext} {:.1} MB", *b as f64 / 1e6)).collect();
    let rows = [
        (
            "appends acked",
            format!("{} predictions + {} labels = {} ({:.1} s)", k(o.predictions_per_s), k(o.labels_per_s), k(o.rows_per_s), o.seconds),
        ),
        ("append ack", format!("p50 {:.2} ms, p99 {:.2} ms", o.ack_p50_ms, o.ack_p99_ms)),
        ("Q1 during", format!("p50 {:.0} ms, p90 {:.0}, p99 {:.0}, max {:.0} ({} runs)", d.p50, d.p90, d.p99, d.max, d.samples)),
        ("Q1 after", spread(&o.q1_after_ms)),
        ("Q1 fresh process", spread(&o.q1_fresh_process_ms)),
        ("Q1 fresh warm", spread(&o.q1_fresh_warm_ms)),
        ("server peak RSS", format!("{:.0} MB", o.server_peak_rss_mb)),
        ("segments", segments.join(", ")),
        (
            "join maintenance",
            format!(
                "{} events resolved ({}), {} files, {:.1} MB written",
                o.join.events_resolved,
                k(o.join.events_per_s),
                o.join.files_written,
                o.join.bytes_written as f64 / 1e6
            ),
        ),
    ];
    let mut out = format!("== batch rows {}, writers {}\n", o.batch_rows, o.writers);
    for (name, value) in rows {
        out.push_str(&format!("  {name:<17} {value}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn labels_are_for_this_writers_earlier_predictions_an_hour_later() {
        let mut seen = HashSet::new();
        let mut other = Stream::new(1, 50);
        let others: HashSet<u128> = other.predictions(0).trace_ids().iter().copied().collect();
        let mut stream = Stream::new(0, 50);
        let mut labelled = 0;
        for k in 0..4 {
            let predictions = stream.predictions(k * 1_000);
            let times: HashMap<u128, i64> = predictions.trace_ids().iter().copied().zip(predictions.times().iter().copied()).collect();
            // Above every preload ID, and apart from the other writer's.
            assert!(predictions.trace_ids().iter().all(|&id| id >= 1 << 64 && !others.contains(&id) && seen.insert(id)));
            let labels = stream.labels();
            labelled += labels.rows();
            for (id, time) in labels.trace_ids().iter().zip(labels.times()) {
                assert_eq!(times.get(id).map(|t| t + LABEL_DELAY_US), Some(*time), "label for {id} is for no earlier prediction");
            }
            assert_eq!(stream.labels().rows(), 0, "labels are handed out once");
        }
        // The workload labels 80%: some, not all, of 200 predictions.
        assert!((100..200).contains(&labelled), "{labelled} of 200 labelled");
    }
}
