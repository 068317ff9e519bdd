//! What a result directory holds: the identity of its result set (from
//! its manifest), and which of its entries goodhart wrote.

use super::{DirError, io};
use crate::output::OutputError;
use crate::output::io_error;
use crate::results::manifest::Header;
use std::path::Path;

/// What a result set is: its kind (`run`, `sweep`, `sweep shard 2/4`), its
/// scenario and the SHA-256 of the scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub kind: String,
    pub scenario: String,
    pub input_sha256: String,
}

/// The kind of a directory with goodhart's files but no manifest.
const UNFINISHED: &str = "unfinished";

/// Entries goodhart writes into a result directory; anything else is the
/// user's, and a directory holding it is never replaced.
const OWN_ENTRIES: &[&str] = &[
    "weekly.csv",
    "summary.csv",
    "manifest.json",
    "agents.csv",
    "charts",
    "report.html",
    "report.md",
    "points.csv",
    "runs.csv",
    "aggregate.csv",
    "sensitivity.csv",
    // An exploration's own files (crate::sweep::explore, ::discovery).
    "worlds.csv",
    "outcomes.csv",
    "robustness.csv",
    "discovery_trajectory.csv",
    "discovery_boxes.csv",
    // Written inside result directories by goodhart before this module.
    // (Its `slurm/` and `shards/` held scripts and shard results: such a
    // directory is not replaced; they now live in `NAME.slurm/`.)
    "runs.csv.partial",
    "sweep-in-progress.json",
];

/// The list of chart files goodhart wrote into `charts/`, one per line.
pub const CHART_INDEX: &str = ".goodhart-charts";

/// Written into an old set just before it is swapped out: a directory
/// holding it is an old set waiting to be deleted, whatever its name.
pub(super) const REPLACED_MARKER: &str = ".goodhart-replaced";

/// Whether `name` is a temporary file of [`crate::output::AtomicFile`].
pub fn is_temporary(name: &str) -> bool {
    name.starts_with(".goodhart-") && name.ends_with(".tmp")
}

/// Entries of result directory `dir` that goodhart did not write (sorted;
/// `charts/x` for one inside the charts directory).
pub fn foreign_entries(dir: &Path) -> Result<Vec<String>, DirError> {
    let mut foreign = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let name = entry
            .map_err(io(dir))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !(OWN_ENTRIES.contains(&name.as_str()) || name == REPLACED_MARKER || is_temporary(&name))
        {
            foreign.push(name);
        }
    }
    let charts = dir.join("charts");
    if charts.is_dir() {
        let index = std::fs::read_to_string(charts.join(CHART_INDEX)).ok();
        for entry in std::fs::read_dir(&charts).map_err(io(&charts))? {
            let entry = entry.map_err(io(&charts))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let listed = match &index {
                Some(text) => text.lines().any(|l| l == name),
                // Charts of a goodhart before the index: its PNG and SVG files.
                None => name.ends_with(".png") || name.ends_with(".svg"),
            };
            let own = name == CHART_INDEX || is_temporary(&name) || listed;
            if !own || entry.file_type().map_or(true, |t| t.is_dir()) {
                foreign.push(format!("charts/{name}"));
            }
        }
    }
    foreign.sort();
    Ok(foreign)
}

impl Identity {
    /// What the result directory `dir` holds, read from its manifest:
    /// `None` if it has no manifest.
    pub fn of_dir(dir: &Path) -> Result<Option<Identity>, OutputError> {
        let path = dir.join("manifest.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&path, e)),
        };
        let h: Header = serde_json::from_str(&text).map_err(|e| OutputError::Encode {
            path: path.display().to_string(),
            message: format!("not a goodhart manifest ({e})"),
        })?;
        let kind = match (h.kind.as_str(), h.shard) {
            ("sweep", Some(shard)) => format!("sweep shard {shard}"),
            (kind, _) => kind.to_string(),
        };
        Ok(Some(Identity {
            kind,
            scenario: h.scenario,
            input_sha256: h.input_sha256,
        }))
    }

    fn describe(&self) -> String {
        if self.kind == UNFINISHED {
            return "results without a manifest (unfinished, or from an older goodhart)".into();
        }
        let article = if self.kind == "run" { "a run" } else { "a" };
        let kind = if self.kind == "run" {
            String::new()
        } else {
            format!(" {}", self.kind)
        };
        format!("{article}{kind} of scenario `{}`", self.scenario)
    }
}

/// What `target` holds now.
enum Existing {
    Nothing,
    Results(Identity),
    Foreign(Vec<String>),
}

fn existing(target: &Path) -> Result<Existing, DirError> {
    let meta = match std::fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Existing::Nothing),
        Err(e) => return Err(io(target)(e)),
    };
    if !meta.is_dir() {
        return Err(DirError::NotADirectory {
            target: target.display().to_string(),
        });
    }
    let any = std::fs::read_dir(target)
        .map_err(io(target))?
        .next()
        .is_some();
    let foreign = foreign_entries(target)?;
    if !foreign.is_empty() {
        return Ok(Existing::Foreign(foreign));
    }
    match Identity::of_dir(target)? {
        Some(id) => Ok(Existing::Results(id)),
        // Only goodhart's own names, without a manifest: an unfinished
        // result of an older goodhart, or empty.
        None if any => Ok(Existing::Results(Identity {
            kind: UNFINISHED.into(),
            scenario: "unknown".into(),
            input_sha256: String::new(),
        })),
        None => Ok(Existing::Nothing),
    }
}

/// Checks that a set of `new`'s identity may replace what `target` holds.
pub(super) fn check_replaceable(
    target: &Path,
    new: &Identity,
    force: bool,
) -> Result<(), DirError> {
    match existing(target)? {
        Existing::Nothing => Ok(()),
        Existing::Foreign(entries) => {
            let shown: Vec<&str> = entries.iter().take(3).map(String::as_str).collect();
            let more = if entries.len() > 3 {
                format!(" and {} more", entries.len() - 3)
            } else {
                String::new()
            };
            Err(DirError::Foreign {
                target: target.display().to_string(),
                entries: format!("{}{more}", shown.join(", ")),
            })
        }
        Existing::Results(old)
            if force || (old.kind == new.kind && old.scenario == new.scenario) =>
        {
            Ok(())
        }
        Existing::Results(old) => Err(DirError::Other {
            target: target.display().to_string(),
            existing: old.describe(),
            new: new.describe(),
        }),
    }
}
