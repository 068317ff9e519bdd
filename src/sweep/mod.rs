//! Parameter sweeps: designs, streaming execution with resume and shards,
//! aggregation, sensitivity analysis and merging.
//!
//! A [`Plan`] fixes everything a sweep computes: the base scenario, the
//! design points, the replicates and the master seed. Run (point p,
//! replicate r) uses the base parameters with point p's values and seed
//! `rng::run_seed(master, r)`, so replicate r shares its random numbers
//! across points (common random numbers). Runs are ordered point-major,
//! and every output file is a function of the plan alone: the same bytes
//! for any thread count, shard split or interruption.

pub mod analysis;
pub mod design;
pub mod discovery;
pub mod explore;
pub mod files;
pub mod merge;
pub mod runner;
pub mod slurm;

use crate::model::rng;
use crate::params::ModelParams;
use crate::params::registry::Value;
use crate::params::timeline::Timeline;
use crate::scenario::explore_spec::ExploreSpec;
use crate::scenario::sweep_spec::{Record, SweepSpec};
use crate::scenario::{Scenario, Variant};
use design::Point;
use std::ops::Range;

/// Errors of sweep commands.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Output(#[from] crate::output::OutputError),
    #[error(transparent)]
    Dir(#[from] crate::output::resultdir::DirError),
    #[error(transparent)]
    Params(#[from] crate::params::InvalidParams),
    #[error(transparent)]
    Read(#[from] crate::results::ReadError),
    #[error("{path}: {message}")]
    Corrupt { path: String, message: String },
}

/// Which part of a sweep's points a process runs: `index` of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N` with 0 <= I < N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?} is not a shard: use I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The contiguous block of point ids this shard runs.
    pub fn points(&self, total: usize) -> Range<usize> {
        let at = |i: usize| (i as u128 * total as u128 / self.count as u128) as usize;
        at(self.index)..at(self.index + 1)
    }
}

/// Everything a sweep computes, fixed before any run.
#[derive(Clone, Debug)]
pub struct Plan {
    pub scenario: Scenario,
    /// The swept parameters and their design (for an exploration: its
    /// uncertainties, worlds as samples, its replicates).
    pub spec: SweepSpec,
    /// The design's points (for an exploration: its worlds; see
    /// [`Plan::point`] and [`Plan::point_count`]).
    pub points: Vec<Point>,
    /// An exploration's table and explored arms; `None` for a sweep.
    pub explore: Option<Exploration>,
}

/// What makes a plan an exploration: every explored policy (an arm of
/// the scenario) in every sampled world. Point p is world
/// `p / arms.len()` under policy `arms[p % arms.len()]`, so a world's
/// policies are neighbours in every file and every shard boundary.
#[derive(Clone, Debug)]
pub struct Exploration {
    pub spec: ExploreSpec,
    pub arms: Vec<Variant>,
}

impl Plan {
    /// Builds the plan of a scenario's `[sweep]` or `[explore]` table.
    pub fn new(scenario: &Scenario) -> Result<Plan, SweepError> {
        if scenario.explore.is_some() {
            return explore::plan(scenario);
        }
        let spec = scenario.sweep.clone().ok_or_else(|| {
            SweepError::Invalid(format!(
                "scenario `{}` has no [sweep] table: add one (see scenarios/target-visibility-sweep.toml) or use `goodhart run`",
                scenario.name
            ))
        })?;
        let points = design::points(&spec, scenario.run.seed);
        Plan {
            scenario: scenario.clone(),
            spec,
            points,
            explore: None,
        }
        .checked()
    }

    /// The plan itself, once every point keeps the rules between
    /// parameters.
    fn checked(self) -> Result<Plan, SweepError> {
        let plan = self;
        // The parser checks the domains' extremes; this catches points
        // that break a rule after command-line overrides.
        for p in 0..plan.point_count() {
            if let Some(c) = plan.params(p).conflicts().first() {
                return Err(SweepError::Invalid(format!(
                    "sweep point {p} breaks a rule between parameters: {}; {}",
                    c.message, c.help
                )));
            }
        }
        Ok(plan)
    }

    pub fn replicates(&self) -> usize {
        self.spec.replicates
    }

    pub fn record(&self) -> Record {
        self.spec.record
    }

    /// Parameters of point `p`: the base's (an exploration's: its
    /// policy's) with the point's values. A population attribute's value
    /// in an exploration is the centre of its distribution.
    pub fn params(&self, p: usize) -> ModelParams {
        let mut params = match &self.explore {
            Some(e) => e.arms[p % e.arms.len()].params.clone(),
            None => self.scenario.params.clone(),
        };
        for (sp, v) in self.spec.params.iter().zip(&self.point(p).values) {
            match (v, (sp.def.get)(&params)) {
                (Value::Real(c), Value::Dist(d)) => {
                    sp.def
                        .set_checked(&mut params, &Value::Dist(d.with_centre(*c)));
                }
                _ => sp.def.set_checked(&mut params, v),
            }
        }
        params
    }

    /// The number of points: the design's, or for an exploration every
    /// world under every policy.
    pub fn point_count(&self) -> usize {
        match &self.explore {
            Some(e) => self.points.len() * e.arms.len(),
            None => self.points.len(),
        }
    }

    /// Point `p`'s values (for an exploration, its world's: the worlds'
    /// values are held once, not once per policy).
    pub fn point(&self, p: usize) -> &Point {
        match &self.explore {
            Some(e) => &self.points[p / e.arms.len()],
            None => &self.points[p],
        }
    }

    /// The timeline of point `p`: the base's, or its policy's.
    pub fn timeline(&self, p: usize) -> &Timeline {
        match &self.explore {
            Some(e) => &e.arms[p % e.arms.len()].timeline,
            None => &self.scenario.timeline,
        }
    }

    /// The word for what this plan is in messages and manifests.
    pub fn kind(&self) -> &'static str {
        if self.explore.is_some() {
            "explore"
        } else {
            "sweep"
        }
    }

    /// The parameters of the point in `points` with the most agent-weeks
    /// (for memory and time estimates).
    pub fn largest_params(&self, points: Range<usize>) -> ModelParams {
        points
            .map(|p| self.params(p))
            .max_by_key(|p| p.employees as u128 * p.weeks as u128)
            .unwrap_or_else(|| self.scenario.params.clone())
    }

    /// Seed of replicate `r` (the same at every point).
    pub fn seed(&self, r: usize) -> u64 {
        rng::run_seed(self.scenario.run.seed, r as u64)
    }

    /// Rows that run (p, r) writes to `runs.csv`.
    pub fn rows_per_run(&self, p: usize) -> usize {
        self.spec.rows_per_run(self.params(p).weeks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_points() {
        for total in [0, 1, 7, 100] {
            for count in 1..6 {
                let mut next = 0;
                for index in 0..count {
                    let r = Shard { index, count }.points(total);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(
            Shard::parse("4/4").is_err()
                && Shard::parse("x").is_err()
                && Shard::parse("0/0").is_err()
        );
    }
}
