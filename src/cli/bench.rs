//! `goodhart bench`: engine throughput and memory figures.

use crate::bench::{measure, peak_rss_bytes};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Population sizes [default: 1000 10000 100000 1000000].
    #[arg(long, num_args = 1.., value_parser = super::usage::employees)]
    pub employees: Vec<usize>,
    /// Weeks per run.
    #[arg(long, default_value_t = 52, value_parser = super::usage::weeks)]
    pub weeks: usize,
    /// Threads for the parallel measurement [default: all cores].
    #[arg(long, value_parser = super::usage::threads)]
    pub threads: Option<usize>,
    /// Minimum seconds of stepping per measurement.
    #[arg(long, default_value_t = 1.0, value_parser = super::usage::seconds)]
    pub min_secs: f64,
    /// Time the explorer's answer to a slider move instead: amazon-2026
    /// (1,000 employees x 52 weeks x 5 replicates x 3 arms) with a new
    /// adoption target each time, from the request to the JSON with its
    /// charts; prints p50, p95 and the slowest of 40.
    #[arg(long)]
    pub explorer: bool,
}

/// The explorer's latency: what `POST /api/run` does for a slider move.
fn explorer() -> anyhow::Result<()> {
    let base = include_str!("../../scenarios/amazon-2026.toml");
    // What the page asks for: the last week of the metrics it tabulates.
    let detail = crate::serve::api::Detail::from_request(
        serde_json::json!({"metrics": crate::serve::api::PAGE_METRICS, "series": "last"})
            .as_object()
            .ok_or_else(|| anyhow::anyhow!("not an object"))?,
    )
    .map_err(|r| anyhow::anyhow!(r.message))?;
    let mut times = Vec::new();
    for i in 0..40 {
        let mut set = serde_json::Map::new();
        set.insert(
            "adoption_target".into(),
            serde_json::json!(0.5 + 0.01 * i as f64),
        );
        let started = std::time::Instant::now();
        let text =
            crate::serve::api::compose(base, &set).map_err(|r| anyhow::anyhow!(r.message))?;
        let sc = crate::serve::api::scenario(&text).map_err(|r| anyhow::anyhow!(r.message))?;
        let json = crate::serve::api::run(&sc, &detail).map_err(|r| anyhow::anyhow!(r.message))?;
        let bytes = serde_json::to_vec(&json)?.len();
        times.push(started.elapsed().as_secs_f64() * 1e3);
        if i == 0 {
            say!(
                "explorer: amazon-2026, 1000 employees x 52 weeks x 5 replicates x 3 arms; answer {:.0} KiB",
                bytes as f64 / 1024.0
            );
        }
    }
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    say!(
        "explorer: slider move to answer (simulation, statistics, 2 SVG charts, JSON) over {} moves: p50 {:.1} ms, p95 {:.1} ms, slowest {:.1} ms ({} threads, CPU: {})",
        times.len(),
        q(0.5),
        q(0.95),
        q(1.0),
        rayon::current_num_threads(),
        crate::bench::cpu_model()
    );
    Ok(())
}

/// Which instruction set the weekly step runs and why.
fn instruction_set() -> String {
    use crate::model::simd;
    let level = simd::level().name();
    let fma = if simd::has_fma() {
        ""
    } else {
        " (no hardware FMA: the unfused path)"
    };
    if std::env::var_os("GOODHART_SIMD").is_some() {
        return format!("weekly step on {level}{fma}, capped by GOODHART_SIMD");
    }
    match super::LEVEL_TIMINGS.get().filter(|t| !t.is_empty()) {
        Some(timings) => {
            let measured: Vec<String> = timings
                .iter()
                .map(|(l, ns)| format!("{} {ns:.1} ns/agent-week", l.name()))
                .collect();
            format!(
                "weekly step on {level}, the fastest measured ({}; GOODHART_SIMD caps it)",
                measured.join(", ")
            )
        }
        None => {
            format!("weekly step on {level}{fma}, the widest this CPU has (GOODHART_SIMD caps it)")
        }
    }
}

pub(crate) fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    if args.explorer {
        return explorer();
    }
    let sizes = if args.employees.is_empty() {
        vec![1_000, 10_000, 100_000, 1_000_000]
    } else {
        args.employees.clone()
    };
    let all = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // Every size must fit before any is measured.
    for &n in &sizes {
        let (p, _) = crate::bench::bench_params(n, args.weeks);
        crate::resources::Estimate::new(&p, 1, args.weeks as u64, all)
            .check(crate::resources::available_memory())?;
    }
    say!(
        "goodhart bench: amazon-2026 with every mechanism on, {} weeks per run, release build expected (cargo run --release)",
        args.weeks,
    );
    say!("CPU: {}; {}", crate::bench::cpu_model(), instruction_set());
    say!(
        "{:>10}  {:>16}  {:>12}  {:>16}  {:>12}  {:>8}  {:>14}  {:>14}  {:>12}",
        "employees",
        "1 thread Maw/s",
        "ns/aw (1t)",
        format!("{all} threads Maw/s"),
        format!("ns/aw ({all}t)"),
        "speed-up",
        "agent B/empl.",
        "state B/empl.",
        "peak RSS MB"
    );
    for &n in &sizes {
        let one = measure(n, args.weeks, 1, args.min_secs)?;
        let many = measure(n, args.weeks, all, args.min_secs)?;
        let rss = peak_rss_bytes().map_or("n/a".to_string(), |b| format!("{:.0}", b as f64 / 1e6));
        say!(
            "{:>10}  {:>16.2}  {:>12.1}  {:>16.2}  {:>12.1}  {:>8.2}  {:>14.1}  {:>14.1}  {:>12}",
            n,
            one.agent_weeks_per_sec / 1e6,
            one.ns_per_agent_week,
            many.agent_weeks_per_sec / 1e6,
            many.ns_per_agent_week,
            many.agent_weeks_per_sec / one.agent_weeks_per_sec,
            one.agent_bytes_per_agent,
            one.state_bytes_per_agent,
            rss
        );
    }
    say!(
        "Maw/s = million agent-weeks per second; ns/aw = nanoseconds per agent-week (stepping only, set-up excluded)."
    );
    say!(
        "agent B = the per-employee state arrays; state B adds team records and shared buffers (Gini histograms, per-thread scratch not counted)."
    );
    say!("peak RSS is the process's high-water mark so far (sizes run in the order given).");
    Ok(())
}
