//! The first pass of a block's week, per team (MODEL.md steps 2-4):
//! last week's observables, the manager's pressure and evidence rate, the
//! rank reference group, the team values the vectorised choice pass reads
//! (broadcast to each member).

use super::WeekContext;
use super::fastmath::Arith;
use super::state::{Agents, Scratch, Team, broadcast};
use super::values::{GroupView, RankGroup};

/// The rank reference group of each team, from last week's log-token
/// moments: independent per team, so the loop vectorises across teams.
#[inline(always)]
pub(crate) fn team_views<A: Arith>(ctx: &WeekContext, teams: &[Team], views: &mut [GroupView]) {
    for (t, v) in teams.iter().zip(views.iter_mut()) {
        *v = ctx
            .values
            .group_view_with::<A>(RankGroup::new(t.log_tokens.mean, t.log_tokens.sd()));
    }
}

/// First pass over team `k` (MODEL.md steps 2-4): last week's observables,
/// the manager's pressure and evidence rate, the team values the choice
/// pass needs.
#[inline(always)]
pub(crate) fn prepare_team(ctx: &WeekContext, t: &mut Team, a: &Agents, s: &mut Scratch, k: usize) {
    let vc = &ctx.values;
    let range = t.start..t.start + t.len;
    let n = t.len as f64;
    let count_active = |len: usize| {
        a.measured_tokens[t.start..t.start + len]
            .iter()
            .filter(|&&tm| tm >= vc.t_min)
            .count()
    };
    // (A constant length for teams of 8, which the compiler unrolls.)
    let active = if t.len == 8 {
        count_active(8)
    } else {
        count_active(t.len)
    } as f64;
    let pressure = ctx.pressure(active / n);
    let stake = ctx.stake * pressure;
    let view = if ctx.team_ranks {
        s.team_views[k]
    } else {
        ctx.org_view
    };
    s.evidence_rate[k] = ctx.evidence_rate(t.watchfulness, pressure);
    let (peer_sum, peer_count) = if ctx.org_neighbourhood {
        (ctx.org_sum_g, ctx.employees)
    } else {
        (t.sum_g, n)
    };
    broadcast(&mut s.stake[range.clone()], stake);
    broadcast(&mut s.group_mean[range.clone()], view.group.mean);
    broadcast(&mut s.group_inv_sd[range.clone()], view.group.inv_sd);
    broadcast(&mut s.group_stake_part[range.clone()], view.stake_part);
    broadcast(&mut s.group_rank0[range.clone()], view.rank0);
    broadcast(&mut s.group_top0[range.clone()], view.top0);
    broadcast(&mut s.peer_sum[range.clone()], peer_sum);
    let peer_weight = if peer_count > 1.0 {
        1.0 / (peer_count - 1.0)
    } else {
        0.0
    };
    broadcast(&mut s.peer_weight[range.clone()], peer_weight);
}
