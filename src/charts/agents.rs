//! Charts of `agents.csv` (`goodhart run --agents`): what the organisation
//! metrics hide about who does what. The distribution of tokens per
//! employee by arm; performative share and output by decile of
//! `ai_speedup` and of `status_drive`; and the change of performative
//! share by decile across a timeline event, when agents were recorded on
//! both sides of it. Deciles are formed within each replicate and then
//! averaged over replicates, with 95% CIs; arms share their seeds, so
//! they hold the same employees.
//!
//! [`agent_charts`] builds every chart a run directory's agents.csv
//! supports (none without agents.csv); they are drawn like any other
//! chart with [`super::render`], on the shared plot frame (`frame.rs`).

mod build;
mod data;
mod deciles;
mod tokens;

pub use build::agent_charts;
pub use data::{AgentData, Attribute, Ci};

use super::Chart;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The distribution of tokens used per employee, one curve per arm
/// (replicates pooled), on a log axis, with each arm's median.
pub struct TokenDistribution {
    pub scenario: String,
    pub week: usize,
    pub replicates: usize,
    /// The usage bar (`active_threshold`) of the base arm that week, when
    /// it has an adoption target.
    pub bar: Option<f64>,
    /// (arm, tokens of every employee of every replicate).
    pub arms: Vec<(String, Vec<f64>)>,
}

/// Performative share and output per employee by decile of an attribute,
/// one line per arm with 95% CI whiskers.
pub struct DecileChart {
    pub scenario: String,
    pub attribute: Attribute,
    pub week: usize,
    pub replicates: usize,
    /// The attribute's mean in each decile (base arm, over replicates).
    pub means: Vec<f64>,
    /// (arm, performative share by decile, output by decile), the
    /// intervals cut to what the values can be (shares in [0, 1], output
    /// not below 0).
    pub arms: Vec<(String, Vec<Ci>, Vec<Ci>)>,
}

/// The change of performative share from a week before a timeline event
/// to a week after it, by decile of ai_speedup and of status_drive.
pub struct BeforeAfter {
    pub scenario: String,
    /// What the event sets, e.g. `leaderboard = manager`.
    pub event: String,
    pub event_week: usize,
    pub before: usize,
    pub after: usize,
    pub replicates: usize,
    /// Which arms (by index) have the event; the others show the change
    /// over the same weeks without it, for comparison.
    pub with_event: Vec<bool>,
    /// One panel per attribute that varies.
    pub panels: Vec<ChangePanel>,
}

/// (attribute, decile means, [(arm, change of performative share by
/// decile)]), the changes' intervals cut to [-1, 1].
pub type ChangePanel = (Attribute, Vec<f64>, Vec<(String, Vec<Ci>)>);

/// Every agent chart kind, so that they can be listed and rendered.
pub enum AgentChart {
    Tokens(TokenDistribution),
    Deciles(DecileChart),
    BeforeAfter(BeforeAfter),
}

impl Chart for AgentChart {
    fn stem(&self) -> String {
        match self {
            AgentChart::Tokens(c) => c.stem(),
            AgentChart::Deciles(c) => c.stem(),
            AgentChart::BeforeAfter(c) => c.stem(),
        }
    }

    fn title(&self) -> String {
        match self {
            AgentChart::Tokens(c) => c.title(),
            AgentChart::Deciles(c) => c.title(),
            AgentChart::BeforeAfter(c) => c.title(),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        match self {
            AgentChart::Tokens(c) => c.draw(root),
            AgentChart::Deciles(c) => c.draw(root),
            AgentChart::BeforeAfter(c) => c.draw(root),
        }
    }
}
