//! Batches of replicate runs of one scenario and its variants.
//!
//! Replicate r of every arm (the base and each variant) runs with seed
//! `rng::run_seed(master, r)`: arms share their random numbers, so their
//! differences are the policy, not sampling noise. All runs go through
//! rayon in parallel and come back in (arm, replicate) order, so the
//! results are the same for any thread count.

use crate::model::metrics::WeekMetrics;
use crate::model::{rng, simulate};
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
    jobs.into_par_iter()
        .map(|(a, r)| {
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
        .collect()
}
