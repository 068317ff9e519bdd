//! A run's drawn population, and [`Populations`], a cache of them that the
//! runs of a batch share.
//!
//! The employees' attributes and the managers' watchfulness are drawn from
//! the run seed alone (team j's population stream, MODEL.md's seeding
//! rules), so every run with the same seed, number of employees, team size
//! and attribute distributions draws the same population, bit for bit,
//! whatever else its parameters say. The arms of `goodhart run` and the
//! points of a sweep share their replicates' seeds (common random
//! numbers), so a batch needs to draw each population only once: a draw
//! of 10,000 employees costs about as much as nine of their weeks
//! (docs/PERFORMANCE.md), a copy a few hundredths of that.

use super::BLOCK_AGENTS;
use super::fastmath::{Arith, Fused, Unfused};
use super::rng::{self, names};
use super::simd::Level;
use super::state::{Team, Traits, attr};
use super::sums::Moments;
use crate::params::ModelParams;
use rayon::prelude::*;
use std::sync::{Arc, Mutex};

/// The drawn attributes of one block's teams and members (the constant
/// part of [`super::state::Agents`] and the teams' records).
#[derive(Clone)]
pub(crate) struct Attributes {
    /// The block's first team.
    pub first_team: usize,
    /// Each team's members and manager, with no observables yet.
    pub teams: Vec<Team>,
    /// The members' attributes, in team order.
    pub traits: Traits,
}

impl Attributes {
    /// Draws the attributes of `team_count` teams starting at `first_team`.
    /// Team j's draws come from its own population stream, in a fixed
    /// order, so they do not depend on N or on the blocks.
    pub(crate) fn draw(
        p: &ModelParams,
        run_seed: u64,
        first_team: usize,
        team_count: usize,
    ) -> Attributes {
        // Compiled with FMA where the CPU has it (the samplers' maths is
        // mostly fused multiply-adds); the same bits either way, except on
        // the unfused path ([`super::simd::Level::Unfused`]).
        match super::simd::level() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `level()` returns Avx2 or above only if the CPU
            // supports AVX2 and FMA, the only requirement of `draw_fma`.
            Level::Avx2 | Level::Avx512 => unsafe {
                Attributes::draw_fma(p, run_seed, first_team, team_count)
            },
            Level::Unfused => Attributes::draw_with::<Unfused>(p, run_seed, first_team, team_count),
            _ => Attributes::draw_with::<Fused>(p, run_seed, first_team, team_count),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn draw_fma(
        p: &ModelParams,
        run_seed: u64,
        first_team: usize,
        team_count: usize,
    ) -> Attributes {
        Attributes::draw_with::<Fused>(p, run_seed, first_team, team_count)
    }

    #[inline(always)]
    fn draw_with<A: Arith>(
        p: &ModelParams,
        run_seed: u64,
        first_team: usize,
        team_count: usize,
    ) -> Attributes {
        let pop = &p.population;
        let members = (first_team * p.team_size
            ..((first_team + team_count) * p.team_size).min(p.employees))
            .len();
        let mut teams = Vec::with_capacity(team_count);
        let mut a = Traits::with_capacity(members);
        let ability = pop.ability.sampler();
        let ai_speedup = pop.ai_speedup.sampler();
        let productive_intensity = pop.productive_intensity.sampler();
        let gaming_aversion = pop.gaming_aversion.sampler();
        let status_drive = pop.status_drive.sampler();
        let conformity = pop.conformity.sampler();
        let credibility = pop.credibility.sampler();
        let manager_watchfulness = pop.manager_watchfulness.sampler();
        let mut start = 0;
        for j in first_team..first_team + team_count {
            let len = p.team_size.min(p.employees - j * p.team_size);
            let mut stream = rng::stream(run_seed, names::POPULATION, j as u64);
            let mut r = crate::params::sample::Draws::new(&mut stream);
            let watchfulness = manager_watchfulness.sample_with::<A, _>(&mut r);
            for _ in 0..len {
                a.ability.push(attr(ability.sample_with::<A, _>(&mut r)));
                a.ai_speedup
                    .push(attr(ai_speedup.sample_with::<A, _>(&mut r)));
                a.productive_intensity
                    .push(attr(productive_intensity.sample_with::<A, _>(&mut r)));
                a.gaming_aversion
                    .push(attr(gaming_aversion.sample_with::<A, _>(&mut r)));
                a.status_drive
                    .push(attr(status_drive.sample_with::<A, _>(&mut r)));
                a.conformity
                    .push(attr(conformity.sample_with::<A, _>(&mut r)));
                a.credibility.push(credibility.sample_with::<A, _>(&mut r));
            }
            teams.push(Team {
                start,
                len,
                watchfulness,
                log_tokens: Moments::default(),
                sum_g: 0.0,
            });
            start += len;
        }
        Attributes {
            first_team,
            teams,
            traits: a,
        }
    }

    /// Bytes the arrays hold.
    fn bytes(&self) -> usize {
        self.teams.capacity() * std::mem::size_of::<Team>() + self.traits.bytes()
    }
}

/// What decides a population: the run seed and the parameters the draws
/// read, and whether multiply-adds are fused ([`super::simd::Level`]).
#[derive(Clone, PartialEq)]
struct Key {
    seed: u64,
    employees: usize,
    team_size: usize,
    /// The attribute distributions as their `Debug` text, which tells
    /// apart every pair of values that draw differently (0.0 and -0.0
    /// too, which `==` on the numbers would not).
    population: String,
    fused: bool,
}

impl Key {
    fn new(p: &ModelParams, seed: u64) -> Key {
        Key {
            seed,
            employees: p.employees,
            team_size: p.team_size,
            population: format!("{:?}", p.population),
            fused: super::simd::level() != Level::Unfused,
        }
    }

    /// Whether `other` is a population of the same kind (another seed at
    /// most).
    fn same_kind(&self, other: &Key) -> bool {
        Key {
            seed: 0,
            ..self.clone()
        } == Key {
            seed: 0,
            ..other.clone()
        }
    }
}

/// The drawn attributes of a whole run, block by block.
pub(crate) struct Population {
    key: Key,
    pub blocks: Vec<Attributes>,
}

impl Population {
    /// Draws the population of a run of `p` with seed `run_seed`, the
    /// blocks in parallel.
    pub fn draw(p: &ModelParams, run_seed: u64) -> Population {
        let teams = p.employees.div_ceil(p.team_size);
        let per_block = (BLOCK_AGENTS / p.team_size).max(1);
        let starts: Vec<usize> = (0..teams).step_by(per_block).collect();
        Population {
            key: Key::new(p, run_seed),
            blocks: starts
                .par_iter()
                .map(|&first| Attributes::draw(p, run_seed, first, per_block.min(teams - first)))
                .collect(),
        }
    }

    fn bytes(&self) -> usize {
        self.blocks.iter().map(Attributes::bytes).sum()
    }
}

/// Populations drawn by earlier runs, for later runs with the same seed
/// and population parameters to copy rather than draw again
/// ([`super::Simulation::with_populations`]). Holds at most `budget` bytes
/// of attributes; safe to share between threads. Two runs that miss the
/// same population at once both draw it (the same bits): nobody waits
/// inside the cache, which a rayon worker, stealing another run of the
/// batch while it waits, could turn into a deadlock.
///
/// When full, a new population takes the place of populations of another
/// kind (other sizes or distributions), the least recently used first,
/// but not of its own kind: a batch's runs go through their replicates'
/// seeds in turn, and if fewer populations fit than there are seeds,
/// forgetting the least recently used would forget each one just before
/// it is needed again. Keeping the first ones instead, runs with their
/// seeds still copy.
pub struct Populations {
    budget: usize,
    /// Most recently used last.
    held: Mutex<Vec<Arc<Population>>>,
}

impl Populations {
    /// An empty cache holding at most `budget` bytes.
    pub fn new(budget: usize) -> Populations {
        Populations {
            budget,
            held: Mutex::new(Vec::new()),
        }
    }

    /// The population of a run of `p` with seed `run_seed`: a held one if
    /// there is one, else a new draw, then held if there is room for it.
    pub(crate) fn get(&self, p: &ModelParams, run_seed: u64) -> Arc<Population> {
        let key = Key::new(p, run_seed);
        {
            let mut held = self.lock();
            if let Some(k) = held.iter().position(|q| q.key == key) {
                let q = held.remove(k);
                held.push(Arc::clone(&q));
                return q;
            }
        }
        let drawn = Arc::new(Population::draw(p, run_seed));
        self.keep(&drawn);
        drawn
    }

    /// Holds `drawn` if there is room, or room to be made from populations
    /// of another kind.
    fn keep(&self, drawn: &Arc<Population>) {
        let bytes = drawn.bytes();
        if bytes > self.budget {
            return;
        }
        let mut held = self.lock();
        if held.iter().any(|q| q.key == drawn.key) {
            return;
        }
        let mut total: usize = held.iter().map(|q| q.bytes()).sum();
        while total + bytes > self.budget {
            match held.iter().position(|q| !q.key.same_kind(&drawn.key)) {
                Some(k) => total -= held.remove(k).bytes(),
                None => return,
            }
        }
        held.push(Arc::clone(drawn));
    }

    /// How many populations the cache holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the cache holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Population>>> {
        // A panic elsewhere cannot leave the list half-changed: every
        // change above is a single push or remove.
        self.held.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Simulation;
    use crate::params::Leaderboard;
    use crate::params::timeline::Timeline;

    fn params(employees: usize) -> ModelParams {
        let mut p = ModelParams {
            employees,
            weeks: 5,
            ..ModelParams::default()
        };
        p.levers.adoption_target = 0.8;
        p.levers.leaderboard = Leaderboard::Org;
        p
    }

    fn metrics(p: &ModelParams, seed: u64, cache: Option<&Populations>) -> String {
        let t = Timeline::default();
        let sim = match cache {
            Some(c) => Simulation::with_populations(p, &t, seed, c),
            None => Simulation::new(p, &t, seed),
        };
        format!("{:?}", sim.expect("valid").run())
    }

    /// Runs that copy a population from the cache give the bits of runs
    /// that draw it, whatever else their parameters are; populations that
    /// differ in any of the key's parts are drawn anew.
    #[test]
    fn a_copied_population_gives_the_bits_of_a_drawn_one() {
        let cache = Populations::new(usize::MAX);
        let p = params(1100);
        assert_eq!(metrics(&p, 3, Some(&cache)), metrics(&p, 3, None));
        assert_eq!(cache.len(), 1);
        // The same population under other levers: a copy (the cache holds
        // one population still), with the bits of a fresh draw.
        let mut other_levers = p.clone();
        other_levers.levers.adoption_target = 0.5;
        other_levers.levers.assurance = 2.0;
        let copied = metrics(&other_levers, 3, Some(&cache));
        assert_eq!(cache.len(), 1);
        assert_eq!(copied, metrics(&other_levers, 3, None));
        assert_ne!(copied, metrics(&p, 3, None));
        // Another seed, size, team size or attribute distribution: a
        // population of its own, again with the bits of a fresh draw.
        let mut bigger = p.clone();
        bigger.employees = 1200;
        let mut teams = p.clone();
        teams.team_size = 5;
        let mut shy = p.clone();
        shy.population.status_drive = shy.population.status_drive.with_centre(0.5);
        for (q, seed) in [(&p, 4), (&bigger, 3), (&teams, 3), (&shy, 3)] {
            let before = cache.len();
            assert_eq!(metrics(q, seed, Some(&cache)), metrics(q, seed, None));
            assert_eq!(cache.len(), before + 1);
        }
    }

    /// The cache stays within its budget: when full, a new population of
    /// the kind it holds is not kept (runs cycling through more seeds than
    /// fit still find the first ones), one of another kind takes the place
    /// of the least recently used of other kinds; one larger than the
    /// budget is not kept, and one exactly its size is.
    #[test]
    fn the_cache_stays_within_its_budget() {
        let p = params(1000);
        let mut other = p.clone();
        other.team_size = 10;
        let one = Population::draw(&p, 1).bytes();
        assert!(Population::draw(&other, 1).bytes() < one);
        let cache = Populations::new(2 * one);
        let held = |c: &Populations| -> Vec<(u64, usize)> {
            c.lock()
                .iter()
                .map(|q| (q.key.seed, q.key.team_size))
                .collect()
        };
        cache.get(&p, 1);
        cache.get(&p, 2);
        assert_eq!(held(&cache), [(1, 8), (2, 8)]);
        // Full of this kind: seed 3 is drawn but not kept, and using 1
        // again makes it the most recently used.
        cache.get(&p, 3);
        cache.get(&p, 1);
        assert_eq!(held(&cache), [(2, 8), (1, 8)]);
        // Another kind, with room only when both of the first kind go.
        let small = Populations::new(2 * one);
        small.get(&other, 1);
        small.get(&other, 2);
        small.get(&p, 5);
        assert_eq!(held(&small), [(2, 10), (5, 8)]);
        // Exactly the budget is kept, more is not.
        let exact = Populations::new(one);
        exact.get(&p, 1);
        assert_eq!(exact.len(), 1);
        let under = Populations::new(one - 1);
        under.get(&p, 1);
        assert!(under.is_empty());
    }
}
