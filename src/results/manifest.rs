//! `manifest.json`: what a result directory holds and how it was made,
//! one typed record per kind of result. Both embed the scenario file's
//! text, so the scenario (and with it the parameters and timeline the
//! runs used) can be rebuilt exactly from the results alone.

use super::{FORMAT_VERSION, ReadError};
use crate::params::registry::Value;
use crate::params::timeline::{Change, Event};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The fields every manifest starts with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The version of the result files' layout ([`FORMAT_VERSION`]);
    /// missing in files of goodhart before it was introduced.
    #[serde(default)]
    pub format_version: u32,
    pub goodhart_version: String,
    /// The commit goodhart was built from ("unknown" outside a git
    /// checkout; missing in files of goodhart before it was recorded).
    #[serde(default)]
    pub goodhart_commit: String,
    /// `run` or `sweep` (missing in run manifests of the first versions).
    #[serde(default = "run_kind")]
    pub kind: String,
    pub scenario: String,
    #[serde(default)]
    pub input_sha256: String,
    /// `I/N` for one shard of a sweep.
    #[serde(default)]
    pub shard: Option<String>,
}

/// The commit this goodhart was built from (see build.rs).
pub const COMMIT: &str = env!("GOODHART_COMMIT");

impl Header {
    /// The header of a result set this goodhart writes now.
    pub fn new(kind: &str, scenario: &str, input_sha256: &str, shard: Option<String>) -> Header {
        Header {
            format_version: FORMAT_VERSION,
            goodhart_version: env!("CARGO_PKG_VERSION").into(),
            goodhart_commit: COMMIT.into(),
            kind: kind.into(),
            scenario: scenario.into(),
            input_sha256: input_sha256.into(),
            shard,
        }
    }

    /// "0.1.0 (commit 1a2b3c4d5e6f)", or the version alone when the commit
    /// is not known.
    pub fn version_text(&self) -> String {
        match self.goodhart_commit.as_str() {
            "" | "unknown" => self.goodhart_version.clone(),
            c => format!("{} (commit {c})", self.goodhart_version),
        }
    }
}

fn run_kind() -> String {
    "run".into()
}

/// A timeline event as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub param: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub week: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<serde_json::Value>,
    /// (from week, to week, start value, end value).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ramp: Option<(usize, usize, f64, f64)>,
}

impl From<&Event> for EventRecord {
    fn from(e: &Event) -> Self {
        match &e.change {
            Change::Set { week, value } => EventRecord {
                param: e.param.name.to_string(),
                week: Some(*week),
                value: Some(json_of(value)),
                ramp: None,
            },
            Change::Ramp {
                from_week,
                to_week,
                start,
                end,
            } => EventRecord {
                param: e.param.name.to_string(),
                week: None,
                value: None,
                ramp: Some((*from_week, *to_week, *start, *end)),
            },
        }
    }
}

/// A parameter value as JSON: numbers as numbers, words and distributions
/// as text (infinity, an unlimited cap, as "inf").
pub fn json_of(v: &Value) -> serde_json::Value {
    match v {
        Value::Real(x) if !x.is_finite() => serde_json::Value::String(x.to_string()),
        Value::Dist(d) => serde_json::Value::String(d.to_string()),
        other => serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
    }
}

/// A variant as recorded: what it changes from the base, and its timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantRecord {
    pub name: String,
    pub description: String,
    pub changes: serde_json::Map<String, serde_json::Value>,
    pub timeline: Vec<EventRecord>,
}

/// The manifest of `goodhart run`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunManifest {
    #[serde(flatten)]
    pub header: Header,
    pub description: String,
    pub input_file: String,
    pub command_line: Vec<String>,
    pub master_seed: u64,
    pub replicates: usize,
    pub run_seeds: Vec<u64>,
    pub employees: usize,
    pub weeks: usize,
    /// Every parameter by its scenario name, words and distributions as
    /// written in a scenario file.
    pub parameters: serde_json::Map<String, serde_json::Value>,
    pub timeline: Vec<EventRecord>,
    pub variants: Vec<VariantRecord>,
    /// The weeks after which agents.csv recorded every employee (`run
    /// --agents`), in order; absent when it was not written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agent_weeks: Vec<usize>,
    pub files: Vec<String>,
    pub scenario_toml: String,
}

/// A swept parameter's domain as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamRecord {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub values: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub low: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub high: Option<f64>,
}

/// The manifest of `goodhart sweep` (and of one shard of a sweep). It
/// holds no command line or time, so a merged sweep's manifest equals the
/// unsharded one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepManifest {
    #[serde(flatten)]
    pub header: Header,
    pub description: String,
    pub design: String,
    pub parameters: Vec<ParamRecord>,
    pub samples: usize,
    pub levels: usize,
    pub replicates: usize,
    pub record: String,
    pub bootstrap: usize,
    pub master_seed: u64,
    pub employees: usize,
    pub weeks: usize,
    pub points: usize,
    pub runs: usize,
    pub base_parameters: serde_json::Map<String, serde_json::Value>,
    pub files: Vec<String>,
    pub scenario_toml: String,
}

/// Reads `dir/manifest.json` as a `T`, refusing files of an older layout
/// with a message that says so.
pub fn read<T: serde::de::DeserializeOwned>(dir: &Path) -> Result<T, ReadError> {
    let path = dir.join("manifest.json");
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|source| ReadError::Io {
        path: shown.clone(),
        source,
    })?;
    let header: Header = serde_json::from_str(&text).map_err(|e| ReadError::Invalid {
        path: shown.clone(),
        message: format!("not a goodhart manifest ({e})"),
    })?;
    if header.format_version != FORMAT_VERSION {
        return Err(ReadError::Old {
            path: dir.display().to_string(),
            found: header.format_version,
        });
    }
    serde_json::from_str(&text).map_err(|e| ReadError::Invalid {
        path: shown,
        message: e.to_string(),
    })
}

/// The scenario a manifest embeds, with the settings the runs used where
/// command-line flags changed the file's (`--seed`, `--employees`,
/// `--weeks`, `--replicates`).
fn scenario(
    header: &Header,
    toml: &str,
    settings: [(&str, u64); 4],
    dir: &Path,
) -> Result<Scenario, ReadError> {
    let invalid = |message: String| ReadError::Invalid {
        path: dir.join("manifest.json").display().to_string(),
        message,
    };
    let mut sc = Scenario::parse(toml, "manifest.json (scenario_toml)", &header.scenario)
        .map_err(|e| invalid(e.to_string()))?;
    for (name, v) in settings {
        sc.set(name, Value::Int(v as i64)).map_err(invalid)?;
    }
    Ok(sc)
}

/// The scenario behind a manifest of results in `dir`.
macro_rules! scenario_of {
    ($($m:ty),*) => {$(
        impl $m {
            /// The scenario the runs used, with their settings.
            pub fn scenario(&self, dir: &Path) -> Result<Scenario, ReadError> {
                scenario(
                    &self.header,
                    &self.scenario_toml,
                    [
                        ("seed", self.master_seed),
                        ("employees", self.employees as u64),
                        ("weeks", self.weeks as u64),
                        ("replicates", self.replicates as u64),
                    ],
                    dir,
                )
            }
        }
    )*};
}

scenario_of!(RunManifest, SweepManifest);
