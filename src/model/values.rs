//! Perceived value of tokens and the quantal-response choice (MODEL.md
//! steps 4-6).
//!
//! Pure functions of one agent's attributes and the week's context, so the
//! closed-form property (with no noise the allocation target equals the
//! softmax of the three option values) can be tested against them directly.
//! Each use is valued as a pure option, a whole week spent on it
//! (Holmström & Milgrom 1991: a reward on the measured dimension pulls the
//! time budget towards whatever is most measure-dense).

use crate::params::{Leaderboard, ModelParams};

/// Logistic function. Above x = 37, exp(-x) < 2^-53, so 1 + exp(-x)
/// rounds to 1 and the result is exactly 1: the exponential is skipped
/// without changing any result.
#[inline]
pub fn logistic(x: f64) -> f64 {
    if x > 37.0 {
        return 1.0;
    }
    1.0 / (1.0 + (-x).exp())
}

/// Standard normal CDF.
#[inline]
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// Mean and sd of ln(Tm + eps_T) over a rank reference group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RankGroup {
    pub mean: f64,
    pub sd: f64,
}

/// A rank reference group with the parts of Phi(0) that are the same for
/// everyone in it (the usage bar and the rank of zero tokens), computed
/// once per group instead of once per agent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroupView {
    pub group: RankGroup,
    pub bar0: f64,
    pub rank0: f64,
}

/// The week's policy context for valuing tokens, derived once per week.
#[derive(Clone, Copy, Debug)]
pub struct ValueContext {
    /// A target exists (tau > 0): the usage bar matters.
    pub bar_on: bool,
    pub t_min: f64,
    pub bar_softness: f64,
    pub bar_weight: f64,
    /// e_V: ranks visible to the manager (0 or 1).
    pub ranks_visible: f64,
    /// v_V: status weight of the board.
    pub status_weight: f64,
    /// (b_top, q_top, s_q) when an org board shows only the top k.
    pub top_k: Option<(f64, f64, f64)>,
    pub token_floor: f64,
    pub token_cap: f64,
    pub metric_filter: f64,
    /// chi * c_tok: felt token cost per MTok, in output units.
    pub felt_cost_per_mtok: f64,
    pub habit_weight: f64,
    /// d * delta * P_a: expected audit penalty of a full week of gaming.
    pub expected_audit_penalty: f64,
    pub performative_multiplier: f64,
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
        let top_k = (board == Leaderboard::Org && l.top_k > 0).then(|| {
            let q_top = 1.0 - l.top_k as f64 / p.employees as f64;
            (b.top_k_bonus, q_top, b.top_k_softness)
        });
        ValueContext {
            bar_on: l.adoption_target > 0.0,
            t_min: l.active_threshold,
            bar_softness: b.bar_softness,
            bar_weight: b.bar_weight,
            ranks_visible,
            status_weight: p.status_weight(board),
            top_k,
            token_floor: b.token_floor,
            token_cap: l.token_cap,
            metric_filter: l.metric_filter,
            felt_cost_per_mtok: l.chargeback * l.price_usd_per_mtok / b.value_per_output_usd,
            habit_weight: b.habit_weight,
            expected_audit_penalty: l.audit_rate * l.audit_detection * l.audit_penalty,
            performative_multiplier: b.performative_multiplier,
        }
    }

    /// Whether ranks enter any value this week (skips the CDF otherwise).
    #[inline]
    fn ranks_matter(&self) -> bool {
        self.ranks_visible > 0.0 || self.status_weight > 0.0
    }

    /// Perceived rank R(T) = Phi((ln(T + eps) - m_G) / s_G).
    #[inline]
    pub fn rank(&self, tokens: f64, g: RankGroup) -> f64 {
        normal_cdf(((tokens + self.token_floor).ln() - g.mean) / g.sd)
    }

    /// zeta [tau > 0] L((T - T_min) / s_T): the usage-bar part of Phi.
    #[inline]
    fn bar(&self, tokens: f64) -> f64 {
        if self.bar_on {
            self.bar_weight * logistic((tokens - self.t_min) / self.bar_softness)
        } else {
            0.0
        }
    }

    /// The group-constant parts of Phi(0) for a rank reference group.
    pub fn group_view(&self, group: RankGroup) -> GroupView {
        let rank0 = if self.ranks_matter() {
            self.rank(0.0, group)
        } else {
            0.0
        };
        GroupView {
            group,
            bar0: self.bar(0.0),
            rank0,
        }
    }

    /// Phi_i(T): perceived value of measuring `tokens` this week, for an
    /// agent with surveillance belief times stake `pi_b` and status drive
    /// `status_drive`.
    #[inline]
    pub fn token_value(&self, tokens: f64, pi_b: f64, status_drive: f64, group: RankGroup) -> f64 {
        let bar = self.bar(tokens);
        if !self.ranks_matter() {
            return pi_b * bar;
        }
        self.combine(bar, self.rank(tokens, group), pi_b, status_drive)
    }

    /// Phi_i from its bar and rank parts.
    #[inline]
    fn combine(&self, bar: f64, r: f64, pi_b: f64, status_drive: f64) -> f64 {
        let mut v = pi_b * (bar + (1.0 - self.bar_weight) * self.ranks_visible * r)
            + status_drive * self.status_weight * r;
        if let Some((bonus, q_top, s_q)) = self.top_k {
            v += status_drive * self.status_weight * bonus * logistic((r - q_top) / s_q);
        }
        v
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
}

/// (v_m, v_p, v_g): value of a whole week of manual, productive AI and
/// performative AI work (MODEL.md step 5).
#[inline]
pub fn option_values(ctx: &ValueContext, a: &AgentView, view: &GroupView) -> [f64; 3] {
    let kp = a.productive_intensity;
    let kg = ctx.performative_multiplier * kp;
    let phi = |t: f64| ctx.token_value(t, a.surveillance_stake, a.status_drive, view.group);
    let phi0 = if ctx.ranks_matter() {
        ctx.combine(view.bar0, view.rank0, a.surveillance_stake, a.status_drive)
    } else {
        a.surveillance_stake * view.bar0
    };
    let v_m = a.ability + phi0;
    let v_p =
        a.ability * (1.0 + a.ai_speedup) + phi(kp.min(ctx.token_cap)) - ctx.felt_cost_per_mtok * kp;
    let v_g = phi(((1.0 - ctx.metric_filter) * kg).min(ctx.token_cap))
        - ctx.felt_cost_per_mtok * kg
        - a.gaming_aversion
        + ctx.habit_weight * a.habit
        + a.conformity * a.peer_performative
        - ctx.expected_audit_penalty;
    [v_m, v_p, v_g]
}

/// softmax(lambda * v), computed stably. The largest term is exp(0) = 1
/// exactly, so its exponential is skipped.
#[inline]
pub fn softmax3(lambda: f64, v: [f64; 3]) -> [f64; 3] {
    let top = v[0].max(v[1]).max(v[2]);
    let e = v.map(|x| {
        if x == top {
            1.0
        } else {
            (lambda * (x - top)).exp()
        }
    });
    let s = e[0] + e[1] + e[2];
    e.map(|x| x / s)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        }
    }

    #[test]
    fn softmax_sums_to_one_and_orders() {
        let x = softmax3(3.5, [1.0, 1.2, -0.6]);
        assert!((x.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!(x[1] > x[0] && x[0] > x[2]);
        // Huge values stay finite.
        let y = softmax3(1e6, [1.0, 2.0, 3.0]);
        assert_eq!(y, [0.0, 0.0, 1.0]);
    }

    #[test]
    fn no_policy_values_are_work_only() {
        let ctx = ValueContext::new(&ModelParams::default());
        let g = RankGroup { mean: 3.0, sd: 1.0 };
        let v = option_values(&ctx, &agent(), &ctx.group_view(g));
        assert_eq!(v, [1.0, 1.2, -0.6]);
    }

    #[test]
    fn board_and_target_raise_the_value_of_tokens() {
        let mut p = ModelParams::default();
        p.levers.adoption_target = 0.8;
        p.levers.leaderboard = Leaderboard::Org;
        let ctx = ValueContext::new(&p);
        let g = RankGroup { mean: 3.0, sd: 1.0 };
        let mut a = agent();
        a.surveillance_stake = 0.4 * 4.0 * 0.5;
        let v = option_values(&ctx, &a, &ctx.group_view(g));
        // Performative use measures 100 MTok: near the top rank and well
        // over the bar, so it gains almost the full status and stake value.
        let gain = v[2] - (-0.6);
        assert!(
            gain > 0.9 * (a.surveillance_stake + a.status_drive),
            "{v:?}"
        );
        assert!(ctx.rank(100.0, g) > ctx.rank(20.0, g));
    }

    #[test]
    fn normal_cdf_matches_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-15);
        assert!(
            (normal_cdf(1.96) - 0.975_002_104_851_780).abs() < 1e-12,
            "{}",
            normal_cdf(1.96)
        );
        assert!((normal_cdf(-1.0) - 0.158_655_253_931_457).abs() < 1e-12);
    }
}
