//! Agent state and the weekly step of one block of consecutive teams.
//!
//! A block owns structure-of-arrays agent state for a fixed run of teams
//! (the unit of parallel work) and each team's own random streams, so the
//! week's result does not depend on which thread runs a block. The week is
//! three passes: per team, the context, team values and the choice
//! stream's words ([`super::prepare`]); over the whole block, values, choice
//! and realisation in one vectorised loop ([`super::choice`]); per team,
//! events, belief, habit and stress updates, sums and social averaging
//! ([`super::settle`]). Per-thread [`Scratch`] buffers carry values between
//! the passes, so nothing here allocates per agent or per week.

use super::WeekContext;
use super::gini::GiniHistogram;
use super::metrics::{Moments, Partial};
use super::rng::{self, names};
#[cfg(target_arch = "x86_64")]
use super::simd::Level;
use super::values::GroupView;
use crate::params::ModelParams;
use rand_pcg::Pcg64Mcg;

/// Storage type of the constant agent attributes (see [`Agents`]).
pub(crate) type Attr = f32;

/// Bytes of state per agent: six attributes and eight state variables.
pub(crate) const AGENT_BYTES: usize =
    6 * std::mem::size_of::<Attr>() + 8 * std::mem::size_of::<f64>();

/// Bytes of a thread's [`Scratch`] per agent of the block it steps:
/// fifteen f64 arrays and up to four random words.
pub(crate) const SCRATCH_BYTES_PER_AGENT: usize =
    15 * std::mem::size_of::<f64>() + 4 * std::mem::size_of::<u64>();

/// Bytes of a thread's [`Scratch`] per team of the block.
pub(crate) const SCRATCH_BYTES_PER_TEAM: usize =
    std::mem::size_of::<TeamWeek>() + std::mem::size_of::<GroupView>();

/// An attribute draw as stored (rounded to the nearest f32).
fn attr(x: f64) -> Attr {
    x as Attr
}

/// (address, bytes) of each agent array of a block.
#[derive(Clone, Copy)]
pub(crate) struct ArrayAddresses([(usize, usize); 14]);

impl ArrayAddresses {
    /// Prefetches the arrays into L2 (x86-64; elsewhere a no-op).
    #[inline(always)]
    pub fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        for &(base, bytes) in &self.0 {
            for offset in (0..bytes).step_by(64) {
                // SAFETY: a prefetch is only a hint and never faults,
                // whatever the address.
                unsafe {
                    std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(
                        (base + offset) as *const i8,
                    );
                }
            }
        }
    }
}

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

/// Structure-of-arrays agent state: attributes drawn once, then state.
///
/// The six constant attributes are stored in single precision (`Attr`):
/// they are random draws, for which 7 significant digits are ample, and
/// storing them as f32 cuts the bytes each week streams through memory (and
/// the state per employee) by a fifth. They are widened to f64 where used,
/// so every computation is in double precision.
pub(crate) struct Agents {
    pub ability: Vec<Attr>,
    pub ai_speedup: Vec<Attr>,
    pub productive_intensity: Vec<Attr>,
    pub gaming_aversion: Vec<Attr>,
    pub status_drive: Vec<Attr>,
    pub conformity: Vec<Attr>,
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
        let w = || Vec::with_capacity(n);
        Agents {
            ability: w(),
            ai_speedup: w(),
            productive_intensity: w(),
            gaming_aversion: w(),
            status_drive: w(),
            conformity: w(),
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

    /// The attribute arrays, as slices.
    fn attributes(&self) -> [&[Attr]; 6] {
        [
            &self.ability,
            &self.ai_speedup,
            &self.productive_intensity,
            &self.gaming_aversion,
            &self.status_drive,
            &self.conformity,
        ]
    }

    /// The state arrays, as slices.
    fn states(&self) -> [&[f64]; 8] {
        [
            &self.credibility,
            &self.alpha,
            &self.beta,
            &self.productive,
            &self.performative,
            &self.measured_tokens,
            &self.habit,
            &self.stress,
        ]
    }

    /// Asks the CPU to bring every array of the block towards the core
    /// (L2) before the passes read them. Each array of a block is a page
    /// or two of its own, and hardware prefetchers stop at page
    /// boundaries, so without this each of the 14 streams starts with
    /// misses; issued up front, the loads overlap the first pass's work.
    #[inline(always)]
    fn prefetch(&self) {
        self.addresses().prefetch();
    }

    /// Where the arrays are and how long (also for prefetching a block
    /// from elsewhere).
    pub fn addresses(&self) -> ArrayAddresses {
        let mut out = [(0, 0); 14];
        let spans = self
            .attributes()
            .map(|a| (a.as_ptr() as usize, std::mem::size_of_val(a)))
            .into_iter()
            .chain(
                self.states()
                    .map(|a| (a.as_ptr() as usize, std::mem::size_of_val(a))),
            );
        for (o, span) in out.iter_mut().zip(spans) {
            *o = span;
        }
        ArrayAddresses(out)
    }

    /// Bytes of the arrays.
    fn bytes(&self) -> usize {
        self.addresses().0.iter().map(|&(_, bytes)| bytes).sum()
    }

    /// T_i = min(cap, kp p + r_g kp g): tokens used this week, recomputed
    /// from the allocation with the same operations as the weekly step
    /// (so it need not be stored).
    #[inline]
    pub fn used_tokens(&self, i: usize, performative_multiplier: f64, cap: f64) -> f64 {
        let kp = f64::from(self.productive_intensity[i]);
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
    /// and sets the week-0 state (observables: [`Block::observe`]). Team j's draws come from its own
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
                a.ability.push(attr(pop.ability.sample(&mut r)));
                a.ai_speedup.push(attr(pop.ai_speedup.sample(&mut r)));
                let kp = attr(pop.productive_intensity.sample(&mut r));
                a.productive_intensity.push(kp);
                a.gaming_aversion
                    .push(attr(pop.gaming_aversion.sample(&mut r)));
                a.status_drive.push(attr(pop.status_drive.sample(&mut r)));
                a.conformity.push(attr(pop.conformity.sample(&mut r)));
                a.credibility.push(pop.credibility.sample(&mut r));
                a.alpha.push(b.prior_alpha);
                a.beta.push(b.prior_beta);
                a.productive.push(p.initial_productive_share);
                a.performative.push(0.0);
                let t0 = (f64::from(kp) * p.initial_productive_share).min(p.levers.token_cap);
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
        // The caller computes the week-0 observables with `observe`.
        Block { teams, agents: a }
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

    /// Bytes of agent state (the per-employee arrays).
    pub fn agent_bytes(&self) -> usize {
        self.agents.bytes()
    }

    /// Bytes of state the block holds (agent arrays and team records).
    pub fn state_bytes(&self) -> usize {
        self.agent_bytes() + self.teams.capacity() * std::mem::size_of::<Team>()
    }

    /// Simulates one week for every team in the block, in three passes:
    /// each team's context, shocks and v_m (scalar, per team); values,
    /// choice and realisation of every agent of the block
    /// ([`super::choice`], vectorised); each team's random events, beliefs,
    /// habit, stress and sums (scalar, per team).
    ///
    /// The step is compiled per instruction set ([`super::simd`]); the
    /// widest one this CPU supports runs, with the same bits.
    pub fn step(
        &mut self,
        ctx: &WeekContext,
        s: &mut Scratch,
        h: &mut GiniHistogram,
        next: Option<&ArrayAddresses>,
    ) -> Partial {
        #[cfg(target_arch = "x86_64")]
        match super::simd::level() {
            // SAFETY: `level()` returns a level only if the CPU supports
            // its features, the only requirement of these functions.
            Level::Avx512 => return unsafe { self.step_avx512(ctx, s, h, next) },
            Level::Avx2 => return unsafe { self.step_avx2(ctx, s, h, next) },
            Level::Baseline => {}
        }
        self.step_passes(ctx, s, h, next)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
    fn step_avx512(
        &mut self,
        ctx: &WeekContext,
        s: &mut Scratch,
        h: &mut GiniHistogram,
        next: Option<&ArrayAddresses>,
    ) -> Partial {
        self.step_passes(ctx, s, h, next)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn step_avx2(
        &mut self,
        ctx: &WeekContext,
        s: &mut Scratch,
        h: &mut GiniHistogram,
        next: Option<&ArrayAddresses>,
    ) -> Partial {
        self.step_passes(ctx, s, h, next)
    }

    #[inline(always)]
    fn step_passes(
        &mut self,
        ctx: &WeekContext,
        s: &mut Scratch,
        h: &mut GiniHistogram,
        next: Option<&ArrayAddresses>,
    ) -> Partial {
        s.resize(self.agents.ability.len(), self.teams.len());
        self.agents.prefetch();
        if ctx.team_ranks {
            super::prepare::team_views(ctx, &self.teams, &mut s.team_views);
        }
        for (k, t) in self.teams.iter_mut().enumerate() {
            super::prepare::prepare_team(ctx, t, &self.agents, s, k);
        }
        super::choice::choose_all(ctx, &mut self.agents, s);
        // The next block (usually this thread's next task) streams in
        // while this one settles.
        if let Some(next) = next {
            next.prefetch();
        }
        let mut part = Partial::default();
        for (k, t) in self.teams.iter_mut().enumerate() {
            super::settle::settle_team(ctx, t, &mut self.agents, s, k, &mut part, h);
        }
        part
    }
}

/// What one team's week passes on from the first pass to the last.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TeamWeek {
    /// P_j * B: the manager's pressure times the stake.
    pub stake: f64,
    /// q_j: evidence rate of the team's observations.
    pub evidence_rate: f64,
}

/// Per-agent values passed between the passes of a block's week. Reused
/// from week to week (one per thread), so nothing is allocated per week.
#[derive(Default)]
pub(crate) struct Scratch {
    /// Team values repeated for each member, so the choice pass reads
    /// them like agent attributes: P_j B (pressure times stake), the rank
    /// reference group's moments and Phi(0) parts, and the neighbourhood's
    /// sum of g and 1 / (size - 1) (0 for a lone agent), for gbar_i.
    pub stake: Vec<f64>,
    pub group_mean: Vec<f64>,
    pub group_inv_sd: Vec<f64>,
    pub group_stake_part: Vec<f64>,
    pub group_rank0: Vec<f64>,
    pub group_top0: Vec<f64>,
    pub peer_sum: Vec<f64>,
    pub peer_weight: Vec<f64>,
    /// Uniforms for the value shocks: (radius, angle) pairs of two
    /// Box-Muller transforms, the first giving the shocks of v_m and v_p,
    /// the second that of v_g. Radius uniforms are in (0, 1], angle
    /// uniforms in [0, 1).
    pub shock_radius: [Vec<f64>; 2],
    pub shock_angle: [Vec<f64>; 2],
    /// Realised output, expected incidents and ln(Tm + eps_T).
    pub output: Vec<f64>,
    pub incident_rate: Vec<f64>,
    pub log_measured: Vec<f64>,
    pub teams: Vec<TeamWeek>,
    /// Each team's rank reference group when ranks are read against the
    /// team (computed for all teams in one vectorised loop).
    pub team_views: Vec<GroupView>,
    /// One team's random words for one pass (see [`rng::fill_u64`]).
    pub words: Vec<u64>,
}

impl Scratch {
    fn resize(&mut self, agents: usize, teams: usize) {
        let [radius_0, radius_1] = &mut self.shock_radius;
        let [angle_0, angle_1] = &mut self.shock_angle;
        for v in [
            &mut self.stake,
            &mut self.group_mean,
            &mut self.group_inv_sd,
            &mut self.group_stake_part,
            &mut self.group_rank0,
            &mut self.group_top0,
            &mut self.peer_sum,
            &mut self.peer_weight,
            radius_0,
            radius_1,
            angle_0,
            angle_1,
            &mut self.output,
            &mut self.incident_rate,
            &mut self.log_measured,
        ] {
            v.resize(agents, 0.0);
        }
        self.teams.resize(teams, TeamWeek::default());
        self.team_views.resize(teams, GroupView::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
