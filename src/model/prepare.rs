//! The first pass of a block's week, per team (MODEL.md steps 2-4):
//! last week's observables, the manager's pressure and evidence rate, the
//! rank reference group, the team values the vectorised choice pass reads
//! (broadcast to each member).

use super::WeekContext;
use super::fastmath::Arith;
use super::state::{Agents, Scratch, Team, broadcast, teams_of_eight};
use super::values::{GroupView, RankGroup};
use itertools::izip;

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

/// The per-member copies of the team values the choice pass reads (see
/// [`Scratch`]), for one team: slices of the team's length.
struct TeamValues<'a> {
    stake: &'a mut [f64],
    group_mean: &'a mut [f64],
    group_inv_sd: &'a mut [f64],
    group_stake_part: &'a mut [f64],
    group_rank0: &'a mut [f64],
    group_top0: &'a mut [f64],
    peer_sum: &'a mut [f64],
    peer_weight: &'a mut [f64],
}

/// The first pass over every team of the block ([`prepare_team`]). When
/// all the block's teams have 8 members (the default team size), their
/// members come from fixed-size chunks of the arrays, as in the settle
/// pass: no slicing (and bounds checks) per team, and stores of a
/// constant length.
#[inline(always)]
pub(crate) fn prepare_teams(ctx: &WeekContext, teams: &[Team], a: &Agents, s: &mut Scratch) {
    let n = a.ability.len();
    let measured = &a.measured_tokens[..n];
    let (views, rates) = (&s.team_views, &mut s.evidence_rate);
    if teams_of_eight(ctx, teams) {
        // (The chunks below are exactly the teams: a zip would drop any
        // difference silently.)
        debug_assert_eq!(n, 8 * teams.len());
        let values = izip!(
            s.stake[..n].chunks_exact_mut(8),
            s.group_mean[..n].chunks_exact_mut(8),
            s.group_inv_sd[..n].chunks_exact_mut(8),
            s.group_stake_part[..n].chunks_exact_mut(8),
            s.group_rank0[..n].chunks_exact_mut(8),
            s.group_top0[..n].chunks_exact_mut(8),
            s.peer_sum[..n].chunks_exact_mut(8),
            s.peer_weight[..n].chunks_exact_mut(8),
        )
        .map(
            |(
                stake,
                group_mean,
                group_inv_sd,
                group_stake_part,
                group_rank0,
                group_top0,
                peer_sum,
                peer_weight,
            )| {
                TeamValues {
                    stake,
                    group_mean,
                    group_inv_sd,
                    group_stake_part,
                    group_rank0,
                    group_top0,
                    peer_sum,
                    peer_weight,
                }
            },
        );
        let members = teams.iter().zip(measured.chunks_exact(8)).zip(values);
        for (k, ((t, measured), values)) in members.enumerate() {
            rates[k] = prepare_team(ctx, t, measured, &views[k], values);
        }
    } else {
        for (k, t) in teams.iter().enumerate() {
            let range = t.start..t.start + t.len;
            let values = TeamValues {
                stake: &mut s.stake[range.clone()],
                group_mean: &mut s.group_mean[range.clone()],
                group_inv_sd: &mut s.group_inv_sd[range.clone()],
                group_stake_part: &mut s.group_stake_part[range.clone()],
                group_rank0: &mut s.group_rank0[range.clone()],
                group_top0: &mut s.group_top0[range.clone()],
                peer_sum: &mut s.peer_sum[range.clone()],
                peer_weight: &mut s.peer_weight[range.clone()],
            };
            rates[k] = prepare_team(ctx, t, &measured[range], &views[k], values);
        }
    }
}

/// First pass over team `t` (MODEL.md steps 2-4), from its members' last
/// measured tokens `measured` and its rank view `team_view` (read when
/// ranks are against the team): the team values the choice pass needs,
/// copied to each member; returns the team's evidence rate q_j.
#[inline(always)]
fn prepare_team(
    ctx: &WeekContext,
    t: &Team,
    measured: &[f64],
    team_view: &GroupView,
    v: TeamValues,
) -> f64 {
    let n = measured.len() as f64;
    let active = measured
        .iter()
        .filter(|&&tm| tm >= ctx.values.t_min)
        .count() as f64;
    let pressure = ctx.pressure(active / n);
    let stake = ctx.stake * pressure;
    let view = if ctx.team_ranks {
        *team_view
    } else {
        ctx.org_view
    };
    let (peer_sum, peer_count) = if ctx.org_neighbourhood {
        (ctx.org_sum_g, ctx.employees)
    } else {
        (t.sum_g, n)
    };
    broadcast(v.stake, stake);
    broadcast(v.group_mean, view.group.mean);
    broadcast(v.group_inv_sd, view.group.inv_sd);
    broadcast(v.group_stake_part, view.stake_part);
    broadcast(v.group_rank0, view.rank0);
    broadcast(v.group_top0, view.top0);
    broadcast(v.peer_sum, peer_sum);
    let peer_weight = if peer_count > 1.0 {
        1.0 / (peer_count - 1.0)
    } else {
        0.0
    };
    broadcast(v.peer_weight, peer_weight);
    ctx.evidence_rate(t.watchfulness, pressure)
}
