//! The last pass of a block's week, per team (MODEL.md steps 7-10 after
//! the choice): three random words per member from the team's events
//! stream (incidents, audit detection, belief evidence), the belief,
//! credibility, habit and stress updates, the team's and the week's sums
//! (in member order), the Gini histogram, and social averaging of beliefs.
//!
//! It stays one scalar loop: the draws must follow the team's stream in
//! order and the sums must be in member order, and a version that moved
//! the elementwise updates into a separate vectorised pass was slower
//! (docs/PERFORMANCE.md).

use super::WeekContext;
use super::events::{MAX_TABULATED_OBSERVATIONS, binomial_cdf, evidence, poisson};
use super::gini::GiniHistogram;
use super::rng;
use super::state::{Agents, Scratch, Team, TeamWeek};
use super::sums::{CoMoments, Moments, Partial};

/// Last pass over team `k` (MODEL.md steps 7-10 after the choice):
/// incidents, audits, belief evidence and updates, habit, stress, social
/// averaging, and the team's part of the week's metrics (token use also
/// goes into the worker's Gini histogram).
#[inline(always)]
pub(crate) fn settle_team(
    ctx: &WeekContext,
    t: &mut Team,
    a: &mut Agents,
    s: &mut Scratch,
    k: usize,
    part: &mut Partial,
    histogram: &mut GiniHistogram,
) {
    let vc = &ctx.values;
    let range = t.start..t.start + t.len;
    let len = t.len;
    let n = len as f64;
    // The team's members as slices of one length, so indexing needs no
    // bounds checks in the loop.
    let ability = &a.ability[range.clone()];
    let intensity = &a.productive_intensity[range.clone()];
    let status = &a.status_drive[range.clone()];
    let credibility = &mut a.credibility[range.clone()];
    let alpha = &mut a.alpha[range.clone()];
    let beta = &mut a.beta[range.clone()];
    let productive = &a.productive[range.clone()];
    let performative = &a.performative[range.clone()];
    let measured_tokens = &a.measured_tokens[range.clone()];
    let habit = &mut a.habit[range.clone()];
    let stress = &mut a.stress[range.clone()];
    let output = &s.output[range.clone()];
    let incident_rate = &s.incident_rate[range.clone()];
    let log_measured = &s.log_measured[range];

    let TeamWeek {
        stake,
        evidence_rate: q,
    } = s.teams[k];
    let cdf = binomial_cdf(ctx.observations.min(MAX_TABULATED_OBSERVATIONS), q);
    // MODEL.md step 8: the factor is floored at 0, so credibility stays in
    // [0, 1] for any k_c >= 0 (with k_c (q - q0) > 1 it would turn
    // negative and make the assurance count as evidence of surveillance).
    let erosion =
        (1.0 - ctx.credibility_erosion * (q - ctx.ambient_evidence_rate).max(0.0)).max(0.0);
    let detect_per_g = ctx.audit_rate * ctx.audit_detection;

    let mut detections = 0.0;
    // Team sums, turned into moments once per team.
    let (mut sl, mut sll) = (0.0, 0.0);
    let mut sum_g = 0.0;
    // Three uniforms per member: incidents, audit detection, evidence.
    let words = rng::team_words(&mut s.words, &mut t.events_rng, 3 * len);
    for (i, w) in words.chunks_exact(3).enumerate() {
        let (p, g) = (productive[i], performative[i]);
        // Step 7: realisation (the choice pass stored output and the
        // incident rate; token use is recomputed with the same operations,
        // a few multiplications being cheaper than two more stored arrays).
        // Only detection matters for what follows, so audit-and-detect is
        // one Bernoulli(d delta g) draw.
        let kp = f64::from(intensity[i]);
        let productive_tokens = kp * p;
        let performative_tokens = vc.performative_multiplier * kp * g;
        let raw = productive_tokens + performative_tokens;
        let tokens = raw.min(vc.token_cap);
        let measured = measured_tokens[i];
        let incidents = poisson(rng::unit_uniform(w[0]), &mut t.events_rng, incident_rate[i]);
        let detected = rng::unit_uniform(w[1]) < detect_per_g * g;

        // Step 8 (own evidence), with this week's credibility.
        let e = evidence(
            rng::unit_uniform(w[2]),
            &mut t.events_rng,
            ctx.observations,
            q,
            &cdf,
        );
        let c = credibility[i];
        alpha[i] = ctx.belief_discount * alpha[i] + e;
        beta[i] = ctx.belief_discount * beta[i] + (ctx.observations as f64 - e) + c * ctx.assurance;
        credibility[i] = c * erosion;

        // Step 9: habit; stress without the belief term (added below).
        let h = habit[i];
        let rho = if g > h { ctx.habit_up } else { ctx.habit_down };
        habit[i] = h + rho * (g - h);
        let caught_stress = if detected { 2.0 } else { 0.0 };
        stress[i] = (1.0 - ctx.stress_rate) * stress[i]
            + ctx.stress_rate * (f64::from(status[i]) * vc.status_weight + caught_stress);

        let l = log_measured[i];
        sl += l;
        sll += l * l;
        sum_g += g;
        detections += if detected { 1.0 } else { 0.0 };

        // Step 10: this agent's part of the week's metrics.
        let y = output[i];
        part.measured_active += f64::from(u8::from(measured >= vc.t_min));
        part.productive_active +=
            f64::from(u8::from(productive_tokens.min(vc.token_cap) >= vc.t_min));
        part.sum_p += p;
        part.sum_g += g;
        part.tokens += tokens;
        histogram.add(tokens);
        part.performative_tokens += if raw > tokens {
            tokens * performative_tokens / raw
        } else {
            performative_tokens
        };
        part.output += y;
        part.ability += f64::from(ability[i]);
        part.incidents += incidents;
    }
    // Metric validity's sums, shifted by the first member's pair so that a
    // team whose tokens (or output) are all equal contributes exactly zero
    // spread (MODEL.md: no raw sums of squares). A loop of its own: in the
    // loop above the two extra live values cost more than this pass.
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
    // ambiguities). A check per team, not per agent, keeps the weekly loop
    // as it was.
    if ctx.observations == 0 {
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
        part.surveillance += pi;
        part.credibility += credibility[i];
        part.stress += stress[i];
        part.habit += habit[i];
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
