//! The one batch runner behind `goodhart run` and `goodhart sweep`.
//!
//! A batch is a numbered list of runs (parameters, timeline, seed), made
//! on demand so that memory does not grow with their number. Runs go
//! through rayon in fixed chunks and reach a [`Sink`] in job order, one at
//! a time, so what the sink sees (and writes) is the same for any thread
//! count; a sink may keep the runs (`run`) or stream them to disk chunk by
//! chunk (`sweep`, which can then resume after the last complete chunk).

use crate::model::metrics::WeekMetrics;
use crate::model::simulate;
use crate::params::timeline::Timeline;
use crate::params::{InvalidParams, ModelParams};
use crate::resources::LARGE_RUN;
use rayon::prelude::*;
use std::ops::Range;

/// One run of a batch.
pub struct Job<'a> {
    pub params: ModelParams,
    pub timeline: &'a Timeline,
    pub seed: u64,
}

/// Where a batch's runs go, in job order.
pub trait Sink {
    type Error: From<InvalidParams>;

    /// Run `job` finished with these weekly metrics.
    fn take(&mut self, job: usize, weeks: Vec<WeekMetrics>) -> Result<(), Self::Error>;

    /// Every job before `done` has been taken (a point to sync to disk
    /// and report progress).
    fn chunk_done(&mut self, _done: usize) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Runs `jobs` (made by `job`) and hands them to `sink` in order. Chunks
/// hold four runs per thread; when the runs are large (from
/// [`LARGE_RUN`] employees) they go one at a time, each using every thread,
/// so that only one simulation's state is in memory.
pub fn run<'a, S: Sink>(
    jobs: Range<usize>,
    job: impl Fn(usize) -> Job<'a> + Sync + Send,
    sink: &mut S,
) -> Result<(), S::Error> {
    let chunk = (rayon::current_num_threads() * 4).max(8);
    let mut next = jobs.start;
    while next < jobs.end {
        let ids = next..(next + chunk).min(jobs.end);
        next = ids.end;
        let one = |i: usize| {
            let j = job(i);
            simulate(&j.params, j.timeline, j.seed)
        };
        let results: Vec<_> = if job(ids.start).params.employees >= LARGE_RUN {
            ids.clone().map(one).collect()
        } else {
            ids.clone().into_par_iter().map(one).collect()
        };
        for (i, weeks) in ids.clone().zip(results) {
            sink.take(i, weeks?)?;
        }
        sink.chunk_done(ids.end)?;
    }
    Ok(())
}
