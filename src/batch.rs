//! The one batch runner behind `goodhart run` and `goodhart sweep`.
//!
//! A batch is a numbered list of runs (parameters, timeline, seed), made
//! on demand so that memory does not grow with their number. Runs go
//! through rayon in fixed chunks and reach a [`Sink`] in job order, one at
//! a time, so what the sink sees (and writes) is the same for any thread
//! count; a sink may keep the runs (`run`) or stream them to disk chunk by
//! chunk (`sweep`, which can then resume after the last complete chunk).
//!
//! A run may record more than its weekly metrics (agent snapshots for
//! `run --agents`): a [`Record`], made per job, watches the run as an
//! [`Observer`] and hands its parts to the sink, in job order, before the
//! run's metrics. Chunks are sized so that the parts they hold stay within
//! [`crate::resources::RECORD_BUDGET`]; a run whose parts alone exceed it runs on its own,
//! handing over its parts week by week ([`chunking`]).

use crate::model::metrics::WeekMetrics;
use crate::model::{Observer, Populations, Simulation};
use crate::params::timeline::Timeline;
use crate::params::{InvalidParams, ModelParams};
use crate::resources::{Chunking, POPULATION_BUDGET, RecordSize, chunking};
use rayon::prelude::*;
use std::ops::Range;

/// One run of a batch.
pub struct Job<'a> {
    pub params: ModelParams,
    pub timeline: &'a Timeline,
    pub seed: u64,
}

/// What a run records besides its weekly metrics: an observer whose
/// recordings are taken in parts.
pub trait Record: Observer + Send {
    /// A piece of the recording (rows of some weeks).
    type Part: Send;

    /// What was recorded since the last call, if anything.
    fn take_part(&mut self) -> Option<Self::Part>;

    /// Bytes the parts of a whole run of `p` take, and of the largest
    /// part taken after one week: what a chunk of such runs holds.
    fn size(&self, p: &ModelParams) -> RecordSize;
}

/// Records nothing.
impl Record for () {
    type Part = ();

    fn take_part(&mut self) -> Option<()> {
        None
    }

    fn size(&self, _: &ModelParams) -> RecordSize {
        RecordSize::default()
    }
}

/// Where a batch's runs go, in job order.
pub trait Sink<P = ()> {
    type Error: From<InvalidParams>;

    /// A part of run `job`'s recording; every part of a run comes before
    /// its [`Sink::take`], in the order recorded.
    fn record(&mut self, _job: usize, _part: P) -> Result<(), Self::Error> {
        Ok(())
    }

    /// Run `job` finished with these weekly metrics.
    fn take(&mut self, job: usize, weeks: Vec<WeekMetrics>) -> Result<(), Self::Error>;

    /// Every job before `done` has been taken (a point to sync to disk
    /// and report progress).
    fn chunk_done(&mut self, _done: usize) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Runs `jobs` (made by `job`) and hands them to `sink` in order; they
/// record nothing but their weekly metrics.
pub fn run<'a, S: Sink>(
    jobs: Range<usize>,
    job: impl Fn(usize) -> Job<'a> + Sync + Send,
    sink: &mut S,
) -> Result<(), S::Error> {
    run_recorded(jobs, job, |_| (), sink)
}

/// Runs `jobs` (made by `job`), each watched by its own `record(job)`, and
/// hands their parts and metrics to `sink` in job order. Chunks hold four
/// runs per thread (fewer if their recordings would exceed
/// [`crate::resources::RECORD_BUDGET`]); large runs (from [`crate::resources::LARGE_RUN`]
/// employees, or recording more than the budget) go one at a time, each
/// using every thread and handing its parts over week by week, so that
/// only one simulation and one week's recording are in memory.
pub fn run_recorded<'a, R: Record, S: Sink<R::Part>>(
    jobs: Range<usize>,
    job: impl Fn(usize) -> Job<'a> + Sync + Send,
    record: impl Fn(usize) -> R + Sync + Send,
    sink: &mut S,
) -> Result<(), S::Error> {
    let threads = rayon::current_num_threads();
    // Runs with the same seed (replicate r of every arm or sweep point)
    // draw the same population: drawn once, copied after.
    let populations = Populations::new(POPULATION_BUDGET as usize);
    let mut next = jobs.start;
    while next < jobs.end {
        let first = job(next);
        let size = record(next).size(&first.params);
        match chunking(&first.params, size, threads) {
            Chunking::OneByOne => {
                let mut rec = record(next);
                let mut sim = Simulation::with_populations(
                    &first.params,
                    first.timeline,
                    first.seed,
                    &populations,
                )?;
                let mut weeks = Vec::with_capacity(first.params.weeks);
                while sim.week() < first.params.weeks {
                    sim.advance(1, &mut |s: &Simulation, w: usize, m: &WeekMetrics| {
                        weeks.push(*m);
                        rec.observe(s, w, m);
                    });
                    while let Some(part) = rec.take_part() {
                        sink.record(next, part)?;
                    }
                }
                sink.take(next, weeks)?;
                next += 1;
                sink.chunk_done(next)?;
            }
            Chunking::Parallel(chunk) => {
                let ids = next..(next + chunk).min(jobs.end);
                next = ids.end;
                let results: Vec<_> = ids
                    .clone()
                    .into_par_iter()
                    .map(|i| one(job(i), record(i), &populations))
                    .collect();
                for (i, result) in ids.clone().zip(results) {
                    let (weeks, parts) = result?;
                    for part in parts {
                        sink.record(i, part)?;
                    }
                    sink.take(i, weeks)?;
                }
                sink.chunk_done(ids.end)?;
            }
        }
    }
    Ok(())
}

/// A whole run watched by `rec`: its weekly metrics and recorded parts.
type Recorded<P> = Result<(Vec<WeekMetrics>, Vec<P>), InvalidParams>;

fn one<R: Record>(j: Job<'_>, mut rec: R, populations: &Populations) -> Recorded<R::Part> {
    let mut sim = Simulation::with_populations(&j.params, j.timeline, j.seed, populations)?;
    let mut weeks = Vec::with_capacity(j.params.weeks);
    sim.run_observed(&mut |s: &Simulation, w: usize, m: &WeekMetrics| {
        weeks.push(*m);
        rec.observe(s, w, m);
    });
    let mut parts = Vec::new();
    while let Some(part) = rec.take_part() {
        parts.push(part);
    }
    Ok((weeks, parts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::simulate;
    use crate::resources::RECORD_BUDGET;

    /// Records the week numbers it saw, one part per week.
    struct Weeks(Vec<usize>, u64);

    impl Observer for Weeks {
        fn observe(&mut self, _: &Simulation, week: usize, _: &WeekMetrics) {
            self.0.push(week);
        }
    }

    impl Record for Weeks {
        type Part = usize;
        fn take_part(&mut self) -> Option<usize> {
            self.0.pop()
        }
        fn size(&self, p: &ModelParams) -> RecordSize {
            RecordSize {
                run: self.1 * p.weeks as u64,
                part: self.1,
            }
        }
    }

    struct Keep(Vec<(usize, Vec<usize>, Vec<WeekMetrics>)>);

    impl Sink<usize> for Keep {
        type Error = InvalidParams;
        fn record(&mut self, job: usize, part: usize) -> Result<(), InvalidParams> {
            if self.0.last().is_none_or(|l| l.0 != job || !l.2.is_empty()) {
                self.0.push((job, Vec::new(), Vec::new()));
            }
            self.0.last_mut().unwrap().1.push(part);
            Ok(())
        }
        fn take(&mut self, job: usize, weeks: Vec<WeekMetrics>) -> Result<(), InvalidParams> {
            let last = self.0.last_mut().unwrap();
            assert_eq!(last.0, job);
            last.2 = weeks;
            Ok(())
        }
    }

    #[test]
    fn parts_and_metrics_reach_the_sink_in_job_order_in_either_mode() {
        let timeline = Timeline::default();
        let p = ModelParams {
            employees: 40,
            weeks: 4,
            ..ModelParams::default()
        };
        let job = |i: usize| Job {
            params: p.clone(),
            timeline: &timeline,
            seed: i as u64,
        };
        // Small parts: chunks in parallel, one part per run (all its weeks
        // popped in reverse); huge parts: one run at a time, a part a week.
        for (bytes, parts) in [(1, vec![3, 2, 1, 0]), (RECORD_BUDGET, vec![0, 1, 2, 3])] {
            let mut sink = Keep(Vec::new());
            run_recorded(0..3, job, |_| Weeks(Vec::new(), bytes), &mut sink).unwrap();
            assert_eq!(sink.0.len(), 3);
            for (i, (j, got, weeks)) in sink.0.iter().enumerate() {
                assert_eq!(*j, i);
                assert_eq!(*got, parts);
                let want = simulate(&p, &timeline, i as u64).unwrap();
                assert_eq!(weeks.len(), want.len());
                for (a, b) in weeks.iter().zip(&want) {
                    assert_eq!(format!("{a:?}"), format!("{b:?}"));
                }
            }
        }
    }

    /// Runs of several arms that share their replicates' seeds, as `run`
    /// and `sweep` make them, run in parallel chunks copying each other's
    /// populations: each gives the bits of the same run on its own.
    #[test]
    fn arms_that_share_seeds_give_the_bits_of_runs_on_their_own() {
        let timeline = Timeline::default();
        let arm = |k: usize| {
            let mut p = ModelParams {
                employees: 300,
                weeks: 4,
                ..ModelParams::default()
            };
            p.levers.adoption_target = 0.3 * k as f64;
            p.levers.leaderboard = crate::params::Leaderboard::Org;
            p
        };
        let reps = 3;
        let job = |i: usize| Job {
            params: arm(i / reps),
            timeline: &timeline,
            seed: (i % reps) as u64,
        };
        let mut sink = Keep(Vec::new());
        run_recorded(0..3 * reps, job, |_| Weeks(Vec::new(), 1), &mut sink).unwrap();
        assert_eq!(sink.0.len(), 3 * reps);
        for (i, (_, _, weeks)) in sink.0.iter().enumerate() {
            let want = simulate(&arm(i / reps), &timeline, (i % reps) as u64).unwrap();
            assert_eq!(format!("{weeks:?}"), format!("{want:?}"), "job {i}");
        }
    }
}
