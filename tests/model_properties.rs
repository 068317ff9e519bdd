//! Properties of the model that MODEL.md states, checked through the
//! library API: the closed form of the choice, the calibration figures,
//! and the baseline/amazon contrast. Statistical tolerances come from the
//! replicate variance (t intervals), never from guessed constants.

use goodhart::model::metrics::WeekMetrics;
use goodhart::model::timeline::Timeline;
use goodhart::model::{AgentSnapshot, Simulation, rng, simulate};
use goodhart::params::{Leaderboard, ModelParams, Neighbourhood};
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
    name: &str,
) -> Vec<f64> {
    let k = WeekMetrics::NAMES.iter().position(|n| *n == name).unwrap();
    (0..reps)
        .map(|r| simulate(p, t, rng::run_seed(seed, r))[week].values()[k])
        .collect()
}

// ---------------------------------------------------------------------------
// Closed form: with no value noise the allocation target is exactly the
// softmax of the option values. The values are recomputed here from
// MODEL.md's equations, independently of the engine's code.

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn ncdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// Mean and floored population sd of ln(Tm + eps) over `xs`.
fn log_moments(xs: impl Iterator<Item = f64> + Clone, eps: f64) -> (f64, f64) {
    let n = xs.clone().count() as f64;
    let m = xs.clone().map(|t| (t + eps).ln()).sum::<f64>() / n;
    let v = xs.map(|t| ((t + eps).ln() - m).powi(2)).sum::<f64>() / n;
    (m, v.sqrt().max(0.1))
}

/// MODEL.md steps 2-5 for every agent, from a snapshot of last week.
fn expected_values(p: &ModelParams, agents: &[AgentSnapshot]) -> Vec<[f64; 3]> {
    let l = &p.levers;
    let b = &p.behaviour;
    let eps = b.token_floor;
    let n = agents.len();
    let (v_v, e_v, team_ref) = match l.leaderboard {
        Leaderboard::None => (0.0, 0.0, false),
        Leaderboard::SelfOnly => (b.status_weight_self, 0.0, false),
        Leaderboard::Manager => (b.status_weight_manager, 1.0, true),
        Leaderboard::Team => (b.status_weight_team, 1.0, true),
        Leaderboard::Org => (b.status_weight_org, 1.0, false),
    };
    let org = log_moments(agents.iter().map(|a| a.measured_tokens), eps);
    let org_g: f64 = agents.iter().map(|a| a.performative).sum();
    let c_tok = l.price_usd_per_mtok / b.value_per_output_usd;
    agents
        .iter()
        .map(|a| {
            let team: Vec<&AgentSnapshot> = agents.iter().filter(|x| x.team == a.team).collect();
            let adoption = team
                .iter()
                .filter(|x| x.measured_tokens >= l.active_threshold)
                .count() as f64
                / team.len() as f64;
            let tau = l.adoption_target;
            let pressure = b.pressure_base
                + if tau > 0.0 {
                    b.target_pressure + b.pressure_per_gap * (tau - adoption).max(0.0)
                } else {
                    0.0
                };
            let stake = b.stake * pressure;
            let (m_g, s_g) = if team_ref {
                log_moments(team.iter().map(|x| x.measured_tokens), eps)
            } else {
                org
            };
            let gbar = match p.neighbourhood {
                Neighbourhood::Team if team.len() > 1 => {
                    (team.iter().map(|x| x.performative).sum::<f64>() - a.performative)
                        / (team.len() - 1) as f64
                }
                Neighbourhood::Org if n > 1 => (org_g - a.performative) / (n - 1) as f64,
                _ => 0.0,
            };
            let pi = a.alpha / (a.alpha + a.beta);
            let rank = |t: f64| ncdf(((t + eps).ln() - m_g) / s_g);
            let phi = |t: f64| {
                let bar = if tau > 0.0 {
                    b.bar_weight * logistic((t - l.active_threshold) / b.bar_softness)
                } else {
                    0.0
                };
                let mut v = pi * stake * (bar + (1.0 - b.bar_weight) * e_v * rank(t))
                    + a.status_drive * v_v * rank(t);
                if l.leaderboard == Leaderboard::Org && l.top_k > 0 {
                    let q_top = 1.0 - l.top_k as f64 / n as f64;
                    v += a.status_drive
                        * v_v
                        * b.top_k_bonus
                        * logistic((rank(t) - q_top) / b.top_k_softness);
                }
                v
            };
            let kp = a.productive_intensity;
            let kg = b.performative_multiplier * kp;
            let cap = l.token_cap;
            [
                a.ability + phi(0.0),
                a.ability * (1.0 + a.ai_speedup) + phi(kp.min(cap)) - l.chargeback * c_tok * kp,
                phi(((1.0 - l.metric_filter) * kg).min(cap))
                    - l.chargeback * c_tok * kg
                    - a.gaming_aversion
                    + b.habit_weight * a.habit
                    + a.conformity * gbar
                    - l.audit_rate * l.audit_detection * l.audit_penalty,
            ]
        })
        .collect()
}

fn check_closed_form(p: &ModelParams) {
    let mut sim = Simulation::new(p, &Timeline::default(), 42);
    for _ in 0..3 {
        sim.step();
    }
    let before = sim.agents();
    let values = expected_values(p, &before);
    sim.step();
    let after = sim.agents();
    let (lambda, eta) = (p.behaviour.rationality, p.behaviour.adjustment_rate);
    let mut worst: f64 = 0.0;
    for ((old, new), v) in before.iter().zip(&after).zip(&values) {
        let top = v[0].max(v[1]).max(v[2]);
        let e = v.map(|x| (lambda * (x - top)).exp());
        let s: f64 = e.iter().sum();
        let want_p = (1.0 - eta) * old.productive + eta * e[1] / s;
        let want_g = (1.0 - eta) * old.performative + eta * e[2] / s;
        worst = worst
            .max((new.productive - want_p).abs())
            .max((new.performative - want_g).abs());
    }
    assert!(
        worst < 1e-12,
        "allocation departs from softmax of values by {worst:e}"
    );
}

#[test]
fn without_noise_allocation_target_is_softmax_of_values() {
    let mut p = ModelParams {
        employees: 203,
        ..ModelParams::default()
    };
    p.behaviour.choice_noise = 0.0;
    p.levers.adoption_target = 0.8;
    p.levers.assurance = 1.0;
    p.levers.true_eval_weight = 0.1;
    p.levers.chargeback = 0.5;
    p.levers.audit_rate = 0.1;
    p.levers.metric_filter = 0.3;
    p.levers.token_cap = 150.0;
    for board in [
        Leaderboard::Org,
        Leaderboard::Manager,
        Leaderboard::SelfOnly,
        Leaderboard::None,
    ] {
        p.levers.leaderboard = board;
        p.levers.top_k = if board == Leaderboard::Org { 20 } else { 0 };
        check_closed_form(&p);
    }
    p.neighbourhood = Neighbourhood::Org;
    check_closed_form(&p);
}

#[test]
fn noise_moves_allocations_away_from_the_closed_form() {
    // The check above would pass vacuously if value shocks were never
    // applied; with noise the closed form must fail.
    let p = ModelParams {
        employees: 64,
        ..ModelParams::default()
    };
    let result = std::panic::catch_unwind(|| check_closed_form(&p));
    assert!(result.is_err(), "noise had no effect on choices");
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
        "performative_share",
    );
    let s = summarise(&xs);
    assert!(s.ci_high < 0.05, "baseline performative_share {s:?}");
}

#[test]
fn amazon_shows_a_goodhart_gap_well_above_baseline() {
    let amazon = scenario("amazon-2026.toml");
    let base = scenario("baseline.toml");
    let week = 25; // the last week before the leaderboard is restricted
    let gap = metric_at(&amazon.params, &amazon.timeline, 7, 5, week, "goodhart_gap");
    let gap0 = metric_at(&base.params, &base.timeline, 7, 5, week, "goodhart_gap");
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

fn check_reference(sc: &Scenario, reference: &[(&str, f64)]) {
    let mut p = sc.params.clone();
    p.employees = 10_000;
    let runs: Vec<Vec<WeekMetrics>> = (0..5)
        .map(|r| simulate(&p, &sc.timeline, rng::run_seed(99, r)))
        .collect();
    for &(name, want) in reference {
        let k = WeekMetrics::NAMES.iter().position(|n| *n == name).unwrap();
        let xs: Vec<f64> = runs.iter().map(|w| w[26].values()[k]).collect();
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
            ("measured_adoption", 0.682),
            ("productive_adoption", 0.671),
            ("performative_share", 0.007),
            ("tokens_per_employee_mtok", 26.6),
            ("output_index", 1.165),
        ],
    );
}

#[test]
fn amazon_matches_reference_figures() {
    check_reference(
        &scenario("amazon-2026.toml"),
        &[
            ("measured_adoption", 0.917),
            ("productive_adoption", 0.679),
            ("goodhart_gap", 0.237),
            ("performative_share", 0.252),
            ("tokens_per_employee_mtok", 59.5),
            ("output_index", 0.969),
            ("metric_validity", -0.099),
            ("mean_perceived_surveillance", 0.598),
        ],
    );
}
