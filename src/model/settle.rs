//! The last pass of a block's week (MODEL.md steps 7-10 after the
//! choice): random events (incidents, audit detection, belief evidence),
//! the belief, credibility, habit and stress updates, social averaging,
//! each team's observables for next week, and the block's part of the
//! week's metrics.
//!
//! It is split by what each part needs:
//! 1. [`events_kernel`], one branch-free loop over the whole block that
//!    the compiler vectorises: each agent's three counter-based event
//!    words, token use, the incident draw's common case (zero events),
//!    detection, habit and the stress update without the belief term.
//! 2. A scalar pass over the rare agents whose incident draw needs the
//!    Poisson inversion ([`draw_rare_incidents`]).
//! 3. Per team, in member order ([`settle_team`]): the evidence from the
//!    team's binomial table, belief and credibility updates, the team's
//!    sums, social averaging.
//! 4. The Gini histogram, and the block's sums of the metrics, each over
//!    eight interleaved lanes in a fixed order ([`lane_sum`]), so that they
//!    vectorise and give the same bits at every instruction-set level.

use super::WeekContext;
use super::events::{
    MAX_TABULATED_OBSERVATIONS, binomial_cdf, evidence, evidence_by_trials, poisson,
};
use super::gini::GiniHistogram;
use super::rng::{self, slots};
use super::state::{Agents, Attr, Scratch, Team, TeamWeek};
use super::sums::{CoMoments, Moments, Partial};

/// The block's settle pass: `first_employee` numbers its first agent.
#[inline(always)]
pub(crate) fn settle_block(
    ctx: &WeekContext,
    teams: &mut [Team],
    a: &mut Agents,
    s: &mut Scratch,
    first_employee: usize,
    histogram: &mut GiniHistogram,
) -> Partial {
    let n = a.ability.len();
    events_kernel(ctx, a, s, first_employee);
    draw_rare_incidents(ctx, s, first_employee, n);
    let mut part = Partial::default();
    for (k, t) in teams.iter_mut().enumerate() {
        settle_team(ctx, t, a, s, k, first_employee, &mut part);
    }
    for &t in &s.tokens[..n] {
        histogram.add(t);
    }
    let f = |x: &[f64]| lane_sum(&x[..n], |v| v);
    part.measured_active = f(&s.measured_active);
    part.productive_active = f(&s.productive_active);
    part.sum_p = f(&a.productive);
    part.sum_g = f(&a.performative);
    part.tokens = f(&s.tokens);
    part.performative_tokens = f(&s.counted_performative);
    part.output = f(&s.output);
    part.ability = lane_sum(&a.ability[..n], f64::from);
    part.incidents = f(&s.incidents);
    part.surveillance = f(&s.surveillance);
    part.credibility = f(&a.credibility);
    part.stress = f(&a.stress);
    part.habit = f(&a.habit);
    part
}

/// Sum of `f(x)` over `x` in eight interleaved lanes (lane l adds elements
/// l, l + 8, ... in order), the lanes then added pairwise in a fixed
/// order: the association is fixed by this code, not by the compiler, so
/// the loop vectorises (two AVX2 or one AVX-512 addition per eight values)
/// and the bits are the same at every instruction-set level.
#[inline(always)]
fn lane_sum<T: Copy>(x: &[T], f: impl Fn(T) -> f64) -> f64 {
    let mut acc = [0.0; 8];
    let chunks = x.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += f(v);
        }
    }
    for (a, &v) in acc.iter_mut().zip(rest) {
        *a += f(v);
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

/// Step 7's realisation and events, step 9's habit and stress (without
/// the belief term, added after social averaging), for every agent of the
/// block in one branch-free loop. Incidents are 0 where the inversion
/// gives 0 without computing e^-lambda (almost everyone) and NaN where
/// [`draw_rare_incidents`] must draw them.
#[inline(always)]
fn events_kernel(ctx: &WeekContext, a: &mut Agents, s: &mut Scratch, first_employee: usize) {
    let vc = &ctx.values;
    let n = a.ability.len();
    let intensity = &a.productive_intensity[..n];
    let status = &a.status_drive[..n];
    let productive = &a.productive[..n];
    let performative = &a.performative[..n];
    let measured_tokens = &a.measured_tokens[..n];
    let incident_rate = &s.incident_rate[..n];
    let out = EventOutputs {
        habit: &mut a.habit[..n],
        stress: &mut a.stress[..n],
        tokens: &mut s.tokens[..n],
        counted_performative: &mut s.counted_performative[..n],
        measured_active: &mut s.measured_active[..n],
        productive_active: &mut s.productive_active[..n],
        incidents: &mut s.incidents[..n],
        detected: &mut s.detected[..n],
        evidence_uniform: &mut s.evidence_uniform[..n],
    };
    let state = |slot| {
        rng::state_at(
            ctx.rng_key,
            rng::position(ctx.week, first_employee as u64, slot),
        )
    };
    let states = [
        state(slots::INCIDENTS),
        state(slots::DETECTION),
        state(slots::EVIDENCE),
    ];
    let inputs = EventInputs {
        intensity,
        status,
        productive,
        performative,
        measured_tokens,
        incident_rate,
    };
    event_loop(ctx, vc, &inputs, out, states);
}

/// The arrays [`events_kernel`] reads, all of one length.
struct EventInputs<'a> {
    intensity: &'a [Attr],
    status: &'a [Attr],
    productive: &'a [f64],
    performative: &'a [f64],
    measured_tokens: &'a [f64],
    incident_rate: &'a [f64],
}

/// The arrays [`events_kernel`] writes, each its own `&mut` (so the loop
/// vectorises without run-time overlap checks).
struct EventOutputs<'a> {
    habit: &'a mut [f64],
    stress: &'a mut [f64],
    tokens: &'a mut [f64],
    counted_performative: &'a mut [f64],
    measured_active: &'a mut [f64],
    productive_active: &'a mut [f64],
    incidents: &'a mut [f64],
    detected: &'a mut [f64],
    evidence_uniform: &'a mut [f64],
}

#[inline(always)]
fn event_loop(
    ctx: &WeekContext,
    vc: &super::values::ValueContext,
    inputs: &EventInputs,
    out: EventOutputs,
    [incident_state, detection_state, evidence_state]: [u64; 3],
) {
    let n = inputs.intensity.len();
    let EventInputs {
        intensity,
        status,
        productive,
        performative,
        measured_tokens,
        incident_rate,
    } = *inputs;
    let (intensity, status, productive, performative, measured_tokens, incident_rate) = (
        &intensity[..n],
        &status[..n],
        &productive[..n],
        &performative[..n],
        &measured_tokens[..n],
        &incident_rate[..n],
    );
    let EventOutputs {
        habit,
        stress,
        tokens,
        counted_performative,
        measured_active,
        productive_active,
        incidents,
        detected,
        evidence_uniform,
    } = out;
    let (habit, stress, tokens, counted_performative) = (
        &mut habit[..n],
        &mut stress[..n],
        &mut tokens[..n],
        &mut counted_performative[..n],
    );
    let (measured_active, productive_active, incidents, detected, evidence_uniform) = (
        &mut measured_active[..n],
        &mut productive_active[..n],
        &mut incidents[..n],
        &mut detected[..n],
        &mut evidence_uniform[..n],
    );
    let detect_per_g = ctx.audit_rate * ctx.audit_detection;
    for i in 0..n {
        let (p, g) = (productive[i], performative[i]);
        let offset = (i as u64).wrapping_mul(rng::EMPLOYEE_STATE_STEP);
        let uniform = |state: u64| rng::unit52(rng::mix(state.wrapping_add(offset)));
        // Step 7: realisation (the choice pass stored output and the
        // incident rate; token use is recomputed with the same operations,
        // a few multiplications being cheaper than two more stored arrays).
        let kp = f64::from(intensity[i]);
        let productive_tokens = kp * p;
        let performative_tokens = vc.performative_multiplier * kp * g;
        let raw = productive_tokens + performative_tokens;
        let used = raw.min(vc.token_cap);
        tokens[i] = used;
        counted_performative[i] = if raw > used {
            used * performative_tokens / raw
        } else {
            performative_tokens
        };
        measured_active[i] = f64::from(u8::from(measured_tokens[i] >= vc.t_min));
        productive_active[i] = f64::from(u8::from(productive_tokens.min(vc.token_cap) >= vc.t_min));
        // Incidents by Poisson inversion: e^-lambda >= 1 - lambda, so u
        // below 1 - lambda (less a margin for the rounding of exp) means
        // zero events, as full inversion gives ([`poisson`] checks the same).
        let lambda = incident_rate[i];
        let none = lambda <= 0.0 || uniform(incident_state) <= (1.0 - lambda) - 1e-15;
        incidents[i] = if none { 0.0 } else { f64::NAN };
        // Only detection matters for what follows, so audit-and-detect is
        // one Bernoulli(d delta g) draw.
        let caught = f64::from(u8::from(uniform(detection_state) < detect_per_g * g));
        detected[i] = caught;
        evidence_uniform[i] = uniform(evidence_state);
        // Step 9: habit; stress without the belief term.
        let h = habit[i];
        let rho = if g > h { ctx.habit_up } else { ctx.habit_down };
        habit[i] = h + rho * (g - h);
        stress[i] = (1.0 - ctx.stress_rate) * stress[i]
            + ctx.stress_rate * (f64::from(status[i]) * vc.status_weight + 2.0 * caught);
    }
}

/// The incidents the event loop left to draw (NaN): Poisson inversion of
/// the agent's incident word, with further draws, for rates above 500,
/// from the agent's own extra generator ([`rng::extra`]).
#[inline(always)]
fn draw_rare_incidents(ctx: &WeekContext, s: &mut Scratch, first_employee: usize, n: usize) {
    for (i, x) in s.incidents[..n].iter_mut().enumerate() {
        if x.is_nan() {
            let employee = (first_employee + i) as u64;
            let position = rng::position(ctx.week, employee, slots::INCIDENTS);
            let u = rng::unit52(rng::word(ctx.rng_key, position));
            let mut extra = rng::extra(ctx.rng_key, ctx.week, employee, slots::INCIDENTS_EXTRA);
            *x = poisson(u, &mut extra, s.incident_rate[i]);
        }
    }
}

/// Team `k`'s part of the settle pass, in member order (MODEL.md steps 8
/// and 9): belief evidence and updates, the team's sums for next week's
/// observables, metric validity's sums, and social averaging.
#[inline(always)]
fn settle_team(
    ctx: &WeekContext,
    t: &mut Team,
    a: &mut Agents,
    s: &mut Scratch,
    k: usize,
    first_employee: usize,
    part: &mut Partial,
) {
    let range = t.start..t.start + t.len;
    let len = t.len;
    let n = len as f64;
    // The team's members as slices of one length, so indexing needs no
    // bounds checks in the loops.
    let credibility = &mut a.credibility[range.clone()];
    let alpha = &mut a.alpha[range.clone()];
    let beta = &mut a.beta[range.clone()];
    let performative = &a.performative[range.clone()];
    let measured_tokens = &a.measured_tokens[range.clone()];
    let stress = &mut a.stress[range.clone()];
    let output = &s.output[range.clone()];
    let log_measured = &s.log_measured[range.clone()];
    let detected = &s.detected[range.clone()];
    let evidence_uniform = &s.evidence_uniform[range.clone()];
    let surveillance = &mut s.surveillance[range.clone()];

    let TeamWeek {
        stake,
        evidence_rate: q,
    } = s.teams[k];
    let observations = ctx.observations;
    let cdf = binomial_cdf(observations.min(MAX_TABULATED_OBSERVATIONS), q);
    // MODEL.md step 8: the factor is floored at 0, so credibility stays in
    // [0, 1] for any k_c >= 0 (with k_c (q - q0) > 1 it would turn
    // negative and make the assurance count as evidence of surveillance).
    let erosion =
        (1.0 - ctx.credibility_erosion * (q - ctx.ambient_evidence_rate).max(0.0)).max(0.0);

    let mut detections = 0.0;
    // Team sums, turned into moments once per team.
    let (mut sl, mut sll) = (0.0, 0.0);
    let mut sum_g = 0.0;
    for i in 0..len {
        // Step 8 (own evidence), with this week's credibility.
        let e = if observations <= MAX_TABULATED_OBSERVATIONS {
            evidence(evidence_uniform[i], observations, &cdf)
        } else {
            let employee = (first_employee + t.start + i) as u64;
            let mut extra = rng::extra(ctx.rng_key, ctx.week, employee, slots::EVIDENCE_EXTRA);
            evidence_by_trials(&mut extra, observations, q)
        };
        let c = credibility[i];
        alpha[i] = ctx.belief_discount * alpha[i] + e;
        beta[i] = ctx.belief_discount * beta[i] + (observations as f64 - e) + c * ctx.assurance;
        credibility[i] = c * erosion;
        let l = log_measured[i];
        sl += l;
        sll += l * l;
        sum_g += performative[i];
        detections += detected[i];
    }
    // Metric validity's sums, shifted by the first member's pair so that a
    // team whose tokens (or output) are all equal contributes exactly zero
    // spread (MODEL.md: no raw sums of squares).
    let shift = (measured_tokens[0], output[0]);
    let (mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&x, &y) in measured_tokens.iter().zip(output) {
        let (dx, dy) = (x - shift.0, y - shift.1);
        sx += dx;
        sy += dy;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }

    // With observations, alpha + beta >= n_obs >= 1. Without, the counts
    // decay and, after enough weeks, can underflow to zero together,
    // leaving pi undefined: the belief then falls back on the prior mean,
    // at a weight of 1e-300 pseudo-observations (docs/MODEL.md,
    // ambiguities). A check per team, not per agent.
    if observations == 0 {
        for i in 0..len {
            if alpha[i] + beta[i] <= 0.0 {
                alpha[i] = ctx.empty_alpha;
                beta[i] = ctx.empty_beta;
            }
        }
    }

    // Step 8 (team): a detected audit is evidence for the whole team; then
    // synchronous social averaging towards the team's mean belief.
    let mut sum_pi = 0.0;
    for i in 0..len {
        alpha[i] += detections;
        sum_pi += alpha[i] / (alpha[i] + beta[i]);
    }
    let mean_pi = sum_pi / n;
    for i in 0..len {
        let total = alpha[i] + beta[i];
        // A convex combination of two probabilities; the bound only undoes
        // rounding, so that beta = total - alpha stays >= 0.
        let pi = ((1.0 - ctx.social_averaging) * alpha[i] / total + ctx.social_averaging * mean_pi)
            .min(1.0);
        alpha[i] = pi * total;
        beta[i] = total - alpha[i];
        stress[i] += ctx.stress_rate * pi * stake;
        surveillance[i] = pi;
    }

    let log_tokens = Moments::from_sums(n, sl, sll);
    t.log_tokens = log_tokens;
    t.sum_g = sum_g;
    part.log_tokens.merge(&log_tokens);
    part.validity.merge(&CoMoments::from_shifted_sums(
        n,
        shift,
        [sx, sy, sxx, syy, sxy],
    ));
    part.audits_detected += detections;
    part.employees += n;
}
