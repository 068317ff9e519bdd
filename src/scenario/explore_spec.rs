//! The `[explore]` table of a scenario: robust policy analysis across
//! sampled worlds (exploratory modelling in the manner of the EMA
//! Workbench and RAND's robust decision making).
//!
//! Every policy (the base and its variants, or a subset) runs in every
//! sampled world: a world is one draw of the uncertain behavioural and
//! population parameters (a Latin hypercube or a Sobol sequence over their
//! ranges). Objectives name metrics with a direction and optional
//! satisficing thresholds; `[explore.discovery]` names the policy and the
//! failure condition whose worlds scenario discovery (PRIM) describes.

use super::sweep_spec::SweepParam;

/// How worlds are sampled from the uncertainty ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorldDesign {
    /// Latin hypercube: one world per stratum of every uncertainty.
    Lhs,
    /// The first worlds of an Owen-scrambled Sobol sequence.
    Sobol,
}

impl WorldDesign {
    pub const WORDS: &'static [&'static str] = &["lhs", "sobol"];

    pub fn word(self) -> &'static str {
        Self::WORDS[self as usize]
    }

    pub fn from_word(w: &str) -> Option<WorldDesign> {
        [WorldDesign::Lhs, WorldDesign::Sobol]
            .into_iter()
            .find(|d| d.word() == w)
    }
}

/// Whether an objective wants its metric low or high.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    Minimise,
    Maximise,
}

impl Sense {
    pub fn word(self) -> &'static str {
        match self {
            Sense::Minimise => "minimise",
            Sense::Maximise => "maximise",
        }
    }

    /// Whether `x` meets threshold `t` in this sense (`<=` when
    /// minimising, `>=` when maximising).
    pub fn satisfies(self, x: f64, t: f64) -> bool {
        match self {
            Sense::Minimise => x <= t,
            Sense::Maximise => x >= t,
        }
    }

    /// How much worse `x` is than the best value `best` (never negative).
    pub fn regret(self, x: f64, best: f64) -> f64 {
        match self {
            Sense::Minimise => (x - best).max(0.0),
            Sense::Maximise => (best - x).max(0.0),
        }
    }

    /// The better of two values.
    pub fn better(self, a: f64, b: f64) -> f64 {
        match self {
            Sense::Minimise => a.min(b),
            Sense::Maximise => a.max(b),
        }
    }
}

/// Which value of a run an objective reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// The last simulated week.
    FinalWeek,
    /// The mean over the run's weeks.
    RunAverage,
}

impl At {
    pub fn word(self) -> &'static str {
        match self {
            At::FinalWeek => "final",
            At::RunAverage => "run_average",
        }
    }
}

/// An objective: a metric (its column name), a sense, and optionally the
/// value it must reach for a policy to satisfy it in a world.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    pub metric: String,
    pub sense: Sense,
    pub threshold: Option<f64>,
}

/// A failure condition for scenario discovery: `metric OP value` (OP one
/// of `>`, `>=`, `<`, `<=`) on the replicate mean in a world. A world
/// where the metric is undefined (NaN) counts as failing, as it counts as
/// missing a threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub metric: String,
    pub above: bool,
    /// Whether equality fails too (`>=`, `<=`).
    pub inclusive: bool,
    pub value: f64,
}

impl Condition {
    pub fn holds(&self, x: f64) -> bool {
        match (self.above, self.inclusive) {
            _ if x.is_nan() => true,
            (true, false) => x > self.value,
            (true, true) => x >= self.value,
            (false, false) => x < self.value,
            (false, true) => x <= self.value,
        }
    }

    /// As written: "performative_share > 0.1".
    pub fn text(&self) -> String {
        format!(
            "{} {}{} {}",
            self.metric,
            if self.above { ">" } else { "<" },
            if self.inclusive { "=" } else { "" },
            self.value
        )
    }
}

/// A validated `[explore]` table.
#[derive(Clone, Debug)]
pub struct ExploreSpec {
    pub design: WorldDesign,
    /// Number of sampled worlds.
    pub worlds: usize,
    /// Replicates per policy and world (the same seeds everywhere).
    pub replicates: usize,
    /// The arms to compare (`base` and variant names), in file order.
    pub policies: Vec<String>,
    /// `[explore.policy_grid]`: levers whose every combination of values,
    /// set on the base, is a further policy (named by its settings).
    pub policy_grid: Vec<SweepParam>,
    /// The uncertain parameters and their ranges (a population attribute's
    /// range moves its distribution's centre, see `Dist::with_centre`).
    pub uncertainties: Vec<SweepParam>,
    /// Per uncertainty, the distribution its worlds are drawn from (by
    /// the inverse CDF of the world's unit coordinate), or `None` for
    /// uniform over its range. The range is then the distribution's
    /// (clipped) support.
    pub shapes: Vec<Option<crate::params::dist::Dist>>,
    pub objectives: Vec<Objective>,
    /// Which value of a run the objectives read.
    pub at: At,
    /// The policy whose failures scenario discovery describes (`None`:
    /// the most robust, the one satisficing in the most worlds).
    pub discovery_policy: Option<String>,
    /// What counts as failure (`None`: missing any objective's threshold).
    pub failure: Option<Condition>,
    /// PRIM's density threshold for choosing a box.
    pub density_threshold: f64,
}
