//! After the search (Friedman & Fisher 1999): choosing a box on the
//! peeling trajectory, reporting its restrictions with the quasi-p values
//! of Bryant & Lempert (2010) exactly as EMA Workbench 2.5.3 computes them
//! (`PrimBox._calculate_quasi_p`, `prim_util.calculate_qp`,
//! `sdutil._calculate_quasip`), and covering (Friedman & Fisher's repeated
//! search on the points earlier boxes left, as EMA Workbench's successive
//! `find_box` calls).

use super::search::{count_inside, restricted_dims};
use super::{BoxStep, Dataset, Limit, PrimBox, PrimError, PrimParams, find_box_in};
use statrs::distribution::{Binomial, DiscreteCDF};

/// Which box of a trajectory covering keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoxChoice {
    /// EMA Workbench's default: the last box (after pasting), kept only if
    /// its density reaches the threshold.
    Last,
    /// The box with the highest coverage among those whose density reaches
    /// the threshold (the usual manual choice on the trade-off curve).
    MostCoverage,
}

/// A selected box's interval on one restricted dimension.
#[derive(Clone, Debug, PartialEq)]
pub struct Restriction {
    /// Index of the dimension in the dataset.
    pub dim: usize,
    pub name: String,
    /// The box's interval.
    pub limit: Limit,
    /// The dataset's range on that dimension (the unrestricted interval).
    pub bounds: Limit,
    /// Quasi-p value of the lower limit (None where it is not restricted):
    /// the one-sided binomial probability of at least the box's cases among
    /// its points if density were that of the box without this limit.
    /// Small means the limit matters.
    pub qp_lower: Option<f64>,
    /// The same for the upper limit.
    pub qp_upper: Option<f64>,
}

/// A box chosen on a trajectory, with what an analyst reads of it.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectedBox {
    /// Its index on the trajectory.
    pub index: usize,
    pub step: BoxStep,
    /// Only the restricted dimensions, in the dataset's order.
    pub restrictions: Vec<Restriction>,
    /// The points searched that lie inside, ascending.
    pub points: Vec<usize>,
}

/// `P(X >= k)` for `X ~ Binomial(n, p)`: scipy's `binomtest(k, n, p,
/// alternative="greater").pvalue`, through the regularized incomplete beta
/// function (`sf(k - 1)`), accurate in the far tail where `1 - cdf` is not.
fn binomial_at_least(k: usize, n: usize, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    match Binomial::new(p.clamp(0.0, 1.0), n as u64) {
        Ok(b) => b.sf(k as u64 - 1).clamp(0.0, 1.0),
        // Unreachable for p in [0, 1]; "not significant" is the safe answer.
        Err(_) => 1.0,
    }
}

impl PrimBox<'_> {
    /// The box with the highest coverage among those with density at least
    /// `threshold`; on equal coverage the denser, then the earlier one.
    pub fn most_coverage(&self, threshold: f64) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, s) in self.steps.iter().enumerate() {
            if s.density < threshold {
                continue;
            }
            let better = match best {
                None => true,
                Some(b) => {
                    let o = &self.steps[b];
                    s.coverage > o.coverage || (s.coverage == o.coverage && s.density > o.density)
                }
            };
            if better {
                best = Some(i);
            }
        }
        best
    }

    /// The box `choice` picks at density `threshold`, if any qualifies.
    pub fn choose(&self, choice: BoxChoice, threshold: f64) -> Option<usize> {
        match choice {
            BoxChoice::Last => {
                let last = self.steps.len() - 1;
                (self.steps[last].density >= threshold).then_some(last)
            }
            BoxChoice::MostCoverage => self.most_coverage(threshold),
        }
    }

    /// Box `index` of the trajectory with its restrictions, quasi-p values
    /// and points (EMA Workbench's `select(i)` and `inspect(i)`).
    pub fn select(&self, index: usize) -> Result<SelectedBox, PrimError> {
        let step = self.steps.get(index).ok_or(PrimError::BoxIndex {
            index,
            len: self.steps.len(),
        })?;
        let data: &Dataset = self.data;
        let dims = restricted_dims(&step.limits, &self.initial);
        // Drop one restricted side at a time (back to the data's bound) and
        // ask how surprising the box's cases would be at that wider box's
        // density, over the points searched.
        let qp = |j: usize, lower: bool| -> Option<f64> {
            let (now, init) = (step.limits[j], self.initial[j]);
            let mut wider = step.limits.clone();
            if lower {
                if now.lower == init.lower {
                    return None;
                }
                wider[j].lower = init.lower;
            } else {
                if now.upper == init.upper {
                    return None;
                }
                wider[j].upper = init.upper;
            }
            let (t, h) = count_inside(data, &self.remaining, &wider, &dims);
            // The wider box holds the box, so t >= step.n >= 1.
            let p = if t == 0 { 0.0 } else { h as f64 / t as f64 };
            Some(binomial_at_least(step.k, step.n, p))
        };
        let restrictions = dims
            .iter()
            .map(|&j| Restriction {
                dim: j,
                name: data.names()[j].clone(),
                limit: step.limits[j],
                bounds: self.initial[j],
                qp_lower: qp(j, true),
                qp_upper: qp(j, false),
            })
            .collect();
        let points = self
            .remaining
            .iter()
            .copied()
            .filter(|&i| {
                dims.iter().all(|&j| {
                    step.limits[j].lower <= data.column(j)[i]
                        && data.column(j)[i] <= step.limits[j].upper
                })
            })
            .collect();
        Ok(SelectedBox {
            index,
            step: step.clone(),
            restrictions,
            points,
        })
    }
}

/// Covering: find a box, keep the one `choice` picks at
/// `params.threshold`, drop its points, and search again, until no box
/// qualifies, no case is left, or `max_boxes` boxes are found.
pub fn covering(
    data: &Dataset,
    params: &PrimParams,
    choice: BoxChoice,
    max_boxes: usize,
) -> Result<Vec<SelectedBox>, PrimError> {
    params.validate()?;
    let mut active = vec![true; data.len()];
    let mut boxes = Vec::new();
    while boxes.len() < max_boxes && (0..data.len()).any(|i| active[i] && data.cases()[i]) {
        let found = find_box_in(data, params, &active)?;
        let Some(index) = found.choose(choice, params.threshold) else {
            break;
        };
        let selected = found.select(index)?;
        if selected.points.is_empty() {
            break;
        }
        for &i in &selected.points {
            active[i] = false;
        }
        boxes.push(selected);
    }
    Ok(boxes)
}
