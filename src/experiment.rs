//! Batches of replicate runs of one scenario and its variants.
//!
//! Replicate r of every arm (the base and each variant) runs with seed
//! `rng::run_seed(master, r)`: arms share their random numbers, so their
//! differences are the policy, not sampling noise. The runs go through the
//! batch runner ([`crate::batch`]) and come back in (arm, replicate) order,
//! so the results are the same for any thread count.

use crate::batch::{self, Job, Sink};
use crate::model::metrics::WeekMetrics;
use crate::model::rng;
use crate::params::InvalidParams;
use crate::scenario::{Scenario, Variant};

/// The weekly metrics of one replicate of one arm.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub variant: String,
    pub replicate: usize,
    pub seed: u64,
    pub weeks: Vec<WeekMetrics>,
}

/// Runs every replicate of the base scenario and of each variant.
pub fn run_replicates(sc: &Scenario) -> Result<Vec<RunResult>, InvalidParams> {
    run_replicates_with(sc, &mut |_, _| {})
}

/// As [`run_replicates`], calling `progress(done, total)` as runs finish
/// (for progress displays).
pub fn run_replicates_with(
    sc: &Scenario,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<RunResult>, InvalidParams> {
    let arms = sc.arms();
    let reps = sc.run.replicates;
    let total = arms.len() * reps;
    // Job i is (arm i / reps, replicate i % reps): arm-major.
    let seed = |r: usize| rng::run_seed(sc.run.seed, r as u64);
    let job = |i: usize| Job {
        params: arms[i / reps].params.clone(),
        timeline: &arms[i / reps].timeline,
        seed: seed(i % reps),
    };
    let mut sink = Collect {
        runs: Vec::with_capacity(total),
        arms: &arms,
        reps,
        seed: &seed,
        total,
        progress,
    };
    batch::run(0..total, job, &mut sink)?;
    Ok(sink.runs)
}

/// Keeps every run, labelled with its arm and replicate.
struct Collect<'a, F: Fn(usize) -> u64> {
    runs: Vec<RunResult>,
    arms: &'a [Variant],
    reps: usize,
    seed: &'a F,
    total: usize,
    progress: &'a mut dyn FnMut(usize, usize),
}

impl<F: Fn(usize) -> u64> Sink for Collect<'_, F> {
    type Error = InvalidParams;

    fn take(&mut self, job: usize, weeks: Vec<WeekMetrics>) -> Result<(), InvalidParams> {
        let r = job % self.reps;
        self.runs.push(RunResult {
            variant: self.arms[job / self.reps].name.clone(),
            replicate: r,
            seed: (self.seed)(r),
            weeks,
        });
        Ok(())
    }

    fn chunk_done(&mut self, done: usize) -> Result<(), InvalidParams> {
        (self.progress)(done, self.total);
        Ok(())
    }
}
