//! Property tests over the levers (tests/ranges.rs draws whole scenarios):
//! allocations stay on the simplex, beliefs and credibility in [0, 1],
//! tokens under the cap, every metric in its declared range and the
//! Goodhart gap non-negative.

use goodhart::model::{MetricsRecorder, Simulation};
use goodhart::params::timeline::Timeline;
use goodhart::params::{Leaderboard, ModelParams, Neighbourhood};
use proptest::prelude::*;

fn board(i: u8) -> Leaderboard {
    [
        Leaderboard::None,
        Leaderboard::SelfOnly,
        Leaderboard::Manager,
        Leaderboard::Team,
        Leaderboard::Org,
    ][i as usize % 5]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn state_stays_valid(
        target in 0.0..1.0f64, board_i in 0u8..5, assurance in 0.0..5.0f64,
        eval in 0.0..1.0f64, audit in 0.0..1.0f64, penalty in 0.0..10.0f64,
        chargeback in 0.0..1.0f64, cap in 1.0..500.0f64, filter in 0.0..1.0f64,
        perm in 0.0..3.0f64, top_k in 0usize..50, lambda in 0.0..20.0f64,
        eta in 0.0..1.0f64, team_size in 1usize..12, org in any::<bool>(), seed in any::<u64>(),
    ) {
        let mut p = ModelParams { employees: 97, weeks: 12, team_size, ..ModelParams::default() };
        let l = &mut p.levers;
        l.adoption_target = target;
        l.leaderboard = board(board_i);
        l.assurance = assurance;
        l.true_eval_weight = eval;
        l.audit_rate = audit;
        l.audit_penalty = penalty;
        l.chargeback = chargeback;
        l.token_cap = cap;
        l.metric_filter = filter;
        l.agent_permissions = perm;
        l.top_k = top_k;
        p.behaviour.rationality = lambda;
        p.behaviour.adjustment_rate = eta;
        if org { p.neighbourhood = Neighbourhood::Org; }
        let mut sim = Simulation::new(&p, &Timeline::default(), seed).unwrap();
        let mut recorded = MetricsRecorder::default();
        sim.run_observed(&mut recorded);
        for m in &recorded.weeks {
            prop_assert_eq!(m.out_of_range(), None);
            // Measured tokens are never below productive tokens, so the
            // gap (MODEL.md: ">= 0") is the share counted only thanks to
            // performative tokens.
            prop_assert!(m.goodhart_gap >= 0.0 && m.measured_adoption >= m.productive_adoption);
        }
        for a in sim.agents() {
            let (pp, g) = (a.productive, a.performative);
            prop_assert!(pp >= 0.0 && g >= 0.0 && pp + g <= 1.0 + 1e-12, "p={pp} g={g}");
            let pi = a.alpha / (a.alpha + a.beta);
            prop_assert!((0.0..=1.0).contains(&pi));
            prop_assert!((0.0..=1.0).contains(&a.credibility));
            prop_assert!(a.tokens <= cap + 1e-9 && a.measured_tokens <= a.tokens + 1e-9);
        }
    }
}

/// The memory target of docs/PERFORMANCE.md: agent state per employee (the
/// per-employee arrays) at most 120 bytes, and all simulation state
/// (adding team records and the Gini histograms) within that too at a
/// large N. Sizes, not timings, so this is deterministic.
#[test]
fn agent_state_fits_in_120_bytes_per_employee() {
    let n = 200_000;
    let (p, t) = goodhart::bench::bench_params(n, 2);
    let mut sim = Simulation::new(&p, &t, 1).unwrap();
    sim.advance(1, &mut ());
    let agent = sim.agent_bytes() as f64 / n as f64;
    let all = sim.state_bytes() as f64 / n as f64;
    assert!(agent <= 120.0, "{agent} bytes of agent state per employee");
    assert!(all <= 120.0, "{all} bytes of state per employee");
}

/// The memory estimate that lets goodhart refuse a run too large for the
/// machine covers the state a real run holds, without inflating it: at
/// least the agent and team state plus the histograms in use, at most a
/// third more (the estimate adds each thread's scratch buffers, which a
/// run's own accounting does not see).
#[test]
fn the_memory_estimate_covers_a_real_run() {
    for (n, team_size) in [(200_000, 8), (50_000, 700), (999, 1)] {
        let (mut p, t) = goodhart::bench::bench_params(n, 2);
        p.team_size = team_size;
        let mut sim = Simulation::new(&p, &t, 1).unwrap();
        sim.advance(1, &mut ());
        let real = sim.state_bytes() as f64;
        let estimate = goodhart::model::estimated_run_bytes(&p, 2) as f64;
        assert!(
            estimate >= real && estimate <= 1.34 * real + 2e6,
            "N = {n}, teams of {team_size}: estimate {estimate} vs {real} bytes"
        );
    }
}
