//! Policy properties of MODEL.md, measured with replicated experiments
//! around the amazon-2026 setting (80% target, org-wide leaderboard,
//! assurance 1, true evaluation weight 0.1).

use super::closed_form::decompose;
use super::{PropertyResult, Size, diff_ci, sample, show, show_diff};
use crate::model::metrics::Metric;
use crate::model::rng;
use crate::params::registry::{Value, find};
use crate::params::timeline::{Change, Event, Timeline};
use crate::params::{Leaderboard, MODEL_PARAMS, ModelParams};
use crate::stats::summarise;
use rayon::prelude::*;

fn baseline(size: Size) -> ModelParams {
    ModelParams {
        employees: size.employees(),
        ..ModelParams::default()
    }
}

fn amazon(size: Size) -> ModelParams {
    let mut p = baseline(size);
    p.levers.adoption_target = 0.8;
    p.levers.leaderboard = Leaderboard::Org;
    p.levers.assurance = 1.0;
    p.levers.true_eval_weight = 0.1;
    p
}

fn restrict_at_26() -> Timeline {
    Timeline {
        events: vec![Event {
            param: find(MODEL_PARAMS, "leaderboard").expect("registered"),
            change: Change::Set {
                week: 26,
                value: Value::Text("manager".into()),
            },
        }],
    }
}

pub fn checks(size: Size) -> Vec<PropertyResult> {
    vec![
        no_policy(size),
        target_and_board(size),
        surveillance_alone(size),
        momentum(size),
        audit_threshold(size),
        scoped_permissions(size),
        outcome_metric(size),
        negative_speedup(size),
    ]
}

fn no_policy(size: Size) -> PropertyResult {
    let none = Timeline::default();
    let s = summarise(&sample(
        &baseline(size),
        &none,
        size.replicates(),
        None,
        Metric::PerformativeShare,
    ));
    PropertyResult {
        name: "no target, leaderboard or audits: performative share stays near 0",
        measured: format!("final-week performative share {}", show(&s)),
        expected: "upper 95% CI < 0.05".into(),
        pass: s.ci_high < 0.05,
    }
}

fn target_and_board(size: Size) -> PropertyResult {
    let (none, r) = (Timeline::default(), size.replicates());
    let a = amazon(size);
    let mut target_only = a.clone();
    target_only.levers.leaderboard = Leaderboard::None;
    let measured = summarise(&sample(&a, &none, r, None, Metric::MeasuredAdoption));
    let gap = summarise(&sample(&a, &none, r, None, Metric::GoodhartGap));
    let validity = diff_ci(
        &sample(&a, &none, r, None, Metric::MetricValidity),
        &sample(&target_only, &none, r, None, Metric::MetricValidity),
    );
    PropertyResult {
        name: "target + org board: measured adoption >= target, productive clearly lower, validity below target alone",
        measured: format!(
            "measured {}; gap {}; validity minus target-alone {}",
            show(&measured),
            show(&gap),
            show_diff(validity)
        ),
        expected: "measured lower CI >= 0.8; gap lower CI > 0.05; validity difference upper CI < 0"
            .into(),
        pass: measured.ci_low >= a.levers.adoption_target && gap.ci_low > 0.05 && validity.2 < 0.0,
    }
}

fn surveillance_alone(size: Size) -> PropertyResult {
    let (none, r) = (Timeline::default(), size.replicates());
    let mut board = amazon(size);
    board.levers.true_eval_weight = 0.0;
    let mut no_board = board.clone();
    no_board.levers.leaderboard = Leaderboard::None;
    let d = diff_ci(
        &sample(&board, &none, r, None, Metric::PerformativeShare),
        &sample(&no_board, &none, r, None, Metric::PerformativeShare),
    );
    PropertyResult {
        name: "perceived surveillance alone (true_eval_weight 0): board raises performative share",
        measured: format!(
            "performative share, org board minus no board: {}",
            show_diff(d)
        ),
        expected: "lower 95% CI > 0".into(),
        pass: d.1 > 0.0,
    }
}

fn momentum(size: Size) -> PropertyResult {
    let r = size.replicates();
    let a = amazon(size);
    let story = restrict_at_26();
    let g = |week| sample(&a, &story, r, Some(week), Metric::PerformativeShare);
    let (g0, g25, g51) = (g(0), g(25), g(51));
    let rise: Vec<f64> = g25.iter().zip(&g0).map(|(x, y)| x - y).collect();
    let fall: Vec<f64> = g25.iter().zip(&g51).map(|(x, y)| x - y).collect();
    let slower = diff_ci(&fall, &rise);
    let mut restricted = a.clone();
    restricted.levers.leaderboard = Leaderboard::Manager;
    let legacy = diff_ci(
        &g51,
        &sample(
            &restricted,
            &Timeline::default(),
            r,
            Some(51),
            Metric::PerformativeShare,
        ),
    );
    PropertyResult {
        name: "momentum: after restricting the board, performative share falls slower than it rose and stays above a restricted-from-start run",
        measured: format!(
            "fall (weeks 25-51) minus rise (weeks 0-25) {}; week 51 minus restricted-from-start {}",
            show_diff(slower),
            show_diff(legacy)
        ),
        expected: "both: first upper CI < 0, second lower CI > 0".into(),
        pass: slower.2 < 0.0 && legacy.1 > 0.0,
    }
}

/// Perceived value of the tokens of a week of gaming over a week of
/// productive use, for agents who game, in the no-audit state.
fn marginal_token_values(p: &ModelParams) -> Vec<f64> {
    let mut sim = super::simulation(p, &Timeline::default(), rng::run_seed(7, 0));
    sim.run_observed(&mut ());
    let agents = sim.agents();
    let parts = decompose(sim.params(), &agents);
    let mut v: Vec<f64> = agents
        .iter()
        .zip(parts)
        .filter(|(a, _)| a.performative > 0.2)
        .map(|(_, d)| d.token_value_gaming - d.token_value_productive)
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

fn audit_threshold(size: Size) -> PropertyResult {
    let (none, r) = (Timeline::default(), size.replicates());
    let a = amazon(size);
    let mtv = marginal_token_values(&a);
    let q = |f: f64| {
        mtv.get(((mtv.len() as f64 - 1.0) * f).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let (lo_q, hi_q) = (q(0.1), q(0.9));
    let at = |penalty: f64| {
        let mut p = a.clone();
        p.levers.audit_rate = 1.0;
        p.levers.audit_detection = 1.0;
        p.levers.audit_penalty = penalty;
        summarise(&sample(&p, &none, r, None, Metric::PerformativeShare))
    };
    let (s0, s_low, s_high) = (at(0.0), at(lo_q / 2.0), at(2.0 * hi_q));
    PropertyResult {
        name: "audits: performative share collapses once the expected penalty outweighs the marginal token value",
        measured: format!(
            "share {} without audits; {} at expected penalty {:.2} (half the 10th percentile of gamers' token values); {} at {:.2} (twice the 90th percentile)",
            crate::output::sig(s0.mean, 3),
            crate::output::sig(s_low.mean, 3),
            lo_q / 2.0,
            crate::output::sig(s_high.mean, 3),
            2.0 * hi_q
        ),
        expected: "penalty below nearly all token values: lower CI > 50% of the no-audit share; above nearly all: upper CI < 10%".into(),
        pass: s_low.ci_low > 0.5 * s0.mean && s_high.ci_high < 0.1 * s0.mean,
    }
}

fn scoped_permissions(size: Size) -> PropertyResult {
    let r = size.replicates();
    let broad = amazon(size);
    let mut scoped = broad.clone();
    scoped.levers.agent_permissions = 0.2;
    // Incidents summed over the run, per replicate (shared seeds).
    let totals = |p: &ModelParams| -> Vec<f64> {
        (0..r)
            .into_par_iter()
            .map(|i| {
                super::simulation(p, &Timeline::default(), rng::run_seed(20_261_122, i))
                    .run()
                    .iter()
                    .map(|w| w.incidents)
                    .sum()
            })
            .collect()
    };
    let (b, s) = (totals(&broad), totals(&scoped));
    let ratio = summarise(&s.iter().zip(&b).map(|(x, y)| x / y).collect::<Vec<_>>());
    let none = Timeline::default();
    let adoption = diff_ci(
        &sample(&scoped, &none, r, None, Metric::MeasuredAdoption),
        &sample(&broad, &none, r, None, Metric::MeasuredAdoption),
    );
    PropertyResult {
        name: "scoped agent permissions cut incidents in proportion while adoption barely moves",
        measured: format!(
            "incident ratio scoped/broad {}; adoption difference {}",
            show(&ratio),
            show_diff(adoption)
        ),
        expected: "ratio CI contains 0.2; |adoption difference| < 0.01".into(),
        pass: ratio.ci_low <= 0.2
            && ratio.ci_high >= 0.2
            && adoption.1.abs().max(adoption.2.abs()) < 0.01,
    }
}

fn outcome_metric(size: Size) -> PropertyResult {
    let (none, r) = (Timeline::default(), size.replicates());
    let plain = amazon(size);
    let mut filtered = plain.clone();
    filtered.levers.metric_filter = 0.9;
    let d = diff_ci(
        &sample(&filtered, &none, r, None, Metric::GoodhartGap),
        &sample(&plain, &none, r, None, Metric::GoodhartGap),
    );
    PropertyResult {
        name: "an outcome-linked metric (metric_filter 0.9) shrinks the Goodhart gap",
        measured: format!("gap with filter minus without {}", show_diff(d)),
        expected: "upper 95% CI < 0".into(),
        pass: d.2 < 0.0,
    }
}

/// Mean final-week output of the agents whose AI speedup is negative.
fn slowed_output(p: &ModelParams, seed: u64) -> f64 {
    let mut sim = super::simulation(p, &Timeline::default(), seed);
    sim.run_observed(&mut ());
    let ys: Vec<f64> = sim
        .agents()
        .iter()
        .filter(|a| a.ai_speedup < 0.0)
        .map(|a| {
            a.ability * (1.0 - a.productive - a.performative + (1.0 + a.ai_speedup) * a.productive)
        })
        .collect();
    ys.iter().sum::<f64>() / ys.len().max(1) as f64
}

fn negative_speedup(size: Size) -> PropertyResult {
    let r = size.replicates();
    let (target, base) = (amazon(size), baseline(size));
    let run = |p: &ModelParams| -> Vec<f64> {
        (0..r)
            .into_par_iter()
            .map(|i| slowed_output(p, rng::run_seed(20_261_122, i)))
            .collect()
    };
    let d = diff_ci(&run(&target), &run(&base));
    PropertyResult {
        name: "employees slowed down by AI lose output under a usage target",
        measured: format!(
            "their mean weekly output, target minus no policy: {}",
            show_diff(d)
        ),
        expected: "upper 95% CI < 0".into(),
        pass: d.2 < 0.0,
    }
}
