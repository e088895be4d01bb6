//! Property test: any sequence of appends, seals, compactions, retention and reopens leaves
//! exactly what a plain in-memory model says, read through every part of the scan API.

use crate::support::{open, rows_of, small_options, sort_rows, temp, Row};
use proptest::prelude::*;
use seamdb::{BatchBuilder, Value};

/// A generated event: (trace seed, time, score, count, flag, country index).
type GenRow = (u8, i64, Option<f64>, Option<i64>, Option<bool>, Option<u8>);

#[derive(Clone, Debug)]
enum Op {
    Append { component: usize, rows: Vec<GenRow> },
    Flush,
    Compact,
    Retain { component: usize, min_time: i64 },
    Reopen,
}

const COMPONENTS: [&str; 2] = ["inference", "feedback"];
const TAGS: [&str; 4] = ["US", "DE", "", "日本"];

fn op() -> impl Strategy<Value = Op> {
    let row = (
        any::<u8>(),
        0i64..1000,
        proptest::option::of(-1e6f64..1e6),
        proptest::option::of(any::<i64>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(0u8..4),
    );
    prop_oneof![
        6 => (0..2usize, proptest::collection::vec(row, 1..40)).prop_map(|(component, rows)| Op::Append { component, rows }),
        1 => Just(Op::Flush),
        1 => Just(Op::Compact),
        1 => (0..2usize, 0i64..1000).prop_map(|(component, min_time)| Op::Retain { component, min_time }),
        1 => Just(Op::Reopen),
    ]
}

fn to_row(r: &GenRow) -> Row {
    let mut fields = Vec::new();
    if let Some(x) = r.2 {
        fields.push(("score".to_string(), Value::Float(x)));
    }
    if let Some(x) = r.3 {
        fields.push(("count".to_string(), Value::Int(x)));
    }
    if let Some(x) = r.4 {
        fields.push(("flag".to_string(), Value::Bool(x)));
    }
    if let Some(x) = r.5 {
        fields.push(("country".to_string(), Value::Tag(TAGS[x as usize].to_string())));
    }
    // Trace IDs spread over the whole 128-bit range, with repeats.
    ((r.0 as u128) << 120 | r.0 as u128, r.1, fields)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn storage_matches_a_plain_model(ops in proptest::collection::vec(op(), 1..25)) {
        let dir = temp();
        let mut db = Some(open(dir.path(), small_options()));
        let mut model: [Vec<Row>; 2] = [Vec::new(), Vec::new()];
        for op in &ops {
            let d = db.as_ref().unwrap();
            match op {
                Op::Append { component, rows } => {
                    let mut b = BatchBuilder::new();
                    for r in rows {
                        let (id, t, fields) = to_row(r);
                        let values: Vec<(&str, Value)> = fields.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
                        b.push(id, t, &values).unwrap();
                        model[*component].push((id, t, fields));
                    }
                    d.append(COMPONENTS[*component], b.finish().unwrap()).unwrap();
                }
                Op::Flush => d.flush().unwrap(),
                Op::Compact => { d.compact().unwrap(); }
                Op::Retain { component, min_time } => {
                    if d.snapshot().component(COMPONENTS[*component]).is_some() {
                        let before = model[*component].len();
                        model[*component].retain(|r| r.1 >= *min_time);
                        let dropped = d.retain(COMPONENTS[*component], *min_time).unwrap();
                        prop_assert_eq!(dropped as usize, before - model[*component].len());
                    }
                }
                Op::Reopen => {
                    drop(db.take());
                    db = Some(open(dir.path(), small_options()));
                }
            }
            let snap = db.as_ref().unwrap().snapshot();
            for (i, name) in COMPONENTS.iter().enumerate() {
                let mut expected = model[i].clone();
                sort_rows(&mut expected);
                prop_assert_eq!(rows_of(&snap, name), expected, "component {} after {:?}", name, op);
            }
        }
        // Every trace lookup agrees with the model.
        let snap = db.as_ref().unwrap().snapshot();
        for (i, name) in COMPONENTS.iter().enumerate() {
            for row in &model[i] {
                let hits = snap.trace(seamdb::TraceId(row.0)).unwrap().into_iter().filter(|e| e.component == *name).count();
                prop_assert_eq!(hits, model[i].iter().filter(|r| r.0 == row.0).count());
            }
        }
    }
}

#[test]
fn slice_bitmaps_match_a_row_by_row_filter() {
    let dir = temp();
    let db = open(dir.path(), seamdb::Options { seal_rows: 100_000, background_seal: false, ..seamdb::Options::default() });
    let workload = seamdb::workload::Workload { chunk_rows: 1000, ..seamdb::workload::Workload::new(5000, 7) };
    for k in 0..workload.chunks() {
        db.append("inference", workload.inference_batch(k)).unwrap();
        if k == 2 {
            db.flush().unwrap();
        }
    }
    let snap = db.snapshot();
    let c = snap.component("inference").unwrap();
    assert!(!c.segments().is_empty() && c.tail().next().is_some(), "the test covers segments and the tail");
    for country in seamdb::workload::COUNTRIES {
        for part in c.parts() {
            let field = part.field("country").unwrap();
            let naive: Vec<u32> = (0..part.rows()).filter(|&r| field.value(r) == Value::Tag(country.into())).map(|r| r as u32).collect();
            let indexed: Vec<u32> = part.tag_rows("country", country).unwrap().iter().collect();
            assert_eq!(indexed, naive, "country {country}");
        }
    }
}

#[test]
fn tag_codes_of_every_width_round_trip_through_segments() {
    // 3, 300 and 70,000 distinct values: u8, u16 and u32 codes on disk.
    for distinct in [3usize, 300, 70_000] {
        let dir = temp();
        let db = open(dir.path(), seamdb::Options { seal_rows: 1 << 20, background_seal: false, ..seamdb::Options::default() });
        let mut b = BatchBuilder::new();
        for i in 0..80_000usize {
            let value = if i % 11 == 0 { Value::Null } else { Value::Tag(format!("v{}", (i * 7919) % distinct)) };
            b.push(i as u128, i as i64, &[("t", value)]).unwrap();
        }
        db.append("c", b.finish().unwrap()).unwrap();
        let before = rows_of(&db.snapshot(), "c");
        db.flush().unwrap();
        let snap = db.snapshot();
        assert_eq!(rows_of(&snap, "c"), before, "{distinct} distinct values");
        let part = snap.component("c").unwrap().parts().next().unwrap();
        let probe = format!("v{}", 7919 % distinct);
        let naive = (0..part.rows()).filter(|&r| part.field("t").unwrap().value(r) == Value::Tag(probe.clone())).count() as u64;
        assert_eq!(part.tag_rows("t", &probe).unwrap().len(), naive);
    }
}

#[test]
fn a_snapshot_stays_whole_while_ingest_seals_and_compacts_under_it() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let batch = |first: u128| {
        let mut b = BatchBuilder::new();
        (0..50u128).for_each(|i| b.push(first + i, (first + i) as i64, &[("x", Value::Int(i as i64))]).unwrap());
        b.finish().unwrap()
    };
    for k in 0..10 {
        db.append("c", batch(k * 100)).unwrap();
    }
    let old = db.snapshot();
    let before = rows_of(&old, "c");
    for k in 10..30 {
        db.append("c", batch(k * 100)).unwrap();
    }
    db.compact().unwrap(); // replaces (and deletes) the segments the old snapshot reads
    db.retain("c", 500).unwrap();
    assert_eq!(rows_of(&old, "c"), before, "the old snapshot still reads its own version");
    // Batch k holds times 100k .. 100k + 49; five batches lie wholly before 500.
    assert_eq!(rows_of(&db.snapshot(), "c").len(), 30 * 50 - 5 * 50);
}

#[test]
fn concurrent_appenders_share_group_commit_and_lose_nothing() {
    let dir = temp();
    let options = seamdb::Options { seal_rows: 500, ..seamdb::Options::default() };
    {
        let db = open(dir.path(), options.clone());
        std::thread::scope(|s| {
            for w in 0..4u128 {
                let db = db.clone();
                s.spawn(move || {
                    for k in 0..40u128 {
                        let mut b = BatchBuilder::new();
                        (0..25u128).for_each(|i| b.push(w << 64 | k << 32 | i, k as i64, &[("w", Value::Int(w as i64))]).unwrap());
                        db.append(COMPONENTS[(w % 2) as usize], b.finish().unwrap()).unwrap();
                    }
                });
            }
        });
        let snap = db.snapshot();
        assert_eq!(rows_of(&snap, "inference").len() + rows_of(&snap, "feedback").len(), 4 * 40 * 25);
    }
    let db = open(dir.path(), options);
    let snap = db.snapshot();
    let mut ids: Vec<u128> = COMPONENTS.iter().flat_map(|c| rows_of(&snap, c)).map(|r| r.0).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4 * 40 * 25, "every row once, after reopen");
}

/// Rows narrower than 24 bytes in the log (a 64-bit trace ID, a time and one bool, or no
/// field at all) replay after a restart: the log decoder once bounded the row count by 24
/// bytes a row, so such a batch made the database refuse to open.
#[test]
fn narrow_rows_replay_from_the_log() {
    let dir = temp();
    let no_seal = seamdb::Options { seal_rows: 1 << 20, background_seal: false, ..seamdb::Options::default() };
    {
        let db = open(dir.path(), no_seal.clone());
        let mut flags = BatchBuilder::new();
        let mut bare = BatchBuilder::new();
        for i in 0..100u128 {
            flags.push(i, i as i64, &[("ok", Value::Bool(i % 2 == 0))]).unwrap();
            bare.push(1000 + i, i as i64, &[]).unwrap();
        }
        db.append("flags", flags.finish().unwrap()).unwrap();
        db.append("bare", bare.finish().unwrap()).unwrap();
    }
    let db = open(dir.path(), no_seal);
    assert_eq!(rows_of(&db.snapshot(), "flags").len(), 100);
    assert_eq!(rows_of(&db.snapshot(), "bare").len(), 100);
}

#[test]
fn a_seal_writes_at_most_seal_rows_per_segment_however_far_the_tail_ran_ahead() {
    use crate::support::{numbered_batch, numbered_present, numbered_rows};
    let work = temp();
    let ks: Vec<u64> = (0..400).collect();
    {
        // Nothing seals: every batch stays in the log.
        let db = open(work.path(), seamdb::Options { seal_rows: 1 << 30, background_seal: false, ..small_options() });
        for &k in &ks {
            db.append("inference", numbered_batch(k)).unwrap();
        }
    }
    // Replayed whole into the tail, far past this seal_rows.
    let db = open(work.path(), seamdb::Options { seal_rows: 20_000, background_seal: false, ..small_options() });
    let total: usize = ks.iter().map(|&k| numbered_rows(k)).sum();
    assert_eq!(db.snapshot().component("inference").unwrap().tail().map(|b| b.rows()).sum::<usize>(), total);
    db.flush().unwrap();
    let snapshot = db.snapshot();
    let c = snapshot.component("inference").unwrap();
    assert_eq!((c.tail().count(), c.sealed_rows()), (0, total), "a flush seals everything");
    let sizes: Vec<usize> = c.segments().iter().map(|s| s.rows()).collect();
    assert!(sizes.iter().all(|&n| n <= 20_000) && sizes.len() >= total / 20_000, "{sizes:?} for {total} rows");
    assert_eq!(numbered_present(&snapshot, "inference").len(), ks.len(), "every batch whole");
}

#[test]
fn a_tail_left_idle_is_sealed_unless_it_is_a_trickle() {
    use crate::support::numbered_batch;
    use std::time::{Duration, Instant};
    let work = temp();
    let options = seamdb::Options { seal_rows: 1_600, seal_idle: Duration::from_millis(200), background_seal: true, ..small_options() };
    let db = open(work.path(), options);
    // numbered batch 3 has 112 rows: over seal_rows / 16 = 100. Batch 0 has 1: a trickle.
    db.append("inference", numbered_batch(3)).unwrap();
    db.append("labels", numbered_batch(0)).unwrap();
    let sealed = |name: &str| db.snapshot().component(name).unwrap().segments().len();
    let start = Instant::now();
    while sealed("inference") == 0 && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(sealed("inference"), 1, "an idle tail over the floor is sealed");
    assert!(db.snapshot().component("inference").unwrap().tail().next().is_none());
    // Well past seal_idle (and far from seal_age): the 1-row tail stays.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(sealed("labels"), 0, "a trickle is not sealed each pause");
}
