//! The last pass of a block's week (MODEL.md steps 7-10 after the
//! choice): random events (incidents, audit detection, belief evidence),
//! the belief, credibility, habit and stress updates, social averaging,
//! each team's observables for next week, and the block's part of the
//! week's metrics.
//!
//! It is split by what each part needs:
//! 1. [`events_kernel`], one branch-free loop over the whole block that
//!    the compiler vectorises: each agent's two counter-based event words
//!    (incident; detection and evidence), token use, the incident draw's
//!    common case (zero events), detection, habit and the stress update
//!    without the belief term.
//! 2. A scalar pass over the rare agents whose incident draw needs the
//!    Poisson inversion ([`draw_rare_incidents`]).
//! 3. Per team, in member order ([`team_sums`]): the evidence from the
//!    team's binomial table, the team's sums (its observables for next
//!    week, its detected audits), broadcast to the members where the next
//!    loop needs them.
//! 4. Beliefs ([`belief_kernel`], vectorised): belief and credibility
//!    updates and a detected audit as evidence for the whole team; then,
//!    with each team's mean belief, synchronous social averaging
//!    ([`social_kernel`], vectorised).
//! 5. The Gini histogram; the block's sums of the metrics, each over eight
//!    interleaved lanes in a fixed order ([`lane_sum`]), so that they
//!    vectorise and give the same bits at every instruction-set level.

use super::WeekContext;
use super::events::{
    MAX_TABULATED_OBSERVATIONS, binomial_tables, evidence, evidence_by_trials, poisson,
};
use super::fastmath as fm;
use super::gini::GiniHistogram;
use super::rng::{self, slots};
use super::state::{Agents, Attr, Scratch, Team, broadcast, teams_of_eight};
use super::sums::{CoMoments, Moments, Partial};
use itertools::izip;

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
    let observations = ctx.observations;
    if observations <= MAX_TABULATED_OBSERVATIONS {
        binomial_tables(
            observations,
            &s.evidence_rate,
            &mut s.binomial_work,
            &mut s.binomial,
        );
    }
    all_team_sums(ctx, teams, a, s, first_employee, &mut part);
    belief_kernel(ctx, a, s);
    // Each team's mean belief, for every member (fixed-size chunks when all
    // teams have 8 members, as in `all_team_sums`).
    let mean = |pi: &[f64]| pi.iter().sum::<f64>() / pi.len() as f64;
    let (beliefs, means) = (&s.surveillance[..n], &mut s.team_mean_belief[..n]);
    if teams_of_eight(ctx, teams) {
        // (The chunks below are exactly the teams: a zip would drop any
        // difference silently.)
        debug_assert_eq!(n, 8 * teams.len());
        for (pi, out) in beliefs.chunks_exact(8).zip(means.chunks_exact_mut(8)) {
            broadcast(out, mean(pi));
        }
    } else {
        for t in teams.iter() {
            let range = t.start..t.start + t.len;
            broadcast(&mut means[range.clone()], mean(&beliefs[range]));
        }
    }
    social_kernel(ctx, a, s);
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
    // The organisation's log-token moments from the block's sums (values
    // of similar size, mostly 2 +- 1.5 and at worst ln(eps_T) for an agent
    // without tokens, so the sum of squares loses nothing that matters;
    // `from_sums` floors the spread at 0 and ranks floor the sd at 0.1), and metric validity's from sums shifted by
    // the block's first pair, so that tokens (or output) equal across the
    // block give exactly zero spread (MODEL.md: no raw sums of squares).
    let log_measured = &s.log_measured[..n];
    part.log_tokens =
        Moments::from_sums(n as f64, f(log_measured), lane_sum(log_measured, |l| l * l));
    let (tokens, output) = (&a.measured_tokens[..n], &s.output[..n]);
    if n > 0 {
        let shift = (tokens[0], output[0]);
        let sums = shifted_sums(tokens, output, shift);
        part.validity = CoMoments::from_shifted_sums(n as f64, shift, sums);
    }
    part
}

/// [sum dx, sum dy, sum dx^2, sum dy^2, sum dx dy] with dx = x - shift.0,
/// dy = y - shift.1 over the pairs of `xs` and `ys`, each over eight
/// interleaved lanes like [`lane_sum`]. One pass per sum: written as one
/// loop, the compiler packed each pair's dx and dy into a register and
/// spilled the accumulators, at four times the instructions.
#[inline(always)]
fn shifted_sums(xs: &[f64], ys: &[f64], shift: (f64, f64)) -> [f64; 5] {
    let (s0, s1) = shift;
    [
        lane_sum(xs, |x| x - s0),
        lane_sum(ys, |y| y - s1),
        lane_sum(xs, |x| (x - s0) * (x - s0)),
        lane_sum(ys, |y| (y - s1) * (y - s1)),
        lane_sum_pairs(xs, ys, |x, y| (x - s0) * (y - s1)),
    ]
}

/// [`lane_sum`] of `f(x, y)` over the pairs of `xs` and `ys`.
#[inline(always)]
fn lane_sum_pairs(xs: &[f64], ys: &[f64], f: impl Fn(f64, f64) -> f64) -> f64 {
    let mut acc = [0.0; 8];
    let ys = &ys[..xs.len()];
    let (xc, yc) = (xs.chunks_exact(8), ys.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (x, y) in xc.zip(yc) {
        for l in 0..8 {
            acc[l] += f(x[l], y[l]);
        }
    }
    for (l, (&x, &y)) in xr.iter().zip(yr).enumerate() {
        acc[l] += f(x, y);
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
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
    let state = |slot| ctx.draw_state(first_employee, slot);
    let states = [state(slots::INCIDENTS), state(slots::DETECTION_EVIDENCE)];
    let inputs = EventInputs {
        intensity,
        status,
        productive,
        performative,
        measured_tokens,
        incident_rate,
    };
    event_loop(
        ctx,
        vc,
        &inputs,
        states,
        &mut a.habit[..n],
        &mut a.stress[..n],
        EventOutputs {
            tokens: &mut s.tokens[..n],
            counted_performative: &mut s.counted_performative[..n],
            measured_active: &mut s.measured_active[..n],
            productive_active: &mut s.productive_active[..n],
        },
        &mut s.incidents[..n],
        &mut s.detected[..n],
        &mut s.evidence_uniform[..n],
    );
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

/// Arrays [`events_kernel`] only writes (scratch of this pass).
struct EventOutputs<'a> {
    tokens: &'a mut [f64],
    counted_performative: &'a mut [f64],
    measured_active: &'a mut [f64],
    productive_active: &'a mut [f64],
}

/// The loop itself. The arrays it reads and writes are separate `&mut`
/// arguments, as in the choice pass: that tells LLVM they overlap nothing
/// else, so it vectorises without run-time overlap checks (of which it
/// allows only a few).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn event_loop(
    ctx: &WeekContext,
    vc: &super::values::ValueContext,
    inputs: &EventInputs,
    [incident_state, detection_evidence_state]: [u64; 2],
    habit: &mut [f64],
    stress: &mut [f64],
    out: EventOutputs,
    incidents: &mut [f64],
    detected: &mut [f64],
    evidence_uniform: &mut [f64],
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
        tokens,
        counted_performative,
        measured_active,
        productive_active,
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
    // 1 or 0 (a select, which vectorises as one mask operation; through an
    // integer, `f64::from(u8::from(..))`, it took five).
    let indicator = |holds: bool| if holds { 1.0 } else { 0.0 };
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
        let used = fm::select_min(raw, vc.token_cap);
        tokens[i] = used;
        counted_performative[i] = if raw > used {
            used * performative_tokens / raw
        } else {
            performative_tokens
        };
        measured_active[i] = indicator(measured_tokens[i] >= vc.t_min);
        productive_active[i] =
            indicator(fm::select_min(productive_tokens, vc.token_cap) >= vc.t_min);
        // Incidents by Poisson inversion: e^-lambda >= 1 - lambda, so u
        // below 1 - lambda (less a margin for the rounding of exp) means
        // zero events, as full inversion gives ([`poisson`] checks the same).
        let lambda = incident_rate[i];
        let none = lambda <= 0.0 || uniform(incident_state) <= (1.0 - lambda) - 1e-15;
        incidents[i] = if none { 0.0 } else { f64::NAN };
        // Only detection matters for what follows, so audit-and-detect is
        // one Bernoulli(d delta g) draw.
        let detection_evidence = rng::mix(detection_evidence_state.wrapping_add(offset));
        let caught = indicator(rng::high32(detection_evidence) < detect_per_g * g);
        detected[i] = caught;
        evidence_uniform[i] = rng::low32(detection_evidence);
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
/// from the agent's own extra generator ([`rng::extra`]). Most agents have
/// none to draw, so groups of eight are checked at once (one vectorised
/// test) and only a group with one is visited agent by agent.
#[inline(always)]
fn draw_rare_incidents(ctx: &WeekContext, s: &mut Scratch, first_employee: usize, n: usize) {
    const GROUP: usize = 8;
    let (incidents, rates) = (&mut s.incidents[..n], &s.incident_rate[..n]);
    let draw = |i: usize, x: &mut f64| {
        if x.is_nan() {
            let employee = first_employee + i;
            let u = rng::unit52(rng::mix(ctx.draw_state(employee, slots::INCIDENTS)));
            let extra = || {
                rng::extra(
                    ctx.rng_key,
                    ctx.week,
                    employee as u64,
                    slots::INCIDENTS_EXTRA,
                )
            };
            *x = poisson(u, extra, rates[i]);
        }
    };
    let mut groups = incidents.chunks_exact_mut(GROUP);
    for (g, group) in groups.by_ref().enumerate() {
        if group.iter().fold(false, |any, x| any | x.is_nan()) {
            for (k, x) in group.iter_mut().enumerate() {
                draw(g * GROUP + k, x);
            }
        }
    }
    let done = n - n % GROUP;
    for (k, x) in groups.into_remainder().iter_mut().enumerate() {
        draw(done + k, x);
    }
}

/// One team's members in the arrays [`team_sums`] reads and writes, each
/// slice of the team's length.
struct Members<'a> {
    performative: &'a [f64],
    log_measured: &'a [f64],
    detected: &'a [f64],
    /// Each member's evidence uniform, replaced by its evidence.
    evidence: &'a mut [f64],
    /// The team's credibility erosion factor and detected audits, for
    /// each member.
    erosion: &'a mut [f64],
    detections: &'a mut [f64],
}

/// Every team's part of the settle pass ([`team_sums`]). When all the
/// block's teams have 8 members (the default team size), their members
/// come from fixed-size chunks of the block's arrays: no slicing (and
/// bounds checks) per team, and loops of a constant length, which the
/// compiler unrolls and vectorises.
#[inline(always)]
fn all_team_sums(
    ctx: &WeekContext,
    teams: &mut [Team],
    a: &Agents,
    s: &mut Scratch,
    first_employee: usize,
    part: &mut Partial,
) {
    let n = a.ability.len();
    // Team k's binomial table: its entry e (the tables are entry-major,
    // [`binomial_tables`]).
    let (tables, count) = (&s.binomial, s.evidence_rate.len());
    let table = |k: usize| move |e: usize| tables[e * count + k];
    let rates = &s.evidence_rate;
    if teams_of_eight(ctx, teams) {
        // (The chunks below are exactly the teams: a zip would drop any
        // difference silently.)
        debug_assert_eq!(n, 8 * teams.len());
        let members = izip!(
            a.performative[..n].chunks_exact(8),
            s.log_measured[..n].chunks_exact(8),
            s.detected[..n].chunks_exact(8),
            s.evidence_uniform[..n].chunks_exact_mut(8),
            s.team_erosion[..n].chunks_exact_mut(8),
            s.team_detections[..n].chunks_exact_mut(8),
        )
        .map(
            |(performative, log_measured, detected, evidence, erosion, detections)| Members {
                performative,
                log_measured,
                detected,
                evidence,
                erosion,
                detections,
            },
        );
        for (k, (t, m)) in teams.iter_mut().zip(members).enumerate() {
            team_sums(ctx, t, m, rates[k], table(k), first_employee, part);
        }
    } else {
        for (k, t) in teams.iter_mut().enumerate() {
            let range = t.start..t.start + t.len;
            let m = Members {
                performative: &a.performative[range.clone()],
                log_measured: &s.log_measured[range.clone()],
                detected: &s.detected[range.clone()],
                evidence: &mut s.evidence_uniform[range.clone()],
                erosion: &mut s.team_erosion[range.clone()],
                detections: &mut s.team_detections[range],
            };
            team_sums(ctx, t, m, rates[k], table(k), first_employee, part);
        }
    }
}

/// Team `t`'s part of the settle pass, in member order (MODEL.md step 8),
/// with evidence rate `q` and binomial table `entry`: each member's belief
/// evidence, the team's sums for next week's observables and its detected
/// audits, and the team values the belief loop reads, broadcast to the
/// members.
#[inline(always)]
fn team_sums(
    ctx: &WeekContext,
    t: &mut Team,
    m: Members,
    q: f64,
    entry: impl Fn(usize) -> f64,
    first_employee: usize,
    part: &mut Partial,
) {
    let len = m.performative.len();
    let n = len as f64;
    let observations = ctx.observations;
    let drawn = m.evidence;
    if observations <= MAX_TABULATED_OBSERVATIONS {
        // The inverse CDF at each member's uniform: the number of table
        // entries e < n_obs with P(E <= e) <= u (the table is
        // non-decreasing and P(E <= n_obs) = 1 > u). Entry by entry, so
        // the loop over members vectorises and nothing branches on u.
        let mut count = [0.0; MAX_TABULATED_OBSERVATIONS];
        let count = &mut count[..len.min(MAX_TABULATED_OBSERVATIONS)];
        if count.len() == len {
            for e in 0..observations {
                let c = entry(e);
                for (x, &u) in count.iter_mut().zip(drawn.iter()) {
                    *x += if c <= u { 1.0 } else { 0.0 };
                }
            }
            drawn.copy_from_slice(count);
        } else {
            let mut cdf = [1.0; MAX_TABULATED_OBSERVATIONS + 1];
            for (e, c) in cdf[..observations].iter_mut().enumerate() {
                *c = entry(e);
            }
            for u in drawn.iter_mut() {
                *u = evidence(*u, observations, &cdf);
            }
        }
    } else {
        for (i, e) in drawn.iter_mut().enumerate() {
            let employee = (first_employee + t.start + i) as u64;
            let mut extra = rng::extra(ctx.rng_key, ctx.week, employee, slots::EVIDENCE_EXTRA);
            *e = evidence_by_trials(&mut extra, observations, q);
        }
    }
    let mut detections = 0.0;
    let (mut sl, mut sll) = (0.0, 0.0);
    let mut sum_g = 0.0;
    let (log_measured, performative, detected) = (
        &m.log_measured[..len],
        &m.performative[..len],
        &m.detected[..len],
    );
    for i in 0..len {
        let l = log_measured[i];
        sl += l;
        sll += l * l;
        sum_g += performative[i];
        detections += detected[i];
    }
    // MODEL.md step 8: the factor is floored at 0, so credibility stays in
    // [0, 1] for any k_c >= 0 (with k_c (q - q0) > 1 it would turn
    // negative and make the assurance count as evidence of surveillance).
    let erosion =
        (1.0 - ctx.credibility_erosion * (q - ctx.ambient_evidence_rate).max(0.0)).max(0.0);
    broadcast(m.erosion, erosion);
    broadcast(m.detections, detections);
    t.log_tokens = Moments::from_sums(n, sl, sll);
    t.sum_g = sum_g;
    part.audits_detected += detections;
    part.employees += n;
}

/// Step 8 for every agent of the block (vectorised): discounted counts
/// plus this week's evidence and the assurance (with this week's
/// credibility), credibility eroded, the team's detected audits as
/// evidence for every member, and the resulting belief pi (in
/// `surveillance`, for the team means of social averaging).
#[inline(always)]
fn belief_kernel(ctx: &WeekContext, a: &mut Agents, s: &mut Scratch) {
    let n = a.ability.len();
    belief_loop(
        ctx,
        [
            &s.evidence_uniform[..n],
            &s.team_erosion[..n],
            &s.team_detections[..n],
        ],
        &mut a.alpha[..n],
        &mut a.beta[..n],
        &mut a.credibility[..n],
        &mut s.surveillance[..n],
    );
}

/// [`belief_kernel`]'s loop, with the arrays it writes as separate `&mut`
/// arguments (see [`event_loop`]).
#[inline(always)]
fn belief_loop(
    ctx: &WeekContext,
    [evidence, erosion, detections]: [&[f64]; 3],
    alpha: &mut [f64],
    beta: &mut [f64],
    credibility: &mut [f64],
    pi: &mut [f64],
) {
    let n = evidence.len();
    let (erosion, detections) = (&erosion[..n], &detections[..n]);
    let (alpha, beta, credibility, pi) = (
        &mut alpha[..n],
        &mut beta[..n],
        &mut credibility[..n],
        &mut pi[..n],
    );
    let observations = ctx.observations as f64;
    // With observations, alpha + beta >= n_obs >= 1. Without, the counts
    // decay and, after enough weeks, can underflow to zero together,
    // leaving pi undefined: the belief then falls back on the prior mean,
    // at a weight of 1e-300 pseudo-observations (docs/MODEL.md,
    // ambiguities).
    let may_vanish = ctx.observations == 0;
    for i in 0..n {
        let e = evidence[i];
        let c = credibility[i];
        let new_alpha = ctx.belief_discount * alpha[i] + e;
        let new_beta = ctx.belief_discount * beta[i] + (observations - e) + c * ctx.assurance;
        let vanished = may_vanish && new_alpha + new_beta <= 0.0;
        let new_alpha = if vanished { ctx.empty_alpha } else { new_alpha };
        let new_beta = if vanished { ctx.empty_beta } else { new_beta };
        credibility[i] = c * erosion[i];
        let new_alpha = new_alpha + detections[i];
        alpha[i] = new_alpha;
        beta[i] = new_beta;
        pi[i] = new_alpha / (new_alpha + new_beta);
    }
}

/// Step 8's synchronous social averaging towards the team's mean belief,
/// and step 9's belief term of stress, for every agent (vectorised).
#[inline(always)]
fn social_kernel(ctx: &WeekContext, a: &mut Agents, s: &mut Scratch) {
    let n = a.ability.len();
    social_loop(
        ctx,
        [&s.team_mean_belief[..n], &s.stake[..n]],
        &mut a.alpha[..n],
        &mut a.beta[..n],
        &mut a.stress[..n],
        &mut s.surveillance[..n],
    );
}

/// [`social_kernel`]'s loop (separate `&mut` arguments, see
/// [`event_loop`]).
#[inline(always)]
fn social_loop(
    ctx: &WeekContext,
    [mean, stake]: [&[f64]; 2],
    alpha: &mut [f64],
    beta: &mut [f64],
    stress: &mut [f64],
    pi: &mut [f64],
) {
    let n = mean.len();
    let stake = &stake[..n];
    let (alpha, beta, stress, pi) = (
        &mut alpha[..n],
        &mut beta[..n],
        &mut stress[..n],
        &mut pi[..n],
    );
    let w = ctx.social_averaging;
    for i in 0..n {
        let total = alpha[i] + beta[i];
        // A convex combination of two probabilities; the bound only undoes
        // rounding, so that beta = total - alpha stays >= 0.
        let p = fm::select_min((1.0 - w) * pi[i] + w * mean[i], 1.0);
        alpha[i] = p * total;
        beta[i] = total - alpha[i];
        stress[i] += ctx.stress_rate * p * stake[i];
        pi[i] = p;
    }
}
