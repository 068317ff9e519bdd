//! Criterion benchmarks of the engine: one week of the amazon-2026 setting
//! with every mechanism on (the `goodhart bench` setting) at several sizes,
//! and a small sweep through the streaming runner. Run with `cargo bench`.
//! They report figures; no test fails on a timing.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use goodhart::bench::bench_params;
use goodhart::model::Simulation;
use goodhart::model::metrics::WeekMetrics;
use goodhart::scenario::Scenario;
use goodhart::sweep::{Plan, Shard, runner};
use std::hint::black_box;

fn weekly_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("weekly_step");
    for n in [1_000, 10_000, 100_000] {
        let (p, t) = bench_params(n, 52);
        let mut sim = Simulation::new(&p, &t, 1).unwrap();
        sim.advance(10, &mut ());
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                if sim.week() >= p.weeks {
                    sim = Simulation::new(&p, &t, 1).unwrap();
                }
                sim.advance(1, &mut |_: &Simulation, _: usize, m: &WeekMetrics| {
                    black_box(m);
                })
            })
        });
    }
    group.finish();
}

fn small_sweep(c: &mut Criterion) {
    let text = r#"
[organisation]
employees = 1000
weeks = 20
[policy]
leaderboard = "org"
assurance = 1.0
[sweep]
design = "grid"
replicates = 2
[sweep.parameters]
adoption_target = [0.0, 0.5, 0.8, 0.9]
stake = [2.0, 4.0]
"#;
    let sc = Scenario::parse(text, "bench.toml", "bench").expect("valid scenario");
    let plan = Plan::new(&sc).expect("sweep plan");
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.throughput(Throughput::Elements(
        (plan.points.len() * 2 * 1000 * 20) as u64,
    ));
    group.bench_function("grid_8x2_1000x20", |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            runner::execute(&plan, dir.path(), Shard::WHOLE, false, &mut |_, _| {})
                .expect("sweep runs")
        })
    });
    group.finish();
}

criterion_group!(benches, weekly_step, small_sweep);
criterion_main!(benches);
