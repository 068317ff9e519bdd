//! goodhart: an agent-based simulator of incentive dynamics around AI
//! adoption at work (reference model TM-1).
//!
//! Layers, each depending only on the ones before it:
//! `params` (typed, validated parameters and their registry) ->
//! `scenario` (TOML files -> parameters, with located errors) ->
//! `model` (the pure engine: no files, no printing, no global RNG) ->
//! `stats` (replicate summaries) -> `output` (CSV, manifest, atomic files)
//! -> `cli` (commands; the only layer that prints).

pub mod cli;
pub mod experiment;
pub mod model;
pub mod output;
pub mod params;
pub mod scenario;
pub mod stats;
