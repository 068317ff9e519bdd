//! The weekly step of one block of consecutive teams.
//!
//! A block owns structure-of-arrays agent state ([`super::state`]) for a
//! fixed run of teams
//! (the unit of parallel work) and each team's own random streams, so the
//! week's result does not depend on which thread runs a block. The week is
//! three passes: per team, the context, team values and the choice
//! stream's words ([`super::prepare`]); over the whole block, shocks,
//! ranks, values, choice and realisation in five vectorised loops
//! ([`super::choice`]); per team,
//! events, belief, habit and stress updates, sums and social averaging
//! ([`super::settle`]). Per-thread `Scratch` buffers carry values between
//! the passes, so nothing here allocates per agent or per week.

use super::WeekContext;
use super::fastmath::{self as fm, Arith, Fused, Unfused};
use super::gini::GiniHistogram;
use super::population::Attributes;
use super::simd::Level;
use super::state::{Agents, ArrayAddresses, Scratch, Team};
use super::sums::{Moments, Partial};
use crate::params::ModelParams;

/// Teams `first_team..first_team + teams.len()` and their members.
pub(crate) struct Block {
    pub teams: Vec<Team>,
    pub agents: Agents,
    /// The employee number of the block's first agent (the agents'
    /// positions in the counter-based weekly draws, [`super::rng::word`]).
    pub first_employee: usize,
}

impl Block {
    /// The block of teams whose attributes `drawn` holds, with the week-0
    /// state set, and its part of the week-0 observables.
    pub fn new(p: &ModelParams, drawn: Attributes) -> (Block, Partial) {
        // Compiled with FMA where the CPU has it (the logarithms of the
        // week-0 observables); the same bits either way, except on the
        // unfused path ([`super::simd::Level::Unfused`]).
        match super::simd::level() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `level()` returns Avx2 or above only if the CPU
            // supports AVX2 and FMA, the only requirement of `new_fma`.
            Level::Avx2 | Level::Avx512 => unsafe { Block::new_fma(p, drawn) },
            Level::Unfused => Block::new_with::<Unfused>(p, drawn),
            _ => Block::new_with::<Fused>(p, drawn),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn new_fma(p: &ModelParams, drawn: Attributes) -> (Block, Partial) {
        Block::new_with::<Fused>(p, drawn)
    }

    #[inline(always)]
    fn new_with<A: Arith>(p: &ModelParams, drawn: Attributes) -> (Block, Partial) {
        let b = &p.behaviour;
        let values = super::values::ValueContext::new(p);
        let Attributes {
            first_team,
            teams,
            traits,
        } = drawn;
        let mut a = Agents::with_attributes(traits);
        // The state every agent starts with, and what follows from the
        // attributes, in whole-array loops (vectorised) rather than one
        // agent at a time.
        let n = a.ability.len();
        for (state, value) in [
            (&mut a.alpha, b.prior_alpha),
            (&mut a.beta, b.prior_beta),
            (&mut a.productive, p.initial_productive_share),
            (&mut a.performative, 0.0),
            (&mut a.habit, 0.0),
            (&mut a.stress, 0.0),
        ] {
            state.resize(n, value);
        }
        a.measured_tokens
            .extend(a.productive_intensity.iter().map(|&kp| {
                fm::select_min(
                    f64::from(kp) * p.initial_productive_share,
                    p.levers.token_cap,
                )
            }));
        a.log_tokens_productive.resize(n, 0.0);
        a.log_tokens_performative.resize(n, 0.0);
        super::choice::log_tokens_loop::<A>(
            &values,
            &a.productive_intensity,
            &mut a.log_tokens_productive,
            &mut a.log_tokens_performative,
        );
        let mut block = Block {
            teams,
            agents: a,
            first_employee: first_team * p.team_size,
        };
        let observables = block.observe::<A>(p.behaviour.token_floor);
        (block, observables)
    }

    /// Recomputes each team's observables from the current state and
    /// returns the block's contribution to the organisation's (used once,
    /// at week 0; later weeks compute them while stepping).
    #[inline(always)]
    fn observe<A: Arith>(&mut self, token_floor: f64) -> Partial {
        let mut part = Partial::default();
        for t in &mut self.teams {
            let range = t.start..t.start + t.len;
            t.log_tokens = Moments::default();
            for &tm in &self.agents.measured_tokens[range.clone()] {
                t.log_tokens
                    .push(super::fastmath::MATHS.ln::<A>(tm + token_floor));
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
            Level::Baseline | Level::Unfused => {}
        }
        if super::simd::level() == Level::Unfused {
            self.step_passes::<Unfused>(ctx, s, h, next)
        } else {
            self.step_passes::<Fused>(ctx, s, h, next)
        }
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
        self.step_passes::<Fused>(ctx, s, h, next)
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
        self.step_passes::<Fused>(ctx, s, h, next)
    }

    #[inline(always)]
    fn step_passes<A: Arith>(
        &mut self,
        ctx: &WeekContext,
        s: &mut Scratch,
        h: &mut GiniHistogram,
        next: Option<&ArrayAddresses>,
    ) -> Partial {
        s.resize(self.agents.ability.len(), self.teams.len());
        self.agents.prefetch();
        if ctx.refresh_log_tokens {
            super::choice::refresh_log_tokens::<A>(ctx, &mut self.agents);
        }
        if ctx.team_ranks {
            super::prepare::team_views::<A>(ctx, &self.teams, &mut s.team_views);
        }
        super::prepare::prepare_teams(ctx, &self.teams, &self.agents, s);
        super::choice::choose_all::<A>(ctx, &mut self.agents, s, self.first_employee);
        // The next block (usually this thread's next task) streams in
        // while this one settles.
        if let Some(next) = next {
            next.prefetch();
        }
        super::settle::settle_block(
            ctx,
            &mut self.teams,
            &mut self.agents,
            s,
            self.first_employee,
            h,
        )
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
        let (b, _) = Block::new(&p, Attributes::draw(&p, 1, 0, 3));
        let lens: Vec<usize> = b.teams.iter().map(|t| t.len).collect();
        assert_eq!(lens, [8, 8, 4]);
        assert_eq!(b.agents.ability.len(), 20);
        assert_eq!(b.teams[2].start, 16);
    }
}
