//! The PRIM search itself: peeling, then pasting (Friedman & Fisher 1999,
//! sections 2-3), step for step as EMA Workbench 2.5.3 does it
//! (`Prim._peel`, `Prim._real_peel`, `Prim._paste`, `Prim._real_paste`,
//! `prim_util.get_quantile`, the `LENIENT1` objective), so that the
//! trajectory, the limits and the tie breaks come out bit for bit the same
//! (tests/prim.rs compares them with its fixture).
//!
//! Every dimension is treated as EMA Workbench treats a float column; its
//! integer and categorical peels are not reproduced (the data here are
//! continuous uncertainties).

use super::{BoxStep, Dataset, Limit, PrimParams, StepKind};

/// EMA Workbench's `get_quantile` (modelled on sdtoolkit): the midpoint
/// between the order statistic at `(len - 1) * q` and the next *distinct*
/// value beyond it (towards the centre for an upper quantile, `q > 0.5`,
/// outwards for a lower one). A peel at that value therefore always removes
/// a whole group of tied values or none, never half of one. `sorted` must be
/// non-empty and ascending.
pub(super) fn quantile(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len() - 1;
    let i = last as f64 * q;
    let mut lo = i.floor() as usize;
    let mut hi = (i.ceil() as usize).min(last);
    if q > 0.5 {
        while sorted[lo] == sorted[hi] && lo > 0 {
            lo -= 1;
        }
    } else {
        while sorted[lo] == sorted[hi] && hi < last {
            hi += 1;
        }
    }
    midpoint(sorted[lo], sorted[hi])
}

/// `(a + b) / 2` as numpy computes it; halves first only where the sum
/// overflows (there numpy would return an infinite limit).
fn midpoint(a: f64, b: f64) -> f64 {
    let m = (a + b) / 2.0;
    if m.is_finite() { m } else { a / 2.0 + b / 2.0 }
}

/// EMA Workbench's default objective, `LENIENT1`: the change in density
/// (mean of y) per point removed or added. Unlike Friedman & Fisher's
/// original objective (the new box's mean), it prefers small peels with
/// the same gain, which keeps PRIM patient when peels differ in size (ties).
fn lenient1(k_old: usize, n_old: usize, k_new: usize, n_new: usize) -> f64 {
    let mean_old = k_old as f64 / n_old as f64;
    let mean_new = if n_new > 0 {
        k_new as f64 / n_new as f64
    } else {
        0.0
    };
    if mean_old == mean_new || n_old == n_new {
        // Same points (EMA Workbench raises if the means differ with the
        // same count, which a nested box cannot produce).
        return 0.0;
    }
    (mean_new - mean_old) / n_old.abs_diff(n_new) as f64
}

/// The number of dimensions of `limits` that differ from `initial`, with
/// dimension `j` replaced by `lim_j`.
fn restricted_with(limits: &[Limit], initial: &[Limit], j: usize, lim_j: Limit) -> usize {
    (0..limits.len())
        .filter(|&m| {
            let l = if m == j { lim_j } else { limits[m] };
            l != initial[m]
        })
        .count()
}

/// A candidate peel or paste: the objective and the number of unrestricted
/// dimensions rank it, as EMA Workbench's `scores.sort(key=(obj,
/// non_res_dim), reverse=True)`; its stable sort keeps the first of equal
/// candidates, so a later one wins only if strictly better.
struct Candidate {
    obj: f64,
    non_res: usize,
    dim: usize,
    limit: Limit,
    n: usize,
    k: usize,
}

impl Candidate {
    fn beats(&self, best: &Option<Candidate>) -> bool {
        match best {
            None => true,
            Some(b) => self.obj > b.obj || (self.obj == b.obj && self.non_res > b.non_res),
        }
    }
}

/// Whether point `i` lies inside `limits` on the dimensions `dims`
/// (inclusive on both sides, as EMA Workbench's `_in_box`).
fn inside(data: &Dataset, i: usize, limits: &[Limit], dims: &[usize]) -> bool {
    dims.iter().all(|&m| {
        let x = data.columns[m][i];
        limits[m].lower <= x && x <= limits[m].upper
    })
}

/// Points and cases of `remaining` inside `limits` on `dims`.
pub(super) fn count_inside(
    data: &Dataset,
    remaining: &[usize],
    limits: &[Limit],
    dims: &[usize],
) -> (usize, usize) {
    remaining
        .iter()
        .filter(|&&i| inside(data, i, limits, dims))
        .fold((0, 0), |(n, k), &i| (n + 1, k + usize::from(data.cases[i])))
}

/// The dimensions whose limits differ from the initial box's.
pub(super) fn restricted_dims(limits: &[Limit], initial: &[Limit]) -> Vec<usize> {
    (0..limits.len())
        .filter(|&m| limits[m] != initial[m])
        .collect()
}

/// One trajectory entry, with EMA Workbench's statistics: coverage over all
/// cases of the data set, mass over all its points (not only the remaining
/// ones when covering).
fn step(
    data: &Dataset,
    kind: StepKind,
    limits: &[Limit],
    initial: &[Limit],
    n: usize,
    k: usize,
) -> BoxStep {
    BoxStep {
        kind,
        limits: limits.to_vec(),
        n,
        k,
        coverage: k as f64 / data.n_cases as f64,
        density: k as f64 / n as f64,
        mass: n as f64 / data.len() as f64,
        res_dim: restricted_dims(limits, initial).len(),
    }
}

/// `limit` with its lower (or upper) side moved to `v`.
fn with_side(limit: Limit, lower: bool, v: f64) -> Limit {
    if lower {
        Limit { lower: v, ..limit }
    } else {
        Limit { upper: v, ..limit }
    }
}

/// The current box during the search.
struct Current<'a> {
    data: &'a Dataset,
    initial: &'a [Limit],
    limits: Vec<Limit>,
    points: Vec<usize>,
    k: usize,
}

impl Current<'_> {
    fn candidate(&self, dim: usize, limit: Limit, n: usize, k: usize) -> Candidate {
        let d = self.limits.len();
        Candidate {
            obj: lenient1(self.k, self.points.len(), k, n),
            non_res: d - restricted_with(&self.limits, self.initial, dim, limit),
            dim,
            limit,
            n,
            k,
        }
    }

    /// The best peel: for each dimension in order, the upper then the
    /// lower peel_alpha-quantile of the points still in the box (EMA
    /// Workbench's candidate order, which decides ties).
    fn best_peel(&self, alpha: f64, xs: &mut Vec<f64>) -> Option<Candidate> {
        let mut best = None;
        for (j, col) in self.data.columns.iter().enumerate() {
            xs.clear();
            xs.extend(self.points.iter().map(|&i| col[i]));
            xs.sort_by(f64::total_cmp);
            for lower in [false, true] {
                let v = quantile(xs, if lower { alpha } else { 1.0 - alpha });
                let keep = |x: f64| if lower { x >= v } else { x <= v };
                let (n, k) = self
                    .points
                    .iter()
                    .filter(|&&i| keep(col[i]))
                    .fold((0, 0), |(n, k), &i| {
                        (n + 1, k + usize::from(self.data.cases[i]))
                    });
                let c = self.candidate(j, with_side(self.limits[j], lower, v), n, k);
                if c.beats(&best) {
                    best = Some(c);
                }
            }
        }
        best
    }

    /// The best paste: for each restricted dimension in order, its lower
    /// then its upper side moved out past paste_alpha of the `remaining`
    /// points in the slab between the side and the data's bound (within
    /// the box's limits on the other restricted dimensions).
    fn best_paste(&self, alpha: f64, remaining: &[usize], xs: &mut Vec<f64>) -> Option<Candidate> {
        let restricted = restricted_dims(&self.limits, self.initial);
        let mut best = None;
        for &j in &restricted {
            let others: Vec<usize> = restricted.iter().copied().filter(|&m| m != j).collect();
            let (col, now, bound) = (&self.data.columns[j], self.limits[j], self.initial[j]);
            for lower in [true, false] {
                let slab = if lower {
                    Limit {
                        lower: bound.lower,
                        upper: now.lower,
                    }
                } else {
                    Limit {
                        lower: now.upper,
                        upper: bound.upper,
                    }
                };
                xs.clear();
                xs.extend(
                    remaining
                        .iter()
                        .filter(|&&i| slab.lower <= col[i] && col[i] <= slab.upper)
                        .filter(|&&i| inside(self.data, i, &self.limits, &others))
                        .map(|&i| col[i]),
                );
                xs.sort_by(f64::total_cmp);
                // An empty slab pastes to the data's bound, as in EMA Workbench.
                let v = match (xs.is_empty(), lower) {
                    (true, true) => bound.lower,
                    (true, false) => bound.upper,
                    (false, true) => quantile(xs, 1.0 - alpha),
                    (false, false) => quantile(xs, alpha),
                };
                let mut trial = self.limits.clone();
                trial[j] = with_side(now, lower, v);
                let (n, k) = count_inside(self.data, remaining, &trial, &restricted);
                let c = self.candidate(j, trial[j], n, k);
                if c.beats(&best) {
                    best = Some(c);
                }
            }
        }
        best
    }
}

/// Peels and then pastes starting from `initial` (the limits of the whole
/// data set) over the points `remaining` (non-empty); returns the whole
/// trajectory, the initial box first.
pub(super) fn trajectory(
    data: &Dataset,
    params: &PrimParams,
    remaining: &[usize],
    initial: &[Limit],
) -> Vec<BoxStep> {
    let total = data.len() as f64;
    let k = remaining.iter().filter(|&&i| data.cases[i]).count();
    let mut cur = Current {
        data,
        initial,
        limits: initial.to_vec(),
        points: remaining.to_vec(),
        k,
    };
    let mut steps = vec![step(
        data,
        StepKind::Initial,
        &cur.limits,
        initial,
        cur.points.len(),
        k,
    )];
    let mut xs = Vec::with_capacity(remaining.len());

    // Peel while the best peel improves density and leaves mass_min.
    while let Some(c) = cur.best_peel(params.peel_alpha, &mut xs) {
        let (mass_old, mass_new) = (cur.points.len() as f64 / total, c.n as f64 / total);
        if !(mass_new >= params.mass_min && mass_new < mass_old && c.obj > 0.0) {
            break;
        }
        let (col, lim) = (&data.columns[c.dim], c.limit);
        cur.points
            .retain(|&i| lim.lower <= col[i] && col[i] <= lim.upper);
        cur.limits[c.dim] = lim;
        cur.k = c.k;
        steps.push(step(data, StepKind::Peel, &cur.limits, initial, c.n, c.k));
    }

    // Then paste while the best paste raises the density.
    while let Some(c) = cur.best_paste(params.paste_alpha, remaining, &mut xs) {
        let n_old = cur.points.len();
        let (mass_old, mass_new) = (n_old as f64 / total, c.n as f64 / total);
        let (mean_old, mean_new) = (cur.k as f64 / n_old as f64, c.k as f64 / c.n as f64);
        if !(mass_new >= params.mass_min
            && mass_new > mass_old
            && c.obj > 0.0
            && mean_new > mean_old)
        {
            break;
        }
        cur.limits[c.dim] = c.limit;
        let restricted = restricted_dims(&cur.limits, initial);
        cur.points = remaining
            .iter()
            .copied()
            .filter(|&i| inside(data, i, &cur.limits, &restricted))
            .collect();
        cur.k = c.k;
        steps.push(step(data, StepKind::Paste, &cur.limits, initial, c.n, c.k));
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from EMA Workbench 2.5.3's `get_quantile` on the same inputs.
    #[test]
    fn quantile_matches_ema_workbench_including_ties() {
        let cases: [(&[f64], f64, f64); 10] = [
            (&[1., 2., 3., 4., 5.], 0.05, 1.5),
            (&[1., 2., 3., 4., 5.], 0.95, 4.5),
            (&[1., 1., 1., 2., 3., 3., 3.], 0.05, 1.5),
            (&[1., 1., 1., 2., 3., 3., 3.], 0.95, 2.5),
            (&[2., 2., 2.], 0.05, 2.0),
            (&[2., 2., 2.], 0.95, 2.0),
            (&[7.], 0.05, 7.0),
            (&[7.], 0.95, 7.0),
            (
                &[
                    0., 0., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,
                    2.,
                ],
                0.05,
                0.5,
            ),
            (
                &[
                    0., 0., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,
                    2.,
                ],
                0.95,
                0.5,
            ),
        ];
        for (xs, q, want) in cases {
            assert_eq!(quantile(xs, q), want, "{xs:?} at {q}");
        }
        let grid: Vec<f64> = (0..21).map(f64::from).collect();
        assert_eq!(quantile(&grid, 0.05), 1.5);
        assert_eq!(quantile(&grid, 0.95), 18.5);
    }

    #[test]
    fn midpoint_never_overflows() {
        assert_eq!(midpoint(f64::MAX, f64::MAX), f64::MAX);
        assert_eq!(midpoint(1.0, 2.0), 1.5);
    }

    #[test]
    fn lenient1_is_gain_in_density_per_point() {
        // 10 points with 2 cases -> 8 points with 2 cases: (0.25 - 0.2) / 2.
        assert!((lenient1(2, 10, 2, 8) - 0.025).abs() < 1e-15);
        // Pasting: 8 -> 10 points, density 0.5 -> 0.6: gain 0.1 over 2 points.
        assert!((lenient1(4, 8, 6, 10) - 0.05).abs() < 1e-15);
        assert_eq!(lenient1(3, 10, 3, 10), 0.0);
        // An emptied box has mean 0, as in EMA Workbench.
        assert!(lenient1(1, 2, 0, 0) < 0.0);
    }
}
