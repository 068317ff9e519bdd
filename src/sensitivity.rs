//! Global sensitivity estimators: Sobol indices (Saltelli 2010 for first
//! order, Jansen 1999 for total order) and Morris elementary effects
//! (Morris 1991; mu* of Campolongo et al. 2007), with percentile bootstrap
//! confidence intervals.
//!
//! Pure functions of design outputs: the caller supplies the outputs in
//! the design's point order (see `sweep::design`).

use crate::model::rng;
use rand::RngExt;

/// An estimate with a 95% confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// First- and total-order Sobol indices of one parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SobolIndices {
    pub first: Interval,
    pub total: Interval,
}

/// Morris statistics of one parameter: mean effect mu, mean absolute
/// effect mu* (with interval) and the sd of the effects sigma.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MorrisIndices {
    pub mu: f64,
    pub mu_star: Interval,
    pub sigma: f64,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Percentile bootstrap: `stat` evaluated on `reps` resamples of indices
/// 0..n, with a generator fixed by `seed` (so results are reproducible).
fn bootstrap<F: FnMut(&[usize]) -> f64>(
    n: usize,
    reps: usize,
    seed: u64,
    mut stat: F,
) -> (f64, f64) {
    let mut r = rng::stream(seed, "bootstrap", 0);
    let mut idx = vec![0usize; n];
    let mut vals: Vec<f64> = (0..reps)
        .map(|_| {
            idx.iter_mut().for_each(|i| *i = r.random_range(0..n));
            stat(&idx)
        })
        .filter(|v| v.is_finite())
        .collect();
    vals.sort_by(f64::total_cmp);
    (percentile(&vals, 0.025), percentile(&vals, 0.975))
}

/// Sobol indices from outputs `y` in Saltelli order: N blocks of k + 2
/// values (A_j, B_j, AB_j^(1..k)). Blocks with a non-finite output are
/// left out.
pub fn sobol(y: &[f64], k: usize, reps: usize, seed: u64) -> Vec<SobolIndices> {
    let blocks: Vec<&[f64]> = y
        .chunks_exact(k + 2)
        .filter(|b| b.iter().all(|v| v.is_finite()))
        .collect();
    let n = blocks.len();
    let estimate = |idx: &[usize], i: usize| -> (f64, f64) {
        let m = idx.len() as f64;
        let mean = idx
            .iter()
            .map(|&j| blocks[j][0] + blocks[j][1])
            .sum::<f64>()
            / (2.0 * m);
        let var = idx
            .iter()
            .map(|&j| (blocks[j][0] - mean).powi(2) + (blocks[j][1] - mean).powi(2))
            .sum::<f64>()
            / (2.0 * m);
        if var <= 0.0 {
            return (f64::NAN, f64::NAN);
        }
        let (mut s1, mut st) = (0.0, 0.0);
        for &j in idx {
            let (a, b, ab) = (blocks[j][0], blocks[j][1], blocks[j][2 + i]);
            s1 += b * (ab - a);
            st += (a - ab).powi(2);
        }
        (s1 / m / var, 0.5 * st / m / var)
    };
    let all: Vec<usize> = (0..n).collect();
    (0..k)
        .map(|i| {
            let (s1, st) = if n > 0 {
                estimate(&all, i)
            } else {
                (f64::NAN, f64::NAN)
            };
            let (f_lo, f_hi) = bootstrap(n, reps, seed ^ (i as u64) << 1, |idx| estimate(idx, i).0);
            let (t_lo, t_hi) = bootstrap(n, reps, seed ^ ((i as u64) << 1 | 1), |idx| {
                estimate(idx, i).1
            });
            SobolIndices {
                first: Interval {
                    estimate: s1,
                    ci_low: f_lo,
                    ci_high: f_hi,
                },
                total: Interval {
                    estimate: st,
                    ci_low: t_lo,
                    ci_high: t_hi,
                },
            }
        })
        .collect()
}

/// Morris statistics from trajectories of k + 1 unit-cube points (`units`)
/// and their outputs `y`. An elementary effect is the output change per
/// unit of the factor's normalised range.
pub fn morris(
    units: &[Vec<f64>],
    y: &[f64],
    k: usize,
    reps: usize,
    seed: u64,
) -> Vec<MorrisIndices> {
    let mut effects: Vec<Vec<f64>> = vec![Vec::new(); k];
    for (u, out) in units.chunks_exact(k + 1).zip(y.chunks_exact(k + 1)) {
        for s in 0..k {
            let Some(i) = (0..k).find(|&d| u[s][d] != u[s + 1][d]) else {
                continue;
            };
            let ee = (out[s + 1] - out[s]) / (u[s + 1][i] - u[s][i]);
            if ee.is_finite() {
                effects[i].push(ee);
            }
        }
    }
    effects
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let n = e.len() as f64;
            let mu = e.iter().sum::<f64>() / n;
            let mu_star_of =
                |idx: &[usize]| idx.iter().map(|&j| e[j].abs()).sum::<f64>() / idx.len() as f64;
            let mu_star = e.iter().map(|x| x.abs()).sum::<f64>() / n;
            let sigma = if e.len() > 1 {
                (e.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                f64::NAN
            };
            let (lo, hi) = bootstrap(e.len(), reps, seed ^ i as u64, mu_star_of);
            MorrisIndices {
                mu,
                mu_star: Interval {
                    estimate: mu_star,
                    ci_low: lo,
                    ci_high: hi,
                },
                sigma,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::design::{morris as morris_design, saltelli};
    use std::f64::consts::PI;

    /// Ishigami function on [-pi, pi]^3 from unit coordinates.
    fn ishigami(u: &[f64]) -> f64 {
        let x: Vec<f64> = u.iter().map(|v| -PI + 2.0 * PI * v).collect();
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    #[test]
    fn sobol_recovers_ishigami_indices() {
        // Analytic values (Ishigami & Homma 1990; a = 7, b = 0.1).
        let (a, b) = (7.0, 0.1);
        let v1 = 0.5 * (1.0 + b * PI.powi(4) / 5.0).powi(2);
        let v2 = a * a / 8.0;
        let v13 = b * b * PI.powi(8) * (1.0 / 18.0 - 1.0 / 50.0);
        let v = v1 + v2 + v13;
        let first = [v1 / v, v2 / v, 0.0];
        let total = [(v1 + v13) / v, v2 / v, v13 / v];
        let pts = saltelli(3, 4096, 11);
        let y: Vec<f64> = pts.iter().map(|u| ishigami(u)).collect();
        let idx = sobol(&y, 3, 500, 5);
        for i in 0..3 {
            for (got, want) in [(idx[i].first, first[i]), (idx[i].total, total[i])] {
                let half = (got.ci_high - got.ci_low) / 2.0;
                assert!(
                    half > 0.0 && half < 0.06,
                    "interval too wide or empty: {got:?}"
                );
                // Within two bootstrap half-widths (about 4 standard errors).
                assert!(
                    (got.estimate - want).abs() < 2.0 * half,
                    "factor {i}: {got:?} vs {want}"
                );
            }
        }
    }

    #[test]
    fn morris_recovers_linear_effects_exactly() {
        let pts = morris_design(3, 30, 4, 2);
        let y: Vec<f64> = pts.iter().map(|u| 3.0 * u[0] - 2.0 * u[1]).collect();
        let m = morris(&pts, &y, 3, 200, 1);
        assert!((m[0].mu_star.estimate - 3.0).abs() < 1e-12 && (m[0].mu - 3.0).abs() < 1e-12);
        assert!((m[1].mu_star.estimate - 2.0).abs() < 1e-12 && (m[1].mu + 2.0).abs() < 1e-12);
        assert!(m[2].mu_star.estimate.abs() < 1e-12);
        assert!(m.iter().all(|x| x.sigma.abs() < 1e-9));
    }

    #[test]
    fn morris_flags_interactions_with_sigma() {
        // x0 * x1 has no additive effect: sigma is large relative to mu.
        let pts = morris_design(3, 40, 4, 7);
        let y: Vec<f64> = pts.iter().map(|u| (u[0] - 0.5) * (u[1] - 0.5)).collect();
        let m = morris(&pts, &y, 3, 200, 1);
        assert!(m[0].sigma > 0.1 && m[1].sigma > 0.1, "{m:?}");
        assert!(m[2].mu_star.estimate == 0.0);
        assert!(
            m[0].mu_star.ci_low <= m[0].mu_star.estimate
                && m[0].mu_star.estimate <= m[0].mu_star.ci_high
        );
    }
}
