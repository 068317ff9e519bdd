//! Mean-field bistability and hysteresis (Brock & Durlauf 2001).
//!
//! Identical employees, peers across the whole organisation, no value
//! noise, no target or leaderboard (so tokens carry no perceived value),
//! habit switched off and every employee audited every week: the value of
//! a week of gaming is v_g = -mu + J g - P with P the audit penalty, and
//! the performative share follows the scalar logit map
//! g' = (1 - eta) g + eta S(g; P), S = softmax_g(lambda (v_m, v_p, v_g)).
//!
//! With lambda J > 4 the fixed-point equation g = S(g; P) has two folds,
//! found in closed form from S = g and dS/dg = lambda J S (1 - S) = 1:
//! g = (1 +- sqrt(1 - 4 / (lambda J))) / 2 and
//! P = -mu + J g - [ln(g / (1 - g)) + ln(e^(lambda v_m) + e^(lambda v_p))] / lambda.
//! Ramping P slowly down and back up, the population jumps to the gaming
//! norm near the lower fold and back near the upper one.
//!
//! Tolerance: a system swept through a saddle-node leaves it late, by a
//! lag that shrinks with the ramp speed r as r^(2/3) (slow passage through
//! a fold). So the agent-based run is ramped at two speeds, r and r/4, and
//! its jump points are extrapolated to r -> 0 with that law; the
//! extrapolated jumps must lie within 0.02 of the folds (the size of the
//! next-order term at these speeds, a few ramp steps). At each speed the
//! agents must also jump within two ramp steps of the scalar map under
//! the same ramp, which is the exact mean-field dynamics.

use super::{PropertyResult, Size};
use crate::model::Simulation;
use crate::model::metrics::WeekMetrics;
use crate::params::dist::Dist;
use crate::params::registry::find;
use crate::params::timeline::{Change, Event, Timeline};
use crate::params::{MODEL_PARAMS, ModelParams, Neighbourhood};

const LAMBDA: f64 = 3.5;
const J: f64 = 3.0;
const ABILITY: f64 = 0.5;
const SPEEDUP: f64 = 0.2;
const ETA: f64 = 0.3;
const P_HIGH: f64 = 2.0;

/// S(g; P): the logit share of gaming.
fn share(g: f64, penalty: f64) -> f64 {
    let v = [ABILITY, ABILITY * (1.0 + SPEEDUP), J * g - penalty];
    let top = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e = v.map(|x| (LAMBDA * (x - top)).exp());
    e[2] / (e[0] + e[1] + e[2])
}

/// The two fold points (penalties) of the fixed-point equation.
pub fn folds() -> (f64, f64) {
    let root = (1.0 - 4.0 / (LAMBDA * J)).sqrt();
    let at = |g: f64| {
        let others = ((LAMBDA * ABILITY).exp() + (LAMBDA * ABILITY * (1.0 + SPEEDUP)).exp()).ln();
        J * g - ((g / (1.0 - g)).ln() + others) / LAMBDA
    };
    (at((1.0 - root) / 2.0), at((1.0 + root) / 2.0))
}

/// Penalty in week `w` of a ramp down over `half` weeks and back up.
fn penalty(w: usize, half: usize) -> f64 {
    if w < half {
        P_HIGH * (1.0 - w as f64 / (half - 1) as f64)
    } else {
        P_HIGH * (w - half) as f64 / (half - 1) as f64
    }
}

/// Penalties at which g crosses 1/2 going down and coming back up.
fn jumps(path: &[(f64, f64)]) -> (f64, f64) {
    let mut up_jump = f64::NAN;
    let mut down_jump = f64::NAN;
    for w in path.windows(2) {
        if w[0].1 < 0.5 && w[1].1 >= 0.5 && up_jump.is_nan() {
            up_jump = w[1].0;
        }
        if w[0].1 >= 0.5 && w[1].1 < 0.5 {
            down_jump = w[1].0;
        }
    }
    (up_jump, down_jump)
}

fn params(half: usize) -> (ModelParams, Timeline) {
    let mut p = ModelParams {
        employees: 100,
        weeks: 2 * half,
        neighbourhood: Neighbourhood::Org,
        ..ModelParams::default()
    };
    let pop = &mut p.population;
    pop.ability = Dist::constant(ABILITY);
    pop.ai_speedup = Dist::constant(SPEEDUP);
    pop.productive_intensity = Dist::constant(20.0);
    pop.gaming_aversion = Dist::constant(0.0);
    pop.status_drive = Dist::constant(1.0);
    pop.conformity = Dist::constant(J);
    pop.credibility = Dist::constant(0.5);
    pop.manager_watchfulness = Dist::constant(0.5);
    p.behaviour.choice_noise = 0.0;
    p.behaviour.habit_weight = 0.0;
    p.behaviour.rationality = LAMBDA;
    p.behaviour.adjustment_rate = ETA;
    p.initial_productive_share = 0.5;
    p.levers.audit_rate = 1.0;
    p.levers.audit_detection = 1.0;
    p.levers.audit_penalty = P_HIGH;
    let def = find(MODEL_PARAMS, "audit_penalty").expect("registered");
    let t = Timeline {
        events: vec![
            Event {
                param: def,
                change: Change::Ramp {
                    from_week: 0,
                    to_week: half - 1,
                    start: P_HIGH,
                    end: 0.0,
                },
            },
            Event {
                param: def,
                change: Change::Ramp {
                    from_week: half,
                    to_week: 2 * half - 1,
                    start: 0.0,
                    end: P_HIGH,
                },
            },
        ],
    };
    (p, t)
}

/// Jump points (up, down) of the agent-based run and of the scalar map
/// for a ramp of `half` weeks each way.
fn jumps_at(half: usize) -> ((f64, f64), (f64, f64)) {
    let (p, t) = params(half);
    let mut sim = super::simulation(&p, &t, 1);
    let mut abm = Vec::with_capacity(2 * half);
    sim.advance(
        2 * half,
        &mut |sim: &Simulation, w: usize, _: &WeekMetrics| {
            let agents = sim.agents();
            let g = agents.iter().map(|a| a.performative).sum::<f64>() / agents.len() as f64;
            abm.push((penalty(w, half), g));
        },
    );
    let mut g = 0.0;
    let mut mf = Vec::with_capacity(2 * half);
    for w in 0..2 * half {
        g = (1.0 - ETA) * g + ETA * share(g, penalty(w, half));
        mf.push((penalty(w, half), g));
    }
    (jumps(&abm), jumps(&mf))
}

pub fn check(size: Size) -> PropertyResult {
    let half = match size {
        Size::Quick => 300,
        Size::Full => 600,
    };
    let step = |h: usize| P_HIGH / (h - 1) as f64;
    let ((fast_up, fast_down), (mf_fast_up, mf_fast_down)) = jumps_at(half);
    let ((slow_up, slow_down), (mf_slow_up, mf_slow_down)) = jumps_at(4 * half);
    // Lag ~ r^(2/3): J(r) = fold + c r^(2/3); two speeds give fold.
    let k = 0.25f64.powf(2.0 / 3.0);
    let extrapolate = |fast: f64, slow: f64| (slow - k * fast) / (1.0 - k);
    let (up0, down0) = (
        extrapolate(fast_up, slow_up),
        extrapolate(fast_down, slow_down),
    );
    let (low, high) = folds();
    let near_map = (fast_up - mf_fast_up).abs() <= 2.0 * step(half) + 1e-9
        && (fast_down - mf_fast_down).abs() <= 2.0 * step(half) + 1e-9
        && (slow_up - mf_slow_up).abs() <= 2.0 * step(4 * half) + 1e-9
        && (slow_down - mf_slow_down).abs() <= 2.0 * step(4 * half) + 1e-9;
    let pass =
        near_map && (up0 - low).abs() <= 0.02 && (down0 - high).abs() <= 0.02 && down0 - up0 > 0.5;
    PropertyResult {
        name: "mean-field bistability: hysteresis jumps at the logit fold points",
        measured: format!(
            "jumps up/down at P = {fast_up:.3}/{fast_down:.3} (ramp {} wk), {slow_up:.3}/{slow_down:.3} (ramp {} wk); extrapolated to a slow ramp {up0:.3}/{down0:.3}",
            half,
            4 * half
        ),
        expected: format!(
            "folds {low:.3}/{high:.3} (lambda J = {}) within 0.02; agents within 2 ramp steps of the scalar map",
            LAMBDA * J
        ),
        pass,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_tangencies_of_the_fixed_point_equation() {
        let (low, high) = folds();
        assert!(low < high);
        for p in [low, high] {
            // Exactly two roots of S(g) - g at the fold (one double).
            let f = |g: f64| share(g, p) - g;
            let min_gap = (1..1000)
                .map(|i| f(i as f64 / 1000.0).abs())
                .fold(f64::INFINITY, f64::min);
            assert!(min_gap < 1e-3);
        }
        // Between the folds there are three fixed points, outside one.
        let roots = |p: f64| {
            (0..2000)
                .filter(|&i| {
                    (share(i as f64 / 2000.0, p) - i as f64 / 2000.0).signum()
                        != (share((i + 1) as f64 / 2000.0, p) - (i + 1) as f64 / 2000.0).signum()
                })
                .count()
        };
        assert_eq!(roots((low + high) / 2.0), 3);
        assert_eq!(roots(high + 0.3), 1);
        assert_eq!(roots(low - 0.1), 1);
    }
}
