//! goodhart: an agent-based simulator of incentive dynamics around AI
//! adoption at work (reference model TM-1).
//!
//! Layers, each depending only on the ones before it:
//! `params` (typed, validated parameters and their registry) ->
//! `scenario` (TOML files -> parameters, with located errors) ->
//! `model` (the pure engine: no files, no printing, no global RNG) ->
//! `stats` (replicate summaries) -> `output` (CSV, manifest, atomic files)
//! -> `cli` (commands; the only layer that prints).
//!
//! Running the model from Rust:
//!
//! ```
//! use goodhart::model::{rng, simulate, timeline::Timeline};
//! use goodhart::params::{Leaderboard, ModelParams};
//!
//! let mut p = ModelParams { employees: 200, weeks: 20, ..ModelParams::default() };
//! p.levers.adoption_target = 0.8;
//! p.levers.leaderboard = Leaderboard::Org;
//! let weeks = simulate(&p, &Timeline::default(), rng::run_seed(1, 0));
//! assert_eq!(weeks.len(), 20);
//! let last = weeks.last().unwrap();
//! assert!(last.measured_adoption >= last.productive_adoption);
//! ```
//!
//! Loading a scenario file gives the same parameters the CLI uses:
//!
//! ```
//! let sc = goodhart::scenario::Scenario::parse(
//!     "[policy]\nadoption_target = 0.8\n", "inline.toml", "inline").unwrap();
//! assert_eq!(sc.params.levers.adoption_target, 0.8);
//! ```

pub mod bench;
pub mod catalogue;
pub mod charts;
pub mod cli;
pub mod experiment;
pub mod model;
pub mod output;
pub mod params;
pub mod report;
pub mod resources;
pub mod scenario;
pub mod sensitivity;
pub mod stats;
pub mod sweep;
pub mod validation;
