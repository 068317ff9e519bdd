//! What a batch of runs will need before it starts: memory, to refuse a
//! batch that cannot fit (an allocation failure would abort the process
//! after minutes of work, with nothing written), and a rough time, to say
//! what a large batch will take.
//!
//! Memory is the engine's state for the simulations alive at once
//! ([`crate::model::estimated_run_bytes`]) plus the results held until
//! they are written. Batches of large runs (from [`LARGE_RUN`] employees)
//! run one simulation at a time, each using every thread, so their peak
//! is one simulation, not several per thread.

use crate::model::estimated_run_bytes;
use crate::model::metrics::WeekMetrics;
use crate::params::ModelParams;
use std::fmt;

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

/// The simulations of a batch alive at once with `threads` threads.
pub fn concurrent_runs(params: &ModelParams, runs: usize, threads: usize) -> usize {
    if params.employees >= LARGE_RUN {
        1
    } else {
        runs.clamp(1, 4 * threads.max(1))
    }
}

/// What a batch of runs needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Peak bytes of simulation state.
    pub simulation_bytes: u64,
    /// Bytes of results held in memory until written.
    pub result_bytes: u64,
    /// Agent-weeks to simulate.
    pub agent_weeks: f64,
    pub threads: usize,
}

impl Estimate {
    /// A batch of `runs` runs of `params` (the largest run of a sweep)
    /// that keeps `rows_held` result rows of every metric in memory.
    pub fn new(params: &ModelParams, runs: usize, rows_held: u64, threads: usize) -> Estimate {
        let alive = concurrent_runs(params, runs, threads) as u64;
        let row = std::mem::size_of::<WeekMetrics>() as u64 + CSV_ROW_BYTES;
        Estimate {
            simulation_bytes: alive.saturating_mul(estimated_run_bytes(params, threads)),
            result_bytes: rows_held.saturating_mul(row),
            agent_weeks: runs as f64 * params.employees as f64 * params.weeks as f64,
            threads,
        }
    }

    pub fn bytes(&self) -> u64 {
        self.simulation_bytes.saturating_add(self.result_bytes)
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
        "this would need {} of memory ({} of simulation state, {} of results held until written), but {} are available; nothing was run. Shrink it: fewer employees (--employees), weeks (--weeks) or replicates (--replicates), fewer --threads, or a sweep with record = \"final\"",
        bytes_text(estimate.bytes()),
        bytes_text(estimate.simulation_bytes),
        bytes_text(estimate.result_bytes),
        bytes_text(*available)
    )]
    Memory { estimate: Estimate, available: u64 },
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
    fn texts_are_readable() {
        assert_eq!(bytes_text(3 << 29), "1.5 GiB");
        assert_eq!(bytes_text(640 << 20), "640 MiB");
        assert_eq!(duration_text(40.2), "40 s");
        assert_eq!(duration_text(720.0), "12 min");
    }
}
