//! Perceived value of tokens and the quantal-response choice (MODEL.md
//! steps 4-6).
//!
//! Pure, branch-free functions of one agent's attributes and the week's
//! context: the weekly step calls them inside loops over whole blocks of
//! agents, which the compiler vectorises (see [`super::fastmath`]). Each
//! use is valued as a pure option, a whole week spent on it (Holmström &
//! Milgrom 1991: a reward on the measured dimension pulls the time budget
//! towards whatever is most measure-dense). Switched-off terms (no target,
//! no visible ranks, no top-k board) are multiplied by zero weights, or,
//! where the choice kernel is specialised for weeks without them (usage
//! bar, top-k curve), skipped, which gives the same value.

use super::fastmath::{self as fm, Arith, Fused, Maths};
use crate::params::{Leaderboard, ModelParams};

/// Mean and (inverse) sd of ln(Tm + eps_T) over a rank reference group.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RankGroup {
    pub mean: f64,
    /// 1 / s_G, so a rank takes a multiplication, not a division.
    pub inv_sd: f64,
}

impl RankGroup {
    /// The group of log-token moments `mean`, `sd`, with the sd floored
    /// at 0.1 (MODEL.md step 4).
    pub fn new(mean: f64, sd: f64) -> RankGroup {
        RankGroup {
            mean,
            inv_sd: 1.0 / sd.max(0.1),
        }
    }

    /// (l - m_G) / s_G, the standard score of a log-token value.
    #[inline(always)]
    pub fn standardise(&self, log_tokens: f64) -> f64 {
        (log_tokens - self.mean) * self.inv_sd
    }
}

/// A rank reference group with the parts of Phi(0) that are the same for
/// everyone in it, computed once per group instead of once per agent:
/// Phi_i(0) = pi_i B_i `stake_part` + status_i v_V (`rank0` + b_top
/// `top0`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GroupView {
    pub group: RankGroup,
    /// zeta `[tau > 0]` L(-T_min / s_T) + (1 - zeta) e_V R(0).
    pub stake_part: f64,
    /// R(0), the rank of zero tokens.
    pub rank0: f64,
    /// L((R(0) - q_top) / s_q), the top-k bonus curve at zero tokens.
    pub top0: f64,
}

/// The week's policy context for valuing tokens, derived once per week.
#[derive(Clone, Copy, Debug)]
pub struct ValueContext {
    pub t_min: f64,
    /// 1 / s_T.
    pub inv_bar_softness: f64,
    /// zeta `[tau > 0]`: weight of the usage bar (0 without a target).
    pub bar_scale: f64,
    /// (1 - zeta) e_V: weight of visible ranks in the stake part.
    pub rank_scale: f64,
    /// v_V: status weight of the board.
    pub status_weight: f64,
    /// b_top (0 unless an org board shows only the top k), q_top, s_q.
    pub top_k_bonus: f64,
    pub top_q: f64,
    /// 1 / s_q.
    pub inv_top_softness: f64,
    pub token_floor: f64,
    pub token_cap: f64,
    pub metric_filter: f64,
    /// chi * c_tok: felt token cost per MTok, in output units.
    pub felt_cost_per_mtok: f64,
    pub habit_weight: f64,
    /// d * delta * P_a: expected audit penalty of a full week of gaming.
    pub expected_audit_penalty: f64,
    pub performative_multiplier: f64,
    /// The fast maths' coefficients, opaque to the optimiser so that the
    /// vectorised loops read them from memory ([`Maths`]).
    pub maths: &'static Maths,
}

impl ValueContext {
    pub fn new(p: &ModelParams) -> Self {
        let l = &p.levers;
        let b = &p.behaviour;
        let board = l.leaderboard;
        let ranks_visible = match board {
            Leaderboard::None | Leaderboard::SelfOnly => 0.0,
            _ => 1.0,
        };
        let (top_k_bonus, top_q, top_softness) = if board == Leaderboard::Org && l.top_k > 0 {
            let q_top = 1.0 - l.top_k as f64 / p.employees as f64;
            (b.top_k_bonus, q_top, b.top_k_softness)
        } else {
            (0.0, 0.0, 1.0)
        };
        ValueContext {
            t_min: l.active_threshold,
            inv_bar_softness: 1.0 / b.bar_softness,
            bar_scale: if l.adoption_target > 0.0 {
                b.bar_weight
            } else {
                0.0
            },
            rank_scale: (1.0 - b.bar_weight) * ranks_visible,
            status_weight: p.status_weight(board),
            top_k_bonus,
            top_q,
            inv_top_softness: 1.0 / top_softness,
            token_floor: b.token_floor,
            token_cap: l.token_cap,
            metric_filter: l.metric_filter,
            felt_cost_per_mtok: l.chargeback * l.price_usd_per_mtok / b.value_per_output_usd,
            habit_weight: b.habit_weight,
            expected_audit_penalty: l.audit_rate * l.audit_detection * l.audit_penalty,
            performative_multiplier: b.performative_multiplier,
            maths: Maths::opaque(),
        }
    }

    /// Whether the board is visible to the manager (e_V = 1).
    pub fn ranks_visible(&self) -> bool {
        self.rank_scale != 0.0
    }

    /// Perceived rank R(T) = Phi((ln(T + eps) - m_G) / s_G).
    #[inline(always)]
    pub fn rank(&self, tokens: f64, g: RankGroup) -> f64 {
        self.rank_with::<Fused>(tokens, g)
    }

    /// R(T) with multiply-adds of kind `A` ([`fm::Arith`]).
    #[inline(always)]
    pub fn rank_with<A: Arith>(&self, tokens: f64, g: RankGroup) -> f64 {
        self.rank_from_log::<A>(self.maths.ln::<A>(tokens + self.token_floor), g)
    }

    /// zeta `[tau > 0]` L((T - T_min) / s_T): the usage-bar part of Phi.
    #[inline(always)]
    pub fn bar(&self, tokens: f64) -> f64 {
        self.bar_with::<Fused>(tokens)
    }

    #[inline(always)]
    fn bar_with<A: Arith>(&self, tokens: f64) -> f64 {
        self.bar_scale
            * self
                .maths
                .logistic::<A>((tokens - self.t_min) * self.inv_bar_softness)
    }

    /// L((R - q_top) / s_q): how close rank R is to the top k.
    #[inline(always)]
    fn top<A: Arith>(&self, rank: f64) -> f64 {
        self.maths
            .logistic::<A>((rank - self.top_q) * self.inv_top_softness)
    }

    /// The group-constant parts of Phi(0) for a rank reference group.
    #[inline(always)]
    pub fn group_view(&self, group: RankGroup) -> GroupView {
        self.group_view_with::<Fused>(group)
    }

    /// [`Self::group_view`] with multiply-adds of kind `A`.
    #[inline(always)]
    pub fn group_view_with<A: Arith>(&self, group: RankGroup) -> GroupView {
        let rank0 = self.rank_with::<A>(0.0, group);
        GroupView {
            group,
            stake_part: self.bar_with::<A>(0.0) + self.rank_scale * rank0,
            rank0,
            top0: self.top::<A>(rank0),
        }
    }

    /// Phi_i(0) for an agent with surveillance belief times stake `pi_b`
    /// and status drive `status_drive`.
    #[inline(always)]
    pub fn zero_token_value(&self, view: &GroupView, pi_b: f64, status_drive: f64) -> f64 {
        let sv = status_drive * self.status_weight;
        pi_b * view.stake_part + sv * view.rank0 + sv * self.top_k_bonus * view.top0
    }

    /// Phi_i(T): perceived value of measuring `tokens` this week.
    #[inline(always)]
    pub fn token_value(&self, tokens: f64, pi_b: f64, status_drive: f64, group: RankGroup) -> f64 {
        let log_tokens = fm::ln(tokens + self.token_floor);
        self.token_value_from_log::<Fused, true, true>(
            tokens,
            log_tokens,
            pi_b,
            status_drive,
            group,
        )
    }

    /// Phi_i(T) with ln(T + eps_T) given. `BAR` and `TOP` say whether the
    /// usage bar and the top-k curve have weight this week: a term without
    /// weight is multiplied by zero in [`Self::token_value`] and skipped
    /// here, which gives the same value.
    #[inline(always)]
    pub fn token_value_from_log<A: Arith, const BAR: bool, const TOP: bool>(
        &self,
        tokens: f64,
        log_tokens: f64,
        pi_b: f64,
        status_drive: f64,
        group: RankGroup,
    ) -> f64 {
        let r = self.rank_from_log::<A>(log_tokens, group);
        self.token_value_from_rank::<A, BAR, TOP>(tokens, r, pi_b, status_drive)
    }

    /// The ranks of two log-token values in one group (see
    /// [`Maths::normal_cdf_lanes`]): the same bits as two calls of
    /// [`Self::rank_from_log`].
    #[inline(always)]
    pub fn ranks_from_logs<A: Arith>(&self, [lp, lg]: [f64; 2], group: RankGroup) -> [f64; 2] {
        self.maths
            .normal_cdf_lanes::<A, 2>([lp, lg].map(|l| group.standardise(l)))
    }

    /// R = Phi((l - m_G) / s_G) for l = ln(T + eps_T).
    #[inline(always)]
    pub fn rank_from_log<A: Arith>(&self, log_tokens: f64, group: RankGroup) -> f64 {
        self.maths.normal_cdf::<A>(group.standardise(log_tokens))
    }

    /// Phi_i(T) with the rank R(T) given.
    #[inline(always)]
    pub fn token_value_from_rank<A: Arith, const BAR: bool, const TOP: bool>(
        &self,
        tokens: f64,
        r: f64,
        pi_b: f64,
        status_drive: f64,
    ) -> f64 {
        let sv = status_drive * self.status_weight;
        let bar = if BAR { self.bar_with::<A>(tokens) } else { 0.0 };
        let stake_value = pi_b * (bar + self.rank_scale * r) + sv * r;
        if TOP {
            stake_value + sv * self.top_k_bonus * self.top::<A>(r)
        } else {
            stake_value
        }
    }

    /// The tokens the metric counts for a whole week of productive and of
    /// performative use at productive intensity `kp`: min(kp, cap) and
    /// min((1 - f) r_g kp, cap).
    #[inline(always)]
    pub fn option_tokens(&self, kp: f64) -> (f64, f64) {
        let kg = self.performative_multiplier * kp;
        (
            fm::select_min(kp, self.token_cap),
            fm::select_min((1.0 - self.metric_filter) * kg, self.token_cap),
        )
    }

    /// ln(T + eps_T) of both options' measured tokens (see
    /// [`Self::option_tokens`]): constant while the levers they depend on
    /// (cap, metric filter, r_g, eps_T) do not change, so the engine keeps
    /// them per agent.
    #[inline(always)]
    pub fn option_log_tokens(&self, kp: f64) -> (f64, f64) {
        self.option_log_tokens_with::<Fused>(kp)
    }

    /// [`Self::option_log_tokens`] with multiply-adds of kind `A`.
    #[inline(always)]
    pub fn option_log_tokens_with<A: Arith>(&self, kp: f64) -> (f64, f64) {
        let (tp, tg) = self.option_tokens(kp);
        (
            self.maths.ln::<A>(tp + self.token_floor),
            self.maths.ln::<A>(tg + self.token_floor),
        )
    }

    /// Whether the usage bar and the top-k curve have weight this week.
    pub fn weighted_terms(&self) -> (bool, bool) {
        (self.bar_scale != 0.0, self.top_k_bonus != 0.0)
    }
}

/// The attributes and state of one agent that its option values read.
#[derive(Clone, Copy, Debug)]
pub struct AgentView {
    pub ability: f64,
    pub ai_speedup: f64,
    pub productive_intensity: f64,
    pub gaming_aversion: f64,
    pub status_drive: f64,
    pub conformity: f64,
    pub habit: f64,
    /// pi_i * B_i.
    pub surveillance_stake: f64,
    /// gbar_i: peers' mean performative share.
    pub peer_performative: f64,
    /// ln(T + eps_T) of the two options' measured tokens
    /// ([`ValueContext::option_log_tokens`]).
    pub log_tokens: (f64, f64),
}

impl AgentView {
    /// The view with the option log-tokens computed (for callers that do
    /// not keep them).
    pub fn with_log_tokens(mut self, ctx: &ValueContext) -> AgentView {
        self.log_tokens = ctx.option_log_tokens(self.productive_intensity);
        self
    }
}

/// (v_m, v_p, v_g): value of a whole week of manual work, productive AI
/// and performative AI work for one agent (MODEL.md step 5). `BAR` and
/// `TOP`: see [`ValueContext::token_value_from_log`] (both true is always
/// right; false only where that term has no weight).
#[inline(always)]
pub fn option_values<A: Arith, const BAR: bool, const TOP: bool>(
    ctx: &ValueContext,
    a: &AgentView,
    view: &GroupView,
) -> [f64; 3] {
    let (lp, lg) = a.log_tokens;
    let ranks = ctx.ranks_from_logs::<A>([lp, lg], view.group);
    option_values_from_ranks::<A, BAR, TOP>(ctx, a, view, ranks)
}

/// [`option_values`] with the two options' ranks given.
#[inline(always)]
pub fn option_values_from_ranks<A: Arith, const BAR: bool, const TOP: bool>(
    ctx: &ValueContext,
    a: &AgentView,
    view: &GroupView,
    [rp, rg]: [f64; 2],
) -> [f64; 3] {
    let v_m = a.ability + ctx.zero_token_value(view, a.surveillance_stake, a.status_drive);
    let kp = a.productive_intensity;
    let kg = ctx.performative_multiplier * kp;
    let (tp, tg) = ctx.option_tokens(kp);
    let phi = |t: f64, r: f64| {
        ctx.token_value_from_rank::<A, BAR, TOP>(t, r, a.surveillance_stake, a.status_drive)
    };
    let v_p = a.ability * (1.0 + a.ai_speedup) + phi(tp, rp) - ctx.felt_cost_per_mtok * kp;
    let v_g = phi(tg, rg) - ctx.felt_cost_per_mtok * kg - a.gaming_aversion
        + ctx.habit_weight * a.habit
        + a.conformity * a.peer_performative
        - ctx.expected_audit_penalty;
    [v_m, v_p, v_g]
}

/// softmax(lambda * v), computed stably: relative to the largest value,
/// whose term is exactly 1, so only the other two need an exponential
/// (chosen by selects, not branches, to stay vectorisable). The
/// exponentials and the shares are computed in single precision
/// ([`Maths::exp_f32_lanes`]): shares within about 2e-7 of the exact ones,
/// none below e^-80 / 3.
#[inline(always)]
pub fn softmax3(lambda: f64, v: [f64; 3]) -> [f64; 3] {
    softmax3_with::<Fused>(&fm::MATHS, lambda, v)
}

/// [`softmax3`] with multiply-adds of kind `A`.
#[inline(always)]
pub fn softmax3_with<A: Arith>(m: &Maths, lambda: f64, v: [f64; 3]) -> [f64; 3] {
    let top = fm::select_max(fm::select_max(v[0], v[1]), v[2]);
    let first_top = v[0] == top;
    let second_top = !first_top && v[1] == top;
    // The two values that are not the top, in option order.
    let a = if first_top { v[1] } else { v[0] };
    let b = if first_top || second_top { v[2] } else { v[1] };
    // In single precision, as the other functions of the choice pass
    // (fastmath::single): exponentials of arguments <= 0 in [e^-80, 1].
    let [ea, eb] = m.exp_f32_lanes::<A, 2>([a, b].map(|x| (lambda * (x - top)) as f32));
    let e0 = if first_top { 1.0 } else { ea };
    let e1 = if first_top {
        ea
    } else if second_top {
        1.0
    } else {
        eb
    };
    let e2 = if first_top || second_top { eb } else { 1.0 };
    let inv = 1.0 / (e0 + e1 + e2);
    [e0 * inv, e1 * inv, e2 * inv].map(f64::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both options' ranks at once are the two ranks one at a time, bit
    /// for bit (the choice pass's ranks loop and the values it replaced).
    #[test]
    fn ranks_from_logs_are_two_ranks_from_log() {
        let ctx = ValueContext::new(&ModelParams::default());
        for (k, mean) in [-3.0, 0.0, 2.5, 7.0].into_iter().enumerate() {
            let group = RankGroup::new(mean, 0.05 + k as f64);
            for i in 0..400 {
                let lp = -20.0 + 0.1 * i as f64;
                let lg = 15.0 - 0.07 * i as f64;
                let both = ctx.ranks_from_logs::<Fused>([lp, lg], group);
                let one = [lp, lg].map(|l| ctx.rank_from_log::<Fused>(l, group));
                assert_eq!(both.map(f64::to_bits), one.map(f64::to_bits), "{lp} {lg}");
            }
        }
    }
    fn agent() -> AgentView {
        AgentView {
            ability: 1.0,
            ai_speedup: 0.2,
            productive_intensity: 20.0,
            gaming_aversion: 0.6,
            status_drive: 1.0,
            conformity: 1.0,
            habit: 0.0,
            surveillance_stake: 0.0,
            peer_performative: 0.0,
            log_tokens: (0.0, 0.0),
        }
    }

    #[test]
    fn softmax_sums_to_one_and_orders() {
        let x = softmax3(3.5, [1.0, 1.2, -0.6]);
        // Single precision (fastmath::single): the shares sum to 1 within
        // two f32 roundings.
        assert!((x.iter().sum::<f64>() - 1.0).abs() < 2.5e-7);
        assert!(x[1] > x[0] && x[0] > x[2]);
        // Huge values stay finite: the others' exponentials are e^-80.
        let y = softmax3(1e6, [1.0, 2.0, 3.0]);
        assert_eq!(y[2], 1.0);
        assert!(y[0] > 0.0 && y[0] < 2e-35 && y[0] == y[1]);
    }

    #[test]
    fn no_policy_values_are_work_only() {
        let ctx = ValueContext::new(&ModelParams::default());
        let g = RankGroup::new(3.0, 1.0);
        let v = option_values::<Fused, true, true>(
            &ctx,
            &agent().with_log_tokens(&ctx),
            &ctx.group_view(g),
        );
        assert_eq!(v, [1.0, 1.2, -0.6]);
    }

    #[test]
    fn board_and_target_raise_the_value_of_tokens() {
        let mut p = ModelParams::default();
        p.levers.adoption_target = 0.8;
        p.levers.leaderboard = Leaderboard::Org;
        let ctx = ValueContext::new(&p);
        let g = RankGroup::new(3.0, 1.0);
        let mut a = agent();
        a.surveillance_stake = 0.4 * 4.0 * 0.5;
        let v =
            option_values::<Fused, true, true>(&ctx, &a.with_log_tokens(&ctx), &ctx.group_view(g));
        // Performative use measures 100 MTok: near the top rank and well
        // over the bar, so it gains almost the full status and stake value.
        let gain = v[2] - (-0.6);
        assert!(
            gain > 0.9 * (a.surveillance_stake + a.status_drive),
            "{v:?}"
        );
        assert!(ctx.rank(100.0, g) > ctx.rank(20.0, g));
    }
}
