//! Agent, team and scratch state of a block: the structure-of-arrays
//! agent arrays, each team's record and random streams, and the per-thread
//! buffers that carry values between the passes of a block's week. Its own
//! module so that the passes ([`super::prepare`], [`super::choice`],
//! [`super::settle`]) and the block that runs them ([`super::block`]) all
//! depend on it, and not on each other.

use super::events::MAX_TABULATED_OBSERVATIONS;
use super::sums::Moments;
use super::values::GroupView;

/// Storage type of the constant agent attributes (see [`Agents`]).
pub(crate) type Attr = f32;

/// Bytes of state per agent: six attributes, eight state variables and
/// the two options' log-tokens (constant while the levers they depend on
/// are).
pub(crate) const AGENT_BYTES: usize =
    6 * std::mem::size_of::<Attr>() + 10 * std::mem::size_of::<f64>();

/// Bytes of a thread's [`Scratch`] per agent of the block it steps:
/// twenty-seven f64 arrays.
pub(crate) const SCRATCH_BYTES_PER_AGENT: usize = 27 * std::mem::size_of::<f64>();

/// Bytes of a thread's [`Scratch`] per team of the block.
pub(crate) const SCRATCH_BYTES_PER_TEAM: usize = std::mem::size_of::<GroupView>()
    + (MAX_TABULATED_OBSERVATIONS + 4) * std::mem::size_of::<f64>();

/// Sets every element of `team` (one team's members in a broadcast array)
/// to `value`. Teams of 8, the default, take a fixed-size store the
/// compiler makes two or one vector stores; other sizes a plain fill (a
/// loop with its set-up, which for a few elements costs several times as
/// many instructions).
#[inline(always)]
pub(crate) fn broadcast(team: &mut [f64], value: f64) {
    if let Ok(eight) = <&mut [f64; 8]>::try_from(&mut *team) {
        *eight = [value; 8];
    } else {
        team.fill(value);
    }
}

/// Whether every team of a block has 8 members (the default team size):
/// the passes then take the teams' members as fixed-size chunks of the
/// block's arrays, without slicing (and bounds checks) per team. Both
/// paths give the same bits (a test runs the week both ways).
#[inline(always)]
pub(crate) fn teams_of_eight(ctx: &super::WeekContext, teams: &[Team]) -> bool {
    #[cfg(test)]
    if ctx.general_team_path {
        return false;
    }
    let _ = ctx;
    teams.iter().all(|t| t.len == 8)
}

/// An attribute draw as stored (rounded to the nearest f32).
pub(crate) fn attr(x: f64) -> Attr {
    x as Attr
}

/// (address, bytes) of each agent array of a block.
#[derive(Clone, Copy)]
pub(crate) struct ArrayAddresses([(usize, usize); 16]);

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
#[derive(Clone)]
pub(crate) struct Team {
    /// Index of the first member within the block.
    pub start: usize,
    pub len: usize,
    /// w_j: manager watchfulness.
    pub watchfulness: f64,
    /// Moments of ln(Tm + eps_T) over the team, from last week.
    pub log_tokens: Moments,
    /// Sum of members' performative share g, from last week.
    pub sum_g: f64,
}

/// The attributes drawn once per agent: the constant part of [`Agents`],
/// as a population draws it ([`super::population`]).
#[derive(Clone)]
pub(crate) struct Traits {
    pub ability: Vec<Attr>,
    pub ai_speedup: Vec<Attr>,
    pub productive_intensity: Vec<Attr>,
    pub gaming_aversion: Vec<Attr>,
    pub status_drive: Vec<Attr>,
    pub conformity: Vec<Attr>,
    pub credibility: Vec<f64>,
}

impl Traits {
    /// Empty arrays with room for `n` agents.
    pub(crate) fn with_capacity(n: usize) -> Traits {
        let w = || Vec::with_capacity(n);
        Traits {
            ability: w(),
            ai_speedup: w(),
            productive_intensity: w(),
            gaming_aversion: w(),
            status_drive: w(),
            conformity: w(),
            credibility: Vec::with_capacity(n),
        }
    }

    /// Bytes the arrays hold.
    pub(crate) fn bytes(&self) -> usize {
        6 * self.ability.capacity() * std::mem::size_of::<Attr>()
            + self.credibility.capacity() * std::mem::size_of::<f64>()
    }
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
    /// ln(T + eps_T) of the measured tokens of a whole week of productive
    /// and of performative use ([`super::values::ValueContext::option_log_tokens`]):
    /// functions of the productive intensity and of levers that rarely
    /// change, recomputed only when they do, so the choice pass does not
    /// take two logarithms per agent and week.
    pub log_tokens_productive: Vec<f64>,
    pub log_tokens_performative: Vec<f64>,
}

impl Agents {
    /// Agents with these drawn attributes, and empty state arrays with
    /// room for as many.
    pub(crate) fn with_attributes(t: Traits) -> Agents {
        let n = t.credibility.len();
        let v = || Vec::with_capacity(n);
        Agents {
            ability: t.ability,
            ai_speedup: t.ai_speedup,
            productive_intensity: t.productive_intensity,
            gaming_aversion: t.gaming_aversion,
            status_drive: t.status_drive,
            conformity: t.conformity,
            credibility: t.credibility,
            alpha: v(),
            beta: v(),
            productive: v(),
            performative: v(),
            measured_tokens: v(),
            habit: v(),
            stress: v(),
            log_tokens_productive: v(),
            log_tokens_performative: v(),
        }
    }

    /// The attribute arrays, as slices.
    pub(crate) fn attributes(&self) -> [&[Attr]; 6] {
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
    pub(crate) fn states(&self) -> [&[f64]; 10] {
        [
            &self.credibility,
            &self.alpha,
            &self.beta,
            &self.productive,
            &self.performative,
            &self.measured_tokens,
            &self.habit,
            &self.stress,
            &self.log_tokens_productive,
            &self.log_tokens_performative,
        ]
    }

    /// Asks the CPU to bring every array of the block towards the core
    /// (L2) before the passes read them. Each array of a block is a page
    /// or two of its own, and hardware prefetchers stop at page
    /// boundaries, so without this each of the 14 streams starts with
    /// misses; issued up front, the loads overlap the first pass's work.
    #[inline(always)]
    pub(crate) fn prefetch(&self) {
        self.addresses().prefetch();
    }

    /// Where the arrays are and how long (also for prefetching a block
    /// from elsewhere).
    pub fn addresses(&self) -> ArrayAddresses {
        let mut out = [(0, 0); 16];
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
    pub(crate) fn bytes(&self) -> usize {
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
    /// The value shocks of the three options (noise included), from the
    /// choice pass's first loop; its values loop adds the option values
    /// to them in place, for the choice loop.
    pub shock_m: Vec<f64>,
    pub shock_p: Vec<f64>,
    pub shock_g: Vec<f64>,
    /// The ranks of the two options' measured tokens, R(T_p) and R(T_g),
    /// from the choice pass's second loop for its values loop.
    pub rank_p: Vec<f64>,
    pub rank_g: Vec<f64>,
    /// Realised output, expected incidents and ln(Tm + eps_T) (the choice
    /// pass's).
    pub output: Vec<f64>,
    pub incident_rate: Vec<f64>,
    pub log_measured: Vec<f64>,
    /// The settle pass's per-agent values: tokens used T, performative
    /// tokens as counted in the week's total (scaled down at the cap),
    /// whether measured and productive use pass T_min (1 or 0), incidents
    /// (NaN until the scalar pass draws the rare non-zero ones), detection
    /// (1 or 0), the evidence uniform, and pi after social averaging.
    pub tokens: Vec<f64>,
    pub counted_performative: Vec<f64>,
    pub measured_active: Vec<f64>,
    pub productive_active: Vec<f64>,
    pub incidents: Vec<f64>,
    pub detected: Vec<f64>,
    pub evidence_uniform: Vec<f64>,
    pub surveillance: Vec<f64>,
    /// Team values for the belief loops, broadcast to each member: the
    /// credibility erosion factor, the team's detected audits and its
    /// mean belief before social averaging.
    pub team_erosion: Vec<f64>,
    pub team_detections: Vec<f64>,
    pub team_mean_belief: Vec<f64>,
    /// q_j: each team's evidence rate this week (the first pass's, for
    /// the last).
    pub evidence_rate: Vec<f64>,
    /// Every team's binomial evidence table, entry-major
    /// ([`super::events::binomial_tables`]), and that function's work
    /// space (three values per team).
    pub binomial: Vec<f64>,
    pub binomial_work: Vec<f64>,
    /// Each team's rank reference group when ranks are read against the
    /// team (computed for all teams in one vectorised loop).
    pub team_views: Vec<GroupView>,
}

impl Scratch {
    pub(crate) fn resize(&mut self, agents: usize, teams: usize) {
        for v in [
            &mut self.stake,
            &mut self.group_mean,
            &mut self.group_inv_sd,
            &mut self.group_stake_part,
            &mut self.group_rank0,
            &mut self.group_top0,
            &mut self.peer_sum,
            &mut self.peer_weight,
            &mut self.shock_m,
            &mut self.shock_p,
            &mut self.shock_g,
            &mut self.rank_p,
            &mut self.rank_g,
            &mut self.output,
            &mut self.incident_rate,
            &mut self.log_measured,
            &mut self.tokens,
            &mut self.counted_performative,
            &mut self.measured_active,
            &mut self.productive_active,
            &mut self.incidents,
            &mut self.detected,
            &mut self.evidence_uniform,
            &mut self.surveillance,
            &mut self.team_erosion,
            &mut self.team_detections,
            &mut self.team_mean_belief,
        ] {
            v.resize(agents, 0.0);
        }
        self.evidence_rate.resize(teams, 0.0);
        self.binomial
            .resize(teams * MAX_TABULATED_OBSERVATIONS, 0.0);
        self.binomial_work.resize(3 * teams, 0.0);
        self.team_views.resize(teams, GroupView::default());
    }
}
