//! The Prometheus endpoint of `seam serve --metrics ADDR` (SPEC §6): `GET /metrics` in the
//! text exposition format (version 0.0.4).
//!
//! A scrape only formats what is already there: the request counters are atomics bumped as
//! requests are served, and the SLO series are judged by a background thread after the
//! database changes (at most once per [`Metrics::judge_every`]) and kept as text. So a
//! scrape of an idle server costs microseconds, and a busy one never waits for a query.
//!
//! Series (names follow Prometheus' conventions: `seamdb_` prefix, base units, `_total` for
//! counters):
//! - `seamdb_slo_value{slo, item, <group keys>}`: each numeric item of the SLO's query in
//!   the group's latest judged window (the newest one not `pending`; NaN when null);
//! - `seamdb_slo_status{slo, <group keys>, status}`: 1 for that window's status, 0 for the
//!   other three (an enum as a set of gauges; alert on `seamdb_slo_status{status="violated"} == 1`);
//! - `seamdb_slo_window_start_seconds{slo, <group keys>}`: when that window starts;
//! - `seamdb_slo_judge_errors_total`, `seamdb_slo_judged_timestamp_seconds`;
//! - `seamdb_appends_total`, `seamdb_appended_rows_total`, `seamdb_queries_total`,
//!   `seamdb_errors_total`, and `seamdb_request_duration_seconds{request}` histograms.

use seamdb::query::slo::{Judged, Status};
use seamdb::query::{Cell, Options};
use seamdb::Db;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The metrics endpoint's HTTP server (shared with the [`crate::Stopper`], which unblocks it).
#[derive(Clone)]
pub(crate) struct Endpoint(pub std::sync::Arc<tiny_http::Server>);

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Endpoint({})", self.0.server_addr())
    }
}

/// What the server has done, and the SLO series last judged.
#[derive(Debug)]
pub(crate) struct Metrics {
    appends: AtomicU64,
    rows: AtomicU64,
    queries: AtomicU64,
    errors: AtomicU64,
    latency: [Histogram; Kind::ALL.len()],
    /// Bumped by every request that may change what the SLOs say (appends, ingests, CREATE
    /// and DROP SLO); the judge runs when it moved.
    changes: AtomicU64,
    judge_errors: AtomicU64,
    slos: Mutex<Judgement>,
    pub judge_every: Duration,
}

#[derive(Debug, Default)]
struct Judgement {
    /// The SLO series, formatted.
    text: String,
    /// `changes` when they were judged (`None`: never).
    at_change: Option<u64>,
    /// Unix seconds of the last judging.
    judged_at: f64,
}

/// The requests timed apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Append,
    Ingest,
    Query,
    Trace,
    Other,
}

impl Kind {
    const ALL: [Kind; 5] = [Kind::Append, Kind::Ingest, Kind::Query, Kind::Trace, Kind::Other];

    fn name(self) -> &'static str {
        match self {
            Kind::Append => "append",
            Kind::Ingest => "ingest",
            Kind::Query => "query",
            Kind::Trace => "trace",
            Kind::Other => "other",
        }
    }
}

/// Upper bounds of the latency buckets, in seconds: 100 µs (an append's fdatasync) to 10 s.
const BUCKETS: [f64; 15] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug, Default)]
struct Histogram {
    /// Observations at or below each bound (not cumulative here; summed when written).
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_ns: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| s <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(d.as_nanos() as u64, Ordering::Relaxed);
    }
}

impl Metrics {
    pub fn new(judge_every: Duration) -> Metrics {
        Metrics {
            appends: AtomicU64::new(0),
            rows: AtomicU64::new(0),
            queries: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            latency: Default::default(),
            changes: AtomicU64::new(0),
            judge_errors: AtomicU64::new(0),
            slos: Mutex::default(),
            judge_every,
        }
    }

    /// One request served: its kind, how long it took, whether it failed, and the rows it
    /// appended.
    pub fn served(&self, kind: Kind, took: Duration, failed: bool, rows: u64) {
        self.latency[kind as usize].observe(took);
        match kind {
            Kind::Append | Kind::Ingest => {
                self.appends.fetch_add(1, Ordering::Relaxed);
                self.rows.fetch_add(rows, Ordering::Relaxed);
            }
            Kind::Query => drop(self.queries.fetch_add(1, Ordering::Relaxed)),
            Kind::Trace | Kind::Other => {}
        }
        if failed {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The database may have changed: the SLOs are judged again.
    pub fn changed(&self) {
        self.changes.fetch_add(1, Ordering::Release);
    }

    /// Judges every SLO again if the database changed since the last time (or it never
    /// was); returns whether it did.
    pub fn judge_if_changed(&self, db: &Db) -> bool {
        let change = self.changes.load(Ordering::Acquire);
        if self.lock().at_change == Some(change) {
            return false;
        }
        let snapshot = db.snapshot();
        let mut judged = Vec::new();
        for slo in snapshot.slos() {
            match seamdb::query::slo::judge(&snapshot, &slo.name, None, &Options::default()) {
                Ok(j) => judged.push(j),
                // A definition that no longer runs (its component dropped, say): counted, and
                // its series go until it runs again; `CHECK SLO` says why.
                Err(_) => drop(self.judge_errors.fetch_add(1, Ordering::Relaxed)),
            }
        }
        let text = slo_series(&judged);
        let now = seamdb::storage::model::now_us() as f64 / 1e6;
        *self.lock() = Judgement { text, at_change: Some(change), judged_at: now };
        true
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Judgement> {
        self.slos.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The whole exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 << 10);
        let judgement = self.lock();
        out.push_str(&judgement.text);
        gauge(&mut out, "seamdb_slo_judged_timestamp_seconds", "When the SLOs were last judged (Unix seconds).", judgement.judged_at);
        drop(judgement);
        let counters = [
            ("seamdb_slo_judge_errors_total", "Judgings of the SLOs that failed.", &self.judge_errors),
            ("seamdb_appends_total", "Append and ingest requests served.", &self.appends),
            ("seamdb_appended_rows_total", "Rows appended or ingested.", &self.rows),
            ("seamdb_queries_total", "Queries served.", &self.queries),
            ("seamdb_errors_total", "Requests answered with an error.", &self.errors),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", value.load(Ordering::Relaxed));
        }
        let name = "seamdb_request_duration_seconds";
        let _ = writeln!(out, "# HELP {name} Time to serve a request, by kind.\n# TYPE {name} histogram");
        for kind in Kind::ALL {
            let h = &self.latency[kind as usize];
            let mut cumulative = 0;
            for (bound, bucket) in BUCKETS.iter().zip(&h.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}_bucket{{request=\"{}\",le=\"{bound}\"}} {cumulative}", kind.name());
            }
            // Read after the buckets, but an observation may land in between: +Inf is never
            // below a finite bucket.
            let count = h.count.load(Ordering::Relaxed).max(cumulative);
            let _ = writeln!(out, "{name}_bucket{{request=\"{}\",le=\"+Inf\"}} {count}", kind.name());
            let _ = writeln!(out, "{name}_sum{{request=\"{}\"}} {}", kind.name(), h.sum_ns.load(Ordering::Relaxed) as f64 / 1e9);
            let _ = writeln!(out, "{name}_count{{request=\"{}\"}} {count}", kind.name());
        }
        out
    }
}

fn gauge(out: &mut String, name: &str, help: &str, value: f64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}", number(value));
}

/// The SLO series of every judged SLO.
fn slo_series(judged: &[Judged]) -> String {
    let (mut values, mut statuses, mut starts) = (String::new(), String::new(), String::new());
    for j in judged {
        let (columns, keys) = (&j.table.columns, j.keys());
        // The latest judged row of each group: rows come ordered by window.
        let mut latest: Vec<(usize, Status)> = Vec::new();
        for (i, status) in j.statuses.iter().enumerate() {
            let group = &j.table.rows[i][keys.clone()];
            match latest.iter_mut().find(|(r, _)| &j.table.rows[*r][keys.clone()] == group) {
                Some(slot) if *status != Status::Pending || slot.1 == Status::Pending => *slot = (i, *status),
                Some(_) => {}
                None => latest.push((i, *status)),
            }
        }
        for (i, status) in latest {
            let row = &j.table.rows[i];
            let mut labels = format!("slo=\"{}\"", escape(&j.name));
            for k in keys.clone() {
                let _ = write!(labels, ",{}=\"{}\"", label_name(&columns[k]), escape(&row[k].text()));
            }
            for (name, cell) in columns.iter().zip(row).skip(keys.end).take(j.items) {
                let value = match cell {
                    Cell::Int(i) => *i as f64,
                    Cell::Float(f) => *f,
                    Cell::Null => f64::NAN,
                    _ => continue,
                };
                let _ = writeln!(values, "seamdb_slo_value{{{labels},item=\"{}\"}} {}", escape(name), number(value));
            }
            for s in Status::ALL {
                let _ = writeln!(statuses, "seamdb_slo_status{{{labels},status=\"{}\"}} {}", s.as_str(), u8::from(s == status));
            }
            if let Some(us) = j.window_start(i) {
                let _ = writeln!(starts, "seamdb_slo_window_start_seconds{{{labels}}} {}", us / 1_000_000);
            }
        }
    }
    let mut out = String::new();
    let families = [
        ("seamdb_slo_value", "Each SLO item in the latest judged window, per group (NaN: undefined).", values),
        ("seamdb_slo_status", "1 for the status of the latest judged window of each SLO and group.", statuses),
        ("seamdb_slo_window_start_seconds", "Start of the latest judged window (Unix seconds).", starts),
    ];
    for (name, help, series) in families {
        let _ = write!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{series}");
    }
    out
}

/// A group key's column (`inference.country`) as a label name (`inference_country`); one
/// that would clash with the series' own labels gets a `key_` prefix.
fn label_name(column: &str) -> String {
    let name: String = column.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    let name = if name.starts_with(|c: char| c.is_ascii_digit()) || name.is_empty() { format!("_{name}") } else { name };
    if ["slo", "item", "status", "le"].contains(&name.as_str()) || name.starts_with("__") {
        format!("key_{name}")
    } else {
        name
    }
}

/// A label value as the text format writes it.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        x.to_string()
    }
}

/// Serves `GET /metrics` on `http` until it is unblocked; everything else is 404 (405 for
/// another method).
pub(crate) fn serve(http: &tiny_http::Server, metrics: &Metrics) {
    while let Ok(request) = http.recv() {
        let response = match (request.method(), request.url().split('?').next()) {
            (tiny_http::Method::Get, Some("/metrics")) => {
                let header =
                    tiny_http::Header::from_bytes("Content-Type", "text/plain; version=0.0.4; charset=utf-8").expect("a valid header");
                tiny_http::Response::from_string(metrics.render()).with_header(header)
            }
            (tiny_http::Method::Get, _) => {
                tiny_http::Response::from_string("not found: the metrics are at /metrics\n").with_status_code(404)
            }
            _ => tiny_http::Response::from_string("only GET /metrics is served here\n").with_status_code(405),
        };
        let _ = request.respond(response);
    }
}

/// Judges the SLOs whenever the database changed, at most every `metrics.judge_every`,
/// until `stop` says so.
pub(crate) fn judge(db: &Db, metrics: &Metrics, stop: &std::sync::atomic::AtomicBool) {
    let tick = Duration::from_millis(50).min(metrics.judge_every);
    let mut last = None::<Instant>;
    while !stop.load(Ordering::SeqCst) {
        if last.is_none_or(|t| t.elapsed() >= metrics.judge_every) && metrics.judge_if_changed(db) {
            last = Some(Instant::now());
        }
        std::thread::sleep(tick);
    }
}
