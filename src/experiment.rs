//! Batches of replicate runs of one scenario and its variants.
//!
//! Replicate r of every arm (the base and each variant) runs with seed
//! `rng::run_seed(master, r)`: arms share their random numbers, so their
//! differences are the policy, not sampling noise. The runs go through the
//! batch runner ([`crate::batch`]) and come back in (arm, replicate) order,
//! so the results are the same for any thread count. A run may also
//! record more (agent rows): [`run_replicates_recording`] hands each
//! run's recording over in the same order, as the runner produces it.

use crate::batch::{self, Job, Record, Sink};
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
    run_replicates_recording(sc, &|_: &Run| (), &mut |_, ()| Ok(()), progress)
}

/// Which run of a scenario a recording belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Run<'a> {
    pub arm: &'a Variant,
    pub replicate: usize,
    pub seed: u64,
}

/// Where the parts of the runs' recordings go, in (arm, replicate) order.
pub type OnPart<'a, P, E> = dyn FnMut(&Run, P) -> Result<(), E> + 'a;

/// As [`run_replicates_with`], each run watched by `record(run)`, whose
/// parts go to `part` in (arm, replicate) order as the runs finish (so a
/// caller can stream them to disk without holding them all).
pub fn run_replicates_recording<R: Record, E: From<InvalidParams>>(
    sc: &Scenario,
    record: &(dyn Fn(&Run) -> R + Sync),
    part: &mut OnPart<'_, R::Part, E>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<RunResult>, E> {
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
    let run = |i: usize| Run {
        arm: &arms[i / reps],
        replicate: i % reps,
        seed: seed(i % reps),
    };
    let mut sink = Collect {
        runs: Vec::with_capacity(total),
        arms: &arms,
        reps,
        seed: &seed,
        total,
        progress,
        part,
    };
    batch::run_recorded(0..total, job, |i| record(&run(i)), &mut sink)?;
    Ok(sink.runs)
}

/// Keeps every run, labelled with its arm and replicate, and passes
/// recordings on.
struct Collect<'a, F: Fn(usize) -> u64, P, E> {
    runs: Vec<RunResult>,
    arms: &'a [Variant],
    reps: usize,
    seed: &'a F,
    total: usize,
    progress: &'a mut dyn FnMut(usize, usize),
    part: &'a mut dyn FnMut(&Run, P) -> Result<(), E>,
}

impl<F: Fn(usize) -> u64, P, E: From<InvalidParams>> Sink<P> for Collect<'_, F, P, E> {
    type Error = E;

    fn record(&mut self, job: usize, part: P) -> Result<(), E> {
        let run = Run {
            arm: &self.arms[job / self.reps],
            replicate: job % self.reps,
            seed: (self.seed)(job % self.reps),
        };
        (self.part)(&run, part)
    }

    fn take(&mut self, job: usize, weeks: Vec<WeekMetrics>) -> Result<(), E> {
        let r = job % self.reps;
        self.runs.push(RunResult {
            variant: self.arms[job / self.reps].name.clone(),
            replicate: r,
            seed: (self.seed)(r),
            weeks,
        });
        Ok(())
    }

    fn chunk_done(&mut self, done: usize) -> Result<(), E> {
        (self.progress)(done, self.total);
        Ok(())
    }
}
