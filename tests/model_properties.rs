//! Properties of the model that MODEL.md states, checked through the
//! library API: the closed form of the choice, the calibration figures,
//! and the baseline/amazon contrast. Statistical tolerances come from the
//! replicate variance (t intervals), never from guessed constants.

use goodhart::model::metrics::{Metric, WeekMetrics};
use goodhart::model::{rng, simulate};
use goodhart::params::ModelParams;
use goodhart::params::timeline::Timeline;
use goodhart::scenario::Scenario;
use goodhart::stats::{summarise, t_quantile};
use std::path::Path;

fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(name);
    Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// One metric at one week across `reps` replicates.
fn metric_at(
    p: &ModelParams,
    t: &Timeline,
    seed: u64,
    reps: u64,
    week: usize,
    metric: Metric,
) -> Vec<f64> {
    (0..reps)
        .map(|r| simulate(p, t, rng::run_seed(seed, r)).unwrap()[week].get(metric))
        .collect()
}

// ---------------------------------------------------------------------------
// The validation suite of `goodhart check`, at the quick size.

#[test]
fn every_validation_property_holds() {
    let results = goodhart::validation::run_all(goodhart::validation::Size::Quick);
    assert!(results.len() >= 10);
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.pass)
        .map(|r| {
            format!(
                "{}\n  measured: {}\n  expected: {}",
                r.name, r.measured, r.expected
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "failed properties:\n{}",
        failed.join("\n")
    );
}

#[test]
fn the_closed_form_check_is_not_vacuous() {
    // Without noise the engine matches the independent recomputation to
    // the precision of its single-precision choice functions (a few parts
    // in 10^7); with noise it must not, by far (else the check proves
    // nothing).
    let tolerance = goodhart::validation::CLOSED_FORM_TOLERANCE;
    let exact = goodhart::validation::closed_form_deviation();
    let noisy = goodhart::validation::closed_form_deviation_with_noise();
    assert!(exact < tolerance, "{exact:e}");
    assert!(noisy > 500.0 * tolerance, "{noisy:e}");
}

// ---------------------------------------------------------------------------
// Baseline vs amazon-2026.

#[test]
fn baseline_has_almost_no_performative_use() {
    let sc = scenario("baseline.toml");
    let xs = metric_at(
        &sc.params,
        &sc.timeline,
        sc.run.seed,
        5,
        sc.params.weeks - 1,
        Metric::PerformativeShare,
    );
    let s = summarise(&xs);
    assert!(s.ci_high < 0.05, "baseline performative_share {s:?}");
}

#[test]
fn amazon_shows_a_goodhart_gap_well_above_baseline() {
    let amazon = scenario("amazon-2026.toml");
    let base = scenario("baseline.toml");
    let week = 25; // the last week before the leaderboard is restricted
    let gap = metric_at(
        &amazon.params,
        &amazon.timeline,
        7,
        5,
        week,
        Metric::GoodhartGap,
    );
    let gap0 = metric_at(
        &base.params,
        &base.timeline,
        7,
        5,
        week,
        Metric::GoodhartGap,
    );
    let (a, b) = (summarise(&gap), summarise(&gap0));
    // Welch interval for the difference of means (conservative df = n - 1).
    let se = (a.sd.powi(2) / a.n as f64 + b.sd.powi(2) / b.n as f64).sqrt();
    let low = a.mean - b.mean - t_quantile(0.975, 4.0) * se;
    assert!(low > 0.1, "amazon gap {a:?} vs baseline {b:?}");
}

// ---------------------------------------------------------------------------
// Calibration: MODEL.md's reference figures from an independent
// implementation (N = 10,000, 5 seeds, means at week 26). The tolerance is
// 4 standard errors of a difference of two 5-replicate means, the standard
// error estimated from our own replicates (the reference used the same
// design, so its standard error is taken as equal), plus the rounding of
// the published figure.

fn check_reference(sc: &Scenario, reference: &[(Metric, f64)]) {
    let mut p = sc.params.clone();
    p.employees = 10_000;
    let runs: Vec<Vec<WeekMetrics>> = (0..5)
        .map(|r| simulate(&p, &sc.timeline, rng::run_seed(99, r)).unwrap())
        .collect();
    for &(name, want) in reference {
        let xs: Vec<f64> = runs.iter().map(|w| w[26].get(name)).collect();
        let s = summarise(&xs);
        let tol = 4.0 * (2.0f64).sqrt() * s.sd / (s.n as f64).sqrt() + 0.0005 * want.abs().max(1.0);
        assert!(
            (s.mean - want).abs() < tol,
            "{}: {name} = {} (sd {}), reference {want}, tolerance {tol}",
            sc.name,
            s.mean,
            s.sd
        );
    }
}

#[test]
fn baseline_matches_reference_figures() {
    check_reference(
        &scenario("baseline.toml"),
        &[
            (Metric::MeasuredAdoption, 0.682),
            (Metric::ProductiveAdoption, 0.671),
            (Metric::PerformativeShare, 0.007),
            (Metric::TokensPerEmployeeMtok, 26.6),
            (Metric::OutputIndex, 1.165),
        ],
    );
}

#[test]
fn amazon_matches_reference_figures() {
    check_reference(
        &scenario("amazon-2026.toml"),
        &[
            (Metric::MeasuredAdoption, 0.917),
            (Metric::ProductiveAdoption, 0.679),
            (Metric::GoodhartGap, 0.237),
            (Metric::PerformativeShare, 0.252),
            (Metric::TokensPerEmployeeMtok, 59.5),
            (Metric::OutputIndex, 0.969),
            (Metric::MetricValidity, -0.099),
            (Metric::MeanPerceivedSurveillance, 0.598),
        ],
    );
}
