//! Batches of replicate runs of one scenario.
//!
//! Replicate r runs with seed `rng::run_seed(master, r)`; replicates run in
//! parallel with rayon and come back in replicate order, so the results
//! are the same for any thread count.

use crate::model::metrics::WeekMetrics;
use crate::model::{rng, simulate};
use crate::scenario::Scenario;
use rayon::prelude::*;

/// The weekly metrics of one replicate.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub replicate: usize,
    pub seed: u64,
    pub weeks: Vec<WeekMetrics>,
}

/// Runs every replicate of a scenario.
pub fn run_replicates(sc: &Scenario) -> Vec<RunResult> {
    (0..sc.run.replicates)
        .into_par_iter()
        .map(|r| {
            let seed = rng::run_seed(sc.run.seed, r as u64);
            RunResult {
                replicate: r,
                seed,
                weeks: simulate(&sc.params, &sc.timeline, seed),
            }
        })
        .collect()
}
