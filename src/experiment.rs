//! Batches of replicate runs of one scenario and its variants.
//!
//! Replicate r of every arm (the base and each variant) runs with seed
//! `rng::run_seed(master, r)`: arms share their random numbers, so their
//! differences are the policy, not sampling noise. All runs go through
//! rayon in parallel and come back in (arm, replicate) order, so the
//! results are the same for any thread count.

use crate::model::metrics::WeekMetrics;
use crate::model::{rng, simulate};
use crate::resources::LARGE_RUN;
use crate::scenario::Scenario;
use rayon::prelude::*;

/// The weekly metrics of one replicate of one arm.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub variant: String,
    pub replicate: usize,
    pub seed: u64,
    pub weeks: Vec<WeekMetrics>,
}

/// Runs every replicate of the base scenario and of each variant.
pub fn run_replicates(sc: &Scenario) -> Vec<RunResult> {
    run_replicates_with(sc, &|| {})
}

/// As [`run_replicates`], calling `done` after each run (from any thread;
/// for progress displays).
pub fn run_replicates_with(sc: &Scenario, done: &(dyn Fn() + Sync)) -> Vec<RunResult> {
    let arms = sc.arms();
    let jobs: Vec<(usize, usize)> = (0..arms.len())
        .flat_map(|a| (0..sc.run.replicates).map(move |r| (a, r)))
        .collect();
    let large = arms.iter().any(|a| a.params.employees >= LARGE_RUN);
    map_in_order(jobs.len(), large, |i| {
        let (a, r) = jobs[i];
        let arm = &arms[a];
        let seed = rng::run_seed(sc.run.seed, r as u64);
        let weeks = simulate(&arm.params, &arm.timeline, seed);
        done();
        RunResult {
            variant: arm.name.clone(),
            replicate: r,
            seed,
            weeks,
        }
    })
}

/// `f(0..n)` in order: in parallel, or one at a time when each run is
/// `large` enough to use every thread itself (so only one simulation's
/// state is in memory; see [`crate::resources`]). The results are the
/// same either way.
pub fn map_in_order<T: Send>(
    n: usize,
    large: bool,
    f: impl Fn(usize) -> T + Sync + Send,
) -> Vec<T> {
    if large {
        (0..n).map(f).collect()
    } else {
        (0..n).into_par_iter().map(f).collect()
    }
}
