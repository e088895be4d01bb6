//! Criterion micro-benchmarks of the query layer on 1 M sealed predictions and their labels:
//! the slice-bitmap filter, the join (stored and per-query hash), and one query per metric
//! family, each timed warm (joins already stored) as the harness's warm runs are.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use seamdb::query::{JoinStrategy, Options};
use seamdb::workload::Workload;
use seamdb::Db;
use seamdb_bench::ingest;

const ROWS: u64 = 1 << 20;

fn fixture() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path()).unwrap();
    for (component, batch) in ingest::batches(&Workload::new(ROWS, 5), true) {
        db.append(component, batch).unwrap();
    }
    db.flush().unwrap();
    (dir, db)
}

/// Runs each (name, SeamQL) once to warm it, then times it.
fn bench_queries(c: &mut Criterion, group: &str, db: &Db, options: Options, queries: &[(&str, &str)]) {
    let mut group = c.benchmark_group(group);
    group.sample_size(20);
    group.throughput(Throughput::Elements(ROWS));
    for (name, text) in queries {
        let statement = seamdb::query::parse(text).unwrap();
        // The first run through the database stores the joins the query needs.
        seamdb::query::run_with(&statement, db, &options).unwrap();
        let snapshot = db.snapshot();
        group.bench_function(*name, |b| b.iter(|| seamdb::query::execute_with(&statement, &snapshot, &options).unwrap()));
    }
    group.finish();
}

fn slice_filter(c: &mut Criterion) {
    let (_dir, db) = fixture();
    // The bitmap itself, then a count through it, then a filter the bitmaps cannot answer.
    let snapshot = db.snapshot();
    let segments = snapshot.component("inference").unwrap().segments();
    let mut group = c.benchmark_group("slice_filter");
    group.throughput(Throughput::Elements(ROWS));
    group.bench_function("tag_bitmaps_country_us", |b| {
        b.iter(|| segments.iter().map(|s| s.tag_rows("country", "US").unwrap().len()).sum::<u64>())
    });
    group.finish();
    bench_queries(
        c,
        "slice_filter",
        &db,
        Options::default(),
        &[
            ("count_where_country_us", "SELECT count() AS n FROM inference WHERE country = 'US'"),
            ("count_where_country_in_3", "SELECT count() AS n FROM inference WHERE country IN ('US', 'DE', 'JP')"),
            ("count_where_score_gt", "SELECT count() AS n FROM inference WHERE score > 0.9"),
        ],
    );
}

fn join(c: &mut Criterion) {
    let (_dir, db) = fixture();
    let q = "SELECT count(feedback.label) AS n, accuracy(inference.score >= 0.5, feedback.label) AS acc FROM inference JOIN feedback GROUP BY window(1h)";
    bench_queries(c, "join", &db, Options::default(), &[("stored_accuracy_by_hour", q)]);
    bench_queries(c, "join", &db, Options { join: JoinStrategy::Hash, ..Options::default() }, &[("hash_accuracy_by_hour", q)]);
}

fn metrics(c: &mut Criterion) {
    let (_dir, db) = fixture();
    let joined = "FROM inference JOIN feedback GROUP BY window(1h)";
    let classification = format!(
        "SELECT accuracy(inference.score >= 0.5, feedback.label) AS a, precision(inference.score >= 0.5, feedback.label) AS p, \
         roc_auc(inference.score, feedback.label) AS auc, log_loss(inference.score, feedback.label) AS ll {joined}"
    );
    let regression =
        format!("SELECT mae(inference.score, feedback.label) AS mae, rmse(inference.score, feedback.label) AS rmse, r2(inference.score, feedback.label) AS r2 {joined}");
    let reference = "REFERENCE (inference WHERE time < '2026-01-06T00:00:00Z') GROUP BY window(1d)";
    bench_queries(
        c,
        "metrics",
        &db,
        Options::default(),
        &[
            ("basic_count_mean_stddev", "SELECT count() AS n, mean(score) AS m, stddev(score) AS s FROM inference GROUP BY window(1h), device"),
            ("classification", &classification),
            ("regression", &regression),
            ("distribution_quantiles", "SELECT quantile(score, 0.5) AS p50, quantile(score, 0.99) AS p99 FROM inference GROUP BY window(1h)"),
            ("drift_psi_js", &format!("SELECT psi(inference.feature_age) AS psi, js(inference.feature_age) AS js FROM inference {reference}")),
            ("drift_ks_wasserstein", &format!("SELECT ks(inference.feature_age) AS ks, wasserstein(inference.feature_age) AS w FROM inference {reference}")),
            ("coverage_delay", "SELECT coverage(feedback) AS c, quantile(feedback.time - inference.time, 0.5) AS d FROM inference JOIN feedback GROUP BY window(1h)"),
        ],
    );
}

criterion_group!(benches, slice_filter, join, metrics);
criterion_main!(benches);
