//! The `[sweep]` table of a scenario: which parameters to vary, over what
//! domains, with which experimental design.

use crate::params::ModelParams;
use crate::params::registry::{ParamDef, Value};

/// Experimental designs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Design {
    /// Every combination of the listed values.
    Grid,
    /// Latin hypercube: `samples` points, one per stratum of each parameter.
    Lhs,
    /// Saltelli's scheme on a scrambled Sobol sequence: `samples` base
    /// samples, `samples * (k + 2)` points, for first- and total-order
    /// indices.
    Sobol,
    /// Morris elementary effects: `samples` trajectories of k + 1 points on
    /// a grid of `levels` levels.
    Morris,
}

impl Design {
    pub const WORDS: &'static [&'static str] = &["grid", "lhs", "sobol", "morris"];

    pub fn word(self) -> &'static str {
        Self::WORDS[self as usize]
    }

    pub fn from_word(w: &str) -> Option<Design> {
        [Design::Grid, Design::Lhs, Design::Sobol, Design::Morris]
            .into_iter()
            .find(|d| d.word() == w)
    }
}

/// What a swept parameter ranges over.
#[derive(Clone, Debug, PartialEq)]
pub enum Domain {
    /// Listed values (grid levels, categories, discrete choices).
    Values(Vec<Value>),
    /// A continuous interval (sampling designs only).
    Range { low: f64, high: f64 },
}

/// One swept parameter.
#[derive(Clone, Debug)]
pub struct SweepParam {
    pub def: &'static ParamDef<ModelParams>,
    pub domain: Domain,
}

/// What each run records in `runs.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// The final week and the run average.
    Final,
    /// Every week and the run average.
    Weekly,
}

impl Record {
    pub fn word(self) -> &'static str {
        match self {
            Record::Final => "final",
            Record::Weekly => "weekly",
        }
    }

    pub fn from_word(w: &str) -> Option<Record> {
        match w {
            "final" => Some(Record::Final),
            "weekly" => Some(Record::Weekly),
            _ => None,
        }
    }
}

/// A validated `[sweep]` table.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    pub design: Design,
    pub params: Vec<SweepParam>,
    /// LHS points, Sobol base samples or Morris trajectories.
    pub samples: usize,
    /// Morris grid levels.
    pub levels: usize,
    /// Replicates per point (common random numbers across points).
    pub replicates: usize,
    pub record: Record,
    /// Bootstrap resamples for sensitivity confidence intervals.
    pub bootstrap: usize,
}

impl SweepSpec {
    /// Number of design points.
    pub fn point_count(&self) -> usize {
        let k = self.params.len();
        match self.design {
            Design::Grid => self
                .params
                .iter()
                .map(|p| match &p.domain {
                    Domain::Values(v) => v.len(),
                    Domain::Range { .. } => 1,
                })
                .product(),
            Design::Lhs => self.samples,
            Design::Sobol => self.samples * (k + 2),
            Design::Morris => self.samples * (k + 1),
        }
    }

    /// Rows per run in `runs.csv` for a run of `weeks` weeks.
    pub fn rows_per_run(&self, weeks: usize) -> usize {
        match self.record {
            Record::Final => 2,
            Record::Weekly => weeks + 2,
        }
    }
}
