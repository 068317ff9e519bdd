//! Scenario files: TOML in, validated [`Scenario`] out.
//!
//! A scenario is what a policy analyst edits: optional `name` and
//! `description`, then the tables `[run]`, `[organisation]`, `[policy]`,
//! `[behaviour]`, `[population]` and a `[[timeline]]` array of events.
//! Every key is optional and defaults to MODEL.md; unknown keys are errors.
//! Parsing keeps byte spans so that each error names file:line:column.

pub mod error;
pub mod explore_spec;
mod parse;
pub mod sweep_spec;
pub mod template;

pub use error::{Diagnostic, ScenarioError};
/// The name of the base arm (the scenario as written) in result files.
pub use parse::variants::BASE as BASE_ARM;

use crate::params::registry::{self, Value};
use crate::params::timeline::Timeline;
use crate::params::{MODEL_PARAMS, ModelParams, RUN_SETTINGS, RunSettings};
use sha2::{Digest, Sha256};
use std::path::Path;

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Short name used for the output directory and the `scenario` column.
    pub name: String,
    /// The question the scenario answers (its `description` key).
    pub description: String,
    pub params: ModelParams,
    pub run: RunSettings,
    pub timeline: Timeline,
    /// Named policy alternatives, in file order (`[variants.NAME]`).
    pub variants: Vec<Variant>,
    /// The `[sweep]` table, if any.
    pub sweep: Option<sweep_spec::SweepSpec>,
    /// The `[explore]` table, if any.
    pub explore: Option<explore_spec::ExploreSpec>,
    /// SHA-256 of the file's bytes, hex encoded.
    pub input_sha256: String,
    /// The file's text (sweep manifests embed it so that results can be
    /// re-analysed without the original file).
    pub text: String,
}

/// A named alternative to the base scenario: same organisation, run
/// settings and seeds, other levers or timeline.
#[derive(Clone, Debug)]
pub struct Variant {
    pub name: String,
    pub description: String,
    pub params: ModelParams,
    pub timeline: Timeline,
}

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: shown.clone(),
            source,
        })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("scenario");
        Scenario::parse(&text, &shown, stem)
    }

    /// Validates scenario text. `path` is used in messages, `default_name`
    /// when the file has no `name` key.
    pub fn parse(text: &str, path: &str, default_name: &str) -> Result<Scenario, ScenarioError> {
        parse::parse(text, default_name).map_err(|diagnostics| ScenarioError::Invalid {
            path: path.to_string(),
            text: text.to_string(),
            diagnostics,
        })
    }
}

impl Scenario {
    /// The base scenario (named `base`) followed by its variants: the arms
    /// that `goodhart run` compares.
    pub fn arms(&self) -> Vec<Variant> {
        let base = Variant {
            name: parse::variants::BASE.to_string(),
            description: self.description.clone(),
            params: self.params.clone(),
            timeline: self.timeline.clone(),
        };
        std::iter::once(base)
            .chain(self.variants.iter().cloned())
            .collect()
    }

    /// Overrides one parameter or run setting by name (command-line flags),
    /// checking the value against the registry's allowed range.
    pub fn set(&mut self, name: &str, value: Value) -> Result<(), String> {
        let flag = |p: registry::Problem| format!("--{name} {value}: {}; {}", p.message, p.help);
        if let Some(def) = registry::find(RUN_SETTINGS, name) {
            def.set(&mut self.run, &value).map_err(flag)?;
        } else if let Some(def) = registry::find(MODEL_PARAMS, name) {
            def.set(&mut self.params, &value).map_err(flag)?;
            // Variants share the organisation of the base.
            if def.section == registry::Section::Organisation {
                for v in &mut self.variants {
                    def.set_checked(&mut v.params, &value);
                }
            }
        } else {
            return Err(format!("unknown parameter `{name}`"));
        }
        Ok(())
    }

    /// Checks the base, every variant and their timelines as the engine
    /// will (`ModelParams::validate`, `Timeline::validate`): the parser
    /// reports these problems at their keys, this is for values changed
    /// after parsing (command-line flags).
    pub fn check_consistency(&self) -> Result<(), String> {
        for arm in self.arms() {
            let checked = arm
                .params
                .validate()
                .and_then(|()| arm.timeline.validate(&arm.params));
            if let Err(e) = checked {
                let arm_name = if arm.name == parse::variants::BASE {
                    String::new()
                } else {
                    format!(" (variant `{}`)", arm.name)
                };
                return Err(format!("{}{arm_name}", e.problems.join("; ")));
            }
        }
        Ok(())
    }
}

/// Lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
