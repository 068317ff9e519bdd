//! The model's validation suite: the properties MODEL.md says a correct
//! implementation shows, each measured and compared with its expected
//! value or bound.
//!
//! `goodhart check` prints them; `cargo test` runs the same functions at
//! the quick size. Statistical properties compare replicate means with
//! t-based 95% confidence intervals, so
//! the tolerance comes from the replicate variance, not from a guess.
//! Arms of a comparison share their replicate seeds, so differences use
//! paired intervals.

mod bistability;
mod closed_form;
mod policy;

pub use closed_form::{
    TOLERANCE as CLOSED_FORM_TOLERANCE, deviation_with_noise as closed_form_deviation_with_noise,
    expected_values, max_deviation as closed_form_deviation,
};

use crate::model::metrics::Metric;
use crate::model::{Simulation, rng};
use crate::params::ModelParams;
use crate::params::timeline::Timeline;
use crate::stats::{Summary, summarise};
use rayon::prelude::*;

/// How large the experiments are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// For `cargo test` and `goodhart check --quick` (seconds).
    Quick,
    /// For `goodhart check` (tighter intervals, under a minute).
    Full,
}

impl Size {
    pub fn employees(self) -> usize {
        match self {
            Size::Quick => 500,
            Size::Full => 5000,
        }
    }

    pub fn replicates(self) -> u64 {
        match self {
            Size::Quick => 5,
            Size::Full => 20,
        }
    }
}

/// The outcome of one property.
#[derive(Clone, Debug)]
pub struct PropertyResult {
    pub name: &'static str,
    pub measured: String,
    pub expected: String,
    pub pass: bool,
}

/// Every property, in the order `goodhart check` prints them.
pub fn run_all(size: Size) -> Vec<PropertyResult> {
    let mut out = vec![closed_form::check(), bistability::check(size)];
    out.extend(policy::checks(size));
    out
}

/// A simulation of one of the suite's own parameter sets. They are fixed
/// in this module and valid (the tests run every one); an invalid one is a
/// bug of the suite, reported with the reason.
pub(crate) fn simulation(p: &ModelParams, t: &Timeline, seed: u64) -> Simulation {
    Simulation::new(p, t, seed)
        .unwrap_or_else(|e| panic!("the validation suite built invalid parameters: {e}"))
}

/// One metric at `week` (None: the final week) for each replicate.
pub(crate) fn sample(
    p: &ModelParams,
    t: &Timeline,
    reps: u64,
    week: Option<usize>,
    metric: Metric,
) -> Vec<f64> {
    (0..reps)
        .into_par_iter()
        .map(|r| {
            let weeks = simulation(p, t, rng::run_seed(20_261_122, r)).run();
            weeks[week.unwrap_or(weeks.len() - 1)].get(metric)
        })
        .collect()
}

/// Paired 95% t interval for mean(a - b): replicate r of both arms runs
/// with the same seed (common random numbers), so the differences of the
/// pairs carry the comparison.
pub(crate) fn diff_ci(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let s = summarise(&d);
    if s.sd == 0.0 {
        return (s.mean, s.mean, s.mean);
    }
    (s.mean, s.ci_low, s.ci_high)
}

pub(crate) fn show(s: &Summary) -> String {
    format!(
        "{} [{}, {}]",
        crate::output::sig(s.mean, 3),
        crate::output::sig(s.ci_low, 3),
        crate::output::sig(s.ci_high, 3)
    )
}

pub(crate) fn show_diff(d: (f64, f64, f64)) -> String {
    format!(
        "{} [{}, {}]",
        crate::output::sig(d.0, 3),
        crate::output::sig(d.1, 3),
        crate::output::sig(d.2, 3)
    )
}
