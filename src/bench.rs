//! Throughput benchmarks of the engine (`goodhart bench`): agent-weeks per
//! second with one thread and with all threads, nanoseconds per
//! agent-week, agent-state bytes per employee and the process's peak
//! memory. Benchmarks report figures; nothing here fails on a timing.

use crate::model::Simulation;
use crate::model::metrics::WeekMetrics;
use crate::model::simd::{self, Level};
use crate::params::registry::{Value, find};
use crate::params::timeline::{Change, Event, Timeline};
use crate::params::{InvalidParams, Leaderboard, MODEL_PARAMS, ModelParams};
use std::time::Instant;

/// The benchmark setting: amazon-2026 (80% target, org board, assurance,
/// some real use, board restricted at week 26) with every other mechanism
/// switched on too (audits, chargeback, token cap, metric filter, top-k).
pub fn bench_params(employees: usize, weeks: usize) -> (ModelParams, Timeline) {
    let mut p = ModelParams {
        employees,
        weeks,
        ..ModelParams::default()
    };
    let l = &mut p.levers;
    l.adoption_target = 0.8;
    l.leaderboard = Leaderboard::Org;
    l.top_k = employees / 20;
    l.assurance = 1.0;
    l.true_eval_weight = 0.1;
    l.audit_rate = 0.05;
    l.chargeback = 0.5;
    l.token_cap = 500.0;
    l.metric_filter = 0.1;
    let t = Timeline {
        events: vec![Event {
            param: find(MODEL_PARAMS, "leaderboard").expect("registered"),
            change: Change::Set {
                week: 26,
                value: Value::Text("manager".into()),
            },
        }],
    };
    (p, t)
}

/// One measurement.
#[derive(Clone, Copy, Debug)]
pub struct Measurement {
    pub employees: usize,
    pub threads: usize,
    pub agent_weeks_per_sec: f64,
    pub ns_per_agent_week: f64,
    /// Agent arrays only.
    pub agent_bytes_per_agent: f64,
    /// All simulation state: agent arrays, team records, shared buffers.
    pub state_bytes_per_agent: f64,
}

/// Runs whole simulations of `employees` x `weeks` on a pool of `threads`
/// threads until at least `min_secs` have passed (at least once), and
/// reports the median throughput of the stepping over those runs
/// (population set-up excluded).
pub fn measure(
    employees: usize,
    weeks: usize,
    threads: usize,
    min_secs: f64,
) -> Result<Measurement, InvalidParams> {
    let (p, t) = bench_params(employees, weeks);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    pool.install(|| {
        // One rate per whole simulation; the median is robust to the
        // occasional run slowed by other work on the machine.
        let mut rates = Vec::new();
        let mut secs = 0.0;
        let (mut agent_bytes, mut bytes) = (0.0, 0.0);
        let mut seed = 1;
        while secs < min_secs || rates.is_empty() {
            let mut sim = Simulation::new(&p, &t, seed)?;
            let start = Instant::now();
            sim.advance(weeks, &mut |_: &Simulation, _: usize, m: &WeekMetrics| {
                std::hint::black_box(m);
            });
            let elapsed = start.elapsed().as_secs_f64();
            secs += elapsed;
            rates.push((employees * weeks) as f64 / elapsed);
            // After stepping, so the workers' buffers are counted too.
            agent_bytes = sim.agent_bytes() as f64 / employees as f64;
            bytes = sim.state_bytes() as f64 / employees as f64;
            seed += 1;
        }
        rates.sort_by(f64::total_cmp);
        let rate = rates[rates.len() / 2];
        Ok(Measurement {
            employees,
            threads,
            agent_weeks_per_sec: rate,
            ns_per_agent_week: 1e9 / rate,
            agent_bytes_per_agent: agent_bytes,
            state_bytes_per_agent: bytes,
        })
    })
}

/// Chooses the weekly step's instruction set by measurement: where the CPU
/// has more than one level with hardware FMA (AVX2 and AVX-512), times a
/// small simulation at each (the best of three runs of 2,048 employees x
/// 8 weeks on one thread, a few milliseconds in all) and caps the step at
/// the fastest. All levels give the same bits, so the choice changes
/// speed only: AVX-512 is not faster on every CPU that has it (lower
/// clock under wide vectors, virtual machines). Returns the timings (ns
/// per agent-week, by level), empty where there was nothing to choose.
pub fn choose_level_by_measurement() -> Vec<(Level, f64)> {
    let candidates: Vec<Level> = [Level::Avx2, Level::Avx512]
        .into_iter()
        .filter(|&l| l <= simd::detected())
        .collect();
    if candidates.len() < 2 {
        return Vec::new();
    }
    let (p, t) = bench_params(2048, 8);
    let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(1).build() else {
        return Vec::new();
    };
    // Everything inside the private pool: touching rayon's global pool
    // here would fix its size before the command sets it (--threads).
    let time = |level: Level| {
        simd::set_cap(level);
        pool.install(|| {
            let mut best = f64::INFINITY;
            for seed in 0..3 {
                let Ok(mut sim) = Simulation::new(&p, &t, seed) else {
                    return f64::INFINITY;
                };
                let start = Instant::now();
                sim.advance(p.weeks, &mut ());
                best = best.min(start.elapsed().as_secs_f64());
            }
            best * 1e9 / (p.employees * p.weeks) as f64
        })
    };
    let timings: Vec<(Level, f64)> = candidates.iter().map(|&l| (l, time(l))).collect();
    let fastest = timings
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(simd::detected(), |&(l, _)| l);
    simd::set_cap(fastest);
    timings
}

/// Peak resident memory of this process so far, in bytes (Linux; None
/// elsewhere).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The CPU's model name (from /proc/cpuinfo), or "unknown".
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
