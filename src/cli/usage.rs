//! Flag values checked where clap parses them, so that an out-of-range
//! flag (`--threads 0`, `--shard 3/2`) is bad usage, exit code 2, with
//! clap's wording (`error: invalid value '0' for '--threads <THREADS>':
//! ...`), like a misspelt flag. Whole-number flags that override a
//! parameter take the parameter's range from the registry, so the flag and
//! the scenario file accept the same values.

use crate::params::registry::{self, Kind};
use crate::params::{MODEL_PARAMS, RUN_SETTINGS};
use crate::sweep::Shard;

/// Worker threads goodhart will start: far more than any machine it runs
/// on has cores, and few enough that starting them cannot exhaust the
/// process's resources.
pub const MAX_THREADS: usize = 1024;

/// A command line that is wrong in itself, found after parsing (say
/// `--shards` larger than the sweep has points): exit code 2, like clap's
/// own usage errors.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Returns a [`UsageError`] from the enclosing function unless `cond`.
macro_rules! ensure_usage {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::cli::usage::UsageError(format!($($fmt)+)).into());
        }
    };
}
pub(crate) use ensure_usage;

/// A whole number in `[min, max]`.
fn whole(s: &str, min: u64, max: u64) -> Result<u64, String> {
    let range = if max == u64::MAX {
        format!("a whole number >= {min}")
    } else {
        format!("a whole number in [{min}, {max}]")
    };
    match s.trim().parse::<u64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        Ok(v) => Err(format!("{v} is out of range: use {range}")),
        Err(_) => Err(format!("use {range}")),
    }
}

/// A whole number in the registry range of parameter or run setting `name`.
fn registry_whole(name: &str, s: &str) -> Result<u64, String> {
    let kind = registry::find(MODEL_PARAMS, name)
        .map(|d| d.kind)
        .or_else(|| registry::find(RUN_SETTINGS, name).map(|d| d.kind));
    match kind {
        Some(Kind::Integer { min, max }) => whole(s, min.max(0) as u64, max.max(0) as u64),
        _ => whole(s, 0, u64::MAX),
    }
}

pub fn threads(s: &str) -> Result<usize, String> {
    whole(s, 1, MAX_THREADS as u64).map(|v| v as usize)
}

pub fn employees(s: &str) -> Result<usize, String> {
    registry_whole("employees", s).map(|v| v as usize)
}

pub fn weeks(s: &str) -> Result<usize, String> {
    registry_whole("weeks", s).map(|v| v as usize)
}

pub fn replicates(s: &str) -> Result<usize, String> {
    registry_whole("replicates", s).map(|v| v as usize)
}

pub fn seed(s: &str) -> Result<u64, String> {
    registry_whole("seed", s)
}

/// At least one, at most a million (shards, CPUs per task).
pub fn positive(s: &str) -> Result<usize, String> {
    whole(s, 1, 1_000_000).map(|v| v as usize)
}

/// `I/N` with 0 <= I < N.
pub fn shard(s: &str) -> Result<Shard, String> {
    Shard::parse(s)
}

/// A Slurm time limit, HH:MM:SS.
pub fn slurm_time(s: &str) -> Result<String, String> {
    let parts: Vec<&str> = s.split(':').collect();
    let ok = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    if ok {
        Ok(s.to_string())
    } else {
        Err("use HH:MM:SS, e.g. 01:30:00".into())
    }
}

/// Seconds: a number in [0, 3600].
pub fn seconds(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..=3600.0).contains(&v) => Ok(v),
        _ => Err("use a number of seconds in [0, 3600]".into()),
    }
}

/// The weeks of `run --agents`: a comma list of week numbers and `last`,
/// or `all`. Their range is known only with the scenario
/// ([`AgentWeeks::resolve`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentWeeks {
    All,
    /// Week numbers, with `None` for `last`, as given.
    List(Vec<Option<usize>>),
}

pub fn agent_weeks(s: &str) -> Result<AgentWeeks, String> {
    let help = "use week numbers and `last` separated by commas (e.g. 0,25,51 or last), or `all`";
    let mut list = Vec::new();
    let mut all = false;
    for word in s.split(',').map(str::trim) {
        match word {
            "all" => all = true,
            "last" => list.push(None),
            "" => return Err(format!("an empty week in {s:?}: {help}")),
            w => match w.parse::<usize>() {
                Ok(n) => list.push(Some(n)),
                Err(_) => return Err(format!("{w:?} is not a week: {help}")),
            },
        }
    }
    Ok(if all {
        AgentWeeks::All
    } else {
        AgentWeeks::List(list)
    })
}

impl AgentWeeks {
    /// The chosen weeks of a run of `weeks` weeks, in order without
    /// repeats; a week beyond the run is named with the run's range.
    pub fn resolve(&self, weeks: usize) -> Result<Vec<usize>, UsageError> {
        let last = weeks.saturating_sub(1);
        let mut out = match self {
            AgentWeeks::All => (0..weeks).collect(),
            AgentWeeks::List(list) => {
                let mut out = Vec::with_capacity(list.len());
                for w in list {
                    let w = w.unwrap_or(last);
                    if w >= weeks {
                        return Err(UsageError(format!(
                            "--agents: week {w} is beyond the run, whose weeks are 0 to {last} (`last` is {last})"
                        )));
                    }
                    out.push(w);
                }
                out
            }
        };
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_take_the_registry_ranges() {
        assert_eq!(employees("1000"), Ok(1000));
        assert!(employees("0").unwrap_err().contains("[1, 100000000]"));
        assert!(employees("100000001").is_err());
        assert!(threads("0").is_err() && threads("1025").is_err() && threads("x").is_err());
        assert_eq!(threads("2"), Ok(2));
        assert!(seed("9223372036854775808").is_err());
        assert!(shard("3/2").is_err());
        assert!(slurm_time("1:00").is_err() && slurm_time("01:00:00").is_ok());
        assert!(seconds("-1").is_err() && seconds("nan").is_err() && seconds("inf").is_err());
    }

    #[test]
    fn agent_weeks_are_a_list_of_weeks_and_last_or_all() {
        let w = |s: &str| agent_weeks(s).and_then(|a| a.resolve(52).map_err(|e| e.0));
        assert_eq!(w("0,25,51"), Ok(vec![0, 25, 51]));
        assert_eq!(w("last"), Ok(vec![51]));
        assert_eq!(w(" 51, last ,3"), Ok(vec![3, 51]));
        assert_eq!(w("all").map(|v| v.len()), Ok(52));
        assert_eq!(w("1,all").map(|v| v.len()), Ok(52));
        for bad in ["", "1,,2", "x", "-1", "1.5", "first"] {
            let e = agent_weeks(bad).unwrap_err();
            assert!(e.contains("e.g. 0,25,51"), "{bad}: {e}");
        }
        let e = w("0,52").unwrap_err();
        assert!(
            e.contains("week 52 is beyond the run, whose weeks are 0 to 51"),
            "{e}"
        );
    }
}
