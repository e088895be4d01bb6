//! The standard workload of SPEC §7, generated deterministically from a seed: `inference`
//! events (N predictions over 7 days from 2026-01-05, or over [`Workload::days`] days) and
//! `feedback` labels for 80% of them, arriving an exponentially distributed delay (mean 1
//! hour) later.
//!
//! Rows are produced in chunks; chunk `k` depends only on (seed, k), so any chunk can be
//! generated alone and in parallel, and the same (seed, N) always gives the same data.

use crate::{Batch, BatchBuilder, Value};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Normal};

/// 2026-01-05T00:00:00Z in microseconds.
pub const START_US: i64 = 1_767_571_200_000_000;
/// The standard workload's span: 7 days ([`Workload::days`] = 7).
pub const SPAN_US: i64 = 7 * DAY_US;
/// One day in microseconds.
pub const DAY_US: i64 = 24 * 3600 * 1_000_000;
pub const MODEL_VERSIONS: [&str; 3] = ["v1", "v2", "v3"];
pub const DEVICES: [&str; 3] = ["android", "ios", "web"];
pub const COUNTRIES: [&str; 20] =
    ["US", "IN", "BR", "DE", "GB", "FR", "JP", "MX", "CA", "ID", "NG", "ES", "IT", "KR", "AU", "TR", "PL", "NL", "SE", "ZA"];
/// Share of predictions that get a label.
pub const LABELLED: f64 = 0.8;

/// One standard workload: N predictions and their labels.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    pub n: u64,
    pub seed: u64,
    pub chunk_rows: u64,
    /// Days the predictions are spread over, from [`START_US`]: 7 in the standard workload.
    /// More days spread the same N thinner (e.g. 365 for a year of daily windows); the
    /// per-day drift of `feature_age` goes on at the same rate.
    pub days: u64,
    /// For the demo: from a time on, one slice's labels stop following the score. `None` in
    /// the standard workload.
    pub incident: Option<Incident>,
}

/// From `from_us` on, predictions for `country` are right only by chance: their labels are
/// drawn with probability ½ instead of `score`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incident {
    pub country: &'static str,
    pub from_us: i64,
}

/// One generated prediction and (maybe) its label.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub trace_id: u64,
    pub time_us: i64,
    pub score: f64,
    pub model_version: &'static str,
    pub country: &'static str,
    pub device: &'static str,
    pub feature_age: f64,
    pub feature_income: Option<f64>,
    /// (label time, label)
    pub feedback: Option<(i64, i64)>,
}

impl Workload {
    pub fn new(n: u64, seed: u64) -> Workload {
        Workload { n, seed, chunk_rows: 1 << 16, days: 7, incident: None }
    }

    /// The span of the predictions' times in microseconds: `days` days.
    pub fn span_us(&self) -> i64 {
        self.days as i64 * DAY_US
    }

    pub fn chunks(&self) -> u64 {
        self.n.div_ceil(self.chunk_rows)
    }

    /// The rows of chunk `k`, in prediction-time order.
    pub fn chunk(&self, k: u64) -> Vec<Row> {
        let first = k * self.chunk_rows;
        let last = (first + self.chunk_rows).min(self.n);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let delay = Exp::new(1.0 / 3600.0).expect("positive rate");
        let noise = Normal::new(0.0, 1.0).expect("positive deviation");
        let country_weights: Vec<f64> = (0..COUNTRIES.len()).map(|i| 1.0 / (i as f64 + 1.0).powf(1.1)).collect();
        let country_total: f64 = country_weights.iter().sum();
        let span_us = self.span_us() as f64;
        (first..last)
            .map(|i| {
                // Stratified: uniform over the span, yet already in time order.
                let time_us = START_US + ((i as f64 + rng.random::<f64>()) * span_us / self.n as f64) as i64;
                let day = (time_us - START_US) as f64 / 86_400e6;
                let score: f64 = rng.random();
                let mut pick = rng.random::<f64>() * country_total;
                let country = COUNTRIES[country_weights
                    .iter()
                    .position(|w| {
                        pick -= w;
                        pick < 0.0
                    })
                    .unwrap_or(COUNTRIES.len() - 1)];
                let feature_age = 35.0 + 1.5 * day + 8.0 * noise.sample(&mut rng);
                let income = (10.5 + 0.6 * noise.sample(&mut rng)).exp();
                let feature_income = (rng.random::<f64>() >= 0.02).then_some(income);
                let broken = self.incident.is_some_and(|inc| inc.country == country && time_us >= inc.from_us);
                let feedback = (rng.random::<f64>() < LABELLED).then(|| {
                    let label_time = time_us + (delay.sample(&mut rng) * 1e6) as i64;
                    (label_time, (rng.random::<f64>() < if broken { 0.5 } else { score }) as i64)
                });
                Row {
                    trace_id: mix(self.seed.wrapping_add(i)),
                    time_us,
                    score,
                    model_version: MODEL_VERSIONS[rng.random_range(0..3)],
                    country,
                    device: DEVICES[rng.random_range(0..3)],
                    feature_age,
                    feature_income,
                    feedback,
                }
            })
            .collect()
    }

    /// Chunk `k` as an `inference` batch.
    pub fn inference_batch(&self, k: u64) -> Batch {
        inference_of(&self.chunk(k))
    }

    /// Chunk `k`'s labels as a `feedback` batch.
    pub fn feedback_batch(&self, k: u64) -> Batch {
        feedback_of(&self.chunk(k))
    }

    /// Chunk `k` as its `inference` and `feedback` batches, generated once.
    pub fn batches(&self, k: u64) -> (Batch, Batch) {
        let rows = self.chunk(k);
        (inference_of(&rows), feedback_of(&rows))
    }
}

fn inference_of(rows: &[Row]) -> Batch {
    let mut b = BatchBuilder::new();
    for r in rows {
        let values = [
            ("score", Value::Float(r.score)),
            ("model_version", Value::Tag(r.model_version.into())),
            ("country", Value::Tag(r.country.into())),
            ("device", Value::Tag(r.device.into())),
            ("feature_age", Value::Float(r.feature_age)),
            ("feature_income", r.feature_income.map_or(Value::Null, Value::Float)),
        ];
        // Every row has the same field types, so no conflict can arise.
        let _ = b.push(r.trace_id as u128, r.time_us, &values);
    }
    b.finish().unwrap_or_default()
}

fn feedback_of(rows: &[Row]) -> Batch {
    let mut b = BatchBuilder::new();
    for r in rows {
        if let Some((time_us, label)) = r.feedback {
            let _ = b.push(r.trace_id as u128, time_us, &[("label", Value::Int(label))]);
        }
    }
    b.finish().unwrap_or_default()
}

/// A bijection on u64 (SplitMix64's finalizer): distinct inputs give distinct, random-looking
/// trace IDs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
