//! Agent state and the weekly step of one block of consecutive teams.
//!
//! A block owns structure-of-arrays agent state for a fixed run of teams
//! (the unit of parallel work) and each team's own random streams, so the
//! week's result does not depend on which thread runs a block. A team is
//! processed in three short passes over its members: decide and realise
//! (MODEL.md steps 3-7, the belief evidence of step 8, habit, the
//! evidence-free part of stress), then add detected audits and take the
//! team's mean belief, then average beliefs socially and finish stress.
//! Nothing here allocates per agent or per week.

use super::WeekContext;
use super::metrics::{CoMoments, Moments, Partial};
use super::rng::{self, names};
use super::values::{AgentView, RankGroup, option_values, softmax3};
use crate::params::ModelParams;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Poisson, StandardNormal};
use rand_pcg::Pcg64Mcg;

/// Team-level state: one manager per team.
pub(crate) struct Team {
    /// Index of the first member within the block.
    pub start: usize,
    pub len: usize,
    /// w_j: manager watchfulness.
    pub watchfulness: f64,
    pub choice_rng: Pcg64Mcg,
    pub events_rng: Pcg64Mcg,
    /// Moments of ln(Tm + eps_T) over the team, from last week.
    pub log_tokens: Moments,
    /// Sum of members' performative share g, from last week.
    pub sum_g: f64,
}

/// Structure-of-arrays agent state (attributes drawn once, then state).
pub(crate) struct Agents {
    pub ability: Vec<f64>,
    pub ai_speedup: Vec<f64>,
    pub productive_intensity: Vec<f64>,
    pub gaming_aversion: Vec<f64>,
    pub status_drive: Vec<f64>,
    pub conformity: Vec<f64>,
    pub credibility: Vec<f64>,
    pub alpha: Vec<f64>,
    pub beta: Vec<f64>,
    /// p: productive AI share of the week.
    pub productive: Vec<f64>,
    /// g: performative AI share of the week (manual m = 1 - p - g).
    pub performative: Vec<f64>,
    /// Tm: tokens as the metric counts them, last week.
    pub measured_tokens: Vec<f64>,
    pub habit: Vec<f64>,
    pub stress: Vec<f64>,
}

impl Agents {
    /// Empty arrays with room for `n` agents (no over-allocation).
    fn with_capacity(n: usize) -> Agents {
        let v = || Vec::with_capacity(n);
        Agents {
            ability: v(),
            ai_speedup: v(),
            productive_intensity: v(),
            gaming_aversion: v(),
            status_drive: v(),
            conformity: v(),
            credibility: v(),
            alpha: v(),
            beta: v(),
            productive: v(),
            performative: v(),
            measured_tokens: v(),
            habit: v(),
            stress: v(),
        }
    }

    /// T_i = min(cap, kp p + r_g kp g): tokens used this week, recomputed
    /// from the allocation with the same operations as the weekly step
    /// (so it need not be stored).
    #[inline]
    pub fn used_tokens(&self, i: usize, performative_multiplier: f64, cap: f64) -> f64 {
        let kp = self.productive_intensity[i];
        let raw = kp * self.productive[i] + performative_multiplier * kp * self.performative[i];
        raw.min(cap)
    }
}

/// Teams `first_team..first_team + teams.len()` and their members.
pub(crate) struct Block {
    pub teams: Vec<Team>,
    pub agents: Agents,
}

impl Block {
    /// Draws the attributes of `team_count` teams starting at `first_team`
    /// and sets the week-0 state. Team j's draws come from its own
    /// population stream, in a fixed order, so they do not depend on N.
    pub fn new(p: &ModelParams, run_seed: u64, first_team: usize, team_count: usize) -> Block {
        let pop = &p.population;
        let b = &p.behaviour;
        let mut teams = Vec::with_capacity(team_count);
        let members = (first_team * p.team_size
            ..((first_team + team_count) * p.team_size).min(p.employees))
            .len();
        let mut a = Agents::with_capacity(members);
        let mut start = 0;
        for j in first_team..first_team + team_count {
            let len = p.team_size.min(p.employees - j * p.team_size);
            let mut r = rng::stream(run_seed, names::POPULATION, j as u64);
            let watchfulness = pop.manager_watchfulness.sample(&mut r);
            for _ in 0..len {
                a.ability.push(pop.ability.sample(&mut r));
                a.ai_speedup.push(pop.ai_speedup.sample(&mut r));
                let kp = pop.productive_intensity.sample(&mut r);
                a.productive_intensity.push(kp);
                a.gaming_aversion.push(pop.gaming_aversion.sample(&mut r));
                a.status_drive.push(pop.status_drive.sample(&mut r));
                a.conformity.push(pop.conformity.sample(&mut r));
                a.credibility.push(pop.credibility.sample(&mut r));
                a.alpha.push(b.prior_alpha);
                a.beta.push(b.prior_beta);
                a.productive.push(p.initial_productive_share);
                a.performative.push(0.0);
                let t0 = (kp * p.initial_productive_share).min(p.levers.token_cap);
                a.measured_tokens.push(t0);
                a.habit.push(0.0);
                a.stress.push(0.0);
            }
            teams.push(Team {
                start,
                len,
                watchfulness,
                choice_rng: rng::stream(run_seed, names::CHOICE, j as u64),
                events_rng: rng::stream(run_seed, names::EVENTS, j as u64),
                log_tokens: Moments::default(),
                sum_g: 0.0,
            });
            start += len;
        }
        let mut block = Block { teams, agents: a };
        block.observe(b.token_floor);
        block
    }

    /// Recomputes each team's observables from the current state and
    /// returns the block's contribution to the organisation's (used once,
    /// at week 0; later weeks compute them while stepping).
    pub fn observe(&mut self, token_floor: f64) -> Partial {
        let mut part = Partial::default();
        for t in &mut self.teams {
            let range = t.start..t.start + t.len;
            t.log_tokens = Moments::default();
            for &tm in &self.agents.measured_tokens[range.clone()] {
                t.log_tokens.push((tm + token_floor).ln());
            }
            t.sum_g = self.agents.performative[range].iter().sum();
            part.log_tokens.merge(&t.log_tokens);
            part.sum_g += t.sum_g;
            part.employees += t.len as f64;
        }
        part
    }

    /// Bytes of state the block holds (agent arrays and team records).
    pub fn state_bytes(&self) -> usize {
        let a = &self.agents;
        let arrays = [
            &a.ability,
            &a.ai_speedup,
            &a.productive_intensity,
            &a.gaming_aversion,
            &a.status_drive,
            &a.conformity,
            &a.credibility,
            &a.alpha,
            &a.beta,
            &a.productive,
            &a.performative,
            &a.measured_tokens,
            &a.habit,
            &a.stress,
        ];
        arrays
            .iter()
            .map(|v| v.capacity() * std::mem::size_of::<f64>())
            .sum::<usize>()
            + self.teams.capacity() * std::mem::size_of::<Team>()
    }

    /// Simulates one week for every team in the block.
    pub fn step(&mut self, ctx: &WeekContext) -> Partial {
        let mut part = Partial::default();
        for t in &mut self.teams {
            step_team(ctx, t, &mut self.agents, &mut part);
        }
        part
    }
}

/// Poisson draw by inversion from one uniform, so every agent consumes the
/// same number of draws whatever its rate (common random numbers across
/// sweep points). Large rates, far outside the calibrated range, fall back
/// to rand_distr.
#[inline]
fn poisson<R: Rng>(rng: &mut R, lambda: f64) -> f64 {
    let u: f64 = rng.random();
    // e^-lambda >= 1 - lambda, so u below 1 - lambda (less a margin for the
    // rounding of exp) means zero events without computing the
    // exponential; the result is the same as by full inversion.
    if lambda <= 0.0 || u <= (1.0 - lambda) - 1e-15 {
        return 0.0;
    }
    if lambda > 500.0 {
        return Poisson::new(lambda).map_or(lambda, |d| d.sample(rng));
    }
    let mut k = 0.0;
    let mut prob = (-lambda).exp();
    let mut cdf = prob;
    while u > cdf && k < 10_000.0 {
        k += 1.0;
        prob *= lambda / k;
        cdf += prob;
        if prob == 0.0 && cdf < u {
            break;
        }
    }
    k
}

/// P(E <= k) for E ~ Binomial(n, q), k = 0..n, for n up to
/// `MAX_TABULATED_OBSERVATIONS` (one table per team and week, so each
/// agent's evidence takes one uniform draw).
const MAX_TABULATED_OBSERVATIONS: usize = 16;

fn binomial_cdf(n: usize, q: f64) -> [f64; MAX_TABULATED_OBSERVATIONS + 1] {
    let mut cdf = [1.0; MAX_TABULATED_OBSERVATIONS + 1];
    if q <= 0.0 || q >= 1.0 {
        // All mass on 0 (q = 0) or on n (q = 1).
        let all_at = if q >= 1.0 { n } else { 0 };
        for (k, c) in cdf.iter_mut().enumerate().take(n + 1) {
            *c = if k >= all_at { 1.0 } else { 0.0 };
        }
        return cdf;
    }
    let mut pmf = (1.0 - q).powi(n as i32);
    let mut acc = 0.0;
    for (k, c) in cdf.iter_mut().enumerate().take(n + 1) {
        acc += pmf;
        *c = acc;
        pmf *= (n - k) as f64 / (k + 1) as f64 * q / (1.0 - q);
    }
    cdf[n] = 1.0;
    cdf
}

/// E ~ Binomial(n, q): by inversion of the team's table from one uniform,
/// or by n Bernoulli draws when n is too large to tabulate.
#[inline]
fn evidence<R: Rng>(
    rng: &mut R,
    n: usize,
    q: f64,
    cdf: &[f64; MAX_TABULATED_OBSERVATIONS + 1],
) -> f64 {
    if n <= MAX_TABULATED_OBSERVATIONS {
        let u: f64 = rng.random();
        cdf[..=n].iter().position(|&c| u < c).unwrap_or(n) as f64
    } else {
        (0..n).filter(|_| rng.random::<f64>() < q).count() as f64
    }
}

fn step_team(ctx: &WeekContext, t: &mut Team, a: &mut Agents, part: &mut Partial) {
    let vc = &ctx.values;
    let range = t.start..t.start + t.len;
    let len = t.len;
    let n = len as f64;
    // The team's members as slices of one length, so indexing needs no
    // bounds checks in the loop.
    let ability = &a.ability[range.clone()];
    let speedup = &a.ai_speedup[range.clone()];
    let intensity = &a.productive_intensity[range.clone()];
    let aversion = &a.gaming_aversion[range.clone()];
    let status = &a.status_drive[range.clone()];
    let conformity = &a.conformity[range.clone()];
    let credibility = &mut a.credibility[range.clone()];
    let alpha = &mut a.alpha[range.clone()];
    let beta = &mut a.beta[range.clone()];
    let productive = &mut a.productive[range.clone()];
    let performative = &mut a.performative[range.clone()];
    let measured_tokens = &mut a.measured_tokens[range.clone()];
    let habit = &mut a.habit[range.clone()];
    let stress = &mut a.stress[range];

    // Step 2-3: last week's observables and the manager's pressure.
    let active = measured_tokens.iter().filter(|&&tm| tm >= vc.t_min).count() as f64;
    let pressure = ctx.pressure(active / n);
    let stake = ctx.stake * pressure;
    let view = if ctx.team_ranks {
        vc.group_view(RankGroup {
            mean: t.log_tokens.mean,
            sd: t.log_tokens.sd().max(0.1),
        })
    } else {
        ctx.org_view
    };
    let q = ctx.evidence_rate(t.watchfulness, pressure);
    let cdf = binomial_cdf(ctx.observations.min(MAX_TABULATED_OBSERVATIONS), q);
    let erosion = 1.0 - ctx.credibility_erosion * (q - ctx.ambient_evidence_rate).max(0.0);
    let detect_per_g = ctx.audit_rate * ctx.audit_detection;

    let mut detections = 0.0;
    // Team sums, turned into moments once per team.
    let (mut sl, mut sll) = (0.0, 0.0);
    let (mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut sum_g = 0.0;
    for i in 0..len {
        let (p_old, g_old) = (productive[i], performative[i]);
        let pi = alpha[i] / (alpha[i] + beta[i]);
        let agent = AgentView {
            ability: ability[i],
            ai_speedup: speedup[i],
            productive_intensity: intensity[i],
            gaming_aversion: aversion[i],
            status_drive: status[i],
            conformity: conformity[i],
            habit: habit[i],
            surveillance_stake: pi * stake,
            peer_performative: ctx.peer_performative(t.sum_g, n, g_old),
        };
        // Steps 5-6: option values, value shocks, logit choice, damping.
        let mut v = option_values(vc, &agent, &view);
        for vk in &mut v {
            let z: f64 = t.choice_rng.sample(StandardNormal);
            *vk += ctx.choice_noise * z;
        }
        let x = softmax3(ctx.rationality, v);
        let p = (1.0 - ctx.adjustment_rate) * p_old + ctx.adjustment_rate * x[1];
        let g = (1.0 - ctx.adjustment_rate) * g_old + ctx.adjustment_rate * x[2];
        productive[i] = p;
        performative[i] = g;

        // Step 7: realisation. Only detection matters for what follows,
        // so audit-and-detect is one Bernoulli(d delta g) draw.
        let kp = agent.productive_intensity;
        let productive_tokens = kp * p;
        let performative_tokens = vc.performative_multiplier * kp * g;
        let raw = productive_tokens + performative_tokens;
        let tokens = raw.min(vc.token_cap);
        let measured =
            (productive_tokens + (1.0 - vc.metric_filter) * performative_tokens).min(vc.token_cap);
        let output = agent.ability * ((1.0 - p - g) + (1.0 + agent.ai_speedup) * p);
        let rate = ctx.agent_permissions
            * (ctx.incidents_per_performative * performative_tokens
                + ctx.incidents_per_productive * productive_tokens);
        let incidents = poisson(&mut t.events_rng, rate);
        let detected = t.events_rng.random::<f64>() < detect_per_g * g;

        // Step 8 (own evidence), with this week's credibility.
        let e = evidence(&mut t.events_rng, ctx.observations, q, &cdf);
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
            + ctx.stress_rate * (agent.status_drive * vc.status_weight + caught_stress);

        measured_tokens[i] = measured;
        let l = (measured + vc.token_floor).ln();
        sl += l;
        sll += l * l;
        sum_g += g;
        detections += if detected { 1.0 } else { 0.0 };

        // Step 10: this agent's part of the week's metrics.
        part.measured_active += f64::from(u8::from(measured >= vc.t_min));
        part.productive_active +=
            f64::from(u8::from(productive_tokens.min(vc.token_cap) >= vc.t_min));
        part.sum_p += p;
        part.sum_g += g;
        part.tokens += tokens;
        part.performative_tokens += if raw > tokens {
            tokens * performative_tokens / raw
        } else {
            performative_tokens
        };
        part.output += output;
        part.ability += agent.ability;
        part.incidents += incidents;
        sx += measured;
        sy += output;
        sxx += measured * measured;
        syy += output * output;
        sxy += measured * output;
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
        let pi = (1.0 - ctx.social_averaging) * alpha[i] / total + ctx.social_averaging * mean_pi;
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
    part.validity
        .merge(&CoMoments::from_sums(n, [sx, sy, sxx, syy, sxy]));
    part.audits_detected += detections;
    part.employees += n;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn poisson_inversion_has_the_right_mean_and_variance() {
        let mut r = Pcg64Mcg::seed_from_u64(11);
        for lambda in [0.01, 0.7, 4.0, 40.0] {
            let n = 200_000;
            let xs: Vec<f64> = (0..n).map(|_| poisson(&mut r, lambda)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            // The sample mean's sd is sqrt(lambda / n); allow 5 of them.
            let tol = 5.0 * (lambda / n as f64).sqrt();
            assert!((mean - lambda).abs() < tol, "lambda {lambda}: mean {mean}");
            assert!(
                (var / lambda - 1.0).abs() < 0.05,
                "lambda {lambda}: var {var}"
            );
        }
    }

    #[test]
    fn binomial_table_inversion_matches_the_distribution() {
        let mut r = Pcg64Mcg::seed_from_u64(5);
        for (n, q) in [(3, 0.4), (3, 0.0), (3, 1.0), (10, 0.73)] {
            let cdf = binomial_cdf(n, q);
            let draws = 100_000;
            let mean = (0..draws)
                .map(|_| evidence(&mut r, n, q, &cdf))
                .sum::<f64>()
                / draws as f64;
            // Standard error of the mean: sqrt(n q (1 - q) / draws).
            let se = (n as f64 * q * (1.0 - q) / draws as f64).sqrt();
            assert!(
                (mean - n as f64 * q).abs() <= 5.0 * se + 1e-12,
                "n {n} q {q}: mean {mean}"
            );
        }
        // Large n falls back to Bernoulli draws.
        let big = evidence(&mut r, 40, 0.5, &binomial_cdf(16, 0.5));
        assert!((0.0..=40.0).contains(&big));
    }

    #[test]
    fn teams_are_consecutive_and_the_last_may_be_smaller() {
        let p = ModelParams {
            employees: 20,
            team_size: 8,
            ..ModelParams::default()
        };
        let b = Block::new(&p, 1, 0, 3);
        let lens: Vec<usize> = b.teams.iter().map(|t| t.len).collect();
        assert_eq!(lens, [8, 8, 4]);
        assert_eq!(b.agents.ability.len(), 20);
        assert_eq!(b.teams[2].start, 16);
    }
}
