//! The rows of an exploration's own files (beside the sweep files it
//! shares: `points.csv`, `runs.csv`, `aggregate.csv`): `outcomes.csv`
//! (each objective's replicate mean per world and policy, with its regret
//! and whether it meets its threshold), `robustness.csv` (per policy and
//! objective, the distribution over worlds with confidence intervals) and
//! the scenario discovery files `discovery_trajectory.csv` (PRIM's
//! peeling and pasting steps) and `discovery_boxes.csv` (each box's
//! limits per restricted parameter with quasi-p values).

use serde::{Deserialize, Serialize};

/// `outcomes.csv`: one objective of one policy in one world.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRow {
    pub world: usize,
    pub policy: String,
    /// The objective's metric (its column name).
    pub objective: String,
    /// Replicates averaged.
    pub n: usize,
    /// The replicates' mean of the metric (at the explored statistic).
    pub value: f64,
    /// How much worse than the best policy in this world (>= 0, in the
    /// metric's unit; 0 for the best).
    pub regret: f64,
    /// Whether the value meets the objective's threshold (empty without
    /// one).
    pub meets_threshold: Option<bool>,
    /// Whether the policy meets every threshold in this world.
    pub satisficing: bool,
}

/// `robustness.csv`: one objective of one policy over all worlds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobustnessRow {
    pub policy: String,
    pub objective: String,
    /// "minimise" or "maximise".
    pub sense: String,
    pub threshold: Option<f64>,
    pub worlds: usize,
    /// Mean over worlds and its 95% t interval.
    pub mean: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Percentiles over worlds.
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
    /// Regret against the best policy in each world: mean (95% t
    /// interval) and maximum over worlds.
    pub regret_mean: f64,
    pub regret_ci_low: f64,
    pub regret_ci_high: f64,
    pub regret_max: f64,
    /// Share of worlds where this objective meets its threshold (empty
    /// without one).
    pub meets_share: Option<f64>,
    /// Share of worlds where the policy meets every threshold, with its
    /// Wilson 95% interval (the same on each of the policy's rows).
    pub satisficing_share: f64,
    pub satisficing_ci_low: f64,
    pub satisficing_ci_high: f64,
}

/// `discovery_trajectory.csv`: one step of PRIM's peeling and pasting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrajectoryRow {
    pub policy: String,
    /// The failure condition, as text.
    pub failure: String,
    /// Which search of the covering (1 for the first box).
    pub search: usize,
    pub step: usize,
    /// "initial", "peel" or "paste".
    pub kind: String,
    pub coverage: f64,
    pub density: f64,
    pub mass: f64,
    pub restricted: usize,
    /// Whether this step is the box chosen from this search.
    pub chosen: bool,
}

/// `discovery_boxes.csv`: one restricted parameter of one box.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxRow {
    pub policy: String,
    pub failure: String,
    /// The box's number (1 first).
    pub r#box: usize,
    pub coverage: f64,
    pub density: f64,
    pub mass: f64,
    pub parameter: String,
    /// The box's limits on the parameter.
    pub lower: f64,
    pub upper: f64,
    /// The parameter's explored range.
    pub range_low: f64,
    pub range_high: f64,
    /// EMA Workbench's quasi-p values of the lower and upper restriction
    /// (empty where that side is not restricted).
    pub qp_lower: Option<f64>,
    pub qp_upper: Option<f64>,
}
