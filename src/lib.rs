//! goodhart: an agent-based simulator of incentive dynamics around AI
//! adoption at work (reference model TM-1).
//!
//! Layers, each depending only on those below it:
//!
//! - `params`: typed, validated parameters, their registry, distributions
//!   with portable samplers, and the policy timeline (the model's whole
//!   input); `stats`: replicate summaries;
//! - `scenario` (TOML files -> parameters, with located errors) and
//!   `model` (the pure engine: no files, no printing, no environment, no
//!   global random state; it refuses invalid parameters) side by side;
//! - `results` (the result files' typed rows and manifests), `resources`
//!   (memory and time of a batch), `sensitivity`, `prim` (scenario
//!   discovery), `bench`;
//! - `batch` (the one runner of many runs), then `experiment` (a
//!   scenario's arms and replicates);
//! - `output` (writing result files; result directories);
//! - `sweep` (designs, streaming, shards, merge), `validation`,
//!   `catalogue`;
//! - `charts`, then `report`;
//! - `cli`, the only layer that prints, reads environment variables or
//!   knows clap.
//!
//! Running the model from Rust:
//!
//! ```
//! use goodhart::model::{rng, simulate};
//! use goodhart::params::timeline::Timeline;
//! use goodhart::params::{Leaderboard, ModelParams};
//!
//! let mut p = ModelParams { employees: 200, weeks: 20, ..ModelParams::default() };
//! p.levers.adoption_target = 0.8;
//! p.levers.leaderboard = Leaderboard::Org;
//! let weeks = simulate(&p, &Timeline::default(), rng::run_seed(1, 0))?;
//! assert_eq!(weeks.len(), 20);
//! let last = weeks.last().unwrap();
//! assert!(last.measured_adoption >= last.productive_adoption);
//!
//! // Invalid parameters are refused with the scenario layer's words.
//! p.behaviour.stake = -1.0;
//! let e = simulate(&p, &Timeline::default(), 1).unwrap_err();
//! assert!(e.to_string().contains("`stake`: -1 is out of range"));
//! # Ok::<(), goodhart::params::InvalidParams>(())
//! ```
//!
//! Watching a run week by week (agent snapshots, custom recorders) goes
//! through one loop, [`model::Simulation::advance`], and an
//! [`model::Observer`]:
//!
//! ```
//! use goodhart::model::{AgentRecorder, Simulation};
//! use goodhart::params::{ModelParams, timeline::Timeline};
//!
//! let p = ModelParams { employees: 50, weeks: 10, ..ModelParams::default() };
//! let mut sim = Simulation::new(&p, &Timeline::default(), 7)?;
//! let mut agents = AgentRecorder { at: vec![4, 9], ..AgentRecorder::default() };
//! sim.run_observed(&mut agents);
//! assert_eq!(agents.snapshots.len(), 2);
//! assert_eq!(agents.snapshots[1].1.len(), 50);
//! # Ok::<(), goodhart::params::InvalidParams>(())
//! ```
//!
//! Runs that differ only in their levers and share a seed (the arms of an
//! experiment, the points of a sweep) draw the same population; a
//! [`model::Populations`] cache lets later runs copy it, with the same
//! results as drawing it again:
//!
//! ```
//! use goodhart::model::{Populations, Simulation};
//! use goodhart::params::{ModelParams, timeline::Timeline};
//!
//! let populations = Populations::new(64 << 20);
//! for target in [0.5, 0.8] {
//!     let mut p = ModelParams { employees: 50, weeks: 10, ..ModelParams::default() };
//!     p.levers.adoption_target = target;
//!     let t = Timeline::default();
//!     let shared = Simulation::with_populations(&p, &t, 7, &populations)?.run();
//!     assert_eq!(format!("{shared:?}"), format!("{:?}", Simulation::new(&p, &t, 7)?.run()));
//! }
//! assert_eq!(populations.len(), 1);
//! # Ok::<(), goodhart::params::InvalidParams>(())
//! ```
//!
//! Loading a scenario file gives the same parameters the CLI uses:
//!
//! ```
//! let sc = goodhart::scenario::Scenario::parse(
//!     "[policy]\nadoption_target = 0.8\n", "inline.toml", "inline").unwrap();
//! assert_eq!(sc.params.levers.adoption_target, 0.8);
//! ```

pub mod batch;
pub mod bench;
pub mod catalogue;
pub mod charts;
pub mod cli;
pub mod experiment;
pub mod fastmath;
pub mod model;
pub mod output;
pub mod params;
pub mod prim;
pub mod report;
pub mod resources;
pub mod results;
pub mod scenario;
pub mod sensitivity;
pub mod serve;
pub mod stats;
pub mod sweep;
pub mod validation;
