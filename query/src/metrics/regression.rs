//! Regression metrics over (prediction, target) pairs: MAE, RMSE, MAPE and R².

/// Mean |y − ŷ|.
pub fn mae(pred: &[f64], target: &[f64]) -> Option<f64> {
    mean(pred.iter().zip(target).map(|(p, y)| (y - p).abs()))
}

/// √ mean (y − ŷ)².
pub fn rmse(pred: &[f64], target: &[f64]) -> Option<f64> {
    mean(pred.iter().zip(target).map(|(p, y)| (y - p) * (y - p))).map(f64::sqrt)
}

/// Mean |y − ŷ| / max(|y|, ε) as a fraction, ε = 2⁻⁵² (as scikit-learn).
pub fn mape(pred: &[f64], target: &[f64]) -> Option<f64> {
    mean(pred.iter().zip(target).map(|(p, y)| (y - p).abs() / y.abs().max(f64::EPSILON)))
}

/// 1 − Σ(y − ŷ)² / Σ(y − ȳ)²; `None` if fewer than 2 rows or the target has no variance.
pub fn r2(pred: &[f64], target: &[f64]) -> Option<f64> {
    let n = pred.len().min(target.len());
    if n < 2 {
        return None;
    }
    let y_mean = target[..n].iter().sum::<f64>() / n as f64;
    let ss_tot: f64 = target[..n].iter().map(|y| (y - y_mean) * (y - y_mean)).sum();
    let ss_res: f64 = pred.iter().zip(target).map(|(p, y)| (y - p) * (y - p)).sum();
    (ss_tot > 0.0).then(|| 1.0 - ss_res / ss_tot)
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, total) = values.fold((0u64, 0.0), |(n, t), v| (n + 1, t + v));
    (n > 0).then(|| total / n as f64)
}
