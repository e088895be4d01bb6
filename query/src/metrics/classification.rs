//! Classification metrics: accuracy, precision, recall, F1 (from a confusion count), ROC AUC,
//! log loss and Brier score.

/// Share of pairs whose prediction equals the label; `None` for no pairs. Works for any
/// number of classes.
pub fn accuracy<T: PartialEq>(pairs: impl IntoIterator<Item = (T, T)>) -> Option<f64> {
    let (mut n, mut hits) = (0u64, 0u64);
    for (pred, label) in pairs {
        n += 1;
        hits += (pred == label) as u64;
    }
    (n > 0).then(|| hits as f64 / n as f64)
}

/// Counts against one positive class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Confusion {
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
    pub tn: u64,
}

impl Confusion {
    pub fn from_pairs<T: PartialEq>(pairs: impl IntoIterator<Item = (T, T)>, positive: &T) -> Confusion {
        let mut c = Confusion::default();
        for (pred, label) in pairs {
            c.add(pred == *positive, label == *positive);
        }
        c
    }

    /// Counts one pair: whether the prediction, and the label, is the positive class.
    pub fn add(&mut self, predicted: bool, actual: bool) {
        match (predicted, actual) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }

    /// Adds the pairs another count has seen.
    pub fn merge(&mut self, other: &Confusion) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
        self.tn += other.tn;
    }

    /// TP / (TP + FP); `None` if nothing was predicted positive.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }

    /// TP / (TP + FN); `None` if no label is positive.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }

    /// 2TP / (2TP + FP + FN); `None` only if that denominator is 0 (so 0, not `None`, when
    /// precision alone is undefined).
    pub fn f1(&self) -> Option<f64> {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
}

fn ratio(num: u64, den: u64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Area under the ROC curve in its Mann–Whitney form: the share of (positive, negative) pairs
/// in which the positive scores higher, ties counting ½. `None` unless both classes occur.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let mut pairs: Vec<(f64, bool)> = scores.iter().copied().zip(positive.iter().copied()).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n_pos = pairs.iter().filter(|p| p.1).count() as f64;
    let n_neg = pairs.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return None;
    }
    // Sum of the positives' ranks, with tied scores sharing their average rank.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < pairs.len() {
        let j = i + pairs[i..].iter().take_while(|p| p.0 == pairs[i].0).count();
        let average_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += average_rank * pairs[i..j].iter().filter(|p| p.1).count() as f64;
        i = j;
    }
    Some((rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))
}

/// ε of log loss: 2⁻⁵², as scikit-learn uses for float64.
pub const LOG_LOSS_EPS: f64 = f64::EPSILON;

/// Mean of −ln(clip(q)), q = score for a positive label, 1 − score otherwise (computed before
/// clipping), clipped to [ε, 1 − ε]. `None` for no rows.
pub fn log_loss(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let n = scores.len().min(positive.len());
    let total: f64 =
        scores.iter().zip(positive).map(|(&s, &p)| -(if p { s } else { 1.0 - s }).clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS).ln()).sum();
    (n > 0).then(|| total / n as f64)
}

/// Mean of (score − label)², label 0 or 1. `None` for no rows.
pub fn brier(scores: &[f64], labels: &[f64]) -> Option<f64> {
    let n = scores.len().min(labels.len());
    let total: f64 = scores.iter().zip(labels).map(|(s, l)| (s - l) * (s - l)).sum();
    (n > 0).then(|| total / n as f64)
}
