//! Drift of a window against a reference (SPEC §4): PSI and Jensen–Shannon distance over ten
//! reference-quantile bins, two-sample Kolmogorov–Smirnov, 1-Wasserstein, χ² goodness of fit
//! for categories, and the count of unseen categories.

use super::distribution::{quantile_sorted, quantiles};
use std::collections::HashMap;
use std::hash::Hash;

/// Floor applied to bin proportions inside PSI's logarithm.
pub const PSI_FLOOR: f64 = 1e-4;

/// The nine inner edges: the reference's linear quantiles at j/10, j = 1..9. Bins are
/// (−∞, e₁), [e₁, e₂), …, [e₉, +∞); equal edges make empty bins.
#[derive(Clone, Debug, PartialEq)]
pub struct Bins {
    pub edges: [f64; 9],
}

impl Bins {
    /// From the reference's values, sorted ascending; `None` if there are none.
    pub fn from_sorted_reference(sorted: &[f64]) -> Option<Bins> {
        let mut edges = [0.0; 9];
        for (j, e) in edges.iter_mut().enumerate() {
            *e = quantile_sorted(sorted, (j + 1) as f64 / 10.0)?;
        }
        Some(Bins { edges })
    }

    /// From the reference's values in any order (reordered in place): the same edges as
    /// [`Bins::from_sorted_reference`], found by selection instead of a sort.
    pub fn from_reference(values: &mut [f64]) -> Option<Bins> {
        let edges = quantiles(values, std::array::from_fn::<f64, 9, _>(|j| (j + 1) as f64 / 10.0))?;
        Some(Bins { edges })
    }

    /// The bin of `x`: the number of edges at or below it (counted without branches; the
    /// edges ascend, so this is where `x` falls).
    #[inline]
    pub fn bin(&self, x: f64) -> usize {
        self.edges.iter().map(|&e| (e <= x) as usize).sum()
    }

    /// Each bin's share of `values`.
    pub fn proportions(&self, values: &[f64]) -> Option<[f64; 10]> {
        let mut counts = [0u64; 10];
        self.count(values, None, &mut counts);
        shares(&counts)
    }

    /// Adds to `counts` the bin of every value that is present (`valid`, if given, says which
    /// are) and not NaN. In blocks: first every value's bin (nine compares a value, which the
    /// compiler vectorises), NaN and absent ones sent to an eleventh slot; then the counts,
    /// alternating two tables so that equal bins in a row do not wait on each other's add.
    pub fn count(&self, values: &[f64], valid: Option<&[bool]>, counts: &mut [u64; 10]) {
        const BLOCK: usize = 256;
        let mut tables = [[0u64; 11]; 2];
        // Wide slots: the compares' masks add up in 64-bit lanes, with no narrowing per value.
        let mut slots = [0u64; BLOCK];
        for (b, block) in values.chunks(BLOCK).enumerate() {
            let slots = &mut slots[..block.len()];
            for (slot, &x) in slots.iter_mut().zip(block) {
                let bin: u64 = self.edges.iter().map(|&e| (e <= x) as u64).sum();
                // NaN compares false with every edge: bin 0, moved to the extra slot.
                *slot = bin + 10 * (x.is_nan() as u64);
            }
            if let Some(valid) = valid {
                let valid = &valid[b * BLOCK..b * BLOCK + block.len()];
                slots.iter_mut().zip(valid).for_each(|(slot, &ok)| *slot = if ok { *slot } else { 10 });
            }
            for pair in slots.chunks(2) {
                tables[0][pair[0] as usize] += 1;
                if let Some(&s) = pair.get(1) {
                    tables[1][s as usize] += 1;
                }
            }
        }
        for (c, (a, b)) in counts.iter_mut().zip(tables[0].iter().zip(&tables[1])) {
            *c += a + b;
        }
    }
}

/// Each bin's share of the counted values; `None` for none.
pub fn shares(counts: &[u64; 10]) -> Option<[f64; 10]> {
    let n: u64 = counts.iter().sum();
    (n > 0).then(|| counts.map(|c| c as f64 / n as f64))
}

/// Σ (a′ − r′)·ln(a′/r′) with a′ = max(a, 10⁻⁴), r′ = max(r, 10⁻⁴), no renormalisation.
pub fn psi(window: &[f64; 10], reference: &[f64; 10]) -> f64 {
    window
        .iter()
        .zip(reference)
        .map(|(&a, &r)| {
            let (a, r) = (a.max(PSI_FLOOR), r.max(PSI_FLOOR));
            (a - r) * (a / r).ln()
        })
        .sum()
}

/// Jensen–Shannon distance, base 2, over unfloored proportions: √(½ KL(a‖m) + ½ KL(r‖m)).
pub fn js(window: &[f64; 10], reference: &[f64; 10]) -> f64 {
    let kl = |p: &[f64; 10], m: &[f64; 10]| -> f64 { p.iter().zip(m).filter(|(p, _)| **p > 0.0).map(|(p, m)| p * (p / m).log2()).sum() };
    let m: [f64; 10] = std::array::from_fn(|i| (window[i] + reference[i]) / 2.0);
    (0.5 * kl(window, &m) + 0.5 * kl(reference, &m)).max(0.0).sqrt()
}

/// Two-sample Kolmogorov–Smirnov statistic D = sup |F_window − F_reference|, both ascending.
pub fn ks(window: &[f64], reference: &[f64]) -> Option<f64> {
    walk_cdfs(window, reference).map(|steps| steps.iter().map(|s| s.gap).fold(0.0, f64::max))
}

/// 1-Wasserstein distance ∫ |F_window − F_reference| dx, both ascending.
pub fn wasserstein(window: &[f64], reference: &[f64]) -> Option<f64> {
    walk_cdfs(window, reference).map(|steps| steps.windows(2).map(|w| w[0].gap * (w[1].x - w[0].x)).sum())
}

struct Step {
    x: f64,
    /// |F_window − F_reference| just after x.
    gap: f64,
}

/// Both empirical CDFs evaluated after each distinct value of the merged samples.
fn walk_cdfs(a: &[f64], b: &[f64]) -> Option<Vec<Step>> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0, 0);
    let mut steps = Vec::new();
    while i < a.len() || j < b.len() {
        let x = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) | (None, Some(&x)) => x,
            (None, None) => break,
        };
        while a.get(i) == Some(&x) {
            i += 1;
        }
        while b.get(j) == Some(&x) {
            j += 1;
        }
        steps.push(Step { x, gap: (i as f64 / na - j as f64 / nb).abs() });
    }
    Some(steps)
}

/// χ² goodness of fit: Σ over the reference's categories c of (O_c − E_c)²/E_c, with O_c the
/// window's count and E_c = window total × reference share of c. `None` when the window holds
/// a category the reference lacks, or either side is empty. The terms are added in the
/// categories' order, so that the same data gives the same bits on every run.
pub fn chi2<T: Eq + Hash + Ord>(window: &HashMap<T, u64>, reference: &HashMap<T, u64>) -> Option<f64> {
    let total: u64 = window.values().sum();
    let ref_total: u64 = reference.values().sum();
    if total == 0 || ref_total == 0 || window.keys().any(|c| !reference.contains_key(c)) {
        return None;
    }
    let mut categories: Vec<(&T, &u64)> = reference.iter().collect();
    categories.sort_unstable_by_key(|(c, _)| *c);
    Some(
        categories
            .into_iter()
            .map(|(c, &r)| {
                let expected = total as f64 * r as f64 / ref_total as f64;
                let observed = window.get(c).copied().unwrap_or(0) as f64;
                (observed - expected) * (observed - expected) / expected
            })
            .sum(),
    )
}

/// Window rows whose category the reference lacks.
pub fn unseen<T: Eq + Hash>(window: &HashMap<T, u64>, reference: &HashMap<T, u64>) -> u64 {
    window.iter().filter(|(c, _)| !reference.contains_key(*c)).map(|(_, n)| n).sum()
}

/// P(χ²ₖ ≥ x): the chi-squared survival function with `dof` degrees of freedom, the regularized
/// upper incomplete gamma Q(dof/2, x/2). Below a + 1 from the power series of P (then 1 − P,
/// which is not small there); above it from the continued fraction of Q itself, so that tail
/// probabilities far below machine epsilon keep their relative precision (Numerical Recipes
/// §6.2). Checked against scipy.stats.chi2.sf across both regimes (tests/data/metrics).
pub fn chi2_sf(x: f64, dof: f64) -> f64 {
    let (a, x) = (dof / 2.0, x / 2.0);
    if x <= 0.0 {
        return 1.0;
    }
    let front = (a * x.ln() - x - ln_gamma(a)).exp();
    if x < a + 1.0 {
        let (mut term, mut sum, mut n) = (1.0 / a, 1.0 / a, a);
        while term.abs() > sum.abs() * 1e-17 {
            n += 1.0;
            term *= x / n;
            sum += term;
        }
        (1.0 - sum * front).max(0.0)
    } else {
        // Modified Lentz's method for the continued fraction of Q.
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let (mut c, mut d) = (1.0 / tiny, 1.0 / b);
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            d = if d.abs() < tiny { tiny } else { d };
            c = b + an / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let step = d * c;
            h *= step;
            if (step - 1.0).abs() < 1e-16 {
                break;
            }
        }
        front * h
    }
}

/// ln Γ(a) for a > 0 (Lanczos, g = 7, nine coefficients: about 15 significant digits).
fn ln_gamma(a: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if a < 0.5 {
        // Reflection: Γ(a) Γ(1 − a) = π / sin(πa).
        return (std::f64::consts::PI / (std::f64::consts::PI * a).sin()).ln() - ln_gamma(1.0 - a);
    }
    let a = a - 1.0;
    let t = a + G + 0.5;
    let sum = C[0] + C.iter().enumerate().skip(1).map(|(i, c)| c / (a + i as f64)).sum::<f64>();
    0.5 * (2.0 * std::f64::consts::PI).ln() + (a + 0.5) * t.ln() - t + sum.ln()
}

/// The Kolmogorov survival function Q(λ) = 2 Σⱼ₌₁^∞ (−1)ʲ⁻¹ e^(−2j²λ²), the limit of
/// P(√(nm/(n+m)) D > λ). That alternating sum converges fast for λ ≥ 1; below, its Jacobi
/// theta transform, Q = 1 − (√(2π)/λ) Σⱼ₌₁^∞ e^(−(2j−1)²π²/(8λ²)), does. Checked against
/// scipy.special.kolmogorov.
pub fn kolmogorov(lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    if lambda < 1.0 {
        let k = -std::f64::consts::PI * std::f64::consts::PI / (8.0 * lambda * lambda);
        let sum: f64 = (1..=20).map(|j| ((2 * j - 1) as f64).powi(2) * k).map(f64::exp).sum();
        (1.0 - (2.0 * std::f64::consts::PI).sqrt() / lambda * sum).clamp(0.0, 1.0)
    } else {
        let sum: f64 = (1..=100).map(|j| if j % 2 == 1 { 1.0 } else { -1.0 } * (-2.0 * (j * j) as f64 * lambda * lambda).exp()).sum();
        (2.0 * sum).clamp(0.0, 1.0)
    }
}

/// The asymptotic two-sided p-value of a KS statistic `d` between samples of `n` and `m`
/// values (SPEC §4 `ks_p`).
pub fn ks_p(d: f64, n: usize, m: usize) -> f64 {
    let (n, m) = (n as f64, m as f64);
    kolmogorov((n * m / (n + m)).sqrt() * d)
}
