//! What a batch of runs will need before it starts: memory, to refuse a
//! batch that cannot fit (an allocation failure would abort the process
//! after minutes of work, with nothing written), and a rough time, to say
//! what a large batch will take.
//!
//! Memory is the engine's state for the simulations alive at once
//! ([`crate::model::estimated_run_bytes`]) plus the results held until
//! they are written, and the recordings (agent rows) a chunk of runs holds
//! before they are written ([`chunking`], which the batch runner follows).
//! Batches of large runs (from [`LARGE_RUN`] employees, or recording more
//! than [`RECORD_BUDGET`] each) run one simulation at a time, each using
//! every thread, so their peak is one simulation, not several per thread.
//!
//! The batch runner also keeps the populations its runs drew, for later
//! runs with the same seed (crate::model::Populations), up to
//! [`POPULATION_BUDGET`] bytes.
//!
//! Disk: a file that grows with the batch (agents.csv) is estimated up
//! front and checked against the free space where it will be written.

use crate::model::metrics::WeekMetrics;
use crate::model::{estimated_population_bytes, estimated_run_bytes};
use crate::params::ModelParams;
use std::fmt;
use std::path::Path;

/// Employees from which a run holds enough memory (about 100 MB) that
/// batches run such runs one at a time; each then keeps every thread busy
/// on its own (about 2,000 blocks), and the peak is one simulation.
/// Smaller runs go in parallel, which overlaps their weekly merges.
pub const LARGE_RUN: usize = 1_000_000;

/// Agent-weeks per second per thread assumed for time estimates: the
/// single-thread figure of `goodhart bench` at N = 100,000 on the slower
/// of the machines in docs/PERFORMANCE.md (an Intel Xeon, about 8-10 M/s).
pub const AGENT_WEEKS_PER_THREAD_SECOND: f64 = 8e6;

/// Bytes of one weekly.csv or runs.csv row held in memory before writing
/// (19 metrics in shortest round-trip form and the identifying columns).
const CSV_ROW_BYTES: u64 = 500;

/// Bytes of recordings (agent rows) the runs of one chunk may hold in
/// memory before they are written; a run recording more runs on its own.
pub const RECORD_BUDGET: u64 = 256 << 20;

/// Bytes of drawn populations a batch keeps for its later runs with the
/// same seeds ([`crate::model::Populations`]): 3,000 populations of 1,000
/// employees, 10 of 300,000, or 1 of 3 million.
pub const POPULATION_BUDGET: u64 = 128 << 20;

/// Bytes of the populations a batch of `runs` runs of `params` keeps: as
/// many as fit in [`POPULATION_BUDGET`] (none if one does not).
fn held_population_bytes(params: &ModelParams, runs: usize) -> u64 {
    let one = estimated_population_bytes(params);
    if one == 0 || one > POPULATION_BUDGET {
        return 0;
    }
    (runs as u64).min(POPULATION_BUDGET / one) * one
}

/// Bytes a run's recording holds: the whole run's, and the largest part
/// taken after one week (what a run on its own holds at once).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordSize {
    pub run: u64,
    pub part: u64,
}

/// How the batch runner goes through runs of one size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunking {
    /// Chunks of this many runs in parallel, held until the chunk is done.
    Parallel(usize),
    /// One run at a time, using every thread, its recording handed over
    /// week by week.
    OneByOne,
}

/// How runs of `params` recording `size` go with `threads` threads: four
/// runs per thread (at least 8) a chunk, fewer if their recordings would
/// exceed [`RECORD_BUDGET`]; one at a time from [`LARGE_RUN`] employees or
/// when one run's recording exceeds the budget.
pub fn chunking(params: &ModelParams, size: RecordSize, threads: usize) -> Chunking {
    if params.employees >= LARGE_RUN || size.run > RECORD_BUDGET {
        return Chunking::OneByOne;
    }
    let runs = (threads.max(1) * 4).max(8);
    let fit = RECORD_BUDGET
        .checked_div(size.run)
        .map_or(runs, |n| (n as usize).max(1));
    Chunking::Parallel(runs.min(fit))
}

/// The simulations of a batch alive at once with `threads` threads.
pub fn concurrent_runs(params: &ModelParams, runs: usize, threads: usize) -> usize {
    match chunking(params, RecordSize::default(), threads) {
        Chunking::OneByOne => 1,
        Chunking::Parallel(_) => runs.clamp(1, 4 * threads.max(1)),
    }
}

/// What a batch of runs needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Peak bytes of simulation state.
    pub simulation_bytes: u64,
    /// Bytes of results held in memory until written.
    pub result_bytes: u64,
    /// Bytes of recordings (agent rows) a chunk holds until written.
    pub record_bytes: u64,
    /// Bytes of drawn populations kept for later runs.
    pub population_bytes: u64,
    /// Agent-weeks to simulate.
    pub agent_weeks: f64,
    pub threads: usize,
}

impl Estimate {
    /// A batch of `runs` runs of `params` (the largest run of a sweep)
    /// that keeps `rows_held` result rows of every metric in memory.
    pub fn new(params: &ModelParams, runs: usize, rows_held: u64, threads: usize) -> Estimate {
        Estimate::recording(params, runs, rows_held, threads, RecordSize::default())
    }

    /// As [`Estimate::new`], each run also recording `size` (agent rows),
    /// held a chunk at a time as the batch runner holds them.
    pub fn recording(
        params: &ModelParams,
        runs: usize,
        rows_held: u64,
        threads: usize,
        size: RecordSize,
    ) -> Estimate {
        let alive = concurrent_runs(params, runs, threads) as u64;
        let row = std::mem::size_of::<WeekMetrics>() as u64 + CSV_ROW_BYTES;
        let record_bytes = match chunking(params, size, threads) {
            Chunking::OneByOne => size.part,
            Chunking::Parallel(chunk) => size.run.saturating_mul(chunk.min(runs) as u64),
        };
        Estimate {
            simulation_bytes: alive.saturating_mul(estimated_run_bytes(params, threads)),
            result_bytes: rows_held.saturating_mul(row),
            record_bytes,
            population_bytes: held_population_bytes(params, runs),
            agent_weeks: runs as f64 * params.employees as f64 * params.weeks as f64,
            threads,
        }
    }

    pub fn bytes(&self) -> u64 {
        self.simulation_bytes
            .saturating_add(self.result_bytes)
            .saturating_add(self.record_bytes)
            .saturating_add(self.population_bytes)
    }

    /// Seconds the batch should take at [`AGENT_WEEKS_PER_THREAD_SECOND`]
    /// on as many threads as there are cores for them.
    pub fn seconds(&self) -> f64 {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let busy = self.threads.clamp(1, cores);
        self.agent_weeks / (AGENT_WEEKS_PER_THREAD_SECOND * busy as f64)
    }

    /// Refuses the batch if it needs more than `available` bytes.
    pub fn check(&self, available: Option<u64>) -> Result<(), ResourceError> {
        match available {
            Some(avail) if self.bytes() > avail => Err(ResourceError::Memory {
                estimate: self.clone(),
                available: avail,
            }),
            _ => Ok(()),
        }
    }

    /// Whether the batch is large enough to announce its estimate.
    pub fn is_large(&self) -> bool {
        self.seconds() > 10.0 || self.bytes() > 1 << 30
    }
}

impl fmt::Display for Estimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "about {} of memory and {} on {} threads",
            bytes_text(self.bytes()),
            duration_text(self.seconds()),
            self.threads
        )
    }
}

/// A batch that cannot run here.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error(
        "this would need {} of memory ({} of simulation state, {} of results held until written{}{}), but {} are available; nothing was run. Shrink it: fewer employees (--employees), weeks (--weeks) or replicates (--replicates), fewer --threads, {}",
        bytes_text(estimate.bytes()),
        bytes_text(estimate.simulation_bytes),
        bytes_text(estimate.result_bytes),
        if estimate.record_bytes > 0 { format!(", {} of agent rows per chunk", bytes_text(estimate.record_bytes)) } else { String::new() },
        if estimate.population_bytes > 0 { format!(", {} of drawn populations kept for later runs", bytes_text(estimate.population_bytes)) } else { String::new() },
        bytes_text(*available),
        if estimate.record_bytes > 0 { "or fewer weeks in --agents" } else { "or a sweep with record = \"final\"" }
    )]
    Memory { estimate: Estimate, available: u64 },
    #[error(
        "{} would take about {} ({} rows of about {} bytes), but {} has {} free; nothing was run. Shrink it: record fewer weeks (--agents last, or a few weeks such as 0,25,51), fewer employees (--employees) or replicates (--replicates), or write to a disk with more room (--out)",
        file.file,
        bytes_text(file.bytes()),
        count_text(file.rows),
        file.row_bytes,
        location,
        bytes_text(*available)
    )]
    Disk {
        file: FileEstimate,
        location: String,
        available: u64,
    },
}

/// A result file that grows with the batch: its rows and their size.
#[derive(Clone, Debug, PartialEq)]
pub struct FileEstimate {
    pub file: &'static str,
    pub rows: u64,
    /// Average bytes of one row, as written.
    pub row_bytes: u64,
}

impl FileEstimate {
    pub fn bytes(&self) -> u64 {
        self.rows.saturating_mul(self.row_bytes)
    }

    /// Whether the file is large enough to announce.
    pub fn is_large(&self) -> bool {
        self.bytes() > 1 << 30
    }

    /// Refuses the file if it cannot fit in `available` bytes free at
    /// `location`.
    pub fn check(&self, location: &Path, available: Option<u64>) -> Result<(), ResourceError> {
        match available {
            Some(avail) if self.bytes() > avail => Err(ResourceError::Disk {
                file: self.clone(),
                location: location.display().to_string(),
                available: avail,
            }),
            _ => Ok(()),
        }
    }
}

impl fmt::Display for FileEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of about {} ({} rows)",
            self.file,
            bytes_text(self.bytes()),
            count_text(self.rows)
        )
    }
}

/// Bytes free to an unprivileged writer on the file system that holds
/// `path` (or its nearest existing ancestor); `None` where that cannot be
/// read (then nothing is refused).
pub fn available_disk(path: &Path) -> Option<u64> {
    let mut at = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    while !at.exists() {
        at = at
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
    }
    #[cfg(unix)]
    {
        let s = rustix::fs::statvfs(at).ok()?;
        Some(s.f_bavail.saturating_mul(s.f_frsize))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Memory this process can still use: the kernel's estimate of available
/// memory, lowered to what is left under a cgroup limit; `None` where
/// neither can be read (then nothing is refused).
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| {
        let line = s.lines().find(|l| l.starts_with("MemAvailable:"))?;
        line.split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
            .map(|kb| kb * 1024)
    });
    let read = |p: &str| -> Option<u64> { std::fs::read_to_string(p).ok()?.trim().parse().ok() };
    let cgroup = read("/sys/fs/cgroup/memory.max")
        .map(|max| max.saturating_sub(read("/sys/fs/cgroup/memory.current").unwrap_or(0)))
        .or_else(|| {
            read("/sys/fs/cgroup/memory/memory.limit_in_bytes").map(|max| {
                max.saturating_sub(read("/sys/fs/cgroup/memory/memory.usage_in_bytes").unwrap_or(0))
            })
        });
    match (meminfo, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// "1.5 GiB", "640 MiB".
pub fn bytes_text(b: u64) -> String {
    let b = b as f64;
    if b >= (1u64 << 30) as f64 {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    } else {
        format!("{:.0} MiB", (b / (1u64 << 20) as f64).max(1.0))
    }
}

/// "52,000,000".
pub fn count_text(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "40 s", "12 min", "3.5 h".
pub fn duration_text(s: f64) -> String {
    if s < 90.0 {
        format!("{:.0} s", s.max(1.0))
    } else if s < 5400.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hundred_million_employees_do_not_fit_in_a_small_machine() {
        let p = ModelParams {
            employees: 100_000_000,
            ..ModelParams::default()
        };
        let e = Estimate::new(&p, 5, 5 * 52, 2);
        // One simulation at a time, about 100 bytes per employee.
        assert!(e.simulation_bytes > 8_800_000_000 && e.simulation_bytes < 12_000_000_000);
        let err = e.check(Some(4 << 30)).unwrap_err().to_string();
        assert!(
            err.contains("GiB of memory") && err.contains("--employees"),
            "{err}"
        );
        assert!(e.check(Some(64 << 30)).is_ok() && e.check(None).is_ok());
    }

    #[test]
    fn chunks_hold_at_most_the_record_budget() {
        let p = ModelParams::default();
        let size = |run| RecordSize {
            run,
            part: run / 52,
        };
        assert_eq!(chunking(&p, size(0), 2), Chunking::Parallel(8));
        assert_eq!(chunking(&p, size(0), 16), Chunking::Parallel(64));
        assert_eq!(chunking(&p, size(100 << 20), 2), Chunking::Parallel(2));
        assert_eq!(chunking(&p, size(RECORD_BUDGET), 2), Chunking::Parallel(1));
        assert_eq!(chunking(&p, size(RECORD_BUDGET + 1), 2), Chunking::OneByOne);
        // Held per chunk in the estimate: two runs, or one week alone.
        let e = Estimate::recording(&p, 10, 0, 2, size(100 << 20));
        assert_eq!(e.record_bytes, 200 << 20);
        let e = Estimate::recording(&p, 10, 0, 2, size(52 << 30));
        assert_eq!(e.record_bytes, 1 << 30);
        let err = e.check(Some(1 << 30)).unwrap_err().to_string();
        assert!(
            err.contains("1.0 GiB of agent rows per chunk") && err.contains("--agents"),
            "{err}"
        );
    }

    #[test]
    fn a_file_larger_than_the_free_disk_is_refused_with_how_to_shrink_it() {
        let f = FileEstimate {
            file: "agents.csv",
            rows: 52_000_000,
            row_bytes: 300,
        };
        assert!(f.is_large());
        let err = f
            .check(Path::new("out"), Some(10 << 30))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("agents.csv would take about 14.5 GiB (52,000,000 rows of about 300 bytes), but out has 10.0 GiB free")
                && err.contains("--agents last"),
            "{err}"
        );
        assert!(f.check(Path::new("out"), Some(20 << 30)).is_ok());
        // The free space of a directory yet to be made is its parent's.
        let dir = tempfile::tempdir().unwrap();
        let free = available_disk(&dir.path().join("a/b"));
        assert!(cfg!(not(unix)) || free.is_some_and(|b| b > 0));
    }

    #[test]
    fn texts_are_readable() {
        assert_eq!(bytes_text(3 << 29), "1.5 GiB");
        assert_eq!(bytes_text(640 << 20), "640 MiB");
        assert_eq!(duration_text(40.2), "40 s");
        assert_eq!(duration_text(720.0), "12 min");
    }
}
